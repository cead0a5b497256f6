/* SPDX-License-Identifier: MIT */
/*
 * The webhook payload models (see payload.h). Line references are to h44z/wg-portal at c800e7d,
 * internal/app/webhooks/. Our model keeps "disabled"/"locked" as flags without a time; the
 * payload's Disabled/Locked time is then the record's last update, the moment it changed at the
 * latest. CreatedBy/UpdatedBy are not recorded by wgportal and are "".
 */
#include "webhook/payload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/json_go.h"

/* Go's time.Time MarshalJSON (RFC 3339, here always UTC): 0 is Go's zero time. */
static json_t *go_time(int64_t unix_sec)
{
	char out[64];
	struct tm tm;
	time_t t = (time_t)unix_sec;

	if (unix_sec == 0 || !gmtime_r(&t, &tm))
		return json_string("0001-01-01T00:00:00Z");
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(out);
}

static void set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_string(STR(v)));
}

/* `json:",omitempty"` strings */
static void set_str_omit(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

static void set_int_omit(json_t *o, const char *key, long long v)
{
	if (v)
		json_object_set_new(o, key, json_integer(v));
}

static void set_joined(json_t *o, const char *key, const struct strv *sv, bool omit)
{
	char *s = strv_join(sv, ",");   /* internal.SliceToString: strings.Join(s, ",") */

	if (s && (!omit || *s))
		json_object_set_new(o, key, json_string(s));
	free(s);
}

static json_t *str_array(const struct strv *sv)
{
	json_t *a = json_array();   /* CidrsToStringSlice makes a non-nil slice: [] not null */

	for (size_t i = 0; a && i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static void set_common(json_t *o, time_t created, time_t updated)
{
	set_str(o, "CreatedBy", "");
	set_str(o, "UpdatedBy", "");
	json_object_set_new(o, "CreatedAt", go_time(created));
	json_object_set_new(o, "UpdatedAt", go_time(updated));
}

json_t *webhook_user_json(const struct user *u)
{
	json_t *o = json_object(), *src = json_array();

	if (!o || !src) {
		json_decref(o);
		json_decref(src);
		return NULL;
	}
	set_common(o, u->created_at, u->updated_at);                     /* user.go:11-14 */
	set_str(o, "Identifier", u->identifier);
	set_str(o, "Email", u->email);
	for (size_t i = 0; i < u->auth_sources.n; i++) {                  /* user.go:43-48 */
		json_t *s = json_object();
		if (!s)
			continue;
		set_str(s, "Source", u->auth_sources.v[i]);
		set_str(s, "ProviderName", "");
		json_array_append_new(src, s);
	}
	json_object_set_new(o, "AuthSources", src);
	json_object_set_new(o, "IsAdmin", json_boolean(u->is_admin));
	set_str_omit(o, "Firstname", u->firstname);                       /* user.go:22-26 */
	set_str_omit(o, "Lastname", u->lastname);
	set_str_omit(o, "Phone", u->phone);
	set_str_omit(o, "Department", u->department);
	set_str_omit(o, "Notes", u->notes);
	if (u->disabled)                                                  /* user.go:28-31 */
		json_object_set_new(o, "Disabled", go_time(u->updated_at));
	set_str_omit(o, "DisabledReason", u->disabled_reason);
	if (u->locked)
		json_object_set_new(o, "Locked", go_time(u->updated_at));
	set_str_omit(o, "LockedReason", u->locked_reason);
	return o;
}

/* A peer's ExpiresAt is a date here ("YYYY-MM-DD"): midnight UTC of that day. */
static void set_expiry(json_t *o, const char *date)
{
	char buf[40];

	if (!date || strlen(date) != 10)
		return;
	memcpy(buf, date, 10);
	memcpy(buf + 10, "T00:00:00Z", 11);
	json_object_set_new(o, "ExpiresAt", json_string(buf));
}

json_t *webhook_peer_json(const struct peer *p)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set_common(o, p->created_at, p->updated_at);                     /* peer.go:11-14 */
	set_str(o, "Endpoint", p->endpoint.value);                       /* peer.go:59 */
	set_str(o, "EndpointPublicKey", p->endpoint_public_key.value);
	set_joined(o, "AllowedIPsStr", &p->allowed_ips.value, false);
	set_joined(o, "ExtraAllowedIPsStr", &p->extra_allowed_ips, false);
	set_str(o, "PresharedKey", p->preshared_key);
	json_object_set_new(o, "PersistentKeepalive", json_integer(p->persistent_keepalive.value));
	set_str(o, "DisplayName", p->display_name);
	set_str(o, "Identifier", p->identifier);
	set_str(o, "UserIdentifier", p->user_identifier);
	set_str(o, "InterfaceIdentifier", p->interface_identifier);
	if (p->disabled)                                                  /* peer.go:27 */
		json_object_set_new(o, "Disabled", go_time(p->updated_at));
	set_str_omit(o, "DisabledReason", p->disabled_reason);
	set_expiry(o, p->expires_at);
	set_str_omit(o, "Notes", p->notes);
	json_object_set_new(o, "AutomaticallyCreated", json_boolean(p->automatic));
	set_str(o, "PrivateKey", p->private_key);                         /* peer.go:74-75 */
	set_str(o, "PublicKey", p->public_key);
	set_str(o, "InterfaceType", p->mode);                             /* peer.go:76 */
	json_object_set_new(o, "Addresses", str_array(&p->addresses));
	set_str(o, "CheckAliveAddress", p->check_alive_address);
	set_joined(o, "DnsStr", &p->dns.value, false);
	set_joined(o, "DnsSearchStr", &p->dns_search.value, false);
	json_object_set_new(o, "Mtu", json_integer(p->mtu.value));
	set_int_omit(o, "FirewallMark", p->firewall_mark.value);          /* peer.go:43-49 */
	set_str_omit(o, "RoutingTable", p->routing_table.value);
	set_str_omit(o, "PreUp", p->pre_up.value);
	set_str_omit(o, "PostUp", p->post_up.value);
	set_str_omit(o, "PreDown", p->pre_down.value);
	set_str_omit(o, "PostDown", p->post_down.value);
	return o;
}

json_t *webhook_iface_json(const struct iface *ifc)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set_common(o, ifc->created_at, ifc->updated_at);                 /* interface.go:11-14 */
	set_str(o, "Identifier", ifc->identifier);
	set_str(o, "PrivateKey", ifc->private_key);
	set_str(o, "PublicKey", ifc->public_key);
	json_object_set_new(o, "ListenPort", json_integer(ifc->listen_port));
	json_object_set_new(o, "Addresses", str_array(&ifc->addresses));
	set_joined(o, "DnsStr", &ifc->dns, false);
	set_joined(o, "DnsSearchStr", &ifc->dns_search, false);
	json_object_set_new(o, "Mtu", json_integer(ifc->mtu));
	json_object_set_new(o, "FirewallMark", json_integer(ifc->firewall_mark));
	set_str(o, "RoutingTable", ifc->routing_table);
	set_str(o, "PreUp", ifc->pre_up);
	set_str(o, "PostUp", ifc->post_up);
	set_str(o, "PreDown", ifc->pre_down);
	set_str(o, "PostDown", ifc->post_down);
	json_object_set_new(o, "SaveConfig", json_boolean(ifc->save_config));
	/* interface.go:80: DisplayName carries the identifier, not the display name */
	set_str(o, "DisplayName", ifc->identifier);
	set_str(o, "Type", ifc->mode);
	/* "" for interfaces made through the API/UI: wireguard_interfaces.go:391 */
	set_str(o, "DriverType", "");
	if (ifc->disabled)
		json_object_set_new(o, "Disabled", go_time(ifc->updated_at));
	set_str_omit(o, "DisabledReason", ifc->disabled_reason);
	set_joined(o, "PeerDefNetworkStr", &ifc->peer_def_network, true); /* interface.go:42-55 */
	set_joined(o, "PeerDefDnsStr", &ifc->peer_def_dns, true);
	set_joined(o, "PeerDefDnsSearchStr", &ifc->peer_def_dns_search, true);
	set_str_omit(o, "PeerDefEndpoint", ifc->peer_def_endpoint);
	set_joined(o, "PeerDefAllowedIPsStr", &ifc->peer_def_allowed_ips, true);
	set_int_omit(o, "PeerDefMtu", ifc->peer_def_mtu);
	set_int_omit(o, "PeerDefPersistentKeepalive", ifc->peer_def_persistent_keepalive);
	set_int_omit(o, "PeerDefFirewallMark", ifc->peer_def_firewall_mark);
	set_str_omit(o, "PeerDefRoutingTable", ifc->peer_def_routing_table);
	set_str_omit(o, "PeerDefPreUp", ifc->peer_def_pre_up);
	set_str_omit(o, "PeerDefPostUp", ifc->peer_def_post_up);
	set_str_omit(o, "PeerDefPreDown", ifc->peer_def_pre_down);
	set_str_omit(o, "PeerDefPostDown", ifc->peer_def_post_down);
	return o;
}

json_t *webhook_peer_metric_json(const struct peer_status *s, const struct peer *p)
{
	json_t *o = json_object(), *st = json_object(), *peer = webhook_peer_json(p);

	if (!o || !st || !peer) {
		json_decref(o);
		json_decref(st);
		json_decref(peer);
		return NULL;
	}
	json_object_set_new(st, "UpdatedAt", go_time(s->updated_at));   /* peer_metrics.go:18-31 */
	json_object_set_new(st, "IsConnected", json_boolean(s->is_connected));
	json_object_set_new(st, "IsPingable", json_boolean(s->is_pingable));
	if (s->last_ping)
		json_object_set_new(st, "LastPing", go_time(s->last_ping));
	json_object_set_new(st, "BytesReceived", json_integer((json_int_t)s->bytes_received));
	json_object_set_new(st, "BytesTransmitted",
			    json_integer((json_int_t)s->bytes_transmitted));
	set_str(st, "Endpoint", s->endpoint);
	if (s->last_handshake)
		json_object_set_new(st, "LastHandshake", go_time(s->last_handshake));
	if (s->last_session_start)
		json_object_set_new(st, "LastSessionStart", go_time(s->last_session_start));
	json_object_set_new(o, "Status", st);
	json_object_set_new(o, "Peer", peer);
	return o;
}

char *webhook_body(const char *event, const char *entity, const char *identifier,
		   json_t *payload)
{
	json_t *o = json_object();   /* model.go:10-22 */
	char *s;

	if (!o || !payload) {
		json_decref(o);
		json_decref(payload);
		return NULL;
	}
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "entity", json_string(entity));
	json_object_set_new(o, "identifier", json_string(STR(identifier)));
	json_object_set_new(o, "payload", payload);
	s = json_dump_go(o, false);
	json_decref(o);
	return s;
}
