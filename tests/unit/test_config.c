/* SPDX-License-Identifier: MIT */
/*
 * Tests of src/config: value formats, ${VAR} substitution, WG_PORTAL_* defaults, the strict key
 * walker (line/column messages), file selection, backend validation and the fixture files in
 * tests/data/config (the backends.md examples verbatim and the full 1.5 tree).
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/err.h"

extern char **environ;

/* Tests set variables of their own; none may leak into the next test or come from outside. */
static void clear_env(void)
{
	/* Bounded: each round removes one variable, and unsetenv shrinks environ. */
	for (int guard = 0; guard < 10000; guard++) {
		char name[256] = "";
		for (char **e = environ; e && *e; e++) {
			if (!strncmp(*e, "WG_PORTAL_", 10) || !strncmp(*e, "WGP_T_", 6)) {
				size_t n = strcspn(*e, "=");
				snprintf(name, sizeof(name), "%.*s", (int)n, *e);
				break;
			}
		}
		if (!*name)
			return;
		unsetenv(name);
	}
}

static int setup(void **state)
{
	(void)state;
	clear_env();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clear_env();
	return 0;
}

/* Loads text; asserts success and returns 0, or returns the error code (cfg is zeroed then). */
static int load(struct cfg *cfg, const char *text, struct err *err)
{
	err_clear(err);
	return cfg_load_string(cfg, text, "test.yaml", err);
}

static void expect_error(const char *text, const char *needle, const char *field)
{
	struct cfg cfg;
	struct err err;
	int r = load(&cfg, text, &err);

	if (r == 0)
		fail_msg("expected an error containing \"%s\" for:\n%s", needle, text);
	assert_int_equal(r, -EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, needle);
	if (field)
		assert_string_equal(err.field, field);
	cfg_release(&cfg);   /* zeroed on failure: must be a no-op */
}

static void expect_dur(const char *s, int64_t want)
{
	int64_t ms = 12345;

	if (cfg_parse_duration(s, &ms) != 0)
		fail_msg("duration '%s' rejected", s);
	if (ms != want)
		fail_msg("duration '%s': got %lld ms, want %lld", s, (long long)ms,
			 (long long)want);
}

static void test_config__duration_units(void **state)
{
	(void)state;
	expect_dur("0", 0);
	expect_dur("0s", 0);
	expect_dur("300ms", 300);
	expect_dur("30s", 30000);
	expect_dur("1m", 60000);
	expect_dur("15m", 900000);
	expect_dur("1h30m", 5400000);
	expect_dur("1.5h", 5400000);
	expect_dur(".5s", 500);
	expect_dur("1.s", 1000);
	expect_dur("1h2m3s4ms", 3723004);
	expect_dur("2000000ns", 2);
	expect_dur("1500us", 1);
	expect_dur("3000\xc2\xb5s", 3);     /* micro sign */
	expect_dur("4000\xce\xbcs", 4);     /* Greek mu */
	expect_dur("999us", 0);             /* truncated toward zero like Go's Milliseconds() */
	expect_dur("-1m", -60000);
	expect_dur("+5s", 5000);
	expect_dur("-0", 0);
	expect_dur("2562047h", 2562047LL * 3600 * 1000);   /* close to Go's limit */
}

static void test_config__duration_invalid(void **state)
{
	static const char *const bad[] = {
		"", "1d", "1", "60", "1.5", "s", ".s", ".", "-", "+", "--1s", "1s2", "1 s", " 1s",
		"1s ", "1S", "1hour", "9223372036854775808ns", "2562048h", "1e3s", "0x10s",
	};
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cfg_parse_duration(bad[i], &ms) != -EINVAL)
			fail_msg("duration '%s' was accepted", bad[i]);
}

static void test_config__duration_yaml(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "advanced:\n  expiry_check_interval: \"0\"\n"
			      "webhook:\n  timeout: 1m30s\n"
			      "database:\n  slow_query_threshold: '100ms'\n", &err), 0);
	assert_int_equal(cfg.advanced.expiry_check_interval_ms, 0);
	assert_int_equal(cfg.webhook.timeout_ms, 90000);
	assert_int_equal(cfg.database.slow_query_threshold_ms, 100);
	cfg_release(&cfg);
	/* A bare 0 is taken as "0" with a warning (wg-portal refuses it); any other bare number is
	 * refused (yaml.v3 behaviour). */
	assert_int_equal(load(&cfg, "database:\n  slow_query_threshold: 0\n", &err), 0);
	assert_int_equal(cfg.database.slow_query_threshold_ms, 0);
	assert_int_equal(cfg.warnings.n, 1);
	assert_non_null(strstr(cfg.warnings.v[0], "'database.slow_query_threshold': a bare 0"));
	cfg_release(&cfg);
	expect_error("advanced:\n  expiry_check_interval: 60\n",
		     "test.yaml: line 2, column 26: 'advanced.expiry_check_interval' must be a "
		     "duration string", "advanced.expiry_check_interval");
	expect_error("webhook:\n  timeout: 60\n", "line 2, column 12:", "webhook.timeout");
	expect_error("webhook:\n  timeout: 1.5\n", "bare number", "webhook.timeout");
	expect_error("webhook:\n  timeout: 1d\n", "line 2, column 12: 'webhook.timeout': invalid "
		     "duration '1d'", "webhook.timeout");
	expect_error("webhook:\n  timeout: -5s\n", "webhook.timeout: duration must not be negative",
		     "webhook.timeout");
}

/* cluster.node_name (ours, docs/cluster.md): the host name by default, the variable, and only
 * characters a host name may hold. */
