/* SPDX-License-Identifier: MIT */
/*
 * Password hashes. New ones are argon2id (libsodium crypto_pwhash_str, INTERACTIVE limits).
 * Verification also accepts bcrypt ($2a$, $2b$, $2y$), the hashes of users taken over from
 * wg-portal (golang.org/x/crypto/bcrypt, cost 10: h44z/wg-portal internal/domain/user.go
 * HashPassword), through libxcrypt's crypt_rn; docs/wg-portal-import.md has the timings.
 * A login with the right password replaces such a hash by an argon2id one (api/auth.c).
 */
#include <crypt.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int core_password_hash(const char *password, char **ret_hash)
{
	char *h;

	if (sodium_init() < 0)
		return -EIO;
	h = malloc(crypto_pwhash_STRBYTES);
	if (!h)
		return -ENOMEM;
	if (crypto_pwhash_str(h, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		free(h);
		return -ENOMEM; /* argon2id needs 64 MiB: the only failure is memory */
	}
	*ret_hash = h;
	return 0;
}

static bool is_bcrypt(const char *hash)
{
	return !strncmp(hash, "$2a$", 4) || !strncmp(hash, "$2b$", 4) || !strncmp(hash, "$2y$", 4);
}

/* crypt_rn recomputes the hash with the stored salt and cost; the comparison is constant-time.
 * bcrypt reads at most 72 bytes of the password, as Go's does. */
static int bcrypt_verify(const char *hash, const char *password)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	size_t len = strlen(hash);
	int r = -EACCES;

	if (!cd)
		return -ENOMEM;
	if (crypt_rn(password, hash, cd, (int)sizeof(*cd)) && strlen(cd->output) == len &&
	    sodium_memcmp(cd->output, hash, len) == 0)
		r = 0;
	sodium_memzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

bool core_password_is_legacy(const char *hash)
{
	return hash && is_bcrypt(hash);
}

int core_password_verify(const char *hash, const char *password)
{
	if (!hash || !password || sodium_init() < 0)
		return -EACCES;
	if (is_bcrypt(hash))
		return bcrypt_verify(hash, password);
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : -EACCES;
}
