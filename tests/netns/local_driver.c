/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the local backend, run by tests/netns/test_local_backend.sh inside a network
 * namespace. It goes through the registry and the backend_*() wrappers exactly as the daemon
 * does. Commands (keys base64, lists comma-separated):
 *   list
 *   apply-iface NAME PRIV PORT MTU ADDRS UP [TABLE ROUTES [FWMARK]]
 *   peers NAME SPEC...   SPEC = PUB|AIPS|ENDPOINT|KEEPALIVE|PSK  ("-PUB" removes the peer;
 *                        empty fields are absent; PSK "zero" removes a preshared key)
 *   get NAME             prints "iface ..." and one "peer ..." line per peer
 *   delete NAME
 * Exit status 0 on success; the error text on stderr otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/local/local.h"
#include "model/cidr.h"
#include "model/keys.h"
#include "util/err.h"
#include "util/strv.h"

static int parse_prefixes(const char *s, struct ip_prefix **ret, size_t *ret_n)
{
	struct strv sv = STRV_INIT;
	struct ip_prefix *v;
	int r = strv_split(&sv, s, ",");

	if (r < 0)
		return r;
	v = calloc(sv.n + 1, sizeof(*v));
	if (!v) {
		strv_release(&sv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sv.n; i++) {
		r = ip_prefix_parse(sv.v[i], true, &v[i]);
		if (r < 0) {
			fprintf(stderr, "bad prefix '%s'\n", sv.v[i]);
			free(v);
			strv_release(&sv);
			return r;
		}
	}
	*ret = v;
	*ret_n = sv.n;
	strv_release(&sv);
	return 0;
}

/* Splits at '|' keeping empty fields. */
static size_t split_fields(char *s, char *f[], size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *bar = strchr(s, '|');

		f[n++] = s;
		if (!bar)
			break;
		*bar = '\0';
		s = bar + 1;
	}
	return n;
}

static int cmd_peers(struct backend *be, const char *name, int argc, char **argv, struct err *err)
{
	struct dev_peer *peers = calloc((size_t)argc + 1, sizeof(*peers));
	int r = 0;

	if (!peers)
		return -ENOMEM;
	for (int i = 0; i < argc && r == 0; i++) {
		struct dev_peer *p = &peers[i];
		char *f[5] = { 0 };
		size_t nf = split_fields(argv[i], f, 5);
		const char *pub = f[0];

		if (pub[0] == '-') {
			p->flags |= DEV_PEER_REMOVE;
			pub++;
		}
		if (key_from_base64(p->public_key, pub) < 0) {
			r = err_set(err, -EINVAL, "bad public key '%s'", pub);
			break;
		}
		p->flags |= DEV_PEER_REPLACE_ALLOWEDIPS;
		if (nf > 1 && *f[1])
			r = parse_prefixes(f[1], &p->allowed_ips, &p->n_allowed_ips);
		if (nf > 2 && *f[2]) {
			snprintf(p->endpoint, sizeof(p->endpoint), "%s", f[2]);
			p->flags |= DEV_PEER_HAS_ENDPOINT;
		}
		if (nf > 3 && *f[3]) {
			p->persistent_keepalive = (uint16_t)atoi(f[3]);
			p->flags |= DEV_PEER_HAS_KEEPALIVE;
		}
		if (nf > 4 && *f[4]) {
			p->flags |= DEV_PEER_HAS_PSK;
			if (strcmp(f[4], "zero") && key_from_base64(p->preshared_key, f[4]) < 0)
				r = err_set(err, -EINVAL, "bad psk");
		}
	}
	if (r == 0)
		r = backend_apply_peers(be, name, peers, (size_t)argc, err);
	for (int i = 0; i < argc; i++)
		dev_peer_release(&peers[i]);
	free(peers);
	return r;
}

static int cmd_get(struct backend *be, const char *name, struct err *err)
{
	struct dev_iface d = { 0 };
	char pub[WG_KEY_B64_SIZE], s[CIDR_STR_MAX];
	int r = backend_get_iface(be, name, &d, err);

	if (r < 0)
		return r;
	key_to_base64(pub, d.public_key);
	printf("iface name=%s ifindex=%d up=%d mtu=%u port=%u fwmark=%u pub=%s rx=%" PRIu64
	       " tx=%" PRIu64 " peers=%zu addrs=", d.name, d.ifindex, d.up, d.mtu, d.listen_port,
	       d.fwmark, pub, d.rx_bytes, d.tx_bytes, d.n_peers);
	for (size_t i = 0; i < d.n_addresses; i++) {
		ip_prefix_format(&d.addresses[i], s);
		printf("%s%s", i ? "," : "", s);
	}
	printf("\n");
	for (size_t i = 0; i < d.n_peers; i++) {
		const struct dev_peer *p = &d.peers[i];

		key_to_base64(pub, p->public_key);
		printf("peer pub=%s endpoint=%s keepalive=%u psk=%s hs=%" PRId64 " rx=%" PRIu64
		       " tx=%" PRIu64 " aips=", pub, p->endpoint[0] ? p->endpoint : "-",
		       p->persistent_keepalive, (p->flags & DEV_PEER_HAS_PSK) ? "yes" : "no",
		       p->last_handshake_sec, p->rx_bytes, p->tx_bytes);
		for (size_t j = 0; j < p->n_allowed_ips; j++) {
			ip_prefix_format(&p->allowed_ips[j], s);
			printf("%s%s", j ? "," : "", s);
		}
		printf("\n");
	}
	dev_iface_release(&d);
	return 0;
}