static void test_config__cluster_node_name(void **state)
{
	char host[256] = "";
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_int_equal(load(&cfg, "core:\n  import_existing: false\n", &err), 0);
	assert_string_equal(cfg.cluster.node_name, host);
	cfg_release(&cfg);
	assert_int_equal(load(&cfg, "cluster:\n  node_name: portal-1.example_2\n", &err), 0);
	assert_string_equal(cfg.cluster.node_name, "portal-1.example_2");
	cfg_release(&cfg);
	setenv("WG_PORTAL_CLUSTER_NODE_NAME", "from-env", 1);
	assert_int_equal(load(&cfg, "core:\n  import_existing: false\n", &err), 0);
	assert_string_equal(cfg.cluster.node_name, "from-env");
	cfg_release(&cfg);
	unsetenv("WG_PORTAL_CLUSTER_NODE_NAME");
	expect_error("cluster:\n  node_name: \"a b\"\n", "line 2: cluster.node_name: must be 1 to 63",
		     "cluster.node_name");
	expect_error("cluster:\n  node_name: \"a\\tb\"\n", "cluster.node_name", "cluster.node_name");
	expect_error("cluster:\n  node_name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		     "must be 1 to 63", "cluster.node_name");
	expect_error("cluster:\n  nodename: x\n", "unknown key 'nodename' in 'cluster'", NULL);
}

static void test_config__bools(void **state)
{
	static const struct { const char *s; bool v; } ok[] = {
		{ "true", true }, { "True", true }, { "TRUE", true }, { "yes", true },
		{ "Yes", true }, { "YES", true }, { "on", true }, { "On", true }, { "ON", true },
		{ "y", true }, { "Y", true }, { "false", false }, { "False", false },
		{ "FALSE", false }, { "no", false }, { "No", false }, { "NO", false },
		{ "off", false }, { "Off", false }, { "OFF", false }, { "n", false },
		{ "N", false },
	};
	char text[128];
	struct cfg cfg;
	struct err err;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		/* Write the opposite of the default so a parse that did nothing is noticed. */
		snprintf(text, sizeof(text), "core:\n  editable_keys: %s\n  import_existing: %s\n",
			 ok[i].s, ok[i].s);
		assert_int_equal(load(&cfg, text, &err), 0);
		assert_int_equal(cfg.core.editable_keys, ok[i].v);
		assert_int_equal(cfg.core.import_existing, ok[i].v);
		cfg_release(&cfg);
	}
	expect_error("core:\n  editable_keys: maybe\n",
		     "test.yaml: line 2, column 18: 'core.editable_keys' must be a boolean",
		     "core.editable_keys");
	expect_error("core:\n  editable_keys: 1\n", "line 2, column 18", "core.editable_keys");
	expect_error("core:\n  editable_keys: [true]\n", "line 2, column 18", "core.editable_keys");
}

static void test_config__ints(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "advanced:\n  start_listen_port: 0xCAFE\n"
			      "  route_table_offset: 1_000\n  rule_prio_offset: +7\n", &err), 0);
	assert_int_equal(cfg.advanced.start_listen_port, 0xCAFE);
	assert_int_equal(cfg.advanced.route_table_offset, 1000);
	assert_int_equal(cfg.advanced.rule_prio_offset, 7);
	cfg_release(&cfg);
	expect_error("advanced:\n  start_listen_port: \"51820\"\n", "line 2, column 22: "
		     "'advanced.start_listen_port' must be an integer",
		     "advanced.start_listen_port");
	expect_error("advanced:\n  start_listen_port: 5e3\n", "must be an integer", NULL);
	expect_error("advanced:\n  start_listen_port: 99999999999\n", "out of range", NULL);
	expect_error("advanced:\n  start_listen_port: 70000\n",
		     "test.yaml: line 2: advanced.start_listen_port: 70000 is out of range",
		     "advanced.start_listen_port");
	expect_error("auth:\n  min_password_length: -1\n", "auth.min_password_length",
		     "auth.min_password_length");
	expect_error("advanced:\n  limit_additional_user_peers: -3\n",
		     "advanced.limit_additional_user_peers", NULL);
}

static void test_config__strings_and_lists(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "web:\n  site_title: 42\n  base_path: ~\n"
			      "backend:\n  ignored_local_interfaces: [wg0, 'wg 1', ~]\n", &err), 0);
	assert_string_equal(cfg.web.site_title, "42");   /* any scalar is a string */
	assert_string_equal(cfg.web.base_path, "");
	assert_int_equal(cfg.backend.ignored_local_interfaces.n, 3);
	assert_string_equal(cfg.backend.ignored_local_interfaces.v[1], "wg 1");
	assert_string_equal(cfg.backend.ignored_local_interfaces.v[2], "");
	cfg_release(&cfg);
	expect_error("web:\n  site_title: {a: b}\n", "line 2, column 15: 'web.site_title' must be "
		     "a string", "web.site_title");
	expect_error("backend:\n  ignored_local_interfaces: wg0\n", "must be a list of strings",
		     "backend.ignored_local_interfaces");
	expect_error("core: 5\n", "line 1, column 7: 'core' must be a mapping", "core");
	expect_error("- a\n- b\n", "line 1, column 1: the top level must be a mapping", NULL);
}

static void test_config__null_keeps_default(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "core:\n  admin_user:\n  editable_keys: ~\nadvanced:\n"
			      "  start_listen_port: null\nwebhook:\nmail:\n  host:\n"
			      "backend:\n  mikrotik:\n", &err), 0);
	assert_string_equal(cfg.core.admin_user, "admin@wgportal.local");
	assert_true(cfg.core.editable_keys);
	assert_int_equal(cfg.advanced.start_listen_port, 51820);
	assert_int_equal(cfg.webhook.timeout_ms, 10000);
	assert_int_equal(cfg.backend.n_entries, 0);
	/* A key left at its default through null is not "present". */
	assert_int_equal(cfg.unsupported.n, 0);
	cfg_release(&cfg);
}

