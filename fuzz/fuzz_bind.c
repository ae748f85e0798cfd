/* fuzz_bind.c - libFuzzer target: hostile parameter values -> sbx_ctx_bind, path binding (fuzz_bind_body.c). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = sbx_fuzz_bind(data, size);
	if (why) {
		fprintf(stderr, "sbx fuzz_bind: property violated: %s\n", why);
		abort();
	}
	return 0;
}
