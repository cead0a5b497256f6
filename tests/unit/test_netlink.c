/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the kernel WireGuard genetlink builder and parser (backends/local/wg_genl.c).
 * No socket is involved: messages are built into buffers and read back with plain libmnl
 * attribute walks written here, independent of the parser under test, plus a round trip
 * through wg_genl_parse_device() for the continuation merge.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/local/local-int.h"
#include "backends/local/wg_genl.h"

#define FAMILY 0x1b
#define IFNAME "wgl0"

/* Deterministic distinct keys: peer index in the first bytes, a marker byte after. */
static void make_key(uint8_t key[32], size_t i, uint8_t tag)
{
	memset(key, tag, 32);
	memcpy(key, &i, sizeof(i));
}

static size_t key_index(const uint8_t key[32])
{
	size_t i;

	memcpy(&i, key, sizeof(i));
	return i;
}

/* 10.<i>/32-ish unique IPv4 prefixes: a = 10.x.y.z from a running counter. */
static void make_v4(struct ip_prefix *p, uint32_t counter)
{
	uint32_t a = htonl(0x0a000000U | counter);

	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->len = 32;
	memcpy(p->addr, &a, 4);
}

static uint32_t v4_counter(const uint8_t addr[4])
{
	uint32_t a;

	memcpy(&a, addr, 4);
	return ntohl(a) & 0x00ffffffU;
}

static struct dev_peer *make_peers(size_t n, size_t aips_each)
{
	struct dev_peer *v = calloc(n, sizeof(*v));
	uint32_t c = 0;

	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		make_key(v[i].public_key, i, 0xa5);
		v[i].flags = DEV_PEER_REPLACE_ALLOWEDIPS | DEV_PEER_HAS_KEEPALIVE;
		v[i].allowed_ips = calloc(aips_each ? aips_each : 1, sizeof(struct ip_prefix));
		assert_non_null(v[i].allowed_ips);
		v[i].n_allowed_ips = aips_each;
		for (size_t j = 0; j < aips_each; j++)
			make_v4(&v[i].allowed_ips[j], c++);
	}
	return v;
}

static void free_peers(struct dev_peer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].allowed_ips);
	free(v);
}

/* One decoded peer occurrence in a message. */
struct occ {
	size_t peer;
	bool has_flags;
	uint32_t flags;
	bool has_psk, has_endpoint, has_keepalive;
	size_t n_aips;
	uint32_t aips[4096]; /* v4 counters in message order */
};

/* Walks one built SET_DEVICE message with libmnl and calls back per peer occurrence. */
typedef void (*occ_fn)(const struct occ *o, void *ctx);

static void walk_message(const void *buf, size_t len, size_t size, occ_fn fn, void *ctx)
{
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *g;
	const struct nlattr *a;
	bool has_ifname = false;
	struct occ *o = malloc(sizeof(*o));

	assert_non_null(o);
	assert_true(len <= size);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_true(mnl_nlmsg_ok(nlh, (int)len));
	assert_int_equal(nlh->nlmsg_type, FAMILY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	g = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(g->cmd, WG_CMD_SET_DEVICE);
	assert_int_equal(g->version, WG_GENL_VERSION);
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		const struct nlattr *pa;

		if (mnl_attr_get_type(a) == WGDEVICE_A_IFNAME) {
			assert_string_equal(mnl_attr_get_str(a), IFNAME);
			has_ifname = true;
		}
		if (mnl_attr_get_type(a) != WGDEVICE_A_PEERS)
			continue;
		/* Nests carry NLA_F_NESTED, which strict kernel validation demands. */
		assert_true(a->nla_type & NLA_F_NESTED);
		mnl_attr_for_each_nested(pa, a) {
			const struct nlattr *x;

			memset(o, 0, offsetof(struct occ, aips));
			o->peer = (size_t)-1;
			mnl_attr_for_each_nested(x, pa) {
				const struct nlattr *ai, *f;

				switch (mnl_attr_get_type(x)) {
				case WGPEER_A_PUBLIC_KEY:
					assert_int_equal(mnl_attr_get_payload_len(x), 32);
					o->peer = key_index(mnl_attr_get_payload(x));
					break;
				case WGPEER_A_FLAGS:
					o->has_flags = true;
					o->flags = mnl_attr_get_u32(x);
					break;
				case WGPEER_A_PRESHARED_KEY:
					o->has_psk = true;
					break;
				case WGPEER_A_ENDPOINT:
					o->has_endpoint = true;
					break;
				case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
					o->has_keepalive = true;
					break;
				case WGPEER_A_ALLOWEDIPS:
					mnl_attr_for_each_nested(ai, x) {
						uint16_t fam = 0;
						uint8_t cidr = 0;
						uint32_t cnt = 0;

						mnl_attr_for_each_nested(f, ai) {
							if (mnl_attr_get_type(f) == WGALLOWEDIP_A_FAMILY)
								fam = mnl_attr_get_u16(f);
							else if (mnl_attr_get_type(f) ==
								 WGALLOWEDIP_A_IPADDR)
								cnt = v4_counter(
									mnl_attr_get_payload(f));
							else if (mnl_attr_get_type(f) ==
								 WGALLOWEDIP_A_CIDR_MASK)
								cidr = mnl_attr_get_u8(f);
						}
						assert_int_equal(fam, AF_INET);
						assert_int_equal(cidr, 32);
						assert_true(o->n_aips < 4096);
						o->aips[o->n_aips++] = cnt;
					}
					break;
				}
			}
			assert_true(o->peer != (size_t)-1);
			fn(o, ctx);
		}
	}
	assert_true(has_ifname);
	free(o);
}

