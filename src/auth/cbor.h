/* SPDX-License-Identifier: MIT */
#ifndef AUTH_CBOR_H
#define AUTH_CBOR_H
/*
 * A small bounded CBOR reader (RFC 8949) for what passkeys send: the attestation object and
 * COSE keys (WebAuthn L2 6.5, RFC 9052 7). It reads in place from a caller's buffer, allocates
 * nothing, and refuses what CTAP2's canonical encoding never produces: indefinite lengths,
 * nesting deeper than CBOR_DEPTH_MAX, lengths beyond the buffer. Debian's libcbor was not used:
 * its decoder preallocates arrays from the declared item count, so nine hostile bytes ask
 * malloc for exabytes (docs/auth.md "CBOR"). Fuzzed by tests/fuzz/fuzz_webauthn.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CBOR_DEPTH_MAX 8

enum cbor_type {
	CBOR_UINT = 0, CBOR_NEGINT = 1, CBOR_BYTES = 2, CBOR_TEXT = 3,
	CBOR_ARRAY = 4, CBOR_MAP = 5, CBOR_TAG = 6, CBOR_SIMPLE = 7,
};

struct cbor {
	const uint8_t *p, *end;
};

struct cbor_item {
	enum cbor_type type;
	uint64_t val;            /* integer value (UINT; NEGINT means -1 - val), length, count */
	const uint8_t *data;     /* BYTES / TEXT: the val bytes, inside the input buffer */
};

static inline void cbor_init(struct cbor *c, const void *p, size_t len)
{
	c->p = p;
	c->end = c->p + len;
}

/* Reads the next item's head (and, for BYTES/TEXT, its payload). Arrays and maps are not
 * entered: their members follow. 0, or -EINVAL for malformed or unsupported encodings. */
int cbor_next(struct cbor *c, struct cbor_item *it);
/* Skips one whole item, members included. 0 or -EINVAL. */
int cbor_skip(struct cbor *c);
/* An integer item (UINT or NEGINT) as int64; false when it is not one or does not fit. */
bool cbor_int(const struct cbor_item *it, int64_t *ret);
/* True when it is a TEXT item equal to s. */
bool cbor_text_is(const struct cbor_item *it, const char *s);

#endif
