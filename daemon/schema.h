/*
 * schema.h -- the database schema and its versioned migrations.
 *
 * PRAGMA user_version holds the number of migrations applied.  Migrating
 * applies every missing one in a single BEGIN IMMEDIATE transaction, so a
 * crash mid-way leaves the previous version intact.  A database whose
 * version is newer than this build knows is refused, never touched.
 */
#ifndef CASHBOOK_DAEMON_SCHEMA_H
#define CASHBOOK_DAEMON_SCHEMA_H

#include <stddef.h>

#include <sqlite3.h>

/* The version this build migrates to. */
int schema_version_current(void);

/* Bring the database up to date.  Returns 0, or -1 with a message for
 * people in err (newer database, or a migration that failed and was rolled
 * back). */
int schema_migrate(sqlite3 *conn, char *err, size_t errlen);

#endif
