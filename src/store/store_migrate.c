/* SPDX-License-Identifier: MIT */
/*
 * Versioned schema migrations. migrations[i] brings the schema from version i to i + 1; each
 * runs in its own transaction together with its schema_version row, so a crash leaves the
 * database at a whole version. Never edit a shipped migration: append a new one and bump
 * STORE_SCHEMA_VERSION_LATEST (tests/data/store/schema-v1.sql is a dump of migration 1 that the
 * unit test upgrades).
 */
#include "store/store-int.h"

#include <errno.h>
#include <time.h>

#include "util/err.h"

/*
 * Version 1: the first schema. Lists are stored comma-joined in the row (order and prefix
 * preserved); addresses additionally go to child tables holding the address part only, indexed,
 * for allocation and collision checks. Peers reference no interface row by foreign key so that
 * imports may store peers before their interface; store_iface_delete removes them explicitly.
 * Statistics rows are likewise free-standing (a sweep may report peers the store lacks).
 */
static const char migration_1[] =
	"CREATE TABLE schema_version (\n"
	"  version INTEGER PRIMARY KEY,\n"
	"  applied_at INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE meta (\n"
	"  key {key} PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE interfaces (\n"
	"  identifier {key} PRIMARY KEY,\n"
	"  display_name TEXT NOT NULL DEFAULT '',\n"
	"  mode TEXT NOT NULL DEFAULT '',\n"
	"  private_key TEXT NOT NULL DEFAULT '',\n"
	"  public_key TEXT NOT NULL DEFAULT '',\n"
	"  disabled INTEGER NOT NULL DEFAULT 0,\n"
	"  disabled_reason TEXT NOT NULL DEFAULT '',\n"
	"  save_config INTEGER NOT NULL DEFAULT 0,\n"
	"  listen_port INTEGER NOT NULL DEFAULT 0,\n"
	"  addresses TEXT NOT NULL DEFAULT '',\n"
	"  dns TEXT NOT NULL DEFAULT '',\n"
	"  dns_search TEXT NOT NULL DEFAULT '',\n"
	"  mtu INTEGER NOT NULL DEFAULT 0,\n"
	"  firewall_mark INTEGER NOT NULL DEFAULT 0,\n"
	"  routing_table TEXT NOT NULL DEFAULT '',\n"
	"  pre_up TEXT NOT NULL DEFAULT '',\n"
	"  post_up TEXT NOT NULL DEFAULT '',\n"
	"  pre_down TEXT NOT NULL DEFAULT '',\n"
	"  post_down TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_network TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_dns TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_dns_search TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_endpoint TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_allowed_ips TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_mtu INTEGER NOT NULL DEFAULT 0,\n"
	"  peer_def_persistent_keepalive INTEGER NOT NULL DEFAULT 0,\n"
	"  peer_def_firewall_mark INTEGER NOT NULL DEFAULT 0,\n"
	"  peer_def_routing_table TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_pre_up TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_post_up TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_pre_down TEXT NOT NULL DEFAULT '',\n"
	"  peer_def_post_down TEXT NOT NULL DEFAULT '',\n"
	"  backend TEXT NOT NULL DEFAULT '',\n"
	"  create_default_peer INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL DEFAULT 0,\n"
	"  updated_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE TABLE interface_addresses (\n"
	"  iface_id {key} NOT NULL REFERENCES interfaces(identifier) ON DELETE CASCADE,\n"
	"  addr {key} NOT NULL\n"
	");\n"
	"CREATE INDEX interface_addresses_iface ON interface_addresses(iface_id);\n"
	"CREATE INDEX interface_addresses_addr ON interface_addresses(addr);\n"
	"CREATE TABLE peers (\n"
	"  identifier {key} PRIMARY KEY,\n"
	"  iface_id {key} NOT NULL,\n"
	"  display_name TEXT NOT NULL DEFAULT '',\n"
	"  user_id {key} NOT NULL DEFAULT '',\n"
	"  disabled INTEGER NOT NULL DEFAULT 0,\n"
	"  disabled_reason TEXT NOT NULL DEFAULT '',\n"
	"  expires_at TEXT NOT NULL DEFAULT '',\n"
	"  notes TEXT NOT NULL DEFAULT '',\n"
	"  endpoint TEXT NOT NULL DEFAULT '',\n"
	"  endpoint_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  endpoint_public_key TEXT NOT NULL DEFAULT '',\n"
	"  endpoint_public_key_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  allowed_ips TEXT NOT NULL DEFAULT '',\n"
	"  allowed_ips_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  extra_allowed_ips TEXT NOT NULL DEFAULT '',\n"
	"  preshared_key TEXT NOT NULL DEFAULT '',\n"
	"  persistent_keepalive INTEGER NOT NULL DEFAULT 0,\n"
	"  persistent_keepalive_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  private_key TEXT NOT NULL DEFAULT '',\n"
	"  public_key TEXT NOT NULL DEFAULT '',\n"
	"  mode TEXT NOT NULL DEFAULT '',\n"
	"  addresses TEXT NOT NULL DEFAULT '',\n"
	"  check_alive_address TEXT NOT NULL DEFAULT '',\n"
	"  dns TEXT NOT NULL DEFAULT '',\n"
	"  dns_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  dns_search TEXT NOT NULL DEFAULT '',\n"
	"  dns_search_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  mtu INTEGER NOT NULL DEFAULT 0,\n"
	"  mtu_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  firewall_mark INTEGER NOT NULL DEFAULT 0,\n"
	"  firewall_mark_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  routing_table TEXT NOT NULL DEFAULT '',\n"
	"  routing_table_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  pre_up TEXT NOT NULL DEFAULT '',\n"
	"  pre_up_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  post_up TEXT NOT NULL DEFAULT '',\n"
	"  post_up_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  pre_down TEXT NOT NULL DEFAULT '',\n"
	"  pre_down_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  post_down TEXT NOT NULL DEFAULT '',\n"
	"  post_down_ovr INTEGER NOT NULL DEFAULT 0,\n"
	"  automatic INTEGER NOT NULL DEFAULT 0,\n"
	"  addr_sort BLOB,\n"
	"  created_at INTEGER NOT NULL DEFAULT 0,\n"
	"  updated_at INTEGER NOT NULL DEFAULT 0{rowid}\n"
	");\n"
	"CREATE INDEX peers_iface_id ON peers(iface_id, identifier);\n"
	"CREATE INDEX peers_iface_disabled ON peers(iface_id, disabled);\n"
	"CREATE INDEX peers_user ON peers(user_id);\n"
	"CREATE TABLE peer_addresses (\n"
	"  peer_id {key} NOT NULL REFERENCES peers(identifier) ON DELETE CASCADE,\n"
	"  iface_id {key} NOT NULL,\n"
	"  addr {key} NOT NULL\n"
	");\n"
	"CREATE INDEX peer_addresses_peer ON peer_addresses(peer_id);\n"
	"CREATE INDEX peer_addresses_addr ON peer_addresses(addr);\n"
	"CREATE TABLE users (\n"
	"  identifier {key} PRIMARY KEY,\n"
	"  email TEXT NOT NULL DEFAULT '',\n"
	"  auth_sources TEXT NOT NULL DEFAULT '',\n"
	"  is_admin INTEGER NOT NULL DEFAULT 0,\n"
	"  firstname TEXT NOT NULL DEFAULT '',\n"
	"  lastname TEXT NOT NULL DEFAULT '',\n"
	"  phone TEXT NOT NULL DEFAULT '',\n"
	"  department TEXT NOT NULL DEFAULT '',\n"
	"  notes TEXT NOT NULL DEFAULT '',\n"
	"  password_hash TEXT,\n"
	"  disabled INTEGER NOT NULL DEFAULT 0,\n"
	"  disabled_reason TEXT NOT NULL DEFAULT '',\n"
	"  locked INTEGER NOT NULL DEFAULT 0,\n"
	"  locked_reason TEXT NOT NULL DEFAULT '',\n"
	"  api_token_hash TEXT,\n"
	"  created_at INTEGER NOT NULL DEFAULT 0,\n"
	"  updated_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX users_email ON users(email COLLATE NOCASE);\n"
	"CREATE TABLE peer_statuses (\n"
	"  peer_id {key} PRIMARY KEY,\n"
	"  iface_id {key} NOT NULL DEFAULT '',\n"
	"  bytes_received INTEGER NOT NULL DEFAULT 0,\n"
	"  bytes_transmitted INTEGER NOT NULL DEFAULT 0,\n"
	"  last_handshake INTEGER NOT NULL DEFAULT 0,\n"
	"  endpoint TEXT NOT NULL DEFAULT '',\n"
	"  is_pingable INTEGER NOT NULL DEFAULT 0,\n"
	"  last_ping INTEGER NOT NULL DEFAULT 0,\n"
	"  last_session_start INTEGER NOT NULL DEFAULT 0,\n"
	"  is_connected INTEGER NOT NULL DEFAULT 0,\n"
	"  stats_available INTEGER NOT NULL DEFAULT 0,\n"
	"  updated_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX peer_statuses_iface ON peer_statuses(iface_id);\n"
	"CREATE TABLE interface_statuses (\n"
	"  iface_id {key} PRIMARY KEY,\n"
	"  bytes_received INTEGER NOT NULL DEFAULT 0,\n"
	"  bytes_transmitted INTEGER NOT NULL DEFAULT 0,\n"
	"  updated_at INTEGER NOT NULL DEFAULT 0\n"
	");\n";

