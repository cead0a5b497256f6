/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: request bodies into the model, the path every POST/PUT body takes. The
 * input is the body of a request: http_body_object() (the size, duplicate-key and depth limits
 * of the API), then json_to_iface / json_to_peer / json_to_user, the model validators, and the
 * serialisation back (json_from_*, json_dump_compat) that the answer would use. Invariants:
 * a body the parser accepts is an object; the answer to a refused body is a JSON error with
 * Code 4xx; everything serialises. `make fuzz` builds it, tests/fuzz/run.sh runs it.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "api/http.h"
#include "api/json_model.h"
#include "model/iface.h"
#include "model/peer.h"
#include "model/user.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error_answer(const struct _u_response *resp)
{
	json_t *j;

	if (resp->status < 400 || resp->status > 499)
		__builtin_trap();
	j = json_loadb(resp->binary_body, resp->binary_body_length, 0, NULL);
	if (!j || !json_is_object(j) || json_integer_value(json_object_get(j, "Code")) !=
						 resp->status ||
	    !json_is_string(json_object_get(j, "Message")))
		__builtin_trap();
	json_decref(j);
}

static void serialise(json_t *v)
{
	char *s;

	if (!v)
		__builtin_trap(); /* json_from_* of a parsed model: only OOM fails */
	s = json_dump_compat(v);
	if (!s)
		__builtin_trap();
	free(s);
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct _u_request req;
	struct _u_response resp;
	struct api_ctx c = { .req = &req, .resp = &resp };
	struct err e = { 0 };
	struct iface *ifc = NULL;
	struct peer *p = NULL;
	struct user *u = NULL;
	char *password = NULL, *token = NULL;
	json_t *body = NULL;

	if (ulfius_init_request(&req) != U_OK)
		return 0;
	if (ulfius_init_response(&resp) != U_OK) {
		ulfius_clean_request(&req);
		return 0;
	}
	req.binary_body = malloc(size + 1);
	if (!req.binary_body)
		goto out;
	memcpy(req.binary_body, data, size);
	req.binary_body_length = size;
	if (http_body_object(&c, &body) < 0) {
		check_error_answer(&resp);
		goto out;
	}
	if (!json_is_object(body))
		__builtin_trap();
	if (json_to_iface(body, &ifc, &e) == 0) {
		err_clear(&e);
		(void)iface_validate(ifc, &e);
		serialise(json_from_iface(ifc));
	}
	err_clear(&e);
	if (json_to_peer(body, &p, &e) == 0) {
		err_clear(&e);
		(void)peer_validate(p, &e);
		serialise(json_from_peer(p));
	}
	err_clear(&e);
	if (json_to_user(body, &u, &password, &token, &e) == 0) {
		err_clear(&e);
		(void)user_validate(u, &e);
		serialise(json_from_user(u, true));
	}
	if (strnlen(e.msg, sizeof(e.msg)) == sizeof(e.msg))
		__builtin_trap();
out:
	json_decref(body);
	iface_free(ifc);
	peer_free(p);
	user_free(u);
	free(password);
	free(token);
	ulfius_clean_request(&req);
	ulfius_clean_response(&resp);
	return 0;
}

#include "fuzz_standalone.h"
