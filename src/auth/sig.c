/* SPDX-License-Identifier: MIT */
/*
 * Signature verification on GnuTLS's abstract public keys (docs/auth.md "JOSE library"): keys
 * are built from raw components (JWK n/e, x/y, COSE -1/-2/-3), checked once at import
 * (gnutls_pubkey_verify_params: an EC point must lie on its curve, RSA moduli must be sane),
 * and each verification first checks that the algorithm fits the key.
 */
#include "auth/sig.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

struct sig_key {
	enum sig_key_type type;
	gnutls_pubkey_t pk;
};

static const struct {
	const char *jose;
	long cose;
	gnutls_sign_algorithm_t gnutls;
} algs[SIG_ALG_MAX] = {
	[SIG_RS256] = { "RS256", -257, GNUTLS_SIGN_RSA_SHA256 },
	[SIG_RS384] = { "RS384", -258, GNUTLS_SIGN_RSA_SHA384 },
	[SIG_RS512] = { "RS512", -259, GNUTLS_SIGN_RSA_SHA512 },
	[SIG_PS256] = { "PS256", -37, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 },
	[SIG_PS384] = { "PS384", -38, GNUTLS_SIGN_RSA_PSS_RSAE_SHA384 },
	[SIG_PS512] = { "PS512", -39, GNUTLS_SIGN_RSA_PSS_RSAE_SHA512 },
	[SIG_ES256] = { "ES256", -7, GNUTLS_SIGN_ECDSA_SHA256 },
	[SIG_ES384] = { "ES384", -35, GNUTLS_SIGN_ECDSA_SHA384 },
	[SIG_ES512] = { "ES512", -36, GNUTLS_SIGN_ECDSA_SHA512 },
	[SIG_EDDSA] = { "EdDSA", -8, GNUTLS_SIGN_EDDSA_ED25519 },
};

enum sig_alg sig_alg_from_jose(const char *name)
{
	for (int i = 0; name && i < SIG_ALG_MAX; i++)
		if (!strcmp(algs[i].jose, name))
			return (enum sig_alg)i;
	return SIG_ALG_INVALID;
}

const char *sig_alg_jose_name(enum sig_alg alg)
{
	return alg >= 0 && alg < SIG_ALG_MAX ? algs[alg].jose : "?";
}

enum sig_alg sig_alg_from_cose(long cose)
{
	for (int i = 0; i < SIG_ALG_MAX; i++)
		if (algs[i].cose == cose)
			return (enum sig_alg)i;
	return SIG_ALG_INVALID;
}

static int key_new(enum sig_key_type type, struct sig_key **ret, struct err *err)
{
	struct sig_key *k = calloc(1, sizeof(*k));

	if (!k || gnutls_pubkey_init(&k->pk) < 0) {
		free(k);
		return err_set(err, -ENOMEM, "out of memory");
	}
	k->type = type;
	*ret = k;
	return 0;
}

struct sig_key *sig_key_free(struct sig_key *k)
{
	if (k) {
		gnutls_pubkey_deinit(k->pk);
		free(k);
	}
	return NULL;
}

enum sig_key_type sig_key_type(const struct sig_key *k)
{
	return k->type;
}

/* Leading zero bytes do not count towards the modulus size. */
static size_t significant_bits(const uint8_t *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n == 0)
		return 0;
	size_t bits = n * 8;
	for (uint8_t top = p[0]; !(top & 0x80); top <<= 1)
		bits--;
	return bits;
}

int sig_key_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
		struct sig_key **ret, struct err *err)
{
	gnutls_datum_t m = { (unsigned char *)n, (unsigned)n_len };
	gnutls_datum_t ex = { (unsigned char *)e, (unsigned)e_len };
	struct sig_key *k = NULL;
	size_t bits = significant_bits(n, n_len);
	int r;

	if (bits < SIG_RSA_MIN_BITS || n_len > 2048)
		return err_set(err, -EINVAL, "RSA key of %zu bits (at least %d, at most 16384)", bits,
			       SIG_RSA_MIN_BITS);
	if (significant_bits(e, e_len) < 2 || e_len > 8)
		return err_set(err, -EINVAL, "bad RSA exponent");
	if ((r = key_new(SIG_KEY_RSA, &k, err)) < 0)
		return r;
	if (gnutls_pubkey_import_rsa_raw(k->pk, &m, &ex) < 0 || gnutls_pubkey_verify_params(k->pk) < 0) {
		sig_key_free(k);
		return err_set(err, -EINVAL, "unusable RSA key");
	}
	*ret = k;
	return 0;
}

