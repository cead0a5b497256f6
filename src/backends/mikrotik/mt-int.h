/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_MIKROTIK_MT_INT_H
#define BACKENDS_MIKROTIK_MT_INT_H
/*
 * Private to the MikroTik backend: its per-instance state and the functions its files share
 * (mikrotik.c: open, probe and policies, error mapping; mt_read.c: reads; mt_iface.c and
 * mt_peers.c: writes), the rows it reads from RouterOS REST replies, and the reply parsers of
 * mt_json.c / mt_scalar.c. RouterOS renders every value as a JSON string
 * (spec/routeros-rest.md 2.2); the parsers are strict about that, because a reply of another
 * shape means we are not talking to what we think we are: a wrong-typed or malformed reply is
 * -EPROTO, never a half-filled row. Unknown properties are ignored. Limits bound everything the
 * device sends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/http/rest.h"
#include "model/cidr.h"
#include "model/endpoint.h"
#include "model/keys.h"

struct err;
struct backend;
struct dev_iface;
struct dev_peer;
struct strv;
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
	char endpoint_address[ENDPOINT_HOST_MAX];
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

struct mt_priv {
	struct http_client *http;
	struct rest rest;          /* calls with RouterOS's error mapping (mikrotik.c) */
	char user[64];
	bool probed;
	struct mt_resource res;
	bool policies_known;       /* read from the user's group at open */
	bool no_write, no_sensitive, no_test;
};

#define MT_BODY_MAX (4u * 1024 * 1024)
#define MT_PL_WG ".id,name,comment,disabled,listen-port,mtu,private-key,public-key"
#define MT_PL_ADDR ".id,address,interface,disabled,dynamic"

/* What a missing policy blocks, for messages. */
extern const char MT_P_WRITE[], MT_P_SENSITIVE[], MT_P_TEST[];
int mt_policy_error(const struct mt_priv *mp, const char *policy, const char *what,
		    struct err *err);
/* -EACCES naming 'write' when the user's group is known to lack it. */
int mt_need_write(const struct mt_priv *mp, struct err *err);
int mt_ensure_probed(struct backend *be, struct err *err);
/* RouterOS interface names wgportal writes (1-63 of A-Z a-z 0-9 _ . - = + @). */
int mt_check_name(const char *name, struct err *err);
/* The peer properties this RouterOS version has, as a .proplist value (heap). */
char *mt_peer_proplist(const struct mt_priv *mp);
/* Runs mutation calls in parallel; the first failure in call order (404 on DELETE is fine). */
int mt_run_mutations(struct mt_priv *mp, struct http_call *calls, size_t n, const char *what,
		     struct err *err);

/* The ops of mt_read.c, mt_iface.c and mt_peers.c. */
int mt_list_ifaces(struct backend *be, struct strv *ret, struct err *err);
int mt_get_iface(struct backend *be, const char *name, struct dev_iface *ret, struct err *err);
int mt_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err);
int mt_delete_iface(struct backend *be, const char *name, struct err *err);
int mt_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
		   size_t n, struct err *err);

/* Durations: "1w2d3h4m5s", "1ms200us", "453us", "00:00:02", "1d 02:03:04" and plain "25"
 * (seconds). Result in microseconds. Returns 0 or -EINVAL (also on overflow). */
int mt_parse_duration_us(const char *s, int64_t *ret_us);
/* A decimal number 0..max with nothing around it. Returns 0 or -EINVAL. */
int mt_parse_uint(const char *s, uint64_t max, uint64_t *ret);
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
/* An interface's addresses live in two tables, read as two adjacent calls of a batch:
 * mt_addr_queries() sets their paths (v[0] /ip/address, v[1] /ipv6/address), mt_addr_parse()
 * reads their replies. */
struct mt_addrs {
	struct mt_addr *v4, *v6;
	size_t n4, n6;
};
void mt_addr_queries(const char *name, struct http_call v[2]);
int mt_addr_parse(const struct http_call v[2], struct mt_addrs *ret, struct err *err);
void mt_addrs_free(struct mt_addrs *a);
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
