/* SPDX-License-Identifier: MIT */
#ifndef AUTH_JWT_H
#define AUTH_JWT_H
/*
 * JSON Web Key Sets (RFC 7517) and signed JSON Web Tokens (RFC 7519, JWS compact form) as an
 * OpenID relying party needs them: an ID token is accepted only when its signature verifies with
 * a key of the provider's JWKS under an algorithm on the caller's allow-list, and its claims
 * match (OpenID Connect Core 1.0 3.1.3.7): iss equals the issuer, aud is the client id (string
 * or array; with several audiences azp must be the client id), exp is in the future, iat is
 * present, nbf (when present) has passed, nonce equals the one sent. "none" and HMAC algorithms
 * are never accepted; "crit" headers are refused (we understand no extension).
 *
 * Everything here parses untrusted bytes: tokens and key sets are size-bounded, JSON is parsed
 * with duplicate keys rejected (tests/fuzz/fuzz_jwt.c).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/sig.h"

struct err;
struct jwks;

#define JWT_TOKEN_MAX (64 * 1024)
#define JWKS_MAX_KEYS 64
#define JWT_LEEWAY_S 60

/* Parses a JWKS document. Keys that cannot verify signatures (use "enc", kty "oct" or unknown,
 * unknown curves) are skipped; a malformed usable key is an error. -EINVAL with the reason. */
int jwks_parse(const char *json, size_t len, struct jwks **ret, struct err *err);
struct jwks *jwks_free(struct jwks *ks);
size_t jwks_count(const struct jwks *ks);

struct jwt_expect {
	const char *issuer;            /* exact "iss" */
	const char *audience;          /* client id */
	const char *nonce;             /* NULL: not checked */
	int64_t now;                   /* unix seconds */
	/* Allowed algorithms, as a bit set of (1u << SIG_*); 0 means RS256 only (the default of
	 * OpenID Connect Discovery 1.0 id_token_signing_alg_values_supported). */
	unsigned algs;
};

/*
 * Verifies a compact JWS and its claims. 0 with *ret_claims (new reference) on success.
 * -ENOKEY: the header names a kid the key set does not have (refetch the JWKS once, retry);
 * -EACCES: signature or claims rejected (the reason names which, never the token);
 * -EINVAL: not a JWT at all.
 */
int jwt_verify(const char *token, const struct jwks *ks, const struct jwt_expect *want,
	       json_t **ret_claims, struct err *err);

/* Decodes unpadded base64url (RFC 7515 2) into a heap buffer; -EINVAL on any other
 * character or padding. */
int b64url_decode(const char *in, size_t in_len, uint8_t **ret, size_t *ret_len);
/* Encodes bytes as unpadded base64url; heap string or NULL on OOM. */
char *b64url_encode(const uint8_t *in, size_t len);

#endif
