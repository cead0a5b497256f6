/* SPDX-License-Identifier: MIT */
/*
 * The delivery worker (see delivery.h): start-up checks, one thread per kind polling the
 * delivery table, the attempt of one row (SMTP or HTTP), backoff and give-up, the log line of
 * each outcome (no payloads, no secrets: the answers kept are the server's reply lines and
 * HTTP statuses), and the purge of old log rows.
 */
#include "delivery/delivery.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/config.h"
#include "mail/config_mail.h"
#include "model/iface.h"
#include "mail/smtp.h"
#include "store/store_delivery.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "webhook/sender.h"

#define DUE_BATCH 16
#define IDLE_WAIT_MS 5000           /* a safety net: queuing code kicks the worker */
#define MAIL_MAX (8 * 1024 * 1024)

enum { LANE_MAIL, LANE_WEBHOOK, N_LANES };

static const char *const lane_kind[N_LANES] = { DELIVERY_KIND_MAIL, DELIVERY_KIND_WEBHOOK };

static struct {
	struct app *app;
	struct mail_settings mail;
	bool ready;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned long kicks;
	bool stopping;
	pthread_t threads[N_LANES];
	bool running[N_LANES];
	int64_t last_purge;
} D = { .mu = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t cv_once = PTHREAD_ONCE_INIT;

static void cv_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&D.cv, &a);
	pthread_condattr_destroy(&a);
}

static bool has_line_break(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

int delivery_init(struct app *app, struct err *err)
{
	const struct cfg *cfg = app->cfg;
	const char *url = cfg->webhook.url;
	int r;

	D.app = app;
	pthread_once(&cv_once, cv_init);
	if (url && *url && (mail_has_ctl(url) || strchr(url, ' ') ||
			    (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))))
		return err_field(err, -EINVAL, "webhook.url", "webhook.url must be an http:// or "
				 "https:// URL");
	if (has_line_break(cfg->webhook.authentication) ||
	    mail_has_ctl(STR(cfg->webhook.authentication)))
		return err_field(err, -EINVAL, "webhook.authentication", "webhook.authentication "
				 "must not contain line breaks or control characters");
	if (cfg->mail.auth_type && *cfg->mail.auth_type &&
	    strcasecmp(cfg->mail.auth_type, "plain") && strcasecmp(cfg->mail.auth_type, "login") &&
	    strcasecmp(cfg->mail.auth_type, "crammd5"))
		return err_field(err, -EINVAL, "mail.auth_type", "mail.auth_type '%.32s': expected "
				 "plain, login or crammd5", cfg->mail.auth_type);
	if (mail_has_ctl(STR(cfg->mail.host)) || mail_has_ctl(STR(cfg->mail.username)))
		return err_field(err, -EINVAL, "mail.host", "mail.host and mail.username must not "
				 "contain control characters");
	r = mail_settings_init(&D.mail, cfg, err);
	if (r < 0)
		return r;
	if (D.mail.from_error[0])
		log_warn("%s: config mails will fail until it is an e-mail address", D.mail.from_error);
	D.ready = true;
	return 0;
}

void delivery_shutdown(void)
{
	delivery_stop();
	if (D.ready)
		mail_settings_release(&D.mail);
	D.ready = false;
}

void delivery_kick(void)
{
	pthread_once(&cv_once, cv_init);
	pthread_mutex_lock(&D.mu);
	D.kicks++;
	pthread_cond_broadcast(&D.cv);
	pthread_mutex_unlock(&D.mu);
}

/* ---- one attempt ---- */

static int64_t backoff_ms(int attempts)
{
	int64_t d = DELIVERY_RETRY_FIRST_MS;

	for (int i = 1; i < attempts && d < DELIVERY_RETRY_MAX_MS; i++)
		d *= 2;
	return d < DELIVERY_RETRY_MAX_MS ? d : DELIVERY_RETRY_MAX_MS;
}

