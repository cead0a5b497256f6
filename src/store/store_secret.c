/* SPDX-License-Identifier: MIT */
/*
 * Secrets at rest. With database.encryption_passphrase set, a 32-byte key is derived with
 * argon2id (crypto_pwhash, INTERACTIVE limits, per-database random salt in the meta table) and
 * interface private keys, peer private keys and preshared keys are sealed with
 * XChaCha20-Poly1305 (random 24-byte nonce), stored as "enc:v1:<base64(nonce | ciphertext)>".
 * The associated data is "<field>\0<record id>", so a sealed value copied into another row or
 * column fails to open. A sealed known text in meta ("verifier") tells a wrong passphrase apart
 * at open time. The KDF limits are stored with the salt so later libsodium defaults cannot
 * lock a database out.
 */
#include "store/store-int.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/strv.h"

#define SEAL_PREFIX "enc:v1:"
#define SEAL_PREFIX_LEN (sizeof(SEAL_PREFIX) - 1)
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
/* keys are 44 chars, sign-in round-trip state (store_pending.c) at most 2732; bounds every
 * temporary */
#define SEAL_PLAIN_MAX 4096

static const char verifier_text[] = "wgportal secrets v1";
static const char passphrase_field[] = "database.encryption_passphrase";

/* "<field>\0<id>" */
static uint8_t *make_ad(const char *field, const char *id, size_t *len)
{
	size_t fl = strlen(field), il = strlen(id ? id : "");
	uint8_t *ad = malloc(fl + 1 + il + 1);

	if (!ad)
		return NULL;
	memcpy(ad, field, fl + 1);
	memcpy(ad + fl + 1, id ? id : "", il + 1);
	*len = fl + 1 + il;
	return ad;
}

int store_secret_seal(struct store *st, const char *plain, const char *field, const char *id,
		      char **ret)
{
	uint8_t buf[NONCE_LEN + SEAL_PLAIN_MAX + TAG_LEN];
	unsigned long long clen = 0;
	size_t plen = plain ? strlen(plain) : 0, adlen, b64len;
	uint8_t *ad;
	char *out;

	if (plen == 0 || !st->encrypt) {
		out = strdup(plain ? plain : "");
		if (!out)
			return -ENOMEM;
		*ret = out;
		return 0;
	}
	if (plen > SEAL_PLAIN_MAX)
		return -EINVAL;
	ad = make_ad(field, id, &adlen);
	if (!ad)
		return -ENOMEM;
	randombytes_buf(buf, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + NONCE_LEN, &clen, (const uint8_t *)plain,
						   plen, ad, adlen, NULL, buf, st->key);
	free(ad);
	b64len = sodium_base64_ENCODED_LEN(NONCE_LEN + clen, sodium_base64_VARIANT_ORIGINAL);
	out = malloc(SEAL_PREFIX_LEN + b64len);
	if (!out)
		return -ENOMEM;
	memcpy(out, SEAL_PREFIX, SEAL_PREFIX_LEN);
	sodium_bin2base64(out + SEAL_PREFIX_LEN, b64len, buf, NONCE_LEN + (size_t)clen,
			  sodium_base64_VARIANT_ORIGINAL);
	*ret = out;
	return 0;
}

int store_secret_open(struct store *st, const char *stored, const char *field, const char *id,
		      char *out, size_t size, struct err *err)
{
	uint8_t bin[NONCE_LEN + SEAL_PLAIN_MAX + TAG_LEN];
	uint8_t plain[SEAL_PLAIN_MAX + 1];
	unsigned long long mlen = 0;
	size_t binlen = 0, adlen, len;
	uint8_t *ad;
	int rc;

	if (!stored || !*stored) {
		out[0] = '\0';
		return 0;
	}
	if (strncmp(stored, SEAL_PREFIX, SEAL_PREFIX_LEN) != 0) {
		len = strlen(stored);
		if (len >= size)
			return err_set(err, -EIO, "stored %s of '%s' is malformed", field, id);
		memcpy(out, stored, len + 1);
		return 0;
	}
	if (!st->encrypt)
		return err_set(err, -EIO, "stored %s of '%s' is encrypted but no %s is set", field,
			       id, passphrase_field);
	if (sodium_base642bin(bin, sizeof(bin), stored + SEAL_PREFIX_LEN,
			      strlen(stored + SEAL_PREFIX_LEN), NULL, &binlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen < NONCE_LEN + TAG_LEN)
		return err_set(err, -EIO, "stored %s of '%s' is malformed", field, id);
	ad = make_ad(field, id, &adlen);
	if (!ad)
		return err_set(err, -ENOMEM, "out of memory");
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &mlen, NULL, bin + NONCE_LEN,
							binlen - NONCE_LEN, ad, adlen, bin,
							st->key);
	free(ad);
	if (rc != 0 || mlen >= size) {
		sodium_memzero(plain, sizeof(plain));
		return err_set(err, -EIO, "stored %s of '%s' cannot be decrypted", field, id);
	}
	memcpy(out, plain, (size_t)mlen);
	out[mlen] = '\0';
	sodium_memzero(plain, sizeof(plain));
	return 0;
}

