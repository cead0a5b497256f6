/* SPDX-License-Identifier: MIT */
/*
 * The --migrate-from command and the progress/notice output of long database copies. DSNs are
 * shown with their passwords replaced (db_dsn_redact).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/migrate.h"
#include "config/config.h"
#include "store/db_dsn.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

void cli_log_progress(const char *what, size_t done, size_t total, void *ctx)
{
	(void)ctx;
	if (total)
		log_info("database: copying %s: %zu of %zu", what, done, total);
	else
		log_info("database: copying %s: %zu", what, done);
}

void cli_log_notice(const char *msg, void *ctx)
{
	(void)ctx;
	log_info("database: %s", msg);
}

static void progress_stderr(const char *what, size_t done, size_t total, void *ctx)
{
	(void)ctx;
	if (total)
		fprintf(stderr, "wgportal: copying %s: %zu of %zu\n", what, done, total);
	else
		fprintf(stderr, "wgportal: copying %s: %zu\n", what, done);
}

struct store_config cli_store_config(const struct cfg *cfg)
{
	return (struct store_config){
		.type = cfg->database.type,
		.dsn = cfg->database.dsn,
		.passphrase = cfg->database.encryption_passphrase,
		.debug = cfg->database.debug,
		.slow_query_ms = cfg->database.slow_query_threshold_ms,
		.default_peer_creation = cfg->core.create_default_peer,
	};
}

char *cli_dsn_shown(const char *type, const char *dsn)
{
	enum db_engine e = DB_SQLITE;

	(void)db_engine_parse(type, &e, NULL);
	return db_dsn_redact(e, dsn);
}

int cli_migrate_from(const struct cfg *cfg, const char *src_type, const char *src_dsn)
{
	struct store_config dst = cli_store_config(cfg);
	struct store_copy_report *rep = calloc(1, sizeof(*rep));
	char *from = cli_dsn_shown(src_type, src_dsn), *to = cli_dsn_shown(dst.type, dst.dsn);
	struct timespec t0, t1;
	struct err err;
	bool same = true;
	int r;

	dst.progress = progress_stderr;
	err_clear(&err);
	if (!rep || !from || !to) {
		fprintf(stderr, "wgportal: out of memory\n");
		r = -1;
		goto out;
	}
	fprintf(stderr, "wgportal: copying %s '%s' into %s '%s'\n", src_type, from, dst.type, to);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = store_migrate_from(&dst, src_type, src_dsn, rep, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r < 0) {
		fprintf(stderr, "wgportal: --migrate-from: %s\n", err.msg);
		goto out;
	}
	printf("copied %s from %s '%s' into %s '%s' in %.1f s:\n", rep->source, src_type, from,
	       dst.type, to, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("  %-22s %10s %10s\n", "", "source", "copied");
	for (size_t i = 0; i < rep->n_rows; i++) {
		printf("  %-22s %10lld %10lld\n", rep->rows[i].what, (long long)rep->rows[i].source,
		       (long long)rep->rows[i].copied);
		same = same && rep->rows[i].source == rep->rows[i].copied;
	}
	if (rep->orphans)
		printf("  %lld rows of wg-portal's child tables belong to records that no longer "
		       "exist and were left out\n", (long long)rep->orphans);
	printf("verification: %s\n", same ? "every count matches" : "COUNTS DIFFER");
out:
	free(rep);
	free(from);
	free(to);
	return r < 0 ? 1 : 0;
}
