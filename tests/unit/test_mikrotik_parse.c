/* SPDX-License-Identifier: MIT */
/*
 * RouterOS REST reply parsing (src/backends/mikrotik/mt_json.c): durations, versions, every
 * table the backend reads, and replies that are malformed, partial, truncated, wrong-typed or
 * huge. Fixtures in tests/data/mikrotik/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "testlib.h"

#include "backends/http/http.h"
#include "backends/mikrotik/mt-int.h"
#include "util/err.h"

/* A string literal and its length. */
#define LIT(s) s, strlen(s)

static char *fixture(const char *name, size_t *len)
{
	char path[256];
	char *s;

	snprintf(path, sizeof(path), "tests/data/mikrotik/%s", name);
	s = test_read_file(path);
	assert_non_null(s);
	*len = strlen(s);
	return s;
}

static void key_of(uint8_t out[static WG_KEY_LEN], int b)
{
	memset(out, b, WG_KEY_LEN);
}

static void test_mikrotik_parse__durations(void **state)
{
	static const struct {
		const char *s;
		int64_t us;
	} ok[] = {
		{ "0s", 0 },
		{ "25s", 25000000 },
		{ "1m30s", 90000000 },
		{ "1h0m0s", 3600000000LL },
		{ "1d2h3m4s", (((1 * 24 + 2) * 60 + 3) * 60 + 4) * 1000000LL },
		{ "1w2d3h", ((7 + 2) * 24 + 3) * 3600000000LL },
		{ "453us", 453 },
		{ "1ms200us", 1200 },
		{ "1s500ms", 1500000 },
		{ "00:00:02", 2000000 },
		{ "12:34:56", (12 * 3600 + 34 * 60 + 56) * 1000000LL },
		{ "1d 02:03:04", ((26 * 60 + 3) * 60 + 4) * 1000000LL },
		{ "00:00:01.5", 1500000 },
		{ "25", 25000000 },
		{ "1.5s", 1500000 },
		{ "10\xc2\xb5s", 10 },
	};
	static const char *const bad[] = {
		"", "s", "1x", "1m30", "-5s", "1:2", "00:61:00", "00:00:00:00", "1d2h3m4s5",
		"99999999999999999999s", "9999999999999w", "25 s", " 25s", "1.5m", "1ms.5",
		"00:00:02x", "1e3s",
	};
	int64_t us;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		us = -1;
		assert_int_equal(mt_parse_duration_us(ok[i].s, &us), 0);
		assert_int_equal(us, ok[i].us);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mt_parse_duration_us(bad[i], &us), -EINVAL);
	assert_int_equal(mt_parse_duration_us(NULL, &us), -EINVAL);
}

static void test_mikrotik_parse__format_duration(void **state)
{
	char s[24];
	int64_t us;

	(void)state;
	mt_format_duration(s, 25);
	assert_string_equal(s, "25s");
	mt_format_duration(s, 0);
	assert_string_equal(s, "0s");
	mt_format_duration(s, 65535);
	assert_int_equal(mt_parse_duration_us(s, &us), 0);
	assert_int_equal(us, 65535000000LL);
}

static void test_mikrotik_parse__version(void **state)
{
	struct mt_version v;

	(void)state;
	assert_int_equal(mt_parse_version("7.17 (stable)", &v), 0);
	assert_int_equal(v.major, 7);
	assert_int_equal(v.minor, 17);
	assert_int_equal(v.patch, 0);
	assert_int_equal(mt_parse_version("7.15.3 (stable)", &v), 0);
	assert_int_equal(v.patch, 3);
	assert_true(mt_version_ge(&v, 7, 15));
	assert_false(mt_version_ge(&v, 7, 17));
	assert_int_equal(mt_parse_version("7.18beta2", &v), 0);
	assert_int_equal(v.minor, 18);
	assert_true(mt_version_ge(&v, 7, 17));
	assert_int_equal(mt_parse_version("6.49", &v), 0);
	assert_false(mt_version_ge(&v, 7, 0));
	assert_int_equal(mt_parse_version("seven", &v), -EINVAL);
	assert_int_equal(mt_parse_version("7", &v), -EINVAL);
	assert_int_equal(mt_parse_version("7.", &v), -EINVAL);
	assert_int_equal(mt_parse_version("", &v), -EINVAL);
}

