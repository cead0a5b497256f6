/* SPDX-License-Identifier: MIT */
/*
 * Change notifications between nodes on one PostgreSQL database (docs/cluster.md). Once a node
 * has enabled them, every write of an interface or a peer also sends NOTIFY on the channel
 * STORE_CHANGE_CHANNEL, from inside the writing transaction: PostgreSQL delivers it when (and
 * only if) the transaction commits, and drops it with a rolled-back savepoint, so a listener
 * never hears of a change that did not happen and never misses one that did, whichever code
 * path made it. Other engines have one node and send nothing.
 *
 * Payload: "1" TAB origin TAB kind TAB unix-ms TAB four fields, none of which can hold a TAB
 * (identifiers, backend ids and node names are validated):
 *   kind 'i': interface, backend, node, "1" when deleted else "0" (the last three read from
 *             the row, so a listener can tell who serves it even after it is gone);
 *   kind 'p': interface, interface before the change ("" if the same or new), peer, peer id
 *             before a re-key ("" if none); interface "" when the peer was deleted.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

static const char sql_peer_iface[] = "SELECT iface_id FROM peers WHERE identifier = ?";
static const char sql_iface_row[] = "SELECT backend, node FROM interfaces WHERE identifier = ?";
static const char sql_notify[] = "SELECT pg_notify('" STORE_CHANGE_CHANNEL "', ?)";

int store_changes_enable(struct store *st, const char *origin)
{
	if (!origin || !*origin || strlen(origin) >= sizeof(st->change_origin) ||
	    strchr(origin, '\t'))
		return -EINVAL;
	store_lock(st);
	snprintf(st->change_origin, sizeof(st->change_origin), "%s", origin);
	st->changes_on = db_engine_of(st->db) == DB_POSTGRES;
	store_unlock(st);
	return 0;
}

static bool clean(const char *s)
{
	return !strchr(s, '\t') && !strchr(s, '\n');
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends one payload (st locked, inside the caller's transaction or on its own). */
static int notify(struct store *st, const char kind, const char *f1, const char *f2,
		  const char *f3, const char *f4, struct err *err)
{
	struct db_stmt *s;
	char *payload = NULL;
	int r;

	if (!clean(f1) || !clean(f2) || !clean(f3) || !clean(f4))
		return 0; /* cannot be stored either: validation refuses these */
	if (asprintf(&payload, "1\t%s\t%c\t%lld\t%s\t%s\t%s\t%s", st->change_origin, kind,
		     (long long)now_ms(), f1, f2, f3, f4) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	r = store_stmt(st, STMT_CHANGE_NOTIFY, sql_notify, &s, err);
	if (r < 0) {
		free(payload);
		return r;
	}
	r = db_bind_text_take(s, 1, payload);
	if (r < 0) {
		store_stmt_done(s);
		return err_set(err, r, "out of memory");
	}
	return store_step_done(st, s, "notify other nodes", err);
}

int store_change_peer_iface(struct store *st, const char *peer_id, char out[static 256],
			    struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	out[0] = '\0';
	if (!st->changes_on)
		return 0;
	r = store_stmt(st, STMT_CHANGE_PEER_IFACE, sql_peer_iface, &s, err);
	if (r < 0)
		return r;
	db_bind_text(s, 1, peer_id);
	rc = db_step(s, err);
	if (rc == DB_ROW)
		snprintf(out, 256, "%s", db_column_text(s, 0) ? db_column_text(s, 0) : "");
	store_stmt_done(s);
	return rc < 0 ? store_db_err(rc, "notify other nodes", err) : 0;
}

int store_change_peer(struct store *st, const char *iface, const char *old_iface,
		      const char *peer_id, const char *old_id, struct err *err)
{
	if (!st->changes_on)
		return 0;
	if (old_iface && iface && !strcmp(old_iface, iface))
		old_iface = NULL;
	if (old_id && !strcmp(old_id, peer_id))
		old_id = NULL;
	return notify(st, 'p', iface ? iface : "", old_iface ? old_iface : "", peer_id,
		      old_id ? old_id : "", err);
}

int store_change_iface(struct store *st, const char *iface_id, bool deleted, struct err *err)
{
	struct db_stmt *s;
	char backend[128] = "", node[128] = "";
	int r, rc;

	if (!st->changes_on)
		return 0;
	r = store_stmt(st, STMT_CHANGE_IFACE_ROW, sql_iface_row, &s, err);
	if (r < 0)
		return r;
	db_bind_text(s, 1, iface_id);
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		snprintf(backend, sizeof(backend), "%s",
			 db_column_text(s, 0) ? db_column_text(s, 0) : "");
		snprintf(node, sizeof(node), "%s", db_column_text(s, 1) ? db_column_text(s, 1) : "");
	}
	store_stmt_done(s);
	if (rc < 0)
		return store_db_err(rc, "notify other nodes", err);
	return notify(st, 'i', iface_id, backend, node, deleted ? "1" : "0", err);
}

/* Splits at TABs into at most n fields (in place). Returns the number found. */
static size_t split(char *s, char **f, size_t n)
{
	size_t k = 0;

	while (k < n) {
		f[k++] = s;
		s = strchr(s, '\t');
		if (!s)
			break;
		*s++ = '\0';
	}
	return k;
}

int store_change_parse(const char *payload, struct store_change *ret)
{
	char buf[1024], *f[8];

	memset(ret, 0, sizeof(*ret));
	if (!payload || strlen(payload) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", payload);
	if (split(buf, f, 8) != 8 || strcmp(f[0], "1") || strlen(f[2]) != 1 ||
	    (f[2][0] != 'i' && f[2][0] != 'p'))
		return -EINVAL;
	snprintf(ret->origin, sizeof(ret->origin), "%s", f[1]);
	ret->kind = f[2][0];
	ret->at_ms = strtoll(f[3], NULL, 10);
	snprintf(ret->iface, sizeof(ret->iface), "%s", f[4]);
	if (ret->kind == 'i') {
		snprintf(ret->backend, sizeof(ret->backend), "%s", f[5]);
		snprintf(ret->node, sizeof(ret->node), "%s", f[6]);
		ret->deleted = !strcmp(f[7], "1");
	} else {
		snprintf(ret->old_iface, sizeof(ret->old_iface), "%s", f[5]);
		snprintf(ret->peer, sizeof(ret->peer), "%s", f[6]);
		snprintf(ret->old_peer, sizeof(ret->old_peer), "%s", f[7]);
	}
	return 0;
}
