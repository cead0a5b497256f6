/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd directly (no router needed for one path): one internal polling thread, a small
 * connection limit and timeout, since scrapes are short and rare. The exporter needs no login
 * and listens on every address by default, so the connection guard (httpd/guard.h) limits
 * connections per address and gives each request head a deadline: slow or many connections
 * from one address cannot stop the scrapes. Each scrape renders the page into one buffer that
 * MHD frees with the response.
 */
#include "metrics/exporter.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "config/config.h"
#include "core/app.h"
#include "httpd/guard.h"
#include "metrics/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define METRICS_PAGE_MAX (256u * 1024 * 1024)
/* A scraper uses one connection at a time; 8 per address leaves room for a few scrapers
 * behind one address while 5 addresses of an attacker hold at most 40 of the 64 slots. */
#define METRICS_CONN_LIMIT 64
#define METRICS_CONN_PER_ADDR 8
#define METRICS_TIMEOUT_S 10

static struct {
	struct MHD_Daemon *d;
	struct httpd_guard *guard;
	struct app *app;
	int port;
} ex;

/* ":8787", "host:8787", "[v6]:8787"; an empty host listens on every address (dual stack). */
static int parse_addr(const char *s, struct sockaddr_storage *ss, bool *all)
{
	const char *colon = strrchr(s, ':');
	char host[256], *end;
	long port;
	size_t hl;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;

	if (!colon)
		return -1;
	port = strtol(colon + 1, &end, 10);
	hl = (size_t)(colon - s);
	if (!colon[1] || *end || port < 0 || port > 65535 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(ss, 0, sizeof(*ss));
	*all = !*host;
	if (*all) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static enum MHD_Result reply_close(struct MHD_Connection *conn, unsigned status, char *body,
				   size_t len, const char *type, bool close)
{
	struct MHD_Response *rsp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result r;

	if (!rsp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(rsp, "Content-Type", type);
	if (close)
		MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONNECTION, "close");
	r = MHD_queue_response(conn, status, rsp);
	MHD_destroy_response(rsp);
	return r;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
			     size_t len, const char *type)
{
	return reply_close(conn, status, body, len, type, false);
}

/* The head is in: framing (RFC 9112) and no body, since a scrape has none. Answers 400 and
 * closes the connection on a problem (MHD then never reads a body). */
static enum MHD_Result check_head(struct MHD_Connection *conn, const char *version)
{
	const char *bad = httpd_framing_error(conn, version);
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	char msg[160];

	if (!bad && (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
		     (cl && strcmp(cl, "0"))))
		bad = "a scrape has no body";
	if (!bad)
		return MHD_YES;
	snprintf(msg, sizeof(msg), "400 bad request: %s\n", bad);
	return reply_close(conn, MHD_HTTP_BAD_REQUEST, strdup(msg), strlen(msg),
			   "text/plain; charset=utf-8", true);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct buf b;
	struct err e;
	double t0;
	int r;

	(void)cls;
	(void)upload;
	if (!*state) {
		/* first call: headers only; answer on the next one (MHD protocol) */
		*state = (void *)1;
		httpd_guard_head_done(conn);
		return check_head(conn, version);
	}
	*upload_len = 0;
	httpd_guard_body_done(conn);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, strdup("404 page not found\n"), 19,
			     "text/plain; charset=utf-8");
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, strdup("method not allowed\n"), 19,
			     "text/plain; charset=utf-8");
	buf_init(&b, METRICS_PAGE_MAX);
	err_clear(&e);
	t0 = now_ms();
	r = metrics_render(ex.app->store, &b, &e);
	metrics_set_last_render_ms(now_ms() - t0);
	if (r < 0) {
		buf_release(&b);
		log_warn("metrics: %s", e.msg);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, strdup("metrics unavailable\n"),
			     20, "text/plain; charset=utf-8");
	}
	{
		size_t len = b.len;
		return reply(conn, MHD_HTTP_OK, buf_detach(&b), len,
			     "text/plain; version=0.0.4; charset=utf-8");
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("metrics: mhd: %s", line);
}

static void completed(void *cls, struct MHD_Connection *conn, void **state,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	*state = NULL;
	httpd_guard_request_done(conn);
}

static struct MHD_Daemon *start(struct sockaddr_storage *ss, unsigned extra)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
			 extra;

	return MHD_start_daemon(flags, 0, httpd_guard_accept, ex.guard, handle, NULL,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				MHD_OPTION_NOTIFY_CONNECTION, httpd_guard_notify, ex.guard,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_END);
}

void metrics_exporter_start(struct app *app)
{
	const char *addr = app->cfg->statistics.listening_address;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	bool all = false;

	metrics_set_start_time((int64_t)time(NULL));
	ex.app = app;
	if (!addr || parse_addr(addr, &ss, &all) < 0) {
		log_err("metrics: statistics.listening_address '%s' is not host:port; the "
			"Prometheus exporter is not started", addr ? addr : "");
		return;
	}
	ex.guard = httpd_guard_new(&(struct httpd_guard_limits){
		.name = "metrics", .per_addr = METRICS_CONN_PER_ADDR, .head_s = METRICS_TIMEOUT_S,
		.body_s = METRICS_TIMEOUT_S, .idle_s = METRICS_TIMEOUT_S });
	if (!ex.guard) {
		log_err("metrics: out of memory; running without the Prometheus exporter");
		return;
	}
	ex.d = start(&ss, ss.ss_family == AF_INET6 ? (all ? MHD_USE_DUAL_STACK : MHD_USE_IPv6)
						    : 0);
	if (!ex.d && all) {
		/* no IPv6 here: every IPv4 address */
		struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;
		memset(&ss, 0, sizeof(ss));
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
		in4->sin_port = port;
		ex.d = start(&ss, 0);
	}
	if (!ex.d) {
		ex.guard = httpd_guard_free(ex.guard);
		log_err("metrics: cannot listen on '%s' (address in use or not available); "
			"running without the Prometheus exporter", addr);
		return;
	}
	di = MHD_get_daemon_info(ex.d, MHD_DAEMON_INFO_BIND_PORT);
	ex.port = di ? di->port : 0;
	log_info("metrics: Prometheus exporter on %s (port %d), path /metrics", addr, ex.port);
}

void metrics_exporter_stop(void)
{
	if (ex.d)
		MHD_stop_daemon(ex.d);
	ex.d = NULL;
	ex.guard = httpd_guard_free(ex.guard);
	ex.port = 0;
	metrics_render_release();
}

int metrics_exporter_port(void)
{
	return ex.port;
}