static void test_config__defaults(void **state)
{
	struct cfg cfg;

	(void)state;
	assert_int_equal(cfg_defaults(&cfg), 0);
	assert_string_equal(cfg.path, "");
	assert_string_equal(cfg.core.admin_user, "admin@wgportal.local");
	assert_string_equal(cfg.core.admin_password, "");   /* no built-in password */
	assert_false(cfg.core.admin_password_set);
	assert_true(cfg.core.editable_keys);
	assert_true(cfg.core.re_enable_peer_after_user_enable);
	assert_true(cfg.core.import_existing);
	assert_true(cfg.core.restore_state);
	assert_string_equal(cfg.advanced.log_level, "info");
	assert_int_equal(cfg.advanced.start_listen_port, 51820);
	assert_string_equal(cfg.advanced.start_cidr_v6, "fdfd:d3ad:c0de:1234::0/64");
	assert_int_equal(cfg.advanced.expiry_check_interval_ms, 15 * 60 * 1000);
	assert_int_equal(cfg.advanced.route_table_offset, 20000);
	assert_true(cfg.advanced.api_admin_only);
	assert_string_equal(cfg.backend.default_id, "local");
	assert_int_equal(cfg.backend.rekey_timeout_interval_ms, 180000);
	assert_string_equal(cfg.backend.local_resolvconf_prefix, "tun.");
	assert_string_equal(cfg.database.type, "sqlite");
	assert_string_equal(cfg.database.dsn, "data/sqlite.db");
	assert_int_equal(cfg.statistics.ping_check_workers, 10);
	assert_int_equal(cfg.statistics.data_collection_interval_ms, 60000);
	assert_string_equal(cfg.statistics.listening_address, ":8787");
	assert_string_equal(cfg.mail.from, "Wireguard Portal <noreply@wireguard.local>");
	assert_int_equal(cfg.mail.port, 25);
	assert_true(cfg.mail.cert_validation);
	assert_int_equal(cfg.auth.min_password_length, 16);
	assert_true(cfg.auth.webauthn_enabled);
	assert_string_equal(cfg.web.listening_address, "127.0.0.1:8888");   /* ours, not :8888 */
	assert_string_equal(cfg.web.external_url, "http://localhost:8888");
	assert_string_equal(cfg.web.session_identifier, "wgPortalSession");
	assert_string_equal(cfg.web.key_file, "");
	assert_int_equal(cfg.webhook.timeout_ms, 10000);
	cfg_release(&cfg);
	cfg_release(&cfg);   /* idempotent */
}

static void expect_subst(const char *in, const char *want)
{
	struct err err;
	char *out = NULL;

	err_clear(&err);
	if (cfg_envsubst(in, &out, &err) != 0)
		fail_msg("substitution of '%s' failed: %s", in, err.msg);
	if (strcmp(out, want))
		fail_msg("'%s' -> '%s', want '%s'", in, out, want);
	free(out);
}

static void expect_subst_error(const char *in, const char *needle)
{
	struct err err;
	char *out = NULL;

	err_clear(&err);
	assert_int_equal(cfg_envsubst(in, &out, &err), -EINVAL);
	assert_null(out);
	if (!strstr(err.msg, needle))
		fail_msg("'%s': error \"%s\" lacks \"%s\"", in, err.msg, needle);
}

static void test_config__envsubst_rules(void **state)
{
	(void)state;
	setenv("WGP_T_SET", "val", 1);
	setenv("WGP_T_EMPTY", "", 1);
	setenv("1", "one", 1);
	expect_subst("plain text", "plain text");
	expect_subst("$WGP_T_SET", "val");
	expect_subst("${WGP_T_SET}", "val");
	expect_subst("a${WGP_T_SET}b", "avalb");
	expect_subst("$WGP_T_SET.x", "val.x");
	expect_subst("x$WGP_T_UNSET-y", "x-y");          /* unset -> empty, no error */
	expect_subst("${WGP_T_UNSET}", "");
	expect_subst("${WGP_T_UNSET-def}", "def");
	expect_subst("${WGP_T_EMPTY-def}", "");           /* set (to empty) */
	expect_subst("${WGP_T_SET-def}", "val");
	expect_subst("${WGP_T_UNSET:-def}", "def");
	expect_subst("${WGP_T_EMPTY:-def}", "def");
	expect_subst("${WGP_T_SET:-def}", "val");
	expect_subst("${WGP_T_UNSET=def}", "def");
	expect_subst("${WGP_T_EMPTY=def}", "");
	expect_subst("${WGP_T_EMPTY:=def}", "def");
	expect_subst("${WGP_T_SET:=def}", "val");
	assert_null(getenv("WGP_T_UNSET"));               /* '=' assigns nothing */
	expect_subst("${WGP_T_SET+other}", "other");
	expect_subst("${WGP_T_EMPTY+other}", "other");
	expect_subst("${WGP_T_UNSET+other}", "");
	expect_subst("${WGP_T_SET:+other}", "other");
	expect_subst("${WGP_T_EMPTY:+other}", "other");  /* upstream: set is enough */
	expect_subst("${WGP_T_UNSET:+other}", "");
	expect_subst("$$", "$");
	expect_subst("pa$$word", "pa$word");
	expect_subst("$$WGP_T_SET", "$WGP_T_SET");
	expect_subst("$$$WGP_T_SET", "$val");
	expect_subst("cost: 5$ or $ 6 $-", "cost: 5$ or $ 6 $-");
	expect_subst("$_ and $", "$_ and $");
	expect_subst("$1x", "");                          /* names may start with a digit */
	expect_subst("$1", "one");
	expect_subst("${WGP_T_UNSET:-${WGP_T_SET}}", "val");
	expect_subst("${WGP_T_UNSET:-$WGP_T_SET!}", "val!");
	expect_subst("${WGP_T_UNSET:-a b c}", "a b c");
	expect_subst("# comment $WGP_T_SET\nk: '$WGP_T_SET'", "# comment val\nk: 'val'");
	expect_subst("${WGP_T_UNSET:-}", "");
	unsetenv("1");
}

