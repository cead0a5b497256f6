/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: config.yaml (wg-portal's keys) through the whole loader, cfg_load_string():
 * ${VAR} substitution, the YAML parser, the schema walk, value conversion and validation, then
 * cfg_release(). Also the duration parser on the raw input. Invariant: a failed load leaves a
 * message (negative durations parse, as in Go, and are refused by the validation); nothing
 * leaks or crashes whatever the bytes (the file is an operator's, but it is
 * also what a migration or a config-management tool writes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct cfg cfg;
	struct err e = { 0 };
	int64_t ms;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&cfg, 0, sizeof(cfg));
	if (cfg_load_string(&cfg, text, "fuzz.yaml", &e) < 0 && !e.msg[0])
		__builtin_trap();
	cfg_release(&cfg);
	(void)cfg_parse_duration(text, &ms); /* Go syntax: "-1s" parses; validation refuses it */
	free(text);
	return 0;
}

#include "fuzz_standalone.h"
