/* SPDX-License-Identifier: MIT */
/* wgportal's own src/auth/jwt.c (GnuTLS + jansson): jwks_parse + jwt_verify, all algorithms of
 * the provider allowed. */
#include "auth/jwt.h"
#include "util/err.h"
#include "common.h"

static struct jwks *ks;

static int verify(const char *tok)
{
	struct jwt_expect w = { iss, aud, nonce, (int64_t)time(NULL), (1u << SIG_ALG_MAX) - 1 };
	json_t *c = NULL;
	int r = jwt_verify(tok, ks, &w, &c, NULL);
	json_decref(c);
	return r == 0;
}

int main(int argc, char **argv)
{
	struct err err = { 0 };
	load(argv[1]);
	if (jwks_parse(jwks_text, strlen(jwks_text), &ks, &err) < 0) { printf("wgportal\tJWKS: %s\n", err.msg); return 1; }
	return run("wgportal", verify);
}
