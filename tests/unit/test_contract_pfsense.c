/* SPDX-License-Identifier: MIT */
/*
 * The backend contract suite (tests/backends/contract.c) against the pfSense backend talking to
 * the pfrest v2 simulator (tests/sim/pfsense_sim.py, started here on ephemeral loopback ports,
 * all over HTTPS with self-signed certificates), plus pfSense-specific cases: package 2.8.0
 * without statistics and 2.9.0 with
 * them, a read-only API key, ids that shift after a delete, one apply per batch reported only
 * after it ran, an apply that failed and is owed, private keys that are never returned,
 * write-only preshared keys, recovery after the firewall was down at start, and the number of
 * REST calls against wg-portal's sequence (spec/pfsense-rest.md 6). The simulator's control
 * API (/__sim/...) is driven with libcurl, its state read with jansson.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#include "../backends/contract.c"

#include "backends/pfsense/pfsense.h"
#include "config/config.h"
#include "util/log.h"

#define CONCURRENCY 3
#define KEY_RW "sim-key-rw"
#define KEY_RO "sim-key-ro"

#define SIM_SCRIPT "tests/sim/pfsense_sim.py"
#define SIM_ALWAYS_HTTPS
#include "../backends/sim_proc.c"

static struct sim sim_main;
static struct cfg_backend cfg_main;

/* GET /__sim/state as JSON (caller decrefs). */
static json_t *sim_state(const struct sim *s)
{
	char *body = sim_ctl(s, "GET", "/__sim/state", NULL);
	json_t *j;

	assert_non_null(body);
	j = json_loads(body, 0, NULL);
	free(body);
	assert_non_null(j);
	return j;
}

/* The peer with public key pub in state[where] ("peers" of the config, or of applied_state
 * when applied is true); borrowed from st, NULL when absent. */
static json_t *state_peer(json_t *st, bool applied, const uint8_t pub[static WG_KEY_LEN])
{
	char b64[WG_KEY_B64_SIZE];
	json_t *root = applied ? json_object_get(st, "applied_state") : st, *peers, *p;
	size_t i;

	key_to_base64(b64, pub);
	if (!root || json_is_null(root))
		return NULL;
	peers = json_object_get(root, "peers");
	json_array_foreach(peers, i, p) {
		if (!strcmp(json_string_value(json_object_get(p, "publickey")) ?: "", b64))
			return p;
	}
	return NULL;
}

static json_t *state_tunnel(json_t *st, bool applied, const char *name)
{
	json_t *root = applied ? json_object_get(st, "applied_state") : st, *t;
	size_t i;

	if (!root || json_is_null(root))
		return NULL;
	json_array_foreach(json_object_get(root, "tunnels"), i, t) {
		if (!strcmp(json_string_value(json_object_get(t, "name")) ?: "", name))
			return t;
	}
	return NULL;
}

static long state_int(json_t *st, const char *field)
{
	return (long)json_integer_value(json_object_get(st, field));
}

static void cfg_fill(struct cfg_backend *c, const char *id, int port, bool https,
		     const char *key)
{
	char url[128];

	memset(c, 0, sizeof(*c));
	c->type = CFG_BACKEND_PFSENSE;
	c->id = strdup(id);
	c->display_name = strdup(id);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", https ? "https" : "http", port);
	/* self-signed simulator certificate (verification itself is tested for MikroTik on the
	 * same shared HTTPS client) */
	c->api_url = strdup(url);
	c->api_key = strdup(key);
	c->api_verify_tls = false;
	c->api_timeout_ms = 5000;
	c->concurrency = CONCURRENCY;
	/* CT_DEBUG=1: the backend logs its requests (method, path, status; never secrets) */
	if (getenv("CT_DEBUG")) {
		c->debug = !strcmp(getenv("CT_DEBUG"), "1") || !strcmp(getenv("CT_DEBUG"), "3");
		if (!strcmp(getenv("CT_DEBUG"), "1") || !strcmp(getenv("CT_DEBUG"), "2"))
			log_set_level(LOG_LVL_DEBUG);
	}
}

static void cfg_free(struct cfg_backend *c)
{
	free(c->id);
	free(c->display_name);
	free(c->api_url);
	free(c->api_key);
	memset(c, 0, sizeof(*c));
}

/* ---- fault injection for the contract ---------------------------------------------------- */

static int pf_arm_fault(void *ctx, int which)
{
	const struct sim *s = ctx;
	char *r;

	/* 0: the first peer create answers 500 (nothing written); 1: the answer to the first
	 * peer update breaks off after pfSense wrote it (the client cannot know). Either way
	 * the batch stops, what was (or may have been) written is applied, a retry converges.
	 * (A connection dropped before pfSense saw a request is re-sent by libcurl on a reused
	 * connection and succeeds; a duplicate create would be refused: keys are unique.) */
	r = sim_ctl(s, "POST", "/__sim/fault",
		    which == 0 ? "{\"match\":\"/vpn/wireguard/peer\",\"method\":\"POST\","
				 "\"kind\":\"status\",\"status\":500,\"count\":1}"
			       : "{\"match\":\"/vpn/wireguard/peer\",\"method\":\"PATCH\","
				 "\"kind\":\"truncate\",\"count\":1}");
	if (!r)
		return -EIO;
	free(r);
	return 0;
}

static void pf_clear_fault(void *ctx)
{
	char *r;

	r = sim_ctl(ctx, "POST", "/__sim/faults/clear", "{}");

	free(r);
}

