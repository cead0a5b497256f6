/* SPDX-License-Identifier: MIT */
/*
 * WebAuthn relying-party verification (auth/webauthn.h): clientDataJSON with jansson,
 * attestation object, authenticator data and COSE keys with the bounded reader of cbor.c,
 * signatures with sig.c.
 */
#include "auth/webauthn.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cbor.h"
#include "auth/jwt.h"
#include "auth/sig.h"
#include "util/err.h"

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_BE 0x08
#define FLAG_BS 0x10
#define FLAG_AT 0x40
#define FLAG_ED 0x80

#define COSE_KTY_OKP 1
#define COSE_KTY_EC2 2
#define COSE_KTY_RSA 3
#define COSE_CRV_P256 1
#define COSE_CRV_ED25519 6

int webauthn_rp_from_url(const char *url, char **ret_rp_id, char **ret_origin)
{
	const char *h, *end, *colon;
	bool https;
	char host[256];
	size_t n;
	int port = 0;

	if (!url)
		return -EINVAL;
	https = !strncasecmp(url, "https://", 8);
	if (!https && strncasecmp(url, "http://", 7))
		return -EINVAL;
	h = url + (https ? 8 : 7);
	end = h + strcspn(h, "/?#");
	/* the port colon comes after an IPv6 literal's closing bracket */
	colon = *h == '[' ? memchr(h, ']', (size_t)(end - h)) : h;
	if (colon)
		colon = memchr(colon, ':', (size_t)(end - colon));
	n = (size_t)((colon ? colon : end) - h);
	if (n == 0 || n >= sizeof(host) || memchr(h, '@', (size_t)(end - h)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)h[i]);
	host[n] = '\0';
	if (colon) {
		char *e;
		long p = strtol(colon + 1, &e, 10);
		if (e != end || p <= 0 || p > 65535)
			return -EINVAL;
		port = (int)p;
	}
	if ((https && port == 443) || (!https && port == 80))
		port = 0;
	*ret_rp_id = strdup(host);
	if (port ? asprintf(ret_origin, "%s://%s:%d", https ? "https" : "http", host, port) < 0 :
		   asprintf(ret_origin, "%s://%s", https ? "https" : "http", host) < 0)
		*ret_origin = NULL;
	if (!*ret_rp_id || !*ret_origin) {
		free(*ret_rp_id);
		free(*ret_origin);
		return -ENOMEM;
	}
	return 0;
}

/* The COSE_Key members we read (RFC 9053 7.1/7.2, RFC 8230 4): label 1 kty, 3 alg; -1 is the
 * curve (EC2, OKP) or the modulus n (RSA); -2 is x or the exponent e; -3 is y. */
struct cose_fields {
	int64_t kty, alg, crv;
	struct cbor_item n;        /* -1 when it is bytes (RSA) */
	struct cbor_item x, y;     /* -2, -3 */
	bool has_kty, has_alg;
};

static int cose_read(const uint8_t *p, size_t len, struct cose_fields *f)
{
	struct cbor c;
	struct cbor_item m, k, v;
	uint32_t seen = 0;

	memset(f, 0, sizeof(*f));
	cbor_init(&c, p, len);
	if (cbor_next(&c, &m) < 0 || m.type != CBOR_MAP || m.val > 16)
		return -EINVAL;
	for (uint64_t i = 0; i < m.val; i++) {
		int64_t key;
		const uint8_t *vstart;

		if (cbor_next(&c, &k) < 0 || !cbor_int(&k, &key))
			return -EINVAL;
		if (key < -3 || key > 3) {
			if (cbor_skip(&c) < 0)
				return -EINVAL;
			continue;
		}
		if (seen & (1u << (key + 3)))
			return -EINVAL; /* duplicate label */
		seen |= 1u << (key + 3);
		vstart = c.p;
		if (cbor_next(&c, &v) < 0)
			return -EINVAL;
		if (v.type == CBOR_ARRAY || v.type == CBOR_MAP || v.type == CBOR_TAG) {
			c.p = vstart;
			if (cbor_skip(&c) < 0)
				return -EINVAL;
			continue;
		}
		switch (key) {
		case 1:
			f->has_kty = cbor_int(&v, &f->kty);
			break;
		case 3:
			f->has_alg = cbor_int(&v, &f->alg);
			break;
		case -1:
			if (!cbor_int(&v, &f->crv))
				f->n = v;
			break;
		case -2:
			f->x = v;
			break;
		case -3:
			f->y = v;
			break;
		default:
			break;
		}
	}
	return c.p == c.end ? 0 : -EINVAL;
}

