/* SPDX-License-Identifier: MIT */
/* The generated peer file: both worked examples of spec 4.6 byte for byte, the line rules of
 * 4.1, injection refusal, the QR text of 4.5 and a PNG decoded back with zbarimg. */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/ifaceconf.h"
#include "model/peer.h"
#include "model/peerconf.h"
#include "util/err.h"

#define IFACE_PUB "oKZ1Rijdn6Pk2iLFiOuxYQTStX2ddlU9m702VPiXem4="
#define T_20260504 1777888800 /* 2026-05-04 10:00:00 UTC */

static struct peer *example1(void)
{
	struct peer *p = peer_new();

	assert_non_null(p);
	strcpy(p->identifier, "pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE=");
	strcpy(p->public_key, p->identifier);
	strcpy(p->private_key, "eOyxaWNoO1B3hWJZhAaO0HlmwuCwuvNk6+mWbDwStng=");
	strcpy(p->preshared_key, "HRLo7Zla0w5ucNrzl91QqK7S/zj5PNvEdLWdmlclU9o=");
	str_set(&p->display_name, "Alice Laptop");
	str_set(&p->interface_identifier, "wg0");
	str_set(&p->mode, "client");
	strv_push(&p->addresses, "10.11.12.2/32");
	strv_push(&p->addresses, "fdfd:d3ad:c0de:1234::2/128");
	strv_push(&p->dns.value, "10.11.12.1");
	strv_push(&p->dns.value, "fdfd:d3ad:c0de:1234::1");
	strv_push(&p->dns_search.value, "corp.example");
	p->mtu.value = 1420;
	p->persistent_keepalive.value = 25;
	strv_push(&p->allowed_ips.value, "0.0.0.0/0");
	strv_push(&p->allowed_ips.value, "::/0");
	str_set(&p->endpoint.value, "vpn.example.com:51820");
	str_set(&p->endpoint_public_key.value, IFACE_PUB);
	p->created_at = p->updated_at = T_20260504;
	return p;
}

static struct peer *example2(void)
{
	struct peer *p = peer_new();

	assert_non_null(p);
	strcpy(p->identifier, "OWcxXXggHUfGQTAApYuYMI6FL5dfUtI0cgy8trhuuX0=");
	strcpy(p->public_key, p->identifier);
	strcpy(p->private_key, "IICEbJfsl1h3+kv4Q6uxh+fNR+rtuomgZZyl8URHYmk=");
	str_set(&p->display_name, "Peer OWcxXXgg");
	str_set(&p->mode, "client");
	strv_push(&p->addresses, "10.11.12.3/32");
	strv_push(&p->allowed_ips.value, "10.11.12.0/24");
	str_set(&p->endpoint.value, "vpn.example.com:51820");
	str_set(&p->endpoint_public_key.value, IFACE_PUB);
	p->created_at = p->updated_at = T_20260504;
	return p;
}

