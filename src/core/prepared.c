/* SPDX-License-Identifier: MIT */
/*
 * Peers handed out by GET /peer/prepare on this node, remembered by key together with the
 * addresses the allocator chose. A client that posts such a peer back with those addresses
 * unchanged did not choose them: the server did. Two admins (or scripts) preparing at the same
 * time get the same next free address, and in wg-portal the slower one's "create" fails with
 * 409; here its create allocates again under the write lock (core_peer_create_prepared). A
 * client that edited the addresses gets the conflict, as before.
 *
 * Bounded: the last PREPARED_MAX prepares within PREPARED_TTL_MS; older ones are forgotten (the
 * peer is then created like any other). Taking an entry removes it, so a key counts once.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "model/peer.h"
#include "util/clock.h"

#define PREPARED_MAX 512
#define PREPARED_TTL_MS (60LL * 60 * 1000)

static struct prepared {
	char id[WG_KEY_B64_SIZE];
	char addrs[256];        /* the address list joined with ',' (a longer one is not kept) */
	int64_t at;             /* clock_mono_ms() of the prepare; 0 = free slot */
} prepared[PREPARED_MAX];
static size_t next_slot;
static pthread_mutex_t prepared_lock = PTHREAD_MUTEX_INITIALIZER;

/* p's addresses joined; false when they do not fit (such a peer is not remembered). */
static bool join(const struct peer *p, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < p->addresses.n; i++) {
		int n = snprintf(out + len, size - len, "%s%s", i ? "," : "", p->addresses.v[i]);
		if (n < 0 || (size_t)n >= size - len)
			return false;
		len += (size_t)n;
	}
	return true;
}

void core_prepared_remember(const struct peer *p)
{
	struct prepared e = { .at = clock_mono_ms() };

	if (!p->identifier[0] || !p->addresses.n || !join(p, e.addrs, sizeof(e.addrs)))
		return;
	memcpy(e.id, p->identifier, sizeof(e.id));
	pthread_mutex_lock(&prepared_lock);
	prepared[next_slot] = e;
	next_slot = (next_slot + 1) % PREPARED_MAX;
	pthread_mutex_unlock(&prepared_lock);
}

bool core_prepared_take(const struct peer *p)
{
	char addrs[sizeof(prepared[0].addrs)];
	int64_t now = clock_mono_ms();
	bool found = false;

	if (!p->identifier[0] || !join(p, addrs, sizeof(addrs)))
		return false;
	pthread_mutex_lock(&prepared_lock);
	for (size_t i = 0; i < PREPARED_MAX && !found; i++) {
		struct prepared *e = &prepared[i];

		if (!e->at || strcmp(e->id, p->identifier))
			continue;
		found = now - e->at <= PREPARED_TTL_MS && !strcmp(e->addrs, addrs);
		e->at = 0;
	}
	pthread_mutex_unlock(&prepared_lock);
	return found;
}
