/* SPDX-License-Identifier: MIT */
/*
 * The pfSense backend over the REST API v2 package (pfrest; spec/pfsense-rest.md): open and
 * probe, the read-only API key, the mapping of pfrest's error answers, the tunnel list and the
 * ops table. Reads are in pf_read.c, tunnel and peer writes in pf_write.c, the write batches
 * and their applies in pf_batch.c. What pfrest really does (decoding by Content-Type, plural
 * DELETE never applying, sensitive fields hidden, tun_wgN names assigned by pfSense, the status
 * endpoints) is listed with its source in tests/sim/README.md; this backend follows it.
 *
 * Private keys are never returned (unless the firewall exposes sensitive fields) and preshared
 * keys only when exposed: sync then neither compares nor writes them back, it writes them only
 * when a user sets them. Statistics come from /status/wireguard/tunnels (package 2.9.0+),
 * probed at open. Opening sends only GETs (a start that imports writes nothing, issue 11): a
 * read-only API key is learnt from the first write pfrest refuses (403/405), after which
 * writes are refused here without a request; one is let through again every minute, in case
 * the key was given write privileges meanwhile.
 */
#include "backends/pfsense/pfsense.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backends/http/http.h"
#include "backends/pfsense/pf-int.h"
#include "config/config.h"
#include "util/err.h"
#include "util/log.h"

#define PF_CAPS_BASE                                                                            \
	(BACKEND_CAP_CREATE_IFACE | BACKEND_CAP_PSK | BACKEND_CAP_ADDRESSES | BACKEND_CAP_MTU |  \
	 BACKEND_CAP_DISABLED_PEERS | BACKEND_CAP_PSK_WRITE_ONLY | BACKEND_CAP_PRIVKEY_HIDDEN)
#define PF_CAPS_ALL (PF_CAPS_BASE | BACKEND_CAP_STATS_PEER | BACKEND_CAP_READONLY)
#define PF_REPROBE_SEC 60

/* pfSense names tunnels tun_wg<N> itself; the wgportal identifier must be that name. */
static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 6 && n <= 11 && !strncmp(s, "tun_wg", 6) && strspn(s + 6, "0123456789") == n - 6 &&
	       (n == 7 || s[6] != '0');
}

int pf_check_name(const char *name, struct err *err)
{
	if (!name_ok(name))
		return err_field(err, -EINVAL, "Identifier",
				 "pfSense tunnels are named tun_wg<N> (e.g. tun_wg0): use that as "
				 "the interface identifier");
	return 0;
}

/* ---- calls and error mapping ---------------------------------------------------------------- */

/* The key's write access changed (a refused write, or one let through again). Logged here, once per change,
 * at warning level: it is the one place that sees the change, and the admin must hear about it
 * in plain words even when no request is failing right now. */
void pf_set_readonly(struct pf_priv *pp, bool ro)
{
	if (ro && !pp->readonly)
		log_warn("backend '%s': the pfSense API key is read-only: wgportal keeps reading "
			 "this firewall but refuses every change to it (HTTP 403). Run with "
			 "core.restore_state: false, or give the key write privileges", pp->id);
	else if (!ro && pp->readonly)
		log_info("backend '%s': the pfSense API key may write again", pp->id);
	if (ro || pp->readonly)
		pp->readonly_since = time(NULL);
	pp->readonly = ro;
}

static int readonly_error(struct pf_priv *pp, struct err *err)
{
	return err_set(err, -EACCES,
		       "pfSense API key of backend '%s' is read-only: writes are refused; set "
		       "core.restore_state: false to run with it",
		       pp->id);
}

