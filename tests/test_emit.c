/*
 * test_emit.c - hand-built IRs through sbx_emit, read back with minimal
 * reads of our own (and checked by the runtime verifier as well).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sbx/sbxrt.h"
#include "support.h"

#define NONE SBX_NONE
#define LX SBX_PLAT_LINUX
#define WIN SBX_PLAT_WINDOWS
#define BOTH (SBX_PLAT_LINUX | SBX_PLAT_WINDOWS)
#define RULE(param, suffix, plat, kind) { { (param), (char *)(suffix), (plat) }, (kind), 0, { 0 } }
#define MASK_WRITABLE 0x1301FFu
#define MASK_NO_WRITE 0x000D0156u
#define MASK_DENIED   (MASK_NO_WRITE | 0x29u)

enum { P_HOME, P_TMPDIR, P_WORKSPACE };
static struct sbx_ir_param params3[] = {
	{ (char *)"HOME", SBX_PARAM_F_BUILTIN },
	{ (char *)"TMPDIR", SBX_PARAM_F_BUILTIN },
	{ (char *)"WORKSPACE", SBX_PARAM_F_BUILTIN },
};

/* The policy of docs/language.md's first example. */
static struct sbx_ir_rule docs_rules[] = {
	RULE(NONE, "/", LX, SBX_FS_READONLY),
	RULE(P_HOME, "/.ssh", BOTH, SBX_FS_DENIED),
	RULE(P_TMPDIR, "", BOTH, SBX_FS_WRITABLE),
	RULE(P_WORKSPACE, "", BOTH, SBX_FS_WRITABLE),
	RULE(P_WORKSPACE, "/.git", BOTH, SBX_FS_READONLY),
};

static struct sbx_ir_env docs_env[] = {
	{ SBX_ENV_DROP, (char *)"*_TOKEN", NULL, SBX_ENV_F_DEFAULT },
	{ SBX_ENV_SET, (char *)"CI", (char *)"1", SBX_ENV_F_EXACT },
};

static struct sbx_ir_policy policy(struct sbx_ir_rule *rules, size_t n, uint32_t targets)
{
	struct sbx_ir_policy p = { (char *)"test", params3, 3, rules, n, SBX_NET_OFFLINE,
	                           { 0, 0, 0, 0 }, 0, 0, NULL, 0, targets };
	return p;
}

static struct sbx_ir_policy docs_policy(uint32_t targets)
{
	struct sbx_ir_policy p = policy(docs_rules, 5, targets);
	p.limits = (struct sbx_limits){ 512, 4ull << 30, 10, 3600 };
	p.env = docs_env;
	p.nenv = 2;
	return p;
}

/* Emits, asserts success and that the runtime verifier accepts the blob. */
static uint8_t *emit(const struct sbx_ir_policy *p, uint32_t targets, size_t *len)
{
	struct sbx_compiler c;
	uint8_t *blob;
	sbx_compiler_init(&c);
	c.targets = targets;
	int rc = sbx_emit(&c, p, &blob, len);
	cr_assert_eq(rc, 0, "sbx_emit failed (%u errors)", c.diags.nerrors);
	sbx_compiler_free(&c);
	struct sbx_view v;
	char where[256] = "";
	int vr = sbx_blob_verify(blob, *len, &v, where, sizeof where);
	cr_assert_eq(vr, SBX_OK, "verify: %s (%s)", sbx_strerror(vr), where);
	return blob;
}

/* Emits expecting failure; returns the first error message (malloc'd). */
static char *emit_error(const struct sbx_ir_policy *p, uint32_t targets)
{
	struct sbx_compiler c;
	uint8_t *blob;
	size_t len;
	sbx_compiler_init(&c);
	c.targets = targets;
	cr_assert_eq(sbx_emit(&c, p, &blob, &len), -1);
	cr_assert_null(blob);
	cr_assert_gt(c.diags.n, 0);
	char *msg = strdup(c.diags.v[0].msg);
	sbx_compiler_free(&c);
	return msg;
}

static const struct sbx_blob_header *hdr(const uint8_t *b)
{
	return (const struct sbx_blob_header *)b;
}

static const struct sbx_section *table(const uint8_t *b)
{
	return (const struct sbx_section *)(b + sizeof(struct sbx_blob_header));
}

static const struct sbx_section *find(const uint8_t *b, uint32_t id)
{
	for (uint32_t i = 0; i < hdr(b)->section_count; i++)
		if (table(b)[i].id == id)
			return &table(b)[i];
	return NULL;
}

/* Records of a section (asserted present) and their count. */
static const void *sec(const uint8_t *b, uint32_t id, size_t *count)
{
	const struct sbx_section *s = find(b, id);
	cr_assert_not_null(s, "section %u missing", id);
	if (count)
		*count = s->count;
	return b + s->offset;
}

static const char *str(const uint8_t *b, uint32_t ref)
{
	return (const char *)sec(b, SBX_SEC_STRINGS, NULL) + ref;
}

