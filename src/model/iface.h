/* SPDX-License-Identifier: MIT */
#ifndef MODEL_IFACE_H
#define MODEL_IFACE_H
/*
 * The stored (desired) WireGuard interface, field for field wg-portal's Interface model
 * (spec/wg-portal-compat.md 2.7) plus what v1 does not carry (backend, timestamps).
 * String fields are heap strings or NULL (= ""); use STR() to read them. Keys are base64 text
 * in fixed arrays so iface_free() can wipe them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model/keys.h"
#include "util/strv.h"

#define STR(s) ((s) ? (s) : "")

#define IFACE_NAME_MAX 15 /* local netdev limit (IFNAMSIZ - 1) */

struct iface {
	char *identifier;
	char *display_name;
	char *mode;             /* "server", "client", "any" */
	char private_key[WG_KEY_B64_SIZE];
	char public_key[WG_KEY_B64_SIZE];
	bool disabled;
	char *disabled_reason;
	bool save_config;
	int listen_port;        /* 0..65535 */
	struct strv addresses;  /* "10.11.12.1/24" */
	struct strv dns, dns_search;
	int mtu;                /* 0 = device default */
	uint32_t firewall_mark;
	char *routing_table;    /* "", "off", decimal, 0x hex */
	char *pre_up, *post_up, *pre_down, *post_down;

	struct strv peer_def_network;
	struct strv peer_def_dns, peer_def_dns_search;
	char *peer_def_endpoint;
	struct strv peer_def_allowed_ips;
	int peer_def_mtu;
	int peer_def_persistent_keepalive;
	uint32_t peer_def_firewall_mark;
	char *peer_def_routing_table;
	char *peer_def_pre_up, *peer_def_post_up, *peer_def_pre_down, *peer_def_post_down;

	/* not in the v1 model */
	char *backend;          /* "local" or a configured backend id; NULL/"" = local */
	bool create_default_peer;
	time_t created_at, updated_at;
	/* The node whose host holds the interface (local backend, more than one node): it alone
	 * writes the device. NULL/"" = not assigned (one node; or remote backends, which the
	 * leader serves). A store update with "" keeps the stored node. */
	char *node;

	/* computed on read, never stored */
	int enabled_peers, total_peers;
};

struct iface *iface_new(void);
/* Frees contents and the struct; wipes the private key. NULL-safe, returns NULL. */
struct iface *iface_free(struct iface *ifc);
void iface_release(struct iface *ifc);
/* Deep copy; NULL on OOM. */
struct iface *iface_dup(const struct iface *ifc);
void iface_list_free(struct iface **list, size_t n);

/* Validates every field that reaches a device or a generated file. On failure returns -EINVAL
 * and names the JSON field (wg-portal's name, e.g. "Addresses") in err->field. */
struct err;
int iface_validate(const struct iface *ifc, struct err *err);
/* Sets a string field to a copy of s (NULL/"" allowed). Returns 0 or -ENOMEM. */
int str_set(char **field, const char *s);
/* wg-portal's Filename rule for interfaces (spec 4.4). out holds at least 22 bytes. */
void iface_filename(const struct iface *ifc, char out[static 32]);

#endif
