/* SPDX-License-Identifier: MIT */
/* Hand-written JSON objects in a wipeable bounded buffer (see jsonw.h). */
#include "util/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_begin(struct jsonw *w, size_t max)
{
	buf_init(&w->b, max);
	w->members = 0;
	(void)buf_puts(&w->b, "{"); /* errors are sticky: jsonw_end() reports them */
}

void jsonw_value_str(struct jsonw *w, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)v;
	const unsigned char *run;

	if (!v) {
		(void)buf_puts(&w->b, "null");
		return;
	}
	(void)buf_puts(&w->b, "\"");
	while (*p) {
		/* copy the longest run that needs no escaping at once */
		for (run = p; *p && *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		(void)buf_append(&w->b, run, (size_t)(p - run));
		if (!*p)
			break;
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };
			(void)buf_append(&w->b, e, 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			(void)buf_append(&w->b, e, 6);
		}
		p++;
	}
	(void)buf_puts(&w->b, "\"");
}

void jsonw_key(struct jsonw *w, const char *k)
{
	if (w->members++)
		(void)buf_puts(&w->b, ",");
	jsonw_value_str(w, k);
	(void)buf_puts(&w->b, ":");
}

void jsonw_raw(struct jsonw *w, const char *json)
{
	(void)buf_puts(&w->b, json);
}

void jsonw_str(struct jsonw *w, const char *k, const char *v)
{
	jsonw_key(w, k);
	jsonw_value_str(w, v);
}

void jsonw_int(struct jsonw *w, const char *k, long long v)
{
	jsonw_key(w, k);
	(void)buf_printf(&w->b, "%lld", v);
}

void jsonw_bool(struct jsonw *w, const char *k, bool v)
{
	jsonw_key(w, k);
	(void)buf_puts(&w->b, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w, const char *k)
{
	jsonw_key(w, k);
	(void)buf_puts(&w->b, "null");
}

void jsonw_fail(struct jsonw *w, int err)
{
	buf_fail(&w->b, err);
}

char *jsonw_end(struct jsonw *w)
{
	(void)buf_puts(&w->b, "}");
	return buf_detach(&w->b); /* NULL (and wiped) when any append failed */
}

void jsonw_wipe(struct jsonw *w)
{
	buf_wipe(&w->b);
	w->members = 0;
}

void jsonw_free(char *body)
{
	if (body) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
}