/* A wstring narrowed to ASCII (tests use ASCII only). */
static const char *wstr(const uint8_t *b, uint32_t ref, char *buf, size_t cap)
{
	const uint16_t *w = (const uint16_t *)((const uint8_t *)sec(b, SBX_SEC_WSTRINGS, NULL) + ref);
	size_t i = 0;
	for (; w[i] && i + 1 < cap; i++)
		buf[i] = (char)w[i];
	buf[i] = 0;
	return buf;
}

/* The suffix of the path of a rule, for readable asserts. */
static const char *path_of(const uint8_t *b, uint32_t path)
{
	const struct sbx_path *p = sec(b, SBX_SEC_PATHS, NULL);
	return str(b, p[path].suffix);
}

/* ---- header and layout ---- */

Test(emit, header_layout_checksum)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_ALL);
	p.best_effort = 1;
	size_t len;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_blob_header *h = hdr(b);
	cr_assert(!memcmp(h->magic, SBX_BLOB_MAGIC, 8));
	cr_assert_eq(h->major, SBX_BLOB_MAJOR);
	cr_assert_eq(h->minor, SBX_BLOB_MINOR);
	cr_assert_eq(h->compiler_abi, SBX_COMPILER_ABI);
	cr_assert_eq(h->header_size, 56);
	cr_assert_eq(h->total_size, len);
	cr_assert_eq(len % 8, 0);
	cr_assert_eq(h->flags, SBX_BLOB_F_BEST_EFFORT | SBX_BLOB_F_LINUX | SBX_BLOB_F_WINDOWS |
	                       SBX_BLOB_F_NO_USERNS);
	cr_assert_eq(h->checksum, XXH3_64bits(b + 56, len - 56));
	size_t body = 56 + 24 * (size_t)h->section_count;
	cr_assert_eq(h->policy_id, XXH3_64bits(b + body, len - body));
	size_t end = body;
	for (uint32_t i = 0; i < h->section_count; i++) {
		const struct sbx_section *s = &table(b)[i];
		cr_assert(i == 0 || s->id > table(b)[i - 1].id, "ascending ids");
		cr_assert_eq(s->offset % 8, 0);
		cr_assert_eq(s->flags, SBX_SECF_REQUIRED);
		cr_assert_eq(s->reserved, 0);
		cr_assert_geq(s->offset, end);
		cr_assert_lt(s->offset - end, 8);
		for (size_t k = end; k < s->offset; k++)
			cr_assert_eq(b[k], 0, "padding is zero");
		end = s->offset + s->size;
	}
	size_t n;
	const char *pool = sec(b, SBX_SEC_STRINGS, &n);
	cr_assert_eq(n, find(b, SBX_SEC_STRINGS)->size);
	cr_assert_eq(pool[0], 0);
	sec(b, SBX_SEC_WSTRINGS, &n);
	cr_assert_eq(n * 2, find(b, SBX_SEC_WSTRINGS)->size);
	cr_assert_eq(find(b, SBX_SEC_FS_RULES)->count * sizeof(struct sbx_fs_rule),
	             find(b, SBX_SEC_FS_RULES)->size);
	free(b);
}

Test(emit, deterministic_and_policy_id_tracks_content)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_ALL);
	size_t l1, l2, l3;
	uint8_t *b1 = emit(&p, SBX_TARGET_ALL, &l1);
	uint8_t *b2 = emit(&p, SBX_TARGET_ALL, &l2);
	cr_assert_eq(l1, l2);
	cr_assert(!memcmp(b1, b2, l1), "same IR, same bytes");
	p.network = SBX_NET_ONLINE;
	uint8_t *b3 = emit(&p, SBX_TARGET_ALL, &l3);
	cr_assert_neq(hdr(b1)->policy_id, hdr(b3)->policy_id);
	free(b1);
	free(b2);
	free(b3);
}

Test(emit, strings_are_deduplicated)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const char *pool = sec(b, SBX_SEC_STRINGS, &n);
	size_t seen = 0;
	for (size_t off = 1; off < n; off += strlen(pool + off) + 1)
		if (!strcmp(pool + off, "/.git"))
			seen++;
	cr_assert_eq(seen, 1);
	free(b);
}

/* ---- targets ---- */

Test(emit, linux_only_has_no_windows_sections)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_LINUX);
	size_t len;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	cr_assert_eq(hdr(b)->flags, SBX_BLOB_F_LINUX | SBX_BLOB_F_NO_USERNS);
	for (uint32_t id = SBX_SEC_WIN_TOKEN; id <= SBX_SEC_WIN_JOB; id++)
		cr_assert_null(find(b, id));
	cr_assert_null(find(b, SBX_SEC_WSTRINGS));
	cr_assert_not_null(find(b, SBX_SEC_LX_LANDLOCK));
	cr_assert_not_null(find(b, SBX_SEC_LX_SECCOMP));
	size_t n;
	const struct sbx_path *paths = sec(b, SBX_SEC_PATHS, &n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(paths[i].wsuffix, NONE);
		cr_assert_eq(paths[i].platforms & WIN, 0);
	}
	const struct sbx_param *pr = sec(b, SBX_SEC_PARAMS, &n);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(str(b, pr[2].name), "WORKSPACE");
	cr_assert_eq(pr[2].wname, NONE);
	const struct sbx_env_op *env = sec(b, SBX_SEC_ENV, &n);
	cr_assert_eq(n, 2, "no Windows advisory variables");
	cr_assert_eq(env[1].platforms, LX);
	free(b);
}

