/* SPDX-License-Identifier: MIT */
/*
 * Included last by every libFuzzer target: with -DFUZZ_STANDALONE (any compiler, no libFuzzer)
 * the target gets a main() that feeds each file named on the command line to
 * LLVMFuzzerTestOneInput once, to replay a crash or a corpus: `fuzz_x crash-123 corpus/FILE`.
 */
#ifdef FUZZ_STANDALONE
#include <stdio.h>

int main(int argc, char **argv)
{
	int ran = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		static uint8_t buf[16 * 1024 * 1024];
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
