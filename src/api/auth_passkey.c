/* SPDX-License-Identifier: MIT */
/*
 * Passkeys (auth.webauthn.enabled): wg-portal's endpoints (internal/app/api/v0/handlers/
 * endpoint_authentication.go:115-126, 520-752) under /api/v1:
 *
 *   POST /auth/webauthn/login/start            options for navigator.credentials.get
 *   POST /auth/webauthn/login/finish           the assertion -> session (as a password login)
 *   GET  /auth/webauthn/credentials            the caller's passkeys [{ID, Name, CreatedAt}]
 *   POST /auth/webauthn/register/start         options for navigator.credentials.create
 *   POST /auth/webauthn/register/finish?credential_name=..   the attestation -> new passkey
 *   PUT|DELETE /auth/webauthn/credential/{id}  rename ({"Name"}) / delete one of the caller's
 *
 * Options are the WebAuthn JSON forms ({"publicKey": {...}}, binary values base64url), as
 * go-webauthn produces them. Sign-in is "discoverable": the browser offers the passkeys it has
 * for this RP; user verification is required (a passkey sign-in skips TOTP, so it must be two
 * factors in itself: the device and its PIN or biometric). Challenges are single-use and live
 * five minutes on the server (auth/pending.h): login challenges are found again through the
 * challenge inside clientDataJSON, registration ones by user. Credential ids are base64url.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api/json_model.h"
#include "api/ui.h"
#include "auth/jwt.h"
#include "auth/pending.h"
#include "auth/webauthn.h"
#include "config/config.h"
#include "core/signin.h"
#include "model/sanitize.h"
#include "model/user.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "util/err.h"
#include "util/log.h"

#define CHALLENGE_TTL_S 300
#define TIMEOUT_MS 300000

static bool enabled(struct api_ctx *c)
{
	if (c->app->signin && c->app->signin->webauthn)
		return true;
	http_error(c, 400, NULL, "WebAuthn is not enabled");
	return false;
}

static struct wa_rp rp_of(const struct api_ctx *c)
{
	return (struct wa_rp){ c->app->signin->rp_id, c->app->signin->origin, true };
}

static char *challenge_new(uint8_t raw[WA_CHALLENGE_LEN])
{
	randombytes_buf(raw, WA_CHALLENGE_LEN);
	return b64url_encode(raw, WA_CHALLENGE_LEN);
}

/* A base64url member of obj decoded (heap); NULL when absent or not base64url or too long. */
static uint8_t *member_b64(json_t *obj, const char *name, size_t max, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, name));
	uint8_t *out = NULL;

	if (!s || strlen(s) > max * 4 / 3 + 4 || b64url_decode(s, strlen(s), &out, len) < 0)
		return NULL;
	return out;
}

static json_t *credential_json(const struct store_passkey *k)
{
	char created[32], used[32];
	time_t t = (time_t)k->created_at, l = (time_t)k->last_used_at;
	struct tm tm;

	/* wg-portal's format (models_authentication.go:66: "2006-01-02 15:04:05") */
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
	strftime(used, sizeof(used), "%Y-%m-%d %H:%M:%S", gmtime_r(&l, &tm));
	return json_pack("{s:s, s:s, s:s, s:s}", "ID", k->id, "Name", k->name, "CreatedAt", created,
			 "LastUsedAt", k->last_used_at ? used : "");
}

static void answer_list(struct api_ctx *c)
{
	struct store_passkey *v = NULL;
	struct err err = { 0 };
	size_t n = 0;
	json_t *arr;

	if (store_passkey_list(c->app->store, api_caller_id(c), &v, &n, &err) < 0) {
		http_error_err(c, &err, "cannot list passkeys");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, credential_json(&v[i]));
	free(v);
	http_json(c, 200, arr);
}

