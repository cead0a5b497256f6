/* SPDX-License-Identifier: MIT */
/*
 * The backend contract suite (tests/backends/contract.c) against the MikroTik backend talking
 * to the RouterOS REST simulator (tests/sim/routeros_sim.py, started here on ephemeral loopback
 * ports), plus MikroTik-specific cases: bounded concurrency, call counts, statistics,
 * dynamic peers, version gating, permission messages, recovery after the router was down,
 * TLS, timeouts, broken replies and secret-free debug logging. The simulator's control API
 * (/__sim/...) is driven with libcurl.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
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

#include "backends/mikrotik/mikrotik.h"
#include "config/config.h"
#include "util/log.h"

#define CONCURRENCY 3

#define SIM_SCRIPT "tests/sim/routeros_sim.py"
#include "../backends/sim_proc.c"

static struct sim sim_main;
static struct cfg_backend cfg_main;

static void cfg_fill(struct cfg_backend *c, const char *id, int port, bool https,
		     const char *user, const char *pass)
{
	char url[128];

	memset(c, 0, sizeof(*c));
	c->type = CFG_BACKEND_MIKROTIK;
	c->id = strdup(id);
	c->display_name = strdup(id);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d/rest", https ? "https" : "http", port);
	c->api_url = strdup(url);
	c->api_user = strdup(user);
	c->api_password = strdup(pass);
	c->api_verify_tls = false;
	c->api_timeout_ms = 5000;
	c->concurrency = CONCURRENCY;
}

static void cfg_free(struct cfg_backend *c)
{
	free(c->id);
	free(c->display_name);
	free(c->api_url);
	free(c->api_user);
	free(c->api_password);
	memset(c, 0, sizeof(*c));
}

/* ---- fault injection for the contract ---------------------------------------------------- */

static int mt_arm_fault(void *ctx, int which)
{
	const struct sim *s = ctx;
	char *r;

	/* 0: the first peer create answers 500; 1: the connection of a peer create drops after
	 * the router applied it (the client cannot know whether it landed, and a create is not
	 * repeated blindly). A dropped PATCH would be retried, and succeed. */
	r = sim_ctl(s, "POST", "/__sim/fault",
		    which == 0 ? "{\"match\":\"/interface/wireguard/peers\",\"method\":\"PUT\","
				 "\"kind\":\"status\",\"status\":500,\"count\":1}"
			       : "{\"match\":\"/interface/wireguard/peers\",\"method\":\"PUT\","
				 "\"kind\":\"drop\",\"apply\":true,\"count\":1}");
	if (!r)
		return -EIO;
	free(r);
	return 0;
}

static void mt_clear_fault(void *ctx)
{
	char *r = sim_ctl(ctx, "POST", "/__sim/faults/clear", "{}");

	free(r);
}

/* The most calls the simulator ever saw in flight, over all cases (reset after each). */
static long max_in_flight_seen;

static void mt_after_case(void *ctx)
{
	char *r = sim_ctl(ctx, "GET", "/__sim/stats", NULL), *p;
	long m;

	if (!r)
		return;
	p = strstr(r, "\"max_in_flight\":");
	m = p ? strtol(p + 16, NULL, 10) : 0;
	if (m > max_in_flight_seen)
		max_in_flight_seen = m;
	if (m > CONCURRENCY)
		print_message("# max_in_flight %ld > %d in this case\n", m, CONCURRENCY);
	free(r);
	free(sim_ctl(ctx, "POST", "/__sim/stats/reset", "{}"));
}

/* ---- helpers for the MikroTik cases ------------------------------------------------------ */

static struct backend *mt_register(struct cfg_backend *c, struct err *e)
{
	int r = backend_register(&backend_mikrotik, c->id, c->display_name, c, e);

	if (r < 0)
		return NULL;
	return backend_find(c->id);
}

