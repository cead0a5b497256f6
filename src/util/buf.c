/* SPDX-License-Identifier: MIT */
/* Bounded growable buffers for config text, HTTP bodies, netlink dumps and generated files. */
#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = 0;
}

static int buf_grow(struct buf *b, size_t need)
{
	size_t ncap;
	char *np;

	if (need > b->max)
		return -E2BIG;
	if (need + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need + 1)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	np = realloc(b->p, ncap);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = ncap;
	return 0;
}

/* Records the first failure; every later append returns it. */
static int fail(struct buf *b, int r)
{
	if (!b->err)
		b->err = r;
	return b->err;
}

void buf_fail(struct buf *b, int err)
{
	(void)fail(b, err < 0 ? err : -EINVAL);
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	int r;

	if (b->err)
		return b->err;
	r = buf_grow(b, b->len + len);
	if (r < 0)
		return fail(b, r);
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	if (b->err)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(b, -EINVAL);
	r = buf_grow(b, b->len + (size_t)n);
	if (r < 0)
		return fail(b, r);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *buf_detach(struct buf *b)
{
	char *p;

	if (b->err) {
		buf_wipe(b);
		return NULL;
	}
	p = b->p ? b->p : strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

void buf_wipe(struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	buf_release(b);
}
