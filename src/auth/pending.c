/* SPDX-License-Identifier: MIT */
/* Bounded single-use round-trip state (auth/pending.h): a flat array scanned linearly (a few
 * hundred entries at most in practice; the bound is what matters). */
#include "auth/pending.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	uint8_t key[32];
	int64_t expires;           /* 0 = free slot */
	size_t len;
	uint8_t value[PENDING_VALUE_MAX];
};

struct pending {
	pthread_mutex_t mu;
	size_t max;
	struct entry *e;
};

struct pending *pending_new(size_t max_entries)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p || !max_entries)
		goto fail;
	p->e = calloc(max_entries, sizeof(*p->e));
	if (!p->e)
		goto fail;
	p->max = max_entries;
	pthread_mutex_init(&p->mu, NULL);
	return p;
fail:
	free(p);
	return NULL;
}

struct pending *pending_free(struct pending *p)
{
	if (!p)
		return NULL;
	sodium_memzero(p->e, p->max * sizeof(*p->e));
	free(p->e);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return NULL;
}

static void key_hash(const char *key, uint8_t out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)key, strlen(key), NULL, 0);
}

static void clear(struct entry *e)
{
	sodium_memzero(e, sizeof(*e));
}

int pending_put(struct pending *p, const char *key, const void *value, size_t len,
		int64_t now, int ttl_s)
{
	uint8_t h[32];
	struct entry *slot = NULL;

	if (len > PENDING_VALUE_MAX)
		return -E2BIG;
	key_hash(key, h);
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->max; i++) {
		struct entry *e = &p->e[i];
		if (e->expires && e->expires <= now)
			clear(e);
		if (e->expires && sodium_memcmp(e->key, h, 32) == 0) {
			slot = e;
			break;
		}
		/* prefer a free slot, else the entry that expires first */
		if (!slot || (slot->expires && (!e->expires || e->expires < slot->expires)))
			slot = e;
	}
	clear(slot);
	memcpy(slot->key, h, 32);
	memcpy(slot->value, value, len);
	slot->len = len;
	slot->expires = now + ttl_s;
	pthread_mutex_unlock(&p->mu);
	sodium_memzero(h, sizeof(h));
	return 0;
}

int pending_take(struct pending *p, const char *key, int64_t now, void *out, size_t cap,
		 size_t *ret_len)
{
	uint8_t h[32];
	int r = -ENOENT;

	if (!key || !*key)
		return -ENOENT;
	key_hash(key, h);
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->max; i++) {
		struct entry *e = &p->e[i];
		if (!e->expires || sodium_memcmp(e->key, h, 32) != 0)
			continue;
		if (e->expires > now) {
			memcpy(out, e->value, e->len < cap ? e->len : cap);
			if (ret_len)
				*ret_len = e->len;
			r = 0;
		}
		clear(e);
		break;
	}
	pthread_mutex_unlock(&p->mu);
	sodium_memzero(h, sizeof(h));
	return r;
}

size_t pending_count(struct pending *p)
{
	size_t n = 0;

	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->max; i++)
		n += p->e[i].expires != 0;
	pthread_mutex_unlock(&p->mu);
	return n;
}
