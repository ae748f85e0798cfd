/*
 * Compile throughput: a generated policy of 10,000 rules, compiled end to
 * end (parse, sema, lower, write) for both targets.  Prints the median of
 * several runs.  The rules are the shapes that make nesting work: Linux
 * writable roots with read-only carve-outs, carve-outs in a parameter root,
 * denied paths under another parameter (each "maybe" inside every writable
 * root of another parameter), all under a readonly "/".  Windows allows 16
 * writable roots, so the many roots are Linux paths.
 */
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "compiler.h"
#include "sbx/sbxrt.h"

#define RULES 10000
#define RUNS 15
#define HEADER_RULES 8   /* "/", ${WORKSPACE} and 6 ${HOME} caches */

/* Appends to a growing buffer; the benchmark has no use for failure paths. */
static char *gen_policy(size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	fputs("sbxpol 1;\npolicy big {\n    param WORKSPACE, HOME;\n    readonly \"/\";\n"
	      "    writable \"${WORKSPACE}\";\n", f);
	for (int i = 0; i < HEADER_RULES - 2; i++)
		fprintf(f, "    writable \"${HOME}/.cache%d\";\n", i);
	for (int i = 0; i < RULES - HEADER_RULES; i++) {
		switch (i % 4) {
		case 0: fprintf(f, "    writable \"/srv/pkg%d\";\n", i); break;
		case 1: fprintf(f, "    readonly \"/srv/pkg%d/.git\";\n", i - 1); break;
		case 2: fprintf(f, "    readonly \"${WORKSPACE}/mod%d/.git\";\n", i); break;
		default: fprintf(f, "    denied \"${HOME}/secret%d\";\n", i); break;
		}
	}
	fputs("    network offline;\n    limit memory 1 GiB;\n}\n", f);
	fclose(f);
	*len = size;
	return buf;
}

/* The blob must also be one the runtime accepts, or the timing means nothing. */
static int blob_ok(const uint8_t *blob, size_t len)
{
	struct sbx_view v;
	char where[256] = "";
	int rc = sbx_blob_verify(blob, len, &v, where, sizeof where);
	if (rc != SBX_OK)
		fprintf(stderr, "bench_compile: the blob does not verify: %s (%s)\n", sbx_strerror(rc), where);
	return rc == SBX_OK;
}

/* One compile; `verify` checks the blob (outside the timed runs). */
static int compile_once(const char *text, size_t len, size_t *blob_len, int verify)
{
	struct sbx_compiler c;
	struct sbx_ir_policy p;
	uint8_t *blob = NULL;
	int rc = -1;
	sbx_compiler_init(&c);
	struct sbx_ast_file *f = sbx_load_text(&c, "big.sbxpol", text, len);
	if (f && !c.diags.nerrors && sbx_sema(&c, f, NULL, &p) == 0) {
		rc = sbx_emit(&c, &p, &blob, blob_len);
		if (rc == 0 && verify && !blob_ok(blob, *blob_len))
			rc = -1;
		sbx_ir_policy_free(&p);
	}
	if (rc < 0)
		sbx_diags_render(&c.diags, stderr);
	free(blob);
	sbx_compiler_free(&c);
	return rc;
}

int main(void)
{
	size_t len, blob_len = 0;
	char *text = gen_policy(&len);
	uint64_t t[RUNS];
	for (int i = -1; i < RUNS; i++) {   /* run -1: untimed, verifies the blob */
		uint64_t t0 = now_ns();
		if (compile_once(text, len, &blob_len, i < 0) < 0) {
			fprintf(stderr, "bench_compile: the generated policy does not compile\n");
			free(text);
			return 1;
		}
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	uint64_t med = median(t, RUNS);
	double s = (double)med / 1e9;
	printf("%-34s %10.2f ms   (aim: < 50 ms)\n", "compile 10,000 rules (median)", s * 1e3);
	printf("%-34s %10.0f rules/s\n", "  throughput", RULES / s);
	printf("%-34s %10.2f MB/s   (%zu bytes of source)\n", "  source throughput", (double)len / s / 1e6, len);
	printf("%-34s %10zu bytes   (verified)\n", "  blob size", blob_len);
	free(text);
	return 0;
}
