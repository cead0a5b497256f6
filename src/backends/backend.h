/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_BACKEND_H
#define BACKENDS_BACKEND_H
/*
 * The backend interface: one ops table per backend type, one struct backend per configured
 * instance ("local" always exists; each backend.mikrotik[] / backend.pfsense[] entry is one).
 * Nobody outside backend.c calls be->ops->x: use the backend_*() wrappers, which check
 * capabilities and supply -EOPNOTSUPP for absent ops.
 *
 * Device state travels as struct dev_iface / struct dev_peer: what a device has (get) or should
 * have (apply). Keys are raw bytes here. Flags say which fields are meaningful (wireguard-tools'
 * WGDEVICE_HAS_* model). Diffing happens only in sync/: on apply, an interface carries the
 * HAS_* bits of the fields that must change and a peer its change mask (dev_peer.changes);
 * a backend translates them into device calls and never compares field values itself.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cidr.h"
#include "model/endpoint.h"
#include "model/keys.h"
#include "util/strv.h"

struct err;

enum backend_cap {
	BACKEND_CAP_CREATE_IFACE = 1U << 0, /* can create/delete interfaces */
	BACKEND_CAP_STATS_PEER   = 1U << 1, /* rx/tx/handshake/endpoint per peer */
	BACKEND_CAP_STATS_IFACE  = 1U << 2, /* interface counters */
	BACKEND_CAP_HOOKS        = 1U << 3, /* Pre/PostUp/Down hooks run */
	BACKEND_CAP_PSK          = 1U << 4, /* preshared keys */
	BACKEND_CAP_ROUTES       = 1U << 5, /* route management for allowed IPs */
	BACKEND_CAP_MTU          = 1U << 6,
	BACKEND_CAP_FWMARK       = 1U << 7,
	BACKEND_CAP_ADDRESSES    = 1U << 8, /* interface addresses */
	BACKEND_CAP_DISABLED_PEERS = 1U << 9, /* keeps disabled peers on the device (flag) */
	/* The device never returns preshared keys (pfSense: write-only) or the interface private
	 * key: get_iface leaves them zero, so sync must not read that as "differs". */
	BACKEND_CAP_PSK_WRITE_ONLY = 1U << 10,
	BACKEND_CAP_PRIVKEY_HIDDEN = 1U << 11,
	/* Writes are refused (read-only credentials): every write op returns -EACCES. */
	BACKEND_CAP_READONLY       = 1U << 12,
	/* Ping checks of peer addresses from where the peer lives (local: ICMP from the host,
	 * MikroTik: /tool/ping, needs the 'test' policy). Dropped at run time when refused. */
	BACKEND_CAP_PING           = 1U << 13,
};

/* Ops counted per instance (request counts and errors for the Prometheus exporter). */
enum backend_op {
	BACKEND_OP_LIST_IFACES,
	BACKEND_OP_GET_IFACE,
	BACKEND_OP_APPLY_IFACE,
	BACKEND_OP_DELETE_IFACE,
	BACKEND_OP_APPLY_PEERS,
	BACKEND_OP_PING,
	BACKEND_OP_MAX
};
const char *backend_op_name(enum backend_op op);

/* One ping check (backend_ping). */
struct backend_ping_opts {
	int timeout_ms;                 /* wait at most this long for the answer */
	bool unprivileged;              /* local: ICMP datagram socket instead of a raw one */
};

/* get: the device reported the field; apply: wgportal manages it (sync sets it). A field
 * without its HAS bit is one the device keeps as it is: a preshared key the device never
 * reports, a keepalive or endpoint the peer's mode leaves to the device. */
enum dev_peer_flags {
	DEV_PEER_HAS_PSK          = 1U << 0,
	DEV_PEER_HAS_ENDPOINT     = 1U << 1, /* endpoint ("" = none) */
	DEV_PEER_REPLACE_ALLOWEDIPS = 1U << 2,
	DEV_PEER_REMOVE           = 1U << 3, /* delete this peer (apply_peers) */
	DEV_PEER_DISABLED         = 1U << 4, /* remote backends: keep but disabled */
	DEV_PEER_READONLY         = 1U << 5, /* dynamic/system peer: never modify */
	DEV_PEER_HAS_KEEPALIVE    = 1U << 6, /* persistent_keepalive (0 = off) */
};

/* What sync found different (apply_peers): a backend writes these fields of a peer it finds on
 * the device, and creates a peer it does not find with every field the peer HAS. */
enum dev_peer_change {
	DEV_PEER_CH_PSK        = 1U << 0,
	DEV_PEER_CH_ENDPOINT   = 1U << 1,
	DEV_PEER_CH_KEEPALIVE  = 1U << 2,
	DEV_PEER_CH_ALLOWEDIPS = 1U << 3,
	DEV_PEER_CH_DISABLED   = 1U << 4,
	DEV_PEER_CH_NAME       = 1U << 5,
	DEV_PEER_CH_ALL        = (1U << 6) - 1,
};

