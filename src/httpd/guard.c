/* SPDX-License-Identifier: MIT */
/*
 * Connection guard for libmicrohttpd listeners: per-address connection limits, request head
 * and body deadlines enforced by a watchdog thread, and the framing check of RFC 9112.
 *
 * Every connection gets a struct guard_conn in MHD's socket context (NOTIFY_STARTED) and is
 * linked into the guard's list until NOTIFY_CLOSED. MHD calls NOTIFY_CLOSED after the
 * connection's thread ended and before it closes the socket, so a shutdown() issued under the
 * guard's lock always hits the right socket, never a reused descriptor. shutdown() instead of
 * close(): MHD still owns the descriptor; it sees end-of-file and cleans up as usual.
 */
#include "httpd/guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"

#define GUARD_TICK_MS 250
#define GUARD_REPORT_MS 60000
#define GUARD_KEY_MAX 9 /* family byte + IPv4 address or IPv6 /64 */

struct guard_conn {
	struct guard_conn *prev, *next;
	struct httpd_guard *g;
	int fd;
	uint8_t key[GUARD_KEY_MAX];
	uint8_t key_len;
	bool shut;              /* the watchdog shut this connection down */
	const char *phase;      /* what the deadline waits for, for the log */
	int64_t deadline_ms;    /* monotonic; 0 = none */
};

struct httpd_guard {
	struct httpd_guard_limits lim;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool stop;
	struct guard_conn *conns;
	uint64_t n_deadline, n_refused;           /* since start */
	uint64_t rep_deadline, rep_refused;       /* already reported */
	int64_t rep_at;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* IPv4-mapped IPv6 (::ffff:a.b.c.d, what a dual-stack socket reports) as plain IPv4. */
static socklen_t addr_unmap(const struct sockaddr *sa, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(out, sa, sizeof(struct sockaddr_in));
		return sizeof(struct sockaddr_in);
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		struct sockaddr_in *in4 = (struct sockaddr_in *)out;
		in4->sin_family = AF_INET;
		in4->sin_port = in6->sin6_port;
		memcpy(&in4->sin_addr, &in6->sin6_addr.s6_addr[12], 4);
		return sizeof(struct sockaddr_in);
	}
	memcpy(out, sa, sizeof(struct sockaddr_in6));
	return sizeof(struct sockaddr_in6);
}

/* The limit applies per IPv4 address and per IPv6 /64. */
static uint8_t addr_key(const struct sockaddr *sa, uint8_t key[static GUARD_KEY_MAX])
{
	struct sockaddr_storage ss;

	memset(key, 0, GUARD_KEY_MAX);
	if (addr_unmap(sa, &ss) == 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		return 5;
	}
	key[0] = 6;
	memcpy(key + 1, ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr, 8);
	return 9;
}

socklen_t httpd_client_addr(struct MHD_Connection *conn, struct sockaddr_storage *ret)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return addr_unmap(ci ? ci->client_addr : NULL, ret);
}

void httpd_addr_format(const struct sockaddr *sa, char out[static 64])
{
	struct sockaddr_storage ss;
	socklen_t len = addr_unmap(sa, &ss);

	if (!len || getnameinfo((struct sockaddr *)&ss, len, out, 64, NULL, 0, NI_NUMERICHOST))
		snprintf(out, 64, "unknown");
}

void httpd_addr_group(const struct sockaddr *sa, char out[static 64])
{
	struct sockaddr_storage ss;
	socklen_t len = addr_unmap(sa, &ss);

	if (len == sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		char a[INET6_ADDRSTRLEN];

		memset(in6->sin6_addr.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a))) {
			snprintf(out, 64, "%s/64", a);
			return;
		}
	}
	httpd_addr_format((struct sockaddr *)&ss, out);
}

/* Logs, at most once a minute, what the guard refused or closed since the last report: one
 * line per minute instead of one per attacking connection. Called with the lock held. */
static void report(struct httpd_guard *g, int64_t now)
{
	uint64_t d = g->n_deadline - g->rep_deadline, r = g->n_refused - g->rep_refused;

	if ((!d && !r) || now - g->rep_at < GUARD_REPORT_MS)
		return;
	log_warn("%s: %llu connection(s) refused (more than %u from one address) and %llu closed "
		 "(request not received within its deadline) in the last minute", g->lim.name,
		 (unsigned long long)r, g->lim.per_addr, (unsigned long long)d);
	g->rep_deadline = g->n_deadline;
	g->rep_refused = g->n_refused;
	g->rep_at = now;
}

