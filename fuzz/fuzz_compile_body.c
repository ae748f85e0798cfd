/*
 * fuzz_compile_body.c - policy source -> lexer, parser, sema, emitter.
 *
 * Properties checked on every input:
 *   - a failure comes with at least one error, a success with none;
 *   - every blob the compiler emits passes sbx_blob_verify, and explains
 *     (text and well-formed JSON);
 *   - compiling the same input again gives the same bytes and the same
 *     diagnostics (no uninitialized padding, no address-dependent order).
 * The input is named as a file in policies/ so that the seeds' relative
 * imports ("common.sbxpol") resolve.
 */
#include "fuzz_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "explain.h"
#include "sbx/sbxrt.h"

#ifndef SBX_SOURCE_DIR
#error "SBX_SOURCE_DIR must name the source tree"
#endif
#define FUZZ_SOURCE_NAME SBX_SOURCE_DIR "/policies/fuzz-input.sbxpol"

struct compiled {
	int rc;            /* 0: a blob was emitted */
	size_t nerrors;
	uint8_t *blob;
	size_t len;
	char *diags;       /* rendered diagnostics */
	size_t diags_len;
};

static void compiled_free(struct compiled *r)
{
	free(r->blob);
	free(r->diags);
	memset(r, 0, sizeof *r);
}

static void render(const struct sbx_compiler *c, struct compiled *r)
{
	FILE *f = open_memstream(&r->diags, &r->diags_len);
	if (f) {
		sbx_diags_render(&c->diags, f);
		fclose(f);
	}
}

/* One full compile of the first policy, plus `sbxc check` over all of them. */
static void compile(const uint8_t *data, size_t size, uint32_t targets, int define,
                    struct compiled *r)
{
	struct sbx_compiler c;
	struct sbx_ir_policy p;
	memset(r, 0, sizeof *r);
	r->rc = -1;
	sbx_compiler_init(&c);
	c.targets = targets;
	if (define)   /* sbxc -D: a compile-time binding, or a warning when unused */
		sbx_compiler_define(&c, "WORKSPACE=/fuzz/workspace");
	struct sbx_ast_file *f = sbx_load_text(&c, FUZZ_SOURCE_NAME, (const char *)data, size);
	if (f && c.diags.nerrors == 0 && sbx_sema(&c, f, NULL, &p) == 0) {
		r->rc = sbx_emit(&c, &p, &r->blob, &r->len);
		sbx_ir_policy_free(&p);
	}
	r->nerrors = c.diags.nerrors;
	if (f && r->rc == 0)
		sbx_check_all(&c, f);   /* for coverage; its own errors are fine */
	render(&c, r);
	sbx_compiler_free(&c);
}

/* Explains a verified blob; 1 when the JSON is well-formed. */
static int explains(const uint8_t *blob, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	char err[256];
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return 1;   /* out of memory is not a finding */
	int text_rc = sbx_explain(blob, len, f, 0, err, sizeof err);
	fflush(f);
	size_t json_at = n;
	int json_rc = sbx_explain(blob, len, f, 1, err, sizeof err);
	fclose(f);
	int ok = text_rc == 0 && json_rc == 0 && sbx_fuzz_json_valid(buf + json_at, n - json_at);
	free(buf);
	return ok;
}

static const char *check_one(const struct compiled *r)
{
	struct sbx_view v;
	char where[256];
	if (r->rc != 0 && r->nerrors == 0)
		return "the compiler failed without reporting an error";
	if (r->rc == 0 && r->nerrors != 0)
		return "the compiler emitted a blob despite errors";
	if (r->rc != 0)
		return NULL;
	if (sbx_blob_verify(r->blob, r->len, &v, where, sizeof where) != SBX_OK) {
		fprintf(stderr, "verifier: %s\n", where);
		return "an emitted blob does not verify";
	}
	if (!explains(r->blob, r->len))
		return "explain failed on an emitted blob or wrote malformed JSON";
	return NULL;
}

static const char *same(const struct compiled *a, const struct compiled *b)
{
	if (a->rc != b->rc || a->nerrors != b->nerrors)
		return "a second compile of the same input had a different outcome";
	if (a->len != b->len || (a->len && memcmp(a->blob, b->blob, a->len) != 0))
		return "a second compile of the same input gave different bytes";
	if (a->diags_len != b->diags_len ||
	    (a->diags_len && memcmp(a->diags, b->diags, a->diags_len) != 0))
		return "a second compile of the same input gave different diagnostics";
	return NULL;
}

const char *sbx_fuzz_compile(const uint8_t *data, size_t size)
{
	/* The target set and -D follow the input's size, so each input has one outcome. */
	static const uint32_t targets[] = { SBX_TARGET_ALL, SBX_TARGET_LINUX, SBX_TARGET_WINDOWS };
	uint32_t t = targets[size % 3];
	int define = (size / 3) % 2;
	struct compiled a, b;
	compile(data, size, t, define, &a);
	const char *why = check_one(&a);
	if (!why) {
		compile(data, size, t, define, &b);
		why = same(&a, &b);
		compiled_free(&b);
	}
	compiled_free(&a);
	return why;
}
