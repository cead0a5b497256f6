/* SPDX-License-Identifier: MIT */
/*
 * wg-portal v1 JSON models <-> domain structs (spec/wg-portal-compat.md 2.1, 2.7).
 * Interfaces and peers are described by one field table each: the table order is the answer's
 * field order, and the same table drives decoding (case-insensitive names, type and range
 * checks, unknown names refused). Users have a few write-only/derived fields and are written
 * by hand, decoded through the same table machinery.
 */
#include "api/json_model.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "monitor/ping.h"
#include "util/buf.h"
#include "util/json_go.h"
#include "util/err.h"

enum jkind {
	JK_STR,        /* char * */
	JK_STR_OMIT,   /* char *, omitted from answers when empty (ExpiresAt) */
	JK_KEY,        /* char[WG_KEY_B64_SIZE] */
	JK_BOOL,       /* bool */
	JK_INT,        /* int, range lo..hi */
	JK_U32,        /* uint32_t */
	JK_STRV,       /* struct strv */
	JK_OPT_STR,    /* struct opt_str */
	JK_OPT_INT,    /* struct opt_int, range lo..hi */
	JK_OPT_STRV,   /* struct opt_strv */
	JK_RO_INT,     /* int, answer only */
	JK_RO_STRV,    /* struct strv, answer only */
	JK_SKIP,       /* answer-only field computed elsewhere (Filename, ApiEnabled, ...) */
	JK_PASSWORD,   /* user Password: write only, to the caller */
	JK_APITOKEN,   /* user ApiToken: to the caller */
};

struct jfield {
	const char *name;
	enum jkind kind;
	size_t off;
	int64_t lo, hi;
};

#define F(n, k, type, member) { n, k, offsetof(type, member), 0, 0 }
#define FR(n, k, type, member, l, h) { n, k, offsetof(type, member), l, h }
#define FS(n, k) { n, k, 0, 0, 0 }

static const struct jfield iface_fields[] = {
	F("Identifier", JK_STR, struct iface, identifier),
	F("DisplayName", JK_STR, struct iface, display_name),
	F("Mode", JK_STR, struct iface, mode),
	F("PrivateKey", JK_KEY, struct iface, private_key),
	F("PublicKey", JK_KEY, struct iface, public_key),
	F("Disabled", JK_BOOL, struct iface, disabled),
	F("DisabledReason", JK_STR, struct iface, disabled_reason),
	F("SaveConfig", JK_BOOL, struct iface, save_config),
	FR("ListenPort", JK_INT, struct iface, listen_port, 0, 65535),
	F("Addresses", JK_STRV, struct iface, addresses),
	F("Dns", JK_STRV, struct iface, dns),
	F("DnsSearch", JK_STRV, struct iface, dns_search),
	FR("Mtu", JK_INT, struct iface, mtu, 0, 65535),
	F("FirewallMark", JK_U32, struct iface, firewall_mark),
	F("RoutingTable", JK_STR, struct iface, routing_table),
	F("PreUp", JK_STR, struct iface, pre_up),
	F("PostUp", JK_STR, struct iface, post_up),
	F("PreDown", JK_STR, struct iface, pre_down),
	F("PostDown", JK_STR, struct iface, post_down),
	F("PeerDefNetwork", JK_STRV, struct iface, peer_def_network),
	F("PeerDefDns", JK_STRV, struct iface, peer_def_dns),
	F("PeerDefDnsSearch", JK_STRV, struct iface, peer_def_dns_search),
	F("PeerDefEndpoint", JK_STR, struct iface, peer_def_endpoint),
	F("PeerDefAllowedIPs", JK_STRV, struct iface, peer_def_allowed_ips),
	FR("PeerDefMtu", JK_INT, struct iface, peer_def_mtu, 0, 65535),
	FR("PeerDefPersistentKeepalive", JK_INT, struct iface, peer_def_persistent_keepalive, 0,
	   65535),
	F("PeerDefFirewallMark", JK_U32, struct iface, peer_def_firewall_mark),
	F("PeerDefRoutingTable", JK_STR, struct iface, peer_def_routing_table),
	F("PeerDefPreUp", JK_STR, struct iface, peer_def_pre_up),
	F("PeerDefPostUp", JK_STR, struct iface, peer_def_post_up),
	F("PeerDefPreDown", JK_STR, struct iface, peer_def_pre_down),
	F("PeerDefPostDown", JK_STR, struct iface, peer_def_post_down),
	F("EnabledPeers", JK_RO_INT, struct iface, enabled_peers),
	F("TotalPeers", JK_RO_INT, struct iface, total_peers),
	FS("Filename", JK_SKIP),
	/* addition (not in wg-portal's v1 model): the backend id, "local" or a configured id */
	F("Backend", JK_STR, struct iface, backend),
	/* addition: wg-portal's "create default peer" flag (its UI has it, v1 does not; absent
	 * from a PUT body = keep the stored value, api/interfaces.c) */
	F("CreateDefaultPeer", JK_BOOL, struct iface, create_default_peer),
	/* addition, runtime state added by api/interfaces.c: read-only, ignored on input */
	FS("BackendAvailable", JK_SKIP),
	/* addition: the node whose host holds a local interface (docs/cluster.md); "" = none.
	 * On input: "" keeps the stored node (the creating node for a new interface). */
	F("Node", JK_STR, struct iface, node),
	/* addition, runtime: the node doing its device work now (api/interfaces.c) */
	FS("ServedBy", JK_SKIP),
};

