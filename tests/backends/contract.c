/* SPDX-License-Identifier: MIT */
/*
 * The backend contract suite (see contract.h). #included by each runner; everything is static
 * except contract_env. The cases only use the backend_*() wrappers and the capability bits, so
 * the same expectations hold for local, mikrotik and any later backend.
 */
#include "contract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/cidr.h"
#include "model/keys.h"
#include "util/err.h"

struct contract_env contract_env;

/* cmocka 1.1 prints skipped cases as "not ok # SKIP", which tests/run-all.sh counts as a
 * failure: a case that does not apply says so in a TAP comment and passes. */
#define CT_SKIP_IF(cond, why)                              \
	do {                                               \
		if (cond) {                                \
			print_message("# SKIP %s\n", why); \
			return;                            \
		}                                          \
	} while (0)

/* ---- helpers ---------------------------------------------------------------------------- */

static void ct_pfx(struct ip_prefix *p, const char *s)
{
	assert_int_equal(ip_prefix_parse(s, false, p), 0);
}

/* A fresh key pair's public half (wireguard-go rejects nothing, RouterOS wants real keys). */
static void ct_pubkey(uint8_t pub[static WG_KEY_LEN])
{
	uint8_t priv[WG_KEY_LEN];

	key_generate_private(priv);
	assert_int_equal(key_public_from_private(pub, priv), 0);
}

static void ct_want_iface(struct dev_iface *d, uint16_t port, uint32_t mtu, const char *a1,
			  const char *a2, bool up)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", contract_env.ifname);
	key_generate_private(d->private_key);
	d->listen_port = port;
	d->mtu = mtu;
	d->up = up;
	/* every field flagged: these cases write a whole interface, as sync does for a create */
	d->flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_LINK;
	if (mtu && backend_has_cap(contract_env.be, BACKEND_CAP_MTU))
		d->flags |= DEV_IFACE_HAS_MTU;
	if (backend_has_cap(contract_env.be, BACKEND_CAP_ADDRESSES)) {
		d->flags |= DEV_IFACE_HAS_ADDRESSES;
		d->addresses = calloc(2, sizeof(*d->addresses));
		assert_non_null(d->addresses);
		if (a1)
			ct_pfx(&d->addresses[d->n_addresses++], a1);
		if (a2)
			ct_pfx(&d->addresses[d->n_addresses++], a2);
	}
}

static void ct_peer(struct dev_peer *p, const char *aip1, const char *aip2)
{
	memset(p, 0, sizeof(*p));
	ct_pubkey(p->public_key);
	/* a whole peer: every field managed and written (sync's mask for a new peer) */
	p->flags = DEV_PEER_REPLACE_ALLOWEDIPS | DEV_PEER_HAS_PSK | DEV_PEER_HAS_KEEPALIVE;
	p->changes = DEV_PEER_CH_ALL;
	p->allowed_ips = calloc(2, sizeof(*p->allowed_ips));
	assert_non_null(p->allowed_ips);
	if (aip1)
		ct_pfx(&p->allowed_ips[p->n_allowed_ips++], aip1);
	if (aip2)
		ct_pfx(&p->allowed_ips[p->n_allowed_ips++], aip2);
}

static void ct_set_aips(struct dev_peer *p, const char *aip1, const char *aip2)
{
	p->n_allowed_ips = 0;
	if (aip1)
		ct_pfx(&p->allowed_ips[p->n_allowed_ips++], aip1);
	if (aip2)
		ct_pfx(&p->allowed_ips[p->n_allowed_ips++], aip2);
}

static int ct_get(struct dev_iface *d)
{
	struct err e = { 0 };
	int r = backend_get_iface(contract_env.be, contract_env.ifname, d, &e);

	if (r < 0 && r != -ENOENT)
		print_message("# get_iface: %d %s\n", r, e.msg);
	return r;
}

static void ct_apply_iface(const struct dev_iface *d)
{
	struct err e = { 0 };
	int r = backend_apply_iface(contract_env.be, d, &e);

	if (r < 0)
		print_message("# apply_iface: %d %s\n", r, e.msg);
	assert_int_equal(r, 0);
}

static void ct_apply_peers(const struct dev_peer *p, size_t n)
{
	struct err e = { 0 };
	int r = backend_apply_peers(contract_env.be, contract_env.ifname, p, n, &e);

	if (r < 0)
		print_message("# apply_peers: %d %s\n", r, e.msg);
	assert_int_equal(r, 0);
}

