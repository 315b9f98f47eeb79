/*
 * main.c -- cashbookd's entry point: parse flags, set up the process
 * (umask, malloc, SQLite's log), run the server.
 *
 * Must never: let a file the daemon creates be readable by anyone but its
 * owner (the umask below is set before anything is created).
 */
#include <malloc.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "server.h"
#include "cb_limits.h"

/*
 * SQLite's own error log: notices such as "file unlinked while open" or WAL
 * recovery reach the daemon log as warnings; the ordinary errors a request
 * already reports (constraints, interrupts) only at debug level.
 */
static void
main_sqlite_log(void *arg, int code, const char *msg)
{
	int primary = code & 0xff;

	(void)arg;
	if (primary == SQLITE_NOTICE || primary == SQLITE_WARNING ||
	    db_rc_is_fatal(code))
		log_warn("sqlite (%d): %s", code, msg);
	else
		log_debug("sqlite (%d): %s", code, msg);
}

int
main(int argc, char **argv)
{
	struct config cfg;

	switch (config_parse(&cfg, argc, argv)) {
	case CONFIG_EXIT:
		return 0;
	case CONFIG_USAGE:
		return 2;
	case CONFIG_OK:
		break;
	}
	log_set_level(cfg.log_level);
	/*
	 * Before anything is created.  SQLite creates the database, its -wal
	 * and -shm with mode 0644 less the umask, and they hold password
	 * hashes, session hashes and the ledger: with the usual umask 022 and
	 * a --db outside our private directory, anyone on the machine could
	 * read them.  Nothing cashbookd creates is meant for another user.
	 */
	umask(077);
	/*
	 * A password hash allocates 19 MiB and frees it.  glibc raises its
	 * mmap threshold to the size of such a freed block, after which every
	 * later hash's memory comes from the heap of the worker's arena and
	 * stays in the process (RSS went from 5 to 108 MiB after the
	 * benchmark's logins).  A fixed threshold keeps big blocks mmap'd, so
	 * they go back to the system when freed.  The price: the kernel zeroes
	 * fresh pages for each hash, ~7 ms (a login takes ~22 ms, not ~15).
	 */
	if (mallopt(M_MMAP_THRESHOLD, CB_MMAP_THRESHOLD_BYTES) != 1)
		log_warn("cannot set the malloc mmap threshold; memory used by "
		    "password hashes may stay in the process");
	/*
	 * Fixing the mmap threshold also fixes the trim threshold at its
	 * 128 KiB default: a worker whose arena top swings past that gives
	 * it back with madvise(MADV_DONTNEED) at every request, and each
	 * one interrupts every other thread to flush its TLB (a write to a
	 * shared book -- two RETURNING statements -- cost 4x the CPU of an
	 * own book's, most of it in the kernel).  Past a burst,
	 * server_trim_when_idle gives the memory back anyway.
	 */
	if (mallopt(M_TRIM_THRESHOLD, CB_TRIM_THRESHOLD_BYTES) != 1)
		log_warn("cannot set the malloc trim threshold");
	/* Must precede every other SQLite call. */
	if (sqlite3_config(SQLITE_CONFIG_LOG, main_sqlite_log, NULL) !=
	    SQLITE_OK)
		log_warn("cannot route SQLite's log; its notices are lost");
	if (cfg.restore_path[0] != '\0')
		return server_restore_offline(&cfg);
	return server_run(&cfg);
}