static void mk_iface(struct backend *be, const char *name, const char *addr)
{
	struct dev_iface d = { 0 };
	struct err e = { 0 };
	int r;

	snprintf(d.name, sizeof(d.name), "%s", name);
	key_generate_private(d.private_key);
	d.listen_port = 51950;
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

/* ---- MikroTik cases ---------------------------------------------------------------------- */

static void mt_implementation(void **state)
{
	struct backend *be = contract_env.be;

	(void)state;
	assert_string_equal(be->implementation, "RouterOS 7.17 (REST)");
	assert_true(be->reachable);
	/* backend.c adds BACKEND_CAP_PING for backends with a ping op */
	assert_int_equal(be->caps & ~(unsigned)BACKEND_CAP_PING, BACKEND_CAP_CREATE_IFACE | BACKEND_CAP_STATS_PEER |
				       BACKEND_CAP_STATS_IFACE | BACKEND_CAP_PSK |
				       BACKEND_CAP_ADDRESSES | BACKEND_CAP_MTU |
				       BACKEND_CAP_DISABLED_PEERS);
	assert_false(backend_has_cap(be, BACKEND_CAP_HOOKS));
}

/* Many peer changes go out in parallel, never more than `concurrency` at once. */
static void mt_concurrency(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_peer p[12];
	struct err e = { 0 };
	struct dev_iface have = { 0 };
	char a[32];
	long maxf;
	int r;

	(void)state;
	mk_iface(be, "wgcc0", "10.90.0.1/24");
	for (int i = 0; i < 12; i++) {
		snprintf(a, sizeof(a), "10.90.0.%d/32", i + 2);
		ct_peer(&p[i], a, NULL);
	}
	sim_post(&sim_main, "/__sim/latency", "{\"ms\":40}");
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	r = backend_apply_peers(be, "wgcc0", p, 12, &e);
	maxf = sim_stat(&sim_main, "max_in_flight");
	sim_post(&sim_main, "/__sim/latency", "{\"ms\":0}");
	assert_int_equal(r, 0);
	print_message("# 12 peer creates: max_in_flight %ld (concurrency %d)\n", maxf, CONCURRENCY);
	assert_true(maxf <= CONCURRENCY);
	assert_true(maxf >= 2); /* they did run in parallel */
	assert_int_equal(backend_get_iface(be, "wgcc0", &have, &e), 0);
	assert_int_equal(have.n_peers, 12);
	dev_iface_release(&have);
	ct_peers_release(p, 12);
	del_iface(be, "wgcc0");
}

static long count_calls(void)
{
	return sim_stat(&sim_main, "requests");
}

/* The number of REST calls per operation, against wg-portal's sequence (routeros-rest.md 6). */
static void mt_call_counts(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_iface d = { 0 }, have = { 0 };
	struct dev_peer p[10];
	struct err e = { 0 };
	long n_create_iface, n_create_peer, n_update_peer, n_stats, n_noop;
	char a[32];

	(void)state;
	del_iface(be, "wgcnt0");
	snprintf(d.name, sizeof(d.name), "wgcnt0");
	key_generate_private(d.private_key);
	d.listen_port = 51960;
	d.mtu = 1400;
	d.up = true;
	d.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU |
		  DEV_IFACE_HAS_ADDRESSES;
	d.addresses = calloc(2, sizeof(*d.addresses));
	assert_non_null(d.addresses);
	ct_pfx(&d.addresses[0], "10.91.0.1/24");
	ct_pfx(&d.addresses[1], "fd91::1/64");
	d.n_addresses = 2;
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_apply_iface(be, &d, &e), 0);
	n_create_iface = count_calls();

	/* sync flags what differs; unchanged addresses are read, never rewritten */
	d.flags = DEV_IFACE_HAS_ADDRESSES;
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_apply_iface(be, &d, &e), 0);
	n_noop = count_calls();

	ct_peer(&p[0], "10.91.0.2/32", NULL);
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_apply_peers(be, "wgcnt0", p, 1, &e), 0);
	n_create_peer = count_calls();

	p[0].persistent_keepalive = 25;
	p[0].changes = DEV_PEER_CH_KEEPALIVE;
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_apply_peers(be, "wgcnt0", p, 1, &e), 0);
	n_update_peer = count_calls();

	for (int i = 1; i < 10; i++) {
		snprintf(a, sizeof(a), "10.91.0.%d/32", i + 2);
		ct_peer(&p[i], a, NULL);
	}
	assert_int_equal(backend_apply_peers(be, "wgcnt0", p, 10, &e), 0);
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	assert_int_equal(backend_get_iface(be, "wgcnt0", &have, &e), 0);
	n_stats = count_calls();
	assert_int_equal(have.n_peers, 10);
	dev_iface_release(&have);

	print_message("# REST calls: create iface (2 addresses) %ld [wg-portal 10], re-apply "
		      "unchanged %ld, create peer %ld [wg-portal 3], update peer %ld [wg-portal 2],"
		      " stats sweep of 10 peers %ld [wg-portal 5]\n",
		      n_create_iface, n_noop, n_create_peer, n_update_peer, n_stats);
	/* 3 parallel reads + 1 PUT + 2 address PUTs */
	assert_int_equal(n_create_iface, 6);
	assert_int_equal(n_noop, 3);
	assert_int_equal(n_create_peer, 2);
	assert_int_equal(n_update_peer, 2);
	assert_int_equal(n_stats, 5);
	ct_peers_release(p, 10);
	dev_iface_release(&d);
	del_iface(be, "wgcnt0");
}