static bool ct_has_prefix(const struct ip_prefix *v, size_t n, const struct ip_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].family == p->family && v[i].len == p->len &&
		    !memcmp(v[i].addr, p->addr, p->family == AF_INET ? 4 : 16))
			return true;
	return false;
}

static bool ct_prefix_sets_equal(const struct ip_prefix *a, size_t na, const struct ip_prefix *b,
				 size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!ct_has_prefix(b, nb, &a[i]))
			return false;
	return true;
}

static const struct dev_peer *ct_find(const struct dev_iface *d, const uint8_t *key)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (!memcmp(d->peers[i].public_key, key, WG_KEY_LEN))
			return &d->peers[i];
	return NULL;
}

/* Peers written by us (read-only/system peers of the device are not counted). */
static size_t ct_own_peers(const struct dev_iface *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_peers; i++)
		n += !(d->peers[i].flags & DEV_PEER_READONLY);
	return n;
}

/* The device shows exactly what `want` asked for. */
static bool ct_peer_matches(const struct dev_peer *have, const struct dev_peer *want)
{
	if (!have)
		return false;
	if (!ct_prefix_sets_equal(have->allowed_ips, have->n_allowed_ips, want->allowed_ips,
				  want->n_allowed_ips))
		return false;
	if (backend_has_cap(contract_env.be, BACKEND_CAP_PSK) &&
	    !backend_has_cap(contract_env.be, BACKEND_CAP_PSK_WRITE_ONLY) &&
	    memcmp(have->preshared_key, want->preshared_key, WG_KEY_LEN))
		return false;
	if (backend_has_cap(contract_env.be, BACKEND_CAP_PSK_WRITE_ONLY)) {
		uint8_t psk[WG_KEY_LEN];
		/* the device never tells: the backend must not claim a key it cannot know */
		if (!key_is_zero(have->preshared_key) || (have->flags & DEV_PEER_HAS_PSK))
			return false;
		/* what the device runs, read out of band, is still what was written */
		if (contract_env.read_psk &&
		    (contract_env.read_psk(contract_env.ctx, contract_env.ifname, want->public_key,
					   psk) < 0 ||
		     memcmp(psk, want->preshared_key, WG_KEY_LEN)))
			return false;
	}
	if (have->persistent_keepalive != want->persistent_keepalive)
		return false;
	if ((want->flags & DEV_PEER_HAS_ENDPOINT) && !endpoint_str_equal(have->endpoint, want->endpoint))
		return false;
	if (backend_has_cap(contract_env.be, BACKEND_CAP_DISABLED_PEERS) &&
	    (have->flags & DEV_PEER_DISABLED) != (want->flags & DEV_PEER_DISABLED))
		return false;
	return true;
}

static void ct_assert_peer(const struct dev_iface *d, const struct dev_peer *want)
{
	const struct dev_peer *have = ct_find(d, want->public_key);

	assert_non_null(have);
	if (!ct_peer_matches(have, want)) {
		char a[CIDR_STR_MAX];
		print_message("# peer mismatch: have %zu aips, ka %u, ep '%s', flags %#x; want %zu "
			      "aips, ka %u, ep '%s', flags %#x\n",
			      have->n_allowed_ips, have->persistent_keepalive, have->endpoint,
			      have->flags, want->n_allowed_ips, want->persistent_keepalive,
			      want->endpoint, want->flags);
		for (size_t i = 0; i < have->n_allowed_ips; i++) {
			ip_prefix_format(&have->allowed_ips[i], a);
			print_message("#   have %s\n", a);
		}
		fail();
	}
}

static void ct_peers_release(struct dev_peer *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dev_peer_release(&p[i]);
}

static int contract_setup(void **state)
{
	struct err e = { 0 };
	int r = backend_delete_iface(contract_env.be, contract_env.ifname, &e);

	(void)state;
	if (r < 0 && r != -ENOENT) {
		print_message("# setup: delete_iface: %d %s\n", r, e.msg);
		return -1;
	}
	return 0;
}