/* The preshared key the firewall runs for a peer (the applied state of the simulator): the
 * contract compares it, as pfSense never returns it. */
static int pf_read_psk(void *ctx, const char *ifname, const uint8_t pub[WG_KEY_LEN],
		       uint8_t out[WG_KEY_LEN])
{
	json_t *st = sim_state(ctx), *p = state_peer(st, true, pub);
	const char *k = p ? json_string_value(json_object_get(p, "presharedkey")) : NULL;
	int r = -ENOENT;

	if (k && p && !strcmp(json_string_value(json_object_get(p, "tun")) ?: "", ifname)) {
		memset(out, 0, WG_KEY_LEN);
		r = *k ? key_from_base64(out, k) : 0;
	}
	json_decref(st);
	return r;
}

/* ---- helpers for the pfSense cases -------------------------------------------------------- */

static struct backend *pf_register(struct cfg_backend *c, struct err *e)
{
	int r = backend_register(&backend_pfsense, c->id, c->display_name, c, e);

	if (r < 0)
		return NULL;
	return backend_find(c->id);
}

static void mk_iface(struct backend *be, const char *name, const char *addr, uint16_t port)
{
	struct dev_iface d = { 0 };
	struct err e = { 0 };
	int r;

	snprintf(d.name, sizeof(d.name), "%s", name);
	key_generate_private(d.private_key);
	d.listen_port = port;
	d.up = true;
	d.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT;
	if (addr) {
		d.addresses = calloc(1, sizeof(*d.addresses));
		assert_non_null(d.addresses);
		ct_pfx(&d.addresses[0], addr);
		d.n_addresses = 1;
		d.flags |= DEV_IFACE_HAS_ADDRESSES;
	}
	r = backend_apply_iface(be, &d, &e);
	if (r < 0)
		print_message("# mk_iface: %s\n", e.msg);
	assert_int_equal(r, 0);
	dev_iface_release(&d);
}

static void del_iface(struct backend *be, const char *name)
{
	struct err e = { 0 };

	(void)backend_delete_iface(be, name, &e);
}

static void apply_ok(struct backend *be, const char *name, const struct dev_peer *p, size_t n)
{
	struct err e = { 0 };
	int r = backend_apply_peers(be, name, p, n, &e);

	if (r < 0)
		print_message("# apply_peers: %d %s\n", r, e.msg);
	assert_int_equal(r, 0);
}

static struct sim sim_stats, sim_ro, sim_down, sim_faults, sim_nostats;
static struct cfg_backend cfg_stats, cfg_ro, cfg_ro_rw, cfg_down, cfg_faults, cfg_main_ro,
	cfg_nostats, cfg_suffix;

/* ---- pfSense cases ------------------------------------------------------------------------ */

static void pf_implementation(void **state)
{
	struct backend *be = contract_env.be;

	(void)state;
	print_message("# implementation: %s\n", be->implementation);
	assert_non_null(strstr(be->implementation, "pfSense REST API v2"));
	assert_non_null(strstr(be->implementation, "statistics: yes"));
	assert_true(be->reachable);
	assert_int_equal(be->caps, BACKEND_CAP_CREATE_IFACE | BACKEND_CAP_PSK |
				       BACKEND_CAP_ADDRESSES | BACKEND_CAP_MTU |
				       BACKEND_CAP_DISABLED_PEERS | BACKEND_CAP_PSK_WRITE_ONLY |
				       BACKEND_CAP_PRIVKEY_HIDDEN | BACKEND_CAP_STATS_PEER);
	assert_false(backend_has_cap(be, BACKEND_CAP_HOOKS));
	assert_false(backend_has_cap(be, BACKEND_CAP_READONLY));
	/* the variants of the contract: package 2.8.0, and a read-only key */
	be = contract_env.be_nostats;
	print_message("# without status endpoint: %s\n", be->implementation);
	assert_non_null(strstr(be->implementation, "statistics: no"));
	assert_false(backend_has_cap(be, BACKEND_CAP_STATS_PEER));
	/* a read-only key is not probed with a write at open (a start that imports sends no
	 * write): it is learnt from the first refused write (pf_readonly_key) */
	be = contract_env.be_readonly;
	assert_false(backend_has_cap(be, BACKEND_CAP_READONLY));
	assert_true(be->reachable);
}

/* Package 2.8.0 has no status endpoint: statistics are marked unknown, not zero. */
static void pf_no_statistics(void **state)
{
	struct backend *be = contract_env.be_nostats;
	struct dev_iface have = { 0 };
	struct dev_peer p;
	struct err e = { 0 };

	(void)state;
	mk_iface(be, "tun_wg0", "10.120.0.1/24", 51920);
	ct_peer(&p, "10.120.0.2/32", NULL);
	apply_ok(be, "tun_wg0", &p, 1);
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	assert_int_equal(have.n_peers, 1);
	assert_false(have.peers[0].stats_valid);
	assert_int_equal(have.peers[0].rx_bytes, 0);
	dev_iface_release(&have);
	dev_peer_release(&p);
	del_iface(be, "tun_wg0");
}