static const struct jfield peer_fields[] = {
	F("Identifier", JK_KEY, struct peer, identifier),
	F("DisplayName", JK_STR, struct peer, display_name),
	F("UserIdentifier", JK_STR, struct peer, user_identifier),
	F("InterfaceIdentifier", JK_STR, struct peer, interface_identifier),
	F("Disabled", JK_BOOL, struct peer, disabled),
	F("DisabledReason", JK_STR, struct peer, disabled_reason),
	F("ExpiresAt", JK_STR_OMIT, struct peer, expires_at),
	F("Notes", JK_STR, struct peer, notes),
	F("Endpoint", JK_OPT_STR, struct peer, endpoint),
	F("EndpointPublicKey", JK_OPT_STR, struct peer, endpoint_public_key),
	F("AllowedIPs", JK_OPT_STRV, struct peer, allowed_ips),
	F("ExtraAllowedIPs", JK_STRV, struct peer, extra_allowed_ips),
	F("PresharedKey", JK_KEY, struct peer, preshared_key),
	FR("PersistentKeepalive", JK_OPT_INT, struct peer, persistent_keepalive, 0, 65535),
	F("PrivateKey", JK_KEY, struct peer, private_key),
	F("PublicKey", JK_KEY, struct peer, public_key),
	F("Mode", JK_STR, struct peer, mode),
	F("Addresses", JK_STRV, struct peer, addresses),
	F("CheckAliveAddress", JK_STR, struct peer, check_alive_address),
	F("Dns", JK_OPT_STRV, struct peer, dns),
	F("DnsSearch", JK_OPT_STRV, struct peer, dns_search),
	FR("Mtu", JK_OPT_INT, struct peer, mtu, 0, 65535),
	FR("FirewallMark", JK_OPT_INT, struct peer, firewall_mark, 0, UINT32_MAX),
	F("RoutingTable", JK_OPT_STR, struct peer, routing_table),
	F("PreUp", JK_OPT_STR, struct peer, pre_up),
	F("PostUp", JK_OPT_STR, struct peer, post_up),
	F("PreDown", JK_OPT_STR, struct peer, pre_down),
	F("PostDown", JK_OPT_STR, struct peer, post_down),
	FS("Filename", JK_SKIP),
};

