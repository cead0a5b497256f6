/* SPDX-License-Identifier: MIT */
#ifndef CLI_MIGRATE_H
#define CLI_MIGRATE_H
/*
 * wgportal --migrate-from <type> <dsn>: copies a wg-portal v2 database or one of ours into the
 * database of the configuration (database.type/dsn, database.encryption_passphrase), with
 * progress on stderr and the row counts of both sides on stdout. Returns the exit status.
 */
#include <stddef.h>

#include "store/store.h"

struct cfg;

/* The store settings of the config's database section. */
struct store_config cli_store_config(const struct cfg *cfg);
/* type's dsn with its password replaced by "***" (heap, or NULL). */
char *cli_dsn_shown(const char *type, const char *dsn);

int cli_migrate_from(const struct cfg *cfg, const char *src_type, const char *src_dsn);

/* The store callbacks of the daemon's start: progress and take-over notices logged at info. */
void cli_log_progress(const char *what, size_t done, size_t total, void *ctx);
void cli_log_notice(const char *msg, void *ctx);

#endif
