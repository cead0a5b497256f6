/* SPDX-License-Identifier: MIT */
#ifndef METRICS_EXPORTER_H
#define METRICS_EXPORTER_H
/*
 * The Prometheus listener on statistics.listening_address (default ":8787"): plain HTTP, no
 * authentication, GET /metrics only (other paths 404), as wg-portal. Always started; when the
 * address cannot be used the reason is logged and wgportal runs on without it (wg-portal
 * does the same).
 */
struct app;

void metrics_exporter_start(struct app *app);
void metrics_exporter_stop(void);
/* The bound port (0 = not running); useful when the config asked for port 0. */
int metrics_exporter_port(void);

#endif
