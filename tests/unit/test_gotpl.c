/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the Go template engine (src/mail/gotpl*.c). The cases live in
 * tests/data/gotpl/cases.json; their expected outputs and errors were checked against Go's own
 * text/template and html/template with tests/data/gotpl/go_oracle.go. The golden files under
 * tests/data/gotpl/golden/ are wg-portal's four mail templates (the attachment pair is our
 * built-in copy in src/mail/tpl_files/, the link pair is in tests/data/gotpl/wg-portal/)
 * rendered by Go with tests/data/gotpl/mail-data.json: our output must match byte for byte.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/gotpl.h"
#include "util/buf.h"
#include "util/err.h"

static void run_case(const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *tpl = json_string_value(json_object_get(c, "tpl"));
	const char *want = json_string_value(json_object_get(c, "want"));
	const char *perr = json_string_value(json_object_get(c, "error"));
	const char *xerr = json_string_value(json_object_get(c, "exec_error"));
	struct gotpl_set *set = gotpl_set_new(json_is_true(json_object_get(c, "html")));
	struct err err = { 0 };
	struct buf out;
	int r;

	assert_non_null(set);
	buf_init(&out, GOTPL_OUT_MAX);
	r = gotpl_parse(set, "t", tpl, strlen(tpl), &err);
	if (perr) {
		if (r != -EINVAL || !strstr(err.msg, perr))
			fail_msg("case '%s': want parse error '%s', got %d '%s'", name, perr, r,
				 err.msg);
		goto out;
	}
	if (r != 0)
		fail_msg("case '%s': parse error %s", name, err.msg);
	r = gotpl_exec(set, "t", json_object_get(c, "data"), &out, &err);
	if (xerr) {
		if (r != -EINVAL || !strstr(err.msg, xerr))
			fail_msg("case '%s': want exec error '%s', got %d '%s'", name, xerr, r,
				 err.msg);
		goto out;
	}
	if (r != 0)
		fail_msg("case '%s': exec error %s", name, err.msg);
	if (strcmp(out.p ? out.p : "", want) != 0)
		fail_msg("case '%s':\n  got  '%s'\n  want '%s'", name, out.p ? out.p : "", want);
out:
	buf_release(&out);
	gotpl_set_free(set);
}

static void test_gotpl__cases_match_go(void **state)
{
	json_error_t jerr;
	json_t *cases = json_load_file("tests/data/gotpl/cases.json", 0, &jerr);
	size_t i;
	json_t *c;

	(void)state;
	assert_non_null(cases);
	assert_true(json_array_size(cases) > 40);
	json_array_foreach(cases, i, c)
		run_case(c);
	json_decref(cases);
}

/* wg-portal's own template files render exactly as Go renders them. */
static void test_gotpl__wg_portal_templates_match_go(void **state)
{
	static const char *const files[] = {
		"mail_with_attachment.gotpl", "mail_with_attachment.gohtml",
		"mail_with_link.gotpl", "mail_with_link.gohtml",
	};
	json_t *data = json_load_file("tests/data/gotpl/mail-data.json", 0, NULL);

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256], *text, *golden;
		bool html = strstr(files[i], ".gohtml") != NULL;
		struct gotpl_set *set = gotpl_set_new(html);
		struct err err = { 0 };
		struct buf out;
		json_t *d = json_object_get(data, strstr(files[i], "link") ? "link" : "attachment");

		snprintf(path, sizeof(path), "%s/%s", strstr(files[i], "link") ?
			 "tests/data/gotpl/wg-portal" : "src/mail/tpl_files", files[i]);
		text = test_read_file(path);
		snprintf(path, sizeof(path), "tests/data/gotpl/golden/%s.out", files[i]);
		golden = test_read_file(path);
		assert_non_null(text);
		assert_non_null(golden);
		buf_init(&out, GOTPL_OUT_MAX);
		assert_int_equal(gotpl_parse(set, files[i], text, strlen(text), &err), 0);
		assert_int_equal(gotpl_exec(set, files[i], d, &out, &err), 0);
		if (strcmp(out.p, golden) != 0) {
			size_t k = 0;
			while (out.p[k] && out.p[k] == golden[k])
				k++;
			fail_msg("%s differs from Go at byte %zu: '%.40s' vs '%.40s'", files[i], k,
				 out.p + k, golden + k);
		}
		buf_release(&out);
		gotpl_set_free(set);
		free(text);
		free(golden);
	}
	json_decref(data);
}

/* A later parse of a name replaces the template; a failed parse leaves the set unchanged. */
static void test_gotpl__override_and_failed_parse(void **state)
{
	struct gotpl_set *set = gotpl_set_new(false);
	struct err err = { 0 };
	struct buf out;
	json_t *data = json_pack("{s:s}", "X", "x");

	(void)state;
	buf_init(&out, 1024);
	assert_int_equal(gotpl_parse(set, "a", "one {{.X}}", 10, &err), 0);
	assert_int_equal(gotpl_parse(set, "a", "two {{.X}}", 10, &err), 0);
	assert_int_equal(gotpl_parse(set, "a", "three {{.X", 10, &err), -EINVAL);
	assert_string_equal(err.msg, "a:1: unclosed action");
	assert_int_equal(gotpl_exec(set, "a", data, &out, &err), 0);
	assert_string_equal(out.p, "two x");
	assert_false(gotpl_has(set, "b"));
	assert_int_equal(gotpl_exec(set, "b", data, &out, &err), -ENOENT);
	buf_release(&out);
	json_decref(data);
	gotpl_set_free(set);
}

/* Recursion and output are bounded: an endless {{template}} loop is an error, not a crash. */
static void test_gotpl__limits(void **state)
{
	const char *rec = "{{define \"r\"}}x{{template \"r\" .}}{{end}}{{template \"r\" .}}";
	struct gotpl_set *set = gotpl_set_new(true);
	struct err err = { 0 };
	struct buf out;
	char deep[4096];
	size_t n = 0;

	(void)state;
	buf_init(&out, GOTPL_OUT_MAX);
	assert_int_equal(gotpl_parse(set, "r0", rec, strlen(rec), &err), 0);
	assert_int_equal(gotpl_exec(set, "r0", json_null(), &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "maximum template depth"));
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{if 1}}");
	assert_int_equal(gotpl_parse(set, "deep", deep, n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nested too deeply"));
	buf_release(&out);
	gotpl_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gotpl__cases_match_go),
		cmocka_unit_test(test_gotpl__wg_portal_templates_match_go),
		cmocka_unit_test(test_gotpl__override_and_failed_parse),
		cmocka_unit_test(test_gotpl__limits),
	};
	return cmocka_run_group_tests_name("gotpl", tests, NULL, NULL);
}
