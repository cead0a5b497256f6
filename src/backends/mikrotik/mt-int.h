/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_MIKROTIK_MT_INT_H
#define BACKENDS_MIKROTIK_MT_INT_H
/*
 * Private to the MikroTik backend: the rows it reads from RouterOS REST replies, and the reply
 * parsers of mt_json.c. RouterOS renders every value as a JSON string (spec/routeros-rest.md
 * 2.2); the parsers are strict about that, because a reply of another shape means we are not
 * talking to what we think we are: a wrong-typed or malformed reply is -EPROTO, never a
 * half-filled row. Unknown properties are ignored. Limits bound everything the device sends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cidr.h"
#include "model/keys.h"

struct err;
struct backend;
struct http_client;

/* The router's HTTP client (shared with mt_ping.c, so pings count against `concurrency`);
 * NULL before open. */
struct http_client *mt_http(const struct backend *be);

#define MT_ID_MAX 32            /* ".id" like "*80000001" */
#define MT_NAME_MAX 64
#define MT_MAX_ROWS 100000      /* rows per list reply */
#define MT_MAX_AIPS 4096        /* allowed addresses per peer */

struct mt_version {
	int major, minor, patch;   /* 0.0.0 = unknown */
};

struct mt_resource {
	struct mt_version ver;
	char version[48];          /* as reported, e.g. "7.17 (stable)" */
	char board[64];
};

struct mt_wg {
	char id[MT_ID_MAX];
	char name[MT_NAME_MAX];
	char *comment;             /* NULL when absent */
	bool disabled;
	uint16_t listen_port;
	uint32_t mtu;
	bool has_private_key;      /* false: absent or masked (no 'sensitive' policy) */
	bool private_key_masked;   /* the reply showed the property, masked */
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN];
	bool has_public_key;
};

struct mt_ifstat {
	char id[MT_ID_MAX];
	char name[MT_NAME_MAX];
	uint64_t rx_bytes, tx_bytes;
};

struct mt_addr {
	char id[MT_ID_MAX];
	char iface[MT_NAME_MAX];
	struct ip_prefix prefix;
	bool dynamic, disabled;
};

struct mt_peer {
	char id[MT_ID_MAX];
	char iface[MT_NAME_MAX];
	char *name;                /* "name" (7.15+), NULL when absent */
	char *comment;             /* NULL when absent */
	uint8_t public_key[WG_KEY_LEN];
	bool has_psk;              /* a preshared key is set and readable */
	bool psk_masked;           /* the property is present but masked */
	uint8_t preshared_key[WG_KEY_LEN];
	struct ip_prefix *aips;
	size_t n_aips;
	char endpoint_address[64];
	uint16_t endpoint_port;
	uint32_t keepalive;        /* seconds, 0 = off */
	bool disabled, dynamic;
	bool responder;            /* "responder" (7.17+) or "is-responder" (7.15-7.16) */
	bool has_responder;
	uint64_t rx_bytes, tx_bytes;
	int64_t last_handshake_ago; /* seconds since the last handshake, -1 = never */
	char current_address[64];
	uint16_t current_port;
};

/* Durations: "1w2d3h4m5s", "1ms200us", "453us", "00:00:02", "1d 02:03:04" and plain "25"
 * (seconds). Result in microseconds. Returns 0 or -EINVAL (also on overflow). */
int mt_parse_duration_us(const char *s, int64_t *ret_us);
/* Seconds as RouterOS input ("25s", "0s"). */
void mt_format_duration(char out[static 24], uint32_t seconds);
/* "7.17", "7.15.3 (stable)", "7.18beta2" -> 7.17.0 / 7.15.3 / 7.18.0. Returns 0 or -EINVAL. */
int mt_parse_version(const char *s, struct mt_version *ret);
bool mt_version_ge(const struct mt_version *v, int major, int minor);

/* Replies. Each returns 0, -EPROTO (shape/type/value error, reason in err) or -ENOMEM, and
 * writes the out-params only on success; free arrays with the matching *_free(). */
int mt_parse_resource(const char *body, size_t len, struct mt_resource *ret, struct err *err);
int mt_parse_wgs(const char *body, size_t len, struct mt_wg **ret, size_t *ret_n,
		 struct err *err);
int mt_parse_wg_one(const char *body, size_t len, struct mt_wg *ret, struct err *err);
int mt_parse_ifstats(const char *body, size_t len, struct mt_ifstat **ret, size_t *ret_n,
		     struct err *err);
int mt_parse_addrs(const char *body, size_t len, struct mt_addr **ret, size_t *ret_n,
		   struct err *err);
/* Peers with an empty or invalid public key are skipped (wg-portal #608), counted in
 * *ret_skipped (may be NULL). */
int mt_parse_peers(const char *body, size_t len, struct mt_peer **ret, size_t *ret_n,
		   size_t *ret_skipped, struct err *err);
int mt_parse_peer_one(const char *body, size_t len, struct mt_peer *ret, struct err *err);
/* A list reply of objects with one string field (e.g. user "group", group "policy"): the
 * value of the first row, or -ENOENT for an empty list. */
int mt_parse_first_field(const char *body, size_t len, const char *field, char *out,
			 size_t outsz, struct err *err);
/* Error body {"error":N,"message":"..","detail":".."} -> "detail" (or "message"); "" when the
 * body is not such an object. Values that look like WireGuard keys are masked. */
void mt_parse_error(const char *body, size_t len, char *out, size_t outsz);

void mt_wg_release(struct mt_wg *w);
void mt_wgs_free(struct mt_wg *v, size_t n);
void mt_peer_release(struct mt_peer *p);
void mt_peers_free(struct mt_peer *v, size_t n);

#endif