static int contract_teardown(void **state)
{
	struct err e = { 0 };

	(void)state;
	if (contract_env.clear_fault)
		contract_env.clear_fault(contract_env.ctx);
	(void)backend_delete_iface(contract_env.be, contract_env.ifname, &e);
	if (contract_env.after_case)
		contract_env.after_case(contract_env.ctx);
	return 0;
}

/* ---- cases ------------------------------------------------------------------------------ */

static void contract_iface_create_delete(void **state)
{
	struct dev_iface want, have = { 0 };
	struct strv names = STRV_INIT;
	uint8_t pub[WG_KEY_LEN];
	struct err e = { 0 };

	(void)state;
	CT_SKIP_IF(!backend_has_cap(contract_env.be, BACKEND_CAP_CREATE_IFACE),
		   "backend cannot create interfaces");
	assert_int_equal(ct_get(&have), -ENOENT);
	ct_want_iface(&want, 51901, 1400, "10.77.0.1/24", "fd77::1/64", true);
	ct_apply_iface(&want);

	assert_int_equal(ct_get(&have), 0);
	assert_string_equal(have.name, contract_env.ifname);
	assert_int_equal(key_public_from_private(pub, want.private_key), 0);
	assert_memory_equal(have.public_key, pub, WG_KEY_LEN);
	if (backend_has_cap(contract_env.be, BACKEND_CAP_PRIVKEY_HIDDEN) &&
	    !(have.flags & DEV_IFACE_HAS_PRIVATE_KEY))
		/* hidden: absent, never a made-up key (the public key above proves the device
		 * holds ours) */
		assert_true(key_is_zero(have.private_key));
	else
		assert_memory_equal(have.private_key, want.private_key, WG_KEY_LEN);
	assert_int_equal(have.listen_port, 51901);
	if (backend_has_cap(contract_env.be, BACKEND_CAP_MTU))
		assert_int_equal(have.mtu, 1400);
	if (backend_has_cap(contract_env.be, BACKEND_CAP_ADDRESSES))
		assert_true(ct_prefix_sets_equal(have.addresses, have.n_addresses, want.addresses,
						 want.n_addresses));
	assert_true(have.up);
	assert_int_equal(ct_own_peers(&have), 0);
	dev_iface_release(&have);

	assert_int_equal(backend_list_ifaces(contract_env.be, &names, &e), 0);
	assert_true(strv_contains(&names, contract_env.ifname));
	strv_release(&names);

	/* applying the same state again is a no-op that succeeds */
	ct_apply_iface(&want);

	assert_int_equal(backend_delete_iface(contract_env.be, contract_env.ifname, &e), 0);
	assert_int_equal(ct_get(&have), -ENOENT);
	assert_int_equal(backend_list_ifaces(contract_env.be, &names, &e), 0);
	assert_false(strv_contains(&names, contract_env.ifname));
	strv_release(&names);
	assert_int_equal(backend_delete_iface(contract_env.be, contract_env.ifname, &e), -ENOENT);
	dev_iface_release(&want);
}

static void contract_iface_update(void **state)
{
	struct dev_iface want, have = { 0 };
	uint8_t pub[WG_KEY_LEN];

	(void)state;
	CT_SKIP_IF(!backend_has_cap(contract_env.be, BACKEND_CAP_CREATE_IFACE),
		   "backend cannot create interfaces");
	ct_want_iface(&want, 51902, 1420, "10.78.0.1/24", "fd78::1/64", true);
	ct_apply_iface(&want);
	dev_iface_release(&want);

	/* new key, port, MTU, one address kept, one replaced, link down */
	ct_want_iface(&want, 51903, 1380, "10.78.0.1/24", "10.79.0.1/16", false);
	ct_apply_iface(&want);
	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(have.listen_port, 51903);
	assert_int_equal(key_public_from_private(pub, want.private_key), 0);
	assert_memory_equal(have.public_key, pub, WG_KEY_LEN);
	if (backend_has_cap(contract_env.be, BACKEND_CAP_MTU))
		assert_int_equal(have.mtu, 1380);
	if (backend_has_cap(contract_env.be, BACKEND_CAP_ADDRESSES))
		assert_true(ct_prefix_sets_equal(have.addresses, have.n_addresses, want.addresses,
						 want.n_addresses));
	assert_false(have.up);
	dev_iface_release(&have);

	/* up again, all addresses removed */
	want.up = true;
	want.n_addresses = 0;
	ct_apply_iface(&want);
	assert_int_equal(ct_get(&have), 0);
	assert_true(have.up);
	if (backend_has_cap(contract_env.be, BACKEND_CAP_ADDRESSES))
		assert_int_equal(have.n_addresses, 0);
	dev_iface_release(&have);
	dev_iface_release(&want);
}