int cose_key_parse(const uint8_t *p, size_t len, struct sig_key **ret, long *ret_alg,
		   struct err *err)
{
	struct cose_fields f;
	enum sig_alg alg;

	if (len > WA_COSE_KEY_MAX || cose_read(p, len, &f) < 0 || !f.has_kty || !f.has_alg)
		return err_set(err, -EINVAL, "malformed credential public key");
	alg = sig_alg_from_cose((long)f.alg);
	*ret_alg = (long)f.alg;
	if (f.kty == COSE_KTY_EC2 && alg == SIG_ES256 && f.crv == COSE_CRV_P256 &&
	    f.x.type == CBOR_BYTES && f.y.type == CBOR_BYTES)
		return sig_key_ec(SIG_KEY_P256, f.x.data, f.x.val, f.y.data, f.y.val, ret, err);
	if (f.kty == COSE_KTY_OKP && alg == SIG_EDDSA && f.crv == COSE_CRV_ED25519 &&
	    f.x.type == CBOR_BYTES && f.x.val == 32)
		return sig_key_ed25519(f.x.data, ret, err);
	if (f.kty == COSE_KTY_RSA && alg == SIG_RS256 && f.n.type == CBOR_BYTES &&
	    f.x.type == CBOR_BYTES)
		return sig_key_rsa(f.n.data, f.n.val, f.x.data, f.x.val, ret, err);
	return err_set(err, -EINVAL, "credential key type/algorithm not supported (COSE alg %lld; "
		       "ES256, EdDSA and RS256 are)", (long long)f.alg);
}

struct auth_data {
	const uint8_t *rp_id_hash;
	uint8_t flags;
	uint32_t count;
	const uint8_t *aaguid, *cred_id, *cose;
	size_t cred_id_len, cose_len;
};

/* Splits authenticator data (WebAuthn L2 6.1); with_cred: attested credential data required. */
static int auth_data_parse(const uint8_t *p, size_t len, bool with_cred, struct auth_data *a)
{
	struct cbor c;

	memset(a, 0, sizeof(*a));
	if (len < 37 || len > WA_AUTH_DATA_MAX)
		return -EINVAL;
	a->rp_id_hash = p;
	a->flags = p[32];
	a->count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 | (uint32_t)p[35] << 8 | p[36];
	cbor_init(&c, p + 37, len - 37);
	if (!!(a->flags & FLAG_AT) != with_cred)
		return -EINVAL;
	if (with_cred) {
		if (c.end - c.p < 18)
			return -EINVAL;
		a->aaguid = c.p;
		a->cred_id_len = (size_t)c.p[16] << 8 | c.p[17];
		c.p += 18;
		if (a->cred_id_len == 0 || a->cred_id_len > WA_CRED_ID_MAX ||
		    a->cred_id_len > (size_t)(c.end - c.p))
			return -EINVAL;
		a->cred_id = c.p;
		c.p += a->cred_id_len;
		a->cose = c.p;
		if (cbor_skip(&c) < 0)
			return -EINVAL;
		a->cose_len = (size_t)(c.p - a->cose);
	}
	if ((a->flags & FLAG_ED) && cbor_skip(&c) < 0)
		return -EINVAL;
	return c.p == c.end ? 0 : -EINVAL;
}

