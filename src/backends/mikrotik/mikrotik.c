/* SPDX-License-Identifier: MIT */
/*
 * The MikroTik RouterOS v7 backend (REST). Compared with wg-portal's call sequence
 * (spec/routeros-rest.md 6) it reads whole tables once per operation with ?interface= filters
 * and .proplist, issues independent reads in parallel, creates objects with all their fields in
 * one PUT (no temporary catch-all peer), and sends PATCH/DELETE only for what differs. Parallel
 * calls go through http_call_batch(), bounded by the configured `concurrency`.
 *
 * Permission problems are explained: a RouterOS user without the 'write', 'sensitive' or 'test'
 * policy gets an error naming the policy and what it blocks. Policies are read from the user's
 * group at open when RouterOS lets us; otherwise they are inferred from the replies.
 */
#include "backends/mikrotik/mikrotik.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "backends/http/http.h"
#include "backends/mikrotik/mt-int.h"
#include "backends/mikrotik/mt_ping.h"
#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define MT_CAPS                                                                                 \
	(BACKEND_CAP_CREATE_IFACE | BACKEND_CAP_STATS_PEER | BACKEND_CAP_STATS_IFACE |          \
	 BACKEND_CAP_PSK | BACKEND_CAP_ADDRESSES | BACKEND_CAP_MTU | BACKEND_CAP_DISABLED_PEERS)

#define PL_WG ".id,name,comment,disabled,listen-port,mtu,private-key,public-key"
#define PL_IFSTAT ".id,name,rx-byte,tx-byte"
#define PL_ADDR ".id,address,interface,disabled,dynamic"
#define PL_PEER_BASE                                                                             \
	".id,interface,comment,public-key,preshared-key,allowed-address,endpoint-address,"      \
	"endpoint-port,persistent-keepalive,disabled,dynamic,rx,tx,last-handshake,"             \
	"current-endpoint-address,current-endpoint-port"
#define MT_BODY_MAX (4u * 1024 * 1024)

struct mt_priv {
	struct http_client *http;
	char user[64];
	bool probed;
	struct mt_resource res;
	bool policies_known;
	bool no_write, no_sensitive, no_test;
};

static const char *P_WRITE = "interfaces and peers cannot be created, changed or deleted";
static const char *P_SENSITIVE = "private keys cannot be read";
static const char *P_TEST = "ping checks of peers cannot run";

static int policy_error(struct mt_priv *mp, const char *policy, const char *what,
			struct err *err)
{
	return err_set(err, -EACCES, "RouterOS user '%s' lacks the '%s' policy: %s", mp->user,
		       policy, what);
}

/* ---- naming and validation -------------------------------------------------------------- */

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= MT_NAME_MAX || s[0] == '*')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-=+@") ==
	       n;
}

static int check_name(const char *name, struct err *err)
{
	if (!name_ok(name))
		return err_field(err, -EINVAL, "Identifier",
				 "invalid interface name (1-63 characters of A-Z a-z 0-9 _ . - = + @)");
	return 0;
}

static bool prefix_valid(const struct ip_prefix *p)
{
	return (p->family == AF_INET && p->len <= 32) || (p->family == AF_INET6 && p->len <= 128);
}

static bool prefix_eq(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

static bool prefix_in(const struct ip_prefix *p, const struct ip_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_eq(p, &v[i]))
			return true;
	return false;
}

/* "host:port" or "[v6]:port" -> host, port. "" -> "", 0. */
static int split_endpoint(const char *ep, char host[static 64], uint16_t *port)
{
	const char *colon, *h = ep;
	size_t hl;
	char *end;
	unsigned long v;

	if (!*ep) {
		host[0] = '\0';
		*port = 0;
		return 0;
	}
	if (*ep == '[') {
		const char *rb = strchr(ep, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = ep + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(ep, ':');
		if (!colon || strchr(ep, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - ep);
	}
	if (hl == 0 || hl >= 64)
		return -EINVAL;
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)h[i] <= ' ' || h[i] == '/' || h[i] == '"' || h[i] == '\\' ||
		    h[i] == 0x7f)
			return -EINVAL;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || v == 0 || v > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static int check_peer(const struct dev_peer *p, size_t idx, struct err *err)
{
	char host[64];
	uint16_t port;

	if (key_is_zero(p->public_key))
		return err_field(err, -EINVAL, "PublicKey", "peer %zu: public key missing", idx);
	if (p->flags & DEV_PEER_REMOVE)
		return 0;
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		if (!prefix_valid(&p->allowed_ips[i]))
			return err_field(err, -EINVAL, "AllowedIPs", "peer %zu: invalid allowed IP",
					 idx);
	if ((p->flags & DEV_PEER_HAS_ENDPOINT) && split_endpoint(p->endpoint, host, &port) < 0)
		return err_field(err, -EINVAL, "Endpoint",
				 "peer %zu: endpoint must be host:port or [v6]:port", idx);
	if (p->name && strlen(p->name) > 255)
		return err_field(err, -EINVAL, "DisplayName", "peer %zu: name too long", idx);
	return 0;
}

/* ---- JSON request bodies (built by hand so keys can be wiped) --------------------------- */

static void jstr(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	(void)buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };
			(void)buf_append(b, e, 2);
		} else if (*p < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			(void)buf_append(b, e, 6);
		} else {
			(void)buf_append(b, p, 1);
		}
	}
	(void)buf_puts(b, "\"");
}

static void jkv(struct buf *b, const char *k, const char *v)
{
	(void)buf_puts(b, b->len > 1 ? "," : "");
	jstr(b, k);
	(void)buf_puts(b, ":");
	jstr(b, v);
}

static void jkv_u(struct buf *b, const char *k, unsigned long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lu", v);
	jkv(b, k, s);
}

