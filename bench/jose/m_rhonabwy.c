/* SPDX-License-Identifier: MIT */
/* rhonabwy 1.1.11: r_jwt_parse + r_jwt_verify_signature with the kid's key from the JWKS +
 * r_jwt_validate_claims (iss, aud, exp, nonce as a string claim), as its documentation shows. */
#include <rhonabwy.h>
#include "common.h"

static jwks_t *ks;

static int verify(const char *tok)
{
	jwt_t *jwt = NULL; jwk_t *k = NULL; int ok = 0;
	if (r_jwt_init(&jwt) != RHN_OK) return 0;
	if (r_jwt_parse(jwt, tok, 0) != RHN_OK) goto out;
	const char *kid = r_jwt_get_header_str_value(jwt, "kid");
	k = kid ? r_jwks_get_by_kid(ks, kid) : NULL;
	if (!k || r_jwt_verify_signature(jwt, k, 0) != RHN_OK) goto out;
	ok = r_jwt_validate_claims(jwt, R_JWT_CLAIM_ISS, iss, R_JWT_CLAIM_AUD, aud,
				   R_JWT_CLAIM_EXP, R_JWT_CLAIM_NOW, R_JWT_CLAIM_STR, "nonce", nonce,
				   R_JWT_CLAIM_NOP) == RHN_OK;
out:
	r_jwk_free(k);
	r_jwt_free(jwt);
	return ok;
}

int main(int argc, char **argv)
{
	load(argv[1]);
	r_jwks_init(&ks);
	if (r_jwks_import_from_json_str(ks, jwks_text) != RHN_OK) { puts("rhonabwy\tJWKS import failed"); return 1; }
	return run("rhonabwy", verify);
}
