/* SPDX-License-Identifier: MIT */
/*
 * JWKS parsing and ID-token verification (auth/jwt.h) on jansson and auth/sig.c. Written here
 * rather than taken from a JOSE library after measuring the Debian 12 candidates
 * (docs/auth.md "JOSE library"): libjwt accepts alg=none and has no JWKS or EdDSA, libcjose has
 * no EdDSA, rhonabwy's audience check fails on arrays; and passkeys need raw GnuTLS
 * verification anyway, which this file shares.
 */
#include "auth/jwt.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

struct jwk {
	char *kid;                 /* NULL when absent */
	enum sig_alg alg;          /* SIG_ALG_INVALID when the key does not pin one */
	struct sig_key *key;
};

struct jwks {
	struct jwk k[JWKS_MAX_KEYS];
	size_t n;
};

int b64url_decode(const char *in, size_t in_len, uint8_t **ret, size_t *ret_len)
{
	size_t cap = in_len * 3 / 4 + 1, len = 0;
	const char *end = NULL;
	uint8_t *out;

	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	if (sodium_base642bin(out, cap, in, in_len, NULL, &len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != in + in_len) {
		free(out);
		return -EINVAL;
	}
	*ret = out;
	*ret_len = len;
	return 0;
}

char *b64url_encode(const uint8_t *in, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(n);

	if (out)
		sodium_bin2base64(out, n, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

struct jwks *jwks_free(struct jwks *ks)
{
	if (!ks)
		return NULL;
	for (size_t i = 0; i < ks->n; i++) {
		free(ks->k[i].kid);
		sig_key_free(ks->k[i].key);
	}
	free(ks);
	return NULL;
}

size_t jwks_count(const struct jwks *ks)
{
	return ks ? ks->n : 0;
}

/* A base64url member of a JWK, decoded; -EINVAL when missing or malformed. */
static int member_bytes(json_t *o, const char *name, size_t max, uint8_t **ret, size_t *len)
{
	json_t *v = json_object_get(o, name);
	const char *s = json_string_value(v);

	if (!s || !*s || strlen(s) > max * 2)
		return -EINVAL;
	return b64url_decode(s, strlen(s), ret, len);
}

static int parse_rsa(json_t *o, struct sig_key **key, struct err *err)
{
	uint8_t *n = NULL, *e = NULL;
	size_t nl = 0, el = 0;
	int r = -EINVAL;

	if (member_bytes(o, "n", 2048, &n, &nl) < 0 || member_bytes(o, "e", 8, &e, &el) < 0)
		err_set(err, r, "RSA key without valid n/e");
	else
		r = sig_key_rsa(n, nl, e, el, key, err);
	free(n);
	free(e);
	return r;
}

static int parse_ec(json_t *o, enum sig_key_type t, struct sig_key **key, struct err *err)
{
	uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	int r = -EINVAL;

	if (member_bytes(o, "x", 66, &x, &xl) < 0 || member_bytes(o, "y", 66, &y, &yl) < 0)
		err_set(err, r, "EC key without valid x/y");
	else
		r = sig_key_ec(t, x, xl, y, yl, key, err);
	free(x);
	free(y);
	return r;
}

static int parse_okp(json_t *o, struct sig_key **key, struct err *err)
{
	uint8_t *x = NULL;
	size_t xl = 0;
	int r;

	if (member_bytes(o, "x", 32, &x, &xl) < 0 || xl != 32) {
		free(x);
		return err_set(err, -EINVAL, "Ed25519 key without a 32-byte x");
	}
	r = sig_key_ed25519(x, key, err);
	free(x);
	return r;
}

/* One key of the set: 0 and *key (NULL when the key is not for signatures), or -EINVAL. */
static int parse_key(json_t *o, struct sig_key **key, enum sig_alg *alg, struct err *err)
{
	const char *kty = json_string_value(json_object_get(o, "kty"));
	const char *use = json_string_value(json_object_get(o, "use"));
	const char *a = json_string_value(json_object_get(o, "alg"));
	const char *crv = json_string_value(json_object_get(o, "crv"));

	*key = NULL;
	*alg = SIG_ALG_INVALID;
	if (!json_is_object(o) || !kty)
		return err_set(err, -EINVAL, "key without kty");
	if (use && strcmp(use, "sig"))
		return 0;
	if (a) {
		*alg = sig_alg_from_jose(a);
		if (*alg == SIG_ALG_INVALID)
			return 0; /* HS*, RSA-OAEP, ...: not a verification key for us */
	}
	if (!strcmp(kty, "RSA"))
		return parse_rsa(o, key, err);
	if (!strcmp(kty, "EC") && crv) {
		if (!strcmp(crv, "P-256"))
			return parse_ec(o, SIG_KEY_P256, key, err);
		if (!strcmp(crv, "P-384"))
			return parse_ec(o, SIG_KEY_P384, key, err);
		if (!strcmp(crv, "P-521"))
			return parse_ec(o, SIG_KEY_P521, key, err);
		return 0;
	}
	if (!strcmp(kty, "OKP") && crv && !strcmp(crv, "Ed25519"))
		return parse_okp(o, key, err);
	return 0;
}

int jwks_parse(const char *json, size_t len, struct jwks **ret, struct err *err)
{
	json_error_t je;
	json_t *doc, *keys, *o;
	struct jwks *ks;
	size_t i;
	int r = 0;

	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return err_set(err, -EINVAL, "JWKS is not JSON: %s", je.text);
	keys = json_object_get(doc, "keys");
	if (!json_is_array(keys)) {
		json_decref(doc);
		return err_set(err, -EINVAL, "JWKS has no \"keys\" array");
	}
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		json_decref(doc);
		return err_set(err, -ENOMEM, "out of memory");
	}
	json_array_foreach(keys, i, o) {
		struct sig_key *key = NULL;
		enum sig_alg alg;
		const char *kid = json_string_value(json_object_get(o, "kid"));

		if (ks->n >= JWKS_MAX_KEYS) {
			r = err_set(err, -EINVAL, "JWKS has more than %d keys", JWKS_MAX_KEYS);
			break;
		}
		if ((r = parse_key(o, &key, &alg, err)) < 0) {
			err_prefix(err, "JWKS key %zu", i);
			break;
		}
		if (!key)
			continue;
		if (alg != SIG_ALG_INVALID && !sig_alg_fits_key(alg, key)) {
			sig_key_free(key);
			r = err_set(err, -EINVAL, "JWKS key %zu: alg %s does not fit its kty/crv", i,
				    sig_alg_jose_name(alg));
			break;
		}
		ks->k[ks->n].key = key;
		ks->k[ks->n].alg = alg;
		ks->k[ks->n].kid = kid ? strdup(kid) : NULL;
		ks->n++;
		if (kid && !ks->k[ks->n - 1].kid) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	json_decref(doc);
	if (r < 0) {
		jwks_free(ks);
		return r;
	}
	*ret = ks;
	return 0;
}

/* Decodes one base64url segment holding a JSON object (duplicate keys rejected). */
static json_t *segment_json(const char *s, size_t len)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	json_t *o;

	if (b64url_decode(s, len, &raw, &n) < 0)
		return NULL;
	o = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (o && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool aud_ok(json_t *claims, const char *client_id)
{
	json_t *aud = json_object_get(claims, "aud"), *v;
	const char *azp = json_string_value(json_object_get(claims, "azp"));
	bool found = false;
	size_t i;

	if (json_is_string(aud))
		found = !strcmp(json_string_value(aud), client_id);
	else if (json_is_array(aud))
		json_array_foreach(aud, i, v)
			found |= json_is_string(v) && !strcmp(json_string_value(v), client_id);
	if (!found)
		return false;
	/* Core 3.1.3.7 (4, 5): with several audiences the authorized party must be us. */
	if (json_is_array(aud) && json_array_size(aud) > 1 && (!azp || strcmp(azp, client_id)))
		return false;
	return !azp || !strcmp(azp, client_id);
}

static int check_claims(json_t *c, const struct jwt_expect *w, struct err *err)
{
	json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");
	json_t *nbf = json_object_get(c, "nbf");
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *nonce = json_string_value(json_object_get(c, "nonce"));

	if (!iss || !w->issuer || strcmp(iss, w->issuer))
		return err_set(err, -EACCES, "ID token issuer does not match the provider");
	if (!w->audience || !aud_ok(c, w->audience))
		return err_set(err, -EACCES, "ID token audience is not this client");
	if (!json_is_number(exp) || !json_is_number(iat))
		return err_set(err, -EACCES, "ID token without exp/iat");
	if ((double)w->now >= json_number_value(exp) + JWT_LEEWAY_S)
		return err_set(err, -EACCES, "ID token expired");
	if (nbf && (!json_is_number(nbf) || (double)w->now + JWT_LEEWAY_S < json_number_value(nbf)))
		return err_set(err, -EACCES, "ID token not valid yet (nbf)");
	if (w->nonce && (!nonce || strcmp(nonce, w->nonce)))
		return err_set(err, -EACCES, "ID token nonce does not match this login");
	return 0;
}

/* Tries the keys that may have made this signature: the kid's key, or every fitting key. */
static int verify_with_set(const struct jwks *ks, const char *kid, enum sig_alg alg,
			   const char *signed_part, size_t signed_len, const uint8_t *sig,
			   size_t sig_len, struct err *err)
{
	bool kid_found = false, tried = false;

	for (size_t i = 0; ks && i < ks->n; i++) {
		const struct jwk *k = &ks->k[i];

		if (kid && (!k->kid || strcmp(k->kid, kid)))
			continue;
		kid_found = true;
		if ((k->alg != SIG_ALG_INVALID && k->alg != alg) || !sig_alg_fits_key(alg, k->key))
			continue;
		tried = true;
		if (sig_verify(k->key, alg, signed_part, signed_len, sig, sig_len, true) == 0)
			return 0;
	}
	if (kid && !kid_found)
		return err_set(err, -ENOKEY, "ID token signed with a key the provider does not list");
	if (!tried)
		return err_set(err, -EACCES, "no key of the provider fits the ID token's algorithm");
	return err_set(err, -EACCES, "ID token signature is invalid");
}

int jwt_verify(const char *token, const struct jwks *ks, const struct jwt_expect *want,
	       json_t **ret_claims, struct err *err)
{
	const char *d1, *d2, *alg_name, *kid;
	size_t tlen;
	json_t *hdr = NULL, *claims = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	unsigned allowed = want->algs ? want->algs : 1u << SIG_RS256;
	enum sig_alg alg;
	int r;

	tlen = token ? strnlen(token, JWT_TOKEN_MAX + 1) : 0;
	if (tlen == 0 || tlen > JWT_TOKEN_MAX)
		return err_set(err, -EINVAL, "ID token missing or too long");
	d1 = memchr(token, '.', tlen);
	d2 = d1 ? memchr(d1 + 1, '.', tlen - (size_t)(d1 + 1 - token)) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', tlen - (size_t)(d2 + 1 - token)))
		return err_set(err, -EINVAL, "ID token is not a compact JWS");
	hdr = segment_json(token, (size_t)(d1 - token));
	if (!hdr) {
		r = err_set(err, -EINVAL, "ID token header is not base64url JSON");
		goto out;
	}
	alg_name = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	alg = sig_alg_from_jose(alg_name);
	if (alg == SIG_ALG_INVALID || !(allowed & (1u << alg))) {
		r = err_set(err, -EACCES, "ID token algorithm '%.16s' is not allowed",
			    alg_name ? alg_name : "");
		goto out;
	}
	if (json_object_get(hdr, "crit")) {
		r = err_set(err, -EACCES, "ID token has critical header extensions");
		goto out;
	}
	if (b64url_decode(d2 + 1, tlen - (size_t)(d2 + 1 - token), &sig, &sig_len) < 0) {
		r = err_set(err, -EINVAL, "ID token signature is not base64url");
		goto out;
	}
	r = verify_with_set(ks, kid, alg, token, (size_t)(d2 - token), sig, sig_len, err);
	if (r < 0)
		goto out;
	claims = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!claims) {
		r = err_set(err, -EINVAL, "ID token claims are not base64url JSON");
		goto out;
	}
	r = check_claims(claims, want, err);
	if (r == 0) {
		*ret_claims = claims;
		claims = NULL;
	}
out:
	json_decref(hdr);
	json_decref(claims);
	free(sig);
	return r;
}
