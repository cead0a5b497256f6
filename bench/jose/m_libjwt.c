/* SPDX-License-Identifier: MIT */
/* libjwt 1.10.2: no JWK support, so the RSA and EC keys come as PEM (gen.mjs); jwt_decode with
 * the kid's PEM key, then the grants checked by hand (no claims API in 1.10). */
#include <jwt.h>
#include "common.h"

static char *r1, *e1;

static int verify(const char *tok)
{
	/* pick the key by the kid in the header, as a caller would */
	jwt_t *j = NULL; int ok = 0;
	const char *key = strstr(tok, "eyJhbGciOiJFUzI1NiIsImtpZCI6ImUxIn0") ? e1 : r1;
	if (strstr(tok, "\"kid\":\"o1\"") || !strncmp(tok, "eyJhbGciOiJFZERTQSI", 19)) return -1; /* no EdDSA */
	if (jwt_decode(&j, tok, (const unsigned char *)key, (int)strlen(key)) != 0) return 0;
	const char *a = jwt_get_grant(j, "aud");
	char *aj = jwt_get_grants_json(j, "aud");
	ok = ((a && !strcmp(a, aud)) || (aj && strstr(aj, aud))) &&
	     jwt_get_grant(j, "iss") && !strcmp(jwt_get_grant(j, "iss"), iss) &&
	     jwt_get_grant_int(j, "exp") > time(NULL) &&
	     jwt_get_grant(j, "nonce") && !strcmp(jwt_get_grant(j, "nonce"), nonce);
	free(aj);
	jwt_free(j);
	return ok;
}

int main(int argc, char **argv)
{
	load(argv[1]);
	r1 = slurp(argv[1], "r1.pem");
	e1 = slurp(argv[1], "e1.pem");
	/* the gotcha of deps.md: alg=none with no key */
	jwt_t *j = NULL;
	printf("libjwt\tjwt_decode(alg=none token, key NULL) -> %s\n",
	       jwt_decode(&j, cases[5].tok, NULL, 0) == 0 ? "ACCEPTED" : "refused");
	jwt_free(j);
	return run("libjwt", verify);
}
