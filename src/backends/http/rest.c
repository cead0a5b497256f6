/* SPDX-License-Identifier: MIT */
/* The REST call layer of the device backends (see rest.h). */
#include "backends/http/rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "config/config.h"
#include "model/endpoint.h"
#include "model/keys.h"
#include "util/err.h"
#include "util/jsonw.h"

int rest_call(const struct rest *rs, const char *method, const char *path, const char *body,
	      const char *what, struct http_reply *rep, struct err *err)
{
	int r = http_request(rs->http, method, path, body, rep, err);

	if (r < 0)
		return err_prefix(err, "%s, %s", rs->device, what);
	if (!http_status_ok(rep->status)) {
		r = rs->status_error(rs->ctx, method, what, rep, err);
		http_reply_release(rep);
	}
	return r;
}

int rest_result(const struct rest *rs, struct http_call *c, const char *what, struct err *err)
{
	if (c->rc == 1)
		return err_set(err, -ECANCELED, "%s: %s not attempted after an earlier failure",
			       rs->device, what);
	if (c->rc < 0)
		return err_set(err, c->rc, "%s, %s: %s", rs->device, what, c->errmsg);
	if (!http_status_ok(c->reply.status))
		return rs->status_error(rs->ctx, c->method, what, &c->reply, err);
	return 0;
}

int rest_reads(const struct rest *rs, struct http_call *calls, size_t n,
	       const char *const *what, struct err *err)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		calls[i].method = "GET";
		if (!calls[i].path)
			return err_set(err, -ENOMEM, "out of memory");
	}
	if (http_call_batch(rs->http, calls, n, true) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if ((r = rest_result(rs, &calls[i], what[i], err)) < 0)
			return r;
	return 0;
}

char *rest_path_id(const char *base, const char *id)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", base, id) < 0)
		return NULL;
	return p;
}

void rest_client_cfg(const struct cfg_backend *cfg, const char *log_id,
		     struct http_client_cfg *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->log_id = log_id;
	ret->verify_tls = cfg->api_verify_tls;
	ret->timeout_ms = cfg->api_timeout_ms;
	ret->concurrency = cfg->concurrency;
	ret->debug = cfg->debug;
}

int rest_open_result(int r, struct err *err)
{
	if (r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -ECONNREFUSED || r == -EPROTO ||
	    r == -E2BIG || r == -ENOENT || r == -ECANCELED) {
		if (r != -ETIMEDOUT)
			r = -EHOSTUNREACH;
		if (err)
			err->code = r;
	}
	return r;
}

void rest_json_key(struct jsonw *w, const char *k, const uint8_t key[32])
{
	char s[WG_KEY_B64_SIZE];

	key_to_base64(s, key);
	jsonw_str(w, k, s);
	explicit_bzero(s, sizeof(s));
}

static int check_peer(const struct dev_peer *p, size_t idx, size_t max_allowed_ips,
		      struct err *err)
{
	struct endpoint ep;

	if (key_is_zero(p->public_key))
		return err_field(err, -EINVAL, "PublicKey", "peer %zu: public key missing", idx);
	if (p->flags & DEV_PEER_REMOVE)
		return 0;
	if (p->n_allowed_ips > max_allowed_ips)
		return err_field(err, -EINVAL, "AllowedIPs", "peer %zu: too many allowed IPs", idx);
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		if (!ip_prefix_is_valid(&p->allowed_ips[i]))
			return err_field(err, -EINVAL, "AllowedIPs", "peer %zu: invalid allowed IP",
					 idx);
	if ((p->flags & DEV_PEER_HAS_ENDPOINT) && p->endpoint[0] &&
	    endpoint_parse(p->endpoint, false, &ep) < 0)
		return err_field(err, -EINVAL, "Endpoint",
				 "peer %zu: endpoint must be host:port or [v6]:port", idx);
	if (p->name && strlen(p->name) > 255)
		return err_field(err, -EINVAL, "DisplayName", "peer %zu: name too long", idx);
	return 0;
}

static int cmp_key_ptr(const void *a, const void *b)
{
	return memcmp((*(const struct dev_peer *const *)a)->public_key,
		      (*(const struct dev_peer *const *)b)->public_key, WG_KEY_LEN);
}

int rest_check_peers(const struct dev_peer *peers, size_t n, size_t max_allowed_ips,
		     struct err *err)
{
	const struct dev_peer **v;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		if ((r = check_peer(&peers[i], i, max_allowed_ips, err)) < 0)
			return r;
	if (n < 2)
		return 0;
	/* listed twice: sorted by key, neighbours (n log n for a 10,000-peer restore) */
	if (!(v = malloc(n * sizeof(*v))))
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = &peers[i];
	qsort(v, n, sizeof(*v), cmp_key_ptr);
	for (size_t i = 1; i < n && r == 0; i++)
		if (!memcmp(v[i - 1]->public_key, v[i]->public_key, WG_KEY_LEN))
			r = err_field(err, -EINVAL, "PublicKey", "peer %zu: public key listed twice",
				      (size_t)(v[i - 1] > v[i] ? v[i - 1] - peers : v[i] - peers));
	free(v);
	return r;
}
