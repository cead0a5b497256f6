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

#define ADDR_KEY_MAX 17

static int addr_key(const struct ip_prefix *p, uint8_t out[static ADDR_KEY_MAX])
{
	int alen = p->family == AF_INET ? 4 : 16;

	out[0] = p->family == AF_INET ? 4 : 6;
	memcpy(out + 1, p->addr, (size_t)alen);
	return alen + 1;
}

int store_bind_addr_key(sqlite3_stmt *s, int col, const char *cidr)
{
	struct ip_prefix p;
	uint8_t k[ADDR_KEY_MAX];
	int rc;

	/* an unparsable (never validated) value has no key: it takes part in text comparisons
	 * only, as before */
	if (!cidr || ip_prefix_parse(cidr, true, &p) < 0)
		rc = sqlite3_bind_null(s, col);
	else
		rc = sqlite3_bind_blob(s, col, k, addr_key(&p, k), SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? 0 : -ENOMEM;
}

/* wgp_addr_key(text): the same key in SQL, for migration 4's backfill of existing rows. */
static void sql_addr_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t = argc == 1 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
	struct ip_prefix p;
	uint8_t k[ADDR_KEY_MAX];

	if (!t || ip_prefix_parse(t, true, &p) < 0) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_blob(ctx, k, addr_key(&p, k), SQLITE_TRANSIENT);
}

int store_addr_register(struct store *st, struct err *err)
{
	int rc = sqlite3_create_function(st->db, "wgp_addr_key", 1,
					 SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_addr_key,
					 NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_sql_err(st, rc, "register wgp_addr_key", err);
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
	struct ip_prefix lo, hi;
	uint8_t klo[ADDR_KEY_MAX], khi[ADDR_KEY_MAX];
	int alen = net->family == AF_INET ? 4 : 16;
	int nlo, nhi, rc, r;
	sqlite3_stmt *s;

	if (net->family != AF_INET && net->family != AF_INET6)
		return err_set(err, -EINVAL, "address walk: bad family %u", net->family);
	ip_prefix_network(net, &lo);
	hi = lo;
	for (int bit = net->len; bit < alen * 8; bit++)
		hi.addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	nlo = addr_key(&lo, klo);
	nhi = addr_key(&hi, khi);
	store_lock(st);
	r = store_stmt(st, STMT_ADDR_WALK, sql_walk, &s, err);
	if (r < 0)
		goto out;
	sqlite3_bind_blob(s, 1, klo, nlo, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, khi, nhi, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ip_prefix a = { .family = net->family };
		const uint8_t *k = sqlite3_column_blob(s, 0);

		if (!k || sqlite3_column_bytes(s, 0) != nlo)
			continue; /* not a key of this family (cannot happen inside the range) */
		memcpy(a.addr, k + 1, (size_t)alen);
		a.len = (uint8_t)(alen * 8);
		if (cb(&a, ctx))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_err(st, rc, "walk addresses", err);
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
static int near_step(struct store *st, sqlite3_stmt *s, const struct ip_prefix *nets, size_t n,
		     struct store_addr_conflict *ret, struct err *err)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(s, 0);
		const char *list = (const char *)sqlite3_column_text(s, 1);
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
	return rc == SQLITE_DONE ? 0 : store_sql_err(st, rc, "find overlapping addresses", err);
}

int store_peer_addr_conflict(struct store *st, const char *iface_id, const char *except_peer,
			     const struct ip_prefix *nets, size_t n,
			     struct store_addr_conflict *ret, struct err *err)
{
	sqlite3_stmt *s = NULL;
	int r = 0;

	store_lock(st);
	r = sqlite3_prepare_v2(st->db, sql_near_nets, -1, &s, NULL);
	if (r != SQLITE_OK) {
		r = store_sql_err(st, r, "find overlapping addresses", err);
		goto out;
	}
	sqlite3_bind_text(s, 1, iface_id ? iface_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, except_peer ? except_peer : "", -1, SQLITE_STATIC);
	r = near_step(st, s, nets, n, ret, err);
	sqlite3_finalize(s);
	s = NULL;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct ip_prefix lo, hi;
		uint8_t klo[ADDR_KEY_MAX], khi[ADDR_KEY_MAX];
		int alen = nets[i].family == AF_INET ? 4 : 16, nlo, nhi;

		ip_prefix_network(&nets[i], &lo);
		hi = lo;
		for (int bit = nets[i].len; bit < alen * 8; bit++)
			hi.addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		nlo = addr_key(&lo, klo);
		nhi = addr_key(&hi, khi);
		r = store_stmt(st, STMT_ADDR_NEAR, sql_near_hosts, &s, err);
		if (r < 0)
			break;
		sqlite3_bind_text(s, 1, iface_id ? iface_id : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, except_peer ? except_peer : "", -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, klo, nlo, SQLITE_STATIC);
		sqlite3_bind_blob(s, 4, khi, nhi, SQLITE_STATIC);
		r = near_step(st, s, &nets[i], 1, ret, err);
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