static void contract_peers_crud(void **state)
{
	struct dev_iface want, have = { 0 };
	struct dev_peer p[3];
	struct dev_peer rm = { 0 };

	(void)state;
	ct_want_iface(&want, 51904, 1420, "10.80.0.1/24", NULL, true);
	ct_apply_iface(&want);

	ct_peer(&p[0], "10.80.0.2/32", "fd80::2/128");
	ct_peer(&p[1], "10.80.0.3/32", NULL);
	key_generate_psk(p[1].preshared_key);
	ct_peer(&p[2], "10.81.0.0/16", NULL);
	snprintf(p[2].endpoint, sizeof(p[2].endpoint), "192.0.2.7:51820");
	p[2].flags |= DEV_PEER_HAS_ENDPOINT;
	p[2].persistent_keepalive = 25;
	ct_apply_peers(p, 3);

	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(ct_own_peers(&have), 3);
	for (int i = 0; i < 3; i++)
		ct_assert_peer(&have, &p[i]);
	dev_iface_release(&have);

	/* update: allowed IPs, keepalive, preshared key removed and added */
	ct_set_aips(&p[0], "10.80.0.12/32", NULL);
	p[0].persistent_keepalive = 15;
	key_generate_psk(p[0].preshared_key);
	memset(p[1].preshared_key, 0, WG_KEY_LEN);
	ct_apply_peers(p, 2);
	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(ct_own_peers(&have), 3);
	for (int i = 0; i < 3; i++)
		ct_assert_peer(&have, &p[i]);
	dev_iface_release(&have);

	/* delete one */
	memcpy(rm.public_key, p[1].public_key, WG_KEY_LEN);
	rm.flags = DEV_PEER_REMOVE;
	ct_apply_peers(&rm, 1);
	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(ct_own_peers(&have), 2);
	assert_null(ct_find(&have, p[1].public_key));
	ct_assert_peer(&have, &p[0]);
	ct_assert_peer(&have, &p[2]);
	dev_iface_release(&have);
	/* removing a peer that is gone already succeeds */
	ct_apply_peers(&rm, 1);

	ct_peers_release(p, 3);
	dev_iface_release(&want);
}

static void contract_peers_disable_enable(void **state)
{
	struct dev_iface want, have = { 0 };
	struct dev_peer p[2];
	const struct dev_peer *h;

	(void)state;
	CT_SKIP_IF(!backend_has_cap(contract_env.be, BACKEND_CAP_DISABLED_PEERS),
		   "backend does not keep disabled peers");
	ct_want_iface(&want, 51905, 1420, "10.82.0.1/24", NULL, true);
	ct_apply_iface(&want);
	ct_peer(&p[0], "10.82.0.2/32", NULL);
	ct_peer(&p[1], "10.82.0.3/32", NULL);
	p[1].flags |= DEV_PEER_DISABLED; /* created disabled */
	ct_apply_peers(p, 2);
	assert_int_equal(ct_get(&have), 0);
	h = ct_find(&have, p[1].public_key);
	assert_non_null(h);
	assert_true(h->flags & DEV_PEER_DISABLED);
	h = ct_find(&have, p[0].public_key);
	assert_non_null(h);
	assert_false(h->flags & DEV_PEER_DISABLED);
	dev_iface_release(&have);

	/* disable the first, enable the second: both stay on the device */
	p[0].flags |= DEV_PEER_DISABLED;
	p[1].flags &= ~(unsigned)DEV_PEER_DISABLED;
	ct_apply_peers(p, 2);
	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(ct_own_peers(&have), 2);
	ct_assert_peer(&have, &p[0]);
	ct_assert_peer(&have, &p[1]);
	dev_iface_release(&have);

	p[0].flags &= ~(unsigned)DEV_PEER_DISABLED;
	ct_apply_peers(p, 1);
	assert_int_equal(ct_get(&have), 0);
	ct_assert_peer(&have, &p[0]);
	dev_iface_release(&have);
	ct_peers_release(p, 2);
	dev_iface_release(&want);
}

