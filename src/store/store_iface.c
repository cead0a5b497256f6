/* SPDX-License-Identifier: MIT */
/*
 * The interfaces table: one column per struct iface field (lists comma-joined), the private key
 * sealed when the store encrypts, and interface_addresses (address part only) kept in step for
 * store_addresses_in_use. get/list compute enabled_peers/total_peers from the peers table.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

#define IFACE_COLS \
	"identifier, display_name, mode, private_key, public_key, disabled, disabled_reason, " \
	"save_config, listen_port, addresses, dns, dns_search, mtu, firewall_mark, " \
	"routing_table, pre_up, post_up, pre_down, post_down, peer_def_network, peer_def_dns, " \
	"peer_def_dns_search, peer_def_endpoint, peer_def_allowed_ips, peer_def_mtu, " \
	"peer_def_persistent_keepalive, peer_def_firewall_mark, peer_def_routing_table, " \
	"peer_def_pre_up, peer_def_post_up, peer_def_pre_down, peer_def_post_down, backend, " \
	"create_default_peer, created_at, updated_at, node"
#define IFACE_NCOLS 37

#define IFACE_SELECT \
	"SELECT " IFACE_COLS ", " \
	"(SELECT count(*) FROM peers p WHERE p.iface_id = i.identifier AND p.disabled = 0), " \
	"(SELECT count(*) FROM peers p WHERE p.iface_id = i.identifier) FROM interfaces i "

static const char sql_get[] = IFACE_SELECT "WHERE identifier = ?";
/* The counts walk every peer of the interface: per-peer requests read the settings only. */
static const char sql_get_settings[] =
	"SELECT " IFACE_COLS ", -1, -1 FROM interfaces i WHERE identifier = ?";
static const char sql_list[] = IFACE_SELECT "ORDER BY identifier";
static const char sql_insert[] =
	"INSERT INTO interfaces (" IFACE_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char sql_update[] =
	"UPDATE interfaces SET display_name=?2, mode=?3, private_key=?4, public_key=?5, "
	"disabled=?6, disabled_reason=?7, save_config=?8, listen_port=?9, addresses=?10, dns=?11, "
	"dns_search=?12, mtu=?13, firewall_mark=?14, routing_table=?15, pre_up=?16, post_up=?17, "
	"pre_down=?18, post_down=?19, peer_def_network=?20, peer_def_dns=?21, "
	"peer_def_dns_search=?22, peer_def_endpoint=?23, peer_def_allowed_ips=?24, "
	"peer_def_mtu=?25, peer_def_persistent_keepalive=?26, peer_def_firewall_mark=?27, "
	"peer_def_routing_table=?28, peer_def_pre_up=?29, peer_def_post_up=?30, "
	"peer_def_pre_down=?31, peer_def_post_down=?32, backend=?33, create_default_peer=?34, "
	"created_at=CASE WHEN ?35 = 0 THEN created_at ELSE ?35 END, updated_at=?36, "
	"node=CASE WHEN ?37 = '' THEN node ELSE ?37 END WHERE identifier=?1";
static const char sql_delete[] = "DELETE FROM interfaces WHERE identifier = ?";
static const char sql_addr_delete[] = "DELETE FROM interface_addresses WHERE iface_id = ?";
static const char sql_addr_insert[] =
	"INSERT INTO interface_addresses (iface_id, addr, addr_key) VALUES (?, ?, ?)";
static const char sql_peers_delete[] = "DELETE FROM peers WHERE iface_id = ?";
static const char sql_peer_status_delete[] =
	"DELETE FROM peer_statuses WHERE iface_id = ?1 OR peer_id IN "
	"(SELECT identifier FROM peers WHERE iface_id = ?1)";
static const char sql_status_delete[] = "DELETE FROM interface_statuses WHERE iface_id = ?";

