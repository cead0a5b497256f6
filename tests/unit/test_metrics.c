/* SPDX-License-Identifier: MIT */
/* The /metrics renderer: label escaping and the page built from an in-memory store. */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/render.h"
#include "model/iface.h"
#include "model/peer.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/strv.h"

static void test_metrics__label_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(metrics_label_escape(&b, "a\\b\"c\nd"), 0);
	assert_string_equal(b.p, "a\\\\b\\\"c\\nd");
	buf_release(&b);
	buf_init(&b, 1024);
	assert_int_equal(metrics_label_escape(&b, ""), 0);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	assert_int_equal(metrics_label_escape(&b, NULL), 0);
	assert_int_equal(metrics_label_escape(&b, "plain ütf-8 {}=,"), 0);
	assert_string_equal(b.p, "plain ütf-8 {}=,");
	buf_release(&b);
	/* bounded: an escape that does not fit fails instead of growing */
	buf_init(&b, 4);
	assert_int_equal(metrics_label_escape(&b, "\"\"\""), -E2BIG);
	buf_release(&b);
}

static struct peer *mkpeer(const char *iface, char c, const char *name, const char *user,
			   const char *addr1, const char *addr2)
{
	struct peer *p = peer_new();

	assert_non_null(p);
	memset(p->identifier, c, 43);
	p->identifier[43] = '=';
	p->identifier[44] = '\0';
	memcpy(p->public_key, p->identifier, sizeof(p->public_key));
	assert_int_equal(str_set(&p->interface_identifier, iface), 0);
	assert_int_equal(str_set(&p->display_name, name), 0);
	if (user)
		assert_int_equal(str_set(&p->user_identifier, user), 0);
	assert_int_equal(strv_push(&p->addresses, addr1), 0);
	if (addr2)
		assert_int_equal(strv_push(&p->addresses, addr2), 0);
	return p;
}

/* The page for two peers and one interface, compared line by line. */
static void test_metrics__render(void **state)
{
	struct store *st = NULL;
	struct iface *ifc = iface_new();
	struct peer *p1, *p2, *p3;
	struct peer_status ps[2];
	struct iface_status is;
	struct err err = { 0 };
	struct buf b;
	char want[1024], *hs, *up;

	(void)state;
	assert_int_equal(test_store_fresh(":memory:", NULL, &st, NULL), 0);
	assert_int_equal(str_set(&ifc->identifier, "wg0"), 0);
	assert_int_equal(store_iface_insert(st, ifc, &err), 0);
	p1 = mkpeer("wg0", 'A', "with \"quote\"\nand \\", "u1", "10.0.0.2/32", "fd00::2/128");
	p2 = mkpeer("wg0", 'B', "silent", NULL, "10.0.0.3/32", NULL);
	p3 = mkpeer("wg0", 'C', "no status row yet", NULL, "10.0.0.4/32", NULL);
	assert_int_equal(store_peer_insert(st, p1, &err), 0);
	assert_int_equal(store_peer_insert(st, p2, &err), 0);
	assert_int_equal(store_peer_insert(st, p3, &err), 0);
	memset(ps, 0, sizeof(ps));
	snprintf(ps[0].peer_id, sizeof(ps[0].peer_id), "%s", p1->identifier);
	snprintf(ps[0].iface_id, sizeof(ps[0].iface_id), "wg0");
	ps[0].bytes_received = 18446744073709551615ULL; /* uint64 max survives */
	ps[0].bytes_transmitted = 7;
	ps[0].last_handshake = 1700000000;
	ps[0].is_connected = true;
	ps[0].stats_available = true;
	snprintf(ps[1].peer_id, sizeof(ps[1].peer_id), "%s", p2->identifier);
	snprintf(ps[1].iface_id, sizeof(ps[1].iface_id), "wg0");
	ps[1].stats_available = false; /* pfSense-like: no counters */
	memset(&is, 0, sizeof(is));
	snprintf(is.iface_id, sizeof(is.iface_id), "wg0");
	is.bytes_received = 11;
	is.bytes_transmitted = 13;
	assert_int_equal(store_status_put(st, ps, 2, &is, 1, &err), 0);

	buf_init(&b, 1u << 20);
	assert_int_equal(metrics_render(st, &b, &err), 0);
	assert_non_null(b.p);
	assert_int_equal(b.p[b.len - 1], '\n');
	assert_non_null(strstr(b.p,
		"# HELP wireguard_interface_received_bytes_total Bytes received througth the "
		"interface.\n# TYPE wireguard_interface_received_bytes_total gauge\n"
		"wireguard_interface_received_bytes_total{interface=\"wg0\"} 11\n"
		"# HELP wireguard_interface_sent_bytes_total Bytes sent through the interface.\n"
		"# TYPE wireguard_interface_sent_bytes_total gauge\n"
		"wireguard_interface_sent_bytes_total{interface=\"wg0\"} 13\n"));
	snprintf(want, sizeof(want),
		 "# HELP wireguard_peer_up Peer connection state (boolean: 1/0).\n"
		 "# TYPE wireguard_peer_up gauge\n"
		 "wireguard_peer_up{interface=\"wg0\",addresses=\"10.0.0.2/32,fd00::2/128\","
		 "id=\"%s\",name=\"with \\\"quote\\\"\\nand \\\\\",user=\"u1\"} 1\n"
		 "wireguard_peer_up{interface=\"wg0\",addresses=\"10.0.0.3/32\",id=\"%s\","
		 "name=\"silent\",user=\"\"} 0\n"
		 "# HELP wireguard_peer_last_handshake_seconds",
		 p1->identifier, p2->identifier);
	up = strstr(b.p, want);
	assert_non_null(up);
	/* the silent peer has no counters (not available), and only p1 has a handshake */
	hs = strstr(b.p, "# TYPE wireguard_peer_last_handshake_seconds gauge\n");
	assert_non_null(hs);
	snprintf(want, sizeof(want), "wireguard_peer_last_handshake_seconds{interface=\"wg0\","
		 "addresses=\"10.0.0.2/32,fd00::2/128\",id=\"%s\",name=\"with \\\"quote\\\"\\nand "
		 "\\\\\",user=\"u1\"} 1700000000\n# HELP wireguard_peer_received_bytes_total",
		 p1->identifier);
	assert_non_null(strstr(hs, want));
	assert_non_null(strstr(b.p, "} 18446744073709551615\n"));
	assert_null(strstr(b.p, p3->identifier)); /* no status row: not exported */
	snprintf(want, sizeof(want), "wireguard_peer_received_bytes_total{interface=\"wg0\","
		 "addresses=\"10.0.0.3/32\"");
	assert_null(strstr(b.p, want));
	assert_non_null(strstr(b.p, "promhttp_metric_handler_errors_total{cause=\"encoding\"} 0\n"));
	assert_non_null(strstr(b.p, "# TYPE wgportal_process_cpu_seconds_total counter\n"));
	buf_release(&b);

	/* a page larger than the buffer's maximum fails cleanly */
	buf_init(&b, 256);
	assert_int_equal(metrics_render(st, &b, &err), -E2BIG);
	buf_release(&b);

	/* a second render (buffers reused) gives the same page */
	{
		struct buf b2;
		buf_init(&b, 1u << 20);
		buf_init(&b2, 1u << 20);
		assert_int_equal(metrics_render(st, &b, &err), 0);
		assert_int_equal(metrics_render(st, &b2, &err), 0);
		const char *e1 = strstr(b.p, "# HELP promhttp"), *e2 = strstr(b2.p, "# HELP promhttp");
		assert_non_null(e1);
		assert_non_null(e2);
		assert_int_equal(e1 - b.p, e2 - b2.p);
		assert_memory_equal(b.p, b2.p, (size_t)(e1 - b.p));
		buf_release(&b);
		buf_release(&b2);
	}
	metrics_render_release();
	peer_free(p1);
	peer_free(p2);
	peer_free(p3);
	iface_free(ifc);
	store_close(st);
}

