/* SPDX-License-Identifier: MIT */
/*
 * The one place where SQL text differs between engines: neutral SQL (db.h) is rewritten for
 * an engine's struct db_dialect. A small tokenizer walks the statement, copying string
 * literals, quoted identifiers and comments untouched, and rewrites placeholders, the {...}
 * DDL tokens, the types INTEGER/BLOB, "x COLLATE NOCASE", upserts, reserved identifiers and
 * (MySQL) the names of our tables, which there share one namespace with wg-portal's.
 */
#include "store/db-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define SQL_MAX (1u << 20)

/* Our tables, as named in neutral SQL. A dialect with a table_prefix renames exactly these;
 * tests/unit/test_db.c checks that every table the migrations create is listed. */
static const char *const our_tables[] = {
	"schema_version", "meta", "interfaces", "interface_addresses", "peers", "peer_addresses",
	"users", "peer_statuses", "interface_statuses", "audit_entries", "sessions",
	"user_authentications", "user_passkeys", "deliveries", "cluster_nodes", "throttles",
	"ldap_interface_users", "totp_secrets", "totp_recovery_codes", "signin_pending", NULL,
};

/* Lower-case identifiers that PostgreSQL or MySQL reserve and that we use as column names. */
static const char *const reserved[] = { "user", "key", NULL };

static bool in_list(const char *const *list, const char *s, size_t len);

bool db_sql_is_our_table(const char *name)
{
	return in_list(our_tables, name, strlen(name));
}

enum tok_type { TK_END, TK_WS, TK_STR, TK_QID, TK_COMMENT, TK_PH, TK_BRACE, TK_WORD, TK_OTHER };

struct tok {
	enum tok_type type;
	size_t len;
	long num; /* TK_PH: the number, 0 for a bare ? */
};

static bool is_word_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_word_char(char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9');
}

/* The token at s. Unterminated quotes run to the end (the engine reports the error). */
static struct tok next_tok(const char *s)
{
	struct tok t = { TK_OTHER, 1, 0 };
	size_t i = 0;

	if (!*s)
		return (struct tok){ TK_END, 0, 0 };
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
		while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			i++;
		return (struct tok){ TK_WS, i, 0 };
	}
	if (*s == '\'' || *s == '"') {
		char q = *s;
		for (i = 1; s[i]; i++) {
			if (s[i] == q && s[i + 1] == q)
				i++;
			else if (s[i] == q)
				break;
		}
		return (struct tok){ q == '\'' ? TK_STR : TK_QID, s[i] ? i + 1 : i, 0 };
	}
	if (s[0] == '-' && s[1] == '-') {
		while (s[i] && s[i] != '\n')
			i++;
		return (struct tok){ TK_COMMENT, i, 0 };
	}
	if (*s == '?') {
		long n = 0;
		for (i = 1; s[i] >= '0' && s[i] <= '9' && n < 100000; i++)
			n = n * 10 + (s[i] - '0');
		return (struct tok){ TK_PH, i, n };
	}
	if (*s == '{') {
		while (s[i] && s[i] != '}')
			i++;
		return (struct tok){ TK_BRACE, s[i] ? i + 1 : i, 0 };
	}
	if (is_word_start(*s)) {
		while (is_word_char(s[i]))
			i++;
		return (struct tok){ TK_WORD, i, 0 };
	}
	return t;
}

static bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !memcmp(s, w, len);
}

static bool in_list(const char *const *list, const char *s, size_t len)
{
	for (; *list; list++)
		if (word_is(s, len, *list))
			return true;
	return false;
}

/* Skips whitespace and comments from s; returns the next significant position. */
static const char *skip_ws(const char *s)
{
	for (;;) {
		struct tok t = next_tok(s);
		if (t.type != TK_WS && t.type != TK_COMMENT)
			return s;
		s += t.len;
	}
}

