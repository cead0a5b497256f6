/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_HTTP_HTTP_H
#define BACKENDS_HTTP_HTTP_H
/*
 * The shared HTTP(S) client of the device backends (MikroTik, pfSense): one struct http_client
 * per configured device. It owns a small pool of libcurl easy handles (keep-alive connections
 * are reused), bounds the calls in flight to the device with a counting semaphore
 * (`concurrency`), gives every call the same total timeout (`api_timeout`), retries only when
 * the connection could not be made or broke (never on an HTTP answer, whatever its status), and
 * bounds every reply body. Debug logging names method, path, status and duration only: never
 * credentials, headers, query values or bodies.
 *
 * Thread-safe: any number of threads may call http_request() on one client; at most
 * `concurrency` of them talk to the device at the same time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct http_client;

#define HTTP_REPLY_MAX_DEFAULT (16u * 1024 * 1024)

struct http_client_cfg {
	const char *log_id;        /* backend id, for log lines; may be NULL */
	const char *base_url;      /* "https://10.0.0.1/rest"; trailing '/' ignored */
	/* auth: Basic when user and password are both non-empty (wg-portal's rule), and/or one
	 * extra header "auth_header: auth_value" (pfSense X-API-Key) when both are set */
	const char *user, *password;
	const char *auth_header, *auth_value;
	bool verify_tls;           /* false: self-signed accepted, a warning is logged once */
	int64_t timeout_ms;        /* per call, <= 0 -> 30 s */
	int concurrency;           /* calls in flight, <= 0 -> 5 */
	bool debug;                /* log every call at info level (backend "debug: true") */
	size_t max_reply;          /* 0 -> HTTP_REPLY_MAX_DEFAULT */
	int tries;                 /* connection attempts, <= 0 -> 3 */
};

struct http_reply {
	long status;               /* HTTP status; 0 when no answer arrived */
	char *body;                /* heap, NUL-terminated, never NULL after success */
	size_t len;
};

/* Creates a client. Copies everything it needs from cfg (secrets are wiped on free).
 * Returns 0 or -errno (-EINVAL for a bad URL scheme, -ENOMEM). */
int http_client_new(const struct http_client_cfg *cfg, struct http_client **ret, struct err *err);
/* NULL-safe; returns NULL. */
struct http_client *http_client_free(struct http_client *c);

/*
 * One call: method "GET"/"PUT"/"PATCH"/"DELETE"/"POST", path relative to base_url (starting
 * with '/', query string already encoded), body JSON text or NULL. Any HTTP answer is a
 * success of this function (check ret->status); failures are transport-level:
 *   -EHOSTUNREACH  connection refused/reset, DNS, TLS handshake or certificate failure
 *   -ETIMEDOUT     api_timeout elapsed
 *   -E2BIG         reply larger than max_reply ("reply too large")
 *   -EPROTO        broken HTTP (truncated body, garbage status line)
 *   -ENOMEM
 * ret is written only on success; release with http_reply_release().
 */
int http_request(struct http_client *c, const char *method, const char *path, const char *body,
		 struct http_reply *ret, struct err *err);
void http_reply_release(struct http_reply *r);

/* A batch of independent calls, run with at most `concurrency` in flight. */
struct http_call {
	const char *method;
	char *path;                /* owned by the caller */
	char *body;                /* owned by the caller, may be NULL */
	void *user;                /* caller's cookie */
	/* results */
	int rc;                    /* http_request() result; 1 = not started (batch stopped) */
	struct http_reply reply;
	char errmsg[256];
};

/*
 * Runs calls[0..n-1]. stop_on: when a call's rc < 0 or its status is not 2xx, and stop_on_error
 * is true, calls not yet started are skipped (rc stays 1). Returns 0 (inspect each call), or
 * -ENOMEM when no worker could be started.
 */
int http_call_batch(struct http_client *c, struct http_call *calls, size_t n, bool stop_on_error);
void http_call_release(struct http_call *call);   /* frees path, body, reply */

/* Percent-encodes s (RFC 3986 unreserved kept) onto the end of *dst (heap, realloc'd). */
int http_query_append(char **dst, const char *key, const char *value);
/* "base?k1=v1&k2=v2" with values percent-encoded; k1/k2 NULL leave them out. NULL on OOM. */
char *http_path_query(const char *base, const char *k1, const char *v1, const char *k2,
		      const char *v2);
/* Releases each call of an array (NULL-safe); the array itself stays the caller's. */
void http_calls_release(struct http_call *v, size_t n);
static inline bool http_status_ok(long status)
{
	return status >= 200 && status <= 299;
}

/*
 * The write gate: when set, it is asked before every attempt of every call other than a GET
 * (log_id is the client's, method and path the call's) and refuses the call unsent by returning
 * -errno with err set. The cluster's fence (cluster.h) is installed here, so a node that may not
 * write to devices sends nothing, whichever code path tries. NULL = no gate.
 */
typedef int http_write_gate_fn(const char *log_id, const char *method, const char *path,
			       struct err *err);
void http_set_write_gate(http_write_gate_fn *fn);

/* Counters for tests: calls started, and the most ever in flight at once. */
void http_client_stats(struct http_client *c, unsigned long *calls, int *max_in_flight);

#endif
