/* SPDX-License-Identifier: MIT */
/*
 * WireGuard key encoding and generation on libsodium: X25519 public keys exactly as `wg pubkey`
 * computes them, strict standard base64 (44 characters, canonical padding) and hex for UAPI.
 */
#include "model/keys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_init_once_cb(void)
{
	/* sodium_init() fails only when the system RNG is unusable; nothing can work then. */
	if (sodium_init() < 0)
		abort();
}

static void keys_init(void)
{
	(void) pthread_once(&sodium_once, sodium_init_once_cb);
}

int key_from_base64(uint8_t key[static WG_KEY_LEN], const char *b64)
{
	uint8_t tmp[WG_KEY_LEN + 1];
	size_t bin_len = 0;
	const char *end = NULL;
	char again[WG_KEY_B64_SIZE];

	keys_init();
	if (!b64 || strlen(b64) != WG_KEY_B64_LEN || b64[WG_KEY_B64_LEN - 1] != '=' ||
	    b64[WG_KEY_B64_LEN - 2] == '=')
		return -EINVAL;
	if (sodium_base642bin(tmp, sizeof(tmp), b64, WG_KEY_B64_LEN, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != WG_KEY_LEN || !end || *end != '\0') {
		sodium_memzero(tmp, sizeof(tmp));
		return -EINVAL;
	}
	/* Canonical form only: the unused low bits of the last character must be zero, which is
	 * the case exactly when re-encoding gives the same text. */
	sodium_bin2base64(again, sizeof(again), tmp, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	if (strcmp(again, b64) != 0) {
		sodium_memzero(tmp, sizeof(tmp));
		sodium_memzero(again, sizeof(again));
		return -EINVAL;
	}
	memcpy(key, tmp, WG_KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	sodium_memzero(again, sizeof(again));
	return 0;
}

void key_to_base64(char out[static WG_KEY_B64_SIZE], const uint8_t key[static WG_KEY_LEN])
{
	keys_init();
	sodium_bin2base64(out, WG_KEY_B64_SIZE, key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int key_from_hex(uint8_t key[static WG_KEY_LEN], const char *hex)
{
	return hex ? key_from_hex_n(key, hex, strlen(hex)) : -EINVAL;
}

int key_from_hex_n(uint8_t key[static WG_KEY_LEN], const char *hex, size_t len)
{
	uint8_t tmp[WG_KEY_LEN];
	size_t bin_len = 0;
	const char *end = NULL;

	keys_init();
	if (!hex || len != WG_KEY_HEX_LEN)
		return -EINVAL;
	if (sodium_hex2bin(tmp, sizeof(tmp), hex, WG_KEY_HEX_LEN, NULL, &bin_len, &end) != 0 ||
	    bin_len != WG_KEY_LEN || end != hex + WG_KEY_HEX_LEN) {
		sodium_memzero(tmp, sizeof(tmp));
		return -EINVAL;
	}
	memcpy(key, tmp, WG_KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

void key_to_hex(char out[static WG_KEY_HEX_LEN + 1], const uint8_t key[static WG_KEY_LEN])
{
	keys_init();
	sodium_bin2hex(out, WG_KEY_HEX_LEN + 1, key, WG_KEY_LEN);
}

bool key_b64_is_valid(const char *b64)
{
	uint8_t tmp[WG_KEY_LEN];
	bool ok = key_from_base64(tmp, b64) == 0;

	sodium_memzero(tmp, sizeof(tmp));
	return ok;
}

bool key_is_zero(const uint8_t key[static WG_KEY_LEN])
{
	keys_init();
	return sodium_is_zero(key, WG_KEY_LEN) == 1;
}

void key_generate_private(uint8_t key[static WG_KEY_LEN])
{
	keys_init();
	randombytes_buf(key, WG_KEY_LEN);
	/* Curve25519 clamping as `wg genkey` does. */
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

void key_generate_psk(uint8_t key[static WG_KEY_LEN])
{
	keys_init();
	randombytes_buf(key, WG_KEY_LEN);
}

int key_public_from_private(uint8_t pub[static WG_KEY_LEN], const uint8_t priv[static WG_KEY_LEN])
{
	uint8_t clamped[WG_KEY_LEN];
	int r;

	keys_init();
	memcpy(clamped, priv, WG_KEY_LEN);
	clamped[0] &= 248;
	clamped[31] = (clamped[31] & 127) | 64;
	r = crypto_scalarmult_base(pub, clamped);
	sodium_memzero(clamped, sizeof(clamped));
	return r == 0 ? 0 : -EINVAL;
}

void key_pair_b64(char priv[static WG_KEY_B64_SIZE], char pub[static WG_KEY_B64_SIZE])
{
	uint8_t k[WG_KEY_LEN], p[WG_KEY_LEN];

	/* A clamped random scalar never yields the all-zero point, so derivation cannot fail. */
	key_generate_private(k);
	(void) key_public_from_private(p, k);
	key_to_base64(priv, k);
	key_to_base64(pub, p);
	sodium_memzero(k, sizeof(k));
}

void key_psk_b64(char psk[static WG_KEY_B64_SIZE])
{
	uint8_t k[WG_KEY_LEN];

	key_generate_psk(k);
	key_to_base64(psk, k);
	sodium_memzero(k, sizeof(k));
}

int key_public_b64(char pub[static WG_KEY_B64_SIZE], const char *priv_b64)
{
	uint8_t k[WG_KEY_LEN], p[WG_KEY_LEN];
	int r;

	r = key_from_base64(k, priv_b64);
	if (r == 0)
		r = key_public_from_private(p, k);
	sodium_memzero(k, sizeof(k));
	if (r == 0)
		key_to_base64(pub, p);
	return r;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

void key_masked_copy(char *out, size_t outsz, const char *s)
{
	size_t o = 0;

	if (outsz == 0)
		return;
	for (size_t i = 0; s && s[i] && o + 1 < outsz;) {
		size_t run = 0;

		while (is_b64(s[i + run]))
			run++;
		if (run >= 40) {
			/* a key (44 chars) or something as long: never echo it */
			for (const char *m = "*****"; *m && o + 1 < outsz; m++)
				out[o++] = *m;
		} else if (run == 0) {
			unsigned char c = (unsigned char)s[i];
			out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
			run = 1;
		} else {
			for (size_t k = 0; k < run && o + 1 < outsz; k++)
				out[o++] = s[i + k];
		}
		i += run;
	}
	out[o] = '\0';
}