/*
 * Version 2: the audit log, and the indexes behind the API's sorted peer pages (display name
 * and creation order per interface) so a 100-row page of 10,000 peers reads only its rows.
 */
static const char migration_2[] =
	"CREATE TABLE audit_entries (\n"
	"  id {autoinc},\n"
	"  created_at INTEGER NOT NULL,\n"
	"  user TEXT NOT NULL DEFAULT '',\n"
	"  severity TEXT NOT NULL DEFAULT '',\n"
	"  origin TEXT NOT NULL DEFAULT '',\n"
	"  message TEXT NOT NULL DEFAULT ''\n"
	");\n"
	"CREATE INDEX audit_entries_created ON audit_entries(created_at);\n"
	"CREATE INDEX peers_iface_name ON peers(iface_id, display_name COLLATE NOCASE{,rowid});\n"
	"CREATE INDEX peers_iface_created ON peers(iface_id, created_at{,rowid});\n";

/*
 * Version 3: server-side UI sessions. Only a hash of the session id is stored (the cookie value
 * never is); the CSRF token is per session. Sessions go with their user.
 */
static const char migration_3[] =
	"CREATE TABLE sessions (\n"
	"  id_hash {key} PRIMARY KEY,\n"
	"  user_id {key} NOT NULL REFERENCES users(identifier) ON DELETE CASCADE,\n"
	"  csrf_token TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  last_seen_at INTEGER NOT NULL{rowid}\n"
	");\n"
	"CREATE INDEX sessions_user ON sessions(user_id, created_at);\n"
	"CREATE INDEX sessions_last_seen ON sessions(last_seen_at);\n";

