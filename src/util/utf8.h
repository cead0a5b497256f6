/* SPDX-License-Identifier: MIT */
#ifndef UTIL_UTF8_H
#define UTIL_UTF8_H
/*
 * UTF-8 checks for text that crosses into JSON: jansson refuses invalid UTF-8 (json_string
 * returns NULL), so a request value that is not UTF-8 would silently empty an error message.
 */
#include <stdbool.h>

/* True for well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool utf8_valid(const char *s);
/* Replaces every byte that does not start or continue a well-formed sequence by '?', in
 * place; returns s. */
char *utf8_scrub(char *s);

#endif
