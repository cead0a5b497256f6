/* SPDX-License-Identifier: MIT */
/*
 * The node's place among the nodes sharing a database (cluster.h, docs/cluster.md): start-up
 * (coordination session and start-up lock, registration, the one-process lock of SQLite), the
 * predicates the rest of the daemon asks (leader, who serves what, the fence before remote
 * writes) and the view of GET /api/v1/cluster. The moving parts, heartbeat and election
 * (coordinator.c) and applying other nodes' changes (apply.c), run in threads of their own.
 */
#include "cluster/cluster-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/http/http.h"
#include "config/config.h"
#include "core/app.h"
#include "model/iface.h"
#include "store/db.h"
#include "util/err.h"
#include "util/log.h"
#include "version.h"

struct cluster_state cluster_g = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.sqlite_fd = -1,
};

int64_t cluster_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t cluster_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct store_config store_cfg(const struct cfg *c)
{
	struct store_config sc = {
		.type = c->database.type,
		.dsn = c->database.dsn,
		.debug = c->database.debug,
		.slow_query_ms = c->database.slow_query_threshold_ms,
	};
	return sc;
}

/* ---- the fence --------------------------------------------------------------------------- */

/* Calls that only read, or probe, a device: RouterOS runs ping as POST /tool/ping and reads
 * with a query as POST <menu>/print. */
static bool is_probe(const char *method, const char *path)
{
	size_t n = strcspn(path, "?");

	if (!strcmp(method, "GET"))
		return true;
	return !strcmp(method, "POST") && (!strncmp(path, "/tool/ping", 10) ||
					   (n >= 6 && !strncmp(path + n - 6, "/print", 6)));
}

/* The write gate of the device HTTP client (backends/http/http.h): before every call. */
static int write_gate(const char *log_id, const char *method, const char *path, struct err *err)
{
	int r;

	if (is_probe(method, path))
		return 0;
	r = cluster_fence(err);
	if (r < 0)
		err_prefix(err, "backend '%s'", log_id ? log_id : "");
	return r;
}

int cluster_fence(struct err *err)
{
	int64_t now = cluster_mono_ns();
	bool lead, grace, lease;

	if (!cluster_g.enabled)
		return 0;
	pthread_mutex_lock(&cluster_g.mu);
	lead = cluster_g.leader;
	grace = now < cluster_g.active_from_ns;
	lease = now < cluster_g.lease_until_ns;
	pthread_mutex_unlock(&cluster_g.mu);
	if (lead && !grace && lease)
		return 0;
	return err_set(err, -ESTALE, "node '%s' %s: no device writes", cluster_g.self.name,
		       !lead ? "is not the leader"
		       : grace ? "has just become the leader (waiting out the previous leader)"
			       : "lost its database session (lease expired)");
}

/* ---- leader-only jobs ---------------------------------------------------------------------- */

int cluster_leader_job(struct app *app, const char *name, int (*start)(struct app *app),
		       void (*stop)(void), void (*kick)(void))
{
	if (cluster_g.n_jobs == CLUSTER_JOBS_MAX)
		return -ENOSPC;
	cluster_g.jobs[cluster_g.n_jobs++] = (struct cluster_job){ name, start, stop, kick, false };
	if (cluster_g.enabled)
		return 0; /* the leader's, once there is one (apply.c) */
	cluster_g.jobs[cluster_g.n_jobs - 1].running = true;
	return start(app);
}

void cluster_jobs_run(struct app *app, bool leading)
{
	for (size_t i = 0; i < cluster_g.n_jobs; i++) {
		struct cluster_job *j = &cluster_g.jobs[i];

		if (leading && !j->running) {
			if (j->start(app) < 0)
				log_err("cluster: cannot start %s", j->name);
			else
				log_info("cluster: %s runs on this node (the leader)", j->name);
			j->running = true;
		} else if (!leading && j->running) {
			j->stop();
			j->running = false;
			log_info("cluster: %s stopped (this node no longer leads)", j->name);
		}
	}
}

void cluster_jobs_kick(void)
{
	for (size_t i = 0; i < cluster_g.n_jobs; i++)
		if (cluster_g.jobs[i].running && cluster_g.jobs[i].kick)
			cluster_g.jobs[i].kick();
}

/* ---- predicates --------------------------------------------------------------------------- */

bool cluster_enabled(void)
{
	return cluster_g.enabled;
}

const char *cluster_node_name(void)
{
	return cluster_g.self.name;
}

bool cluster_is_leader(void)
{
	return cluster_fence(NULL) == 0;
}

