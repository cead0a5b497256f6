/* SPDX-License-Identifier: MIT */
/*
 * sync/: the healer's ifindex table (heal_seen.c), and sync/diff.c, the one differ (issue 11): which fields of an interface and of a peer a sync
 * writes. Backends only translate its verdict, so these cases decide, for every backend, that
 * an import writes nothing back (fields the device cannot report, fields the peer's mode does
 * not manage, labels), and that a real difference is always written.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backends/backend.h"
#include "model/cidr.h"
#include "model/keys.h"
#include "sync/heal_seen.h"
#include "sync/sync-int.h"

static void fill_key(uint8_t k[WG_KEY_LEN], uint8_t v)
{
	memset(k, v, WG_KEY_LEN);
}

static void add_ip(struct dev_peer *p, const char *cidr)
{
	struct ip_prefix *v = realloc(p->allowed_ips, (p->n_allowed_ips + 1) * sizeof(*v));

	assert_non_null(v);
	p->allowed_ips = v;
	assert_int_equal(ip_prefix_parse(cidr, true, &v[p->n_allowed_ips]), 0);
	p->n_allowed_ips++;
}

/* A stored peer as convert.c builds it: dialed (server/any mode) or not (client mode). */
static void want_peer(struct dev_peer *p, uint8_t key, bool dialed)
{
	memset(p, 0, sizeof(*p));
	fill_key(p->public_key, key);
	p->flags = DEV_PEER_REPLACE_ALLOWEDIPS | DEV_PEER_HAS_PSK;
	if (dialed)
		p->flags |= DEV_PEER_HAS_ENDPOINT | DEV_PEER_HAS_KEEPALIVE;
	add_ip(p, "10.0.0.2/32");
}

/* A peer as a device reports it. psk_shown: false for pfSense (sensitive field) and for a
 * RouterOS user without 'sensitive'. */
static void have_peer(struct dev_peer *p, uint8_t key, bool psk_shown)
{
	memset(p, 0, sizeof(*p));
	fill_key(p->public_key, key);
	p->flags = DEV_PEER_HAS_KEEPALIVE | DEV_PEER_HAS_ENDPOINT | (psk_shown ? DEV_PEER_HAS_PSK : 0);
	add_ip(p, "10.0.0.2/32");
}

/* Items 2 and 3: an imported peer the store holds with an empty PSK and no keepalive, on a
 * device that shows a keepalive of 25 s and hides its PSK (pfSense) or shows both (RouterOS):
 * nothing to write when the mode does not manage keepalive/endpoint. */
static void test_diff__import_writes_nothing(void **state)
{
	struct dev_peer w, h;

	(void)state;
	want_peer(&w, 1, false);
	have_peer(&h, 1, false);
	h.persistent_keepalive = 25;
	snprintf(h.endpoint, sizeof(h.endpoint), "198.51.100.9:51820");
	fill_key(h.preshared_key, 7); /* pfSense would not even report it */
	assert_int_equal(sync_diff_peer(&w, &h), 0);
	dev_peer_release(&h);
	/* RouterOS shows the PSK: a different one is a change, the keepalive still is not */
	have_peer(&h, 1, true);
	h.persistent_keepalive = 25;
	assert_int_equal(sync_diff_peer(&w, &h), 0);
	fill_key(h.preshared_key, 7);
	assert_int_equal(sync_diff_peer(&w, &h), DEV_PEER_CH_PSK);
	dev_peer_release(&h);
	dev_peer_release(&w);
}

/* A peer we dial: its endpoint and keepalive are the store's, and differences are written. */
static void test_diff__dialed_peer(void **state)
{
	struct dev_peer w, h;

	(void)state;
	want_peer(&w, 2, true);
	w.persistent_keepalive = 15;
	snprintf(w.endpoint, sizeof(w.endpoint), "[2001:db8::5]:51822");
	have_peer(&h, 2, true);
	h.persistent_keepalive = 15;
	snprintf(h.endpoint, sizeof(h.endpoint), "[2001:DB8:0::5]:51822");
	assert_int_equal(sync_diff_peer(&w, &h), 0);
	h.persistent_keepalive = 25;
	assert_int_equal(sync_diff_peer(&w, &h), DEV_PEER_CH_KEEPALIVE);
	h.persistent_keepalive = 15;
	/* item 9: a name never equals the address the device resolved it to */
	snprintf(w.endpoint, sizeof(w.endpoint), "vpn.example.com:51822");
	assert_int_equal(sync_diff_peer(&w, &h), DEV_PEER_CH_ENDPOINT);
	snprintf(h.endpoint, sizeof(h.endpoint), "VPN.example.com.:51822");
	assert_int_equal(sync_diff_peer(&w, &h), 0);
	/* the port counts */
	snprintf(h.endpoint, sizeof(h.endpoint), "vpn.example.com:51820");
	assert_int_equal(sync_diff_peer(&w, &h), DEV_PEER_CH_ENDPOINT);
	/* a device that does not report the endpoint: nothing to compare */
	h.flags &= ~(unsigned)DEV_PEER_HAS_ENDPOINT;
	assert_int_equal(sync_diff_peer(&w, &h), 0);
	dev_peer_release(&h);
	dev_peer_release(&w);
}

