/* SPDX-License-Identifier: MIT */
/*
 * pfrest v2 reply parsing (src/backends/pfsense/pf_json.c): the envelope, tunnels, peers, the
 * v2.9 status rows and the apply object; well-formed replies of current and older packages,
 * and malformed, partial, wrong-typed, truncated and huge ones, which must fail with -EPROTO
 * and leave the out-params alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "testlib.h"

#include "backends/pfsense/pf-int.h"
#include "model/cidr.h"
#include "model/keys.h"
#include "util/err.h"

#define PK1 "oVtEsEuK8mZ8b2b+4nJ/3lD8TqY1dK8L7rXo1hC0uxk="
#define PK1_ESC "oVtEsEuK8mZ8b2b+4nJ\\/3lD8TqY1dK8L7rXo1hC0uxk="
#define PK2 "Af7yRNQO0zdJ3VmX2p2P2mq2O9y6h7VQbqGmDGo3FFQ="

static int parse_tunnels(const char *s, struct pf_tunnel **t, size_t *n, struct err *e)
{
	return pf_parse_tunnels(s, strlen(s), t, n, e);
}

static int parse_peers(const char *s, struct pf_peer **p, size_t *n, struct err *e)
{
	size_t skipped;
	return pf_parse_peers(s, strlen(s), p, n, &skipped, e);
}

static void test_envelope_error(void **state)
{
	const char *s = "{\"code\":404,\"status\":\"not found\",\"response_id\":"
			"\"MODEL_OBJECT_NOT_FOUND\",\"message\":\"Object with ID `7` does not "
			"exist.\",\"data\":[]}\n";
	struct pf_envelope env;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(pf_parse_envelope(s, strlen(s), &env, &e), 0);
	assert_int_equal(env.code, 404);
	assert_string_equal(env.response_id, "MODEL_OBJECT_NOT_FOUND");
	assert_string_equal(env.message, "Object with ID `7` does not exist.");
	/* a key in a message is masked; control characters flattened */
	s = "{\"code\":400,\"response_id\":\"X\",\"message\":\"bad `" PK1_ESC "`\\n!\",\"data\":[]}";
	assert_int_equal(pf_parse_envelope(s, strlen(s), &env, &e), 0);
	assert_null(strstr(env.message, "oVtE"));
	assert_non_null(strstr(env.message, "*****"));
	assert_null(strchr(env.message, '\n'));
	/* not envelopes */
	assert_int_equal(pf_parse_envelope("<html>404</html>", 16, &env, &e), -EPROTO);
	assert_int_equal(pf_parse_envelope("[]", 2, &env, &e), -EPROTO);
	assert_int_equal(pf_parse_envelope("{\"error\":1}", 11, &env, &e), -EPROTO);
	assert_int_equal(pf_parse_envelope("{\"code\":\"404\",\"response_id\":\"X\"}", 33, &env, &e),
			 -EPROTO);
	assert_int_equal(pf_parse_envelope("", 0, &env, &e), -EPROTO);
	assert_int_equal(pf_parse_envelope(NULL, 0, &env, &e), -EPROTO);
}

static void test_tunnels(void **state)
{
	const char *s =
		"{\"code\":200,\"status\":\"ok\",\"response_id\":\"SUCCESS\",\"message\":\"\",\"data\":["
		"{\"id\":0,\"name\":\"tun_wg0\",\"enabled\":true,\"descr\":\"Road \\/ warriors\","
		"\"listenport\":\"51820\",\"publickey\":\"" PK2 "\",\"mtu\":1420,\"addresses\":["
		"{\"parent_id\":0,\"id\":0,\"address\":\"10.11.12.1\",\"mask\":24,\"descr\":\"\"},"
		"{\"parent_id\":0,\"id\":1,\"address\":\"fd00::1\",\"mask\":64,\"descr\":\"\"}],"
		"\"future_field\":{\"x\":[1,2]}},"
		/* older package: addresses null, no descr, numeric port */
		"{\"id\":1,\"name\":\"tun_wg1\",\"enabled\":false,\"listenport\":51821,"
		"\"addresses\":null}]}\n";
	struct pf_tunnel *t = NULL;
	size_t n = 0;
	struct err e = { 0 };
	char a[CIDR_STR_MAX];
	uint8_t pk[WG_KEY_LEN];

	(void)state;
	assert_int_equal(parse_tunnels(s, &t, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].id, 0);
	assert_string_equal(t[0].name, "tun_wg0");
	assert_true(t[0].enabled);
	assert_string_equal(t[0].descr, "Road / warriors");
	assert_int_equal(t[0].listenport, 51820);
	assert_int_equal(t[0].mtu, 1420);
	assert_true(t[0].has_public_key);
	assert_false(t[0].has_private_key);
	assert_int_equal(key_from_base64(pk, PK2), 0);
	assert_memory_equal(t[0].public_key, pk, WG_KEY_LEN);
	assert_int_equal(t[0].n_addrs, 2);
	ip_prefix_format(&t[0].addrs[0], a);
	assert_string_equal(a, "10.11.12.1/24");
	ip_prefix_format(&t[0].addrs[1], a);
	assert_string_equal(a, "fd00::1/64");
	assert_int_equal(t[1].id, 1);
	assert_false(t[1].enabled);
	assert_null(t[1].descr);
	assert_int_equal(t[1].listenport, 51821);
	assert_int_equal(t[1].n_addrs, 0);
	assert_false(t[1].has_public_key);
	pf_tunnels_free(t, n);

	/* an empty list */
	s = "{\"code\":200,\"status\":\"ok\",\"response_id\":\"SUCCESS\",\"message\":\"\",\"data\":[]}";
	assert_int_equal(parse_tunnels(s, &t, &n, &e), 0);
	assert_int_equal(n, 0);
	pf_tunnels_free(t, n);
}