/* The host this node runs on (not a device reached over the network). */
static bool is_local(const struct backend *be)
{
	return be && !be->ops->remote;
}

bool cluster_serves(const struct backend *be, const char *node)
{
	if (!cluster_g.enabled)
		return true;
	if (is_local(be) && node && *node)
		return !strcmp(node, cluster_g.self.name);
	return cluster_is_leader();
}

bool cluster_serves_iface(const struct iface *ifc)
{
	return cluster_serves(backend_find(ifc->backend), ifc->node);
}

bool cluster_serves_backend(const struct backend *be)
{
	return !cluster_g.enabled || is_local(be) || cluster_is_leader();
}

void cluster_served_by(const struct backend *be, const char *node, char out[static 64])
{
	if (!cluster_g.enabled) {
		snprintf(out, 64, "%s", cluster_g.self.name);
		return;
	}
	if (is_local(be) && node && *node) {
		snprintf(out, 64, "%s", node);
		return;
	}
	pthread_mutex_lock(&cluster_g.mu);
	snprintf(out, 64, "%s", cluster_g.leader_name);
	pthread_mutex_unlock(&cluster_g.mu);
}

const char *cluster_new_iface_node(const struct backend *be)
{
	return cluster_g.enabled && is_local(be) ? cluster_g.self.name : NULL;
}

int cluster_check_node(const struct backend *be, const char *node, struct err *err)
{
	bool known = false;

	if (!node || !*node)
		return 0;
	if (!is_local(be))
		return err_field(err, -EINVAL, "Node", "only local interfaces belong to a node; "
				 "remote backends are served by the leader");
	if (!strcmp(node, cluster_g.self.name))
		return 0;
	pthread_mutex_lock(&cluster_g.mu);
	for (size_t i = 0; cluster_g.enabled && i < cluster_g.n_nodes; i++)
		known = known || !strcmp(cluster_g.nodes[i].name, node);
	pthread_mutex_unlock(&cluster_g.mu);
	if (!known)
		return err_field(err, -EINVAL, "Node", "no node '%.63s' %s", node,
				 cluster_g.enabled ? "has joined this database" : "(one node: this "
				 "one)");
	return 0;
}

int64_t cluster_last_change_ms(void)
{
	int64_t v;

	pthread_mutex_lock(&cluster_g.mu);
	v = cluster_g.last_change_ms;
	pthread_mutex_unlock(&cluster_g.mu);
	return v;
}

/* ---- start-up ----------------------------------------------------------------------------- */

static void self_init(const struct cfg *c)
{
	struct store_node *s = &cluster_g.self;
	unsigned char rnd[8];
	FILE *f;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", c->cluster.node_name ? c->cluster.node_name : "");
	s->pid = getpid();
	snprintf(s->version, sizeof(s->version), "%s", WGPORTAL_VERSION);
	snprintf(s->address, sizeof(s->address), "%s",
		 c->web.listening_address ? c->web.listening_address : "");
	memset(rnd, 0, sizeof(rnd));
	f = fopen("/dev/urandom", "rb");
	if (f) {
		if (fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		fclose(f);
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->instance + 2 * i, 3, "%02x", rnd[i]);
	snprintf(s->instance + 16, sizeof(s->instance) - 16, "-%lld", (long long)s->pid);
	s->started_at_ms = s->heartbeat_at_ms = cluster_wall_ms();
}

int cluster_open(struct app *app, struct err *err)
{
	struct store_config sc = store_cfg(app->cfg);
	enum db_engine e = DB_SQLITE;
	int r;

	cluster_g.app = app;
	self_init(app->cfg);
	if (db_engine_parse(app->cfg->database.type, &e, NULL) < 0 || e != DB_POSTGRES)
		return 0;
	r = store_coord_open(&sc, cluster_g.self.name, CLUSTER_COORD_TIMEOUT_MS, &cluster_g.co,
			     err);
	if (r < 0)
		return err_prefix(err, "coordination session");
	r = store_coord_startup_lock(cluster_g.co, CLUSTER_STARTUP_WAIT_MS, err);
	if (r < 0) {
		cluster_g.co = (store_coord_close(cluster_g.co), NULL);
		return err_prefix(err, "start-up lock");
	}
	cluster_g.startup_locked = true;
	cluster_g.enabled = true;
	http_set_write_gate(write_gate);
	return 0;
}

/* The process holding a flock() on dev:ino, from /proc/locks; 0 when not found. */
static long flock_holder(dev_t dev, ino_t ino)
{
	char line[256];
	long pid = 0;
	FILE *f = fopen("/proc/locks", "r");

	if (!f)
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long in;
		long p;
		char kind[16];

		if (sscanf(line, "%*[^:]: %15s %*s %*s %ld %x:%x:%llu", kind, &p, &maj, &min, &in) ==
			    5 &&
		    !strcmp(kind, "FLOCK") && in == (unsigned long long)ino &&
		    makedev(maj, min) == dev)
			pid = p;
	}
	fclose(f);
	return pid;
}

