/* SPDX-License-Identifier: MIT */
/*
 * wgportal: argv, config, start and stop of the parts, signals.
 * Start order follows wg-portal (spec/wg-portal-compat.md 3.10): config -> store -> backends ->
 * bootstrap admin -> import -> restore -> HTTP listener -> background sync. SIGINT, SIGTERM
 * and SIGHUP stop the process.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "cli/migrate.h"
#include "backends/backend.h"
#include "cluster/cluster.h"
#include "config/config.h"
#include "core/core.h"
#include "core/signin.h"
#include "delivery/delivery.h"
#include "store/store.h"
#include "metrics/exporter.h"
#include "monitor/ping.h"
#include "sync/sync.h"
#include "util/err.h"
#include "util/log.h"
#include "version.h"
#include "web/web.h"


static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wgportal [--config PATH] [--web-root DIR]\n"
		"       wgportal [--config PATH] --migrate-from TYPE DSN\n"
		"WireGuard Portal in C: manages WireGuard interfaces, peers and users.\n\n"
		"  -c, --config PATH  config file (default: $WG_PORTAL_CONFIG, else config/config.yaml)\n"
		"      --web-root DIR serve the web UI from DIR instead of the embedded copy\n"
		"      --migrate-from TYPE DSN\n"
		"                     copy a wg-portal v2 database or a wgportal one (TYPE sqlite,\n"
		"                     postgres or mysql) into the configured database, then exit\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this help\n");
}

static void log_config_notes(const struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->warnings.n; i++)
		log_warn("config: %s", cfg->warnings.v[i]);
	for (size_t i = 0; i < cfg->unsupported.n; i++)
		log_warn("config: key '%s' is not supported yet, ignoring", cfg->unsupported.v[i]);
	for (size_t i = 0; i < cfg->backend.n_entries; i++) {
		const struct cfg_backend *b = &cfg->backend.entries[i];
		if (!backend_find(b->id))
			log_warn("config: backend '%s' (%s) is not supported yet by this build: its "
				 "interfaces are shown as unavailable", b->id,
				 cfg_backend_type_name(b->type));
	}
}

/* web.frontend_filepath: the UI from that directory, filled from the embedded copy when empty;
 * NULL (the embedded UI) when the directory cannot be used, as wg-portal falls back. */
static const char *frontend_root(const struct cfg *cfg)
{
	const char *dir = cfg->web.frontend_filepath;
	struct err err;
	bool copied;

	if (!dir || !*dir)
		return NULL;
	err_clear(&err);
	if (web_export_if_empty(dir, &copied, &err) < 0) {
		log_err("web.frontend_filepath '%s': %s; serving the embedded UI", dir, err.msg);
		return NULL;
	}
	if (copied)
		log_info("web.frontend_filepath: copied the embedded UI into '%s'", dir);
	return dir;
}

/* The configured database; errors name the DSN without its password. */
static int open_store(const struct cfg *c, struct store **ret, struct err *err)
{
	struct store_config sc = cli_store_config(c);
	int r;

	sc.progress = cli_log_progress;
	sc.notice = cli_log_notice;
	r = store_open_config(&sc, ret, NULL, err);
	if (r < 0) {
		char *shown = cli_dsn_shown(c->database.type, c->database.dsn);
		log_err("database (%s) '%s': %s", c->database.type, shown ? shown : "", err->msg);
		free(shown);
	}
	return r;
}

