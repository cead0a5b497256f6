/* SPDX-License-Identifier: MIT */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H
/*
 * A bounded growable byte buffer (curl's dynbuf): every buffer is given its maximum at init, and
 * appends beyond it fail with -E2BIG instead of growing without bound. p is always
 * NUL-terminated when non-NULL. buf_wipe() zeroes the contents before freeing (secrets).
 *
 * Errors are sticky: once an append failed (-E2BIG, -ENOMEM), every later append fails with
 * the same code and buf_detach() returns NULL, so a caller may build a whole text and check
 * once at the end instead of after every append; a half-built text never escapes.
 */
#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap, max;
	int err;          /* first append failure (-errno), 0 while all succeeded */
};

void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes the buffer fail as if an append had failed with err (-errno). */
void buf_fail(struct buf *b, int err);
/* The first append failure (sticky), or 0. */
static inline int buf_error(const struct buf *b)
{
	return b->err;
}
/* Returns the string and leaves b empty; caller frees. "" (heap) if nothing was appended.
 * NULL when an append failed (the contents are wiped) or on OOM. */
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);
void buf_wipe(struct buf *b);

#endif