/* Matches the words/punctuation of pat (space-separated; "()" means a parenthesised group
 * of anything) at s, skipping whitespace. Returns the end of the match or NULL. */
static const char *match_seq(const char *s, const char *const *pat)
{
	for (; *pat; pat++) {
		struct tok t;

		s = skip_ws(s);
		t = next_tok(s);
		if (!strcmp(*pat, "()")) {
			if (*s != '(')
				return NULL;
			while (*s && *s != ')')
				s += next_tok(s).len;
			if (*s != ')')
				return NULL;
			s++;
			continue;
		}
		if (t.len != strlen(*pat) || memcmp(s, *pat, t.len))
			return NULL;
		s += t.len;
	}
	return s;
}

/* Placeholder numbering: bare ? takes one more than the highest so far (SQLite's rule). */
struct ph_scan {
	int max;
	int *occ;      /* numbers in order of occurrence */
	int nocc, cap;
};

static int ph_add(struct ph_scan *p, long n)
{
	int num = n ? (int)n : p->max + 1;

	if (n > 32766)
		return -EINVAL;
	if (num > p->max)
		p->max = num;
	if (p->nocc == p->cap) {
		int nc = p->cap ? p->cap * 2 : 16;
		int *no = realloc(p->occ, (size_t)nc * sizeof(*no));
		if (!no)
			return -ENOMEM;
		p->occ = no;
		p->cap = nc;
	}
	p->occ[p->nocc++] = num;
	return 0;
}

static int scan_placeholders(const char *sql, struct ph_scan *p)
{
	for (const char *s = sql; *s;) {
		struct tok t = next_tok(s);
		if (t.type == TK_PH) {
			int r = ph_add(p, t.num);
			if (r < 0)
				return r;
		}
		s += t.len;
	}
	return 0;
}

struct xlate {
	const struct db_dialect *d;
	struct buf out;
	size_t opstart, opend;   /* the last operand (identifier chain or placeholder) in out */
	bool create_table, create_index;
	char prev[16];           /* the last keyword-or-identifier token, for table positions */
	int *dense;              /* DB_PH_DOLLAR: placeholder number -> $k */
	struct ph_scan ph;
	int next_occ;
};

static int put(struct xlate *x, const char *s, size_t len)
{
	return buf_append(&x->out, s, len);
}

static int puts_(struct xlate *x, const char *s)
{
	return buf_puts(&x->out, s);
}

/* "x COLLATE NOCASE" with x = out[opstart, opend): lower(x), or x(191) in a MySQL index. */
static int rewrite_nocase(struct xlate *x)
{
	size_t n = x->opend - x->opstart;
	char *operand = malloc(n + 1);
	int r;

	if (!operand)
		return -ENOMEM;
	memcpy(operand, x->out.p + x->opstart, n);
	operand[n] = '\0';
	x->out.len = x->opstart;
	if (x->out.p)
		x->out.p[x->out.len] = '\0';
	if (x->create_index && x->d->index_nocase_prefix) {
		r = puts_(x, operand);
		if (r == 0)
			r = puts_(x, "(191)");
	} else {
		r = puts_(x, "lower(");
		if (r == 0)
			r = puts_(x, operand);
		if (r == 0)
			r = puts_(x, ")");
	}
	free(operand);
	x->opend = x->out.len;
	return r;
}

static int put_placeholder(struct xlate *x)
{
	char num[16];
	int n = x->ph.occ[x->next_occ++];

	switch (x->d->placeholders) {
	case DB_PH_DOLLAR:
		snprintf(num, sizeof(num), "$%d", x->dense[n]);
		return puts_(x, num);
	case DB_PH_POSITIONAL:
		return puts_(x, "?");
	default:
		snprintf(num, sizeof(num), "?%d", n);
		return puts_(x, num);
	}
}

