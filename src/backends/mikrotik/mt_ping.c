/* SPDX-License-Identifier: MIT */
/*
 * POST /tool/ping {"address":A,"count":1,"interval":"00:00:02"} as wg-portal sends it
 * (spec/routeros-rest.md 6, PingAddresses): the reply is one object per probe with cumulative
 * string counters; the target answered when sent > 0, received > 0 and an avg-rtt was given.
 * A bounded count matters: without it RouterOS pings until its 60 s command limit.
 */
#include "backends/mikrotik/mt_ping.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/http/http.h"
#include "backends/mikrotik/mt-int.h"
#include "config/config.h"
#include "util/err.h"

static long str_long(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strtol(s, NULL, 10) : 0;
}

/* 1 answered, 0 not, -EPROTO for a reply of another shape. */
static int parse_reply(const char *body, size_t len, struct err *err)
{
	json_error_t je;
	json_t *arr = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je), *row;
	long sent = 0, received = 0;
	bool rtt = false;
	size_t i;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return err_set(err, -EPROTO, "RouterOS ping: reply is not a JSON array");
	}
	json_array_foreach(arr, i, row) {
		if (!json_is_object(row))
			continue;
		/* counters are cumulative: the last probe's values are the totals */
		sent = str_long(row, "sent");
		received = str_long(row, "received");
		rtt |= json_string_value(json_object_get(row, "avg-rtt")) != NULL;
	}
	json_decref(arr);
	return sent > 0 && received > 0 && rtt;
}

int mt_ping(struct backend *be, const char *name, const char *addr,
	    const struct backend_ping_opts *o, struct err *err)
{
	struct http_client *http = mt_http(be);
	const char *user = be->cfg && be->cfg->api_user ? be->cfg->api_user : "";
	unsigned char bin[16];
	char body[160], detail[200];
	struct http_reply rep = { 0 };
	int r;

	(void)name;
	(void)o; /* the 2 s wait is in the request; the HTTP client bounds the call */
	if (!http)
		return err_set(err, -EHOSTUNREACH, "RouterOS backend '%s' is not connected", be->id);
	/* validated as an IP, so it needs no JSON escaping */
	if (!addr || (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1))
		return err_set(err, -EINVAL, "'%.64s' is not an IP address", addr ? addr : "");
	snprintf(body, sizeof(body), "{\"address\":\"%s\",\"count\":1,\"interval\":\"00:00:02\"}",
		 addr);
	r = http_request(http, "POST", "/tool/ping", body, &rep, err);
	if (r < 0)
		return err_prefix(err, "RouterOS, ping of %s", addr);
	if (rep.status < 200 || rep.status > 299) {
		mt_parse_error(rep.body, rep.len, detail, sizeof(detail));
		if (rep.status == 500 && (strstr(detail, "not enough permissions") ||
					  strstr(detail, "not allowed")))
			r = err_set(err, -EACCES, "RouterOS user '%.60s' lacks the 'test' policy: "
				    "ping checks of peers cannot run", user);
		else if (rep.status == 401)
			r = err_set(err, -EPERM, "RouterOS rejected the login of user '%.60s' "
				    "while pinging", user);
		else
			r = err_set(err, -EPROTO, "RouterOS answered HTTP %ld to a ping of %s%s%s",
				    rep.status, addr, *detail ? ": " : "", detail);
		http_reply_release(&rep);
		return r;
	}
	r = parse_reply(rep.body, rep.len, err);
	http_reply_release(&rep);
	return r;
}