void api_passkey_list(struct api_ctx *c)
{
	if (!c->app->signin || !c->app->signin->webauthn) {
		http_json(c, 200, json_array()); /* wg-portal: an empty list when disabled */
		return;
	}
	answer_list(c);
}

void api_passkey_login_start(struct api_ctx *c)
{
	uint8_t raw[WA_CHALLENGE_LEN];
	char *ch, key[16 + 64];
	json_t *o;

	if (!enabled(c))
		return;
	ch = challenge_new(raw);
	if (!ch) {
		http_json(c, 500, NULL);
		return;
	}
	snprintf(key, sizeof(key), "wa-login:%s", ch);
	if (pending_put(c->app->signin->challenges, key, raw, sizeof(raw), (int64_t)time(NULL),
			CHALLENGE_TTL_S) < 0) {
		free(ch);
		http_json(c, 500, NULL);
		return;
	}
	o = json_pack("{s:{s:s, s:i, s:s, s:[], s:s}}", "publicKey", "challenge", ch, "timeout",
		      TIMEOUT_MS, "rpId", c->app->signin->rp_id, "allowCredentials",
		      "userVerification", "required");
	free(ch);
	http_header(c, "Cache-Control", "no-store");
	http_json(c, 200, o);
}

/* The challenge that clientDataJSON answers, taken out of the pending table. */
static int take_login_challenge(struct api_ctx *c, const uint8_t *cdj, size_t len,
				uint8_t out[WA_CHALLENGE_LEN])
{
	json_t *o = json_loadb((const char *)cdj, len, JSON_REJECT_DUPLICATES, NULL);
	const char *ch = json_string_value(json_object_get(o, "challenge"));
	char key[16 + 64];
	int r = -ENOENT;

	if (ch && strlen(ch) < 64) {
		snprintf(key, sizeof(key), "wa-login:%s", ch);
		r = pending_take(c->app->signin->challenges, key, (int64_t)time(NULL), out,
				 WA_CHALLENGE_LEN, NULL);
	}
	json_decref(o);
	return r;
}

struct assertion {
	uint8_t *cdj, *ad, *sig, *handle;
	size_t cdj_len, ad_len, sig_len, handle_len;
	const char *id;
};

static void assertion_release(struct assertion *a)
{
	free(a->cdj);
	free(a->ad);
	free(a->sig);
	free(a->handle);
}

static int parse_assertion(json_t *body, struct assertion *a)
{
	json_t *resp = json_object_get(body, "response");
	const char *type = json_string_value(json_object_get(body, "type"));

	memset(a, 0, sizeof(*a));
	a->id = json_string_value(json_object_get(body, "id"));
	if (!a->id || !*a->id || strlen(a->id) > STORE_PASSKEY_ID_MAX || !type ||
	    strcmp(type, "public-key") || !json_is_object(resp))
		return -EINVAL;
	a->cdj = member_b64(resp, "clientDataJSON", WA_CLIENT_DATA_MAX, &a->cdj_len);
	a->ad = member_b64(resp, "authenticatorData", WA_AUTH_DATA_MAX, &a->ad_len);
	a->sig = member_b64(resp, "signature", 1024, &a->sig_len);
	if (json_is_string(json_object_get(resp, "userHandle")) &&
	    *json_string_value(json_object_get(resp, "userHandle")))
		a->handle = member_b64(resp, "userHandle", 64, &a->handle_len);
	return a->cdj && a->ad && a->sig ? 0 : -EINVAL;
}

/* The assertion checks; on success *ret is the user. The reason of a failure goes to err. */
/* The stored record's key, counter, AAGUID and flags from a verified credential. */
static void record_from(struct store_passkey *k, const struct wa_credential *cred)
{
	memcpy(k->cose_key, cred->cose_key, cred->cose_key_len);
	k->cose_key_len = cred->cose_key_len;
	k->alg = cred->alg;
	k->sign_count = cred->sign_count;
	sodium_bin2hex(k->aaguid, sizeof(k->aaguid), cred->aaguid, sizeof(cred->aaguid));
	k->backup_eligible = cred->backup_eligible;
	k->backed_up = cred->backed_up;
}

