/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_PFSENSE_PF_INT_H
#define BACKENDS_PFSENSE_PF_INT_H
/*
 * Private to the pfSense backend: the objects it reads from pfrest v2 replies and the reply
 * parsers of pf_json.c. Every reply is the envelope {code,status,response_id,message,data}
 * (spec/pfsense-rest.md 2.1); the parsers check it and then the shape of `data`. pfrest mixes
 * JSON types (listenport/port strings, mtu/mask/id integers, enabled booleans, 5); a value of
 * another type is accepted only where older packages are known to differ (ports and masks as
 * numbers or digit strings, addresses null), anything else is -EPROTO, never a half-filled
 * object. Unknown fields are ignored. Limits bound everything the firewall sends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cidr.h"
#include "model/keys.h"

struct err;

#define PF_NAME_MAX 64
#define PF_HOST_MAX 256          /* peer endpoint host (IP or FQDN) */
#define PF_MAX_ROWS 100000       /* objects per list reply */
#define PF_MAX_ADDRS 4096        /* addresses per tunnel / allowed IPs per peer */
#define PF_ID_MAX 10000000       /* object ids are array indexes */
#define PF_DESCR_MAX 1024

/* The envelope of any reply (success or error). */
struct pf_envelope {
	long code;
	char response_id[64];
	char message[256];           /* backticks as sent; WireGuard-key-like words masked */
};

struct pf_tunnel {
	long id;
	char name[PF_NAME_MAX];
	bool enabled;
	char *descr;                 /* NULL when absent */
	uint16_t listenport;
	uint32_t mtu;                /* 0 = absent */
	bool has_public_key;
	uint8_t public_key[WG_KEY_LEN];
	bool has_private_key;        /* only when the firewall exposes sensitive fields */
	uint8_t private_key[WG_KEY_LEN];
	struct ip_prefix *addrs;
	size_t n_addrs;
};

struct pf_peer {
	long id;
	bool enabled;
	char tun[PF_NAME_MAX];
	char endpoint[PF_HOST_MAX];  /* host only, "" = dynamic */
	uint16_t port;               /* 0 = none */
	char *descr;                 /* NULL when absent */
	uint32_t keepalive;          /* 0 = off (null) */
	uint8_t public_key[WG_KEY_LEN];
	struct ip_prefix *aips;
	size_t n_aips;
};

/* One row of GET /status/wireguard/peers (package 2.9.0+, spec Addendum). */
struct pf_peer_status {
	uint8_t public_key[WG_KEY_LEN];
	char tunnel[PF_NAME_MAX];    /* "" when null */
	char endpoint[72];           /* "IP:port" as reported, "" when null */
	int64_t latest_handshake;    /* Unix time, 0 = never */
	uint64_t rx, tx;
};

/* Reads the envelope of any reply. Returns 0, or -EPROTO when the body is not one. */
int pf_parse_envelope(const char *body, size_t len, struct pf_envelope *ret, struct err *err);

/* Successful replies. Each returns 0, -EPROTO (shape/type/value error, reason in err) or
 * -ENOMEM, and writes the out-params only on success; free with the matching *_free(). */
int pf_parse_tunnels(const char *body, size_t len, struct pf_tunnel **ret, size_t *ret_n,
		     struct err *err);
int pf_parse_tunnel_one(const char *body, size_t len, struct pf_tunnel *ret, struct err *err);
/* Peers with an empty or invalid public key are skipped, counted in *ret_skipped (may be
 * NULL). */
int pf_parse_peers(const char *body, size_t len, struct pf_peer **ret, size_t *ret_n,
		   size_t *ret_skipped, struct err *err);
int pf_parse_peer_one(const char *body, size_t len, struct pf_peer *ret, struct err *err);
/* Rows without a valid public key are skipped. */
int pf_parse_peer_status(const char *body, size_t len, struct pf_peer_status **ret,
			 size_t *ret_n, struct err *err);
/* POST/GET /vpn/wireguard/apply: data.applied (true when absent). */
int pf_parse_apply(const char *body, size_t len, bool *ret_applied, struct err *err);

void pf_tunnel_release(struct pf_tunnel *t);
void pf_tunnels_free(struct pf_tunnel *v, size_t n);
void pf_peer_release(struct pf_peer *p);
void pf_peers_free(struct pf_peer *v, size_t n);

/* Masks WireGuard-key-like words (43 base64 chars + '=') in s, in place. */
void pf_mask_keys(char *s);

#endif