/* clientDataJSON (5.8.1) of this ceremony: type, challenge, origin, not cross-origin. */
static int client_data_check(const struct wa_rp *rp, const char *type,
			     const uint8_t challenge[WA_CHALLENGE_LEN], const char *cdj, size_t len,
			     struct err *err)
{
	json_t *o;
	const char *t, *ch, *origin;
	char *want = NULL;
	int r = -EACCES;

	if (!cdj || len == 0 || len > WA_CLIENT_DATA_MAX)
		return err_set(err, -EINVAL, "clientDataJSON missing or too long");
	o = json_loadb(cdj, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return err_set(err, -EINVAL, "clientDataJSON is not a JSON object");
	}
	t = json_string_value(json_object_get(o, "type"));
	ch = json_string_value(json_object_get(o, "challenge"));
	origin = json_string_value(json_object_get(o, "origin"));
	want = b64url_encode(challenge, WA_CHALLENGE_LEN);
	if (!t || strcmp(t, type))
		err_set(err, r, "clientDataJSON type is not %s", type);
	else if (!want || !ch || strlen(ch) != strlen(want) ||
		 sodium_memcmp(ch, want, strlen(want)) != 0)
		err_set(err, r, "passkey response is not for this challenge");
	else if (!origin || strcmp(origin, rp->origin))
		err_set(err, r, "passkey response comes from origin '%.80s', expected '%s' "
			"(web.external_url)", origin ? origin : "", rp->origin);
	else if (json_is_true(json_object_get(o, "crossOrigin")))
		err_set(err, r, "passkey response from a cross-origin frame");
	else
		r = 0;
	free(want);
	json_decref(o);
	return r;
}

static int flags_check(const struct wa_rp *rp, const struct auth_data *a, struct err *err)
{
	uint8_t h[32];

	crypto_hash_sha256(h, (const unsigned char *)rp->rp_id, strlen(rp->rp_id));
	if (sodium_memcmp(h, a->rp_id_hash, 32) != 0)
		return err_set(err, -EACCES, "passkey is for another relying party (rpIdHash)");
	if (!(a->flags & FLAG_UP))
		return err_set(err, -EACCES, "the user was not present (UP flag)");
	if (rp->require_uv && !(a->flags & FLAG_UV))
		return err_set(err, -EACCES, "the authenticator did not verify the user (UV flag)");
	if (!(a->flags & FLAG_BE) && (a->flags & FLAG_BS))
		return err_set(err, -EACCES, "inconsistent backup flags");
	return 0;
}

/* The authData bytes of an attestation object {"fmt", "attStmt", "authData"}. */
static int att_obj_auth_data(const uint8_t *p, size_t len, struct cbor_item *ad)
{
	struct cbor c;
	struct cbor_item m, k, v;
	bool have_fmt = false, have_stmt = false, have_ad = false;

	cbor_init(&c, p, len);
	if (len > WA_ATT_OBJ_MAX || cbor_next(&c, &m) < 0 || m.type != CBOR_MAP || m.val > 8)
		return -EINVAL;
	for (uint64_t i = 0; i < m.val; i++) {
		const uint8_t *vstart;

		if (cbor_next(&c, &k) < 0 || k.type != CBOR_TEXT)
			return -EINVAL;
		vstart = c.p;
		if (cbor_text_is(&k, "fmt") && !have_fmt) {
			have_fmt = cbor_next(&c, &v) == 0 && v.type == CBOR_TEXT;
			if (!have_fmt)
				return -EINVAL;
			continue;
		}
		if (cbor_text_is(&k, "authData") && !have_ad) {
			have_ad = cbor_next(&c, ad) == 0 && ad->type == CBOR_BYTES;
			if (!have_ad)
				return -EINVAL;
			continue;
		}
		if (cbor_text_is(&k, "attStmt")) {
			/* attestation "none" was requested: the statement carries no trust for us */
			if (have_stmt || cbor_next(&c, &v) < 0 || v.type != CBOR_MAP)
				return -EINVAL;
			have_stmt = true;
			c.p = vstart;
		}
		if (cbor_skip(&c) < 0)
			return -EINVAL;
	}
	return have_fmt && have_stmt && have_ad && c.p == c.end ? 0 : -EINVAL;
}

