/* SPDX-License-Identifier: MIT */
/* v1 JSON mapping: exact answers (field order, omissions), round trips of every field,
 * case-insensitive input, unknown fields, wrong types, ranges, and wg-portal's escaping. */
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_model.h"
#include "util/err.h"

#define PRIV1 "eOyxaWNoO1B3hWJZhAaO0HlmwuCwuvNk6+mWbDwStng="
#define PUB1 "pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE="
#define PUB2 "OWcxXXggHUfGQTAApYuYMI6FL5dfUtI0cgy8trhuuX0="
#define PSK1 "HRLo7Zla0w5ucNrzl91QqK7S/zj5PNvEdLWdmlclU9o="

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (!v)
		fail_msg("bad test JSON: %s", je.text);
	return v;
}

/* Dumps v with json_dump_compat (takes v) and compares with want + "\n". */
static void expect_dump(json_t *v, const char *want)
{
	char *got;
	size_t n = strlen(want);

	assert_non_null(v);
	got = json_dump_compat(v);
	json_decref(v);
	assert_non_null(got);
	if (strlen(got) != n + 1 || strncmp(got, want, n) != 0 || got[n] != '\n')
		fail_msg("got  %s\nwant %s", got, want);
	free(got);
}

/* ---- answers: spec 2.9 shapes ---- */

static void test_json_model_out__iface_prepare_shape(void **state)
{
	struct iface *ifc = iface_new();

	(void)state;
	str_set(&ifc->identifier, "wg0");
	str_set(&ifc->display_name, "wg0");
	str_set(&ifc->mode, "server");
	strcpy(ifc->private_key, PRIV1);
	strcpy(ifc->public_key, PUB1);
	ifc->listen_port = 51820;
	strv_push(&ifc->addresses, "10.11.12.1/24");
	strv_push(&ifc->addresses, "fdfd:d3ad:c0de:1234::1/64");
	ifc->mtu = 1420;
	strv_push(&ifc->peer_def_network, "10.11.12.0/24");
	strv_push(&ifc->peer_def_network, "fdfd:d3ad:c0de:1234::/64");
	strv_copy(&ifc->peer_def_allowed_ips, &ifc->peer_def_network);
	ifc->peer_def_mtu = 1420;
	ifc->peer_def_persistent_keepalive = 16;
	str_set(&ifc->backend, "local"); /* not in v1 */
	expect_dump(json_from_iface(ifc),
		"{\"Identifier\":\"wg0\",\"DisplayName\":\"wg0\",\"Mode\":\"server\","
		"\"PrivateKey\":\"" PRIV1 "\",\"PublicKey\":\"" PUB1 "\","
		"\"Disabled\":false,\"DisabledReason\":\"\",\"SaveConfig\":false,\"ListenPort\":51820,"
		"\"Addresses\":[\"10.11.12.1/24\",\"fdfd:d3ad:c0de:1234::1/64\"],\"Dns\":[],"
		"\"DnsSearch\":[],\"Mtu\":1420,"
		"\"FirewallMark\":0,\"RoutingTable\":\"\",\"PreUp\":\"\",\"PostUp\":\"\",\"PreDown\":\"\","
		"\"PostDown\":\"\","
		"\"PeerDefNetwork\":[\"10.11.12.0/24\",\"fdfd:d3ad:c0de:1234::/64\"],\"PeerDefDns\":[],"
		"\"PeerDefDnsSearch\":[],"
		"\"PeerDefEndpoint\":\"\",\"PeerDefAllowedIPs\":[\"10.11.12.0/24\","
		"\"fdfd:d3ad:c0de:1234::/64\"],\"PeerDefMtu\":1420,"
		"\"PeerDefPersistentKeepalive\":16,\"PeerDefFirewallMark\":0,\"PeerDefRoutingTable\":\"\","
		"\"PeerDefPreUp\":\"\","
		"\"PeerDefPostUp\":\"\",\"PeerDefPreDown\":\"\",\"PeerDefPostDown\":\"\","
		"\"EnabledPeers\":0,\"TotalPeers\":0,\"Filename\":\"wg0.conf\",\"Backend\":\"local\","
		"\"CreateDefaultPeer\":false,\"Node\":\"\"}");
	iface_free(ifc);
}