static void test_tunnel_one(void **state)
{
	const char *s = "{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":{\"id\":3,\"name\":"
			"\"tun_wg3\",\"privatekey\":\"" PK1_ESC "\",\"addresses\":[\"10.0.0.1/24\"]}}";
	struct pf_tunnel t;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(pf_parse_tunnel_one(s, strlen(s), &t, &e), 0);
	assert_int_equal(t.id, 3);
	assert_true(t.enabled); /* pfrest default */
	assert_true(t.has_private_key);
	assert_int_equal(t.n_addrs, 1);
	pf_tunnel_release(&t);
	/* a list where an object is expected */
	s = "{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":[]}";
	assert_int_equal(pf_parse_tunnel_one(s, strlen(s), &t, &e), -EPROTO);
}

static void test_peers(void **state)
{
	const char *s =
		"{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":["
		"{\"id\":0,\"enabled\":true,\"tun\":\"tun_wg0\",\"endpoint\":null,\"port\":null,"
		"\"descr\":\"alice\",\"persistentkeepalive\":null,\"publickey\":\"" PK1_ESC "\","
		"\"allowedips\":[{\"parent_id\":0,\"id\":0,\"address\":\"10.11.12.2\",\"mask\":32,"
		"\"descr\":\"\"},{\"parent_id\":0,\"id\":1,\"address\":\"0.0.0.0\",\"mask\":0}]},"
		"{\"id\":1,\"tun\":\"tun_wg1\",\"endpoint\":\"vpn.example.com\",\"port\":\"51999\","
		"\"persistentkeepalive\":25,\"publickey\":\"" PK2 "\",\"allowedips\":[]},"
		/* skipped: no or bad key */
		"{\"id\":2,\"tun\":\"tun_wg1\",\"publickey\":\"\"},"
		"{\"id\":3,\"tun\":\"tun_wg1\",\"publickey\":\"not-a-key\"}]}";
	struct pf_peer *p = NULL;
	size_t n = 0, skipped = 0;
	struct err e = { 0 };
	char a[CIDR_STR_MAX];

	(void)state;
	assert_int_equal(pf_parse_peers(s, strlen(s), &p, &n, &skipped, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 2);
	assert_true(p[0].enabled);
	assert_string_equal(p[0].tun, "tun_wg0");
	assert_string_equal(p[0].endpoint, "");
	assert_int_equal(p[0].port, 0);
	assert_int_equal(p[0].keepalive, 0);
	assert_string_equal(p[0].descr, "alice");
	assert_int_equal(p[0].n_aips, 2);
	ip_prefix_format(&p[0].aips[1], a);
	assert_string_equal(a, "0.0.0.0/0"); /* mask 0 is a valid allowed IP */
	assert_false(p[1].enabled);           /* pfrest default when absent */
	assert_string_equal(p[1].endpoint, "vpn.example.com");
	assert_int_equal(p[1].port, 51999);
	assert_int_equal(p[1].keepalive, 25);
	assert_int_equal(p[1].n_aips, 0);
	assert_int_equal(p[1].id, 1);
	pf_peers_free(p, n);
}

/* /status/wireguard/tunnels: the peers of each tunnel under it (WireGuardTunnelStatus.inc);
 * the peers endpoint of 2.9-2.10 loses all but the first tunnel's (issue 11, item 5). */
static void test_status_and_apply(void **state)
{
	const char *s =
		"{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":["
		"{\"name\":\"tun_wg0\",\"public_key\":\"" PK2 "\",\"peers\":["
		"{\"public_key\":\"" PK1 "\",\"preshared_key\":null,"
		"\"endpoint\":\"198.51.100.7:40000\",\"allowed_ips\":[\"10.0.0.2/32\"],"
		"\"latest_handshake\":1700000000,\"transfer_rx\":123,"
		"\"transfer_tx\":9223372036854775807,\"persistent_keepalive\":\"off\"},"
		"{\"public_key\":null}]},"
		"{\"name\":\"tun_wg1\",\"peers\":null},"
		"{\"name\":\"tun_wg2\",\"peers\":["
		"{\"public_key\":\"" PK2 "\",\"endpoint\":null,"
		"\"latest_handshake\":null,\"transfer_rx\":null,\"transfer_tx\":null}]}]}";
	struct pf_peer_status *st = NULL;
	size_t n = 0;
	bool applied = true;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(pf_parse_tunnel_status(s, strlen(s), &st, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(st[0].tunnel, "tun_wg0");
	assert_string_equal(st[0].endpoint, "198.51.100.7:40000");
	assert_int_equal(st[0].latest_handshake, 1700000000);
	assert_int_equal(st[0].rx, 123);
	assert_true(st[0].tx == (uint64_t)INT64_MAX);
	assert_string_equal(st[1].tunnel, "tun_wg2");
	assert_int_equal(st[1].latest_handshake, 0);
	assert_string_equal(st[1].endpoint, "");
	free(st);

	s = "{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":{\"applied\":false}}";
	assert_int_equal(pf_parse_apply(s, strlen(s), &applied, &e), 0);
	assert_false(applied);
	s = "{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":[]}";
	assert_int_equal(pf_parse_apply(s, strlen(s), &applied, &e), 0);
	assert_true(applied);
	s = "{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":{\"applied\":\"yes\"}}";
	assert_int_equal(pf_parse_apply(s, strlen(s), &applied, &e), -EPROTO);
}

/* Every one of these must be refused with -EPROTO and a reason, never half-parsed. */
static void test_malformed(void **state)
{
	static const char *const bad_tunnels[] = {
		"",
		"not json",
		"<html><body>404 Not Found</body></html>",
		"[]",
		"{\"code\":200,\"data\":{}}",                               /* object, not list */
		"{\"code\":200}",                                            /* no data */
		"{\"code\":\"200\",\"data\":[]}",                            /* code wrong type */
		"{\"code\":200,\"data\":[1]}",                               /* row not object */
		"{\"code\":200,\"data\":[{\"name\":\"tun_wg0\"}]}",           /* no id */
		"{\"code\":200,\"data\":[{\"id\":\"0\",\"name\":\"tun_wg0\"}]}", /* id string */
		"{\"code\":200,\"data\":[{\"id\":-1,\"name\":\"tun_wg0\"}]}",
		"{\"code\":200,\"data\":[{\"id\":0}]}",                      /* no name */
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":7}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"\"}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"enabled\":\"true\"}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"listenport\":\"51a\"}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"listenport\":70000}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"mtu\":true}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"publickey\":\"abc\"}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"addresses\":{}}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"addresses\":[{\"mask\":24}]}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"addresses\":[{\"address\":"
		"\"10.0.0.1\",\"mask\":33}]}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"addresses\":[{\"address\":"
		"\"10.0.0.1\",\"mask\":0}]}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"addresses\":[{\"address\":"
		"\"10.0.0.x\",\"mask\":24}]}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"addresses\":[{\"address\":"
		"\"10.0.0.1/8\",\"mask\":24}]}]}",
		"{\"code\":500,\"data\":[]}",                                /* error code */
		"{\"code\":200,\"data\":[{\"id\":0,\"id\":1,\"name\":\"t\"}]}", /* duplicate key */
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\"}",         /* truncated */
		"{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\"}]} trailing",
	};
	static const char *const bad_peers[] = {
		"{\"code\":200,\"data\":[{\"publickey\":\"" PK1 "\"}]}",     /* no id */
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":5}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\",\"enabled\":1}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\",\"tun\":[]}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\",\"endpoint\":\"a b\"}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\",\"port\":\"-1\"}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\","
		"\"persistentkeepalive\":70000}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\",\"allowedips\":[7]}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\",\"allowedips\":"
		"[{\"address\":\"fd00::\",\"mask\":129}]}]}",
		"{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1 "\",\"descr\":{}}]}",
	};
	struct pf_tunnel *t = (void *)1;
	struct pf_peer *p = (void *)1;
	size_t n = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_tunnels) / sizeof(bad_tunnels[0]); i++) {
		struct err e = { 0 };
		int r = parse_tunnels(bad_tunnels[i], &t, &n, &e);
		if (r != -EPROTO)
			print_message("# tunnel case %zu: %d\n", i, r);
		assert_int_equal(r, -EPROTO);
		assert_true(e.msg[0] != '\0');
		assert_ptr_equal(t, (void *)1);
		assert_int_equal(n, 77);
	}
	for (size_t i = 0; i < sizeof(bad_peers) / sizeof(bad_peers[0]); i++) {
		struct err e = { 0 };
		int r = parse_peers(bad_peers[i], &p, &n, &e);
		if (r != -EPROTO)
			print_message("# peer case %zu: %d\n", i, r);
		assert_int_equal(r, -EPROTO);
		assert_ptr_equal(p, (void *)1);
	}
}

/* Every prefix of a valid reply is refused (truncation anywhere). */
static void test_truncated(void **state)
{
	const char *s = "{\"code\":200,\"response_id\":\"SUCCESS\",\"data\":[{\"id\":0,\"enabled\":true,"
			"\"tun\":\"tun_wg0\",\"publickey\":\"" PK1 "\",\"allowedips\":[{\"address\":"
			"\"10.0.0.2\",\"mask\":32}]}]}";
	size_t len = strlen(s);

	(void)state;
	for (size_t k = 0; k < len; k++) {
		struct pf_peer *p = NULL;
		size_t n = 0, sk = 0;
		struct err e = { 0 };
		assert_int_equal(pf_parse_peers(s, k, &p, &n, &sk, &e), -EPROTO);
	}
}

/* Huge replies: more rows or nested addresses than the limits are refused, not allocated. */
static void test_huge(void **state)
{
	size_t cap = 64u * 1024 * 1024, len = 0;
	char *s = malloc(cap);
	struct pf_tunnel *t = NULL;
	struct pf_peer *p = NULL;
	size_t n = 0, sk = 0;
	struct err e = { 0 };

	(void)state;
	assert_non_null(s);
	len += (size_t)sprintf(s, "{\"code\":200,\"data\":[");
	for (int i = 0; i <= PF_MAX_ROWS; i++)
		len += (size_t)sprintf(s + len, "%s{\"id\":%d,\"name\":\"t\"}", i ? "," : "", i % 1000);
	len += (size_t)sprintf(s + len, "]}");
	assert_int_equal(pf_parse_tunnels(s, len, &t, &n, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "too large"));

	len = (size_t)sprintf(s, "{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1
				 "\",\"allowedips\":[");
	for (int i = 0; i <= PF_MAX_ADDRS; i++)
		len += (size_t)sprintf(s + len, "%s{\"address\":\"10.%d.%d.1\",\"mask\":32}",
				       i ? "," : "", i / 256, i % 256);
	len += (size_t)sprintf(s + len, "]}]}");
	assert_int_equal(pf_parse_peers(s, len, &p, &n, &sk, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "too large"));

	/* a huge description is cut, not refused */
	len = (size_t)sprintf(s, "{\"code\":200,\"data\":[{\"id\":0,\"publickey\":\"" PK1
				 "\",\"descr\":\"");
	memset(s + len, 'x', 100000);
	len += 100000;
	len += (size_t)sprintf(s + len, "\"}]}");
	assert_int_equal(pf_parse_peers(s, len, &p, &n, &sk, &e), 0);
	assert_int_equal(strlen(p[0].descr), PF_DESCR_MAX);
	pf_peers_free(p, n);

	/* deep nesting is refused by the JSON parser */
	len = 0;
	len += (size_t)sprintf(s, "{\"code\":200,\"data\":[{\"id\":0,\"name\":\"t\",\"x\":");
	for (int i = 0; i < 100000; i++)
		s[len++] = '[';
	for (int i = 0; i < 100000; i++)
		s[len++] = ']';
	len += (size_t)sprintf(s + len, "}]}");
	assert_int_equal(pf_parse_tunnels(s, len, &t, &n, &e), -EPROTO);
	free(s);
}

static void test_mask_keys(void **state)
{
	char s[200];

	(void)state;
	char in[200];

	snprintf(in, sizeof(in), "key " PK1 " and " PK2 "; not-a-key abc=");
	key_masked_copy(s, sizeof(s), in);
	assert_null(strstr(s, "oVtE"));
	assert_null(strstr(s, "Af7y"));
	assert_non_null(strstr(s, "abc="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_error),
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_tunnel_one),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_status_and_apply),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_mask_keys),
	};

	return cmocka_run_group_tests_name("pfsense_parse", tests, NULL, NULL);
}