/* Sends a mail row. Returns 0 (sent) or <0 with answer/code/permanent filled. */
static int attempt_mail(struct store_delivery *d, char *answer, size_t size, int *code,
			bool *permanent)
{
	const struct cfg *cfg = D.app->cfg;
	struct smtp_cfg sc = {
		.host = STR(cfg->mail.host), .port = cfg->mail.port,
		.encryption = STR(cfg->mail.encryption),
		.cert_validation = cfg->mail.cert_validation,
		.username = STR(cfg->mail.username), .password = STR(cfg->mail.password),
		.auth_type = STR(cfg->mail.auth_type),
	};
	struct smtp_result res;
	struct err err = { 0 };
	struct buf msg;
	int r;

	buf_init(&msg, MAIL_MAX);
	r = mail_config_compose(&D.mail, D.app->store, STR(d->identifier), STR(d->recipient),
				d->event && !strcmp(d->event, "config-link"), delivery_now_ms(),
				&msg, &err);
	if (r < 0) {
		snprintf(answer, size, "%.200s", err.msg);
		*permanent = true;   /* the peer is gone or the mail cannot be built */
		buf_wipe(&msg);
		return r;
	}
	r = smtp_send(&sc, D.mail.from_addr, STR(d->recipient), msg.p, msg.len, &res);
	buf_wipe(&msg);
	*code = res.code;
	if (r < 0) {
		snprintf(answer, size, "%s", res.answer);
		*permanent = res.permanent;
	}
	return r;
}

static int attempt_webhook(struct store_delivery *d, char *answer, size_t size, int *code,
			   bool *permanent)
{
	const struct cfg *cfg = D.app->cfg;
	struct webhook_target t = {
		.url = STR(cfg->webhook.url),
		.authentication = STR(cfg->webhook.authentication),
		.signing_secret = STR(cfg->webhook.signing_secret),
		.timeout_ms = cfg->webhook.timeout_ms,
	};
	struct webhook_result res;
	int r;

	if (!*t.url) {
		snprintf(answer, size, "webhook.url is no longer set");
		*permanent = true;
		return -EINVAL;
	}
	r = webhook_send(&t, d->id, STR(d->payload), strlen(STR(d->payload)), &res);
	*code = res.status;
	if (r < 0) {
		snprintf(answer, size, "%s", res.answer);
		*permanent = res.permanent;
	}
	return r;
}

static void attempt(int lane, struct store_delivery *d)
{
	char answer[SMTP_ANSWER_MAX + WEBHOOK_ANSWER_MAX] = "";
	char e1[LOG_QUOTE_SIZE(64)], e2[LOG_QUOTE_SIZE(16)], e3[LOG_QUOTE_SIZE(64)];
	char ea[LOG_QUOTE_SIZE(SMTP_ANSWER_MAX)];
	bool permanent = false;
	int code = 0, r;
	int64_t t0 = delivery_now_ms(), now;
	struct err err = { 0 };

	r = lane == LANE_MAIL ? attempt_mail(d, answer, sizeof(answer), &code, &permanent)
			      : attempt_webhook(d, answer, sizeof(answer), &code, &permanent);
	now = delivery_now_ms();
	d->attempts++;
	d->duration_ms = now - t0;
	d->response_code = code;
	d->updated_at = now;
	free(d->status);
	free(d->last_error);
	d->last_error = strdup(r == 0 ? "" : answer);
	/* the object named in every line, quoted once */
	const char *what = lane_kind[lane], *ent = log_quote(d->entity, e1, sizeof(e1)),
		   *ev = log_quote(d->event, e2, sizeof(e2)),
		   *id = log_quote(d->identifier, e3, sizeof(e3)),
		   *ans = log_quote(answer, ea, sizeof(ea));
	if (r == 0) {
		d->status = strdup(DELIVERY_SENT);
		d->sent_at = now;
		log_info("delivery: %s %s %s '%s' %s after %d attempt(s), %lld ms after it was "
			 "queued", what, ent, ev, id, lane == LANE_MAIL ? "sent" : "delivered",
			 d->attempts, (long long)(now - d->created_at));
	} else if (permanent || now - d->created_at >= DELIVERY_GIVE_UP_MS) {
		d->status = strdup(DELIVERY_FAILED);
		log_warn("delivery: %s %s %s '%s' failed (attempt %d), giving up: %s", what, ent,
			 ev, id, d->attempts, ans);
	} else {
		d->status = strdup(DELIVERY_RETRYING);
		d->next_attempt_at = now + backoff_ms(d->attempts);
		log_warn("delivery: %s %s %s '%s' failed (attempt %d), retrying in %lld s: %s",
			 what, ent, ev, id, d->attempts,
			 (long long)(backoff_ms(d->attempts) / 1000), ans);
	}
	if (!d->status || !d->last_error || store_delivery_update(D.app->store, d, &err) < 0)
		log_err("delivery: cannot record the outcome of delivery %lld: %s",
			(long long)d->id, err.msg[0] ? err.msg : "out of memory");
}

