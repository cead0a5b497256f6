/* SPDX-License-Identifier: MIT */
/*
 * The TOTP second factor (our addition to wg-portal; docs/auth.md "Second factor").
 *
 * Password sign-ins (local and LDAP accounts) of a user with TOTP end in
 *   {"SecondFactor": "totp", "Ticket": t}   instead of a session; then
 *   POST /auth/login/totp {"Ticket": t, "Code": "123456" or a recovery code} -> the session.
 * With auth.totp.required_for_admins, an administrator without TOTP gets "totp-enrol": the
 * ticket then also authorises POST /auth/totp/setup and the code of POST /auth/login/totp
 * confirms the enrolment (and returns the recovery codes). Passkey and OpenID sign-ins do not
 * ask for a code. Tickets live five minutes, allow five wrong codes, and are single-use; wrong
 * codes count towards the account's and the address's login limits.
 *
 * Profile (session): GET /auth/totp (state), POST /auth/totp/setup (new secret: base32, the
 * otpauth:// URI and its QR code as a PNG data URL), POST /auth/totp/confirm {"Code"} (the
 * factor is in force; ten recovery codes, shown once), DELETE /auth/totp {"Code"} (a current
 * code or recovery code is required). Admins: DELETE /user/by-id/{id}/totp resets a user who
 * lost the device and the codes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <ulfius.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/ui.h"
#include "auth/pending.h"
#include "auth/totp.h"
#include "config/config.h"
#include "core/signin.h"
#include "model/peerconf.h"
#include "model/user.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "util/err.h"
#include "util/log.h"

#define TICKET_TTL_S 300
#define TICKET_ATTEMPTS 5

struct ticket {
	char user_id[257];
	char how[64];
	int attempts;
	bool enrol;
};

static void ticket_key(char out[static 64], const char *ticket)
{
	snprintf(out, 64, "totp:%.50s", ticket);
}

static bool required_for(const struct api_ctx *c, const struct user *u)
{
	return u->is_admin && c->app->cfg->auth.totp_required_for_admins;
}

bool api_totp_required(struct api_ctx *c, const struct user *u)
{
	struct store_totp t;
	int r = store_totp_get(c->app->store, u->identifier, &t, NULL);
	bool confirmed = r == 0 && t.confirmed;

	sodium_memzero(t.secret, sizeof(t.secret));
	return confirmed || required_for(c, u);
}

void api_totp_challenge(struct api_ctx *c, const struct user *u, const char *how)
{
	struct store_totp t;
	struct ticket tk = { 0 };
	char tok[SESSION_TOKEN_LEN + 1], key[64];
	int r = store_totp_get(c->app->store, u->identifier, &t, NULL);

	sodium_memzero(t.secret, sizeof(t.secret));
	snprintf(tk.user_id, sizeof(tk.user_id), "%s", u->identifier);
	snprintf(tk.how, sizeof(tk.how), "%s", how);
	tk.enrol = !(r == 0 && t.confirmed);
	session_random_token(tok);
	ticket_key(key, tok);
	if (pending_put(c->app->signin->tickets, key, &tk, sizeof(tk), (int64_t)time(NULL),
			TICKET_TTL_S) < 0) {
		http_json(c, 500, NULL);
		return;
	}
	http_json(c, 200, json_pack("{s:s, s:s}", "SecondFactor", tk.enrol ? "totp-enrol" : "totp",
				    "Ticket", tok));
	explicit_bzero(tok, sizeof(tok));
}

/* Ticket and Code from the body (Code may be absent when code_required is false). */
static int body_fields(struct api_ctx *c, json_t **body, const char **ticket, const char **code,
		       bool code_required)
{
	if (http_body_object(c, body) < 0)
		return -EINVAL;
	*ticket = json_string_value(json_object_get(*body, "Ticket"));
	*code = json_string_value(json_object_get(*body, "Code"));
	if (code_required && (!*code || !**code || strlen(*code) > 64)) {
		http_error(c, 400, "Code", "missing code");
		return -EINVAL;
	}
	return 0;
}

