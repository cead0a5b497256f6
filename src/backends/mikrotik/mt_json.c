/* SPDX-License-Identifier: MIT */
/*
 * RouterOS REST reply parsing (spec/routeros-rest.md 2.2, 3, 4): every reply value is a JSON
 * string (numbers and durations are read by mt_scalar.c), sensitive values may be absent or
 * masked. Everything here is pure and fed untrusted bytes: it is the target of
 * tests/fuzz/fuzz_mikrotik_reply.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/mikrotik/mt-int.h"
#include "util/err.h"

#define MT_COMMENT_MAX 1024

/* ---- JSON field access ------------------------------------------------------------------ */

/* 0 = string in *ret, 1 = absent, -EPROTO = present with another type. */
static int get_str(json_t *o, const char *key, const char **ret, struct err *err)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 1;
	if (!json_is_string(v))
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a string", key);
	*ret = json_string_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, bool *ret, struct err *err)
{
	const char *s = NULL;
	int r = get_str(o, key, &s, err);

	if (r != 0)
		return r;
	if (!strcmp(s, "true") || !strcmp(s, "yes"))
		*ret = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no"))
		*ret = false;
	else
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a boolean", key);
	return 0;
}

static int get_u64(json_t *o, const char *key, uint64_t max, uint64_t *ret, struct err *err)
{
	const char *s = NULL;
	uint64_t v;
	int r = get_str(o, key, &s, err);

	if (r != 0)
		return r;
	if (mt_parse_uint(s, max, &v) < 0)
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a number in range", key);
	*ret = v;
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

/* ".id": "*" and hex digits only (it goes into request paths). */
static int get_id(json_t *o, char out[static MT_ID_MAX], struct err *err)
{
	int r = get_fixed(o, ".id", out, MT_ID_MAX, true, err);
	size_t l = strlen(out);

	if (r < 0)
		return r;
	if (l < 2 || out[0] != '*' || strspn(out + 1, "0123456789abcdefABCDEF") != l - 1)
		return err_set(err, -EPROTO, "malformed reply: bad .id '%.20s'", out);
	return 0;
}

static int get_dup(json_t *o, const char *key, char **ret, struct err *err)
{
	const char *s = NULL;
	int r = get_str(o, key, &s, err);

	if (r != 0)
		return r;
	*ret = strndup(s, MT_COMMENT_MAX);
	return *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
}

static bool is_masked(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s != '*')
			return false;
	return true;
}

/* 0 = key read, 1 = absent or empty, 2 = masked, -EPROTO otherwise. */
static int get_key(json_t *o, const char *key, uint8_t out[static WG_KEY_LEN], struct err *err)
{
	const char *s = NULL;
	int r = get_str(o, key, &s, err);

	if (r != 0)
		return r;
	if (!*s)
		return 1;
	if (is_masked(s))
		return 2;
	if (key_from_base64(out, s) < 0)
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a WireGuard key", key);
	return 0;
}

static int get_duration_s(json_t *o, const char *key, int64_t *ret, struct err *err)
{
	const char *s = NULL;
	int64_t us;
	int r = get_str(o, key, &s, err);

	if (r != 0)
		return r;
	if (!*s)
		return 1;
	if (mt_parse_duration_us(s, &us) < 0)
		return err_set(err, -EPROTO, "malformed reply: '%s' is not a duration", key);
	*ret = us / 1000000;
	return 0;
}

static json_t *load(const char *body, size_t len, struct err *err)
{
	json_error_t je;
	json_t *j;

	if (!body || len == 0) {
		err_set(err, -EPROTO, "malformed reply: empty body");
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		err_set(err, -EPROTO, "malformed reply: not JSON (%.80s at %d)", je.text,
			je.position);
	return j;
}

static json_t *load_array(const char *body, size_t len, struct err *err)
{
	json_t *j = load(body, len, err);

	if (j && !json_is_array(j)) {
		json_decref(j);
		err_set(err, -EPROTO, "malformed reply: expected a list");
		return NULL;
	}
	if (j && json_array_size(j) > MT_MAX_ROWS) {
		json_decref(j);
		err_set(err, -EPROTO, "reply too large: more than %d rows", MT_MAX_ROWS);
		return NULL;
	}
	return j;
}

static json_t *load_object(const char *body, size_t len, struct err *err)
{
	json_t *j = load(body, len, err);

	if (j && !json_is_object(j)) {
		json_decref(j);
		err_set(err, -EPROTO, "malformed reply: expected an object");
		return NULL;
	}
	return j;
}

/* Every element of a list reply must be an object. */
static int check_rows(json_t *a, struct err *err)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (!json_is_object(v))
			return err_set(err, -EPROTO, "malformed reply: list element %zu is not an "
						     "object", i);
	return 0;
}