static const struct jfield user_fields[] = {
	F("Identifier", JK_STR, struct user, identifier),
	F("Email", JK_STR, struct user, email),
	F("AuthSources", JK_RO_STRV, struct user, auth_sources),
	F("IsAdmin", JK_BOOL, struct user, is_admin),
	F("Firstname", JK_STR, struct user, firstname),
	F("Lastname", JK_STR, struct user, lastname),
	F("Phone", JK_STR, struct user, phone),
	F("Department", JK_STR, struct user, department),
	F("Notes", JK_STR, struct user, notes),
	FS("Password", JK_PASSWORD),
	F("Disabled", JK_BOOL, struct user, disabled),
	F("DisabledReason", JK_STR, struct user, disabled_reason),
	F("Locked", JK_BOOL, struct user, locked),
	F("LockedReason", JK_STR, struct user, locked_reason),
	FS("ApiToken", JK_APITOKEN),
	FS("ApiEnabled", JK_SKIP),
	F("PeerCount", JK_RO_INT, struct user, peer_count),
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- answers ---------------------------------------------------------------------------- */

static json_t *str_array(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < sv->n; i++) {
		if (json_array_append_new(a, json_string(sv->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *config_option(json_t *value, bool overridable)
{
	json_t *o = json_object();

	if (!o || !value || json_object_set_new(o, "Value", value) < 0) {
		json_decref(o);
		json_decref(value);
		return NULL;
	}
	value = NULL;
	if (overridable && json_object_set_new(o, "Overridable", json_true()) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The answer value of one field, or NULL for "omit" (*fail set on OOM). */
static json_t *field_value(const struct jfield *f, const void *base, bool *omit)
{
	const char *p = (const char *)base + f->off;

	*omit = false;
	switch (f->kind) {
	case JK_STR:
		return json_string(STR(*(char *const *)p));
	case JK_STR_OMIT:
		if (!*(char *const *)p || !**(char *const *)p) {
			*omit = true;
			return NULL;
		}
		return json_string(*(char *const *)p);
	case JK_KEY:
		return json_string(p);
	case JK_BOOL:
		return json_boolean(*(const bool *)p);
	case JK_INT:
	case JK_RO_INT:
		return json_integer(*(const int *)p);
	case JK_U32:
		return json_integer(*(const uint32_t *)p);
	case JK_STRV:
	case JK_RO_STRV:
		return str_array((const struct strv *)p);
	case JK_OPT_STR: {
		const struct opt_str *o = (const struct opt_str *)p;

		return config_option(json_string(STR(o->value)), o->overridable);
	}
	case JK_OPT_INT: {
		const struct opt_int *o = (const struct opt_int *)p;

		return config_option(json_integer(o->value), o->overridable);
	}
	case JK_OPT_STRV: {
		const struct opt_strv *o = (const struct opt_strv *)p;

		return config_option(str_array(&o->value), o->overridable);
	}
	default:
		*omit = true;
		return NULL;
	}
}

static json_t *object_from_table(const struct jfield *fields, size_t n, const void *base)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj && i < n; i++) {
		bool omit;
		json_t *v = field_value(&fields[i], base, &omit);

		if (omit)
			continue;
		if (!v || json_object_set_new(obj, fields[i].name, v) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/* Appends the RO "Filename" (last field of both tables). */
static json_t *with_filename(json_t *obj, const char name[static 32])
{
	if (obj && json_object_set_new(obj, "Filename", json_string(name)) < 0)
		obj = (json_decref(obj), NULL);
	return obj;
}

json_t *json_from_iface(const struct iface *ifc)
{
	char name[32];

	iface_filename(ifc, name);
	json_t *obj = with_filename(object_from_table(iface_fields, NFIELDS(iface_fields), ifc), name);
	/* keep wg-portal's field order: the addition goes after Filename, "" shown as local */
	if (obj) {
		json_object_del(obj, "Backend");
		json_object_del(obj, "CreateDefaultPeer");
		json_object_del(obj, "Node");
		if (json_object_set_new(obj, "Backend", json_string(ifc->backend && *ifc->backend
								      ? ifc->backend : "local")) < 0 ||
		    json_object_set_new(obj, "CreateDefaultPeer",
					json_boolean(ifc->create_default_peer)) < 0 ||
		    json_object_set_new(obj, "Node", json_string(STR(ifc->node))) < 0)
			obj = (json_decref(obj), NULL);
	}
	return obj;
}

json_t *json_from_peer(const struct peer *p)
{
	char name[32];

	peer_filename(p, name);
	return with_filename(object_from_table(peer_fields, NFIELDS(peer_fields), p), name);
}

json_t *json_from_user(const struct user *u, bool with_token)
{
	json_t *obj = json_object();
	int r = 0;

	if (!obj)
		return NULL;
	for (size_t i = 0; i < NFIELDS(user_fields); i++) {
		const struct jfield *f = &user_fields[i];
		json_t *v;
		bool omit;

		if (f->kind == JK_PASSWORD)
			continue; /* never in answers */
		if (f->kind == JK_APITOKEN) {
			if (!with_token || !u->api_token || !*u->api_token)
				continue;
			v = json_string(u->api_token);
		} else if (!strcmp(f->name, "ApiEnabled")) {
			v = json_boolean(u->api_token_hash != NULL);
		} else {
			v = field_value(f, u, &omit);
			if (omit)
				continue;
		}
		if (!v || json_object_set_new(obj, f->name, v) < 0)
			r = -ENOMEM;
	}
	if (r < 0)
		obj = (json_decref(obj), NULL);
	return obj;
}

json_t *json_time_or_null(int64_t unix_sec)
{
	char out[64];
	struct tm tm;
	time_t t = (time_t)unix_sec;

	if (unix_sec == 0 || !gmtime_r(&t, &tm))
		return json_null();
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(out);
}

/* Counters are uint64 on the wire; jansson integers are signed 64-bit. */
static json_t *json_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

json_t *json_from_peer_status(const struct peer_status *s)
{
	json_t *obj = json_object();
	bool have = s->stats_available;
	int r = 0;

	if (!obj)
		return NULL;
	r |= json_object_set_new(obj, "PeerIdentifier", json_string(s->peer_id));
	/* null when the peer's backend cannot ping (pfSense; MikroTik without 'test') */
	r |= json_object_set_new(obj, "IsPingable", monitor_iface_can_ping(s->iface_id)
							    ? json_boolean(s->is_pingable)
							    : json_null());
	r |= json_object_set_new(obj, "LastPing", json_time_or_null(s->last_ping));
	r |= json_object_set_new(obj, "BytesReceived",
				 have ? json_u64(s->bytes_received) : json_null());
	r |= json_object_set_new(obj, "BytesTransmitted",
				 have ? json_u64(s->bytes_transmitted) : json_null());
	r |= json_object_set_new(obj, "LastHandshake",
				 have ? json_time_or_null(s->last_handshake) : json_null());
	r |= json_object_set_new(obj, "Endpoint", json_string(s->endpoint));
	r |= json_object_set_new(obj, "LastSessionStart", json_time_or_null(s->last_session_start));
	/* our addition: tells clients that nulls above mean "backend cannot report" */
	if (!have)
		r |= json_object_set_new(obj, "StatsAvailable", json_false());
	if (r != 0)
		obj = (json_decref(obj), NULL);
	return obj;
}

/* ---- serialisation ---------------------------------------------------------------------- */

char *json_dump_compat(const json_t *v)
{
	return json_dump_go(v, true);
}

/* ---- requests --------------------------------------------------------------------------- */

/* Printable copy of a sent field name for err->field and messages. */
static void safe_name(const char *key, char out[static 64])
{
	size_t i;

	for (i = 0; key[i] && i < 63; i++)
		out[i] = ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) ? '?' : key[i];
	out[i] = '\0';
}

static int unknown_field(const char *key, struct err *err)
{
	char name[64];

	safe_name(key, name);
	return err_field(err, -EINVAL, name, "unknown field '%s'", name);
}

static int type_error(const char *field, const char *what, struct err *err)
{
	return err_field(err, -EINVAL, field, "field '%s' must be %s", field, what);
}

/* A JSON string without embedded NUL into *ret (borrowed); null gives "". */
static int get_string(const char *field, const json_t *v, const char **ret, struct err *err)
{
	if (json_is_null(v)) {
		*ret = "";
		return 0;
	}
	if (!json_is_string(v))
		return type_error(field, "a string", err);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_field(err, -EINVAL, field, "field '%s' must not contain NUL", field);
	*ret = json_string_value(v);
	return 0;
}

static int get_int(const struct jfield *f, const json_t *v, int64_t *ret, struct err *err)
{
	json_int_t i;

	if (json_is_null(v)) {
		*ret = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return type_error(f->name, "an integer", err);
	i = json_integer_value(v);
	if (i < f->lo || i > f->hi)
		return err_field(err, -EINVAL, f->name, "field '%s' must be between %lld and %lld",
				 f->name, (long long)f->lo, (long long)f->hi);
	*ret = i;
	return 0;
}

static int get_strv(const char *field, const json_t *v, struct strv *dst, struct err *err)
{
	struct strv tmp = STRV_INIT;
	size_t i;
	json_t *item;
	int r;

	if (!json_is_null(v) && !json_is_array(v))
		return type_error(field, "an array of strings", err);
	json_array_foreach(v, i, item) {
		const char *s;

		if (!json_is_string(item) && !json_is_null(item)) {
			strv_release(&tmp);
			return type_error(field, "an array of strings", err);
		}
		r = get_string(field, item, &s, err);
		if (r == 0 && strv_push(&tmp, s) < 0)
			r = err_set(err, -ENOMEM, "out of memory");
		if (r < 0) {
			strv_release(&tmp);
			return r;
		}
	}
	strv_release(dst);
	*dst = tmp;
	return 0;
}

static int set_str(char **dst, const char *s, struct err *err)
{
	if (str_set(dst, s) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Decodes the inner value of a plain field (kind without the ConfigOption wrapper). */
static int decode_plain(const struct jfield *f, enum jkind kind, const json_t *v, void *dst,
			struct err *err)
{
	const char *s;
	int64_t i;
	int r;

	switch (kind) {
	case JK_STR:
	case JK_STR_OMIT:
		if ((r = get_string(f->name, v, &s, err)) < 0)
			return r;
		return set_str((char **)dst, s, err);
	case JK_KEY:
		if ((r = get_string(f->name, v, &s, err)) < 0)
			return r;
		/* the value may be a private key: never quote it */
		if (strlen(s) > WG_KEY_B64_LEN)
			return err_field(err, -EINVAL, f->name, "field '%s' is not a valid base64 key",
					 f->name);
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	case JK_BOOL:
		if (json_is_null(v)) {
			*(bool *)dst = false;
			return 0;
		}
		if (!json_is_boolean(v))
			return type_error(f->name, "a boolean", err);
		*(bool *)dst = json_is_true(v);
		return 0;
	case JK_INT:
		if ((r = get_int(f, v, &i, err)) < 0)
			return r;
		*(int *)dst = (int)i;
		return 0;
	case JK_U32: {
		struct jfield u = *f;

		u.lo = 0;
		u.hi = UINT32_MAX;
		if ((r = get_int(&u, v, &i, err)) < 0)
			return r;
		*(uint32_t *)dst = (uint32_t)i;
		return 0;
	}
	case JK_OPT_INT:
		if ((r = get_int(f, v, &i, err)) < 0)
			return r;
		*(int64_t *)dst = i;
		return 0;
	case JK_STRV:
		return get_strv(f->name, v, (struct strv *)dst, err);
	default:
		return 0;
	}
}

/* {"Value": ..., "Overridable": ...}, names case-insensitive, null = zero value. */
static int decode_option(const struct jfield *f, const json_t *v, void *field, struct err *err)
{
	const char *key;
	json_t *item;
	void *value;
	bool *overridable;
	enum jkind inner;
	int r;

	switch (f->kind) {
	case JK_OPT_STR:
		value = &((struct opt_str *)field)->value;
		overridable = &((struct opt_str *)field)->overridable;
		inner = JK_STR;
		break;
	case JK_OPT_INT:
		value = &((struct opt_int *)field)->value;
		overridable = &((struct opt_int *)field)->overridable;
		inner = JK_OPT_INT;
		break;
	default:
		value = &((struct opt_strv *)field)->value;
		overridable = &((struct opt_strv *)field)->overridable;
		inner = JK_STRV;
		break;
	}
	if (json_is_null(v)) {
		*overridable = false;
		return decode_plain(f, inner, json_null(), value, err);
	}
	if (!json_is_object(v))
		return type_error(f->name, "an object {\"Value\", \"Overridable\"}", err);
	json_object_foreach((json_t *)v, key, item) {
		if (!strcasecmp(key, "Value")) {
			r = decode_plain(f, inner, item, value, err);
		} else if (!strcasecmp(key, "Overridable")) {
			if (json_is_null(item))
				*overridable = false;
			else if (json_is_boolean(item))
				*overridable = json_is_true(item);
			else
				return err_field(err, -EINVAL, f->name,
						 "field '%s.Overridable' must be a boolean", f->name);
			r = 0;
		} else {
			r = unknown_field(key, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

struct user_secrets {
	char *password, *api_token;
};

static int take_secret(const struct jfield *f, const json_t *v, char **dst, struct err *err)
{
	const char *s;
	char *c;
	int r = get_string(f->name, v, &s, err);

	if (r < 0)
		return r;
	c = strdup(s);
	if (!c)
		return err_set(err, -ENOMEM, "out of memory");
	if (*dst) {
		sodium_memzero(*dst, strlen(*dst));
		free(*dst);
	}
	*dst = c;
	return 0;
}

static int decode_object(const struct jfield *fields, size_t n, const json_t *obj, void *base,
			 struct user_secrets *sec, struct err *err)
{
	const char *key;
	json_t *v;
	int r;

	if (json_is_null(obj))
		return 0; /* a null body is an all-zero object */
	if (!json_is_object(obj))
		return err_set(err, -EINVAL, "request body must be a JSON object");
	/* jansson iterates in document order, so a name sent twice (in any case) keeps the last
	 * value, as Go's decoder does */
	json_object_foreach((json_t *)obj, key, v) {
		const struct jfield *f = NULL;

		for (size_t i = 0; i < n && !f; i++) {
			if (!strcasecmp(key, fields[i].name))
				f = &fields[i];
		}
		if (!f)
			return unknown_field(key, err);
		switch (f->kind) {
		case JK_RO_INT:
		case JK_RO_STRV:
		case JK_SKIP:
			r = 0;
			break;
		case JK_PASSWORD:
			r = take_secret(f, v, &sec->password, err);
			break;
		case JK_APITOKEN:
			r = take_secret(f, v, &sec->api_token, err);
			break;
		case JK_OPT_STR:
		case JK_OPT_INT:
		case JK_OPT_STRV:
			r = decode_option(f, v, (char *)base + f->off, err);
			break;
		default:
			r = decode_plain(f, f->kind, v, (char *)base + f->off, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int json_to_iface(const json_t *obj, struct iface **ret, struct err *err)
{
	struct iface *ifc = iface_new();
	int r;

	if (!ifc)
		return err_set(err, -ENOMEM, "out of memory");
	r = decode_object(iface_fields, NFIELDS(iface_fields), obj, ifc, NULL, err);
	if (r < 0) {
		iface_free(ifc);
		return r;
	}
	*ret = ifc;
	return 0;
}

int json_to_peer(const json_t *obj, struct peer **ret, struct err *err)
{
	struct peer *p = peer_new();
	int r;

	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	r = decode_object(peer_fields, NFIELDS(peer_fields), obj, p, NULL, err);
	if (r < 0) {
		peer_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

static void free_secret(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

int json_to_user(const json_t *obj, struct user **ret, char **password, char **api_token,
		 struct err *err)
{
	struct user_secrets sec = { NULL, NULL };
	struct user *u = user_new();
	int r;

	if (!u)
		return err_set(err, -ENOMEM, "out of memory");
	r = decode_object(user_fields, NFIELDS(user_fields), obj, u, &sec, err);
	if (r < 0) {
		free_secret(sec.password);
		free_secret(sec.api_token);
		user_free(u);
		return r;
	}
	if (password)
		*password = sec.password;
	else
		free_secret(sec.password);
	if (api_token)
		*api_token = sec.api_token;
	else
		free_secret(sec.api_token);
	*ret = u;
	return 0;
}