/* Non-2xx answer -> -errno with a message naming what failed (no values of the request). */
static int status_error(void *ctx, const char *method, const char *what,
			const struct http_reply *rep, struct err *err)
{
	struct pf_priv *pp = ctx;
	struct pf_envelope env;
	bool write = strcmp(method, "GET") != 0;
	bool is_env = pf_parse_envelope(rep->body, rep->len, &env, NULL) == 0;
	const char *rid = is_env ? env.response_id : "";
	char detail[340];

	if (is_env)
		snprintf(detail, sizeof(detail), "%s%s%s", env.response_id,
			 env.message[0] ? ": " : "", env.message);
	else
		snprintf(detail, sizeof(detail), "HTTP %ld without a pfSense REST API answer",
			 rep->status);
	switch (rep->status) {
	case 401:
		return err_set(err, -EACCES,
			       "pfSense rejected the API key while %s (wrong api_key, or KeyAuth is "
			       "not enabled in System > REST API)", what);
	case 403:
		if (write && !strcmp(rid, "AUTH_AUTHORIZATION_FAILED")) {
			pf_set_readonly(pp, true);
			return readonly_error(pp, err);
		}
		return err_set(err, -EACCES, "pfSense denied %s: %s", what, detail);
	case 404:
		if (!is_env)
			return err_set(err, -EPROTO,
				       "pfSense: no REST API v2 endpoint while %s (is the REST API "
				       "package installed, and api_url the bare host URL?)", what);
		if (!strcmp(rid, "MODEL_MISSING_REQUIRED_PACKAGE"))
			return err_set(err, -EOPNOTSUPP,
				       "pfSense: the WireGuard package is not installed (%s)", what);
		return err_set(err, -ENOENT, "pfSense: not found while %s: %s", what, detail);
	case 405:
		if (!strcmp(rid, "ENDPOINT_METHOD_NOT_ALLOWED_IN_READ_ONLY_MODE")) {
			pf_set_readonly(pp, true);
			return readonly_error(pp, err);
		}
		break;
	case 400:
		if (strstr(rid, "MUST_BE_UNIQUE") || strstr(rid, "ALREADY_IN_USE"))
			return err_set(err, -EEXIST, "pfSense refused %s: %s", what, detail);
		return err_set(err, -EINVAL, "pfSense refused %s: %s", what, detail);
	case 409:
		return err_set(err, -EBUSY, "pfSense refused %s: %s", what, detail);
	case 503:
		return err_set(err, -EHOSTUNREACH, "pfSense unavailable while %s: %s", what,
			       detail);
	default:
		break;
	}
	return err_set(err, -EPROTO, "pfSense answered HTTP %ld while %s: %s", rep->status, what,
		       detail);
}

/* ---- open / probe ----------------------------------------------------------------------------- */

static void set_implementation(struct backend *be)
{
	struct pf_priv *pp = be->priv;

	if (pp->version[0])
		backend_set_implementation(be, "pfSense REST API v2 (package %.12s), statistics: %s",
					   pp->version, pp->stats ? "yes" : "no");
	else
		backend_set_implementation(be, "pfSense REST API v2 (package %s), statistics: %s",
					   pp->stats ? ">= 2.9.0" : "< 2.9.0",
					   pp->stats ? "yes" : "no");
	backend_set_caps(be, PF_CAPS_BASE | (pp->stats ? BACKEND_CAP_STATS_PEER : 0) |
				     (pp->readonly ? BACKEND_CAP_READONLY : 0));
}

enum { PR_SETTINGS, PR_STATUS, PR_VERSION, PR_MAX };

