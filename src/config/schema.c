/* SPDX-License-Identifier: MIT */
/*
 * The config key table (spec/wg-portal-compat.md 1.5/1.6) and the generic operations driven by
 * it: defaults, release, entry creation. Every key the loader knows is one row here; adding a key
 * means adding a row and, if it is new, a field in config.h.
 */
#include "config/config-int.h"
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define C(f)  offsetof(struct cfg, f)
#define B(f)  offsetof(struct cfg_backend, f)
#define P(f)  offsetof(struct cfg_auth_provider, f)

#define IMPL CFG_F_IMPL
#define SEC  CFG_F_SECRET

#define TOP(path, kind, off, env, def, flags) \
	{ path, CFG_K_##kind, off, 0, env, def, flags, CFG_L_NONE }
#define LIST(path, off, l, flags) { path, CFG_K_LIST, off, 0, NULL, NULL, flags, l }
#define ENT(l, path, kind, off, def, flags) { path, CFG_K_##kind, off, 0, NULL, def, flags, l }

/* Keys common to the three backend lists (1.6.4); backend.* is implemented as a whole. */
#define BACKEND_COMMON(l, p) \
	ENT(l, p "[].id", STR, B(id), NULL, IMPL), \
	ENT(l, p "[].display_name", STR, B(display_name), NULL, IMPL), \
	ENT(l, p "[].ignored_interfaces", STRV, B(ignored_interfaces), NULL, IMPL), \
	ENT(l, p "[].api_url", STR, B(api_url), NULL, IMPL), \
	ENT(l, p "[].api_verify_tls", BOOL, B(api_verify_tls), "false", IMPL), \
	ENT(l, p "[].api_timeout", DUR, B(api_timeout_ms), "30s", IMPL), \
	ENT(l, p "[].debug", BOOL, B(debug), "false", IMPL)

/* field_map and admin_mapping of oidc[] and oauth[] (same keys and defaults). */
#define OAUTH_MAPS(l, p) \
	ENT(l, p "[].field_map.user_identifier", STR, P(field_map.user_identifier), "sub", IMPL), \
	ENT(l, p "[].field_map.email", STR, P(field_map.email), "email", IMPL), \
	ENT(l, p "[].field_map.firstname", STR, P(field_map.firstname), "given_name", IMPL), \
	ENT(l, p "[].field_map.lastname", STR, P(field_map.lastname), "family_name", IMPL), \
	ENT(l, p "[].field_map.phone", STR, P(field_map.phone), "phone", IMPL), \
	ENT(l, p "[].field_map.department", STR, P(field_map.department), "department", IMPL), \
	ENT(l, p "[].field_map.is_admin", STR, P(field_map.is_admin), "admin_flag", IMPL), \
	ENT(l, p "[].field_map.user_groups", STR, P(field_map.user_groups), NULL, IMPL), \
	ENT(l, p "[].admin_mapping.admin_value_regex", STR, P(admin_value_regex), "^true$", IMPL), \
	ENT(l, p "[].admin_mapping.admin_group_regex", STR, P(admin_group_regex), NULL, IMPL)

/* Keys common to oidc[] and oauth[]. "id" appears in upstream's sample config and has no
 * effect there, so it is accepted and dropped rather than rejected as unknown. */
#define OAUTH_COMMON(l, p) \
	ENT(l, p "[].id", IGNORE, 0, NULL, IMPL), \
	ENT(l, p "[].provider_name", STR, P(provider_name), NULL, IMPL), \
	ENT(l, p "[].display_name", STR, P(display_name), NULL, IMPL), \
	ENT(l, p "[].client_id", STR, P(client_id), NULL, IMPL), \
	ENT(l, p "[].client_secret", STR, P(client_secret), NULL, IMPL | SEC), \
	ENT(l, p "[].allowed_domains", STRV, P(allowed_domains), NULL, IMPL), \
	ENT(l, p "[].allowed_user_groups", STRV, P(allowed_user_groups), NULL, IMPL), \
	OAUTH_MAPS(l, p), \
	ENT(l, p "[].registration_enabled", BOOL, P(registration_enabled), "false", IMPL), \
	ENT(l, p "[].log_user_info", BOOL, P(log_user_info), "false", IMPL), \
	ENT(l, p "[].log_sensitive_info", BOOL, P(log_sensitive_info), "false", IMPL), \
	ENT(l, p "[].use_pkce", BOOL, P(use_pkce), "true", IMPL), \
	ENT(l, p "[].pkce_method", STR, P(pkce_method), "S256", IMPL)

#define MT CFG_L_MIKROTIK
#define PF CFG_L_PFSENSE
#define OP CFG_L_OPNSENSE
#define OI CFG_L_OIDC
#define OA CFG_L_OAUTH
#define LD CFG_L_LDAP

const struct cfg_key cfg_keys[] = {
	/* core (1.6.1) */
	TOP("core.admin_user", STR, C(core.admin_user), "ADMIN_USER", "admin@wgportal.local", IMPL),
	/* wg-portal's default is "wgportal-default"; wgportal has none (admin_password_set). */
	TOP("core.admin_password", STR, C(core.admin_password), "ADMIN_PASSWORD", NULL,
	    IMPL | SEC | CFG_F_ADMINPW),
	TOP("core.admin_api_token", STR, C(core.admin_api_token), "ADMIN_API_TOKEN", NULL,
	    IMPL | SEC),
	TOP("core.disable_admin_user", BOOL, C(core.disable_admin_user), "DISABLE_ADMIN_USER",
	    "false", IMPL),
	TOP("core.editable_keys", BOOL, C(core.editable_keys), "EDITABLE_KEYS", "true", IMPL),
	TOP("core.create_default_peer", BOOL, C(core.create_default_peer), "CREATE_DEFAULT_PEER",
	    "false", IMPL),
	TOP("core.create_default_peer_on_creation", BOOL, C(core.create_default_peer_on_creation),
	    "CREATE_DEFAULT_PEER_ON_CREATION", "false", IMPL),
	/* (sic) upstream reads the deprecated flag's variable for this key. */
	TOP("core.create_default_peer_on_login", BOOL, C(core.create_default_peer_on_login),
	    "CREATE_DEFAULT_PEER", "false", IMPL),
	TOP("core.create_default_peer_on_user_creation", BOOL,
	    C(core.create_default_peer_on_user_creation), "CREATE_DEFAULT_PEER_ON_USER_CREATION",
	    "false", IMPL),
	TOP("core.create_default_peer_on_interface_creation", BOOL,
	    C(core.create_default_peer_on_interface_creation),
	    "CREATE_DEFAULT_PEER_ON_INTERFACE_CREATION", "false", IMPL),
	TOP("core.re_enable_peer_after_user_enable", BOOL, C(core.re_enable_peer_after_user_enable),
	    "RE_ENABLE_PEER_AFTER_USER_ENABLE", "true", IMPL),
	TOP("core.delete_peer_after_user_deleted", BOOL, C(core.delete_peer_after_user_deleted),
	    "DELETE_PEER_AFTER_USER_DELETED", "false", IMPL),
	TOP("core.self_provisioning_allowed", BOOL, C(core.self_provisioning_allowed),
	    "SELF_PROVISIONING_ALLOWED", "false", IMPL),
	TOP("core.import_existing", BOOL, C(core.import_existing), "IMPORT_EXISTING", "true", IMPL),
	TOP("core.restore_state", BOOL, C(core.restore_state), "RESTORE_STATE", "true", IMPL),

	/* advanced (1.6.2): env suffix = key upper-cased */
	TOP("advanced.log_level", STR, C(advanced.log_level), "LOG_LEVEL", "info", IMPL),
	TOP("advanced.log_pretty", BOOL, C(advanced.log_pretty), "LOG_PRETTY", "false", IMPL),
	TOP("advanced.log_json", BOOL, C(advanced.log_json), "LOG_JSON", "false", IMPL),
	TOP("advanced.start_listen_port", INT, C(advanced.start_listen_port), "START_LISTEN_PORT",
	    "51820", IMPL),
	TOP("advanced.start_cidr_v4", STR, C(advanced.start_cidr_v4), "START_CIDR_V4",
	    "10.11.12.0/24", IMPL),
	TOP("advanced.start_cidr_v6", STR, C(advanced.start_cidr_v6), "START_CIDR_V6",
	    "fdfd:d3ad:c0de:1234::0/64", IMPL),
	TOP("advanced.use_ip_v6", BOOL, C(advanced.use_ip_v6), "USE_IP_V6", "true", IMPL),
	TOP("advanced.config_storage_path", STR, C(advanced.config_storage_path),
	    "CONFIG_STORAGE_PATH", NULL, IMPL),
	TOP("advanced.expiry_check_interval", DUR, C(advanced.expiry_check_interval_ms),
	    "EXPIRY_CHECK_INTERVAL", "15m", IMPL),
	/* ours (README): how long an interface hook may run under the write lock; 0 = no limit */
	TOP("advanced.hook_timeout", DUR, C(advanced.hook_timeout_ms), "HOOK_TIMEOUT", "30s",
	    IMPL),
	TOP("advanced.rule_prio_offset", INT, C(advanced.rule_prio_offset), "RULE_PRIO_OFFSET",
	    "20000", IMPL),
	TOP("advanced.route_table_offset", INT, C(advanced.route_table_offset),
	    "ROUTE_TABLE_OFFSET", "20000", IMPL),
	TOP("advanced.api_admin_only", BOOL, C(advanced.api_admin_only), "API_ADMIN_ONLY", "true",
	    IMPL),
	TOP("advanced.limit_additional_user_peers", INT, C(advanced.limit_additional_user_peers),
	    "LIMIT_ADDITIONAL_USER_PEERS", "0", IMPL),

	/* backend (1.6.3, 1.6.4) */
	TOP("backend.default", STR, C(backend.default_id), NULL, "local", IMPL),
	TOP("backend.rekey_timeout_interval", DUR, C(backend.rekey_timeout_interval_ms),
	    "REKEY_TIMEOUT_INTERVAL", "180s", IMPL),
	TOP("backend.ignored_local_interfaces", STRV, C(backend.ignored_local_interfaces),
	    "IGNORED_LOCAL_INTERFACES", NULL, IMPL),
	/* not acted on yet: the local backend does not apply interface DNS through resolvconf */
	TOP("backend.local_resolvconf_prefix", STR, C(backend.local_resolvconf_prefix),
	    "LOCAL_RESOLVCONF_PREFIX", "tun.", 0),
	LIST("backend.mikrotik", C(backend.entries), MT, IMPL),
	LIST("backend.pfsense", C(backend.entries), PF, IMPL),
	LIST("backend.opnsense", C(backend.entries), OP, IMPL),
	BACKEND_COMMON(MT, "backend.mikrotik"),
	ENT(MT, "backend.mikrotik[].api_user", STR, B(api_user), NULL, IMPL),
	ENT(MT, "backend.mikrotik[].api_password", STR, B(api_password), NULL, IMPL | SEC),
	ENT(MT, "backend.mikrotik[].concurrency", INT, B(concurrency), "5", IMPL),
	BACKEND_COMMON(PF, "backend.pfsense"),
	ENT(PF, "backend.pfsense[].api_key", STR, B(api_key), NULL, IMPL | SEC),
	ENT(PF, "backend.pfsense[].concurrency", INT, B(concurrency), "5", IMPL),
	BACKEND_COMMON(OP, "backend.opnsense"),
	ENT(OP, "backend.opnsense[].api_key", STR, B(api_key), NULL, IMPL | SEC),
	ENT(OP, "backend.opnsense[].api_secret", STR, B(api_secret), NULL, IMPL | SEC),

	/* database (1.6.5) */
	TOP("database.debug", BOOL, C(database.debug), "DEBUG", "false", IMPL),
	TOP("database.slow_query_threshold", DUR, C(database.slow_query_threshold_ms),
	    "SLOW_QUERY_THRESHOLD", "0", IMPL),
	TOP("database.type", STR, C(database.type), "TYPE", "sqlite", IMPL),
	TOP("database.dsn", STR, C(database.dsn), "DSN", "data/sqlite.db", IMPL),
	TOP("database.encryption_passphrase", STR, C(database.encryption_passphrase),
	    "ENCRYPTION_PASSPHRASE", NULL, IMPL | SEC),

	/* statistics (1.6.6) */
	TOP("statistics.use_ping_checks", BOOL, C(statistics.use_ping_checks), "USE_PING_CHECKS",
	    "true", IMPL),
	TOP("statistics.ping_check_workers", INT, C(statistics.ping_check_workers),
	    "PING_CHECK_WORKERS", "10", IMPL),
	TOP("statistics.ping_unprivileged", BOOL, C(statistics.ping_unprivileged),
	    "PING_UNPRIVILEGED", "false", IMPL),
	TOP("statistics.ping_check_interval", DUR, C(statistics.ping_check_interval_ms),
	    "PING_CHECK_INTERVAL", "1m", IMPL),
	TOP("statistics.data_collection_interval", DUR, C(statistics.data_collection_interval_ms),
	    "DATA_COLLECTION_INTERVAL", "1m", IMPL),
	TOP("statistics.collect_interface_data", BOOL, C(statistics.collect_interface_data),
	    "COLLECT_INTERFACE_DATA", "true", IMPL),
	TOP("statistics.collect_peer_data", BOOL, C(statistics.collect_peer_data),
	    "COLLECT_PEER_DATA", "true", IMPL),
	TOP("statistics.collect_audit_data", BOOL, C(statistics.collect_audit_data),
	    "COLLECT_AUDIT_DATA", "true", IMPL),
	TOP("statistics.listening_address", STR, C(statistics.listening_address),
	    "LISTENING_ADDRESS", ":8787", IMPL),

	/* mail (1.6.7): src/mail/, src/delivery/ */
	TOP("mail.host", STR, C(mail.host), "HOST", "127.0.0.1", IMPL),
	TOP("mail.port", INT, C(mail.port), "PORT", "25", IMPL),
	TOP("mail.encryption", STR, C(mail.encryption), "ENCRYPTION", "none", IMPL),
	TOP("mail.cert_validation", BOOL, C(mail.cert_validation), "CERT_VALIDATION", "true", IMPL),
	TOP("mail.username", STR, C(mail.username), "USERNAME", NULL, IMPL),
	TOP("mail.password", STR, C(mail.password), "PASSWORD", NULL, IMPL | SEC),
	TOP("mail.auth_type", STR, C(mail.auth_type), "AUTH_TYPE", "plain", IMPL),
	TOP("mail.from", STR, C(mail.from), "FROM", "Wireguard Portal <noreply@wireguard.local>",
	    IMPL),
	TOP("mail.link_only", BOOL, C(mail.link_only), "LINK_ONLY", "false", IMPL),
	TOP("mail.allow_peer_email", BOOL, C(mail.allow_peer_email), "ALLOW_PEER_EMAIL", "false",
	    IMPL),
	TOP("mail.templates_path", STR, C(mail.templates_path), "TEMPLATES_PATH", NULL, IMPL),

	/* auth (1.6.8) */
	/* Every auth key is acted on (core/signin.h, api/auth*.c; docs/auth.md). */
	TOP("auth.min_password_length", INT, C(auth.min_password_length), "MIN_PASSWORD_LENGTH",
	    "16", IMPL),
	TOP("auth.hide_login_form", BOOL, C(auth.hide_login_form), "HIDE_LOGIN_FORM", "false", IMPL),
	TOP("auth.webauthn.enabled", BOOL, C(auth.webauthn_enabled), "WEBAUTHN_ENABLED", "true",
	    IMPL),
	/* ours, beyond wg-portal (docs/auth.md "Second factor") */
	TOP("auth.totp.required_for_admins", BOOL, C(auth.totp_required_for_admins),
	    "TOTP_REQUIRED_FOR_ADMINS", "false", IMPL),
	LIST("auth.oidc", C(auth.oidc), OI, IMPL),
	LIST("auth.oauth", C(auth.oauth), OA, IMPL),
	LIST("auth.ldap", C(auth.ldap), LD, IMPL),
	OAUTH_COMMON(OI, "auth.oidc"),
	ENT(OI, "auth.oidc[].base_url", STR, P(base_url), NULL, IMPL),
	ENT(OI, "auth.oidc[].extra_scopes", STRV, P(extra_scopes), NULL, IMPL),
	ENT(OI, "auth.oidc[].logout_idp_session", BOOL, P(logout_idp_session), "true", IMPL),
	OAUTH_COMMON(OA, "auth.oauth"),
	ENT(OA, "auth.oauth[].auth_url", STR, P(auth_url), NULL, IMPL),
	ENT(OA, "auth.oauth[].token_url", STR, P(token_url), NULL, IMPL),
	ENT(OA, "auth.oauth[].user_info_url", STR, P(user_info_url), NULL, IMPL),
	ENT(OA, "auth.oauth[].scopes", STRV, P(scopes), NULL, IMPL),
	ENT(LD, "auth.ldap[].id", IGNORE, 0, NULL, IMPL),
	ENT(LD, "auth.ldap[].provider_name", STR, P(provider_name), NULL, IMPL),
	ENT(LD, "auth.ldap[].url", STR, P(url), NULL, IMPL),
	ENT(LD, "auth.ldap[].start_tls", BOOL, P(start_tls), "false", IMPL),
	ENT(LD, "auth.ldap[].cert_validation", BOOL, P(cert_validation), "false", IMPL),
	ENT(LD, "auth.ldap[].tls_certificate_path", STR, P(tls_certificate_path), NULL, IMPL),
	ENT(LD, "auth.ldap[].tls_key_path", STR, P(tls_key_path), NULL, IMPL),
	ENT(LD, "auth.ldap[].base_dn", STR, P(base_dn), NULL, IMPL),
	ENT(LD, "auth.ldap[].bind_user", STR, P(bind_user), NULL, IMPL),
	ENT(LD, "auth.ldap[].bind_pass", STR, P(bind_pass), NULL, IMPL | SEC),
	ENT(LD, "auth.ldap[].field_map.user_identifier", STR, P(field_map.user_identifier), "mail",
	    IMPL),
	ENT(LD, "auth.ldap[].field_map.email", STR, P(field_map.email), "mail", IMPL),
	ENT(LD, "auth.ldap[].field_map.firstname", STR, P(field_map.firstname), "givenName", IMPL),
	ENT(LD, "auth.ldap[].field_map.lastname", STR, P(field_map.lastname), "sn", IMPL),
	ENT(LD, "auth.ldap[].field_map.phone", STR, P(field_map.phone), "telephoneNumber", IMPL),
	ENT(LD, "auth.ldap[].field_map.department", STR, P(field_map.department), "department", IMPL),
	ENT(LD, "auth.ldap[].field_map.memberof", STR, P(field_map.memberof), "memberOf", IMPL),
	ENT(LD, "auth.ldap[].login_filter", STR, P(login_filter), NULL, IMPL),
	ENT(LD, "auth.ldap[].admin_group", STR, P(admin_group), NULL, IMPL),
	ENT(LD, "auth.ldap[].disable_missing", BOOL, P(disable_missing), "false", IMPL),
	ENT(LD, "auth.ldap[].auto_re_enable", BOOL, P(auto_re_enable), "false", IMPL),
	ENT(LD, "auth.ldap[].sync_filter", STR, P(sync_filter), NULL, IMPL),
	ENT(LD, "auth.ldap[].sync_interval", DUR, P(sync_interval_ms), "0", IMPL),
	ENT(LD, "auth.ldap[].sync_log_user_info", BOOL, P(sync_log_user_info), "false", IMPL),
	ENT(LD, "auth.ldap[].registration_enabled", BOOL, P(registration_enabled), "false", IMPL),
	{ "auth.ldap[].interface_filter", CFG_K_STRMAP, P(interface_filter_ids),
	  P(interface_filter_filters), NULL, NULL, IMPL, LD },
	ENT(LD, "auth.ldap[].log_user_info", BOOL, P(log_user_info), "false", IMPL),

	/* web (1.6.9); listening_address deliberately defaults to loopback (design.md) */
	TOP("web.listening_address", STR, C(web.listening_address), "LISTENING_ADDRESS",
	    "127.0.0.1:8888", IMPL),
	TOP("web.external_url", STR, C(web.external_url), "EXTERNAL_URL", "http://localhost:8888",
	    IMPL),
	TOP("web.base_path", STR, C(web.base_path), "BASE_PATH", NULL, IMPL),
	TOP("web.site_company_name", STR, C(web.site_company_name), "SITE_COMPANY_NAME",
	    "WireGuard Portal", IMPL),
	TOP("web.site_title", STR, C(web.site_title), "SITE_TITLE", "WireGuard Portal", IMPL),
	TOP("web.session_identifier", STR, C(web.session_identifier), "SESSION_IDENTIFIER",
	    "wgPortalSession", IMPL),
	/* wg-portal parses both and never reads them (wg-portal.md 2.11): accepted, inert */
	TOP("web.session_secret", STR, C(web.session_secret), "SESSION_SECRET", "very_secret",
	    SEC | CFG_F_INERT),
	TOP("web.csrf_secret", STR, C(web.csrf_secret), "CSRF_SECRET", "extremely_secret",
	    SEC | CFG_F_INERT),
	TOP("web.request_logging", BOOL, C(web.request_logging), "REQUEST_LOGGING", "false", IMPL),
	TOP("web.expose_host_info", BOOL, C(web.expose_host_info), "EXPOSE_HOST_INFO", "false",
	    IMPL),
	TOP("web.cert_file", STR, C(web.cert_file), "CERT_FILE", NULL, IMPL),
	TOP("web.key_file", STR, C(web.key_file), "KEY_FILE", NULL, IMPL),
	TOP("web.frontend_filepath", STR, C(web.frontend_filepath), "FRONTEND_FILEPATH", NULL,
	    IMPL),

	/* webhook (1.6.10): src/webhook/, src/delivery/. signing_secret is ours (README). */
	TOP("webhook.url", STR, C(webhook.url), "URL", NULL, IMPL),
	TOP("webhook.authentication", STR, C(webhook.authentication), "AUTHENTICATION", NULL,
	    IMPL | SEC),
	TOP("webhook.timeout", DUR, C(webhook.timeout_ms), "TIMEOUT", "10s", IMPL),
	TOP("webhook.signing_secret", STR, C(webhook.signing_secret), "SIGNING_SECRET", NULL,
	    IMPL | SEC),

	/* cluster: our one added section (README "More than one node"); the default, the host
	 * name, is filled in by validate.c */
	TOP("cluster.node_name", STR, C(cluster.node_name), "NODE_NAME", NULL, IMPL),
};

const size_t cfg_n_keys = sizeof(cfg_keys) / sizeof(cfg_keys[0]);

static const char *const list_paths[CFG_L_MAX] = {
	[CFG_L_MIKROTIK] = "backend.mikrotik", [CFG_L_PFSENSE] = "backend.pfsense",
	[CFG_L_OPNSENSE] = "backend.opnsense", [CFG_L_OIDC] = "auth.oidc",
	[CFG_L_OAUTH] = "auth.oauth", [CFG_L_LDAP] = "auth.ldap",
};

const char *cfg_list_path(enum cfg_list l)
{
	return l > CFG_L_NONE && l < CFG_L_MAX ? list_paths[l] : "";
}

bool cfg_list_is_backend(enum cfg_list l)
{
	return l == CFG_L_MIKROTIK || l == CFG_L_PFSENSE || l == CFG_L_OPNSENSE;
}

bool cfg_key_is_entry(const struct cfg_key *k)
{
	return k->kind != CFG_K_LIST && k->list != CFG_L_NONE;
}

const struct cfg_key *cfg_key_find(const char *path)
{
	for (size_t i = 0; i < cfg_n_keys; i++)
		if (!strcmp(cfg_keys[i].path, path))
			return &cfg_keys[i];
	return NULL;
}

bool cfg_key_is_section(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < cfg_n_keys; i++)
		if (!strncmp(cfg_keys[i].path, path, n) && cfg_keys[i].path[n] == '.')
			return true;
	return false;
}