/* Builds all messages of a peer set; returns how many, calling walk per message. */
static size_t build_all(size_t size, const struct dev_peer *peers, size_t n, occ_fn fn,
			void *ctx, size_t *lens, size_t max_lens)
{
	struct wg_genl_cursor cur;
	char *buf = malloc(size);
	size_t msgs = 0;

	assert_non_null(buf);
	wg_genl_cursor_init(&cur);
	for (size_t guard = 0; guard < 1000000; guard++) {
		int len = wg_genl_build_set(buf, size, FAMILY, (uint32_t)guard + 1, IFNAME, NULL,
					    peers, NULL, n, &cur);

		assert_true(len >= 0);
		if (len == 0)
			break;
		if (lens && msgs < max_lens)
			lens[msgs] = (size_t)len;
		msgs++;
		walk_message(buf, (size_t)len, size, fn, ctx);
	}
	free(buf);
	return msgs;
}

static void count_occ(const struct occ *o, void *ctx)
{
	size_t *count = ctx;

	(void)o;
	(*count)++;
}

/* Size of one peer with one IPv4 allowed IP, from the attribute layout of linux/wireguard.h:
 * peer nest + public key + flags u32 + keepalive u16 + allowed-ips nest + one entry
 * (nest + family u16 + 4-byte address + cidr u8). */
#define A(len) MNL_ALIGN(MNL_ATTR_HDRLEN + (len))
#define AIP4_SIZE (A(0) + A(2) + A(4) + A(1))
#define PEERHDR_SIZE (A(0) + A(32) + A(4) + A(2))
#define PEER1_SIZE (PEERHDR_SIZE + A(0) + AIP4_SIZE)
/* nlmsghdr + genlmsghdr + IFNAME "wgl0" + peers nest */
#define BASE_SIZE (MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN) + A(sizeof(IFNAME)) + A(0))