static void contract_peers_idempotent(void **state)
{
	struct dev_iface want, have = { 0 };
	struct dev_peer p[2];

	(void)state;
	ct_want_iface(&want, 51906, 1420, "10.83.0.1/24", NULL, true);
	ct_apply_iface(&want);
	ct_peer(&p[0], "10.83.0.2/32", NULL);
	ct_peer(&p[1], "10.83.0.3/32", "10.84.0.0/24");
	ct_apply_peers(p, 2);
	ct_apply_peers(p, 2);
	ct_apply_peers(p, 2);
	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(ct_own_peers(&have), 2);
	ct_assert_peer(&have, &p[0]);
	ct_assert_peer(&have, &p[1]);
	dev_iface_release(&have);
	ct_peers_release(p, 2);
	dev_iface_release(&want);
}

static void contract_stats_present(void **state)
{
	struct dev_iface want, have = { 0 };
	struct dev_peer p;

	(void)state;
	ct_want_iface(&want, 51907, 1420, "10.85.0.1/24", NULL, true);
	ct_apply_iface(&want);
	ct_peer(&p, "10.85.0.2/32", NULL);
	ct_apply_peers(&p, 1);
	assert_int_equal(ct_get(&have), 0);
	{
		const struct dev_peer *h = ct_find(&have, p.public_key);
		assert_non_null(h);
		if (backend_has_cap(contract_env.be, BACKEND_CAP_STATS_PEER)) {
			assert_true(h->stats_valid);
			/* nobody ever talked to this peer */
			assert_int_equal(h->last_handshake_sec, 0);
			assert_int_equal(h->rx_bytes, 0);
		}
	}
	dev_iface_release(&have);
	dev_peer_release(&p);
	dev_iface_release(&want);
}

static void contract_bad_input(void **state)
{
	static const char *const bad_names[] = { "", "bad/name", "a b", "../x", "x?y=1",
						 "wg0\n", "*1" };
	struct dev_iface want, have = { 0 };
	struct dev_peer p;
	struct strv names = STRV_INIT;
	struct err e = { 0 };
	size_t before;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		ct_want_iface(&want, 51908, 1420, NULL, NULL, true);
		snprintf(want.name, sizeof(want.name), "%s", bad_names[i]);
		assert_int_equal(backend_apply_iface(contract_env.be, &want, &e), -EINVAL);
		assert_int_equal(backend_get_iface(contract_env.be, bad_names[i], &have, &e),
				 -EINVAL);
		assert_int_equal(backend_delete_iface(contract_env.be, bad_names[i], &e), -EINVAL);
		dev_iface_release(&want);
	}
	assert_int_equal(backend_list_ifaces(contract_env.be, &names, &e), 0);
	before = names.n;
	strv_release(&names);

	ct_want_iface(&want, 51908, 1420, "10.86.0.1/24", NULL, true);
	ct_apply_iface(&want);
	/* a peer endpoint without port, and an IPv4 allowed IP with prefix length 33 */
	ct_peer(&p, "10.86.0.2/32", NULL);
	snprintf(p.endpoint, sizeof(p.endpoint), "no-port-here");
	p.flags |= DEV_PEER_HAS_ENDPOINT;
	assert_int_equal(backend_apply_peers(contract_env.be, contract_env.ifname, &p, 1, &e),
			 -EINVAL);
	p.flags &= ~(unsigned)DEV_PEER_HAS_ENDPOINT;
	p.allowed_ips[0].len = 33;
	assert_int_equal(backend_apply_peers(contract_env.be, contract_env.ifname, &p, 1, &e),
			 -EINVAL);
	/* nothing was written */
	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(ct_own_peers(&have), 0);
	dev_iface_release(&have);
	assert_int_equal(backend_list_ifaces(contract_env.be, &names, &e), 0);
	assert_int_equal(names.n, before + 1);
	strv_release(&names);
	dev_peer_release(&p);
	dev_iface_release(&want);
}

static void contract_missing_iface(void **state)
{
	struct dev_iface have = { 0 };
	struct dev_peer p;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(ct_get(&have), -ENOENT);
	assert_int_equal(backend_delete_iface(contract_env.be, contract_env.ifname, &e), -ENOENT);
	ct_peer(&p, "10.87.0.2/32", NULL);
	assert_int_equal(backend_apply_peers(contract_env.be, contract_env.ifname, &p, 1, &e),
			 -ENOENT);
	assert_int_equal(ct_get(&have), -ENOENT);
	dev_peer_release(&p);
}