/* The first sign-in with a passkey taken over from wg-portal: its serialized credential
 * becomes the record (and is stored as such, so counters work from now on). */
static int wgportal_passkey(struct api_ctx *c, const char *serialized, struct store_passkey *k,
			    struct err *err)
{
	struct wa_credential *cred = calloc(1, sizeof(*cred));
	int r = cred ? webauthn_credential_from_wgportal(serialized, cred, err) :
		       err_set(err, -ENOMEM, "out of memory");

	if (r == 0) {
		record_from(k, cred);
		r = store_passkey_fill(c->app->store, k, err);
	} else if (r == -EINVAL) {
		char q[LOG_QUOTE_SIZE(256)];

		log_warn("auth: passkey of '%s' taken over from wg-portal cannot be used: %s",
			 log_quote(k->user_id, q, sizeof(q)), err->msg);
		r = err_set(err, -EACCES, "this passkey cannot be used here");
	}
	free(cred);
	return r;
}

static int check_assertion(struct api_ctx *c, const struct assertion *a, struct user **ret,
			   struct err *err)
{
	struct store_passkey *k = calloc(1, sizeof(*k));
	struct wa_credential *cred = calloc(1, sizeof(*cred));
	char handle[STORE_PASSKEY_HANDLE_MAX + 1], *wgp = NULL;
	uint8_t challenge[WA_CHALLENGE_LEN];
	struct wa_rp rp = rp_of(c);
	uint32_t count = 0;
	bool bs = false;
	int r;

	if (!k || !cred) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (take_login_challenge(c, a->cdj, a->cdj_len, challenge) < 0) {
		r = err_set(err, -EACCES, "the sign-in request expired, please try again");
		goto out;
	}
	if ((r = store_passkey_get(c->app->store, a->id, k, &wgp, handle, err)) < 0) {
		if (r == -ENOENT)
			r = err_set(err, -EACCES, "this passkey is not registered here");
		goto out;
	}
	if (!k->cose_key_len && (r = wgportal_passkey(c, wgp, k, err)) < 0)
		goto out;
	if (a->handle) {
		char *h = b64url_encode(a->handle, a->handle_len);
		bool same = h && !strcmp(h, handle);
		free(h);
		if (!same) {
			r = err_set(err, -EACCES, "passkey belongs to another user");
			goto out;
		}
	}
	memcpy(cred->cose_key, k->cose_key, k->cose_key_len);
	cred->cose_key_len = k->cose_key_len;
	cred->alg = k->alg;
	cred->sign_count = k->sign_count;
	r = webauthn_assert(&rp, challenge, cred, (const char *)a->cdj, a->cdj_len, a->ad,
			    a->ad_len, a->sig, a->sig_len, &count, &bs, err);
	if (r < 0) {
		if (strstr(err->msg, "cloned"))
			log_warn("auth: passkey of '%s': %s", k->user_id, err->msg);
		r = -EACCES;
		goto out;
	}
	r = store_passkey_used(c->app->store, a->id, k->sign_count, count, bs, (int64_t)time(NULL),
			       err);
	if (r < 0)
		goto out;
	r = store_user_get(c->app->store, k->user_id, ret, err);
	if (r == 0 && ((*ret)->disabled || (*ret)->locked)) {
		*ret = user_free(*ret);
		r = err_set(err, -EACCES, "user is locked");
	}
out:
	free(wgp);
	free(k);
	free(cred);
	return r;
}