Test(emit, windows_only_drops_linux_paths)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_WINDOWS);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_WINDOWS, &len);
	cr_assert_eq(hdr(b)->flags, SBX_BLOB_F_WINDOWS);
	for (uint32_t id = SBX_SEC_LX_LANDLOCK; id <= SBX_SEC_LX_RLIMITS; id++)
		cr_assert_null(find(b, id));
	cr_assert_not_null(find(b, SBX_SEC_WIN_TOKEN));
	cr_assert_not_null(find(b, SBX_SEC_WIN_JOB));
	const struct sbx_fs_rule *r = sec(b, SBX_SEC_FS_RULES, &n);
	cr_assert_eq(n, 4, "the literal \"/\" applies to no target");
	char buf[64];
	const struct sbx_path *paths = sec(b, SBX_SEC_PATHS, NULL);
	cr_assert_str_eq(wstr(b, paths[r[3].path].wsuffix, buf, sizeof buf), "\\.git");
	cr_assert_eq(r[0].parent, NONE);
	free(b);
}

Test(emit, empty_policy_keeps_the_always_sections)
{
	struct sbx_ir_policy p = policy(NULL, 0, SBX_TARGET_WINDOWS);
	p.nparams = 0;
	p.network = SBX_NET_ONLINE;
	size_t len;
	uint8_t *b = emit(&p, SBX_TARGET_WINDOWS, &len);
	static const uint32_t want[] = { SBX_SEC_STRINGS, SBX_SEC_WSTRINGS, SBX_SEC_NETWORK,
		SBX_SEC_LIMITS, SBX_SEC_WIN_TOKEN, SBX_SEC_WIN_PRIVS, SBX_SEC_WIN_SIDS, SBX_SEC_WIN_JOB };
	cr_assert_eq(hdr(b)->section_count, 8);
	for (size_t i = 0; i < 8; i++)
		cr_assert_eq(table(b)[i].id, want[i]);
	free(b);
}

Test(emit, no_target_is_an_error)
{
	struct sbx_ir_policy p = docs_policy(0);
	char *msg = emit_error(&p, 0);
	cr_assert(strstr(msg, "no compile target"), "%s", msg);
	free(msg);
}

/* ---- common rules ---- */

Test(emit, rule_parents_and_carve_outs)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_ALL);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_fs_rule *r = sec(b, SBX_SEC_FS_RULES, &n);
	cr_assert_eq(n, 5);
	static const uint32_t parent[] = { NONE, 0, 0, 0, 3 };
	static const uint32_t carve[] = { 0, 1, 0, 0, 1 };
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(r[i].parent, parent[i], "rule %zu", i);
		cr_assert_eq(!!(r[i].flags & SBX_RULE_F_CARVE_OUT), carve[i], "rule %zu", i);
		cr_assert_eq(r[i].kind, docs_rules[i].kind);
	}
	const struct sbx_path *paths = sec(b, SBX_SEC_PATHS, NULL);
	cr_assert_eq(paths[r[4].path].param, P_WORKSPACE);
	cr_assert_str_eq(path_of(b, r[4].path), "/.git");
	cr_assert_eq(paths[r[0].path].wsuffix, NONE, "a Linux literal has no Windows form");
	char buf[64];
	cr_assert_str_eq(wstr(b, paths[r[2].path].wsuffix, buf, sizeof buf), "");
	free(b);
}

Test(emit, containment_at_separator_boundary_only)
{
	struct sbx_ir_rule rules[] = {
		RULE(NONE, "/usr", LX, SBX_FS_READONLY),
		RULE(NONE, "/usr/lib", LX, SBX_FS_DENIED),
		RULE(NONE, "/usrx", LX, SBX_FS_DENIED),
		RULE(P_WORKSPACE, "/a", BOTH, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "/a/b/c", BOTH, SBX_FS_READONLY),
		RULE(P_WORKSPACE, "/ab", BOTH, SBX_FS_READONLY),
	};
	struct sbx_ir_policy p = policy(rules, 6, SBX_TARGET_ALL);
	size_t len;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_fs_rule *r = sec(b, SBX_SEC_FS_RULES, NULL);
	cr_assert_eq(r[1].parent, 0);
	cr_assert_eq(r[2].parent, NONE, "/usrx is not inside /usr");
	cr_assert_eq(r[4].parent, 3);
	cr_assert(r[4].flags & SBX_RULE_F_CARVE_OUT);
	cr_assert_eq(r[5].parent, NONE, "/ab is not inside /a");
	free(b);
}