static void jkv_b(struct buf *b, const char *k, bool v)
{
	jkv(b, k, v ? "true" : "false");
}

static void jkv_key(struct buf *b, const char *k, const uint8_t key[static WG_KEY_LEN])
{
	char s[WG_KEY_B64_SIZE];

	key_to_base64(s, key);
	jkv(b, k, s);
	explicit_bzero(s, sizeof(s));
}

static void jobj_begin(struct buf *b)
{
	buf_init(b, MT_BODY_MAX);
	(void)buf_puts(b, "{");
}

/* Finishes the object; NULL on OOM/overflow (the buffer is wiped). */
static char *jobj_end(struct buf *b)
{
	if (buf_puts(b, "}") < 0) {
		buf_wipe(b);
		return NULL;
	}
	return buf_detach(b);
}

/* ---- calls and error mapping ------------------------------------------------------------ */

/* Non-2xx answer -> -errno with a message naming what failed. */
static int status_error(struct mt_priv *mp, const char *method, const char *what,
			const struct http_reply *rep, struct err *err)
{
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
				return policy_error(mp, "test", P_TEST, err);
			}
			if (write) {
				/* not cached: the policy may be granted while we run */
				return err_set(err, -EACCES,
					       "RouterOS user '%s' lacks the 'write' policy: %s "
					       "(while %s)", mp->user, P_WRITE, what);
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
				       mp->user, P_WRITE, what, detail);
		return err_set(err, -EINVAL, "RouterOS refused %s: %s", what,
			       *detail ? detail : "bad request");
	default:
		break;
	}
	return err_set(err, -EPROTO, "RouterOS answered HTTP %ld while %s%s%s", rep->status, what,
		       *detail ? ": " : "", detail);
}

/* One call; 0 with a 2xx reply in *rep (release it), or -errno. */
static int mt_call(struct mt_priv *mp, const char *method, const char *path, const char *body,
		   const char *what, struct http_reply *rep, struct err *err)
{
	int r = http_request(mp->http, method, path, body, rep, err);

	if (r < 0)
		return err_prefix(err, "RouterOS, %s", what);
	if (!http_status_ok(rep->status)) {
		r = status_error(mp, method, what, rep, err);
		http_reply_release(rep);
	}
	return r;
}

/* The result of one batch call as 0/-errno (the reply stays in the call). */
static int call_result(struct mt_priv *mp, struct http_call *c, const char *what,
		       struct err *err)
{
	if (c->rc == 1)
		return err_set(err, -ECANCELED, "RouterOS: %s not attempted after an earlier "
						"failure", what);
	if (c->rc < 0)
		return err_set(err, c->rc, "RouterOS, %s: %s", what, c->errmsg);
	if (!http_status_ok(c->reply.status))
		return status_error(mp, c->method, what, &c->reply, err);
	return 0;
}

static char *mkpath_id(const char *base, const char *id)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", base, id) < 0)
		return NULL;
	return p;
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
	r = mt_call(mp, "GET", path, NULL, "reading the user", &rep, &e);
	free(path);
	if (r == 0)
		r = mt_parse_first_field(rep.body, rep.len, "group", group, sizeof(group), &e);
	http_reply_release(&rep);
	if (r < 0)
		goto fallback;
	path = http_path_query("/user/group", "name", group, ".proplist", "name,policy");
	if (!path)
		return;
	r = mt_call(mp, "GET", path, NULL, "reading the user group", &rep, &e);
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
	r = mt_call(mp, "POST", "/tool/ping", "{\"address\":\"127.0.0.1\",\"count\":\"1\"}",
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

	r = mt_call(mp, "GET", "/system/resource?.proplist=version%2Cboard-name", NULL,
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
		snprintf(be->implementation, sizeof(be->implementation), "RouterOS %d.%d.%d (REST)",
			 res.ver.major, res.ver.minor, res.ver.patch);
	else
		snprintf(be->implementation, sizeof(be->implementation), "RouterOS %d.%d (REST)",
			 res.ver.major, res.ver.minor);
	probe_policies(mp);
	if (mp->no_write || mp->no_sensitive || mp->no_test) {
		const char *pol = mp->no_write ? "write" : mp->no_sensitive ? "sensitive" : "test";
		const char *what = mp->no_write ? P_WRITE : mp->no_sensitive ? P_SENSITIVE : P_TEST;
		snprintf(be->last_error, sizeof(be->last_error),
			 "RouterOS user '%.60s' lacks the '%s' policy: %s%s%s%s", mp->user, pol, what,
			 mp->no_sensitive && strcmp(pol, "sensitive") ? "; and 'sensitive'" : "",
			 mp->no_test && strcmp(pol, "test") ? "; and 'test': " : "",
			 mp->no_test && strcmp(pol, "test") ? P_TEST : "");
	}
	if (mp->no_test && (be->caps & BACKEND_CAP_PING)) {
		/* known from the user's group: drop ping checks now rather than at the first
		 * refused ping (a router without peers would otherwise keep advertising them);
		 * the ping checker logs ping_error once */
		snprintf(be->ping_error, sizeof(be->ping_error),
			 "RouterOS user '%.60s' lacks the 'test' policy: %s", mp->user, P_TEST);
		__atomic_and_fetch(&be->caps, ~(unsigned)BACKEND_CAP_PING, __ATOMIC_RELAXED);
	}
	log_debug("backend '%s': %s, board '%s'", be->id, be->implementation, res.board);
	return 0;
}

struct http_client *mt_http(const struct backend *be)
{
	const struct mt_priv *mp = be->priv;

	return mp ? mp->http : NULL;
}

static int ensure_probed(struct backend *be, struct err *err)
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
	mp->probed = false;
}

