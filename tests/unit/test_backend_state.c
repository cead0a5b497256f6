/* SPDX-License-Identifier: MIT */
/*
 * The registry's view of a backend instance (issue 11): state written by device calls in one
 * thread is read by the API and the exporter in others through backend_status_get(), which
 * must never return a string half of one write and half of another. And the registry itself
 * names no backend type: it finds them in backends/builtin.c by the config's name.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "util/err.h"

static int fake_open(struct backend *be, const struct cfg_backend *cfg, struct err *err)
{
	(void)cfg;
	(void)err;
	backend_set_implementation(be, "fake");
	return 0;
}

static const struct backend_ops fake_ops = {
	.type = "fake",
	.caps = BACKEND_CAP_PSK,
	.open = fake_open,
};

static char msg_a[200], msg_b[200];
static volatile int stop;

static void *writer(void *arg)
{
	struct backend *be = arg;

	for (unsigned i = 0; !stop; i++) {
		backend_set_last_error(be, "%s", i & 1 ? msg_a : msg_b);
		backend_set_implementation(be, "%s", i & 1 ? "impl-a-0123456789" : "impl-b-9876543210");
	}
	return NULL;
}

static bool uniform(const char *s, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != c)
			return false;
	return s[n] == '\0';
}

static void test_backend_state__snapshot_not_torn(void **state)
{
	struct backend *be;
	struct backend_status st;
	struct err e = { 0 };
	pthread_t t;
	unsigned torn = 0, seen_a = 0, seen_b = 0;

	(void)state;
	memset(msg_a, 'a', sizeof(msg_a) - 1);
	memset(msg_b, 'b', sizeof(msg_b) - 1);
	assert_int_equal(backend_register(&fake_ops, "fake1", NULL, NULL, &e), 0);
	be = backend_find("fake1");
	assert_non_null(be);
	backend_status_get(be, &st);
	assert_string_equal(st.implementation, "fake");
	assert_true(st.reachable);
	assert_int_equal(pthread_create(&t, NULL, writer, be), 0);
	for (int i = 0; i < 200000; i++) {
		backend_status_get(be, &st);
		if (uniform(st.last_error, 'a', sizeof(msg_a) - 1))
			seen_a++;
		else if (uniform(st.last_error, 'b', sizeof(msg_b) - 1))
			seen_b++;
		else if (st.last_error[0])
			torn++;
		if (st.implementation[0] && strcmp(st.implementation, "impl-a-0123456789") &&
		    strcmp(st.implementation, "impl-b-9876543210") && strcmp(st.implementation, "fake"))
			torn++;
	}
	stop = 1;
	pthread_join(t, NULL);
	print_message("# snapshots: %u a, %u b, %u torn\n", seen_a, seen_b, torn);
	assert_int_equal(torn, 0);
	assert_true(backend_is_reachable(be));
	backends_shutdown();
}

static void test_backend_state__builtin_types(void **state)
{
	(void)state;
	assert_non_null(backend_builtin_find("local"));
	assert_non_null(backend_builtin_find("mikrotik"));
	assert_non_null(backend_builtin_find("pfsense"));
	assert_null(backend_builtin_find("opnsense"));
	assert_null(backend_builtin_find(NULL));
	assert_ptr_equal(backend_builtin_local(), backend_builtin_find("local"));
	/* the local backend pings through its own op, as every other type */
	assert_non_null(backend_builtin_local()->ping);
	assert_false(backend_builtin_local()->remote);
	assert_true(backend_builtin_find("mikrotik")->remote);
	assert_true(backend_builtin_find("pfsense")->remote);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_state__snapshot_not_torn),
		cmocka_unit_test(test_backend_state__builtin_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
