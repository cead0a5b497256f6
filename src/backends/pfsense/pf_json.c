/* SPDX-License-Identifier: MIT */
/*
 * pfrest v2 reply parsing (spec/pfsense-rest.md 2.1, 4, Addendum): tunnels with nested
 * addresses, peers with nested allowed IPs, the v2.9 tunnel status with its peer rows and the
 * apply object (the envelope every answer comes in is read in pf_envelope.c). Everything here
 * is pure and fed untrusted bytes: it is the target of tests/fuzz/fuzz_pfsense_reply.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backends/pfsense/pf-int.h"
#include "util/err.h"

/* ---- loading ---------------------------------------------------------------------------- */

static json_t *load(const char *body, size_t len, struct err *err)
{
	json_error_t je;
	json_t *j;

	if (!body || len == 0) {
		err_set(err, -EPROTO, "malformed reply: empty body");
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		err_set(err, -EPROTO, "malformed reply: not JSON (%.80s)", je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		err_set(err, -EPROTO, "malformed reply: not a pfSense REST API envelope");
		return NULL;
	}
	return j;
}

/* The envelope's data member; must be present. Borrowed from env. */
static json_t *env_data(json_t *env, struct err *err)
{
	json_t *d = json_object_get(env, "data");
	json_t *c = json_object_get(env, "code");

	if (c && !json_is_integer(c)) {
		err_set(err, -EPROTO, "malformed reply: 'code' is not an integer");
		return NULL;
	}
	if (c && (json_integer_value(c) < 200 || json_integer_value(c) > 299)) {
		err_set(err, -EPROTO, "malformed reply: envelope code %lld in a success reply",
			(long long)json_integer_value(c));
		return NULL;
	}
	if (!d) {
		err_set(err, -EPROTO, "malformed reply: no 'data'");
		return NULL;
	}
	return d;
}

/* ---- scalars ---------------------------------------------------------------------------- */

/* 0 = string in *ret, 1 = absent or null, -EPROTO = another type. */
static int get_str(json_t *o, const char *key, const char **ret, struct err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 1;
	if (!json_is_string(v))
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a string", key);
	*ret = json_string_value(v);
	return 0;
}

static int get_fixed(json_t *o, const char *key, char *out, size_t outsz, bool required,
		     struct err *err)
{
	const char *s = NULL;
	int r = get_str(o, key, &s, err);

	if (r < 0)
		return r;
	if (r == 1) {
		if (required)
			return err_set(err, -EPROTO, "malformed reply: '%s' is missing", key);
		out[0] = '\0';
		return 1;
	}
	if (strlen(s) >= outsz)
		return err_set(err, -EPROTO, "malformed reply: '%s' is too long", key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int get_dup(json_t *o, const char *key, char **ret, struct err *err)
{
	const char *s = NULL;
	int r = get_str(o, key, &s, err);

	if (r != 0)
		return r;
	*ret = strndup(s, PF_DESCR_MAX);
	return *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
}

/* 0 = bool, 1 = absent/null, -EPROTO otherwise. */
static int get_bool(json_t *o, const char *key, bool *ret, struct err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 1;
	if (!json_is_boolean(v))
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a boolean", key);
	*ret = json_is_true(v);
	return 0;
}

/* Integer 0..max; digits_ok also accepts a string of digits (ports: pfrest sends strings,
 * older packages numbers). 0 = value, 1 = absent/null/"" , -EPROTO otherwise. */
static int get_uint(json_t *o, const char *key, uint64_t max, bool digits_ok, uint64_t *ret,
		    struct err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 1;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > max)
			return err_set(err, -EPROTO, "malformed reply: '%s' out of range", key);
		*ret = (uint64_t)i;
		return 0;
	}
	if (digits_ok && json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = strlen(s);
		uint64_t acc = 0;

		if (n == 0)
			return 1;
		if (n > 20 || strspn(s, "0123456789") != n)
			return err_set(err, -EPROTO, "malformed reply: '%s' is not a number", key);
		for (size_t k = 0; k < n; k++) {
			if (__builtin_mul_overflow(acc, 10, &acc) ||
			    __builtin_add_overflow(acc, (uint64_t)(s[k] - '0'), &acc))
				return err_set(err, -EPROTO, "malformed reply: '%s' out of range",
					       key);
		}
		if (acc > max)
			return err_set(err, -EPROTO, "malformed reply: '%s' out of range", key);
		*ret = acc;
		return 0;
	}
	return err_set(err, -EPROTO, "malformed reply: '%s' is not %s", key,
		       digits_ok ? "a number" : "an integer");
}

static int get_id(json_t *o, long *ret, struct err *err)
{
	uint64_t v;
	int r = get_uint(o, "id", PF_ID_MAX, false, &v, err);

	if (r < 0)
		return r;
	if (r == 1)
		return err_set(err, -EPROTO, "malformed reply: 'id' is missing");
	*ret = (long)v;
	return 0;
}

/* 0 = key read, 1 = absent/empty, -EPROTO otherwise. */
static int get_key(json_t *o, const char *key, uint8_t out[static WG_KEY_LEN], struct err *err)
{
	const char *s = NULL;
	int r = get_str(o, key, &s, err);

	if (r != 0)
		return r;
	if (!*s)
		return 1;
	if (key_from_base64(out, s) < 0)
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a WireGuard key", key);
	return 0;
}

/* ---- nested address lists ----------------------------------------------------------------- */

/* One {"address":"10.0.0.1","mask":24} object, or a CIDR string (older packages). */
static int addr_from(json_t *v, bool allow_zero, struct ip_prefix *ret, struct err *err)
{
	char a[CIDR_STR_MAX + 8];
	const char *s = NULL;
	uint64_t mask;
	int r;

	if (json_is_string(v)) {
		if (ip_prefix_parse(json_string_value(v), true, ret) < 0)
			return err_set(err, -EPROTO, "malformed reply: bad address '%.50s'",
				       json_string_value(v));
		return 0;
	}
	if (!json_is_object(v))
		return err_set(err, -EPROTO, "malformed reply: address entry is not an object");
	r = get_str(v, "address", &s, err);
	if (r < 0)
		return r;
	if (r == 1 || !*s)
		return err_set(err, -EPROTO, "malformed reply: address entry without 'address'");
	if (strlen(s) > CIDR_STR_MAX - 5)
		return err_set(err, -EPROTO, "malformed reply: address too long");
	r = get_uint(v, "mask", 128, true, &mask, err);
	if (r < 0)
		return r;
	if (r == 1) {
		/* "10.0.0.1/24" in address (older packages) or a bare address */
		if (ip_prefix_parse(s, true, ret) < 0)
			return err_set(err, -EPROTO, "malformed reply: bad address '%.50s'", s);
		return 0;
	}
	if (strchr(s, '/'))
		return err_set(err, -EPROTO, "malformed reply: bad address '%.50s'", s);
	snprintf(a, sizeof(a), "%s/%u", s, (unsigned)mask);
	if (ip_prefix_parse(a, false, ret) < 0)
		return err_set(err, -EPROTO, "malformed reply: bad address '%.50s'", a);
	if (ret->len == 0 && !allow_zero)
		return err_set(err, -EPROTO, "malformed reply: address mask 0");
	return 0;
}

/* key: array of address objects (or null/absent = empty). */
static int addrs_from(json_t *o, const char *key, bool allow_zero, struct ip_prefix **ret,
		      size_t *ret_n, struct err *err)
{
	json_t *a = json_object_get(o, key), *v;
	struct ip_prefix *p;
	size_t i, n;

	*ret = NULL;
	*ret_n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (json_is_string(a)) {
		/* comma-separated string (very old packages) */
		char *dup = strdup(json_string_value(a)), *save = NULL, *tok;
		size_t cap = 0;
		int r = 0;

		if (!dup)
			return err_set(err, -ENOMEM, "out of memory");
		for (tok = strtok_r(dup, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (*ret_n >= PF_MAX_ADDRS) {
				r = err_set(err, -EPROTO, "reply too large: more than %d addresses",
					    PF_MAX_ADDRS);
				break;
			}
			if (*ret_n == cap) {
				size_t nc = cap ? cap * 2 : 4;
				struct ip_prefix *np = realloc(*ret, nc * sizeof(*np));
				if (!np) {
					r = err_set(err, -ENOMEM, "out of memory");
					break;
				}
				*ret = np;
				cap = nc;
			}
			if (ip_prefix_parse(tok, true, &(*ret)[*ret_n]) < 0) {
				r = err_set(err, -EPROTO, "malformed reply: bad address '%.50s'", tok);
				break;
			}
			(*ret_n)++;
		}
		free(dup);
		if (r < 0) {
			free(*ret);
			*ret = NULL;
			*ret_n = 0;
		}
		return r;
	}
	if (!json_is_array(a))
		return err_set(err, -EPROTO, "malformed reply: '%s' is not an array", key);
	n = json_array_size(a);
	if (n > PF_MAX_ADDRS)
		return err_set(err, -EPROTO, "reply too large: more than %d addresses",
			       PF_MAX_ADDRS);
	if (n == 0)
		return 0;
	p = calloc(n, sizeof(*p));
	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	json_array_foreach(a, i, v) {
		int r = addr_from(v, allow_zero, &p[i], err);
		if (r < 0) {
			free(p);
			return err_prefix(err, "'%s'", key);
		}
	}
	*ret = p;
	*ret_n = n;
	return 0;
}

/* ---- objects ---------------------------------------------------------------------------- */

void pf_tunnel_release(struct pf_tunnel *t)
{
	if (!t)
		return;
	free(t->descr);
	free(t->addrs);
	explicit_bzero(t->private_key, sizeof(t->private_key));
	memset(t, 0, sizeof(*t));
}

void pf_tunnels_free(struct pf_tunnel *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pf_tunnel_release(&v[i]);
	free(v);
}

void pf_peer_release(struct pf_peer *p)
{
	if (!p)
		return;
	free(p->descr);
	free(p->aips);
	explicit_bzero(p, sizeof(*p));
}

void pf_peers_free(struct pf_peer *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pf_peer_release(&v[i]);
	free(v);
}

static int tunnel_from(json_t *o, struct pf_tunnel *t, struct err *err)
{
	uint64_t u;
	int r;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(o))
		return err_set(err, -EPROTO, "malformed reply: tunnel is not an object");
	if ((r = get_id(o, &t->id, err)) < 0)
		goto fail;
	if ((r = get_fixed(o, "name", t->name, sizeof(t->name), true, err)) < 0)
		goto fail;
	if (!t->name[0]) {
		r = err_set(err, -EPROTO, "malformed reply: empty tunnel name");
		goto fail;
	}
	t->enabled = true; /* pfrest default */
	if ((r = get_bool(o, "enabled", &t->enabled, err)) < 0)
		goto fail;
	if ((r = get_dup(o, "descr", &t->descr, err)) < 0)
		goto fail;
	if ((r = get_uint(o, "listenport", 65535, true, &u, err)) < 0)
		goto fail;
	t->listenport = r == 0 ? (uint16_t)u : 0;
	if ((r = get_uint(o, "mtu", 65535, true, &u, err)) < 0)
		goto fail;
	t->mtu = r == 0 ? (uint32_t)u : 0;
	if ((r = get_key(o, "publickey", t->public_key, err)) < 0)
		goto fail;
	t->has_public_key = r == 0;
	if ((r = get_key(o, "privatekey", t->private_key, err)) < 0)
		goto fail;
	t->has_private_key = r == 0;
	if ((r = addrs_from(o, "addresses", false, &t->addrs, &t->n_addrs, err)) < 0)
		goto fail;
	return 0;
fail:
	pf_tunnel_release(t);
	return err_prefix(err, "tunnel");
}

/* 0 = peer, 1 = skipped (no/invalid public key), <0 error. */
static int peer_from(json_t *o, struct pf_peer *p, struct err *err)
{
	uint64_t u;
	int r;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(o))
		return err_set(err, -EPROTO, "malformed reply: peer is not an object");
	if ((r = get_id(o, &p->id, err)) < 0)
		goto fail;
	{
		const char *s = NULL;
		r = get_str(o, "publickey", &s, err);
		if (r < 0)
			goto fail;
		if (r == 1 || key_from_base64(p->public_key, s) < 0) {
			pf_peer_release(p);
			return 1;
		}
	}
	p->enabled = false; /* pfrest default */
	if ((r = get_bool(o, "enabled", &p->enabled, err)) < 0)
		goto fail;
	if ((r = get_fixed(o, "tun", p->tun, sizeof(p->tun), false, err)) < 0)
		goto fail;
	if ((r = get_fixed(o, "endpoint", p->endpoint, sizeof(p->endpoint), false, err)) < 0)
		goto fail;
	for (const char *c = p->endpoint; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '/' || *c == '"' || *c == '\\' || *c == 0x7f) {
			r = err_set(err, -EPROTO, "malformed reply: bad 'endpoint'");
			goto fail;
		}
	if ((r = get_uint(o, "port", 65535, true, &u, err)) < 0)
		goto fail;
	p->port = r == 0 ? (uint16_t)u : 0;
	if ((r = get_dup(o, "descr", &p->descr, err)) < 0)
		goto fail;
	if ((r = get_uint(o, "persistentkeepalive", 65535, true, &u, err)) < 0)
		goto fail;
	p->keepalive = r == 0 ? (uint32_t)u : 0;
	if ((r = addrs_from(o, "allowedips", true, &p->aips, &p->n_aips, err)) < 0)
		goto fail;
	/* sensitive: present only when the firewall exposes it; "" then means none */
	if (json_object_get(o, "presharedkey")) {
		if ((r = get_key(o, "presharedkey", p->preshared_key, err)) < 0)
			goto fail;
		p->has_psk = true;
	}
	return 0;
fail:
	pf_peer_release(p);
	return err_prefix(err, "peer");
}