/* SQLite serves one process: a second one on the same file is refused (an exclusive flock on
 * the database file itself, so another path to the same file is caught too; SQLite's own
 * locks are fcntl() locks, which flock() does not touch). */
static int sqlite_claim(const char *path, struct err *err)
{
	struct stat st;
	int fd;

	if (!path || !*path || !strcmp(path, ":memory:") || !strncmp(path, "file:", 5))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* the store opened it: nothing to lock here is nothing to protect */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		cluster_g.sqlite_fd = fd;
		return 0;
	}
	if (fstat(fd, &st) == 0) {
		long pid = flock_holder(st.st_dev, st.st_ino);
		close(fd);
		if (pid > 0)
			return err_field(err, -EBUSY, "database.dsn",
					 "the SQLite database '%s' is in use by another wgportal "
					 "(pid %ld); SQLite serves one node: for more nodes use "
					 "PostgreSQL (README, \"More than one node\")", path, pid);
	} else {
		close(fd);
	}
	return err_field(err, -EBUSY, "database.dsn",
			 "the SQLite database '%s' is in use by another wgportal; SQLite serves "
			 "one node: for more nodes use PostgreSQL (README, \"More than one node\")",
			 path);
}

int cluster_join(struct app *app, struct err *err)
{
	enum db_engine e = DB_SQLITE;
	int r;

	if (!cluster_g.enabled) {
		struct store_config sc = store_cfg(app->cfg);

		(void)db_engine_parse(app->cfg->database.type, &e, NULL);
		if (e == DB_MYSQL)
			return store_claim_mysql(&sc, &cluster_g.mysql_claim, err);
		return e == DB_SQLITE ? sqlite_claim(app->cfg->database.dsn, err) : 0;
	}
	r = store_coord_register(cluster_g.co, &cluster_g.self, err);
	if (r < 0)
		return r;
	r = store_changes_enable(app->store, cluster_g.self.name);
	if (r < 0)
		return err_set(err, r, "change notifications: bad node name");
	store_set_op_timeout(app->store, CLUSTER_STORE_TIMEOUT_MS);
	log_info("cluster: node '%s' joined (PostgreSQL); the leader is elected once the API is up",
		 cluster_g.self.name);
	return 0;
}

void cluster_ready(struct app *app)
{
	struct err e;

	(void)app;
	if (!cluster_g.startup_locked)
		return;
	err_clear(&e);
	if (store_coord_startup_unlock(cluster_g.co, &e) < 0)
		log_warn("cluster: releasing the start-up lock: %s (the session's end releases it)",
			 e.msg);
	cluster_g.startup_locked = false;
}

int cluster_start(struct app *app, struct err *err)
{
	if (!cluster_g.enabled)
		return 0;
	if (cluster_apply_init() < 0)
		return err_set(err, -ENOMEM, "out of memory");
	cluster_g.stopping = false;
	if (pthread_create(&cluster_g.apply_thread, NULL, cluster_apply_main, app)) {
		cluster_apply_release();
		return err_set(err, -EAGAIN, "cannot start the cluster threads");
	}
	if (pthread_create(&cluster_g.coord_thread, NULL, cluster_coord_main, app)) {
		cluster_g.stopping = true;
		cluster_apply_wake();
		pthread_join(cluster_g.apply_thread, NULL);
		cluster_apply_release();
		return err_set(err, -EAGAIN, "cannot start the cluster threads");
	}
	cluster_g.threads = true;
	return 0;
}