static void test_config__envsubst_unclosed(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	setenv("WGP_T_SET", "val", 1);
	expect_subst_error("a: 1\nb: ${WGP_T_SET\nc: }\n", "line 2: unclosed \"${\"");
	expect_subst_error("${WGP_T_SET:-abc", "line 1: unclosed");
	expect_subst_error("x\ny\nz ${", "line 3: unclosed");
	expect_subst_error("${WGP_T_UNSET:-${WGP_T_SET}", "unclosed");
	expect_subst_error("${}", "bad substitution");
	expect_subst_error("${WGP_T_SET x}", "bad substitution");
	/* The file name is put in front when it comes from a load. */
	assert_int_equal(load(&cfg, "core:\n  admin_user: ${WGP_T_SET\n", &err), -EINVAL);
	assert_string_equal(err.msg, "test.yaml: line 2: unclosed \"${\" (closing brace expected)");
}

static void test_config__envsubst_in_file(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	setenv("WGP_T_USER", "boss@example.com", 1);
	setenv("WGP_T_PORT", "52000", 1);
	/* Substitution happens before YAML: keys, values and quoted strings alike. */
	assert_int_equal(load(&cfg, "core:\n  admin_user: '${WGP_T_USER}'\n"
			      "advanced:\n  start_listen_port: $WGP_T_PORT\n"
			      "web:\n  site_title: \"pa$$word ${WGP_T_MISSING:-x}\"\n", &err), 0);
	assert_string_equal(cfg.core.admin_user, "boss@example.com");
	assert_int_equal(cfg.advanced.start_listen_port, 52000);
	assert_string_equal(cfg.web.site_title, "pa$word x");
	cfg_release(&cfg);
}

static void test_config__env_defaults(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	setenv("WG_PORTAL_ADVANCED_START_LISTEN_PORT", "51900", 1);
	setenv("WG_PORTAL_CORE_EDITABLE_KEYS", "F", 1);
	setenv("WG_PORTAL_CORE_SELF_PROVISIONING_ALLOWED", "1", 1);
	setenv("WG_PORTAL_BACKEND_IGNORED_LOCAL_INTERFACES", " wg0, ,wg1 ,", 1);
	setenv("WG_PORTAL_BACKEND_LOCAL_RESOLVCONF_PREFIX", "", 1);   /* strings verbatim */
	setenv("WG_PORTAL_STATISTICS_DATA_COLLECTION_INTERVAL", "30s", 1);
	setenv("WG_PORTAL_WEB_EXTERNAL_URL", "https://vpn.example.com/", 1);
	setenv("WG_PORTAL_AUTH_WEBAUTHN_ENABLED", "false", 1);
	setenv("WG_PORTAL_DATABASE_DSN", "/var/lib/x.db", 1);
	assert_int_equal(load(&cfg, "", &err), 0);
	assert_int_equal(cfg.advanced.start_listen_port, 51900);
	assert_false(cfg.core.editable_keys);
	assert_true(cfg.core.self_provisioning_allowed);
	assert_int_equal(cfg.backend.ignored_local_interfaces.n, 2);
	assert_string_equal(cfg.backend.ignored_local_interfaces.v[0], "wg0");
	assert_string_equal(cfg.backend.ignored_local_interfaces.v[1], "wg1");
	assert_string_equal(cfg.backend.local_resolvconf_prefix, "");
	assert_int_equal(cfg.statistics.data_collection_interval_ms, 30000);
	assert_string_equal(cfg.web.external_url, "https://vpn.example.com");   /* post-processed */
	assert_false(cfg.auth.webauthn_enabled);
	assert_string_equal(cfg.database.dsn, "/var/lib/x.db");
	assert_int_equal(cfg.warnings.n, 0);
	/* Env-set keys this build does not implement are reported like file keys. */
	assert_true(strv_contains(&cfg.unsupported, "backend.local_resolvconf_prefix"));
	assert_false(strv_contains(&cfg.unsupported, "auth.webauthn.enabled"));
	assert_false(strv_contains(&cfg.unsupported, "advanced.start_listen_port"));
	cfg_release(&cfg);
}

static void test_config__env_precedence(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	setenv("WG_PORTAL_ADVANCED_START_LISTEN_PORT", "51900", 1);
	setenv("WG_PORTAL_WEB_SITE_TITLE", "from env", 1);
	assert_int_equal(load(&cfg, "advanced:\n  start_listen_port: 52000\n", &err), 0);
	assert_int_equal(cfg.advanced.start_listen_port, 52000);   /* file wins */
	assert_string_equal(cfg.web.site_title, "from env");       /* absent from file: env */
	cfg_release(&cfg);
}

static void test_config__env_bad_values_warn(void **state)
{
	struct cfg cfg;
	struct err err;
	char *all;

	(void)state;
	setenv("WG_PORTAL_DATABASE_DEBUG", "s3cr3t-maybe", 1);
	setenv("WG_PORTAL_MAIL_PORT", "25x", 1);
	setenv("WG_PORTAL_WEBHOOK_TIMEOUT", "1d", 1);
	setenv("WG_PORTAL_CORE_IMPORT_EXISTING", "yes", 1);   /* a YAML word, not a Go bool */
	assert_int_equal(load(&cfg, "", &err), 0);
	assert_false(cfg.database.debug);
	assert_int_equal(cfg.mail.port, 25);
	assert_int_equal(cfg.webhook.timeout_ms, 10000);
	assert_true(cfg.core.import_existing);
	assert_int_equal(cfg.warnings.n, 4);
	all = strv_join(&cfg.warnings, "\n");
	assert_non_null(strstr(all, "WG_PORTAL_DATABASE_DEBUG"));
	assert_non_null(strstr(all, "WG_PORTAL_MAIL_PORT"));
	assert_non_null(strstr(all, "WG_PORTAL_WEBHOOK_TIMEOUT"));
	assert_null(strstr(all, "s3cr3t"));   /* values never echoed */
	/* Bad values are not "present" keys. */
	assert_false(strv_contains(&cfg.unsupported, "mail.port"));
	free(all);
	cfg_release(&cfg);
}

