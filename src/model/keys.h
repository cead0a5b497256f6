/* SPDX-License-Identifier: MIT */
#ifndef MODEL_KEYS_H
#define MODEL_KEYS_H
/*
 * WireGuard keys: 32-byte X25519 keys, base64 (44 chars) in configs/JSON, hex (64) on UAPI.
 * Keys in the domain model are kept as base64 text in fixed arrays (char[WG_KEY_B64_SIZE]) so
 * they can be wiped; backends decode them to bytes with key_from_base64().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 44
#define WG_KEY_B64_SIZE (WG_KEY_B64_LEN + 1)
#define WG_KEY_HEX_LEN 64

/* Returns 0 or -EINVAL when b64 is not standard base64 of exactly 32 bytes. */
int key_from_base64(uint8_t key[static WG_KEY_LEN], const char *b64);
void key_to_base64(char out[static WG_KEY_B64_SIZE], const uint8_t key[static WG_KEY_LEN]);
int key_from_hex(uint8_t key[static WG_KEY_LEN], const char *hex);
/* The same for the first len bytes of hex (a value inside a longer text, e.g. UAPI). */
int key_from_hex_n(uint8_t key[static WG_KEY_LEN], const char *hex, size_t len);
void key_to_hex(char out[static WG_KEY_HEX_LEN + 1], const uint8_t key[static WG_KEY_LEN]);
bool key_b64_is_valid(const char *b64);
bool key_is_zero(const uint8_t key[static WG_KEY_LEN]);

/* Fresh clamped private key (libsodium CSPRNG). */
void key_generate_private(uint8_t key[static WG_KEY_LEN]);
/* Fresh preshared key (32 random bytes). */
void key_generate_psk(uint8_t key[static WG_KEY_LEN]);
/* pub = X25519(priv, base point), identical to `wg pubkey`. Returns 0 or -EINVAL. */
int key_public_from_private(uint8_t pub[static WG_KEY_LEN], const uint8_t priv[static WG_KEY_LEN]);
/* Base64 helpers on the text form: generate a pair / derive a public key. */
void key_pair_b64(char priv[static WG_KEY_B64_SIZE], char pub[static WG_KEY_B64_SIZE]);
void key_psk_b64(char psk[static WG_KEY_B64_SIZE]);
int key_public_b64(char pub[static WG_KEY_B64_SIZE], const char *priv_b64);

/* Copies s into out (bounded, NUL-terminated) for a message: control characters become
 * spaces and every run of 40 or more base64 characters (a key, or something as long) becomes
 * "*****", so a device echoing a key back in an error never puts it in a log. */
void key_masked_copy(char *out, size_t outsz, const char *s);

#endif
