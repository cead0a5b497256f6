/* SPDX-License-Identifier: MIT */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H
/*
 * wg-portal's config.yaml, parsed into struct cfg (spec/wg-portal-compat.md section 1).
 * Precedence per key: built-in default, then WG_PORTAL_<SECTION>_<KEY>, then the file.
 * The file text goes through ${VAR} substitution first (1.2). Misspelt keys are errors with
 * line and column; keys we accept but do not implement yet are listed in cfg->unsupported so
 * main.c can log each once. Durations are stored in milliseconds.
 * Strings are heap strings, never NULL after cfg_defaults()/cfg_load().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

struct err;

/* cluster.node_name: at most this many characters */
#define CFG_NODE_NAME_MAX 63

enum cfg_backend_type { CFG_BACKEND_MIKROTIK, CFG_BACKEND_PFSENSE, CFG_BACKEND_OPNSENSE };

struct cfg_backend {
	enum cfg_backend_type type;
	char *id;
	char *display_name;          /* "" in the file -> id */
	struct strv ignored_interfaces;
	char *api_url;
	char *api_user, *api_password;   /* mikrotik */
	char *api_key;                   /* pfsense (X-API-Key), opnsense (Basic user) */
	char *api_secret;                /* opnsense */
	bool api_verify_tls;
	int64_t api_timeout_ms;          /* <= 0 in the file -> 30s */
	int concurrency;                 /* <= 0 -> 5 */
	bool debug;
	int line;                        /* line of the entry in the file, for messages */
};

struct cfg_field_map {
	char *user_identifier, *email, *firstname, *lastname, *phone, *department;
	char *is_admin, *user_groups, *memberof;
};

struct cfg_auth_provider {           /* oidc[], oauth[] and ldap[] entries (union of keys) */
	char *provider_name, *display_name;
	char *base_url, *client_id, *client_secret;
	struct strv extra_scopes, scopes, allowed_domains, allowed_user_groups;
	char *auth_url, *token_url, *user_info_url;
	struct cfg_field_map field_map;
	char *admin_value_regex, *admin_group_regex;
	bool registration_enabled, log_user_info, log_sensitive_info, use_pkce, logout_idp_session;
	char *pkce_method;
	/* ldap */
	char *url, *tls_certificate_path, *tls_key_path, *base_dn, *bind_user, *bind_pass;
	bool start_tls, cert_validation, disable_missing, auto_re_enable, sync_log_user_info;
	char *login_filter, *admin_group, *sync_filter;
	int64_t sync_interval_ms;
	/* interface_filter: interface id -> LDAP filter, as two parallel lists */
	struct strv interface_filter_ids, interface_filter_filters;
};

struct cfg {
	char *path;                      /* file that was read, "" = built-in defaults only */

	struct {
		char *admin_user, *admin_password, *admin_api_token;
		bool admin_password_set;     /* key present in file or env (else: generate one) */
		bool disable_admin_user, editable_keys;
		bool create_default_peer, create_default_peer_on_creation;
		bool create_default_peer_on_login, create_default_peer_on_user_creation;
		bool create_default_peer_on_interface_creation;
		bool re_enable_peer_after_user_enable, delete_peer_after_user_deleted;
		bool self_provisioning_allowed, import_existing, restore_state;
	} core;

	struct {
		char *log_level;
		bool log_pretty, log_json;
		int start_listen_port;
		char *start_cidr_v4, *start_cidr_v6;
		bool use_ip_v6;
		char *config_storage_path;
		int64_t expiry_check_interval_ms;
		int64_t hook_timeout_ms;   /* ours: interface hooks are stopped after it */
		int rule_prio_offset, route_table_offset;
		bool api_admin_only;
		int limit_additional_user_peers;
	} advanced;

	struct {
		char *default_id;            /* "backend.default"; "" -> "local" */
		int64_t rekey_timeout_interval_ms;
		struct strv ignored_local_interfaces;
		char *local_resolvconf_prefix;
		struct cfg_backend *entries; /* mikrotik, pfsense and opnsense entries, file order */
		size_t n_entries;
	} backend;

