/* SPDX-License-Identifier: MIT */
/*
 * Opening the configured database, taking over a wg-portal v2 database found there
 * (docs/wg-portal-import.md), and wgportal --migrate-from. The order is always: detect, check
 * the secrets (a wrong passphrase must change nothing), then create and copy in one
 * transaction. For SQLite, whose file holds wg-portal's tables under our names, the copy goes
 * to a new file that replaces the original only when complete; the original stays beside it.
 */
#include "store/store-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db_dsn.h"
#include "store/store-copy.h"
#include "store/wgp2.h"
#include "util/err.h"

#define NEW_SUFFIX ".wgportal-new"
#define BACKUP_SUFFIX ".wg-portal-v2.bak"
#define MARK_KEY "wgportal_v2_import"

static void notice(const struct store_config *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notice(const struct store_config *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->notice(msg, c->ctx);
}

static struct store_open_opts open_opts(const struct store_config *c, enum db_engine e,
					const char *dsn)
{
	return (struct store_open_opts){
		.engine = e, .dsn = dsn, .passphrase = c->passphrase,
		.db = { .debug = c->debug, .slow_query_ms = c->slow_query_ms },
	};
}

/* Zone-less times (MySQL DATETIME) are in the DSN's loc, as go-sql-driver wrote them. */
static long naive_offset(enum db_engine e, const char *dsn)
{
	struct db_mysql_dsn d;
	long off = 0;

	if (e != DB_MYSQL || db_mysql_dsn_parse(dsn, &d, NULL) < 0)
		return 0;
	if (d.loc && !strcmp(d.loc, "Local"))
		off = WGP2_LOCAL_TIME;
	db_mysql_dsn_release(&d);
	return off;
}

static struct wgp2_opts import_opts(const struct store_config *c, enum db_engine src_engine,
				    const char *src_dsn)
{
	return (struct wgp2_opts){
		.passphrase = c->passphrase,
		.default_peer_creation = c->default_peer_creation,
		.naive_time_offset = naive_offset(src_engine, src_dsn),
		.progress = c->progress, .ctx = c->ctx,
	};
}

static void report_counts(struct store_copy_report *rep, const struct wgp2_counts *src,
			  const struct wgp2_counts *dst)
{
	const struct store_copy_row rows[] = {
		{ "users", src->users, dst->users },
		{ "login sources", src->auths, dst->auths },
		{ "passkeys", src->passkeys, dst->passkeys },
		{ "interfaces", src->ifaces, dst->ifaces },
		{ "interface addresses", src->iface_addrs, dst->iface_addrs },
		{ "peers", src->peers, dst->peers },
		{ "peer addresses", src->peer_addrs, dst->peer_addrs },
		{ "audit entries", src->audit, dst->audit },
	};

	memcpy(rep->rows, rows, sizeof(rows));
	rep->n_rows = sizeof(rows) / sizeof(rows[0]);
	rep->orphans = src->orphans;
}

static bool file_exists(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0;
}

/* "<dsn>.wg-portal-v2.bak", or .1, .2, ... if taken. */
static int backup_name(const char *path, char *out, size_t size)
{
	for (int i = 0; i < 1000; i++) {
		int n = i ? snprintf(out, size, "%s%s.%d", path, BACKUP_SUFFIX, i)
			  : snprintf(out, size, "%s%s", path, BACKUP_SUFFIX);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		if (!file_exists(out))
			return 0;
	}
	return -EEXIST;
}

static void remove_db_files(const char *path)
{
	char p[4300];

	(void)unlink(path);
	snprintf(p, sizeof(p), "%.4200s-wal", path);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%.4200s-shm", path);
	(void)unlink(p);
}

/* The parent directory of path, synced so both renames are durable. */
static void sync_dir(const char *path)
{
	char dir[4096];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/*
 * SQLite: wg-portal's file at path is copied into path.wgportal-new; then the original is
 * renamed to the backup name and the new file to path. A crash between the two renames
 * leaves path missing with both files beside it: finished at the next start.
 */
static int sqlite_takeover(const struct store_config *c, struct store_copy_report *rep,
			   struct err *err)
{
	char fresh[4200], backup[4200];
	struct wgp2_counts rd = { 0 }, wr = { 0 };
	struct wgp2_opts io = import_opts(c, DB_SQLITE, c->dsn);
	struct db_options ro = { .read_only = true };
	struct store_open_opts so;
	struct store *st = NULL;
	struct db *src = NULL;
	int version = 0, r;

	if (strlen(c->dsn) > 4000)
		return err_field(err, -ENAMETOOLONG, "database.dsn", "database path too long");
	snprintf(fresh, sizeof(fresh), "%s%s", c->dsn, NEW_SUFFIX);
	if (!file_exists(c->dsn)) {
		/* a take-over interrupted between its two renames: the copy was complete (it is
		 * renamed only after its commit and close) and the original is the backup */
		snprintf(backup, sizeof(backup), "%s%s", c->dsn, BACKUP_SUFFIX);
		if (file_exists(fresh) && file_exists(backup) && rename(fresh, c->dsn) == 0) {
			sync_dir(c->dsn);
			notice(c, "finished the interrupted take-over of wg-portal's database; the "
				  "original is kept as '%s'", backup);
		}
		return 0;
	}
	r = db_open(DB_SQLITE, c->dsn, &ro, &src, err);
	if (r == 0)
		r = wgp2_detect(src, &version, err);
	if (r < 0 || version == 0) {
		db_close(src);
		return r;
	}
	notice(c, "'%s' is a wg-portal v2 database (schema %d): taking it over", c->dsn, version);
	r = wgp2_check_secrets(src, &io, err);
	if (r < 0)
		goto fail;
	remove_db_files(fresh); /* a copy an earlier attempt left unfinished */
	so = open_opts(c, DB_SQLITE, fresh);
	r = store_open_opts(&so, &st, err);
	if (r == 0)
		r = wgp2_import(src, version, st, &io, &rd, &wr, err);
	store_close(st);
	db_close(src);
	src = NULL;
	if (r < 0)
		goto fail;
	r = backup_name(c->dsn, backup, sizeof(backup));
	if (r == 0 && rename(c->dsn, backup) < 0)
		r = err_set(err, -errno, "cannot keep the original as '%s': %s", backup,
			    strerror(errno));
	if (r == 0 && rename(fresh, c->dsn) < 0) {
		r = err_set(err, -errno, "cannot move the copy to '%s': %s", c->dsn, strerror(errno));
		(void)rename(backup, c->dsn);
	}
	if (r < 0)
		goto fail;
	sync_dir(c->dsn);
	if (rep) {
		report_counts(rep, &rd, &wr);
		snprintf(rep->source, sizeof(rep->source), "wg-portal v2 (schema %d)", version);
		snprintf(rep->backup, sizeof(rep->backup), "%.*s", (int)sizeof(rep->backup) - 1,
			 backup);
	}
	notice(c, "took over wg-portal's database: %lld users, %lld interfaces, %lld peers; the "
		  "original is kept as '%s'", (long long)wr.users, (long long)wr.ifaces,
	       (long long)wr.peers, backup);
	return 0;
fail:
	db_close(src);
	remove_db_files(fresh);
	return err_prefix(err, "taking over wg-portal's database '%s'", c->dsn);
}

/* A server: wg-portal's tables in the DSN's schema/database, ours beside them. Returns the
 * schema version to import (0: nothing to do) after the checks that must precede creating
 * anything. */
static int server_detect(const struct store_config *c, enum db_engine e, int *version,
			 struct err *err)
{
	struct wgp2_opts io = import_opts(c, e, c->dsn);
	struct db_options o = { .debug = c->debug, .slow_query_ms = c->slow_query_ms };
	struct db_stmt *s = NULL;
	struct db *db = NULL;
	bool ours = false;
	int r;

	*version = 0;
	r = db_open(e, c->dsn, &o, &db, err);
	if (r == 0)
		r = wgp2_detect(db, version, err);
	if (r == 0 && *version)
		r = db_table_exists(db, "meta", &ours, err);
	if (r == 0 && ours) {
		r = db_prepare(db, "SELECT value FROM meta WHERE key = '" MARK_KEY "'", &s, err);
		if (r == 0)
			r = db_step(s, err);
		if (r == DB_ROW) {
			notice(c, "wg-portal's tables were taken over before (%s); they are left as "
				  "they are", db_column_text(s, 0) ? db_column_text(s, 0) : "");
			*version = 0;
		}
		r = r < 0 ? r : 0;
		db_finalize(s);
	}
	if (r == 0 && *version) {
		notice(c, "the database holds wg-portal v2 tables (schema %d): taking them over",
		       *version);
		r = wgp2_check_secrets(db, &io, err);
	}
	db_close(db);
	return r;
}

int store_open_config(const struct store_config *c, struct store **ret,
		      struct store_copy_report *report, struct err *err)
{
	struct store_open_opts so;
	struct wgp2_counts rd = { 0 }, wr = { 0 };
	struct store *st = NULL;
	enum db_engine e;
	int version = 0, r;

	r = db_engine_parse(c->type, &e, err);
	if (r < 0)
		return r;
	if (!c->dsn || !*c->dsn)
		return err_field(err, -EINVAL, "database.dsn", "database.dsn is empty");
	if (e == DB_SQLITE && strcmp(c->dsn, ":memory:") != 0)
		r = sqlite_takeover(c, report, err);
	else if (e != DB_SQLITE)
		r = server_detect(c, e, &version, err);
	if (r < 0)
		return r;
	so = open_opts(c, e, c->dsn);
	r = store_open_opts(&so, &st, err);
	if (r == 0 && version) {
		struct wgp2_opts io = import_opts(c, e, c->dsn);
		r = wgp2_import(st->db, version, st, &io, &rd, &wr, err);
		if (r < 0)
			err_prefix(err, "taking over wg-portal's tables");
		if (r == 0 && report) {
			report_counts(report, &rd, &wr);
			snprintf(report->source, sizeof(report->source), "wg-portal v2 (schema %d)",
				 version);
		}
		if (r == 0)
			notice(c, "took over wg-portal's tables: %lld users, %lld interfaces, %lld "
				  "peers; wg-portal's own tables are unchanged", (long long)wr.users,
			       (long long)wr.ifaces, (long long)wr.peers);
	}
	if (r < 0) {
		store_close(st);
		return r;
	}
	*ret = st;
	return 0;
}

int store_migrate_from(const struct store_config *dst, const char *src_type,
		       const char *src_dsn, struct store_copy_report *rep, struct err *err)
{
	struct db_options ro = { .read_only = true, .debug = dst->debug,
				 .slow_query_ms = dst->slow_query_ms };
	struct wgp2_counts rd = { 0 }, wr = { 0 };
	struct store_open_opts so;
	struct store *st = NULL;
	struct db *src = NULL;
	enum db_engine se, de;
	bool ours = false;
	int version = 0, ours_version = 0, r;

	memset(rep, 0, sizeof(*rep));
	r = db_engine_parse(src_type, &se, err);
	if (r == 0)
		r = db_engine_parse(dst->type, &de, err);
	if (r == 0)
		r = db_open(se, src_dsn, &ro, &src, err);
	if (r == 0)
		r = wgp2_detect(src, &version, err);
	if (r == 0 && !version)
		r = db_table_exists(src, "schema_version", &ours, err);
	if (r < 0)
		goto out;
	if (version) {
		struct wgp2_opts io = import_opts(dst, se, src_dsn);

		snprintf(rep->source, sizeof(rep->source), "wg-portal v2 (schema %d)", version);
		r = wgp2_check_secrets(src, &io, err);
		so = open_opts(dst, de, dst->dsn);
		if (r == 0)
			r = store_open_opts(&so, &st, err);
		if (r == 0)
			r = wgp2_import(src, version, st, &io, &rd, &wr, err);
		report_counts(rep, &rd, &wr);
	} else if (ours) {
		struct store tmp = { .db = src };
		struct store_copy_opts co = { dst->passphrase, dst->progress, dst->ctx };

		r = store_read_version(&tmp, &ours_version, err);
		if (r == 0 && ours_version != STORE_SCHEMA_VERSION_LATEST)
			r = err_set(err, -EPROTO, "the source is a wgportal database at schema %d, "
				    "this wgportal writes %d: start wgportal on it once (it upgrades "
				    "itself), then copy", ours_version, STORE_SCHEMA_VERSION_LATEST);
		snprintf(rep->source, sizeof(rep->source), "wgportal (schema %d)", ours_version);
		so = open_opts(dst, de, dst->dsn);
		so.skip_secret_setup = true;
		if (r == 0)
			r = store_open_opts(&so, &st, err);
		if (r == 0)
			r = store_copy_ours(src, st, &co, rep, err);
	} else {
		r = err_set(err, -EINVAL, "the source holds neither a wg-portal v2 database (no "
			    "sys_stats table) nor a wgportal one (no schema_version table)");
	}
out:
	store_close(st);
	db_close(src);
	return r;
}
