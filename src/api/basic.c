/* SPDX-License-Identifier: MIT */
/*
 * Basic authentication of API v1 (spec/wg-portal-compat.md 2.2: user identifier + API token),
 * throttled per client address (api/throttle.h): each attempt reserves a slot before the token
 * is compared, so 60 parallel guesses are not 60 checks; a token that matches gives its slot
 * back, so busy scripts with the right token are never throttled by their own success.
 */
#include <errno.h>
#include <stdlib.h>

#include "api/throttle.h"
#include "api/ui.h"
#include "auth/basic.h"
#include "auth/token.h"
#include "util/err.h"
#include "util/log.h"

bool api_basic_authenticate(struct api_ctx *c, const char *header)
{
	char *user = NULL, *pass = NULL, group[64];
	struct err err = { 0 };
	unsigned wait;
	int r;

	r = auth_basic_parse(header, &user, &pass);
	if (r < 0 || !*user || !*pass) {
		free(user);
		auth_secret_free(pass);
		http_error(c, 401, NULL, "missing credentials");
		return false;
	}
	api_client_group(c, group);
	wait = api_throttle_reserve(THROTTLE_BASIC_ADDR, group);
	if (wait) {
		free(user);
		auth_secret_free(pass);
		api_too_many(c, wait, "too many failed authentication attempts");
		return false;
	}
	r = auth_token_check(c->app->store, user, pass, &c->caller, &err);
	auth_secret_free(pass);
	if (r == -EACCES) {
		char q[LOG_QUOTE_SIZE(64)];

		log_debug("api: request %s: authentication failed for '%s' from %s", c->request_id,
			  log_quote(user, q, sizeof(q)), group);
		free(user);
		http_error(c, 401, NULL, "invalid credentials");
		return false; /* the reserved slot stays: a failure */
	}
	free(user);
	api_throttle_release(THROTTLE_BASIC_ADDR, group);
	if (r < 0) {
		http_error_err(c, &err, "authentication failed");
		return false;
	}
	return true;
}
