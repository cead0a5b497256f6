/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_PFSENSE_PF_INT_H
#define BACKENDS_PFSENSE_PF_INT_H
/*
 * Private to the pfSense backend: its per-instance state and the functions its files share
 * (pfsense.c: open, probe, read-only key, error mapping; pf_batch.c: writes and applies;
 * pf_read.c: reads; pf_write.c: tunnel and peer writes), the objects it reads from pfrest v2
 * replies and the reply parsers of pf_json.c. Every reply is the envelope {code,status,response_id,message,data}
 * (spec/pfsense-rest.md 2.1); the parsers check it and then the shape of `data`. pfrest mixes
 * JSON types (listenport/port strings, mtu/mask/id integers, enabled booleans, 5); a value of
 * another type is accepted only where older packages are known to differ (ports and masks as
 * numbers or digit strings, addresses null), anything else is -EPROTO, never a half-filled
 * object. Unknown fields are ignored. Limits bound everything the firewall sends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backends/http/rest.h"
#include "model/cidr.h"
#include "model/keys.h"
#include "util/jsonw.h"

struct err;
struct backend;
struct pf_tunnel;
struct dev_iface;
struct dev_peer;
struct strv;

#define PF_NAME_MAX 64
#define PF_HOST_MAX 256          /* peer endpoint host (IP or FQDN) */
#define PF_MAX_ROWS 100000       /* objects per list reply */
#define PF_MAX_ADDRS 4096        /* addresses per tunnel / allowed IPs per peer */
#define PF_ID_MAX 10000000       /* object ids are array indexes */
#define PF_DESCR_MAX 1024

#define PF_BODY_MAX (8u * 1024 * 1024)
#define PF_W "/vpn/wireguard"

/* A peer create reported as failed although it may have landed (answer lost, or a repeat of
 * the request found the key already there): removed again as soon as the firewall answers,
 * unless a later batch wants the peer after all. */
#define PF_UNDO_MAX 64
struct pf_undo {
	uint8_t pub[WG_KEY_LEN];
	char tun[PF_NAME_MAX];
};

struct pf_priv {
	struct http_client *http;
	struct rest rest;       /* calls with pfrest's error mapping (pfsense.c) */
	char id[64];
	bool probed;
	bool stats;             /* status endpoints present (package 2.9.0+) */
	bool readonly;
	time_t readonly_since;
	bool apply_pending;     /* writes staged whose apply is not known to have run */
	long timeout_ms;        /* api_timeout: also bounds the wait for an apply to finish */
	char version[32];       /* pfrest package version when the firewall says, else "" */
	long created_id;        /* id and name of the tunnel the last create made */
	char created_name[PF_NAME_MAX];
	struct pf_undo undo[PF_UNDO_MAX];
	size_t n_undo;
};

/* One write of a batch (pf_batch.c). */
enum pf_kind { OP_TUNNEL, OP_PEER };
struct pf_op {
	const char *method;      /* POST, PATCH, DELETE */
	enum pf_kind kind;
	long id;                 /* PATCH target */
	struct jsonw body;       /* open JSON object (not ended); unused for DELETE */
	char name[PF_NAME_MAX];  /* tunnel the op is about (either kind) */
	bool all_of_tunnel;      /* OP_PEER DELETE: every peer of tunnel `name` */
	uint8_t pub[WG_KEY_LEN]; /* peer the op is about (OP_PEER) */
};
void pf_op_release(struct pf_op *o);
void pf_ops_free(struct pf_op *v, size_t n);
/*
 * Runs ops in order, one at a time, then makes sure an apply ran: the last POST/PATCH carries
 * apply=true&async=false, a batch ending in a (plural) DELETE, which ignores `apply`, is
 * followed by POST /apply; success only once GET /apply confirms. On a failure the ops already
 * written are applied (best effort) and the first failure is returned. done_cb (may be NULL)
 * is called for each op that was written.
 */
int pf_run_ops(struct pf_priv *pp, struct pf_op *ops, size_t n, const char *what,
	       void (*done_cb)(struct pf_priv *, const struct pf_op *, const struct http_reply *),
	       struct err *err);
/* POST /vpn/wireguard/apply synchronously, then confirmed. */
int pf_apply_now(struct pf_priv *pp, struct err *err);
/* Removes the peers of pp->undo that batch (may be NULL) does not upsert. */
void pf_undo_run(struct pf_priv *pp, const char *iface, const struct dev_peer *batch,
		 size_t n);

int pf_ensure_probed(struct backend *be, struct err *err);
/* -EACCES while the API key is known to be read-only (probed again now and then). */
int pf_need_write(struct backend *be, struct err *err);
void pf_set_readonly(struct pf_priv *pp, bool ro);
/* After a write: a refused one turns the backend read-only (shown in its caps). Returns r. */
int pf_sync_caps(struct backend *be, int r);
/* pfSense names tunnels tun_wg<N> itself; the wgportal identifier must be that name. */
int pf_check_name(const char *name, struct err *err);
const struct pf_tunnel *pf_find_tunnel(const struct pf_tunnel *v, size_t n, const char *name);

/* The ops of pf_read.c and pf_write.c. */
int pf_get_iface(struct backend *be, const char *name, struct dev_iface *ret, struct err *err);
int pf_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err);
int pf_delete_iface(struct backend *be, const char *name, struct err *err);
int pf_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
		   size_t n, struct err *err);

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
	bool has_psk;                /* the firewall exposes sensitive fields (zero = none) */
	uint8_t preshared_key[WG_KEY_LEN];
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
/* GET /status/wireguard/tunnels: the peer rows of every tunnel in the reply, each with its
 * tunnel's name (complete, unlike /status/wireguard/peers: tests/sim/README.md); rows without
 * a valid public key are skipped. */
int pf_parse_tunnel_status(const char *body, size_t len, struct pf_peer_status **ret,
			   size_t *ret_n, struct err *err);
/* POST/GET /vpn/wireguard/apply: data.applied (true when absent). */
int pf_parse_apply(const char *body, size_t len, bool *ret_applied, struct err *err);

void pf_tunnel_release(struct pf_tunnel *t);
void pf_tunnels_free(struct pf_tunnel *v, size_t n);
void pf_peer_release(struct pf_peer *p);
void pf_peers_free(struct pf_peer *v, size_t n);

#endif
