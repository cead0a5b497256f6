/* SPDX-License-Identifier: MIT */
/* Unit tests for util/: bounded buffers, string arrays, error carrier. */
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/strv.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf__bounded),
		cmocka_unit_test(test_buf__printf_grows),
		cmocka_unit_test(test_strv__split_join),
		cmocka_unit_test(test_err__prefix_keeps_code_and_field),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