static int read_row(struct store *st, struct db_stmt *s, struct iface **ret, struct err *err)
{
	struct iface *ifc = iface_new();
	const char *id;
	int c = 0, r = 0;

	if (!ifc)
		return err_set(err, -ENOMEM, "out of memory");
	r |= store_col_str(s, c++, &ifc->identifier);
	r |= store_col_str(s, c++, &ifc->display_name);
	r |= store_col_str(s, c++, &ifc->mode);
	id = db_column_text(s, 0);
	if (r == 0) {
		int rs = store_secret_open(st, db_column_text(s, c++),
					   "iface.private_key", id, ifc->private_key,
					   sizeof(ifc->private_key), err);
		if (rs < 0) {
			iface_free(ifc);
			return rs;
		}
	}
	if (store_col_fixed(s, c++, ifc->public_key, sizeof(ifc->public_key)) < 0) {
		iface_free(ifc);
		return err_set(err, -EIO, "stored public key of interface '%s' is malformed", id);
	}
	ifc->disabled = db_column_int64(s, c++) != 0;
	r |= store_col_str(s, c++, &ifc->disabled_reason);
	ifc->save_config = db_column_int64(s, c++) != 0;
	ifc->listen_port = db_column_int64(s, c++);
	r |= store_col_strv(s, c++, &ifc->addresses);
	r |= store_col_strv(s, c++, &ifc->dns);
	r |= store_col_strv(s, c++, &ifc->dns_search);
	ifc->mtu = db_column_int64(s, c++);
	ifc->firewall_mark = (uint32_t)db_column_int64(s, c++);
	r |= store_col_str(s, c++, &ifc->routing_table);
	r |= store_col_str(s, c++, &ifc->pre_up);
	r |= store_col_str(s, c++, &ifc->post_up);
	r |= store_col_str(s, c++, &ifc->pre_down);
	r |= store_col_str(s, c++, &ifc->post_down);
	r |= store_col_strv(s, c++, &ifc->peer_def_network);
	r |= store_col_strv(s, c++, &ifc->peer_def_dns);
	r |= store_col_strv(s, c++, &ifc->peer_def_dns_search);
	r |= store_col_str(s, c++, &ifc->peer_def_endpoint);
	r |= store_col_strv(s, c++, &ifc->peer_def_allowed_ips);
	ifc->peer_def_mtu = db_column_int64(s, c++);
	ifc->peer_def_persistent_keepalive = db_column_int64(s, c++);
	ifc->peer_def_firewall_mark = (uint32_t)db_column_int64(s, c++);
	r |= store_col_str(s, c++, &ifc->peer_def_routing_table);
	r |= store_col_str(s, c++, &ifc->peer_def_pre_up);
	r |= store_col_str(s, c++, &ifc->peer_def_post_up);
	r |= store_col_str(s, c++, &ifc->peer_def_pre_down);
	r |= store_col_str(s, c++, &ifc->peer_def_post_down);
	r |= store_col_str(s, c++, &ifc->backend);
	ifc->create_default_peer = db_column_int64(s, c++) != 0;
	ifc->created_at = (time_t)db_column_int64(s, c++);
	ifc->updated_at = (time_t)db_column_int64(s, c++);
	r |= store_col_str(s, c++, &ifc->node);
	ifc->enabled_peers = db_column_int64(s, c++);
	ifc->total_peers = db_column_int64(s, c++);
	if (r != 0) {
		iface_free(ifc);
		return err_set(err, -ENOMEM, "out of memory");
	}
	*ret = ifc;
	return 0;
}

/* Binds all IFACE_NCOLS columns. insert: a zero created_at becomes now (update keeps the
 * stored value through the CASE in sql_update). */
static int bind_row(struct store *st, struct db_stmt *s, const struct iface *ifc, bool insert,
		    struct err *err)
{
	time_t now = time(NULL);
	char *sealed = NULL;
	int c = 1, r = 0;