int cfg_set_str(char **dst, const char *val, bool secret)
{
	char *s = strdup(val ? val : "");

	if (!s)
		return -ENOMEM;
	if (*dst && secret)
		explicit_bzero(*dst, strlen(*dst));
	free(*dst);
	*dst = s;
	return 0;
}

int cfg_key_set_default(void *base, const struct cfg_key *k)
{
	void *f = cfg_key_field(base, k);
	const char *d = k->def;

	switch (k->kind) {
	case CFG_K_STR:
		return cfg_set_str(f, d, k->flags & CFG_F_SECRET);
	case CFG_K_BOOL:
		*(bool *)f = d && !strcmp(d, "true");
		return 0;
	case CFG_K_INT:
		return d ? cfg_parse_int(d, false, f) : (*(int *)f = 0, 0);
	case CFG_K_DUR:
		return d ? cfg_parse_duration(d, f) : (*(int64_t *)f = 0, 0);
	case CFG_K_STRV:
		strv_release(f);
		return 0;
	case CFG_K_STRMAP:
		strv_release(f);
		strv_release((struct strv *)((char *)base + k->off2));
		return 0;
	case CFG_K_LIST:
	case CFG_K_IGNORE:
		return 0;
	}
	return 0;
}

/* The array pointer and count of list l inside cfg. */
static void list_slot(struct cfg *cfg, enum cfg_list l, void ***arr, size_t **n, size_t *size)
{
	if (cfg_list_is_backend(l)) {
		*arr = (void **)&cfg->backend.entries;
		*n = &cfg->backend.n_entries;
		*size = sizeof(struct cfg_backend);
	} else if (l == CFG_L_OIDC) {
		*arr = (void **)&cfg->auth.oidc;
		*n = &cfg->auth.n_oidc;
		*size = sizeof(struct cfg_auth_provider);
	} else if (l == CFG_L_OAUTH) {
		*arr = (void **)&cfg->auth.oauth;
		*n = &cfg->auth.n_oauth;
		*size = sizeof(struct cfg_auth_provider);
	} else {
		*arr = (void **)&cfg->auth.ldap;
		*n = &cfg->auth.n_ldap;
		*size = sizeof(struct cfg_auth_provider);
	}
}