/* Package 2.9.0: the status endpoint is found at open and feeds rx/tx/handshake/endpoint. */
static void pf_statistics(void **state)
{
	struct backend *be;
	struct dev_iface have = { 0 };
	struct dev_peer p[2];
	struct err e = { 0 };
	char b64[WG_KEY_B64_SIZE], ctl[256];
	const char *extra[] = { "--pkg-version", "2.9.0", "--wg-enable", NULL };
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(sim_start(&sim_stats, 0, extra), 0);
	cfg_fill(&cfg_stats, "pfstats", sim_stats.port, true, KEY_RW);
	be = pf_register(&cfg_stats, &e);
	assert_non_null(be);
	print_message("# implementation: %s\n", be->implementation);
	assert_non_null(strstr(be->implementation, "statistics: yes"));
	assert_true(backend_has_cap(be, BACKEND_CAP_STATS_PEER));

	mk_iface(be, "tun_wg0", "10.121.0.1/24", 51921);
	ct_peer(&p[0], "10.121.0.2/32", NULL);
	ct_peer(&p[1], "10.121.0.3/32", NULL);
	apply_ok(be, "tun_wg0", p, 2);
	key_to_base64(b64, p[0].public_key);
	snprintf(ctl, sizeof(ctl),
		 "{\"publickey\":\"%s\",\"transfer_rx\":1234,\"transfer_tx\":5678,"
		 "\"latest_handshake\":%ld,\"endpoint\":\"198.51.100.9:40000\"}", b64, (long)now);
	sim_post(&sim_stats, "/__sim/peer-status", ctl);

	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	{
		const struct dev_peer *h = ct_find(&have, p[0].public_key);
		const struct dev_peer *h1 = ct_find(&have, p[1].public_key);
		assert_non_null(h);
		assert_non_null(h1);
		assert_true(h->stats_valid);
		assert_int_equal(h->rx_bytes, 1234);
		assert_int_equal(h->tx_bytes, 5678);
		assert_int_equal(h->last_handshake_sec, now);
		assert_string_equal(h->current_endpoint, "198.51.100.9:40000");
		assert_string_equal(h->endpoint, ""); /* seen, not configured */
		assert_true(h1->stats_valid);
		assert_int_equal(h1->last_handshake_sec, 0);
		assert_int_equal(h1->rx_bytes, 0);
	}
	dev_iface_release(&have);
	ct_peers_release(p, 2);
	sim_stop(&sim_stats);
}

/* A read-only key: reading works, every write is -EACCES naming core.restore_state, and
 * nothing reaches the firewall's config. Opening sends no write; the first write is refused
 * by pfSense (403), the later ones by wgportal without a request. */
static void pf_readonly_key(void **state)
{
	struct backend *be, *rw;
	struct dev_iface d = { 0 }, have = { 0 };
	struct dev_peer p;
	struct strv names = STRV_INIT;
	struct err e = { 0 };
	char path[600];
	const char *extra[] = { "--keys", path, NULL };
	FILE *f;
	json_t *st;
	int r;

	(void)state;
	snprintf(path, sizeof(path), "%s/keys.json", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"ro-key\":{\"privileges\":[\"read\"]},\"rw-key\":{\"privileges\":[\"read\","
	      "\"write\"]}}", f);
	fclose(f);
	assert_int_equal(sim_start(&sim_ro, 0, extra), 0);
	/* a tunnel made with the read+write key, so there is something to read */
	cfg_fill(&cfg_ro_rw, "pfrw", sim_ro.port, true, "rw-key");
	rw = pf_register(&cfg_ro_rw, &e);
	assert_non_null(rw);
	assert_false(backend_has_cap(rw, BACKEND_CAP_READONLY));
	mk_iface(rw, "tun_wg0", "10.122.0.1/24", 51922);

	cfg_fill(&cfg_ro, "pfro", sim_ro.port, true, "ro-key");
	sim_post(&sim_ro, "/__sim/stats/reset", "{}");
	be = pf_register(&cfg_ro, &e);
	assert_non_null(be);
	assert_true(be->reachable);
	assert_false(backend_has_cap(be, BACKEND_CAP_READONLY));
	assert_int_equal(sim_writes(&sim_ro), 0);
	assert_int_equal(backend_list_ifaces(be, &names, &e), 0);
	assert_true(strv_contains(&names, "tun_wg0"));
	strv_release(&names);
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	dev_iface_release(&have);

	ct_want_iface(&d, 51923, 1420, "10.123.0.1/24", NULL, true);
	snprintf(d.name, sizeof(d.name), "tun_wg4");
	r = backend_apply_iface(be, &d, &e);
	print_message("# %s\n", e.msg);
	assert_int_equal(r, -EACCES);
	assert_non_null(strstr(e.msg, "read-only"));
	assert_non_null(strstr(e.msg, "core.restore_state: false"));
	assert_non_null(strstr(e.msg, "'pfro'"));
	assert_null(strstr(e.msg, "ro-key"));
	assert_true(backend_has_cap(be, BACKEND_CAP_READONLY));
	print_message("# read-only: %s | %s\n", be->implementation, be->last_error);
	assert_non_null(strstr(be->last_error, "core.restore_state"));
	sim_post(&sim_ro, "/__sim/stats/reset", "{}");
	ct_peer(&p, "10.122.0.2/32", NULL);
	assert_int_equal(backend_apply_peers(be, "tun_wg0", &p, 1, &e), -EACCES);
	assert_int_equal(backend_delete_iface(be, "tun_wg0", &e), -EACCES);
	assert_int_equal(backend_delete_iface(be, "tun_wg9", &e), -ENOENT);
	/* the refusals came from us: no write request was sent */
	{
		json_t *stats;
		char *body = sim_ctl(&sim_ro, "GET", "/__sim/stats", NULL);
		assert_non_null(body);
		stats = json_loads(body, 0, NULL);
		free(body);
		assert_non_null(stats);
		char *dump = json_dumps(json_object_get(stats, "by_method"), JSON_COMPACT);
		print_message("# by_method after refused writes: %s\n", dump ? dump : "?");
		free(dump);
		assert_null(json_object_get(json_object_get(stats, "by_method"), "POST"));
		assert_null(json_object_get(json_object_get(stats, "by_method"), "PATCH"));
		assert_null(json_object_get(json_object_get(stats, "by_method"), "DELETE"));
		json_decref(stats);
	}
	st = sim_state(&sim_ro);
	assert_int_equal(json_array_size(json_object_get(st, "tunnels")), 1);
	assert_int_equal(json_array_size(json_object_get(st, "peers")), 0);
	json_decref(st);

	/* the read+write key loses its write privilege while we run: the first refused write
	 * is recognised, reported the same way, and the backend turns read-only */
	sim_post(&sim_ro, "/__sim/config",
		 "{\"keys\":{\"ro-key\":{\"privileges\":[\"read\"]},"
		 "\"rw-key\":{\"privileges\":[\"read\"]}}}");
	r = backend_apply_peers(rw, "tun_wg0", &p, 1, &e);
	print_message("# refused write: %s\n", e.msg);
	assert_int_equal(r, -EACCES);
	assert_non_null(strstr(e.msg, "core.restore_state"));
	assert_true(backend_has_cap(rw, BACKEND_CAP_READONLY));
	assert_int_equal(backend_get_iface(rw, "tun_wg0", &have, &e), 0);
	dev_iface_release(&have);
	dev_peer_release(&p);
	dev_iface_release(&d);
	sim_stop(&sim_ro);
}