static void test_json_model_out__peer_prepare_shape(void **state)
{
	struct peer *p = peer_new();

	(void)state;
	strcpy(p->identifier, PUB1);
	strcpy(p->public_key, PUB1);
	strcpy(p->private_key, PRIV1);
	strcpy(p->preshared_key, PSK1);
	str_set(&p->display_name, "Peer pXCEvTAl");
	str_set(&p->user_identifier, "admin@wgportal.local");
	str_set(&p->interface_identifier, "wg0");
	str_set(&p->mode, "client");
	str_set(&p->endpoint.value, "vpn.example.com:51820");
	str_set(&p->endpoint_public_key.value, PUB2);
	strv_push(&p->allowed_ips.value, "10.11.12.0/24");
	strv_push(&p->addresses, "10.11.12.2/32");
	p->persistent_keepalive.value = 16;
	p->mtu.value = 1420;
	p->endpoint.overridable = p->endpoint_public_key.overridable = true;
	p->allowed_ips.overridable = p->persistent_keepalive.overridable = true;
	p->dns.overridable = p->dns_search.overridable = p->mtu.overridable = true;
	p->firewall_mark.overridable = p->routing_table.overridable = true;
	p->pre_up.overridable = p->post_up.overridable = true;
	p->pre_down.overridable = p->post_down.overridable = true;
	expect_dump(json_from_peer(p),
		"{\"Identifier\":\"" PUB1 "\",\"DisplayName\":\"Peer pXCEvTAl\","
		"\"UserIdentifier\":\"admin@wgportal.local\","
		"\"InterfaceIdentifier\":\"wg0\",\"Disabled\":false,\"DisabledReason\":\"\",\"Notes\":\"\","
		"\"Endpoint\":{\"Value\":\"vpn.example.com:51820\",\"Overridable\":true},"
		"\"EndpointPublicKey\":{\"Value\":\"" PUB2 "\",\"Overridable\":true},"
		"\"AllowedIPs\":{\"Value\":[\"10.11.12.0/24\"],\"Overridable\":true},"
		"\"ExtraAllowedIPs\":[],\"PresharedKey\":\"" PSK1 "\","
		"\"PersistentKeepalive\":{\"Value\":16,\"Overridable\":true},"
		"\"PrivateKey\":\"" PRIV1 "\",\"PublicKey\":\"" PUB1 "\",\"Mode\":\"client\","
		"\"Addresses\":[\"10.11.12.2/32\"],\"CheckAliveAddress\":\"\","
		"\"Dns\":{\"Value\":[],\"Overridable\":true},"
		"\"DnsSearch\":{\"Value\":[],\"Overridable\":true},"
		"\"Mtu\":{\"Value\":1420,\"Overridable\":true},"
		"\"FirewallMark\":{\"Value\":0,\"Overridable\":true},"
		"\"RoutingTable\":{\"Value\":\"\",\"Overridable\":true},"
		"\"PreUp\":{\"Value\":\"\",\"Overridable\":true},"
		"\"PostUp\":{\"Value\":\"\",\"Overridable\":true},"
		"\"PreDown\":{\"Value\":\"\",\"Overridable\":true},"
		"\"PostDown\":{\"Value\":\"\",\"Overridable\":true},\"Filename\":\"Peer_pXCEvTAl.conf\"}");

	/* Overridable omitted when false, ExpiresAt present only when set */
	p->endpoint.overridable = false;
	str_set(&p->expires_at, "2027-01-31");
	{
		json_t *o = json_from_peer(p);

		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "ExpiresAt")), "2027-01-31");
		assert_null(json_object_get(json_object_get(o, "Endpoint"), "Overridable"));
		assert_int_equal(json_object_size(json_object_get(o, "Endpoint")), 1);
		json_decref(o);
	}
	peer_free(p);
}