static void test_genl__exact_fill_and_spill(void **state)
{
	const size_t k = 20, size = BASE_SIZE + k * PEER1_SIZE;
	struct dev_peer *peers = make_peers(k + 1, 1);
	size_t lens[4] = { 0 }, count = 0, msgs;

	(void)state;
	/* k peers fit exactly: one message of exactly size bytes. */
	msgs = build_all(size, peers, k, count_occ, &count, lens, 4);
	assert_int_equal(msgs, 1);
	assert_int_equal(lens[0], size);
	assert_int_equal(count, k);
	/* One more peer spills over into a second message holding just that peer. */
	count = 0;
	msgs = build_all(size, peers, k + 1, count_occ, &count, lens, 4);
	assert_int_equal(msgs, 2);
	assert_int_equal(lens[0], size);
	assert_int_equal(lens[1], BASE_SIZE + PEER1_SIZE);
	assert_int_equal(count, k + 1);
	/* One byte less than exact: the last peer's header still fits but its allowed IP does
	 * not, so (as in wireguard-tools) the IP continues in a second message under the same
	 * public key: k + 1 peer occurrences. */
	count = 0;
	msgs = build_all(size - 1, peers, k, count_occ, &count, lens, 4);
	assert_int_equal(msgs, 2);
	assert_int_equal(lens[0], size - AIP4_SIZE);
	assert_int_equal(lens[1], BASE_SIZE + A(0) + A(32) + A(0) + AIP4_SIZE);
	assert_int_equal(count, k + 1);
	/* Without room for the last peer's header: the whole peer moves to the next message. */
	count = 0;
	msgs = build_all(size - PEER1_SIZE + PEERHDR_SIZE - 1, peers, k, count_occ, &count, lens, 4);
	assert_int_equal(msgs, 2);
	assert_int_equal(lens[0], size - PEER1_SIZE);
	assert_int_equal(lens[1], BASE_SIZE + PEER1_SIZE);
	assert_int_equal(count, k);
	free_peers(peers, k + 1);
}

struct span_ctx {
	size_t occurrences;
	size_t next_aip;
	size_t with_flags;
};

static void span_occ(const struct occ *o, void *ctx)
{
	struct span_ctx *c = ctx;

	assert_int_equal(o->peer, 0);
	if (c->occurrences == 0) {
		/* First occurrence carries the flags and the keepalive. */
		assert_true(o->has_flags);
		assert_int_equal(o->flags, WGPEER_F_REPLACE_ALLOWEDIPS);
		assert_true(o->has_keepalive);
	} else {
		/* Continuations must not repeat REPLACE_ALLOWEDIPS (it would drop the IPs sent
		 * so far) and carry the public key and allowed IPs only. */
		assert_false(o->has_flags);
		assert_false(o->has_keepalive);
		assert_true(o->n_aips > 0);
	}
	c->with_flags += o->has_flags;
	for (size_t i = 0; i < o->n_aips; i++)
		assert_int_equal(o->aips[i], c->next_aip++);
	c->occurrences++;
}

static void test_genl__allowedips_span_messages(void **state)
{
	const size_t n_aips = 3000;
	struct dev_peer *peers = make_peers(1, n_aips);
	struct span_ctx c = { 0 };
	size_t msgs;

	(void)state;
	msgs = build_all(WG_GENL_MSG_SIZE, peers, 1, span_occ, &c, NULL, 0);
	/* 3000 entries of 28 bytes cannot fit in 8 KiB: several messages, in order, once each. */
	assert_true(msgs >= (n_aips * 28) / WG_GENL_MSG_SIZE + 1);
	assert_int_equal(c.occurrences, msgs);
	assert_int_equal(c.next_aip, n_aips);
	assert_int_equal(c.with_flags, 1);
	free_peers(peers, 1);
}

struct big_ctx {
	const struct dev_peer *peers;
	size_t n;
	unsigned *seen_peer;      /* occurrences per peer */
	unsigned *seen_aip;       /* occurrences per allowed-IP counter */
	size_t last_peer;
	size_t total_aips;
};

static void big_occ(const struct occ *o, void *ctx)
{
	struct big_ctx *c = ctx;
	const struct dev_peer *p;

	assert_true(o->peer < c->n);
	p = &c->peers[o->peer];
	/* Peers come in order; a peer appears again only as the continuation right after. */
	if (c->seen_peer[o->peer]) {
		assert_int_equal(c->last_peer, o->peer);
		assert_false(o->has_flags);
	} else {
		assert_true(c->last_peer == (size_t)-1 || o->peer == c->last_peer + 1);
		assert_true(o->has_flags);
		assert_int_equal(!!(o->flags & WGPEER_F_REMOVE_ME), !!(p->flags & DEV_PEER_REMOVE));
		assert_int_equal(!!(o->flags & WGPEER_F_REPLACE_ALLOWEDIPS),
				 !!(p->flags & DEV_PEER_REPLACE_ALLOWEDIPS));
		assert_int_equal(o->has_psk, !!(p->flags & DEV_PEER_HAS_PSK));
		assert_int_equal(o->has_endpoint, !!(p->flags & DEV_PEER_HAS_ENDPOINT));
		assert_int_equal(o->has_keepalive, !(p->flags & DEV_PEER_REMOVE) &&
						   (p->flags & DEV_PEER_HAS_KEEPALIVE));
	}
	c->seen_peer[o->peer]++;
	c->last_peer = o->peer;
	for (size_t i = 0; i < o->n_aips; i++) {
		assert_true(o->aips[i] < 1u << 20);
		c->seen_aip[o->aips[i]]++;
	}
	c->total_aips += o->n_aips;
}

