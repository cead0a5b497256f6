/* SPDX-License-Identifier: MIT */
/*
 * GET /cluster (admin, our addition; docs/cluster.md): this node, the leader and every node of
 * the registry with its last heartbeat, as the coordinator last read them; with one node
 * (SQLite, MySQL) just this one. DELETE /cluster/node/{name} removes a node that no longer
 * runs from the registry (it comes back by itself if it starts again).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "cluster/cluster.h"
#include "store/store_coord.h"
#include "util/err.h"

static json_t *ms_time(int64_t ms)
{
	return ms > 0 ? json_time_or_null((time_t)(ms / 1000)) : json_null();
}

static json_t *node_json(const struct store_node *n, const struct cluster_view *v)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "Name", json_string(n->name));
	json_object_set_new(o, "Self", json_boolean(!strcmp(n->name, v->node)));
	json_object_set_new(o, "Running", json_boolean(n->connected));
	json_object_set_new(o, "Leader", json_boolean(n->leader));
	json_object_set_new(o, "LeaderSince", n->leader && n->leader_since_ms
						   ? ms_time(n->leader_since_ms) : json_null());
	json_object_set_new(o, "Version", json_string(n->version));
	json_object_set_new(o, "Address", json_string(n->address));
	json_object_set_new(o, "Pid", json_integer((json_int_t)n->pid));
	json_object_set_new(o, "StartedAt", ms_time(n->started_at_ms));
	json_object_set_new(o, "LastHeartbeat", ms_time(n->heartbeat_at_ms));
	/* by the database's clock, so nodes with skewed clocks still compare */
	json_object_set_new(o, "HeartbeatAgeMs", v->enabled ? json_integer(n->heartbeat_age_ms)
							    : json_integer(0));
	json_object_set_new(o, "StoppedAt", ms_time(n->stopped_at_ms));
	return o;
}

void api_cluster_get(struct api_ctx *c)
{
	struct cluster_view v;
	struct err err = { 0 };
	json_t *o, *nodes;

	if (cluster_view_get(&v, &err) < 0) {
		http_error_err(c, &err, "cannot read the cluster state");
		return;
	}
	o = json_object();
	nodes = json_array();
	for (size_t i = 0; o && nodes && i < v.n_nodes; i++)
		json_array_append_new(nodes, node_json(&v.nodes[i], &v));
	if (o && nodes) {
		json_object_set_new(o, "Enabled", json_boolean(v.enabled));
		json_object_set_new(o, "Engine", json_string(v.engine));
		json_object_set_new(o, "Node", json_string(v.node));
		json_object_set_new(o, "Leader", json_string(v.leader));
		json_object_set_new(o, "IsLeader", json_boolean(v.is_leader));
		json_object_set_new(o, "DatabaseOk", json_boolean(v.database_ok));
		json_object_set_new(o, "DatabaseError", json_string(v.database_error));
		json_object_set_new(o, "RegistryAgeMs", json_integer(v.refreshed_age_ms));
		json_object_set_new(o, "LastChange", json_integer(cluster_last_change_ms()));
		json_object_set_new(o, "Nodes", nodes);
		nodes = NULL;
	} else {
		o = (json_decref(o), NULL);
	}
	json_decref(nodes);
	cluster_view_release(&v);
	http_json(c, 200, o);
}

void api_cluster_forget(struct api_ctx *c)
{
	struct err err = { 0 };
	int r = cluster_forget_node(c->app, c->id, &err);

	if (r < 0) {
		http_error_err(c, &err, "cannot remove the node");
		return;
	}
	http_no_content(c);
}