int webauthn_register(const struct wa_rp *rp, const uint8_t challenge[WA_CHALLENGE_LEN],
		      const char *cdj, size_t cdj_len, const uint8_t *att_obj, size_t att_len,
		      struct wa_credential *ret, struct err *err)
{
	struct cbor_item ad;
	struct auth_data a;
	struct sig_key *key = NULL;
	long alg = 0;
	int r;

	if ((r = client_data_check(rp, "webauthn.create", challenge, cdj, cdj_len, err)) < 0)
		return r;
	if (!att_obj || att_obj_auth_data(att_obj, att_len, &ad) < 0 ||
	    auth_data_parse(ad.data, ad.val, true, &a) < 0)
		return err_set(err, -EINVAL, "malformed attestation object");
	if ((r = flags_check(rp, &a, err)) < 0)
		return r;
	if (a.cose_len > WA_COSE_KEY_MAX)
		return err_set(err, -EINVAL, "credential public key too large");
	if ((r = cose_key_parse(a.cose, a.cose_len, &key, &alg, err)) < 0)
		return r;
	sig_key_free(key);
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->id, a.cred_id, a.cred_id_len);
	ret->id_len = a.cred_id_len;
	memcpy(ret->cose_key, a.cose, a.cose_len);
	ret->cose_key_len = a.cose_len;
	ret->alg = alg;
	ret->sign_count = a.count;
	memcpy(ret->aaguid, a.aaguid, 16);
	ret->backup_eligible = a.flags & FLAG_BE;
	ret->backed_up = a.flags & FLAG_BS;
	return 0;
}

int webauthn_assert(const struct wa_rp *rp, const uint8_t challenge[WA_CHALLENGE_LEN],
		    const struct wa_credential *cred, const char *cdj, size_t cdj_len,
		    const uint8_t *auth_data, size_t ad_len, const uint8_t *sig, size_t sig_len,
		    uint32_t *ret_count, bool *ret_backed_up, struct err *err)
{
	struct auth_data a;
	struct sig_key *key = NULL;
	uint8_t *msg = NULL;
	long alg = 0;
	int r;

	if ((r = client_data_check(rp, "webauthn.get", challenge, cdj, cdj_len, err)) < 0)
		return r;
	if (!auth_data || auth_data_parse(auth_data, ad_len, false, &a) < 0)
		return err_set(err, -EINVAL, "malformed authenticator data");
	if ((r = flags_check(rp, &a, err)) < 0)
		return r;
	if ((r = cose_key_parse(cred->cose_key, cred->cose_key_len, &key, &alg, err)) < 0)
		return r;
	msg = malloc(ad_len + 32);
	if (!msg) {
		sig_key_free(key);
		return err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(msg, auth_data, ad_len);
	crypto_hash_sha256(msg + ad_len, (const unsigned char *)cdj, cdj_len);
	r = sig_verify(key, sig_alg_from_cose(alg), msg, ad_len + 32, sig, sig_len, false);
	free(msg);
	sig_key_free(key);
	if (r < 0)
		return err_set(err, -EACCES, "passkey signature is invalid");
	/* 7.2 step 21: a counter that stands still or goes back means two copies of the key */
	if ((a.count != 0 || cred->sign_count != 0) && a.count <= cred->sign_count)
		return err_set(err, -EACCES, "passkey signature counter went from %u to %u: the "
			       "authenticator may have been cloned", cred->sign_count, a.count);
	*ret_count = a.count;
	*ret_backed_up = a.flags & FLAG_BS;
	return 0;
}
