/* SPDX-License-Identifier: MIT */
/*
 * Parsers for database.dsn as wg-portal's drivers read it: pgx (jackc/pgx pgconn/config.go:
 * key=value or postgres:// URL; keys outside its connection settings become run-time
 * parameters of the session) and go-sql-driver/mysql (dsn.go: the last '@' before the last
 * '/' ends user:password, net(addr) before that, params after '?'). See docs/database.md.
 */
#include "store/db_dsn.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

#define DSN_MAX 4096

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* %XX decoding; plus_space: '+' is a space (Go's url.ParseQuery, for query values). */
static char *pct_decode(const char *s, size_t len, bool plus_space)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = plus_space && s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

/* ---- PostgreSQL --------------------------------------------------------------------------- */

void db_pg_dsn_release(struct db_pg_dsn *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->keys[i]);
		wipe_free(d->values[i]);
	}
	free(d->keys);
	free(d->values);
	memset(d, 0, sizeof(*d));
}

const char *db_pg_dsn_get(const struct db_pg_dsn *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->keys[i], key))
			return d->values[i];
	return NULL;
}

/* Sets key (replacing an earlier value: the last one wins, as in pgx and libpq). */
static int pg_set(struct db_pg_dsn *d, const char *key, size_t klen, char *value)
{
	char **nk, **nv, *k;

	if (!value)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		if (strlen(d->keys[i]) == klen && !memcmp(d->keys[i], key, klen)) {
			wipe_free(d->values[i]);
			d->values[i] = value;
			return 0;
		}
	}
	k = strndup(key, klen);
	nk = realloc(d->keys, (d->n + 2) * sizeof(*nk));
	if (nk)
		d->keys = nk;
	nv = realloc(d->values, (d->n + 2) * sizeof(*nv));
	if (nv)
		d->values = nv;
	if (!k || !nk || !nv) {
		free(k);
		wipe_free(value);
		return -ENOMEM;
	}
	d->keys[d->n] = k;
	d->values[d->n] = value;
	d->n++;
	d->keys[d->n] = NULL;
	d->values[d->n] = NULL;
	return 0;
}

int db_pg_dsn_default(struct db_pg_dsn *d, const char *key, const char *value)
{
	if (db_pg_dsn_get(d, key))
		return 0;
	return pg_set(d, key, strlen(key), strdup(value));
}

/* Collects one setting: a libpq keyword as such (pgx's "database" is libpq's "dbname"), any
 * other name as a run-time parameter "-c name=value" in options (spaces and backslashes
 * escaped as libpq's options wants). */
static int pg_setting(struct db_pg_dsn *d, bool (*is_keyword)(const char *), struct buf *opts,
		      const char *key, size_t klen, char *value, struct err *err)
{
	char name[64];
	int r;

	if (!value)
		return err_set(err, -ENOMEM, "out of memory");
	if (klen == 0 || klen >= sizeof(name)) {
		wipe_free(value);
		return err_field(err, -EINVAL, "database.dsn", "malformed PostgreSQL DSN (a key is "
				 "empty or too long)");
	}
	memcpy(name, key, klen);
	name[klen] = '\0';
	if (!strcmp(name, "database"))
		snprintf(name, sizeof(name), "dbname");
	if (is_keyword(name) && strcmp(name, "options") != 0)
		return pg_set(d, name, strlen(name), value) < 0 ? err_set(err, -ENOMEM, "out of memory")
								 : 0;
	if (!strcmp(name, "options")) {
		r = buf_printf(opts, "%s%s", opts->len ? " " : "", value);
	} else {
		r = buf_printf(opts, "%s-c %s=", opts->len ? " " : "", name);
		for (const char *v = value; r == 0 && *v; v++) {
			if (*v == ' ' || *v == '\\')
				r = buf_append(opts, "\\", 1);
			if (r == 0)
				r = buf_append(opts, v, 1);
		}
	}
	wipe_free(value);
	return r < 0 ? err_field(err, -EINVAL, "database.dsn", "PostgreSQL DSN too long") : 0;
}

