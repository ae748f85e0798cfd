/* fuzz_verify.c - libFuzzer target: arbitrary bytes -> blob verifier -> explain (fuzz_verify_body.c). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = sbx_fuzz_verify(data, size);
	if (why) {
		fprintf(stderr, "sbx fuzz_verify: property violated: %s\n", why);
		abort();
	}
	return 0;
}
