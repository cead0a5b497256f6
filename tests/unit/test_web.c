/* SPDX-License-Identifier: MIT */
/*
 * Static UI files (src/web): MIME types, path normalisation (no escape from the web root: "..",
 * encoded dots, NUL, backslashes, symlinks), Accept-Encoding and gzip selection, cache classes,
 * ETag/304, base-path injection and the SPA fallback, for the embedded table and a --web-root
 * directory. This file defines the embedded table itself, replacing the library's weak
 * placeholder, so the embedded path is tested with known content.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "web/web.h"

static const unsigned char idx_html[] = "<!doctype html><html><head><title>t</title></head>"
					 "<body><div id=app></div></body></html>";
static const unsigned char app_js[] = "console.log('plain');";
static const unsigned char app_js_gz[] = "GZIPPED-BYTES";
static const unsigned char icon_svg[] = "<svg/>";

const struct web_asset web_assets_embedded[] = {
	{ "assets/app-1a2b3c.js", "text/javascript; charset=utf-8", app_js, sizeof(app_js) - 1,
	  app_js_gz, sizeof(app_js_gz) - 1, "\"js1\"" },
	{ "favicon.svg", "image/svg+xml", icon_svg, sizeof(icon_svg) - 1, NULL, 0, "\"svg1\"" },
	{ "index.html", "text/html; charset=utf-8", idx_html, sizeof(idx_html) - 1, NULL, 0,
	  "\"idx1\"" },
};
const size_t web_assets_embedded_count = 3;

static void test_web_mime__by_extension(void **state)
{
	(void)state;
	assert_string_equal(web_mime("index.html"), "text/html; charset=utf-8");
	assert_string_equal(web_mime("assets/app-1a2b.js"), "text/javascript; charset=utf-8");
	assert_string_equal(web_mime("assets/APP.JS"), "text/javascript; charset=utf-8");
	assert_string_equal(web_mime("a/b.css"), "text/css; charset=utf-8");
	assert_string_equal(web_mime("logo.svg"), "image/svg+xml");
	assert_string_equal(web_mime("f.woff2"), "font/woff2");
	assert_string_equal(web_mime("x.js.map"), "application/json");
	assert_string_equal(web_mime("favicon.ico"), "image/x-icon");
	assert_string_equal(web_mime("x.png"), "image/png");
	assert_string_equal(web_mime("README"), "application/octet-stream");
	assert_string_equal(web_mime("dir.js/file"), "application/octet-stream");
	assert_string_equal(web_mime("file."), "application/octet-stream");
	assert_string_equal(web_mime("x.exe"), "application/octet-stream");
}

static void norm_ok(const char *in, const char *want)
{
	char *out = NULL;

	if (web_normalise(in, &out) != 0)
		fail_msg("normalise '%s' failed", in);
	if (strcmp(out, want) != 0)
		fail_msg("normalise '%s' = '%s', want '%s'", in, out, want);
	free(out);
}

static void norm_bad(const char *in)
{
	char *out = NULL;
	int r = web_normalise(in, &out);

	if (r != -EINVAL)
		fail_msg("normalise '%s' = %d ('%s'), want -EINVAL", in, r, out ? out : "");
}

static void test_web_normalise__paths(void **state)
{
	(void)state;
	norm_ok("/", "");
	norm_ok("", "");
	norm_ok("/index.html", "index.html");
	norm_ok("/a/b", "a/b");
	norm_ok("//a///./b", "a/b");
	norm_ok("/a/", "a/");
	norm_ok("/a%20b", "a b");
	norm_ok("/%61ssets/x.js", "assets/x.js");
	norm_ok("/...", "...");
	norm_ok("/..a/b..", "..a/b..");
	norm_ok("/peers/AbC%2B%3D", "peers/AbC+=");
	/* escapes upward, however spelt */
	norm_bad("/..");
	norm_bad("/../etc/passwd");
	norm_bad("/a/../../b");
	norm_bad("/a/..");
	norm_bad("/%2e%2e/etc/passwd");
	norm_bad("/%2E%2E/x");
	norm_bad("/.%2e/x");
	norm_bad("/a/%2e%2e%2fb"); /* the encoded '/' is a separator after decoding */
	/* NUL, control characters, backslashes */
	norm_bad("/a%00b");
	norm_bad("/a%0ab");
	norm_bad("/a%7f");
	norm_bad("/a\\b");
	norm_bad("/a%5c..%5cb");
	norm_bad("/..%5cwindows");
	/* broken escapes */
	norm_bad("/a%zz");
	norm_bad("/a%2");
	norm_bad("/a%");
}

