/* SPDX-License-Identifier: MIT */
/*
 * The HTTP(S) listener: libmicrohttpd with one thread per connection and poll (deps.md 3: our
 * handlers block on argon2 and device calls, so a small pool would stall unrelated requests).
 * Requests go to our own access handler (api/dispatch.c), which routes and authenticates the
 * head before it reads a body. Bounded by a total connection limit, a per-address limit, a
 * deadline for each request's head and body and MHD's idle timeout (httpd/guard.h,
 * docs/http-hardening.md).
 */
#include "api/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/dispatch.h"
#include "api/throttle.h"
#include "cluster/cluster.h"
#include "config/config.h"
#include "httpd/guard.h"
#include "util/err.h"
#include "util/log.h"

/* A browser keeps up to 6 connections per site and usually uses 1-3: 32 per address (IPv6:
 * per /64) serves a handful of UI sessions behind one NAT address, while 5 addresses of an
 * attacker hold at most 160 of the 512 slots. Idle keep-alive connections close after 30 s;
 * a request's head must be complete 10 s after the connection opened (30 + 10 s after the
 * previous answer), its body 30 s after the head (1 MiB at 35 KB/s). */
#define API_CONN_LIMIT 512
#define API_CONN_PER_ADDR 32
#define API_CONN_TIMEOUT_S 30
#define API_HEAD_S 10
#define API_BODY_S 30
#define API_PEM_MAX (1024 * 1024)

static struct {
	bool running;
	struct MHD_Daemon *d;
	struct httpd_guard *guard;
	struct sockaddr_storage addr;
	char *key_pem, *cert_pem;
	int port;
} srv;

/* "host:port", ":port" (all addresses), "[v6]:port". *ret_all: no host given. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, bool *ret_all,
			struct err *err)
{
	const char *colon = strrchr(s, ':');
	char host[256];
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!colon)
		return err_field(err, -EINVAL, "web.listening_address",
				 "web.listening_address '%s': missing ':port'", s);
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end || port < 0 || port > 65535)
		return err_field(err, -EINVAL, "web.listening_address",
				 "web.listening_address '%s': invalid port", s);
	size_t hlen = (size_t)(colon - s);
	if (hlen >= sizeof(host))
		return err_set(err, -EINVAL, "web.listening_address '%s': host too long", s);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	*ret_all = host[0] == '\0';

	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (*ret_all) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	int g = getaddrinfo(host, NULL, &hints, &res);
	if (g != 0 || !res)
		return err_set(err, -EINVAL, "web.listening_address '%s': cannot resolve '%s': %s",
			       s, host, gai_strerror(g));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	if (ss->ss_family == AF_INET)
		in4->sin_port = htons((uint16_t)port);
	else
		in6->sin6_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

static int read_pem(const char *path, char **ret, struct err *err)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return err_set(err, -errno, "cannot open '%s': %s", path, strerror(errno));
	buf = malloc(API_PEM_MAX + 1);
	if (!buf) {
		fclose(f);
		return err_set(err, -ENOMEM, "out of memory");
	}
	n = fread(buf, 1, API_PEM_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > API_PEM_MAX) {
		free(buf);
		return err_set(err, -EINVAL, "'%s': empty or larger than 1 MiB", path);
	}
	buf[n] = '\0';
	*ret = buf;
	return 0;
}

static void pem_free(char **p)
{
	if (*p) {
		sodium_memzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: mhd: %s", line);
}

/* Asks the listening socket itself: MHD reports the port argument, not the bound one. */
static int bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!di || getsockname(di->listen_fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

static struct MHD_Daemon *start_daemon(struct app *app, bool dual_stack, bool tls)
{
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem ops[14];
	int i = 0;

	if (srv.addr.ss_family == AF_INET6)
		flags |= dual_stack ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
					     (intptr_t)api_dispatch_uri, app };
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
					     (intptr_t)api_dispatch_completed, app };
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
					     (intptr_t)httpd_guard_notify, srv.guard };
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL };
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &srv.addr };
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, API_CONN_LIMIT, NULL };
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, API_CONN_TIMEOUT_S,
					     NULL };
	/* HTTP/1.1 without Host is refused: the login's same-origin check relies on it */
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
	if (tls) {
		ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv.key_pem };
		ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv.cert_pem };
	}
	ops[i++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return MHD_start_daemon(flags, 0, httpd_guard_accept, srv.guard, api_dispatch_access, app,
				MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}

int api_start(struct app *app, struct err *err)
{
	const struct cfg *cfg = app->cfg;
	bool all = false, tls;
	int r;

	if (srv.running)
		return err_set(err, -EALREADY, "api already started");
	/* more than one node: every node counts every failure (docs/cluster.md) */
	api_throttle_share(cluster_enabled() ? app->store : NULL);
	if (sodium_init() < 0)
		return err_set(err, -EIO, "libsodium init failed");
	r = parse_listen(cfg->web.listening_address, &srv.addr, &all, err);
	if (r < 0)
		return r;
	tls = cfg->web.cert_file && *cfg->web.cert_file && cfg->web.key_file &&
	      *cfg->web.key_file;
	if (tls) {
		r = read_pem(cfg->web.cert_file, &srv.cert_pem, err);
		if (r >= 0)
			r = read_pem(cfg->web.key_file, &srv.key_pem, err);
		if (r < 0)
			goto fail;
	}
	srv.guard = httpd_guard_new(&(struct httpd_guard_limits){
		.name = "http", .per_addr = API_CONN_PER_ADDR, .head_s = API_HEAD_S,
		.body_s = API_BODY_S, .idle_s = API_CONN_TIMEOUT_S });
	if (!srv.guard) {
		r = err_set(err, -ENOMEM, "cannot start the connection guard");
		goto fail;
	}
	srv.d = start_daemon(app, all, tls);
	if (!srv.d && all) {
		/* No IPv6 in this namespace: fall back to IPv4 on all addresses. */
		struct sockaddr_in *in4 = (struct sockaddr_in *)&srv.addr;
		uint16_t port = ((struct sockaddr_in6 *)&srv.addr)->sin6_port;
		memset(&srv.addr, 0, sizeof(srv.addr));
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
		in4->sin_port = port;
		srv.d = start_daemon(app, false, tls);
	}
	if (!srv.d) {
		srv.guard = httpd_guard_free(srv.guard);
		r = err_set(err, -EADDRNOTAVAIL, "address in use or not available%s",
			    tls ? ", or unusable TLS certificate/key" : "");
		goto fail;
	}
	srv.port = bound_port(srv.d);
	srv.running = true;
	log_info("http: listening on %s (port %d, %s), API at %s/api/v1",
		 cfg->web.listening_address, srv.port, tls ? "https" : "http",
		 cfg->web.base_path ? cfg->web.base_path : "");
	return 0;
fail:
	pem_free(&srv.cert_pem);
	pem_free(&srv.key_pem);
	return r;
}

void api_stop(void)
{
	if (!srv.running)
		return;
	MHD_stop_daemon(srv.d);
	srv.d = NULL;
	srv.guard = httpd_guard_free(srv.guard);
	pem_free(&srv.cert_pem);
	pem_free(&srv.key_pem);
	srv.running = false;
	srv.port = 0;
}

int api_bound_port(void)
{
	return srv.port;
}