/* Recovery codes for a confirmed enrolment: stored hashed, returned once. */
static json_t *new_recovery_codes(char hashes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_HASH_HEX + 1])
{
	json_t *arr = json_array();

	for (int i = 0; arr && i < TOTP_RECOVERY_CODES; i++) {
		char code[TOTP_RECOVERY_LEN + 1];
		totp_recovery_new(code, hashes[i]);
		json_array_append_new(arr, json_string(code));
		explicit_bzero(code, sizeof(code));
	}
	return arr;
}

/* Confirms a pending enrolment with code; *ret_codes: the recovery codes (new reference). */
static int confirm(struct api_ctx *c, const char *user_id, const char *code, json_t **ret_codes,
		   struct err *err)
{
	char hashes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_HASH_HEX + 1];
	const char *hp[TOTP_RECOVERY_CODES];
	struct store_totp t;
	int64_t step = 0;
	json_t *codes;
	int r = store_totp_get(c->app->store, user_id, &t, err);

	if (r == -ENOENT || (r == 0 && t.confirmed))
		r = err_set(err, -ENOENT, "no TOTP enrolment in progress: start with "
			    "POST /auth/totp/setup");
	if (r == 0 && totp_check(t.secret, code, (int64_t)time(NULL), 0, &step) < 0)
		r = err_set(err, -EACCES, "the code does not match: check the time of the device");
	sodium_memzero(t.secret, sizeof(t.secret));
	if (r < 0)
		return r;
	codes = new_recovery_codes(hashes);
	for (int i = 0; i < TOTP_RECOVERY_CODES; i++)
		hp[i] = hashes[i];
	r = codes ? store_totp_confirm(c->app->store, user_id, step, hp, TOTP_RECOVERY_CODES, err) :
		    err_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		json_decref(codes);
		return r;
	}
	*ret_codes = codes;
	return 0;
}

/* A TOTP code or a recovery code of a confirmed factor; -EACCES when neither fits. */
static int check_code(struct api_ctx *c, const char *user_id, const char *code,
		      bool *ret_recovery, struct err *err)
{
	char hash[TOTP_RECOVERY_HASH_HEX + 1];
	struct store_totp t;
	int64_t step = 0;
	int r = store_totp_get(c->app->store, user_id, &t, err);

	*ret_recovery = false;
	if (r == 0 && !t.confirmed)
		r = -ENOENT;
	if (r < 0) {
		sodium_memzero(t.secret, sizeof(t.secret));
		return r == -ENOENT ? err_set(err, -EACCES, "TOTP is not set up") : r;
	}
	int cr = totp_check(t.secret, code, (int64_t)time(NULL), t.last_step, &step);
	sodium_memzero(t.secret, sizeof(t.secret));
	if (cr == 0)
		return store_totp_use_step(c->app->store, user_id, step, err);
	if (cr == -EALREADY)
		return err_set(err, -EACCES, "this code was used already, wait for the next one");
	if (totp_recovery_hash(code, hash)) {
		*ret_recovery = true;
		return store_totp_use_recovery(c->app->store, user_id, hash, (int64_t)time(NULL),
					       err);
	}
	return err_set(err, -EACCES, "invalid code");
}

