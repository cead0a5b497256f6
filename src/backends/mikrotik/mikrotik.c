/* SPDX-License-Identifier: MIT */
/*
 * The MikroTik RouterOS v7 backend (REST): open and probe, the user's policies, the mapping of
 * RouterOS's error answers, the interface list and the ops table. Reads are in mt_read.c,
 * interface writes in mt_iface.c, peer writes in mt_peers.c. Compared with wg-portal's call
 * sequence (spec/routeros-rest.md 6) it reads whole tables once per operation with ?interface=
 * filters and .proplist, issues independent reads in parallel (bounded by `concurrency`),
 * creates objects with all their fields in one PUT (no temporary catch-all peer), and writes
 * only what sync says changed.
 *
 * Permission problems are explained: a RouterOS user without the 'write', 'sensitive' or 'test'
 * policy gets an error naming the policy that blocks the action. Policies are read from the
 * user's group at open when RouterOS lets us; otherwise the router's answers tell.
 */
#include "backends/mikrotik/mikrotik.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/http/http.h"
#include "backends/mikrotik/mt-int.h"
#include "backends/mikrotik/mt_ping.h"
#include "config/config.h"
#include "util/err.h"
#include "util/log.h"

#define MT_CAPS                                                                                 \
	(BACKEND_CAP_CREATE_IFACE | BACKEND_CAP_STATS_PEER | BACKEND_CAP_STATS_IFACE |          \
	 BACKEND_CAP_PSK | BACKEND_CAP_ADDRESSES | BACKEND_CAP_MTU | BACKEND_CAP_DISABLED_PEERS)

const char MT_P_WRITE[] = "interfaces and peers cannot be created, changed or deleted";
const char MT_P_SENSITIVE[] = "private keys cannot be read";
const char MT_P_TEST[] = "ping checks of peers cannot run";

int mt_policy_error(const struct mt_priv *mp, const char *policy, const char *what,
		    struct err *err)
{
	return err_set(err, -EACCES, "RouterOS user '%s' lacks the '%s' policy: %s", mp->user,
		       policy, what);
}

int mt_need_write(const struct mt_priv *mp, struct err *err)
{
	return mp->no_write ? mt_policy_error(mp, "write", MT_P_WRITE, err) : 0;
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= MT_NAME_MAX || s[0] == '*')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-=+@") ==
	       n;
}

int mt_check_name(const char *name, struct err *err)
{
	if (!name_ok(name))
		return err_field(err, -EINVAL, "Identifier",
				 "invalid interface name (1-63 characters of A-Z a-z 0-9 _ . - = + @)");
	return 0;
}

/* ---- error mapping ------------------------------------------------------------------------ */

/* Non-2xx answer -> -errno with a message naming what failed (struct rest.status_error). */
static int status_error(void *ctx, const char *method, const char *what,
			const struct http_reply *rep, struct err *err)
{
	struct mt_priv *mp = ctx;
	char detail[200];
	bool write = strcmp(method, "GET") != 0;

	mt_parse_error(rep->body, rep->len, detail, sizeof(detail));
	switch (rep->status) {
	case 401:
		return err_set(err, -EACCES,
			       "RouterOS rejected the login of user '%s' while %s (wrong "
			       "api_user/api_password, or the user lacks the 'rest-api' policy)",
			       mp->user, what);
	case 403:
		return err_set(err, -EACCES, "RouterOS denied %s: %s", what, detail);
	case 404:
		return err_set(err, -ENOENT, "RouterOS: not found while %s", what);
	case 500:
		/* "not enough permissions (9)": read/write/test policy; "not allowed (9)": api */
		if (strstr(detail, "not allowed") || strstr(detail, "not enough permissions")) {
			if (!strcmp(method, "POST") && strstr(what, "ping")) {
				mp->no_test = true;
				return mt_policy_error(mp, "test", MT_P_TEST, err);
			}
			if (write) {
				/* not cached: the policy may be granted while we run */
				return err_set(err, -EACCES,
					       "RouterOS user '%s' lacks the 'write' policy: %s "
					       "(while %s)", mp->user, MT_P_WRITE, what);
			}
			return err_set(err, -EACCES,
				       "RouterOS user '%s' lacks the 'api' or 'read' policy: nothing "
				       "can be read (while %s)", mp->user, what);
		}
		break;
	case 400:
		if (strstr(detail, "already have"))
			return err_set(err, -EEXIST, "RouterOS refused %s: %s", what, detail);
		if (strstr(detail, "unknown parameter"))
			return err_set(err, -EPROTO, "RouterOS %s refused %s: %s", mp->res.version,
				       what, detail);
		if (strstr(detail, "no such item"))
			return err_set(err, -ENOENT, "RouterOS: not found while %s", what);
		/* RouterOS's answer to set/remove without the 'write' policy (we only change
		 * records we just read and never dynamic ones) */
		if (write && strstr(detail, "missing or invalid resource identifier"))
			return err_set(err, -EACCES,
				       "RouterOS user '%s' lacks the 'write' policy: %s (while %s: %s)",
				       mp->user, MT_P_WRITE, what, detail);
		return err_set(err, -EINVAL, "RouterOS refused %s: %s", what,
			       *detail ? detail : "bad request");
	default:
		break;
	}
	return err_set(err, -EPROTO, "RouterOS answered HTTP %ld while %s%s%s", rep->status, what,
		       *detail ? ": " : "", detail);
}

