/* SPDX-License-Identifier: MIT */
/*
 * Taking over a wg-portal v2 database (h44z/wg-portal v2.0-v2.3, schema versions 1-4). Its
 * tables are GORM AutoMigrate's from the domain models (docs/wg-portal-import.md cites the
 * model file and line of every table and column used here). Columns are looked up by name in
 * "SELECT *" results (wgp2_rows.c), because every release added some. Everything is written
 * through the store API inside one transaction, so secrets are sealed with our scheme,
 * addresses keyed, and a failure leaves nothing behind; the row counts are verified before
 * the commit.
 */
#include "store/wgp2-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/iface.h"
#include "model/peer.h"
#include "model/user.h"
#include "store/db.h"
#include "store/store_auth.h"
#include "store/store-int.h"
#include "util/err.h"
#include "util/strv.h"

/* ---- users, their login sources and passkeys --------------------------------------------- */

/* Adds src to the list unless present (one user, several LDAP providers: one "ldap"). */
static int add_source(struct strv *sv, const char *src)
{
	if (!src || !*src || strv_contains(sv, src))
		return 0;
	return strv_push(sv, src);
}

/* internal/domain/user.go: User (BaseModel + identifier ... api_token_created). */
static int user_from_row(struct imp *im, struct db_stmt *s, struct user *u, char *token,
			 size_t tsize)
{
	const char *id = w2_txt(s, "identifier");
	int64_t created = 0, updated = 0;
	struct strv srcs = STRV_INIT;
	int r = 0;

	r |= w2_set_str(&u->identifier, s, "identifier");
	r |= w2_set_str(&u->email, s, "email");
	r |= w2_set_str(&u->firstname, s, "firstname");
	r |= w2_set_str(&u->lastname, s, "lastname");
	r |= w2_set_str(&u->phone, s, "phone");
	r |= w2_set_str(&u->department, s, "department");
	r |= w2_set_str(&u->notes, s, "notes");
	r |= w2_set_str(&u->disabled_reason, s, "disabled_reason");
	r |= w2_set_str(&u->locked_reason, s, "locked_reason");
	r |= w2_set_str(&u->password_hash, s, "password"); /* bcrypt $2a$10$, verified as such */
	if (r)
		return err_set(im->err, -ENOMEM, "out of memory");
	u->is_admin = w2_flag(s, "is_admin");
	/* Disabled and Locked are *time.Time: set = disabled/locked, whatever the time */
	u->disabled = w2_txt(s, "disabled") != NULL;
	u->locked = w2_txt(s, "locked") != NULL;
	if (im->version >= 3)
		r = w2_pairs_of(im->auths, im->n_auths, STR(id), &srcs);
	else /* before v2.2 the only login source was users.source */
		r = strv_push(&srcs, w2_txt(s, "source") ? w2_txt(s, "source") : "");
	for (size_t i = 0; r == 0 && i < srcs.n; i++)
		r = add_source(&u->auth_sources, srcs.v[i]);
	strv_release(&srcs);
	if (r < 0)
		return err_set(im->err, -ENOMEM, "out of memory");
	r = w2_secret(im, s, "api_token", false, "user", STR(id), token, tsize);
	if (r == 0 && *token && !(u->api_token = strdup(token)))
		r = err_set(im->err, -ENOMEM, "out of memory");
	if (r == 0)
		r = w2_when(im, s, "created_at", &created);
	if (r == 0)
		r = w2_when(im, s, "updated_at", &updated);
	/* wg-portal's migration 3->4 (database.go): a created_at before 2000 becomes updated_at */
	if (im->version < 4 && created < 946684800)
		created = updated;
	u->created_at = (time_t)created;
	u->updated_at = (time_t)updated;
	return r;
}

