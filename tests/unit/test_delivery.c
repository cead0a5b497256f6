/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mail and webhook delivery: address checks, the MIME builder (structure,
 * encodings, refused header injection), the webhook body and its HMAC signature, and the
 * delivery queue in the store (per-object order, due and next-due times, payload sealed at
 * rest).
 */
#include "testlib.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/mime.h"
#include "store/store.h"
#include "store/store_delivery.h"
#include "util/buf.h"
#include "util/err.h"
#include "webhook/payload.h"
#include "webhook/sender.h"

static void test_address__forms(void **state)
{
	char d[MAIL_ADDR_MAX], a[MAIL_ADDR_MAX];
	struct err err = { 0 };

	(void)state;
	assert_int_equal(mail_addr_parse("Wireguard Portal <noreply@wireguard.local>", d, a, &err), 0);
	assert_string_equal(d, "Wireguard Portal");
	assert_string_equal(a, "noreply@wireguard.local");
	assert_int_equal(mail_addr_parse("\"Ops, Team\" <ops@x.org>", d, a, &err), 0);
	assert_string_equal(d, "Ops, Team");
	assert_int_equal(mail_addr_parse("  bob@example.com ", d, a, &err), 0);
	assert_string_equal(a, "bob@example.com");
	assert_string_equal(d, "");
	assert_int_equal(mail_addr_parse("bob", d, a, &err), -EINVAL);
	assert_int_equal(mail_addr_parse("a@b.com\r\nBcc: c@d.com", d, a, &err), -EINVAL);
	assert_int_equal(mail_addr_parse("a b@c.com", d, a, &err), -EINVAL);
	assert_int_equal(mail_addr_parse("<a@b.com", d, a, &err), -EINVAL);
	assert_int_equal(mail_addr_parse("x <a@b.com> y", d, a, &err), -EINVAL);
	assert_false(mail_addr_spec_valid("a..b@c.com"));
	assert_false(mail_addr_spec_valid("a@.c.com"));
	assert_true(mail_addr_spec_valid("first.last+tag@sub.example.co"));
}

static const char conf[] = "[Interface]\nPrivateKey = abc=\nAddress = 10.0.0.2/32\n";

static int build(const char *subject, const char *to, const char *display, struct buf *out,
		 struct err *err)
{
	unsigned char png[] = { 0x89, 'P', 'N', 'G', 0, 1, 2, 0xff };
	struct mime_part parts[2] = {
		{ "image/png", "WireGuardQRCode.png", png, sizeof(png), true },
		{ "text/plain", "peer.conf", conf, sizeof(conf) - 1, false },
	};
	struct mime_mail m = {
		.from_display = display, .from_addr = "noreply@wgportal.test", .to_addr = to,
		.subject = subject, .text = "Hello =\nline two with trailing space \n",
		.html = "<p>Gr\xc3\xbc\xc3\x9f""e</p>", .parts = parts, .n_parts = 2,
		.date = 1780000000,
	};
	return mime_build(&m, out, err);
}

