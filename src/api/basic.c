/* SPDX-License-Identifier: MIT */
/*
 * Basic authentication of API v1 (spec/wg-portal-compat.md 2.2: user identifier + API token),
 * throttled per client address (api/throttle.h). Check, token comparison and failure count run
 * under one lock, so 60 parallel guesses are checked one after the other and the limit holds
 * exactly; a right token counts nothing, so a busy script is never throttled by its own
 * success. The comparison is a BLAKE2b hash and one indexed read that takes the store's lock
 * anyway: serialising it costs nothing measurable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "api/throttle.h"
#include "api/ui.h"
#include "auth/basic.h"
#include "auth/token.h"
#include "util/err.h"
#include "util/log.h"

static pthread_mutex_t basic_lock = PTHREAD_MUTEX_INITIALIZER;

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
	pthread_mutex_lock(&basic_lock);
	wait = api_throttle_check(THROTTLE_BASIC_ADDR, group);
	if (!wait) {
		r = auth_token_check(c->app->store, user, pass, &c->caller, &err);
		if (r == -EACCES)
			api_throttle_fail(THROTTLE_BASIC_ADDR, group);
	}
	pthread_mutex_unlock(&basic_lock);
	auth_secret_free(pass);
	if (wait) {
		free(user);
		api_too_many(c, wait, "too many failed authentication attempts");
		return false;
	}
	if (r == -EACCES) {
		char q[LOG_QUOTE_SIZE(64)];

		log_debug("api: request %s: authentication failed for '%s' from %s", c->request_id,
			  log_quote(user, q, sizeof(q)), group);
		free(user);
		http_error(c, 401, NULL, "invalid credentials");
		return false;
	}
	free(user);
	if (r < 0) {
		http_error_err(c, &err, "authentication failed");
		return false;
	}
	return true;
}