void api_totp_login(struct api_ctx *c)
{
	char key[64], how[96], csrf[SESSION_TOKEN_LEN + 1];
	const char *ticket = NULL, *code = NULL;
	json_t *body = NULL, *codes = NULL;
	struct ticket tk;
	struct user *u = NULL;
	struct err err = { 0 };
	bool recovery = false;
	int r;

	if (!c->app->signin || body_fields(c, &body, &ticket, &code, true) < 0)
		goto out;
	if (!ticket || strlen(ticket) > 50) {
		http_error(c, 400, "Ticket", "missing ticket");
		goto out;
	}
	ticket_key(key, ticket);
	if (pending_take(c->app->signin->tickets, key, (int64_t)time(NULL), &tk, sizeof(tk),
			 NULL) < 0) {
		http_error(c, 401, NULL, "the sign-in expired, please sign in again");
		goto out;
	}
	if (!api_login_reserve(c, tk.user_id))
		goto out;
	r = tk.enrol ? confirm(c, tk.user_id, code, &codes, &err) :
		       check_code(c, tk.user_id, code, &recovery, &err);
	if (r == 0)
		r = store_user_get(c->app->store, tk.user_id, &u, &err);
	if (r == 0 && (u->disabled || u->locked))
		r = err_set(&err, -EACCES, "user is locked");
	if (r < 0) {
		if (++tk.attempts < TICKET_ATTEMPTS)
			(void)pending_put(c->app->signin->tickets, key, &tk, sizeof(tk),
					  (int64_t)time(NULL), TICKET_TTL_S);
		api_login_failed(c, tk.user_id, "totp", err.msg);
		http_error(c, 401, "Code", "%s", err.msg);
		goto out;
	}
	snprintf(how, sizeof(how), "%s+%s", tk.how, recovery ? "recovery code" : "totp");
	api_login_release(c, tk.user_id, true);
	if (api_session_open(c, u, how, csrf, NULL) < 0)
		goto out;
	json_t *o = json_pack("{s:o, s:s}", "User", json_from_user(u, false), "CsrfToken", csrf);
	if (o && codes)
		json_object_set(o, "RecoveryCodes", codes);
	http_json(c, 200, o);
	explicit_bzero(csrf, sizeof(csrf));
out:
	explicit_bzero(&tk, sizeof(tk));
	json_decref(codes);
	json_decref(body);
	user_free(u);
}

void api_totp_status(struct api_ctx *c)
{
	struct store_totp t;
	int r = store_totp_get(c->app->store, api_caller_id(c), &t, NULL);

	sodium_memzero(t.secret, sizeof(t.secret));
	http_json(c, 200, json_pack("{s:b, s:b, s:i, s:b}", "Enabled", r == 0 && t.confirmed,
				    "Pending", r == 0 && !t.confirmed, "RecoveryCodesLeft",
				    r == 0 && t.confirmed ? (int)t.recovery_left : 0, "Required",
				    required_for(c, c->caller)));
}

/* The user of a profile call: the session's, or the enrolment ticket's (peeked, kept). */
static int profile_user(struct api_ctx *c, const char *ticket, char user_id[257])
{
	struct ticket tk;
	char key[64];

	if (ticket && *ticket) {
		ticket_key(key, ticket);
		if (pending_take(c->app->signin->tickets, key, (int64_t)time(NULL), &tk, sizeof(tk),
				 NULL) < 0 || !tk.enrol) {
			http_error(c, 401, NULL, "the sign-in expired, please sign in again");
			return -EACCES;
		}
		(void)pending_put(c->app->signin->tickets, key, &tk, sizeof(tk), (int64_t)time(NULL),
				  TICKET_TTL_S);
		snprintf(user_id, 257, "%s", tk.user_id);
		explicit_bzero(&tk, sizeof(tk));
		return 0;
	}
	if (!api_session_authenticate(c, c->req->http_verb ? c->req->http_verb : "POST"))
		return -EACCES;
	snprintf(user_id, 257, "%s", api_caller_id(c));
	return 0;
}

