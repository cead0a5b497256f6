/* SPDX-License-Identifier: MIT */
/*
 * Start and stop of the sign-in methods (core/signin.h): start-up checks, the OpenID set-up
 * thread (wg-portal internal/app/auth/auth.go:140-187: an immediate attempt, then every 30 s for the providers
 * that failed) and the LDAP sync threads (ldap_sync.go:18-55: a first run at start, then every
 * sync_interval).
 */
#include "core/signin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/ldap_auth.h"
#include "auth/oidc.h"
#include "auth/pending.h"
#include "auth/webauthn.h"
#include "cluster/cluster.h"
#include "config/config.h"
#include "util/err.h"
#include "util/log.h"

#define ROUNDS_MAX 10000        /* login round trips of one kind in flight at once */
#define IDP_LOGINS_MAX 100000   /* sessions whose IdP logout we remember */
/* the kinds of round-trip state in the store's signin_pending (auth/pending.h) */
enum { PENDING_ROUNDS = 1, PENDING_CHALLENGES, PENDING_TICKETS, PENDING_IDP_LOGINS };

/* Sleeps up to ms or until stop; true when stopping. */
static bool pause_ms(struct signin *s, int64_t ms)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
		;
	stop = s->stopping;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static void *setup_thread(void *arg)
{
	struct signin *s = arg;

	while (oidc_set_setup(s->idps) > 0)
		if (pause_ms(s, OIDC_SETUP_RETRY_S * 1000))
			break;
	return NULL;
}

struct ldap_job {
	struct app *app;
	const struct cfg_auth_provider *p;
};

static void *ldap_thread(void *arg)
{
	struct ldap_job *job = arg;
	struct signin *s = job->app->signin;

	do {
		struct err err = { 0 };
		/* once per cluster: the leader syncs, the others read its results (docs/cluster.md) */
		if (cluster_is_leader() && signin_ldap_sync(job->app, job->p, &err) < 0)
			log_err("auth: %s", err.msg);
	} while (!pause_ms(s, job->p->sync_interval_ms));
	free(job);
	return NULL;
}

static int check_config(const struct cfg *cfg, struct err *err)
{
	for (size_t i = 0; i < cfg->auth.n_ldap; i++) {
		const struct cfg_auth_provider *p = &cfg->auth.ldap[i];
		if (ldap_dn_check(p->admin_group, err) < 0)
			return err_prefix(err, "sanitizing of ldap config for %s failed",
					  p->provider_name);
	}
	return 0;
}

static void webauthn_setup(struct app *app, struct signin *s)
{
	if (!app->cfg->auth.webauthn_enabled)
		return;
	if (webauthn_rp_from_url(app->cfg->web.external_url, &s->rp_id, &s->origin) < 0) {
		log_err("auth: passkeys disabled: web.external_url '%s' has no host for the WebAuthn "
			"relying party", app->cfg->web.external_url);
		return;
	}
	s->webauthn = true;
}

int signin_start(struct app *app, struct err *err)
{
	const struct cfg *cfg = app->cfg;
	struct signin *s;
	char *prefix = NULL;
	int r;

	if ((r = check_config(cfg, err)) < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	app->signin = s;
	s->rounds = pending_new(app->store, PENDING_ROUNDS, ROUNDS_MAX);
	s->challenges = pending_new(app->store, PENDING_CHALLENGES, ROUNDS_MAX);
	s->tickets = pending_new(app->store, PENDING_TICKETS, ROUNDS_MAX);
	s->idp_logins = pending_new(app->store, PENDING_IDP_LOGINS, IDP_LOGINS_MAX);
	if (!s->rounds || !s->challenges || !s->tickets || !s->idp_logins ||
	    asprintf(&prefix, "%s%s/api/v0/auth/login/", cfg->web.external_url,
		     cfg->web.base_path ? cfg->web.base_path : "") < 0) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	r = oidc_set_new(cfg, prefix, &s->idps, err);
	free(prefix);
	if (r < 0)
		goto fail;
	webauthn_setup(app, s);
	if (oidc_set_count(s->idps)) {
		if (pthread_create(&s->setup_thread, NULL, setup_thread, s) == 0)
			s->setup_started = true;
		else
			log_err("auth: cannot start the provider set-up thread");
	}
	s->ldap_threads = calloc(cfg->auth.n_ldap ? cfg->auth.n_ldap : 1, sizeof(pthread_t));
	for (size_t i = 0; s->ldap_threads && i < cfg->auth.n_ldap; i++) {
		struct ldap_job *job;
		if (cfg->auth.ldap[i].sync_interval_ms <= 0)
			continue;
		job = malloc(sizeof(*job));
		if (!job)
			break;
		*job = (struct ldap_job){ app, &cfg->auth.ldap[i] };
		if (pthread_create(&s->ldap_threads[s->n_ldap_threads], NULL, ldap_thread, job) == 0)
			s->n_ldap_threads++;
		else
			free(job);
	}
	return 0;
fail:
	signin_stop(app);
	return r;
}

void signin_stop(struct app *app)
{
	struct signin *s = app->signin;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->setup_started)
		pthread_join(s->setup_thread, NULL);
	for (size_t i = 0; i < s->n_ldap_threads; i++)
		pthread_join(s->ldap_threads[i], NULL);
	free(s->ldap_threads);
	oidc_set_free(s->idps);
	pending_free(s->rounds);
	pending_free(s->challenges);
	pending_free(s->tickets);
	pending_free(s->idp_logins);
	free(s->rp_id);
	free(s->origin);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	app->signin = NULL;
}
