/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the Go template engine (src/mail/gotpl*.c), the parser of the
 * templates_path files. Each input is parsed as a text and as an HTML template; whatever
 * parses is executed against a fixed data object shaped like the mail data (so field chains,
 * ranges and functions really run). Invariants: a failed parse sets an error message and leaves
 * the set usable; output never exceeds GOTPL_OUT_MAX; execution ends (depth and range limits).
 * Build and run: `make fuzz && tests/fuzz/run.sh 60 fuzz_gotpl` (seeds: wg-portal's templates
 * in tests/fuzz/seeds/fuzz_gotpl/); by hand with the dictionary of template tokens:
 *   build/fuzz/fuzz_gotpl -max_total_time=60 -dict=tests/fuzz/gotpl.dict build/fuzz-corpus/fuzz_gotpl
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/gotpl.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *fuzz_data(void)
{
	static json_t *d;

	if (!d)
		d = json_pack("{s:{s:s,s:s,s:s,s:b},s:s,s:s,s:s,s:[i,s,{s:i}],s:{s:i,s:n},s:i,s:f}",
			      "User", "Identifier", "alice", "Email", "a@example.com", "Firstname",
			      "<Alice>", "IsAdmin", 1, "PortalUrl", "https://vpn.example.com",
			      "PortalName", "WG & Portal", "ConfigFileName", "a.conf", "L", 1, "x",
			      "k", 2, "M", "a", 1, "b", "N", 3, "F", 1.5);
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int html = 0; html < 2; html++) {
		struct gotpl_set *set = gotpl_set_new(html);
		struct err err = { 0 };
		struct buf out;
		int r;

		if (!set)
			return 0;
		buf_init(&out, GOTPL_OUT_MAX);
		r = gotpl_parse(set, "f", (const char *)data, size, &err);
		if (r < 0 && (err.code == 0 || !err.msg[0]))
			__builtin_trap();
		if (r == 0) {
			err_clear(&err);
			r = gotpl_exec(set, "f", fuzz_data(), &out, &err);
			if (r < 0 && !err.msg[0])
				__builtin_trap();
			if (out.len > GOTPL_OUT_MAX)
				__builtin_trap();
		}
		/* the set stays usable after any parse */
		if (gotpl_parse(set, "ok", "{{.N}}", 6, &err) != 0 || !gotpl_has(set, "ok"))
			__builtin_trap();
		buf_release(&out);
		gotpl_set_free(set);
	}
	return 0;
}

#include "fuzz_standalone.h"
