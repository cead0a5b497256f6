/* SPDX-License-Identifier: MIT */
/* Authorisation rules shared by several resources (spec 2.2): api_admin_only and ownership. */
#include <string.h>

#include "api/handlers.h"
#include "api/ui.h"
#include "config/config.h"

/*
 * advanced.api_admin_only has two effects (spec/wg-portal-compat.md 2.2): (1) only admins manage
 * their own API token; (2) the three "self" reads (/peer/by-user, /peer/by-id, /user/by-id) are
 * refused to non-admins over the scripting API. wg-portal's own UI is not limited by (2): it
 * shows every user their own peers through its internal API whatever the flag says. Our UI uses
 * API v1 with a session cookie, so a session is exempt from (2) here (ownership still applies,
 * api_check_owner), while the token endpoint checks (1) itself without this exemption
 * (tokens.c), so a non-admin session still cannot create a token.
 */
bool api_check_admin_only(struct api_ctx *c)
{
	if (api_is_admin(c) || !c->app->cfg->advanced.api_admin_only || api_auth_is_session())
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
