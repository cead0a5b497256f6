/* SPDX-License-Identifier: MIT */
#ifndef MODEL_PEER_H
#define MODEL_PEER_H
/*
 * The stored peer, field for field wg-portal's Peer model (spec/wg-portal-compat.md 2.7).
 * ConfigOption fields are {value, overridable}. Strings are heap or NULL (= ""), see STR().
 */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model/iface.h"
#include "model/keys.h"
#include "util/strv.h"

struct opt_str { char *value; bool overridable; };
struct opt_int { int64_t value; bool overridable; };
struct opt_strv { struct strv value; bool overridable; };

struct peer {
	char identifier[WG_KEY_B64_SIZE];     /* = public_key */
	char *display_name;
	char *user_identifier;
	char *interface_identifier;
	bool disabled;
	char *disabled_reason;
	char *expires_at;                     /* "YYYY-MM-DD" or NULL */
	char *notes;
	struct opt_str endpoint;
	struct opt_str endpoint_public_key;
	struct opt_strv allowed_ips;
	struct strv extra_allowed_ips;
	char preshared_key[WG_KEY_B64_SIZE];  /* "" = none */
	struct opt_int persistent_keepalive;
	char private_key[WG_KEY_B64_SIZE];    /* "" = unknown */
	char public_key[WG_KEY_B64_SIZE];
	char *mode;                           /* "client", "server", "any" */
	struct strv addresses;                /* "10.11.12.2/32" */
	char *check_alive_address;
	struct opt_strv dns, dns_search;
	struct opt_int mtu;
	struct opt_int firewall_mark;
	struct opt_str routing_table;
	struct opt_str pre_up, post_up, pre_down, post_down;

	/* not in the v1 model */
	bool automatic;                       /* created by import / default-peer logic */
	time_t created_at, updated_at;
};

struct peer *peer_new(void);
/* Frees contents and the struct; wipes private and preshared keys. NULL-safe, returns NULL. */
struct peer *peer_free(struct peer *p);
void peer_release(struct peer *p);
struct peer *peer_dup(const struct peer *p);
void peer_list_free(struct peer **list, size_t n);

struct err;
/* Validates every field that reaches a device or the generated file; -EINVAL naming the JSON
 * field (e.g. "Addresses", "PresharedKey") in err->field. */
int peer_validate(const struct peer *p, struct err *err);
/* wg-portal's Filename rule for peers (spec 4.4). */
void peer_filename(const struct peer *p, char out[static 32]);
/* The peer mode that is the opposite role of an interface mode (spec 3.1). */
const char *peer_mode_for_iface(const char *iface_mode);

#endif
