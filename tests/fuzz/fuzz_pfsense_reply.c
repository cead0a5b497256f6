/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the pfrest v2 reply parsers (src/backends/pfsense/pf_json.c): every
 * input is fed to the envelope parser, the tunnel/peer list and single-object parsers, the v2.9
 * peer status parser and the apply parser, and a NUL-terminated copy to the key masker. The
 * invariants the backend relies on are checked (counts and arrays agree, bounded strings are
 * terminated, masks in range), not only "no crash". Build and run (clang-14 +
 * libclang-rt-14-dev):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu17 -Isrc -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_pfsense_reply.c src/model/cidr.c src/model/keys.c src/util/err.c \
 *     -ljansson -lsodium -o build/fuzz_pfsense_reply
 *   build/fuzz_pfsense_reply -max_total_time=60 -max_len=65536 build/fuzz-corpus-pf
 *
 * With -DFUZZ_STANDALONE (any compiler) it builds a plain driver that runs each file named on
 * the command line once: `fuzz_pfsense_reply reply.json ...`.
 */
#include "backends/pfsense/pf_json.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_prefixes(const struct ip_prefix *v, size_t n)
{
	if (n > PF_MAX_ADDRS || (n && !v))
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((v[i].family == AF_INET && v[i].len > 32) ||
		    (v[i].family == AF_INET6 && v[i].len > 128) ||
		    (v[i].family != AF_INET && v[i].family != AF_INET6))
			__builtin_trap();
}

static void check_tunnel(const struct pf_tunnel *t)
{
	if (memchr(t->name, '\0', sizeof(t->name)) == NULL || t->id < 0 || t->id > PF_ID_MAX)
		__builtin_trap();
	check_prefixes(t->addrs, t->n_addrs);
}

static void check_peer(const struct pf_peer *p)
{
	if (memchr(p->tun, '\0', sizeof(p->tun)) == NULL ||
	    memchr(p->endpoint, '\0', sizeof(p->endpoint)) == NULL || p->id < 0 ||
	    p->id > PF_ID_MAX)
		__builtin_trap();
	check_prefixes(p->aips, p->n_aips);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct err e = { 0 };
	struct pf_envelope env;
	struct pf_tunnel *tv, t1;
	struct pf_peer *pv, p1;
	struct pf_peer_status *st;
	size_t n, skipped;
	bool applied;
	char *copy;

	if (pf_parse_envelope(s, size, &env, &e) == 0 &&
	    (!memchr(env.response_id, '\0', sizeof(env.response_id)) ||
	     !memchr(env.message, '\0', sizeof(env.message))))
		__builtin_trap();
	if (pf_parse_tunnels(s, size, &tv, &n, &e) == 0) {
		if (n > PF_MAX_ROWS || (n && !tv))
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			check_tunnel(&tv[i]);
		pf_tunnels_free(tv, n);
	}
	if (pf_parse_tunnel_one(s, size, &t1, &e) == 0) {
		check_tunnel(&t1);
		pf_tunnel_release(&t1);
	}
	if (pf_parse_peers(s, size, &pv, &n, &skipped, &e) == 0) {
		if (n > PF_MAX_ROWS || (n && !pv))
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			check_peer(&pv[i]);
		pf_peers_free(pv, n);
	}
	if (pf_parse_peer_one(s, size, &p1, &e) == 0) {
		check_peer(&p1);
		pf_peer_release(&p1);
	}
	if (pf_parse_peer_status(s, size, &st, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!memchr(st[i].tunnel, '\0', sizeof(st[i].tunnel)) ||
			    !memchr(st[i].endpoint, '\0', sizeof(st[i].endpoint)))
				__builtin_trap();
		free(st);
	}
	(void)pf_parse_apply(s, size, &applied, &e);
	if (!memchr(e.msg, '\0', sizeof(e.msg)))
		__builtin_trap();
	/* the masker works in place on NUL-terminated text and never grows it */
	copy = malloc(size + 1);
	if (copy) {
		memcpy(copy, data, size);
		copy[size] = '\0';
		n = strlen(copy);
		pf_mask_keys(copy);
		if (strlen(copy) != n)
			__builtin_trap();
		free(copy);
	}
	return 0;
}

#include "fuzz_standalone.h"