static void test_config__env_create_default_peer(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	/* One variable feeds both the deprecated flag and ..._on_login (1.3 special case). */
	setenv("WG_PORTAL_CORE_CREATE_DEFAULT_PEER", "true", 1);
	assert_int_equal(load(&cfg, "", &err), 0);
	assert_true(cfg.core.create_default_peer);
	assert_true(cfg.core.create_default_peer_on_login);
	assert_false(cfg.core.create_default_peer_on_user_creation);
	cfg_release(&cfg);
	/* The file's explicit false for the new key wins over the variable for that key, but the
	 * deprecated flag (still true from the variable) maps onto it afterwards, as upstream. */
	assert_int_equal(load(&cfg, "core:\n  create_default_peer_on_login: false\n", &err), 0);
	assert_true(cfg.core.create_default_peer_on_login);
	cfg_release(&cfg);
}

static void test_config__deprecated_flags(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "core:\n  create_default_peer_on_creation: true\n", &err), 0);
	assert_true(cfg.core.create_default_peer_on_user_creation);
	assert_true(cfg.core.create_default_peer_on_interface_creation);
	assert_false(cfg.core.create_default_peer_on_login);
	cfg_release(&cfg);
}

static void test_config__admin_password(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "core:\n  admin_user: root@example.com\n", &err), 0);
	assert_false(cfg.core.admin_password_set);
	assert_string_equal(cfg.core.admin_password, "");
	cfg_release(&cfg);
	assert_int_equal(load(&cfg, "core:\n  admin_password: a-long-enough-password\n", &err), 0);
	assert_true(cfg.core.admin_password_set);
	assert_string_equal(cfg.core.admin_password, "a-long-enough-password");
	cfg_release(&cfg);
	setenv("WG_PORTAL_CORE_ADMIN_PASSWORD", "from-the-environment", 1);
	assert_int_equal(load(&cfg, "", &err), 0);
	assert_true(cfg.core.admin_password_set);
	assert_string_equal(cfg.core.admin_password, "from-the-environment");
	cfg_release(&cfg);
}

static void test_config__unknown_key(void **state)
{
	(void)state;
	expect_error("core:\n  admin_user: a\n  admin_usr: x\n",
		     "test.yaml: line 3, column 3: unknown key 'admin_usr' in 'core'",
		     "core.admin_usr");
	expect_error("# comment\ncor:\n  admin_user: a\n",
		     "test.yaml: line 2, column 1: unknown top-level key 'cor'", NULL);
	expect_error("backend:\n  mikrotik:\n    - id: a\n      api_urll: x\n",
		     "test.yaml: line 4, column 7: unknown key 'api_urll' in 'backend.mikrotik[0]'",
		     "backend.mikrotik[0].api_urll");
	/* concurrency is a mikrotik/pfsense key; opnsense has none (1.6.4). */
	expect_error("backend:\n  opnsense:\n    - id: a\n      concurrency: 3\n",
		     "line 4, column 7: unknown key 'concurrency' in 'backend.opnsense[0]'", NULL);
	expect_error("auth:\n  oidc:\n    - provider_name: a\n    - provider_name: b\n"
		     "      field_map:\n        emial: mail\n",
		     "line 6, column 9: unknown key 'emial' in 'auth.oidc[1].field_map'", NULL);
	expect_error("web:\n  key_File: x\n", "unknown key 'key_File' in 'web'", NULL);
	expect_error("auth:\n  webauthn:\n    enable: true\n",
		     "line 3, column 5: unknown key 'enable' in 'auth.webauthn'", NULL);
}

static void test_config__ignored_sample_keys(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	/* Upstream's sample puts id: in auth providers; it has no effect there, so no error. */
	assert_int_equal(load(&cfg, "auth:\n  ldap:\n    - id: x\n      provider_name: corp\n"
			      "      interface_filter:\n        wg0: (memberOf=vpn)\n", &err), 0);
	assert_int_equal(cfg.auth.n_ldap, 1);
	assert_string_equal(cfg.auth.ldap[0].provider_name, "corp");
	assert_string_equal(cfg.auth.ldap[0].field_map.user_identifier, "mail");
	assert_int_equal(cfg.auth.ldap[0].interface_filter_ids.n, 1);
	assert_string_equal(cfg.auth.ldap[0].interface_filter_ids.v[0], "wg0");
	assert_string_equal(cfg.auth.ldap[0].interface_filter_filters.v[0], "(memberOf=vpn)");
	assert_false(strv_contains(&cfg.unsupported, "auth.ldap"));
	cfg_release(&cfg);
}

static void test_config__yaml_structure_errors(void **state)
{
	(void)state;
	expect_error("core:\n  admin_user: [a,\n", "test.yaml: line 3, column 1:", NULL);
	expect_error("core:\n  admin_user: a\n  admin_user: b\n",
		     "line 3, column 3: duplicate key 'admin_user' (first at line 2)", NULL);
	expect_error("backend:\n  mikrotik:\n    - just-a-string\n",
		     "line 3, column 7: 'backend.mikrotik[0]' must be a mapping", NULL);
	expect_error("backend:\n  mikrotik: x\n", "'backend.mikrotik' must be a list", NULL);
	/* An alias bomb (each level merges the previous one ten times, 10^6 mappings in all) is
	 * cut off by the node budget instead of being walked for ever. */
	char bomb[2048] = "core:\n  <<:\n    - &m0 {editable_keys: true}\n";
	for (int level = 1; level <= 6; level++) {
		size_t n = strlen(bomb);
		n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "    - &m%d {<<: [", level);
		for (int i = 0; i < 10; i++)
			n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "%s*m%d", i ? ", " : "",
					      level - 1);
		snprintf(bomb + n, sizeof(bomb) - n, "]}\n");
	}
	expect_error(bomb, "document too large", NULL);
}