static int import_users(struct imp *im)
{
	struct db_stmt *s = NULL;
	char token[512];
	int64_t total = 0;
	int r;

	r = w2_count_rows(im, "users", &total);
	if (r == 0 && im->version >= 3)
		r = w2_load_pairs(im, "SELECT user_identifier, source FROM %s", "user_authentications",
			       "user_identifier", "source", &im->auths, &im->n_auths);
	if (r == 0)
		r = w2_run_on(im, "SELECT * FROM %s", "users", &s);
	while (r == 0 && (r = db_step(s, im->err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		struct user *u = user_new();
		const char *wid = w2_txt(s, "webauthn_id");
		bool persist = w2_flag(s, "persist_local_changes");

		if (!u) {
			r = err_set(im->err, -ENOMEM, "out of memory");
			break;
		}
		r = user_from_row(im, s, u, token, sizeof(token));
		explicit_bzero(token, sizeof(token));
		if (r == 0)
			r = store_user_insert(im->st, u, im->err);
		if (r == 0 && ((wid && *wid) || persist))
			r = store_user_extra_set(im->st, u->identifier, wid, persist, im->err);
		if (r == 0 && strv_push(&im->user_ids, u->identifier) < 0)
			r = err_set(im->err, -ENOMEM, "out of memory");
		if (r < 0)
			err_prefix(im->err, "user '%.64s'", STR(u->identifier));
		user_free(u);
		im->read.users++;
		if (r == 0 && ++im->written.users % PROGRESS_EVERY == 0)
			w2_progress(im, "users", (size_t)im->written.users, (size_t)total);
	}
	db_finalize(s);
	if (r < 0)
		return r;
	if (im->user_ids.n)
		qsort(im->user_ids.v, im->user_ids.n, sizeof(char *), w2_strcmp_p);
	w2_progress(im, "users", (size_t)im->written.users, (size_t)total);
	return 0;
}

/* user_authentications (user.go UserAuthentication, v2.2+), or one per user from
 * users.source/provider_name before it existed. */
static int import_auths(struct imp *im)
{
	struct db_stmt *s = NULL;
	int r = w2_run_on(im, "SELECT * FROM %s", im->version >= 3 ? "user_authentications" : "users",
		       &s);

	while (r == 0 && (r = db_step(s, im->err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		const char *uid = w2_txt(s, im->version >= 3 ? "user_identifier" : "identifier");
		struct store_user_auth a = {
			.user_id = (char *)uid, .source = (char *)w2_txt(s, "source"),
			.provider_name = (char *)w2_txt(s, "provider_name"),
		};
		int64_t c = 0, u = 0;

		if (!a.source || !*a.source)
			continue; /* a user without a login source */
		im->read.auths++;
		if (!uid || !w2_sorted_has(&im->user_ids, uid)) {
			im->read.orphans++;
			continue;
		}
		r = w2_when(im, s, "created_at", &c);
		if (r == 0)
			r = w2_when(im, s, "updated_at", &u);
		a.created_at = c;
		a.updated_at = u;
		if (r == 0)
			r = store_user_auth_add(im->st, &a, im->err);
		if (r == 0)
			im->written.auths++;
	}
	db_finalize(s);
	return r < 0 ? r : 0;
}

/* user_webauthn_credentials (user.go UserWebauthnCredential, v2.1+). */
static int import_passkeys(struct imp *im)
{
	struct db_stmt *s = NULL;
	bool has = false;
	int r = w2_table_exists(im->src, "user_webauthn_credentials", &has, im->err);

	if (r < 0 || !has)
		return r;
	r = w2_run_on(im, "SELECT * FROM %s", "user_webauthn_credentials", &s);
	while (r == 0 && (r = db_step(s, im->err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		const char *uid = w2_txt(s, "user_identifier");
		struct store_passkey_wgp p = {
			.user_id = (char *)uid,
			.credential_id = (char *)w2_txt(s, "credential_identifier"),
			.display_name = (char *)w2_txt(s, "display_name"),
			.serialized_credential = (char *)w2_txt(s, "serialized_credential"),
		};
		int64_t c = 0;

		im->read.passkeys++;
		if (!uid || !w2_sorted_has(&im->user_ids, uid)) {
			im->read.orphans++;
			continue;
		}
		r = w2_when(im, s, "created_at", &c);
		p.created_at = c;
		if (r == 0)
			r = store_passkey_import(im->st, &p, im->err);
		if (r == 0)
			im->written.passkeys++;
	}
	db_finalize(s);
	return r < 0 ? r : 0;
}

/* ---- interfaces and peers ----------------------------------------------------------------- */

/* internal/domain/interface.go: Interface; addresses from interface_addresses (many2many). */
static int iface_from_row(struct imp *im, struct db_stmt *s, struct iface *ifc)
{
	const char *id = w2_txt(s, "identifier") ? w2_txt(s, "identifier") : "";
	int64_t created = 0, updated = 0;
	int r = 0;

	r |= w2_set_str(&ifc->identifier, s, "identifier");
	r |= w2_set_str(&ifc->display_name, s, "display_name");
	r |= w2_set_str(&ifc->mode, s, "type");
	r |= w2_set_str(&ifc->disabled_reason, s, "disabled_reason");
	r |= w2_set_list(&ifc->dns, s, "dns_str");
	r |= w2_set_list(&ifc->dns_search, s, "dns_search_str");
	r |= w2_set_str(&ifc->routing_table, s, "routing_table");
	r |= w2_set_str(&ifc->pre_up, s, "pre_up");
	r |= w2_set_str(&ifc->post_up, s, "post_up");
	r |= w2_set_str(&ifc->pre_down, s, "pre_down");
	r |= w2_set_str(&ifc->post_down, s, "post_down");
	r |= w2_set_list(&ifc->peer_def_network, s, "peer_def_network_str");
	r |= w2_set_list(&ifc->peer_def_dns, s, "peer_def_dns_str");
	r |= w2_set_list(&ifc->peer_def_dns_search, s, "peer_def_dns_search_str");
	r |= w2_set_str(&ifc->peer_def_endpoint, s, "peer_def_endpoint");
	r |= w2_set_list(&ifc->peer_def_allowed_ips, s, "peer_def_allowed_ips_str");
	r |= w2_set_str(&ifc->peer_def_routing_table, s, "peer_def_routing_table");
	r |= w2_set_str(&ifc->peer_def_pre_up, s, "peer_def_pre_up");
	r |= w2_set_str(&ifc->peer_def_post_up, s, "peer_def_post_up");
	r |= w2_set_str(&ifc->peer_def_pre_down, s, "peer_def_pre_down");
	r |= w2_set_str(&ifc->peer_def_post_down, s, "peer_def_post_down");
	r |= w2_set_str(&ifc->backend, s, "backend");   /* v2.1+; before: local */
	r |= w2_pairs_of(im->iaddr, im->n_iaddr, id, &ifc->addresses);
	if (r)
		return err_set(im->err, -ENOMEM, "out of memory");
	ifc->disabled = w2_txt(s, "disabled") != NULL;
	ifc->save_config = w2_flag(s, "save_config");
	ifc->listen_port = (int)w2_num(s, "listen_port");
	ifc->mtu = (int)w2_num(s, "mtu");
	ifc->firewall_mark = (uint32_t)w2_num(s, "firewall_mark");
	ifc->peer_def_mtu = (int)w2_num(s, "peer_def_mtu");
	ifc->peer_def_persistent_keepalive = (int)w2_num(s, "peer_def_persistent_keepalive");
	ifc->peer_def_firewall_mark = (uint32_t)w2_num(s, "peer_def_firewall_mark");
	ifc->create_default_peer = w2_flag(s, "create_default_peer");
	/* wg-portal's migration 1->2 (database.go): with core.create_default_peer set, server
	 * interfaces of an older database get the flag */
	if (im->version < 2 && im->o->default_peer_creation && !strcmp(STR(ifc->mode), "server"))
		ifc->create_default_peer = true;
	r = w2_secret(im, s, "private_key", true, "interface", id, ifc->private_key,
		   sizeof(ifc->private_key));
	if (r == 0 && strlen(STR(w2_txt(s, "public_key"))) >= sizeof(ifc->public_key))
		r = err_set(im->err, -EINVAL, "wg-portal's interface '%.32s' has a malformed public "
			    "key", id);
	if (r == 0)
		snprintf(ifc->public_key, sizeof(ifc->public_key), "%s", STR(w2_txt(s, "public_key")));
	if (r == 0)
		r = w2_when(im, s, "created_at", &created);
	if (r == 0)
		r = w2_when(im, s, "updated_at", &updated);
	ifc->created_at = (time_t)created;
	ifc->updated_at = (time_t)updated;
	return r;
}

static int import_ifaces(struct imp *im)
{
	struct db_stmt *s = NULL;
	int r = w2_load_pairs(im, "SELECT interface_identifier, cidr_cidr FROM %s",
			      "interface_addresses", "interface_identifier", "cidr_cidr", &im->iaddr,
			      &im->n_iaddr);

	if (r == 0)
		r = w2_run_on(im, "SELECT * FROM %s", "interfaces", &s);
	while (r == 0 && (r = db_step(s, im->err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		struct iface *ifc = iface_new();

		if (!ifc) {
			r = err_set(im->err, -ENOMEM, "out of memory");
			break;
		}
		im->read.ifaces++;
		r = iface_from_row(im, s, ifc);
		if (r == 0)
			r = store_iface_insert(im->st, ifc, im->err);
		if (r == 0) {
			im->written.ifaces++;
			im->written.iface_addrs += (int64_t)ifc->addresses.n;
		}
		iface_free(ifc);
	}
	db_finalize(s);
	return r < 0 ? r : 0;
}

static int opt_str(struct opt_str *o, struct db_stmt *s, const char *prefix)
{
	char v[64], ov[64];

	snprintf(v, sizeof(v), "%sv", prefix);
	snprintf(ov, sizeof(ov), "%so", prefix);
	o->overridable = w2_flag(s, ov);
	return w2_set_str(&o->value, s, v);
}

static int opt_list(struct opt_strv *o, struct db_stmt *s, const char *prefix)
{
	char v[64], ov[64];

	snprintf(v, sizeof(v), "%sv", prefix);
	snprintf(ov, sizeof(ov), "%so", prefix);
	o->overridable = w2_flag(s, ov);
	return w2_set_list(&o->value, s, v);
}

static void opt_int(struct opt_int *o, struct db_stmt *s, const char *prefix)
{
	char v[64], ov[64];

	snprintf(v, sizeof(v), "%sv", prefix);
	snprintf(ov, sizeof(ov), "%so", prefix);
	o->value = w2_num(s, v);
	o->overridable = w2_flag(s, ov);
}

/* internal/domain/peer.go: Peer with its embedded PeerInterfaceConfig; ConfigOption fields
 * are <prefix>v / <prefix>o (options.go ConfigOption: column v, column o). */
static int peer_from_row(struct imp *im, struct db_stmt *s, struct peer *p)
{
	const char *id = STR(w2_txt(s, "identifier")), *exp = w2_txt(s, "expires_at");
	int64_t created = 0, updated = 0;
	int r = 0;

	if (strlen(id) >= sizeof(p->identifier) || strlen(STR(w2_txt(s, "public_key"))) >=
						       sizeof(p->public_key))
		return err_set(im->err, -EINVAL, "wg-portal's peer '%.48s' has a malformed "
			       "identifier or public key", id);
	snprintf(p->identifier, sizeof(p->identifier), "%s", id);
	snprintf(p->public_key, sizeof(p->public_key), "%s", STR(w2_txt(s, "public_key")));
	r |= w2_set_str(&p->interface_identifier, s, "interface_identifier");
	r |= w2_set_str(&p->display_name, s, "display_name");
	r |= w2_set_str(&p->user_identifier, s, "user_identifier");
	r |= w2_set_str(&p->disabled_reason, s, "disabled_reason");
	r |= w2_set_str(&p->notes, s, "notes");
	r |= w2_set_str(&p->mode, s, "iface_type");
	r |= w2_set_str(&p->check_alive_address, s, "check_alive_address");
	r |= w2_set_list(&p->extra_allowed_ips, s, "extra_allowed_ips_str");
	r |= opt_str(&p->endpoint, s, "endpoint_");
	r |= opt_str(&p->endpoint_public_key, s, "endpoint_pubkey_");
	r |= opt_list(&p->allowed_ips, s, "allowed_ips_str_");
	r |= opt_list(&p->dns, s, "iface_dns_str_");
	r |= opt_list(&p->dns_search, s, "iface_dns_search_str_");
	r |= opt_str(&p->routing_table, s, "iface_routing_table_");
	r |= opt_str(&p->pre_up, s, "iface_pre_up_");
	r |= opt_str(&p->post_up, s, "iface_post_up_");
	r |= opt_str(&p->pre_down, s, "iface_pre_down_");
	r |= opt_str(&p->post_down, s, "iface_post_down_");
	r |= w2_pairs_of(im->paddr, im->n_paddr, id, &p->addresses);
	/* ExpiresAt: wg-portal parses the API's "YYYY-MM-DD" as midnight UTC
	 * (internal/app/api/v0/model/models_peer.go ExpiryDate) */
	if (exp && *exp) {
		int64_t at = 0;
		struct tm tm;
		char day[16];
		time_t t;

		if (w2_when(im, s, "expires_at", &at) < 0)
			return -EINVAL;
		t = (time_t)at;
		if (at && gmtime_r(&t, &tm) && strftime(day, sizeof(day), "%Y-%m-%d", &tm) &&
		    !(p->expires_at = strdup(day)))
			r = -ENOMEM;
	}
	if (r)
		return err_set(im->err, -ENOMEM, "out of memory");
	opt_int(&p->persistent_keepalive, s, "persistent_keep_alive_");
	opt_int(&p->mtu, s, "iface_mtu_");
	opt_int(&p->firewall_mark, s, "iface_firewall_mark_");
	p->disabled = w2_txt(s, "disabled") != NULL;
	p->automatic = w2_flag(s, "auto_created");
	r = w2_secret(im, s, "private_key", true, "peer", id, p->private_key, sizeof(p->private_key));
	if (r == 0)
		r = w2_secret(im, s, "preshared_key", true, "peer", id, p->preshared_key,
			   sizeof(p->preshared_key));
	if (r == 0)
		r = w2_when(im, s, "created_at", &created);
	if (r == 0)
		r = w2_when(im, s, "updated_at", &updated);
	p->created_at = (time_t)created;
	p->updated_at = (time_t)updated;
	return r;
}

static int import_peers(struct imp *im)
{
	struct db_stmt *s = NULL;
	int64_t total = 0;
	int r = w2_count_rows(im, "peers", &total);

	if (r == 0)
		r = w2_load_pairs(im, "SELECT peer_identifier, cidr_cidr FROM %s", "peer_addresses",
				  "peer_identifier", "cidr_cidr", &im->paddr, &im->n_paddr);
	if (r == 0)
		r = w2_run_on(im, "SELECT * FROM %s", "peers", &s);
	while (r == 0 && (r = db_step(s, im->err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		struct peer *p = peer_new();

		if (!p) {
			r = err_set(im->err, -ENOMEM, "out of memory");
			break;
		}
		im->read.peers++;
		r = peer_from_row(im, s, p);
		if (r == 0)
			r = store_peer_insert(im->st, p, im->err);
		if (r == 0) {
			im->written.peers++;
			im->written.peer_addrs += (int64_t)p->addresses.n;
			if (im->written.peers % PROGRESS_EVERY == 0)
				w2_progress(im, "peers", (size_t)im->written.peers, (size_t)total);
		}
		peer_free(p);
	}
	db_finalize(s);
	if (r < 0)
		return r;
	w2_progress(im, "peers", (size_t)im->written.peers, (size_t)total);
	return 0;
}

/* internal/domain/audit.go: AuditEntry, in the order of its ids. */
static int import_audit(struct imp *im)
{
	struct db_stmt *s = NULL;
	int r = w2_run_on(im, "SELECT * FROM %s ORDER BY id", "audit_entries", &s);

	while (r == 0 && (r = db_step(s, im->err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		int64_t at = 0;

		im->read.audit++;
		r = w2_when(im, s, "created_at", &at);
		if (r == 0)
			r = store_audit_add_at(im->st, at, w2_txt(s, "context_user"), w2_txt(s, "severity"),
					       w2_txt(s, "origin"), w2_txt(s, "message"), im->err);
		if (r == 0)
			im->written.audit++;
	}
	db_finalize(s);
	return r < 0 ? r : 0;
}

/* ---- the whole import --------------------------------------------------------------------- */

/* Rows of a child table whose owner exists: wg-portal's tables have no foreign keys, so
 * addresses and login sources of deleted records may remain (they are not taken over). */
static int count_owned(struct imp *im, const char *child, const char *key, const char *owner,
		       const char *owner_key, int64_t *ret)
{
	char qc[NAME_MAX_Q], qo[NAME_MAX_Q], sql[640];
	struct db_stmt *s = NULL;
	int r;

	if (db_foreign_table(im->src, child, qc, sizeof(qc)) < 0 ||
	    db_foreign_table(im->src, owner, qo, sizeof(qo)) < 0)
		return err_set(im->err, -ENAMETOOLONG, "table name too long");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s c WHERE EXISTS (SELECT 1 FROM %s o "
		 "WHERE o.%s = c.%s)", qc, qo, owner_key, key);
	r = db_prepare(im->src, sql, &s, im->err);
	if (r == 0)
		r = db_step(s, im->err);
	*ret = r == DB_ROW ? db_column_int64(s, 0) : 0;
	db_finalize(s);
	return r < 0 ? r : 0;
}

/* What wg-portal's tables hold (owned rows only), counted independently of the copy. */
static int source_counts(struct imp *im, struct wgp2_counts *c)
{
	bool has_pk = false;
	int r = w2_count_rows(im, "users", &c->users);

	if (r == 0)
		r = w2_count_rows(im, "interfaces", &c->ifaces);
	if (r == 0)
		r = w2_count_rows(im, "peers", &c->peers);
	if (r == 0)
		r = w2_count_rows(im, "audit_entries", &c->audit);
	if (r == 0)
		r = count_owned(im, "interface_addresses", "interface_identifier", "interfaces",
				"identifier", &c->iface_addrs);
	if (r == 0)
		r = count_owned(im, "peer_addresses", "peer_identifier", "peers", "identifier",
				&c->peer_addrs);
	if (r == 0 && im->version >= 3)
		r = count_owned(im, "user_authentications", "user_identifier", "users",
				"identifier", &c->auths);
	if (r == 0)
		r = w2_table_exists(im->src, "user_webauthn_credentials", &has_pk, im->err);
	if (r == 0 && has_pk)
		r = count_owned(im, "user_webauthn_credentials", "user_identifier", "users",
				"identifier", &c->passkeys);
	return r;
}

static int our_counts(struct imp *im, struct wgp2_counts *c)
{
	static const char *const tables[] = {
		"users", "user_authentications", "user_passkeys", "interfaces",
		"interface_addresses", "peers", "peer_addresses", "audit_entries",
	};
	int64_t *dst[] = { &c->users, &c->auths, &c->passkeys, &c->ifaces, &c->iface_addrs,
			   &c->peers, &c->peer_addrs, &c->audit };
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(tables) / sizeof(tables[0]); i++)
		r = store_count(im->st, tables[i], dst[i], im->err);
	return r;
}

static int verify(struct imp *im, const struct wgp2_counts *want, const struct wgp2_counts *got)
{
	static const char *const names[] = { "users", "login sources", "passkeys", "interfaces",
					     "interface addresses", "peers", "peer addresses",
					     "audit entries" };
	const int64_t w[] = { want->users, want->auths, want->passkeys, want->ifaces,
			      want->iface_addrs, want->peers, want->peer_addrs, want->audit };
	const int64_t g[] = { got->users, got->auths, got->passkeys, got->ifaces, got->iface_addrs,
			      got->peers, got->peer_addrs, got->audit };

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		/* before v2.2 login sources come from users.source: no table to count */
		if (i == 1 && im->version < 3)
			continue;
		if (w[i] != g[i])
			return err_set(im->err, -EIO, "verification failed: wg-portal has %lld %s, "
				       "the copy %lld (nothing was written)", (long long)w[i],
				       names[i], (long long)g[i]);
	}
	return 0;
}

static int check_empty(struct imp *im)
{
	int64_t u = 0, i = 0, p = 0;
	int r = store_count(im->st, "users", &u, im->err);

	if (r == 0)
		r = store_count(im->st, "interfaces", &i, im->err);
	if (r == 0)
		r = store_count(im->st, "peers", &p, im->err);
	if (r == 0 && (u || i || p))
		r = err_set(im->err, -EEXIST, "the destination already holds wgportal data (%lld "
			    "users, %lld interfaces, %lld peers): take over into an empty database",
			    (long long)u, (long long)i, (long long)p);
	return r;
}

int wgp2_import(struct db *src, int version, struct store *st, const struct wgp2_opts *o,
		struct wgp2_counts *read, struct wgp2_counts *written, struct err *err)
{
	struct imp im = { .src = src, .st = st, .o = o, .version = version, .err = err };
	struct wgp2_counts want = { 0 }, got = { 0 };
	char mark[160];
	int r;

	r = check_empty(&im);
	if (r == 0)
		r = source_counts(&im, &want);
	if (r < 0)
		goto out;
	r = store_begin(st, err);
	if (r < 0)
		goto out;
	r = import_users(&im);
	if (r == 0)
		r = import_auths(&im);
	if (r == 0)
		r = import_passkeys(&im);
	if (r == 0)
		r = import_ifaces(&im);
	if (r == 0)
		r = import_peers(&im);
	if (r == 0)
		r = import_audit(&im);
	if (r == 0)
		r = our_counts(&im, &got);
	if (r == 0)
		r = verify(&im, &want, &got);
	if (r == 0) {
		snprintf(mark, sizeof(mark), "schema %d at %lld: %lld users, %lld interfaces, %lld "
			 "peers", version, (long long)time(NULL), (long long)got.users,
			 (long long)got.ifaces, (long long)got.peers);
		r = store_meta_put(st, "wgportal_v2_import", mark, err);
	}
	if (r < 0) {
		store_rollback(st);
		goto out;
	}
	r = store_commit(st, err);
	if (r == 0)
		r = store_analyze(st, err);
out:
	want.orphans = im.read.orphans;
	if (read)
		*read = want;
	if (written)
		*written = got;
	w2_pairs_free(im.auths, im.n_auths);
	w2_pairs_free(im.iaddr, im.n_iaddr);
	w2_pairs_free(im.paddr, im.n_paddr);
	strv_release(&im.user_ids);
	return r;
}