static void test_mime__structure_and_encodings(void **state)
{
	struct err err = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(build("WireGuard VPN Configuration", "alice@example.com", "WG Portal", &b,
			       &err), 0);
	assert_non_null(strstr(b.p, "From: WG Portal <noreply@wgportal.test>\r\n"));
	assert_non_null(strstr(b.p, "Reply-To: WG Portal <noreply@wgportal.test>\r\n"));
	assert_non_null(strstr(b.p, "To: alice@example.com\r\n"));
	assert_non_null(strstr(b.p, "Date: Thu, 28 May 2026 20:26:40 +0000\r\n"));
	assert_non_null(strstr(b.p, "MIME-Version: 1.0\r\n"));
	/* mixed > related > alternative, in that order */
	char *mixed = strstr(b.p, "multipart/mixed"), *rel = strstr(b.p, "multipart/related"),
	     *alt = strstr(b.p, "multipart/alternative");
	assert_true(mixed && rel && alt && mixed < rel && rel < alt);
	/* quoted-printable: '=' escaped, trailing space escaped, UTF-8 as =XX, CRLF lines */
	assert_non_null(strstr(b.p, "Hello =3D\r\nline two with trailing space=20\r\n"));
	assert_non_null(strstr(b.p, "<p>Gr=C3=BC=C3=9Fe</p>"));
	assert_non_null(strstr(b.p, "Content-ID: <WireGuardQRCode.png>\r\n"));
	assert_non_null(strstr(b.p, "Content-Disposition: attachment; filename=\"peer.conf\"\r\n"));
	/* base64 of the attachment: the bytes reach the user unchanged */
	assert_non_null(strstr(b.p, "W0ludGVyZmFjZV0KUHJpdmF0ZUtleSA9IGFiYz0KQWRkcmVzcyA9IDEwLjAuMC4yLzMyCg=="));
	for (char *p = b.p; (p = strchr(p, '\n')); p++)
		assert_true(p > b.p && p[-1] == '\r');   /* every line ends in CRLF */
	buf_release(&b);

	/* a non-ASCII subject and display name become RFC 2047 encoded words */
	buf_init(&b, 1 << 20);
	assert_int_equal(build("Konfiguration f\xc3\xbcr dich", "a@b.de", "Gr\xc3\xbc\xc3\x9f""e", &b,
			       &err), 0);
	assert_non_null(strstr(b.p, "Subject: =?UTF-8?B?S29uZmlndXJhdGlvbiBmw7xyIGRpY2g=?=\r\n"));
	assert_non_null(strstr(b.p, "From: =?UTF-8?B?R3LDvMOfZQ==?= <noreply@wgportal.test>\r\n"));
	buf_release(&b);
}

static void test_mime__refuses_header_injection(void **state)
{
	struct err err = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(build("x\r\nBcc: evil@example.com", "a@b.com", "", &b, &err), -EINVAL);
	assert_string_equal(err.field, "Subject");
	err_clear(&err);
	assert_int_equal(build("x", "a@b.com\r\nBcc: evil@example.com", "", &b, &err), -EINVAL);
	assert_string_equal(err.field, "To");
	err_clear(&err);
	assert_int_equal(build("x", "a@b.com", "Name\nBcc: e@x.com", &b, &err), -EINVAL);
	assert_string_equal(err.field, "From");
	buf_release(&b);
}

