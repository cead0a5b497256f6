/* SPDX-License-Identifier: MIT */
#ifndef API_PAGING_H
#define API_PAGING_H
/*
 * Paging, sorting and filtering of list endpoints (our addition, design.md 5): query parameters
 * page (1-based) + per_page (max 1000), or offset + limit; sort=<JSON field>, order=asc|desc,
 * filter=<substring>. Without any of them the answers are exactly wg-portal's full arrays; with
 * any of them the answer carries X-Total-Count (matches after filtering, before slicing).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/http.h"
#include "store/store.h"

#define API_PAGE_MAX 1000

struct api_paging {
	bool present;             /* any paging parameter given */
	struct store_query q;     /* offset/limit (0 = all), sort, desc, filter */
	char *sort, *filter;      /* owned storage behind q.sort / q.filter */
};

/* Reads the parameters; answers 400 itself and returns -EINVAL on bad values. */
int api_paging_parse(struct api_ctx *c, struct api_paging *pg);
void api_paging_release(struct api_paging *pg);
/* Sets X-Total-Count when paging parameters were given. */
void api_paging_total(struct api_ctx *c, const struct api_paging *pg, size_t total);
/* In-memory variant for small lists (interfaces, users): filters the array of model objects by
 * a case-insensitive substring of any of the string fields in filter_fields (NULL-terminated),
 * sorts by the JSON field pg->sort, slices, sets X-Total-Count. Takes arr's reference, returns
 * the answer array, or NULL after answering 400 (unknown sort field) / 500 itself. */
json_t *api_paging_apply(struct api_ctx *c, const struct api_paging *pg, json_t *arr,
			 const char *const filter_fields[]);

#endif