static void mt_stats(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_peer p[2];
	struct dev_iface have = { 0 };
	struct err e = { 0 };
	char k[WG_KEY_B64_SIZE], body[512];
	const struct dev_peer *h;
	time_t now;

	(void)state;
	mk_iface(be, "wgst0", "10.92.0.1/24");
	ct_peer(&p[0], "10.92.0.2/32", NULL);
	ct_peer(&p[1], "10.92.0.3/32", NULL);
	assert_int_equal(backend_apply_peers(be, "wgst0", p, 2, &e), 0);
	key_to_base64(k, p[0].public_key);
	snprintf(body, sizeof(body),
		 "{\"public-key\":\"%s\",\"rx\":12345,\"tx\":67890,\"last-handshake-seconds\":42,"
		 "\"current-endpoint-address\":\"198.51.100.9\",\"current-endpoint-port\":40000}", k);
	sim_post(&sim_main, "/__sim/peer-stats", body);
	key_to_base64(k, p[1].public_key);
	/* older than a day: rendered "1d2h3m4s" */
	snprintf(body, sizeof(body), "{\"public-key\":\"%s\",\"last-handshake-seconds\":93784}", k);
	sim_post(&sim_main, "/__sim/peer-stats", body);
	sim_post(&sim_main, "/__sim/iface-stats", "{\"name\":\"wgst0\",\"rx-byte\":1000,"
						   "\"tx-byte\":2000}");

	now = time(NULL);
	assert_int_equal(backend_get_iface(be, "wgst0", &have, &e), 0);
	assert_int_equal(have.rx_bytes, 1000);
	assert_int_equal(have.tx_bytes, 2000);
	h = ct_find(&have, p[0].public_key);
	assert_non_null(h);
	assert_true(h->stats_valid);
	assert_int_equal(h->rx_bytes, 12345);
	assert_int_equal(h->tx_bytes, 67890);
	assert_true(h->last_handshake_sec >= now - 44 && h->last_handshake_sec <= now - 40);
	assert_string_equal(h->current_endpoint, "198.51.100.9:40000");
	assert_string_equal(h->endpoint, ""); /* none configured: where it was seen is not one */
	h = ct_find(&have, p[1].public_key);
	assert_non_null(h);
	assert_true(h->last_handshake_sec >= now - 93786 && h->last_handshake_sec <= now - 93782);
	dev_iface_release(&have);
	ct_peers_release(p, 2);
	del_iface(be, "wgst0");
}