#define OK(x)                  \
	do {                   \
		if ((r = (x)) < 0) \
			goto fail; \
	} while (0)

/* ---- /system/resource ------------------------------------------------------------------- */

int mt_parse_resource(const char *body, size_t len, struct mt_resource *ret, struct err *err)
{
	struct mt_resource res = { 0 };
	json_t *j = load_object(body, len, err);
	int r;

	if (!j)
		return -EPROTO;
	OK(get_fixed(j, "version", res.version, sizeof(res.version), true, err));
	OK(get_fixed(j, "board-name", res.board, sizeof(res.board), false, err));
	if (mt_parse_version(res.version, &res.ver) < 0) {
		r = err_set(err, -EPROTO, "malformed reply: version '%.40s' not understood",
			    res.version);
		goto fail;
	}
	*ret = res;
	r = 0;
fail:
	json_decref(j);
	return r;
}

/* ---- /interface/wireguard --------------------------------------------------------------- */

void mt_wg_release(struct mt_wg *w)
{
	if (!w)
		return;
	free(w->comment);
	explicit_bzero(w, sizeof(*w));
}

void mt_wgs_free(struct mt_wg *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		mt_wg_release(&v[i]);
	free(v);
}

static int wg_from(json_t *o, struct mt_wg *w, struct err *err)
{
	uint64_t u;
	int r;

	memset(w, 0, sizeof(*w));
	OK(get_id(o, w->id, err));
	OK(get_fixed(o, "name", w->name, sizeof(w->name), true, err));
	OK(get_dup(o, "comment", &w->comment, err));
	OK(get_bool(o, "disabled", &w->disabled, err));
	if ((r = get_u64(o, "listen-port", 65535, &u, err)) < 0)
		goto fail;
	if (r == 0)
		w->listen_port = (uint16_t)u;
	if ((r = get_u64(o, "mtu", 65536, &u, err)) < 0)
		goto fail;
	if (r == 0)
		w->mtu = (uint32_t)u;
	OK(get_key(o, "private-key", w->private_key, err));
	w->has_private_key = r == 0;
	w->private_key_masked = r == 2;
	OK(get_key(o, "public-key", w->public_key, err));
	w->has_public_key = r == 0;
	return 0;
fail:
	mt_wg_release(w);
	return r;
}

int mt_parse_wgs(const char *body, size_t len, struct mt_wg **ret, size_t *ret_n,
		 struct err *err)
{
	json_t *j = load_array(body, len, err), *o;
	struct mt_wg *v = NULL;
	size_t i, n = 0;
	int r;

	if (!j)
		return -EPROTO;
	OK(check_rows(j, err));
	v = calloc(json_array_size(j) + 1, sizeof(*v));
	if (!v) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	json_array_foreach(j, i, o) {
		OK(wg_from(o, &v[n], err));
		n++;
	}
	json_decref(j);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	mt_wgs_free(v, n);
	json_decref(j);
	return r;
}

int mt_parse_wg_one(const char *body, size_t len, struct mt_wg *ret, struct err *err)
{
	json_t *j = load_object(body, len, err);
	int r;

	if (!j)
		return -EPROTO;
	r = wg_from(j, ret, err);
	json_decref(j);
	return r;
}

/* ---- /interface (counters) -------------------------------------------------------------- */

int mt_parse_ifstats(const char *body, size_t len, struct mt_ifstat **ret, size_t *ret_n,
		     struct err *err)
{
	json_t *j = load_array(body, len, err), *o;
	struct mt_ifstat *v = NULL;
	size_t i, n = 0;
	int r;