static void test_config__merge_keys(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "backend:\n  mikrotik:\n"
			      "    - &base\n      id: r1\n      api_url: https://r1/rest\n"
			      "      api_timeout: 5s\n"
			      "    - <<: *base\n      id: r2\n", &err), 0);
	assert_int_equal(cfg.backend.n_entries, 2);
	assert_string_equal(cfg.backend.entries[1].id, "r2");   /* explicit wins */
	assert_string_equal(cfg.backend.entries[1].api_url, "https://r1/rest");
	assert_int_equal(cfg.backend.entries[1].api_timeout_ms, 5000);
	cfg_release(&cfg);
}

static void test_config__postprocess(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "web:\n  external_url: https://vpn.example.com//\n"
			      "  base_path: ' wg/ '\n", &err), 0);
	assert_string_equal(cfg.web.external_url, "https://vpn.example.com");
	assert_string_equal(cfg.web.base_path, "/wg");
	cfg_release(&cfg);
	assert_int_equal(load(&cfg, "web:\n  base_path: /a/b/\n", &err), 0);
	assert_string_equal(cfg.web.base_path, "/a/b");
	cfg_release(&cfg);
	assert_int_equal(load(&cfg, "web:\n  base_path: /\n", &err), 0);
	assert_string_equal(cfg.web.base_path, "");
	cfg_release(&cfg);
}

static void test_config__database_type(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	assert_int_equal(load(&cfg, "database:\n  type: sqlite\n  dsn: /tmp/x.db\n", &err), 0);
	assert_string_equal(cfg.database.dsn, "/tmp/x.db");
	cfg_release(&cfg);
	assert_int_equal(load(&cfg, "database:\n  type: postgres\n  dsn: host=db dbname=wg\n", &err),
			 0);
	assert_string_equal(cfg.database.type, "postgres");
	cfg_release(&cfg);
	assert_int_equal(load(&cfg, "database:\n  type: mysql\n  dsn: u:p@tcp(db:3306)/wg\n", &err),
			 0);
	cfg_release(&cfg);
	expect_error("database:\n  type: mssql\n",
		     "line 2: database.type: database.type 'mssql' (Microsoft SQL Server) is not "
		     "supported; supported types: sqlite, postgres, mysql", "database.type");
	expect_error("database:\n  type: oracle\n",
		     "unknown database.type 'oracle'; supported types: sqlite, postgres, mysql",
		     "database.type");
}

static void test_config__backend_validation(void **state)
{
	struct cfg cfg;
	struct err err;

	(void)state;
	expect_error("backend:\n  mikrotik:\n    - api_url: https://r/rest\n",
		     "test.yaml: line 3: backend.mikrotik[0].id: backend ID is required",
		     "backend.mikrotik[0].id");
	expect_error("backend:\n  pfsense:\n    - id: local\n      api_url: https://p\n",
		     "backend.pfsense[0].id: backend ID \"local\" is a reserved keyword",
		     "backend.pfsense[0].id");
	/* Unique across all three lists; the message names the second entry and its line. */
	expect_error("backend:\n  mikrotik:\n    - id: fw\n      api_url: https://r/rest\n"
		     "  pfsense:\n    - id: ok\n      api_url: https://p\n"
		     "    - id: fw\n      api_url: https://q\n",
		     "test.yaml: line 8: backend.pfsense[1].id: backend ID \"fw\" is not unique",
		     "backend.pfsense[1].id");
	expect_error("backend:\n  default: nowhere\n",
		     "test.yaml: line 2: backend.default: backend \"nowhere\" is not configured",
		     "backend.default");
	expect_error("backend:\n  mikrotik:\n    - id: r\n",
		     "backend.mikrotik[0].api_url: api_url is required",
		     "backend.mikrotik[0].api_url");
	expect_error("backend:\n  mikrotik:\n    - id: r\n      api_url: https://r/api\n",
		     "backend.mikrotik[0].api_url: the RouterOS REST base URL must end in /rest",
		     "backend.mikrotik[0].api_url");
	expect_error("backend:\n  pfsense:\n    - id: p\n", "backend.pfsense[0].api_url: api_url "
		     "is required", "backend.pfsense[0].api_url");
	expect_error("backend:\n  opnsense:\n    - id: o\n      api_url: https://o\n"
		     "      api_secret: s\n", "backend.opnsense[0].api_key: api_key is required",
		     "backend.opnsense[0].api_key");
	expect_error("backend:\n  opnsense:\n    - id: o\n      api_url: https://o\n"
		     "      api_key: k\n", "backend.opnsense[0].api_secret: api_secret is required",
		     "backend.opnsense[0].api_secret");
	expect_error("backend:\n  opnsense:\n    - id: o\n      api_key: k\n      api_secret: s\n",
		     "backend.opnsense[0].api_url: api_url is required", NULL);
	expect_error("backend:\n  mikrotik:\n    - id: r\n      api_url: https://r/rest\n"
		     "      concurrency: 100000\n", "backend.mikrotik[0].concurrency", NULL);

	/* Completion: empty display name, non-positive timeout and concurrency, empty default. */
	assert_int_equal(load(&cfg, "backend:\n  default: ''\n  mikrotik:\n    - id: r1\n"
			      "      display_name: ''\n      api_url: https://r/rest/\n"
			      "      api_timeout: 0s\n      concurrency: 0\n"
			      "  pfsense:\n    - id: p1\n      api_url: https://p.example/api/v2/\n"
			      "      api_timeout: -3s\n      concurrency: -2\n", &err), 0);
	assert_string_equal(cfg.backend.default_id, "local");
	assert_int_equal(cfg.backend.n_entries, 2);
	assert_string_equal(cfg.backend.entries[0].display_name, "r1");
	assert_string_equal(cfg.backend.entries[0].api_url, "https://r/rest");
	assert_int_equal(cfg.backend.entries[0].api_timeout_ms, 30000);
	assert_int_equal(cfg.backend.entries[0].concurrency, 5);
	assert_int_equal(cfg.backend.entries[1].type, CFG_BACKEND_PFSENSE);
	assert_string_equal(cfg.backend.entries[1].api_url, "https://p.example");
	assert_int_equal(cfg.backend.entries[1].api_timeout_ms, 30000);
	assert_int_equal(cfg.backend.entries[1].concurrency, 5);
	assert_int_equal(cfg.warnings.n, 1);
	assert_non_null(strstr(cfg.warnings.v[0], "backend.pfsense[0].api_url"));
	assert_non_null(strstr(cfg.warnings.v[0], "/api/v2"));
	assert_ptr_equal(cfg_backend_find(&cfg, "p1"), &cfg.backend.entries[1]);
	assert_null(cfg_backend_find(&cfg, "local"));
	assert_null(cfg_backend_find(&cfg, "P1"));
	cfg_release(&cfg);
}