/* System (dynamic) peers read back read-only; requests to change or remove them are refused. */
static void mt_dynamic_peer(void **state)
{
	struct backend *be = contract_env.be;
	struct dev_iface have = { 0 };
	struct dev_peer p;
	struct err e = { 0 };
	char k[WG_KEY_B64_SIZE], body[256];
	const struct dev_peer *h;

	(void)state;
	mk_iface(be, "wgdy0", NULL);
	ct_peer(&p, "10.93.0.2/32", NULL);
	key_to_base64(k, p.public_key);
	snprintf(body, sizeof(body), "{\"interface\":\"wgdy0\",\"public-key\":\"%s\","
		 "\"allowed-address\":\"10.93.0.0/24\"}", k);
	sim_post(&sim_main, "/__sim/dynamic-peer", body);
	assert_int_equal(backend_get_iface(be, "wgdy0", &have, &e), 0);
	h = ct_find(&have, p.public_key);
	assert_non_null(h);
	assert_true(h->flags & DEV_PEER_READONLY);
	dev_iface_release(&have);

	/* an update and a removal of it are refused, saying why (never silently dropped) */
	assert_int_equal(backend_apply_peers(be, "wgdy0", &p, 1, &e), -EPERM);
	assert_non_null(strstr(e.msg, "dynamic"));
	assert_non_null(strstr(e.msg, "read-only"));
	p.flags = DEV_PEER_REMOVE;
	assert_int_equal(backend_apply_peers(be, "wgdy0", &p, 1, &e), -EPERM);
	/* marked read-only by the caller (sync's plan): skipped, not an error */
	p.flags = DEV_PEER_REMOVE | DEV_PEER_READONLY;
	assert_int_equal(backend_apply_peers(be, "wgdy0", &p, 1, &e), 0);
	assert_int_equal(backend_get_iface(be, "wgdy0", &have, &e), 0);
	h = ct_find(&have, p.public_key);
	assert_non_null(h);
	assert_int_equal(h->n_allowed_ips, 1);
	dev_iface_release(&have);
	dev_peer_release(&p);
	del_iface(be, "wgdy0");
}

/* Older RouterOS: no peer name/responder (7.12), is-responder (7.16): creates must not send
 * properties the version does not know (the simulator answers 400 unknown parameter). */
static void mt_versions(void **state)
{
	static const char *const vers[] = { "7.12", "7.16", "7.21" };
	static const char *const impl[] = { "RouterOS 7.12 (REST)", "RouterOS 7.16 (REST)",
					    "RouterOS 7.21 (REST)" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		const char *extra[] = { "--ros", vers[i], NULL };
		struct sim s = { 0 };
		struct cfg_backend c;
		struct backend *be;
		struct dev_peer p;
		struct dev_iface have = { 0 };
		struct err e = { 0 };
		char id[16];

		assert_int_equal(sim_start(&s, 0, extra), 0);
		snprintf(id, sizeof(id), "mtv%d", i);
		cfg_fill(&c, id, s.port, false, "admin", "admin");
		be = mt_register(&c, &e);
		assert_non_null(be);
		assert_string_equal(be->implementation, impl[i]);
		mk_iface(be, "wgv0", "10.94.0.1/24");
		ct_peer(&p, "10.94.0.2/32", NULL);
		p.name = strdup("laptop");
		assert_int_equal(backend_apply_peers(be, "wgv0", &p, 1, &e), 0);
		snprintf(p.endpoint, sizeof(p.endpoint), "203.0.113.5:51820");
		p.flags |= DEV_PEER_HAS_ENDPOINT;
		if (backend_apply_peers(be, "wgv0", &p, 1, &e) < 0)
			print_message("# %s: %s\n", vers[i], e.msg);
		assert_int_equal(e.code, 0);
		assert_int_equal(backend_get_iface(be, "wgv0", &have, &e), 0);
		assert_int_equal(have.n_peers, 1);
		assert_non_null(have.peers[0].name);
		assert_string_equal(have.peers[0].name, "laptop");
		assert_string_equal(have.peers[0].endpoint, "203.0.113.5:51820");
		dev_iface_release(&have);
		dev_peer_release(&p);
		sim_stop(&s);
		cfg_free(&c);
	}
}

