/* SPDX-License-Identifier: MIT */
#ifndef UTIL_STRV_H
#define UTIL_STRV_H
/*
 * A growable array of heap strings. Invariant: v[0..n-1] are owned, NUL-terminated strings;
 * v may be NULL when n == 0. strv_release() frees contents and leaves an empty strv.
 */
#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;
	size_t n;
};

#define STRV_INIT { NULL, 0 }

/* Appends a copy of s. Returns 0 or -ENOMEM. */
int strv_push(struct strv *sv, const char *s);
/* Appends s itself (takes ownership). Returns 0 or -ENOMEM (s is freed then). */
int strv_push_take(struct strv *sv, char *s);
void strv_release(struct strv *sv);
/* Deep copy into *dst (which is released first). */
int strv_copy(struct strv *dst, const struct strv *src);
bool strv_eq(const struct strv *a, const struct strv *b);
bool strv_contains(const struct strv *sv, const char *s);
/* Joins with sep; returns a heap string ("" for empty), NULL on OOM. */
char *strv_join(const struct strv *sv, const char *sep);
/* Splits s at every char of seps, trims spaces of each item, drops empty items. */
int strv_split(struct strv *dst, const char *s, const char *seps);

#endif
