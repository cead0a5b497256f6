/* SPDX-License-Identifier: MIT */
#ifndef METRICS_RENDER_H
#define METRICS_RENDER_H
/*
 * The /metrics page in the Prometheus text format 0.0.4: wg-portal's six WireGuard gauges with
 * its names, labels and HELP texts (spec/wg-portal-compat.md 5), the two promhttp handler
 * counters its client library adds, then wgportal_* process, backend and round metrics. Peer
 * rows come from one store query; each family's samples are grouped under its HELP/TYPE.
 */
#include <stdint.h>

struct buf;
struct err;
struct store;

/* Appends v escaped as a label value: backslash, double quote and newline. 0 or -E2BIG. */
int metrics_label_escape(struct buf *b, const char *v);

/* The value of wgportal_process_start_time_seconds (set once at start). */
void metrics_set_start_time(int64_t unix_s);
/* The value of wgportal_metrics_render_seconds: the previous scrape's render time. */
void metrics_set_last_render_ms(double ms);

/* Renders the whole page into out (initialised by the caller with its maximum). st NULL:
 * only the process/backend part (tests). 0 or -errno. */
int metrics_render(struct store *st, struct buf *out, struct err *err);
/* Frees the buffers metrics_render keeps between scrapes (at shutdown). */
void metrics_render_release(void);

#endif
