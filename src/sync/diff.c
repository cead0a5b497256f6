/* SPDX-License-Identifier: MIT */
/*
 * The differ: the one place that decides what changed, field by field. Backends receive its
 * verdict (dev_iface HAS_* bits, dev_peer.changes) and only translate it into device calls.
 *
 * Three kinds of fields (issue 11, "import is read-only"):
 *   - fields the device reports (keys it shows, ports, MTU, addresses, link state, allowed IPs,
 *     disabled, and the endpoint and keepalive when the peer's mode manages them) are compared
 *     with what the device has: a difference is a change;
 *   - fields the device cannot report (pfSense preshared and private keys, keys hidden from a
 *     RouterOS user without 'sensitive') are never compared, so nothing imported is written
 *     back; they are written when a peer or interface is created and when a user changes them;
 *   - labels (a peer's name, an interface's comment) follow user actions only: written on
 *     create and when the stored value changed, never "corrected" from the device, whose label
 *     is where an imported one came from.
 * A request's change is diffed against the stored state before it (sync_diff_peer_change), a
 * full sync against the device (sync_diff_iface, sync_plan_peers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/endpoint.h"
#include "sync/sync-int.h"
#include "util/log.h"

static int cmp_peer_key(const void *a, const void *b)
{
	return memcmp(((const struct dev_peer *)a)->public_key,
		      ((const struct dev_peer *)b)->public_key, WG_KEY_LEN);
}

/* Host bits masked, sorted: devices store "10.0.0.5/24" as they like. */
static void prefixes_norm(struct ip_prefix *v, size_t n)
{
	if (!n)
		return; /* v may be NULL: qsort() must not see it */
	for (size_t i = 0; i < n; i++) {
		struct ip_prefix p = v[i];
		ip_prefix_network(&p, &v[i]);
	}
	qsort(v, n, sizeof(*v), ip_prefix_cmp);
}

static bool sorted_equal(const struct ip_prefix *a, size_t na, const struct ip_prefix *b,
			 size_t nb)
{
	return na == nb && (!na || !memcmp(a, b, na * sizeof(*a)));
}

static bool str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* ---- interfaces ------------------------------------------------------------------------------ */

/* The private key matches what the device has, as far as it tells: its private key, else the
 * public key derived from ours; true when the device shows neither (not comparable). */
static bool key_matches(const struct dev_iface *want, const struct dev_iface *have)
{
	uint8_t pub[WG_KEY_LEN];

	if (have->flags & DEV_IFACE_HAS_PRIVATE_KEY)
		return !memcmp(want->private_key, have->private_key, WG_KEY_LEN);
	if (key_is_zero(have->public_key))
		return true;
	return key_public_from_private(pub, want->private_key) == 0 &&
	       !memcmp(pub, have->public_key, WG_KEY_LEN);
}

void sync_diff_iface(struct dev_iface *want, struct dev_iface *have,
		     const struct dev_iface *before)
{
	unsigned keep = DEV_IFACE_HAS_ROUTES | DEV_IFACE_HAS_FWMARK;

	if ((want->flags & DEV_IFACE_HAS_PRIVATE_KEY) && !key_matches(want, have))
		keep |= DEV_IFACE_HAS_PRIVATE_KEY;
	if ((want->flags & DEV_IFACE_HAS_LISTEN_PORT) && want->listen_port &&
	    want->listen_port != have->listen_port)
		keep |= DEV_IFACE_HAS_LISTEN_PORT;
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu != have->mtu)
		keep |= DEV_IFACE_HAS_MTU;
	if (want->flags & DEV_IFACE_HAS_ADDRESSES) {
		struct ip_prefix *a = want->addresses, *b = have->addresses;
		size_t na = want->n_addresses, nb = have->n_addresses;
		if (na)
			qsort(a, na, sizeof(*a), ip_prefix_cmp);
		if (nb)
			qsort(b, nb, sizeof(*b), ip_prefix_cmp);
		if (!sorted_equal(a, na, b, nb))
			keep |= DEV_IFACE_HAS_ADDRESSES;
	}
	/* routes are not observable and fwmark goes with them (the local backend's policy rule
	 * needs it): both stay for the caller to decide */
	want->flags &= keep;
	/* the store always decides the link state; the differ says whether to write it */
	if (want->up != have->up)
		want->flags |= DEV_IFACE_HAS_LINK;
	/* a label: only when a user changed it */
	if (before && str_differs(before->comment, want->comment))
		want->flags |= DEV_IFACE_HAS_COMMENT;
}

bool sync_iface_changes(const struct dev_iface *want)
{
	return want->flags & ~(unsigned)(DEV_IFACE_HAS_ROUTES | DEV_IFACE_HAS_FWMARK);
}

/* ---- peers ------------------------------------------------------------------------------------ */

/* Fields in both (want manages it, have reports it) that differ; allowed IPs of want must be
 * normalised, have's are normalised here. */