void api_passkey_login_finish(struct api_ctx *c)
{
	char csrf[SESSION_TOKEN_LEN + 1];
	struct assertion a = { 0 };
	struct user *u = NULL;
	struct err err = { 0 };
	json_t *body = NULL;

	if (!enabled(c) || http_body_object(c, &body) < 0)
		return;
	if (!api_login_reserve(c, NULL))
		goto out;
	if (parse_assertion(body, &a) < 0) {
		http_error(c, 400, "response", "invalid passkey response: id, type and base64url "
			   "clientDataJSON, authenticatorData and signature are required");
		goto out;
	}
	if (check_assertion(c, &a, &u, &err) < 0) {
		api_login_failed(c, NULL, "passkey", err.msg);
		http_error(c, 401, NULL, "passkey sign-in failed: %s", err.msg);
		goto out;
	}
	api_login_release(c, u->identifier, true);
	if (api_session_open(c, u, "passkey", csrf, NULL) == 0)
		api_session_answer(c, u, csrf);
	explicit_bzero(csrf, sizeof(csrf));
out:
	assertion_release(&a);
	user_free(u);
	json_decref(body);
}

/* excludeCredentials: the caller's passkeys, so an authenticator is not registered twice. */
static json_t *exclude_list(struct api_ctx *c)
{
	struct store_passkey *v = NULL;
	size_t n = 0;
	json_t *arr = json_array();

	if (store_passkey_list(c->app->store, api_caller_id(c), &v, &n, NULL) == 0)
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "type", "public-key", "id",
							     v[i].id));
	free(v);
	return arr;
}

void api_passkey_register_start(struct api_ctx *c)
{
	char handle[STORE_PASSKEY_HANDLE_MAX + 1], key[16 + 260], name[300], *ch;
	uint8_t raw[WA_CHALLENGE_LEN];
	struct err err = { 0 };
	const struct user *u = c->caller;
	json_t *o;

	if (!enabled(c))
		return;
	if (u->disabled || u->locked) {
		http_error(c, 400, NULL, "user is locked");
		return;
	}
	if (store_passkey_handle(c->app->store, u->identifier, true, handle, &err) < 0) {
		http_error_err(c, &err, "failed to begin WebAuthn registration");
		return;
	}
	ch = challenge_new(raw);
	snprintf(key, sizeof(key), "wa-reg:%s", u->identifier);
	if (!ch || pending_put(c->app->signin->challenges, key, raw, sizeof(raw), (int64_t)time(NULL),
			       CHALLENGE_TTL_S) < 0) {
		free(ch);
		http_json(c, 500, NULL);
		return;
	}
	snprintf(name, sizeof(name), "%s%s%s", STR(u->firstname), *STR(u->firstname) &&
		 *STR(u->lastname) ? " " : "", STR(u->lastname));
	o = json_pack("{s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:[{s:s, s:i}, {s:s, s:i}, "
		      "{s:s, s:i}], s:i, s:o, s:{s:s, s:b, s:s}, s:s}}", "publicKey",
		      "rp", "id", c->app->signin->rp_id, "name", c->app->cfg->web.site_title,
		      "user", "id", handle, "name", u->identifier, "displayName",
		      *name ? name : u->identifier,
		      "challenge", ch,
		      "pubKeyCredParams", "type", "public-key", "alg", -7, "type", "public-key", "alg",
		      -8, "type", "public-key", "alg", -257,
		      "timeout", TIMEOUT_MS, "excludeCredentials", exclude_list(c),
		      "authenticatorSelection", "residentKey", "required", "requireResidentKey", 1,
		      "userVerification", "required", "attestation", "none");
	free(ch);
	http_header(c, "Cache-Control", "no-store");
	http_json(c, 200, o);
}

/* The name the user gave, cleaned; "Passkey N" when empty (webauthn.go:143). */
static void passkey_name(struct api_ctx *c, const char *given, char out[129])
{
	char *clean = sanitize_string(given ? given : "", 128);
	struct store_passkey *v = NULL;
	size_t n = 0;

	if (clean && *clean) {
		snprintf(out, 129, "%s", clean);
	} else {
		(void)store_passkey_list(c->app->store, api_caller_id(c), &v, &n, NULL);
		snprintf(out, 129, "Passkey %zu", n + 1);
		free(v);
	}
	free(clean);
}