/* Users without write / sensitive / test get errors naming the policy and what it blocks. */
static void mt_permissions(void **state)
{
	char users[1024], path[600];
	FILE *f;
	struct sim s = { 0 };
	struct cfg_backend c[5];
	struct backend *be;
	struct dev_iface d = { 0 };
	struct dev_iface have = { 0 };
	struct dev_peer p;
	struct err e = { 0 };
	const char *extra[] = { "--users", path, NULL };

	(void)state;
	snprintf(path, sizeof(path), "%s/users.json", tmpdir);
	snprintf(users, sizeof(users),
		 "{\"admin\":{\"password\":\"admin\",\"policies\":[\"api\",\"rest-api\",\"read\","
		 "\"write\",\"test\",\"sensitive\"]},"
		 "\"nowrite\":{\"password\":\"pw1\",\"policies\":[\"api\",\"rest-api\",\"read\","
		 "\"test\",\"sensitive\"]},"
		 "\"nosens\":{\"password\":\"pw2\",\"policies\":[\"api\",\"rest-api\",\"read\","
		 "\"write\",\"test\"]},"
		 "\"notest\":{\"password\":\"pw3\",\"policies\":[\"api\",\"rest-api\",\"read\","
		 "\"write\",\"sensitive\"]},"
		 "\"viewer\":{\"password\":\"pw4\",\"policies\":[\"api\",\"rest-api\",\"read\","
		 "\"test\"]}}");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(users, f);
	fclose(f);
	assert_int_equal(sim_start(&s, 0, extra), 0);
	cfg_fill(&c[0], "mtp-admin", s.port, false, "admin", "admin");
	cfg_fill(&c[1], "mtp-nowrite", s.port, false, "nowrite", "pw1");
	cfg_fill(&c[2], "mtp-nosens", s.port, false, "nosens", "pw2");
	cfg_fill(&c[3], "mtp-notest", s.port, false, "notest", "pw3");
	cfg_fill(&c[4], "mtp-viewer", s.port, false, "viewer", "pw4");

	be = mt_register(&c[0], &e);
	assert_non_null(be);
	mk_iface(be, "wgperm0", "10.95.0.1/24");
	assert_string_equal(be->last_error, "");

	/* no write */
	be = mt_register(&c[1], &e);
	assert_non_null(be);
	snprintf(d.name, sizeof(d.name), "wgperm1");
	d.up = true;
	assert_int_equal(backend_apply_iface(be, &d, &e), -EACCES);
	print_message("# nowrite: %s\n", e.msg);
	assert_non_null(strstr(e.msg, "RouterOS user 'nowrite' lacks the 'write' policy"));
	ct_peer(&p, "10.95.0.2/32", NULL);
	assert_int_equal(backend_apply_peers(be, "wgperm0", &p, 1, &e), -EACCES);
	assert_non_null(strstr(e.msg, "'write' policy"));

	/* no sensitive: reads work, key writes are refused with the reason */
	be = mt_register(&c[2], &e);
	assert_non_null(be);
	assert_int_equal(backend_get_iface(be, "wgperm0", &have, &e), 0);
	dev_iface_release(&have);
	snprintf(d.name, sizeof(d.name), "wgperm0");
	key_generate_private(d.private_key);
	d.flags = DEV_IFACE_HAS_PRIVATE_KEY;
	assert_int_equal(backend_apply_iface(be, &d, &e), -EACCES);
	print_message("# nosens: %s\n", e.msg);
	assert_string_equal(e.msg, "RouterOS user 'nosens' lacks the 'sensitive' policy: private "
				   "keys cannot be read");

	/* read-only policies (neither write nor sensitive): creating an interface is blocked by
	 * 'write', and that is the policy named (issue 11, item 7); opening wrote nothing */
	sim_post(&s, "/__sim/stats/reset", "{}");
	be = mt_register(&c[4], &e);
	assert_non_null(be);
	assert_int_equal(sim_writes(&s), 0);
	snprintf(d.name, sizeof(d.name), "wgperm4");
	d.up = true;
	d.flags = 0;
	assert_int_equal(backend_apply_iface(be, &d, &e), -EACCES);
	print_message("# viewer: %s\n", e.msg);
	assert_non_null(strstr(e.msg, "RouterOS user 'viewer' lacks the 'write' policy"));
	assert_null(strstr(e.msg, "sensitive"));
	assert_int_equal(sim_writes(&s), 0);

	/* no test: detected at open, reported in last_error */
	be = mt_register(&c[3], &e);
	assert_non_null(be);
	print_message("# notest: %s\n", be->last_error);
	assert_non_null(strstr(be->last_error, "RouterOS user 'notest' lacks the 'test' policy"));
	assert_non_null(strstr(be->last_error, "ping"));

	/* wrong password */
	free(c[3].api_password);
	c[3].api_password = strdup("Xy9-not-the-password");
	free(c[3].id);
	c[3].id = strdup("mtp-badpw");
	assert_int_equal(backend_register(&backend_mikrotik, c[3].id, "x", &c[3], &e), -EACCES);
	print_message("# bad password: %s\n", e.msg);
	assert_non_null(strstr(e.msg, "rejected the login of user 'notest'"));
	assert_null(strstr(e.msg, "Xy9-not-the-password"));

	dev_peer_release(&p);
	sim_stop(&s);
	for (int i = 0; i < 5; i++)
		cfg_free(&c[i]);
}