Test(emit, windows_containment_ignores_case)
{
	struct sbx_ir_rule rules[] = {
		RULE(NONE, "C:/Work", WIN, SBX_FS_WRITABLE),
		RULE(NONE, "C:/work/.git", WIN, SBX_FS_READONLY),
	};
	struct sbx_ir_policy p = policy(rules, 2, SBX_TARGET_ALL);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_fs_rule *r = sec(b, SBX_SEC_FS_RULES, NULL);
	cr_assert_eq(r[1].parent, 0);
	cr_assert(r[1].flags & SBX_RULE_F_CARVE_OUT);
	const struct sbx_win_ace *ace = sec(b, SBX_SEC_WIN_ACES, &n);
	cr_assert_eq(ace[1].type, SBX_ACE_DENY);
	cr_assert_eq(ace[1].rule, 1);
	free(b);
}

/* Paths equal but for case: the earliest of them is the parent, on every target. */
Test(emit, windows_case_twins_share_their_children)
{
	struct sbx_ir_rule rules[] = {
		RULE(NONE, "C:/W", WIN, SBX_FS_WRITABLE),
		RULE(NONE, "C:/w", WIN, SBX_FS_WRITABLE),
		RULE(NONE, "C:/w/.git", WIN, SBX_FS_READONLY),
		RULE(P_WORKSPACE, "/A", BOTH, SBX_FS_READONLY),
		RULE(P_WORKSPACE, "/a", BOTH, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "/a/b", BOTH, SBX_FS_DENIED),
	};
	struct sbx_ir_policy p = policy(rules, 6, SBX_TARGET_ALL);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_fs_rule *r = sec(b, SBX_SEC_FS_RULES, NULL);
	cr_assert_eq(r[0].parent, NONE);
	cr_assert_eq(r[1].parent, NONE, "a twin does not hold its twin");
	cr_assert_eq(r[2].parent, 0);
	cr_assert_eq(r[4].parent, NONE);
	cr_assert_eq(r[5].parent, 3, "/A holds /a/b on Windows and comes first");
	const struct sbx_win_ace *ace = sec(b, SBX_SEC_WIN_ACES, &n);
	cr_assert_eq(ace[2].rule, 2);
	cr_assert_eq(ace[2].sid, 0, "both twins lose write at .git");
	cr_assert_eq(ace[3].rule, 2);
	cr_assert_eq(ace[3].sid, 1);
	free(b);
	b = emit(&p, SBX_TARGET_LINUX, &len);
	r = sec(b, SBX_SEC_FS_RULES, &n);
	cr_assert_eq(n, 3, "the Windows literals are dropped");
	cr_assert_eq(r[2].parent, 1, "on Linux only /a holds /a/b");
	free(b);
}

Test(emit, network_limits_env)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_ALL);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_network *net = sec(b, SBX_SEC_NETWORK, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(net->mode, SBX_NET_OFFLINE);
	const struct sbx_limits *lim = sec(b, SBX_SEC_LIMITS, NULL);
	cr_assert_eq(lim->max_processes, 512);
	cr_assert_eq(lim->memory_bytes, 4ull << 30);
	const struct sbx_env_op *env = sec(b, SBX_SEC_ENV, &n);
	cr_assert_eq(n, 2 + 12);
	cr_assert_eq(env[0].op, SBX_ENV_DROP);
	cr_assert_eq(env[0].flags, SBX_ENV_F_DEFAULT);
	cr_assert_eq(env[0].value, NONE);
	cr_assert_str_eq(str(b, env[1].value), "1");
	cr_assert_eq(env[1].platforms, BOTH);
	char buf[64];
	cr_assert_str_eq(wstr(b, env[1].wname, buf, sizeof buf), "CI");
	cr_assert_str_eq(str(b, env[2].name), "HTTP_PROXY");
	cr_assert_str_eq(str(b, env[2].value), "http://127.0.0.1:9");
	cr_assert_eq(env[2].platforms, WIN);
	cr_assert(env[2].flags & SBX_ENV_F_NET_ADVISORY);
	cr_assert_str_eq(str(b, env[13].name), "GIT_SSH_COMMAND");
	cr_assert_str_eq(wstr(b, env[13].wvalue, buf, sizeof buf), "cmd /c exit 1");
	free(b);
}

Test(emit, advisory_env_respects_policy_and_network)
{
	struct sbx_ir_env env[] = { { SBX_ENV_SET, (char *)"HTTP_PROXY", (char *)"http://proxy:3128", SBX_ENV_F_EXACT } };
	struct sbx_ir_policy p = policy(NULL, 0, SBX_TARGET_ALL);
	p.env = env;
	p.nenv = 1;
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_env_op *e = sec(b, SBX_SEC_ENV, &n);
	cr_assert_eq(n, 12, "the policy's own HTTP_PROXY wins");
	for (size_t i = 1; i < n; i++)
		cr_assert_str_neq(str(b, e[i].name), "HTTP_PROXY");
	free(b);
	p.network = SBX_NET_ONLINE;
	b = emit(&p, SBX_TARGET_ALL, &len);
	sec(b, SBX_SEC_ENV, &n);
	cr_assert_eq(n, 1);
	free(b);
}

/* ---- Linux ---- */

