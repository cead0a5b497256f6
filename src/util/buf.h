/* SPDX-License-Identifier: MIT */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H
/*
 * A bounded growable byte buffer (curl's dynbuf): every buffer is given its maximum at init, and
 * appends beyond it fail with -E2BIG instead of growing without bound. p is always
 * NUL-terminated when non-NULL. buf_wipe() zeroes the contents before freeing (secrets).
 */
#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string and leaves b empty; caller frees. "" (heap) if nothing was appended. */
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);
void buf_wipe(struct buf *b);

#endif
