/* SPDX-License-Identifier: MIT */
/*
 * Audit entries of the use cases (wg-portal.md 4.9: interface and peer saves; we also record
 * deletions, which wg-portal leaves out). Written only with statistics.collect_audit_data, and
 * after the change succeeded: a refused or failed write is not an event.
 */
#include <stdarg.h>
#include <stdio.h>

#include "config/config.h"
#include "core/core-int.h"
#include "store/store.h"

void core_audit(struct app *app, const char *origin, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!app->cfg->statistics.collect_audit_data)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)store_audit_add(app->store, "", "info", origin, msg, NULL);
}