static const struct sbx_lx_ll_rule *ll_for(const uint8_t *b, const char *suffix, uint32_t param)
{
	size_t n;
	const struct sbx_lx_ll_rule *ll = sec(b, SBX_SEC_LX_LL_RULES, &n);
	const struct sbx_path *paths = sec(b, SBX_SEC_PATHS, NULL);
	for (size_t i = 0; i < n; i++)
		if (paths[ll[i].path].param == param && !strcmp(path_of(b, ll[i].path), suffix))
			return &ll[i];
	return NULL;
}

#define LL_RO (SBX_LL_FS_EXECUTE | SBX_LL_FS_READ_FILE | SBX_LL_FS_READ_DIR)

Test(emit, landlock_ruleset_and_rules)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const struct sbx_lx_landlock *ll = sec(b, SBX_SEC_LX_LANDLOCK, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(ll->handled_fs, SBX_LL_FS_ALL);
	cr_assert_eq(ll->handled_net, 0);
	cr_assert_eq(ll->scoped, SBX_LL_SCOPE_ALL);
	cr_assert_eq(ll->abi_min, 6);
	cr_assert_eq(ll_for(b, "/", NONE)->access, LL_RO);
	cr_assert_eq(ll_for(b, "", P_WORKSPACE)->access, SBX_LL_FS_ALL);
	cr_assert_eq(ll_for(b, "", P_TMPDIR)->access, SBX_LL_FS_ALL);
	cr_assert_null(ll_for(b, "/.git", P_WORKSPACE), "enforced by the mount");
	cr_assert_null(ll_for(b, "/.ssh", P_HOME), "denied: no rule");
	const struct sbx_lx_ll_rule *dn = ll_for(b, "/dev/null", NONE);
	cr_assert_not_null(dn);
	cr_assert_eq(dn->flags, SBX_LL_RULE_F_IMPLICIT | SBX_LL_RULE_F_OPTIONAL);
	cr_assert_eq(dn->access, SBX_LL_FS_READ_FILE | SBX_LL_FS_WRITE_FILE | SBX_LL_FS_TRUNCATE |
	                         SBX_LL_FS_IOCTL_DEV);
	cr_assert_eq(ll_for(b, "/dev/urandom", NONE)->access, SBX_LL_FS_READ_FILE | SBX_LL_FS_WRITE_FILE);
	cr_assert_null(ll_for(b, "/proc", NONE), "readonly / already grants it");
	sec(b, SBX_SEC_LX_LL_RULES, &n);
	cr_assert_eq(n, 3 + 6);
	free(b);
}

Test(emit, implicit_rules_skip_what_the_policy_grants)
{
	struct sbx_ir_rule rules[] = {
		RULE(NONE, "/dev", LX, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "", BOTH, SBX_FS_WRITABLE),
	};
	struct sbx_ir_policy p = policy(rules, 2, SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	cr_assert_null(ll_for(b, "/dev/null", NONE));
	const struct sbx_lx_ll_rule *proc = ll_for(b, "/proc", NONE);
	cr_assert_not_null(proc);
	cr_assert_eq(proc->access, LL_RO);
	sec(b, SBX_SEC_LX_LL_RULES, &n);
	cr_assert_eq(n, 3);
	free(b);
}

static void assert_mount(const struct sbx_lx_mount *m, uint32_t op, uint32_t rule, uint32_t flags)
{
	cr_assert_eq(m->op, op, "op %u, want %u (rule %u)", m->op, op, rule);
	cr_assert_eq(m->rule, rule);
	cr_assert_eq(m->flags, flags, "flags 0x%x, want 0x%x (rule %u)", m->flags, flags, rule);
}

Test(emit, mounts_for_carve_outs)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const struct sbx_lx_mount *m = sec(b, SBX_SEC_LX_MOUNTS, &n);
	cr_assert_eq(n, 4);
	assert_mount(&m[0], SBX_MNT_HIDE, 1, 0);                   /* ~/.ssh in / */
	/* TMPDIR and WORKSPACE may be bound inside ~/.ssh */
	assert_mount(&m[1], SBX_MNT_EXPOSE, 2, SBX_MNT_F_IF_INSIDE);
	assert_mount(&m[2], SBX_MNT_EXPOSE, 3, SBX_MNT_F_IF_INSIDE);
	assert_mount(&m[3], SBX_MNT_RDONLY, 4, 0);                 /* .git in the workspace */
	const struct sbx_fs_rule *r = sec(b, SBX_SEC_FS_RULES, NULL);
	cr_assert_eq(m[3].path, r[4].path);
	free(b);
}