static void test_genl__10k_peers(void **state)
{
	const size_t n = 10000;
	struct dev_peer *peers = make_peers(n, 0);
	struct lb_endpoint *eps = calloc(n, sizeof(*eps));
	struct big_ctx c = { .peers = peers, .n = n, .last_peer = (size_t)-1 };
	struct wg_genl_cursor cur;
	char *buf = malloc(WG_GENL_MSG_SIZE);
	uint32_t counter = 0;
	size_t msgs = 0;

	(void)state;
	assert_non_null(eps);
	assert_non_null(buf);
	/* Mixed shapes: 1..5 allowed IPs, every 7th with PSK, every 11th with an endpoint, every
	 * 13th removed (no allowed IPs then), every 997th with 700 allowed IPs to force spans. */
	for (size_t i = 0; i < n; i++) {
		struct dev_peer *p = &peers[i];
		size_t na = (i % 997 == 5) ? 700 : 1 + i % 5;

		if (i % 13 == 0) {
			p->flags = DEV_PEER_REMOVE;
			continue;
		}
		if (i % 7 == 0) {
			p->flags |= DEV_PEER_HAS_PSK;
			make_key(p->preshared_key, i, 0x5a);
		}
		if (i % 11 == 0) {
			struct sockaddr_in *in = (struct sockaddr_in *)&eps[i].ss;

			p->flags |= DEV_PEER_HAS_ENDPOINT;
			in->sin_family = AF_INET;
			in->sin_port = htons(51820);
			in->sin_addr.s_addr = htonl(0xc0000201);
			eps[i].len = sizeof(*in);
		}
		p->persistent_keepalive = 25;
		if (i % 3)
			p->flags |= DEV_PEER_HAS_KEEPALIVE; /* else the device keeps its own */
		free(p->allowed_ips);
		p->allowed_ips = calloc(na, sizeof(struct ip_prefix));
		assert_non_null(p->allowed_ips);
		p->n_allowed_ips = na;
		for (size_t j = 0; j < na; j++)
			make_v4(&p->allowed_ips[j], counter++);
	}
	c.seen_peer = calloc(n, sizeof(unsigned));
	c.seen_aip = calloc(counter, sizeof(unsigned));
	assert_non_null(c.seen_peer);
	assert_non_null(c.seen_aip);
	wg_genl_cursor_init(&cur);
	for (size_t guard = 0; guard < 100000; guard++) {
		int len = wg_genl_build_set(buf, WG_GENL_MSG_SIZE, FAMILY, (uint32_t)guard + 1,
					    IFNAME, NULL, peers, eps, n, &cur);

		assert_true(len >= 0);
		if (len == 0)
			break;
		msgs++;
		walk_message(buf, (size_t)len, WG_GENL_MSG_SIZE, big_occ, &c);
	}
	assert_true(msgs > 10);
	for (size_t i = 0; i < n; i++)
		assert_true(c.seen_peer[i] >= 1);
	for (uint32_t a = 0; a < counter; a++)
		assert_int_equal(c.seen_aip[a], 1);
	assert_int_equal(c.total_aips, counter);
	free(c.seen_peer);
	free(c.seen_aip);
	free(buf);
	free(eps);
	free_peers(peers, n);
}

