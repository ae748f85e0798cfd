/*
 * fuzz_payload_body.c - hostile payloads -> lx_payload_parse, the decoder
 * sbx-init runs on what its launcher wrote to a memfd (runtime/linux_payload.c).
 *
 * Random bytes rarely get past the payload's header, so the input edits a
 * valid payload built here from a fixed policy and plan.  Its first byte
 * picks how:
 *   0  edits: records of a u32 offset (taken modulo the length) and a byte
 *      to XOR there
 *   1  cut: a u32 offset, then the payload cut there and the rest of the
 *      input appended
 *   2  raw: the rest of the input is the whole payload
 * No input (or mode 0 without edits) is the valid payload itself, which
 * must be accepted.  Properties: a refusal says why; an accepted payload
 * names a command and an absolute working directory, binds as many paths
 * as its blob has, binds every writable root of its plan, keeps its id
 * maps terminated, reports on LX_INIT_REPORT_FD, and every string it hands
 * out lies inside the buffer, NUL-terminated there.
 */
#include "fuzz_targets.h"

#include <stdlib.h>
#include <string.h>

#include "../runtime/linux.h"

static const char payload_policy[] =
	"sbxpol 1;\n"
	"policy fuzz {\n"
	"    param WORKSPACE, TMPDIR;\n"
	"    readonly \"/\";\n"
	"    writable \"${WORKSPACE}\", \"${TMPDIR}\";\n"
	"    readonly \"${WORKSPACE}/.git\";\n"
	"    private \"/tmp\";\n"
	"    limit memory 1 GiB;\n"
	"}\n";

/* The valid payload of a spawn under payload_policy (malloc'd), or NULL. */
static uint8_t *base_payload(size_t *len)
{
	size_t blen = 0;
	uint8_t *blob = sbx_fuzz_linux_blob(payload_policy, &blen), *out = NULL;
	struct sbx_view v;
	if (!blob || sbx_blob_verify(blob, blen, &v, NULL, 0) != SBX_OK) {
		free(blob);
		return NULL;
	}
	static const char *const argv[] = { "/bin/sh", "-c", "true", NULL };
	static char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };
	char **paths = calloc(v.npaths + 1, sizeof *paths);
	struct rt_paths bound = { .path = paths, .npaths = v.npaths, .tmpdir = "/fuzz/tmp" };
	struct rt_env env = { .envp = envp, .path = envp[0] + 5 };
	struct rt_spawn s = { .v = &v, .paths = &bound, .env = &env, .argv = argv, .cwd = "/fuzz/ws",
	                      .stdio = { -1, -1, -1 }, .log_fd = -1 };
	struct lx_plan P;
	memset(&P, 0, sizeof P);
	P.s = &s;
	memcpy(P.uid_map, "1000 1000 1\n", sizeof "1000 1000 1\n");
	memcpy(P.gid_map, "1000 1000 1\n", sizeof "1000 1000 1\n");
	for (size_t i = 0; paths && i < v.npaths; i++)
		paths[i] = "/fuzz/ws";
	for (size_t i = 0; paths && i < v.nrules && P.nroots < LX_MAX_MOUNTS; i++)
		if (v.rules[i].kind == SBX_FS_WRITABLE)
			P.roots[P.nroots++] = v.rules[i].path;
	if (!paths || lx_payload_build(&P, &out, len) != 0)
		out = NULL;
	free(paths);
	free(blob);
	return out;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The payload the input describes (malloc'd, 8-byte aligned), or NULL. */
static uint8_t *mutate(const uint8_t *base, size_t blen, const uint8_t *data, size_t size,
                       size_t *len)
{
	int mode = size ? data[0] % 3 : 0;
	const uint8_t *in = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0, cut = blen;
	if (mode == 1 && n >= 4) {
		cut = get_u32(in) % (blen + 1);
		in += 4;
		n -= 4;
	}
	*len = mode == 0 ? blen : mode == 1 ? cut + n : n;
	uint8_t *out = malloc(*len ? *len : 1);
	if (!out)
		return NULL;
	if (mode == 2)
		memcpy(out, in, n);
	else
		memcpy(out, base, mode == 0 ? blen : cut);
	if (mode == 1)
		memcpy(out + cut, in, n);
	for (size_t k = 0; mode == 0 && blen && k + 5 <= n; k += 5)
		out[get_u32(in + k) % blen] ^= in[k + 4];
	return out;
}

static int inside(const uint8_t *buf, size_t len, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	return !s || (p >= buf && p < buf + len && memchr(p, 0, (size_t)(buf + len - p)));
}

static const char *check_strings(const uint8_t *buf, size_t len, const struct lx_init *I)
{
	for (size_t i = 0; i < I->paths.npaths; i++)
		if (!inside(buf, len, I->paths.path[i]))
			return "a bound path points outside the payload";
	for (size_t i = 0; I->argv[i]; i++)
		if (!inside(buf, len, I->argv[i]))
			return "an argument points outside the payload";
	for (size_t i = 0; I->env.envp[i]; i++)
		if (!inside(buf, len, I->env.envp[i]))
			return "an environment entry points outside the payload";
	if (!inside(buf, len, I->env.path) || !inside(buf, len, I->s.cwd))
		return "PATH or the working directory points outside the payload";
	return NULL;
}

static const char *check_accepted(const uint8_t *buf, size_t len, const struct lx_init *I)
{
	const struct lx_plan *P = &I->P;
	if (!I->argv || !I->argv[0] || !I->argv[0][0] || !I->s.cwd || I->s.cwd[0] != '/')
		return "accepted without a command or an absolute working directory";
	if (I->paths.npaths != I->v.npaths || !I->env.envp)
		return "accepted with paths that do not match the blob";
	if (P->nroots > LX_MAX_MOUNTS || P->nrlim > LX_MAX_RLIMITS || P->s != &I->s)
		return "accepted with a plan out of bounds";
	for (size_t i = 0; i < P->nroots; i++)
		if (P->roots[i] >= I->paths.npaths || !I->paths.path[P->roots[i]])
			return "accepted with a writable root that is not bound";
	if (!memchr(P->uid_map, 0, sizeof P->uid_map) || !memchr(P->gid_map, 0, sizeof P->gid_map))
		return "accepted with an unterminated id map";
	if (P->report_fd != LX_INIT_REPORT_FD || P->batch)
		return "accepted with another report channel";
	return check_strings(buf, len, I);
}

const char *sbx_fuzz_payload(const uint8_t *data, size_t size)
{
	size_t blen = 0, len = 0;
	uint8_t *base = base_payload(&blen);
	if (!base)
		return "the valid payload cannot be built";
	uint8_t *buf = mutate(base, blen, data, size, &len);
	const char *why = NULL, *bad = NULL;
	struct lx_init I;
	if (buf && lx_payload_parse(buf, len, &I, &why) == 0)
		bad = check_accepted(buf, len, &I);
	else if (buf && !why)
		bad = "refused without a reason";
	if (buf && !bad && (size == 0 || (data[0] % 3 == 0 && size < 6)) && why)
		bad = "the valid payload was refused";
	if (buf)
		lx_payload_release(&I);
	free(buf);
	free(base);
	return bad;
}
