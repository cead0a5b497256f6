/* SPDX-License-Identifier: MIT */
/*
 * The ping checker: one scheduler thread and ping_check_workers worker threads. A round reads
 * its targets in one query, queues them per backend, and the workers take jobs round-robin
 * over the backends whose in-flight count is below their cap (a remote backend's
 * `concurrency`, so one slow router cannot occupy every worker while the others wait, and its
 * HTTP client never queues more than it may send). backend_ping takes no instance lock, so a
 * round never stalls sync or statistics. The scheduler writes the results in one batch under
 * the status lock (the statistics collector does read-modify-write on the same rows), records
 * the round per backend, and logs once when a backend lost its ping capability.
 */
#include "monitor/ping.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/backend.h"
#include "cluster/cluster.h"
#include "config/config.h"
#include "delivery/delivery.h"
#include "core/app.h"
#include "monitor/rounds.h"
#include "store/store.h"
#include "store/store_monitor.h"
#include "util/err.h"
#include "util/log.h"

#define PING_TIMEOUT_MS 2000      /* wg-portal: one packet, 2 s */
#define SLOTS_MAX 64
#define CAP_CACHE_MAX 256

struct job {
	const struct store_ping_target *t;
	size_t slot;
	int r;
};

struct slot {
	struct backend *be;
	size_t *jobs, n, next;
	int in_flight, cap;
	unsigned done, answered, errors;
	double last_done_ms;
	char first_err[256];
};

static struct {
	struct app *app;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	pthread_t sched, *workers;
	int n_workers;
	bool started, sched_started, stopping, round_active;
	struct backend_ping_opts opts;
	/* the round in progress */
	struct store_ping_target *targets;
	size_t n_targets;
	struct job *jobs;
	size_t n_jobs, n_done, rr;
	struct slot slots[SLOTS_MAX];
	size_t n_slots;
	double t0;
	int64_t round_at;
	bool drop_logged[SLOTS_MAX];   /* by backend registry index */
} P = { .mu = PTHREAD_MUTEX_INITIALIZER };

static struct {
	pthread_mutex_t mu;
	struct store *store;
	struct {
		char id[32];
		bool can;
	} v[CAP_CACHE_MAX];
	size_t n;
} caps = { .mu = PTHREAD_MUTEX_INITIALIZER };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void abs_deadline(double at_ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(at_ms / 1e3);
	ts->tv_nsec = (long)((at_ms - (double)ts->tv_sec * 1e3) * 1e6);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* ---- capability cache for the API ------------------------------------------------------ */

static void caps_clear(void)
{
	pthread_mutex_lock(&caps.mu);
	caps.n = 0;
	pthread_mutex_unlock(&caps.mu);
}

bool monitor_iface_can_ping(const char *iface_id)
{
	struct store *st;
	struct iface *ifc = NULL;
	struct backend *be;
	struct err e;
	bool can;

	if (!iface_id)
		return true;
	pthread_mutex_lock(&caps.mu);
	st = caps.store;
	for (size_t i = 0; st && i < caps.n; i++) {
		if (!strcmp(caps.v[i].id, iface_id)) {
			can = caps.v[i].can;
			pthread_mutex_unlock(&caps.mu);
			return can;
		}
	}
	pthread_mutex_unlock(&caps.mu);
	if (!st)
		return true;
	/* the store is asked without holding our mutex (a caller may hold the store lock) */
	err_clear(&e);
	if (store_iface_get(st, iface_id, &ifc, &e) < 0)
		return true;
	be = backend_find(ifc->backend);
	can = be && backend_has_cap(be, BACKEND_CAP_PING);
	iface_free(ifc);
	pthread_mutex_lock(&caps.mu);
	if (caps.n < CAP_CACHE_MAX && strlen(iface_id) < sizeof(caps.v[0].id)) {
		snprintf(caps.v[caps.n].id, sizeof(caps.v[0].id), "%s", iface_id);
		caps.v[caps.n++].can = can;
	}
	pthread_mutex_unlock(&caps.mu);
	return can;
}

/* ---- workers ---------------------------------------------------------------------------- */

/* With P.mu held: the next job whose backend is below its cap, round-robin over backends. */
static struct job *take_job(void)
{
	for (size_t k = 0; k < P.n_slots; k++) {
		size_t i = (P.rr + k) % P.n_slots;
		struct slot *s = &P.slots[i];

		if (s->next < s->n && s->in_flight < s->cap) {
			P.rr = (i + 1) % P.n_slots;
			s->in_flight++;
			return &P.jobs[s->jobs[s->next++]];
		}
	}
	return NULL;
}

static void *worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&P.mu);
	for (;;) {
		struct job *j = NULL;
		struct slot *s;
		struct err e;
		int r;

		while (!P.stopping && !(P.round_active && (j = take_job())))
			pthread_cond_wait(&P.cv_work, &P.mu);
		if (P.stopping)
			break;
		s = &P.slots[j->slot];
		pthread_mutex_unlock(&P.mu);
		err_clear(&e);
		r = backend_ping(s->be, j->t->iface_id, j->t->addr, &P.opts, &e);
		pthread_mutex_lock(&P.mu);
		j->r = r;
		s->in_flight--;
		s->done++;
		s->answered += r == 1;
		if (r < 0 && r != -EOPNOTSUPP && s->errors++ == 0)
			snprintf(s->first_err, sizeof(s->first_err), "%.255s", e.msg);
		s->last_done_ms = now_ms() - P.t0;
		if (++P.n_done == P.n_jobs)
			pthread_cond_broadcast(&P.cv_done);
		pthread_cond_broadcast(&P.cv_work); /* a cap slot is free again */
	}
	pthread_mutex_unlock(&P.mu);
	return NULL;
}

