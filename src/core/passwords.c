/* SPDX-License-Identifier: MIT */
/* argon2id password hashes (libsodium crypto_pwhash_str, INTERACTIVE limits). */
#include <errno.h>
#include <sodium.h>
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

int core_password_verify(const char *hash, const char *password)
{
	if (!hash || !password || sodium_init() < 0)
		return -EACCES;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : -EACCES;
}