Test(emit, mounts_expose_inside_denied)
{
	struct sbx_ir_rule rules[] = {
		RULE(P_WORKSPACE, "", BOTH, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "/secret", BOTH, SBX_FS_DENIED),
		RULE(P_WORKSPACE, "/secret/pub", BOTH, SBX_FS_READONLY),
		RULE(P_WORKSPACE, "/secret/tmp", BOTH, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "/ro", BOTH, SBX_FS_READONLY),
		RULE(P_WORKSPACE, "/ro/out", BOTH, SBX_FS_WRITABLE),
	};
	struct sbx_ir_policy p = policy(rules, 6, SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const struct sbx_lx_mount *m = sec(b, SBX_SEC_LX_MOUNTS, &n);
	cr_assert_eq(n, 5);
	assert_mount(&m[0], SBX_MNT_HIDE, 1, 0);
	assert_mount(&m[1], SBX_MNT_RDONLY, 4, 0);
	assert_mount(&m[2], SBX_MNT_EXPOSE, 2, SBX_MNT_F_READONLY);
	assert_mount(&m[3], SBX_MNT_EXPOSE, 3, 0);
	assert_mount(&m[4], SBX_MNT_EXPOSE, 5, 0);   /* writable in a read-only bind */
	cr_assert_null(ll_for(b, "/secret/pub", P_WORKSPACE), "the workspace rule grants it");
	free(b);
}

Test(emit, mounts_if_inside_for_other_parameters)
{
	struct sbx_ir_rule rules[] = {
		RULE(NONE, "/opt/data", LX, SBX_FS_READONLY),
		RULE(P_HOME, "/.ssh", BOTH, SBX_FS_DENIED),
		RULE(P_TMPDIR, "", BOTH, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "/.git", BOTH, SBX_FS_READONLY),
	};
	struct sbx_ir_policy p = policy(rules, 4, SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const struct sbx_lx_mount *m = sec(b, SBX_SEC_LX_MOUNTS, &n);
	cr_assert_eq(n, 6);
	/* ~/.ssh may lie inside any of the others, each of them inside ~/.ssh */
	assert_mount(&m[0], SBX_MNT_HIDE, 1, SBX_MNT_F_IF_INSIDE);
	assert_mount(&m[1], SBX_MNT_RDONLY, 0, SBX_MNT_F_IF_INSIDE);
	assert_mount(&m[2], SBX_MNT_RDONLY, 3, SBX_MNT_F_IF_INSIDE);
	assert_mount(&m[3], SBX_MNT_EXPOSE, 0, SBX_MNT_F_IF_INSIDE | SBX_MNT_F_READONLY);
	assert_mount(&m[4], SBX_MNT_EXPOSE, 2, SBX_MNT_F_IF_INSIDE);
	assert_mount(&m[5], SBX_MNT_EXPOSE, 3, SBX_MNT_F_IF_INSIDE | SBX_MNT_F_READONLY);
	free(b);
}

Test(emit, rlimits)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const struct sbx_lx_rlimit *rl = sec(b, SBX_SEC_LX_RLIMITS, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(rl[0].resource, SBX_RLIMIT_CPU);
	cr_assert_eq(rl[0].soft, 10);
	cr_assert_eq(rl[0].hard, 11);
	cr_assert_eq(rl[1].resource, SBX_RLIMIT_DATA);
	cr_assert_eq(rl[1].hard, 4ull << 30);
	cr_assert_eq(rl[2].resource, SBX_RLIMIT_NPROC);
	cr_assert_eq(rl[2].soft, 512);
	free(b);
	p.limits = (struct sbx_limits){ 0, 0, 0, 60 };
	b = emit(&p, SBX_TARGET_LINUX, &len);
	cr_assert_null(find(b, SBX_SEC_LX_RLIMITS), "wall time is not an rlimit");
	free(b);
}

Test(emit, seccomp_program_is_there)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_LINUX);
	size_t len, n_off, n_on;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const struct sbx_bpf_insn *prog = sec(b, SBX_SEC_LX_SECCOMP, &n_off);
	cr_assert_eq(prog[0].code, 0x20);
	cr_assert_eq(prog[0].k, 4, "loads the arch first");
	free(b);
	p.network = SBX_NET_ONLINE;
	b = emit(&p, SBX_TARGET_LINUX, &len);
	sec(b, SBX_SEC_LX_SECCOMP, &n_on);
	cr_assert_lt(n_on, n_off, "online has no socket checks");
	free(b);
}

/* ---- Windows ---- */