static int put_brace(struct xlate *x, const char *s, size_t len)
{
	const char *v = NULL;

	if (word_is(s, len, "{key}"))
		v = x->d->key_text;
	else if (word_is(s, len, "{autoinc}"))
		v = x->d->autoinc;
	else if (word_is(s, len, "{rowid}"))
		v = x->d->rowid_column;
	else if (word_is(s, len, "{,rowid}"))
		v = x->d->rowid_index;
	else
		return -EINVAL;
	return puts_(x, v ? v : "");
}

/* Whether the word before next stands where SQL names a table: after FROM, JOIN, INTO,
 * UPDATE, TABLE, REFERENCES, ON of CREATE INDEX, or as the qualifier of "table.column".
 * (A column may share a table's name: schema_version.) */
static bool table_position(const struct xlate *x, const char *next)
{
	static const char *const kw[] = { "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "REFERENCES",
					  NULL };

	if (*next == '.')
		return true;
	if (x->create_index && !strcmp(x->prev, "ON"))
		return true;
	return in_list(kw, x->prev, strlen(x->prev));
}

/* A word: keyword, type or identifier. *s advances past what was consumed. */
static int put_word_(struct xlate *x, const char **s, size_t len);

static int put_word(struct xlate *x, const char **s, size_t len)
{
	const char *w = *s;
	int r = put_word_(x, s, len);

	snprintf(x->prev, sizeof(x->prev), "%.*s", (int)(len < sizeof(x->prev) ? len : 0), w);
	return r;
}

static int put_word_(struct xlate *x, const char **s, size_t len)
{
	static const char *const upsert[] = { "ON", "CONFLICT", "()", "DO", "UPDATE", "SET", NULL };
	static const char *const nocase[] = { "COLLATE", "NOCASE", NULL };
	const struct db_dialect *d = x->d;
	const char *w = *s, *end;
	bool qualified = x->out.len && x->out.p[x->out.len - 1] == '.';
	size_t start = x->out.len;
	int r;

	*s += len;
	if (d->nocase_lower && (end = match_seq(w, nocase))) {
		*s = end;
		return rewrite_nocase(x);
	}
	if (d->upsert_on_duplicate_key && (end = match_seq(w, upsert))) {
		*s = end;
		return puts_(x, "ON DUPLICATE KEY UPDATE");
	}
	if (d->default_text_parens && word_is(w, len, "DEFAULT") && *skip_ws(w + len) == '\'') {
		const char *lit = skip_ws(w + len);
		struct tok t = next_tok(lit);

		*s = lit + t.len;
		r = puts_(x, "DEFAULT (");
		if (r == 0)
			r = put(x, lit, t.len);
		return r < 0 ? r : puts_(x, ")");
	}
	if (d->integer && word_is(w, len, "INTEGER"))
		return puts_(x, d->integer);
	if (d->blob && word_is(w, len, "BLOB"))
		return puts_(x, d->blob);
	if (d->quote_reserved && !qualified && in_list(reserved, w, len)) {
		r = puts_(x, "\"");
		if (r == 0)
			r = put(x, w, len);
		if (r == 0)
			r = puts_(x, "\"");
	} else if (d->table_prefix && !qualified && in_list(our_tables, w, len) &&
		   table_position(x, w + len)) {
		r = puts_(x, d->table_prefix);
		if (r == 0)
			r = put(x, w, len);
	} else {
		r = put(x, w, len);
	}
	/* an identifier chain a.b keeps the start of a */
	if (!qualified)
		x->opstart = start;
	x->opend = x->out.len;
	return r;
}

static void statement_kind(struct xlate *x, const char *sql)
{
	static const char *const ct[] = { "CREATE", "TABLE", NULL };
	static const char *const ci[] = { "CREATE", "INDEX", NULL };
	static const char *const cui[] = { "CREATE", "UNIQUE", "INDEX", NULL };

	x->create_table = match_seq(sql, ct) != NULL;
	x->create_index = match_seq(sql, ci) || match_seq(sql, cui);
}

