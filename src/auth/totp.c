/* SPDX-License-Identifier: MIT */
/* RFC 4226 / RFC 6238 one-time passwords and recovery codes (auth/totp.h). HMAC from GnuTLS
 * (libsodium has no HMAC-SHA1, which the authenticator apps use). */
#include "auth/totp.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint32_t hotp(enum totp_hash h, const uint8_t *key, size_t key_len, uint64_t counter, int digits)
{
	static const gnutls_mac_algorithm_t macs[] = { GNUTLS_MAC_SHA1, GNUTLS_MAC_SHA256,
						       GNUTLS_MAC_SHA512 };
	uint8_t msg[8], mac[64];
	size_t mac_len = h == TOTP_SHA1 ? 20 : h == TOTP_SHA256 ? 32 : 64;
	uint32_t bin, mod = 1;

	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)counter;
	if (gnutls_hmac_fast(macs[h], key, key_len, msg, sizeof(msg), mac) < 0)
		return UINT32_MAX; /* never equals a code (codes are < 10^8) */
	size_t off = mac[mac_len - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	for (int i = 0; i < digits; i++)
		mod *= 10;
	sodium_memzero(mac, sizeof(mac));
	return bin % mod;
}

uint32_t totp_at(enum totp_hash h, const uint8_t *key, size_t key_len, int64_t t, int digits)
{
	return hotp(h, key, key_len, (uint64_t)(t / TOTP_PERIOD_S), digits);
}

int totp_check(const uint8_t secret[TOTP_SECRET_LEN], const char *code, int64_t now,
	       int64_t last_step, int64_t *ret_step)
{
	char typed[TOTP_DIGITS + 1], want[TOTP_DIGITS + 1];
	int64_t step = now / TOTP_PERIOD_S, hit = -1;
	bool used = false;
	size_t n = 0;

	for (const char *p = code ? code : ""; *p; p++) {
		if (*p == ' ')
			continue;
		if (!isdigit((unsigned char)*p) || n >= TOTP_DIGITS)
			return -EINVAL;
		typed[n++] = *p;
	}
	if (n != TOTP_DIGITS)
		return -EINVAL;
	typed[n] = '\0';
	/* every candidate step is computed and compared, match or not (no timing tell) */
	for (int64_t s = step - TOTP_WINDOW; s <= step + TOTP_WINDOW; s++) {
		snprintf(want, sizeof(want), "%06u",
			 hotp(TOTP_SHA1, secret, TOTP_SECRET_LEN, (uint64_t)s, TOTP_DIGITS));
		bool match = sodium_memcmp(want, typed, TOTP_DIGITS) == 0;
		if (match && s > last_step && hit < 0)
			hit = s;
		used |= match && s <= last_step;
	}
	sodium_memzero(want, sizeof(want));
	if (hit < 0)
		return used ? -EALREADY : -EACCES;
	*ret_step = hit;
	return 0;
}

char *base32_encode(const uint8_t *in, size_t len)
{
	char *out = malloc(len * 8 / 5 + 2);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return out;
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static void pct(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch))
			fputc(ch, f);
		else
			fprintf(f, "%%%02X", ch);
	}
}

char *totp_uri(const char *issuer, const char *account, const uint8_t secret[TOTP_SECRET_LEN])
{
	char *s32 = base32_encode(secret, TOTP_SECRET_LEN), *out = NULL;
	size_t n = 0;
	FILE *f;

	if (!s32)
		return NULL;
	f = open_memstream(&out, &n);
	if (f) {
		fputs("otpauth://totp/", f);
		pct(f, issuer);
		fputc(':', f);
		pct(f, account);
		fprintf(f, "?secret=%s&issuer=", s32);
		pct(f, issuer);
		fprintf(f, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_PERIOD_S);
		if (fclose(f) != 0) {
			free(out);
			out = NULL;
		}
	}
	sodium_memzero(s32, strlen(s32));
	free(s32);
	return out;
}

static void hash_canonical(const char canon[16], char hash[static TOTP_RECOVERY_HASH_HEX + 1])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)canon, 16,
			   (const unsigned char *)"wgportal-totp-recovery", 22);
	sodium_bin2hex(hash, TOTP_RECOVERY_HASH_HEX + 1, h, sizeof(h));
}

void totp_recovery_new(char code[static TOTP_RECOVERY_LEN + 1],
		       char hash[static TOTP_RECOVERY_HASH_HEX + 1])
{
	char canon[16];
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		canon[i] = b32[randombytes_uniform(32)];
		if (i && i % 4 == 0)
			code[o++] = '-';
		code[o++] = canon[i];
	}
	code[o] = '\0';
	hash_canonical(canon, hash);
	sodium_memzero(canon, sizeof(canon));
}

bool totp_recovery_hash(const char *typed, char hash[static TOTP_RECOVERY_HASH_HEX + 1])
{
	char canon[16];
	size_t n = 0;

	for (const char *p = typed ? typed : ""; *p; p++) {
		char ch = (char)toupper((unsigned char)*p);
		if (ch == '-' || ch == ' ')
			continue;
		if (!strchr(b32, ch) || !ch || n >= 16)
			return false;
		canon[n++] = ch;
	}
	if (n != 16)
		return false;
	hash_canonical(canon, hash);
	sodium_memzero(canon, sizeof(canon));
	return true;
}
