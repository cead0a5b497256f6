/* SPDX-License-Identifier: MIT */
#ifndef AUTH_PENDING_H
#define AUTH_PENDING_H
/*
 * Short-lived state of sign-in round trips that must not live in the browser: the OpenID
 * state/nonce/PKCE verifier between /init and /callback, passkey challenges, the ticket
 * between a password and its one-time code, what an IdP logout needs. Kept in the store
 * (store_pending_*), so that every node of a cluster finishes a round trip another node began
 * and a restart loses none: entries expire after their time to live, are taken at most once
 * (of two parallel takes exactly one gets it), and each table is bounded (when it is full the
 * entry closest to expiry goes). Keys are random tokens the browser holds; only their BLAKE2b
 * hashes are stored, values sealed. Thread-safe.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pending;
struct store;

#define PENDING_VALUE_MAX 2048

/* A table of its own kind (a small number, one per use) in st. NULL on OOM. */
struct pending *pending_new(struct store *st, int kind, size_t max_entries);
struct pending *pending_free(struct pending *p);

/* Stores value under key until now + ttl_s (replacing an entry of the same key). 0, -E2BIG
 * (value too large), or the store's error (-ENOTCONN while the database is unreachable). */
int pending_put(struct pending *p, const char *key, const void *value, size_t len,
		int64_t now, int ttl_s);
/* Removes key's entry and copies its value out (at most cap bytes; *ret_len the stored size).
 * -ENOENT when absent, expired or taken by another request; the store's error otherwise. */
int pending_take(struct pending *p, const char *key, int64_t now, void *out, size_t cap,
		 size_t *ret_len);

#endif