static void test_web_gzip__accept_encoding(void **state)
{
	(void)state;
	assert_true(web_accepts_gzip("gzip"));
	assert_true(web_accepts_gzip("GZip"));
	assert_true(web_accepts_gzip("gzip, deflate, br"));
	assert_true(web_accepts_gzip("br;q=1.0, gzip;q=0.5"));
	assert_true(web_accepts_gzip(" deflate ,  gzip ; q=0.8"));
	assert_true(web_accepts_gzip("*"));
	assert_true(web_accepts_gzip("x-gzip"));
	assert_false(web_accepts_gzip(NULL));
	assert_false(web_accepts_gzip(""));
	assert_false(web_accepts_gzip("identity"));
	assert_false(web_accepts_gzip("deflate, br"));
	assert_false(web_accepts_gzip("gzip;q=0"));
	assert_false(web_accepts_gzip("gzip;q=0.000"));
	assert_false(web_accepts_gzip("*;q=0"));
	assert_false(web_accepts_gzip("gzip;q=0, *"));  /* explicit refusal beats the wildcard */
	assert_false(web_accepts_gzip("gzipx"));
}

static void test_web_inject__base(void **state)
{
	char *out = NULL;
	size_t n = 0;
	const char *h1 = "<html><head><title>x</title></head></html>";

	(void)state;
	assert_int_equal(web_inject_base(h1, strlen(h1), "/wg", &out, &n), 0);
	assert_string_equal(out, "<html><head><base href=\"/wg/\"><meta name=\"wgportal-base-path\" "
				 "content=\"/wg\"><title>x</title></head></html>");
	assert_int_equal(n, strlen(out));
	free(out);
	const char *h2 = "<HEAD lang=en><header>";
	assert_int_equal(web_inject_base(h2, strlen(h2), "", &out, &n), 0);
	assert_string_equal(out, "<HEAD lang=en><base href=\"/\"><meta name=\"wgportal-base-path\" "
				 "content=\"\"><header>");
	free(out);
	const char *h3 = "<header>no head</header>";
	assert_int_equal(web_inject_base(h3, strlen(h3), "/a\"b<c", &out, &n), 0);
	assert_string_equal(out, "<base href=\"/a&#34;b&lt;c/\"><meta name=\"wgportal-base-path\" "
				 "content=\"/a&#34;b&lt;c\"><header>no head</header>");
	free(out);
}

static struct web *embedded(const char *base)
{
	struct web *w = NULL;
	struct err err = { 0 };

	assert_int_equal(web_new(NULL, base, &w, &err), 0);
	return w;
}

static void serve(struct web *w, const char *path, const char *ae, const char *inm,
		  struct web_reply *r)
{
	struct err err = { 0 };

	assert_int_equal(web_serve(w, path, ae, inm, r, &err), 0);
}

static bool body_is(const struct web_reply *r, const void *data, size_t len)
{
	return r->len == len && memcmp(r->body, data, len) == 0;
}

