/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the wireguard-go UAPI text builder and reply parser (backends/local/wg_uapi.c)
 * and the small helpers of the local backend (names, endpoints, hex keys). The set=1 text is
 * checked line by line by code written here, not by the parser under test.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/local/local-int.h"
#include "backends/local/wg_uapi.h"
#include "model/keys.h"
#include "util/buf.h"

static void make_key(uint8_t key[32], size_t i, uint8_t tag)
{
	memset(key, tag, 32);
	memcpy(key, &i, sizeof(i));
}

static void test_uapi__build_small_exact(void **state)
{
	struct dev_iface dev = { 0 };
	struct dev_peer p[2] = { 0 };
	struct ip_prefix aips[2] = { { .family = AF_INET, .len = 24 }, { .family = AF_INET6, .len = 64 } };
	struct lb_endpoint eps[2] = { 0 };
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&eps[0].ss;
	struct buf b;
	const char *want =
		"set=1\n"
		"private_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		"listen_port=51820\n"
		"fwmark=100\n"
		"public_key=abababababababababababababababababababababababababababababababab\n"
		"replace_allowed_ips=true\n"
		"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
		"endpoint=[2001:db8::1]:4242\n"
		"persistent_keepalive_interval=25\n"
		"allowed_ip=10.1.2.0/24\n"
		"allowed_ip=fd00::1/64\n"
		"public_key=cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\n"
		"remove=true\n"
		"\n";

	(void)state;
	dev.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_FWMARK;
	memset(dev.private_key, 1, 32);
	dev.listen_port = 51820;
	dev.fwmark = 100;
	inet_pton(AF_INET, "10.1.2.0", aips[0].addr);
	inet_pton(AF_INET6, "fd00::1", aips[1].addr);
	memset(p[0].public_key, 0xab, 32);
	/* PSK flagged but all zero: that is how a preshared key is removed. */
	p[0].flags = DEV_PEER_REPLACE_ALLOWEDIPS | DEV_PEER_HAS_PSK | DEV_PEER_HAS_ENDPOINT |
		     DEV_PEER_HAS_KEEPALIVE;
	p[0].persistent_keepalive = 25;
	p[0].allowed_ips = aips;
	p[0].n_allowed_ips = 2;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(4242);
	inet_pton(AF_INET6, "2001:db8::1", &in6->sin6_addr);
	eps[0].len = sizeof(*in6);
	memset(p[1].public_key, 0xcd, 32);
	p[1].flags = DEV_PEER_REMOVE | DEV_PEER_HAS_PSK; /* remove wins: nothing else sent */
	buf_init(&b, 1 << 16);
	assert_int_equal(wg_uapi_build_set(&b, &dev, p, eps, 2), 0);
	assert_string_equal(b.p, want);
	buf_wipe(&b);
	/* A bounded buffer too small for the text fails instead of truncating. */
	buf_init(&b, 100);
	assert_int_equal(wg_uapi_build_set(&b, &dev, p, eps, 2), -E2BIG);
	buf_wipe(&b);
}

