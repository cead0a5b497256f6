/* SPDX-License-Identifier: MIT */
/*
 * The shared HTTPS client of the device backends (see http.h). Each call borrows one libcurl
 * easy handle from a pool of `concurrency` handles; the pool doubles as the counting semaphore
 * that bounds calls in flight (a caller waits on the condition variable until a handle is
 * free). Reusing handles keeps keep-alive connections (and TLS sessions) to the device.
 *
 * Retries: a call is repeated (100 ms, then 300 ms later) only when no HTTP answer arrived
 * because the connection failed. Requests that may have reached the device (PUT/POST after a
 * send/receive error) are not repeated, so a create is never issued twice.
 */
#include "backends/http/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

struct http_client {
	char *log_id;
	char *base_url;
	char *user, *password;
	struct curl_slist *headers;      /* Accept, Content-Type, auth header (secret) */
	char *auth_line;                 /* the auth header text, wiped on free */
	bool verify_tls;
	long timeout_ms;
	int concurrency;
	bool debug;
	size_t max_reply;
	int tries;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	CURL **handles;                  /* free handles: handles[0..n_free-1] */
	int n_free;
	int in_flight, max_in_flight;
	unsigned long calls;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

static char *xstrdup0(const char *s)
{
	return strdup(s ? s : "");
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

struct http_client *http_client_free(struct http_client *c)
{
	if (!c)
		return NULL;
	for (int i = 0; i < c->n_free; i++)
		curl_easy_cleanup(c->handles[i]);
	free(c->handles);
	/* the header list holds a copy of the auth line: wipe it before freeing */
	for (struct curl_slist *h = c->headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(c->headers);
	wipe_free(c->auth_line);
	wipe_free(c->password);
	free(c->user);
	free(c->base_url);
	free(c->log_id);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return NULL;
}

int http_client_new(const struct http_client_cfg *cfg, struct http_client **ret, struct err *err)
{
	struct http_client *c;
	size_t len;
	struct curl_slist *h;

	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc < 0)
		return err_set(err, curl_init_rc, "libcurl initialisation failed");
	if (!cfg->base_url || (strncmp(cfg->base_url, "https://", 8) &&
			       strncmp(cfg->base_url, "http://", 7)))
		return err_set(err, -EINVAL, "api_url must start with http:// or https://");
	c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->log_id = xstrdup0(cfg->log_id);
	c->base_url = xstrdup0(cfg->base_url);
	c->user = xstrdup0(cfg->user);
	c->password = xstrdup0(cfg->password);
	if (!c->log_id || !c->base_url || !c->user || !c->password)
		goto oom;
	len = strlen(c->base_url);
	while (len > 0 && c->base_url[len - 1] == '/')
		c->base_url[--len] = '\0';
	c->verify_tls = cfg->verify_tls;
	c->timeout_ms = cfg->timeout_ms > 0 ? (long)cfg->timeout_ms : 30000;
	c->concurrency = cfg->concurrency > 0 ? cfg->concurrency : 5;
	if (c->concurrency > 64)
		c->concurrency = 64;
	c->debug = cfg->debug;
	c->max_reply = cfg->max_reply ? cfg->max_reply : HTTP_REPLY_MAX_DEFAULT;
	c->tries = cfg->tries > 0 ? cfg->tries : 3;

	h = curl_slist_append(NULL, "Accept: application/json");
	if (!h)
		goto oom;
	c->headers = h;
	if (!(h = curl_slist_append(c->headers, "Content-Type: application/json")))
		goto oom;
	if (cfg->auth_header && *cfg->auth_header && cfg->auth_value && *cfg->auth_value) {
		if (asprintf(&c->auth_line, "%s: %s", cfg->auth_header, cfg->auth_value) < 0) {
			c->auth_line = NULL;
			goto oom;
		}
		if (!(h = curl_slist_append(c->headers, c->auth_line)))
			goto oom;
	}
	c->handles = calloc((size_t)c->concurrency, sizeof(*c->handles));
	if (!c->handles)
		goto oom;
	for (int i = 0; i < c->concurrency; i++) {
		c->handles[i] = curl_easy_init();
		if (!c->handles[i])
			goto oom;
		c->n_free++;
	}
	if (!c->verify_tls && !strncmp(c->base_url, "https://", 8))
		log_warn("backend '%s': TLS certificate verification is off (api_verify_tls: false); "
			 "any certificate is accepted", c->log_id);
	*ret = c;
	return 0;
oom:
	http_client_free(c);
	return err_set(err, -ENOMEM, "out of memory");
}

static CURL *take_handle(struct http_client *c)
{
	CURL *h;

	pthread_mutex_lock(&c->mu);
	while (c->n_free == 0)
		pthread_cond_wait(&c->cv, &c->mu);
	h = c->handles[--c->n_free];
	c->in_flight++;
	if (c->in_flight > c->max_in_flight)
		c->max_in_flight = c->in_flight;
	c->calls++;
	pthread_mutex_unlock(&c->mu);
	return h;
}

static void give_handle(struct http_client *c, CURL *h)
{
	pthread_mutex_lock(&c->mu);
	c->handles[c->n_free++] = h;
	c->in_flight--;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void http_client_stats(struct http_client *c, unsigned long *calls, int *max_in_flight)
{
	pthread_mutex_lock(&c->mu);
	if (calls)
		*calls = c->calls;
	if (max_in_flight)
		*max_in_flight = c->max_in_flight;
	pthread_mutex_unlock(&c->mu);
}

struct sink {
	struct buf b;
	bool too_big;
	bool oom;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	int r = buf_append(&s->b, ptr, n);

	if (r == -E2BIG) {
		s->too_big = true;
		return 0;
	}
	if (r < 0) {
		s->oom = true;
		return 0;
	}
	return n;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* No answer and nothing can have reached the device: safe to retry any method. */
static bool is_connect_error(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_COULDNT_RESOLVE_PROXY;
}

/* The connection broke mid-call: retry only methods that may be repeated. */
static bool is_broken_conn(CURLcode cc)
{
	return cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
	       cc == CURLE_SSL_CONNECT_ERROR;
}

static bool idempotent(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "DELETE") || !strcmp(method, "PATCH");
}

static void log_call(struct http_client *c, const char *method, const char *path, long status,
		     double ms, const char *what)
{
	int plen = (int)strcspn(path, "?");

	if (c->debug)
		log_info("backend '%s': %s %.*s%s -> %ld%s%s (%.1f ms)", c->log_id, method, plen,
			 path, path[plen] ? "?..." : "", status, what ? " " : "", what ? what : "",
			 ms);
	else
		log_debug("backend '%s': %s %.*s%s -> %ld%s%s (%.1f ms)", c->log_id, method, plen,
			  path, path[plen] ? "?..." : "", status, what ? " " : "",
			  what ? what : "", ms);
}

static int one_try(struct http_client *c, CURL *h, const char *method, const char *url,
		   const char *body, struct sink *s, long *status, CURLcode *ccode, char *ebuf)
{
	CURLcode cc;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_reply);
	if (!c->verify_tls) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (*c->user && *c->password) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	/* Note: libcurl itself re-sends a request once when a reused keep-alive connection
	 * closes without any answer. For a PUT that the device applied before hanging up, the
	 * second copy is refused by RouterOS ("already exists": names, keys and addresses are
	 * unique), so the caller sees an error, never a duplicate. A fresh connection per PUT
	 * would avoid that, at the price of a TLS handshake per create and of calls landing on
	 * new device connections while earlier ones are still being closed. */
	if (!strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (body) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		} else if (strcmp(method, "DELETE")) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		}
	}
	ebuf[0] = '\0';
	cc = curl_easy_perform(h);
	*ccode = cc;
	*status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	/* the handle keeps pointers to our credentials in its option store: drop them */
	curl_easy_setopt(h, CURLOPT_USERNAME, NULL);
	curl_easy_setopt(h, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	return cc == CURLE_OK ? 0 : -1;
}

static int map_curl_error(struct http_client *c, CURLcode cc, const struct sink *s,
			  const char *ebuf, struct err *err)
{
	const char *why = ebuf && *ebuf ? ebuf : curl_easy_strerror(cc);

	if (s->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return err_set(err, -E2BIG, "reply too large (more than %zu bytes)", c->max_reply);
	if (s->oom || cc == CURLE_OUT_OF_MEMORY)
		return err_set(err, -ENOMEM, "out of memory");
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return err_set(err, -ETIMEDOUT, "no reply within %ld ms (api_timeout)",
			       c->timeout_ms);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return err_set(err, -EHOSTUNREACH,
			       "TLS certificate not trusted (%s); install a trusted certificate on "
			       "the device or set api_verify_tls: false", why);
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
		return err_set(err, -EPROTO, "broken HTTP reply: %s", why);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return err_set(err, -EINVAL, "bad api_url: %s", why);
	default:
		return err_set(err, -EHOSTUNREACH, "cannot reach the device: %s", why);
	}
}

static _Atomic(http_write_gate_fn *) write_gate;

void http_set_write_gate(http_write_gate_fn *fn)
{
	atomic_store(&write_gate, fn);
}

/* 0, or the gate's refusal of a call that is not a GET. */
static int gate_check(struct http_client *c, const char *method, const char *path,
		      struct err *err)
{
	http_write_gate_fn *gate = atomic_load(&write_gate);