/* Down at start: registered as unreachable (wgportal starts), works once it is back. */
static void pf_unreachable_at_start(void **state)
{
	struct backend *be;
	struct dev_iface have = { 0 };
	struct err e = { 0 };
	struct strv names = STRV_INIT;

	int port = sim_free_port();

	(void)state;
	assert_true(port > 0);
	cfg_fill(&cfg_down, "pfdown", port, true, KEY_RW);
	assert_int_equal(backend_register(&backend_pfsense, "pfdown", "pfdown", &cfg_down, &e), 0);
	be = backend_find("pfdown");
	assert_non_null(be);
	assert_false(be->reachable);
	print_message("# down at start: %s\n", be->last_error);
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), -EHOSTUNREACH);

	assert_int_equal(sim_start(&sim_down, port, NULL), 0);
	assert_int_equal(backend_list_ifaces(be, &names, &e), 0);
	assert_true(be->reachable);
	strv_release(&names);
	mk_iface(be, "tun_wg0", "10.124.0.1/24", 51924);
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	dev_iface_release(&have);

	/* down while running (simulated outage): clean error, then back */
	sim_post(&sim_down, "/__sim/down", "{\"down\":true}");
	assert_true(backend_get_iface(be, "tun_wg0", &have, &e) < 0);
	print_message("# while down: %s\n", e.msg);
	sim_post(&sim_down, "/__sim/down", "{\"down\":false}");
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	dev_iface_release(&have);
	sim_stop(&sim_down);
}

/* The private key is never returned; wgportal keeps its own copy and the public key proves
 * the firewall holds it, so re-applying the same key writes nothing. */
static void pf_private_key_hidden(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_iface d = { 0 }, have = { 0 };
	struct err e = { 0 };
	uint8_t pub[WG_KEY_LEN];
	json_t *st;

	(void)state;
	del_iface(be, "tun_wg0");
	snprintf(d.name, sizeof(d.name), "tun_wg0");
	key_generate_private(d.private_key);
	d.listen_port = 51925;
	d.up = true;
	d.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT;
	assert_int_equal(backend_apply_iface(be, &d, &e), 0);
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	assert_false(have.flags & DEV_IFACE_HAS_PRIVATE_KEY);
	assert_true(key_is_zero(have.private_key));
	assert_int_equal(key_public_from_private(pub, d.private_key), 0);
	assert_memory_equal(have.public_key, pub, WG_KEY_LEN);
	dev_iface_release(&have);

	/* sync compares the public key and flags nothing: one GET, no write */
	d.flags = 0;
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_apply_iface(be, &d, &e), 0);
	assert_int_equal(sim_stat(&sim_main, "requests"), 1);

	/* a new key is written */
	d.flags = DEV_IFACE_HAS_PRIVATE_KEY;
	key_generate_private(d.private_key);
	assert_int_equal(backend_apply_iface(be, &d, &e), 0);
	assert_int_equal(key_public_from_private(pub, d.private_key), 0);
	st = sim_state(&sim_main);
	{
		char b64[WG_KEY_B64_SIZE];
		key_to_base64(b64, pub);
		assert_string_equal(json_string_value(json_object_get(
					    state_tunnel(st, true, "tun_wg0"), "publickey")),
				    b64);
	}
	json_decref(st);
	dev_iface_release(&d);
	del_iface(be, "tun_wg0");
}

/* Preshared keys are hidden: never reported (so sync never writes one back), written when the
 * change mask says so, cleared with "". */
