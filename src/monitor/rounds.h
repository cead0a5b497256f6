/* SPDX-License-Identifier: MIT */
#ifndef MONITOR_ROUNDS_H
#define MONITOR_ROUNDS_H
/*
 * The outcome of the last statistics and ping round (and the last full sync) per backend, for GET /backend/all and the
 * exporter. Writers are the statistics collector (sync/workers.c) and the ping checker; all
 * calls are thread-safe. Also the lock that keeps the two writers of peer_statuses from
 * overwriting each other's fields (each does read-modify-write of the same rows).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum monitor_round_kind {
	MONITOR_ROUND_STATS,
	MONITOR_ROUND_PING,
	MONITOR_ROUND_SYNC,         /* a full reconcile of one interface (start-up, healing, edits) */
	MONITOR_ROUND_MAX
};

struct monitor_round {
	int64_t last_at;            /* unix seconds the last round started, 0 = never */
	double duration_ms;         /* of the last round (this backend's part of it) */
	unsigned long rounds;       /* completed rounds since start */
	unsigned long skipped;      /* rounds skipped because the previous one still ran */
	unsigned errors;            /* failed calls in the last round */
	unsigned checked, answered; /* ping: targets checked / answered in the last round */
	char last_error[256];       /* first error of the last round, "" = none */
};

const char *monitor_round_name(enum monitor_round_kind k); /* "statistics", "ping", "sync" */

/* Records a finished round of backend_id (copies r; rounds is counted here). */
void monitor_round_put(enum monitor_round_kind k, const char *backend_id,
		       const struct monitor_round *r);
void monitor_round_skip(enum monitor_round_kind k, const char *backend_id);
/* false when backend_id never had a round of that kind. */
bool monitor_round_get(enum monitor_round_kind k, const char *backend_id,
		       struct monitor_round *ret);

/* A round in progress, accumulated per backend (statistics sweep over interfaces). */
#define MONITOR_ACC_MAX 64
struct monitor_round_acc {
	enum monitor_round_kind kind;
	int64_t started;
	size_t n;
	struct {
		char id[64];
		struct monitor_round r;
	} be[MONITOR_ACC_MAX];
};
void monitor_acc_begin(struct monitor_round_acc *a, enum monitor_round_kind k);
/* ms spent on backend_id; err_msg non-NULL counts one error (first one kept). */
void monitor_acc_add(struct monitor_round_acc *a, const char *backend_id, double ms,
		     const char *err_msg);
void monitor_acc_end(struct monitor_round_acc *a);

void monitor_status_lock(void);
void monitor_status_unlock(void);

#endif