void api_passkey_register_finish(struct api_ctx *c)
{
	struct store_passkey *k = calloc(1, sizeof(*k));
	struct wa_credential *cred = calloc(1, sizeof(*cred));
	uint8_t challenge[WA_CHALLENGE_LEN], *cdj = NULL, *att = NULL;
	size_t cdj_len = 0, att_len = 0;
	char key[16 + 260], *given = http_query(c, "credential_name"), *id = NULL;
	struct wa_rp rp;
	struct err err = { 0 };
	json_t *body = NULL, *resp;

	if (!k || !cred || !given) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (!enabled(c) || http_body_object(c, &body) < 0)
		goto out;
	rp = rp_of(c);
	resp = json_object_get(body, "response");
	cdj = member_b64(resp, "clientDataJSON", WA_CLIENT_DATA_MAX, &cdj_len);
	att = member_b64(resp, "attestationObject", WA_ATT_OBJ_MAX, &att_len);
	if (!cdj || !att) {
		http_error(c, 400, "response", "invalid passkey response: base64url clientDataJSON "
			   "and attestationObject are required");
		goto out;
	}
	snprintf(key, sizeof(key), "wa-reg:%s", api_caller_id(c));
	if (pending_take(c->app->signin->challenges, key, (int64_t)time(NULL), challenge,
			 sizeof(challenge), NULL) < 0) {
		http_error(c, 400, NULL, "no passkey registration in progress (it expires after %d s)",
			   CHALLENGE_TTL_S);
		goto out;
	}
	if (webauthn_register(&rp, challenge, (const char *)cdj, cdj_len, att, att_len, cred,
			      &err) < 0) {
		http_error(c, 400, NULL, "passkey registration failed: %s", err.msg);
		goto out;
	}
	id = b64url_encode(cred->id, cred->id_len);
	if (!id) {
		http_json(c, 500, NULL);
		goto out;
	}
	snprintf(k->id, sizeof(k->id), "%s", id);
	snprintf(k->user_id, sizeof(k->user_id), "%s", api_caller_id(c));
	passkey_name(c, given, k->name);
	record_from(k, cred);
	k->created_at = (int64_t)time(NULL);
	if (store_passkey_insert(c->app->store, k, &err) < 0) {
		http_error_err(c, &err, "cannot store the passkey");
		goto out;
	}
	api_audit(c, api_caller_id(c), "info", "auth", "registered passkey '%s'", k->name);
	answer_list(c);
out:
	free(id);
	free(cdj);
	free(att);
	free(given);
	free(k);
	free(cred);
	json_decref(body);
}

void api_passkey_update(struct api_ctx *c)
{
	struct err err = { 0 };
	json_t *body = NULL;
	const char *name;
	char clean[129];

	if (!enabled(c) || http_body_object(c, &body) < 0)
		return;
	name = json_string_value(json_object_get(body, "Name"));
	if (!name) {
		http_error(c, 400, "Name", "missing passkey name");
		goto out;
	}
	passkey_name(c, name, clean);
	if (store_passkey_rename(c->app->store, api_caller_id(c), c->id, clean, &err) < 0) {
		http_error(c, err.code == -ENOENT ? 404 : 500, NULL, "%s", err.msg);
		goto out;
	}
	answer_list(c);
out:
	json_decref(body);
}

void api_passkey_delete(struct api_ctx *c)
{
	struct err err = { 0 };

	if (!enabled(c))
		return;
	if (store_passkey_delete(c->app->store, api_caller_id(c), c->id, &err) < 0) {
		http_error(c, err.code == -ENOENT ? 404 : 500, NULL, "%s", err.msg);
		return;
	}
	api_audit(c, api_caller_id(c), "info", "auth", "deleted a passkey");
	answer_list(c);
}
