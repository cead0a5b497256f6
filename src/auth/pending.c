/* SPDX-License-Identifier: MIT */
/* Round-trip state of sign-ins (auth/pending.h) on the store's signin_pending table. */
#include "auth/pending.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_auth.h"

_Static_assert(PENDING_VALUE_MAX <= STORE_PENDING_VALUE_MAX, "values must fit the store's");

struct pending {
	struct store *st;
	int kind;
	size_t max;
};

struct pending *pending_new(struct store *st, int kind, size_t max_entries)
{
	struct pending *p = st && max_entries ? calloc(1, sizeof(*p)) : NULL;

	if (p) {
		p->st = st;
		p->kind = kind;
		p->max = max_entries;
	}
	return p;
}

struct pending *pending_free(struct pending *p)
{
	free(p);
	return NULL;
}

/* The stored key: hex of BLAKE2b-256 of the browser's token. */
static void key_hash(const char *key, char out[static 65])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)key, strlen(key), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

int pending_put(struct pending *p, const char *key, const void *value, size_t len,
		int64_t now, int ttl_s)
{
	char h[65];

	if (len > PENDING_VALUE_MAX)
		return -E2BIG;
	key_hash(key, h);
	return store_pending_put(p->st, p->kind, h, value, len, now, now + ttl_s, p->max, NULL);
}

int pending_take(struct pending *p, const char *key, int64_t now, void *out, size_t cap,
		 size_t *ret_len)
{
	char h[65];

	key_hash(key, h);
	return store_pending_take(p->st, p->kind, h, now, out, cap, ret_len, NULL);
}