static void pf_psk_write_only(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_iface have = { 0 };
	struct dev_peer p;
	struct err e = { 0 };
	char b64[WG_KEY_B64_SIZE];
	json_t *st;

	(void)state;
	mk_iface(be, "tun_wg0", "10.126.0.1/24", 51926);
	ct_peer(&p, "10.126.0.2/32", NULL);
	key_generate_psk(p.preshared_key);
	apply_ok(be, "tun_wg0", &p, 1);
	st = sim_state(&sim_main);
	key_to_base64(b64, p.preshared_key);
	assert_string_equal(json_string_value(json_object_get(state_peer(st, true, p.public_key),
							      "presharedkey")), b64);
	json_decref(st);
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	assert_true(key_is_zero(have.peers[0].preshared_key));
	assert_false(have.peers[0].flags & DEV_PEER_HAS_PSK);
	dev_iface_release(&have);

	p.changes = 0; /* what sync sends for an unchanged peer: read ids, write nothing */
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	apply_ok(be, "tun_wg0", &p, 1);
	assert_int_equal(sim_stat(&sim_main, "requests"), 2);

	memset(p.preshared_key, 0, WG_KEY_LEN);
	p.changes = DEV_PEER_CH_PSK;
	apply_ok(be, "tun_wg0", &p, 1);
	st = sim_state(&sim_main);
	assert_string_equal(json_string_value(json_object_get(state_peer(st, true, p.public_key),
							      "presharedkey")), "");
	json_decref(st);
	dev_peer_release(&p);
	del_iface(be, "tun_wg0");
}

/* Ids are array positions: after someone else deletes a peer, our next write must hit the
 * right object; one batch that deletes and updates lands every change on its own peer. */
static void pf_ids_shift(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_peer p[4], rm = { 0 };
	struct err e = { 0 };
	json_t *st, *o;
	char *r;

	(void)state;
	mk_iface(be, "tun_wg0", "10.127.0.1/24", 51927);
	ct_peer(&p[0], "10.127.0.2/32", NULL);
	ct_peer(&p[1], "10.127.0.3/32", NULL);
	ct_peer(&p[2], "10.127.0.4/32", NULL);
	ct_peer(&p[3], "10.127.0.5/32", NULL);
	apply_ok(be, "tun_wg0", p, 4);

	/* another client deletes the first peer (id 0): everybody else moves down by one */
	{
		CURL *c = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL, "X-API-Key: " KEY_RW);
		char url[160];
		long status = 0;
		st = sim_state(&sim_main);
		o = state_peer(st, false, p[0].public_key);
		assert_non_null(o);
		snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/v2/vpn/wireguard/peer?id=%lld",
			 sim_main.port, (long long)json_integer_value(json_object_get(o, "id")));
		json_decref(st);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rb_write);
		{
			struct rbuf b = { 0 };
			curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
			assert_int_equal(curl_easy_perform(c), CURLE_OK);
			free(b.p);
		}
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		assert_int_equal(status, 200);
		curl_easy_cleanup(c);
		curl_slist_free_all(h);
	}
	/* one batch: update p[2], delete p[1], update p[3] */
	ct_set_aips(&p[2], "10.127.1.4/32", NULL);
	p[3].persistent_keepalive = 33;
	memcpy(rm.public_key, p[1].public_key, WG_KEY_LEN);
	rm.flags = DEV_PEER_REMOVE;
	{
		struct dev_peer batch[3] = { p[2], rm, p[3] };
		apply_ok(be, "tun_wg0", batch, 3);
	}
	st = sim_state(&sim_main);
	assert_null(state_peer(st, false, p[0].public_key));
	assert_null(state_peer(st, false, p[1].public_key));
	o = state_peer(st, true, p[2].public_key);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(o, "allowedips"), 0), "address")),
			    "10.127.1.4");
	assert_int_equal(json_array_size(json_object_get(o, "allowedips")), 1);
	assert_true(json_is_null(json_object_get(o, "persistentkeepalive")));
	o = state_peer(st, true, p[3].public_key);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "persistentkeepalive")), 33);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(o, "allowedips"), 0), "address")),
			    "10.127.0.5");
	assert_int_equal(json_array_size(json_object_get(json_object_get(st, "applied_state"),
							  "peers")),
			 2);
	json_decref(st);
	r = NULL;
	(void)r;
	(void)e;
	ct_peers_release(p, 4);
	del_iface(be, "tun_wg0");
}

/* A batch is applied once, at its end, and success comes only after the apply ran (with a
 * slow apply the change is running when the call returns). */
static void pf_apply_once_per_batch(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_peer p[6];
	char a[32];
	long applies0;
	json_t *st;

	(void)state;
	mk_iface(be, "tun_wg0", "10.128.0.1/24", 51928);
	for (int i = 0; i < 6; i++) {
		snprintf(a, sizeof(a), "10.128.0.%d/32", i + 2);
		ct_peer(&p[i], a, NULL);
	}
	sim_post(&sim_main, "/__sim/config", "{\"apply_delay_ms\":400}");
	st = sim_state(&sim_main);
	applies0 = state_int(st, "applies");
	json_decref(st);
	apply_ok(be, "tun_wg0", p, 6);
	st = sim_state(&sim_main);
	sim_post(&sim_main, "/__sim/config", "{\"apply_delay_ms\":0}");
	assert_int_equal(state_int(st, "applies"), applies0 + 1);
	assert_false(json_is_true(json_object_get(st, "dirty")));
	for (int i = 0; i < 6; i++)
		assert_non_null(state_peer(st, true, p[i].public_key));
	json_decref(st);

	/* update two, delete one: still one apply */
	p[0].persistent_keepalive = 10;
	p[1].flags |= DEV_PEER_DISABLED;
	p[2].flags = DEV_PEER_REMOVE;
	apply_ok(be, "tun_wg0", p, 3);
	st = sim_state(&sim_main);
	assert_int_equal(state_int(st, "applies"), applies0 + 2);
	assert_false(json_is_true(json_object_get(state_peer(st, true, p[1].public_key),
						  "enabled")));
	assert_null(state_peer(st, true, p[2].public_key));
	json_decref(st);
	/* nothing to change (sync's masks are empty): no write, no apply */
	p[2].flags = 0;
	p[0].changes = p[1].changes = 0;
	apply_ok(be, "tun_wg0", p, 2);
	st = sim_state(&sim_main);
	assert_int_equal(state_int(st, "applies"), applies0 + 2);
	json_decref(st);
	ct_peers_release(p, 6);
	del_iface(be, "tun_wg0");
}

