/* SPDX-License-Identifier: MIT */
#ifndef UTIL_JSON_GO_H
#define UTIL_JSON_GO_H
/*
 * JSON text as Go's encoding/json writes it (json.Marshal; the API's c.JSON adds a newline):
 * compact, object keys in insertion order, "<", ">" and "&" as \u003c \u003e \u0026, \b and
 * \f as \u0008 \u000c, U+2028 and U+2029 as \u2028 \u2029.
 */
#include <jansson.h>
#include <stdbool.h>

/* Heap string (caller frees), NULL on OOM. newline appends "\n". */
char *json_dump_go(const json_t *v, bool newline);

#endif