static void test_uapi__build_10k(void **state)
{
	const size_t n = 10000;
	struct dev_peer *peers = calloc(n, sizeof(*peers));
	struct ip_prefix *aips = calloc(n * 2, sizeof(*aips));
	unsigned *seen = calloc(n, sizeof(unsigned));
	unsigned *seen_aip = calloc(n * 2, sizeof(unsigned));
	struct buf b;
	char *line, *save = NULL;
	size_t cur = (size_t)-1, lines = 0, removes = 0, replaces = 0, n_aip = 0;
	bool blank_end;

	(void)state;
	assert_non_null(peers);
	assert_non_null(aips);
	for (size_t i = 0; i < n; i++) {
		struct dev_peer *p = &peers[i];
		uint32_t a0 = htonl(0x0a000000U | (uint32_t)(2 * i)), a1 = htonl(0x0a000000U | (uint32_t)(2 * i + 1));

		make_key(p->public_key, i, 0xee);
		if (i % 10 == 3) {
			p->flags = DEV_PEER_REMOVE;
			continue;
		}
		p->flags = DEV_PEER_REPLACE_ALLOWEDIPS;
		p->allowed_ips = &aips[2 * i];
		p->n_allowed_ips = 1 + (i % 2);
		aips[2 * i].family = aips[2 * i + 1].family = AF_INET;
		aips[2 * i].len = aips[2 * i + 1].len = 32;
		memcpy(aips[2 * i].addr, &a0, 4);
		memcpy(aips[2 * i + 1].addr, &a1, 4);
	}
	buf_init(&b, 64U << 20);
	assert_int_equal(wg_uapi_build_set(&b, NULL, peers, NULL, n), 0);
	assert_true(b.len > 2);
	blank_end = b.p[b.len - 1] == '\n' && b.p[b.len - 2] == '\n';
	assert_true(blank_end);
	/* Exactly one empty line, at the end: it terminates the transaction. */
	assert_ptr_equal(strstr(b.p, "\n\n"), b.p + b.len - 2);
	for (line = strtok_r(b.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (lines == 1) {
			assert_string_equal(line, "set=1");
		} else if (!strncmp(line, "public_key=", 11)) {
			uint8_t k[32];

			/* Lower-case hex, exactly 64 digits. */
			assert_int_equal(strlen(line + 11), 64);
			assert_int_equal(strspn(line + 11, "0123456789abcdef"), 64);
			assert_int_equal(key_from_hex_n(k, line + 11, 64), 0);
			memcpy(&cur, k, sizeof(cur));
			assert_true(cur < n);
			assert_int_equal(k[31], 0xee);
			seen[cur]++;
		} else if (!strcmp(line, "remove=true")) {
			assert_int_equal(cur % 10, 3);
			removes++;
		} else if (!strcmp(line, "replace_allowed_ips=true")) {
			assert_int_not_equal(cur % 10, 3);
			replaces++;
		} else if (!strncmp(line, "allowed_ip=", 11)) {
			char a[32];
			unsigned plen;
			struct in_addr in;

			assert_int_equal(sscanf(line + 11, "%31[0-9.]/%u", a, &plen), 2);
			assert_int_equal(plen, 32);
			assert_int_equal(inet_pton(AF_INET, a, &in), 1);
			assert_true((ntohl(in.s_addr) & 0xffffff) / 2 == cur);
			seen_aip[ntohl(in.s_addr) & 0xffffff]++;
			n_aip++;
		} else {
			assert_string_equal(line, "persistent_keepalive_interval=0");
			assert_int_not_equal(cur % 10, 3);
		}
	}
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(seen[i], 1);
		if (i % 10 != 3) {
			assert_int_equal(seen_aip[2 * i], 1);
			assert_int_equal(seen_aip[2 * i + 1], i % 2);
		}
	}
	assert_int_equal(removes, n / 10);
	assert_int_equal(replaces, n - n / 10);
	{
		size_t want_aip = 0;

		for (size_t i = 0; i < n; i++)
			want_aip += peers[i].n_allowed_ips;
		assert_int_equal(n_aip, want_aip);
		assert_true(want_aip > n);
	}
	buf_wipe(&b);
	free(seen);
	free(seen_aip);
	free(aips);
	free(peers);
}

/* RFC 7748 section 6.1 X25519 vector: the public key must be derived from the private one. */
#define PRIV_HEX "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define PUB_HEX "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"

