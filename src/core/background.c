/* SPDX-License-Identifier: MIT */
/*
 * Background work that no request waits for, on one worker thread: the peer-expiry sweep
 * (advanced.expiry_check_interval, spec 3.7), default peers after a user was created, a user
 * logged in or an interface was created (3.9), and the interface files of
 * advanced.config_storage_path (4.7). Requests and other threads only queue a job and return.
 *
 * Jobs run in order, one at a time, as the "system" actor (no request sets an actor on this
 * thread). Each job takes app->write_lock only for the single change it makes (one peer, one
 * file), so a sweep over 10,000 peers never holds up an API write for longer than one peer
 * change. Identical pending jobs are merged (ten peer edits in a row rewrite the interface file
 * once); the queue holds at most JOB_MAX entries, beyond that a job is dropped with a warning.
 * At stop, pending file writes still run (the files stay current), pending default-peer work
 * is dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

#define JOB_MAX 4096

enum job_kind { JOB_WRITE_CONF, JOB_REMOVE_CONF, JOB_DEFAULTS_USER, JOB_DEFAULTS_LOGIN,
		JOB_DEFAULTS_IFACE };

struct job {
	enum job_kind kind;
	char *arg;              /* interface id, file name or user id */
	struct job *next;
};

struct core_bg {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;
	size_t n;
	bool stop;
	struct timespec next_sweep;   /* CLOCK_MONOTONIC; tv_sec 0 = no sweep */
};

static void job_free(struct job *j)
{
	if (j) {
		free(j->arg);
		free(j);
	}
}

static void enqueue(struct app *app, enum job_kind kind, const char *arg)
{
	struct core_bg *bg = app->bg;
	struct job *j;

	if (!bg || !arg || !*arg)
		return;
	pthread_mutex_lock(&bg->lock);
	for (j = bg->head; j; j = j->next)
		if (j->kind == kind && !strcmp(j->arg, arg))
			break;
	if (!j && !bg->stop) {
		if (bg->n >= JOB_MAX) {
			log_warn("background: queue full, dropping a job for '%s'", arg);
		} else if ((j = calloc(1, sizeof(*j))) && (j->arg = strdup(arg))) {
			j->kind = kind;
			if (bg->tail)
				bg->tail->next = j;
			else
				bg->head = j;
			bg->tail = j;
			bg->n++;
			pthread_cond_signal(&bg->wake);
		} else {
			job_free(j);
		}
	}
	pthread_mutex_unlock(&bg->lock);
}

/* ---- what the rest of core/ calls after a change ---------------------------------------- */

void core_iface_changed(struct app *app, const char *iface_id)
{
	if (app->cfg->advanced.config_storage_path && *app->cfg->advanced.config_storage_path)
		enqueue(app, JOB_WRITE_CONF, iface_id);
}

void core_iface_removed(struct app *app, const struct iface *ifc)
{
	char name[32];

	/* wg-portal removes the file only of an interface that was exporting one
	 * (docs/wg-portal-behaviour.md "Interface files") */
	if (!ifc->save_config || !app->cfg->advanced.config_storage_path ||
	    !*app->cfg->advanced.config_storage_path)
		return;
	iface_filename(ifc, name);
	enqueue(app, JOB_REMOVE_CONF, name);
}

void core_default_peers_for_iface(struct app *app, const struct iface *ifc)
{
	const struct cfg *cfg = app->cfg;

	/* wg-portal gates this on ..._on_user_creation; the documented
	 * ..._on_interface_creation works too (docs/wg-portal-behaviour.md "Default peers") */
	if (!cfg->core.create_default_peer_on_interface_creation &&
	    !cfg->core.create_default_peer_on_user_creation)
		return;
	if (ifc->create_default_peer && !strcmp(STR(ifc->mode), "server"))
		enqueue(app, JOB_DEFAULTS_IFACE, ifc->identifier);
}

void core_default_peers_for_user(struct app *app, const char *user_id)
{
	if (app->cfg->core.create_default_peer_on_user_creation)
		enqueue(app, JOB_DEFAULTS_USER, user_id);
}

void core_user_logged_in(struct app *app, const char *user_id)
{
	if (app->cfg->core.create_default_peer_on_login)
		enqueue(app, JOB_DEFAULTS_LOGIN, user_id);
}

/* ---- the worker ------------------------------------------------------------------------- */