struct dev_peer {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN];
	unsigned flags;                 /* DEV_PEER_* */
	unsigned changes;               /* apply: DEV_PEER_CH_* (sync/diff.c) */
	char endpoint[ENDPOINT_STR_MAX]; /* configured: "host:port" / "[v6]:port"; "" = none */
	uint16_t persistent_keepalive;  /* seconds, 0 = off */
	struct ip_prefix *allowed_ips;
	size_t n_allowed_ips;
	char *name;                     /* device-side comment/name (remote backends), may be NULL */
	/* statistics (get only) */
	char current_endpoint[72];      /* where the peer was last seen, "" = unknown */
	uint64_t rx_bytes, tx_bytes;
	int64_t last_handshake_sec;     /* 0 = never */
	int64_t last_handshake_nsec;
	bool stats_valid;               /* false: the device cannot tell (pfSense w/o status) */
};

enum dev_iface_flags {
	DEV_IFACE_HAS_PRIVATE_KEY = 1U << 0,
	DEV_IFACE_HAS_LISTEN_PORT = 1U << 1,
	DEV_IFACE_HAS_FWMARK      = 1U << 2,
	DEV_IFACE_HAS_MTU         = 1U << 3,
	DEV_IFACE_HAS_ADDRESSES   = 1U << 4, /* replace addresses with the given set */
	DEV_IFACE_HAS_ROUTES      = 1U << 5, /* manage routes (see routes/table below) */
	/* Route-only applies (BACKEND_CAP_ROUTES): add / remove just the listed `routes` in
	 * `table` (one peer changed), or remove every route of the link in `table` and its policy
	 * rules (before a delete). Nothing else is set, the link is never created; a nonzero
	 * `ifindex` that no longer matches the link fails with -ESTALE (re-created under us). */
	DEV_IFACE_ROUTES_ADD      = 1U << 6,
	DEV_IFACE_ROUTES_DEL      = 1U << 7,
	DEV_IFACE_ROUTES_FLUSH    = 1U << 8,
	DEV_IFACE_HAS_COMMENT     = 1U << 9, /* remote backends: the comment/description */
	DEV_IFACE_HAS_LINK        = 1U << 10, /* remote backends: up (enabled) or down */
};

struct dev_iface {
	char name[64];
	unsigned flags;                 /* DEV_IFACE_* (apply: which fields to set) */
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN]; /* get only */
	uint16_t listen_port;
	uint32_t fwmark;
	uint32_t mtu;
	bool up;                        /* link up (enabled) */
	struct ip_prefix *addresses;
	size_t n_addresses;
	/* route management (local): prefixes routed into `table` through this link */
	struct ip_prefix *routes;
	size_t n_routes;
	uint32_t table;                 /* 0 = no route management ("off") */
	/* local: first priority tried for "lookup main suppress_prefixlength 0", the rule that
	 * keeps a default route through the tunnel from swallowing the host's own routes
	 * (advanced.rule_prio_offset; 0 = no such rule) */
	uint32_t rule_prio_offset;
	char *comment;                  /* remote backends: interface comment, may be NULL */
	/* peers (get: all; apply via backend_apply_peers) */
	struct dev_peer *peers;
	size_t n_peers;
	/* statistics */
	uint64_t rx_bytes, tx_bytes;
	int ifindex;                    /* local only */
};

void dev_peer_release(struct dev_peer *p);          /* wipes keys */
void dev_iface_release(struct dev_iface *d);        /* wipes keys, frees peers */
int dev_iface_add_peer(struct dev_iface *d, struct dev_peer **ret);  /* appends zeroed peer */

struct backend;

/* Opaque per-instance config handed to open(): the backend's own config entry. */
struct cfg_backend;

struct backend_ops {
	const char *type;               /* "local", "mikrotik", "pfsense": the config's name */
	unsigned caps;                  /* BACKEND_CAP_* this type can have */
	size_t priv_size;               /* per-instance state allocated by backend.c */
	/* Reached over the network: a look at it costs round trips, so the healer looks at its
	 * interfaces less often than at a local host's. */
	bool remote;

	/* connect/probe; may adjust caps and implementation (backend_set_*). */
	int (*open)(struct backend *be, const struct cfg_backend *cfg, struct err *err);
	void (*close)(struct backend *be);  /* NULL-safe, idempotent */

