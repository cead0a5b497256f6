/* SPDX-License-Identifier: MIT */
#ifndef AUTH_SIG_H
#define AUTH_SIG_H
/*
 * Public keys and signature verification for the sign-in protocols, on GnuTLS: ID tokens of
 * OpenID providers (JWS, RFC 7515/7518) and passkey assertions (WebAuthn, COSE keys). One place
 * decides which algorithms a key may be used with, so neither caller can be talked into an
 * algorithm its key was not made for (no "alg confusion": an RSA key never verifies an ECDSA or
 * HMAC signature, HMAC is not offered at all, and RSA keys below 2048 bits are refused).
 *
 * Signature encodings differ between the two protocols: JWS carries ECDSA signatures as the
 * raw r || s concatenation (RFC 7518 3.4), WebAuthn as DER (WebAuthn L2 6.5.6); sig_verify()
 * takes a flag for that.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct sig_key;

enum sig_alg {
	SIG_RS256, SIG_RS384, SIG_RS512,   /* RSASSA-PKCS1-v1_5 */
	SIG_PS256, SIG_PS384, SIG_PS512,   /* RSASSA-PSS */
	SIG_ES256, SIG_ES384, SIG_ES512,   /* ECDSA on P-256 / P-384 / P-521 */
	SIG_EDDSA,                         /* Ed25519 */
	SIG_ALG_MAX,
	SIG_ALG_INVALID = -1,
};

enum sig_key_type { SIG_KEY_RSA, SIG_KEY_P256, SIG_KEY_P384, SIG_KEY_P521, SIG_KEY_ED25519 };

#define SIG_RSA_MIN_BITS 2048

/* JOSE name ("RS256", "EdDSA", ...) -> alg; SIG_ALG_INVALID for anything else ("none", HS*). */
enum sig_alg sig_alg_from_jose(const char *name);
const char *sig_alg_jose_name(enum sig_alg alg);
/* COSE algorithm identifier (RFC 9053: -7 ES256, -8 EdDSA, -257 RS256, ...) -> alg. */
enum sig_alg sig_alg_from_cose(long cose);

/* Key constructors from raw big-endian components. -EINVAL with a reason for malformed or
 * too-small keys, -ENOMEM. *ret is owned by the caller (sig_key_free). */
int sig_key_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
		struct sig_key **ret, struct err *err);
/* EC point (x, y) of curve type (SIG_KEY_P256/P384/P521); coordinates are left-padded to the
 * curve size when shorter; the point must lie on the curve. */
int sig_key_ec(enum sig_key_type type, const uint8_t *x, size_t x_len, const uint8_t *y,
	       size_t y_len, struct sig_key **ret, struct err *err);
int sig_key_ed25519(const uint8_t pub[32], struct sig_key **ret, struct err *err);
/* NULL-safe; returns NULL. */
struct sig_key *sig_key_free(struct sig_key *k);
enum sig_key_type sig_key_type(const struct sig_key *k);

/* True when alg may be used with k (RSA <-> RS/PS, curve <-> its ES size, Ed25519 <-> EdDSA). */
bool sig_alg_fits_key(enum sig_alg alg, const struct sig_key *k);

/* Verifies sig over data. ecdsa_raw: ECDSA signature given as r || s (JWS), else DER.
 * 0 when valid; -EACCES when the signature does not verify or does not fit the key/alg;
 * -EINVAL for an unusable alg. Never logs. */
int sig_verify(const struct sig_key *k, enum sig_alg alg, const void *data, size_t data_len,
	       const uint8_t *sig, size_t sig_len, bool ecdsa_raw);

#endif