/* ---- open / probe ----------------------------------------------------------------------- */

static bool policy_has(const char *list, const char *name)
{
	const char *p = list;
	size_t n = strlen(name);

	while (*p) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncmp(p, name, n))
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Reads the user's group policies; leaves policies_known false when RouterOS does not let us. */
static void probe_policies(struct mt_priv *mp)
{
	char group[64], policy[512], *path;
	struct http_reply rep = { 0 };
	struct err e = { 0 };
	int r;

	path = http_path_query("/user", "name", mp->user, ".proplist", "name,group");
	if (!path)
		return;
	r = rest_call(&mp->rest, "GET", path, NULL, "reading the user", &rep, &e);
	free(path);
	if (r == 0)
		r = mt_parse_first_field(rep.body, rep.len, "group", group, sizeof(group), &e);
	http_reply_release(&rep);
	if (r < 0)
		goto fallback;
	path = http_path_query("/user/group", "name", group, ".proplist", "name,policy");
	if (!path)
		return;
	r = rest_call(&mp->rest, "GET", path, NULL, "reading the user group", &rep, &e);
	free(path);
	if (r == 0)
		r = mt_parse_first_field(rep.body, rep.len, "policy", policy, sizeof(policy), &e);
	http_reply_release(&rep);
	if (r < 0)
		goto fallback;
	mp->policies_known = true;
	mp->no_write = !policy_has(policy, "write");
	mp->no_sensitive = !policy_has(policy, "sensitive");
	mp->no_test = !policy_has(policy, "test");
	return;
fallback:
	/* No user table for us: 'test' is the one policy no other call reveals. */
	r = rest_call(&mp->rest, "POST", "/tool/ping", "{\"address\":\"127.0.0.1\",\"count\":\"1\"}",
		      "running a ping probe", &rep, &e);
	http_reply_release(&rep);
	if (r == -EACCES)
		mp->no_test = true;
}

static int mt_probe(struct backend *be, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_reply rep = { 0 };
	struct mt_resource res;
	int r;

	r = rest_call(&mp->rest, "GET", "/system/resource?.proplist=version%2Cboard-name", NULL,
		      "reading /system/resource", &rep, err);
	if (r < 0)
		return r;
	r = mt_parse_resource(rep.body, rep.len, &res, err);
	http_reply_release(&rep);
	if (r < 0)
		return err_prefix(err, "RouterOS /system/resource");
	if (res.ver.major < 7)
		return err_set(err, -EOPNOTSUPP, "RouterOS %s is not supported (needs v7)",
			       res.version);
	mp->res = res;
	mp->probed = true;
	if (res.ver.patch)
		backend_set_implementation(be, "RouterOS %d.%d.%d (REST)", res.ver.major,
					   res.ver.minor, res.ver.patch);
	else
		backend_set_implementation(be, "RouterOS %d.%d (REST)", res.ver.major,
					   res.ver.minor);
	probe_policies(mp);
	if (mp->no_write || mp->no_sensitive || mp->no_test) {
		const char *pol = mp->no_write ? "write" : mp->no_sensitive ? "sensitive" : "test";
		const char *what = mp->no_write       ? MT_P_WRITE
				   : mp->no_sensitive ? MT_P_SENSITIVE
						      : MT_P_TEST;
		backend_set_last_error(be, "RouterOS user '%.60s' lacks the '%s' policy: %s%s%s%s",
				       mp->user, pol, what,
				       mp->no_sensitive && strcmp(pol, "sensitive") ? "; and "
										      "'sensitive'"
										    : "",
				       mp->no_test && strcmp(pol, "test") ? "; and 'test': " : "",
				       mp->no_test && strcmp(pol, "test") ? MT_P_TEST : "");
	}
	if (mp->no_test) {
		/* known from the user's group: drop ping checks now rather than at the first
		 * refused ping (a router without peers would otherwise keep advertising them);
		 * the ping checker logs ping_error once */
		char why[160];
		snprintf(why, sizeof(why), "RouterOS user '%.60s' lacks the 'test' policy: %s",
			 mp->user, MT_P_TEST);
		backend_drop_ping(be, why);
	}
	log_debug("backend '%s': RouterOS %s, board '%s'", be->id, res.version, res.board);
	return 0;
}

