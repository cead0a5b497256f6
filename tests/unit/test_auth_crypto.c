/* SPDX-License-Identifier: MIT */
/*
 * The sign-in cryptography: ID tokens against a JWKS (tests/data/auth/jwt, made by
 * bench/jose/gen.mjs with node's crypto: valid RS256/ES256/EdDSA/PS256, alg none, HMAC keyed
 * with the RSA public key, tampered, expired, foreign audience), JWKS edge cases, the CBOR
 * reader's bounds, WebAuthn registration and assertion with keys made here (ES256 through
 * GnuTLS, EdDSA through libsodium) including every refusal path, and TOTP against the
 * RFC 6238 Appendix B vectors.
 */
#include "testlib.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cbor.h"
#include "auth/jwt.h"
#include "auth/sig.h"
#include "auth/totp.h"
#include "auth/webauthn.h"
#include "util/err.h"

#define ALL_ALGS ((1u << SIG_ALG_MAX) - 1)

/* ---- ID tokens ---------------------------------------------------------------------------- */

static void test_jwt__vectors(void **state)
{
	char *jwks = test_read_file("tests/data/auth/jwt/jwks.json");
	char *cases = test_read_file("tests/data/auth/jwt/cases.txt");
	char *meta = test_read_file("tests/data/auth/jwt/meta.txt");
	char iss[128], aud[128], nonce[128], *save = NULL;
	struct jwks *ks = NULL;
	struct err err = { 0 };
	int n = 0;

	assert_int_equal(sscanf(meta, "%127s %127s %127s", iss, aud, nonce), 3);
	assert_int_equal(jwks_parse(jwks, strlen(jwks), &ks, &err), 0);
	assert_int_equal(jwks_count(ks), 4);
	for (char *l = strtok_r(cases, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
		char *t1 = strchr(l, '\t'), *t2 = strchr(t1 + 1, '\t');
		struct jwt_expect w = { iss, aud, nonce, 1800000000 + 10, ALL_ALGS };
		json_t *claims = NULL;

		*t1 = *t2 = '\0';
		err_clear(&err);
		int r = jwt_verify(t1 + 1, ks, &w, &claims, &err);
		if ((r == 0) != (atoi(l) == 1))
			fail_msg("case '%s': got %d (%s)", t2 + 1, r, err.msg);
		if (r == 0)
			assert_string_equal(json_string_value(json_object_get(claims, "sub")), "alice");
		json_decref(claims);
	}
	assert_int_equal(n, 12);
	jwks_free(ks);
	free(jwks);
	free(cases);
	free(meta);
}

static const char *vector(int index)
{
	static char *cases;
	char *l = cases;

	if (!cases)
		l = cases = test_read_file("tests/data/auth/jwt/cases.txt");
	for (int i = 0; i < index; i++)
		l = strchr(l, '\n') + 1;
	static char tok[8192];
	const char *t = strchr(l, '\t') + 1;
	size_t n = (size_t)(strchr(t, '\t') - t);
	memcpy(tok, t, n);
	tok[n] = '\0';
	return tok;
}

static void test_jwt__claims_and_policy(void **state)
{
	char *jwks = test_read_file("tests/data/auth/jwt/jwks.json");
	struct jwks *ks = NULL;
	struct err err = { 0 };
	json_t *c = NULL;
	struct jwt_expect w = { "https://idp.example", "wgportal", "n-0S6_WzA2Mj",
				1800000000 + 10, 0 };

	assert_int_equal(jwks_parse(jwks, strlen(jwks), &ks, &err), 0);
	/* the default allow-list is RS256 only */
	assert_int_equal(jwt_verify(vector(0), ks, &w, &c, &err), 0);
	json_decref(c);
	assert_int_equal(jwt_verify(vector(1), ks, &w, &c, &err), -EACCES);
	assert_non_null(strstr(err.msg, "algorithm 'ES256' is not allowed"));
	/* nonce of another login */
	w.algs = ALL_ALGS;
	w.nonce = "other-nonce";
	assert_int_equal(jwt_verify(vector(0), ks, &w, &c, &err), -EACCES);
	assert_non_null(strstr(err.msg, "nonce"));
	/* issuer */
	w.nonce = NULL;
	w.issuer = "https://evil.example";
	assert_int_equal(jwt_verify(vector(0), ks, &w, &c, &err), -EACCES);
	assert_non_null(strstr(err.msg, "issuer"));
	/* expiry with leeway: exp = now + 600 */
	w.issuer = "https://idp.example";
	w.now = 1800000000 + 600 + JWT_LEEWAY_S - 1;
	assert_int_equal(jwt_verify(vector(0), ks, &w, &c, &err), 0);
	json_decref(c);
	w.now += 2;
	assert_int_equal(jwt_verify(vector(0), ks, &w, &c, &err), -EACCES);
	assert_non_null(strstr(err.msg, "expired"));
	/* unknown kid: the caller refetches the JWKS */
	w.now = 1800000000;
	char tok[8192];
	snprintf(tok, sizeof(tok), "%s", vector(0));
	char *hdr = b64url_encode((const uint8_t *)"{\"alg\":\"RS256\",\"kid\":\"zz\"}", 26);
	char *rest = strchr(tok, '.');
	char swapped[8192];
	snprintf(swapped, sizeof(swapped), "%s%s", hdr, rest);
	free(hdr);
	assert_int_equal(jwt_verify(swapped, ks, &w, &c, &err), -ENOKEY);
	/* garbage */
	assert_int_equal(jwt_verify("a.b", ks, &w, &c, &err), -EINVAL);
	assert_int_equal(jwt_verify("", ks, &w, &c, &err), -EINVAL);
	assert_int_equal(jwt_verify("e30.e30.", ks, &w, &c, &err), -EACCES);
	jwks_free(ks);
	free(jwks);
}

static void test_jwks__edge_cases(void **state)
{
	struct jwks *ks = NULL;
	struct err err = { 0 };
	const char *small_rsa = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
	const char *enc_only = "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"x\",\"e\":\"AQAB\"},"
			       "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},{\"kty\":\"EC\",\"crv\":\"P-192\"}]}";
	const char *off_curve = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
				"\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\","
				"\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}";

	assert_int_equal(jwks_parse(small_rsa, strlen(small_rsa), &ks, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "RSA key of 17 bits"));
	assert_int_equal(jwks_parse(enc_only, strlen(enc_only), &ks, &err), 0);
	assert_int_equal(jwks_count(ks), 0);
	jwks_free(ks);
	assert_int_equal(jwks_parse(off_curve, strlen(off_curve), &ks, &err), -EINVAL);
	assert_int_equal(jwks_parse("{\"keys\":{}}", 11, &ks, &err), -EINVAL);
	assert_int_equal(jwks_parse("{\"keys\":[],\"keys\":[]}", 21, &ks, &err), -EINVAL);
	assert_int_equal(jwks_parse("[", 1, &ks, &err), -EINVAL);
}

static void test_b64url__strict(void **state)
{
	uint8_t *out = NULL;
	size_t n = 0;

	assert_int_equal(b64url_decode("aGk", 3, &out, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "hi", 2);
	free(out);
	assert_int_equal(b64url_decode("aGk=", 4, &out, &n), -EINVAL);
	assert_int_equal(b64url_decode("a+k", 3, &out, &n), -EINVAL);
	assert_int_equal(b64url_decode("a", 1, &out, &n), -EINVAL);
}

/* ---- CBOR ---------------------------------------------------------------------------------- */

static void test_cbor__bounds(void **state)
{
	struct cbor c;
	struct cbor_item it;
	/* map of 2^63 pairs in nine bytes: a count cannot exceed the bytes left */
	const uint8_t huge[] = { 0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t indefinite[] = { 0x9f, 0x01, 0xff };
	const uint8_t long_bytes[] = { 0x5a, 0x00, 0x01, 0x00, 0x00, 0x01 };
	uint8_t deep[32];
	const uint8_t ok[] = { 0xa2, 0x01, 0x02, 0x20, 0x43, 'a', 'b', 'c' }; /* {1:2, -1:h'616263'} */

	cbor_init(&c, huge, sizeof(huge));
	assert_int_equal(cbor_skip(&c), -EINVAL);
	cbor_init(&c, indefinite, sizeof(indefinite));
	assert_int_equal(cbor_skip(&c), -EINVAL);
	cbor_init(&c, long_bytes, sizeof(long_bytes));
	assert_int_equal(cbor_next(&c, &it), -EINVAL);
	memset(deep, 0x81, sizeof(deep)); /* [[[[...]]]] */
	deep[31] = 0x01;
	cbor_init(&c, deep, sizeof(deep));
	assert_int_equal(cbor_skip(&c), -EINVAL);
	cbor_init(&c, ok, sizeof(ok));
	assert_int_equal(cbor_skip(&c), 0);
	assert_ptr_equal(c.p, c.end);
	cbor_init(&c, ok + 3, sizeof(ok) - 3);
	int64_t v;
	assert_int_equal(cbor_next(&c, &it), 0);
	assert_true(cbor_int(&it, &v));
	assert_int_equal(v, -1);
	assert_int_equal(cbor_next(&c, &it), 0);
	assert_int_equal(it.type, CBOR_BYTES);
	assert_int_equal(it.val, 3);
}

/* ---- WebAuthn ------------------------------------------------------------------------------ */

struct enc {
	uint8_t b[4096];
	size_t n;
};

static void put_head(struct enc *e, int major, uint64_t v)
{
	if (v < 24) {
		e->b[e->n++] = (uint8_t)(major << 5 | v);
	} else if (v < 256) {
		e->b[e->n++] = (uint8_t)(major << 5 | 24);
		e->b[e->n++] = (uint8_t)v;
	} else {
		e->b[e->n++] = (uint8_t)(major << 5 | 25);
		e->b[e->n++] = (uint8_t)(v >> 8);
		e->b[e->n++] = (uint8_t)v;
	}
}

static void put_int(struct enc *e, int64_t v)
{
	if (v >= 0)
		put_head(e, 0, (uint64_t)v);
	else
		put_head(e, 1, (uint64_t)(-1 - v));
}

static void put_bytes(struct enc *e, int major, const void *p, size_t n)
{
	put_head(e, major, n);
	memcpy(e->b + e->n, p, n);
	e->n += n;
}

struct authn {
	bool ed25519;
	uint8_t ed_sk[64], ed_pk[32];
	gnutls_privkey_t ec;
	uint8_t x[32], y[32];
	uint8_t cred_id[16];
};

static void authn_init(struct authn *a, bool ed25519)
{
	memset(a, 0, sizeof(*a));
	a->ed25519 = ed25519;
	randombytes_buf(a->cred_id, sizeof(a->cred_id));
	if (ed25519) {
		crypto_sign_keypair(a->ed_pk, a->ed_sk);
		return;
	}
	gnutls_datum_t x, y, k;
	gnutls_ecc_curve_t curve;
	assert_int_equal(gnutls_privkey_init(&a->ec), 0);
	assert_int_equal(gnutls_privkey_generate(a->ec, GNUTLS_PK_ECDSA,
						 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_privkey_export_ecc_raw2(a->ec, &curve, &x, &y, &k,
							GNUTLS_EXPORT_FLAG_NO_LZ), 0);
	memcpy(a->x + 32 - x.size, x.data, x.size);
	memcpy(a->y + 32 - y.size, y.data, y.size);
	gnutls_free(x.data);
	gnutls_free(y.data);
	gnutls_free(k.data);
}

static void cose_key(const struct authn *a, struct enc *e)
{
	if (a->ed25519) {
		put_head(e, 5, 4);
		put_int(e, 1); put_int(e, 1);       /* kty OKP */
		put_int(e, 3); put_int(e, -8);      /* alg EdDSA */
		put_int(e, -1); put_int(e, 6);      /* crv Ed25519 */
		put_int(e, -2); put_bytes(e, 2, a->ed_pk, 32);
	} else {
		put_head(e, 5, 5);
		put_int(e, 1); put_int(e, 2);       /* kty EC2 */
		put_int(e, 3); put_int(e, -7);      /* alg ES256 */
		put_int(e, -1); put_int(e, 1);      /* crv P-256 */
		put_int(e, -2); put_bytes(e, 2, a->x, 32);
		put_int(e, -3); put_bytes(e, 2, a->y, 32);
	}
}

static void auth_data(const struct authn *a, const char *rp_id, uint8_t flags, uint32_t count,
		      bool with_cred, struct enc *e)
{
	e->n = 0;
	crypto_hash_sha256(e->b, (const unsigned char *)rp_id, strlen(rp_id));
	e->n = 32;
	e->b[e->n++] = flags | (with_cred ? 0x40 : 0);
	for (int i = 3; i >= 0; i--)
		e->b[e->n++] = (uint8_t)(count >> (8 * i));
	if (with_cred) {
		memset(e->b + e->n, 0, 16);
		e->n += 16;
		e->b[e->n++] = 0;
		e->b[e->n++] = sizeof(a->cred_id);
		memcpy(e->b + e->n, a->cred_id, sizeof(a->cred_id));
		e->n += sizeof(a->cred_id);
		cose_key(a, e);
	}
}

static void client_data(char *out, size_t n, const char *type, const uint8_t *challenge,
			const char *origin)
{
	char *ch = b64url_encode(challenge, WA_CHALLENGE_LEN);
	snprintf(out, n, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\","
		 "\"crossOrigin\":false}", type, ch, origin);
	free(ch);
}

static void attestation(const struct enc *ad, struct enc *e)
{
	e->n = 0;
	put_head(e, 5, 3);
	put_bytes(e, 3, "fmt", 3);
	put_bytes(e, 3, "none", 4);
	put_bytes(e, 3, "attStmt", 7);
	put_head(e, 5, 0);
	put_bytes(e, 3, "authData", 8);
	put_bytes(e, 2, ad->b, ad->n);
}

static void sign_assertion(const struct authn *a, const struct enc *ad, const char *cdj,
			   uint8_t *sig, size_t *sig_len)
{
	uint8_t msg[4096 + 32];

	memcpy(msg, ad->b, ad->n);
	crypto_hash_sha256(msg + ad->n, (const unsigned char *)cdj, strlen(cdj));
	if (a->ed25519) {
		unsigned long long n = 0;
		crypto_sign_detached(sig, &n, msg, ad->n + 32, a->ed_sk);
		*sig_len = (size_t)n;
		return;
	}
	gnutls_datum_t d = { msg, (unsigned)(ad->n + 32) }, s;
	assert_int_equal(gnutls_privkey_sign_data(a->ec, GNUTLS_DIG_SHA256, 0, &d, &s), 0);
	memcpy(sig, s.data, s.size);
	*sig_len = s.size;
	gnutls_free(s.data);
}

static void run_ceremonies(bool ed25519)
{
	const struct wa_rp rp = { "vpn.example.com", "https://vpn.example.com", true };
	struct authn a;
	struct enc ad, att, ad2;
	struct wa_credential cred;
	uint8_t ch[WA_CHALLENGE_LEN], sig[512];
	size_t sig_len;
	char cdj[512];
	struct err err = { 0 };
	uint32_t count = 0;
	bool bs;

	authn_init(&a, ed25519);
	randombytes_buf(ch, sizeof(ch));
	auth_data(&a, rp.rp_id, 0x05, 0, true, &ad); /* UP | UV */
	attestation(&ad, &att);
	client_data(cdj, sizeof(cdj), "webauthn.create", ch, rp.origin);
	assert_int_equal(webauthn_register(&rp, ch, cdj, strlen(cdj), att.b, att.n, &cred, &err), 0);
	assert_int_equal(cred.id_len, 16);
	assert_memory_equal(cred.id, a.cred_id, 16);
	assert_int_equal(cred.alg, ed25519 ? -8 : -7);

	/* registration refusals: origin, challenge, type, rp, flags, garbage */
	client_data(cdj, sizeof(cdj), "webauthn.create", ch, "https://evil.example.com");
	assert_int_equal(webauthn_register(&rp, ch, cdj, strlen(cdj), att.b, att.n, &cred, &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "origin"));
	uint8_t other[WA_CHALLENGE_LEN] = { 1 };
	client_data(cdj, sizeof(cdj), "webauthn.create", other, rp.origin);
	assert_int_equal(webauthn_register(&rp, ch, cdj, strlen(cdj), att.b, att.n, &cred, &err),
			 -EACCES);
	client_data(cdj, sizeof(cdj), "webauthn.get", ch, rp.origin);
	assert_int_equal(webauthn_register(&rp, ch, cdj, strlen(cdj), att.b, att.n, &cred, &err),
			 -EACCES);
	client_data(cdj, sizeof(cdj), "webauthn.create", ch, rp.origin);
	struct wa_rp other_rp = { "example.org", rp.origin, true };
	assert_int_equal(webauthn_register(&other_rp, ch, cdj, strlen(cdj), att.b, att.n, &cred,
					   &err), -EACCES);
	auth_data(&a, rp.rp_id, 0x01, 0, true, &ad2); /* UP without UV */
	struct enc att2;
	attestation(&ad2, &att2);
	assert_int_equal(webauthn_register(&rp, ch, cdj, strlen(cdj), att2.b, att2.n, &cred, &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "UV"));
	for (size_t cut = 1; cut < att.n; cut += 7)
		assert_int_equal(webauthn_register(&rp, ch, cdj, strlen(cdj), att.b, cut, &cred,
						   &err), -EINVAL);
	assert_int_equal(webauthn_register(&rp, ch, cdj, strlen(cdj), att.b, att.n, &cred, &err), 0);

	/* assertions: first use (counter 0 -> 5), replay of the same counter, a clone going back */
	randombytes_buf(ch, sizeof(ch));
	auth_data(&a, rp.rp_id, 0x05, 5, false, &ad);
	client_data(cdj, sizeof(cdj), "webauthn.get", ch, rp.origin);
	sign_assertion(&a, &ad, cdj, sig, &sig_len);
	assert_int_equal(webauthn_assert(&rp, ch, &cred, cdj, strlen(cdj), ad.b, ad.n, sig, sig_len,
					 &count, &bs, &err), 0);
	assert_int_equal(count, 5);
	cred.sign_count = count;
	assert_int_equal(webauthn_assert(&rp, ch, &cred, cdj, strlen(cdj), ad.b, ad.n, sig, sig_len,
					 &count, &bs, &err), -EACCES);
	assert_non_null(strstr(err.msg, "cloned"));
	/* a tampered signature, a signature of other data */
	auth_data(&a, rp.rp_id, 0x05, 6, false, &ad);
	sign_assertion(&a, &ad, cdj, sig, &sig_len);
	sig[sig_len / 2] ^= 1;
	assert_int_equal(webauthn_assert(&rp, ch, &cred, cdj, strlen(cdj), ad.b, ad.n, sig, sig_len,
					 &count, &bs, &err), -EACCES);
	sig[sig_len / 2] ^= 1;
	client_data(cdj, sizeof(cdj), "webauthn.get", other, rp.origin);
	assert_int_equal(webauthn_assert(&rp, ch, &cred, cdj, strlen(cdj), ad.b, ad.n, sig, sig_len,
					 &count, &bs, &err), -EACCES);
	client_data(cdj, sizeof(cdj), "webauthn.get", ch, rp.origin);
	assert_int_equal(webauthn_assert(&rp, ch, &cred, cdj, strlen(cdj), ad.b, ad.n, sig, sig_len,
					 &count, &bs, &err), 0);
	assert_int_equal(count, 6);
	/* user not present */
	auth_data(&a, rp.rp_id, 0x04, 7, false, &ad);
	sign_assertion(&a, &ad, cdj, sig, &sig_len);
	assert_int_equal(webauthn_assert(&rp, ch, &cred, cdj, strlen(cdj), ad.b, ad.n, sig, sig_len,
					 &count, &bs, &err), -EACCES);
	if (!ed25519)
		gnutls_privkey_deinit(a.ec);
}

static void test_webauthn__es256(void **state)
{
	run_ceremonies(false);
}

static void test_webauthn__eddsa(void **state)
{
	run_ceremonies(true);
}

static void test_webauthn__rp_from_url(void **state)
{
	char *rp = NULL, *origin = NULL;

	assert_int_equal(webauthn_rp_from_url("https://VPN.Example.com:443/x", &rp, &origin), 0);
	assert_string_equal(rp, "vpn.example.com");
	assert_string_equal(origin, "https://vpn.example.com");
	free(rp);
	free(origin);
	assert_int_equal(webauthn_rp_from_url("http://localhost:8888", &rp, &origin), 0);
	assert_string_equal(rp, "localhost");
	assert_string_equal(origin, "http://localhost:8888");
	free(rp);
	free(origin);
	assert_int_equal(webauthn_rp_from_url("ftp://x", &rp, &origin), -EINVAL);
	assert_int_equal(webauthn_rp_from_url("https://u@host", &rp, &origin), -EINVAL);
	assert_int_equal(webauthn_rp_from_url("https://host:99999", &rp, &origin), -EINVAL);
}

/* wg-portal's serialized go-webauthn Credential (base64 of JSON) of a key we hold: it becomes
 * the record an assertion of that key verifies against; Go's key matching ignores case. */
static char *wgp_serialized(const struct authn *a, const char *fmt_keys, uint32_t count)
{
	struct enc key = { 0 };
	char id[64], pk[256], aag[32], json[1024], *out;
	static const uint8_t aaguid[16] = { 0xad, 0xce, 0x00, 0x02 };

	cose_key(a, &key);
	sodium_bin2base64(id, sizeof(id), a->cred_id, sizeof(a->cred_id),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(pk, sizeof(pk), key.b, key.n, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(aag, sizeof(aag), aaguid, sizeof(aaguid), sodium_base64_VARIANT_ORIGINAL);
	snprintf(json, sizeof(json), fmt_keys, id, pk, aag, count);
	out = malloc(sodium_base64_ENCODED_LEN(strlen(json), sodium_base64_VARIANT_ORIGINAL));
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(strlen(json), sodium_base64_VARIANT_ORIGINAL),
			  (const uint8_t *)json, strlen(json), sodium_base64_VARIANT_ORIGINAL);
	return out;
}

static void test_webauthn__wgportal_credential(void **state)
{
	static const char go_json[] =
		"{\"id\":\"%s\",\"publicKey\":\"%s\",\"attestationType\":\"none\","
		"\"transport\":[\"internal\"],\"flags\":{\"userPresent\":true,\"userVerified\":true,"
		"\"backupEligible\":true,\"backupState\":false},\"authenticator\":{\"AAGUID\":\"%s\","
		"\"SignCount\":%u,\"CloneWarning\":false,\"Attachment\":\"platform\"},"
		"\"attestation\":{\"type\":\"\",\"format\":\"none\"}}";
	static const char other_case[] =
		"{\"ID\":\"%s\",\"PublicKey\":\"%s\",\"Authenticator\":{\"aaguid\":\"%s\","
		"\"signCount\":%u}}";
	const struct wa_rp rp = { "vpn.example.com", "https://vpn.example.com", true };
	struct wa_credential cred;
	struct authn a;
	struct enc ad;
	uint8_t ch[WA_CHALLENGE_LEN], sig[512];
	size_t sig_len;
	char cdj[512], *ser;
	struct err err = { 0 };
	uint32_t count = 0;
	bool bs;

	authn_init(&a, false);
	ser = wgp_serialized(&a, go_json, 7);
	assert_int_equal(webauthn_credential_from_wgportal(ser, &cred, &err), 0);
	free(ser);
	assert_int_equal(cred.id_len, sizeof(a.cred_id));
	assert_memory_equal(cred.id, a.cred_id, sizeof(a.cred_id));
	assert_int_equal(cred.alg, -7);
	assert_int_equal(cred.sign_count, 7);
	assert_int_equal(cred.aaguid[0], 0xad);
	assert_true(cred.backup_eligible);
	assert_false(cred.backed_up);
	/* the key signs in: counter 7 -> 8 */
	randombytes_buf(ch, sizeof(ch));
	auth_data(&a, rp.rp_id, 0x05, 8, false, &ad);
	client_data(cdj, sizeof(cdj), "webauthn.get", ch, rp.origin);
	sign_assertion(&a, &ad, cdj, sig, &sig_len);
	assert_int_equal(webauthn_assert(&rp, ch, &cred, cdj, strlen(cdj), ad.b, ad.n, sig, sig_len,
					 &count, &bs, &err), 0);
	assert_int_equal(count, 8);
	ser = wgp_serialized(&a, other_case, 3);
	assert_int_equal(webauthn_credential_from_wgportal(ser, &cred, &err), 0);
	assert_int_equal(cred.sign_count, 3);
	free(ser);
	/* refused: not base64, not an object, no key, an unverifiable key, a bad counter */
	static const char *const bad[] = {
		"not base64!", "W10=" /* [] */, "eyJpZCI6IllRPT0ifQ==" /* {"id":"YQ=="} */,
		/* {"id":"YQ==","publicKey":"oQEC"}: a COSE map with kty only */
		"eyJpZCI6IllRPT0iLCJwdWJsaWNLZXkiOiJvUUVDIn0=",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(webauthn_credential_from_wgportal(bad[i], &cred, &err), -EINVAL);
	assert_int_equal(webauthn_credential_from_wgportal(NULL, &cred, &err), -EINVAL);
	ser = wgp_serialized(&a, "{\"id\":\"%s\",\"publicKey\":\"%s\",\"x\":\"%s\","
			     "\"authenticator\":{\"SignCount\":-%u}}", 1);
	assert_int_equal(webauthn_credential_from_wgportal(ser, &cred, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "counter"));
	free(ser);
	gnutls_privkey_deinit(a.ec);
}

/* ---- TOTP ---------------------------------------------------------------------------------- */

static void test_totp__rfc6238_vectors(void **state)
{
	static const int64_t times[] = { 59, 1111111109, 1111111111, 1234567890, 2000000000,
					 20000000000LL };
	static const uint32_t want[3][6] = {
		{ 94287082, 7081804, 14050471, 89005924, 69279037, 65353130 },
		{ 46119246, 68084774, 67062674, 91819424, 90698825, 77737706 },
		{ 90693936, 25091201, 99943326, 93441116, 38618901, 47863826 },
	};
	const char *seed = "1234567890123456789012345678901234567890123456789012345678901234";
	const size_t len[3] = { 20, 32, 64 };

	for (int h = 0; h < 3; h++)
		for (int i = 0; i < 6; i++)
			assert_int_equal(totp_at((enum totp_hash)h, (const uint8_t *)seed, len[h],
						 times[i], 8), want[h][i]);
}

static void test_totp__window_and_replay(void **state)
{
	const uint8_t *secret = (const uint8_t *)"12345678901234567890";
	int64_t now = 1111111111, step = 0;
	char code[16];

	snprintf(code, sizeof(code), "%06u", totp_at(TOTP_SHA1, secret, 20, now, 6));
	assert_int_equal(totp_check(secret, code, now, 0, &step), 0);
	assert_int_equal(step, now / 30);
	/* the same code again: replay */
	assert_int_equal(totp_check(secret, code, now, step, &step), -EALREADY);
	/* previous step still accepted once, two steps back not */
	snprintf(code, sizeof(code), "%06u", totp_at(TOTP_SHA1, secret, 20, now - 30, 6));
	assert_int_equal(totp_check(secret, code, now, 0, &step), 0);
	snprintf(code, sizeof(code), "%06u", totp_at(TOTP_SHA1, secret, 20, now - 60, 6));
	assert_int_equal(totp_check(secret, code, now, 0, &step), -EACCES);
	assert_int_equal(totp_check(secret, "12345", now, 0, &step), -EINVAL);
	assert_int_equal(totp_check(secret, "12a456", now, 0, &step), -EINVAL);
	assert_int_equal(totp_check(secret, NULL, now, 0, &step), -EINVAL);
	snprintf(code, sizeof(code), "%03u %03u", totp_at(TOTP_SHA1, secret, 20, now, 6) / 1000,
		 totp_at(TOTP_SHA1, secret, 20, now, 6) % 1000);
	assert_int_equal(totp_check(secret, code, now, 0, &step), 0);
}

static void test_totp__base32_uri_recovery(void **state)
{
	char *s = base32_encode((const uint8_t *)"foobar", 6);
	char code[TOTP_RECOVERY_LEN + 1], h1[65], h2[65], lower[32];
	uint8_t secret[TOTP_SECRET_LEN];

	assert_string_equal(s, "MZXW6YTBOI");
	free(s);
	memset(secret, 0, sizeof(secret));
	s = totp_uri("WireGuard Portal", "a@b.c", secret);
	assert_string_equal(s, "otpauth://totp/WireGuard%20Portal:a%40b.c?secret="
			       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=WireGuard%20Portal"
			       "&algorithm=SHA1&digits=6&period=30");
	free(s);
	totp_recovery_new(code, h1);
	assert_int_equal(strlen(code), TOTP_RECOVERY_LEN);
	for (size_t i = 0; code[i]; i++)
		lower[i] = code[i] == '-' ? ' ' : (char)(code[i] | 0x20), lower[i + 1] = '\0';
	assert_true(totp_recovery_hash(lower, h2));
	assert_string_equal(h1, h2);
	assert_false(totp_recovery_hash("ABCD-EFGH", h2));
	assert_false(totp_recovery_hash("ABCD-EFGH-IJKL-MNO1", h2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwt__vectors),
		cmocka_unit_test(test_jwt__claims_and_policy),
		cmocka_unit_test(test_jwks__edge_cases),
		cmocka_unit_test(test_b64url__strict),
		cmocka_unit_test(test_cbor__bounds),
		cmocka_unit_test(test_webauthn__es256),
		cmocka_unit_test(test_webauthn__eddsa),
		cmocka_unit_test(test_webauthn__rp_from_url),
		cmocka_unit_test(test_webauthn__wgportal_credential),
		cmocka_unit_test(test_totp__rfc6238_vectors),
		cmocka_unit_test(test_totp__window_and_replay),
		cmocka_unit_test(test_totp__base32_uri_recovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