	if (!gate || !strcmp(method, "GET"))
		return 0;
	return gate(c->log_id, method, path, err);
}

int http_request(struct http_client *c, const char *method, const char *path, const char *body,
		 struct http_reply *ret, struct err *err)
{
	static const int backoff_ms[] = { 100, 300, 900 };
	char ebuf[CURL_ERROR_SIZE];
	char *url = NULL;
	struct sink s;
	long status = 0;
	CURLcode cc = CURLE_OK;
	double t0 = mono_ms();
	int r = -1;

	if (asprintf(&url, "%s%s", c->base_url, path) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	buf_init(&s.b, c->max_reply);
	for (int attempt = 0; attempt < c->tries; attempt++) {
		CURL *h;

		if (attempt > 0) {
			int ms = backoff_ms[attempt - 1 < 3 ? attempt - 1 : 2];
			struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		r = gate_check(c, method, path, err);
		if (r < 0) {
			free(url);
			buf_release(&s.b);
			log_call(c, method, path, 0, mono_ms() - t0, "(refused: not the leader)");
			return r;
		}
		buf_release(&s.b);
		buf_init(&s.b, c->max_reply);
		s.too_big = s.oom = false;
		h = take_handle(c);
		r = one_try(c, h, method, url, body, &s, &status, &cc, ebuf);
		give_handle(c, h);
		if (r == 0)
			break;
		if (!(is_connect_error(cc) || (is_broken_conn(cc) && idempotent(method))))
			break;
		if (mono_ms() - t0 > (double)c->timeout_ms)
			break;
		log_call(c, method, path, 0, mono_ms() - t0, "(retrying)");
	}
	free(url);
	if (r < 0) {
		r = map_curl_error(c, cc, &s, ebuf, err);
		log_call(c, method, path, status, mono_ms() - t0, "(failed)");
		buf_release(&s.b);
		return r;
	}
	log_call(c, method, path, status, mono_ms() - t0, NULL);
	ret->status = status;
	ret->len = s.b.len;
	ret->body = buf_detach(&s.b);
	if (!ret->body)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

void http_reply_release(struct http_reply *r)
{
	if (!r)
		return;
	if (r->body) {
		/* device replies carry private and preshared keys */
		explicit_bzero(r->body, r->len);
		free(r->body);
	}
	r->body = NULL;
	r->len = 0;
	r->status = 0;
}

void http_call_release(struct http_call *call)
{
	if (!call)
		return;
	free(call->path);
	if (call->body) {
		explicit_bzero(call->body, strlen(call->body));
		free(call->body);
	}
	call->path = call->body = NULL;
	http_reply_release(&call->reply);
}

struct batch {
	struct http_client *c;
	struct http_call *calls;
	size_t n;
	atomic_size_t next;
	atomic_bool stop;
	bool stop_on_error;
};

static void *batch_worker(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		size_t i;
		struct err e = { 0 };
		struct http_call *call;

		if (atomic_load(&b->stop))
			break;
		i = atomic_fetch_add(&b->next, 1);
		if (i >= b->n)
			break;
		call = &b->calls[i];
		call->rc = http_request(b->c, call->method, call->path, call->body, &call->reply,
					&e);
		if (call->rc < 0)
			snprintf(call->errmsg, sizeof(call->errmsg), "%.255s", e.msg);
		if (b->stop_on_error &&
		    (call->rc < 0 || call->reply.status < 200 || call->reply.status > 299))
			atomic_store(&b->stop, true);
	}
	return NULL;
}

int http_call_batch(struct http_client *c, struct http_call *calls, size_t n, bool stop_on_error)
{
	struct batch b = { .c = c, .calls = calls, .n = n, .stop_on_error = stop_on_error };
	pthread_t tids[64];
	size_t nthreads = n < (size_t)c->concurrency ? n : (size_t)c->concurrency, started = 0;

	for (size_t i = 0; i < n; i++) {
		calls[i].rc = 1;
		calls[i].errmsg[0] = '\0';
		memset(&calls[i].reply, 0, sizeof(calls[i].reply));
	}
	atomic_init(&b.next, 0);
	atomic_init(&b.stop, false);
	if (n == 0)
		return 0;
	/* the calling thread is one worker; the rest run on short-lived threads */
	for (size_t i = 1; i < nthreads; i++) {
		if (pthread_create(&tids[started], NULL, batch_worker, &b) != 0)
			break;
		started++;
	}
	batch_worker(&b);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return 0;
}

static int append_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && r == 0; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			r = buf_append(b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			r = buf_append(b, e, 3);
		}
	}
	return r;
}

int http_query_append(char **dst, const char *key, const char *value)
{
	struct buf b;
	int r;

	buf_init(&b, 64 * 1024);
	r = buf_puts(&b, *dst ? *dst : "");
	if (r == 0)
		r = buf_puts(&b, *dst && strchr(*dst, '?') ? "&" : "?");
	if (r == 0)
		r = append_escaped(&b, key);
	if (r == 0)
		r = buf_puts(&b, "=");
	if (r == 0)
		r = append_escaped(&b, value);
	if (r < 0) {
		buf_release(&b);
		return r;
	}
	free(*dst);
	*dst = buf_detach(&b);
	return *dst ? 0 : -ENOMEM;
}

char *http_path_query(const char *base, const char *k1, const char *v1, const char *k2,
		      const char *v2)
{
	char *p = strdup(base);

	if (p && k1 && http_query_append(&p, k1, v1) < 0) {
		free(p);
		return NULL;
	}
	if (p && k2 && http_query_append(&p, k2, v2) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void http_calls_release(struct http_call *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		http_call_release(&v[i]);
}