static void test_diff__allowed_ips_and_disabled(void **state)
{
	struct dev_peer w, h;

	(void)state;
	want_peer(&w, 3, false);
	add_ip(&w, "192.168.1.0/24");
	/* want arrives normalised (sync_plan_peers): networks, sorted */
	qsort(w.allowed_ips, w.n_allowed_ips, sizeof(*w.allowed_ips), ip_prefix_cmp);
	have_peer(&h, 3, true);
	add_ip(&h, "192.168.1.7/24"); /* host bits: the same network */
	/* order does not matter */
	{
		struct ip_prefix t = h.allowed_ips[0];
		h.allowed_ips[0] = h.allowed_ips[1];
		h.allowed_ips[1] = t;
	}
	assert_int_equal(sync_diff_peer(&w, &h), 0);
	add_ip(&h, "192.168.2.0/24");
	h.flags |= DEV_PEER_DISABLED;
	assert_int_equal(sync_diff_peer(&w, &h), DEV_PEER_CH_ALLOWEDIPS | DEV_PEER_CH_DISABLED);
	dev_peer_release(&h);
	dev_peer_release(&w);
}

/* A user's change is diffed against the stored peer before it: the name (a label) only here,
 * a PSK set where there was none, and what a mode change hands over to wgportal. */
static void test_diff__user_change(void **state)
{
	struct dev_peer b, a;

	(void)state;
	want_peer(&b, 4, false);
	want_peer(&a, 4, false);
	assert_int_equal(sync_diff_peer_change(&b, &a), 0);
	a.name = strdup("laptop");
	assert_int_equal(sync_diff_peer_change(&b, &a), DEV_PEER_CH_NAME);
	fill_key(a.preshared_key, 9);
	assert_int_equal(sync_diff_peer_change(&b, &a), DEV_PEER_CH_NAME | DEV_PEER_CH_PSK);
	dev_peer_release(&a);
	/* turned into a peer we dial: endpoint and keepalive become ours */
	want_peer(&a, 4, true);
	assert_int_equal(sync_diff_peer_change(&b, &a),
			 DEV_PEER_CH_ENDPOINT | DEV_PEER_CH_KEEPALIVE);
	dev_peer_release(&a);
	dev_peer_release(&b);
}

/* A change made on another cluster node (no "before" here): diffed against the device, with
 * the user's label, and a hidden PSK written only when the store knows one. */
static void test_diff__elsewhere(void **state)
{
	struct dev_peer w, h;

	(void)state;
	want_peer(&w, 7, false);
	have_peer(&h, 7, false); /* pfSense: PSK hidden */
	h.persistent_keepalive = 25;
	assert_int_equal(sync_diff_peer_elsewhere(&w, &h), 0); /* imported, unknown PSK */
	w.name = strdup("laptop");
	assert_int_equal(sync_diff_peer_elsewhere(&w, &h), DEV_PEER_CH_NAME);
	h.name = strdup("laptop");
	fill_key(w.preshared_key, 3);
	assert_int_equal(sync_diff_peer_elsewhere(&w, &h), DEV_PEER_CH_PSK);
	dev_peer_release(&h);
	have_peer(&h, 7, true); /* RouterOS shows it: compared */
	h.name = strdup("laptop");
	fill_key(h.preshared_key, 3);
	assert_int_equal(sync_diff_peer_elsewhere(&w, &h), 0);
	dev_peer_release(&h);
	dev_peer_release(&w);
}

/* A full sync's plan: changed and missing peers, removals of peers the store does not hold,
 * never a read-only (dynamic) one. */