/* The three backend lists share one array of struct cfg_backend; for them the entry type is
 * recorded, so one list row releases the whole array (the others find it empty). */
void cfg_key_release(void *base, const struct cfg_key *k)
{
	void *f = cfg_key_field(base, k);

	switch (k->kind) {
	case CFG_K_STR: {
		char **s = f;
		if (*s && (k->flags & CFG_F_SECRET))
			explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
		break;
	}
	case CFG_K_STRV:
		strv_release(f);
		break;
	case CFG_K_STRMAP:
		strv_release(f);
		strv_release((struct strv *)((char *)base + k->off2));
		break;
	case CFG_K_LIST: {
		void **arr;
		size_t *n, size;
		list_slot(base, k->list, &arr, &n, &size);
		for (size_t i = 0; *arr && i < *n; i++) {
			void *e = (char *)*arr + i * size;
			enum cfg_list el = k->list;
			if (cfg_list_is_backend(el))
				el = CFG_L_MIKROTIK;   /* the family is what matters for release */
			cfg_entry_release(e, el);
		}
		free(*arr);
		*arr = NULL;
		*n = 0;
		break;
	}
	default:
		break;
	}
}

/* Whether lists a and b fill the same struct type. */
static bool same_family(enum cfg_list a, enum cfg_list b)
{
	return cfg_list_is_backend(a) == cfg_list_is_backend(b);
}

