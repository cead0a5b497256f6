/* SPDX-License-Identifier: MIT */
/*
 * Address keys (migration 4): interface_addresses and peer_addresses carry, next to the
 * canonical text, addr_key = one family byte (4 or 6) + the address bytes, indexed. Blobs
 * compare with memcmp, so the index orders a family's addresses numerically: the allocator
 * walks one network's used addresses in order and stops at the first gap, instead of loading
 * and sorting every address of every interface for each GET /peer/prepare. The same keys find
 * the peers of an interface whose addresses overlap a new peer's (store_peer_addr_conflict).
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "model/cidr.h"
#include "util/err.h"
#include "util/strv.h"

#define ADDR_KEY_MAX 17

static int addr_key(const struct ip_prefix *p, uint8_t out[static ADDR_KEY_MAX])
{
	int alen = p->family == AF_INET ? 4 : 16;

	out[0] = p->family == AF_INET ? 4 : 6;
	memcpy(out + 1, p->addr, (size_t)alen);
	return alen + 1;
}

int store_bind_addr_key(struct db_stmt *s, int col, const char *cidr)
{
	struct ip_prefix p;
	uint8_t k[ADDR_KEY_MAX];

	/* an unparsable (never validated) value has no key: it takes part in text comparisons
	 * only, as before */
	if (!cidr || ip_prefix_parse(cidr, true, &p) < 0)
		return db_bind_null(s, col);
	return db_bind_blob(s, col, k, (size_t)addr_key(&p, k));
}

/* Keys the rows of one table written before migration 4: each distinct address text is read,
 * keyed in C and written back (no SQL function, so every engine runs the same statements). */
static int backfill_table(struct store *st, const char *select, const char *update,
			  struct err *err)
{
	struct db_stmt *sel = NULL, *upd = NULL;
	struct strv addrs = STRV_INIT;
	int r;

	r = db_prepare(st->db, select, &sel, err);
	while (r == 0 && (r = db_step(sel, err)) == DB_ROW)
		r = strv_push(&addrs, db_column_text(sel, 0) ? db_column_text(sel, 0) : "");
	if (r == DB_DONE)
		r = db_prepare(st->db, update, &upd, err);
	for (size_t i = 0; r == 0 && i < addrs.n; i++) {
		r = store_bind_addr_key(upd, 1, addrs.v[i]);
		if (r == 0)
			r = db_bind_text(upd, 2, addrs.v[i]);
		if (r == 0)
			r = db_step_done(upd, err);
	}
	db_finalize(sel);
	db_finalize(upd);
	strv_release(&addrs);
	return r < 0 ? store_db_err(r, "key existing addresses", err) : 0;
}

int store_addr_backfill(struct store *st, struct err *err)
{
	int r = backfill_table(st, "SELECT DISTINCT addr FROM interface_addresses",
			       "UPDATE interface_addresses SET addr_key = ?1 WHERE addr = ?2", err);

	if (r == 0)
		r = backfill_table(st, "SELECT DISTINCT addr FROM peer_addresses",
				   "UPDATE peer_addresses SET addr_key = ?1 WHERE addr = ?2", err);
	return r;
}

/* The keys of the first and the last address of net (both of the same length, returned). */
static int key_range(const struct ip_prefix *net, uint8_t klo[static ADDR_KEY_MAX],
		     uint8_t khi[static ADDR_KEY_MAX])
{
	int alen = net->family == AF_INET ? 4 : 16;
	struct ip_prefix lo, hi;

	ip_prefix_network(net, &lo);
	hi = lo;
	for (int bit = net->len; bit < alen * 8; bit++)
		hi.addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	(void)addr_key(&hi, khi);
	return addr_key(&lo, klo);
}

/* Both tables merged in key order: each side is read through its addr_key index, so stepping
 * stops reading where the caller stops. */
static const char sql_walk[] =
	"SELECT addr_key FROM interface_addresses WHERE addr_key BETWEEN ?1 AND ?2 "
	"UNION ALL "
	"SELECT addr_key FROM peer_addresses WHERE addr_key BETWEEN ?1 AND ?2 "
	"ORDER BY 1";

int store_addresses_walk(struct store *st, const struct ip_prefix *net,
			 int (*cb)(const struct ip_prefix *addr, void *ctx), void *ctx,
			 struct err *err)
{
	uint8_t klo[ADDR_KEY_MAX], khi[ADDR_KEY_MAX];
	int alen = net->family == AF_INET ? 4 : 16;
	int nlo, rc, r;
	struct db_stmt *s;

