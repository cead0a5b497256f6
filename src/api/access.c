/* SPDX-License-Identifier: MIT */
/* Authorisation rules shared by several resources (spec 2.2): api_admin_only and ownership. */
#include <string.h>

#include "api/handlers.h"
#include "config/config.h"

bool api_check_admin_only(struct api_ctx *c)
{
	if (api_is_admin(c) || !c->app->cfg->advanced.api_admin_only)
		return true;
	/* wg-portal joins the two error parts with a literal newline. */
	http_error(c, 403, NULL, "only admins can access this endpoint\nno permission");
	return false;
}

bool api_check_owner(struct api_ctx *c, const char *owner)
{
	if (api_is_admin(c))
		return true;
	if (owner && *owner && strcmp(owner, api_caller_id(c)) == 0)
		return true;
	http_error(c, 403, NULL, "no permission");
	return false;
}