static void test_config__backends_mikrotik_example(void **state)
{
	struct cfg cfg;
	struct err err;
	const struct cfg_backend *be;

	(void)state;
	err_clear(&err);
	assert_int_equal(cfg_load(&cfg, "tests/data/config/backends-mikrotik.yaml", &err), 0);
	assert_string_equal(cfg.path, "tests/data/config/backends-mikrotik.yaml");
	assert_string_equal(cfg.backend.default_id, "mikrotik-prod");
	assert_int_equal(cfg.backend.n_entries, 1);
	be = cfg_backend_find(&cfg, "mikrotik-prod");
	assert_non_null(be);
	assert_int_equal(be->type, CFG_BACKEND_MIKROTIK);
	assert_string_equal(be->display_name, "RouterOS RB5009");
	assert_string_equal(be->api_url, "https://10.10.10.10/rest");
	assert_string_equal(be->api_user, "wgportal");
	assert_string_equal(be->api_password, "a-super-secret-password");
	assert_true(be->api_verify_tls);
	assert_int_equal(be->api_timeout_ms, 30000);
	assert_int_equal(be->concurrency, 5);
	assert_false(be->debug);
	assert_int_equal(be->line, 6);
	assert_int_equal(cfg.unsupported.n, 0);
	assert_int_equal(cfg.warnings.n, 0);
	cfg_release(&cfg);
}

static void test_config__backends_pfsense_example(void **state)
{
	struct cfg cfg;
	struct err err;
	const struct cfg_backend *be;

	(void)state;
	err_clear(&err);
	assert_int_equal(cfg_load(&cfg, "tests/data/config/backends-pfsense.yaml", &err), 0);
	assert_string_equal(cfg.backend.default_id, "pfsense1");
	be = cfg_backend_find(&cfg, "pfsense1");
	assert_non_null(be);
	assert_int_equal(be->type, CFG_BACKEND_PFSENSE);
	assert_string_equal(be->display_name, "Main pfSense");
	assert_string_equal(be->api_url, "https://pfsense.example.com");
	assert_string_equal(be->api_key, "your-api-key");
	assert_true(be->api_verify_tls);
	assert_int_equal(be->api_timeout_ms, 30000);
	assert_int_equal(cfg.warnings.n, 0);
	cfg_release(&cfg);
}

static void test_config__full_tree(void **state)
{
	static const char *const unsupported[] = {
		"backend.local_resolvconf_prefix",
	};
	/* acted on (issue 13), or accepted on purpose because wg-portal ignores them too */
	static const char *const implemented[] = {
		"advanced.config_storage_path", "advanced.expiry_check_interval",
		"web.frontend_filepath", "database.slow_query_threshold", "database.debug",
		"advanced.log_pretty", "web.session_secret", "web.csrf_secret",
		"core.create_default_peer_on_login", "core.create_default_peer_on_user_creation",
		"core.admin_user", "core.admin_password", "advanced.log_level",
		"auth.min_password_length", "auth.oidc", "auth.oauth", "auth.ldap",
		"auth.webauthn.enabled", "auth.hide_login_form",
		"advanced.start_listen_port", "backend.default", "backend.mikrotik",
		"backend.rekey_timeout_interval", "database.type", "database.dsn",
		"database.debug", "database.slow_query_threshold",
		"statistics.data_collection_interval", "statistics.collect_peer_data",
		"statistics.listening_address", "statistics.use_ping_checks",
		"statistics.ping_check_interval",
		"web.listening_address", "web.external_url", "web.cert_file", "web.session_identifier",
		"mail.host", "mail.password", "mail.templates_path", "webhook.url", "webhook.timeout",
	};
	struct cfg cfg;
	struct err err;

	(void)state;
	err_clear(&err);
	if (cfg_load(&cfg, "tests/data/config/full-tree.yaml", &err) != 0)
		fail_msg("full tree: %s", err.msg);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (!strv_contains(&cfg.unsupported, unsupported[i]))
			fail_msg("'%s' missing from cfg->unsupported", unsupported[i]);
	for (size_t i = 0; i < sizeof(implemented) / sizeof(implemented[0]); i++)
		if (strv_contains(&cfg.unsupported, implemented[i]))
			fail_msg("'%s' listed as unsupported", implemented[i]);
	/* Each key once, however often it is seen. */
	for (size_t i = 0; i < cfg.unsupported.n; i++)
		for (size_t j = i + 1; j < cfg.unsupported.n; j++)
			assert_string_not_equal(cfg.unsupported.v[i], cfg.unsupported.v[j]);
	assert_true(cfg.core.admin_password_set);
	assert_string_equal(cfg.core.admin_password, "wgportal-default");
	assert_string_equal(cfg.web.listening_address, ":8888");   /* the file's value */
	assert_string_equal(cfg.statistics.listening_address, ":8787");
	assert_int_equal(cfg.database.slow_query_threshold_ms, 0);
	assert_int_equal(cfg.backend.n_entries, 3);
	assert_int_equal(cfg.backend.entries[0].type, CFG_BACKEND_MIKROTIK);
	assert_int_equal(cfg.backend.entries[1].type, CFG_BACKEND_PFSENSE);
	assert_int_equal(cfg.backend.entries[2].type, CFG_BACKEND_OPNSENSE);
	assert_string_equal(cfg.backend.entries[2].id, "op1");
	assert_string_equal(cfg.backend.entries[2].display_name, "op1");
	assert_string_equal(cfg.backend.entries[2].api_secret, "<none>");
	assert_string_equal(cfg.backend.entries[1].api_url, "<none>");
	assert_string_equal(cfg.backend.entries[0].api_user, "<none>");
	assert_int_equal(cfg.auth.n_oidc, 1);
	assert_int_equal(cfg.auth.n_oauth, 1);
	assert_int_equal(cfg.auth.n_ldap, 1);
	assert_string_equal(cfg.auth.oidc[0].field_map.is_admin, "admin_flag");
	assert_string_equal(cfg.auth.oidc[0].admin_value_regex, "^true$");
	assert_true(cfg.auth.oidc[0].logout_idp_session);
	assert_string_equal(cfg.auth.oidc[0].display_name, "<none>");   /* from provider_name */
	assert_string_equal(cfg.auth.oauth[0].field_map.firstname, "given_name");   /* {} */
	assert_string_equal(cfg.auth.oauth[0].pkce_method, "S256");
	assert_string_equal(cfg.auth.ldap[0].field_map.memberof, "memberOf");
	assert_string_equal(cfg.auth.ldap[0].field_map.phone, "telephoneNumber");
	assert_int_equal(cfg.auth.ldap[0].interface_filter_ids.n, 0);
	assert_string_equal(cfg.mail.from, "Wireguard Portal <noreply@wireguard.local>");
	assert_int_equal(cfg.webhook.timeout_ms, 10000);
	assert_int_equal(cfg.warnings.n, 0);
	cfg_release(&cfg);
}

