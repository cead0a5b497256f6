/* SPDX-License-Identifier: MIT */
/*
 * The pfSense backend over the REST API v2 package (pfrest; spec/pfsense-rest.md). Compared
 * with wg-portal's sequence (spec 6) it:
 *   - reads with plural, filtered GETs, independent reads in parallel (bounded by
 *     `concurrency`), and no per-tunnel detail GETs;
 *   - never keeps an object id (array positions that shift after a delete, spec 2.5): PATCH
 *     ids come from one plural GET at the start of each batch (a PATCH after other writes of
 *     the batch looks its peer up again first), the writes are ordered so that
 *     the batch's own deletes cannot shift an id it still needs (PATCHes, then POSTs, which
 *     append, then DELETEs), each answer is checked to be about the object meant, and DELETEs
 *     go to the plural endpoint by natural key (?publickey=&tun=, ?name=), which pfSense
 *     resolves atomically, so a shifted id can never remove somebody else's peer;
 *   - writes sequentially: pfSense rewrites its whole config.xml per request and the pfrest
 *     docs warn it is not built for concurrent writers, so parallel writes could lose changes;
 *   - sends only the fields that differ, and applies once per batch: the last write carries
 *     apply=true with async=false, and success is reported only after GET /apply says the
 *     apply ran (polled, bounded by api_timeout). A batch that fails half way still applies
 *     what it wrote (the running state must match the config that later reads show) and
 *     remembers an apply that failed, so the next call applies first;
 *   - removes again a peer create it reported as failed but that may have landed (answer
 *     lost; libcurl repeats a request on a dropped reused connection, and the repeat meets the
 *     first one's peer): at once, or with the next call once the firewall answers.
 * Private keys are never returned (unless the firewall exposes sensitive fields); preshared
 * keys are write-only: we keep a keyed hash of each PSK we wrote so unchanged ones are not
 * rewritten (after a restart the first update of a peer writes its PSK once more).
 * Statistics come from /status/wireguard/peers (package 2.9.0+), probed at open. A read-only
 * API key is detected at open with a PATCH that pfrest authorises before it validates (so it
 * changes nothing), and again from any refused write.
 */
#include "backends/pfsense/pfsense.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "backends/http/http.h"
#include "backends/pfsense/pf-int.h"
#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define PF_CAPS_BASE                                                                            \
	(BACKEND_CAP_CREATE_IFACE | BACKEND_CAP_PSK | BACKEND_CAP_ADDRESSES | BACKEND_CAP_MTU |  \
	 BACKEND_CAP_DISABLED_PEERS | BACKEND_CAP_PSK_WRITE_ONLY | BACKEND_CAP_PRIVKEY_HIDDEN)
#define PF_CAPS_ALL (PF_CAPS_BASE | BACKEND_CAP_STATS_PEER | BACKEND_CAP_READONLY)
#define PF_BODY_MAX (8u * 1024 * 1024)
#define PF_REPROBE_SEC 60

#define W "/vpn/wireguard"

struct pf_memo {
	uint8_t pub[WG_KEY_LEN];
	uint8_t tag[16];        /* keyed hash of the PSK we last wrote (zero key = none) */
};

/* A peer create we reported as failed although it may have landed (answer lost, or a repeat
 * of the request found the key already there): removed again as soon as the firewall
 * answers, unless a later batch wants the peer after all. */
#define PF_UNDO_MAX 64
struct pf_undo {
	uint8_t pub[WG_KEY_LEN];
	char tun[PF_NAME_MAX];
};

struct pf_priv {
	struct http_client *http;
	char id[64];
	bool probed;
	bool stats;             /* status endpoint present (package 2.9.0+) */
	bool readonly;
	time_t readonly_since;
	bool apply_pending;     /* writes staged whose apply is not known to have run */
	long timeout_ms;        /* api_timeout: also bounds the wait for an apply to finish */
	char version[32];       /* pfrest package version when the firewall says, else "" */
	long created_id;        /* id and name of the tunnel the last create made */
	char created_name[PF_NAME_MAX];
	uint8_t memo_key[crypto_generichash_KEYBYTES];
	struct pf_memo *memo;
	size_t n_memo, cap_memo;
	struct pf_undo undo[PF_UNDO_MAX];
	size_t n_undo;
};

static void undo_run(struct pf_priv *pp, const char *iface, const struct dev_peer *batch,
		     size_t n);

/* ---- PSK memo ------------------------------------------------------------------------------ */

static void memo_tag(const struct pf_priv *pp, const uint8_t psk[static WG_KEY_LEN],
		     uint8_t tag[static 16])
{
	crypto_generichash(tag, 16, psk, WG_KEY_LEN, pp->memo_key, sizeof(pp->memo_key));
}

static struct pf_memo *memo_find(struct pf_priv *pp, const uint8_t pub[static WG_KEY_LEN])
{
	for (size_t i = 0; i < pp->n_memo; i++)
		if (!memcmp(pp->memo[i].pub, pub, WG_KEY_LEN))
			return &pp->memo[i];
	return NULL;
}

static void memo_set(struct pf_priv *pp, const uint8_t pub[static WG_KEY_LEN],
		     const uint8_t psk[static WG_KEY_LEN])
{
	struct pf_memo *m = memo_find(pp, pub);

	if (!m) {
		if (pp->n_memo == pp->cap_memo) {
			size_t nc = pp->cap_memo ? pp->cap_memo * 2 : 64;
			struct pf_memo *nm = realloc(pp->memo, nc * sizeof(*nm));
			if (!nm)
				return; /* a memo we lack only costs a rewrite */
			pp->memo = nm;
			pp->cap_memo = nc;
		}
		m = &pp->memo[pp->n_memo++];
		memcpy(m->pub, pub, WG_KEY_LEN);
	}
	memo_tag(pp, psk, m->tag);
}

static void memo_forget(struct pf_priv *pp, const uint8_t pub[static WG_KEY_LEN])
{
	struct pf_memo *m = memo_find(pp, pub);

	if (m)
		*m = pp->memo[--pp->n_memo];
}

/* True when we know the firewall holds exactly this PSK for the peer. */
static bool memo_same(struct pf_priv *pp, const uint8_t pub[static WG_KEY_LEN],
		      const uint8_t psk[static WG_KEY_LEN])
{
	struct pf_memo *m = memo_find(pp, pub);
	uint8_t tag[16];

	if (!m)
		return false;
	memo_tag(pp, psk, tag);
	return sodium_memcmp(tag, m->tag, sizeof(tag)) == 0;
}

/* ---- naming and validation ----------------------------------------------------------------- */

/* pfSense names tunnels tun_wg<N> itself; the wgportal identifier must be that name. */
static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 6 && n <= 11 && !strncmp(s, "tun_wg", 6) && strspn(s + 6, "0123456789") == n - 6 &&
	       (n == 7 || s[6] != '0');
}

