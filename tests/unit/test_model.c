/* SPDX-License-Identifier: MIT */
/* Domain model: keys, CIDR parsing and arithmetic, lifecycle, validation, file names. */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/cidr.h"
#include "model/endpoint.h"
#include "model/iface.h"
#include "model/keys.h"
#include "model/peer.h"
#include "model/user.h"
#include "util/err.h"

#define PRIV1 "eOyxaWNoO1B3hWJZhAaO0HlmwuCwuvNk6+mWbDwStng="
#define PUB1 "pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE="
#define PUB2 "OWcxXXggHUfGQTAApYuYMI6FL5dfUtI0cgy8trhuuX0="
#define PSK1 "HRLo7Zla0w5ucNrzl91QqK7S/zj5PNvEdLWdmlclU9o="

/* ---- keys ---- */

/* Pairs produced by `wg genkey | wg pubkey` (tests/data/peerconf/keypairs.txt). */
static void test_model_keys__wg_vectors(void **state)
{
	char *data = test_read_file("tests/data/peerconf/keypairs.txt");
	char *save = NULL, *line;
	int pairs = 0;

	(void)state;
	assert_non_null(data);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char priv[64], pub[64], got[WG_KEY_B64_SIZE];

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%63s %63s", priv, pub), 2);
		assert_int_equal(key_public_b64(got, priv), 0);
		assert_string_equal(got, pub);
		pairs++;
	}
	assert_int_equal(pairs, 2);
	free(data);
}

static void test_model_keys__base64_strict(void **state)
{
	uint8_t k[WG_KEY_LEN];
	char b64[WG_KEY_B64_SIZE], hex[WG_KEY_HEX_LEN + 1];

	(void)state;
	assert_int_equal(key_from_base64(k, PUB1), 0);
	key_to_base64(b64, k);
	assert_string_equal(b64, PUB1);
	key_to_hex(hex, k);
	assert_int_equal(strlen(hex), 64);
	memset(k, 0, sizeof(k));
	assert_int_equal(key_from_hex(k, hex), 0);
	key_to_base64(b64, k);
	assert_string_equal(b64, PUB1);

	assert_false(key_b64_is_valid(""));
	assert_false(key_b64_is_valid(NULL));
	assert_false(key_b64_is_valid("pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE"));    /* 43 */
	assert_false(key_b64_is_valid("pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE=="));  /* 45 */
	assert_false(key_b64_is_valid("pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xF="));   /* bits */
	assert_false(key_b64_is_valid("pXCEvTAloLfxooIg1KEFAipvK2VVM_AnapXRY5wb1xE="));   /* url */
	assert_false(key_b64_is_valid("pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1x=="));   /* 31 B */
	assert_false(key_b64_is_valid(" XCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE="));
	assert_int_equal(key_from_hex(k, "zz"), -EINVAL);
}

static void test_model_keys__generate(void **state)
{
	char priv[WG_KEY_B64_SIZE], pub[WG_KEY_B64_SIZE], again[WG_KEY_B64_SIZE];
	char psk1[WG_KEY_B64_SIZE], psk2[WG_KEY_B64_SIZE];
	uint8_t k[WG_KEY_LEN];

	(void)state;
	key_pair_b64(priv, pub);
	assert_true(key_b64_is_valid(priv));
	assert_true(key_b64_is_valid(pub));
	assert_int_equal(key_public_b64(again, priv), 0);
	assert_string_equal(again, pub);
	/* clamped as wg genkey does */
	assert_int_equal(key_from_base64(k, priv), 0);
	assert_int_equal(k[0] & 7, 0);
	assert_int_equal(k[31] & 0xc0, 0x40);
	key_psk_b64(psk1);
	key_psk_b64(psk2);
	assert_true(key_b64_is_valid(psk1));
	assert_string_not_equal(psk1, psk2);
	memset(k, 0, sizeof(k));
	assert_true(key_is_zero(k));
	k[5] = 1;
	assert_false(key_is_zero(k));
}

/* ---- cidr ---- */

