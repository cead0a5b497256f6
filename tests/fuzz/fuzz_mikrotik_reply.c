/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the RouterOS REST reply parsers (src/backends/mikrotik/mt_json.c):
 * every input is fed to each table parser, the error-body parser and the duration/version
 * parsers. Build and run (clang-14 + libclang-rt-14-dev):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu17 -Isrc -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_mikrotik_reply.c src/model/cidr.c src/model/keys.c src/util/err.c \
 *     -ljansson -lsodium -o build/fuzz_mikrotik_reply
 *   build/fuzz_mikrotik_reply -max_total_time=60 -max_len=65536 build/fuzz-corpus tests/data/mikrotik
 *
 * With -DFUZZ_STANDALONE (any compiler) it builds a plain driver that runs each file named on
 * the command line once: `fuzz_mikrotik_reply tests/data/mikrotik/NAME.json ...`.
 */
#include "backends/mikrotik/mt_json.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct err e = { 0 };
	struct mt_resource res;
	struct mt_wg *w, one_wg;
	struct mt_ifstat *st;
	struct mt_addr *a;
	struct mt_peer *p, one;
	size_t n, skipped;
	char out[256], str[512];
	int64_t us;
	struct mt_version v;

	if (mt_parse_resource(s, size, &res, &e) == 0)
		(void)mt_version_ge(&res.ver, 7, 15);
	if (mt_parse_wgs(s, size, &w, &n, &e) == 0)
		mt_wgs_free(w, n);
	if (mt_parse_wg_one(s, size, &one_wg, &e) == 0)
		mt_wg_release(&one_wg);
	if (mt_parse_ifstats(s, size, &st, &n, &e) == 0)
		free(st);
	if (mt_parse_addrs(s, size, &a, &n, &e) == 0)
		free(a);
	if (mt_parse_peers(s, size, &p, &n, &skipped, &e) == 0) {
		for (size_t i = 0; i < n; i++)
			if (p[i].n_aips > MT_MAX_AIPS || (p[i].n_aips && !p[i].aips))
				__builtin_trap();
		mt_peers_free(p, n);
	}
	if (mt_parse_peer_one(s, size, &one, &e) == 0)
		mt_peer_release(&one);
	(void)mt_parse_first_field(s, size, "group", out, sizeof(out), &e);
	mt_parse_error(s, size, out, sizeof(out));
	if (strlen(out) >= sizeof(out))
		__builtin_trap();
	/* the scalar parsers take NUL-terminated strings */
	n = size < sizeof(str) - 1 ? size : sizeof(str) - 1;
	memcpy(str, data, n);
	str[n] = '\0';
	if (mt_parse_duration_us(str, &us) == 0 && us < 0)
		__builtin_trap();
	(void)mt_parse_version(str, &v);
	return 0;
}

#include "fuzz_standalone.h"