	if (net->family != AF_INET && net->family != AF_INET6)
		return err_set(err, -EINVAL, "address walk: bad family %u", net->family);
	nlo = key_range(net, klo, khi);
	store_lock(st);
	r = store_stmt(st, STMT_ADDR_WALK, sql_walk, &s, err);
	if (r < 0)
		goto out;
	db_bind_blob(s, 1, klo, (size_t)nlo);
	db_bind_blob(s, 2, khi, (size_t)nlo);
	while ((rc = db_step(s, err)) == DB_ROW) {
		struct ip_prefix a = { .family = net->family };
		size_t klen = 0;
		const uint8_t *k = db_column_blob(s, 0, &klen);

		if (!k || klen != (size_t)nlo)
			continue; /* not a key of this family (cannot happen inside the range) */
		memcpy(a.addr, k + 1, (size_t)alen);
		a.len = (uint8_t)(alen * 8);
		if (cb(&a, ctx))
			break;
	}
	if (rc < 0)
		r = store_db_err(rc, "walk addresses", err);
	store_stmt_done(s);
out:
	store_unlock(st);
	return r;
}

/* Stored peer addresses of one interface that can overlap a new prefix: host routes inside it
 * (peer_addresses keeps the address part with its addr_key: an indexed range), and the
 * peers that hold any prefix wider than a host route, which may contain it whatever its key.
 * Those come from the full lists in peers.addresses: removing "/32" and "/128" leaves a '/'
 * only in lists with a network route, so the scan of the interface's peers returns just them. */
static const char sql_near_hosts[] =
	"SELECT peer_id, addr FROM peer_addresses WHERE addr_key BETWEEN ?3 AND ?4 "
	"AND iface_id = ?1 AND peer_id <> ?2";
static const char sql_near_nets[] =
	"SELECT identifier, addresses FROM peers WHERE iface_id = ?1 AND identifier <> ?2 "
	"AND replace(replace(addresses, '/32', ''), '/128', '') LIKE '%/%'";

/* 1 and *ret filled when the stored address text overlaps one of nets. */
static int near_one(const char *owner, const char *addr, const struct ip_prefix *nets,
		    size_t n, struct store_addr_conflict *ret)
{
	struct ip_prefix q;

	if (ip_prefix_parse(addr, true, &q) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!ip_prefix_overlaps(&nets[i], &q))
			continue;
		ret->index = i;
		snprintf(ret->owner, sizeof(ret->owner), "%s", owner);
		snprintf(ret->addr, sizeof(ret->addr), "%s", addr);
		return 1;
	}
	return 0;
}

/* Steps s (rows: owner, one address or a ','-separated list); 1 at the first overlap. */
static int near_step(struct db_stmt *s, const struct ip_prefix *nets, size_t n,
		     struct store_addr_conflict *ret, struct err *err)
{
	int rc;

	while ((rc = db_step(s, err)) == DB_ROW) {
		const char *owner = db_column_text(s, 0);
		const char *list = db_column_text(s, 1);
		char one[64];

		while (owner && list && *list) {
			size_t len = strcspn(list, ",");

			if (len < sizeof(one)) {
				memcpy(one, list, len);
				one[len] = '\0';
				if (near_one(owner, one, nets, n, ret))
					return 1;
			}
			list += len + (list[len] == ',');
		}
	}
	return rc < 0 ? store_db_err(rc, "find overlapping addresses", err) : 0;
}

int store_peer_addr_conflict(struct store *st, const char *iface_id, const char *except_peer,
			     const struct ip_prefix *nets, size_t n,
			     struct store_addr_conflict *ret, struct err *err)
{
	struct db_stmt *s = NULL;
	int r;

	store_lock(st);
	r = db_prepare(st->db, sql_near_nets, &s, err);
	if (r < 0) {
		r = store_db_err(r, "find overlapping addresses", err);
		goto out;
	}
	db_bind_text(s, 1, iface_id ? iface_id : "");
	db_bind_text(s, 2, except_peer ? except_peer : "");
	r = near_step(s, nets, n, ret, err);
	db_finalize(s);
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint8_t klo[ADDR_KEY_MAX], khi[ADDR_KEY_MAX];
		int klen = key_range(&nets[i], klo, khi);

		r = store_stmt(st, STMT_ADDR_NEAR, sql_near_hosts, &s, err);
		if (r < 0)
			break;
		db_bind_text(s, 1, iface_id ? iface_id : "");
		db_bind_text(s, 2, except_peer ? except_peer : "");
		db_bind_blob(s, 3, klo, (size_t)klen);
		db_bind_blob(s, 4, khi, (size_t)klen);
		r = near_step(s, &nets[i], 1, ret, err);
		if (r > 0)
			ret->index = i;
		store_stmt_done(s);
	}
out:
	store_unlock(st);
	if (r > 0)
		return err_set(err, -EEXIST, "address overlaps %s of peer %s", ret->addr,
			       ret->owner);
	return r;
}