/* A failed write mid-batch: the error is reported, what was written is applied (reads match
 * the running state); an apply that failed too is owed and runs on the next call. */
static void pf_apply_failure(void **state)
{
	struct backend *be;
	struct dev_peer p[3];
	struct err e = { 0 };
	json_t *st;
	int r;

	(void)state;
	assert_int_equal(sim_start(&sim_faults, 0, NULL), 0);
	cfg_fill(&cfg_faults, "pffaults", sim_faults.port, true, KEY_RW);
	be = pf_register(&cfg_faults, &e);
	assert_non_null(be);
	mk_iface(be, "tun_wg0", "10.129.0.1/24", 51929);
	ct_peer(&p[0], "10.129.0.2/32", NULL);
	ct_peer(&p[1], "10.129.0.3/32", NULL);
	ct_peer(&p[2], "10.129.0.4/32", NULL);
	apply_ok(be, "tun_wg0", p, 1);

	/* update p[0] (PATCH, written), create p[1] (POST, refused): p[0]'s change runs */
	p[0].persistent_keepalive = 5;
	sim_post(&sim_faults, "/__sim/fault",
		 "{\"match\":\"/vpn/wireguard/peer\",\"method\":\"POST\",\"kind\":\"status\","
		 "\"status\":500,\"count\":1}");
	r = backend_apply_peers(be, "tun_wg0", p, 2, &e);
	print_message("# write refused: %d %s\n", r, e.msg);
	assert_true(r < 0);
	st = sim_state(&sim_faults);
	assert_false(json_is_true(json_object_get(st, "dirty")));
	assert_int_equal(json_integer_value(json_object_get(state_peer(st, true, p[0].public_key),
							    "persistentkeepalive")), 5);
	assert_null(state_peer(st, false, p[1].public_key));
	json_decref(st);

	/* the write with the apply is refused (400: nothing to undo), and the separate apply
	 * fails: reported, owed */
	sim_post(&sim_faults, "/__sim/fault",
		 "{\"match\":\"/vpn/wireguard/peer\",\"method\":\"POST\",\"kind\":\"status\","
		 "\"status\":400,\"count\":1}");
	sim_post(&sim_faults, "/__sim/fault",
		 "{\"match\":\"/vpn/wireguard/apply\",\"method\":\"POST\",\"kind\":\"status\","
		 "\"status\":500,\"count\":1}");
	p[0].persistent_keepalive = 6;
	r = backend_apply_peers(be, "tun_wg0", p, 2, &e);
	assert_true(r < 0);
	st = sim_state(&sim_faults);
	assert_true(json_is_true(json_object_get(st, "dirty")));
	json_decref(st);
	/* next call with nothing to write applies what is owed */
	apply_ok(be, "tun_wg0", p, 1);
	st = sim_state(&sim_faults);
	assert_false(json_is_true(json_object_get(st, "dirty")));
	assert_int_equal(json_integer_value(json_object_get(state_peer(st, true, p[0].public_key),
							    "persistentkeepalive")), 6);
	json_decref(st);

	/* a broken reply (not JSON, cut short) to a read is -EPROTO, never a half-read
	 * interface */
	for (int k = 0; k < 2; k++) {
		struct dev_iface have = { 0 };
		sim_post(&sim_faults, "/__sim/fault",
			 k == 0 ? "{\"match\":\"/vpn/wireguard/peers\",\"method\":\"GET\","
				  "\"kind\":\"garbage\",\"count\":1}"
				: "{\"match\":\"/vpn/wireguard/tunnels\",\"method\":\"GET\","
				  "\"kind\":\"truncate\",\"count\":1}");
		r = backend_get_iface(be, "tun_wg0", &have, &e);
		print_message("# %s: %d %s\n", k == 0 ? "garbage" : "truncated", r, e.msg);
		assert_int_equal(r, -EPROTO);
	}
	/* a config lock is reported as the firewall being unavailable */
	sim_post(&sim_faults, "/__sim/fault",
		 "{\"match\":\"/vpn/wireguard/peer\",\"method\":\"POST\",\"kind\":\"lock\","
		 "\"count\":1}");
	r = backend_apply_peers(be, "tun_wg0", &p[2], 1, &e);
	print_message("# lock: %d %s\n", r, e.msg);
	assert_int_equal(r, -EHOSTUNREACH);
	assert_non_null(strstr(e.msg, "MODEL_WRITE_CONFIG_LOCKED"));
	sim_post(&sim_faults, "/__sim/faults/clear", "{}");
	apply_ok(be, "tun_wg0", &p[2], 1);
	ct_peers_release(p, 3);
	sim_stop(&sim_faults);
}

static long count_calls(void)
{
	return sim_stat(&sim_main, "requests");
}

static long count_applies(void)
{
	json_t *st = sim_state(&sim_main);
	long n = state_int(st, "applies");

	json_decref(st);
	return n;
}