/*
 * A device fault in the middle of a multi-peer change: the call fails, and afterwards the
 * interface reads back consistently: every peer is entirely in its old or its new state, no
 * unknown peer appeared, and a retry converges.
 */
static void contract_fault_consistent(void **state)
{
	struct dev_iface want, have = { 0 };
	struct dev_peer oldp[4], newp[4];
	struct err e = { 0 };
	int r;

	(void)state;
	CT_SKIP_IF(!contract_env.arm_fault, "runner cannot inject device faults");
	for (int which = 0; which < 2; which++) {
		ct_want_iface(&want, 51909, 1420, "10.88.0.1/24", NULL, true);
		ct_apply_iface(&want);
		ct_peer(&oldp[0], "10.88.0.2/32", NULL);
		ct_peer(&oldp[1], "10.88.0.3/32", NULL);
		ct_apply_peers(oldp, 2);

		/* new: change both, add two */
		for (int i = 0; i < 2; i++) {
			newp[i] = oldp[i];
			newp[i].allowed_ips = calloc(2, sizeof(struct ip_prefix));
			assert_non_null(newp[i].allowed_ips);
			newp[i].name = NULL;
		}
		ct_set_aips(&newp[0], "10.88.1.2/32", NULL);
		newp[0].persistent_keepalive = 21;
		ct_set_aips(&newp[1], "10.88.1.3/32", "10.89.0.0/24");
		ct_peer(&newp[2], "10.88.1.4/32", NULL);
		ct_peer(&newp[3], "10.88.1.5/32", NULL);

		assert_int_equal(contract_env.arm_fault(contract_env.ctx, which), 0);
		r = backend_apply_peers(contract_env.be, contract_env.ifname, newp, 4, &e);
		contract_env.clear_fault(contract_env.ctx);
		print_message("# fault %d: apply_peers -> %d %s\n", which, r, e.msg);
		assert_true(r < 0);
		assert_true(e.msg[0] != '\0');

		r = ct_get(&have);
		assert_int_equal(r, 0);
		for (size_t i = 0; i < have.n_peers; i++) {
			const struct dev_peer *h = &have.peers[i];
			bool known = false;
			for (int k = 0; k < 4; k++) {
				if (memcmp(h->public_key, newp[k].public_key, WG_KEY_LEN))
					continue;
				known = true;
				/* whole old or whole new, never a mixture or a placeholder */
				assert_true(ct_peer_matches(h, &newp[k]) ||
					    (k < 2 && ct_peer_matches(h, &oldp[k])));
			}
			assert_true(known || (h->flags & DEV_PEER_READONLY));
		}
		for (int k = 0; k < 2; k++)
			assert_non_null(ct_find(&have, oldp[k].public_key));
		dev_iface_release(&have);

		/* the retry converges */
		ct_apply_peers(newp, 4);
		assert_int_equal(ct_get(&have), 0);
		assert_int_equal(ct_own_peers(&have), 4);
		for (int k = 0; k < 4; k++)
			ct_assert_peer(&have, &newp[k]);
		dev_iface_release(&have);
		ct_peers_release(oldp, 2);
		ct_peers_release(newp, 4);
		dev_iface_release(&want);
		assert_int_equal(backend_delete_iface(contract_env.be, contract_env.ifname, &e), 0);
	}
}

/*
 * Read-only credentials on the same device: everything reads as it is, every write is refused
 * with -EACCES and a reason, nothing changes on the device, the backend stays reachable and
 * says it is read-only in its capabilities (at the latest after the first refused write).
 */