	r = store_secret_seal(st, ifc->private_key, "iface.private_key", STR(ifc->identifier),
			      &sealed);
	if (r < 0)
		return err_set(err, r, "cannot store the private key of interface '%s'",
			       STR(ifc->identifier));
	r |= store_bind_str(s, c++, ifc->identifier);
	r |= store_bind_str(s, c++, ifc->display_name);
	r |= store_bind_str(s, c++, ifc->mode);
	r |= db_bind_text_take(s, c++, sealed);
	r |= store_bind_str(s, c++, ifc->public_key);
	r |= db_bind_int64(s, c++, ifc->disabled);
	r |= store_bind_str(s, c++, ifc->disabled_reason);
	r |= db_bind_int64(s, c++, ifc->save_config);
	r |= db_bind_int64(s, c++, ifc->listen_port);
	r |= store_bind_strv(s, c++, &ifc->addresses);
	r |= store_bind_strv(s, c++, &ifc->dns);
	r |= store_bind_strv(s, c++, &ifc->dns_search);
	r |= db_bind_int64(s, c++, ifc->mtu);
	r |= db_bind_int64(s, c++, ifc->firewall_mark);
	r |= store_bind_str(s, c++, ifc->routing_table);
	r |= store_bind_str(s, c++, ifc->pre_up);
	r |= store_bind_str(s, c++, ifc->post_up);
	r |= store_bind_str(s, c++, ifc->pre_down);
	r |= store_bind_str(s, c++, ifc->post_down);
	r |= store_bind_strv(s, c++, &ifc->peer_def_network);
	r |= store_bind_strv(s, c++, &ifc->peer_def_dns);
	r |= store_bind_strv(s, c++, &ifc->peer_def_dns_search);
	r |= store_bind_str(s, c++, ifc->peer_def_endpoint);
	r |= store_bind_strv(s, c++, &ifc->peer_def_allowed_ips);
	r |= db_bind_int64(s, c++, ifc->peer_def_mtu);
	r |= db_bind_int64(s, c++, ifc->peer_def_persistent_keepalive);
	r |= db_bind_int64(s, c++, ifc->peer_def_firewall_mark);
	r |= store_bind_str(s, c++, ifc->peer_def_routing_table);
	r |= store_bind_str(s, c++, ifc->peer_def_pre_up);
	r |= store_bind_str(s, c++, ifc->peer_def_post_up);
	r |= store_bind_str(s, c++, ifc->peer_def_pre_down);
	r |= store_bind_str(s, c++, ifc->peer_def_post_down);
	r |= store_bind_str(s, c++, ifc->backend);
	r |= db_bind_int64(s, c++, ifc->create_default_peer);
	r |= db_bind_int64(s, c++, ifc->created_at ? ifc->created_at : (insert ? now : 0));
	r |= db_bind_int64(s, c++, ifc->updated_at ? ifc->updated_at : now);
	r |= store_bind_str(s, c++, ifc->node); /* update: "" keeps the stored node */
	if (r != 0)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int write_addresses(struct store *st, const struct iface *ifc, struct err *err)
{
	struct db_stmt *s;
	char addr[64];
	int r;

	r = store_stmt(st, STMT_IFACE_ADDR_DELETE, sql_addr_delete, &s, err);
	if (r < 0)
		return r;
	db_bind_text(s, 1, STR(ifc->identifier));
	r = store_step_done(st, s, "update interface addresses", err);
	for (size_t i = 0; r == 0 && i < ifc->addresses.n; i++) {
		r = store_stmt(st, STMT_IFACE_ADDR_INSERT, sql_addr_insert, &s, err);
		if (r < 0)
			return r;
		store_addr_part(ifc->addresses.v[i], addr);
		db_bind_text(s, 1, STR(ifc->identifier));
		db_bind_text(s, 2, addr);
		r = store_bind_addr_key(s, 3, ifc->addresses.v[i]);
		if (r == 0)
			r = store_step_done(st, s, "update interface addresses", err);
		else
			store_stmt_done(s);
	}
	return r;
}

static int iface_get(struct store *st, enum store_stmt_id sid, const char *sql, const char *id,
		     struct iface **ret, struct err *err)
{
	struct db_stmt *s;
	int rc, r;