Test(emit, windows_token_sids_aces)
{
	struct sbx_ir_rule rules[] = {
		RULE(NONE, "C:/tools", WIN, SBX_FS_WRITABLE),
		RULE(P_HOME, "/.ssh", BOTH, SBX_FS_DENIED),
		RULE(P_TMPDIR, "", BOTH, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "", BOTH, SBX_FS_WRITABLE),
		RULE(P_WORKSPACE, "/.git", BOTH, SBX_FS_READONLY),
	};
	struct sbx_ir_policy p = policy(rules, 5, SBX_TARGET_ALL);
	size_t len, n;
	char buf[128];
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	const struct sbx_win_token *tok = sec(b, SBX_SEC_WIN_TOKEN, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(tok->flags, SBX_WIN_DISABLE_MAX_PRIVILEGE | SBX_WIN_LUA_TOKEN | SBX_WIN_WRITE_RESTRICTED);
	cr_assert_eq(tok->restrict_count, 4);
	cr_assert_eq(tok->max_cap_sids, 16);
	const struct sbx_win_sid *sid = sec(b, SBX_SEC_WIN_SIDS, &n);
	cr_assert_eq(n, 4);
	const struct sbx_fs_rule *r = sec(b, SBX_SEC_FS_RULES, NULL);
	cr_assert_eq(sid[0].kind, SBX_SID_LITERAL);
	static const uint16_t tools[] = { 'C', ':', '\\', 't', 'o', 'o', 'l', 's' };
	char want[SBX_SID_STR_MAX];
	sbx_derive_cap_sid(tools, 8, want);
	cr_assert_str_eq(wstr(b, sid[0].ref, buf, sizeof buf), want);
	cr_assert_eq(sid[1].kind, SBX_SID_DERIVED);
	cr_assert_eq(sid[1].ref, r[2].path);
	cr_assert_eq(sid[2].ref, r[3].path);
	cr_assert_eq(sid[3].kind, SBX_SID_LOGON);
	cr_assert_eq(sid[3].ref, NONE);

	const struct sbx_win_ace *a = sec(b, SBX_SEC_WIN_ACES, &n);
	/* allow C:/tools; deny ~/.ssh x3; allow TMPDIR; allow WORKSPACE; deny .git x3; NUL x3 */
	cr_assert_eq(n, 1 + 3 + 1 + 1 + 3 + 3);
	cr_assert_eq(a[0].type, SBX_ACE_ALLOW);
	cr_assert_eq(a[0].mask, MASK_WRITABLE);
	cr_assert_eq(a[0].inherit, SBX_ACE_OBJECT_INHERIT | SBX_ACE_CONTAINER_INHERIT);
	cr_assert_eq(a[0].sid, 0);
	cr_assert_eq(a[0].rule, 0);
	cr_assert_eq(a[0].target, NONE);
	for (uint32_t k = 0; k < 3; k++) {
		cr_assert_eq(a[1 + k].type, SBX_ACE_DENY);
		cr_assert_eq(a[1 + k].mask, MASK_DENIED);
		cr_assert_eq(a[1 + k].sid, k);
		cr_assert_eq(a[1 + k].flags, SBX_ACE_F_READ_UNENFORCED);
		cr_assert_eq(a[6 + k].type, SBX_ACE_DENY);
		cr_assert_eq(a[6 + k].mask, MASK_NO_WRITE);
		cr_assert_eq(a[6 + k].rule, 4);
		cr_assert_eq(a[6 + k].flags, 0);
		cr_assert_eq(a[9 + k].type, SBX_ACE_ALLOW);
		cr_assert_eq(a[9 + k].path, NONE);
		cr_assert_str_eq(wstr(b, a[9 + k].target, buf, sizeof buf), "\\\\.\\NUL");
		cr_assert_eq(a[9 + k].flags, SBX_ACE_F_IMPLICIT);
		cr_assert_eq(a[9 + k].rule, NONE);
		cr_assert_eq(a[9 + k].sid, k);
	}
	cr_assert_eq(a[4].sid, 1);
	cr_assert_eq(a[5].sid, 2);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(a[i].flags & SBX_ACE_F_TEMPORARY, 0);
	free(b);
}

Test(emit, windows_privileges)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_WINDOWS);
	size_t len, n;
	char prev[64] = "", buf[64];
	uint8_t *b = emit(&p, SBX_TARGET_WINDOWS, &len);
	const uint32_t *priv = sec(b, SBX_SEC_WIN_PRIVS, &n);
	cr_assert_eq(n, 35);
	for (size_t i = 0; i < n; i++) {
		wstr(b, priv[i], buf, sizeof buf);
		cr_assert(strncmp(buf, "Se", 2) == 0 && strstr(buf, "Privilege"), "%s", buf);
		cr_assert_str_neq(buf, "SeChangeNotifyPrivilege");
		cr_assert_gt(strcmp(buf, prev), 0, "sorted: %s after %s", buf, prev);
		strcpy(prev, buf);
	}
	free(b);
}

Test(emit, windows_job)
{
	struct sbx_ir_policy p = docs_policy(SBX_TARGET_WINDOWS);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_WINDOWS, &len);
	const struct sbx_win_job *j = sec(b, SBX_SEC_WIN_JOB, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(j->limit_flags, SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE | SBX_JOB_LIMIT_DIE_ON_UNHANDLED_EXCEPTION |
	             SBX_JOB_LIMIT_ACTIVE_PROCESS | SBX_JOB_LIMIT_JOB_MEMORY | SBX_JOB_LIMIT_JOB_TIME);
	cr_assert_eq(j->ui_restrictions, 0xFF);
	cr_assert_eq(j->active_processes, 512);
	cr_assert_eq(j->job_memory_bytes, 4ull << 30);
	cr_assert_eq(j->job_time_100ns, 100000000ull);
	cr_assert_eq(j->wall_ms, 3600000ull);
	free(b);
	p.limits = (struct sbx_limits){ 1ull << 40, 0, 0, 0 };
	b = emit(&p, SBX_TARGET_WINDOWS, &len);
	j = sec(b, SBX_SEC_WIN_JOB, NULL);
	cr_assert_eq(j->active_processes, UINT32_MAX);
	cr_assert_eq(j->limit_flags & SBX_JOB_LIMIT_JOB_TIME, 0);
	cr_assert_eq(j->wall_ms, 0);
	free(b);
}

