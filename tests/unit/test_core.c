/* SPDX-License-Identifier: MIT */
/* Unit tests for core/ address bookkeeping and sync/ stored -> device conversion. */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backends/backend.h"
#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "store/store-int.h"
#include "sync/sync-int.h"
#include "util/err.h"

static void net(const char *s, struct ip_prefix *p)
{
	assert_int_equal(ip_prefix_parse(s, false, p), 0);
}

static void assert_prefix(const struct ip_prefix *p, const char *want)
{
	char buf[CIDR_STR_MAX];

	ip_prefix_format(p, buf);
	assert_string_equal(buf, want);
}

static void test_core__next_network(void **state)
{
	struct ip_prefix p;

	(void)state;
	net("10.11.12.0/24", &p);
	assert_int_equal(core_next_network(&p), 0);
	assert_prefix(&p, "10.11.13.0/24");
	net("10.0.255.0/24", &p);
	assert_int_equal(core_next_network(&p), 0);
	assert_prefix(&p, "10.1.0.0/24");
	net("10.232.0.0/16", &p);
	assert_int_equal(core_next_network(&p), 0);
	assert_prefix(&p, "10.233.0.0/16");
	net("10.0.0.0/30", &p);
	assert_int_equal(core_next_network(&p), 0);
	assert_prefix(&p, "10.0.0.4/30");
	net("255.255.255.0/24", &p);
	assert_int_equal(core_next_network(&p), -ERANGE);
	net("fdfd:d3ad:c0de:1234::/64", &p);
	assert_int_equal(core_next_network(&p), 0);
	assert_prefix(&p, "fdfd:d3ad:c0de:1235::/64");
}

static void test_core__alloc_skips_used_and_stops_before_broadcast(void **state)
{
	struct strv used = STRV_INIT;
	struct ip_prefix n, a;
	struct err e;

	(void)state;
	err_clear(&e);
	net("10.0.0.0/29", &n); /* hosts .1 - .6, .7 is the broadcast address */
	assert_int_equal(core_alloc_address(&n, &used, &a, &e), 0);
	assert_prefix(&a, "10.0.0.1/32");
	for (int i = 1; i <= 5; i++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "10.0.0.%d", i);
		strv_push(&used, buf);
	}
	strv_push(&used, "10.9.9.9"); /* outside the network: irrelevant */
	core_sort_addresses(&used);
	assert_int_equal(core_alloc_address(&n, &used, &a, &e), 0);
	assert_prefix(&a, "10.0.0.6/32");
	strv_push(&used, "10.0.0.6");
	core_sort_addresses(&used);
	assert_int_equal(core_alloc_address(&n, &used, &a, &e), -EADDRNOTAVAIL);
	assert_non_null(strstr(e.msg, "10.0.0.0/29 is exhausted"));
	strv_release(&used);

	net("fd00::/126", &n);
	assert_int_equal(core_alloc_address(&n, &used, &a, &e), 0);
	assert_prefix(&a, "fd00::1/128");
}

static void test_core__alloc_10k_is_sequential(void **state)
{
	struct strv used = STRV_INIT;
	struct ip_prefix n, a;
	struct err e;

	(void)state;
	net("10.232.0.0/16", &n);
	/* 10,000 used addresses: the allocator must find the first gap, here .39.17 */
	for (int i = 1; i <= 10000; i++) {
		char buf[32];
		if (i == 10001 - 1000)
			continue; /* leave one gap at index 9001 */
		snprintf(buf, sizeof(buf), "10.232.%d.%d", i / 256, i % 256);
		strv_push(&used, buf);
	}
	core_sort_addresses(&used);
	assert_int_equal(core_alloc_address(&n, &used, &a, &e), 0);
	assert_prefix(&a, "10.232.35.41/32"); /* 9001 = 35 * 256 + 41 */
	strv_release(&used);
}

static struct cfg *cfg_for_test(void)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	assert_int_equal(cfg_defaults(cfg), 0);
	return cfg;
}

static void test_sync__route_table_and_fwmark(void **state)
{
	struct cfg *cfg = cfg_for_test();
	struct app app = { .cfg = cfg };
	struct iface *ifc = iface_new();

	(void)state;
	assert_int_equal(cfg->advanced.route_table_offset, 20000);
	assert_int_equal(sync_route_table(&app, ifc, 7), 20007);
	assert_int_equal(sync_fwmark(&app, ifc, 7), 20007);
	str_set(&ifc->routing_table, "off");
	assert_int_equal(sync_route_table(&app, ifc, 7), 0);
	str_set(&ifc->routing_table, "0x10");
	assert_int_equal(sync_route_table(&app, ifc, 7), 16);
	str_set(&ifc->routing_table, "0");
	ifc->firewall_mark = 77;
	assert_int_equal(sync_route_table(&app, ifc, 7), 77);
	assert_int_equal(sync_fwmark(&app, ifc, 7), 77);
	iface_free(ifc);
	cfg_release(cfg);
	free(cfg);
}

static struct peer *peer_with(const char *mode)
{
	struct peer *p = peer_new();
	char priv[WG_KEY_B64_SIZE];

