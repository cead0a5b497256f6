/* SPDX-License-Identifier: MIT */
/*
 * wg-portal v2's stored values: the WG_ENC_ secrets (AES-256-CBC with nettle, exactly as
 * h44z/wg-portal internal/app/gorm_encryption.go:121-203 writes them, but with the checks its
 * reader lacks) and its time texts (GORM on SQLite, PostgreSQL and MySQL).
 */
#include "store/wgp2.h"

#include <ctype.h>
#include <errno.h>
#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN 32
#define BLOCK 16
#define CIPHER_MAX 4096 /* keys are 44 characters, tokens 36: far below */

/* gorm_encryption.go:194-203 trimEncKey: bytes beyond 32 cut, shorter keys padded with '0'. */
static void derive_key(const char *passphrase, uint8_t key[static KEY_LEN])
{
	size_t len = strlen(passphrase);

	memset(key, '0', KEY_LEN);
	memcpy(key, passphrase, len > KEY_LEN ? KEY_LEN : len);
}

int wgp2_decrypt(const char *stored, const char *passphrase, char *out, size_t size)
{
	size_t plen = strlen(WGP2_ENC_PREFIX), b64len, binlen = 0;
	uint8_t key[KEY_LEN], iv[BLOCK], buf[CIPHER_MAX];
	struct aes256_ctx ctx;
	unsigned pad;
	int r = 0;

	if (!stored || strncmp(stored, WGP2_ENC_PREFIX, plen) != 0) {
		/* not encrypted: lazy migration kept it plain (gorm_encryption.go:65-68) */
		size_t len = stored ? strlen(stored) : 0;
		if (len >= size)
			return -ENOSPC;
		memcpy(out, stored ? stored : "", len + 1);
		return 0;
	}
	if (!passphrase || !*passphrase)
		return -EACCES;
	b64len = strlen(stored + plen);
	if (sodium_init() < 0 ||
	    sodium_base642bin(buf, sizeof(buf), stored + plen, b64len, NULL, &binlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen == 0 || binlen % BLOCK != 0)
		return -EBADMSG;
	derive_key(passphrase, key);
	memcpy(iv, key, BLOCK); /* the fixed IV: the key's first 16 bytes (:130, :159) */
	aes256_set_decrypt_key(&ctx, key);
	cbc_decrypt(&ctx, (nettle_cipher_func *)aes256_decrypt, BLOCK, iv, binlen, buf, buf);
	/* PKCS#7 (:188-192 trusts the last byte blindly): 1..16 bytes, all equal */
	pad = buf[binlen - 1];
	if (pad == 0 || pad > BLOCK)
		r = -EACCES;
	for (size_t i = 0; r == 0 && i < pad; i++)
		if (buf[binlen - 1 - i] != pad)
			r = -EACCES;
	if (r == 0 && binlen - pad >= size)
		r = -ENOSPC;
	if (r == 0) {
		memcpy(out, buf, binlen - pad);
		out[binlen - pad] = '\0';
		if (memchr(out, '\0', binlen - pad))
			r = -EACCES; /* text never holds NUL: garbage from a wrong key */
	}
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&ctx, sizeof(ctx));
	if (r < 0)
		sodium_memzero(out, size);
	return r;
}

bool wgp2_is_wg_key(const char *s)
{
	uint8_t bin[KEY_LEN];
	size_t len = 0;

	if (!s || strlen(s) != 44)
		return false;
	return sodium_base642bin(bin, sizeof(bin), s, 44, NULL, &len, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0 && len == KEY_LEN;
}

static int digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -EINVAL;
		v = v * 10 + (**p - '0');
	}
	*ret = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

int wgp2_parse_time(const char *s, long utc_offset, int64_t *ret)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, os = 0;
	long off = utc_offset;

	if (!s || !*s) {
		*ret = 0;
		return 0;
	}
	if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 || *s++ != '-' ||
	    digits(&s, 2, &d) < 0 || (*s != ' ' && *s != 'T') || !*++s ||
	    digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0 || *s++ != ':' ||
	    digits(&s, 2, &sec) < 0)
		return -EINVAL;
	if (y <= 1) { /* Go's zero time: 0001-01-01 (SQLite, PostgreSQL), 0000-00-00 (MySQL) */
		*ret = 0;
		return 0;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (*s == '.' || *s == ',') /* fractions: whole seconds are kept */
		for (s++; isdigit((unsigned char)*s); s++)
			;
	while (*s == ' ')
		s++;
	if (*s == 'Z') {
		off = 0;
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) < 0)
			return -EINVAL;
		if (*s == ':')
			s++;
		if (isdigit((unsigned char)*s) && digits(&s, 2, &om) < 0)
			return -EINVAL;
		if (*s == ':')
			s++;
		if (isdigit((unsigned char)*s) && digits(&s, 2, &os) < 0)
			return -EINVAL;
		off = sign * (oh * 3600L + om * 60L + os);
	}
	/* Go writes a zone name after the offset in some formats ("+0000 UTC"): allowed */
	while (*s == ' ' || isalpha((unsigned char)*s))
		s++;
	if (*s)
		return -EINVAL;
	*ret = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	       off;
	return 0;
}
