/* SPDX-License-Identifier: MIT */
/* The generated peer file: both worked examples of spec 4.6 byte for byte, the line rules of
 * 4.1, injection refusal, the QR text of 4.5 and a PNG decoded back with zbarimg. */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	assert_int_equal(peerconf_render(p, &got, &e), 0);
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

/* Renders and returns the text (caller frees). */
static char *render_ok(struct peer *p)
{
	char *got = NULL;
	struct err e = { 0 };

	assert_int_equal(peerconf_render(p, &got, &e), 0);
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

	/* optional misc and hook lines, in table order; DNS without search; empty keys keep
	 * "Key = " */
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
	assert_non_null(strstr(got, "# Core settings\nPrivateKey = \nAddress = "));
	assert_non_null(strstr(got, "# Misc. settings (optional)\n"
				    "DNS = 10.11.12.1,fdfd:d3ad:c0de:1234::1\n"
				    "MTU = 1420\nTable = off\nFwMark = 51820\n"
				    "# Interface hooks (optional)\n"
				    "PreUp = echo up\nPostDown = echo down %i\n\n[Peer]\n"));
	assert_non_null(strstr(got, "Endpoint = \nPersistentKeepalive = 25\n"));
	assert_null(strstr(got, "AllowedIPs"));
	assert_null(strstr(got, "PresharedKey"));
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
	assert_int_equal(peerconf_render(p, &got, &e), -EINVAL);
	assert_string_equal(e.field, "DisplayName");
	assert_null(got);

	str_set(&p->display_name, "ok");
	str_set(&p->post_down.value, "true\rPostUp = evil");
	assert_int_equal(peerconf_render(p, &got, &e), -EINVAL);
	assert_string_equal(e.field, "PostDown");

	str_set(&p->post_down.value, NULL);
	strv_push(&p->dns_search.value, "a\nb");
	assert_int_equal(peerconf_render(p, &got, &e), -EINVAL);
	assert_string_equal(e.field, "DnsSearch");

	strv_release(&p->dns_search.value);
	str_set(&p->endpoint.value, "h:1\nPostUp = evil");
	assert_int_equal(peerconf_render(p, &got, &e), -EINVAL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peerconf_render__example1),
		cmocka_unit_test(test_peerconf_render__example2),
		cmocka_unit_test(test_peerconf_render__line_rules),
		cmocka_unit_test(test_peerconf_time__format),
		cmocka_unit_test(test_peerconf_render__injection),
		cmocka_unit_test(test_peerconf_qr__text),
		cmocka_unit_test(test_peerconf_qr__png_roundtrip),
		cmocka_unit_test(test_peerconf_qr__too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