static json_t *load_list(const char *body, size_t len, json_t **env, struct err *err)
{
	json_t *d;

	*env = load(body, len, err);
	if (!*env)
		return NULL;
	d = env_data(*env, err);
	if (d && !json_is_array(d)) {
		err_set(err, -EPROTO, "malformed reply: 'data' is not a list");
		d = NULL;
	}
	if (d && json_array_size(d) > PF_MAX_ROWS) {
		err_set(err, -EPROTO, "reply too large: more than %d objects", PF_MAX_ROWS);
		d = NULL;
	}
	if (!d) {
		json_decref(*env);
		*env = NULL;
	}
	return d;
}

static json_t *load_one(const char *body, size_t len, json_t **env, struct err *err)
{
	json_t *d;

	*env = load(body, len, err);
	if (!*env)
		return NULL;
	d = env_data(*env, err);
	if (d && !json_is_object(d)) {
		err_set(err, -EPROTO, "malformed reply: 'data' is not an object");
		d = NULL;
	}
	if (!d) {
		json_decref(*env);
		*env = NULL;
	}
	return d;
}

int pf_parse_tunnels(const char *body, size_t len, struct pf_tunnel **ret, size_t *ret_n,
		     struct err *err)
{
	json_t *env, *d = load_list(body, len, &env, err), *v;
	struct pf_tunnel *t = NULL;
	size_t i, n;
	int r = 0;

