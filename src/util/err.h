/* SPDX-License-Identifier: MIT */
#ifndef UTIL_ERR_H
#define UTIL_ERR_H
/*
 * struct err carries the human reason of a failure up the stack (git's "struct strbuf *err").
 * Functions return 0 or a negative errno; the text is set once where the failure is detected.
 * Callers may prefix context with err_prefix(), never replace it. Never put secrets in here.
 */
#include <stddef.h>

#define ERR_MSG_MAX 512

struct err {
	int code;             /* negative errno, 0 = no error */
	char msg[ERR_MSG_MAX];
	char field[64];       /* JSON field the error is about, "" if none (API names it) */
};

/* Sets code and message, returns code so callers can write `return err_set(err, -EINVAL, ...)`.
 * err may be NULL (the code is still returned). */
int err_set(struct err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, and records the field name the error is about. */
int err_field(struct err *err, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prepends "<context>: " to the message; keeps code and field. Returns err->code. */
int err_prefix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *err);

#endif
