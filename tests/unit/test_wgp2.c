/* SPDX-License-Identifier: MIT */
/*
 * wg-portal v2's stored values: WG_ENC_ secrets (vectors made with `openssl enc -aes-256-cbc`
 * using wg-portal's key rule: passphrase cut or '0'-padded to 32 bytes, IV = its first 16),
 * wrong passphrases (only bad padding or a non-key shows them), its time texts on the three
 * engines, and bcrypt $2a$10$ hashes as wg-portal writes them checked by core_password_verify.
 */
#include "testlib.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "store/wgp2.h"

#define PASS "wg-portal passphrase 1"
#define KEY "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="

static void test_wgp2__decrypt(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(wgp2_decrypt("WG_ENC_/JfEGAtJbBDv/shMeOurLhz3aDNT/7RvNj6sbG+TZh+6ROTTn7M6In0"
				      "MDsfqQjl+", PASS, out, sizeof(out)), 0);
	assert_string_equal(out, KEY);
	assert_true(wgp2_is_wg_key(out));
	assert_int_equal(wgp2_decrypt("WG_ENC_hFy6ZfYjT2ag0Knxk+hLeQ==", PASS, out, sizeof(out)), 0);
	assert_string_equal(out, "tok-alice-0002");
	assert_int_equal(wgp2_decrypt("WG_ENC_5Sq1KenXtkXd0SgOaRgaCg==", PASS, out, sizeof(out)), 0);
	assert_string_equal(out, "x");
	/* short passphrases are padded with '0', long ones cut at 32 bytes */
	assert_int_equal(wgp2_decrypt("WG_ENC_SLG06bPJBenKcoglg0My6zsiQP0HJeNV4mWQDHrOlW03ShEWdI/MY6J"
				      "3nMOV6Xg+", "short", out, sizeof(out)), 0);
	assert_string_equal(out, KEY);
	assert_int_equal(wgp2_decrypt("WG_ENC_YdNHMKEpDj8ggdDvqMyHKw==",
				      "a passphrase that is longer than thirty-two bytes and more",
				      out, sizeof(out)), 0);
	assert_string_equal(out, "tok");
	/* plain values (lazy migration, tokens before v2.2.3) pass through, with or without key */
	assert_int_equal(wgp2_decrypt(KEY, PASS, out, sizeof(out)), 0);
	assert_string_equal(out, KEY);
	assert_int_equal(wgp2_decrypt("", "", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_wgp2__decrypt_refusals(void **state)
{
	const char *v = "WG_ENC_/JfEGAtJbBDv/shMeOurLhz3aDNT/7RvNj6sbG+TZh+6ROTTn7M6In0MDsfqQjl+";
	char out[128];
	int padding = 0, nokey = 0;

	(void)state;
	assert_int_equal(wgp2_decrypt(v, "", out, sizeof(out)), -EACCES);
	assert_int_equal(wgp2_decrypt(v, NULL, out, sizeof(out)), -EACCES);
	assert_int_equal(wgp2_decrypt("WG_ENC_not base64!", PASS, out, sizeof(out)), -EBADMSG);
	assert_int_equal(wgp2_decrypt("WG_ENC_AAAA", PASS, out, sizeof(out)), -EBADMSG); /* 3 B */
	assert_int_equal(wgp2_decrypt(v, PASS, out, 10), -ENOSPC);
	/* wrong passphrases: the scheme has no integrity check, so a wrong key shows as bad
	 * padding, or (rarely) as text that is no WireGuard key; never as a "right" key */
	for (int i = 0; i < 200; i++) {
		char wrong[32];
		int r;

		snprintf(wrong, sizeof(wrong), "wrong %d", i);
		r = wgp2_decrypt(v, wrong, out, sizeof(out));
		if (r == -EACCES)
			padding++;
		else if (r == 0 && !wgp2_is_wg_key(out))
			nokey++;
		else
			fail_msg("wrong passphrase '%s' gave a key", wrong);
	}
	assert_int_equal(padding + nokey, 200);
	assert_true(padding > 150);
}

static void test_wgp2__times(void **state)
{
	static const struct {
		const char *text;
		long off;
		int64_t want;
	} cases[] = {
		/* SQLite (glebarez): nanoseconds and the local offset */
		{ "2025-07-01 12:05:00.123456789+02:00", 0, 1751364300 },
		{ "2025-07-02 08:00:00.000000005-05:00", 0, 1751461200 },
		/* PostgreSQL timestamptz text */
		{ "2025-07-01 10:05:00.123456+00", 0, 1751364300 },
		{ "2025-07-01T10:05:00Z", 0, 1751364300 },
		/* MySQL DATETIME(3): no zone, read in the DSN's loc */
		{ "2025-07-01 10:05:00.123", 0, 1751364300 },
		{ "2025-07-01 12:05:00.123", 7200, 1751364300 },
		/* Go's zero time on each engine, and NULL/"" */
		{ "0001-01-01 00:00:00+00:00", 0, 0 },
		{ "0000-00-00 00:00:00.000", 0, 0 },
		{ "", 0, 0 },
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(wgp2_parse_time(cases[i].text, cases[i].off, &t), 0);
		if (t != cases[i].want)
			fail_msg("'%s': %lld, want %lld", cases[i].text, (long long)t,
				 (long long)cases[i].want);
	}
	assert_int_equal(wgp2_parse_time(NULL, 0, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(wgp2_parse_time("yesterday", 0, &t), -EINVAL);
	assert_int_equal(wgp2_parse_time("2025-13-01 00:00:00", 0, &t), -EINVAL);
	assert_int_equal(wgp2_parse_time("2025-07-01 10:05:00 trailing1", 0, &t), -EINVAL);
}

static void test_wgp2__bcrypt_passwords(void **state)
{
	/* the fixture's hashes (tests/data/wgportal/fixture.py PASSWORDS) */
	const char *h = "$2a$10$ABCDEFGHIJKLMNOPQRSTUusCuz0gN7TVU4YHAZbZBoamM2TdAJ/NS";
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(core_password_verify(h, "wgportal-Admin-1"), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("# bcrypt cost 10 verify: %.0f ms\n",
		      (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	assert_int_equal(core_password_verify(h, "wgportal-Admin-2"), -EACCES);
	assert_int_equal(core_password_verify(h, ""), -EACCES);
	/* $2b$/$2y$ are the same algorithm (the 255-byte wrap fix aside) */
	assert_int_equal(core_password_verify("$2b$10$ABCDEFGHIJKLMNOPQRSTUusCuz0gN7TVU4YHAZbZBoamM2"
					      "TdAJ/NS", "wgportal-Admin-1"), 0);
	/* a damaged hash never verifies */
	assert_int_equal(core_password_verify("$2a$10$ABCDEFGHIJKLMNOPQRSTUusCuz0gN7TVU4YHAZbZBoamM"
					      "2TdAJ/NT", "wgportal-Admin-1"), -EACCES);
	assert_int_equal(core_password_verify("$2a$10$short", "wgportal-Admin-1"), -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wgp2__decrypt),
		cmocka_unit_test(test_wgp2__decrypt_refusals),
		cmocka_unit_test(test_wgp2__times),
		cmocka_unit_test(test_wgp2__bcrypt_passwords),
	};

	return cmocka_run_group_tests_name("wgp2", tests, NULL, NULL);
}