	if (!d)
		return err ? err->code : -EPROTO;
	n = json_array_size(d);
	if (n && !(t = calloc(n, sizeof(*t)))) {
		json_decref(env);
		return err_set(err, -ENOMEM, "out of memory");
	}
	json_array_foreach(d, i, v) {
		if ((r = tunnel_from(v, &t[i], err)) < 0) {
			pf_tunnels_free(t, i);
			json_decref(env);
			return r;
		}
	}
	json_decref(env);
	*ret = t;
	*ret_n = n;
	return 0;
}

int pf_parse_tunnel_one(const char *body, size_t len, struct pf_tunnel *ret, struct err *err)
{
	json_t *env, *d = load_one(body, len, &env, err);
	struct pf_tunnel t;
	int r;

	if (!d)
		return err ? err->code : -EPROTO;
	r = tunnel_from(d, &t, err);
	json_decref(env);
	if (r == 0)
		*ret = t;
	return r;
}

int pf_parse_peers(const char *body, size_t len, struct pf_peer **ret, size_t *ret_n,
		   size_t *ret_skipped, struct err *err)
{
	json_t *env, *d = load_list(body, len, &env, err), *v;
	struct pf_peer *p = NULL;
	size_t i, n = 0, skipped = 0;

	if (!d)
		return err ? err->code : -EPROTO;
	if (json_array_size(d) && !(p = calloc(json_array_size(d), sizeof(*p)))) {
		json_decref(env);
		return err_set(err, -ENOMEM, "out of memory");
	}
	json_array_foreach(d, i, v) {
		int r = peer_from(v, &p[n], err);
		if (r < 0) {
			pf_peers_free(p, n);
			json_decref(env);
			return r;
		}
		if (r == 1)
			skipped++;
		else
			n++;
	}
	json_decref(env);
	*ret = p;
	*ret_n = n;
	if (ret_skipped)
		*ret_skipped = skipped;
	return 0;
}