static void test_json_model_out__user(void **state)
{
	struct user *u = user_new();
	json_t *o;

	(void)state;
	str_set(&u->identifier, "bob");
	str_set(&u->email, "bob@example.com");
	strv_push(&u->auth_sources, "db");
	u->is_admin = true;
	str_set(&u->password_hash, "$argon2id$v=19$secret");
	str_set(&u->api_token_hash, "hash");
	str_set(&u->api_token, "0f1e2d3c");
	u->peer_count = 2;
	expect_dump(json_from_user(u, true),
		"{\"Identifier\":\"bob\",\"Email\":\"bob@example.com\",\"AuthSources\":[\"db\"],"
		"\"IsAdmin\":true,\"Firstname\":\"\",\"Lastname\":\"\",\"Phone\":\"\","
		"\"Department\":\"\",\"Notes\":\"\",\"Disabled\":false,\"DisabledReason\":\"\","
		"\"Locked\":false,\"LockedReason\":\"\",\"ApiToken\":\"0f1e2d3c\","
		"\"ApiEnabled\":true,\"PeerCount\":2}");
	/* no token in lists; no password ever */
	o = json_from_user(u, false);
	assert_null(json_object_get(o, "ApiToken"));
	assert_null(json_object_get(o, "Password"));
	json_decref(o);
	str_set(&u->api_token_hash, NULL);
	str_set(&u->api_token, NULL);
	strv_release(&u->auth_sources);
	o = json_from_user(u, true);
	assert_null(json_object_get(o, "ApiToken"));
	assert_true(json_is_false(json_object_get(o, "ApiEnabled")));
	assert_int_equal(json_array_size(json_object_get(o, "AuthSources")), 0);
	assert_true(json_is_array(json_object_get(o, "AuthSources")));
	json_decref(o);
	user_free(u);
}

static void test_json_model_out__peer_status(void **state)
{
	struct peer_status s;

	(void)state;
	memset(&s, 0, sizeof(s));
	strcpy(s.peer_id, PUB1);
	s.stats_available = true;
	s.bytes_received = 1234;
	s.bytes_transmitted = 5678;
	s.last_handshake = 1777888800;
	s.is_pingable = true;
	s.last_ping = 1777888801;
	strcpy(s.endpoint, "192.0.2.7:51820");
	expect_dump(json_from_peer_status(&s),
		"{\"PeerIdentifier\":\"" PUB1 "\",\"IsPingable\":true,"
		"\"LastPing\":\"2026-05-04T10:00:01Z\",\"BytesReceived\":1234,"
		"\"BytesTransmitted\":5678,\"LastHandshake\":\"2026-05-04T10:00:00Z\","
		"\"Endpoint\":\"192.0.2.7:51820\",\"LastSessionStart\":null}");
	s.stats_available = false;
	expect_dump(json_from_peer_status(&s),
		"{\"PeerIdentifier\":\"" PUB1 "\",\"IsPingable\":true,"
		"\"LastPing\":\"2026-05-04T10:00:01Z\",\"BytesReceived\":null,"
		"\"BytesTransmitted\":null,\"LastHandshake\":null,"
		"\"Endpoint\":\"192.0.2.7:51820\",\"LastSessionStart\":null,\"StatsAvailable\":false}");
}

static void test_json_model_out__dump_escaping(void **state)
{
	json_t *v = json_pack("{s:s,s:s}", "a<b", "x & y > z", "ctl", "\b\f\n\\b");

	(void)state;
	expect_dump(v, "{\"a\\u003cb\":\"x \\u0026 y \\u003e z\",\"ctl\":\"\\u0008\\u000c\\n\\\\b\"}");
	expect_dump(json_array(), "[]");
	expect_dump(json_null(), "null");
}

/* ---- round trips ---- */

static struct iface *full_iface(void)
{
	struct iface *i = iface_new();

	str_set(&i->identifier, "wg7");
	str_set(&i->display_name, "Display <7>");
	str_set(&i->mode, "client");
	strcpy(i->private_key, PRIV1);
	strcpy(i->public_key, PUB1);
	i->disabled = true;
	str_set(&i->disabled_reason, "maint");
	i->save_config = true;
	i->listen_port = 65535;
	strv_push(&i->addresses, "10.0.0.1/24");
	strv_push(&i->dns, "10.0.0.53");
	strv_push(&i->dns_search, "a.example");
	i->mtu = 1280;
	i->firewall_mark = 4294967295u;
	str_set(&i->routing_table, "0x100");
	str_set(&i->pre_up, "pre %i");
	str_set(&i->post_up, "post %i");
	str_set(&i->pre_down, "pred");
	str_set(&i->post_down, "postd");
	strv_push(&i->peer_def_network, "10.0.0.0/24");
	strv_push(&i->peer_def_dns, "10.0.0.54");
	strv_push(&i->peer_def_dns_search, "b.example");
	str_set(&i->peer_def_endpoint, "vpn:1");
	strv_push(&i->peer_def_allowed_ips, "0.0.0.0/0");
	i->peer_def_mtu = 1400;
	i->peer_def_persistent_keepalive = 30;
	i->peer_def_firewall_mark = 7;
	str_set(&i->peer_def_routing_table, "off");
	str_set(&i->peer_def_pre_up, "a");
	str_set(&i->peer_def_post_up, "b");
	str_set(&i->peer_def_pre_down, "c");
	str_set(&i->peer_def_post_down, "d");
	return i;
}

