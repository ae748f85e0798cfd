/*
 * fuzz_main.c - the libFuzzer entry of every target: FUZZ_BODY (set per
 * target by fuzz/CMakeLists.txt, e.g. sbx_fuzz_verify) checks one input;
 * a broken property aborts, which libFuzzer reports with the input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = FUZZ_BODY(data, size);
	if (why) {
		fprintf(stderr, "sbx %s: property violated: %s\n", FUZZ_NAME, why);
		abort();
	}
	return 0;
}