	struct {
		bool debug;
		int64_t slow_query_threshold_ms;
		char *type, *dsn, *encryption_passphrase;
	} database;

	struct {
		bool use_ping_checks;
		int ping_check_workers;
		bool ping_unprivileged;
		int64_t ping_check_interval_ms, data_collection_interval_ms;
		bool collect_interface_data, collect_peer_data, collect_audit_data;
		char *listening_address;
	} statistics;

	struct {
		char *host;
		int port;
		char *encryption;
		bool cert_validation;
		char *username, *password, *auth_type, *from;
		bool link_only, allow_peer_email;
		char *templates_path;
	} mail;

	struct {
		int min_password_length;
		bool hide_login_form;
		bool webauthn_enabled;
		bool totp_required_for_admins;  /* auth.totp.required_for_admins (ours) */
		struct cfg_auth_provider *oidc, *oauth, *ldap;
		size_t n_oidc, n_oauth, n_ldap;
	} auth;

	struct {
		char *listening_address, *external_url, *base_path;
		char *site_company_name, *site_title, *session_identifier;
		char *session_secret, *csrf_secret;
		bool request_logging, expose_host_info;
		char *cert_file, *key_file, *frontend_filepath;
	} web;

	struct {
		char *url, *authentication;
		int64_t timeout_ms;
		char *signing_secret;        /* ours: HMAC-SHA256 key of X-Wgportal-Signature */
	} webhook;

	/* Ours, not wg-portal's (README "More than one node"): this node's name among the nodes
	 * sharing one PostgreSQL database; "" in the file or env -> the host name. */
	struct {
		char *node_name;
	} cluster;

	/* Keys present in the file (or env) that this build accepts but does not act on yet,
	 * as dotted paths ("mail.host"); main.c logs "not supported yet" once for each. */
	struct strv unsupported;
	/* Non-fatal notes found while loading (bad env values, deprecated keys), logged by main. */
	struct strv warnings;
};

/* Fills every field with wg-portal's built-in default (1.5). */
int cfg_defaults(struct cfg *cfg);
/*
 * Loads defaults, applies WG_PORTAL_* environment defaults, then the file at path (NULL: the
 * WG_PORTAL_CONFIG / config/config.yaml / config/config.yml rule of 1.1; a missing default file
 * is not an error, a missing explicit file is). Then post-processing and validation (1.7 and
 * backends.md): returns -EINVAL with "line L, column C: ..." or the offending key in err.
 */
int cfg_load(struct cfg *cfg, const char *path, struct err *err);
/* (cfg_load and cfg_load_string initialise *cfg themselves; on failure it is left zeroed, so
 * cfg_release() on it is a harmless no-op.) */
/* Same, from a string (tests); name is used in messages. */
int cfg_load_string(struct cfg *cfg, const char *text, const char *name, struct err *err);
/* Frees every field and wipes the secret ones; NULL-safe and idempotent. */
void cfg_release(struct cfg *cfg);

/* Go duration syntax ("30s", "1h30m", "1.5h", "0"); returns 0 or -EINVAL. */
int cfg_parse_duration(const char *s, int64_t *ret_ms);
/* ${VAR} substitution of 1.2; returns a heap string in *ret or -EINVAL (unclosed "${"). */
int cfg_envsubst(const char *in, char **ret, struct err *err);

/* The backend entry with that id, NULL if none. */
const struct cfg_backend *cfg_backend_find(const struct cfg *cfg, const char *id);
/* "mikrotik", "pfsense", "opnsense": the name of the list the entry came from. Inline: the
 * backend registry uses it without pulling in the config loader (and its database checks). */
static inline const char *cfg_backend_type_name(enum cfg_backend_type t)
{
	switch (t) {
	case CFG_BACKEND_MIKROTIK: return "mikrotik";
	case CFG_BACKEND_PFSENSE: return "pfsense";
	default: return "opnsense";
	}
}

#endif