static void expect_render(struct peer *p, const char *fixture)
{
	char *want = test_read_file(fixture), *got = NULL;
	struct err e = { 0 };

	assert_non_null(want);
	assert_int_equal(peerconf_render(p, PEERCONF_WGQUICK, &got, &e), 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_peerconf_render__example1(void **state)
{
	struct peer *p = example1();
	struct err e = { 0 };

	(void)state;
	assert_int_equal(peer_validate(p, &e), 0);
	expect_render(p, "tests/data/peerconf/example1.conf");
	peer_free(p);
}

static void test_peerconf_render__example2(void **state)
{
	struct peer *p = example2();
	struct err e = { 0 };

	(void)state;
	assert_int_equal(peer_validate(p, &e), 0);
	expect_render(p, "tests/data/peerconf/example2.conf");
	peer_free(p);
}

/* Raw style (spec 4.6, after example 2): example 2 with FirewallMark 51820 differs only in
 * line 2, no "# See" line, no Address, FwMark in the misc block and no hooks comment; the
 * wg-quick-only settings of example 1 (DNS, MTU, Table, hooks) are all left out. */
static void test_peerconf_render__raw(void **state)
{
	struct peer *p = example2(), *q = example1();
	char *want = test_read_file("tests/data/peerconf/example2-raw.conf"), *got = NULL;
	struct err e = { 0 };

	(void)state;
	p->firewall_mark.value = 51820;
	assert_non_null(want);
	assert_int_equal(peerconf_render(p, PEERCONF_RAW, &got, &e), 0);
	assert_string_equal(got, want);
	free(got);
	str_set(&q->routing_table.value, "1234");
	str_set(&q->pre_up.value, "echo up");
	str_set(&q->post_down.value, "echo down");
	assert_int_equal(peerconf_render(q, PEERCONF_RAW, &got, &e), 0);
	for (const char *k = "Address|DNS|MTU|Table|PreUp|PostDown|# Interface hooks|# See"; *k;) {
		const char *bar = strchr(k, '|');
		size_t len = bar ? (size_t)(bar - k) : strlen(k);
		char line[32];

		snprintf(line, sizeof(line), "\n%.*s", (int)len, k);
		assert_null(strstr(got, line));
		k += len + (bar ? 1 : 0);
	}
	assert_non_null(strstr(got, "\nPresharedKey = HRLo7Zla0w5ucNrzl91QqK7S/zj5PNvEdLWdmlclU9o=\n"));
	free(got);
	free(want);
	peer_free(p);
	peer_free(q);
}

/* Renders and returns the text (caller frees). */
static char *render_ok(struct peer *p)
{
	char *got = NULL;
	struct err e = { 0 };

	assert_int_equal(peerconf_render(p, PEERCONF_WGQUICK, &got, &e), 0);
	assert_non_null(got);
	return got;
}

static void test_peerconf_render__line_rules(void **state)
{
	struct peer *p = example1();
	char *got;

	(void)state;
	/* server peers: two empty lines after the type, never a keepalive */
	str_set(&p->mode, "server");
	got = render_ok(p);
	assert_non_null(strstr(got, "# -WGP- Peer type: server\n\n\n# Core settings\n"));
	assert_null(strstr(got, "PersistentKeepalive"));
	free(got);
	/* "any" prints as client but keeps no keepalive either */
	str_set(&p->mode, "any");
	got = render_ok(p);
	assert_non_null(strstr(got, "# -WGP- Peer type: client\n\n# Core settings\n"));
	assert_null(strstr(got, "PersistentKeepalive"));
	free(got);

	/* optional misc and hook lines, in table order; DNS without search; no "Key = " line with
	 * an empty value (wg-quick refuses them, issue 13): an unknown private key becomes a
	 * comment that says what to fill in, an empty Endpoint is left out */
	str_set(&p->mode, "client");
	strv_release(&p->dns_search.value);
	str_set(&p->routing_table.value, "off");
	p->firewall_mark.value = 51820;
	str_set(&p->pre_up.value, "echo up");
	str_set(&p->post_down.value, "echo down %i");
	p->private_key[0] = '\0';
	p->preshared_key[0] = '\0';
	str_set(&p->endpoint.value, NULL);
	strv_release(&p->allowed_ips.value);
	p->created_at = 1777888800 + 3600 * 24 + 61;
	got = render_ok(p);
	assert_non_null(strstr(got, "# -WGP- Created: 2026-05-05 10:01:01 +0000 UTC\n"
				    "# -WGP- Updated: 2026-05-04 10:00:00 +0000 UTC\n"));
	assert_non_null(strstr(got, "# Core settings\n" PEERCONF_NO_PRIVATE_KEY "\nAddress = "));
	assert_null(strstr(got, "\nPrivateKey ="));
	assert_non_null(strstr(got, "# Misc. settings (optional)\n"
				    "DNS = 10.11.12.1,fdfd:d3ad:c0de:1234::1\n"
				    "MTU = 1420\nTable = off\nFwMark = 51820\n"
				    "# Interface hooks (optional)\n"
				    "PreUp = echo up\nPostDown = echo down %i\n\n[Peer]\n"));
	assert_non_null(strstr(got, "[Peer]\nPublicKey = oKZ1Rijdn6Pk2iLFiOuxYQTStX2ddlU9m702VPiXem4="
				    "\nPersistentKeepalive = 25\n"));
	assert_null(strstr(got, "Endpoint"));
	assert_null(strstr(got, "AllowedIPs"));
	assert_null(strstr(got, "PresharedKey"));
	free(got);

	/* no address, no server key: no "Address = " line, the key is a comment to fill in */
	strv_release(&p->addresses);
	str_set(&p->endpoint_public_key.value, NULL);
	got = render_ok(p);
	assert_null(strstr(got, "Address"));
	assert_non_null(strstr(got, "[Peer]\n# PublicKey = <the public key of the server "
				    "interface>\n"));
	for (const char *l = got; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *eq = strstr(l, " = ");
		if (eq && eq < strchr(l, '\n') && eq[3] == '\n' && l[0] != '#')
			fail_msg("line with an empty value: %.40s", l);
	}
	free(got);
	peer_free(p);
}

static void test_peerconf_time__format(void **state)
{
	char out[64];

	(void)state;
	peerconf_time(T_20260504, out);
	assert_string_equal(out, "2026-05-04 10:00:00 +0000 UTC");
	peerconf_time(0, out);
	assert_string_equal(out, "1970-01-01 00:00:00 +0000 UTC");
}

/* A newline in any value must not reach the file, even without peer_validate(). */
static void test_peerconf_render__injection(void **state)
{
	struct peer *p = example1();
	struct err e = { 0 };
	char *got = NULL;

	(void)state;
	str_set(&p->display_name, "x\nPostUp = evil");
	assert_int_equal(peer_validate(p, &e), -EINVAL);
	assert_string_equal(e.field, "DisplayName");
	err_clear(&e);
	assert_int_equal(peerconf_render(p, PEERCONF_WGQUICK, &got, &e), -EINVAL);
	assert_string_equal(e.field, "DisplayName");
	assert_null(got);

	str_set(&p->display_name, "ok");
	str_set(&p->post_down.value, "true\rPostUp = evil");
	assert_int_equal(peerconf_render(p, PEERCONF_WGQUICK, &got, &e), -EINVAL);
	assert_string_equal(e.field, "PostDown");

	str_set(&p->post_down.value, NULL);
	strv_push(&p->dns_search.value, "a\nb");
	assert_int_equal(peerconf_render(p, PEERCONF_WGQUICK, &got, &e), -EINVAL);
	assert_string_equal(e.field, "DnsSearch");

	strv_release(&p->dns_search.value);
	str_set(&p->endpoint.value, "h:1\nPostUp = evil");
	assert_int_equal(peerconf_render(p, PEERCONF_WGQUICK, &got, &e), -EINVAL);
	assert_string_equal(e.field, "Endpoint");
	assert_null(got);
	peer_free(p);
}

static void test_peerconf_qr__text(void **state)
{
	struct peer *p = example1();
	char *conf = render_ok(p), *qr = NULL;
	char *want = test_read_file("tests/data/peerconf/example1.qr.txt");

	(void)state;
	assert_non_null(want);
	assert_int_equal(peerconf_qr_text(conf, &qr), 0);
	assert_string_equal(qr, want);
	free(qr);
	/* trimming, comment detection after leading blanks, unterminated last line */
	assert_int_equal(peerconf_qr_text("  # c\n  a = b \t\n\n  x", &qr), 0);
	assert_string_equal(qr, "a = b\n\nx\n");
	free(qr);
	free(want);
	free(conf);
	peer_free(p);
}

/* Decodes the PNG with zbarimg and compares it with the QR text. */
static void test_peerconf_qr__png_roundtrip(void **state)
{
	struct peer *p = example1();
	char *conf = render_ok(p), *qr = NULL, *dir, path[512], cmd[600];
	unsigned char *png = NULL;
	size_t len = 0, got_len = 0;
	struct err e = { 0 };
	char decoded[8192];
	FILE *f;

	(void)state;
	assert_int_equal(peerconf_qr_text(conf, &qr), 0);
	assert_int_equal(peerconf_qr_png(qr, &png, &len, &e), 0);
	assert_true(len > 8);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	{
		/* IHDR width: 4 px per module plus 8 px margins; a QR side is 17 + 4 * version */
		unsigned w = (unsigned)png[16] << 24 | (unsigned)png[17] << 16 |
			     (unsigned)png[18] << 8 | png[19];
		unsigned h = (unsigned)png[20] << 24 | (unsigned)png[21] << 16 |
			     (unsigned)png[22] << 8 | png[23];

		assert_int_equal(w, h);
		assert_int_equal((w - 16) % 4, 0);
		assert_int_equal(((w - 16) / 4 - 17) % 4, 0);
	}
	if (access("/usr/bin/zbarimg", X_OK) != 0) {
		print_message("zbarimg missing (apt-get install zbar-tools): decode check skipped\n");
		goto out;
	}
	dir = test_tmpdir();
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/qr.png", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(png, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/zbarimg --raw -q '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	got_len = fread(decoded, 1, sizeof(decoded) - 1, f);
	decoded[got_len] = '\0';
	assert_int_equal(pclose(f), 0);
	test_tmpdir_remove(dir);
	free(dir);
	/* zbarimg --raw terminates the symbol with one "\n" of its own */
	assert_true(got_len == strlen(qr) + 1);
	decoded[got_len - 1] = '\0';
	assert_string_equal(decoded, qr);
out:
	free(png);
	free(qr);
	free(conf);
	peer_free(p);
}

static void test_peerconf_qr__too_large(void **state)
{
	char *big = malloc(8000);
	unsigned char *png = NULL;
	size_t len = 0;
	struct err e = { 0 };

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 7999);
	big[7999] = '\0';
	assert_int_equal(peerconf_qr_png(big, &png, &len, &e), -E2BIG);
	assert_null(png);
	free(big);
}

/* The interface's own file (spec 4.7): layout, AllowedIPs per mode, disabled peers left out,
 * no peer private key, no line with an empty value, CR/LF refused. */
static void test_ifaceconf_render__modes(void **state)
{
	struct iface *ifc = iface_new();
	struct peer *peers[2] = { example1(), example2() };
	struct err e = { 0 };
	char *got = NULL;

	(void)state;
	str_set(&ifc->identifier, "wg0");
	str_set(&ifc->display_name, "Office VPN");
	str_set(&ifc->mode, "server");
	strcpy(ifc->private_key, "cCZyN+qKYfDo2GhV3ik7Z7C8Brq7L9PcnUo4y1MSHl4=");
	strcpy(ifc->public_key, IFACE_PUB);
	strv_push(&ifc->addresses, "10.11.12.1/24");
	strv_push(&ifc->dns, "10.11.12.1");
	ifc->listen_port = 51820;
	ifc->mtu = 1420;
	ifc->save_config = true;
	ifc->created_at = ifc->updated_at = T_20260504;
	strv_push(&peers[0]->extra_allowed_ips, "192.168.7.0/24");
	peers[1]->disabled = true;
	assert_int_equal(ifaceconf_render(ifc, peers, 2, &got, &e), 0);
	assert_non_null(strstr(got, "[Interface]\n# -WGP- Interface: wg0\n"));
	assert_non_null(strstr(got, "# -WGP- Display name: Office VPN\n# -WGP- Interface mode: server\n"
				    "# -WGP- PublicKey = " IFACE_PUB "\n\n# Core settings\nPrivateKey = "
				    "cCZyN+qKYfDo2GhV3ik7Z7C8Brq7L9PcnUo4y1MSHl4=\nAddress = 10.11.12.1/24\n"
				    "\n# Misc. settings (optional)\nListenPort = 51820\nMTU = 1420\n"
				    "SaveConfig = true\n\n# Interface hooks (optional)\n\n#\n# Peers\n#\n"
				    "\n[Peer]\n# friendly_name = Alice Laptop\n"));
	assert_non_null(strstr(got, "PublicKey = pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE=\n"
				    "PresharedKey = HRLo7Zla0w5ucNrzl91QqK7S/zj5PNvEdLWdmlclU9o=\n"
				    "AllowedIPs = 10.11.12.2/32,fdfd:d3ad:c0de:1234::2/128,"
				    "192.168.7.0/24\n"));
	assert_null(strstr(got, "DNS ="));           /* server interfaces: no host DNS */
	assert_null(strstr(got, "Endpoint"));
	assert_null(strstr(got, "OWcxXXgg"));        /* disabled peer left out */
	assert_null(strstr(got, "eOyxaWNoO1B3"));    /* no peer private key in the server file */
	free(got);

	/* client: the peer's AllowedIPs, its endpoint and keepalive; DNS for the host */
	str_set(&ifc->mode, "client");
	strv_release(&ifc->addresses);
	assert_int_equal(ifaceconf_render(ifc, peers, 1, &got, &e), 0);
	assert_non_null(strstr(got, "AllowedIPs = 0.0.0.0/0,::/0,192.168.7.0/24\n"
				    "Endpoint = vpn.example.com:51820\nPersistentKeepalive = 25\n"));
	assert_non_null(strstr(got, "\nDNS = 10.11.12.1\n"));
	assert_null(strstr(got, "Address"));          /* no empty "Address = " */
	free(got);

	/* any: addresses like a server (wg-portal writes none), endpoint like a client */
	str_set(&ifc->mode, "any");
	str_set(&peers[0]->endpoint.value, NULL);
	assert_int_equal(ifaceconf_render(ifc, peers, 1, &got, &e), 0);
	assert_non_null(strstr(got, "AllowedIPs = 10.11.12.2/32,fdfd:d3ad:c0de:1234::2/128,"
				    "192.168.7.0/24\nPersistentKeepalive = 25\n"));
	assert_null(strstr(got, "Endpoint"));
	free(got);

	str_set(&peers[0]->display_name, "evil\nPostUp = rm -rf /");
	assert_int_equal(ifaceconf_render(ifc, peers, 1, &got, &e), -EINVAL);
	assert_string_equal(e.field, "DisplayName");
	peer_free(peers[0]);
	peer_free(peers[1]);
	iface_free(ifc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peerconf_render__example1),
		cmocka_unit_test(test_peerconf_render__example2),
		cmocka_unit_test(test_peerconf_render__line_rules),
		cmocka_unit_test(test_peerconf_render__raw),
		cmocka_unit_test(test_peerconf_time__format),
		cmocka_unit_test(test_peerconf_render__injection),
		cmocka_unit_test(test_peerconf_qr__text),
		cmocka_unit_test(test_peerconf_qr__png_roundtrip),
		cmocka_unit_test(test_peerconf_qr__too_large),
		cmocka_unit_test(test_ifaceconf_render__modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