/* Requests the simulator logged for method + path (path without the query). */
static long count_logged(const char *method, const char *path)
{
	char *body = sim_ctl(&sim_main, "GET", "/__sim/log", NULL);
	json_t *log, *ent;
	size_t i;
	long n = 0;

	assert_non_null(body);
	log = json_loads(body, 0, NULL);
	free(body);
	assert_non_null(log);
	json_array_foreach(log, i, ent) {
		n += !strcmp(json_string_value(json_object_get(ent, "method")) ?: "", method) &&
		     !strcmp(json_string_value(json_object_get(ent, "path")) ?: "", path);
	}
	json_decref(log);
	return n;
}

/* Success only after the apply ran: GET /apply is polled while it says false, bounded by
 * api_timeout; a timeout is an error and the apply is owed to the next call. */
static void pf_apply_confirmed(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_peer p;
	struct err e = { 0 };
	json_t *st;
	long a0;
	int r;
	const char *pending = "{\"match\":\"/vpn/wireguard/apply\",\"method\":\"GET\","
			      "\"kind\":\"status\",\"status\":200,\"count\":%d,\"body\":{"
			      "\"code\":200,\"status\":\"ok\",\"response_id\":\"SUCCESS\","
			      "\"message\":\"\",\"data\":{\"applied\":false}}}";
	char fault[400];

	(void)state;
	mk_iface(be, "tun_wg0", "10.132.0.1/24", 51931);
	ct_peer(&p, "10.132.0.2/32", NULL);
	snprintf(fault, sizeof(fault), pending, 2);
	sim_post(&sim_main, "/__sim/fault", fault);
	free(sim_ctl(&sim_main, "POST", "/__sim/log/clear", "{}"));
	apply_ok(be, "tun_wg0", &p, 1);
	assert_int_equal(count_logged("GET", "/api/v2/vpn/wireguard/apply"), 3);

	/* never applied within api_timeout (5 s here) */
	snprintf(fault, sizeof(fault), pending, 0);
	sim_post(&sim_main, "/__sim/fault", fault);
	p.persistent_keepalive = 17;
	r = backend_apply_peers(be, "tun_wg0", &p, 1, &e);
	sim_post(&sim_main, "/__sim/faults/clear", "{}");
	print_message("# apply never confirmed: %d %s\n", r, e.msg);
	assert_int_equal(r, -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "has not finished applying"));
	/* owed: the next call, with nothing to write, applies first */
	a0 = count_applies();
	apply_ok(be, "tun_wg0", &p, 1);
	assert_int_equal(count_applies(), a0 + 1);
	st = sim_state(&sim_main);
	assert_false(json_is_true(json_object_get(st, "dirty")));
	json_decref(st);
	dev_peer_release(&p);
	del_iface(be, "tun_wg0");
}

/* An api_url copied from wg-portal's struct comment (".../api/v2") works: the suffix is
 * dropped with a warning, not doubled into /api/v2/api/v2 (an nginx 404). */
static void pf_api_url_suffix(void **state)
{
	struct cfg_backend *c = &cfg_suffix;
	struct backend *be;
	struct strv names = STRV_INIT;
	struct err e = { 0 };

	(void)state;
	cfg_fill(c, "pf-suffix", sim_main.port, true, KEY_RW);
	free(c->api_url);
	assert_true(asprintf(&c->api_url, "https://127.0.0.1:%d/api/v2/", sim_main.port) > 0);
	be = pf_register(c, &e);
	assert_non_null(be);
	assert_true(be->reachable);
	assert_int_equal(backend_list_ifaces(be, &names, &e), 0);
	strv_release(&names);
}

/* REST calls and applies per operation, against wg-portal's sequence (pfsense-rest.md 6). */
static void pf_call_counts(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_iface d = { 0 }, have = { 0 };
	struct dev_peer *p;
	struct err e = { 0 };
	long c_iface, a_iface, c_peer, a_peer, c_upd, a_upd, c_sync, a_sync, c_get, c_noop;
	long a0;
	char a[32];
	enum { N = 500 };

	(void)state;
	del_iface(be, "tun_wg0");
	snprintf(d.name, sizeof(d.name), "tun_wg0");
	key_generate_private(d.private_key);
	d.listen_port = 51930;
	d.mtu = 1400;
	d.up = true;
	d.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU |
		  DEV_IFACE_HAS_ADDRESSES;
	d.addresses = calloc(2, sizeof(*d.addresses));
	assert_non_null(d.addresses);
	ct_pfx(&d.addresses[0], "10.130.0.1/24");
	ct_pfx(&d.addresses[1], "fd30::1/64");
	d.n_addresses = 2;
	a0 = count_applies();
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_apply_iface(be, &d, &e), 0);
	c_iface = count_calls();
	a_iface = count_applies() - a0;

	d.flags = 0; /* nothing differs: what sync sends then (it would not even call) */
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_apply_iface(be, &d, &e), 0);
	c_noop = count_calls();

	p = calloc(N + 1, sizeof(*p));
	assert_non_null(p);
	ct_peer(&p[0], "10.130.0.2/32", NULL);
	a0 = count_applies();
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	apply_ok(be, "tun_wg0", p, 1);
	c_peer = count_calls();
	a_peer = count_applies() - a0;

	p[0].persistent_keepalive = 25;
	p[0].changes = DEV_PEER_CH_KEEPALIVE;
	a0 = count_applies();
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	apply_ok(be, "tun_wg0", p, 1);
	c_upd = count_calls();
	a_upd = count_applies() - a0;

	for (int i = 1; i < N; i++) {
		snprintf(a, sizeof(a), "10.131.%d.%d/32", i / 250, i % 250 + 2);
		ct_peer(&p[i], a, NULL);
	}
	p[0].changes = 0; /* unchanged since the update */
	a0 = count_applies();
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	apply_ok(be, "tun_wg0", p, N);
	c_sync = count_calls();
	a_sync = count_applies() - a0;

	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_get_iface(be, "tun_wg0", &have, &e), 0);
	c_get = count_calls();
	assert_int_equal(have.n_peers, N);
	dev_iface_release(&have);

	print_message("# REST calls/applies: create tunnel %ld/%ld [wg-portal 3/1], re-apply "
		      "unchanged %ld/0 [wg-portal 3/1], create peer %ld/%ld [wg-portal 3/1], "
		      "update peer %ld/%ld [wg-portal 3/1], sync of %d peers (499 new) %ld/%ld "
		      "[wg-portal %d/%d], read tunnel with peers %ld [wg-portal 3]\n",
		      c_iface, a_iface, c_noop, c_peer, a_peer, c_upd, a_upd, N, c_sync, a_sync,
		      3 * N, N, c_get);
	/* every write batch ends with GET /apply: success only once the apply ran */
	assert_int_equal(c_iface, 3);   /* GET + POST(apply) + GET apply */
	assert_int_equal(a_iface, 1);
	assert_int_equal(c_noop, 1);
	assert_int_equal(c_peer, 4);    /* 2 parallel GETs + POST(apply) + GET apply */
	assert_int_equal(a_peer, 1);
	assert_int_equal(c_upd, 4);
	assert_int_equal(a_upd, 1);
	assert_int_equal(c_sync, 2 + (N - 1) + 1);
	assert_int_equal(a_sync, 1);
	assert_int_equal(c_get, 3);   /* tunnel, peers, status: in parallel */
	ct_peers_release(p, N);
	free(p);
	dev_iface_release(&d);
	del_iface(be, "tun_wg0");
}