static int mt_open(struct backend *be, const struct cfg_backend *cfg, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_client_cfg hc = { 0 };
	int r;

	memset(mp, 0, sizeof(*mp));
	be->caps = MT_CAPS;
	snprintf(be->implementation, sizeof(be->implementation), "RouterOS (REST)");
	if (!cfg || !cfg->api_url || !*cfg->api_url)
		return err_set(err, -EINVAL, "mikrotik backend '%s': api_url is required", be->id);
	snprintf(mp->user, sizeof(mp->user), "%s", cfg->api_user ? cfg->api_user : "");
	hc.log_id = be->id;
	hc.base_url = cfg->api_url;
	hc.user = cfg->api_user;
	hc.password = cfg->api_password;
	hc.verify_tls = cfg->api_verify_tls;
	hc.timeout_ms = cfg->api_timeout_ms;
	hc.concurrency = cfg->concurrency;
	hc.debug = cfg->debug;
	r = http_client_new(&hc, &mp->http, err);
	if (r < 0)
		return err_prefix(err, "mikrotik backend '%s'", be->id);
	r = mt_probe(be, err);
	if (r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -ECONNREFUSED || r == -EPROTO ||
	    r == -E2BIG || r == -ENOENT) {
		/* the device may come back: keep the client, probe again on the next call */
		if (r != -EHOSTUNREACH && r != -ETIMEDOUT)
			r = -EHOSTUNREACH;
		if (err)
			err->code = r;
		return r;
	}
	if (r < 0)
		mt_close(be); /* backend.c frees priv without close() on a fatal open error */
	return r;
}

/* ---- reads ------------------------------------------------------------------------------ */

static char *peer_proplist(const struct mt_priv *mp)
{
	char *s = NULL;
	const struct mt_version *v = &mp->res.ver;

	if (asprintf(&s, "%s%s%s", PL_PEER_BASE, mt_version_ge(v, 7, 15) ? ",name" : "",
		     mt_version_ge(v, 7, 17)   ? ",responder"
		     : mt_version_ge(v, 7, 15) ? ",is-responder"
					       : "") < 0)
		return NULL;
	return s;
}

