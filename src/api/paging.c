/* SPDX-License-Identifier: MIT */
/* List paging/sorting/filtering parameters and the in-memory variant for short lists. */
#include "api/paging.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const paging_params[] = { "page", "per_page", "offset", "limit", "sort",
					     "order", "filter", NULL };

static int parse_size(struct api_ctx *c, const char *name, size_t min, size_t max, size_t *ret)
{
	char *v = http_query(c, name), *end;
	unsigned long long n;
	int r = 0;

	if (!v)
		return -ENOMEM;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || n < min || n > max) {
		http_error(c, 400, name, "invalid %s '%s': must be a number from %zu to %zu", name,
			   v, min, max);
		r = -EINVAL;
	} else {
		*ret = (size_t)n;
	}
	free(v);
	return r;
}

int api_paging_parse(struct api_ctx *c, struct api_paging *pg)
{
	size_t page = 1, per_page = 0, offset = 0, limit = 0;
	int r;

	memset(pg, 0, sizeof(*pg));
	for (int i = 0; paging_params[i]; i++)
		if (http_query_has(c, paging_params[i]))
			pg->present = true;
	if (!pg->present)
		return 0;
	bool by_page = http_query_has(c, "page") || http_query_has(c, "per_page");
	bool by_offset = http_query_has(c, "offset") || http_query_has(c, "limit");
	if (by_page && by_offset) {
		http_error(c, 400, "page", "use either page/per_page or offset/limit, not both");
		return -EINVAL;
	}
	if (http_query_has(c, "page") && (r = parse_size(c, "page", 1, SIZE_MAX / 2, &page)) < 0)
		return r;
	if (http_query_has(c, "per_page") &&
	    (r = parse_size(c, "per_page", 1, API_PAGE_MAX, &per_page)) < 0)
		return r;
	if (http_query_has(c, "offset") &&
	    (r = parse_size(c, "offset", 0, SIZE_MAX / 2, &offset)) < 0)
		return r;
	if (http_query_has(c, "limit") && (r = parse_size(c, "limit", 1, API_PAGE_MAX, &limit)) < 0)
		return r;
	if (by_page) {
		if (!per_page)
			per_page = 100;
		if (page - 1 > SIZE_MAX / 2 / per_page) {
			http_error(c, 400, "page", "page out of range");
			return -EINVAL;
		}
		pg->q.offset = (page - 1) * per_page;
		pg->q.limit = per_page;
	} else if (by_offset) {
		pg->q.offset = offset;
		pg->q.limit = limit ? limit : API_PAGE_MAX;
	}
	if (http_query_has(c, "order")) {
		char *o = http_query(c, "order");
		if (!o)
			return -ENOMEM;
		if (strcmp(o, "desc") == 0) {
			pg->q.desc = true;
		} else if (strcmp(o, "asc") != 0) {
			http_error(c, 400, "order", "invalid order '%s': use asc or desc", o);
			free(o);
			return -EINVAL;
		}
		free(o);
	}
	if (http_query_has(c, "sort")) {
		pg->sort = http_query(c, "sort");
		if (!pg->sort)
			return -ENOMEM;
		if (*pg->sort)
			pg->q.sort = pg->sort;
	}
	if (http_query_has(c, "filter")) {
		pg->filter = http_query(c, "filter");
		if (!pg->filter)
			return -ENOMEM;
		if (*pg->filter)
			pg->q.filter = pg->filter;
	}
	return 0;
}

void api_paging_release(struct api_paging *pg)
{
	free(pg->sort);
	free(pg->filter);
	memset(pg, 0, sizeof(*pg));
}

void api_paging_total(struct api_ctx *c, const struct api_paging *pg, size_t total)
{
	char buf[32];

	if (!pg->present)
		return;
	snprintf(buf, sizeof(buf), "%zu", total);
	http_header(c, "X-Total-Count", buf);
}

static bool obj_matches(const json_t *o, const char *needle, const char *const fields[])
{
	for (int i = 0; fields[i]; i++) {
		const char *v = json_string_value(json_object_get(o, fields[i]));
		if (v && strcasestr(v, needle))
			return true;
	}
	return false;
}

/* qsort has no context argument; the sort key travels in a thread-local. */
static _Thread_local const char *sort_key;

static int cmp_json(const json_t *a, const json_t *b)
{
	if (json_is_string(a) && json_is_string(b))
		return strcasecmp(json_string_value(a), json_string_value(b));
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_boolean(a) && json_is_boolean(b))
		return (int)json_is_true(a) - (int)json_is_true(b);
	/* arrays/objects/mixed: order by their type so the sort stays total */
	return (int)json_typeof(a) - (int)json_typeof(b);
}

static int cmp_objs(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int r = cmp_json(json_object_get(a, sort_key), json_object_get(b, sort_key));

	if (r == 0)
		r = strcmp(json_string_value(json_object_get(a, "Identifier")) ?: "",
			   json_string_value(json_object_get(b, "Identifier")) ?: "");
	return r;
}

json_t *api_paging_apply(struct api_ctx *c, const struct api_paging *pg, json_t *arr,
			 const char *const filter_fields[])
{
	size_t n = json_array_size(arr), k = 0, i;
	json_t **items = NULL, *out = NULL, *v;

	if (!pg->present)
		return arr;
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		goto oom;
	json_array_foreach(arr, i, v)
		if (!pg->q.filter || obj_matches(v, pg->q.filter, filter_fields))
			items[k++] = v;
	if (pg->q.sort) {
		if (n > 0 && !json_object_get(json_array_get(arr, 0), pg->q.sort)) {
			http_error(c, 400, "sort", "unknown sort field '%s'", pg->q.sort);
			free(items);
			json_decref(arr);
			return NULL;
		}
		sort_key = pg->q.sort;
		qsort(items, k, sizeof(*items), cmp_objs);
	}
	if (pg->q.desc) {
		for (size_t a = 0, b = k ? k - 1 : 0; a < b; a++, b--) {
			json_t *t = items[a];
			items[a] = items[b];
			items[b] = t;
		}
	}
	out = json_array();
	if (!out)
		goto oom;
	size_t end = pg->q.limit ? pg->q.offset + pg->q.limit : k;
	for (i = pg->q.offset; i < k && i < end; i++)
		if (json_array_append(out, items[i]) != 0)
			goto oom;
	api_paging_total(c, pg, k);
	free(items);
	json_decref(arr);
	return out;
oom:
	free(items);
	json_decref(out);
	json_decref(arr);
	http_text(c, 500, "out of memory\n");
	return NULL;
}