/* key=value pairs separated by blanks; values may be 'quoted' with \' and \\ escapes. */
static int pg_parse_kv(const char *s, bool (*is_keyword)(const char *), struct db_pg_dsn *d,
		       struct buf *opts, struct err *err)
{
	while (*s) {
		const char *key;
		size_t klen;
		struct buf v;
		int r = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		key = s;
		while (*s && *s != '=' && !isspace((unsigned char)*s))
			s++;
		klen = (size_t)(s - key);
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '=')
			return err_field(err, -EINVAL, "database.dsn",
					 "malformed PostgreSQL DSN: expected key=value");
		s++;
		while (isspace((unsigned char)*s))
			s++;
		buf_init(&v, DSN_MAX);
		if (*s == '\'') {
			for (s++; *s && *s != '\'' && r == 0; s++) {
				if (*s == '\\' && s[1])
					s++;
				r = buf_append(&v, s, 1);
			}
			if (*s != '\'') {
				buf_wipe(&v);
				return err_field(err, -EINVAL, "database.dsn", "malformed PostgreSQL "
						 "DSN: unterminated quoted value");
			}
			s++;
		} else {
			for (; *s && !isspace((unsigned char)*s) && r == 0; s++) {
				if (*s == '\\' && s[1])
					s++;
				r = buf_append(&v, s, 1);
			}
		}
		if (r < 0) {
			buf_wipe(&v);
			return err_field(err, -EINVAL, "database.dsn", "PostgreSQL DSN too long");
		}
		r = pg_setting(d, is_keyword, opts, key, klen, buf_detach(&v), err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* postgres://[user[:password]@][host[:port][,host[:port]...]][/dbname][?k=v&...] */
static int pg_parse_url(const char *s, bool (*is_keyword)(const char *), struct db_pg_dsn *d,
			struct buf *opts, struct err *err)
{
	const char *rest = strstr(s, "://") + 3, *at, *slash, *q, *end;
	struct buf hosts, ports;
	int r = 0;

	q = strchr(rest, '?');
	end = q ? q : rest + strlen(rest);
	slash = memchr(rest, '/', (size_t)(end - rest));
	if (!slash)
		slash = end;
	at = NULL;
	for (const char *p = rest; p < slash; p++)
		if (*p == '@')
			at = p;
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		r = pg_setting(d, is_keyword, opts, "user", 4,
			       pct_decode(rest, (size_t)((colon ? colon : at) - rest), false), err);
		if (r == 0 && colon)
			r = pg_setting(d, is_keyword, opts, "password", 8,
				       pct_decode(colon + 1, (size_t)(at - colon - 1), false), err);
		if (r < 0)
			return r;
		rest = at + 1;
	}
	/* host list: h[:p] separated by ',', IPv6 in [brackets] */
	buf_init(&hosts, DSN_MAX);
	buf_init(&ports, DSN_MAX);
	for (const char *h = rest; h < slash && r == 0;) {
		const char *comma = memchr(h, ',', (size_t)(slash - h));
		const char *he = comma ? comma : slash, *colon = NULL, *hs = h, *hend;

		if (*h == '[') {
			const char *rb = memchr(h, ']', (size_t)(he - h));
			if (!rb) {
				r = err_field(err, -EINVAL, "database.dsn",
					      "malformed PostgreSQL URL: unterminated [IPv6] host");
				break;
			}
			hs = h + 1;
			hend = rb;
			if (rb + 1 < he && rb[1] == ':')
				colon = rb + 1;
		} else {
			colon = memchr(h, ':', (size_t)(he - h));
			hend = colon ? colon : he;
		}
		char *hv = pct_decode(hs, (size_t)(hend - hs), false);
		r = hv ? buf_printf(&hosts, "%s%s", hosts.len ? "," : "", hv) : -ENOMEM;
		free(hv);
		if (r == 0)
			r = buf_printf(&ports, "%s%.*s", h == rest ? "" : ",",
				       colon ? (int)(he - colon - 1) : 0, colon ? colon + 1 : "");
		h = comma ? comma + 1 : slash;
	}
	if (r == 0 && hosts.len)
		r = pg_setting(d, is_keyword, opts, "host", 4, buf_detach(&hosts), err);
	if (r == 0 && ports.len && strspn(ports.p, ",") != ports.len)
		r = pg_setting(d, is_keyword, opts, "port", 4, buf_detach(&ports), err);
	buf_release(&hosts);
	buf_release(&ports);
	if (r == 0 && slash < end && slash + 1 < end)
		r = pg_setting(d, is_keyword, opts, "dbname", 6,
			       pct_decode(slash + 1, (size_t)(end - slash - 1), false), err);
	for (const char *p = q ? q + 1 : NULL; p && *p && r == 0;) {
		const char *amp = strchr(p, '&'), *pe = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(pe - p));

		if (eq) {
			char *k = pct_decode(p, (size_t)(eq - p), true);
			if (!k)
				return err_set(err, -ENOMEM, "out of memory");
			r = pg_setting(d, is_keyword, opts, k, strlen(k),
				       pct_decode(eq + 1, (size_t)(pe - eq - 1), true), err);
			free(k);
		}
		p = amp ? amp + 1 : NULL;
	}
	return r;
}