/* Runs fn inside a fresh directory, so the default config/config.yaml lookup is controlled. */
static char *enter_tmpdir(char *old, size_t size)
{
	char *dir = test_tmpdir();

	assert_non_null(dir);
	assert_non_null(getcwd(old, size));
	assert_int_equal(chdir(dir), 0);
	return dir;
}

static void leave_tmpdir(char *dir, const char *old)
{
	assert_int_equal(chdir(old), 0);
	test_tmpdir_remove(dir);
	free(dir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_config__file_selection(void **state)
{
	char old[4096], *dir, path[4200];
	struct cfg cfg;
	struct err err;

	(void)state;
	dir = enter_tmpdir(old, sizeof(old));

	/* No file anywhere: defaults, no error, no path. */
	err_clear(&err);
	assert_int_equal(cfg_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.path, "");
	assert_string_equal(cfg.web.listening_address, "127.0.0.1:8888");
	cfg_release(&cfg);

	/* A missing explicit file is an error. */
	assert_int_equal(cfg_load(&cfg, "nope.yaml", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nope.yaml"));

	/* config/config.yml is the fallback of config/config.yaml. */
	assert_int_equal(mkdir("config", 0700), 0);
	write_file("config/config.yml", "web:\n  site_title: yml\n");
	assert_int_equal(cfg_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.path, "config/config.yml");
	assert_string_equal(cfg.web.site_title, "yml");
	cfg_release(&cfg);
	write_file("config/config.yaml", "web:\n  site_title: yaml\n");
	assert_int_equal(cfg_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.path, "config/config.yaml");
	assert_string_equal(cfg.web.site_title, "yaml");
	cfg_release(&cfg);

	/* WG_PORTAL_CONFIG replaces the default names; a missing one falls back to defaults. */
	snprintf(path, sizeof(path), "%s/other.yaml", dir);
	write_file(path, "web:\n  site_title: other\n");
	setenv("WG_PORTAL_CONFIG", path, 1);
	assert_int_equal(cfg_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.web.site_title, "other");
	cfg_release(&cfg);
	setenv("WG_PORTAL_CONFIG", "missing.yaml", 1);
	assert_int_equal(cfg_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.path, "");
	assert_string_equal(cfg.web.site_title, "WireGuard Portal");
	assert_int_equal(cfg.warnings.n, 1);
	cfg_release(&cfg);
	/* An explicit path wins over the variable. */
	assert_int_equal(cfg_load(&cfg, "config/config.yml", &err), 0);
	assert_string_equal(cfg.web.site_title, "yml");
	cfg_release(&cfg);

	/* Errors in a file carry its name. */
	write_file("bad.yaml", "core:\n  nope: 1\n");
	assert_int_equal(cfg_load(&cfg, "bad.yaml", &err), -EINVAL);
	assert_string_equal(err.msg, "bad.yaml: line 2, column 3: unknown key 'nope' in 'core'");

	leave_tmpdir(dir, old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_config__duration_units),
		T(test_config__duration_invalid),
		T(test_config__duration_yaml),
		T(test_config__bools),
		T(test_config__cluster_node_name),
		T(test_config__ints),
		T(test_config__strings_and_lists),
		T(test_config__null_keeps_default),
		T(test_config__defaults),
		T(test_config__envsubst_rules),
		T(test_config__envsubst_unclosed),
		T(test_config__envsubst_in_file),
		T(test_config__env_defaults),
		T(test_config__env_precedence),
		T(test_config__env_bad_values_warn),
		T(test_config__env_create_default_peer),
		T(test_config__deprecated_flags),
		T(test_config__admin_password),
		T(test_config__unknown_key),
		T(test_config__ignored_sample_keys),
		T(test_config__yaml_structure_errors),
		T(test_config__merge_keys),
		T(test_config__postprocess),
		T(test_config__database_type),
		T(test_config__backend_validation),
		T(test_config__backends_mikrotik_example),
		T(test_config__backends_pfsense_example),
		T(test_config__full_tree),
		T(test_config__file_selection),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
