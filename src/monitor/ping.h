/* SPDX-License-Identifier: MIT */
#ifndef MONITOR_PING_H
#define MONITOR_PING_H
/*
 * The ping checker (statistics.use_ping_checks): every statistics.ping_check_interval, each
 * enabled peer's check address (CheckAliveAddress, else its first address) gets one echo
 * through its interface's backend (backend_ping). ping_check_workers threads run the checks:
 * never more in flight in total, and towards one device never more than its `concurrency`
 * less one (a slot stays free for sync). A round still running at the next tick makes that tick skipped (logged,
 * counted), never stacked. A round's results are written in one batch (store_monitor.h).
 */
#include <stdbool.h>

struct app;
struct err;

/* Starts the checker (a no-op apart from the capability cache when use_ping_checks is off).
 * Returns 0 or -errno. */
int monitor_start(struct app *app, struct err *err);
/* Stops and joins every thread; waits at most for the pings in flight (their timeout).
 * Safe to call when not started. */
void monitor_stop(void);

/* Can the backend of interface iface_id run ping checks? false only when it is known not to
 * (pfSense, MikroTik without 'test'): the API then shows IsPingable null. true when the
 * checker was never started. */
bool monitor_iface_can_ping(const char *iface_id);

#endif
