/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests: temporary directories and fixture files. */
#include "testlib.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store-int.h"
#include "util/err.h"

char *test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/wgportal-test-XXXXXX", base && *base ? base : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

void test_tmpdir_remove(const char *dir)
{
	if (dir)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *test_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[len] = '\0';
		}
	}
	fclose(f);
	return buf;
}

int test_db_engine(void)
{
	const char *e = getenv("WGPORTAL_TEST_DB");
	enum db_engine engine = DB_SQLITE;

	if (e && *e && db_engine_parse(e, &engine, NULL) < 0)
		engine = DB_SQLITE;
	return (int)engine;
}

int test_db_fresh(const char *sqlite_path, char **dsn)
{
	static unsigned counter;
	const char *tmpl = getenv("WGPORTAL_TEST_DB_DSN");
	enum db_engine engine = (enum db_engine)test_db_engine();
	char name[64], sql[128], *admin = NULL;
	struct err err = { 0 };
	struct db *db = NULL;
	int r;

	if (engine == DB_SQLITE || !tmpl) {
		*dsn = strdup(sqlite_path);
		return *dsn ? 0 : -ENOMEM;
	}
	snprintf(name, sizeof(name), "wgpt_%ld_%u", (long)getpid(), counter++);
	/* the server's own database holds the CREATE DATABASE */
	if (asprintf(&admin, tmpl, engine == DB_POSTGRES ? "postgres" : "") < 0)
		return -ENOMEM;
	r = db_open(engine, admin, NULL, &db, &err);
	free(admin);
	if (r < 0) {
		fprintf(stderr, "# test database server: %s\n", err.msg);
		return r;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	r = db_exec(db, sql, &err);
	db_close(db);
	if (r < 0) {
		fprintf(stderr, "# %s: %s\n", sql, err.msg);
		return r;
	}
	return asprintf(dsn, tmpl, name) < 0 ? -ENOMEM : 0;
}

int test_store_reopen(const char *dsn, const char *passphrase, struct store **st)
{
	struct store_open_opts o = { .engine = (enum db_engine)test_db_engine(), .dsn = dsn,
				     .passphrase = passphrase };
	struct err err = { 0 };
	int r = store_open_opts(&o, st, &err);

	if (r < 0)
		fprintf(stderr, "# store_open: %s\n", err.msg);
	return r;
}

int test_store_fresh(const char *sqlite_path, const char *passphrase, struct store **st,
		     char **dsn)
{
	char *d = NULL;
	int r = test_db_fresh(sqlite_path, &d);

	if (r == 0)
		r = test_store_reopen(d, passphrase, st);
	if (r == 0 && dsn)
		*dsn = d;
	else
		free(d);
	return r;
}