	/* Names of the interfaces that exist on the device (local: link exists in our netns). */
	int (*list_ifaces)(struct backend *be, struct strv *ret, struct err *err);
	/* Full state of one interface with peers and counters; -ENOENT when it does not exist. */
	int (*get_iface)(struct backend *be, const char *name, struct dev_iface *ret, struct err *err);
	/* Create the interface if missing (with every flagged field and want->up), else set the
	 * fields flagged in want->flags. Peers in want are ignored here. */
	int (*apply_iface)(struct backend *be, const struct dev_iface *want, struct err *err);
	int (*delete_iface)(struct backend *be, const char *name, struct err *err);
	/* For each peer of the list on interface name: remove it (DEV_PEER_REMOVE), write the
	 * fields of its change mask when the device has it, or create it with every field it
	 * HAS when the device does not. */
	int (*apply_peers)(struct backend *be, const char *name, const struct dev_peer *peers,
			   size_t n, struct err *err);
	/* A name for a new interface that this device accepts and that is neither in taken nor
	 * on the device. pfSense: the tun_wgN it will assign, -EEXIST when taken holds it.
	 * Optional: the lowest "wg<N>" not in taken otherwise. */
	int (*suggest_name)(struct backend *be, const struct strv *taken, char *out, size_t size,
			    struct err *err);
	/* One echo request to addr (a peer's check address) through interface name. Returns 1
	 * (answered), 0 (no answer within o->timeout_ms) or -errno; -EACCES means "not
	 * permitted" and drops BACKEND_CAP_PING. Called WITHOUT the instance lock, from several
	 * threads at once, so a round of pings never stalls sync or statistics: it must be
	 * thread-safe on its own. Optional: a backend without it has no ping checks. */
	int (*ping)(struct backend *be, const char *name, const char *addr,
		    const struct backend_ping_opts *o, struct err *err);
};

/* What the API and the exporter show of an instance, copied under its state lock so a reader
 * never sees a string half-written by a device call in another thread. */
struct backend_status {
	unsigned caps;
	bool reachable;
	char implementation[64];
	char last_error[256];
	char ping_error[256];
	unsigned long op_calls[BACKEND_OP_MAX], op_errors[BACKEND_OP_MAX];
	unsigned long op_us[BACKEND_OP_MAX];
};

struct backend {
	const struct backend_ops *ops;
	char id[64];                    /* "local" or the configured id */
	char display_name[128];
	bool is_default;
	pthread_mutex_t lock;           /* serialises ops on this instance (not ping) */
	void *priv;                     /* priv_size bytes, owned by backend.c */
	const struct cfg_backend *cfg;
	bool revive_down;               /* the healer thread's alone: unreachable at its last look */
	/* State shown to readers: written through backend_set_*() and the wrappers, read with
	 * backend_status_get() or backend_is_reachable(), both under state_lock. */
	pthread_mutex_t state_lock;
	unsigned caps;                  /* actual capabilities after open (atomic) */
	char implementation[64];        /* e.g. "kernel (genetlink)", "wireguard-go (uapi)" */
	bool reachable;
	char last_error[256];           /* last device error, secrets never included */
	char ping_error[256];           /* why BACKEND_CAP_PING was dropped, "" = not dropped */
	unsigned long op_calls[BACKEND_OP_MAX], op_errors[BACKEND_OP_MAX];
	unsigned long op_us[BACKEND_OP_MAX];    /* time spent in each op, microseconds */
};

/* The registry: created from the config; "local" is always entry 0. */
struct cfg;
int backends_init(const struct cfg *cfg, struct err *err);
void backends_shutdown(void);
/* Borrowed pointer, NULL when no backend has that id. id NULL or "" means "local". */
struct backend *backend_find(const char *id);
size_t backend_count(void);
struct backend *backend_at(size_t i);
const char *backend_default_id(void);
/* Registers a backend instance directly (tests, and backends_init). Returns 0 or -errno. */
int backend_register(const struct backend_ops *ops, const char *id, const char *display_name,
		     const struct cfg_backend *cfg, struct err *err);

/* State of an instance (see struct backend_status). */
void backend_status_get(struct backend *be, struct backend_status *ret);
bool backend_is_reachable(struct backend *be);
/* For backends (open, probes): what the instance runs on, and a standing problem to show
 * (e.g. a missing policy) until the next device error replaces it. printf-style. */
void backend_set_implementation(struct backend *be, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void backend_set_last_error(struct backend *be, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Capabilities found at run time: set = the whole set (open), or one dropped with a reason
 * kept for the API (why ping checks stopped). */
void backend_set_caps(struct backend *be, unsigned caps);
void backend_drop_ping(struct backend *be, const char *why);

/* Wrappers: lock the instance, check caps/ops, time the call (debug log), update reachable. */
int backend_list_ifaces(struct backend *be, struct strv *ret, struct err *err);
int backend_get_iface(struct backend *be, const char *name, struct dev_iface *ret, struct err *err);
int backend_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err);
int backend_delete_iface(struct backend *be, const char *name, struct err *err);
int backend_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
			size_t n, struct err *err);
/* A free, valid name for a new interface on this backend (see ops->suggest_name); taken: the
 * names already stored. Falls back to the first free "wg<N>" not in taken. */
int backend_suggest_name(struct backend *be, const struct strv *taken, char *out, size_t size,
			 struct err *err);
bool backend_has_cap(const struct backend *be, unsigned cap);
/* One ping check (see ops->ping): 1, 0 or -errno; -EOPNOTSUPP without BACKEND_CAP_PING. Takes
 * no instance lock. On -EACCES the capability is dropped and the reason kept in ping_error. */
int backend_ping(struct backend *be, const char *name, const char *addr,
		 const struct backend_ping_opts *o, struct err *err);

/* The backend types built into this binary (backends/builtin.c). */
const struct backend_ops *backend_builtin_local(void);
const struct backend_ops *backend_builtin_find(const char *type);

#endif
