/* test_verify.c - the blob verifier: one test per error class, truncation, fuzzing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/sbxrt.h"
#include "support.h"
#include "blob_fixture.c"

/* 8-aligned storage for a built blob. */
struct blobbuf {
	_Alignas(8) uint8_t b[FX_BUF_SIZE];
	size_t len;
	char where[256];
	struct sbx_view v;
};

static int build_verify(const struct fx *f, struct blobbuf *bb)
{
	bb->len = fx_build(f, bb->b);
	return sbx_blob_verify(bb->b, bb->len, &bb->v, bb->where, sizeof bb->where);
}

/* Verifies bb as it is now (after an in-place change). */
static int reverify(struct blobbuf *bb, int fix)
{
	if (fix)
		fx_fix_checksum(bb->b, bb->len);
	return sbx_blob_verify(bb->b, bb->len, &bb->v, bb->where, sizeof bb->where);
}

/* Verifies a heap copy of exactly len bytes, so ASan sees any read past the end. */
static int verify_exact(const uint8_t *b, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	cr_assert_not_null(copy);
	if (len)
		memcpy(copy, b, len);
	struct sbx_view v;
	int rc = sbx_blob_verify(copy, len, &v, NULL, 0);
	free(copy);
	return rc;
}

static struct fx F;
static struct blobbuf B;

static void setup(void)
{
	fx_init(&F);
	memset(&B, 0, sizeof B);
}

TestSuite(verify, .init = setup);

#define EXPECT(f, err) do { \
	int rc_ = build_verify(f, &B); \
	cr_assert_eq(rc_, err, "got %d (%s), want %d: %s", rc_, sbx_strerror(rc_), err, B.where); \
} while (0)

/* ---- valid blobs ---- */

Test(verify, fixture_is_valid)
{
	EXPECT(&F, SBX_OK);
	cr_assert_eq(B.v.nparams, 3);
	cr_assert_eq(B.v.npaths, 7);
	cr_assert_eq(B.v.nrules, 6);
	cr_assert_eq(B.v.nseccomp, 9);
	cr_assert_eq(B.v.nwin_aces, 3);
	cr_assert_eq(B.v.network->mode, SBX_NET_OFFLINE);
	cr_assert_eq(B.v.limits->max_processes, 512);
	cr_assert_eq(B.v.unknown_optional, 0);
	cr_assert_str_eq(sbx_view_str(&B.v, B.v.params[0].name), "WORKSPACE");
	cr_assert_eq(sbx_view_wstr(&B.v, B.v.params[0].wname)[0], 'W');
	cr_assert_null(sbx_view_str(&B.v, SBX_NONE));
	cr_assert_null(sbx_view_wstr(&B.v, SBX_NONE));
	cr_assert_null(sbx_view_str(&B.v, (uint32_t)B.v.strings_size));
	cr_assert_eq(B.where[0], '\0');
}

Test(verify, linux_only_blob_is_valid)
{
	F.flags = SBX_BLOB_F_LINUX;
	for (uint32_t i = 0; i < F.nparams; i++)
		F.params[i].wname = SBX_NONE;
	for (uint32_t i = 0; i < F.npaths; i++)
		F.paths[i].wsuffix = SBX_NONE;
	for (uint32_t i = 0; i < F.nenv; i++)
		F.env[i].wname = F.env[i].wvalue = SBX_NONE;
	EXPECT(&F, SBX_OK);
	cr_assert_null(B.v.win_token);
	cr_assert_not_null(B.v.landlock);
}

Test(verify, newer_minor_is_accepted)
{
	B.len = fx_build(&F, B.b);
	B.b[10] = 7;
	cr_assert_eq(reverify(&B, 0), SBX_OK, "%s", B.where);  /* minor is before the checksum range */
}

Test(verify, unknown_optional_section_is_skipped)
{
	F.extra[0] = (struct fx_extra){ .id = 200, .flags = 0, .count = 3, .size = 12 };
	F.nextra = 1;
	EXPECT(&F, SBX_OK);
	cr_assert_eq(B.v.unknown_optional, 1);
}

Test(verify, unknown_required_section_is_rejected)
{
	F.extra[0] = (struct fx_extra){ .id = 200, .flags = SBX_SECF_REQUIRED, .count = 1, .size = 8 };
	F.nextra = 1;
	EXPECT(&F, SBX_E_UNKNOWN_REQUIRED);
	cr_assert_str_eq(B.where, "section 200 (unknown): unknown section marked required");
	cr_assert_null(B.v.strings, "the view is zeroed on error");
}