static void test_genl__device_attrs_first_message_only(void **state)
{
	struct dev_iface dev = { 0 };
	struct dev_peer *peers = make_peers(400, 1);
	struct wg_genl_cursor cur;
	char buf[2048];
	int len, msgs = 0, with_key = 0;

	(void)state;
	dev.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_FWMARK;
	memset(dev.private_key, 0x42, 32);
	dev.listen_port = 51820;
	dev.fwmark = 0x64;
	wg_genl_cursor_init(&cur);
	while ((len = wg_genl_build_set(buf, sizeof(buf), FAMILY, 1, IFNAME, &dev, peers, NULL, 400,
					&cur)) > 0) {
		const struct nlattr *a;
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int port = -1;

		mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
			if (mnl_attr_get_type(a) == WGDEVICE_A_PRIVATE_KEY) {
				assert_memory_equal(mnl_attr_get_payload(a), dev.private_key, 32);
				with_key++;
			}
			if (mnl_attr_get_type(a) == WGDEVICE_A_LISTEN_PORT)
				port = mnl_attr_get_u16(a);
		}
		assert_int_equal(port, msgs == 0 ? 51820 : -1);
		assert_true(++msgs < 100);
	}
	assert_int_equal(len, 0);
	assert_true(msgs > 1);
	assert_int_equal(with_key, 1);
	/* No peers at all: still exactly one message with the device attributes. */
	wg_genl_cursor_init(&cur);
	assert_true(wg_genl_build_set(buf, sizeof(buf), FAMILY, 1, IFNAME, &dev, NULL, NULL, 0,
				      &cur) > 0);
	assert_int_equal(wg_genl_build_set(buf, sizeof(buf), FAMILY, 1, IFNAME, &dev, NULL, NULL, 0,
					   &cur), 0);
	free_peers(peers, 400);
}

static void test_genl__too_small_buffer(void **state)
{
	struct dev_peer *peers = make_peers(1, 1);
	struct wg_genl_cursor cur;
	char buf[BASE_SIZE + 8];

	(void)state;
	wg_genl_cursor_init(&cur);
	/* Room for the header but not for one peer: no progress, -EMSGSIZE, not a loop. */
	assert_int_equal(wg_genl_build_set(buf, sizeof(buf), FAMILY, 1, IFNAME, NULL, peers, NULL,
					   1, &cur), -EMSGSIZE);
	free_peers(peers, 1);
}

/* The kernel dump uses the same attribute layout: build a dump-like sequence (a peer split
 * across messages) and check the parser merges it back into one peer. */
static void test_genl__parse_merges_continuations(void **state)
{
	const size_t n = 50, n_aips = 200;
	struct dev_peer *peers = make_peers(n, n_aips);
	struct dev_iface d = { 0 };
	struct wg_genl_cursor cur;
	char buf[WG_GENL_MSG_SIZE];
	int len, msgs = 0;

	(void)state;
	wg_genl_cursor_init(&cur);
	while ((len = wg_genl_build_set(buf, sizeof(buf), FAMILY, 1, IFNAME, NULL, peers, NULL, n,
					&cur)) > 0) {
		assert_int_equal(wg_genl_parse_device((struct nlmsghdr *)buf, &d), 0);
		msgs++;
	}
	assert_true(msgs > 1);
	assert_int_equal(d.n_peers, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(key_index(d.peers[i].public_key), i);
		assert_int_equal(d.peers[i].n_allowed_ips, n_aips);
		for (size_t j = 0; j < n_aips; j++)
			assert_int_equal(v4_counter(d.peers[i].allowed_ips[j].addr), i * n_aips + j);
	}
	dev_iface_release(&d);
	free_peers(peers, n);
}

