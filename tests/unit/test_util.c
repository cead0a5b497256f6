/* SPDX-License-Identifier: MIT */
/* Unit tests for util/: bounded buffers, string arrays, error carrier, log escaping. */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/utf8.h"

static void test_buf__bounded(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), 0);
	assert_int_equal(buf_puts(&b, "9"), -E2BIG);
	assert_string_equal(b.p, "12345678");
	assert_int_equal(b.len, 8);
	buf_wipe(&b);
	assert_null(b.p);
}

static void test_buf__printf_grows(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%04d,", i), 0);
	assert_int_equal(b.len, 5000);
	assert_memory_equal(b.p + 4995, "0999,", 5);
	s = buf_detach(&b);
	assert_null(b.p);
	free(s);
}

static void test_strv__split_join(void **state)
{
	struct strv sv = STRV_INIT, copy = STRV_INIT;
	char *j;

	(void)state;
	assert_int_equal(strv_split(&sv, " 10.0.0.1/32 ,, fd00::1/128,", ","), 0);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[0], "10.0.0.1/32");
	assert_string_equal(sv.v[1], "fd00::1/128");
	j = strv_join(&sv, ",");
	assert_string_equal(j, "10.0.0.1/32,fd00::1/128");
	free(j);
	assert_int_equal(strv_copy(&copy, &sv), 0);
	assert_true(strv_eq(&copy, &sv));
	assert_true(strv_contains(&copy, "fd00::1/128"));
	assert_false(strv_contains(&copy, "fd00::1"));
	strv_release(&sv);
	assert_false(strv_eq(&copy, &sv));
	strv_release(&copy);
	j = strv_join(&sv, ",");
	assert_string_equal(j, "");
	free(j);
}

static void test_err__prefix_keeps_code_and_field(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(err_field(&e, -EINVAL, "Addresses", "invalid CIDR '%s'", "10.0.0.0/33"),
			 -EINVAL);
	assert_int_equal(err_prefix(&e, "interface %s", "wg0"), -EINVAL);
	assert_string_equal(e.msg, "interface wg0: invalid CIDR '10.0.0.0/33'");
	assert_string_equal(e.field, "Addresses");
	assert_int_equal(err_set(NULL, -ENOENT, "x"), -ENOENT);
}

/* Values from requests reach the log through log_quote: no line break, no terminal control,
 * no way to close the surrounding quotes. */
static void test_log__quote_escapes_controls(void **state)
{
	char b[LOG_QUOTE_SIZE(64)], small[8];

	(void)state;
	assert_string_equal(log_quote("x\nFAKE info", b, sizeof(b)), "x\\nFAKE info");
	assert_string_equal(log_quote("a\r\t\x1b[31m\x7f", b, sizeof(b)),
			    "a\\r\\t\\x1b[31m\\x7f");
	assert_string_equal(log_quote("it's a \\", b, sizeof(b)), "it\\'s a \\\\");
	assert_string_equal(log_quote("\xc2\x9b" "2J caf\xc3\xa9", b, sizeof(b)),
			    "\\u009b2J caf\xc3\xa9");
	assert_string_equal(log_quote(NULL, b, sizeof(b)), "");
	/* cut at an escape boundary, always terminated */
	assert_string_equal(log_quote("ab\ncd", small, sizeof(small)), "ab\\ncd");
	assert_string_equal(log_quote("abcd\nef", small, sizeof(small)), "abcd\\ne");
	assert_string_equal(log_quote("abcdef\n", small, sizeof(small)), "abcdef");
}

/* Whatever a message holds, the text log gets one line per event (stderr captured in a pipe). */
static void test_log__one_line_per_event(void **state)
{
	int fds[2], saved;
	char out[512] = "";
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	saved = dup(2);
	dup2(fds[1], 2);
	log_info("forged? %s", "x\nFAKE info  auth: 'admin' logged in\r\x1b]0;t\x07");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "forged? x\\nFAKE info  auth: 'admin' logged in\\r\\x1b]0;t\\x07\n"));
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
	assert_null(strchr(out, '\x1b'));
}

static void test_utf8__valid_and_scrub(void **state)
{
	char a[] = "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	char b[] = "id \xff\xfe end";
	char c[] = "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82";

	(void)state;
	assert_true(utf8_valid(a));
	assert_string_equal(utf8_scrub(a), "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_false(utf8_valid(b));
	assert_string_equal(utf8_scrub(b), "id ?? end");
	/* overlong '/', a surrogate, above U+10FFFF, a cut sequence */
	assert_false(utf8_valid(c));
	assert_true(utf8_valid(utf8_scrub(c)));
	assert_true(utf8_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf__bounded),
		cmocka_unit_test(test_buf__printf_grows),
		cmocka_unit_test(test_strv__split_join),
		cmocka_unit_test(test_err__prefix_keeps_code_and_field),
		cmocka_unit_test(test_log__quote_escapes_controls),
		cmocka_unit_test(test_log__one_line_per_event),
		cmocka_unit_test(test_utf8__valid_and_scrub),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