/* ---- header ---- */

Test(verify, misaligned_buffer)
{
	static _Alignas(8) uint8_t shifted[FX_BUF_SIZE + 8];
	B.len = fx_build(&F, B.b);
	memcpy(shifted + 1, B.b, B.len);
	struct sbx_view v;
	cr_assert_eq(sbx_blob_verify(shifted + 1, B.len, &v, NULL, 0), SBX_E_ALIGN);
}

Test(verify, truncated_header)
{
	B.len = fx_build(&F, B.b);
	cr_assert_eq(sbx_blob_verify(B.b, 55, &B.v, B.where, sizeof B.where), SBX_E_TRUNCATED);
	cr_assert_eq(sbx_blob_verify(NULL, 0, &B.v, NULL, 0), SBX_E_TRUNCATED);
}

Test(verify, truncated_body)
{
	B.len = fx_build(&F, B.b);
	cr_assert_eq(sbx_blob_verify(B.b, B.len - 8, &B.v, B.where, sizeof B.where),
	             SBX_E_TRUNCATED);
}

Test(verify, bad_magic)
{
	B.len = fx_build(&F, B.b);
	B.b[4] = '\n';   /* what a text-mode CR LF conversion does */
	cr_assert_eq(reverify(&B, 0), SBX_E_MAGIC);
}

Test(verify, bad_major)
{
	B.len = fx_build(&F, B.b);
	B.b[8] = 2;
	cr_assert_eq(reverify(&B, 0), SBX_E_VERSION);
	cr_assert(strstr(B.where, "format version 2"), "%s", B.where);
}

Test(verify, bad_compiler_abi)
{
	B.len = fx_build(&F, B.b);
	B.b[12] = 9;
	cr_assert_eq(reverify(&B, 0), SBX_E_VERSION);
}

Test(verify, bad_header_size)
{
	B.len = fx_build(&F, B.b);
	B.b[16] = 64;
	cr_assert_eq(reverify(&B, 0), SBX_E_SIZE);
}

Test(verify, total_size_smaller_than_buffer)
{
	B.len = fx_build(&F, B.b);
	cr_assert_eq(sbx_blob_verify(B.b, B.len + 8, &B.v, NULL, 0), SBX_E_SIZE);
}

Test(verify, total_size_above_limit)
{
	B.len = fx_build(&F, B.b);
	uint64_t big = (uint64_t)SBX_BLOB_MAX_SIZE + 8;
	memcpy(B.b + 24, &big, 8);
	cr_assert_eq(reverify(&B, 0), SBX_E_SIZE);
}

Test(verify, too_many_sections)
{
	B.len = fx_build(&F, B.b);
	uint32_t n = SBX_BLOB_MAX_SECTIONS + 1;
	memcpy(B.b + 20, &n, 4);
	cr_assert_eq(reverify(&B, 0), SBX_E_SIZE);
	cr_assert(strstr(B.where, "too many sections (limit is 64)"), "%s", B.where);
}

Test(verify, table_past_the_end)
{
	B.len = fx_build(&F, B.b);
	uint32_t n = SBX_BLOB_MAX_SECTIONS;   /* 56 + 64 * 24 > the fixture's size? */
	if (56 + n * 24 <= B.len)
		cr_skip_test("fixture too large for this check");
	memcpy(B.b + 20, &n, 4);
	cr_assert_eq(reverify(&B, 0), SBX_E_TRUNCATED);
}

Test(verify, checksum_mismatch)
{
	B.len = fx_build(&F, B.b);
	B.b[B.len - 1] ^= 1;
	cr_assert_eq(reverify(&B, 0), SBX_E_CHECKSUM);
}

Test(verify, unknown_header_flag)
{
	F.flags |= 1u << 7;
	EXPECT(&F, SBX_E_FLAGS);
}

Test(verify, no_userns_flag_needs_linux)
{
	F.flags |= SBX_BLOB_F_NO_USERNS;
	EXPECT(&F, SBX_OK);
	F.flags &= ~(uint64_t)SBX_BLOB_F_LINUX;
	EXPECT(&F, SBX_E_FLAGS);
}

/* ---- section table ---- */

Test(verify, unknown_section_flag)
{
	B.len = fx_build(&F, B.b);
	fx_section(B.b, SBX_SEC_LIMITS)->flags |= 4;
	cr_assert_eq(reverify(&B, 1), SBX_E_FLAGS);
}