void cluster_stop(struct app *app)
{
	struct err e;

	(void)app;
	if (cluster_g.threads) {
		cluster_g.stopping = true;
		cluster_apply_wake();
		pthread_join(cluster_g.coord_thread, NULL);
		pthread_join(cluster_g.apply_thread, NULL);
		cluster_apply_release();
		cluster_g.threads = false;
	}
	cluster_jobs_run(app, false);
	cluster_g.n_jobs = 0;
	if (cluster_g.co) {
		err_clear(&e);
		pthread_mutex_lock(&cluster_g.mu);
		cluster_g.leader = false;
		cluster_g.lease_until_ns = 0;
		pthread_mutex_unlock(&cluster_g.mu);
		cluster_g.self.leader_since_ms = 0;
		(void)store_coord_stopped(cluster_g.co, &cluster_g.self, &e);
		store_coord_close(cluster_g.co); /* the server releases the lock with the session */
		cluster_g.co = NULL;
		http_set_write_gate(NULL);
	}
	/* enabled stays set: with the leader flag off the fence stays closed until exit */
	pthread_mutex_lock(&cluster_g.mu);
	free(cluster_g.nodes);
	cluster_g.nodes = NULL;
	cluster_g.n_nodes = 0;
	pthread_mutex_unlock(&cluster_g.mu);
	if (cluster_g.sqlite_fd >= 0) {
		close(cluster_g.sqlite_fd);
		cluster_g.sqlite_fd = -1;
	}
	if (cluster_g.mysql_claim) {
		db_close(cluster_g.mysql_claim);   /* the server releases the lock with it */
		cluster_g.mysql_claim = NULL;
	}
}

/* ---- the API's view ----------------------------------------------------------------------- */

int cluster_view_get(struct cluster_view *ret, struct err *err)
{
	const struct cfg *c = cluster_g.app ? cluster_g.app->cfg : NULL;
	enum db_engine e = DB_SQLITE;

	memset(ret, 0, sizeof(*ret));
	if (c)
		(void)db_engine_parse(c->database.type, &e, NULL);
	snprintf(ret->engine, sizeof(ret->engine), "%s", db_engine_name(e));
	snprintf(ret->node, sizeof(ret->node), "%s", cluster_g.self.name);
	ret->enabled = cluster_g.enabled;
	ret->is_leader = cluster_is_leader();
	pthread_mutex_lock(&cluster_g.mu);
	if (!cluster_g.enabled) {
		ret->database_ok = true;
		snprintf(ret->leader, sizeof(ret->leader), "%s", cluster_g.self.name);
		ret->nodes = calloc(1, sizeof(*ret->nodes));
		if (ret->nodes) {
			ret->nodes[0] = cluster_g.self;
			ret->nodes[0].connected = ret->nodes[0].leader = true;
			ret->n_nodes = 1;
		}
	} else {
		snprintf(ret->leader, sizeof(ret->leader), "%s", cluster_g.leader_name);
		ret->leader_since_ms = cluster_g.leader ? cluster_g.self.leader_since_ms : 0;
		ret->database_ok = cluster_g.db_ok;
		snprintf(ret->database_error, sizeof(ret->database_error), "%.255s", cluster_g.db_error);
		ret->refreshed_age_ms = cluster_g.nodes_read_ns
			? (cluster_mono_ns() - cluster_g.nodes_read_ns) / 1000000 : -1;
		if (cluster_g.n_nodes) {
			ret->nodes = calloc(cluster_g.n_nodes, sizeof(*ret->nodes));
			if (ret->nodes) {
				memcpy(ret->nodes, cluster_g.nodes,
				       cluster_g.n_nodes * sizeof(*ret->nodes));
				ret->n_nodes = cluster_g.n_nodes;
			}
		}
	}
	pthread_mutex_unlock(&cluster_g.mu);
	if (!ret->nodes && (cluster_g.n_nodes || !cluster_g.enabled))
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

void cluster_view_release(struct cluster_view *v)
{
	if (!v)
		return;
	free(v->nodes);
	v->nodes = NULL;
	v->n_nodes = 0;
}

int cluster_forget_node(struct app *app, const char *name, struct err *err)
{
	bool found = false, running = false;

	if (!cluster_g.enabled || !strcmp(name, cluster_g.self.name))
		return err_set(err, cluster_g.enabled ? -EINVAL : -ENOENT, cluster_g.enabled
			       ? "node '%.63s' is this node" : "no node '%.63s' (one node: no registry)",
			       name);
	pthread_mutex_lock(&cluster_g.mu);
	for (size_t i = 0; i < cluster_g.n_nodes; i++) {
		if (!strcmp(cluster_g.nodes[i].name, name)) {
			found = true;
			running = cluster_g.nodes[i].connected;
		}
	}
	pthread_mutex_unlock(&cluster_g.mu);
	if (!found)
		return err_set(err, -ENOENT, "no node '%.63s'", name);
	if (running)
		return err_set(err, -EINVAL, "node '%.63s' is running: only a node that stopped can "
			       "be removed", name);
	return store_node_forget(app->store, name, err);
}