static int check_name(const char *name, struct err *err)
{
	if (!name_ok(name))
		return err_field(err, -EINVAL, "Identifier",
				 "pfSense tunnels are named tun_wg<N> (e.g. tun_wg0): use that as "
				 "the interface identifier");
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

static bool prefix_sets_equal(const struct ip_prefix *a, size_t na, const struct ip_prefix *b,
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

/* "host:port" or "[v6]:port" -> host, port. "" -> "", 0. pfSense keeps them apart. */
static int split_endpoint(const char *ep, char host[static PF_HOST_MAX], uint16_t *port)
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
	if (hl == 0 || hl >= PF_HOST_MAX)
		return -EINVAL;
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)h[i] <= ' ' || h[i] == '/' || h[i] == '"' || h[i] == '\\' ||
		    h[i] == 0x7f || h[i] == '[' || h[i] == ']')
			return -EINVAL;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || v == 0 || v > 65535 || colon[1] == '+' ||
	    colon[1] == '-')
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static int check_peer(const struct dev_peer *p, size_t idx, struct err *err)
{
	char host[PF_HOST_MAX];
	uint16_t port;

	if (key_is_zero(p->public_key))
		return err_field(err, -EINVAL, "PublicKey", "peer %zu: public key missing", idx);
	if (p->flags & DEV_PEER_REMOVE)
		return 0;
	if (p->n_allowed_ips > PF_MAX_ADDRS)
		return err_field(err, -EINVAL, "AllowedIPs", "peer %zu: too many allowed IPs", idx);
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

/* ---- JSON request bodies (built by hand so keys can be wiped) ----------------------------- */

static void jraw(struct buf *b, const char *s)
{
	(void)buf_puts(b, s);
}

static void jstr(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	jraw(b, "\"");
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
	jraw(b, "\"");
}

static void jkey(struct buf *b, const char *k)
{
	if (b->len > 1)
		jraw(b, ",");
	jstr(b, k);
	jraw(b, ":");
}

static void jkv(struct buf *b, const char *k, const char *v)
{
	jkey(b, k);
	if (v)
		jstr(b, v);
	else
		jraw(b, "null");
}

static void jkv_int(struct buf *b, const char *k, long v)
{
	jkey(b, k);
	(void)buf_printf(b, "%ld", v);
}

static void jkv_b(struct buf *b, const char *k, bool v)
{
	jkey(b, k);
	jraw(b, v ? "true" : "false");
}

static void jkv_wgkey(struct buf *b, const char *k, const uint8_t key[static WG_KEY_LEN])
{
	char s[WG_KEY_B64_SIZE];

	key_to_base64(s, key);
	jkv(b, k, s);
	explicit_bzero(s, sizeof(s));
}

/* [{"address":"10.0.0.1","mask":24,"descr":""},...] */
static void jkv_addrs(struct buf *b, const char *k, const struct ip_prefix *v, size_t n)
{
	jkey(b, k);
	jraw(b, "[");
	for (size_t i = 0; i < n; i++) {
		char a[CIDR_STR_MAX];
		ip_addr_format(&v[i], a);
		(void)buf_printf(b, "%s{\"address\":\"%s\",\"mask\":%u,\"descr\":\"\"}", i ? "," : "",
				 a, v[i].len);
	}
	jraw(b, "]");
}

/* ---- operations of a batch ------------------------------------------------------------------ */

enum pf_kind { OP_TUNNEL, OP_PEER };

struct pf_op {
	const char *method;      /* POST, PATCH, DELETE */
	enum pf_kind kind;
	long id;                 /* PATCH/DELETE target */
	struct buf body;         /* open JSON object (no closing brace); unused for DELETE */
	char name[PF_NAME_MAX];  /* tunnel the op is about (either kind) */
	bool all_of_tunnel;      /* OP_PEER DELETE: every peer of tunnel `name` */
	uint8_t pub[WG_KEY_LEN]; /* peer the op is about (OP_PEER) */
	bool psk_sent;
	uint8_t psk[WG_KEY_LEN];
};

static void op_release(struct pf_op *o)
{
	buf_wipe(&o->body);
	explicit_bzero(o->psk, sizeof(o->psk));
}

static void ops_free(struct pf_op *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		op_release(&v[i]);
	free(v);
}

/* ---- calls and error mapping ---------------------------------------------------------------- */

/* The key's write access changed (a refused write, or a probe). Logged here, once per change,
 * at warning level: it is the one place that sees the change, and the admin must hear about it
 * in plain words even when no request is failing right now. */
static void set_readonly(struct pf_priv *pp, bool ro)
{
	if (ro && !pp->readonly)
		log_warn("backend '%s': the pfSense API key is read-only: wgportal keeps reading "
			 "this firewall but refuses every change to it (HTTP 403). Run with "
			 "core.restore_state: false, or give the key write privileges", pp->id);
	else if (!ro && pp->readonly)
		log_info("backend '%s': the pfSense API key may write again", pp->id);
	pp->readonly = ro;
	pp->readonly_since = time(NULL);
}

static int readonly_error(struct pf_priv *pp, struct err *err)
{
	return err_set(err, -EACCES,
		       "pfSense API key of backend '%s' is read-only: writes are refused; set "
		       "core.restore_state: false to run with it",
		       pp->id);
}

/* Non-2xx answer -> -errno with a message naming what failed (no values of the request). */
static int status_error(struct pf_priv *pp, const char *method, const char *what,
			const struct http_reply *rep, struct err *err)
{
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
			set_readonly(pp, true);
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
			set_readonly(pp, true);
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

/* One call; 0 with a 2xx reply in *rep (release it), or -errno. */
static int pf_call(struct pf_priv *pp, const char *method, const char *path, const char *body,
		   const char *what, struct http_reply *rep, struct err *err)
{
	int r = http_request(pp->http, method, path, body, rep, err);

	if (r < 0)
		return err_prefix(err, "pfSense, %s", what);
	if (!http_status_ok(rep->status)) {
		r = status_error(pp, method, what, rep, err);
		http_reply_release(rep);
	}
	return r;
}

static int call_result(struct pf_priv *pp, struct http_call *c, const char *what,
		       struct err *err)
{
	if (c->rc == 1)
		return err_set(err, -ECANCELED, "pfSense: %s not attempted after an earlier "
						"failure", what);
	if (c->rc < 0)
		return err_set(err, c->rc, "pfSense, %s: %s", what, c->errmsg);
	if (!http_status_ok(c->reply.status))
		return status_error(pp, c->method, what, &c->reply, err);
	return 0;
}

/* ---- open / probe ----------------------------------------------------------------------------- */

static void set_implementation(struct backend *be)
{
	struct pf_priv *pp = be->priv;

	if (pp->version[0])
		snprintf(be->implementation, sizeof(be->implementation),
			 "pfSense REST API v2 (package %.12s), statistics: %s", pp->version,
			 pp->stats ? "yes" : "no");
	else
		snprintf(be->implementation, sizeof(be->implementation),
			 "pfSense REST API v2 (package %s), statistics: %s",
			 pp->stats ? ">= 2.9.0" : "< 2.9.0", pp->stats ? "yes" : "no");
	be->caps = PF_CAPS_BASE | (pp->stats ? BACKEND_CAP_STATS_PEER : 0) |
		   (pp->readonly ? BACKEND_CAP_READONLY : 0);
}

/* Read-only probe: pfrest authorises a PATCH before it validates it, so a PATCH without an id
 * answers 403 (no write privilege) or 405 (read-only mode), else 400 MODEL_REQUIRES_ID and
 * changes nothing. */
static void probe_write(struct pf_priv *pp)
{
	struct http_reply rep = { 0 };
	struct err e = { 0 };
	int r = http_request(pp->http, "PATCH", W "/tunnel", "{}", &rep, &e);

	if (r < 0)
		return;
	if (rep.status == 403 || rep.status == 405) {
		(void)status_error(pp, "PATCH", "probing write access", &rep, &e);
		/* 403 without AUTH_AUTHORIZATION_FAILED: still no write for us */
		if (rep.status == 403)
			set_readonly(pp, true);
	} else {
		set_readonly(pp, false);
	}
	pp->readonly_since = time(NULL);
	http_reply_release(&rep);
}

enum { PR_SETTINGS, PR_STATUS, PR_VERSION, PR_MAX };

static int pf_probe(struct backend *be, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_call calls[PR_MAX] = { 0 };
	int r;

	calls[PR_SETTINGS].path = strdup(W "/settings");
	calls[PR_STATUS].path = strdup("/status/wireguard/peers?limit=1");
	calls[PR_VERSION].path = strdup("/system/restapi/version");
	for (int i = 0; i < PR_MAX; i++) {
		calls[i].method = "GET";
		if (!calls[i].path) {
			http_calls_release(calls, PR_MAX);
			return err_set(err, -ENOMEM, "out of memory");
		}
	}
	http_call_batch(pp->http, calls, PR_MAX, false);
	r = call_result(pp, &calls[PR_SETTINGS], "reading the WireGuard settings", err);
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
	probe_write(pp);
	pp->probed = true;
	set_implementation(be);
	if (pp->readonly)
		snprintf(be->last_error, sizeof(be->last_error),
			 "pfSense API key is read-only: writes are refused (run with "
			 "core.restore_state: false)");
	log_debug("backend '%s': %s%s", be->id, be->implementation,
		  pp->readonly ? ", read-only key" : "");
	r = 0;
out:
	http_calls_release(calls, PR_MAX);
	return r;
}

static int ensure_probed(struct backend *be, struct err *err)
{
	struct pf_priv *pp = be->priv;

	if (pp->probed)
		return 0;
	return pf_probe(be, err);
}

static int need_write(struct backend *be, struct err *err)
{
	struct pf_priv *pp = be->priv;

	if (!pp->readonly)
		return 0;
	/* privileges can be granted while we run: look again now and then */
	if (time(NULL) - pp->readonly_since >= PF_REPROBE_SEC) {
		probe_write(pp);
		set_implementation(be);
	}
	return pp->readonly ? readonly_error(pp, err) : 0;
}

/* A write refused for lack of privileges turns the backend read-only (shown in its caps). */
static int sync_caps(struct backend *be, int r)
{
	struct pf_priv *pp = be->priv;

	if (pp->readonly != !!(be->caps & BACKEND_CAP_READONLY))
		set_implementation(be);
	return r;
}

static void pf_close(struct backend *be)
{
	struct pf_priv *pp = be ? be->priv : NULL;

	if (!pp)
		return;
	pp->http = http_client_free(pp->http);
	free(pp->memo);
	pp->memo = NULL;
	pp->n_memo = pp->cap_memo = 0;
	sodium_memzero(pp->memo_key, sizeof(pp->memo_key));
	pp->probed = false;
}

static int pf_open(struct backend *be, const struct cfg_backend *cfg, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_client_cfg hc = { 0 };
	char *url = NULL;
	size_t ul;
	int r;

	memset(pp, 0, sizeof(*pp));
	snprintf(pp->id, sizeof(pp->id), "%s", be->id);
	be->caps = PF_CAPS_BASE;
	snprintf(be->implementation, sizeof(be->implementation), "pfSense REST API v2");
	if (!cfg || !cfg->api_url || !*cfg->api_url)
		return err_set(err, -EINVAL, "pfsense backend '%s': api_url is required", be->id);
	if (sodium_init() < 0)
		return err_set(err, -EIO, "libsodium cannot initialise");
	randombytes_buf(pp->memo_key, sizeof(pp->memo_key));
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
	hc.log_id = be->id;
	hc.base_url = url;
	hc.auth_header = "X-API-Key";
	hc.auth_value = cfg->api_key;
	hc.verify_tls = cfg->api_verify_tls;
	hc.timeout_ms = cfg->api_timeout_ms;
	pp->timeout_ms = cfg->api_timeout_ms > 0 ? (long)cfg->api_timeout_ms : 30000;
	hc.concurrency = cfg->concurrency;
	hc.debug = cfg->debug;
	r = http_client_new(&hc, &pp->http, err);
	free(url);
	if (r < 0)
		return err_prefix(err, "pfsense backend '%s'", be->id);
	r = pf_probe(be, err);
	if (r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -ECONNREFUSED || r == -EPROTO ||
	    r == -E2BIG || r == -ENOENT || r == -ECANCELED) {
		/* the firewall may come back: keep the client, probe again on the next call */
		if (r != -EHOSTUNREACH && r != -ETIMEDOUT)
			r = -EHOSTUNREACH;
		if (err)
			err->code = r;
		return r;
	}
	if (r < 0)
		pf_close(be); /* backend.c frees priv without close() on a fatal open error */
	return r;
}

/* ---- reads ------------------------------------------------------------------------------------ */

static int pf_list_ifaces(struct backend *be, struct strv *ret, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_reply rep = { 0 };
	struct strv names = STRV_INIT;
	struct pf_tunnel *t = NULL;
	size_t n = 0;
	int r;

	if ((r = ensure_probed(be, err)) < 0)
		return r;
	if (pp->n_undo)
		undo_run(pp, NULL, NULL, 0);
	r = pf_call(pp, "GET", W "/tunnels", NULL, "listing WireGuard tunnels", &rep, err);
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
static const struct pf_tunnel *find_tunnel(const struct pf_tunnel *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static const struct pf_peer *find_peer(const struct pf_peer *v, size_t n,
				       const uint8_t key[static WG_KEY_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].public_key, key, WG_KEY_LEN))
			return &v[i];
	return NULL;
}

static int peer_to_dev(const struct pf_peer *p, const struct pf_peer_status *st, bool stats,
		       struct dev_peer *dp)
{
	memcpy(dp->public_key, p->public_key, WG_KEY_LEN);
	if (p->endpoint[0]) {
		snprintf(dp->endpoint, sizeof(dp->endpoint),
			 strchr(p->endpoint, ':') ? "[%s]:%u" : "%s:%u", p->endpoint,
			 p->port ? p->port : 51820);
		dp->flags |= DEV_PEER_HAS_ENDPOINT;
	} else if (st && st->endpoint[0] && strcmp(st->endpoint, "(none)")) {
		snprintf(dp->endpoint, sizeof(dp->endpoint), "%s", st->endpoint);
	}
	dp->persistent_keepalive = (uint16_t)p->keepalive;
	if (p->n_aips) {
		dp->allowed_ips = malloc(p->n_aips * sizeof(*dp->allowed_ips));
		if (!dp->allowed_ips)
			return -ENOMEM;
		memcpy(dp->allowed_ips, p->aips, p->n_aips * sizeof(*dp->allowed_ips));
		dp->n_allowed_ips = p->n_aips;
	}
	if (p->descr && p->descr[0] && !(dp->name = strdup(p->descr)))
		return -ENOMEM;
	if (!p->enabled)
		dp->flags |= DEV_PEER_DISABLED;
	dp->stats_valid = stats;
	if (st) {
		dp->rx_bytes = st->rx;
		dp->tx_bytes = st->tx;
		dp->last_handshake_sec = st->latest_handshake;
	}
	return 0;
}

enum { G_TUN, G_PEERS, G_STATUS, G_MAX };

static int pf_get_iface(struct backend *be, const char *name, struct dev_iface *ret,
			struct err *err)
{
	static const char *const what[G_MAX] = {
		"reading the WireGuard tunnel", "reading peers", "reading peer status",
	};
	struct pf_priv *pp = be->priv;
	struct http_call calls[G_MAX] = { 0 };
	struct dev_iface d = { 0 };
	struct pf_tunnel *t = NULL;
	struct pf_peer *peers = NULL;
	struct pf_peer_status *st = NULL;
	const struct pf_tunnel *tn;
	size_t nt = 0, np = 0, nst = 0, ncalls;
	int r;

	if ((r = check_name(name, err)) < 0)
		return r;
	if ((r = ensure_probed(be, err)) < 0)
		return r;
	if (pp->n_undo)
		undo_run(pp, NULL, NULL, 0);
	ncalls = pp->stats ? G_MAX : G_STATUS;
	calls[G_TUN].path = http_path_query(W "/tunnels", "name", name, NULL, NULL);
	calls[G_PEERS].path = http_path_query(W "/peers", "tun", name, NULL, NULL);
	if (pp->stats)
		calls[G_STATUS].path = http_path_query("/status/wireguard/peers", "tunnel_device", name,
					      NULL, NULL);
	for (size_t i = 0; i < ncalls; i++) {
		calls[i].method = "GET";
		if (!calls[i].path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	http_call_batch(pp->http, calls, ncalls, true);
	for (size_t i = 0; i < ncalls; i++)
		if ((r = call_result(pp, &calls[i], what[i], err)) < 0)
			goto out;
	if ((r = pf_parse_tunnels(calls[G_TUN].reply.body, calls[G_TUN].reply.len, &t, &nt,
				  err)) < 0 ||
	    (r = pf_parse_peers(calls[G_PEERS].reply.body, calls[G_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0 ||
	    (pp->stats && (r = pf_parse_peer_status(calls[G_STATUS].reply.body,
						    calls[G_STATUS].reply.len, &st, &nst,
						    err)) < 0)) {
		err_prefix(err, "pfSense tunnel '%s'", name);
		goto out;
	}
	tn = find_tunnel(t, nt, name);
	if (!tn) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.flags = DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU | DEV_IFACE_HAS_ADDRESSES;
	if (tn->has_private_key) {
		/* the firewall exposes sensitive fields */
		memcpy(d.private_key, tn->private_key, WG_KEY_LEN);
		d.flags |= DEV_IFACE_HAS_PRIVATE_KEY;
	}
	if (tn->has_public_key)
		memcpy(d.public_key, tn->public_key, WG_KEY_LEN);
	d.listen_port = tn->listenport;
	d.mtu = tn->mtu;
	d.up = tn->enabled;
	if (tn->descr && tn->descr[0] && !(d.comment = strdup(tn->descr)))
		goto oom;
	if (tn->n_addrs) {
		d.addresses = malloc(tn->n_addrs * sizeof(*d.addresses));
		if (!d.addresses)
			goto oom;
		memcpy(d.addresses, tn->addrs, tn->n_addrs * sizeof(*d.addresses));
		d.n_addresses = tn->n_addrs;
	}
	for (size_t i = 0; i < np; i++) {
		const struct pf_peer_status *ps = NULL;
		struct dev_peer *dp;

		if (strcmp(peers[i].tun, name))
			continue; /* the filter is loose (spec 2.4); be exact */
		for (size_t k = 0; k < nst && !ps; k++)
			if (!memcmp(st[k].public_key, peers[i].public_key, WG_KEY_LEN) &&
			    (!st[k].tunnel[0] || !strcmp(st[k].tunnel, name)))
				ps = &st[k];
		if (dev_iface_add_peer(&d, &dp) < 0 || peer_to_dev(&peers[i], ps, pp->stats, dp) < 0)
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
	pf_tunnels_free(t, nt);
	pf_peers_free(peers, np);
	free(st);
	http_calls_release(calls, G_MAX);
	return r;
}

/* ---- running a batch of writes -------------------------------------------------------------- */

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Waits until GET /vpn/wireguard/apply says {"applied": true}: the write or POST before asked
 * for a synchronous apply, but pfrest runs the dispatcher in the background when it is busy or
 * ignores `async`, and only this flag says the running WireGuard state caught up. Polls with a
 * growing pause (25 ms .. 1 s), at most api_timeout in all. 0, or -ETIMEDOUT / -errno.
 */
static int confirm_applied(struct pf_priv *pp, struct err *err)
{
	long deadline = mono_ms() + pp->timeout_ms, pause_ms = 25;

	for (;;) {
		struct http_reply rep = { 0 };
		bool applied = false;
		int r = pf_call(pp, "GET", W "/apply", NULL, "checking that the changes were applied",
				&rep, err);

		if (r == 0)
			r = pf_parse_apply(rep.body, rep.len, &applied, err);
		http_reply_release(&rep);
		if (r < 0)
			return r;
		if (applied)
			return 0;
		if (mono_ms() + pause_ms > deadline)
			return err_set(err, -ETIMEDOUT,
				       "pfSense has not finished applying the WireGuard changes "
				       "after %ld s (api_timeout); they stay staged and are applied "
				       "with the next change", pp->timeout_ms / 1000);
		struct timespec ts = { pause_ms / 1000, (pause_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		pause_ms = pause_ms * 2 > 1000 ? 1000 : pause_ms * 2;
	}
}

/* POST /vpn/wireguard/apply, synchronously, then confirmed. */
static int apply_now(struct pf_priv *pp, struct err *err)
{
	struct http_reply rep = { 0 };
	bool applied = false;
	int r;

	r = pf_call(pp, "POST", W "/apply", "{\"async\":false}", "applying the WireGuard changes",
		    &rep, err);
	if (r == 0)
		r = pf_parse_apply(rep.body, rep.len, &applied, err);
	http_reply_release(&rep);
	if (r == 0 && !applied)
		r = confirm_applied(pp, err);
	pp->apply_pending = r < 0;
	return r;
}

/* Checks that a write's answer names the object the op meant (ids can shift under us when
 * another client deletes something between our read and our write). */
static int check_answer(const struct pf_op *o, const struct http_reply *rep, struct err *err)
{
	int r = 0;

	if (!strcmp(o->method, "DELETE") && o->kind == OP_PEER) {
		/* plural DELETE by natural key: every object it removed must be one we meant */
		struct pf_peer *v;
		size_t n;
		if (pf_parse_peers(rep->body, rep->len, &v, &n, NULL, err) < 0)
			return err_prefix(err, "pfSense's answer to a peer delete");
		for (size_t i = 0; i < n && r == 0; i++)
			if (strcmp(v[i].tun, o->name) ||
			    (!o->all_of_tunnel && memcmp(v[i].public_key, o->pub, WG_KEY_LEN)))
				r = err_set(err, -ESTALE, "pfSense deleted a peer the query did not "
							  "name (filter ignored?)");
		pf_peers_free(v, n);
		return r;
	}
	if (!strcmp(o->method, "DELETE")) {
		struct pf_tunnel *v;
		size_t n;
		if (pf_parse_tunnels(rep->body, rep->len, &v, &n, err) < 0)
			return err_prefix(err, "pfSense's answer to a tunnel delete");
		for (size_t i = 0; i < n && r == 0; i++)
			if (strcmp(v[i].name, o->name))
				r = err_set(err, -ESTALE, "pfSense deleted tunnel '%s', not '%s' (filter "
							  "ignored?)", v[i].name, o->name);
		pf_tunnels_free(v, n);
		return r;
	}
	if (o->kind == OP_PEER) {
		struct pf_peer p;
		if (pf_parse_peer_one(rep->body, rep->len, &p, err) < 0)
			return err_prefix(err, "pfSense's answer to a peer write (it may have "
					       "been written)");
		if (memcmp(p.public_key, o->pub, WG_KEY_LEN))
			r = err_set(err, -ESTALE,
				    "pfSense peer id %ld now belongs to another peer (another client "
				    "changed the peer list while we wrote); read again and retry",
				    o->id);
		pf_peer_release(&p);
	} else {
		struct pf_tunnel t;
		if (pf_parse_tunnel_one(rep->body, rep->len, &t, err) < 0)
			return err_prefix(err, "pfSense's answer to a tunnel write (it may have "
					       "been written)");
		if (strcmp(t.name, o->name))
			r = err_set(err, -ESTALE,
				    "pfSense tunnel id %ld is '%s', not '%s' (another client changed "
				    "the tunnel list while we wrote); read again and retry",
				    o->id, t.name, o->name);
		pf_tunnel_release(&t);
	}
	return r;
}

/* The current id of the peer o is about (o->id is the one of the batch's first read). */
static int resolve_peer(struct pf_priv *pp, struct pf_op *o, struct err *err)
{
	struct http_reply rep = { 0 };
	struct pf_peer *v = NULL;
	char pub[WG_KEY_B64_SIZE];
	size_t n = 0;
	char *path;
	int r;

	key_to_base64(pub, o->pub);
	path = http_path_query(W "/peers", "publickey", pub, "tun", o->name);
	if (!path)
		return err_set(err, -ENOMEM, "out of memory");
	r = pf_call(pp, "GET", path, NULL, "looking the peer up again", &rep, err);
	free(path);
	if (r == 0)
		r = pf_parse_peers(rep.body, rep.len, &v, &n, NULL, err);
	http_reply_release(&rep);
	if (r == 0 && n == 0)
		r = err_set(err, -ESTALE, "a peer of pfSense tunnel '%s' was removed by somebody "
					  "else while we wrote; read again and retry", o->name);
	if (r == 0)
		o->id = v[0].id;
	pf_peers_free(v, n);
	return r;
}

/*
 * Runs ops in order, one at a time; the last carries apply=true&async=false. On a failure the
 * ops already written are applied (best effort) and the first failure is returned. done_cb
 * (may be NULL) is called for each op that was written.
 */
static int run_ops(struct pf_priv *pp, struct pf_op *ops, size_t n, const char *what,
		   void (*done_cb)(struct pf_priv *, const struct pf_op *, const struct http_reply *),
		   struct err *err)
{
	size_t done = 0;
	int r = 0;

	if (n == 0)
		return pp->apply_pending ? apply_now(pp, err) : 0;
	for (size_t i = 0; i < n; i++) {
		struct pf_op *o = &ops[i];
		bool last = i + 1 == n;
		const char *base = o->kind == OP_PEER ? W "/peer" : W "/tunnel";
		struct http_reply rep = { 0 };
		char *path = NULL, *body = NULL;
		bool landed = false;
		char w[160];

		snprintf(w, sizeof(w), "%s (%s %s)", what, o->method, base);
		/* the first write follows the batch's read at once; a later PATCH follows other
		 * round trips, in which somebody may have deleted a peer and shifted the ids:
		 * it looks its peer up again, right before writing (spec 2.5) */
		if (i > 0 && o->kind == OP_PEER && !strcmp(o->method, "PATCH") &&
		    (r = resolve_peer(pp, o, err)) < 0) {
			if (done)
				pp->apply_pending = true;
			break;
		}
		if (!strcmp(o->method, "DELETE")) {
			/* by natural key on the plural endpoint, never by id: an id can shift
			 * between our read and this call (spec 2.5), a name or key cannot, and
			 * pfSense resolves it atomically */
			char pub[WG_KEY_B64_SIZE];
			if (o->kind == OP_PEER && !o->all_of_tunnel) {
				key_to_base64(pub, o->pub);
				path = http_path_query(W "/peers", "publickey", pub, "tun", o->name);
			} else if (o->kind == OP_PEER) {
				path = http_path_query(W "/peers", "tun", o->name, NULL, NULL);
			} else {
				path = http_path_query(W "/tunnels", "name", o->name, NULL, NULL);
			}
			if (path && last && http_query_append(&path, "apply", "true") < 0)
				path = (free(path), NULL);
			if (path && last) {
				char *p2 = path;
				path = NULL;
				if (http_query_append(&p2, "async", "false") == 0)
					path = p2;
				else
					free(p2);
			}
		} else {
			path = strdup(base);
			if (strcmp(o->method, "POST"))
				jkv_int(&o->body, "id", o->id);
			if (last) {
				jkv_b(&o->body, "apply", true);
				jkv_b(&o->body, "async", false);
			}
			if (buf_puts(&o->body, "}") == 0)
				body = buf_detach(&o->body);
		}
		if (!path || (strcmp(o->method, "DELETE") && !body)) {
			free(path);
			if (body) {
				explicit_bzero(body, strlen(body));
				free(body);
			}
			r = err_set(err, -ENOMEM, "out of memory (or request too large)");
			break;
		}
		r = pf_call(pp, o->method, path, body, w, &rep, err);
		free(path);
		if (body) {
			explicit_bzero(body, strlen(body));
			free(body);
		}
		if (r == -ENOENT && !strcmp(o->method, "DELETE")) {
			r = 0; /* gone meanwhile */
		} else if (r == 0) {
			r = check_answer(o, &rep, err);
			landed = true;
		}
		if (r == 0 || landed) {
			done++;
			if (done_cb)
				done_cb(pp, o, &rep);
		}
		http_reply_release(&rep);
		if (r < 0) {
			/* the apply is owed when earlier writes are staged, when this write
			 * (carrying the apply, if last) may have landed without an answer, or
			 * when it landed on a shifted id without being the last */
			bool no_answer = !landed && (r == -EHOSTUNREACH || r == -ETIMEDOUT ||
						     r == -EPROTO);
			if (done > (landed ? 1u : 0u) || no_answer || (landed && !last))
				pp->apply_pending = true;
			if (o->kind == OP_PEER && !strcmp(o->method, "POST") && r != -EINVAL &&
			    r != -EACCES && r != -ENOENT && pp->n_undo < PF_UNDO_MAX) {
				struct pf_undo *u = &pp->undo[pp->n_undo++];
				memcpy(u->pub, o->pub, WG_KEY_LEN);
				snprintf(u->tun, sizeof(u->tun), "%s", o->name);
				if (r == -EEXIST)
					/* the key was absent when the batch began: a repeat of
					 * our own request (libcurl re-sends on a dropped reused
					 * connection) found what the first one wrote */
					r = err_set(err, -EPROTO,
						    "pfSense: the answer to creating the peer was lost "
						    "(a repeat found it written); it is removed again");
			}
			break;
		}
	}
	if (r == 0) {
		/* the last write carried the apply: success only once it ran */
		r = confirm_applied(pp, err);
		pp->apply_pending = r < 0;
		return r;
	}
	if (pp->apply_pending) {
		struct err e2 = { 0 };
		/* what was written must run, so that reads match the running state */
		if (apply_now(pp, &e2) < 0)
			log_debug("backend '%s': apply after a failed write: %s", pp->id, e2.msg);
	}
	return r;
}

/* Removes the peers of pp->undo (see struct pf_undo) that batch (may be NULL) does not upsert;
 * entries it upserts are dropped, the batch writes them. Best effort: what cannot be removed
 * now stays for the next call. */
static void undo_run(struct pf_priv *pp, const char *iface, const struct dev_peer *batch,
		     size_t n)
{
	struct pf_op ops[PF_UNDO_MAX];
	size_t nops = 0, keep = 0;
	struct err e = { 0 };

	for (size_t i = 0; i < pp->n_undo; i++) {
		const struct pf_undo *u = &pp->undo[i];
		bool wanted = false;
		for (size_t k = 0; iface && k < n && !wanted; k++)
			wanted = !strcmp(u->tun, iface) && !(batch[k].flags & DEV_PEER_REMOVE) &&
				 !memcmp(batch[k].public_key, u->pub, WG_KEY_LEN);
		if (wanted)
			continue;
		memset(&ops[nops], 0, sizeof(ops[nops]));
		ops[nops].method = "DELETE";
		ops[nops].kind = OP_PEER;
		memcpy(ops[nops].pub, u->pub, WG_KEY_LEN);
		snprintf(ops[nops].name, sizeof(ops[nops].name), "%s", u->tun);
		nops++;
	}
	pp->n_undo = 0;
	if (nops && run_ops(pp, ops, nops, "removing a peer whose create failed", NULL, &e) < 0) {
		log_debug("backend '%s': %s (retried with the next call)", pp->id, e.msg);
		for (size_t i = 0; i < nops; i++) {
			memcpy(pp->undo[keep].pub, ops[i].pub, WG_KEY_LEN);
			snprintf(pp->undo[keep].tun, sizeof(pp->undo[keep].tun), "%s", ops[i].name);
			keep++;
		}
		pp->n_undo = keep;
	}
	for (size_t i = 0; i < nops; i++)
		op_release(&ops[i]);
}

/* After a tunnel write: remember what a create made (its name may not be ours). */
static void tunnel_done(struct pf_priv *pp, const struct pf_op *o, const struct http_reply *rep)
{
	struct pf_tunnel t;

	if (strcmp(o->method, "POST") || pf_parse_tunnel_one(rep->body, rep->len, &t, NULL) < 0)
		return;
	pp->created_id = t.id;
	snprintf(pp->created_name, sizeof(pp->created_name), "%s", t.name);
	pf_tunnel_release(&t);
}

/* ---- interfaces ------------------------------------------------------------------------------ */

static int tunnels_named(struct pf_priv *pp, const char *name, struct pf_tunnel **t, size_t *nt,
			 struct err *err)
{
	struct http_reply rep = { 0 };
	char *path = http_path_query(W "/tunnels", "name", name, NULL, NULL);
	int r;

	if (!path)
		return err_set(err, -ENOMEM, "out of memory");
	r = pf_call(pp, "GET", path, NULL, "reading the WireGuard tunnel", &rep, err);
	free(path);
	if (r == 0)
		r = pf_parse_tunnels(rep.body, rep.len, t, nt, err);
	http_reply_release(&rep);
	return r;
}

static int pf_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err)
{
	struct pf_priv *pp = be->priv;
	bool want_addrs = want->flags & DEV_IFACE_HAS_ADDRESSES;
	struct pf_tunnel *t = NULL;
	const struct pf_tunnel *have;
	struct pf_op op = { 0 };
	size_t nt = 0;
	char port[8];
	int r;

	if ((r = check_name(want->name, err)) < 0)
		return r;
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu && (want->mtu < 68 || want->mtu > 65535))
		return err_field(err, -EINVAL, "Mtu", "MTU must be between 68 and 65535");
	if (want_addrs && want->n_addresses > PF_MAX_ADDRS)
		return err_field(err, -EINVAL, "Addresses", "too many interface addresses");
	for (size_t i = 0; want_addrs && i < want->n_addresses; i++)
		if (!prefix_valid(&want->addresses[i]) || want->addresses[i].len == 0)
			return err_field(err, -EINVAL, "Addresses", "invalid interface address");
	if (want->comment && strlen(want->comment) > 255)
		return err_field(err, -EINVAL, "DisplayName", "description too long");
	if ((r = ensure_probed(be, err)) < 0)
		return r;
	if ((r = tunnels_named(pp, want->name, &t, &nt, err)) < 0)
		return err_prefix(err, "pfSense tunnel '%s'", want->name);
	have = find_tunnel(t, nt, want->name);
	snprintf(port, sizeof(port), "%u", want->listen_port);

	op.kind = OP_TUNNEL;
	snprintf(op.name, sizeof(op.name), "%s", want->name);
	buf_init(&op.body, PF_BODY_MAX);
	(void)buf_puts(&op.body, "{");
	if (!have) {
		if (!(want->flags & DEV_IFACE_HAS_PRIVATE_KEY) || key_is_zero(want->private_key)) {
			r = err_field(err, -EINVAL, "PrivateKey",
				      "pfSense needs the private key to create a tunnel");
			goto out;
		}
		op.method = "POST";
		jkv(&op.body, "name", want->name);
		jkv_b(&op.body, "enabled", want->up);
		jkv(&op.body, "descr", want->comment ? want->comment : "");
		if ((want->flags & DEV_IFACE_HAS_LISTEN_PORT) && want->listen_port)
			jkv(&op.body, "listenport", port);
		if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu)
			jkv_int(&op.body, "mtu", (long)want->mtu);
		jkv_wgkey(&op.body, "privatekey", want->private_key);
		if (want_addrs)
			jkv_addrs(&op.body, "addresses", want->addresses, want->n_addresses);
	} else {
		op.method = "PATCH";
		op.id = have->id;
		if (want->flags & DEV_IFACE_HAS_PRIVATE_KEY) {
			uint8_t pub[WG_KEY_LEN];
			bool same = have->has_private_key
					    ? !memcmp(have->private_key, want->private_key,
						      WG_KEY_LEN)
					    : have->has_public_key &&
						      key_public_from_private(pub,
									      want->private_key) == 0 &&
						      !memcmp(pub, have->public_key, WG_KEY_LEN);
			if (!same)
				jkv_wgkey(&op.body, "privatekey", want->private_key);
		}
		if ((want->flags & DEV_IFACE_HAS_LISTEN_PORT) && want->listen_port &&
		    want->listen_port != have->listenport)
			jkv(&op.body, "listenport", port);
		if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu && want->mtu != have->mtu)
			jkv_int(&op.body, "mtu", (long)want->mtu);
		if (want->up != have->enabled)
			jkv_b(&op.body, "enabled", want->up);
		if (want->comment && strcmp(want->comment, have->descr ? have->descr : ""))
			jkv(&op.body, "descr", want->comment);
		/* resent only when different: pfSense validates it even when the tunnel is
		 * assigned to an interface (pfrest #902) */
		if (want_addrs && !prefix_sets_equal(want->addresses, want->n_addresses,
						     have->addrs, have->n_addrs))
			jkv_addrs(&op.body, "addresses", want->addresses, want->n_addresses);
	}
	if (have && op.body.len == 1) {
		/* nothing differs */
		r = pp->apply_pending ? apply_now(pp, err) : 0;
		goto out;
	}
	if ((r = need_write(be, err)) < 0)
		goto out;
	pp->created_id = -1;
	r = run_ops(pp, &op, 1, have ? "changing the tunnel" : "creating the tunnel", tunnel_done,
		    err);
	if (r == -ESTALE && !have) {
		/* the firewall named the new tunnel itself (spec 4.1): remove it again */
		if (pp->created_id >= 0) {
			struct pf_op del = { .method = "DELETE", .kind = OP_TUNNEL,
					     .id = pp->created_id };
			struct err e2 = { 0 };
			snprintf(del.name, sizeof(del.name), "%s", pp->created_name);
			if (run_ops(pp, &del, 1, "removing the misnamed tunnel", NULL, &e2) < 0)
				log_debug("backend '%s': %s", pp->id, e2.msg);
		}
		r = err_field(err, -EINVAL, "Identifier",
			      "pfSense gave the new tunnel another name than '%s': create "
			      "interfaces with the next free tun_wg<N> name", want->name);
	}
out:
	op_release(&op);
	pf_tunnels_free(t, nt);
	return sync_caps(be, r);
}

enum { D_TUN, D_PEERS, D_MAX };

static int pf_delete_iface(struct backend *be, const char *name, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_call reads[D_MAX] = { 0 };
	struct pf_tunnel *t = NULL;
	struct pf_peer *peers = NULL;
	struct pf_op *ops = NULL;
	const struct pf_tunnel *tn;
	size_t nt = 0, np = 0, nops = 0;
	int r;

	if ((r = check_name(name, err)) < 0)
		return r;
	if ((r = ensure_probed(be, err)) < 0)
		return r;
	reads[D_TUN].path = http_path_query(W "/tunnels", "name", name, NULL, NULL);
	reads[D_PEERS].path = http_path_query(W "/peers", "tun", name, NULL, NULL);
	for (int i = 0; i < D_MAX; i++) {
		reads[i].method = "GET";
		if (!reads[i].path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	http_call_batch(pp->http, reads, D_MAX, true);
	for (int i = 0; i < D_MAX; i++)
		if ((r = call_result(pp, &reads[i], "reading the tunnel", err)) < 0)
			goto out;
	if ((r = pf_parse_tunnels(reads[D_TUN].reply.body, reads[D_TUN].reply.len, &t, &nt,
				  err)) < 0 ||
	    (r = pf_parse_peers(reads[D_PEERS].reply.body, reads[D_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0) {
		err_prefix(err, "pfSense tunnel '%s'", name);
		goto out;
	}
	tn = find_tunnel(t, nt, name);
	if (!tn) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	if ((r = need_write(be, err)) < 0)
		goto out;
	ops = calloc(2, sizeof(*ops));
	if (!ops) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* pfSense keeps peers of a deleted tunnel (spec 4.1): delete them first, all in one
	 * plural DELETE by tunnel name */
	for (size_t i = 0; i < np && nops == 0; i++)
		if (!strcmp(peers[i].tun, name)) {
			struct pf_op *o = &ops[nops++];
			o->method = "DELETE";
			o->kind = OP_PEER;
			o->all_of_tunnel = true;
			snprintf(o->name, sizeof(o->name), "%s", name);
		}
	ops[nops].method = "DELETE";
	ops[nops].kind = OP_TUNNEL;
	ops[nops].id = tn->id;
	snprintf(ops[nops].name, sizeof(ops[nops].name), "%s", name);
	nops++;
	r = run_ops(pp, ops, nops, "deleting the tunnel", NULL, err);
	for (size_t i = 0; r == 0 && i < np; i++)
		memo_forget(pp, peers[i].public_key);
out:
	ops_free(ops, nops);
	http_calls_release(reads, D_MAX);
	pf_tunnels_free(t, nt);
	pf_peers_free(peers, np);
	return sync_caps(be, r);
}

/* ---- peers ------------------------------------------------------------------------------------ */

/* After a successful peer write: remember the PSK it holds. */
static void peer_done(struct pf_priv *pp, const struct pf_op *o, const struct http_reply *rep)
{
	(void)rep;
	if (o->kind != OP_PEER)
		return;
	if (!strcmp(o->method, "DELETE"))
		memo_forget(pp, o->pub);
	else if (o->psk_sent)
		memo_set(pp, o->pub, o->psk);
}

/* Fills op's body for creating (have NULL) or updating a peer; op.body.len == 1 afterwards
 * means nothing differs. */
static void peer_body(struct pf_priv *pp, const char *iface, const struct dev_peer *dp,
		      const struct pf_peer *have, struct pf_op *o)
{
	struct buf *b = &o->body;
	bool disabled = dp->flags & DEV_PEER_DISABLED;
	char host[PF_HOST_MAX] = "", port[8];
	uint16_t eport = 0;

	buf_init(b, PF_BODY_MAX);
	(void)buf_puts(b, "{");
	o->kind = OP_PEER;
	memcpy(o->pub, dp->public_key, WG_KEY_LEN);
	if (!have) {
		jkv(b, "tun", iface);
		jkv_wgkey(b, "publickey", dp->public_key);
		jkv_b(b, "enabled", !disabled);
		jkv(b, "descr", dp->name ? dp->name : "");
		jkv_addrs(b, "allowedips", dp->allowed_ips, dp->n_allowed_ips);
		if (dp->persistent_keepalive)
			jkv_int(b, "persistentkeepalive", dp->persistent_keepalive);
	} else {
		if (have->enabled == disabled)
			jkv_b(b, "enabled", !disabled);
		if (dp->name && strcmp(dp->name, have->descr ? have->descr : ""))
			jkv(b, "descr", dp->name);
		if (dp->flags & DEV_PEER_REPLACE_ALLOWEDIPS) {
			if (!prefix_sets_equal(dp->allowed_ips, dp->n_allowed_ips, have->aips,
					       have->n_aips))
				jkv_addrs(b, "allowedips", dp->allowed_ips, dp->n_allowed_ips);
		} else {
			bool add = false;
			for (size_t i = 0; i < dp->n_allowed_ips; i++)
				add |= !prefix_in(&dp->allowed_ips[i], have->aips, have->n_aips);
			if (add) {
				struct ip_prefix *u = calloc(have->n_aips + dp->n_allowed_ips + 1,
							     sizeof(*u));
				size_t nu = have->n_aips;
				if (u) {
					memcpy(u, have->aips, have->n_aips * sizeof(*u));
					for (size_t i = 0; i < dp->n_allowed_ips; i++)
						if (!prefix_in(&dp->allowed_ips[i], u, nu))
							u[nu++] = dp->allowed_ips[i];
					jkv_addrs(b, "allowedips", u, nu);
					free(u);
				} else {
					(void)buf_puts(b, "\x01"); /* poison: OOM fails the op */
				}
			}
		}
		if (have->keepalive != dp->persistent_keepalive) {
			if (dp->persistent_keepalive)
				jkv_int(b, "persistentkeepalive", dp->persistent_keepalive);
			else
				jkv(b, "persistentkeepalive", NULL);
		}
	}
	if (dp->flags & DEV_PEER_HAS_ENDPOINT) {
		(void)split_endpoint(dp->endpoint, host, &eport); /* validated before */
		snprintf(port, sizeof(port), "%u", eport);
		if (!have ? host[0] != '\0'
			  : strcmp(have->endpoint, host) ||
				    (host[0] && (have->port ? have->port : 51820) != eport)) {
			jkv(b, "endpoint", host[0] ? host : NULL);
			if (host[0])
				jkv(b, "port", port);
		}
	}
	if (dp->flags & DEV_PEER_HAS_PSK) {
		bool want = !key_is_zero(dp->preshared_key);
		/* write-only on pfSense: written unless we know it holds this one */
		if (!have ? want : !memo_same(pp, dp->public_key, dp->preshared_key)) {
			if (want)
				jkv_wgkey(b, "presharedkey", dp->preshared_key);
			else
				jkv(b, "presharedkey", "");
		}
		o->psk_sent = true;
		memcpy(o->psk, dp->preshared_key, WG_KEY_LEN);
	} else if (!have) {
		uint8_t zero[WG_KEY_LEN] = { 0 };
		o->psk_sent = true; /* created without: none */
		memcpy(o->psk, zero, WG_KEY_LEN);
	}
}

static int pf_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
			  size_t n, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct http_call reads[2] = { 0 };
	struct pf_tunnel *t = NULL;
	struct pf_peer *have = NULL;
	struct pf_op *ops = NULL, *sorted = NULL;
	size_t nt = 0, nh = 0, nops = 0, ns = 0;
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
	if (pp->n_undo)
		undo_run(pp, name, peers, n);
	/* ids are re-resolved here, once per batch: all peers (public keys are unique across
	 * tunnels, ids are global) and the tunnel */
	reads[0].path = http_path_query(W "/tunnels", "name", name, NULL, NULL);
	reads[1].path = strdup(W "/peers");
	for (int i = 0; i < 2; i++) {
		reads[i].method = "GET";
		if (!reads[i].path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	http_call_batch(pp->http, reads, 2, true);
	for (int i = 0; i < 2; i++)
		if ((r = call_result(pp, &reads[i], i ? "reading peers" : "reading the tunnel",
				     err)) < 0)
			goto out;
	if ((r = pf_parse_tunnels(reads[0].reply.body, reads[0].reply.len, &t, &nt, err)) < 0 ||
	    (r = pf_parse_peers(reads[1].reply.body, reads[1].reply.len, &have, &nh, NULL,
				err)) < 0) {
		err_prefix(err, "pfSense tunnel '%s'", name);
		goto out;
	}
	if (!find_tunnel(t, nt, name)) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	ops = calloc(n + 1, sizeof(*ops));
	sorted = calloc(n + 1, sizeof(*sorted));
	if (!ops || !sorted) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dev_peer *dp = &peers[i];
		const struct pf_peer *h = find_peer(have, nh, dp->public_key);
		struct pf_op *o = &ops[nops];

		if (dp->flags & DEV_PEER_READONLY)
			continue;
		if (h && strcmp(h->tun, name)) {
			if (dp->flags & DEV_PEER_REMOVE)
				continue;
			r = err_field(err, -EEXIST, "PublicKey",
				      "peer %zu: its public key is used by a peer of pfSense tunnel "
				      "'%.60s' (keys are unique across tunnels)", i, h->tun);
			goto out;
		}
		if (dp->flags & DEV_PEER_REMOVE) {
			if (!h)
				continue;
			o->method = "DELETE";
			o->kind = OP_PEER;
			o->id = h->id;
			memcpy(o->pub, dp->public_key, WG_KEY_LEN);
			snprintf(o->name, sizeof(o->name), "%s", name);
			nops++;
			continue;
		}
		peer_body(pp, name, dp, h, o);
		snprintf(o->name, sizeof(o->name), "%s", name);
		if (h && o->body.len == 1) {
			/* nothing differs; a PSK we sent would be in the body */
			op_release(o);
			memset(o, 0, sizeof(*o));
			continue;
		}
		if (o->body.p && strchr(o->body.p, '\x01')) {
			op_release(o);
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		o->method = h ? "PATCH" : "POST";
		o->id = h ? h->id : -1;
		nops++;
	}
	if (nops && (r = need_write(be, err)) < 0)
		goto out;
	/* PATCHes (ids stable), POSTs (append at the end), DELETEs from the highest id down */
	for (size_t i = 0; i < nops; i++)
		if (!strcmp(ops[i].method, "PATCH"))
			sorted[ns++] = ops[i];
	for (size_t i = 0; i < nops; i++)
		if (!strcmp(ops[i].method, "POST"))
			sorted[ns++] = ops[i];
	{
		size_t first_del = ns;
		for (size_t i = 0; i < nops; i++)
			if (!strcmp(ops[i].method, "DELETE"))
				sorted[ns++] = ops[i];
		for (size_t i = first_del + 1; i < ns; i++)
			for (size_t k = i; k > first_del && sorted[k - 1].id < sorted[k].id; k--) {
				struct pf_op tmp = sorted[k];
				sorted[k] = sorted[k - 1];
				sorted[k - 1] = tmp;
			}
	}
	free(ops); /* the bodies moved to sorted */
	ops = NULL;
	nops = 0;
	r = run_ops(pp, sorted, ns, "applying peers", peer_done, err);
	if (r < 0 && pp->n_undo)
		undo_run(pp, NULL, NULL, 0); /* at once, when the firewall still answers */
out:
	ops_free(ops, nops);
	ops_free(sorted, ns);
	http_calls_release(reads, 2);
	pf_tunnels_free(t, nt);
	pf_peers_free(have, nh);
	return sync_caps(be, r);
}

const struct backend_ops backend_pfsense = {
	.type = "pfsense",
	.caps = PF_CAPS_ALL,
	.priv_size = sizeof(struct pf_priv),
	.open = pf_open,
	.close = pf_close,
	.list_ifaces = pf_list_ifaces,
	.get_iface = pf_get_iface,
	.apply_iface = pf_apply_iface,
	.delete_iface = pf_delete_iface,
	.apply_peers = pf_apply_peers,
};