Test(verify, section_reserved_nonzero)
{
	B.len = fx_build(&F, B.b);
	fx_section(B.b, SBX_SEC_LIMITS)->reserved = 1;
	cr_assert_eq(reverify(&B, 1), SBX_E_VALUE);
}

Test(verify, misaligned_section)
{
	B.len = fx_build(&F, B.b);
	fx_section(B.b, SBX_SEC_LIMITS)->offset += 4;
	cr_assert_eq(reverify(&B, 1), SBX_E_ALIGN);
}

Test(verify, section_past_the_end)
{
	B.len = fx_build(&F, B.b);
	struct sbx_section *s = fx_section(B.b, SBX_SEC_WIN_JOB);
	s->offset = (uint32_t)B.len - 8;
	cr_assert_eq(reverify(&B, 1), SBX_E_BOUNDS);
}

Test(verify, section_offset_overflow)
{
	B.len = fx_build(&F, B.b);
	struct sbx_section *s = fx_section(B.b, SBX_SEC_STRINGS);
	s->offset = 0xFFFFFFF8u;
	cr_assert_eq(reverify(&B, 1), SBX_E_BOUNDS);
}

Test(verify, sections_overlap)
{
	B.len = fx_build(&F, B.b);
	struct sbx_section *lim = fx_section(B.b, SBX_SEC_LIMITS);
	fx_section(B.b, SBX_SEC_NETWORK)->offset = lim->offset + 8;
	cr_assert_eq(reverify(&B, 1), SBX_E_OVERLAP);
}

Test(verify, section_overlaps_table)
{
	B.len = fx_build(&F, B.b);
	fx_section(B.b, SBX_SEC_NETWORK)->offset = 56;
	cr_assert_eq(reverify(&B, 1), SBX_E_OVERLAP);
}

Test(verify, duplicate_section)
{
	F.extra[0] = (struct fx_extra){ .id = SBX_SEC_NETWORK, .flags = SBX_SECF_REQUIRED,
	                                .count = 1, .size = 8, .data = { 1 } };
	F.nextra = 1;
	EXPECT(&F, SBX_E_DUPLICATE);
}

Test(verify, section_size_mismatch)
{
	B.len = fx_build(&F, B.b);
	fx_section(B.b, SBX_SEC_PATHS)->count -= 1;
	cr_assert_eq(reverify(&B, 1), SBX_E_SIZE);
}

Test(verify, singleton_count)
{
	F.extra[0] = (struct fx_extra){ .id = SBX_SEC_LIMITS, .flags = SBX_SECF_REQUIRED,
	                                .count = 2, .size = 64 };
	F.nextra = 1;
	F.omit[0] = SBX_SEC_LIMITS;
	EXPECT(&F, SBX_E_SIZE);
}

Test(verify, missing_network)
{
	F.omit[0] = SBX_SEC_NETWORK;
	EXPECT(&F, SBX_E_MISSING);
	cr_assert(strstr(B.where, "network"), "%s", B.where);
}

Test(verify, missing_strings)
{
	F.omit[0] = SBX_SEC_STRINGS;
	EXPECT(&F, SBX_E_MISSING);
}

Test(verify, missing_seccomp_on_linux)
{
	F.omit[0] = SBX_SEC_LX_SECCOMP;
	EXPECT(&F, SBX_E_MISSING);
}

Test(verify, missing_job_on_windows)
{
	F.omit[0] = SBX_SEC_WIN_JOB;
	EXPECT(&F, SBX_E_MISSING);
}

Test(verify, linux_section_without_linux_flag)
{
	F.flags = SBX_BLOB_F_WINDOWS;
	F.extra[0] = (struct fx_extra){ .id = SBX_SEC_LX_RLIMITS, .flags = SBX_SECF_REQUIRED,
	                                .count = 1, .size = 24 };
	F.nextra = 1;
	EXPECT(&F, SBX_E_VALUE);
}

/* ---- string pools ---- */

Test(verify, strings_not_terminated)
{
	F.strings[F.strings_size++] = 'x';
	EXPECT(&F, SBX_E_STRING);
}

Test(verify, strings_invalid_utf8)
{
	static const char *const bad[] = { "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82" };
	for (size_t i = 0; i < 4; i++) {
		fx_init(&F);
		fx_str(&F, bad[i]);
		EXPECT(&F, SBX_E_STRING);
	}
	fx_init(&F);
	fx_str(&F, "caf\xC3\xA9 \xF0\x9F\x98\x80");
	EXPECT(&F, SBX_OK);
}