/* ---- rounds ----------------------------------------------------------------------------- */

static void round_release(void)
{
	for (size_t i = 0; i < P.n_slots; i++)
		free(P.slots[i].jobs);
	memset(P.slots, 0, sizeof(P.slots));
	P.n_slots = 0;
	free(P.jobs);
	free(P.targets);
	P.jobs = NULL;
	P.targets = NULL;
	P.n_jobs = P.n_done = P.n_targets = 0;
}

/* Pings in flight towards one device: its `concurrency` less one, so that slow pings never
 * take every connection slot of the HTTP client and sync calls still get through. */
static int backend_cap(const struct backend *be)
{
	int c;

	if (!be->cfg)
		return INT_MAX; /* local: only the worker count bounds it */
	c = be->cfg->concurrency > 0 ? be->cfg->concurrency : 5;
	return c > 1 ? c - 1 : 1;
}

/* Reads the targets and queues them. Called without P.mu; takes it to publish the round. */
static int round_begin(struct app *app, struct err *err)
{
	struct store_ping_target *t = NULL;
	struct job *jobs;
	size_t n = 0, nj = 0;
	int r;

	caps_clear();
	r = store_ping_targets(app->store, &t, &n, err);
	if (r < 0)
		return r;
	jobs = calloc(n + 1, sizeof(*jobs));
	if (!jobs) {
		free(t);
		return err_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&P.mu);
	round_release();
	P.targets = t;
	P.n_targets = n;
	P.jobs = jobs;
	for (size_t i = 0; i < n; i++) {
		struct backend *be = backend_find(t[i].backend);
		size_t k;

		if (!be || !backend_has_cap(be, BACKEND_CAP_PING))
			continue; /* pfSense, unconfigured backend, MikroTik without 'test' */
		if (!cluster_serves(be, t[i].node))
			continue; /* another node pings these (cluster.h) */
		for (k = 0; k < P.n_slots && P.slots[k].be != be; k++)
			;
		if (k == P.n_slots) {
			if (k == SLOTS_MAX)
				continue;
			P.slots[k].be = be;
			P.slots[k].cap = backend_cap(be);
			P.slots[k].jobs = calloc(n, sizeof(size_t));
			if (!P.slots[k].jobs)
				continue;
			P.n_slots++;
		}
		jobs[nj].t = &t[i];
		jobs[nj].slot = k;
		P.slots[k].jobs[P.slots[k].n++] = nj++;
	}
	P.n_jobs = nj;
	P.n_done = 0;
	P.rr = 0;
	P.t0 = now_ms();
	P.round_at = (int64_t)time(NULL);
	P.round_active = true;
	pthread_cond_broadcast(&P.cv_work);
	pthread_mutex_unlock(&P.mu);
	return 0;
}