/* n writable workspace subdirectories */
static struct sbx_ir_rule *roots(size_t n, char names[][8])
{
	struct sbx_ir_rule *r = calloc(n, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], 8, "/d%02u", (unsigned)(i % 100));
		r[i] = (struct sbx_ir_rule)RULE(P_WORKSPACE, names[i], BOTH, SBX_FS_WRITABLE);
	}
	return r;
}

Test(emit, windows_root_limit)
{
	char names[17][8];
	struct sbx_ir_rule *r = roots(17, names);
	struct sbx_ir_policy p = policy(r, 16, SBX_TARGET_ALL);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_ALL, &len);
	sec(b, SBX_SEC_WIN_SIDS, &n);
	cr_assert_eq(n, 17, "16 capability SIDs and the logon SID");
	free(b);
	p.nrules = 17;
	char *msg = emit_error(&p, SBX_TARGET_ALL);
	cr_assert_str_eq(msg, "too many writable roots for Windows (limit is 16): each needs a "
	                      "capability SID in the token's default DACL");
	free(msg);
	b = emit(&p, SBX_TARGET_LINUX, &len);   /* Linux has no such limit */
	free(b);
	free(r);
}

/* n rules: writable /dNNNNN, each with a readonly /dNNNNN/s inside. */
static struct sbx_ir_rule *nested_rules(size_t n, char (*names)[12])
{
	struct sbx_ir_rule *r = calloc(n, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], 12, i % 2 ? "/d%05zu/s" : "/d%05zu", i / 2);
		r[i] = (struct sbx_ir_rule)RULE(NONE, names[i], LX,
		                                i % 2 ? SBX_FS_READONLY : SBX_FS_WRITABLE);
	}
	return r;
}

Test(emit, rule_limit)
{
	size_t max = (size_t)65536;
	char (*names)[12] = calloc(max + 1, sizeof *names);
	struct sbx_ir_rule *r = nested_rules(max + 1, names);
	struct sbx_ir_policy p = policy(r, max, SBX_TARGET_LINUX);
	size_t len, n;
	uint8_t *b = emit(&p, SBX_TARGET_LINUX, &len);
	const struct sbx_fs_rule *fs = sec(b, SBX_SEC_FS_RULES, &n);
	cr_assert_eq(n, max);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(fs[i].parent, i % 2 ? i - 1 : NONE, "rule %zu", i);
		cr_assert_eq(!!(fs[i].flags & SBX_RULE_F_CARVE_OUT), i % 2, "rule %zu", i);
	}
	sec(b, SBX_SEC_LX_MOUNTS, &n);
	cr_assert_eq(n, max / 2, "a read-only bind per carve-out");
	free(b);
	p.nrules = max + 1;
	char *msg = emit_error(&p, SBX_TARGET_LINUX);
	cr_assert_str_eq(msg, "too many filesystem rules (limit is 65536)");
	free(msg);
	free(r);
	free(names);
}

Test(emit, blob_size_limit)
{
	size_t big = SBX_BLOB_MAX_SIZE + 16;
	char *value = malloc(big + 1);
	memset(value, 'x', big);
	value[big] = 0;
	struct sbx_ir_env env[] = { { SBX_ENV_SET, (char *)"BIG", value, SBX_ENV_F_EXACT } };
	struct sbx_ir_policy p = policy(NULL, 0, SBX_TARGET_LINUX);
	p.env = env;
	p.nenv = 1;
	char *msg = emit_error(&p, SBX_TARGET_LINUX);
	cr_assert(strstr(msg, "too large"), "%s", msg);
	free(msg);
	free(value);
}

/* ---- through the whole compiler ---- */

Test(emit, compiles_the_docs_example)
{
	static const char text[] =
		"sbxpol 1;\n"
		"policy workspace-write {\n"
		"    param WORKSPACE, HOME, TMPDIR;\n"
		"    readonly \"/\";\n"
		"    writable \"${WORKSPACE}\", \"${TMPDIR}\";\n"
		"    readonly \"${WORKSPACE}/.git\";\n"
		"    denied   \"${HOME}/.ssh\";\n"
		"    network offline;\n"
		"}\n";
	uint8_t *b;
	size_t len;
	char *diag = NULL;
	int rc = t_compile(text, NULL, SBX_TARGET_ALL, &b, &len, &diag);
	cr_assert_eq(rc, 0, "%s", diag ? diag : "");
	struct sbx_view v;
	cr_assert_eq(sbx_blob_verify(b, len, &v, NULL, 0), SBX_OK);
	cr_assert_eq(v.nrules, 5);
	cr_assert_eq(v.nmounts, 4);
	cr_assert_eq(v.win_token->restrict_count, 3);
	size_t carve = 0;
	for (size_t i = 0; i < v.nrules; i++)
		carve += (v.rules[i].flags & SBX_RULE_F_CARVE_OUT) != 0;
	cr_assert_eq(carve, 2, ".git and .ssh are carve-outs");
	free(b);
	free(diag);
}