static int group_setup(void **state)
{
	struct err e = { 0 };

	char keys[600];
	const char *main_extra[] = { "--pkg-version", "2.9.0", "--wg-enable", "--keys", keys, NULL };
	const char *old_extra[] = { "--pkg-version", "2.8.0", NULL };
	FILE *f;

	(void)state;
	tmpdir = test_tmpdir();
	if (!tmpdir)
		return -1;
	/* the main firewall: package 2.9.0 (statistics), a read+write and a read-only key */
	snprintf(keys, sizeof(keys), "%s/main-keys.json", tmpdir);
	f = fopen(keys, "w");
	if (!f)
		return -1;
	fputs("{\"" KEY_RW "\":{\"privileges\":[\"read\",\"write\"]},"
	      "\"" KEY_RO "\":{\"privileges\":[\"read\"]}}", f);
	fclose(f);
	if (sim_start(&sim_main, 0, main_extra) < 0 ||
	    sim_start(&sim_nostats, 0, old_extra) < 0) {
		print_message("# cannot start tests/sim/pfsense_sim.py\n");
		return -1;
	}
	cfg_fill(&cfg_main, "pf", sim_main.port, true, KEY_RW);
	cfg_fill(&cfg_main_ro, "pf-ro", sim_main.port, true, KEY_RO);
	cfg_fill(&cfg_nostats, "pf-280", sim_nostats.port, true, KEY_RW);
	contract_env.be = pf_register(&cfg_main, &e);
	if (contract_env.be)
		contract_env.be_readonly = pf_register(&cfg_main_ro, &e);
	if (contract_env.be_readonly)
		contract_env.be_nostats = pf_register(&cfg_nostats, &e);
	if (!contract_env.be_nostats) {
		print_message("# register: %s\n", e.msg);
		return -1;
	}
	/* pfSense names a new tunnel itself: the next free tun_wgN, tun_wg0 on the empty
	 * firewall every case starts from (each removes what it made) */
	contract_env.ifname = "tun_wg0";
	contract_env.arm_fault = pf_arm_fault;
	contract_env.clear_fault = pf_clear_fault;
	contract_env.read_psk = pf_read_psk;
	contract_env.ctx = &sim_main;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	backends_shutdown();
	sim_stop(&sim_main);
	sims_kill_all();
	cfg_free(&cfg_main);
	cfg_free(&cfg_stats);
	cfg_free(&cfg_ro);
	cfg_free(&cfg_ro_rw);
	cfg_free(&cfg_down);
	cfg_free(&cfg_faults);
	cfg_free(&cfg_main_ro);
	cfg_free(&cfg_nostats);
	cfg_free(&cfg_suffix);
	if (tmpdir)
		test_tmpdir_remove(tmpdir);
	free(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pf_implementation),
		CONTRACT_TESTS,
		cmocka_unit_test(pf_no_statistics),
		cmocka_unit_test(pf_statistics),
		cmocka_unit_test(pf_readonly_key),
		cmocka_unit_test(pf_unreachable_at_start),
		cmocka_unit_test(pf_private_key_hidden),
		cmocka_unit_test(pf_psk_write_only),
		cmocka_unit_test(pf_ids_shift),
		cmocka_unit_test(pf_apply_once_per_batch),
		cmocka_unit_test(pf_apply_failure),
		cmocka_unit_test(pf_call_counts),
		cmocka_unit_test(pf_apply_confirmed),
		cmocka_unit_test(pf_api_url_suffix),
	};

	signal(SIGPIPE, SIG_IGN);
	atexit(sims_kill_all);
	return cmocka_run_group_tests_name("contract_pfsense", tests, group_setup,
					   group_teardown);
}