static int cmd_apply_iface(struct backend *be, int argc, char **argv, struct err *err)
{
	struct dev_iface w = { 0 };
	int r = 0;

	if (argc < 6)
		return err_set(err, -EINVAL,
			       "apply-iface NAME PRIV PORT MTU ADDRS UP [TABLE ROUTES [FWMARK [PRIO]]]");
	snprintf(w.name, sizeof(w.name), "%s", argv[0]);
	if (*argv[1]) {
		if (key_from_base64(w.private_key, argv[1]) < 0)
			return err_set(err, -EINVAL, "bad private key");
		w.flags |= DEV_IFACE_HAS_PRIVATE_KEY;
	}
	w.listen_port = (uint16_t)atoi(argv[2]);
	w.flags |= DEV_IFACE_HAS_LISTEN_PORT;
	w.mtu = (uint32_t)atoi(argv[3]);
	w.flags |= DEV_IFACE_HAS_MTU;
	r = parse_prefixes(argv[4], &w.addresses, &w.n_addresses);
	w.flags |= DEV_IFACE_HAS_ADDRESSES;
	w.up = atoi(argv[5]) != 0;
	if (r == 0 && argc >= 8) {
		w.table = (uint32_t)strtoul(argv[6], NULL, 10);
		w.flags |= DEV_IFACE_HAS_ROUTES;
		r = parse_prefixes(argv[7], &w.routes, &w.n_routes);
	}
	if (argc >= 9 && *argv[8]) {
		w.fwmark = (uint32_t)strtoul(argv[8], NULL, 10);
		w.flags |= DEV_IFACE_HAS_FWMARK;
	}
	if (argc >= 10)
		w.rule_prio_offset = (uint32_t)strtoul(argv[9], NULL, 10);
	if (r == 0)
		r = backend_apply_iface(be, &w, err);
	dev_iface_release(&w);
	return r;
}

/* routes add|del|flush NAME TABLE ROUTES [FWMARK [IFINDEX [RULE_PRIO]]]: route-only applies. */
static int cmd_routes(struct backend *be, int argc, char **argv, struct err *err)
{
	struct dev_iface w = { 0 };
	int r;

	if (argc < 4)
		return err_set(err, -EINVAL,
			       "routes add|del|flush NAME TABLE ROUTES [FWMARK [IFINDEX [PRIO]]]");
	if (!strcmp(argv[0], "add"))
		w.flags = DEV_IFACE_ROUTES_ADD;
	else if (!strcmp(argv[0], "del"))
		w.flags = DEV_IFACE_ROUTES_DEL;
	else if (!strcmp(argv[0], "flush"))
		w.flags = DEV_IFACE_ROUTES_FLUSH;
	else
		return err_set(err, -EINVAL, "routes: add, del or flush");
	w.flags |= DEV_IFACE_HAS_ROUTES;
	snprintf(w.name, sizeof(w.name), "%s", argv[1]);
	w.table = (uint32_t)strtoul(argv[2], NULL, 10);
	w.up = true;
	r = parse_prefixes(argv[3], &w.routes, &w.n_routes);
	if (argc >= 5 && *argv[4]) {
		w.fwmark = (uint32_t)strtoul(argv[4], NULL, 10);
		w.flags |= DEV_IFACE_HAS_FWMARK;
	}
	if (argc >= 6)
		w.ifindex = atoi(argv[5]);
	if (argc >= 7)
		w.rule_prio_offset = (uint32_t)strtoul(argv[6], NULL, 10);
	if (r == 0)
		r = backend_apply_iface(be, &w, err);
	dev_iface_release(&w);
	return r;
}

int main(int argc, char **argv)
{
	struct err err = { 0 };
	struct backend *be;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: local_driver CMD ...\n");
		return 2;
	}
	r = backend_register(&backend_local, "local", "Local", NULL, &err);
	if (r < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		return 1;
	}
	be = backend_find("local");
	if (!strcmp(argv[1], "list")) {
		struct strv sv = STRV_INIT;

		r = backend_list_ifaces(be, &sv, &err);
		for (size_t i = 0; r == 0 && i < sv.n; i++)
			printf("%s\n", sv.v[i]);
		strv_release(&sv);
	} else if (!strcmp(argv[1], "impl")) {
		printf("%s caps=%#x\n", be->implementation, be->caps);
	} else if (!strcmp(argv[1], "apply-iface")) {
		r = cmd_apply_iface(be, argc - 2, argv + 2, &err);
	} else if (!strcmp(argv[1], "peers") && argc >= 3) {
		r = cmd_peers(be, argv[2], argc - 3, argv + 3, &err);
	} else if (!strcmp(argv[1], "get") && argc >= 3) {
		r = cmd_get(be, argv[2], &err);
	} else if (!strcmp(argv[1], "routes")) {
		r = cmd_routes(be, argc - 2, argv + 2, &err);
	} else if (!strcmp(argv[1], "delete") && argc >= 3) {
		r = backend_delete_iface(be, argv[2], &err);
	} else {
		fprintf(stderr, "unknown command '%s'\n", argv[1]);
		r = -EINVAL;
	}
	backends_shutdown();
	if (r < 0) {
		fprintf(stderr, "%s: %s (%s)\n", argv[1], err.msg[0] ? err.msg : "error",
			strerror(-r));
		return 1;
	}
	return 0;
}