int pf_parse_peer_one(const char *body, size_t len, struct pf_peer *ret, struct err *err)
{
	json_t *env, *d = load_one(body, len, &env, err);
	struct pf_peer p;
	int r;

	if (!d)
		return err ? err->code : -EPROTO;
	r = peer_from(d, &p, err);
	json_decref(env);
	if (r == 1)
		return err_set(err, -EPROTO, "malformed reply: peer without a valid 'publickey'");
	if (r == 0)
		*ret = p;
	return r;
}

/* Appends the status rows of one tunnel's JSON array of peer objects to *v (tunnel: the name a
 * row without tunnel_device belongs to). Rows that cannot name their peer are skipped. */
static int status_rows(json_t *arr, const char *tunnel, struct pf_peer_status **v, size_t *n,
		       struct err *err)
{
	json_t *row;
	size_t i;
	int r = 0;

	if (!json_is_array(arr))
		return err_set(err, -EPROTO, "malformed reply: peer status is not a list");
	if (json_array_size(arr) > PF_MAX_ROWS)
		return err_set(err, -EPROTO, "malformed reply: too many peer status rows");
	if (json_array_size(arr)) {
		struct pf_peer_status *nv = realloc(*v, (*n + json_array_size(arr)) * sizeof(*nv));
		if (!nv)
			return err_set(err, -ENOMEM, "out of memory");
		*v = nv;
	}
	json_array_foreach(arr, i, row) {
		struct pf_peer_status *st = &(*v)[*n];
		uint64_t u;

		memset(st, 0, sizeof(*st));
		if (!json_is_object(row))
			return err_set(err, -EPROTO, "malformed reply: status row is not an object");
		r = get_key(row, "public_key", st->public_key, err);
		if (r != 0) {
			/* a status row that cannot name its peer is useless, not fatal */
			r = 0;
			continue;
		}
		if ((r = get_fixed(row, "tunnel_device", st->tunnel, sizeof(st->tunnel), false,
				   err)) < 0 ||
		    (r = get_fixed(row, "endpoint", st->endpoint, sizeof(st->endpoint), false,
				   err)) < 0)
			return r;
		if (!st->tunnel[0] && tunnel)
			snprintf(st->tunnel, sizeof(st->tunnel), "%s", tunnel);
		if ((r = get_uint(row, "latest_handshake", INT64_MAX, true, &u, err)) < 0)
			return r;
		st->latest_handshake = r == 0 ? (int64_t)u : 0;
		if ((r = get_uint(row, "transfer_rx", UINT64_MAX, true, &u, err)) < 0)
			return r;
		st->rx = r == 0 ? u : 0;
		if ((r = get_uint(row, "transfer_tx", UINT64_MAX, true, &u, err)) < 0)
			return r;
		st->tx = r == 0 ? u : 0;
		(*n)++;
	}
	return 0;
}