/*
 * Version 4: numeric address keys (family byte + address bytes) next to the address text,
 * indexed, so allocation walks one network in address order and stops at the first free
 * address (store_addr.c). Existing rows are keyed in C afterwards (store_addr_backfill), so
 * the schema names no function of ours and other tools still read and write the database.
 */
static const char migration_4[] =
	"ALTER TABLE interface_addresses ADD COLUMN addr_key BLOB;\n"
	"ALTER TABLE peer_addresses ADD COLUMN addr_key BLOB;\n"
	"CREATE INDEX interface_addresses_key ON interface_addresses(addr_key);\n"
	"CREATE INDEX peer_addresses_key ON peer_addresses(addr_key);\n";

/*
 * Version 5: the delivery queue and log of mails and webhooks (store_delivery.c). A row is
 * written with the change that caused it; the due index serves the worker's poll, the object
 * index the per-object order check, the updated index the purge. uid is a random token set by
 * the writer so it can read back the id its insert got on every engine.
 */
static const char migration_5[] =
	"CREATE TABLE deliveries (\n"
	"  id {autoinc},\n"
	"  uid {key} NOT NULL,\n"
	"  kind {key} NOT NULL,\n"
	"  object_key {key} NOT NULL,\n"
	"  event TEXT NOT NULL DEFAULT '',\n"
	"  entity TEXT NOT NULL DEFAULT '',\n"
	"  identifier TEXT NOT NULL DEFAULT '',\n"
	"  recipient TEXT NOT NULL DEFAULT '',\n"
	"  payload TEXT NOT NULL DEFAULT '',\n"
	"  requested_by TEXT NOT NULL DEFAULT '',\n"
	"  status {key} NOT NULL,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,\n"
	"  last_error TEXT NOT NULL DEFAULT '',\n"
	"  response_code INTEGER NOT NULL DEFAULT 0,\n"
	"  duration_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  sent_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE UNIQUE INDEX deliveries_uid ON deliveries(uid);\n"
	"CREATE INDEX deliveries_due ON deliveries(kind, status, next_attempt_at);\n"
	"CREATE INDEX deliveries_object ON deliveries(object_key, id);\n"
	"CREATE INDEX deliveries_updated ON deliveries(updated_at);\n";

