/* SPDX-License-Identifier: MIT */
/*
 * Every pfrest answer, success or error, is an envelope {code, status, response_id, message,
 * data} (spec/pfsense-rest.md 2.1); errors are told apart by response_id. Fed untrusted bytes
 * (tests/fuzz/fuzz_pfsense_reply.c); message and response_id are copied with keys masked.
 */
#include <errno.h>
#include <jansson.h>

#include "backends/pfsense/pf-int.h"
#include "model/keys.h"
#include "util/err.h"

int pf_parse_envelope(const char *body, size_t len, struct pf_envelope *ret, struct err *err)
{
	struct pf_envelope e = { 0 };
	json_t *env, *c;
	const char *s = NULL;
	json_error_t je;

	if (!body || len == 0)
		return err_set(err, -EPROTO, "malformed reply: empty body");
	env = json_loadb(body, len, 0, &je);
	if (!env || !json_is_object(env)) {
		json_decref(env);
		return err_set(err, -EPROTO, "malformed reply: not a pfSense REST API envelope");
	}
	c = json_object_get(env, "code");
	if (!c || !json_is_integer(c) || !json_object_get(env, "response_id")) {
		json_decref(env);
		return err_set(err, -EPROTO, "malformed reply: not a pfSense REST API envelope");
	}
	e.code = json_integer_value(c) > 999 || json_integer_value(c) < 0
			 ? 0 : (long)json_integer_value(c);
	if ((s = json_string_value(json_object_get(env, "response_id"))))
		key_masked_copy(e.response_id, sizeof(e.response_id), s);
	if ((s = json_string_value(json_object_get(env, "message"))))
		key_masked_copy(e.message, sizeof(e.message), s);
	json_decref(env);
	*ret = e;
	return 0;
}

