/* SPDX-License-Identifier: MIT */
/* GET /backend/all (our addition): the configured backends, their capabilities and health. */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "backends/backend.h"
#include "cluster/cluster.h"
#include "monitor/rounds.h"

static const struct {
	unsigned cap;
	const char *name;
} cap_names[] = {
	{ BACKEND_CAP_CREATE_IFACE, "create_interface" },
	{ BACKEND_CAP_STATS_PEER, "peer_statistics" },
	{ BACKEND_CAP_STATS_IFACE, "interface_statistics" },
	{ BACKEND_CAP_HOOKS, "hooks" },
	{ BACKEND_CAP_PSK, "preshared_keys" },
	{ BACKEND_CAP_ROUTES, "routes" },
	{ BACKEND_CAP_MTU, "mtu" },
	{ BACKEND_CAP_FWMARK, "fwmark" },
	{ BACKEND_CAP_ADDRESSES, "addresses" },
	{ BACKEND_CAP_DISABLED_PEERS, "disabled_peers" },
	{ BACKEND_CAP_PSK_WRITE_ONLY, "preshared_keys_write_only" },
	{ BACKEND_CAP_PRIVKEY_HIDDEN, "private_key_hidden" },
	{ BACKEND_CAP_READONLY, "read_only" },
	{ BACKEND_CAP_PING, "ping" },
};

/* The registry updates reachable/last_error while device calls run (under be->lock, which can
 * be held for seconds); we read a snapshot without waiting, so a torn string is possible and
 * falls back to "". */
static json_t *str_json(const char *s, size_t max)
{
	char buf[512];
	size_t n = strnlen(s, max < sizeof(buf) ? max : sizeof(buf) - 1);
	json_t *j;

	memcpy(buf, s, n);
	buf[n] = '\0';
	j = json_string(buf);
	return j ? j : json_string("");
}

/* The last statistics or ping round on this backend (monitor/rounds.h), null before the first. */
static json_t *round_json(const struct backend *be, enum monitor_round_kind k)
{
	struct monitor_round mr;
	json_t *o;

	if (!monitor_round_get(k, be->id, &mr) || !(o = json_object()))
		return json_null();
	json_object_set_new(o, "LastRoundAt", mr.last_at ? json_integer(mr.last_at) : json_null());
	json_object_set_new(o, "DurationMs", json_real(mr.duration_ms));
	json_object_set_new(o, "Rounds", json_integer((json_int_t)mr.rounds));
	json_object_set_new(o, "Skipped", json_integer((json_int_t)mr.skipped));
	json_object_set_new(o, "Errors", json_integer(mr.errors));
	json_object_set_new(o, "LastError", json_string(mr.last_error));
	if (k == MONITOR_ROUND_PING) {
		json_object_set_new(o, "Checked", json_integer(mr.checked));
		json_object_set_new(o, "Answered", json_integer(mr.answered));
	}
	return o;
}

json_t *api_backend_caps_json(unsigned caps)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (caps & cap_names[i].cap)
			json_array_append_new(arr, json_string(cap_names[i].name));
	return arr;
}

static json_t *backend_json(const struct backend *be)
{
	json_t *o = json_object(), *caps = api_backend_caps_json(be->caps);
	char by[64];

	if (!o || !caps) {
		json_decref(o);
		json_decref(caps);
		return NULL;
	}
	json_object_set_new(o, "Identifier", str_json(be->id, sizeof(be->id)));
	json_object_set_new(o, "DisplayName", str_json(be->display_name, sizeof(be->display_name)));
	json_object_set_new(o, "Type", json_string(be->ops && be->ops->type ? be->ops->type : ""));
	json_object_set_new(o, "Implementation", str_json(be->implementation, sizeof(be->implementation)));
	json_object_set_new(o, "Capabilities", caps);
	json_object_set_new(o, "Reachable", json_boolean(be->reachable));
	json_object_set_new(o, "Default", json_boolean(be->is_default));
	json_object_set_new(o, "LastError", str_json(be->last_error, sizeof(be->last_error)));
	/* why ping checks are off on this backend (e.g. RouterOS user without 'test'), or "" */
	json_object_set_new(o, "PingError", str_json(be->ping_error, sizeof(be->ping_error)));
	json_object_set_new(o, "Statistics", round_json(be, MONITOR_ROUND_STATS));
	json_object_set_new(o, "PingChecks", round_json(be, MONITOR_ROUND_PING));
	json_object_set_new(o, "Sync", round_json(be, MONITOR_ROUND_SYNC)); /* last full sync */
	/* more than one node (docs/cluster.md): who talks to this backend beyond health probes
	 * (local: every node to its own host; remote: the leader), and whether this node does */
	if (!strcmp(be->ops->type, "local"))
		snprintf(by, sizeof(by), "%s", cluster_node_name());
	else
		cluster_served_by(be, NULL, by);
	json_object_set_new(o, "ServedBy", json_string(by));
	json_object_set_new(o, "ServedHere", json_boolean(cluster_serves_backend(be)));
	return o;
}

void api_backend_all(struct api_ctx *c)
{
	json_t *arr = json_array();
	size_t n = backend_count();

	for (size_t i = 0; arr && i < n; i++) {
		struct backend *be = backend_at(i);
		if (be && json_array_append_new(arr, backend_json(be)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	http_json(c, 200, arr);
}