static void test_uapi__parse_get(void **state)
{
	const char *reply =
		"private_key=" PRIV_HEX "\n"
		"listen_port=51820\n"
		"fwmark=7\n"
		"public_key=abababababababababababababababababababababababababababababababab\n"
		"preshared_key=0101010101010101010101010101010101010101010101010101010101010101\n"
		"protocol_version=1\n"
		"endpoint=192.0.2.1:51820\n"
		"last_handshake_time_sec=1700000000\n"
		"last_handshake_time_nsec=99\n"
		"tx_bytes=18446744073709551615\n"
		"rx_bytes=7\n"
		"persistent_keepalive_interval=25\n"
		"allowed_ip=10.9.0.2/32\n"
		"allowed_ip=fd00::2/128\n"
		"public_key=cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\n"
		"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
		"protocol_version=1\n"
		"last_handshake_time_sec=0\n"
		"last_handshake_time_nsec=0\n"
		"tx_bytes=0\n"
		"rx_bytes=0\n"
		"persistent_keepalive_interval=0\n"
		"errno=0\n"
		"\n";
	struct dev_iface d = { 0 };
	uint8_t priv[32], pub[32], k[32];
	struct ip_prefix v6 = { 0 };

	(void)state;
	assert_int_equal(wg_uapi_parse_get(reply, strlen(reply), &d), 0);
	assert_int_equal(key_from_hex_n(priv, PRIV_HEX, 64), 0);
	assert_int_equal(key_from_hex_n(pub, PUB_HEX, 64), 0);
	assert_memory_equal(d.private_key, priv, 32);
	assert_memory_equal(d.public_key, pub, 32);
	assert_int_equal(d.listen_port, 51820);
	assert_int_equal(d.fwmark, 7);
	assert_int_equal(d.n_peers, 2);
	memset(k, 0xab, 32);
	assert_memory_equal(d.peers[0].public_key, k, 32);
	assert_true(d.peers[0].flags & DEV_PEER_HAS_PSK);
	assert_string_equal(d.peers[0].endpoint, "192.0.2.1:51820");
	assert_int_equal(d.peers[0].last_handshake_sec, 1700000000);
	assert_int_equal(d.peers[0].last_handshake_nsec, 99);
	assert_true(d.peers[0].tx_bytes == UINT64_MAX);
	assert_int_equal(d.peers[0].rx_bytes, 7);
	assert_int_equal(d.peers[0].persistent_keepalive, 25);
	assert_int_equal(d.peers[0].n_allowed_ips, 2);
	assert_int_equal(d.peers[0].allowed_ips[0].family, AF_INET);
	assert_int_equal(d.peers[0].allowed_ips[0].len, 32);
	inet_pton(AF_INET6, "fd00::2", v6.addr);
	assert_int_equal(d.peers[0].allowed_ips[1].family, AF_INET6);
	assert_memory_equal(d.peers[0].allowed_ips[1].addr, v6.addr, 16);
	/* An all-zero PSK means "none". */
	assert_false(d.peers[1].flags & DEV_PEER_HAS_PSK);
	assert_false(d.peers[1].flags & DEV_PEER_HAS_ENDPOINT);
	assert_int_equal(d.peers[1].n_allowed_ips, 0);
	dev_iface_release(&d);
}

static void test_uapi__parse_get_errors(void **state)
{
	static const char *bad[] = {
		"listen_port=1\n",                                  /* no errno line */
		"listen_port=65536\nerrno=0\n\n",                   /* out of range */
		"private_key=abcd\nerrno=0\n\n",                    /* short key */
		"public_key=zz" PUB_HEX "\nerrno=0\n\n",            /* bad hex */
		"public_key=" PUB_HEX "\nallowed_ip=10.0.0.1/33\nerrno=0\n\n",
		"public_key=" PUB_HEX "\nallowed_ip=10.0.0.1\nerrno=0\n\n",
		"garbage\nerrno=0\n\n",
		"errno=x\n\n",
	};
	struct dev_iface d = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wg_uapi_parse_get(bad[i], strlen(bad[i]), &d), -EPROTO);
	/* The device's own error number comes back negated. */
	assert_int_equal(wg_uapi_parse_get("errno=19\n\n", 10, &d), -19);
	/* Unknown keys are ignored (forward compatibility). */
	assert_int_equal(wg_uapi_parse_get("future_key=1\nerrno=0\n\n", 22, &d), 0);
	assert_int_equal(d.n_peers, 0);
	dev_iface_release(&d);
}

/* The set text of 10,000 peers, read back by the get parser (which ignores set-only keys),
 * yields every peer and allowed IP: builder and parser agree on the wire format. */
static void test_uapi__roundtrip_10k(void **state)
{
	const size_t n = 10000;
	struct dev_peer *peers = calloc(n, sizeof(*peers));
	struct ip_prefix *aips = calloc(n, sizeof(*aips));
	struct dev_iface d = { 0 };
	struct buf b;

	(void)state;
	assert_non_null(peers);
	assert_non_null(aips);
	for (size_t i = 0; i < n; i++) {
		uint32_t a = htonl(0x0a000000U | (uint32_t)i);

		make_key(peers[i].public_key, i, 0x11);
		aips[i].family = AF_INET;
		aips[i].len = 32;
		memcpy(aips[i].addr, &a, 4);
		peers[i].allowed_ips = &aips[i];
		peers[i].n_allowed_ips = 1;
		peers[i].persistent_keepalive = (uint16_t)(i % 60);
		/* every other peer's keepalive is not ours to set: no line, the device keeps it */
		peers[i].flags = i % 2 ? DEV_PEER_HAS_KEEPALIVE : 0;
	}
	buf_init(&b, 64U << 20);
	assert_int_equal(wg_uapi_build_set(&b, NULL, peers, NULL, n), 0);
	b.len--; /* drop the final empty line, then terminate like a get reply */
	assert_int_equal(buf_puts(&b, "errno=0\n\n"), 0);
	assert_int_equal(wg_uapi_parse_get(b.p, b.len, &d), 0);
	assert_int_equal(d.n_peers, n);
	for (size_t i = 0; i < n; i++) {
		assert_memory_equal(d.peers[i].public_key, peers[i].public_key, 32);
		assert_int_equal(d.peers[i].n_allowed_ips, 1);
		assert_memory_equal(d.peers[i].allowed_ips[0].addr, aips[i].addr, 4);
		assert_int_equal(d.peers[i].persistent_keepalive, i % 2 ? i % 60 : 0);
	}
	dev_iface_release(&d);
	buf_wipe(&b);
	free(aips);
	free(peers);
}

