/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_AUTH_H
#define STORE_STORE_AUTH_H
/*
 * What the sign-in methods keep in the store (migrations 6 and 8; docs/auth.md): which identity
 * providers a user signs in through (wg-portal's user_authentications: source + provider
 * name), the LDAP interface_filter results of the last sync, passkeys (wg-portal's
 * user_passkeys and users.webauthn_id, store_passkey.c), and TOTP secrets with one-time
 * recovery codes. All rows go with their user (store_user_delete).
 *
 * TOTP secrets are sealed at rest like the other secrets (store_secret_seal, bound to
 * "user.totp_secret" and the user id); recovery codes are stored as hashes only.
 * Updates that must hold under parallel requests (a passkey's sign counter, a TOTP time step,
 * a recovery code) are single conditional UPDATEs: of two racing uses, exactly one wins and the
 * other gets -EACCES. Same conventions as store.h otherwise.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

struct err;
struct store;

/* ---- provider links --------------------------------------------------------------------- */

/* Links user to (source "ldap"/"oauth", provider as configured); an existing link is kept. */
int store_auth_link_add(struct store *st, const char *user_id, const char *source,
			const char *provider, struct err *err);
/* The user's links, as two parallel lists. */
int store_auth_link_list(struct store *st, const char *user_id, struct strv *ret_sources,
			 struct strv *ret_providers, struct err *err);
/* Users linked to (source, provider), ordered by id. */
int store_auth_link_users(struct store *st, const char *source, const char *provider,
			  struct strv *ret, struct err *err);

/* ---- LDAP interface_filter -------------------------------------------------------------- */

/* Replaces the users the provider allows on the interface (the sync's result). */
int store_ldap_iface_users_set(struct store *st, const char *provider, const char *iface_id,
			       const struct strv *users, struct err *err);
/* Whether any provider's last sync allowed user on the interface. */
int store_ldap_iface_user_allowed(struct store *st, const char *iface_id, const char *user_id,
				  bool *ret, struct err *err);

/* ---- passkeys --------------------------------------------------------------------------- */

#define STORE_PASSKEY_ID_MAX 1400      /* base64url of a 1023-byte credential id */
#define STORE_PASSKEY_KEY_MAX 2048
#define STORE_PASSKEY_HANDLE_MAX 86    /* base64url of a 64-byte user handle */

/* Ids and handles are base64url here (the WebAuthn JSON form); stored as wg-portal does. */
struct store_passkey {
	char id[STORE_PASSKEY_ID_MAX + 1];   /* credential id, base64url */
	char user_id[257];
	char name[129];
	uint8_t cose_key[STORE_PASSKEY_KEY_MAX];
	size_t cose_key_len;                 /* 0: taken over from wg-portal, not used since */
	long alg;
	uint32_t sign_count;
	char aaguid[33];                     /* hex */
	bool backup_eligible, backed_up;
	int64_t created_at, last_used_at;
};

/* The user's WebAuthn user handle (base64url of users.webauthn_id); created when create is set
 * and there is none (-ENOENT otherwise; -EINVAL for an unknown user). */
int store_passkey_handle(struct store *st, const char *user_id, bool create,
			 char ret[static STORE_PASSKEY_HANDLE_MAX + 1], struct err *err);
/* -EEXIST when the credential id is registered already (to anyone). */
int store_passkey_insert(struct store *st, const struct store_passkey *k, struct err *err);
/* The credential and its user's handle ("" when the user has none). A credential taken over
 * from wg-portal and not used since has cose_key_len 0 and its serialized form in
 * *ret_serialized (heap, else NULL): see webauthn_credential_from_wgportal and
 * store_passkey_fill. -ENOENT. */
int store_passkey_get(struct store *st, const char *id, struct store_passkey *ret,
		      char **ret_serialized, char handle[static STORE_PASSKEY_HANDLE_MAX + 1],
		      struct err *err);
/* Stores the sign-in columns of a credential that had only wg-portal's serialized form (k->id,
 * cose key, alg, counter, AAGUID, flags); a row that has them already is left alone. */