/* Writes a round's results and, in the same transaction, the connect/disconnect webhooks of
 * the peers whose connected state the round changed (wg-portal statistics.go:369-393). */
static int write_results(struct app *app, const struct store_ping_result *res, size_t n,
			 int64_t rekey, struct err *e)
{
	const char **ids = calloc(n + 1, sizeof(*ids));
	bool *was = NULL;
	int r;

	if (!ids)
		return err_set(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		ids[i] = res[i].peer_id;
	r = delivery_peer_states_before(app, ids, n, &was, e);
	if (r == 0)
		r = store_begin(app->store, e);
	if (r == 0) {
		r = store_ping_results_put(app->store, res, n, (int64_t)time(NULL), rekey, e);
		if (r == 0)
			r = delivery_peer_states_since(app, ids, was, n, e);
		if (r == 0)
			r = store_commit(app->store, e);
		else
			store_rollback(app->store);
	}
	if (r == 0 && was)
		delivery_kick();
	free(was);
	free(ids);
	return r;
}

/* With every job done: writes the results, records the round, logs capability drops. */
static void round_finish(struct app *app)
{
	struct store_ping_result *res;
	size_t n = 0;
	struct err e;
	int64_t rekey = app->cfg->backend.rekey_timeout_interval_ms / 1000;

	pthread_mutex_lock(&P.mu);
	res = calloc(P.n_jobs + 1, sizeof(*res));
	for (size_t i = 0; res && i < P.n_jobs; i++) {
		const struct job *j = &P.jobs[i];
		/* not permitted / not supported: not a statement about the peer */
		if (j->r == -EOPNOTSUPP || j->r == -EACCES)
			continue;
		res[n].peer_id = j->t->peer_id;
		res[n].iface_id = j->t->iface_id;
		res[n].pingable = j->r == 1;
		res[n].stats_available = backend_has_cap(P.slots[j->slot].be,
							 BACKEND_CAP_STATS_PEER);
		n++;
	}
	pthread_mutex_unlock(&P.mu);
	err_clear(&e);
	monitor_status_lock();
	if (res && write_results(app, res, n, rekey, &e) < 0)
		log_warn("ping: writing the results: %s", e.msg);
	monitor_status_unlock();
	free(res);

	pthread_mutex_lock(&P.mu);
	for (size_t i = 0; i < P.n_slots; i++) {
		struct slot *s = &P.slots[i];
		struct monitor_round mr = { 0 };

		mr.last_at = P.round_at;
		mr.duration_ms = s->last_done_ms;
		mr.errors = s->errors;
		mr.checked = s->done;
		mr.answered = s->answered;
		snprintf(mr.last_error, sizeof(mr.last_error), "%s", s->first_err);
		monitor_round_put(MONITOR_ROUND_PING, s->be->id, &mr);
		for (size_t b = 0; b < backend_count() && b < SLOTS_MAX; b++) {
			if (backend_at(b) == s->be && s->be->ping_error[0] && !P.drop_logged[b]) {
				P.drop_logged[b] = true;
				log_warn("ping: backend '%s': %s: its peers are not ping-checked",
					 s->be->id, s->be->ping_error);
			}
		}
	}
	log_debug("ping: round of %zu checks in %.1f ms", P.n_jobs, now_ms() - P.t0);
	P.round_active = false;
	round_release();
	pthread_mutex_unlock(&P.mu);
	caps_clear(); /* a capability may have been dropped */
}

/* With P.mu held: waits until the round is done, stopping, or until at_ms. */
static void wait_done_until(double at_ms)
{
	struct timespec ts;

	abs_deadline(at_ms, &ts);
	while (!P.stopping && P.n_done < P.n_jobs && now_ms() < at_ms)
		pthread_cond_timedwait(&P.cv_done, &P.mu, &ts);
}

static void *sched_main(void *arg)
{
	struct app *app = arg;
	double interval = (double)app->cfg->statistics.ping_check_interval_ms;
	double next;

	if (interval <= 0)
		interval = 60000;
	next = now_ms() + interval; /* the first round one period after start, as wg-portal */
	pthread_mutex_lock(&P.mu);
	while (!P.stopping) {
		struct timespec ts;
		struct err e;
		int r;

		abs_deadline(next, &ts);
		while (!P.stopping && now_ms() < next)
			pthread_cond_timedwait(&P.cv_done, &P.mu, &ts);
		if (P.stopping)
			break;
		next += interval;
		if (next <= now_ms())
			next = now_ms() + interval;
		pthread_mutex_unlock(&P.mu);
		err_clear(&e);
		r = round_begin(app, &e);
		pthread_mutex_lock(&P.mu);
		if (r < 0) {
			log_warn("ping: cannot start a round: %s", e.msg);
			continue;
		}
		for (;;) {
			wait_done_until(next);
			if (P.stopping || P.n_done == P.n_jobs)
				break;
			/* still running at the next tick: skip it, never stack rounds */
			log_warn("ping: round still running after %.1f s (%zu of %zu checks done): "
				 "next round skipped", (now_ms() - P.t0) / 1e3, P.n_done, P.n_jobs);
			for (size_t i = 0; i < P.n_slots; i++)
				monitor_round_skip(MONITOR_ROUND_PING, P.slots[i].be->id);
			next += interval;
		}
		if (P.stopping)
			break;
		pthread_mutex_unlock(&P.mu);
		round_finish(app);
		pthread_mutex_lock(&P.mu);
	}
	pthread_mutex_unlock(&P.mu);
	return NULL;
}

/* ---- start / stop ----------------------------------------------------------------------- */

int monitor_start(struct app *app, struct err *err)
{
	pthread_condattr_t ca;
	int n;

	pthread_mutex_lock(&caps.mu);
	caps.store = app->store;
	caps.n = 0;
	pthread_mutex_unlock(&caps.mu);
	if (!app->cfg->statistics.use_ping_checks || P.started)
		return 0;
	P.app = app;
	P.stopping = false;
	P.opts.timeout_ms = PING_TIMEOUT_MS;
	P.opts.unprivileged = app->cfg->statistics.ping_unprivileged;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&P.cv_work, &ca);
	pthread_cond_init(&P.cv_done, &ca);
	pthread_condattr_destroy(&ca);
	n = app->cfg->statistics.ping_check_workers;
	if (n <= 0)
		n = 10;
	if (n > 1024)
		n = 1024;
	P.workers = calloc((size_t)n, sizeof(*P.workers));
	if (!P.workers)
		return err_set(err, -ENOMEM, "out of memory");
	P.started = true;
	for (P.n_workers = 0; P.n_workers < n; P.n_workers++)
		if (pthread_create(&P.workers[P.n_workers], NULL, worker_main, NULL))
			break;
	if (P.n_workers == 0 || pthread_create(&P.sched, NULL, sched_main, app)) {
		monitor_stop();
		return err_set(err, -EAGAIN, "cannot start the ping checker threads");
	}
	P.sched_started = true;
	log_info("ping: checks every %.0f s with %d workers (%s sockets)",
		 (double)app->cfg->statistics.ping_check_interval_ms / 1e3, P.n_workers,
		 P.opts.unprivileged ? "unprivileged datagram" : "raw");
	return 0;
}

void monitor_stop(void)
{
	pthread_mutex_lock(&caps.mu);
	caps.store = NULL;
	pthread_mutex_unlock(&caps.mu);
	if (!P.started)
		return;
	pthread_mutex_lock(&P.mu);
	P.stopping = true;
	pthread_cond_broadcast(&P.cv_work);
	pthread_cond_broadcast(&P.cv_done);
	pthread_mutex_unlock(&P.mu);
	if (P.sched_started)
		pthread_join(P.sched, NULL);
	for (int i = 0; i < P.n_workers; i++)
		pthread_join(P.workers[i], NULL);
	free(P.workers);
	P.workers = NULL;
	P.n_workers = 0;
	round_release();
	P.round_active = false;
	pthread_cond_destroy(&P.cv_work);
	pthread_cond_destroy(&P.cv_done);
	P.started = P.sched_started = false;
}