static void test_model_cidr__parse_rejects(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "10.0.0.1/", "/24", " 10.0.0.1/24", "10.0.0.1/24 ", "10.0.0.1 /24",
		"1.2.3/24", "+10.0.0.1/24", "10.0.0.1/+24", "10.0.0.1/-1", "fd00::/129",
		"fe80::1%eth0/64", "fe80::1%eth0", "10.0.0.1/024", "10.0.0.256/24", "", "abc",
		"10.0.0.1/24/1", "010.0.0.1/24", "10.0.0.1/2x", "::ffff:1.2.3/96",
	};
	struct ip_prefix p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ip_prefix_parse(bad[i], true, &p) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	}
	/* a bare address only when allowed */
	assert_int_equal(ip_prefix_parse("10.0.0.1", false, &p), -EINVAL);
	assert_int_equal(ip_prefix_parse("10.0.0.1", true, &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(ip_prefix_parse("fd00::1", true, &p), 0);
	assert_int_equal(p.len, 128);
	assert_int_equal(p.family, AF_INET6);
}

static void test_model_cidr__format_network(void **state)
{
	struct ip_prefix p, n;
	char out[CIDR_STR_MAX];

	(void)state;
	assert_int_equal(ip_prefix_parse("10.11.12.5/24", false, &p), 0);
	ip_prefix_format(&p, out);
	assert_string_equal(out, "10.11.12.5/24");
	ip_addr_format(&p, out);
	assert_string_equal(out, "10.11.12.5");
	ip_prefix_network(&p, &n);
	ip_prefix_format(&n, out);
	assert_string_equal(out, "10.11.12.0/24");

	assert_int_equal(ip_prefix_parse("10.11.12.255/21", false, &p), 0);
	ip_prefix_network(&p, &n);
	ip_prefix_format(&n, out);
	assert_string_equal(out, "10.11.8.0/21");

	assert_int_equal(ip_prefix_parse("fdfd:d3ad:c0de:1234::77/64", false, &p), 0);
	ip_prefix_network(&p, &n);
	ip_prefix_format(&n, out);
	assert_string_equal(out, "fdfd:d3ad:c0de:1234::/64");

	assert_int_equal(ip_prefix_parse("1.2.3.4/0", false, &p), 0);
	ip_prefix_network(&p, &n);
	ip_prefix_format(&n, out);
	assert_string_equal(out, "0.0.0.0/0");
	assert_int_equal(ip_prefix_host_len(AF_INET), 32);
	assert_int_equal(ip_prefix_host_len(AF_INET6), 128);
}

static void test_model_cidr__contains_overlaps(void **state)
{
	struct ip_prefix net, a, b, v6;

	(void)state;
	assert_int_equal(ip_prefix_parse("10.11.12.0/24", false, &net), 0);
	assert_int_equal(ip_prefix_parse("10.11.12.200/32", false, &a), 0);
	assert_int_equal(ip_prefix_parse("10.11.13.1/32", false, &b), 0);
	assert_int_equal(ip_prefix_parse("::/0", false, &v6), 0);
	assert_true(ip_prefix_contains(&net, &a));
	assert_false(ip_prefix_contains(&net, &b));
	assert_false(ip_prefix_contains(&v6, &a)); /* families differ */
	assert_true(ip_prefix_overlaps(&net, &a));
	assert_false(ip_prefix_overlaps(&net, &b));
	assert_int_equal(ip_prefix_parse("10.11.0.0/16", false, &b), 0);
	assert_true(ip_prefix_overlaps(&net, &b));
	assert_true(ip_prefix_overlaps(&b, &net));
	assert_int_equal(ip_prefix_parse("10.11.12.200/24", false, &b), 0);
	assert_true(ip_addr_equal(&a, &b)); /* address part only */
}

static void test_model_cidr__next_last(void **state)
{
	struct ip_prefix net, a;
	char out[CIDR_STR_MAX];

	(void)state;
	assert_int_equal(ip_prefix_parse("10.0.0.255/32", false, &a), 0);
	assert_int_equal(ip_addr_next(&a), 0);
	ip_addr_format(&a, out);
	assert_string_equal(out, "10.0.1.0");
	assert_int_equal(ip_prefix_parse("255.255.255.255/32", false, &a), 0);
	assert_int_equal(ip_addr_next(&a), -ERANGE);
	assert_int_equal(ip_prefix_parse("fd00::ffff/128", false, &a), 0);
	assert_int_equal(ip_addr_next(&a), 0);
	ip_addr_format(&a, out);
	assert_string_equal(out, "fd00::1:0");

	assert_int_equal(ip_prefix_parse("10.11.12.0/24", false, &net), 0);
	assert_int_equal(ip_prefix_parse("10.11.12.255/32", false, &a), 0);
	assert_true(ip_addr_is_last_in(&net, &a));
	assert_int_equal(ip_prefix_parse("10.11.12.254/32", false, &a), 0);
	assert_false(ip_addr_is_last_in(&net, &a));
	assert_int_equal(ip_prefix_parse("10.0.0.0/21", false, &net), 0);
	assert_int_equal(ip_prefix_parse("10.0.7.255/32", false, &a), 0);
	assert_true(ip_addr_is_last_in(&net, &a));
	assert_int_equal(ip_prefix_parse("10.0.6.255/32", false, &a), 0);
	assert_false(ip_addr_is_last_in(&net, &a));
	assert_int_equal(ip_prefix_parse("fd00::/64", false, &net), 0);
	assert_int_equal(ip_prefix_parse("fd00::ffff:ffff:ffff:ffff/128", false, &a), 0);
	assert_true(ip_addr_is_last_in(&net, &a));
}

/* ---- endpoints (issue 11, item 9: one parser, one comparison) ---- */

static void test_model_endpoint__parse(void **state)
{
	static const char *const bad[] = {
		"", ":51820", "host:", "host:0", "host:65536", "host:+1", "host: 1", "host:1x",
		"2001:db8::1:51820",       /* a bare IPv6 address with a port must be bracketed */
		"[2001:db8::1]", "[host]:1", "[10.0.0.1]:1", "[2001:db8::1]51820", "[2001:db8::1:1",
		"1.2.3:51820",              /* all digits and dots but no address */
		"-bad.example:1", "bad-.example:1", "a..b:1", "sp ace:1",
	};
	struct endpoint ep;
	char out[ENDPOINT_STR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (endpoint_parse(bad[i], false, &ep) == 0)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(endpoint_parse("198.51.100.7:51820", false, &ep), 0);
	assert_int_equal(ep.family, AF_INET);
	assert_int_equal(ep.port, 51820);
	assert_string_equal(ep.host, "198.51.100.7");
	assert_int_equal(endpoint_parse("[2001:DB8::7]:1", false, &ep), 0);
	assert_int_equal(ep.family, AF_INET6);
	assert_int_equal(ep.port, 1);
	endpoint_format(&ep, out);
	assert_string_equal(out, "[2001:DB8::7]:1");
	assert_int_equal(endpoint_parse("vpn.example.com.:65535", false, &ep), 0);
	assert_int_equal(ep.family, 0);
	assert_int_equal(ep.port, 65535);
	/* the port is optional only when asked */
	assert_int_equal(endpoint_parse("vpn.example.com", false, &ep), -EINVAL);
	assert_int_equal(endpoint_parse("vpn.example.com", true, &ep), 0);
	assert_int_equal(ep.port, 0);
	assert_int_equal(endpoint_parse("[2001:db8::1]", true, &ep), 0);
	endpoint_format(&ep, out);
	assert_string_equal(out, "[2001:db8::1]");
	assert_int_equal(endpoint_parse("2001:db8::1", true, &ep), -EINVAL);
	/* the two fields devices keep apart */
	assert_int_equal(endpoint_from_parts("2001:db8::5", 51822, &ep), 0);
	endpoint_format(&ep, out);
	assert_string_equal(out, "[2001:db8::5]:51822");
	assert_int_equal(endpoint_from_parts("vpn.example.com", 0, &ep), 0);
	endpoint_format(&ep, out);
	assert_string_equal(out, "vpn.example.com");
	assert_int_equal(endpoint_from_parts("10.0.0.1", 65536, &ep), -EINVAL);
	assert_int_equal(endpoint_from_parts("", 1, &ep), -EINVAL);
}

static void test_model_endpoint__equal(void **state)
{
	static const char *const same[][2] = {
		{ "[2001:db8::7]:51820", "[2001:DB8:0:0::7]:51820" },  /* one address, two forms */
		{ "[::ffff:10.0.0.1]:1", "[::FFFF:a00:1]:1" },
		{ "VPN.Example.com:51820", "vpn.example.com.:51820" }, /* case, trailing dot */
		{ "", "" },
	};
	static const char *const differ[][2] = {
		{ "vpn.example.com:51820", "198.51.100.7:51820" }, /* a name is not any address */
		{ "198.51.100.7:51820", "198.51.100.7:51821" },    /* the port counts */
		{ "vpn.example.com:51820", "vpn.example.com" },     /* a missing port is 0 */
		{ "10.0.0.1:51820", "" },
		{ "[::a00:1]:1", "10.0.0.1:1" },                   /* families differ */
		{ "a.example:1", "b.example:1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		if (!endpoint_str_equal(same[i][0], same[i][1]) ||
		    !endpoint_str_equal(same[i][1], same[i][0]))
			fail_msg("'%s' != '%s'", same[i][0], same[i][1]);
	}
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		if (endpoint_str_equal(differ[i][0], differ[i][1]) ||
		    endpoint_str_equal(differ[i][1], differ[i][0]))
			fail_msg("'%s' == '%s'", differ[i][0], differ[i][1]);
	}
	/* ports are numbers */
	assert_true(endpoint_str_equal("10.0.0.1:0080", "10.0.0.1:80"));
	assert_true(endpoint_str_equal(NULL, ""));
	assert_true(endpoint_str_equal("not an endpoint", "not an endpoint"));
	assert_false(endpoint_str_equal("not an endpoint", "not an  endpoint"));
}

/* ---- lifecycle ---- */

static struct iface *valid_iface(void)
{
	struct iface *ifc = iface_new();

	assert_non_null(ifc);
	assert_int_equal(str_set(&ifc->identifier, "wg0"), 0);
	assert_int_equal(str_set(&ifc->mode, "server"), 0);
	assert_int_equal(str_set(&ifc->display_name, "Main"), 0);
	strcpy(ifc->private_key, PRIV1);
	strcpy(ifc->public_key, PUB1);
	ifc->listen_port = 51820;
	ifc->mtu = 1420;
	assert_int_equal(strv_push(&ifc->addresses, "10.11.12.1/24"), 0);
	assert_int_equal(strv_push(&ifc->dns, "10.11.12.1"), 0);
	assert_int_equal(strv_push(&ifc->dns_search, "corp.example"), 0);
	assert_int_equal(strv_push(&ifc->peer_def_network, "10.11.12.0/24"), 0);
	assert_int_equal(strv_push(&ifc->peer_def_allowed_ips, "0.0.0.0/0"), 0);
	assert_int_equal(str_set(&ifc->peer_def_endpoint, "vpn.example.com:51820"), 0);
	assert_int_equal(str_set(&ifc->routing_table, "0x10"), 0);
	return ifc;
}

static struct peer *valid_peer(void)
{
	struct peer *p = peer_new();

	assert_non_null(p);
	strcpy(p->identifier, PUB1);
	strcpy(p->public_key, PUB1);
	strcpy(p->private_key, PRIV1);
	strcpy(p->preshared_key, PSK1);
	assert_int_equal(str_set(&p->display_name, "Alice Laptop"), 0);
	assert_int_equal(str_set(&p->interface_identifier, "wg0"), 0);
	assert_int_equal(str_set(&p->mode, "client"), 0);
	assert_int_equal(str_set(&p->endpoint.value, "[fd00::1]:51820"), 0);
	assert_int_equal(str_set(&p->endpoint_public_key.value, PUB2), 0);
	assert_int_equal(strv_push(&p->allowed_ips.value, "0.0.0.0/0"), 0);
	assert_int_equal(strv_push(&p->addresses, "10.11.12.2/32"), 0);
	assert_int_equal(str_set(&p->expires_at, "2028-02-29"), 0);
	p->persistent_keepalive.value = 25;
	p->mtu.value = 1420;
	return p;
}

static void test_model_lifecycle__dup_free(void **state)
{
	struct iface *ifc = valid_iface(), *d;
	struct peer *p = valid_peer(), *pd;
	struct user *u = user_new(), *ud;

	(void)state;
	d = iface_dup(ifc);
	assert_non_null(d);
	assert_ptr_not_equal(d->identifier, ifc->identifier);
	assert_string_equal(d->identifier, "wg0");
	assert_string_equal(d->private_key, PRIV1);
	assert_true(strv_eq(&d->addresses, &ifc->addresses));
	assert_ptr_not_equal(d->addresses.v, ifc->addresses.v);
	assert_int_equal(d->listen_port, 51820);
	assert_null(iface_free(d));

	pd = peer_dup(p);
	assert_non_null(pd);
	assert_string_equal(pd->endpoint.value, "[fd00::1]:51820");
	assert_ptr_not_equal(pd->endpoint.value, p->endpoint.value);
	assert_string_equal(pd->preshared_key, PSK1);
	assert_int_equal(pd->persistent_keepalive.value, 25);
	assert_null(peer_free(pd));

	assert_int_equal(str_set(&u->identifier, "bob"), 0);
	assert_int_equal(str_set(&u->api_token, "tok"), 0);
	assert_int_equal(strv_push(&u->auth_sources, "db"), 0);
	ud = user_dup(u);
	assert_non_null(ud);
	assert_string_equal(ud->identifier, "bob");
	assert_string_equal(ud->api_token, "tok");
	assert_true(strv_eq(&ud->auth_sources, &u->auth_sources));

	/* str_set: "" and NULL clear the field */
	assert_int_equal(str_set(&u->identifier, ""), 0);
	assert_null(u->identifier);

	/* lists and NULL are fine */
	{
		struct peer **list = calloc(2, sizeof(*list));

		assert_non_null(list);
		list[0] = p;
		peer_list_free(list, 2);
	}
	assert_null(iface_free(NULL));
	assert_null(peer_free(NULL));
	assert_null(user_free(NULL));
	iface_free(ifc);
	user_free(u);
	user_free(ud);
}

/* ---- validation ---- */

#define EXPECT_FIELD(call, name)                                                       \
	do {                                                                            \
		struct err e_ = { 0 };                                                  \
		int r_ = (call);                                                        \
		if (r_ != -EINVAL || strcmp(e_.field, (name)) != 0)                     \
			fail_msg("%s: r=%d field='%s' msg='%s'", #call, r_, e_.field,   \
				 e_.msg);                                               \
	} while (0)

static void iface_expect(const char *field, void (*mutate)(struct iface *))
{
	struct iface *ifc = valid_iface();
	struct err e = { 0 };
	int r;

	mutate(ifc);
	r = iface_validate(ifc, &e);
	if (r != -EINVAL || strcmp(e.field, field) != 0)
		fail_msg("expected %s: r=%d field='%s' msg='%s'", field, r, e.field, e.msg);
	iface_free(ifc);
}

static void m_id_empty(struct iface *i) { str_set(&i->identifier, ""); }
static void m_id_long(struct iface *i) { str_set(&i->identifier, "wg0123456789abcd"); }
static void m_id_slash(struct iface *i) { str_set(&i->identifier, "wg/0"); }
static void m_id_space(struct iface *i) { str_set(&i->identifier, "wg 0"); }
static void m_id_dot(struct iface *i) { str_set(&i->identifier, ".."); }
static void m_id_utf8(struct iface *i) { str_set(&i->identifier, "wg\xc3\xa9"); }
static void m_mode(struct iface *i) { str_set(&i->mode, "router"); }
static void m_mode_empty(struct iface *i) { str_set(&i->mode, NULL); }
static void m_name_nl(struct iface *i) { str_set(&i->display_name, "x\nPostUp = evil"); }
static void m_hook_nl(struct iface *i) { str_set(&i->post_up, "echo a\necho b"); }
static void m_defhook_cr(struct iface *i) { str_set(&i->peer_def_pre_down, "a\rb"); }
static void m_pub_mismatch(struct iface *i) { strcpy(i->public_key, PUB2); }
static void m_priv_bad(struct iface *i) { strcpy(i->private_key, "not-a-key"); }
static void m_port(struct iface *i) { i->listen_port = 65536; }
static void m_mtu_low(struct iface *i) { i->mtu = 575; }
static void m_mtu_high(struct iface *i) { i->mtu = 9001; }
static void m_addr(struct iface *i) { strv_push(&i->addresses, "10.0.0.0/33"); }
static void m_dns_prefix(struct iface *i) { strv_push(&i->dns, "10.0.0.1/32"); }
static void m_dns_name(struct iface *i) { strv_push(&i->dns, "dns.example"); }
static void m_search(struct iface *i) { strv_push(&i->dns_search, "bad domain"); }
static void m_search_dash(struct iface *i) { strv_push(&i->dns_search, "-x.example"); }
static void m_defnet(struct iface *i) { strv_push(&i->peer_def_network, "10.0.0.1"); }
static void m_defallowed(struct iface *i) { strv_push(&i->peer_def_allowed_ips, "::/129"); }
static void m_ep_v6nobr(struct iface *i) { str_set(&i->peer_def_endpoint, "fd00::1"); }
static void m_ep_colon(struct iface *i) { str_set(&i->peer_def_endpoint, "vpn.example.com:"); }
static void m_ep_port0(struct iface *i) { str_set(&i->peer_def_endpoint, "vpn.example.com:0"); }
static void m_ep_v6bare(struct iface *i) { str_set(&i->peer_def_endpoint, "fd00::1:51820"); }
static void m_ep_space(struct iface *i) { str_set(&i->peer_def_endpoint, "vpn example:1"); }
static void m_defmtu(struct iface *i) { i->peer_def_mtu = 100; }
static void m_defka(struct iface *i) { i->peer_def_persistent_keepalive = -1; }
static void m_table(struct iface *i) { str_set(&i->routing_table, "main"); }
static void m_table_big(struct iface *i) { str_set(&i->routing_table, "4294967296"); }
static void m_table_hex(struct iface *i) { str_set(&i->routing_table, "0x"); }
static void m_deftable(struct iface *i) { str_set(&i->peer_def_routing_table, "-1"); }

static void test_model_validate__iface(void **state)
{
	struct iface *ifc = valid_iface();
	struct err e = { 0 };

	(void)state;
	assert_int_equal(iface_validate(ifc, &e), 0);
	/* accepted edge values */
	ifc->mtu = 0;
	ifc->listen_port = 0;
	str_set(&ifc->routing_table, "off");
	str_set(&ifc->peer_def_endpoint, "[fd00::1]:1");
	str_set(&ifc->identifier, "wg0123456789abc"); /* 15 chars */
	ifc->public_key[0] = '\0';                    /* private key alone is fine */
	assert_int_equal(iface_validate(ifc, &e), 0);
	/* PeerDefEndpoint may lack the port: core appends ":<ListenPort>" */
	str_set(&ifc->peer_def_endpoint, "vpn.example.com");
	assert_int_equal(iface_validate(ifc, &e), 0);
	str_set(&ifc->peer_def_endpoint, "[fd00::1]");
	assert_int_equal(iface_validate(ifc, &e), 0);
	str_set(&ifc->routing_table, "4294967295");
	str_set(&ifc->peer_def_endpoint, "192.0.2.1:65535");
	assert_int_equal(iface_validate(ifc, &e), 0);
	iface_free(ifc);

	iface_expect("Identifier", m_id_empty);
	iface_expect("Identifier", m_id_long);
	iface_expect("Identifier", m_id_slash);
	iface_expect("Identifier", m_id_space);
	iface_expect("Identifier", m_id_dot);
	iface_expect("Identifier", m_id_utf8);
	iface_expect("Mode", m_mode);
	iface_expect("Mode", m_mode_empty);
	iface_expect("DisplayName", m_name_nl);
	iface_expect("PostUp", m_hook_nl);
	iface_expect("PeerDefPreDown", m_defhook_cr);
	iface_expect("PublicKey", m_pub_mismatch);
	iface_expect("PrivateKey", m_priv_bad);
	iface_expect("ListenPort", m_port);
	iface_expect("Mtu", m_mtu_low);
	iface_expect("Mtu", m_mtu_high);
	iface_expect("Addresses", m_addr);
	iface_expect("Dns", m_dns_prefix);
	iface_expect("Dns", m_dns_name);
	iface_expect("DnsSearch", m_search);
	iface_expect("DnsSearch", m_search_dash);
	iface_expect("PeerDefNetwork", m_defnet);
	iface_expect("PeerDefAllowedIPs", m_defallowed);
	iface_expect("PeerDefEndpoint", m_ep_v6nobr);
	iface_expect("PeerDefEndpoint", m_ep_colon);
	iface_expect("PeerDefEndpoint", m_ep_port0);
	iface_expect("PeerDefEndpoint", m_ep_v6bare);
	iface_expect("PeerDefEndpoint", m_ep_space);
	iface_expect("PeerDefMtu", m_defmtu);
	iface_expect("PeerDefPersistentKeepalive", m_defka);
	iface_expect("RoutingTable", m_table);
	iface_expect("RoutingTable", m_table_big);
	iface_expect("RoutingTable", m_table_hex);
	iface_expect("PeerDefRoutingTable", m_deftable);
}

static void test_model_validate__iface_key_message(void **state)
{
	struct iface *ifc = valid_iface();
	struct err e = { 0 };

	(void)state;
	strcpy(ifc->public_key, PUB2);
	assert_int_equal(iface_validate(ifc, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid public key for given privatekey");
	/* a bad private key is named, never quoted */
	strcpy(ifc->private_key, "c2VjcmV0c2VjcmV0");
	assert_int_equal(iface_validate(ifc, &e), -EINVAL);
	assert_null(strstr(e.msg, "c2VjcmV0"));
	iface_free(ifc);
}

static void peer_expect(const char *field, void (*mutate)(struct peer *))
{
	struct peer *p = valid_peer();
	struct err e = { 0 };
	int r;

	mutate(p);
	r = peer_validate(p, &e);
	if (r != -EINVAL || strcmp(e.field, field) != 0)
		fail_msg("expected %s: r=%d field='%s' msg='%s'", field, r, e.field, e.msg);
	peer_free(p);
}

static void pm_id(struct peer *p) { strcpy(p->identifier, PUB2); }
static void pm_pub_empty(struct peer *p) { p->public_key[0] = '\0'; p->identifier[0] = '\0'; }
static void pm_pub_bad(struct peer *p) { strcpy(p->public_key, "abc"); strcpy(p->identifier, "abc"); }
static void pm_psk(struct peer *p) { strcpy(p->preshared_key, "short="); }
static void pm_name_nl(struct peer *p) { str_set(&p->display_name, "x\nPostUp = evil"); }
static void pm_notes(struct peer *p) { str_set(&p->notes, "a\nb"); }
static void pm_hook(struct peer *p) { str_set(&p->post_up.value, "x\r\nPostDown = y"); }
static void pm_user(struct peer *p) { str_set(&p->user_identifier, "bob\x01"); }
static void pm_mode(struct peer *p) { str_set(&p->mode, "peer"); }
static void pm_expiry(struct peer *p) { str_set(&p->expires_at, "2027-02-29"); }
static void pm_expiry_fmt(struct peer *p) { str_set(&p->expires_at, "2027-2-01"); }
static void pm_endpoint(struct peer *p) { str_set(&p->endpoint.value, "[fd00::1]51820"); }
static void pm_endpoint_noport(struct peer *p) { str_set(&p->endpoint.value, "vpn.example.com"); }
static void pm_allowed(struct peer *p) { strv_push(&p->allowed_ips.value, "10.0.0.1/"); }
static void pm_extra(struct peer *p) { strv_push(&p->extra_allowed_ips, "/24"); }
static void pm_addr(struct peer *p) { strv_push(&p->addresses, "fe80::1%eth0/64"); }
static void pm_ka(struct peer *p) { p->persistent_keepalive.value = 65536; }
static void pm_check(struct peer *p) { str_set(&p->check_alive_address, "10.0.0.1/32"); }
static void pm_dns(struct peer *p) { strv_push(&p->dns.value, "1.2.3"); }
static void pm_search(struct peer *p) { strv_push(&p->dns_search.value, "a..b"); }
static void pm_mtu(struct peer *p) { p->mtu.value = 575; }
static void pm_fwmark(struct peer *p) { p->firewall_mark.value = 4294967296LL; }
static void pm_table(struct peer *p) { str_set(&p->routing_table.value, "0xfffffffff"); }
static void pm_epkey(struct peer *p) { str_set(&p->endpoint_public_key.value, "xyz"); }

static void test_model_validate__peer(void **state)
{
	struct peer *p = valid_peer();
	struct err e = { 0 };

	(void)state;
	assert_int_equal(peer_validate(p, &e), 0);
	str_set(&p->mode, NULL); /* derived later by core */
	p->private_key[0] = '\0';
	p->preshared_key[0] = '\0';
	str_set(&p->expires_at, NULL);
	str_set(&p->check_alive_address, "fd00::2");
	p->mtu.value = 0;
	p->firewall_mark.value = 4294967295LL;
	assert_int_equal(peer_validate(p, &e), 0);
	peer_free(p);

	peer_expect("Identifier", pm_id);
	peer_expect("PublicKey", pm_pub_empty);
	peer_expect("PublicKey", pm_pub_bad);
	peer_expect("PresharedKey", pm_psk);
	peer_expect("DisplayName", pm_name_nl);
	peer_expect("Notes", pm_notes);
	peer_expect("PostUp", pm_hook);
	peer_expect("UserIdentifier", pm_user);
	peer_expect("Mode", pm_mode);
	peer_expect("ExpiresAt", pm_expiry);
	peer_expect("ExpiresAt", pm_expiry_fmt);
	peer_expect("Endpoint", pm_endpoint);
	peer_expect("Endpoint", pm_endpoint_noport);
	peer_expect("AllowedIPs", pm_allowed);
	peer_expect("ExtraAllowedIPs", pm_extra);
	peer_expect("Addresses", pm_addr);
	peer_expect("PersistentKeepalive", pm_ka);
	peer_expect("CheckAliveAddress", pm_check);
	peer_expect("Dns", pm_dns);
	peer_expect("DnsSearch", pm_search);
	peer_expect("Mtu", pm_mtu);
	peer_expect("FirewallMark", pm_fwmark);
	peer_expect("RoutingTable", pm_table);
	peer_expect("EndpointPublicKey", pm_epkey);
}

static void test_model_validate__user(void **state)
{
	struct user *u = user_new();
	struct err e = { 0 };

	(void)state;
	EXPECT_FIELD(user_validate(u, &e_), "Identifier");
	str_set(&u->identifier, "admin@wgportal.local");
	assert_int_equal(user_validate(u, &e), 0);
	str_set(&u->lastname, "a\nb");
	EXPECT_FIELD(user_validate(u, &e_), "Lastname");
	str_set(&u->lastname, NULL);
	str_set(&u->identifier, "bob\n");
	EXPECT_FIELD(user_validate(u, &e_), "Identifier");
	str_set(&u->identifier, "_WG_SYS_ADMIN_");
	EXPECT_FIELD(user_validate(u, &e_), "Identifier");
	user_free(u);

	assert_true(user_id_is_reserved("all"));
	assert_true(user_id_is_reserved("new"));
	assert_true(user_id_is_reserved("id"));
	assert_true(user_id_is_reserved("_WG_SYS_DB_MIGRATOR_"));
	assert_false(user_id_is_reserved("All")); /* exact match */
	assert_false(user_id_is_reserved("bob"));
	assert_false(user_id_is_reserved(NULL));
}

/* ---- file names (spec 4.4 examples) and modes ---- */

static void expect_peer_filename(const char *display_name, const char *id, const char *want)
{
	struct peer *p = peer_new();
	char out[32];

	assert_non_null(p);
	str_set(&p->display_name, display_name);
	strcpy(p->identifier, id);
	peer_filename(p, out);
	if (strcmp(out, want) != 0)
		fail_msg("'%s' -> '%s', want '%s'", STR(display_name), out, want);
	peer_free(p);
}

static void test_model_filename__spec_examples(void **state)
{
	struct iface *ifc = iface_new();
	char out[32];

	(void)state;
	expect_peer_filename("My Laptop (home)", PUB1, "My_Laptop_home.conf");
	expect_peer_filename("Autodetected Client (pXCEvTAl)", PUB1, "Client_pXCEvTAl.conf");
	expect_peer_filename("Peer ab+c/def", PUB1, "Peer_abcdef.conf");
	expect_peer_filename("\xc3\xa9\xc3\xa8\xc3\xa0", PUB1, ".conf");
	expect_peer_filename("Alice Laptop", PUB1, "Alice_Laptop.conf");
	expect_peer_filename("Peer OWcxXXgg", PUB2, "Peer_OWcxXXgg.conf");
	expect_peer_filename("A very long display name indeed", PUB1, "A_very_long_disp.conf");
	expect_peer_filename("AutoAutodetected_detected_x", PUB1, "Autodetected_x.conf");
	/* empty name: wg_ + first 8 of the identifier, then only the character filter */
	expect_peer_filename(NULL, PUB1, "wg_pXCEvTAl.conf");
	expect_peer_filename(NULL, "ab+/cdefgh", "wg_abcdef.conf");

	assert_non_null(ifc);
	str_set(&ifc->identifier, "wg0");
	iface_filename(ifc, out);
	assert_string_equal(out, "wg0.conf");
	str_set(&ifc->identifier, "wg.vpn-1_averylongname");
	iface_filename(ifc, out);
	assert_string_equal(out, "wgvpn-1_averylon.conf");
	iface_free(ifc);

	assert_string_equal(peer_mode_for_iface("client"), "server");
	assert_string_equal(peer_mode_for_iface("server"), "client");
	assert_string_equal(peer_mode_for_iface("any"), "client");
	assert_string_equal(peer_mode_for_iface(NULL), "client");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_keys__wg_vectors),
		cmocka_unit_test(test_model_endpoint__parse),
		cmocka_unit_test(test_model_endpoint__equal),
		cmocka_unit_test(test_model_keys__base64_strict),
		cmocka_unit_test(test_model_keys__generate),
		cmocka_unit_test(test_model_cidr__parse_rejects),
		cmocka_unit_test(test_model_cidr__format_network),
		cmocka_unit_test(test_model_cidr__contains_overlaps),
		cmocka_unit_test(test_model_cidr__next_last),
		cmocka_unit_test(test_model_lifecycle__dup_free),
		cmocka_unit_test(test_model_validate__iface),
		cmocka_unit_test(test_model_validate__iface_key_message),
		cmocka_unit_test(test_model_validate__peer),
		cmocka_unit_test(test_model_validate__user),
		cmocka_unit_test(test_model_filename__spec_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
