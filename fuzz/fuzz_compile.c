/* fuzz_compile.c - libFuzzer target: policy source -> lexer, parser, sema, emitter (fuzz_compile_body.c). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = sbx_fuzz_compile(data, size);
	if (why) {
		fprintf(stderr, "sbx fuzz_compile: property violated: %s\n", why);
		abort();
	}
	return 0;
}