static size_t curve_bytes(enum sig_key_type t)
{
	return t == SIG_KEY_P256 ? 32 : t == SIG_KEY_P384 ? 48 : t == SIG_KEY_P521 ? 66 : 0;
}

int sig_key_ec(enum sig_key_type type, const uint8_t *x, size_t x_len, const uint8_t *y,
	       size_t y_len, struct sig_key **ret, struct err *err)
{
	size_t cb = curve_bytes(type);
	uint8_t xb[66], yb[66];
	gnutls_datum_t dx = { xb, (unsigned)cb }, dy = { yb, (unsigned)cb };
	gnutls_ecc_curve_t curve = type == SIG_KEY_P256 ? GNUTLS_ECC_CURVE_SECP256R1 :
				   type == SIG_KEY_P384 ? GNUTLS_ECC_CURVE_SECP384R1 :
							  GNUTLS_ECC_CURVE_SECP521R1;
	struct sig_key *k = NULL;
	int r;

	if (!cb || x_len == 0 || y_len == 0 || x_len > cb || y_len > cb)
		return err_set(err, -EINVAL, "EC point coordinates do not fit the curve");
	/* JWK requires full-length coordinates (RFC 7518 6.2.1.2); COSE encoders sometimes
	 * drop leading zeros, which is harmless once padded back. */
	memset(xb, 0, cb);
	memset(yb, 0, cb);
	memcpy(xb + cb - x_len, x, x_len);
	memcpy(yb + cb - y_len, y, y_len);
	if ((r = key_new(type, &k, err)) < 0)
		return r;
	if (gnutls_pubkey_import_ecc_raw(k->pk, curve, &dx, &dy) < 0 ||
	    gnutls_pubkey_verify_params(k->pk) < 0) {
		sig_key_free(k);
		return err_set(err, -EINVAL, "EC point is not on the curve");
	}
	*ret = k;
	return 0;
}

int sig_key_ed25519(const uint8_t pub[32], struct sig_key **ret, struct err *err)
{
	gnutls_datum_t dx = { (unsigned char *)pub, 32 };
	struct sig_key *k = NULL;
	int r;

	if ((r = key_new(SIG_KEY_ED25519, &k, err)) < 0)
		return r;
	if (gnutls_pubkey_import_ecc_raw(k->pk, GNUTLS_ECC_CURVE_ED25519, &dx, NULL) < 0) {
		sig_key_free(k);
		return err_set(err, -EINVAL, "unusable Ed25519 key");
	}
	*ret = k;
	return 0;
}

bool sig_alg_fits_key(enum sig_alg alg, const struct sig_key *k)
{
	switch (k->type) {
	case SIG_KEY_RSA:
		return alg >= SIG_RS256 && alg <= SIG_PS512;
	case SIG_KEY_P256:
		return alg == SIG_ES256;
	case SIG_KEY_P384:
		return alg == SIG_ES384;
	case SIG_KEY_P521:
		return alg == SIG_ES512;
	case SIG_KEY_ED25519:
		return alg == SIG_EDDSA;
	}
	return false;
}

int sig_verify(const struct sig_key *k, enum sig_alg alg, const void *data, size_t data_len,
	       const uint8_t *sig, size_t sig_len, bool ecdsa_raw)
{
	gnutls_datum_t d = { (unsigned char *)data, (unsigned)data_len };
	gnutls_datum_t s = { (unsigned char *)sig, (unsigned)sig_len };
	gnutls_datum_t der = { NULL, 0 };
	int r;

	if (alg < 0 || alg >= SIG_ALG_MAX)
		return -EINVAL;
	if (!k || !sig_alg_fits_key(alg, k) || sig_len == 0 || sig_len > 4096 ||
	    data_len > 0x7fffffffu)
		return -EACCES;
	if (ecdsa_raw && alg >= SIG_ES256 && alg <= SIG_ES512) {
		size_t cb = curve_bytes(k->type);
		gnutls_datum_t rr = { (unsigned char *)sig, (unsigned)cb };
		gnutls_datum_t ss = { (unsigned char *)sig + cb, (unsigned)cb };

		if (sig_len != 2 * cb || gnutls_encode_rs_value(&der, &rr, &ss) < 0)
			return -EACCES;
		s = der;
	}
	r = gnutls_pubkey_verify_data2(k->pk, algs[alg].gnutls, 0, &d, &s);
	gnutls_free(der.data);
	return r >= 0 ? 0 : -EACCES;
}