	if (!j)
		return -EPROTO;
	OK(check_rows(j, err));
	v = calloc(json_array_size(j) + 1, sizeof(*v));
	if (!v) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	json_array_foreach(j, i, o) {
		struct mt_ifstat *s = &v[n];
		OK(get_id(o, s->id, err));
		OK(get_fixed(o, "name", s->name, sizeof(s->name), false, err));
		OK(get_u64(o, "rx-byte", UINT64_MAX, &s->rx_bytes, err));
		OK(get_u64(o, "tx-byte", UINT64_MAX, &s->tx_bytes, err));
		n++;
	}
	json_decref(j);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	free(v);
	json_decref(j);
	return r;
}

/* ---- /ip/address, /ipv6/address --------------------------------------------------------- */

int mt_parse_addrs(const char *body, size_t len, struct mt_addr **ret, size_t *ret_n,
		   struct err *err)
{
	json_t *j = load_array(body, len, err), *o;
	struct mt_addr *v = NULL;
	size_t i, n = 0;
	int r;

	if (!j)
		return -EPROTO;
	OK(check_rows(j, err));
	v = calloc(json_array_size(j) + 1, sizeof(*v));
	if (!v) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	json_array_foreach(j, i, o) {
		struct mt_addr *a = &v[n];
		const char *s = NULL;
		OK(get_id(o, a->id, err));
		OK(get_fixed(o, "interface", a->iface, sizeof(a->iface), false, err));
		OK(get_bool(o, "dynamic", &a->dynamic, err));
		OK(get_bool(o, "disabled", &a->disabled, err));
		if ((r = get_str(o, "address", &s, err)) < 0)
			goto fail;
		if (r == 1) {
			r = err_set(err, -EPROTO, "malformed reply: 'address' is missing");
			goto fail;
		}
		if (ip_prefix_parse(s, true, &a->prefix) < 0) {
			r = err_set(err, -EPROTO, "malformed reply: bad address '%.60s'", s);
			goto fail;
		}
		n++;
	}
	json_decref(j);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	free(v);
	json_decref(j);
	return r;
}

/* ---- /interface/wireguard/peers --------------------------------------------------------- */

void mt_peer_release(struct mt_peer *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->comment);
	free(p->aips);
	explicit_bzero(p, sizeof(*p));
}

void mt_peers_free(struct mt_peer *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		mt_peer_release(&v[i]);
	free(v);
}

static int parse_aips(const char *s, struct mt_peer *p, struct err *err)
{
	const char *q = s;
	size_t cap = 0;

	while (*q) {
		char one[CIDR_STR_MAX + 1];
		size_t l = strcspn(q, ",");
		struct ip_prefix pfx;

		if (l == 0 || l > CIDR_STR_MAX)
			return err_set(err, -EPROTO, "malformed reply: bad allowed-address");
		memcpy(one, q, l);
		one[l] = '\0';
		if (ip_prefix_parse(one, true, &pfx) < 0)
			return err_set(err, -EPROTO, "malformed reply: bad allowed-address '%s'", one);
		if (p->n_aips >= MT_MAX_AIPS)
			return err_set(err, -EPROTO, "reply too large: more than %d allowed addresses",
				       MT_MAX_AIPS);
		if (p->n_aips == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct ip_prefix *nv = realloc(p->aips, ncap * sizeof(*nv));
			if (!nv)
				return err_set(err, -ENOMEM, "out of memory");
			p->aips = nv;
			cap = ncap;
		}
		p->aips[p->n_aips++] = pfx;
		q += l;
		if (*q == ',') {
			q++;
			if (!*q)
				return err_set(err, -EPROTO, "malformed reply: bad allowed-address");
		}
	}
	return 0;
}