Test(verify, wstrings_lone_surrogate)
{
	F.wstrings[F.wstrings_units++] = 0xD800;
	F.wstrings[F.wstrings_units++] = 0;
	EXPECT(&F, SBX_E_STRING);
}

Test(verify, str_ref_inside_a_string)
{
	F.params[0].name += 1;   /* "ORKSPACE": not a string start */
	EXPECT(&F, SBX_E_STRING);
	cr_assert_str_eq(B.where, "section 3 (parameters) record 0: name: bad string reference 2");
}

Test(verify, str_ref_outside_pool)
{
	F.rules[0].path = 0;
	F.paths[0].suffix = F.strings_size;
	EXPECT(&F, SBX_E_STRING);
}

Test(verify, odd_wstr_ref)
{
	F.privs[0] += 1;
	EXPECT(&F, SBX_E_STRING);
}

/* ---- records ---- */

Test(verify, param_name_not_identifier)
{
	F.params[2].name = fx_str(&F, "9LIVES");
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, param_wname_differs)
{
	F.params[2].wname = fx_wstr(&F, "CACHF");
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, param_index_out_of_range)
{
	F.paths[2].param = 3;
	EXPECT(&F, SBX_E_BOUNDS);
}

Test(verify, paths_not_normalized)
{
	static const char *const bad[] = { "/a//b", "/a/./b", "/a/../b", "/a/", "/a/..", "a",
	                                   "/a\tb" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fx_init(&F);
		F.paths[5].suffix = fx_str(&F, bad[i]);
		EXPECT(&F, SBX_E_VALUE);
	}
}

Test(verify, param_suffix_trailing_slash)
{
	F.paths[6].suffix = fx_str(&F, "/");
	F.paths[6].wsuffix = fx_wstr(&F, "\\");
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, windows_literal_needs_drive)
{
	F.paths[4].suffix = fx_str(&F, "c:/tools");
	F.paths[4].wsuffix = fx_wstr(&F, "c:\\tools");
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, wsuffix_must_match)
{
	F.paths[2].wsuffix = fx_wstr(&F, "/.git");
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.paths[0].wsuffix = fx_wstr(&F, "\\");  /* a Linux-only path has none */
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, path_platforms)
{
	F.paths[0].platforms = 0;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.paths[0].platforms = 4;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, rule_fields)
{
	F.rules[1].kind = SBX_FS_PRIVATE + 1;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.rules[1].flags = 8;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.rules[1].path = 7;
	EXPECT(&F, SBX_E_BOUNDS);
	fx_init(&F);
	F.rules[1].parent = 1;
	EXPECT(&F, SBX_E_BOUNDS);
	fx_init(&F);
	F.rules[1].parent = 6;
	EXPECT(&F, SBX_E_BOUNDS);
}

Test(verify, network_fields)
{
	F.network.mode = 3;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.network.allow_count = 1;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, env_fields)
{
	F.env[2].value = SBX_NONE;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.env[1].value = F.env[2].value;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.env[1].op = 4;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.env[1].flags = 8;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.env[1].platforms = 0;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, landlock_fields)
{
	F.landlock.abi_min = 0;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.landlock.abi_min = 4;   /* IOCTL_DEV needs ABI 5 */
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.landlock.handled_net = 4;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.landlock.flags = 1;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, ll_rule_access_outside_handled)
{
	F.landlock.handled_fs = SBX_LL_FS_ALL & ~SBX_LL_FS_IOCTL_DEV;
	F.landlock.abi_min = 3;
	EXPECT(&F, SBX_E_VALUE);
	cr_assert_str_eq(B.where, "section 17 (landlock rules) record 1: access outside handled_fs");
}