static int build_dense(struct xlate *x)
{
	int k = 0;

	x->dense = calloc((size_t)x->ph.max + 1, sizeof(*x->dense));
	if (!x->dense)
		return -ENOMEM;
	for (int i = 0; i < x->ph.nocc; i++)
		x->dense[x->ph.occ[i]] = 1;
	for (int n = 1; n <= x->ph.max; n++)
		x->dense[n] = x->dense[n] ? ++k : 0;
	return k;
}

/* The engine parameter -> placeholder number map. */
static int build_slots(struct xlate *x, int **slots, int *nslots)
{
	int *v = NULL, n = 0;

	if (x->d->placeholders == DB_PH_POSITIONAL) {
		n = x->ph.nocc;
		v = malloc(((size_t)n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		if (n)
			memcpy(v, x->ph.occ, (size_t)n * sizeof(*v));
	} else if (x->d->placeholders == DB_PH_DOLLAR) {
		v = malloc(((size_t)x->ph.max + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (int num = 1; num <= x->ph.max; num++)
			if (x->dense[num])
				v[n++] = num;
	}
	*slots = v;
	*nslots = n;
	return 0;
}

int db_sql_translate(const struct db_dialect *d, const char *sql, char **ret, int *nparams,
		     int **slots, int *nslots)
{
	struct xlate x = { .d = d };
	int r;

	*slots = NULL;
	*nslots = 0;
	buf_init(&x.out, SQL_MAX);
	r = scan_placeholders(sql, &x.ph);
	if (r == 0 && d->placeholders == DB_PH_DOLLAR)
		r = build_dense(&x) < 0 ? -ENOMEM : 0;
	if (r < 0)
		goto out;
	statement_kind(&x, sql);
	for (const char *s = sql; *s && r == 0;) {
		struct tok t = next_tok(s);

		switch (t.type) {
		case TK_PH: {
			size_t start = x.out.len;

			/* the placeholder itself is an operand (of COLLATE NOCASE) */
			r = put_placeholder(&x);
			x.opstart = start;
			x.opend = x.out.len;
			s += t.len;
			break;
		}
		case TK_BRACE:
			r = put_brace(&x, s, t.len);
			s += t.len;
			break;
		case TK_WORD:
			r = put_word(&x, &s, t.len);
			break;
		default:
			r = put(&x, s, t.len);
			s += t.len;
			break;
		}
	}
	if (r == 0 && x.create_table && d->create_table_suffix) {
		/* after the closing parenthesis, before trailing blanks */
		while (x.out.len && (x.out.p[x.out.len - 1] == ' ' || x.out.p[x.out.len - 1] == '\n'
				     || x.out.p[x.out.len - 1] == ';'))
			x.out.p[--x.out.len] = '\0';
		r = puts_(&x, d->create_table_suffix);
	}
	if (r == 0)
		r = build_slots(&x, slots, nslots);
	if (r == 0) {
		*ret = buf_detach(&x.out);
		*nparams = x.ph.max;
		r = *ret ? 0 : -ENOMEM;
	}
out:
	if (r < 0) {
		free(*slots);
		*slots = NULL;
		*nslots = 0;
	}
	buf_release(&x.out);
	free(x.ph.occ);
	free(x.dense);
	return r == -E2BIG ? -EINVAL : r;
}

int db_sql_split(const char *sql, int (*fn)(const char *stmt, size_t len, void *ctx), void *ctx)
{
	const char *start = sql, *s = sql;

	for (;;) {
		struct tok t = next_tok(s);

		if (t.type == TK_END || (t.type == TK_OTHER && *s == ';')) {
			const char *b = skip_ws(start);
			if (b < s) {
				int r = fn(b, (size_t)(s - b), ctx);
				if (r < 0)
					return r;
			}
			if (t.type == TK_END)
				return 0;
			start = s + 1;
		}
		s += t.len;
	}
}