static void test_json_model_roundtrip__iface(void **state)
{
	struct iface *a = full_iface(), *b = NULL;
	struct err e = { 0 };
	json_t *ja, *jb;

	(void)state;
	a->enabled_peers = 3;
	ja = json_from_iface(a);
	assert_int_equal(json_to_iface(ja, &b, &e), 0);
	/* RO fields are ignored on input */
	assert_int_equal(b->enabled_peers, 0);
	b->enabled_peers = 3;
	jb = json_from_iface(b);
	assert_true(json_equal(ja, jb));
	assert_string_equal(b->peer_def_post_down, "d");
	assert_int_equal(b->firewall_mark, 4294967295u);
	assert_int_equal(b->listen_port, 65535);
	assert_true(b->disabled && b->save_config);
	json_decref(ja);
	json_decref(jb);
	iface_free(a);
	iface_free(b);
}

static void test_json_model_roundtrip__peer(void **state)
{
	struct peer *a = peer_new(), *b = NULL;
	struct err e = { 0 };
	json_t *ja, *jb;

	(void)state;
	strcpy(a->identifier, PUB1);
	strcpy(a->public_key, PUB1);
	strcpy(a->private_key, PRIV1);
	strcpy(a->preshared_key, PSK1);
	str_set(&a->display_name, "d");
	str_set(&a->user_identifier, "u");
	str_set(&a->interface_identifier, "wg0");
	a->disabled = true;
	str_set(&a->disabled_reason, "expired");
	str_set(&a->expires_at, "2030-12-31");
	str_set(&a->notes, "n & n");
	str_set(&a->endpoint.value, "h:1");
	a->endpoint.overridable = true;
	str_set(&a->endpoint_public_key.value, PUB2);
	strv_push(&a->allowed_ips.value, "0.0.0.0/0");
	strv_push(&a->allowed_ips.value, "::/0");
	a->allowed_ips.overridable = true;
	strv_push(&a->extra_allowed_ips, "192.168.0.0/16");
	a->persistent_keepalive.value = 65535;
	str_set(&a->mode, "any");
	strv_push(&a->addresses, "10.0.0.2/32");
	str_set(&a->check_alive_address, "10.0.0.2");
	strv_push(&a->dns.value, "1.1.1.1");
	strv_push(&a->dns_search.value, "x.example");
	a->dns_search.overridable = true;
	a->mtu.value = 9000;
	a->firewall_mark.value = 4294967295LL;
	a->firewall_mark.overridable = true;
	str_set(&a->routing_table.value, "123");
	str_set(&a->pre_up.value, "1");
	str_set(&a->post_up.value, "2");
	str_set(&a->pre_down.value, "3");
	str_set(&a->post_down.value, "4");
	a->post_down.overridable = true;
	ja = json_from_peer(a);
	assert_int_equal(json_to_peer(ja, &b, &e), 0);
	jb = json_from_peer(b);
	assert_true(json_equal(ja, jb));
	assert_true(b->post_down.overridable);
	assert_false(b->pre_down.overridable);
	assert_int_equal(b->firewall_mark.value, 4294967295LL);
	assert_string_equal(b->preshared_key, PSK1);
	assert_string_equal(b->expires_at, "2030-12-31");
	json_decref(ja);
	json_decref(jb);
	peer_free(a);
	peer_free(b);
}

static void test_json_model_roundtrip__user(void **state)
{
	json_t *in = parse("{\"Identifier\":\"bob\",\"Email\":\"e\",\"AuthSources\":[\"ldap\"],"
			   "\"IsAdmin\":true,\"Firstname\":\"f\",\"Lastname\":\"l\",\"Phone\":\"p\","
			   "\"Department\":\"d\",\"Notes\":\"n\",\"Password\":\"pw\",\"Disabled\":true,"
			   "\"DisabledReason\":\"dr\",\"Locked\":true,\"LockedReason\":\"lr\","
			   "\"ApiToken\":\"tok\",\"ApiEnabled\":false,\"PeerCount\":9}");
	struct user *u = NULL;
	char *pw = NULL, *tok = NULL;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(json_to_user(in, &u, &pw, &tok, &e), 0);
	assert_string_equal(pw, "pw");
	assert_string_equal(tok, "tok");
	assert_null(u->api_token);
	assert_int_equal(u->auth_sources.n, 0); /* RO */
	assert_int_equal(u->peer_count, 0);     /* RO */
	/* a stored token and the source list come from elsewhere; then the answer matches */
	str_set(&u->api_token, tok);
	str_set(&u->api_token_hash, "h");
	strv_push(&u->auth_sources, "ldap");
	u->peer_count = 9;
	json_object_del(in, "Password");
	json_object_set_new(in, "ApiEnabled", json_true());
	{
		json_t *out = json_from_user(u, true);

		assert_true(json_equal(in, out));
		json_decref(out);
	}
	free(pw);
	free(tok);
	json_decref(in);
	user_free(u);

	/* absent secrets are NULL, sent empty token is "" */
	in = parse("{\"identifier\":\"x\",\"apitoken\":\"\"}");
	assert_int_equal(json_to_user(in, &u, &pw, &tok, &e), 0);
	assert_null(pw);
	assert_string_equal(tok, "");
	free(tok);
	json_decref(in);
	user_free(u);
}