Test(verify, ll_rule_fields)
{
	F.ll_rules[0].access = 0;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.ll_rules[0].path = 4;   /* C:/tools is not a Linux path */
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.ll_rules[0].path = 70;
	EXPECT(&F, SBX_E_BOUNDS);
	fx_init(&F);
	F.ll_rules[0].flags = 8;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, mount_fields)
{
	F.mounts[0].op = SBX_MNT_PRIVATE + 1;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.mounts[0].rule = 6;
	EXPECT(&F, SBX_E_BOUNDS);
	fx_init(&F);
	F.mounts[0].flags = 0x80;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, rlimit_fields)
{
	F.rlimits[0].soft = 513;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.rlimits[0].resource = 7;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, token_fields)
{
	F.token.flags = 0x10;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.token.restrict_count = 5;
	EXPECT(&F, SBX_E_BOUNDS);
	fx_init(&F);
	F.token.max_cap_sids = 1;  /* two capability SIDs restrict */
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, privilege_names)
{
	F.privs[1] = fx_wstr(&F, "DebugPrivilege");
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, sid_fields)
{
	F.sids[1].ref = fx_wstr(&F, "X-1-5");
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.sids[1].ref = fx_wstr(&F, "S-1-5-");
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.sids[2].ref = 0;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.sids[0].ref = 0;   /* "/" is a Linux-only path */
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.sids[0].kind = 4;
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, ace_fields)
{
	F.aces[0].target = F.aces[2].target;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.aces[0].sid = 4;
	EXPECT(&F, SBX_E_BOUNDS);
	fx_init(&F);
	F.aces[0].type = 3;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.aces[0].inherit = 4;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.aces[0].flags = 0x100;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.aces[0].rule = 9;
	EXPECT(&F, SBX_E_BOUNDS);
}

Test(verify, job_fields)
{
	F.job.ui_restrictions = 0x100;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.job.limit_flags |= 0x1;
	EXPECT(&F, SBX_E_VALUE);
}

/* ---- seccomp ---- */

static void set_insn(uint32_t pc, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	F.seccomp[pc] = (struct sbx_bpf_insn){ code, jt, jf, k };
}

Test(verify, bpf_bad_opcode)
{
	set_insn(3, 0x28, 0, 0, 0);   /* ld half [0]: not allowed by seccomp */
	EXPECT(&F, SBX_E_BPF);
	cr_assert_str_eq(B.where,
	                 "section 19 (seccomp) record 3: opcode not allowed in a seccomp filter");
}

Test(verify, bpf_load_outside_seccomp_data)
{
	set_insn(3, 0x20, 0, 0, 64);
	EXPECT(&F, SBX_E_BPF);
	fx_init(&F);
	set_insn(3, 0x20, 0, 0, 2);
	EXPECT(&F, SBX_E_BPF);
}

Test(verify, bpf_jump_out_of_range)
{
	set_insn(4, 0x15, 0, 4, 41);
	EXPECT(&F, SBX_E_BPF);
	fx_init(&F);
	set_insn(3, 0x05, 0, 0, 5);   /* ja +5 from 3 lands at 9, past the end */
	EXPECT(&F, SBX_E_BPF);
}

Test(verify, bpf_division_by_zero)
{
	set_insn(3, 0x34, 0, 0, 0);   /* div #0 */
	EXPECT(&F, SBX_E_BPF);
}

Test(verify, bpf_last_not_ret)
{
	F.seccomp[F.nseccomp++] = (struct sbx_bpf_insn){ 0x20, 0, 0, 0 };
	EXPECT(&F, SBX_E_BPF);
}

Test(verify, bpf_scratch_read_before_write)
{
	set_insn(3, 0x60, 0, 0, 2);   /* ld M[2] */
	EXPECT(&F, SBX_E_BPF);
	fx_init(&F);
	set_insn(3, 0x60, 0, 0, 16);
	EXPECT(&F, SBX_E_BPF);
	fx_init(&F);
	set_insn(2, 0x02, 0, 0, 2);   /* st M[2] ... */
	set_insn(3, 0x60, 0, 0, 2);   /* ... but insn 3 is reached from 1 too */
	EXPECT(&F, SBX_E_BPF);
}

Test(verify, bpf_store_then_load_is_fine)
{
	set_insn(0, 0x02, 0, 0, 5);   /* st M[5]: stores A (0) */
	set_insn(1, 0x60, 0, 0, 5);   /* ld M[5] */
	set_insn(2, 0x07, 0, 0, 0);   /* tax */
	EXPECT(&F, SBX_OK);
}

Test(verify, bpf_empty_program)
{
	F.omit[0] = SBX_SEC_LX_SECCOMP;
	F.extra[0] = (struct fx_extra){ .id = SBX_SEC_LX_SECCOMP, .flags = SBX_SECF_REQUIRED };
	F.nextra = 1;
	EXPECT(&F, SBX_E_BPF);
}

/* ---- robustness ---- */