static void run_job(struct app *app, const struct job *j)
{
	struct err err;
	size_t n = 0;
	int r = 0;

	err_clear(&err);
	switch (j->kind) {
	case JOB_WRITE_CONF:
		r = core_conffile_write(app, j->arg, &err);
		break;
	case JOB_REMOVE_CONF:
		r = core_conffile_remove(app, j->arg, &err);
		break;
	case JOB_DEFAULTS_USER:
	case JOB_DEFAULTS_LOGIN:
		r = core_default_peers_create_user(app, j->arg, j->kind == JOB_DEFAULTS_LOGIN, &n,
						   &err);
		break;
	case JOB_DEFAULTS_IFACE:
		r = core_default_peers_create_iface(app, j->arg, &n, &err);
		break;
	}
	if (r < 0)
		log_warn("background: '%s': %s", j->arg, err.msg);
	else if (n)
		log_info("background: %zu default peer(s) created for '%s'", n, j->arg);
}

static void sweep(struct app *app)
{
	struct err err;
	size_t n = 0;

	if (!cluster_is_leader())
		return; /* the leader's work when nodes share the database (cluster.h) */
	err_clear(&err);
	if (core_expiry_sweep(app, time(NULL), &n, &err) < 0)
		log_warn("expiry check: %s", err.msg);
	else if (n)
		log_info("expiry check: %zu peer(s) expired and disabled", n);
}

static void schedule_sweep(struct app *app, struct core_bg *bg)
{
	int64_t ms = app->cfg->advanced.expiry_check_interval_ms;

	bg->next_sweep.tv_sec = 0;
	if (ms <= 0)
		return;   /* "0" switches the sweep off (wg-portal would spin) */
	clock_gettime(CLOCK_MONOTONIC, &bg->next_sweep);
	bg->next_sweep.tv_sec += ms / 1000;
	bg->next_sweep.tv_nsec += (ms % 1000) * 1000000L;
	if (bg->next_sweep.tv_nsec >= 1000000000L) {
		bg->next_sweep.tv_sec++;
		bg->next_sweep.tv_nsec -= 1000000000L;
	}
}

static bool sweep_due(const struct core_bg *bg)
{
	struct timespec now;

	if (!bg->next_sweep.tv_sec)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > bg->next_sweep.tv_sec ||
	       (now.tv_sec == bg->next_sweep.tv_sec && now.tv_nsec >= bg->next_sweep.tv_nsec);
}

static void *worker(void *arg)
{
	struct app *app = arg;
	struct core_bg *bg = app->bg;

	pthread_mutex_lock(&bg->lock);
	for (;;) {
		struct job *j = bg->head;

		if (j && (!bg->stop || j->kind == JOB_WRITE_CONF || j->kind == JOB_REMOVE_CONF)) {
			bg->head = j->next;
			if (!bg->head)
				bg->tail = NULL;
			bg->n--;
			pthread_mutex_unlock(&bg->lock);
			run_job(app, j);
			job_free(j);
			pthread_mutex_lock(&bg->lock);
			continue;
		}
		if (j) {   /* stopping: default-peer work is dropped */
			bg->head = j->next;
			if (!bg->head)
				bg->tail = NULL;
			bg->n--;
			job_free(j);
			continue;
		}
		if (bg->stop)
			break;
		if (sweep_due(bg)) {
			pthread_mutex_unlock(&bg->lock);
			sweep(app);
			pthread_mutex_lock(&bg->lock);
			schedule_sweep(app, bg);  /* one period after the end, as wg-portal's time.After */
			continue;
		}
		if (bg->next_sweep.tv_sec)
			pthread_cond_timedwait(&bg->wake, &bg->lock, &bg->next_sweep);
		else
			pthread_cond_wait(&bg->wake, &bg->lock);
	}
	pthread_mutex_unlock(&bg->lock);
	return NULL;
}

int core_background_start(struct app *app, struct err *err)
{
	struct core_bg *bg;
	pthread_condattr_t ca;
	int r;

	if (app->bg)
		return 0;
	r = core_conffile_prepare(app, err);
	if (r < 0)
		return r;
	bg = calloc(1, sizeof(*bg));
	if (!bg)
		return err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&bg->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&bg->wake, &ca);
	pthread_condattr_destroy(&ca);
	schedule_sweep(app, bg);   /* the first sweep one period after start (spec 3.7) */
	app->bg = bg;
	r = pthread_create(&bg->thread, NULL, worker, app);
	if (r) {
		app->bg = NULL;
		pthread_cond_destroy(&bg->wake);
		pthread_mutex_destroy(&bg->lock);
		free(bg);
		return err_set(err, -r, "cannot start the background worker");
	}
	core_conffile_write_all(app);
	return 0;
}

void core_background_stop(struct app *app)
{
	struct core_bg *bg = app->bg;

	if (!bg)
		return;
	pthread_mutex_lock(&bg->lock);
	bg->stop = true;
	pthread_cond_signal(&bg->wake);
	pthread_mutex_unlock(&bg->lock);
	pthread_join(bg->thread, NULL);
	app->bg = NULL;
	pthread_cond_destroy(&bg->wake);
	pthread_mutex_destroy(&bg->lock);
	free(bg);
}