static int mt_list_ifaces(struct backend *be, struct strv *ret, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_reply rep = { 0 };
	struct strv names = STRV_INIT;
	struct mt_wg *w = NULL;
	size_t n = 0;
	int r;

	if ((r = ensure_probed(be, err)) < 0)
		return r;
	r = mt_call(mp, "GET", "/interface/wireguard?.proplist=.id%2Cname", NULL,
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

static int peer_to_dev(const struct mt_priv *mp, const struct mt_peer *p, time_t now,
		       struct dev_peer *dp)
{
	memcpy(dp->public_key, p->public_key, WG_KEY_LEN);
	if (p->has_psk) {
		memcpy(dp->preshared_key, p->preshared_key, WG_KEY_LEN);
		dp->flags |= DEV_PEER_HAS_PSK;
	}
	if (p->endpoint_address[0]) {
		snprintf(dp->endpoint, sizeof(dp->endpoint),
			 strchr(p->endpoint_address, ':') ? "[%s]:%u" : "%s:%u", p->endpoint_address,
			 p->endpoint_port);
		dp->flags |= DEV_PEER_HAS_ENDPOINT;
	} else if (p->current_address[0] && p->current_port) {
		snprintf(dp->endpoint, sizeof(dp->endpoint),
			 strchr(p->current_address, ':') ? "[%s]:%u" : "%s:%u", p->current_address,
			 p->current_port);
	}
	dp->persistent_keepalive = (uint16_t)p->keepalive;
	if (p->n_aips) {
		dp->allowed_ips = malloc(p->n_aips * sizeof(*dp->allowed_ips));
		if (!dp->allowed_ips)
			return -ENOMEM;
		memcpy(dp->allowed_ips, p->aips, p->n_aips * sizeof(*dp->allowed_ips));
		dp->n_allowed_ips = p->n_aips;
	}
	{
		const char *nm = mt_version_ge(&mp->res.ver, 7, 15) && p->name ? p->name : p->comment;
		if (nm && !(dp->name = strdup(nm)))
			return -ENOMEM;
	}
	if (p->disabled)
		dp->flags |= DEV_PEER_DISABLED;
	if (p->dynamic)
		dp->flags |= DEV_PEER_READONLY;
	dp->rx_bytes = p->rx_bytes;
	dp->tx_bytes = p->tx_bytes;
	if (p->last_handshake_ago >= 0 && p->last_handshake_ago <= now)
		dp->last_handshake_sec = (int64_t)now - p->last_handshake_ago;
	dp->stats_valid = true;
	return 0;
}

enum { G_WG, G_IFSTAT, G_ADDR4, G_ADDR6, G_PEERS, G_MAX };

static int mt_get_iface(struct backend *be, const char *name, struct dev_iface *ret,
			struct err *err)
{
	static const char *const what[G_MAX] = {
		"reading the WireGuard interface", "reading interface counters",
		"reading IPv4 addresses", "reading IPv6 addresses", "reading peers",
	};
	struct mt_priv *mp = be->priv;
	struct http_call calls[G_MAX] = { 0 };
	struct dev_iface d = { 0 };
	struct mt_wg *w = NULL;
	struct mt_ifstat *st = NULL;
	struct mt_addr *a4 = NULL, *a6 = NULL;
	struct mt_peer *peers = NULL;
	size_t nw = 0, nst = 0, n4 = 0, n6 = 0, np = 0;
	char *plp = NULL;
	time_t now = time(NULL);
	int r;

	if ((r = check_name(name, err)) < 0)
		return r;
	if ((r = ensure_probed(be, err)) < 0)
		return r;
	plp = peer_proplist(mp);
	calls[G_WG].path = http_path_query("/interface/wireguard", "name", name, ".proplist", PL_WG);
	calls[G_IFSTAT].path = http_path_query("/interface", "name", name, ".proplist", PL_IFSTAT);
	calls[G_ADDR4].path = http_path_query("/ip/address", "interface", name, ".proplist", PL_ADDR);
	calls[G_ADDR6].path = http_path_query("/ipv6/address", "interface", name, ".proplist", PL_ADDR);
	calls[G_PEERS].path = plp ? http_path_query("/interface/wireguard/peers", "interface", name,
					   ".proplist", plp) : NULL;
	free(plp);
	for (int i = 0; i < G_MAX; i++) {
		calls[i].method = "GET";
		if (!calls[i].path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	http_call_batch(mp->http, calls, G_MAX, true);
	for (int i = 0; i < G_MAX; i++)
		if ((r = call_result(mp, &calls[i], what[i], err)) < 0)
			goto out;
	if ((r = mt_parse_wgs(calls[G_WG].reply.body, calls[G_WG].reply.len, &w, &nw, err)) < 0 ||
	    (r = mt_parse_ifstats(calls[G_IFSTAT].reply.body, calls[G_IFSTAT].reply.len, &st, &nst,
				  err)) < 0 ||
	    (r = mt_parse_addrs(calls[G_ADDR4].reply.body, calls[G_ADDR4].reply.len, &a4, &n4,
				err)) < 0 ||
	    (r = mt_parse_addrs(calls[G_ADDR6].reply.body, calls[G_ADDR6].reply.len, &a6, &n6,
				err)) < 0 ||
	    (r = mt_parse_peers(calls[G_PEERS].reply.body, calls[G_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0) {
		err_prefix(err, "RouterOS interface '%s'", name);
		goto out;
	}
	if (nw == 0 || strcmp(w[0].name, name)) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.flags = DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU | DEV_IFACE_HAS_ADDRESSES;
	if (w[0].has_private_key) {
		memcpy(d.private_key, w[0].private_key, WG_KEY_LEN);
		d.flags |= DEV_IFACE_HAS_PRIVATE_KEY;
	}
	/* we asked for private-key: not getting it means no 'sensitive' policy */
	if (!mp->policies_known)
		mp->no_sensitive = !w[0].has_private_key;
	if (w[0].has_public_key)
		memcpy(d.public_key, w[0].public_key, WG_KEY_LEN);
	d.listen_port = w[0].listen_port;
	d.mtu = w[0].mtu;
	d.up = !w[0].disabled;
	if (w[0].comment && !(d.comment = strdup(w[0].comment)))
		goto oom;
	for (size_t i = 0; i < nst; i++)
		if (!strcmp(st[i].name, name) || !strcmp(st[i].id, w[0].id)) {
			d.rx_bytes = st[i].rx_bytes;
			d.tx_bytes = st[i].tx_bytes;
			break;
		}
	d.addresses = calloc(n4 + n6 + 1, sizeof(*d.addresses));
	if (!d.addresses)
		goto oom;
	for (size_t i = 0; i < n4 + n6; i++) {
		const struct mt_addr *ad = i < n4 ? &a4[i] : &a6[i - n4];
		if (ad->dynamic || ad->disabled || strcmp(ad->iface, name))
			continue;
		d.addresses[d.n_addresses++] = ad->prefix;
	}
	for (size_t i = 0; i < np; i++) {
		struct dev_peer *dp;
		if (strcmp(peers[i].iface, name) && peers[i].iface[0])
			continue;
		if (peers[i].psk_masked)
			mp->no_sensitive = true;
		if (dev_iface_add_peer(&d, &dp) < 0 || peer_to_dev(mp, &peers[i], now, dp) < 0)
			goto oom;
	}
	*ret = d;
	memset(&d, 0, sizeof(d));
	r = 0;
	goto out;
oom:
	r = err_set(err, -ENOMEM, "out of memory");
out:
	dev_iface_release(&d);
	mt_wgs_free(w, nw);
	free(st);
	free(a4);
	free(a6);
	mt_peers_free(peers, np);
	http_calls_release(calls, G_MAX);
	return r;
}

/* ---- interface writes ------------------------------------------------------------------- */

static int need_write(struct mt_priv *mp, struct err *err)
{
	return mp->no_write ? policy_error(mp, "write", P_WRITE, err) : 0;
}

/* Address changes for one family table: add missing, re-enable disabled, remove extra. */
static int plan_addrs(const struct dev_iface *want, const char *table, int family,
		      const struct mt_addr *cur, size_t ncur, struct http_call *calls, size_t *nc)
{
	for (size_t i = 0; i < want->n_addresses; i++) {
		const struct ip_prefix *p = &want->addresses[i];
		const struct mt_addr *have = NULL;
		char s[CIDR_STR_MAX];
		struct buf b;

		if (p->family != family)
			continue;
		for (size_t k = 0; k < ncur && !have; k++)
			if (!cur[k].dynamic && prefix_eq(&cur[k].prefix, p))
				have = &cur[k];
		if (have && !have->disabled)
			continue;
		jobj_begin(&b);
		if (have) {
			jkv_b(&b, "disabled", false);
			calls[*nc].method = "PATCH";
			calls[*nc].path = mkpath_id(table, have->id);
		} else {
			ip_prefix_format(p, s);
			jkv(&b, "address", s);
			jkv(&b, "interface", want->name);
			calls[*nc].method = "PUT";
			calls[*nc].path = strdup(table);
		}
		calls[*nc].body = jobj_end(&b);
		if (!calls[(*nc)++].path || !calls[*nc - 1].body)
			return -ENOMEM;
	}
	for (size_t k = 0; k < ncur; k++) {
		if (cur[k].dynamic || prefix_in(&cur[k].prefix, want->addresses, want->n_addresses))
			continue;
		calls[*nc].method = "DELETE";
		calls[*nc].path = mkpath_id(table, cur[k].id);
		if (!calls[(*nc)++].path)
			return -ENOMEM;
	}
	return 0;
}

/* A create answered 400 "already ..." (RouterOS: "already have such address", the simulator:
 * "peer with such public key already exists"). */
static bool put_repeated(const struct http_call *c)
{
	char detail[200];

	if (strcmp(c->method, "PUT") || c->rc != 0 || c->reply.status != 400)
		return false;
	mt_parse_error(c->reply.body, c->reply.len, detail, sizeof(detail));
	return strstr(detail, "already") != NULL;
}

/* Runs mutation calls; returns the first failure (in call order). 404 on DELETE is fine. */
static int run_mutations(struct mt_priv *mp, struct http_call *calls, size_t n,
			 const char *what, struct err *err)
{
	int r = 0;

	if (n == 0)
		return 0;
	http_call_batch(mp->http, calls, n, true);
	for (size_t i = 0; i < n; i++) {
		char w[160];
		int r2;
		if (!strcmp(calls[i].method, "DELETE") && calls[i].rc == 0 &&
		    calls[i].reply.status == 404)
			continue;
		snprintf(w, sizeof(w), "%s (%s %.*s)", what, calls[i].method,
			 (int)strcspn(calls[i].path, "?"), calls[i].path);
		if (put_repeated(&calls[i])) {
			/* We only PUT what the read just before did not show. libcurl repeats a
			 * request once when a reused connection closes without an answer, so
			 * "already exists" means our first copy was applied and its answer lost:
			 * a device fault (502), and the caller undoes the change. */
			r = err_set(err, -EIO, "RouterOS, %s: the router says it exists already, "
				    "although it was absent when read just before (the request was "
				    "repeated after a broken connection, or changed concurrently)", w);
			break;
		}
		r2 = call_result(mp, &calls[i], w, err);
		if (r2 < 0 && r2 != -ECANCELED) {
			r = r2;
			break;
		}
		if (r2 < 0 && r == 0)
			r = r2;
	}
	return r;
}

enum { A_WG, A_ADDR4, A_ADDR6, A_MAX };

static int mt_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_call reads[A_MAX] = { 0 };
	struct http_call *muts = NULL;
	struct http_reply rep = { 0 };
	struct mt_wg *w = NULL;
	struct mt_addr *a4 = NULL, *a6 = NULL;
	size_t nw = 0, n4 = 0, n6 = 0, nreads, nm = 0;
	bool found = false;
	bool want_addrs = want->flags & DEV_IFACE_HAS_ADDRESSES;
	struct buf b;
	char *body = NULL;
	int r;

	if ((r = check_name(want->name, err)) < 0)
		return r;
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu && (want->mtu < 68 || want->mtu > 65535))
		return err_field(err, -EINVAL, "Mtu", "MTU must be between 68 and 65535");
	for (size_t i = 0; want_addrs && i < want->n_addresses; i++)
		if (!prefix_valid(&want->addresses[i]))
			return err_field(err, -EINVAL, "Addresses", "invalid interface address");
	if ((r = ensure_probed(be, err)) < 0)
		return r;
	if ((r = need_write(mp, err)) < 0)
		return r;
	if ((want->flags & DEV_IFACE_HAS_PRIVATE_KEY) && mp->no_sensitive)
		return policy_error(mp, "sensitive", P_SENSITIVE, err);

	nreads = want_addrs ? A_MAX : 1;
	reads[A_WG].path = http_path_query("/interface/wireguard", "name", want->name, ".proplist", PL_WG);
	if (want_addrs) {
		reads[A_ADDR4].path = http_path_query("/ip/address", "interface", want->name, ".proplist",
					     PL_ADDR);
		reads[A_ADDR6].path = http_path_query("/ipv6/address", "interface", want->name, ".proplist",
					     PL_ADDR);
	}
	for (size_t i = 0; i < nreads; i++) {
		reads[i].method = "GET";
		if (!reads[i].path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	http_call_batch(mp->http, reads, nreads, true);
	for (size_t i = 0; i < nreads; i++)
		if ((r = call_result(mp, &reads[i], "reading the interface", err)) < 0)
			goto out;
	if ((r = mt_parse_wgs(reads[A_WG].reply.body, reads[A_WG].reply.len, &w, &nw, err)) < 0 ||
	    (want_addrs &&
	     ((r = mt_parse_addrs(reads[A_ADDR4].reply.body, reads[A_ADDR4].reply.len, &a4, &n4,
				  err)) < 0 ||
	      (r = mt_parse_addrs(reads[A_ADDR6].reply.body, reads[A_ADDR6].reply.len, &a6, &n6,
				  err)) < 0))) {
		err_prefix(err, "RouterOS interface '%s'", want->name);
		goto out;
	}
	found = nw > 0 && !strcmp(w[0].name, want->name);

	/* the interface itself: one PUT with everything, or one PATCH with what differs */
	jobj_begin(&b);
	if (!found)
		jkv(&b, "name", want->name);
	if ((want->flags & DEV_IFACE_HAS_PRIVATE_KEY) &&
	    (!found || !w[0].has_private_key ||
	     memcmp(w[0].private_key, want->private_key, WG_KEY_LEN)))
		jkv_key(&b, "private-key", want->private_key);
	if ((want->flags & DEV_IFACE_HAS_LISTEN_PORT) && want->listen_port &&
	    (!found || w[0].listen_port != want->listen_port))
		jkv_u(&b, "listen-port", want->listen_port);
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu && (!found || w[0].mtu != want->mtu))
		jkv_u(&b, "mtu", want->mtu);
	if (want->comment &&
	    (!found || !w[0].comment || strcmp(w[0].comment, want->comment)))
		jkv(&b, "comment", want->comment);
	if (!found || w[0].disabled != !want->up)
		jkv_b(&b, "disabled", !want->up);
	if (b.len > 1 || !found) {
		char *path = found ? mkpath_id("/interface/wireguard", w[0].id)
				: strdup("/interface/wireguard");
		body = jobj_end(&b);
		if (!path || !body) {
			free(path);
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = mt_call(mp, found ? "PATCH" : "PUT", path, body,
			    found ? "changing the interface" : "creating the interface", &rep, err);
		free(path);
		if (r == 0 && !found && (want->flags & DEV_IFACE_HAS_PRIVATE_KEY)) {
			struct mt_wg created;
			/* a reply without the key we just set means we cannot read keys */
			if (mt_parse_wg_one(rep.body, rep.len, &created, NULL) == 0) {
				if (!created.has_private_key)
					mp->no_sensitive = true;
				mt_wg_release(&created);
			}
		}
		http_reply_release(&rep);
		if (r < 0)
			goto out;
	} else {
		buf_wipe(&b);
	}

	if (want_addrs) {
		muts = calloc(want->n_addresses + n4 + n6 + 1, sizeof(*muts));
		if (!muts) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (plan_addrs(want, "/ip/address", AF_INET, a4, n4, muts, &nm) < 0 ||
		    plan_addrs(want, "/ipv6/address", AF_INET6, a6, n6, muts, &nm) < 0) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = run_mutations(mp, muts, nm, "setting interface addresses", err);
	}
out:
	if (body) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	http_calls_release(reads, A_MAX);
	http_calls_release(muts, nm);
	free(muts);
	mt_wgs_free(w, nw);
	free(a4);
	free(a6);
	return r;
}

enum { D_WG, D_ADDR4, D_ADDR6, D_PEERS, D_MAX };

static int mt_delete_iface(struct backend *be, const char *name, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_call reads[D_MAX] = { 0 };
	struct http_call *muts = NULL;
	struct http_reply rep = { 0 };
	struct mt_wg *w = NULL;
	struct mt_addr *a4 = NULL, *a6 = NULL;
	struct mt_peer *peers = NULL;
	size_t nw = 0, n4 = 0, n6 = 0, np = 0, nm = 0;
	char *path = NULL;
	int r;

	if ((r = check_name(name, err)) < 0)
		return r;
	if ((r = ensure_probed(be, err)) < 0)
		return r;
	if ((r = need_write(mp, err)) < 0)
		return r;
	reads[D_WG].path = http_path_query("/interface/wireguard", "name", name, ".proplist", ".id,name");
	reads[D_ADDR4].path = http_path_query("/ip/address", "interface", name, ".proplist", PL_ADDR);
	reads[D_ADDR6].path = http_path_query("/ipv6/address", "interface", name, ".proplist", PL_ADDR);
	reads[D_PEERS].path = http_path_query("/interface/wireguard/peers", "interface", name, ".proplist",
				     ".id,interface,public-key,dynamic");
	for (int i = 0; i < D_MAX; i++) {
		reads[i].method = "GET";
		if (!reads[i].path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	http_call_batch(mp->http, reads, D_MAX, true);
	for (int i = 0; i < D_MAX; i++)
		if ((r = call_result(mp, &reads[i], "reading the interface", err)) < 0)
			goto out;
	if ((r = mt_parse_wgs(reads[D_WG].reply.body, reads[D_WG].reply.len, &w, &nw, err)) < 0 ||
	    (r = mt_parse_addrs(reads[D_ADDR4].reply.body, reads[D_ADDR4].reply.len, &a4, &n4,
				err)) < 0 ||
	    (r = mt_parse_addrs(reads[D_ADDR6].reply.body, reads[D_ADDR6].reply.len, &a6, &n6,
				err)) < 0 ||
	    (r = mt_parse_peers(reads[D_PEERS].reply.body, reads[D_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0) {
		err_prefix(err, "RouterOS interface '%s'", name);
		goto out;
	}
	if (nw == 0 || strcmp(w[0].name, name)) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	muts = calloc(n4 + n6 + np + 1, sizeof(*muts));
	if (!muts) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n4 + n6; i++) {
		const struct mt_addr *a = i < n4 ? &a4[i] : &a6[i - n4];
		if (a->dynamic)
			continue;
		muts[nm].method = "DELETE";
		if (!(muts[nm++].path = mkpath_id(i < n4 ? "/ip/address" : "/ipv6/address", a->id)))
			goto oom;
	}
	for (size_t i = 0; i < np; i++) {
		if (peers[i].dynamic)
			continue;
		muts[nm].method = "DELETE";
		if (!(muts[nm++].path = mkpath_id("/interface/wireguard/peers", peers[i].id)))
			goto oom;
	}
	if ((r = run_mutations(mp, muts, nm, "deleting the interface", err)) < 0)
		goto out;
	if (!(path = mkpath_id("/interface/wireguard", w[0].id)))
		goto oom;
	r = mt_call(mp, "DELETE", path, NULL, "deleting the interface", &rep, err);
	http_reply_release(&rep);
	if (r == -ENOENT)
		r = 0; /* gone meanwhile */
	goto out;
oom:
	r = err_set(err, -ENOMEM, "out of memory");
out:
	free(path);
	http_calls_release(reads, D_MAX);
	http_calls_release(muts, nm);
	free(muts);
	mt_wgs_free(w, nw);
	free(a4);
	free(a6);
	mt_peers_free(peers, np);
	return r;
}

/* ---- peers ------------------------------------------------------------------------------ */

static void join_aips(struct buf *out, const struct ip_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char s[CIDR_STR_MAX];
		ip_prefix_format(&v[i], s);
		if (i)
			(void)buf_puts(out, ",");
		(void)buf_puts(out, s);
	}
}

static bool aip_sets_equal(const struct ip_prefix *a, size_t na, const struct ip_prefix *b,
			   size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (!prefix_in(&a[i], b, nb))
			return false;
	for (size_t i = 0; i < nb; i++)
		if (!prefix_in(&b[i], a, na))
			return false;
	return true;
}

/* The allowed-address value to write, or NULL when nothing changes ("" is a valid value). */
static char *aips_value(const struct dev_peer *dp, const struct mt_peer *have)
{
	struct buf b;

	buf_init(&b, MT_BODY_MAX);
	if (!have || (dp->flags & DEV_PEER_REPLACE_ALLOWEDIPS)) {
		if (have && aip_sets_equal(dp->allowed_ips, dp->n_allowed_ips, have->aips,
					   have->n_aips))
			return NULL;
		join_aips(&b, dp->allowed_ips, dp->n_allowed_ips);
	} else {
		bool add = false;
		for (size_t i = 0; i < dp->n_allowed_ips; i++)
			add |= !prefix_in(&dp->allowed_ips[i], have->aips, have->n_aips);
		if (!add)
			return NULL;
		join_aips(&b, have->aips, have->n_aips);
		for (size_t i = 0; i < dp->n_allowed_ips; i++) {
			char s[CIDR_STR_MAX];
			if (prefix_in(&dp->allowed_ips[i], have->aips, have->n_aips))
				continue;
			ip_prefix_format(&dp->allowed_ips[i], s);
			(void)buf_puts(&b, b.len ? "," : "");
			(void)buf_puts(&b, s);
		}
	}
	{
		char *s = buf_detach(&b);
		return s;
	}
}

/* Body for creating (have NULL) or updating a peer; "" = nothing to change, NULL = OOM. */
static char *peer_body(const struct mt_priv *mp, const char *iface, const struct dev_peer *dp,
		       const struct mt_peer *have)
{
	const struct mt_version *v = &mp->res.ver;
	bool v715 = mt_version_ge(v, 7, 15), v717 = mt_version_ge(v, 7, 17);
	char host[64] = "", ka[24];
	uint16_t port = 0;
	bool has_ep_after;
	struct buf b;
	char *aips;

	jobj_begin(&b);
	if (!have) {
		jkv(&b, "interface", iface);
		jkv_key(&b, "public-key", dp->public_key);
	}
	aips = aips_value(dp, have);
	if (aips) {
		jkv(&b, "allowed-address", aips);
		free(aips);
	}
	if (dp->flags & DEV_PEER_HAS_PSK) {
		bool want = !key_is_zero(dp->preshared_key);
		if (!have || have->psk_masked || have->has_psk != want ||
		    (want && memcmp(have->preshared_key, dp->preshared_key, WG_KEY_LEN))) {
			if (want)
				jkv_key(&b, "preshared-key", dp->preshared_key);
			else if (have)
				jkv(&b, "preshared-key", "");
		}
	}
	if (dp->flags & DEV_PEER_HAS_ENDPOINT) {
		(void)split_endpoint(dp->endpoint, host, &port); /* validated before */
		if (!have || strcmp(have->endpoint_address, host) || have->endpoint_port != port) {
			if (have || host[0]) {
				jkv(&b, "endpoint-address", host);
				jkv_u(&b, "endpoint-port", port);
			}
		}
		has_ep_after = host[0] != '\0';
	} else {
		has_ep_after = have && have->endpoint_address[0];
	}
	if (!have ? dp->persistent_keepalive != 0 : have->keepalive != dp->persistent_keepalive) {
		mt_format_duration(ka, dp->persistent_keepalive);
		jkv(&b, "persistent-keepalive", ka);
	}
	if (!have ? (dp->flags & DEV_PEER_DISABLED) != 0
		  : have->disabled != !!(dp->flags & DEV_PEER_DISABLED))
		jkv_b(&b, "disabled", dp->flags & DEV_PEER_DISABLED);
	if (dp->name) {
		const char *cur = have ? (v715 ? have->name : have->comment) : NULL;
		if (!cur || strcmp(cur, dp->name))
			jkv(&b, v715 ? "name" : "comment", dp->name);
	}
	/* a peer we do not dial only answers (wg-portal #516) */
	if (v715 && (!have || !have->has_responder || have->responder != !has_ep_after) &&
	    (have || !has_ep_after))
		jkv_b(&b, v717 ? "responder" : "is-responder", !has_ep_after);
	if (b.len == 1) {
		buf_wipe(&b);
		return strdup("");
	}
	return jobj_end(&b);
}

static const struct mt_peer *find_peer(const struct mt_peer *v, size_t n,
				       const uint8_t key[static WG_KEY_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].public_key, key, WG_KEY_LEN))
			return &v[i];
	return NULL;
}

static int iface_exists(struct mt_priv *mp, const char *name, struct err *err)
{
	struct http_reply rep = { 0 };
	struct mt_wg *w = NULL;
	size_t nw = 0;
	char *path = http_path_query("/interface/wireguard", "name", name, ".proplist", ".id,name");
	int r;

	if (!path)
		return err_set(err, -ENOMEM, "out of memory");
	r = mt_call(mp, "GET", path, NULL, "reading the interface", &rep, err);
	free(path);
	if (r == 0)
		r = mt_parse_wgs(rep.body, rep.len, &w, &nw, err);
	http_reply_release(&rep);
	if (r < 0)
		return r;
	r = nw > 0 ? 0 : err_set(err, -ENOENT, "interface '%s' does not exist", name);
	mt_wgs_free(w, nw);
	return r;
}

/* The device rows of the peers about to change. A few peers (one request's change) are looked
 * up by public key, in parallel, so a peer create on a 1,000-peer interface does not read the
 * whole table each time (that made creating 1,000 peers quadratic); a bigger set (a sync)
 * reads the interface's table once. */
#define MT_LOOKUP_MAX 4

static int read_peers(struct mt_priv *mp, const char *name, const struct dev_peer *peers,
		      size_t n, struct mt_peer **ret, size_t *ret_n, struct err *err)
{
	struct http_call calls[MT_LOOKUP_MAX] = { 0 };
	bool by_key = n <= MT_LOOKUP_MAX;
	size_t nc = by_key ? n : 1, nall = 0;
	struct mt_peer *all = NULL;
	char *plp = peer_proplist(mp);
	int r = 0;

	for (size_t i = 0; i < nc; i++) {
		calls[i].method = "GET";
		calls[i].path = plp ? http_path_query("/interface/wireguard/peers", "interface", name,
					     ".proplist", plp) : NULL;
		if (calls[i].path && by_key) {
			char key[WG_KEY_B64_SIZE];
			key_to_base64(key, peers[i].public_key);
			if (http_query_append(&calls[i].path, "public-key", key) < 0) {
				free(calls[i].path);
				calls[i].path = NULL;
			}
		}
		if (!calls[i].path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	http_call_batch(mp->http, calls, nc, true);
	for (size_t i = 0; i < nc; i++) {
		struct mt_peer *v = NULL, *na;
		size_t nv = 0;

		if ((r = call_result(mp, &calls[i], "reading peers", err)) < 0 ||
		    (r = mt_parse_peers(calls[i].reply.body, calls[i].reply.len, &v, &nv, NULL,
					err)) < 0)
			goto out;
		na = nv ? realloc(all, (nall + nv) * sizeof(*na)) : all;
		if (nv && !na) {
			mt_peers_free(v, nv);
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		all = na;
		if (nv)
			memcpy(all + nall, v, nv * sizeof(*v)); /* rows move; free the array only */
		nall += nv;
		free(v);
	}
	*ret = all;
	*ret_n = nall;
	all = NULL;
	nall = 0;
out:
	free(plp);
	http_calls_release(calls, nc);
	mt_peers_free(all, nall);
	return r;
}

static int mt_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
			  size_t n, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_call *muts = NULL;
	struct mt_peer *have = NULL;
	size_t nh = 0, nm = 0;
	bool any_create = false;
	int r;

	if ((r = check_name(name, err)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((r = check_peer(&peers[i], i, err)) < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (!memcmp(peers[k].public_key, peers[i].public_key, WG_KEY_LEN))
				return err_field(err, -EINVAL, "PublicKey",
						 "peer %zu: public key listed twice", i);
	}
	if ((r = ensure_probed(be, err)) < 0)
		return r;
	r = read_peers(mp, name, peers, n, &have, &nh, err);
	if (r < 0)
		return r;

	muts = calloc(n + 1, sizeof(*muts));
	if (!muts) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dev_peer *dp = &peers[i];
		const struct mt_peer *h = find_peer(have, nh, dp->public_key);
		char *body;

		if (dp->flags & DEV_PEER_READONLY)
			continue;
		if (h && h->dynamic) {
			/* sync never plans changes to dynamic peers: this is a request to change
			 * one, refused instead of silently dropped */
			char key[WG_KEY_B64_SIZE];
			key_to_base64(key, h->public_key);
			r = err_field(err, -EPERM, "Identifier",
				      "peer %s on '%s' is a dynamic RouterOS peer (system-managed, "
				      "e.g. Back-to-Home): it is read-only and wgportal never changes "
				      "or removes it", key, name);
			goto out;
		}
		if (h && strcmp(h->iface, name))
			continue;
		if (dp->flags & DEV_PEER_REMOVE) {
			if (!h)
				continue;
			muts[nm].method = "DELETE";
			if (!(muts[nm++].path = mkpath_id("/interface/wireguard/peers", h->id)))
				goto oom;
			continue;
		}
		body = peer_body(mp, name, dp, h);
		if (!body)
			goto oom;
		if (!*body) {
			free(body);
			continue;
		}
		muts[nm].body = body;
		muts[nm].method = h ? "PATCH" : "PUT";
		muts[nm].path = h ? mkpath_id("/interface/wireguard/peers", h->id)
				  : strdup("/interface/wireguard/peers");
		any_create |= !h;
		if (!muts[nm++].path)
			goto oom;
	}
	if (nm == 0) {
		/* nothing to do; say ENOENT for a missing interface like the local backend */
		r = nh > 0 ? 0 : iface_exists(mp, name, err);
		goto out;
	}
	if ((r = need_write(mp, err)) < 0)
		goto out;
	r = run_mutations(mp, muts, nm, "applying peers", err);
	if (r == -EINVAL && any_create && nh == 0) {
		struct err e2 = { 0 };
		if (iface_exists(mp, name, &e2) == -ENOENT)
			r = err_set(err, -ENOENT, "%s", e2.msg);
	}
	goto out;
oom:
	r = err_set(err, -ENOMEM, "out of memory");
out:
	http_calls_release(muts, nm);
	free(muts);
	mt_peers_free(have, nh);
	return r;
}

const struct backend_ops backend_mikrotik = {
	.type = "mikrotik",
	.caps = MT_CAPS,
	.priv_size = sizeof(struct mt_priv),
	.open = mt_open,
	.close = mt_close,
	.list_ifaces = mt_list_ifaces,
	.get_iface = mt_get_iface,
	.apply_iface = mt_apply_iface,
	.delete_iface = mt_delete_iface,
	.apply_peers = mt_apply_peers,
	.ping = mt_ping,
};
