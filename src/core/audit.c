/* SPDX-License-Identifier: MIT */
/*
 * The audit log writer (wg-portal.md 4.9: logins, interface and peer saves; we also record
 * deletions and every user change, which wg-portal leaves out). Written only with
 * statistics.collect_audit_data, and after the change succeeded: a refused or failed write is
 * not an event.
 *
 * Who acted: the API router names the authenticated caller for the duration of a request
 * (core_set_actor); work that no request started (the expiry sweep, default peers, the config
 * file writer, import, healing) runs on threads without an actor and is recorded as "system",
 * like wg-portal's system-admin context (domain.SystemAdminContextUserInfo).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "store/store.h"

static __thread char actor[256];

void core_set_actor(const char *user)
{
	snprintf(actor, sizeof(actor), "%s", user ? user : "");
}

const char *core_actor(void)
{
	return actor[0] ? actor : CORE_ACTOR_SYSTEM;
}

static void write_entry(struct app *app, const char *user, const char *severity,
			const char *origin, const char *fmt, va_list ap)
{
	char msg[512];

	if (!app->cfg->statistics.collect_audit_data)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	(void)store_audit_add(app->store, user, severity, origin, msg, NULL);
}

void core_audit_entry(struct app *app, const char *user, const char *severity, const char *origin,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_entry(app, user && *user ? user : core_actor(), severity, origin, fmt, ap);
	va_end(ap);
}

void core_audit(struct app *app, const char *origin, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_entry(app, core_actor(), "info", origin, fmt, ap);
	va_end(ap);
}

void core_peer_label(const struct peer *p, char out[static CORE_LABEL_MAX])
{
	const char *name = STR(p->display_name);

	/* the name people know the peer by, and the start of its key to tell twins apart */
	if (*name)
		snprintf(out, CORE_LABEL_MAX, "'%.64s' (%.8s…)", name, p->identifier);
	else
		snprintf(out, CORE_LABEL_MAX, "%.8s…", p->identifier);
}

void core_iface_label(const struct iface *ifc, char out[static CORE_LABEL_MAX])
{
	const char *id = STR(ifc->identifier), *name = STR(ifc->display_name);

	if (*name && strcmp(name, id))
		snprintf(out, CORE_LABEL_MAX, "%.32s ('%.64s')", id, name);
	else
		snprintf(out, CORE_LABEL_MAX, "%.32s", id);
}
