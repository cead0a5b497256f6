/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_HTTP_REST_H
#define BACKENDS_HTTP_REST_H
/*
 * The REST layer both device backends stand on (MikroTik, pfSense): one call through the shared
 * client with its answer checked, a batch of reads run in parallel and checked in order, the
 * client configured from a backend's config entry, and the start-up rule for devices that do
 * not answer. What differs per device is one function: how a non-2xx answer becomes -errno and
 * a message (struct rest.status_error); the rest is here once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/http/http.h"

struct err;
struct jsonw;
struct cfg_backend;

struct rest {
	struct http_client *http;
	const char *device;          /* "RouterOS", "pfSense": starts every message */
	/* A non-2xx answer to `method` while `what` -> -errno with the reason in err. */
	int (*status_error)(void *ctx, const char *method, const char *what,
			    const struct http_reply *rep, struct err *err);
	void *ctx;
};

/* One call: 0 with a 2xx reply in *rep (release it), or -errno (reply released). */
int rest_call(const struct rest *rs, const char *method, const char *path, const char *body,
	      const char *what, struct http_reply *rep, struct err *err);
/* The outcome of one call of a batch as 0/-errno; the reply stays in the call. A call the
 * batch skipped after an earlier failure is -ECANCELED. */
int rest_result(const struct rest *rs, struct http_call *c, const char *what, struct err *err);
/* Runs GETs calls[0..n-1] (paths set by the caller; NULL path = out of memory) in parallel,
 * stopping at the first failure, and returns the first failure in call order with what[i]
 * naming it. */
int rest_reads(const struct rest *rs, struct http_call *calls, size_t n,
	       const char *const *what, struct err *err);
/* "base/id", NULL on OOM. */
char *rest_path_id(const char *base, const char *id);

/* The HTTP client settings every device backend takes from its config entry: timeout, TLS
 * verification, concurrency, debug. Credentials and base URL are the caller's. */
void rest_client_cfg(const struct cfg_backend *cfg, const char *log_id,
		     struct http_client_cfg *ret);
/* open(): a device that does not answer (or answers what is not its API) may come back: such
 * failures become -EHOSTUNREACH so the registry keeps the backend, marked unreachable. */
int rest_open_result(int r, struct err *err);

struct dev_peer;
/* apply_peers input as a device takes it: a public key each, listed once; for peers that are
 * not removed valid allowed IPs (at most max_allowed_ips), an endpoint that parses, a name of
 * at most 255 bytes. Errors name the field and the peer's index. */
int rest_check_peers(const struct dev_peer *peers, size_t n, size_t max_allowed_ips,
		     struct err *err);

/* `"k":"<base64 key>"` in a request body, the text wiped after use. */
void rest_json_key(struct jsonw *w, const char *k, const uint8_t key[32]);

#endif