static int pf_probe(struct backend *be, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_call calls[PR_MAX] = { 0 };
	int r;

	calls[PR_SETTINGS].path = strdup(PF_W "/settings");
	calls[PR_STATUS].path = strdup("/status/wireguard/tunnels?limit=1");
	calls[PR_VERSION].path = strdup("/system/restapi/version");
	for (int i = 0; i < PR_MAX; i++) {
		calls[i].method = "GET";
		if (!calls[i].path) {
			http_calls_release(calls, PR_MAX);
			return err_set(err, -ENOMEM, "out of memory");
		}
	}
	http_call_batch(pp->http, calls, PR_MAX, false);
	r = rest_result(&pp->rest, &calls[PR_SETTINGS], "reading the WireGuard settings", err);
	if (r < 0)
		goto out;
	{
		struct pf_envelope env;
		if (pf_parse_envelope(calls[PR_SETTINGS].reply.body, calls[PR_SETTINGS].reply.len,
				      &env, err) < 0) {
			r = err_prefix(err, "pfSense WireGuard settings");
			goto out;
		}
	}
	/* 2.9.0 added the status endpoints; older packages answer 404 */
	pp->stats = calls[PR_STATUS].rc == 0 && http_status_ok(calls[PR_STATUS].reply.status);
	pp->version[0] = '\0';
	if (calls[PR_VERSION].rc == 0 && http_status_ok(calls[PR_VERSION].reply.status)) {
		const char *v = strstr(calls[PR_VERSION].reply.body, "\"current_version\":\"");
		if (v) {
			size_t k = 0;
			v += strlen("\"current_version\":\"");
			if (*v == 'v')
				v++;
			while (k + 1 < sizeof(pp->version) && ((v[k] >= '0' && v[k] <= '9') ||
							       v[k] == '.'))
				k++;
			memcpy(pp->version, v, k);
			pp->version[k] = '\0';
		}
	}
	/* Write access is learnt from the first write (a 403/405 turns the backend read-only):
	 * a start that only imports sends no write at all, not even a probe. */
	pp->probed = true;
	set_implementation(be);
	log_debug("backend '%s': package %s%s", be->id, pp->version[0] ? pp->version : "?",
		  pp->readonly ? ", read-only key" : "");
	r = 0;
out:
	http_calls_release(calls, PR_MAX);
	return r;
}

int pf_ensure_probed(struct backend *be, struct err *err)
{
	struct pf_priv *pp = be->priv;

	if (pp->probed)
		return 0;
	return pf_probe(be, err);
}

int pf_need_write(struct backend *be, struct err *err)
{
	struct pf_priv *pp = be->priv;

	if (!pp->readonly)
		return 0;
	/* privileges can be granted while we run: let a write through now and then; a refusal
	 * turns the backend read-only again */
	if (time(NULL) - pp->readonly_since >= PF_REPROBE_SEC) {
		pp->readonly_since = time(NULL);
		return 0;
	}
	return readonly_error(pp, err);
}

/* A write refused for lack of privileges turns the backend read-only (shown in its caps). */
int pf_sync_caps(struct backend *be, int r)
{
	struct pf_priv *pp = be->priv;

	if (pp->readonly != backend_has_cap(be, BACKEND_CAP_READONLY)) {
		set_implementation(be);
		if (pp->readonly)
			backend_set_last_error(be, "pfSense API key is read-only: writes are refused "
					       "(run with core.restore_state: false)");
	}
	return r;
}

static void pf_close(struct backend *be)
{
	struct pf_priv *pp = be ? be->priv : NULL;

	if (!pp)
		return;
	pp->http = http_client_free(pp->http);
	pp->rest.http = NULL;
	pp->probed = false;
}