unsigned sync_diff_peer(const struct dev_peer *want, struct dev_peer *have)
{
	unsigned ch = 0;

	if ((want->flags & DEV_PEER_HAS_PSK) && (have->flags & DEV_PEER_HAS_PSK) &&
	    memcmp(want->preshared_key, have->preshared_key, WG_KEY_LEN))
		ch |= DEV_PEER_CH_PSK;
	if ((want->flags & DEV_PEER_HAS_KEEPALIVE) && (have->flags & DEV_PEER_HAS_KEEPALIVE) &&
	    want->persistent_keepalive != have->persistent_keepalive)
		ch |= DEV_PEER_CH_KEEPALIVE;
	if ((want->flags & DEV_PEER_HAS_ENDPOINT) && (have->flags & DEV_PEER_HAS_ENDPOINT) &&
	    !endpoint_str_equal(want->endpoint, have->endpoint))
		ch |= DEV_PEER_CH_ENDPOINT;
	if ((want->flags & DEV_PEER_DISABLED) != (have->flags & DEV_PEER_DISABLED))
		ch |= DEV_PEER_CH_DISABLED;
	prefixes_norm(have->allowed_ips, have->n_allowed_ips);
	if (!sorted_equal(want->allowed_ips, want->n_allowed_ips, have->allowed_ips,
			  have->n_allowed_ips))
		ch |= DEV_PEER_CH_ALLOWEDIPS;
	return ch;
}

unsigned sync_diff_peer_change(const struct dev_peer *before, struct dev_peer *after)
{
	struct dev_peer b = *before;    /* shallow; its allowed IPs are normalised in place */
	unsigned ch;

	prefixes_norm(after->allowed_ips, after->n_allowed_ips);
	b.flags |= after->flags & (DEV_PEER_HAS_PSK | DEV_PEER_HAS_KEEPALIVE |
				   DEV_PEER_HAS_ENDPOINT);
	ch = sync_diff_peer(after, &b);
	/* what the mode manages can change too (a peer turned into one we dial) */
	if ((after->flags ^ before->flags) & DEV_PEER_HAS_ENDPOINT)
		ch |= DEV_PEER_CH_ENDPOINT;
	if ((after->flags ^ before->flags) & DEV_PEER_HAS_KEEPALIVE)
		ch |= DEV_PEER_CH_KEEPALIVE;
	if ((after->flags & DEV_PEER_HAS_PSK) && !(before->flags & DEV_PEER_HAS_PSK))
		ch |= DEV_PEER_CH_PSK;
	if (str_differs(before->name, after->name))
		ch |= DEV_PEER_CH_NAME;
	return ch;
}

unsigned sync_diff_peer_elsewhere(struct dev_peer *want, struct dev_peer *have)
{
	unsigned ch;

	prefixes_norm(want->allowed_ips, want->n_allowed_ips);
	ch = sync_diff_peer(want, have);
	/* the change was a user's: their label goes to the device */
	if (str_differs(want->name, have->name))
		ch |= DEV_PEER_CH_NAME;
	/* a key the device hides is written when the store knows one (set by a user or made by
	 * wgportal); an empty one stored for a hidden key is unknown, not "none" */
	if ((want->flags & DEV_PEER_HAS_PSK) && !(have->flags & DEV_PEER_HAS_PSK) &&
	    !key_is_zero(want->preshared_key))
		ch |= DEV_PEER_CH_PSK;
	return ch;
}

int sync_plan_peers(struct dev_iface *want, struct dev_iface *have, struct dev_peer **ret,
		    size_t *ret_n)
{
	struct dev_peer *plan = calloc(want->n_peers + have->n_peers + 1, sizeof(*plan));
	size_t n = 0;

	if (!plan)
		return -ENOMEM;
	for (size_t i = 0; i < want->n_peers; i++)
		prefixes_norm(want->peers[i].allowed_ips, want->peers[i].n_allowed_ips);
	if (have->n_peers)
		qsort(have->peers, have->n_peers, sizeof(*have->peers), cmp_peer_key);
	for (size_t i = 0; i < want->n_peers; i++) {
		struct dev_peer *w = &want->peers[i];
		struct dev_peer *h = !have->n_peers ? NULL :
			bsearch(w, have->peers, have->n_peers, sizeof(*have->peers), cmp_peer_key);
		if (h && (h->flags & DEV_PEER_READONLY))
			continue;
		w->changes = h ? sync_diff_peer(w, h) : DEV_PEER_CH_ALL;
		if (w->changes)
			plan[n++] = *w; /* shallow: want owns the memory */
	}
	if (want->n_peers)
		qsort(want->peers, want->n_peers, sizeof(*want->peers), cmp_peer_key);
	for (size_t i = 0; i < have->n_peers; i++) {
		if (have->peers[i].flags & DEV_PEER_READONLY)
			continue;
		if (!want->n_peers || !bsearch(&have->peers[i], want->peers, want->n_peers,
					       sizeof(*want->peers), cmp_peer_key)) {
			memcpy(plan[n].public_key, have->peers[i].public_key, WG_KEY_LEN);
			plan[n].flags = DEV_PEER_REMOVE;
			n++;
		}
	}
	*ret = plan;
	*ret_n = n;
	return 0;
}