static void contract_readonly_key(void **state)
{
	struct backend *ro = contract_env.be_readonly;
	struct dev_iface want, have = { 0 }, want2;
	struct dev_peer p, p2, rm = { 0 };
	struct strv names = STRV_INIT;
	struct err e = { 0 };
	int r;

	(void)state;
	CT_SKIP_IF(!ro, "runner has no read-only credentials for this device");
	assert_false(backend_has_cap(contract_env.be, BACKEND_CAP_READONLY));
	ct_want_iface(&want, 51910, 1420, "10.97.0.1/24", NULL, true);
	ct_apply_iface(&want);
	ct_peer(&p, "10.97.0.2/32", NULL);
	ct_apply_peers(&p, 1);

	assert_int_equal(backend_list_ifaces(ro, &names, &e), 0);
	assert_true(strv_contains(&names, contract_env.ifname));
	strv_release(&names);
	assert_int_equal(backend_get_iface(ro, contract_env.ifname, &have, &e), 0);
	assert_int_equal(have.listen_port, 51910);
	assert_non_null(ct_find(&have, p.public_key));
	dev_iface_release(&have);

	/* every kind of write (a backend that cannot tell read-only credentials without writing,
	 * pfSense, learns it from the first refusal) */
	ct_want_iface(&want2, 51911, 1420, "10.97.0.1/24", NULL, true);
	r = backend_apply_iface(ro, &want2, &e);
	print_message("# read-only apply_iface: %d %s\n", r, e.msg);
	assert_int_equal(r, -EACCES);
	assert_true(e.msg[0] != '\0');
	ct_peer(&p2, "10.97.0.3/32", NULL);
	err_clear(&e);
	assert_int_equal(backend_apply_peers(ro, contract_env.ifname, &p2, 1, &e), -EACCES);
	assert_true(e.msg[0] != '\0');
	memcpy(rm.public_key, p.public_key, WG_KEY_LEN);
	rm.flags = DEV_PEER_REMOVE;
	assert_int_equal(backend_apply_peers(ro, contract_env.ifname, &rm, 1, &e), -EACCES);
	assert_int_equal(backend_delete_iface(ro, contract_env.ifname, &e), -EACCES);
	assert_true(ro->reachable);
	assert_true(backend_has_cap(ro, BACKEND_CAP_READONLY));

	/* nothing changed, as seen with the read+write credentials */
	assert_int_equal(ct_get(&have), 0);
	assert_int_equal(have.listen_port, 51910);
	assert_int_equal(ct_own_peers(&have), 1);
	ct_assert_peer(&have, &p);
	assert_null(ct_find(&have, p2.public_key));
	dev_iface_release(&have);
	/* and reading with the read-only credentials still works after the refusals */
	assert_int_equal(backend_get_iface(ro, contract_env.ifname, &have, &e), 0);
	dev_iface_release(&have);
	dev_peer_release(&p);
	dev_peer_release(&p2);
	dev_iface_release(&want);
	dev_iface_release(&want2);
}

/*
 * A device that cannot report peer statistics: peers read back with stats_valid false and no
 * made-up counters or handshakes (the API shows them as "not available", never 0 / "never").
 */
static void contract_stats_absent(void **state)
{
	struct backend *be = contract_env.be_nostats;
	struct dev_iface want, have = { 0 };
	struct dev_peer p;
	struct err e = { 0 };
	const struct dev_peer *h;
	int r;

	(void)state;
	if (!be && !backend_has_cap(contract_env.be, BACKEND_CAP_STATS_PEER))
		be = contract_env.be;
	CT_SKIP_IF(!be, "backend reports statistics and the runner has no device without");
	assert_false(backend_has_cap(be, BACKEND_CAP_STATS_PEER));
	(void)backend_delete_iface(be, contract_env.ifname, &e);
	ct_want_iface(&want, 51912, 1420, "10.98.0.1/24", NULL, true);
	r = backend_apply_iface(be, &want, &e);
	if (r < 0)
		print_message("# apply_iface: %d %s\n", r, e.msg);
	assert_int_equal(r, 0);
	ct_peer(&p, "10.98.0.2/32", NULL);
	r = backend_apply_peers(be, contract_env.ifname, &p, 1, &e);
	assert_int_equal(r, 0);
	assert_int_equal(backend_get_iface(be, contract_env.ifname, &have, &e), 0);
	h = ct_find(&have, p.public_key);
	assert_non_null(h);
	assert_false(h->stats_valid);
	assert_int_equal(h->rx_bytes, 0);
	assert_int_equal(h->tx_bytes, 0);
	assert_int_equal(h->last_handshake_sec, 0);
	dev_iface_release(&have);
	assert_int_equal(backend_delete_iface(be, contract_env.ifname, &e), 0);
	dev_peer_release(&p);
	dev_iface_release(&want);
}
