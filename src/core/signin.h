/* SPDX-License-Identifier: MIT */
#ifndef CORE_SIGNIN_H
#define CORE_SIGNIN_H
/*
 * The sign-in methods beyond local passwords (docs/auth.md): LDAP directories (password check,
 * registration, periodic sync), OpenID Connect / OAuth2 providers, passkeys and the TOTP second
 * factor. This is their running state, owned by struct app (app->signin), and the use cases that
 * turn what a provider says into wgportal users.
 *
 * signin_start() checks what must be right before the daemon serves (each LDAP admin_group
 * parses as a DN, each admin regex compiles; wg-portal internal/config/auth.go:229 stops start-up on a
 * bad DN, and so do we), then sets up the OpenID providers in the background (retried every
 * 30 s, never fatal) and starts one sync thread per LDAP provider with sync_interval > 0.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/app.h"
#include "model/sanitize.h"

struct cfg_auth_provider;
struct err;
struct oidc_set;
struct pending;
struct user;

struct signin {
	struct oidc_set *idps;        /* OpenID Connect + OAuth2 providers */
	/* Round-trip state, one table per kind, so that a flood of one kind (all of them can be
	 * started without signing in) cannot push out the others: */
	struct pending *rounds;       /* OpenID/OAuth2 state, nonce, PKCE verifier */
	struct pending *challenges;   /* passkey challenges */
	struct pending *tickets;      /* password done, one-time code to come */
	struct pending *idp_logins;   /* session id -> provider + ID token, for IdP logout */
	char *rp_id, *origin;         /* WebAuthn relying party (from web.external_url) */
	bool webauthn;                /* auth.webauthn.enabled and a usable RP id */
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* wakes the background threads on stop */
	bool stopping;
	pthread_t setup_thread;
	bool setup_started;
	pthread_t *ldap_threads;
	size_t n_ldap_threads;
};

/* Source names as wg-portal stores them (domain.UserSource). */
#define SIGNIN_SOURCE_LDAP "ldap"
#define SIGNIN_SOURCE_OAUTH "oauth"

int signin_start(struct app *app, struct err *err);
void signin_stop(struct app *app);

/*
 * A user an identity provider vouched for (wg-portal internal/app/auth/auth.go:629-806 processUserInfo): an
 * unknown user is created when allow_register (no password, no admin unless the provider says
 * so), a known one gets the provider linked and, unless disabled or locked, the profile and
 * (when the provider knows) the admin flag refreshed. *ret is the stored user; the caller
 * refuses disabled and locked users. -EACCES "registration disabled" for unknown users
 * otherwise.
 */
int signin_external_user(struct app *app, const struct ext_user *info, const char *source,
			 const char *provider, bool allow_register, struct user **ret,
			 struct err *err);

/*
 * The LDAP part of a password sign-in (internal/app/auth/auth.go:359-452): for a stored user, every linked LDAP
 * provider is asked; for an unknown one, every provider with registration_enabled, creating the
 * user on success. 0 with *ret when a directory accepted the password; -EACCES when none did;
 * -EHOSTUNREACH / -ETIMEDOUT when a directory that could have decided was unreachable (err
 * names it) and none accepted.
 */
int signin_ldap_password(struct app *app, const char *login, const char *password,
			 struct user **ret, struct err *err);

/* One synchronisation run of an LDAP provider (ldap_sync.go:57-100): creates and updates the
 * users matching sync_filter, disables the provider's users that are gone (disable_missing,
 * reason "missing in ldap"), re-enables them when they are back (auto_re_enable), and stores
 * the interface_filter results. Logs its outcome; returns 0 or the error. */
int signin_ldap_sync(struct app *app, const struct cfg_auth_provider *p, struct err *err);

/* LDAP interface_filter (domain/interface.go:86-108): false when some provider filters this
 * interface and the last sync did not allow the user on it. */
bool signin_iface_user_allowed(struct app *app, const char *iface_id, const char *user_id);

#endif