static int pf_open(struct backend *be, const struct cfg_backend *cfg, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_client_cfg hc;
	char *url = NULL;
	size_t ul;
	int r;

	memset(pp, 0, sizeof(*pp));
	snprintf(pp->id, sizeof(pp->id), "%s", be->id);
	backend_set_caps(be, PF_CAPS_BASE);
	backend_set_implementation(be, "pfSense REST API v2");
	if (!cfg || !cfg->api_url || !*cfg->api_url)
		return err_set(err, -EINVAL, "pfsense backend '%s': api_url is required", be->id);
	ul = strlen(cfg->api_url);
	while (ul > 0 && cfg->api_url[ul - 1] == '/')
		ul--;
	/* wg-portal's struct comment shows ".../api/v2", which its own code turns into
	 * /api/v2/api/v2 (404, spec 1); we add the suffix ourselves and drop a configured one. The
	 * warning is logged here because only open() sees the raw value, once per start. */
	if (ul >= 7 && !strncasecmp(cfg->api_url + ul - 7, "/api/v2", 7)) {
		ul -= 7;
		while (ul > 0 && cfg->api_url[ul - 1] == '/')
			ul--;
		/* the URL itself is not logged: it may carry user:password@ */
		log_warn("backend '%s': api_url ends in /api/v2; it should be the bare firewall "
			 "URL (wgportal adds /api/v2 itself): the suffix is dropped", be->id);
	}
	if (ul == 0)
		return err_set(err, -EINVAL, "pfsense backend '%s': api_url is required", be->id);
	if (asprintf(&url, "%.*s/api/v2", (int)ul, cfg->api_url) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	rest_client_cfg(cfg, be->id, &hc);
	hc.base_url = url;
	hc.auth_header = "X-API-Key";
	hc.auth_value = cfg->api_key;
	pp->timeout_ms = cfg->api_timeout_ms > 0 ? (long)cfg->api_timeout_ms : 30000;
	r = http_client_new(&hc, &pp->http, err);
	free(url);
	if (r < 0)
		return err_prefix(err, "pfsense backend '%s'", be->id);
	pp->rest = (struct rest){ .http = pp->http, .device = "pfSense",
				  .status_error = status_error, .ctx = pp };
	/* a firewall that does not answer may come back: keep the client, probe again later */
	r = rest_open_result(pf_probe(be, err), err);
	if (r < 0 && r != -EHOSTUNREACH && r != -ETIMEDOUT)
		pf_close(be); /* backend.c frees priv without close() on a fatal open error */
	return r;
}

static int pf_list_ifaces(struct backend *be, struct strv *ret, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_reply rep = { 0 };
	struct strv names = STRV_INIT;
	struct pf_tunnel *t = NULL;
	size_t n = 0;
	int r;

	if ((r = pf_ensure_probed(be, err)) < 0)
		return r;
	if (pp->n_undo)
		pf_undo_run(pp, NULL, NULL, 0);
	r = rest_call(&pp->rest, "GET", PF_W "/tunnels", NULL, "listing WireGuard tunnels", &rep,
		      err);
	if (r < 0)
		return r;
	r = pf_parse_tunnels(rep.body, rep.len, &t, &n, err);
	http_reply_release(&rep);
	if (r < 0)
		return err_prefix(err, "pfSense tunnels");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (be->cfg && strv_contains(&be->cfg->ignored_interfaces, t[i].name))
			continue;
		r = strv_push(&names, t[i].name);
	}
	pf_tunnels_free(t, n);
	if (r < 0) {
		strv_release(&names);
		return err_set(err, r, "out of memory");
	}
	strv_release(ret);
	*ret = names;
	return 0;
}

/* The tunnel called name in a (filtered) list, or NULL. */
const struct pf_tunnel *pf_find_tunnel(const struct pf_tunnel *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* The lowest tun_wg<N> that is neither stored nor a tunnel of the firewall: the name pfSense
 * gives the next tunnel it creates (tests/sim/README.md, "Read-only fields"). */
/* pfSense names a new tunnel itself: the lowest tun_wgN its config does not hold (pfrest
 * WireGuardTunnel::get_next_tunnel_name, tests/sim/README.md). That is the name to suggest; when
 * another interface of the store already has it, no name can work until one of them goes. */
static int pf_suggest_name(struct backend *be, const struct strv *taken, char *out, size_t size,
			   struct err *err)
{
	struct strv have = STRV_INIT;
	bool device = pf_list_ifaces(be, &have, err) == 0;
	const struct strv *used = device ? &have : taken;
	int i;

	/* a firewall that does not answer now: the store alone decides, the create tells */
	if (!device)
		err_clear(err);
	for (i = 0; i < 100000; i++) {
		snprintf(out, size, "tun_wg%d", i);
		if (!strv_contains(used, out))
			break;
	}
	strv_release(&have);
	if (i == 100000)
		return err_set(err, -ENOSPC, "no free tunnel name on the firewall");
	if (strv_contains(taken, out))
		return err_set(err, -EEXIST,
			       "pfSense names the next tunnel of backend '%s' '%s', and an interface "
			       "of another backend already has that identifier", be->id, out);
	return 0;
}

const struct backend_ops backend_pfsense = {
	.type = "pfsense",
	.caps = PF_CAPS_ALL,
	.priv_size = sizeof(struct pf_priv),
	.remote = true,
	.open = pf_open,
	.close = pf_close,
	.list_ifaces = pf_list_ifaces,
	.get_iface = pf_get_iface,
	.apply_iface = pf_apply_iface,
	.delete_iface = pf_delete_iface,
	.apply_peers = pf_apply_peers,
	.suggest_name = pf_suggest_name,
};
