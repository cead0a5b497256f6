/* SPDX-License-Identifier: MIT */
#ifndef UTIL_JSONW_H
#define UTIL_JSONW_H
/*
 * A JSON object written by hand into a bounded buffer (util/buf.h), for request bodies that
 * carry keys: unlike a jansson tree, every byte lives in one buffer that is wiped when it is
 * freed. Appends never fail on their own: the buffer's error is sticky, jsonw_end() returns
 * NULL when anything did not fit (the text is wiped then) and a caller checks once.
 *
 *   struct jsonw w;
 *   jsonw_begin(&w, 4096);
 *   jsonw_str(&w, "name", "wg0");
 *   jsonw_int(&w, "mtu", 1420);
 *   char *body = jsonw_end(&w);        // {"name":"wg0","mtu":1420} or NULL
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct jsonw {
	struct buf b;
	size_t members;
};

void jsonw_begin(struct jsonw *w, size_t max);
/* `"k":` (with the comma before it when needed); a value writer follows. */
void jsonw_key(struct jsonw *w, const char *k);
/* A JSON string (escaped) or, for v NULL, null. */
void jsonw_value_str(struct jsonw *w, const char *v);
/* Raw JSON text appended as is (arrays built by the caller). */
void jsonw_raw(struct jsonw *w, const char *json);
void jsonw_str(struct jsonw *w, const char *k, const char *v);  /* v NULL: null */
void jsonw_int(struct jsonw *w, const char *k, long long v);
void jsonw_bool(struct jsonw *w, const char *k, bool v);
void jsonw_null(struct jsonw *w, const char *k);
/* Marks the object as failed (e.g. a value could not be built): jsonw_end() returns NULL. */
void jsonw_fail(struct jsonw *w, int err);
/* Members written so far (0: the object would be "{}"). */
static inline size_t jsonw_members(const struct jsonw *w)
{
	return w->members;
}
/* Closes the object; the text (heap) or NULL on overflow/OOM. */
char *jsonw_end(struct jsonw *w);
/* Drops an unfinished object (wiped). */
void jsonw_wipe(struct jsonw *w);
/* Frees a finished body, wiping it first (it may hold keys). NULL-safe. */
void jsonw_free(char *body);

#endif
