/* SPDX-License-Identifier: MIT */
#ifndef MODEL_STATS_H
#define MODEL_STATS_H
/* Latest statistics per peer and interface (spec 2.7 PeerMetrics / InterfaceMetrics). */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model/keys.h"

struct peer_status {
	char peer_id[WG_KEY_B64_SIZE];
	char iface_id[32];
	uint64_t bytes_received, bytes_transmitted;
	int64_t last_handshake;      /* unix seconds, 0 = never */
	char endpoint[72];           /* "ip:port" / "[v6]:port", "" = none */
	bool is_pingable;
	int64_t last_ping;           /* 0 = null */
	int64_t last_session_start;  /* 0 = null */
	bool is_connected;
	bool stats_available;        /* false: backend cannot report (capability), values are null */
	int64_t updated_at;
};

struct iface_status {
	char iface_id[32];
	uint64_t bytes_received, bytes_transmitted;
	int64_t updated_at;
};

#endif