static void test_mikrotik_parse__resource(void **state)
{
	struct mt_resource res;
	struct err e = { 0 };
	size_t len;
	char *s = fixture("resource.json", &len);

	(void)state;
	assert_int_equal(mt_parse_resource(s, len, &res, &e), 0);
	assert_string_equal(res.version, "7.17 (stable)");
	assert_string_equal(res.board, "RB5009UG+S+");
	assert_int_equal(res.ver.minor, 17);
	free(s);
	s = fixture("resource_beta.json", &len);
	assert_int_equal(mt_parse_resource(s, len, &res, &e), 0);
	assert_int_equal(res.ver.minor, 18);
	free(s);
	/* a list where an object is expected, missing and wrong-typed version */
	assert_int_equal(mt_parse_resource(LIT("[]"), &res, &e), -EPROTO);
	assert_int_equal(mt_parse_resource(LIT("{}"), &res, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "version"));
	assert_int_equal(mt_parse_resource(LIT("{\"version\":7.17}"), &res, &e), -EPROTO);
	assert_int_equal(mt_parse_resource(LIT("{\"version\":\"x\"}"), &res, &e), -EPROTO);
}

static void test_mikrotik_parse__wg(void **state)
{
	struct mt_wg *w = NULL;
	size_t n = 0, len;
	uint8_t k[WG_KEY_LEN];
	struct err e = { 0 };
	char *s = fixture("wg_list.json", &len);

	(void)state;
	assert_int_equal(mt_parse_wgs(s, len, &w, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(w[0].id, "*1A");
	assert_string_equal(w[0].name, "wg0");
	assert_string_equal(w[0].comment, "office");
	assert_false(w[0].disabled);
	assert_int_equal(w[0].listen_port, 51820);
	assert_int_equal(w[0].mtu, 1420);
	assert_true(w[0].has_private_key);
	key_of(k, 1);
	assert_memory_equal(w[0].private_key, k, WG_KEY_LEN);
	key_of(k, 2);
	assert_memory_equal(w[0].public_key, k, WG_KEY_LEN);
	assert_true(w[1].disabled);
	assert_null(w[1].comment);
	assert_false(w[1].has_private_key);  /* "*****": no 'sensitive' policy */
	assert_true(w[1].private_key_masked);
	assert_true(w[1].has_public_key);
	mt_wgs_free(w, n);
	free(s);

	s = fixture("wg_hidden.json", &len);
	assert_int_equal(mt_parse_wgs(s, len, &w, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_false(w[0].has_private_key);
	assert_false(w[0].private_key_masked);
	mt_wgs_free(w, n);
	free(s);

	assert_int_equal(mt_parse_wgs(LIT("[]"), &w, &n, &e), 0);
	assert_int_equal(n, 0);
	mt_wgs_free(w, n);
}

static void test_mikrotik_parse__wg_bad(void **state)
{
	static const char *const bad[] = {
		"{}",                                                /* object, not a list */
		"[1]",                                               /* element not an object */
		"[{\"name\":\"wg0\"}]",                              /* no .id */
		"[{\".id\":\"*1\"}]",                                /* no name */
		"[{\".id\":\"1\",\"name\":\"wg0\"}]",                /* bad .id */
		"[{\".id\":\"*1/../x\",\"name\":\"wg0\"}]",          /* .id with a path */
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"mtu\":1420}]",  /* number, not a string */
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"mtu\":\"-1\"}]",
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"mtu\":\"99999999\"}]",
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"listen-port\":\"65536\"}]",
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"disabled\":\"maybe\"}]",
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"disabled\":true}]",
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"private-key\":\"AAAA\"}]",
		"[{\".id\":\"*1\",\"name\":null}]",
		"[{\".id\":\"*1\",\"name\":\"wg0\",\"name\":\"wg1\"}]", /* duplicate key */
		"",
		"[",
		"nul",
	};
	struct mt_wg *w = (struct mt_wg *)0x1;
	size_t n = 77;
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		assert_int_equal(mt_parse_wgs(bad[i], strlen(bad[i]), &w, &n, &e), -EPROTO);
		assert_true(e.msg[0] != '\0');
		/* out-params untouched on failure */
		assert_ptr_equal(w, (struct mt_wg *)0x1);
		assert_int_equal(n, 77);
	}
	assert_int_equal(mt_parse_wgs(NULL, 0, &w, &n, &e), -EPROTO);
}

static void test_mikrotik_parse__ifstats_addrs(void **state)
{
	struct mt_ifstat *st = NULL;
	struct mt_addr *a = NULL;
	struct err e = { 0 };
	size_t n = 0, len;
	char buf[CIDR_STR_MAX];
	char *s = fixture("ifstats.json", &len);

	(void)state;
	assert_int_equal(mt_parse_ifstats(s, len, &st, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].rx_bytes, 8395000);
	assert_true(st[0].tx_bytes == UINT64_MAX);
	free(st);
	free(s);
	assert_int_equal(mt_parse_ifstats(LIT("[{\".id\":\"*1\",\"rx-byte\":\"18446744073709551616\"}]"), &st, &n, &e), -EPROTO);
	assert_int_equal(mt_parse_ifstats(LIT("[{\".id\":\"*1\",\"rx-byte\":\"12a\"}]"), &st, &n, &e),
			 -EPROTO);

	s = fixture("addrs4.json", &len);
	assert_int_equal(mt_parse_addrs(s, len, &a, &n, &e), 0);
	assert_int_equal(n, 3);
	ip_prefix_format(&a[0].prefix, buf);
	assert_string_equal(buf, "10.11.12.1/24");
	assert_string_equal(a[0].iface, "wg0");
	assert_false(a[0].dynamic);
	ip_prefix_format(&a[1].prefix, buf);
	assert_string_equal(buf, "10.11.13.1/32"); /* no prefix length means /32 */
	assert_true(a[1].disabled);
	assert_true(a[2].dynamic);
	free(a);
	free(s);
	s = fixture("addrs6.json", &len);
	assert_int_equal(mt_parse_addrs(s, len, &a, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].prefix.family, AF_INET6);
	assert_int_equal(a[0].prefix.len, 64);
	free(a);
	free(s);
	assert_int_equal(mt_parse_addrs(LIT("[{\".id\":\"*1\",\"address\":\"10.0.0.300/24\"}]"), &a, &n,
					&e), -EPROTO);
	assert_int_equal(mt_parse_addrs(LIT("[{\".id\":\"*1\"}]"), &a, &n, &e), -EPROTO);
}

static void test_mikrotik_parse__peers(void **state)
{
	struct mt_peer *p = NULL;
	size_t n = 0, skipped = 0, len;
	struct err e = { 0 };
	uint8_t k[WG_KEY_LEN];
	char buf[CIDR_STR_MAX];
	char *s = fixture("peers.json", &len);

	(void)state;
	assert_int_equal(mt_parse_peers(s, len, &p, &n, &skipped, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(skipped, 1); /* empty public-key (wg-portal #608) */
	assert_string_equal(p[0].id, "*3");
	assert_string_equal(p[0].iface, "wg0");
	assert_string_equal(p[0].name, "peer1");
	assert_string_equal(p[0].comment, "c1");
	key_of(k, 4);
	assert_memory_equal(p[0].public_key, k, WG_KEY_LEN);
	assert_true(p[0].has_psk);
	key_of(k, 5);
	assert_memory_equal(p[0].preshared_key, k, WG_KEY_LEN);
	assert_int_equal(p[0].n_aips, 2);
	ip_prefix_format(&p[0].aips[0], buf);
	assert_string_equal(buf, "10.10.10.2/32");
	ip_prefix_format(&p[0].aips[1], buf);
	assert_string_equal(buf, "fd00::2/128");
	assert_int_equal(p[0].keepalive, 25);
	assert_int_equal(p[0].last_handshake_ago, 14);
	assert_int_equal(p[0].rx_bytes, 8395000);
	assert_int_equal(p[0].tx_bytes, 58834536);
	assert_string_equal(p[0].current_address, "172.19.120.142");
	assert_int_equal(p[0].current_port, 51209);
	assert_true(p[0].has_responder);
	assert_true(p[0].responder);
	assert_false(p[0].dynamic);

	assert_true(p[1].disabled);
	assert_false(p[1].has_psk);
	assert_string_equal(p[1].endpoint_address, "vpn.example.com");
	assert_int_equal(p[1].endpoint_port, 51820);
	assert_int_equal(p[1].keepalive, 90);
	/* older than a day: wg-portal's Go parser drops these, we must not */
	assert_int_equal(p[1].last_handshake_ago, 93784);
	assert_true(p[1].has_responder); /* is-responder (7.15-7.16) */
	assert_false(p[1].responder);

	assert_true(p[2].dynamic);
	assert_int_equal(p[2].n_aips, 0);
	assert_int_equal(p[2].last_handshake_ago, -1);
	assert_false(p[2].has_responder);
	mt_peers_free(p, n);
	free(s);
}

static void test_mikrotik_parse__peers_bad(void **state)
{
	char k4[WG_KEY_B64_SIZE], row[512];
	uint8_t k[WG_KEY_LEN];
	static const char *const fields[] = {
		"\"allowed-address\":\"10.0.0.1/33\"",
		"\"allowed-address\":\"10.0.0.1/32,\"",
		"\"allowed-address\":\",10.0.0.1/32\"",
		"\"allowed-address\":\"10.0.0.1/32,,fd00::1\"",
		"\"allowed-address\":[\"10.0.0.1/32\"]",
		"\"endpoint-port\":\"70000\"",
		"\"persistent-keepalive\":\"forever\"",
		"\"last-handshake\":\"yesterday\"",
		"\"rx\":8395000",
		"\"tx\":\"-1\"",
		"\"disabled\":false",
		"\"preshared-key\":\"not-a-key\"",
		"\"comment\":{}",
		"\"interface\":\"" /* too long */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	};
	struct mt_peer *p = NULL, one;
	size_t n = 0;
	struct err e = { 0 };

	(void)state;
	key_of(k, 9);
	key_to_base64(k4, k);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(row, sizeof(row), "[{\".id\":\"*1\",\"public-key\":\"%s\",%s}]", k4,
			 fields[i]);
		e.msg[0] = '\0';
		assert_int_equal(mt_parse_peers(row, strlen(row), &p, &n, NULL, &e), -EPROTO);
		assert_true(e.msg[0] != '\0');
	}
	/* truncated reply, HTML error page, numbers where strings belong */
	{
		static const char *const files[] = { "truncated.json", "garbage.json",
						     "wrong_types.json" };
		for (size_t i = 0; i < 3; i++) {
			size_t len;
			char *s = fixture(files[i], &len);
			assert_int_equal(mt_parse_peers(s, len, &p, &n, NULL, &e), -EPROTO);
			free(s);
		}
	}
	/* a single object where the PUT reply must carry a usable key */
	assert_int_equal(mt_parse_peer_one(LIT("{\".id\":\"*1\",\"public-key\":\"\"}"), &one, &e),
			 -EPROTO);
	snprintf(row, sizeof(row), "{\".id\":\"*2\",\"public-key\":\"%s\",\"interface\":\"wg0\"}",
		 k4);
	assert_int_equal(mt_parse_peer_one(row, strlen(row), &one, &e), 0);
	assert_string_equal(one.id, "*2");
	mt_peer_release(&one);
	/* masked preshared key (user without 'sensitive') */
	snprintf(row, sizeof(row), "[{\".id\":\"*2\",\"public-key\":\"%s\",\"preshared-key\":\"*****\"}]",
		 k4);
	assert_int_equal(mt_parse_peers(row, strlen(row), &p, &n, NULL, &e), 0);
	assert_int_equal(n, 1);
	assert_false(p[0].has_psk);
	assert_true(p[0].psk_masked);
	mt_peers_free(p, n);
}

/* Many rows and many allowed addresses parse; beyond the limits the reply is refused. */
static void test_mikrotik_parse__huge(void **state)
{
	char k4[WG_KEY_B64_SIZE];
	uint8_t k[WG_KEY_LEN];
	size_t cap = 64u * 1024 * 1024, len = 0;
	char *s = malloc(cap);
	struct mt_peer *p = NULL;
	size_t n = 0;
	struct err e = { 0 };

	(void)state;
	assert_non_null(s);
	/* 5000 peers */
	len += (size_t)sprintf(s + len, "[");
	for (int i = 0; i < 5000; i++) {
		memset(k, 0, sizeof(k));
		k[0] = (uint8_t)(i & 0xff);
		k[1] = (uint8_t)(i >> 8);
		key_to_base64(k4, k);
		len += (size_t)sprintf(s + len,
				       "%s{\".id\":\"*%X\",\"interface\":\"wg0\",\"public-key\":\"%s\","
				       "\"allowed-address\":\"10.%d.%d.1/32\",\"rx\":\"%d\"}",
				       i ? "," : "", i + 1, k4, i >> 8, i & 0xff, i);
	}
	len += (size_t)sprintf(s + len, "]");
	assert_int_equal(mt_parse_peers(s, len, &p, &n, NULL, &e), 0);
	assert_int_equal(n, 5000);
	assert_int_equal(p[4999].rx_bytes, 4999);
	mt_peers_free(p, n);

	/* one peer with more allowed addresses than MT_MAX_AIPS */
	key_to_base64(k4, k);
	len = (size_t)sprintf(s, "[{\".id\":\"*1\",\"public-key\":\"%s\",\"allowed-address\":\"", k4);
	for (int i = 0; i < MT_MAX_AIPS + 1; i++)
		len += (size_t)sprintf(s + len, "%s10.%d.%d.0/24", i ? "," : "", i >> 8, i & 0xff);
	len += (size_t)sprintf(s + len, "\"}]");
	assert_int_equal(mt_parse_peers(s, len, &p, &n, NULL, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "too large"));

	/* more rows than MT_MAX_ROWS */
	len = (size_t)sprintf(s, "[");
	for (int i = 0; i < MT_MAX_ROWS + 1; i++)
		len += (size_t)sprintf(s + len, "%s{}", i ? "," : "");
	len += (size_t)sprintf(s + len, "]");
	assert_int_equal(mt_parse_peers(s, len, &p, &n, NULL, &e), -EPROTO);

	/* deeply nested garbage does not blow the stack */
	len = 0;
	for (int i = 0; i < 100000; i++)
		s[len++] = '[';
	assert_int_equal(mt_parse_peers(s, len, &p, &n, NULL, &e), -EPROTO);
	free(s);
}

static void test_mikrotik_parse__errors(void **state)
{
	char out[200];
	size_t len;
	char *s = fixture("error_dup.json", &len);

	(void)state;
	mt_parse_error(s, len, out, sizeof(out));
	assert_string_equal(out, "failure: already have interface with such name");
	free(s);
	s = fixture("error_perm.json", &len);
	mt_parse_error(s, len, out, sizeof(out));
	assert_string_equal(out, "std failure: not allowed (9)");
	free(s);
	mt_parse_error(LIT("{\"error\":401,\"message\":\"Unauthorized\"}"), out, sizeof(out));
	assert_string_equal(out, "Unauthorized");
	mt_parse_error(LIT("<html>"), out, sizeof(out));
	assert_string_equal(out, "");
	mt_parse_error(NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
	/* a key echoed back in an error detail is masked, control characters flattened */
	mt_parse_error(LIT("{\"detail\":\"invalid value AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE= "
		       "for\\nprivate-key\"}"), out, sizeof(out));
	assert_null(strstr(out, "AQEBAQEBAQEBAQEB"));
	assert_non_null(strstr(out, "*****"));
	assert_null(strchr(out, '\n'));
	/* truncation is bounded */
	mt_parse_error(LIT("{\"detail\":\"abcdefghijklmnop\"}"), out, 5);
	assert_string_equal(out, "abcd");
}

static void test_mikrotik_parse__user_policy(void **state)
{
	char out[128];
	struct err e = { 0 };
	size_t len;
	char *s = fixture("user.json", &len);

	(void)state;
	assert_int_equal(mt_parse_first_field(s, len, "group", out, sizeof(out), &e), 0);
	assert_string_equal(out, "wgportal-grp");
	free(s);
	s = fixture("group.json", &len);
	assert_int_equal(mt_parse_first_field(s, len, "policy", out, sizeof(out), &e), 0);
	assert_non_null(strstr(out, "!sensitive"));
	free(s);
	assert_int_equal(mt_parse_first_field(LIT("[]"), "group", out, sizeof(out), &e), -ENOENT);
	assert_int_equal(mt_parse_first_field(LIT("[{}]"), "group", out, sizeof(out), &e), -EPROTO);
	assert_int_equal(mt_parse_first_field(LIT("{}"), "group", out, sizeof(out), &e), -EPROTO);
}

static void test_mikrotik_parse__query_escape(void **state)
{
	char *p = strdup("/interface/wireguard/peers");

	(void)state;
	assert_int_equal(http_query_append(&p, "public-key", "ab+c/d="), 0);
	assert_int_equal(http_query_append(&p, ".proplist", ".id,name"), 0);
	assert_string_equal(p, "/interface/wireguard/peers?public-key=ab%2Bc%2Fd%3D"
			       "&.proplist=.id%2Cname");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mikrotik_parse__durations),
		cmocka_unit_test(test_mikrotik_parse__format_duration),
		cmocka_unit_test(test_mikrotik_parse__version),
		cmocka_unit_test(test_mikrotik_parse__resource),
		cmocka_unit_test(test_mikrotik_parse__wg),
		cmocka_unit_test(test_mikrotik_parse__wg_bad),
		cmocka_unit_test(test_mikrotik_parse__ifstats_addrs),
		cmocka_unit_test(test_mikrotik_parse__peers),
		cmocka_unit_test(test_mikrotik_parse__peers_bad),
		cmocka_unit_test(test_mikrotik_parse__huge),
		cmocka_unit_test(test_mikrotik_parse__errors),
		cmocka_unit_test(test_mikrotik_parse__user_policy),
		cmocka_unit_test(test_mikrotik_parse__query_escape),
	};

	return cmocka_run_group_tests_name("mikrotik_parse", tests, NULL, NULL);
}