/* ---- request decoding rules ---- */

static void test_json_model_in__case_insensitive(void **state)
{
	json_t *in = parse("{\"identifier\":\"wg1\",\"LISTENPORT\":1,\"peerdefallowedips\":[\"::/0\"],"
			   "\"mode\":\"server\"}");
	json_t *pin = parse("{\"endpoint\":{\"value\":\"h:2\",\"OVERRIDABLE\":true},"
			    "\"mtu\":{\"vAlUe\":1500}}");
	struct iface *i = NULL;
	struct peer *p = NULL;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(json_to_iface(in, &i, &e), 0);
	assert_string_equal(i->identifier, "wg1");
	assert_int_equal(i->listen_port, 1);
	assert_string_equal(i->peer_def_allowed_ips.v[0], "::/0");
	assert_int_equal(json_to_peer(pin, &p, &e), 0);
	assert_string_equal(p->endpoint.value, "h:2");
	assert_true(p->endpoint.overridable);
	assert_int_equal(p->mtu.value, 1500);
	assert_false(p->mtu.overridable);
	json_decref(in);
	json_decref(pin);
	iface_free(i);
	peer_free(p);
}

static void expect_iface_error(const char *body, const char *field, const char *msg)
{
	json_t *in = parse(body);
	struct iface *i = NULL;
	struct err e = { 0 };

	if (json_to_iface(in, &i, &e) != -EINVAL)
		fail_msg("accepted %s", body);
	assert_null(i);
	assert_string_equal(e.field, field);
	if (msg)
		assert_string_equal(e.msg, msg);
	json_decref(in);
}

static void expect_peer_error(const char *body, const char *field, const char *msg)
{
	json_t *in = parse(body);
	struct peer *p = NULL;
	struct err e = { 0 };

	if (json_to_peer(in, &p, &e) != -EINVAL)
		fail_msg("accepted %s", body);
	assert_null(p);
	assert_string_equal(e.field, field);
	if (msg)
		assert_string_equal(e.msg, msg);
	json_decref(in);
}