int store_passkey_fill(struct store *st, const struct store_passkey *k, struct err *err);
/* The user's passkeys, oldest first; caller frees *ret. */
int store_passkey_list(struct store *st, const char *user_id, struct store_passkey **ret,
		       size_t *n, struct err *err);
/* -ENOENT unless the credential belongs to user_id. */
int store_passkey_rename(struct store *st, const char *user_id, const char *id, const char *name,
			 struct err *err);
int store_passkey_delete(struct store *st, const char *user_id, const char *id, struct err *err);
/* Records a successful assertion: the counter moves from `from` to `to`; -EACCES when another
 * assertion moved it first (the stored value is no longer `from`). */
int store_passkey_used(struct store *st, const char *id, uint32_t from, uint32_t to,
		       bool backed_up, int64_t now, struct err *err);

/* A passkey as wg-portal v2 stored it (user_webauthn_credentials, domain/user.go
 * UserWebauthnCredential): the credential id in standard base64, its serialized go-webauthn
 * Credential (base64 of JSON) as is. Taking over its database adds them with
 * store_passkey_import. Times are unix seconds. */
struct store_passkey_wgp {
	char *user_id, *credential_id, *display_name, *serialized_credential;
	int64_t created_at;
};
int store_passkey_import(struct store *st, const struct store_passkey_wgp *p, struct err *err);

/* ---- round trips (auth/pending.h) ----------------------------------------------------- */

#define STORE_PENDING_VALUE_MAX 2048

/* Short-lived sign-in state shared by all nodes (store_pending.c): kind numbers a table, key
 * is the hash of the browser's token, the value is sealed. put replaces an entry of the same
 * key, drops the kind's expired entries and, when max are held, the one closest to expiry.
 * take removes the entry and copies its value out (at most cap bytes, *ret_len its size);
 * -ENOENT when absent, expired or taken at the same time by another request (exactly one of
 * two gets it). */
int store_pending_put(struct store *st, int kind, const char *key, const void *value,
		      size_t len, int64_t now, int64_t expires, size_t max, struct err *err);
int store_pending_take(struct store *st, int kind, const char *key, int64_t now, void *out,
		       size_t cap, size_t *ret_len, struct err *err);

/* ---- TOTP ------------------------------------------------------------------------------- */

#define STORE_TOTP_SECRET_LEN 20

struct store_totp {
	uint8_t secret[STORE_TOTP_SECRET_LEN];
	bool confirmed;                       /* enrolment finished: the factor is in force */
	int64_t last_step;
	int64_t created_at;
	size_t recovery_left;                 /* unused recovery codes */
};

/* -ENOENT when the user has no (pending) TOTP. The secret is wiped by the caller. */
int store_totp_get(struct store *st, const char *user_id, struct store_totp *ret,
		   struct err *err);
/* Starts (or restarts) an enrolment: an unconfirmed secret replaces an unconfirmed one;
 * -EEXIST when a confirmed TOTP exists (disable it first). */
int store_totp_begin(struct store *st, const char *user_id,
		     const uint8_t secret[STORE_TOTP_SECRET_LEN], int64_t now, struct err *err);
/* Confirms the enrolment at time step `step` and stores the recovery code hashes (replacing
 * old ones), in one transaction. -ENOENT without a pending enrolment. */
int store_totp_confirm(struct store *st, const char *user_id, int64_t step,
		       const char *const *code_hashes, size_t n, struct err *err);
/* Records the time step of an accepted code; -EACCES when it is not later than the stored one
 * (a replay, or a parallel use of the same code). */
int store_totp_use_step(struct store *st, const char *user_id, int64_t step, struct err *err);
/* Spends an unused recovery code by hash; -EACCES when there is none such. */
int store_totp_use_recovery(struct store *st, const char *user_id, const char *code_hash,
			    int64_t now, struct err *err);
/* Removes the user's TOTP and recovery codes (no error when there is none). */
int store_totp_delete(struct store *st, const char *user_id, struct err *err);

#endif