int pf_parse_tunnel_status(const char *body, size_t len, struct pf_peer_status **ret,
			   size_t *ret_n, struct err *err)
{
	json_t *env, *d = load_list(body, len, &env, err), *t;
	struct pf_peer_status *s = NULL;
	size_t i, n = 0;
	int r = 0;

	if (!d)
		return err ? err->code : -EPROTO;
	json_array_foreach(d, i, t) {
		char name[PF_NAME_MAX];
		json_t *peers;

		if (!json_is_object(t)) {
			r = err_set(err, -EPROTO, "malformed reply: tunnel status is not an object");
			break;
		}
		if ((r = get_fixed(t, "name", name, sizeof(name), false, err)) < 0)
			break;
		peers = json_object_get(t, "peers");
		if (!peers || json_is_null(peers))
			continue;
		if ((r = status_rows(peers, name, &s, &n, err)) < 0)
			break;
		r = 0;
	}
	json_decref(env);
	if (r < 0) {
		free(s);
		return err_prefix(err, "tunnel status");
	}
	*ret = s;
	*ret_n = n;
	return 0;
}

int pf_parse_apply(const char *body, size_t len, bool *ret_applied, struct err *err)
{
	json_t *env = load(body, len, err), *d;
	bool applied = true;
	int r = 0;

	if (!env)
		return err ? err->code : -EPROTO;
	d = env_data(env, err);
	if (!d)
		r = err ? err->code : -EPROTO;
	else if (json_is_object(d) && (r = get_bool(d, "applied", &applied, err)) > 0)
		r = 0;
	else if (!json_is_object(d) && !(json_is_array(d) && json_array_size(d) == 0))
		r = err_set(err, -EPROTO, "malformed reply: apply 'data' is not an object");
	json_decref(env);
	if (r == 0)
		*ret_applied = applied;
	return r;
}