/* The value of a meta key (heap) or NULL when absent. */
int store_meta_get(struct store *st, const char *key, char **ret, struct err *err)
{
	struct db_stmt *s = NULL;
	int r;

	*ret = NULL;
	r = db_prepare(st->db, "SELECT value FROM meta WHERE key = ?", &s, err);
	if (r == 0) {
		db_bind_text(s, 1, key);
		r = db_step(s, err);
		if (r == DB_ROW) {
			const char *v = db_column_text(s, 0);
			*ret = strdup(v ? v : "");
			r = *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
		}
	}
	db_finalize(s);
	return r < 0 ? store_db_err(r, "read meta", err) : 0;
}

int store_meta_put(struct store *st, const char *key, const char *value, struct err *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = db_prepare(st->db,
		       "INSERT INTO meta(key, value) VALUES (?1, ?2) "
		       "ON CONFLICT(key) DO UPDATE SET value = ?2", &s, err);
	if (r < 0)
		return store_db_err(r, "write meta", err);
	db_bind_text(s, 1, key);
	db_bind_text(s, 2, value);
	r = store_step_done(st, s, "write meta", err);
	db_finalize(s);
	return r;
}

static int derive_key(struct store *st, const char *passphrase, const uint8_t *salt,
		      unsigned long long ops, size_t mem, struct err *err)
{
	if (!st->key) {
		st->key = sodium_malloc(STORE_KEY_LEN);
		if (!st->key)
			return err_set(err, -ENOMEM, "out of memory");
	}
	if (crypto_pwhash(st->key, STORE_KEY_LEN, passphrase, strlen(passphrase), salt, ops, mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return err_set(err, -ENOMEM, "key derivation for %s failed (out of memory)",
			       passphrase_field);
	st->encrypt = true;
	return 0;
}

/* One column of one table: every stored plain (not yet sealed) secret is read, sealed with
 * its row's identifier and written back. Table and column names are constants. */
static int seal_column(struct store *st, const char *select, const char *update,
		       const char *field, struct err *err)
{
	struct db_stmt *sel = NULL, *upd = NULL;
	struct strv ids = STRV_INIT, plains = STRV_INIT;
	int r;

	r = db_prepare(st->db, select, &sel, err);
	while (r == 0 && (r = db_step(sel, err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		const char *id = db_column_text(sel, 0), *v = db_column_text(sel, 1);
		r = strv_push(&ids, id ? id : "");
		if (r == 0)
			r = strv_push(&plains, v ? v : "");
	}
	if (r == DB_DONE)
		r = db_prepare(st->db, update, &upd, err);
	for (size_t i = 0; r == 0 && i < ids.n; i++) {
		char *sealed = NULL;

		r = store_secret_seal(st, plains.v[i], field, ids.v[i], &sealed);
		if (r < 0) {
			err_set(err, r, "cannot seal the stored %s of '%s'", field, ids.v[i]);
			break;
		}
		db_bind_text_take(upd, 1, sealed);
		db_bind_text(upd, 2, ids.v[i]);
		r = db_step_done(upd, err);
	}
	db_finalize(sel);
	db_finalize(upd);
	for (size_t i = 0; i < plains.n; i++)
		sodium_memzero(plains.v[i], strlen(plains.v[i]));
	strv_release(&ids);
	strv_release(&plains);
	return r < 0 ? store_db_err(r, "seal existing secrets", err) : 0;
}

/* A passphrase set on a database that had none: seal the secrets stored in clear so far. */
static int seal_existing(struct store *st, struct err *err)
{
	int r = seal_column(st,
			    "SELECT identifier, private_key FROM interfaces WHERE private_key <> '' "
			    "AND private_key NOT LIKE 'enc:v1:%'",
			    "UPDATE interfaces SET private_key = ?1 WHERE identifier = ?2",
			    "iface.private_key", err);

	if (r == 0)
		r = seal_column(st,
				"SELECT identifier, private_key FROM peers WHERE private_key <> '' "
				"AND private_key NOT LIKE 'enc:v1:%'",
				"UPDATE peers SET private_key = ?1 WHERE identifier = ?2",
				"peer.private_key", err);
	if (r == 0)
		r = seal_column(st,
				"SELECT identifier, preshared_key FROM peers WHERE "
				"preshared_key <> '' AND preshared_key NOT LIKE 'enc:v1:%'",
				"UPDATE peers SET preshared_key = ?1 WHERE identifier = ?2",
				"peer.preshared_key", err);
	return r;
}

static int setup_new(struct store *st, const char *passphrase, struct err *err)
{
	uint8_t salt[crypto_pwhash_SALTBYTES];
	char salt_b64[sodium_base64_ENCODED_LEN(crypto_pwhash_SALTBYTES,
						sodium_base64_VARIANT_ORIGINAL)];
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	char num[32];
	char *verifier = NULL;
	int r;

	randombytes_buf(salt, sizeof(salt));
	sodium_bin2base64(salt_b64, sizeof(salt_b64), salt, sizeof(salt),
			  sodium_base64_VARIANT_ORIGINAL);
	r = derive_key(st, passphrase, salt, ops, mem, err);
	if (r < 0)
		return r;
	r = store_secret_seal(st, verifier_text, "meta", "verifier", &verifier);
	if (r < 0)
		return err_set(err, r, "out of memory");
	r = store_begin(st, err);
	if (r < 0)
		goto out;
	r = store_meta_put(st, "kdf_salt", salt_b64, err);
	snprintf(num, sizeof(num), "%llu", ops);
	if (r == 0)
		r = store_meta_put(st, "kdf_opslimit", num, err);
	snprintf(num, sizeof(num), "%zu", mem);
	if (r == 0)
		r = store_meta_put(st, "kdf_memlimit", num, err);
	if (r == 0)
		r = store_meta_put(st, "kdf_verifier", verifier, err);
	if (r == 0)
		r = seal_existing(st, err);
	if (r < 0) {
		store_rollback(st);
		goto out;
	}
	r = store_commit(st, err);
out:
	free(verifier);
	return r;
}

static int setup_existing(struct store *st, const char *passphrase, const char *salt_b64,
			  const char *verifier, struct err *err)
{
	uint8_t salt[crypto_pwhash_SALTBYTES];
	char *ops_s = NULL, *mem_s = NULL, check[64];
	size_t saltlen = 0;
	unsigned long long ops;
	unsigned long long mem;
	int r;

	r = store_meta_get(st, "kdf_opslimit", &ops_s, err);
	if (r == 0)
		r = store_meta_get(st, "kdf_memlimit", &mem_s, err);
	if (r < 0)
		goto out;
	if (!ops_s || !mem_s ||
	    sodium_base642bin(salt, sizeof(salt), salt_b64, strlen(salt_b64), NULL, &saltlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || saltlen != sizeof(salt) ||
	    sscanf(ops_s, "%llu", &ops) != 1 || sscanf(mem_s, "%llu", &mem) != 1 ||
	    ops < crypto_pwhash_OPSLIMIT_MIN || mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > (1ULL << 32)) {
		r = err_set(err, -EIO, "the database's key derivation parameters are corrupt");
		goto out;
	}
	r = derive_key(st, passphrase, salt, ops, (size_t)mem, err);
	if (r < 0)
		goto out;
	if (store_secret_open(st, verifier, "meta", "verifier", check, sizeof(check), NULL) < 0 ||
	    strcmp(check, verifier_text) != 0) {
		r = err_field(err, -EACCES, passphrase_field,
			      "%s does not match the one the database was created with",
			      passphrase_field);
		goto out;
	}
out:
	free(ops_s);
	free(mem_s);
	return r;
}

int store_secret_setup(struct store *st, const char *passphrase, struct err *err)
{
	char *salt = NULL, *verifier = NULL;
	int r;

	if (sodium_init() < 0)
		return err_set(err, -EIO, "libsodium initialisation failed");
	r = store_meta_get(st, "kdf_salt", &salt, err);
	if (r == 0)
		r = store_meta_get(st, "kdf_verifier", &verifier, err);
	if (r < 0)
		goto out;
	if (!passphrase || !*passphrase) {
		if (verifier)
			r = err_field(err, -EACCES, passphrase_field,
				      "the database was created with %s, but none is set",
				      passphrase_field);
		goto out;
	}
	if (!salt || !verifier)
		r = setup_new(st, passphrase, err);
	else
		r = setup_existing(st, passphrase, salt, verifier, err);
out:
	free(salt);
	free(verifier);
	return r;
}

void store_secret_free(struct store *st)
{
	if (st->key)
		sodium_free(st->key); /* sodium_free wipes before releasing */
	st->key = NULL;
	st->encrypt = false;
}
