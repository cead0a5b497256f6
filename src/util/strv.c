/* SPDX-License-Identifier: MIT */
/* Growable string arrays: the list type of the domain model (addresses, DNS, allowed IPs). */
#include "util/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strv_push_take(struct strv *sv, char *s)
{
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	sv->v = nv;
	sv->v[sv->n++] = s;
	return 0;
}

int strv_push(struct strv *sv, const char *s)
{
	return strv_push_take(sv, strdup(s ? s : ""));
}

void strv_release(struct strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

int strv_copy(struct strv *dst, const struct strv *src)
{
	struct strv tmp = STRV_INIT;

	for (size_t i = 0; i < src->n; i++) {
		if (strv_push(&tmp, src->v[i]) < 0) {
			strv_release(&tmp);
			return -ENOMEM;
		}
	}
	strv_release(dst);
	*dst = tmp;
	return 0;
}

bool strv_eq(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

bool strv_contains(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

char *strv_join(const struct strv *sv, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	char *out, *p;

	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + (i ? seplen : 0);
	out = p = malloc(len);
	if (!out)
		return NULL;
	for (size_t i = 0; i < sv->n; i++) {
		size_t l = strlen(sv->v[i]);
		if (i) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		memcpy(p, sv->v[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}

int strv_split(struct strv *dst, const char *s, const char *seps)
{
	struct strv tmp = STRV_INIT;
	const char *p = s ? s : "";

	while (*p) {
		size_t len = strcspn(p, seps);
		const char *b = p, *e = p + len;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > b && strv_push_take(&tmp, strndup(b, (size_t)(e - b))) < 0) {
			strv_release(&tmp);
			return -ENOMEM;
		}
		p += len;
		if (*p)
			p++;
	}
	strv_release(dst);
	*dst = tmp;
	return 0;
}