Test(verify, every_truncation_fails_cleanly)
{
	B.len = fx_build(&F, B.b);
	for (size_t n = 0; n < B.len; n++)
		cr_assert_neq(verify_exact(B.b, n), SBX_OK, "length %zu", n);
	cr_assert_eq(verify_exact(B.b, B.len), SBX_OK);
}

Test(verify, truncation_with_fixed_header)
{
	/* Shrink total_size too, so the cut reaches the section checks. */
	B.len = fx_build(&F, B.b);
	static _Alignas(8) uint8_t cut[FX_BUF_SIZE];
	for (size_t n = 56; n < B.len; n += 8) {
		memcpy(cut, B.b, n);
		uint64_t total = n;
		memcpy(cut + 24, &total, 8);
		fx_fix_checksum(cut, n);
		cr_assert_neq(verify_exact(cut, n), SBX_OK, "length %zu", n);
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(verify, random_byte_flips_never_crash)
{
	static _Alignas(8) uint8_t m[FX_BUF_SIZE];
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	size_t accepted = 0, rejected = 0;
	B.len = fx_build(&F, B.b);
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(m, B.b, B.len);
		int flips = 1 + (int)(xorshift(&seed) % 4);
		for (int i = 0; i < flips; i++) {
			size_t at_ = 56 + xorshift(&seed) % (B.len - 56);
			m[at_] ^= (uint8_t)(1u << (xorshift(&seed) % 8));
		}
		fx_fix_checksum(m, B.len);
		int rc = verify_exact(m, B.len);
		cr_assert(rc >= SBX_OK && rc < SBX_E__COUNT);
		rc == SBX_OK ? accepted++ : rejected++;
	}
	cr_assert_gt(rejected, accepted, "most flips must be caught (%zu accepted)", accepted);
}

Test(verify, strerror_has_a_sentence_per_code)
{
	for (int e = 0; e < SBX_E__COUNT; e++) {
		const char *s = sbx_strerror(e);
		cr_assert(s && strlen(s) > 5 && strcmp(s, "unknown error") != 0, "code %d", e);
	}
	cr_assert_str_eq(sbx_strerror(SBX_E__COUNT), "unknown error");
	cr_assert_str_eq(sbx_strerror(-1), "unknown error");
}

Test(verify, where_is_truncated_safely)
{
	char small[8];
	F.omit[0] = SBX_SEC_NETWORK;
	B.len = fx_build(&F, B.b);
	cr_assert_eq(sbx_blob_verify(B.b, B.len, &B.v, small, sizeof small), SBX_E_MISSING);
	cr_assert_eq(strlen(small), 7);
}

/* ---- blobs from the real compiler ---- */

static const char *const real_policy =
	"sbxpol 1;\n"
	"policy p {\n"
	"    param WORKSPACE, HOME, TMPDIR, CACHE;\n"
	"    readonly \"/\";\n"
	"    writable \"${WORKSPACE}\", \"${TMPDIR}\", \"${CACHE}\";\n"
	"    readonly \"${WORKSPACE}/.git\";\n"
	"    denied \"${HOME}/.ssh\";\n"
	"    network offline;\n"
	"    limit processes 512;\n"
	"    limit memory 4 GiB;\n"
	"    env set CI = \"1\";\n"
	"}\n";

static uint8_t *compile_real(uint32_t targets, size_t *len)
{
	uint8_t *b = NULL;
	char *diag = NULL;
	int rc = t_compile(real_policy, NULL, targets, &b, len, &diag);
	cr_assert_eq(rc, 0, "%s", diag ? diag : "");
	free(diag);
	return b;
}

Test(verify_real, compiled_blobs_verify)
{
	for (uint32_t t = 1; t <= 3; t++) {
		size_t len;
		uint8_t *b = compile_real(t, &len);
		struct sbx_view v;
		char where[256];
		cr_assert_eq(sbx_blob_verify(b, len, &v, where, sizeof where), SBX_OK,
		             "targets %u: %s", t, where);
		cr_assert_eq(v.nparams, 4);
		cr_assert_eq(!!v.landlock, !!(t & 1));
		cr_assert_eq(!!v.win_token, !!(t & 2));
		cr_assert_eq(v.unknown_optional, 0);
		free(b);
	}
}

Test(verify_real, compiled_blob_truncations_and_flips)
{
	size_t len;
	uint8_t *b = compile_real(3, &len);
	uint8_t *m = malloc(len);
	uint64_t seed = 12345;
	for (size_t n = 0; n < len; n++)
		cr_assert_neq(verify_exact(b, n), SBX_OK, "length %zu", n);
	for (int iter = 0; iter < 5000; iter++) {
		memcpy(m, b, len);
		size_t at_ = 56 + xorshift(&seed) % (len - 56);
		m[at_] ^= (uint8_t)(1u << (xorshift(&seed) % 8));
		fx_fix_checksum(m, len);
		int rc = verify_exact(m, len);
		cr_assert(rc >= SBX_OK && rc < SBX_E__COUNT);
	}
	free(m);
	free(b);
}

Test(verify, path_length_limit)
{
	static char path[4100];
	path[0] = '/';
	memset(path + 1, 'a', 4095);       /* 4096 bytes: the compiler's limit */
	F.paths[5].suffix = fx_str(&F, path);
	EXPECT(&F, SBX_OK);
	fx_init(&F);
	path[4096] = 'a';                  /* 4097 bytes */
	F.paths[5].suffix = fx_str(&F, path);
	EXPECT(&F, SBX_E_VALUE);
	cr_assert(strstr(B.where, "path too long"), "%s", B.where);
}

Test(verify, section_id_zero_is_unknown)
{
	F.extra[0] = (struct fx_extra){ .id = 0, .flags = SBX_SECF_REQUIRED, .count = 1, .size = 8 };
	F.nextra = 1;
	EXPECT(&F, SBX_E_UNKNOWN_REQUIRED);
	cr_assert_str_eq(B.where, "section 0 (unknown): unknown section marked required");
	fx_init(&F);
	F.extra[0] = (struct fx_extra){ .id = 0, .flags = 0, .count = 1, .size = 8 };
	F.nextra = 1;
	EXPECT(&F, SBX_OK);
	cr_assert_eq(B.v.unknown_optional, 1);
}

Test(verify, emitter_flags_are_known)
{
	F.aces[0].flags = SBX_ACE_F_READ_UNENFORCED;
	F.mounts[0].flags = SBX_MNT_F_READONLY;
	EXPECT(&F, SBX_OK);
	F.aces[0].flags = 8;
	EXPECT(&F, SBX_E_VALUE);
	fx_init(&F);
	F.mounts[0].flags = 4;
	EXPECT(&F, SBX_E_VALUE);
}

/* ---- the word-at-a-time scans see every byte and unit ---- */

/* Appends n raw UTF-16 units and a 0 to the wide pool; returns the wstr reference. */
static uint32_t add_wunits(struct fx *f, const uint16_t *u, size_t n)
{
	if (f->wstrings_units == 0)
		f->wstrings_units = 1;
	uint32_t ref = f->wstrings_units * 2;
	for (size_t i = 0; i < n; i++)
		f->wstrings[f->wstrings_units++] = u[i];
	f->wstrings[f->wstrings_units++] = 0;
	return ref;
}

Test(verify, bad_utf8_found_at_every_offset)
{
	for (size_t pad = 0; pad < 17; pad++) {
		char s[32];
		memset(s, 'a', pad);
		memcpy(s + pad, "\xC0\x80", 3);
		fx_init(&F);
		fx_str(&F, s);
		EXPECT(&F, SBX_E_STRING);
		fx_init(&F);
		memcpy(s + pad, "\xC3\xA9", 3);   /* the same place, valid */
		fx_str(&F, s);
		EXPECT(&F, SBX_OK);
	}
}

Test(verify, lone_surrogate_found_at_every_offset)
{
	static const uint16_t ok_high[] = { 0x00E9, 0x8000, 0xD7FF, 0xE000, 0xFFFF, 0xD83D, 0xDE00 };
	for (size_t pad = 0; pad < 10; pad++) {
		uint16_t u[16];
		for (size_t i = 0; i < pad; i++)
			u[i] = 'a';
		u[pad] = 0xDC00;
		fx_init(&F);
		add_wunits(&F, u, pad + 1);
		EXPECT(&F, SBX_E_STRING);
		memcpy(u + pad, ok_high, sizeof ok_high);
		fx_init(&F);
		add_wunits(&F, u, pad + 7);
		EXPECT(&F, SBX_OK);
	}
}

Test(verify, privilege_names_of_every_length)
{
	static const uint16_t not_letters[] = { '@', '[', '`', '{', '1', '_', 0x141, 0xE1, 0x161 };
	for (size_t k = 1; k < 20; k++) {
		uint16_t u[24] = { 'S', 'e' };
		for (size_t i = 0; i < k; i++)
			u[2 + i] = (uint16_t)(i % 2 ? 'a' + i : 'Z' - i);
		fx_init(&F);
		F.privs[1] = add_wunits(&F, u, 2 + k);
		EXPECT(&F, SBX_OK);
		for (size_t p = 2; p < 2 + k; p++) {
			for (size_t b = 0; b < sizeof not_letters / sizeof not_letters[0]; b++) {
				uint16_t keep = u[p];
				u[p] = not_letters[b];
				fx_init(&F);
				F.privs[1] = add_wunits(&F, u, 2 + k);
				EXPECT(&F, SBX_E_VALUE);
				u[p] = keep;
			}
		}
	}
	F.privs[1] = fx_wstr(&F, "Se");
	EXPECT(&F, SBX_E_VALUE);
}

Test(verify, wide_suffix_matches_beyond_ascii)
{
	static const uint16_t good[] = { '\\', 'c', 'a', 'f', 0xE9, '\\', 0xD83D, 0xDE00 };
	uint16_t u[9];
	F.paths[2].suffix = fx_str(&F, "/caf\xC3\xA9/\xF0\x9F\x98\x80");
	struct fx base = F;
	F.paths[2].wsuffix = add_wunits(&F, good, 8);
	EXPECT(&F, SBX_OK);
	for (size_t i = 0; i < 8; i++) {      /* any unit changed */
		memcpy(u, good, sizeof good);
		u[i] = u[i] == '\\' ? '/' : (uint16_t)(u[i] + 1);
		F = base;
		F.paths[2].wsuffix = add_wunits(&F, u, 8);
		EXPECT(&F, SBX_E_VALUE);
	}
	memcpy(u, good, sizeof good);
	u[8] = 'x';
	F = base;
	F.paths[2].wsuffix = add_wunits(&F, u, 9);   /* one unit longer */
	EXPECT(&F, SBX_E_VALUE);
	F = base;
	F.paths[2].wsuffix = add_wunits(&F, good, 6); /* the last code point missing */
	EXPECT(&F, SBX_E_VALUE);
	F = base;
	F.paths[2].wsuffix = add_wunits(&F, good, 7); /* half a pair: the pool itself is bad */
	EXPECT(&F, SBX_E_STRING);
}

Test(verify, wide_suffix_length_must_match)
{
	static const char *const bad[] = { "\\.gitx", "\\.gi", "\\.git\\", "" };
	for (size_t i = 0; i < 4; i++) {
		fx_init(&F);
		F.paths[2].wsuffix = fx_wstr(&F, bad[i]);
		EXPECT(&F, SBX_E_VALUE);
	}
}

Test(verify, suffix_reports_its_first_problem)
{
	static const struct { const char *s; const char *why; } cases[] = {
		{ "/../\x01", "\".\" or \"..\" component" },
		{ "/a\x01/..", "control character in path" },
		{ "/a//", "empty component" },
		{ "/a/", "trailing '/'" },
		{ "/a\\b", "backslash in a Windows path" },
		{ "/a/\x7f", "control character in path" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fx_init(&F);
		F.paths[2].suffix = fx_str(&F, cases[i].s);
		EXPECT(&F, SBX_E_VALUE);
		cr_assert(strstr(B.where, cases[i].why), "%s: %s", cases[i].s, B.where);
	}
	fx_init(&F);
	F.paths[5].suffix = fx_str(&F, "/dev/a\\b");  /* Linux only: a backslash is a name byte */
	EXPECT(&F, SBX_OK);
}

Test(verify, section_table_in_any_order)
{
	B.len = fx_build(&F, B.b);
	struct sbx_section *t = (struct sbx_section *)(B.b + SBX_BLOB_CHECKSUM_START);
	uint32_t n = ((struct sbx_blob_header *)B.b)->section_count;
	struct sbx_section first = t[0];
	t[0] = t[n - 1];
	t[n - 1] = first;
	cr_assert_eq(reverify(&B, 1), SBX_OK, "%s", B.where);
	struct sbx_section *net = fx_section(B.b, SBX_SEC_NETWORK);
	uint32_t net_offset = net->offset;
	net->offset = fx_section(B.b, SBX_SEC_STRINGS)->offset;   /* now before it in the table */
	cr_assert_eq(reverify(&B, 1), SBX_E_OVERLAP);
	net->offset = net_offset;
	net->id = t[0].id;
	cr_assert_eq(reverify(&B, 1), SBX_E_DUPLICATE);
}
