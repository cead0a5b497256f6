/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the passkey parsers (src/auth/cbor.c, src/auth/webauthn.c,
 * src/auth/webauthn_wgp.c): the input is read as a CBOR item, as a COSE key, as an attestation
 * object (with a fixed valid clientDataJSON, so the CBOR paths are reached), as authenticator
 * data of an assertion, as clientDataJSON, and as a credential wg-portal stored (as the text
 * itself and base64-encoded, so its JSON reader gets the bytes). Build and run (clang-14 + libclang-rt-14-dev):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu17 -Isrc -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_webauthn.c src/auth/cbor.c src/auth/jwt.c src/auth/sig.c src/util/err.c \
 *     -ljansson -lsodium -lgnutls -o build/fuzz_webauthn
 *   build/fuzz_webauthn -max_total_time=60 -max_len=4096 build/fuzz-corpus-webauthn
 *
 * With -DFUZZ_STANDALONE (any compiler) it runs each file named on the command line once.
 */
#include "auth/webauthn.c"
#include "auth/webauthn_wgp.c"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t challenge[WA_CHALLENGE_LEN];
	const struct wa_rp rp = { "localhost", "http://localhost:8888", false };
	struct wa_credential *cred = calloc(1, sizeof(*cred));
	struct sig_key *key = NULL;
	struct cbor c;
	long alg;
	uint32_t count;
	bool bs;
	char *cdj = NULL, *enc = b64url_encode(challenge, sizeof(challenge));
	uint8_t sig[64] = { 0 };

	if (!cred || !enc || asprintf(&cdj, "{\"type\":\"webauthn.create\",\"challenge\":\"%s\","
				      "\"origin\":\"http://localhost:8888\"}", enc) < 0)
		goto out;
	cbor_init(&c, data, size);
	if (cbor_skip(&c) == 0 && (c.p < data || c.p > data + size))
		__builtin_trap();
	if (cose_key_parse(data, size, &key, &alg, NULL) == 0)
		key = sig_key_free(key);
	if (webauthn_register(&rp, challenge, cdj, strlen(cdj), data, size, cred, NULL) == 0 &&
	    (cred->id_len == 0 || cred->id_len > WA_CRED_ID_MAX || cred->cose_key_len > WA_COSE_KEY_MAX))
		__builtin_trap();
	/* the assertion path with the input as authenticator data (the signature never verifies,
	 * but parsing and the flag checks run first) and as clientDataJSON */
	if (cred->cose_key_len) {
		(void)webauthn_assert(&rp, challenge, cred, cdj, strlen(cdj), data, size, sig,
				      sizeof(sig), &count, &bs, NULL);
		(void)webauthn_assert(&rp, challenge, cred, (const char *)data, size, data, size, sig,
				      sizeof(sig), &count, &bs, NULL);
	}
	/* wg-portal's serialized credential: the text itself, then its base64 */
	char *text = size < 65536 ? malloc(size + 1) : NULL;
	char *b64 = size < 65536 ? malloc(sodium_base64_ENCODED_LEN(size,
						sodium_base64_VARIANT_ORIGINAL)) : NULL;
	if (text && b64) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (webauthn_credential_from_wgportal(text, cred, NULL) == 0 &&
		    (cred->id_len == 0 || cred->cose_key_len > WA_COSE_KEY_MAX))
			__builtin_trap();
		sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL),
				  data, size, sodium_base64_VARIANT_ORIGINAL);
		if (webauthn_credential_from_wgportal(b64, cred, NULL) == 0 &&
		    (cred->id_len == 0 || cred->cose_key_len > WA_COSE_KEY_MAX))
			__builtin_trap();
	}
	free(text);
	free(b64);
out:
	free(cdj);
	free(enc);
	free(cred);
	return 0;
}

#include "fuzz_standalone.h"