/* A reply as the kernel sends it, with statistics and an IPv6 endpoint. */
static void test_genl__parse_device_reply(void **state)
{
	char buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *peers_n, *peer_n, *aips_n, *aip_n;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(4242) };
	struct { int64_t sec, nsec; } ts = { 1700000000, 123 };
	uint8_t priv[32], pub[32], pkey[32], psk[32], v6[16];
	struct dev_iface d = { 0 };

	(void)state;
	nlh->nlmsg_type = FAMILY;
	g->cmd = WG_CMD_GET_DEVICE;
	memset(priv, 1, 32);
	memset(pub, 2, 32);
	memset(pkey, 3, 32);
	memset(psk, 4, 32);
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	inet_pton(AF_INET6, "fd00::", v6);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wgl9");
	mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, 32, priv);
	mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, 32, pub);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51000);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0x77);
	peers_n = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer_n = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, pkey);
	mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, 32, psk);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1234567890123ULL);
	mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 42);
	mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
	aips_n = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	aip_n = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET6);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 16, v6);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 64);
	mnl_attr_nest_end(nlh, aip_n);
	mnl_attr_nest_end(nlh, aips_n);
	mnl_attr_nest_end(nlh, peer_n);
	mnl_attr_nest_end(nlh, peers_n);

	assert_int_equal(wg_genl_parse_device(nlh, &d), 0);
	assert_int_equal(d.ifindex, 7);
	assert_string_equal(d.name, "wgl9");
	assert_memory_equal(d.private_key, priv, 32);
	assert_memory_equal(d.public_key, pub, 32);
	assert_int_equal(d.listen_port, 51000);
	assert_int_equal(d.fwmark, 0x77);
	assert_int_equal(d.n_peers, 1);
	assert_memory_equal(d.peers[0].public_key, pkey, 32);
	assert_memory_equal(d.peers[0].preshared_key, psk, 32);
	assert_true(d.peers[0].flags & DEV_PEER_HAS_PSK);
	assert_string_equal(d.peers[0].endpoint, "[2001:db8::7]:4242");
	assert_int_equal(d.peers[0].persistent_keepalive, 25);
	assert_int_equal(d.peers[0].last_handshake_sec, 1700000000);
	assert_int_equal(d.peers[0].last_handshake_nsec, 123);
	assert_int_equal(d.peers[0].rx_bytes, 1234567890123ULL);
	assert_int_equal(d.peers[0].tx_bytes, 42);
	assert_int_equal(d.peers[0].n_allowed_ips, 1);
	assert_int_equal(d.peers[0].allowed_ips[0].family, AF_INET6);
	assert_int_equal(d.peers[0].allowed_ips[0].len, 64);
	assert_memory_equal(d.peers[0].allowed_ips[0].addr, v6, 16);
	dev_iface_release(&d);
}

static void test_genl__parse_rejects_bad_allowedip(void **state)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *pn, *p, *an, *a;
	uint8_t key[32] = { 9 }, addr[4] = { 10, 0, 0, 1 };
	struct dev_iface d = { 0 };

	(void)state;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	pn = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, key);
	an = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	a = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 4, addr);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 33); /* impossible for IPv4 */
	mnl_attr_nest_end(nlh, a);
	mnl_attr_nest_end(nlh, an);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, pn);
	assert_int_equal(wg_genl_parse_device(nlh, &d), -EPROTO);
	dev_iface_release(&d);
}

static void test_genl__getfamily_roundtrip(void **state)
{
	char buf[256];
	struct nlmsghdr *nlh;
	const struct nlattr *a;
	uint16_t id = 0;
	int len;
	bool named = false;

	(void)state;
	len = wg_genl_build_getfamily(buf, sizeof(buf), 5, WG_GENL_NAME);
	assert_true(len > 0);
	nlh = (struct nlmsghdr *)buf;
	assert_int_equal(nlh->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
			 CTRL_CMD_GETFAMILY);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME)
			named = !strcmp(mnl_attr_get_str(a), "wireguard");
	assert_true(named);
	/* A CTRL_CMD_NEWFAMILY reply carrying the id. */
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "wireguard");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x21);
	assert_int_equal(wg_genl_parse_family(nlh, &id), 0);
	assert_int_equal(id, 0x21);
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	assert_int_equal(wg_genl_parse_family(nlh, &id), -EPROTO);
	assert_true(wg_genl_build_get(buf, sizeof(buf), FAMILY, 1, "wgl0") > 0);
	assert_true(((struct nlmsghdr *)buf)->nlmsg_flags & NLM_F_DUMP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genl__exact_fill_and_spill),
		cmocka_unit_test(test_genl__allowedips_span_messages),
		cmocka_unit_test(test_genl__10k_peers),
		cmocka_unit_test(test_genl__device_attrs_first_message_only),
		cmocka_unit_test(test_genl__too_small_buffer),
		cmocka_unit_test(test_genl__parse_merges_continuations),
		cmocka_unit_test(test_genl__parse_device_reply),
		cmocka_unit_test(test_genl__parse_rejects_bad_allowedip),
		cmocka_unit_test(test_genl__getfamily_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