int db_pg_dsn_parse(const char *dsn, bool (*is_keyword)(const char *key), struct db_pg_dsn *ret,
		    struct err *err)
{
	struct db_pg_dsn d = { 0 };
	struct buf opts;
	int r;

	if (strlen(dsn) > DSN_MAX)
		return err_field(err, -EINVAL, "database.dsn", "database.dsn is too long");
	buf_init(&opts, DSN_MAX);
	if (!strncmp(dsn, "postgres://", 11) || !strncmp(dsn, "postgresql://", 13))
		r = pg_parse_url(dsn, is_keyword, &d, &opts, err);
	else
		r = pg_parse_kv(dsn, is_keyword, &d, &opts, err);
	if (r == 0 && opts.len) {
		char *o = buf_detach(&opts);
		r = o ? pg_set(&d, "options", 7, o) : -ENOMEM;
		if (r < 0)
			err_set(err, r, "out of memory");
	}
	buf_release(&opts);
	if (r < 0) {
		db_pg_dsn_release(&d);
		return r;
	}
	*ret = d;
	return 0;
}

/* ---- MySQL -------------------------------------------------------------------------------- */

int db_go_duration_ms(const char *s, int64_t *ret)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 },
		      { "s", 1000 },  { "m", 60000 }, { "h", 3600000 } };
	double total = 0;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*ret = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t best = 0;
		int u = -1;

		if (end == s || v < 0)
			return -EINVAL;
		for (int i = 0; i < (int)(sizeof(units) / sizeof(units[0])); i++) {
			size_t l = strlen(units[i].unit);
			if (!strncmp(end, units[i].unit, l) && l > best) {
				best = l;
				u = i;
			}
		}
		if (u < 0)
			return -EINVAL;
		total += v * units[u].ms;
		s = end + best;
	}
	if (total > 1e12)
		return -EINVAL;
	*ret = (int64_t)total;
	return 0;
}

void db_mysql_dsn_release(struct db_mysql_dsn *d)
{
	free(d->user);
	wipe_free(d->password);
	free(d->host);
	free(d->socket);
	free(d->dbname);
	free(d->loc);
	memset(d, 0, sizeof(*d));
}