/*
 * Version 6: what wg-portal v2 keeps about users besides our columns, so that taking over its
 * database loses nothing (docs/wg-portal-import.md): a user's login sources with their provider
 * names (wg-portal's user_authentications), passkey credentials (user_webauthn_credentials),
 * the user's WebAuthn id and "persist local changes". No foreign keys: wg-portal's tables have
 * none either, and store_user_delete removes a user's rows explicitly.
 */
static const char migration_6[] =
	"ALTER TABLE users ADD COLUMN webauthn_id TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE users ADD COLUMN persist_local_changes INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE TABLE user_authentications (\n"
	"  user_id {key} NOT NULL,\n"
	"  source {key} NOT NULL,\n"
	"  provider_name {key} NOT NULL DEFAULT '',\n"
	"  created_at INTEGER NOT NULL DEFAULT 0,\n"
	"  updated_at INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (user_id, source, provider_name)\n"
	");\n"
	"CREATE TABLE user_passkeys (\n"
	"  user_id {key} NOT NULL,\n"
	"  credential_id TEXT NOT NULL,\n"
	"  display_name TEXT NOT NULL DEFAULT '',\n"
	"  serialized_credential TEXT NOT NULL DEFAULT '',\n"
	"  created_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX user_passkeys_user ON user_passkeys(user_id);\n";

/*
 * Version 7: more than one node on one PostgreSQL database (docs/cluster.md). The node that
 * hosts a local interface ('' = not assigned: one node, or a remote backend's interface, which
 * the leader serves); the registry of nodes with their heartbeats (milliseconds since the
 * epoch, written by the node itself); and the login and API-token throttles, which all nodes
 * count together: one row per (kind, key) holding the times of its recent failures.
 */
static const char migration_7[] =
	"ALTER TABLE interfaces ADD COLUMN node TEXT NOT NULL DEFAULT '';\n"
	"CREATE TABLE cluster_nodes (\n"
	"  name {key} PRIMARY KEY,\n"
	"  instance TEXT NOT NULL DEFAULT '',\n"
	"  pid INTEGER NOT NULL DEFAULT 0,\n"
	"  version TEXT NOT NULL DEFAULT '',\n"
	"  address TEXT NOT NULL DEFAULT '',\n"
	"  started_at INTEGER NOT NULL DEFAULT 0,\n"
	"  heartbeat_at INTEGER NOT NULL DEFAULT 0,\n"
	"  leader_since INTEGER NOT NULL DEFAULT 0,\n"
	"  stopped_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE TABLE throttles (\n"
	"  kind INTEGER NOT NULL,\n"
	"  key {key} NOT NULL,\n"
	"  times TEXT NOT NULL DEFAULT '',\n"
	"  updated_at INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (kind, key)\n"
	");\n"
	"CREATE INDEX throttles_updated ON throttles(updated_at);\n";

/*
 * Version 8: sign-in methods (store_auth.h, docs/auth.md), on top of the wg-portal tables of
 * version 6 (one home per concept): provider links stay in user_authentications, the WebAuthn
 * user handle in users.webauthn_id, passkeys in user_passkeys, which gets the columns a
 * sign-in needs (the COSE key as base64 text: a BLOB is VARBINARY(255) on MySQL, too small for
 * an RSA key; counter, AAGUID, backup flags, last use; seq keeps a user's passkeys in the order
 * they were added, as no engine-neutral rowid can be added to an existing table). Rows taken
 * over from wg-portal have only its serialized credential until their first use fills these
 * (store_passkey.c). New: the LDAP interface_filter results of the last sync, TOTP secrets
 * (sealed) and recovery code hashes, and the round-trip state of sign-ins (OpenID state,
 * passkey challenges, code tickets; sealed) that every node of a cluster must see. No foreign
 * keys, like version 6: store_user_delete removes a user's rows.
 */
