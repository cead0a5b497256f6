/* SPDX-License-Identifier: MIT */
#ifndef AUTH_LDAP_AUTH_H
#define AUTH_LDAP_AUTH_H
/*
 * LDAP directories as sign-in providers (auth.ldap[], spec/wg-portal-compat.md 1.6.8), on
 * OpenLDAP's libldap. One connection per call (libldap handles are not shared between
 * threads): connect to url (ldap:// with optional StartTLS, or ldaps://), verify the server
 * certificate when cert_validation is set (CAs from the system store, /etc/ldap/ldap.conf or
 * LDAPTLS_CACERT), present tls_certificate_path/tls_key_path as client certificate, bind as
 * bind_user, search base_dn.
 *
 * Login is search-then-bind (wg-portal internal/app/auth/auth_ldap.go:37-75): login_filter
 * with every {{login_identifier}} replaced by the typed name escaped per RFC 4515 must match
 * exactly one entry, whose DN is then bound with the typed password. Empty passwords are
 * refused before any bind (an empty simple bind is an anonymous bind that succeeds).
 *
 * Entries map to users through field_map (ldap_helper.go:16-62): the identifier is the
 * user_identifier attribute (default "mail"), e-mail lower-cased, admin = the memberof
 * attribute lists admin_group (DNs compared attribute type case-insensitively, value exactly,
 * as go-ldap's DN.Equal).
 *
 * Errors: -ENOENT no such entry, -ENOTUNIQ several, -EACCES wrong password, -EHOSTUNREACH
 * server unreachable or TLS refused, -ETIMEDOUT, -EIO the directory refused the service
 * account or the search (message from the server), -EINVAL bad filter/DN.
 * Never logs; passwords never reach err.
 */
#include <stddef.h>

#include "model/sanitize.h"

struct cfg_auth_provider;
struct err;

/* Checks the user's password and returns the mapped entry (cleaned, ext_user_sanitize). */
int ldap_login(const struct cfg_auth_provider *p, const char *login, const char *password,
	       struct ext_user *ret, struct err *err);

/* Every entry matching filter under base_dn, mapped and cleaned (entries whose identifier is
 * empty after cleaning are left out and counted in *ret_skipped). Caller frees with
 * ldap_users_free. */
int ldap_search_users(const struct cfg_auth_provider *p, const char *filter,
		      struct ext_user **ret, size_t *ret_n, size_t *ret_skipped, struct err *err);
void ldap_users_free(struct ext_user *v, size_t n);

/* Start-up check of admin_group (config post-processing of wg-portal, internal/config/auth.go:229):
 * "" is valid; otherwise it must parse as a DN. */
int ldap_dn_check(const char *dn, struct err *err);
/* DN equality as go-ldap's DN.Equal. false when either does not parse. */
bool ldap_dn_equal(const char *a, const char *b);

/* The login filter with each {{login_identifier}} replaced by login escaped per RFC 4515
 * (heap; NULL on OOM). Exposed for tests and the fuzz target. */
char *ldap_login_filter(const char *filter_template, const char *login);

#endif