/* Many peers, statistics for every other one: each exported once, none without a row. */
static void test_metrics__many_peers(void **state)
{
	enum { N = 3000 };
	struct store *st = NULL;
	struct iface *ifc = iface_new();
	struct peer_status *ps = calloc(N / 2, sizeof(*ps));
	struct err err = { 0 };
	struct buf b;
	size_t n_up = 0;

	(void)state;
	assert_non_null(ps);
	assert_int_equal(test_store_fresh(":memory:", NULL, &st, NULL), 0);
	assert_int_equal(str_set(&ifc->identifier, "wg1"), 0);
	assert_int_equal(store_iface_insert(st, ifc, &err), 0);
	assert_int_equal(store_begin(st, &err), 0);
	for (int i = 0; i < N; i++) {
		struct peer *p = peer_new();
		char a[32];

		snprintf(p->identifier, sizeof(p->identifier), "K%042d=", i);
		memcpy(p->public_key, p->identifier, sizeof(p->public_key));
		assert_int_equal(str_set(&p->interface_identifier, "wg1"), 0);
		snprintf(a, sizeof(a), "10.1.%d.%d/32", i / 250, i % 250 + 1);
		assert_int_equal(strv_push(&p->addresses, a), 0);
		assert_int_equal(store_peer_insert(st, p, &err), 0);
		if (i % 2 == 0) {
			struct peer_status *s = &ps[i / 2];
			snprintf(s->peer_id, sizeof(s->peer_id), "%s", p->identifier);
			snprintf(s->iface_id, sizeof(s->iface_id), "wg1");
			s->stats_available = true;
			s->bytes_received = (uint64_t)i;
		}
		peer_free(p);
	}
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_status_put(st, ps, N / 2, NULL, 0, &err), 0);
	buf_init(&b, 64u << 20);
	assert_int_equal(metrics_render(st, &b, &err), 0);
	for (const char *q = b.p; (q = strstr(q, "\nwireguard_peer_up{")); q++)
		n_up++;
	assert_int_equal(n_up, N / 2);
	assert_non_null(strstr(b.p, "id=\"K000000000000000000000000000000000000002998=\""));
	assert_null(strstr(b.p, "id=\"K000000000000000000000000000000000000002999=\""));
	assert_non_null(strstr(b.p, "addresses=\"10.1.11.249/32\",id=\"K0000000000000000000000"
				    "00000000000000002998=\",name=\"\",user=\"\"} 2998\n"));
	buf_release(&b);
	metrics_render_release();
	free(ps);
	iface_free(ifc);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics__label_escape),
		cmocka_unit_test(test_metrics__render),
		cmocka_unit_test(test_metrics__many_peers),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
