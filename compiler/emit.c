/*
 * emit.c - sbx_emit: lower the IR for the compile targets and write the
 * blob.  The same IR and targets always give the same bytes: every table
 * is filled in IR order and the pools intern strings in first-use order.
 */
#include <stdlib.h>

#include "compiler.h"
#include "lower.h"
#include "sbx/sbxrt.h"

static const struct sbx_loc no_loc;

static uint64_t header_flags(const struct sbx_ir_policy *p, uint32_t targets)
{
	uint64_t f = 0;
	if (p->best_effort)
		f |= SBX_BLOB_F_BEST_EFFORT;
	if (targets & SBX_TARGET_LINUX)
		f |= SBX_BLOB_F_LINUX;
	if ((targets & SBX_TARGET_LINUX) && !p->userns_allowed)
		f |= SBX_BLOB_F_NO_USERNS;
	if (targets & SBX_TARGET_WINDOWS)
		f |= SBX_BLOB_F_WINDOWS;
	return f;
}

static int lower_all(struct sbx_lower *L)
{
	if (sbx_lower_common(L) != 0)
		return -1;
	if ((L->targets & SBX_TARGET_LINUX) && sbx_lower_linux(L) != 0)
		return -1;
	if ((L->targets & SBX_TARGET_WINDOWS) && sbx_lower_windows(L) != 0)
		return -1;
	return 0;
}

static int finish(struct sbx_compiler *c, struct sbx_bw *w, uint64_t flags,
                  uint8_t **out, size_t *outlen)
{
	int rc = sbx_bw_finish(w, flags, out, outlen);
	if (rc == -2)
		sbx_error(&c->diags, no_loc, "the policy is too large: its blob would exceed %u bytes",
		          SBX_BLOB_MAX_SIZE);
	else if (rc != 0)
		sbx_error(&c->diags, no_loc, "out of memory while writing the policy blob");
	return rc == 0 ? 0 : -1;
}

/*
 * The compiler checks its own output with the runtime's verifier: a blob the
 * runtime would refuse is a compiler bug, and it must never reach a file.
 */
static int self_check(struct sbx_compiler *c, uint8_t **out, size_t *outlen)
{
	struct sbx_view v;
	char where[160] = "";
	int rc = sbx_blob_verify(*out, *outlen, &v, where, sizeof where);
	if (rc == SBX_OK)
		return 0;
	sbx_error(&c->diags, no_loc, "internal error: the emitted blob fails verification (%s: %s); "
	          "please report this policy", sbx_strerror(rc), where);
	free(*out);
	*out = NULL;
	*outlen = 0;
	return -1;
}

int sbx_emit(struct sbx_compiler *c, const struct sbx_ir_policy *p,
             uint8_t **out, size_t *outlen)
{
	struct sbx_bw w;
	struct sbx_lower L = { .diags = &c->diags, .ir = p, .targets = c->targets & SBX_TARGET_ALL,
	                       .w = &w };
	*out = NULL;
	*outlen = 0;
	if (!L.targets) {
		sbx_error(&c->diags, no_loc, "no compile target: choose linux, windows or both");
		return -1;
	}
	sbx_bw_init(&w);
	int rc = lower_all(&L);
	if (rc == 0)
		rc = finish(c, &w, header_flags(p, L.targets), out, outlen);
	if (rc == 0)
		rc = self_check(c, out, outlen);
	sbx_lower_free(&L);
	sbx_bw_free(&w);
	return rc;
}
