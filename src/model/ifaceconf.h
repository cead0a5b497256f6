/* SPDX-License-Identifier: MIT */
#ifndef MODEL_IFACECONF_H
#define MODEL_IFACECONF_H
/*
 * The interface's own wg-quick file (spec/wg-portal-compat.md 4.7): [Interface] with its keys,
 * addresses and settings, then one [Peer] per enabled peer. Like peerconf, built only from
 * values without CR/LF (-EINVAL naming the field otherwise) and without empty value lines.
 */
#include <stddef.h>

#include "model/iface.h"
#include "model/peer.h"

struct err;

/* Heap text in *ret (it holds the private key: wipe it). peers: the interface's peers in the
 * order they should appear (disabled ones are skipped). */
int ifaceconf_render(const struct iface *ifc, struct peer *const *peers, size_t n, char **ret,
		     struct err *err);

#endif