static int my_param(struct db_mysql_dsn *d, const char *k, const char *v, struct err *err)
{
	int64_t ms;

	if (!strcmp(k, "timeout") || !strcmp(k, "readTimeout") || !strcmp(k, "writeTimeout")) {
		if (db_go_duration_ms(v, &ms) < 0)
			return err_field(err, -EINVAL, "database.dsn", "MySQL DSN: %s '%.32s' is "
					 "not a duration (like 5s)", k, v);
		if (!strcmp(k, "timeout"))
			d->timeout_ms = ms;
		else if (!strcmp(k, "readTimeout"))
			d->read_timeout_ms = ms;
		else
			d->write_timeout_ms = ms;
	} else if (!strcmp(k, "loc")) {
		free(d->loc);
		d->loc = strdup(v);
		if (!d->loc)
			return err_set(err, -ENOMEM, "out of memory");
	} else if (!strcmp(k, "tls")) {
		if (!strcmp(v, "true"))
			d->tls = DB_MYSQL_TLS_VERIFY;
		else if (!strcmp(v, "skip-verify"))
			d->tls = DB_MYSQL_TLS_SKIP_VERIFY;
		else if (!strcmp(v, "preferred"))
			d->tls = DB_MYSQL_TLS_PREFERRED;
		else if (!strcmp(v, "false"))
			d->tls = DB_MYSQL_TLS_OFF;
		else
			return err_field(err, -EINVAL, "database.dsn", "MySQL DSN: tls '%.32s' is not "
					 "supported (true, false, skip-verify, preferred)", v);
	}
	/* Everything else (charset, parseTime, loc, collation, ...) shapes Go values or the
	 * session; this driver always talks utf8mb4 with its own session settings. */
	return 0;
}

/* host:port (or [v6]:port, or host alone) into d; the port defaults to 3306. */
static int my_tcp_addr(struct db_mysql_dsn *d, const char *addr, size_t alen, struct err *err)
{
	const char *colon = NULL, *hend = addr + alen, *hstart = addr;

	if (alen && *addr == '[') {
		const char *rb = memchr(addr, ']', alen);
		if (!rb)
			return err_field(err, -EINVAL, "database.dsn",
					 "malformed MySQL DSN: unterminated [IPv6] address");
		hstart = addr + 1;
		hend = rb;
		colon = rb + 1 < addr + alen && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memrchr(addr, ':', alen);
		if (colon)
			hend = colon;
	}
	d->host = hend > hstart ? strndup(hstart, (size_t)(hend - hstart)) : strdup("127.0.0.1");
	if (!d->host)
		return err_set(err, -ENOMEM, "out of memory");
	if (colon) {
		char *e;
		long port = strtol(colon + 1, &e, 10);
		if (e != addr + alen || port <= 0 || port > 65535)
			return err_field(err, -EINVAL, "database.dsn", "malformed MySQL DSN: bad port");
		d->port = (unsigned)port;
	}
	return 0;
}

/* go-sql-driver's ParseDSN: the last '/' starts the dbname; the last '@' before it ends
 * user[:password] (split at the first ':'); net(addr) lies between them. */
int db_mysql_dsn_parse(const char *dsn, struct db_mysql_dsn *ret, struct err *err)
{
	struct db_mysql_dsn d = { .port = 3306 };
	const char *slash = strrchr(dsn, '/'), *at = NULL, *net, *lp, *q;
	int r = 0;

	if (strlen(dsn) > DSN_MAX)
		return err_field(err, -EINVAL, "database.dsn", "database.dsn is too long");
	if (!slash)
		return err_field(err, -EINVAL, "database.dsn", "malformed MySQL DSN: missing the "
				 "'/' before the database name (user:password@tcp(host:port)/dbname)");
	for (const char *p = dsn; p < slash; p++)
		if (*p == '@')
			at = p;
	if (at) {
		const char *colon = memchr(dsn, ':', (size_t)(at - dsn));
		d.user = strndup(dsn, (size_t)((colon ? colon : at) - dsn));
		d.password = colon ? strndup(colon + 1, (size_t)(at - colon - 1)) : NULL;
		if (!d.user || (colon && !d.password))
			goto oom;
	}
	net = at ? at + 1 : dsn;
	lp = memchr(net, '(', (size_t)(slash - net));
	if (lp && slash[-1] != ')') {
		r = err_field(err, -EINVAL, "database.dsn", "malformed MySQL DSN: network address "
			      "not terminated (missing closing parenthesis)");
		goto fail;
	}
	{
		size_t nlen = (size_t)((lp ? lp : slash) - net);
		const char *addr = lp ? lp + 1 : NULL;
		size_t alen = lp ? (size_t)(slash - 1 - addr) : 0;

		if (nlen == 0 || (nlen == 3 && !memcmp(net, "tcp", 3))) {
			r = my_tcp_addr(&d, addr ? addr : "", alen, err);
		} else if (nlen == 4 && !memcmp(net, "unix", 4)) {
			d.socket = alen ? strndup(addr, alen) : strdup("/tmp/mysql.sock");
			if (!d.socket)
				goto oom;
		} else {
			r = err_field(err, -EINVAL, "database.dsn", "MySQL DSN: network '%.*s' is not "
				      "supported (tcp or unix)", (int)(nlen > 16 ? 16 : nlen), net);
		}
		if (r < 0)
			goto fail;
	}
	q = strchr(slash, '?');
	d.dbname = pct_decode(slash + 1, q ? (size_t)(q - slash - 1) : strlen(slash + 1), false);
	if (!d.dbname)
		goto oom;
	for (const char *p = q ? q + 1 : NULL; p && *p && r == 0;) {
		const char *amp = strchr(p, '&'), *pe = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(pe - p));

		if (eq) {
			char *k = strndup(p, (size_t)(eq - p));
			char *v = pct_decode(eq + 1, (size_t)(pe - eq - 1), true);
			r = k && v ? my_param(&d, k, v, err) : err_set(err, -ENOMEM, "out of memory");
			free(k);
			free(v);
		}
		p = amp ? amp + 1 : NULL;
	}
	if (r < 0)
		goto fail;
	*ret = d;
	return 0;