	key_pair_b64(priv, p->public_key);
	memcpy(p->identifier, p->public_key, sizeof(p->identifier));
	str_set(&p->mode, mode);
	strv_push(&p->addresses, "10.0.0.2/24"); /* not a host prefix: must become /32 */
	strv_push(&p->extra_allowed_ips, "192.168.5.7/24");
	strv_push(&p->allowed_ips.value, "0.0.0.0/0");
	str_set(&p->endpoint.value, "192.0.2.1:51820");
	p->persistent_keepalive.value = 25;
	return p;
}

/* A database that fails while a new peer's interface is read is the database's error (503
 * while a server is unreachable), not "invalid interface" (400): seen as a 400 in the middle of
 * a PostgreSQL restart (tests/cluster). Here the table is gone, which SQLite reports as -EIO. */
static void test_core__peer_create_database_failure_is_not_bad_input(void **state)
{
	struct cfg *cfg = cfg_for_test();
	struct app app = { .cfg = cfg };
	struct peer *p = peer_with("client");
	struct err err = { 0 };
	int r;

	(void)state;
	pthread_mutex_init(&app.write_lock, NULL);
	assert_int_equal(store_open(":memory:", NULL, &app.store, &err), 0);
	str_set(&p->interface_identifier, "wg0");
	/* an interface that does not exist is bad input */
	r = core_peer_create(&app, p, &err);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err.field, "InterfaceIdentifier");
	err_clear(&err);
	assert_int_equal(store_exec(app.store, "DROP TABLE interface_addresses; DROP TABLE interfaces",
				    &err), 0);
	r = core_peer_create(&app, p, &err);
	assert_int_equal(r, -EIO);
	store_close(app.store);
	pthread_mutex_destroy(&app.write_lock);
	peer_free(p);
	cfg_release(cfg);
	free(cfg);
}

static void test_sync__server_side_peer_gets_addresses_no_endpoint(void **state)
{
	struct iface *ifc = iface_new();
	struct peer *p = peer_with("client");
	struct dev_peer dp;

	(void)state;
	str_set(&ifc->mode, "server");
	assert_int_equal(sync_dev_peer_from(ifc, p, true, &dp), 0);
	assert_int_equal(dp.n_allowed_ips, 2);
	assert_prefix(&dp.allowed_ips[0], "10.0.0.2/32");
	assert_prefix(&dp.allowed_ips[1], "192.168.5.0/24");
	assert_string_equal(dp.endpoint, "");
	assert_int_equal(dp.persistent_keepalive, 0);
	assert_true(dp.flags & DEV_PEER_REPLACE_ALLOWEDIPS);
	dev_peer_release(&dp);
	peer_free(p);
	iface_free(ifc);
}

static void test_sync__client_side_peer_gets_allowed_ips_and_endpoint(void **state)
{
	struct iface *ifc = iface_new();
	struct peer *p = peer_with("server");
	struct dev_peer dp;
	struct ip_prefix *routes = NULL;
	size_t n = 0;

	(void)state;
	str_set(&ifc->mode, "client");
	assert_int_equal(sync_dev_peer_from(ifc, p, true, &dp), 0);
	assert_int_equal(dp.n_allowed_ips, 2);
	assert_prefix(&dp.allowed_ips[0], "0.0.0.0/0");
	assert_string_equal(dp.endpoint, "192.0.2.1:51820");
	assert_true(dp.flags & DEV_PEER_HAS_ENDPOINT);
	assert_int_equal(dp.persistent_keepalive, 25);
	/* a client interface routes each peer's AllowedIPs */
	assert_int_equal(sync_peer_routes(ifc, p, &routes, &n), 0);
	assert_int_equal(n, 2);
	assert_prefix(&routes[0], "0.0.0.0/0");
	free(routes);
	dev_peer_release(&dp);

	/* an empty mode follows the interface; an unknown one gets no allowed IPs */
	str_set(&p->mode, "bogus");
	assert_int_equal(sync_dev_peer_from(ifc, p, true, &dp), 0);
	assert_int_equal(dp.n_allowed_ips, 0);
	dev_peer_release(&dp);
	peer_free(p);
	iface_free(ifc);
}

static void test_sync__disabled_peer_has_no_routes(void **state)
{
	struct iface *ifc = iface_new();
	struct peer *p = peer_with("client");
	struct ip_prefix *routes = NULL;
	size_t n = 0;

	(void)state;
	str_set(&ifc->mode, "server");
	p->disabled = true;
	assert_int_equal(sync_peer_routes(ifc, p, &routes, &n), 0);
	assert_int_equal(n, 0);
	p->disabled = false;
	assert_int_equal(sync_peer_routes(ifc, p, &routes, &n), 0);
	assert_int_equal(n, 2);
	free(routes);
	peer_free(p);
	iface_free(ifc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core__next_network),
		cmocka_unit_test(test_core__alloc_skips_used_and_stops_before_broadcast),
		cmocka_unit_test(test_core__alloc_10k_is_sequential),
		cmocka_unit_test(test_sync__route_table_and_fwmark),
		cmocka_unit_test(test_core__peer_create_database_failure_is_not_bad_input),
		cmocka_unit_test(test_sync__server_side_peer_gets_addresses_no_endpoint),
		cmocka_unit_test(test_sync__client_side_peer_gets_allowed_ips_and_endpoint),
		cmocka_unit_test(test_sync__disabled_peer_has_no_routes),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