/* Router down at start: registered unreachable; works by itself once the router is back. */
static void mt_recover(void **state)
{
	struct sim s = { 0 };
	struct cfg_backend c;
	struct backend *be;
	struct strv names = STRV_INIT;
	struct err e = { 0 };
	int port = sim_free_port();
	int r;

	(void)state;
	assert_true(port > 0);
	cfg_fill(&c, "mt-recover", port, false, "admin", "admin");
	assert_int_equal(backend_register(&backend_mikrotik, c.id, c.id, &c, &e), 0);
	be = backend_find(c.id);
	assert_non_null(be);
	assert_false(be->reachable);
	print_message("# down at start: %s\n", be->last_error);
	assert_int_equal(backend_list_ifaces(be, &names, &e), -EHOSTUNREACH);

	assert_int_equal(sim_start(&s, port, NULL), 0);
	assert_int_equal(backend_list_ifaces(be, &names, &e), 0);
	assert_true(be->reachable);
	assert_string_equal(be->implementation, "RouterOS 7.17 (REST)");
	strv_release(&names);

	/* goes away mid-run (connections dropped), comes back */
	sim_post(&s, "/__sim/down", "{\"down\":true}");
	r = backend_list_ifaces(be, &names, &e);
	print_message("# down mid-run: %d %s\n", r, e.msg);
	assert_int_equal(r, -EHOSTUNREACH);
	assert_false(be->reachable);
	sim_post(&s, "/__sim/down", "{\"down\":false}");
	assert_int_equal(backend_list_ifaces(be, &names, &e), 0);
	assert_true(be->reachable);
	strv_release(&names);
	sim_stop(&s);
	cfg_free(&c);
}

static void mt_tls(void **state)
{
	const char *extra[] = { "--https", NULL };
	struct sim s = { 0 };
	struct cfg_backend c, cv;
	struct backend *be;
	struct strv names = STRV_INIT;
	struct err e = { 0 };
	int r;

	(void)state;
	assert_int_equal(sim_start(&s, 0, extra), 0);
	cfg_fill(&c, "mt-tls", s.port, true, "admin", "admin");
	be = mt_register(&c, &e);
	assert_non_null(be);
	assert_true(be->reachable);
	assert_int_equal(backend_list_ifaces(be, &names, &e), 0);
	strv_release(&names);

	/* verification on: the self-signed certificate is refused, wgportal still starts */
	cfg_fill(&cv, "mt-tls-verify", s.port, true, "admin", "admin");
	cv.api_verify_tls = true;
	assert_int_equal(backend_register(&backend_mikrotik, cv.id, cv.id, &cv, &e), 0);
	be = backend_find(cv.id);
	assert_false(be->reachable);
	print_message("# verify on: %s\n", be->last_error);
	assert_non_null(strstr(be->last_error, "certificate"));
	r = backend_list_ifaces(be, &names, &e);
	assert_int_equal(r, -EHOSTUNREACH);
	sim_stop(&s);
	cfg_free(&c);
	cfg_free(&cv);
}