static void *watchdog(void *arg)
{
	struct httpd_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec ts;
		int64_t now = now_ms();

		for (struct guard_conn *c = g->conns; c; c = c->next) {
			if (c->shut || !c->deadline_ms || now < c->deadline_ms)
				continue;
			(void)shutdown(c->fd, SHUT_RDWR);
			c->shut = true;
			g->n_deadline++;
			log_debug("%s: connection closed: %s not complete in time", g->lim.name,
				  c->phase);
		}
		report(g, now);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += GUARD_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&g->wake, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct httpd_guard *httpd_guard_new(const struct httpd_guard_limits *lim)
{
	struct httpd_guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;

	if (!g)
		return NULL;
	g->lim = *lim;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	g->rep_at = now_ms();
	if (pthread_create(&g->thread, NULL, watchdog, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

struct httpd_guard *httpd_guard_free(struct httpd_guard *g)
{
	if (!g)
		return NULL;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	/* MHD_stop_daemon notified every close: the list is empty; free leftovers anyway */
	while (g->conns) {
		struct guard_conn *c = g->conns;
		g->conns = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
	return NULL;
}

/* True when the client already closed: MHD notices in the connection's thread and reports
 * the close a little later (from its listening thread), so a client that opens connection
 * after connection would otherwise be refused for ones it has finished with. MSG_PEEK leaves
 * the data to MHD. One syscall per connection of the same address, at most per_addr. */
static bool peer_gone(const struct guard_conn *c)
{
	char b;

	return c->fd >= 0 && recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

enum MHD_Result httpd_guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct httpd_guard *g = cls;
	uint8_t key[GUARD_KEY_MAX];
	uint8_t klen = addr_key(addr, key);
	unsigned n = 0;
	bool ok;

	(void)len;
	if (!klen)
		return MHD_YES;
	/* The accept policy and NOTIFY_STARTED both run in MHD's one listening thread, so no
	 * other connection can be admitted between this count and the insert. */
	pthread_mutex_lock(&g->lock);
	for (struct guard_conn *c = g->conns; c; c = c->next)
		if (c->key_len == klen && !memcmp(c->key, key, klen) && !peer_gone(c))
			n++;
	ok = n < g->lim.per_addr;
	if (!ok)
		g->n_refused++;
	pthread_mutex_unlock(&g->lock);
	return ok ? MHD_YES : MHD_NO;
}

void httpd_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct httpd_guard *g = cls;
	struct guard_conn *c;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const union MHD_ConnectionInfo *fi =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		c = calloc(1, sizeof(*c));
		*socket_context = c;
		if (!c)
			return; /* OOM: this connection runs unguarded */
		c->g = g;
		c->fd = fi ? fi->connect_fd : -1;
		c->key_len = addr_key(ci ? ci->client_addr : NULL, c->key);
		c->phase = "request head";
		c->deadline_ms = now_ms() + (int64_t)g->lim.head_s * 1000;
		pthread_mutex_lock(&g->lock);
		c->next = g->conns;
		if (g->conns)
			g->conns->prev = c;
		g->conns = c;
		pthread_mutex_unlock(&g->lock);
		return;
	}
	c = *socket_context;
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->lock);
	free(c);
	*socket_context = NULL;
}

static void set_deadline(struct MHD_Connection *conn, const char *phase, unsigned s)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct guard_conn *c = ci ? ci->socket_context : NULL;

	if (!c)
		return;
	pthread_mutex_lock(&c->g->lock);
	c->phase = phase;
	c->deadline_ms = s ? now_ms() + (int64_t)s * 1000 : 0;
	pthread_mutex_unlock(&c->g->lock);
}

void httpd_guard_head_done(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct guard_conn *c = ci ? ci->socket_context : NULL;

	if (c)
		set_deadline(conn, "request body", c->g->lim.body_s);
}

void httpd_guard_body_done(struct MHD_Connection *conn)
{
	set_deadline(conn, "answer", 0);
}

void httpd_guard_request_done(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct guard_conn *c = ci ? ci->socket_context : NULL;

	if (c)
		set_deadline(conn, "next request head", c->g->lim.idle_s + c->g->lim.head_s);
}

void httpd_guard_counts(struct httpd_guard *g, uint64_t *ret_deadline, uint64_t *ret_refused)
{
	pthread_mutex_lock(&g->lock);
	*ret_deadline = g->n_deadline;
	*ret_refused = g->n_refused;
	pthread_mutex_unlock(&g->lock);
}

struct framing {
	unsigned n_cl, n_te;
	const char *cl, *te;
	bool cl_conflict;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (!key)
		return MHD_YES;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (f->n_cl++ && strcmp(f->cl, value ? value : ""))
			f->cl_conflict = true;
		else
			f->cl = value ? value : "";
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		f->n_te++;
		f->te = value ? value : "";
	}
	return MHD_YES;
}

const char *httpd_framing_error(struct MHD_Connection *conn, const char *version)
{
	struct framing f = { 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, framing_header, &f);
	if (f.cl_conflict)
		return "conflicting Content-Length headers";
	if (!f.n_te)
		return NULL;
	if (f.n_cl)
		return "Content-Length together with Transfer-Encoding";
	if (f.n_te > 1 || strcasecmp(f.te, "chunked"))
		return "unsupported Transfer-Encoding (only a single 'chunked' is accepted)";
	if (version && !strcmp(version, MHD_HTTP_VERSION_1_0))
		return "Transfer-Encoding in an HTTP/1.0 request";
	return NULL;
}