	store_lock(st);
	r = store_stmt(st, sid, sql, &s, err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, STR(id));
	rc = db_step(s, err);
	if (rc == DB_ROW)
		r = read_row(st, s, ret, err);
	else if (rc == DB_DONE)
		r = err_set(err, -ENOENT, "interface '%s' not found", STR(id));
	else
		r = store_db_err(rc, "get interface", err);
	store_stmt_done(s);
out:
	store_unlock(st);
	return r;
}

int store_iface_get(struct store *st, const char *id, struct iface **ret, struct err *err)
{
	return iface_get(st, STMT_IFACE_GET, sql_get, id, ret, err);
}

int store_iface_get_settings(struct store *st, const char *id, struct iface **ret,
			     struct err *err)
{
	return iface_get(st, STMT_IFACE_GET_SETTINGS, sql_get_settings, id, ret, err);
}

int store_iface_list(struct store *st, struct iface ***ret, size_t *n, struct err *err)
{
	struct iface **list = NULL, **nl;
	size_t cnt = 0;
	struct db_stmt *s;
	int rc, r = 0;

	store_lock(st);
	r = store_stmt(st, STMT_IFACE_LIST, sql_list, &s, err);
	if (r < 0)
		goto out;
	while ((rc = db_step(s, err)) == DB_ROW) {
		nl = realloc(list, (cnt + 1) * sizeof(*list));
		if (!nl) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		list = nl;
		r = read_row(st, s, &list[cnt], err);
		if (r < 0)
			break;
		cnt++;
	}
	if (r == 0 && rc < 0)
		r = store_db_err(rc, "list interfaces", err);
	store_stmt_done(s);
out:
	store_unlock(st);
	if (r < 0) {
		iface_list_free(list, cnt);
		return r;
	}
	*ret = list;
	*n = cnt;
	return 0;
}

static int iface_write(struct store *st, const struct iface *ifc, bool insert, struct err *err)
{
	struct db_stmt *s;
	int r;

	if (!ifc->identifier || !*ifc->identifier)
		return err_field(err, -EINVAL, "Identifier", "interface identifier is empty");
	r = store_begin(st, err);
	if (r < 0)
		return r;
	r = insert ? store_stmt(st, STMT_IFACE_INSERT, sql_insert, &s, err)
		   : store_stmt(st, STMT_IFACE_UPDATE, sql_update, &s, err);
	if (r < 0)
		goto fail;
	r = bind_row(st, s, ifc, insert, err);
	if (r == 0)
		r = store_step_done(st, s, insert ? "insert interface" : "update interface", err);
	else
		store_stmt_done(s);
	if (r == -EEXIST)
		r = err_field(err, -EEXIST, "Identifier", "interface '%s' already exists",
			      ifc->identifier);
	if (r == 0 && !insert && db_changes(st->db) == 0)
		r = err_set(err, -ENOENT, "interface '%s' not found", ifc->identifier);
	if (r == 0)
		r = write_addresses(st, ifc, err);
	if (r == 0)
		r = store_change_iface(st, ifc->identifier, false, err);
	if (r < 0)
		goto fail;
	return store_commit(st, err);
fail:
	store_rollback(st);
	return r;
}

int store_iface_insert(struct store *st, const struct iface *ifc, struct err *err)
{
	return iface_write(st, ifc, true, err);
}

int store_iface_update(struct store *st, const struct iface *ifc, struct err *err)
{
	return iface_write(st, ifc, false, err);
}

int store_iface_set_node(struct store *st, const char *id, const char *node, struct err *err)
{
	struct db_stmt *s = NULL;
	int r;

	store_lock(st);
	r = db_prepare(st->db, "UPDATE interfaces SET node = ?2 WHERE identifier = ?1 AND node = ''",
		       &s, err);
	if (r == 0) {
		db_bind_text(s, 1, STR(id));
		db_bind_text(s, 2, STR(node));
		r = db_step_done(s, err);
		if (r < 0)
			r = store_db_err(r, "set the node of an interface", err);
		else if (db_changes(st->db) == 0)
			r = err_set(err, -ENOENT, "interface '%s' not found or has a node", STR(id));
	}
	db_finalize(s);
	store_unlock(st);
	return r;
}

static int exec_id(struct store *st, enum store_stmt_id sid, const char *sql, const char *id,
		   const char *what, struct err *err)
{
	struct db_stmt *s;
	int r = store_stmt(st, sid, sql, &s, err);

	if (r < 0)
		return r;
	db_bind_text(s, 1, id);
	return store_step_done(st, s, what, err);
}

int store_iface_delete(struct store *st, const char *id, struct err *err)
{
	int r;

	r = store_begin(st, err);
	if (r < 0)
		return r;
	/* Who served it, for the other nodes (read before the row goes); statuses next: they
	 * are found through the peers about to go. */
	r = store_change_iface(st, STR(id), true, err);
	if (r == 0)
		r = exec_id(st, STMT_IFACE_PEER_STATUS_DELETE, sql_peer_status_delete, STR(id),
			    "delete interface", err);
	if (r == 0)
		r = exec_id(st, STMT_IFACE_PEERS_DELETE, sql_peers_delete, STR(id),
			    "delete interface", err);
	if (r == 0)
		r = exec_id(st, STMT_IFACE_STATUS_DELETE, sql_status_delete, STR(id),
			    "delete interface", err);
	if (r == 0) {
		r = exec_id(st, STMT_IFACE_DELETE, sql_delete, STR(id), "delete interface", err);
		if (r == 0 && db_changes(st->db) == 0)
			r = err_set(err, -ENOENT, "interface '%s' not found", STR(id));
	}
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	return store_commit(st, err);
}