static void mt_timeout_and_broken_replies(void **state)
{
	struct backend *be = contract_env.be;
	struct strv names = STRV_INIT;
	struct dev_iface have = { 0 };
	struct err e = { 0 };
	struct timespec t0, t1;
	int r;
	double ms;

	(void)state;
	mk_iface(be, "wgflt0", NULL);
	/* slower than api_timeout (5 s here: use a delay fault of 6 s on one call) */
	sim_post(&sim_main, "/__sim/fault", "{\"match\":\"/interface/wireguard\",\"method\":\"GET\","
					    "\"kind\":\"delay\",\"delay_ms\":6500,\"count\":1}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = backend_list_ifaces(be, &names, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("# delay: %d after %.0f ms: %s\n", r, ms, e.msg);
	assert_int_equal(r, -ETIMEDOUT);
	assert_true(ms < 6000);
	sim_post(&sim_main, "/__sim/faults/clear", "{}");

	sim_post(&sim_main, "/__sim/fault", "{\"match\":\"/interface/wireguard\",\"method\":\"GET\","
					    "\"kind\":\"huge\",\"size\":20000000,\"count\":1}");
	r = backend_list_ifaces(be, &names, &e);
	print_message("# huge: %d %s\n", r, e.msg);
	assert_int_equal(r, -E2BIG);
	assert_non_null(strstr(e.msg, "reply too large"));

	sim_post(&sim_main, "/__sim/fault", "{\"match\":\"/interface/wireguard\",\"method\":\"GET\","
					    "\"kind\":\"garbage\",\"count\":1}");
	r = backend_list_ifaces(be, &names, &e);
	print_message("# garbage: %d %s\n", r, e.msg);
	assert_int_equal(r, -EPROTO);

	sim_post(&sim_main, "/__sim/fault", "{\"match\":\"/interface/wireguard/peers\","
					    "\"method\":\"GET\",\"kind\":\"truncate\",\"count\":1}");
	r = backend_get_iface(be, "wgflt0", &have, &e);
	print_message("# truncated: %d %s\n", r, e.msg);
	assert_int_equal(r, -EPROTO);
	sim_post(&sim_main, "/__sim/fault", "{\"match\":\"/interface/wireguard/peers\","
					    "\"method\":\"GET\",\"kind\":\"truncate\",\"mode\":\"eof\","
					    "\"count\":1}");
	r = backend_get_iface(be, "wgflt0", &have, &e);
	print_message("# truncated (eof): %d %s\n", r, e.msg);
	assert_true(r == -EPROTO || r == -EHOSTUNREACH);

	/* a 503 from the device is an error with the status, not a crash or a retry loop */
	sim_post(&sim_main, "/__sim/fault", "{\"match\":\"/interface\",\"method\":\"GET\","
					    "\"kind\":\"status\",\"status\":503,\"count\":1}");
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	r = backend_list_ifaces(be, &names, &e);
	assert_int_equal(r, -EPROTO);
	assert_non_null(strstr(e.msg, "503"));
	assert_int_equal(count_calls(), 1); /* HTTP answers are not retried */
	sim_post(&sim_main, "/__sim/faults/clear", "{}");

	/* and everything works again afterwards */
	assert_int_equal(backend_get_iface(be, "wgflt0", &have, &e), 0);
	dev_iface_release(&have);
	assert_int_equal(backend_list_ifaces(be, &names, &e), 0);
	strv_release(&names);
	del_iface(be, "wgflt0");
}

/* Debug logging on: stderr carries method/path/status, never passwords or keys. */
static void mt_debug_log_no_secrets(void **state)
{
	struct cfg_backend c;
	struct backend *be;
	struct dev_iface d = { 0 };
	struct dev_peer p;
	struct err e = { 0 };
	char logpath[600], priv[WG_KEY_B64_SIZE], psk[WG_KEY_B64_SIZE], *log;
	int saved, fd;

	(void)state;
	snprintf(logpath, sizeof(logpath), "%s/debug.log", tmpdir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	log_set_level(LOG_LVL_DEBUG);

	cfg_fill(&c, "mt-debug", sim_main.port, false, "admin", "admin");
	c.debug = true;
	be = mt_register(&c, &e);
	snprintf(d.name, sizeof(d.name), "wgdbg0");
	key_generate_private(d.private_key);
	d.up = true;
	d.flags = DEV_IFACE_HAS_PRIVATE_KEY;
	if (be) {
		(void)backend_apply_iface(be, &d, &e);
		ct_peer(&p, "10.96.0.2/32", NULL);
		key_generate_psk(p.preshared_key);
		(void)backend_apply_peers(be, "wgdbg0", &p, 1, &e);
		struct dev_iface got = { 0 };
		(void)backend_get_iface(be, "wgdbg0", &got, &e);
		dev_iface_release(&got);
		(void)backend_delete_iface(be, "wgdbg0", &e);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LVL_INFO);
	assert_non_null(be);

	log = test_read_file(logpath);
	assert_non_null(log);
	key_to_base64(priv, d.private_key);
	key_to_base64(psk, p.preshared_key);
	assert_non_null(strstr(log, "PUT /interface/wireguard/peers -> 201"));
	assert_non_null(strstr(log, "GET /interface/wireguard"));
	assert_null(strstr(log, priv));
	assert_null(strstr(log, psk));
	assert_null(strstr(log, "admin:admin"));
	assert_null(strstr(log, "YWRtaW46YWRtaW4")); /* base64("admin:admin") */
	assert_null(strstr(log, "Authorization"));
	assert_null(strstr(log, "\"private-key\""));
	assert_null(strstr(log, "\"preshared-key\""));
	free(log);
	dev_peer_release(&p);
	dev_iface_release(&d);
	cfg_free(&c);
}

/* Over the whole run the router never saw more than `concurrency` calls at once. */
static void mt_max_in_flight_overall(void **state)
{
	long m = max_in_flight_seen;

	(void)state;
	print_message("# max_in_flight over the contract cases: %ld\n", m);
	assert_true(m >= 1 && m <= CONCURRENCY);
}

static int group_setup(void **state)
{
	struct err e = { 0 };

	(void)state;
	tmpdir = test_tmpdir();
	if (!tmpdir || sim_start(&sim_main, 0, NULL) < 0) {
		print_message("# cannot start tests/sim/routeros_sim.py\n");
		return -1;
	}
	cfg_fill(&cfg_main, "mt", sim_main.port, false, "admin", "admin");
	contract_env.be = mt_register(&cfg_main, &e);
	if (!contract_env.be) {
		print_message("# register: %s\n", e.msg);
		return -1;
	}
	contract_env.ifname = "wgct0";
	contract_env.arm_fault = mt_arm_fault;
	contract_env.clear_fault = mt_clear_fault;
	contract_env.after_case = mt_after_case;
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
	if (tmpdir)
		test_tmpdir_remove(tmpdir);
	free(tmpdir);
	return 0;
}

static int reset_stats_setup(void **state)
{
	(void)state;
	sim_post(&sim_main, "/__sim/stats/reset", "{}");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(mt_implementation, reset_stats_setup),
		CONTRACT_TESTS,
		cmocka_unit_test(mt_max_in_flight_overall),
		cmocka_unit_test(mt_concurrency),
		cmocka_unit_test(mt_call_counts),
		cmocka_unit_test(mt_stats),
		cmocka_unit_test(mt_dynamic_peer),
		cmocka_unit_test(mt_timeout_and_broken_replies),
		cmocka_unit_test(mt_debug_log_no_secrets),
		cmocka_unit_test(mt_versions),
		cmocka_unit_test(mt_permissions),
		cmocka_unit_test(mt_recover),
		cmocka_unit_test(mt_tls),
	};

	signal(SIGPIPE, SIG_IGN);
	atexit(sims_kill_all);
	return cmocka_run_group_tests_name("contract_mikrotik", tests, group_setup,
					   group_teardown);
}
