/* SPDX-License-Identifier: MIT */
/* Unit tests for sync/route_refs: per-prefix reference counts behind per-peer route deltas. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/cidr.h"
#include "sync/route_refs.h"

/* Any distinct address serves as an app key: the registry never dereferences it. */
static const int app_a, app_b;
#define APP_A ((const struct app *)&app_a)
#define APP_B ((const struct app *)&app_b)

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(s, true, &p), 0);
	return p;
}

/* "a,b" of the delta list (sorted as produced), "" when empty. */
static void fmt_list(const struct ip_prefix *v, size_t n, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char s[CIDR_STR_MAX];
		ip_prefix_format(&v[i], s);
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", s);
	}
}

static void expect_delta(struct route_delta *d, const char *add, const char *del)
{
	char a[256], r[256];

	fmt_list(d->add, d->n_add, a, sizeof(a));
	fmt_list(d->del, d->n_del, r, sizeof(r));
	assert_string_equal(a, add);
	assert_string_equal(r, del);
	route_delta_release(d);
}

static void test_route_refs__shared_prefix_stays_until_last_peer(void **state)
{
	struct route_refs *rr;
	struct route_delta d = { 0 };
	struct ip_prefix a[] = { pfx("10.0.0.2/32"), pfx("10.9.0.0/24") };
	struct ip_prefix b[] = { pfx("10.0.0.3/32"), pfx("10.9.0.7/24") }; /* host bits masked */

	(void)state;
	rr = route_refs_reset(APP_A, "wg0", 7, 20007);
	assert_non_null(rr);
	assert_ptr_equal(route_refs_find(APP_A, "wg0"), rr);
	assert_null(route_refs_find(APP_B, "wg0"));
	assert_int_equal(rr->ifindex, 7);
	assert_int_equal(rr->table, 20007);

	assert_int_equal(route_refs_set_peer(rr, "A", a, 2, &d), 0);
	expect_delta(&d, "10.9.0.0/24,10.0.0.2/32", ""); /* sorted by length first */
	assert_int_equal(route_refs_set_peer(rr, "B", b, 2, &d), 0);
	expect_delta(&d, "10.0.0.3/32", ""); /* 10.9.0.0/24 already routed by A */
	assert_int_equal(route_refs_set_peer(rr, "A", NULL, 0, &d), 0);
	expect_delta(&d, "", "10.0.0.2/32"); /* B still needs 10.9.0.0/24 */
	assert_int_equal(route_refs_set_peer(rr, "B", NULL, 0, &d), 0);
	expect_delta(&d, "", "10.9.0.0/24,10.0.0.3/32");
	/* removing an unknown peer changes nothing */
	assert_int_equal(route_refs_set_peer(rr, "C", NULL, 0, &d), 0);
	expect_delta(&d, "", "");
	route_refs_drop(APP_A, NULL);
	assert_null(route_refs_find(APP_A, "wg0"));
}

static void test_route_refs__update_moves_only_the_difference(void **state)
{
	struct route_refs *rr = route_refs_reset(APP_A, "wg1", 3, 100);
	struct route_delta d = { 0 };
	struct ip_prefix before[] = { pfx("10.0.0.2/32"), pfx("10.9.0.0/24"), pfx("fd00::/64") };
	struct ip_prefix after[] = { pfx("fd00::/64"), pfx("10.8.0.0/24"), pfx("10.0.0.2/32"),
				     pfx("10.8.0.0/24") /* duplicate: counted once */ };

	(void)state;
	assert_non_null(rr);
	assert_int_equal(route_refs_set_peer(rr, "A", before, 3, NULL), 0); /* a rebuild */
	assert_int_equal(route_refs_set_peer(rr, "A", after, 4, &d), 0);
	expect_delta(&d, "10.8.0.0/24", "10.9.0.0/24");
	/* re-key: the new id takes the same prefixes first, then the old one lets go */
	assert_int_equal(route_refs_set_peer(rr, "A2", after, 4, &d), 0);
	assert_int_equal(route_refs_set_peer(rr, "A", NULL, 0, &d), 0);
	expect_delta(&d, "", "");
	/* reset empties the entry: everything is new again */
	rr = route_refs_reset(APP_A, "wg1", 4, 100);
	assert_int_equal(rr->ifindex, 4);
	assert_int_equal(route_refs_set_peer(rr, "A2", after, 4, &d), 0);
	expect_delta(&d, "10.8.0.0/24,10.0.0.2/32,fd00::/64", "");
	route_refs_drop(APP_A, "wg1");
	assert_null(route_refs_find(APP_A, "wg1"));
}

static void test_route_refs__many_peers_one_prefix(void **state)
{
	struct route_refs *rr = route_refs_reset(APP_B, "wg2", 1, 1);
	struct route_delta d = { 0 };
	struct ip_prefix net = pfx("192.168.0.0/16");
	char id[16];

	(void)state;
	for (int i = 0; i < 10000; i++) {
		struct ip_prefix v[2] = { net, { .family = AF_INET, .len = 32 } };
		v[1].addr[0] = 10, v[1].addr[2] = (uint8_t)(i >> 8), v[1].addr[3] = (uint8_t)i;
		snprintf(id, sizeof(id), "p%d", i);
		assert_int_equal(route_refs_set_peer(rr, id, v, 2, &d), 0);
		assert_int_equal(d.n_add, i == 0 ? 2 : 1);
		route_delta_release(&d);
	}
	for (int i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		assert_int_equal(route_refs_set_peer(rr, id, NULL, 0, &d), 0);
		assert_int_equal(d.n_del, i == 9999 ? 2 : 1);
		route_delta_release(&d);
	}
	route_refs_drop(APP_B, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_refs__shared_prefix_stays_until_last_peer),
		cmocka_unit_test(test_route_refs__update_moves_only_the_difference),
		cmocka_unit_test(test_route_refs__many_peers_one_prefix),
	};
	return cmocka_run_group_tests_name("route_refs", tests, NULL, NULL);
}
