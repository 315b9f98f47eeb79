/*
 * backup_schedule.h -- backups the daemon makes on its own:
 * --backup-dir DIR --backup-every DURATION --backup-keep N.
 *
 * A timer on the loop starts a gateway job (gateway_submit_job) whose one
 * step writes DIR/cashbook-YYYYMMDD-HHMMSS.db (UTC) with backup_write on
 * the maintenance worker, exactly like server.backup; when it ends the
 * oldest such files past N are removed, and the timer is armed again for
 * DURATION after the end (a backup never overlaps the next).  A round that
 * finds a backup or restore running is skipped, and logged.
 *
 * Owns: the timer, the path of the backup being written, the rotation.
 * Never: removes a file in DIR that is not named like its own backups;
 * blocks the loop (listing DIR after a backup is the one exception: a
 * directory of N backups, read once per DURATION).
 */
#ifndef CASHBOOK_DAEMON_BACKUP_SCHEDULE_H
#define CASHBOOK_DAEMON_BACKUP_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct backup_schedule;

/* Parse a DURATION: a whole number with an optional unit s, m, h or d
 * ("90s", "15m", "6h", "1d"; none: seconds).  0, or -1 if malformed or
 * out of CB_BACKUP_EVERY_MIN_S..CB_BACKUP_EVERY_MAX_S. */
int backup_parse_every(const char *s, int64_t *seconds);

/* NULL when no --backup-every was given (and *err is ""), or on failure
 * with err set.  Loop thread, the pool open. */
struct backup_schedule *backup_schedule_new(struct server *server,
    char *err, size_t errlen);
/* No further round (shutdown).  Loop thread. */
void backup_schedule_stop(struct backup_schedule *s);
/* After its job ended (gateway_shutdown). */
void backup_schedule_free(struct backup_schedule *s);

#endif