static void test_local__ifname(void **state)
{
	(void)state;
	assert_true(lb_ifname_is_valid("wg0"));
	assert_true(lb_ifname_is_valid("a_b=c+d.e-f"));
	assert_true(lb_ifname_is_valid("123456789012345"));
	assert_false(lb_ifname_is_valid("1234567890123456"));
	assert_false(lb_ifname_is_valid(""));
	assert_false(lb_ifname_is_valid(NULL));
	assert_false(lb_ifname_is_valid("wg 0"));
	assert_false(lb_ifname_is_valid("wg/0"));
	assert_false(lb_ifname_is_valid("wg;rm"));
	assert_false(lb_ifname_is_valid(".."));
}

static void test_local__endpoint(void **state)
{
	struct lb_endpoint ep;
	char out[80];

	(void)state;
	assert_int_equal(lb_endpoint_resolve("192.0.2.1:51820", &ep, NULL), 0);
	assert_int_equal(ep.ss.ss_family, AF_INET);
	assert_int_equal(lb_endpoint_format((struct sockaddr *)&ep.ss, ep.len, out, sizeof(out)), 0);
	assert_string_equal(out, "192.0.2.1:51820");
	assert_int_equal(lb_endpoint_resolve("[2001:db8::1]:1", &ep, NULL), 0);
	assert_int_equal(ep.ss.ss_family, AF_INET6);
	assert_int_equal(lb_endpoint_format((struct sockaddr *)&ep.ss, ep.len, out, sizeof(out)), 0);
	assert_string_equal(out, "[2001:db8::1]:1");
	assert_int_equal(lb_endpoint_resolve("2001:db8::1:51820", &ep, NULL), -EINVAL);
	assert_int_equal(lb_endpoint_resolve("192.0.2.1", &ep, NULL), -EINVAL);
	assert_int_equal(lb_endpoint_resolve("192.0.2.1:", &ep, NULL), -EINVAL);
	assert_int_equal(lb_endpoint_resolve("192.0.2.1:65536", &ep, NULL), -EINVAL);
	assert_int_equal(lb_endpoint_resolve("192.0.2.1:5x", &ep, NULL), -EINVAL);
	assert_int_equal(lb_endpoint_resolve(":51820", &ep, NULL), -EINVAL);
	assert_int_equal(lb_endpoint_resolve("[::1:5", &ep, NULL), -EINVAL);
	/* "localhost" resolves through the resolver (files), no network needed. */
	assert_int_equal(lb_endpoint_resolve("localhost:5", &ep, NULL), 0);
}

static void test_local__hex_and_prefix_append(void **state)
{
	uint8_t k[32], k2[32];
	char hex[65];
	struct ip_prefix *v = NULL, p = { .family = AF_INET, .len = 32 };
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)(i * 37 + 1);
	key_to_hex(hex, k);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(key_from_hex_n(k2, hex, 64), 0);
	assert_memory_equal(k, k2, 32);
	hex[10] = 'g';
	assert_int_equal(key_from_hex_n(k2, hex, 64), -EINVAL);
	assert_int_equal(key_from_hex_n(k2, hex, 63), -EINVAL);
	/* Growth across several doublings keeps every element. */
	for (uint32_t i = 0; i < 1000; i++) {
		memcpy(p.addr, &i, 4);
		assert_int_equal(lb_prefix_append(&v, &n, &p), 0);
	}
	assert_int_equal(n, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		assert_memory_equal(v[i].addr, &i, 4);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uapi__build_small_exact),
		cmocka_unit_test(test_uapi__build_10k),
		cmocka_unit_test(test_uapi__parse_get),
		cmocka_unit_test(test_uapi__parse_get_errors),
		cmocka_unit_test(test_uapi__roundtrip_10k),
		cmocka_unit_test(test_local__ifname),
		cmocka_unit_test(test_local__endpoint),
		cmocka_unit_test(test_local__hex_and_prefix_append),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
