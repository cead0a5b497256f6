/* SPDX-License-Identifier: MIT */
#ifndef AUTH_PENDING_H
#define AUTH_PENDING_H
/*
 * Short-lived state of sign-in round trips that must not live in the browser: the OpenID
 * state/nonce/PKCE verifier between /init and /callback, passkey challenges, the ticket
 * between a password and its one-time code. A bounded table in memory: entries expire after
 * their time to live, are taken at most once (pending_take removes), and when the table is
 * full the entry closest to expiry goes. Keys are random tokens the browser holds; only their
 * BLAKE2b hashes are kept. Values are copied in and wiped when they leave. Thread-safe.
 * A daemon restart forgets everything: a round trip in progress then simply fails and the user
 * starts again (docs/auth.md).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pending;

#define PENDING_VALUE_MAX 2048

/* NULL on OOM. */
struct pending *pending_new(size_t max_entries);
struct pending *pending_free(struct pending *p);

/* Stores value under key until now + ttl_s (replacing an entry of the same key). 0, -E2BIG
 * (value too large), -ENOMEM. */
int pending_put(struct pending *p, const char *key, const void *value, size_t len,
		int64_t now, int ttl_s);
/* Removes key's entry and copies its value out (at most cap bytes; *ret_len the stored size).
 * -ENOENT when absent or expired. */
int pending_take(struct pending *p, const char *key, int64_t now, void *out, size_t cap,
		 size_t *ret_len);
/* Entries currently held (expired ones included until they are pushed out). */
size_t pending_count(struct pending *p);

#endif
