/* SPDX-License-Identifier: MIT */
#ifndef AUTH_TOTP_H
#define AUTH_TOTP_H
/*
 * Time-based one-time passwords (RFC 6238 on RFC 4226 HOTP) for the optional second factor of
 * password sign-ins (local and LDAP accounts; docs/auth.md "Second factor"). Enrolment uses what
 * every authenticator app understands: HMAC-SHA1, 6 digits, 30 s steps, a 160-bit secret shown
 * as base32 in an otpauth:// URI. A code is accepted for the current step and one step either
 * side (clock drift), and only for a step later than the last one used (no replay).
 * Recovery codes: 16 base32 characters (80 bits) shown once, stored as BLAKE2b hashes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20
#define TOTP_PERIOD_S 30
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1
#define TOTP_RECOVERY_CODES 10
#define TOTP_RECOVERY_LEN 19     /* "XXXX-XXXX-XXXX-XXXX" */
#define TOTP_RECOVERY_HASH_HEX 64

enum totp_hash { TOTP_SHA1, TOTP_SHA256, TOTP_SHA512 };

/* RFC 4226 5.3 (dynamic truncation), digits 6..8. */
uint32_t hotp(enum totp_hash h, const uint8_t *key, size_t key_len, uint64_t counter, int digits);
/* The RFC 6238 value at unix time t. */
uint32_t totp_at(enum totp_hash h, const uint8_t *key, size_t key_len, int64_t t, int digits);

/* Checks a 6-digit code (spaces ignored) against secret at time now. 0 and *ret_step (the
 * matching time step, to be stored as the new last step) when it matches a step in
 * [now-1, now+1] that is greater than last_step; -EALREADY when it matches only a step that
 * was used already (a replay), -EACCES otherwise, -EINVAL when the text is not 6 digits.
 * Constant time in the secret. */
int totp_check(const uint8_t secret[TOTP_SECRET_LEN], const char *code, int64_t now,
	       int64_t last_step, int64_t *ret_step);

/* RFC 4648 base32 without padding; heap string or NULL on OOM. */
char *base32_encode(const uint8_t *in, size_t len);
/* otpauth://totp/<issuer>:<account>?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30,
 * label parts percent-encoded (Key Uri Format). Heap string or NULL. */
char *totp_uri(const char *issuer, const char *account, const uint8_t secret[TOTP_SECRET_LEN]);

/* A fresh recovery code "XXXX-XXXX-XXXX-XXXX" (base32 alphabet) and the hex hash to store. */
void totp_recovery_new(char code[static TOTP_RECOVERY_LEN + 1],
		       char hash[static TOTP_RECOVERY_HASH_HEX + 1]);
/* The stored form of a code as typed: case, spaces and dashes do not matter. false when the
 * text cannot be a recovery code. */
bool totp_recovery_hash(const char *typed, char hash[static TOTP_RECOVERY_HASH_HEX + 1]);

#endif