static const char migration_8[] =
	"ALTER TABLE user_passkeys ADD COLUMN public_key TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE user_passkeys ADD COLUMN alg INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE user_passkeys ADD COLUMN sign_count INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE user_passkeys ADD COLUMN aaguid TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE user_passkeys ADD COLUMN backup_eligible INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE user_passkeys ADD COLUMN backed_up INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE user_passkeys ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE user_passkeys ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE TABLE ldap_interface_users (\n"
	"  provider {key} NOT NULL,\n"
	"  iface_id {key} NOT NULL,\n"
	"  user_id {key} NOT NULL,\n"
	"  PRIMARY KEY (provider, iface_id, user_id)\n"
	");\n"
	"CREATE INDEX ldap_interface_users_user ON ldap_interface_users(iface_id, user_id);\n"
	"CREATE TABLE totp_secrets (\n"
	"  user_id {key} PRIMARY KEY,\n"
	"  secret TEXT NOT NULL,\n"
	"  confirmed INTEGER NOT NULL DEFAULT 0,\n"
	"  last_step INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE totp_recovery_codes (\n"
	"  user_id {key} NOT NULL,\n"
	"  code_hash {key} NOT NULL,\n"
	"  used_at INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (user_id, code_hash)\n"
	");\n"
	"CREATE TABLE signin_pending (\n"
	"  kind INTEGER NOT NULL,\n"
	"  key_hash {key} NOT NULL,\n"
	"  value TEXT NOT NULL,\n"
	"  expires_at INTEGER NOT NULL,\n"
	"  PRIMARY KEY (kind, key_hash)\n"
	");\n"
	"CREATE INDEX signin_pending_expiry ON signin_pending(kind, expires_at);\n";

/* A migration: its DDL, then (optionally) C code for what SQL alone cannot do portably. */
static const struct {
	const char *sql;
	int (*after)(struct store *st, struct err *err);
} migrations[] = {
	{ migration_1, NULL },
	{ migration_2, NULL },
	{ migration_3, NULL },
	{ migration_4, store_addr_backfill },
	{ migration_5, NULL },
	{ migration_6, NULL },
	{ migration_7, NULL },
	{ migration_8, NULL },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION_LATEST,
	       "STORE_SCHEMA_VERSION_LATEST must equal the number of migrations");

const char *store_migration_sql(int version)
{
	if (version < 1 || version > store_migration_count())
		return NULL;
	return migrations[version - 1].sql;
}

int store_migration_count(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

int store_read_version(struct store *st, int *ret, struct err *err)
{
	struct db_stmt *s = NULL;
	bool exists = false;
	int r, v = 0;

	r = db_table_exists(st->db, "schema_version", &exists, err);
	if (r < 0)
		return store_db_err(r, "read schema version", err);
	if (!exists) {
		*ret = 0;
		return 0;
	}
	r = db_prepare(st->db, "SELECT coalesce(max(version), 0) FROM schema_version", &s, err);
	if (r == 0) {
		r = db_step(s, err);
		if (r == DB_ROW) {
			v = (int)db_column_int64(s, 0);
			r = 0;
		} else if (r == DB_DONE) {
			r = 0;
		}
	}
	db_finalize(s);
	if (r < 0)
		return store_db_err(r, "read schema version", err);
	*ret = v;
	return 0;
}

static int record_version(struct store *st, int version, struct err *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = db_prepare(st->db, "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)", &s,
		       err);
	if (r < 0)
		return store_db_err(r, "record schema version", err);
	db_bind_int64(s, 1, version);
	db_bind_int64(s, 2, (int64_t)time(NULL));
	r = store_step_done(st, s, "record schema version", err);
	db_finalize(s);
	return r;
}

/*
 * Each migration runs in one transaction with its schema_version row. (MySQL commits DDL
 * implicitly: there a migration failing half-way leaves its first tables without the version
 * row, and the error names the version. Its after() hooks therefore use plain statements, no
 * nested store_begin.)
 */
int store_migrate_to(struct store *st, int target, struct err *err)
{
	int cur, r;

	if (target < 0 || target > store_migration_count())
		return err_set(err, -EINVAL, "no migration to schema version %d", target);
	r = store_read_version(st, &cur, err);
	if (r < 0)
		return r;
	if (cur > store_migration_count())
		return err_set(err, -EPROTO,
			       "database schema version %d is newer than this wgportal supports (%d)",
			       cur, store_migration_count());
	if (cur < target && (r = db_create_namespace(st->db, err)) < 0)
		return r;
	for (int v = cur; v < target; v++) {
		r = store_begin(st, err);
		if (r < 0)
			return r;
		r = store_exec(st, migrations[v].sql, err);
		if (r == 0 && migrations[v].after)
			r = migrations[v].after(st, err);
		if (r == 0)
			r = record_version(st, v + 1, err);
		if (r < 0) {
			store_rollback(st);
			return err_prefix(err, "migration to schema version %d", v + 1);
		}
		r = store_commit(st, err);
		if (r < 0)
			return r;
	}
	return 0;
}