/* stdout, once: the only place generated credentials ever appear (they are stored hashed) */
static void print_admin_login(const char *user, const char *pw, const char *token)
{
	printf("\n  wgportal created the administrator (shown only this once):\n"
	       "    user:      %s\n", user);
	if (pw)
		printf("    password:  %s\n", pw);
	if (token)
		printf("    API token: %s   (REST API: curl -u '%s:<token>' ...)\n", token, user);
	printf("  Set core.admin_password / core.admin_api_token in the config to choose your own.\n\n");
	fflush(stdout);
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "web-root", required_argument, NULL, 'W' },
		{ "migrate-from", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *web_root = NULL, *migrate_type = NULL;
	struct cfg cfg;
	struct app app;
	struct err err;
	char *gen_password = NULL, *gen_token = NULL;
	sigset_t sigs;
	int c, sig, rc = 1;

	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'W': web_root = optarg; break;
		case 'M': migrate_type = optarg; break;
		case 'V': printf("wgportal %s\n", WGPORTAL_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (migrate_type && optind + 1 != argc) {
		fprintf(stderr, "wgportal: --migrate-from TYPE DSN: %s\n",
			optind < argc ? "one DSN after the type" : "the DSN is missing");
		return 2;
	}
	if (!migrate_type && optind < argc) {
		fprintf(stderr, "wgportal: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (web_root) {
		struct stat st;
		if (stat(web_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "wgportal: --web-root '%s': not a directory\n", web_root);
			return 2;
		}
	}

	/* block the stop signals before any thread starts so only sigwait() sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&app, 0, sizeof(app));
	memset(&cfg, 0, sizeof(cfg));
	err_clear(&err);
	if (cfg_load(&cfg, config_path, &err) < 0) {
		fprintf(stderr, "wgportal: config: %s\n", err.msg);
		cfg_release(&cfg);
		return 1;
	}
	log_set_level(log_level_parse(cfg.advanced.log_level));
	log_set_json(cfg.advanced.log_json);
	log_set_pretty(cfg.advanced.log_pretty);
	if (migrate_type) {
		rc = cli_migrate_from(&cfg, migrate_type, argv[optind]);
		cfg_release(&cfg);
		return rc;
	}
	log_info("wgportal %s starting (config: %s)", WGPORTAL_VERSION,
		 cfg.path && *cfg.path ? cfg.path : "built-in defaults");
	app.cfg = &cfg;
	app.web_root = web_root ? web_root : frontend_root(&cfg);
	pthread_mutex_init(&app.write_lock, NULL);

	/* more than one node (cluster.h): with PostgreSQL the coordination session, and the
	 * start-up lock until the administrator exists */
	if (cluster_open(&app, &err) < 0) {
		log_err("cluster: %s", err.msg);
		goto out_cluster;
	}
	if (open_store(&cfg, &app.store, &err) < 0)
		goto out_cluster;
	if (cluster_join(&app, &err) < 0) {
		log_err("cluster: %s", err.msg);
		goto out_store;
	}
	if (backends_init(&cfg, &err) < 0) {
		log_err("backends: %s", err.msg);
		goto out_store;
	}
	log_config_notes(&cfg);
	if (delivery_init(&app, &err) < 0) {
		log_err("%s", err.msg);
		goto out_backends;
	}
	for (size_t i = 0; i < backend_count(); i++) {
		struct backend *be = backend_at(i);
		struct backend_status bs;

		backend_status_get(be, &bs);
		log_info("backend '%s' (%s): %s%s%s", be->id, be->ops->type, bs.implementation,
			 bs.reachable ? "" : ", unreachable: ", bs.reachable ? "" : bs.last_error);
	}
	if (core_bootstrap_admin(&app, &gen_password, &gen_token, &err) < 0) {
		log_err("bootstrap admin '%s': %s", cfg.core.admin_user, err.msg);
		goto out_backends;
	}
	cluster_ready(&app);
	if (gen_password || gen_token)
		print_admin_login(cfg.core.admin_user, gen_password, gen_token);
	wipe_free(gen_password);
	wipe_free(gen_token);
	if (signin_start(&app, &err) < 0) {
		log_err("auth: %s", err.msg);
		goto out_backends;
	}
	if (cfg.core.import_existing)
		sync_import_existing(&app, &err);
	if (cfg.core.restore_state && sync_restore_state(&app, &err) < 0)
		log_err("restore: %s", err.msg);

	if (core_background_start(&app, &err) < 0) {
		log_err("background work: %s", err.msg);
		goto out_signin;
	}
	if (api_start(&app, &err) < 0) {
		log_err("web: cannot listen on '%s': %s", cfg.web.listening_address, err.msg);
		goto out_background;
	}
	if (sync_start(&app) < 0)
		log_err("cannot start background workers");
	/* the one place the delivery worker starts: now with one node, on the leader with several
	 * (cluster.h) */
	if (cluster_leader_job(&app, "mail and webhook delivery", delivery_start, delivery_stop,
			       delivery_kick) < 0)
		log_err("cannot start the mail and webhook delivery worker");
	if (monitor_start(&app, &err) < 0)
		log_err("ping checks: %s", err.msg);
	metrics_exporter_start(&app);
	if (cluster_start(&app, &err) < 0)
		log_err("cluster: %s", err.msg);
	log_info("wgportal ready on %s", cfg.web.listening_address);

	do {
		if (sigwait(&sigs, &sig) != 0)
			break;
	} while (0);
	log_info("signal %d: stopping", sig);
	rc = 0;

	api_stop();
	delivery_stop();
	metrics_exporter_stop();
	monitor_stop();
	sync_stop(&app);
out_background:
	core_background_stop(&app);
out_signin:
	signin_stop(&app);
out_backends:
	cluster_stop(&app); /* its threads sync devices; hands the leadership on at once */
	delivery_shutdown();
	backends_shutdown();
out_store:
	store_close(app.store);
out_cluster:
	cluster_stop(&app); /* idempotent */

	pthread_mutex_destroy(&app.write_lock);
	cfg_release(&cfg);
	return rc;
}