static void test_json_model_in__unknown_and_types(void **state)
{
	(void)state;
	expect_iface_error("{\"Identifier\":\"wg0\",\"Bogus\":1}", "Bogus", "unknown field 'Bogus'");
	expect_iface_error("{\"ListenPort\":\"51820\"}", "ListenPort",
			   "field 'ListenPort' must be an integer");
	expect_iface_error("{\"listenport\":1.5}", "ListenPort", NULL);
	expect_iface_error("{\"ListenPort\":65536}", "ListenPort", NULL);
	expect_iface_error("{\"ListenPort\":-1}", "ListenPort", NULL);
	expect_iface_error("{\"Mtu\":70000}", "Mtu", NULL);
	expect_iface_error("{\"FirewallMark\":4294967296}", "FirewallMark", NULL);
	expect_iface_error("{\"PeerDefFirewallMark\":-1}", "PeerDefFirewallMark", NULL);
	expect_iface_error("{\"PeerDefPersistentKeepalive\":65536}", "PeerDefPersistentKeepalive",
			   NULL);
	expect_iface_error("{\"Disabled\":\"true\"}", "Disabled", "field 'Disabled' must be a boolean");
	expect_iface_error("{\"Addresses\":\"10.0.0.1/24\"}", "Addresses", NULL);
	expect_iface_error("{\"Addresses\":[1]}", "Addresses", NULL);
	expect_iface_error("{\"Identifier\":7}", "Identifier", "field 'Identifier' must be a string");
	expect_iface_error("{\"PrivateKey\":\"" PRIV1 "AAAA\"}", "PrivateKey", NULL);
	expect_peer_error("{\"Endpoint\":\"h:1\"}", "Endpoint", NULL);
	expect_peer_error("{\"Endpoint\":{\"Value\":1}}", "Endpoint", NULL);
	expect_peer_error("{\"Endpoint\":{\"Value\":\"h:1\",\"Extra\":1}}", "Extra",
			  "unknown field 'Extra'");
	expect_peer_error("{\"Mtu\":{\"Overridable\":1}}", "Mtu", NULL);
	expect_peer_error("{\"PersistentKeepalive\":{\"Value\":65536}}", "PersistentKeepalive", NULL);
	expect_peer_error("{\"FirewallMark\":{\"Value\":4294967296}}", "FirewallMark", NULL);
	expect_peer_error("{\"AllowedIPs\":{\"Value\":[\"a\",false]}}", "AllowedIPs", NULL);
	expect_peer_error("{\"Nope\":null}", "Nope", NULL);

	/* a non-object body is refused, null is the zero object */
	{
		json_t *in = parse("[1]");
		struct iface *i = NULL;
		struct err e = { 0 };

		assert_int_equal(json_to_iface(in, &i, &e), -EINVAL);
		json_decref(in);
		in = json_null();
		assert_int_equal(json_to_iface(in, &i, &e), 0);
		assert_null(i->identifier);
		iface_free(i);
	}
}

static void test_json_model_in__nulls_and_ro(void **state)
{
	json_t *in = parse("{\"Identifier\":null,\"ListenPort\":null,\"Addresses\":null,"
			   "\"Disabled\":null,\"EnabledPeers\":5,\"TotalPeers\":\"x\","
			   "\"Filename\":\"evil.conf\"}");
	json_t *pin = parse("{\"Endpoint\":null,\"Dns\":{\"Value\":null,\"Overridable\":null},"
			    "\"Filename\":1,\"ExpiresAt\":\"\"}");
	struct iface *i = NULL;
	struct peer *p = NULL;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(json_to_iface(in, &i, &e), 0);
	assert_null(i->identifier);
	assert_int_equal(i->listen_port, 0);
	assert_int_equal(i->addresses.n, 0);
	assert_int_equal(i->enabled_peers, 0);
	assert_int_equal(json_to_peer(pin, &p, &e), 0);
	assert_null(p->endpoint.value);
	assert_null(p->expires_at);
	assert_int_equal(p->dns.value.n, 0);
	json_decref(in);
	json_decref(pin);
	iface_free(i);
	peer_free(p);
}

/* The injected display name decodes fine (it is a valid JSON string) and is refused by
 * peer_validate, which the API runs before storing. */
static void test_json_model_in__newline_injection(void **state)
{
	json_t *in = parse("{\"Identifier\":\"" PUB1 "\",\"PublicKey\":\"" PUB1 "\","
			   "\"DisplayName\":\"x\\nPostUp = evil\"}");
	struct peer *p = NULL;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(json_to_peer(in, &p, &e), 0);
	assert_int_equal(peer_validate(p, &e), -EINVAL);
	assert_string_equal(e.field, "DisplayName");
	json_decref(in);
	peer_free(p);
}

static void test_json_model_time(void **state)
{
	json_t *t;

	(void)state;
	t = json_time_or_null(0);
	assert_true(json_is_null(t));
	json_decref(t);
	t = json_time_or_null(1777888800);
	assert_string_equal(json_string_value(t), "2026-05-04T10:00:00Z");
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_model_out__iface_prepare_shape),
		cmocka_unit_test(test_json_model_out__peer_prepare_shape),
		cmocka_unit_test(test_json_model_out__user),
		cmocka_unit_test(test_json_model_out__peer_status),
		cmocka_unit_test(test_json_model_out__dump_escaping),
		cmocka_unit_test(test_json_model_roundtrip__iface),
		cmocka_unit_test(test_json_model_roundtrip__peer),
		cmocka_unit_test(test_json_model_roundtrip__user),
		cmocka_unit_test(test_json_model_in__case_insensitive),
		cmocka_unit_test(test_json_model_in__unknown_and_types),
		cmocka_unit_test(test_json_model_in__nulls_and_ro),
		cmocka_unit_test(test_json_model_in__newline_injection),
		cmocka_unit_test(test_json_model_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