struct http_client *mt_http(const struct backend *be)
{
	const struct mt_priv *mp = be->priv;

	return mp ? mp->http : NULL;
}

int mt_ensure_probed(struct backend *be, struct err *err)
{
	struct mt_priv *mp = be->priv;

	if (mp->probed)
		return 0;
	return mt_probe(be, err);
}

static void mt_close(struct backend *be)
{
	struct mt_priv *mp = be ? be->priv : NULL;

	if (!mp)
		return;
	mp->http = http_client_free(mp->http);
	mp->rest.http = NULL;
	mp->probed = false;
}

static int mt_open(struct backend *be, const struct cfg_backend *cfg, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_client_cfg hc;
	int r;

	memset(mp, 0, sizeof(*mp));
	backend_set_caps(be, MT_CAPS);
	backend_set_implementation(be, "RouterOS (REST)");
	if (!cfg || !cfg->api_url || !*cfg->api_url)
		return err_set(err, -EINVAL, "mikrotik backend '%s': api_url is required", be->id);
	snprintf(mp->user, sizeof(mp->user), "%s", cfg->api_user ? cfg->api_user : "");
	rest_client_cfg(cfg, be->id, &hc);
	hc.base_url = cfg->api_url;
	hc.user = cfg->api_user;
	hc.password = cfg->api_password;
	r = http_client_new(&hc, &mp->http, err);
	if (r < 0)
		return err_prefix(err, "mikrotik backend '%s'", be->id);
	mp->rest = (struct rest){ .http = mp->http, .device = "RouterOS",
				  .status_error = status_error, .ctx = mp };
	r = rest_open_result(mt_probe(be, err), err);
	if (r < 0 && r != -EHOSTUNREACH && r != -ETIMEDOUT)
		mt_close(be); /* backend.c frees priv without close() on a fatal open error */
	return r;
}

/* ---- naming ------------------------------------------------------------------------------ */

int mt_list_ifaces(struct backend *be, struct strv *ret, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_reply rep = { 0 };
	struct strv names = STRV_INIT;
	struct mt_wg *w = NULL;
	size_t n = 0;
	int r;

	if ((r = mt_ensure_probed(be, err)) < 0)
		return r;
	r = rest_call(&mp->rest, "GET", "/interface/wireguard?.proplist=.id%2Cname", NULL,
		      "listing WireGuard interfaces", &rep, err);
	if (r < 0)
		return r;
	r = mt_parse_wgs(rep.body, rep.len, &w, &n, err);
	http_reply_release(&rep);
	if (r < 0)
		return err_prefix(err, "RouterOS /interface/wireguard");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (be->cfg && strv_contains(&be->cfg->ignored_interfaces, w[i].name))
			continue;
		r = strv_push(&names, w[i].name);
	}
	mt_wgs_free(w, n);
	if (r < 0) {
		strv_release(&names);
		return err_set(err, r, "out of memory");
	}
	strv_release(ret);
	*ret = names;
	return 0;
}

/* "wg<N>" that is neither stored nor any interface of the router (names are unique across
 * all RouterOS interfaces, not only WireGuard ones). */
static int mt_suggest_name(struct backend *be, const struct strv *taken, char *out, size_t size,
			   struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_reply rep = { 0 };
	struct mt_ifstat *all = NULL;
	size_t n = 0;
	int r;

	if ((r = mt_ensure_probed(be, err)) == 0 &&
	    (r = rest_call(&mp->rest, "GET", "/interface?.proplist=.id%2Cname", NULL,
			   "listing interfaces", &rep, err)) == 0) {
		r = mt_parse_ifstats(rep.body, rep.len, &all, &n, err);
		http_reply_release(&rep);
	}
	if (r < 0)
		err_clear(err); /* a router that does not answer now: the store alone decides */
	for (int i = 0; i < 100000; i++) {
		bool used = false;
		snprintf(out, size, "wg%d", i);
		for (size_t k = 0; k < n && !used; k++)
			used = !strcmp(all[k].name, out);
		if (!used && !strv_contains(taken, out)) {
			free(all);
			return 0;
		}
	}
	free(all);
	return err_set(err, -ENOSPC, "no free interface name on the router");
}

const struct backend_ops backend_mikrotik = {
	.type = "mikrotik",
	.caps = MT_CAPS,
	.priv_size = sizeof(struct mt_priv),
	.remote = true,
	.open = mt_open,
	.close = mt_close,
	.list_ifaces = mt_list_ifaces,
	.get_iface = mt_get_iface,
	.apply_iface = mt_apply_iface,
	.delete_iface = mt_delete_iface,
	.apply_peers = mt_apply_peers,
	.suggest_name = mt_suggest_name,
	.ping = mt_ping,
};