static void test_webhook__sign_rfc4231(void **state)
{
	char hex[65];

	(void)state;
	/* RFC 4231 test case 2 */
	webhook_sign("Jefe", "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_webhook__body_like_go(void **state)
{
	struct user *u = user_new();
	char *body;

	(void)state;
	assert_non_null(u);
	str_set(&u->identifier, "a<b>&c");
	str_set(&u->email, "x@y.z");
	strv_push(&u->auth_sources, "db");
	u->created_at = 1780000000;
	u->updated_at = 1780000001;
	body = webhook_body("create", "user", u->identifier, webhook_user_json(u));
	assert_non_null(body);
	assert_string_equal(body,
		"{\"event\":\"create\",\"entity\":\"user\",\"identifier\":\"a\\u003cb\\u003e\\u0026c\","
		"\"payload\":{\"CreatedBy\":\"\",\"UpdatedBy\":\"\",\"CreatedAt\":\"2026-05-28T20:26:40Z\","
		"\"UpdatedAt\":\"2026-05-28T20:26:41Z\",\"Identifier\":\"a\\u003cb\\u003e\\u0026c\","
		"\"Email\":\"x@y.z\",\"AuthSources\":[{\"Source\":\"db\",\"ProviderName\":\"\"}],"
		"\"IsAdmin\":false}}");
	free(body);
	user_free(u);
}

/* ---- the queue ---- */

static int64_t add(struct store *st, const char *key, const char *payload, int64_t now)
{
	struct store_delivery d = { .kind = "webhook", .object_key = (char *)key,
				    .event = "update", .entity = "peer", .identifier = (char *)key,
				    .payload = (char *)payload };
	struct err err = { 0 };

	assert_int_equal(store_delivery_add(st, &d, now, &err), 0);
	return d.id;
}

static void test_queue__order_per_object(void **state)
{
	struct store *st = NULL;
	struct store_delivery *due = NULL;
	struct err err = { 0 };
	size_t n = 0;
	int64_t next = 0;

	(void)state;
	assert_int_equal(store_open(":memory:", NULL, &st, &err), 0);
	int64_t a1 = add(st, "peer:A", "a1", 1000);
	int64_t a2 = add(st, "peer:A", "a2", 1001);
	int64_t b1 = add(st, "peer:B", "b1", 1002);
	(void)a2;
	assert_int_equal(store_delivery_due(st, "webhook", 5000, 10, &due, &n, &err), 0);
	assert_int_equal(n, 2);   /* A's second event waits for the first */
	assert_int_equal(due[0].id, a1);
	assert_int_equal(due[1].id, b1);
	assert_string_equal(due[0].payload, "a1");
	/* a1 fails and waits until 9000: nothing of A is due, b1 still is */
	free(due[0].status);
	due[0].status = strdup(DELIVERY_RETRYING);
	due[0].attempts = 1;
	due[0].next_attempt_at = 9000;
	due[0].updated_at = 5000;
	assert_int_equal(store_delivery_update(st, &due[0], &err), 0);
	store_delivery_list_free(due, n);
	assert_int_equal(store_delivery_due(st, "webhook", 5000, 10, &due, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(due[0].id, b1);
	free(due[0].status);
	due[0].status = strdup(DELIVERY_SENT);
	due[0].sent_at = due[0].updated_at = 5001;
	assert_int_equal(store_delivery_update(st, &due[0], &err), 0);
	store_delivery_list_free(due, n);
	/* the next wake-up is a1's retry, not a2's (older) queue time */
	assert_int_equal(store_delivery_next_due(st, "webhook", &next, &err), 0);
	assert_int_equal(next, 9000);
	assert_int_equal(store_delivery_next_due(st, "mail", &next, &err), -ENOENT);
	size_t pending = 0;
	assert_int_equal(store_delivery_pending(st, "webhook", &pending, &err), 0);
	assert_int_equal(pending, 2);
	/* the log: newest first, filters */
	size_t total = 0;
	struct store_query q = { 0 };
	assert_int_equal(store_delivery_list(st, &q, "webhook", DELIVERY_RETRYING, &due, &n, &total,
					     &err), 0);
	assert_int_equal(total, 1);
	assert_int_equal(due[0].id, a1);
	assert_null(due[0].payload);   /* the log never carries payloads */
	store_delivery_list_free(due, n);
	/* purge removes finished rows only */
	assert_int_equal(store_delivery_purge(st, 10000, &err), 0);
	assert_int_equal(store_delivery_list(st, &q, NULL, NULL, &due, &n, &total, &err), 0);
	assert_int_equal(total, 2);
	store_delivery_list_free(due, n);
	store_close(st);
}

static void test_queue__payload_sealed_at_rest(void **state)
{
	char *dir = test_tmpdir(), path[512];
	struct store *st = NULL;
	struct store_delivery *due = NULL;
	struct err err = { 0 };
	sqlite3 *db;
	sqlite3_stmt *s;
	size_t n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/db.sqlite", dir);
	assert_int_equal(store_open(path, "a passphrase for the test", &st, &err), 0);
	add(st, "peer:S", "{\"PrivateKey\":\"secret-key\"}", 1000);
	assert_int_equal(store_delivery_due(st, "webhook", 2000, 4, &due, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(due[0].payload, "{\"PrivateKey\":\"secret-key\"}");
	store_delivery_list_free(due, n);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT payload FROM deliveries", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	const char *raw = (const char *)sqlite3_column_text(s, 0);
	assert_true(strncmp(raw, "enc:v1:", 7) == 0);
	assert_null(strstr(raw, "secret-key"));
	sqlite3_finalize(s);
	sqlite3_close(db);
	test_tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address__forms),
		cmocka_unit_test(test_mime__structure_and_encodings),
		cmocka_unit_test(test_mime__refuses_header_injection),
		cmocka_unit_test(test_webhook__sign_rfc4231),
		cmocka_unit_test(test_webhook__body_like_go),
		cmocka_unit_test(test_queue__order_per_object),
		cmocka_unit_test(test_queue__payload_sealed_at_rest),
	};
	return cmocka_run_group_tests_name("delivery", tests, NULL, NULL);
}
