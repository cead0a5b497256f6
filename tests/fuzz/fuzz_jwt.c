/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the ID-token side of OpenID sign-in (src/auth/jwt.c, src/auth/sig.c):
 * the input is parsed as a JWKS document, and verified as a token against the fixed key set of
 * tests/data/auth/jwt (so header, algorithm, kid and claim paths are reached with real keys).
 * Build and run (clang-14 + libclang-rt-14-dev):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu17 -Isrc -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_jwt.c src/auth/sig.c src/util/err.c \
 *     -ljansson -lsodium -lgnutls -o build/fuzz_jwt
 *   build/fuzz_jwt -max_total_time=60 -max_len=16384 build/fuzz-corpus-jwt tests/data/auth/jwt
 *
 * With -DFUZZ_STANDALONE (any compiler) it runs each file named on the command line once.
 */
#include "auth/jwt.c"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jwks *fixed;

static void load_fixed(void)
{
	FILE *f = fopen("tests/data/auth/jwt/jwks.json", "rb");
	static char buf[8192];
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	(void)jwks_parse(buf, n, &fixed, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks *ks = NULL;
	struct jwt_expect w = { "https://idp.example", "wgportal", "n-0S6_WzA2Mj", 1800000010,
				(1u << SIG_ALG_MAX) - 1 };
	json_t *claims = NULL;
	char *tok;

	if (!fixed)
		load_fixed();
	if (jwks_parse((const char *)data, size, &ks, NULL) == 0 && jwks_count(ks) > JWKS_MAX_KEYS)
		__builtin_trap();
	jwks_free(ks);
	tok = malloc(size + 1);
	if (!tok)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	if (jwt_verify(tok, fixed, &w, &claims, NULL) == 0 && !json_is_object(claims))
		__builtin_trap();
	json_decref(claims);
	free(tok);
	return 0;
}

#include "fuzz_standalone.h"
