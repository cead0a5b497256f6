/* SPDX-License-Identifier: MIT */
/*
 * The plain driver of every fuzz target: with -DFUZZ_STANDALONE (any compiler, no libFuzzer)
 * a target includes this after its LLVMFuzzerTestOneInput and runs each file named on the
 * command line through it once (regression runs of a corpus, crash reproduction).
 */
#ifdef FUZZ_STANDALONE
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	static uint8_t buf[16 * 1024 * 1024];
	int ran = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t len;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		ran++;
	}
	printf("ran %d inputs\n", ran);
	return 0;
}
#endif