/* 0 = row read, 1 = row has no usable public key (skip it), < 0 = error. */
static int peer_from(json_t *o, struct mt_peer *p, struct err *err)
{
	const char *s = NULL;
	uint64_t u;
	int64_t d;
	int r;

	memset(p, 0, sizeof(*p));
	p->last_handshake_ago = -1;
	OK(get_id(o, p->id, err));
	OK(get_fixed(o, "interface", p->iface, sizeof(p->iface), false, err));
	if ((r = get_str(o, "public-key", &s, err)) < 0)
		goto fail;
	if (r == 1 || key_from_base64(p->public_key, s) < 0) {
		mt_peer_release(p);
		return 1;
	}
	OK(get_dup(o, "name", &p->name, err));
	OK(get_dup(o, "comment", &p->comment, err));
	OK(get_key(o, "preshared-key", p->preshared_key, err));
	p->has_psk = r == 0;
	p->psk_masked = r == 2;
	if ((r = get_str(o, "allowed-address", &s, err)) < 0)
		goto fail;
	if (r == 0)
		OK(parse_aips(s, p, err));
	OK(get_fixed(o, "endpoint-address", p->endpoint_address, sizeof(p->endpoint_address),
		     false, err));
	if ((r = get_u64(o, "endpoint-port", 65535, &u, err)) < 0)
		goto fail;
	if (r == 0)
		p->endpoint_port = (uint16_t)u;
	if ((r = get_duration_s(o, "persistent-keepalive", &d, err)) < 0)
		goto fail;
	if (r == 0)
		p->keepalive = d > 65535 ? 65535 : (uint32_t)d;
	OK(get_bool(o, "disabled", &p->disabled, err));
	OK(get_bool(o, "dynamic", &p->dynamic, err));
	if ((r = get_bool(o, "responder", &p->responder, err)) < 0)
		goto fail;
	if (r == 1 && (r = get_bool(o, "is-responder", &p->responder, err)) < 0)
		goto fail;
	p->has_responder = r == 0;
	OK(get_u64(o, "rx", UINT64_MAX, &p->rx_bytes, err));
	OK(get_u64(o, "tx", UINT64_MAX, &p->tx_bytes, err));
	if ((r = get_duration_s(o, "last-handshake", &d, err)) < 0)
		goto fail;
	if (r == 0)
		p->last_handshake_ago = d;
	OK(get_fixed(o, "current-endpoint-address", p->current_address,
		     sizeof(p->current_address), false, err));
	if ((r = get_u64(o, "current-endpoint-port", 65535, &u, err)) < 0)
		goto fail;
	if (r == 0)
		p->current_port = (uint16_t)u;
	return 0;
fail:
	mt_peer_release(p);
	return r;
}

int mt_parse_peers(const char *body, size_t len, struct mt_peer **ret, size_t *ret_n,
		   size_t *ret_skipped, struct err *err)
{
	json_t *j = load_array(body, len, err), *o;
	struct mt_peer *v = NULL;
	size_t i, n = 0, skipped = 0;
	int r;

	if (!j)
		return -EPROTO;
	OK(check_rows(j, err));
	v = calloc(json_array_size(j) + 1, sizeof(*v));
	if (!v) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	json_array_foreach(j, i, o) {
		OK(peer_from(o, &v[n], err));
		if (r == 1)
			skipped++;
		else
			n++;
	}
	json_decref(j);
	*ret = v;
	*ret_n = n;
	if (ret_skipped)
		*ret_skipped = skipped;
	return 0;
fail:
	mt_peers_free(v, n);
	json_decref(j);
	return r;
}

int mt_parse_peer_one(const char *body, size_t len, struct mt_peer *ret, struct err *err)
{
	json_t *j = load_object(body, len, err);
	int r;

	if (!j)
		return -EPROTO;
	r = peer_from(j, ret, err);
	json_decref(j);
	if (r == 1)
		r = err_set(err, -EPROTO, "malformed reply: peer without a valid public-key");
	return r;
}

/* ---- misc ------------------------------------------------------------------------------- */

int mt_parse_first_field(const char *body, size_t len, const char *field, char *out,
			 size_t outsz, struct err *err)
{
	json_t *j = load_array(body, len, err), *o;
	int r;

	if (!j)
		return -EPROTO;
	OK(check_rows(j, err));
	if (json_array_size(j) == 0) {
		r = -ENOENT;
		goto fail;
	}
	o = json_array_get(j, 0);
	r = get_fixed(o, field, out, outsz, true, err);
fail:
	json_decref(j);
	return r < 0 ? r : 0;
}

void mt_parse_error(const char *body, size_t len, char *out, size_t outsz)
{
	json_t *j = NULL, *v;
	const char *s = NULL;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (body && len)
		j = json_loadb(body, len, 0, NULL);
	if (j && json_is_object(j)) {
		v = json_object_get(j, "detail");
		if (!json_is_string(v) || !*json_string_value(v))
			v = json_object_get(j, "message");
		if (json_is_string(v))
			s = json_string_value(v);
	}
	key_masked_copy(out, outsz, s);
	json_decref(j);
}
