/* SPDX-License-Identifier: MIT */
/*
 * Ping checks below the scheduler: the ICMP echo (checksum, loopback answers, bad input) and
 * the store semantics of a round's results (IsPingable, LastPing, IsConnected,
 * LastSessionStart; counters untouched; deleted peers get no row; targets).
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/iface.h"
#include "model/peer.h"
#include "monitor/icmp.h"
#include "store/store.h"
#include "store/store_monitor.h"
#include "util/err.h"
#include "util/strv.h"

static void test_ping__checksum(void **state)
{
	/* RFC 1071's example bytes sum to 0xddf2 -> checksum ~0xddf2 = 0x220d */
	const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t odd[] = { 0x01 };

	(void)state;
	assert_int_equal(ntohs(icmp_checksum(v, sizeof(v))), 0x220d);
	assert_int_equal(ntohs(icmp_checksum(odd, 1)), 0xfeff);
}

static void test_ping__loopback(void **state)
{
	struct err err = { 0 };
	int64_t rtt = -1;
	int r;

	(void)state;
	assert_int_equal(icmp_echo("not-an-ip", false, 100, NULL, &err), -EINVAL);
	assert_int_equal(icmp_echo("", true, 100, NULL, &err), -EINVAL);
	if (geteuid() != 0) {
		/* raw sockets need CAP_NET_RAW: the error must say so */
		r = icmp_echo("127.0.0.1", false, 500, NULL, &err);
		assert_true(r == -EACCES || r == 1);
		return;
	}
	assert_int_equal(icmp_echo("127.0.0.1", false, 1000, &rtt, &err), 1);
	assert_true(rtt >= 0 && rtt < 1000000);
	assert_int_equal(icmp_echo("127.0.0.1/32", false, 1000, NULL, &err), 1);
	r = icmp_echo("::1", false, 1000, NULL, &err);
	assert_true(r == 1 || r == 0); /* 0: no IPv6 on lo in this environment */
	/* datagram sockets: allowed or refused by ping_group_range, never a hang */
	r = icmp_echo("127.0.0.1", true, 1000, NULL, &err);
	assert_true(r == 1 || (r == -EACCES && strstr(err.msg, "ping_group_range")));
}

static struct peer *mkpeer(const char *iface, char c, const char *check, const char *addr,
			   bool disabled)
{
	struct peer *p = peer_new();

	assert_non_null(p);
	memset(p->identifier, c, 43);
	p->identifier[43] = '=';
	memcpy(p->public_key, p->identifier, sizeof(p->public_key));
	assert_int_equal(str_set(&p->interface_identifier, iface), 0);
	if (check)
		assert_int_equal(str_set(&p->check_alive_address, check), 0);
	if (addr)
		assert_int_equal(strv_push(&p->addresses, addr), 0);
	p->disabled = disabled;
	return p;
}

static void test_ping__store_semantics(void **state)
{
	struct store *st = NULL;
	struct iface *ifc = iface_new();
	struct peer *pa = mkpeer("wg0", 'A', NULL, "10.0.0.2/32", false);
	struct peer *pb = mkpeer("wg0", 'B', "192.168.5.5", "10.0.0.3/32", false);
	struct peer *pc = mkpeer("wg0", 'C', NULL, "10.0.0.4/32", true);   /* disabled */
	struct peer *pd = mkpeer("wg0", 'D', NULL, NULL, false);           /* no address */
	struct store_ping_target *t = NULL;
	struct store_ping_result res[3];
	struct peer_status ps, got;
	struct err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(test_store_fresh(":memory:", NULL, &st, NULL), 0);
	assert_int_equal(str_set(&ifc->identifier, "wg0"), 0);
	assert_int_equal(str_set(&ifc->backend, "mt1"), 0);
	assert_int_equal(store_iface_insert(st, ifc, &err), 0);
	assert_int_equal(store_peer_insert(st, pa, &err), 0);
	assert_int_equal(store_peer_insert(st, pb, &err), 0);
	assert_int_equal(store_peer_insert(st, pc, &err), 0);
	assert_int_equal(store_peer_insert(st, pd, &err), 0);

	/* targets: enabled peers with an address; CheckAliveAddress first, prefix dropped */
	assert_int_equal(store_ping_targets(st, &t, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].peer_id, pa->identifier);
	assert_string_equal(t[0].addr, "10.0.0.2");
	assert_string_equal(t[0].backend, "mt1");
	assert_string_equal(t[1].addr, "192.168.5.5");
	free(t);

	/* B has counters and a fresh handshake from the collector; A has no row yet */
	memset(&ps, 0, sizeof(ps));
	snprintf(ps.peer_id, sizeof(ps.peer_id), "%s", pb->identifier);
	snprintf(ps.iface_id, sizeof(ps.iface_id), "wg0");
	ps.bytes_received = 99;
	ps.last_handshake = 1000000 - 10;
	ps.stats_available = true;
	ps.is_connected = true;
	ps.last_session_start = 1000000 - 10;
	assert_int_equal(store_status_put(st, &ps, 1, NULL, 0, &err), 0);

	res[0] = (struct store_ping_result){ pa->identifier, "wg0", true, true };
	res[1] = (struct store_ping_result){ pb->identifier, "wg0", false, true };
	res[2] = (struct store_ping_result){ "gone-peer", "wg0", true, true };
	assert_int_equal(store_ping_results_put(st, res, 3, 1000000, 180, &err), 0);
	assert_int_equal(store_peer_status_get(st, pa->identifier, &got, &err), 0);
	assert_true(got.is_pingable && got.is_connected);
	assert_int_equal(got.last_ping, 1000000);
	assert_int_equal(got.last_session_start, 1000000);
	assert_int_equal(store_peer_status_get(st, pb->identifier, &got, &err), 0);
	/* no answer, but the handshake is fresh: still connected, session and counters kept */
	assert_false(got.is_pingable);
	assert_int_equal(got.last_ping, 0);
	assert_true(got.is_connected);
	assert_int_equal(got.last_session_start, 1000000 - 10);
	assert_int_equal(got.bytes_received, 99);
	assert_int_equal(store_peer_status_get(st, "gone-peer", &got, &err), -ENOENT);

	/* later: A stops answering (no handshake) -> disconnected; B's handshake got old */
	res[0].pingable = false;
	assert_int_equal(store_ping_results_put(st, res, 2, 1000000 + 600, 180, &err), 0);
	assert_int_equal(store_peer_status_get(st, pa->identifier, &got, &err), 0);
	assert_false(got.is_pingable || got.is_connected);
	assert_int_equal(got.last_ping, 0);
	assert_int_equal(store_peer_status_get(st, pb->identifier, &got, &err), 0);
	assert_false(got.is_connected);
	/* B answers again: a new session starts now */
	res[1].pingable = true;
	assert_int_equal(store_ping_results_put(st, &res[1], 1, 1000000 + 900, 180, &err), 0);
	assert_int_equal(store_peer_status_get(st, pb->identifier, &got, &err), 0);
	assert_true(got.is_connected && got.is_pingable);
	assert_int_equal(got.last_session_start, 1000000 + 900);
	assert_int_equal(got.last_ping, 1000000 + 900);

	peer_free(pa);
	peer_free(pb);
	peer_free(pc);
	peer_free(pd);
	iface_free(ifc);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping__checksum),
		cmocka_unit_test(test_ping__loopback),
		cmocka_unit_test(test_ping__store_semantics),
	};

	return cmocka_run_group_tests_name("ping", tests, NULL, NULL);
}