void cfg_entry_release(void *entry, enum cfg_list l)
{
	/* Every row of the family, so fields only another list uses are freed too; release NULLs
	 * each field, so rows sharing an offset are harmless. */
	for (size_t i = 0; i < cfg_n_keys; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		if (cfg_key_is_entry(k) && same_family(k->list, l))
			cfg_key_release(entry, k);
	}
}

int cfg_entry_init(void *entry, enum cfg_list l)
{
	int r;

	/* First "" in every string of the family (config.h: strings are never NULL) ... */
	for (size_t i = 0; i < cfg_n_keys; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		if (!cfg_key_is_entry(k) || !same_family(k->list, l) || k->kind != CFG_K_STR)
			continue;
		char **s = cfg_key_field(entry, k);
		if (!*s && (r = cfg_set_str(s, "", false)) < 0)
			return r;
	}
	/* ... then this list's own defaults. */
	for (size_t i = 0; i < cfg_n_keys; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		if (cfg_key_is_entry(k) && k->list == l && (r = cfg_key_set_default(entry, k)) < 0)
			return r;
	}
	if (cfg_list_is_backend(l)) {
		struct cfg_backend *be = entry;
		be->type = l == CFG_L_MIKROTIK ? CFG_BACKEND_MIKROTIK :
			   l == CFG_L_PFSENSE ? CFG_BACKEND_PFSENSE : CFG_BACKEND_OPNSENSE;
		if (!be->concurrency)
			be->concurrency = 5;   /* opnsense has no concurrency key */
	}
	return 0;
}

int cfg_entry_append(struct cfg *cfg, enum cfg_list l, int line, void **ret)
{
	void **arr, *na, *e;
	size_t *n, size;
	int r;

	list_slot(cfg, l, &arr, &n, &size);
	if (*n >= CFG_MAX_ENTRIES)
		return -E2BIG;
	na = realloc(*arr, (*n + 1) * size);
	if (!na)
		return -ENOMEM;
	*arr = na;
	e = (char *)na + *n * size;
	memset(e, 0, size);
	(*n)++;
	r = cfg_entry_init(e, l);
	if (r < 0)
		return r;   /* half-built entry stays counted; release copes with it */
	if (cfg_list_is_backend(l))
		((struct cfg_backend *)e)->line = line;
	*ret = e;
	return 0;
}