/* ---- the lanes ---- */

static void purge_old(void)
{
	int64_t now = delivery_now_ms();
	struct err err = { 0 };

	if (now - D.last_purge < 3600 * 1000)
		return;
	D.last_purge = now;
	if (store_delivery_purge(D.app->store, now - DELIVERY_KEEP_MS, &err) < 0)
		log_warn("delivery: purge of old log rows: %s", err.msg);
}

/* Waits until wake_ms (realtime), a kick or stop. */
static void wait_until(int64_t wake_ms, unsigned long seen)
{
	struct timespec ts;
	int64_t delay = wake_ms - delivery_now_ms();

	if (delay <= 0)
		return;
	if (delay > IDLE_WAIT_MS)
		delay = IDLE_WAIT_MS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += delay / 1000;
	ts.tv_nsec += (delay % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&D.mu);
	while (!D.stopping && D.kicks == seen)
		if (pthread_cond_timedwait(&D.cv, &D.mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&D.mu);
}

static void *lane_main(void *arg)
{
	int lane = (int)(intptr_t)arg;
	const char *kind = lane_kind[lane];

	for (;;) {
		struct store_delivery *due = NULL;
		size_t n = 0;
		struct err err = { 0 };
		unsigned long seen;
		int64_t next;

		pthread_mutex_lock(&D.mu);
		seen = D.kicks;
		bool stop = D.stopping;
		pthread_mutex_unlock(&D.mu);
		if (stop)
			break;
		if (lane == LANE_WEBHOOK)
			purge_old();
		if (store_delivery_due(D.app->store, kind, delivery_now_ms(), DUE_BATCH, &due, &n,
				       &err) < 0) {
			log_warn("delivery: reading the %s queue: %s", kind, err.msg);
			wait_until(delivery_now_ms() + IDLE_WAIT_MS, seen);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			pthread_mutex_lock(&D.mu);
			stop = D.stopping;
			pthread_mutex_unlock(&D.mu);
			if (stop)
				break;
			attempt(lane, &due[i]);
		}
		store_delivery_list_free(due, n);
		if (n > 0)
			continue;   /* more may be due (a batch, or the next row of an object) */
		if (store_delivery_next_due(D.app->store, kind, &next, &err) < 0)
			next = delivery_now_ms() + IDLE_WAIT_MS;
		wait_until(next, seen);
	}
	return NULL;
}

int delivery_start(struct app *app)
{
	int r = 0;

	D.app = app;
	pthread_once(&cv_once, cv_init);
	pthread_mutex_lock(&D.mu);
	D.stopping = false;
	pthread_mutex_unlock(&D.mu);
	for (int i = 0; i < N_LANES && r == 0; i++) {
		if (D.running[i])
			continue;
		r = -pthread_create(&D.threads[i], NULL, lane_main, (void *)(intptr_t)i);
		D.running[i] = r == 0;
	}
	if (r < 0)
		delivery_stop();
	return r;
}

void delivery_stop(void)
{
	pthread_mutex_lock(&D.mu);
	D.stopping = true;
	pthread_cond_broadcast(&D.cv);
	pthread_mutex_unlock(&D.mu);
	for (int i = 0; i < N_LANES; i++) {
		if (D.running[i])
			pthread_join(D.threads[i], NULL);
		D.running[i] = false;
	}
}