oom:
	r = err_set(err, -ENOMEM, "out of memory");
fail:
	db_mysql_dsn_release(&d);
	return r;
}

/* ---- redaction ---------------------------------------------------------------------------- */

/* dsn with the part between colon and at (a "user:password@" password) replaced. */
static char *redact_userinfo(const char *dsn, const char *colon, const char *at)
{
	struct buf b;

	buf_init(&b, DSN_MAX * 2);
	if (buf_append(&b, dsn, (size_t)(colon - dsn)) < 0 || buf_puts(&b, ":***") < 0 ||
	    buf_puts(&b, at) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* key=value: every value of a key ending in "password" (password, sslpassword). */
static char *redact_kv(const char *dsn)
{
	struct buf b;
	const char *p = dsn;

	buf_init(&b, DSN_MAX * 2);
	while (*p) {
		const char *key = p, *eq;
		size_t klen;

		while (*p && !isspace((unsigned char)*p) && *p != '=')
			p++;
		klen = (size_t)(p - key);
		eq = p;
		while (isspace((unsigned char)*eq))
			eq++;
		buf_append(&b, key, (size_t)(eq - key));
		if (*eq != '=') {
			p = eq;
			while (isspace((unsigned char)*p))
				buf_append(&b, p++, 1);
			continue;
		}
		buf_append(&b, "=", 1);
		p = eq + 1;
		while (isspace((unsigned char)*p))
			buf_append(&b, p++, 1);
		const char *v = p;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			while (*p && !isspace((unsigned char)*p))
				p++;
		}
		if (klen >= 8 && !memcmp(key + klen - 8, "password", 8))
			buf_puts(&b, "***");
		else
			buf_append(&b, v, (size_t)(p - v));
		while (isspace((unsigned char)*p))
			buf_append(&b, p++, 1);
	}
	return buf_detach(&b);
}

char *db_dsn_redact(enum db_engine engine, const char *dsn)
{
	const char *rest, *at, *colon, *slash;

	if (!dsn)
		return NULL;
	if (engine == DB_SQLITE)
		return strdup(dsn);
	if (engine == DB_POSTGRES) {
		if (!(rest = strstr(dsn, "://")))
			return redact_kv(dsn);
		/* URL: scheme://user:***@host (a '@' in the password is %40) */
		rest += 3;
		at = strchr(rest, '@');
		colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
		return colon ? redact_userinfo(dsn, colon, at) : strdup(dsn);
	}
	/* MySQL: user:***@net(addr)/db, the last '@' before the last '/' */
	slash = strrchr(dsn, '/');
	at = NULL;
	for (const char *c = dsn; slash && c < slash; c++)
		if (*c == '@')
			at = c;
	colon = at ? memchr(dsn, ':', (size_t)(at - dsn)) : NULL;
	return colon ? redact_userinfo(dsn, colon, at) : strdup(dsn);
}