static void test_diff__plan(void **state)
{
	struct dev_iface want = { 0 }, have = { 0 };
	struct dev_peer *p, *plan = NULL;
	size_t n = 0;
	unsigned seen = 0;

	(void)state;
	assert_int_equal(dev_iface_add_peer(&want, &p), 0);
	want_peer(p, 1, false);          /* same as on the device */
	assert_int_equal(dev_iface_add_peer(&want, &p), 0);
	want_peer(p, 2, false);          /* missing there */
	assert_int_equal(dev_iface_add_peer(&want, &p), 0);
	want_peer(p, 5, false);          /* a dynamic peer there: left alone */
	add_ip(p, "10.9.9.9/32");
	assert_int_equal(dev_iface_add_peer(&have, &p), 0);
	have_peer(p, 1, false);
	p->persistent_keepalive = 25;
	assert_int_equal(dev_iface_add_peer(&have, &p), 0);
	have_peer(p, 3, false);          /* not stored: removed */
	assert_int_equal(dev_iface_add_peer(&have, &p), 0);
	have_peer(p, 5, false);
	p->flags |= DEV_PEER_READONLY;
	assert_int_equal(dev_iface_add_peer(&have, &p), 0);
	have_peer(p, 6, false);          /* a dynamic peer not stored: left alone */
	p->flags |= DEV_PEER_READONLY;

	assert_int_equal(sync_plan_peers(&want, &have, &plan, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		if (plan[i].public_key[0] == 2) {
			assert_int_equal(plan[i].changes, DEV_PEER_CH_ALL);
			assert_false(plan[i].flags & DEV_PEER_REMOVE);
			seen |= 1;
		} else if (plan[i].public_key[0] == 3) {
			assert_true(plan[i].flags & DEV_PEER_REMOVE);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	free(plan);
	dev_iface_release(&want);
	dev_iface_release(&have);
}

/* Interfaces: only the fields that differ stay flagged; the link state is always the store's
 * to decide (flagged when it differs, even though want never flags it itself); a label only
 * when a user changed it. */
static void test_diff__iface(void **state)
{
	struct dev_iface want = { 0 }, have = { 0 }, before = { 0 };
	uint8_t priv[WG_KEY_LEN];

	(void)state;
	key_generate_private(priv);
	memcpy(want.private_key, priv, WG_KEY_LEN);
	want.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU |
		     DEV_IFACE_HAS_ADDRESSES | DEV_IFACE_HAS_ROUTES;
	want.listen_port = 51820;
	want.mtu = 1420;
	want.up = true;
	want.comment = strdup("office");
	have.listen_port = 51820;
	have.mtu = 1420;
	have.up = true;
	have.comment = strdup("imported name");
	/* the device hides the private key and shows the matching public key */
	assert_int_equal(key_public_from_private(have.public_key, priv), 0);
	sync_diff_iface(&want, &have, NULL);
	assert_int_equal(want.flags, DEV_IFACE_HAS_ROUTES);
	assert_false(sync_iface_changes(&want));

	/* disabled by a user: the link state is written */
	want.flags = DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU;
	want.up = false;
	sync_diff_iface(&want, &have, NULL);
	assert_int_equal(want.flags, DEV_IFACE_HAS_LINK);
	assert_true(sync_iface_changes(&want));

	/* a renamed interface: its comment follows, and the port that differs */
	want.flags = DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU;
	want.up = true;
	want.listen_port = 51821;
	before.comment = (char *)"old name";
	sync_diff_iface(&want, &have, &before);
	assert_int_equal(want.flags, DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_COMMENT);
	before.comment = (char *)"office";
	want.flags = DEV_IFACE_HAS_LISTEN_PORT;
	sync_diff_iface(&want, &have, &before);
	assert_int_equal(want.flags, DEV_IFACE_HAS_LISTEN_PORT);

	/* a device key that differs */
	want.flags = DEV_IFACE_HAS_PRIVATE_KEY;
	want.listen_port = 51820;
	key_generate_private(want.private_key);
	sync_diff_iface(&want, &have, NULL);
	assert_int_equal(want.flags, DEV_IFACE_HAS_PRIVATE_KEY);
	dev_iface_release(&want);
	dev_iface_release(&have);
}

/* The healer watches every interface: it used to keep 256 in a fixed table, and a link
 * re-created beyond those was never healed. */
static void test_heal_seen__no_limit(void **state)
{
	struct heal_seen_table t = HEAL_SEEN_INIT;
	char id[32];

	(void)state;
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "wg%d", (i * 7919) % 3000); /* not in order */
		assert_int_equal(heal_seen_peek(&t, id, 100 + (i * 7919) % 3000), 100 + (i * 7919) % 3000);
	}
	assert_int_equal(t.n, 3000);
	for (size_t i = 1; i < t.n; i++)
		assert_true(strcmp(t.v[i - 1].id, t.v[i].id) < 0);
	/* wg2999 re-created (new ifindex): the table still has the old one, until a re-sync */
	assert_int_equal(heal_seen_peek(&t, "wg2999", 9999), 100 + 2999);
	heal_seen_set(&t, "wg2999", 9999);
	assert_int_equal(heal_seen_peek(&t, "wg2999", 9999), 9999);
	/* a sweep: what was neither looked at nor kept is forgotten */
	heal_seen_prune(&t);
	assert_int_equal(heal_seen_peek(&t, "wg5", 105), 105);
	heal_seen_keep(&t, "wg6");
	heal_seen_keep(&t, "not-there");
	heal_seen_prune(&t);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.v[0].id, "wg5");
	assert_string_equal(t.v[1].id, "wg6");
	heal_seen_free(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heal_seen__no_limit),
		cmocka_unit_test(test_diff__import_writes_nothing),
		cmocka_unit_test(test_diff__dialed_peer),
		cmocka_unit_test(test_diff__allowed_ips_and_disabled),
		cmocka_unit_test(test_diff__user_change),
		cmocka_unit_test(test_diff__elsewhere),
		cmocka_unit_test(test_diff__plan),
		cmocka_unit_test(test_diff__iface),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
