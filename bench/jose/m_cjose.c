/* SPDX-License-Identifier: MIT */
/* libcjose 0.6.2: cjose_jws_import + cjose_jws_verify with the kid's JWK (cjose has no JWKS
 * type, so the set is split here) + claims checked by hand (cjose has no claims API). */
#include <cjose/cjose.h>
#include <jansson.h>
#include "common.h"

static json_t *set;

static int claims_ok(const uint8_t *p, size_t n)
{
	json_t *c = json_loadb((const char *)p, n, 0, NULL), *a;
	int ok = 0;
	if (!c) return 0;
	a = json_object_get(c, "aud");
	int aud_ok = json_is_string(a) ? !strcmp(json_string_value(a), aud) : 0;
	if (json_is_array(a)) { size_t i; json_t *v; json_array_foreach(a, i, v) aud_ok |= json_is_string(v) && !strcmp(json_string_value(v), aud); }
	ok = aud_ok && json_is_string(json_object_get(c, "iss")) && !strcmp(json_string_value(json_object_get(c, "iss")), iss) &&
	     json_number_value(json_object_get(c, "exp")) > time(NULL) &&
	     json_is_string(json_object_get(c, "nonce")) && !strcmp(json_string_value(json_object_get(c, "nonce")), nonce);
	json_decref(c);
	return ok;
}

static int verify(const char *tok)
{
	cjose_err e; cjose_jws_t *jws = cjose_jws_import(tok, strlen(tok), &e); int ok = 0;
	if (!jws) return 0;
	cjose_header_t *h = cjose_jws_get_protected(jws);
	const char *kid = cjose_header_get(h, "kid", &e);
	size_t i; json_t *k;
	json_array_foreach(json_object_get(set, "keys"), i, k) {
		if (!kid || strcmp(json_string_value(json_object_get(k, "kid")), kid)) continue;
		char *s = json_dumps(k, 0);
		cjose_jwk_t *jwk = cjose_jwk_import(s, strlen(s), &e);
		free(s);
		if (!jwk) { ok = -1; break; }  /* key type the library cannot load */
		uint8_t *p; size_t n;
		if (cjose_jws_verify(jws, jwk, &e) && cjose_jws_get_plaintext(jws, &p, &n, &e))
			ok = claims_ok(p, n);
		cjose_jwk_release(jwk);
	}
	cjose_jws_release(jws);
	return ok;
}

int main(int argc, char **argv)
{
	load(argv[1]);
	set = json_loads(jwks_text, 0, NULL);
	return run("libcjose", verify);
}