void api_totp_setup(struct api_ctx *c)
{
	uint8_t secret[TOTP_SECRET_LEN];
	char user_id[257], *b32 = NULL, *uri = NULL, *png64 = NULL;
	unsigned char *png = NULL;
	size_t png_len = 0;
	const char *ticket = NULL, *code = NULL;
	struct err err = { 0 };
	json_t *body = NULL;

	if (!c->app->signin || body_fields(c, &body, &ticket, &code, false) < 0)
		goto out;
	if (profile_user(c, ticket, user_id) < 0)
		goto out;
	randombytes_buf(secret, sizeof(secret));
	if (store_totp_begin(c->app->store, user_id, secret, (int64_t)time(NULL), &err) < 0) {
		http_error(c, err.code == -EEXIST ? 409 : 500, NULL, "%s", err.msg);
		goto out;
	}
	b32 = base32_encode(secret, sizeof(secret));
	uri = totp_uri(c->app->cfg->web.site_title, user_id, secret);
	if (!b32 || !uri || peerconf_qr_png(uri, &png, &png_len, &err) < 0) {
		http_json(c, 500, NULL);
		goto out;
	}
	size_t n = sodium_base64_ENCODED_LEN(png_len, sodium_base64_VARIANT_ORIGINAL);
	png64 = malloc(n + 32);
	if (!png64) {
		http_json(c, 500, NULL);
		goto out;
	}
	memcpy(png64, "data:image/png;base64,", 22);
	sodium_bin2base64(png64 + 22, n, png, png_len, sodium_base64_VARIANT_ORIGINAL);
	http_header(c, "Cache-Control", "no-store");
	http_json(c, 200, json_pack("{s:s, s:s, s:s}", "Secret", b32, "Uri", uri, "QrCode", png64));
out:
	sodium_memzero(secret, sizeof(secret));
	if (b32)
		sodium_memzero(b32, strlen(b32));
	if (uri)
		sodium_memzero(uri, strlen(uri));
	free(b32);
	free(uri);
	free(png);
	free(png64);
	json_decref(body);
}

void api_totp_confirm(struct api_ctx *c)
{
	const char *ticket = NULL, *code = NULL;
	char user_id[257];
	struct err err = { 0 };
	json_t *body = NULL, *codes = NULL;

	if (!c->app->signin || body_fields(c, &body, &ticket, &code, true) < 0)
		goto out;
	if (ticket && *ticket) {
		http_error(c, 400, "Ticket", "an enrolment at sign-in is confirmed with "
			   "POST /auth/login/totp");
		goto out;
	}
	if (profile_user(c, NULL, user_id) < 0 || !api_login_reserve(c, user_id))
		goto out;
	if (confirm(c, user_id, code, &codes, &err) < 0) {
		if (err.code == -EACCES)
			api_login_failed(c, user_id, "totp enrolment", err.msg);
		else
			api_login_release(c, user_id, false);
		http_error(c, err.code == -EACCES ? 400 : 404, "Code", "%s", err.msg);
		goto out;
	}
	api_login_release(c, user_id, false);
	api_audit(c, user_id, "info", "auth", "enabled TOTP");
	http_json(c, 200, json_pack("{s:O}", "RecoveryCodes", codes));
out:
	json_decref(codes);
	json_decref(body);
}

void api_totp_disable(struct api_ctx *c)
{
	const char *ticket = NULL, *code = NULL;
	struct err err = { 0 };
	json_t *body = NULL;
	bool recovery;

	if (!c->app->signin || body_fields(c, &body, &ticket, &code, true) < 0)
		goto out;
	if (!api_login_reserve(c, api_caller_id(c)))
		goto out;
	if (check_code(c, api_caller_id(c), code, &recovery, &err) < 0) {
		api_login_failed(c, api_caller_id(c), "totp", err.msg);
		http_error(c, 400, "Code", "%s", err.msg);
		goto out;
	}
	api_login_release(c, api_caller_id(c), false);
	if (store_totp_delete(c->app->store, api_caller_id(c), &err) < 0) {
		http_error_err(c, &err, "cannot disable TOTP");
		goto out;
	}
	api_audit(c, api_caller_id(c), "info", "auth", "disabled TOTP");
	http_no_content(c);
out:
	json_decref(body);
}

void api_totp_reset(struct api_ctx *c)
{
	struct err err = { 0 };

	if (store_totp_delete(c->app->store, c->id, &err) < 0) {
		http_error_err(c, &err, "cannot reset TOTP");
		return;
	}
	api_audit(c, api_caller_id(c), "info", "auth", "reset the TOTP of %s", c->id);
	http_no_content(c);
}
