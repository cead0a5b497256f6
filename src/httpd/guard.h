/* SPDX-License-Identifier: MIT */
#ifndef HTTPD_GUARD_H
#define HTTPD_GUARD_H
/*
 * What libmicrohttpd 0.9.75 does not enforce for us, shared by both listeners (the API and the
 * Prometheus exporter); docs/http-hardening.md explains each choice:
 *
 *  - connections per client address: an IPv4 address, or an IPv6 /64 (one host usually owns a
 *    whole /64, so counting single IPv6 addresses would not limit anybody);
 *  - deadlines for the whole request head and body. MHD's own timeout only counts silence, so
 *    a client sending one header line per second would keep its connection (and, with one
 *    thread per connection, a thread) forever. A watchdog thread shuts the socket of a
 *    connection whose deadline passed; MHD then sees the close in the connection's own thread
 *    and cleans up as for any client that went away;
 *  - message framing (RFC 9112 6.1, 6.3): MHD takes the first of several Content-Length
 *    headers and prefers Transfer-Encoding over Content-Length without complaint; the caller
 *    refuses such requests with 400 and closes the connection.
 *
 * Usage: httpd_guard_new(), then pass httpd_guard_accept (with the guard as cls) as the
 * daemon's accept policy and MHD_OPTION_NOTIFY_CONNECTION = httpd_guard_notify (guard as cls).
 * The access handler reports the phases of each request on its connection.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

struct httpd_guard;

struct httpd_guard_limits {
	const char *name;       /* "http", "metrics": prefix of the log lines */
	unsigned per_addr;      /* connections per address (IPv4) or /64 (IPv6) */
	unsigned head_s;        /* from connection start to the end of the request head */
	unsigned body_s;        /* from the end of the head to the end of the body */
	unsigned idle_s;        /* after an answer: the next head ends within idle_s + head_s */
};

/* NULL on OOM or when the watchdog thread cannot start. */
struct httpd_guard *httpd_guard_new(const struct httpd_guard_limits *lim);
/* Stops the watchdog. Call after MHD_stop_daemon (no connection is left then). NULL-safe. */
struct httpd_guard *httpd_guard_free(struct httpd_guard *g);

/* MHD_AcceptPolicyCallback: refuses a connection beyond the per-address limit. */
enum MHD_Result httpd_guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* MHD_NotifyConnectionCallback: tracks connections from start to close. */
void httpd_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode code);

/* Request phases, reported by the access handler of conn (any thread). */
void httpd_guard_head_done(struct MHD_Connection *conn);    /* body deadline starts */
void httpd_guard_body_done(struct MHD_Connection *conn);    /* handler runs: no deadline */
void httpd_guard_request_done(struct MHD_Connection *conn); /* idle: next head deadline */

/* Connections closed by a deadline and refused by the per-address limit since start. */
void httpd_guard_counts(struct httpd_guard *g, uint64_t *ret_deadline, uint64_t *ret_refused);

/* Framing of the request on conn, checked once its head is complete: NULL when fine, else a
 * static reason (several different Content-Length values, Content-Length together with
 * Transfer-Encoding, a transfer coding other than "chunked", Transfer-Encoding in HTTP/1.0).
 * version is the request's protocol ("HTTP/1.1"). */
const char *httpd_framing_error(struct MHD_Connection *conn, const char *version);

/* The client's address with IPv4-mapped IPv6 turned into IPv4. Returns its length, 0 when
 * unknown. */
socklen_t httpd_client_addr(struct MHD_Connection *conn, struct sockaddr_storage *ret);
/* Numeric text of an address ("unknown" when sa is NULL or not IP); IPv4-mapped IPv6 is shown
 * as IPv4. */
void httpd_addr_format(const struct sockaddr *sa, char out[static 64]);

/* The group an address is limited in: "a.b.c.d" for IPv4 (and IPv4-mapped IPv6), the /64
 * prefix "2001:db8:1:2::/64" for IPv6, "unknown" otherwise. */
void httpd_addr_group(const struct sockaddr *sa, char out[static 64]);

#endif