static void test_web_serve__embedded_assets_gzip_cache(void **state)
{
	struct web *w = embedded("");
	struct web_reply r;

	(void)state;
	serve(w, "/assets/app-1a2b3c.js", "gzip, br", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/javascript; charset=utf-8");
	assert_string_equal(r.cache_control, WEB_CACHE_IMMUTABLE);
	assert_true(r.gzip);
	assert_true(r.vary_encoding);
	assert_true(body_is(&r, app_js_gz, sizeof(app_js_gz) - 1));
	assert_string_equal(r.etag, "\"js1\"");
	web_reply_release(&r);

	serve(w, "/assets/app-1a2b3c.js", "br", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_false(r.gzip);
	assert_true(r.vary_encoding);
	assert_true(body_is(&r, app_js, sizeof(app_js) - 1));
	web_reply_release(&r);

	/* no gzip copy: plain even when gzip is accepted; not under assets/: no-cache */
	serve(w, "/favicon.svg", "gzip", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_false(r.gzip);
	assert_false(r.vary_encoding);
	assert_string_equal(r.cache_control, WEB_CACHE_NO_CACHE);
	assert_string_equal(r.content_type, "image/svg+xml");
	web_reply_release(&r);

	/* missing hashed asset: 404, never HTML */
	serve(w, "/assets/app-old999.js", "gzip", NULL, &r);
	assert_int_equal(r.status, 404);
	web_reply_release(&r);
	serve(w, "/assets/", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	web_reply_release(&r);

	/* conditional request */
	serve(w, "/assets/app-1a2b3c.js", "gzip", "\"nope\", W/\"js1\"", &r);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.len, 0);
	web_reply_release(&r);
	serve(w, "/assets/app-1a2b3c.js", "gzip", "\"js1x\"", &r);
	assert_int_equal(r.status, 200);
	web_reply_release(&r);

	/* hostile paths */
	serve(w, "/%2e%2e/%2e%2e/etc/passwd", NULL, NULL, &r);
	assert_int_equal(r.status, 400);
	web_reply_release(&r);
	serve(w, "/assets/app-1a2b3c.js%00.html", NULL, NULL, &r);
	assert_int_equal(r.status, 400);
	web_reply_release(&r);
	web_free(w);
}

static void test_web_serve__spa_fallback_and_base(void **state)
{
	struct web *w = embedded("/wg");
	struct web_reply r;
	char etag[80];

	(void)state;
	static const char *paths[] = { "/", "/index.html", "/peers", "/interfaces/wg0/peers/",
				       "/users/bob%40example.com", "/login?x", NULL };
	for (int i = 0; paths[i]; i++) {
		serve(w, paths[i], "gzip", NULL, &r);
		if (r.status != 200)
			fail_msg("%s: status %d", paths[i], r.status);
		assert_string_equal(r.content_type, "text/html; charset=utf-8");
		assert_string_equal(r.cache_control, WEB_CACHE_NO_CACHE);
		assert_false(r.gzip);
		char *body = strndup(r.body, r.len);
		assert_non_null(strstr(body, "<head><base href=\"/wg/\"><meta name=\"wgportal-base-path\" "
					     "content=\"/wg\"><title>"));
		assert_non_null(strstr(body, "<div id=app></div>"));
		free(body);
		web_reply_release(&r);
	}
	serve(w, "/", NULL, NULL, &r);
	assert_true(r.etag[0] == '"');
	snprintf(etag, sizeof(etag), "%s", r.etag);
	web_reply_release(&r);
	serve(w, "/some/route", NULL, etag, &r);
	assert_int_equal(r.status, 304);
	web_reply_release(&r);
	web_free(w);

	/* another base gives another index (and ETag) */
	w = embedded("");
	serve(w, "/", NULL, NULL, &r);
	assert_string_not_equal(r.etag, etag);
	char *body = strndup(r.body, r.len);
	assert_non_null(strstr(body, "<base href=\"/\">"));
	free(body);
	web_reply_release(&r);
	web_free(w);
}

static void write_file(const char *dir, const char *rel, const char *content)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void test_web_serve__web_root_confined(void **state)
{
	char *tmp = test_tmpdir(), root[600], path[700], target[700];
	struct web *w = NULL;
	struct web_reply r;
	struct err err = { 0 };

	(void)state;
	assert_non_null(tmp);
	snprintf(root, sizeof(root), "%s/dist", tmp);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/assets", root);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(tmp, "secret.txt", "TOP-SECRET");
	write_file(root, "index.html", "<html><head></head><body>DEV</body></html>");
	write_file(root, "assets/main-9f9f.js", "dev();");
	write_file(root, "assets/main-9f9f.js.gz", "GZ-DEV");
	write_file(root, "robots.txt", "User-agent: *");
	snprintf(target, sizeof(target), "%s/secret.txt", tmp);
	snprintf(path, sizeof(path), "%s/leak.txt", root);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/assets/leak.js", root);
	assert_int_equal(symlink(target, path), 0);

	assert_int_equal(web_new(root, "/base", &w, &err), 0);
	serve(w, "/assets/main-9f9f.js", "gzip", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(r.gzip);
	assert_true(r.vary_encoding);
	assert_true(body_is(&r, "GZ-DEV", 6));
	assert_string_equal(r.cache_control, WEB_CACHE_IMMUTABLE);
	web_reply_release(&r);
	serve(w, "/assets/main-9f9f.js", NULL, NULL, &r);
	assert_false(r.gzip);
	assert_true(body_is(&r, "dev();", 6));
	web_reply_release(&r);
	serve(w, "/robots.txt", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/plain; charset=utf-8");
	assert_string_equal(r.cache_control, WEB_CACHE_NO_CACHE);
	web_reply_release(&r);

	/* index from the directory, with the base injected; SPA fallback */
	serve(w, "/anything/else", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	char *body = strndup(r.body, r.len);
	assert_non_null(strstr(body, "<head><base href=\"/base/\">"));
	assert_non_null(strstr(body, "DEV"));
	free(body);
	web_reply_release(&r);

	/* nothing outside the root, not through "..", encodings or symlinks */
	static const char *bad[] = { "/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2fsecret.txt",
				     "/..%5csecret.txt", NULL };
	for (int i = 0; bad[i]; i++) {
		serve(w, bad[i], NULL, NULL, &r);
		if (r.status != 400)
			fail_msg("%s: status %d", bad[i], r.status);
		web_reply_release(&r);
	}
	serve(w, "/leak.txt", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	body = strndup(r.body, r.len);
	assert_null(strstr(body, "TOP-SECRET")); /* the SPA shell, not the file */
	assert_non_null(strstr(body, "DEV"));
	free(body);
	web_reply_release(&r);
	serve(w, "/assets/leak.js", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	web_reply_release(&r);
	web_free(w);

	/* a missing root is an error */
	assert_int_equal(web_new("/nonexistent/wgw-root", "", &w, &err) < 0, 1);
	assert_int_equal(web_new(target, "", &w, &err) < 0, 1); /* a file, not a directory */
	test_tmpdir_remove(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_web_mime__by_extension),
		cmocka_unit_test(test_web_normalise__paths),
		cmocka_unit_test(test_web_gzip__accept_encoding),
		cmocka_unit_test(test_web_inject__base),
		cmocka_unit_test(test_web_serve__embedded_assets_gzip_cache),
		cmocka_unit_test(test_web_serve__spa_fallback_and_base),
		cmocka_unit_test(test_web_serve__web_root_confined),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
