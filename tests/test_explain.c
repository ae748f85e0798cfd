/* test_explain.c - `sbxc explain` text and JSON, and the BPF disassembler. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_disasm.h"
#include "explain.h"
#include "sbx/sbxrt.h"
#include "support.h"
#include "../runtime/win_plan.h"
#include "blob_fixture.c"

/* ---- a tiny JSON syntax checker (RFC 8259 grammar, no semantics) ---- */

static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;            /* raw control characters are not JSON */
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *js_number(const char *p)
{
	const char *s = p;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	return p > s ? p : NULL;
}

static const char *js_list(const char *p, char close, int object, int depth)
{
	p = js_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			if (!(p = js_string(p)))
				return NULL;
			p = js_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = js_value(p, depth + 1)))
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = js_ws(p);
	}
}

static const char *js_value(const char *p, int depth)
{
	p = js_ws(p);
	if (depth > 64)
		return NULL;
	if (*p == '{')
		return js_list(p, '}', 1, depth);
	if (*p == '[')
		return js_list(p, ']', 0, depth);
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	return js_number(p);
}

static int json_valid(const char *s)
{
	const char *end = js_value(s, 0);
	return end && *js_ws(end) == '\0';
}

Test(json_checker, accepts_and_rejects)
{
	cr_assert(json_valid("{\"a\": [1, true, null, \"x\\u00e9\"], \"b\": {}}"));
	cr_assert(!json_valid("{\"a\": 1,}"));
	cr_assert(!json_valid("{\"a\": \"\x01\"}"));
	cr_assert(!json_valid("[1] 2"));
	cr_assert(!json_valid("{\"a\" 1}"));
}

/* ---- helpers ---- */

static _Alignas(8) uint8_t blob[FX_BUF_SIZE];

/* Runs sbx_explain on len bytes at b; returns the malloc'd output. */
static char *explain(const void *b, size_t len, int json, int *rc, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	cr_assert_not_null(f);
	*rc = sbx_explain(b, len, f, json, err, errlen);
	fclose(f);
	return buf;
}

static char *explain_fx(const struct fx *f, int json)
{
	char err[256] = "";
	int rc;
	size_t len = fx_build(f, blob);
	char *out = explain(blob, len, json, &rc, err, sizeof err);
	cr_assert_eq(rc, SBX_OK, "%s", err);
	return out;
}

#define HAS(out, s) cr_assert(strstr(out, s), "missing %s in:\n%s", s, out)

/* ---- text ---- */

Test(explain, text_header_and_common)
{
	struct fx f;
	fx_init(&f);
	char *out = explain_fx(&f, 0);
	const struct sbx_blob_header *h = (const void *)blob;
	char id[64];
	snprintf(id, sizeof id, "  policy id: %016llx\n", (unsigned long long)h->policy_id);
	HAS(out, id);
	HAS(out, "  format: 1.0\n  compiler ABI: 1\n");
	HAS(out, "  flags: linux windows\n");
	HAS(out, "  new user namespaces: allowed (user-namespaces allow)\n");
	HAS(out, "  CACHE: must be bound at spawn time (--var CACHE=...)\n");
	HAS(out, "  WORKSPACE: builtin");
	HAS(out, "  3: readonly ${WORKSPACE}/.git, carve-out, inside rule 2\n");
	HAS(out, "  1: readonly C:/tools [windows]\n");
	HAS(out, "  5: writable ${CACHE}\n");
	HAS(out, "  memory: 4 GiB\n  cpu: none\n  wall: 1h\n");
	HAS(out, "  drop *_TOKEN (default)\n");
	HAS(out, "HTTPS_PROXY=http://127.0.0.1:9 (advisory");
	free(out);
}

Test(explain, text_network_enforcement_per_platform)
{
	struct fx f;
	fx_init(&f);
	char *out = explain_fx(&f, 0);
	HAS(out, "network: offline\n  linux: private network namespace (loopback only) + "
	         "seccomp socket-family filter\n  windows: ADVISORY ONLY: proxy environment "
	         "variables; nothing stops a program that ignores them\n");
	free(out);
	f.network.mode = SBX_NET_ONLINE;
	out = explain_fx(&f, 0);
	HAS(out, "network: online\n  linux: no restriction\n  windows: no restriction\n");
	free(out);
}

Test(explain, text_linux)
{
	struct fx f;
	fx_init(&f);
	char *out = explain_fx(&f, 0);
	HAS(out, "  landlock: ABI 5 or newer\n");
	HAS(out, "      /: execute read_file read_dir\n");
	HAS(out, "      /dev/null: write_file read_file (implicit)\n");
	HAS(out, "    0: read-only ${WORKSPACE}/.git (rule 3)\n");
	HAS(out, "    1: hide ${HOME}/.ssh (rule 4) if-inside");
	HAS(out, "    2: expose ${WORKSPACE} (rule 2) if-inside (only if the bound path is inside an "
	         "allowed root) read-only\n");
	HAS(out, "  seccomp: 9 instructions\n      0: ld [arch]\n      1: jeq #0xc000003e, 1, 0\n");
	HAS(out, "      5: ld [args[0].lo]\n");
	HAS(out, "      7: ret ERRNO(97)\n      8: ret ALLOW\n");
	HAS(out, "    DATA: soft 4 GiB, hard 4 GiB\n");
	free(out);
}

Test(explain, text_windows)
{
	struct fx f;
	fx_init(&f);
	char *out = explain_fx(&f, 0);
	HAS(out, "  token: disable-max-privilege write-restricted\n");
	HAS(out, "    0: cap(${WORKSPACE}) (restricting), derived at spawn time");
	HAS(out, "    3: S-1-1-0\n");
	HAS(out, "  privileges deleted: SeDebugPrivilege SeBackupPrivilege\n");
	HAS(out, "    (A;OICI;0x1301ff;;;cap(${WORKSPACE})) on ${WORKSPACE} (rule 2) temporary");
	HAS(out, "    (D;OICI;0x1301ff;;;S-1-1-0) on ${HOME}\\.ssh (rule 4) temporary (reverted after "
	         "the command); NOTE: read denial is not enforced by a write-restricted token\n");
	HAS(out, "    (A;;0x12019f;;;cap(${WORKSPACE})) on \\\\.\\NUL implicit\n");
	HAS(out, "    limits: active-process job-memory die-on-unhandled-exception kill-on-job-close\n");
	HAS(out, "    UI restrictions: handles readclipboard");
	free(out);
}

Test(explain, linux_only_has_no_windows_part)
{
	struct fx f;
	fx_init(&f);
	f.flags = SBX_BLOB_F_LINUX | SBX_BLOB_F_BEST_EFFORT;
	for (uint32_t i = 0; i < f.nparams; i++)
		f.params[i].wname = SBX_NONE;
	for (uint32_t i = 0; i < f.npaths; i++)
		f.paths[i].wsuffix = SBX_NONE;
	for (uint32_t i = 0; i < f.nenv; i++)
		f.env[i].wname = f.env[i].wvalue = SBX_NONE;
	char *out = explain_fx(&f, 0);
	cr_assert_null(strstr(out, "windows:"));
	cr_assert_null(strstr(out, "ADVISORY"));
	HAS(out, "  enforcement: best-effort");
	free(out);
	out = explain_fx(&f, 1);
	cr_assert(json_valid(out));
	HAS(out, "\"windows\": null");
	free(out);
}

Test(explain, output_is_deterministic)
{
	struct fx f;
	fx_init(&f);
	for (int json = 0; json < 2; json++) {
		char *a = explain_fx(&f, json);
		char *b = explain_fx(&f, json);
		cr_assert_str_eq(a, b);
		free(a);
		free(b);
	}
}

/* ---- JSON ---- */

Test(explain, json_is_valid_and_ordered)
{
	struct fx f;
	fx_init(&f);
	char *out = explain_fx(&f, 1);
	cr_assert(json_valid(out), "%s", out);
	static const char *const keys[] = { "\"format\"", "\"compiler_abi\"", "\"size\"",
		"\"policy_id\"", "\"checksum\"", "\"flags\"", "\"enforcement\"", "\"params\"",
		"\"fs_rules\"", "\"network\"", "\"limits\"", "\"env\"", "\"linux\"", "\"windows\"" };
	const char *last = out;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *at_ = strstr(last, keys[i]);
		cr_assert_not_null(at_, "key %s missing or out of order", keys[i]);
		last = at_;
	}
	HAS(out, "\"windows_path\": \"C:\\\\tools\"");
	HAS(out, "\"sddl\": \"(D;OICI;0x1301ff;;;S-1-1-0)\"");
	HAS(out, "\"text\": \"ld [args[0].lo]\"");
	HAS(out, "\"windows_advisory\": true");
	HAS(out, "\"cpu_seconds\": null");
	HAS(out, "\"read_unenforced\": true,\n        \"note\": \"read denial is not enforced");
	free(out);
}

Test(explain, json_escapes_strings)
{
	struct fx f;
	fx_init(&f);
	f.env[2].value = fx_str(&f, "a\"b\\c\x01\x1f d\n\xC3\xA9");
	f.env[2].wvalue = SBX_NONE;
	char *out = explain_fx(&f, 1);
	cr_assert(json_valid(out), "%s", out);
	HAS(out, "\"value\": \"a\\\"b\\\\c\\u0001\\u001f d\\n\xC3\xA9\"");
	free(out);
}

Test(explain, json_through_python)
{
	if (t_run("python3 -c 'pass'", NULL) != 0)
		cr_skip_test("python3 is not installed");
	struct fx f;
	fx_init(&f);
	char *out = explain_fx(&f, 1);
	char *dir = t_tmpdir();
	char path[512], cmd[1100];
	snprintf(path, sizeof path, "%s/x.json", dir);
	cr_assert_eq(t_write_file(path, out, strlen(out)), 0);
	snprintf(cmd, sizeof cmd, "python3 -m json.tool '%s' > /dev/null", path);
	char *msg = NULL;
	cr_assert_eq(t_run(cmd, &msg), 0, "%s", msg ? msg : "");
	free(msg);
	remove(path);
	remove(dir);
	free(dir);
	free(out);
}

/* ---- errors ---- */

Test(explain, bad_blob_reports_reason_and_place)
{
	struct fx f;
	fx_init(&f);
	f.rules[1].kind = 9;
	size_t len = fx_build(&f, blob);
	char err[256];
	int rc;
	char *out = explain(blob, len, 0, &rc, err, sizeof err);
	cr_assert_eq(rc, SBX_E_VALUE);
	cr_assert_str_eq(err, "bad blob (a field has a value outside its domain): "
	                      "section 5 (filesystem rules) record 1: kind 9");
	cr_assert(!out || !*out, "nothing is printed for a bad blob");
	free(out);
}

Test(explain, misaligned_input_is_copied)
{
	struct fx f;
	fx_init(&f);
	size_t len = fx_build(&f, blob);
	uint8_t *shifted = malloc(len + 1);
	memcpy(shifted + 1, blob, len);
	char err[256] = "";
	int rc;
	char *out = explain(shifted + 1, len, 0, &rc, err, sizeof err);
	cr_assert_eq(rc, SBX_OK, "%s", err);
	HAS(out, "network: offline");
	free(out);
	free(shifted);
}

/* ---- BPF disassembly ---- */

static const char *insn(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	static char text[SBX_BPF_TEXT_MAX];
	struct sbx_bpf_insn i = { code, jt, jf, k };
	sbx_bpf_insn_text(&i, text);
	return text;
}

Test(bpf_disasm, loads)
{
	cr_assert_str_eq(insn(0x20, 0, 0, 0), "ld [nr]");
	cr_assert_str_eq(insn(0x20, 0, 0, 4), "ld [arch]");
	cr_assert_str_eq(insn(0x20, 0, 0, 8), "ld [instruction_pointer.lo]");
	cr_assert_str_eq(insn(0x20, 0, 0, 16), "ld [args[0].lo]");
	cr_assert_str_eq(insn(0x20, 0, 0, 60), "ld [args[5].hi]");
	cr_assert_str_eq(insn(0x20, 0, 0, 100), "ld [0x64]");
	cr_assert_str_eq(insn(0x00, 0, 0, 7), "ld #0x7");
	cr_assert_str_eq(insn(0x01, 0, 0, 7), "ldx #0x7");
	cr_assert_str_eq(insn(0x60, 0, 0, 3), "ld M[3]");
	cr_assert_str_eq(insn(0x80, 0, 0, 0), "ld #len");
	cr_assert_str_eq(insn(0x02, 0, 0, 3), "st M[3]");
	cr_assert_str_eq(insn(0x03, 0, 0, 3), "stx M[3]");
}

Test(bpf_disasm, alu_jumps_misc)
{
	cr_assert_str_eq(insn(0x54, 0, 0, 0xff), "and #0xff");
	cr_assert_str_eq(insn(0x5c, 0, 0, 0), "and x");
	cr_assert_str_eq(insn(0x84, 0, 0, 0), "neg");
	cr_assert_str_eq(insn(0x15, 4, 0, 0x29), "jeq #0x29, 4, 0");
	cr_assert_str_eq(insn(0x1d, 1, 2, 0), "jeq x, 1, 2");
	cr_assert_str_eq(insn(0x45, 0, 1, 0x40), "jset #0x40, 0, 1");
	cr_assert_str_eq(insn(0x05, 0, 0, 3), "ja 3");
	cr_assert_str_eq(insn(0x07, 0, 0, 0), "tax");
	cr_assert_str_eq(insn(0x87, 0, 0, 0), "txa");
}

Test(bpf_disasm, returns)
{
	cr_assert_str_eq(insn(0x06, 0, 0, 0x7fff0000), "ret ALLOW");
	cr_assert_str_eq(insn(0x06, 0, 0, 0x80000000), "ret KILL_PROCESS");
	cr_assert_str_eq(insn(0x06, 0, 0, 0), "ret KILL_THREAD");
	cr_assert_str_eq(insn(0x06, 0, 0, 0x00050061), "ret ERRNO(97)");
	cr_assert_str_eq(insn(0x06, 0, 0, 0x00030001), "ret TRAP(1)");
	cr_assert_str_eq(insn(0x06, 0, 0, 0x7ffc0000), "ret LOG");
	cr_assert_str_eq(insn(0x06, 0, 0, 0x12345678), "ret #0x12345678");
	cr_assert_str_eq(insn(0x16, 0, 0, 0), "ret a");
}

Test(bpf_disasm, unknown_opcodes_never_crash)
{
	cr_assert_str_eq(insn(0xffff, 0, 0, 0), "unknown 0xffff");
	cr_assert_str_eq(insn(0x0d, 0, 0, 0), "unknown 0x000d");
	cr_assert_str_eq(insn(0x8c, 0, 0, 0), "unknown 0x008c");
	cr_assert_str_eq(insn(0x0e, 0, 0, 0), "unknown 0x000e");
	for (uint32_t c = 0; c <= 0xffff; c++) {
		const char *t = insn((uint16_t)c, 255, 255, 0xffffffffu);
		cr_assert(strlen(t) > 0 && strlen(t) < SBX_BPF_TEXT_MAX);
	}
}

Test(bpf_disasm, program_lines)
{
	struct sbx_bpf_insn prog[] = { { 0x20, 0, 0, 0 }, { 0x15, 4, 0, 0x29 },
	                               { 0x06, 0, 0, 0x7fff0000 } };
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	sbx_bpf_disasm(prog, 3, 2, f);
	fclose(f);
	cr_assert_str_eq(buf, "    0: ld [nr]\n    1: jeq #0x29, 4, 0\n    2: ret ALLOW\n");
	free(buf);
}

/* ---- blobs from the real compiler ---- */

static const char *const real_policy =
	"sbxpol 1;\n"
	"policy p {\n"
	"    param WORKSPACE, HOME, CACHE;\n"
	"    readonly \"/\";\n"
	"    writable \"${WORKSPACE}\", \"${CACHE}\";\n"
	"    readonly \"${WORKSPACE}/.git\";\n"
	"    denied \"${HOME}/.ssh\";\n"
	"    network offline;\n"
	"    limit memory 4 GiB;\n"
	"    limit wall 1h;\n"
	"    env set CI = \"1\";\n"
	"}\n";

static char *explain_policy(const char *text, uint32_t targets, int json)
{
	uint8_t *b = NULL;
	size_t len = 0;
	char *diag = NULL, err[256] = "";
	int rc = t_compile(text, NULL, targets, &b, &len, &diag);
	cr_assert_eq(rc, 0, "%s", diag ? diag : "");
	char *out = explain(b, len, json, &rc, err, sizeof err);
	cr_assert_eq(rc, SBX_OK, "%s", err);
	free(diag);
	free(b);
	return out;
}

static char *explain_real(uint32_t targets, int json)
{
	return explain_policy(real_policy, targets, json);
}

Test(explain_real, text)
{
	char *out = explain_real(3, 0);
	HAS(out, "  flags: linux windows no-user-namespaces\n");
	HAS(out, "  new user namespaces: refused (seccomp: clone and unshare with CLONE_NEWUSER");
	HAS(out, "  CACHE: must be bound at spawn time (--var CACHE=...)\n");
	HAS(out, "  WORKSPACE: builtin");
	HAS(out, "readonly ${WORKSPACE}/.git, carve-out");
	HAS(out, "denied ${HOME}/.ssh, carve-out");
	HAS(out, "  linux: private network namespace (loopback only) + seccomp socket-family filter\n");
	HAS(out, "  windows: ADVISORY ONLY: proxy environment variables");
	HAS(out, "  memory: 4 GiB\n");
	HAS(out, "  wall: 1h\n");
	HAS(out, "  set CI=1\n");
	HAS(out, "      0: ld [arch]\n");
	HAS(out, "ret ALLOW\n");
	HAS(out, "cap(${WORKSPACE})");
	HAS(out, " on ${HOME}\\.ssh");
	free(out);
}

Test(explain_real, json_every_target)
{
	for (uint32_t t = 1; t <= 3; t++) {
		char *out = explain_real(t, 1);
		cr_assert(json_valid(out), "targets %u:\n%s", t, out);
		HAS(out, t & 2 ? "\"windows\": {" : "\"windows\": null");
		HAS(out, t & 1 ? "\"linux\": {" : "\"linux\": null");
		if (t & 1)
			HAS(out, "\"new_user_namespaces\": \"refused\"");
		else
			cr_expect(!strstr(out, "no-user-namespaces"), "a Windows blob has no such flag");
		free(out);
	}
}

Test(explain_real, linux_only_text_has_no_windows)
{
	char *out = explain_real(1, 0);
	HAS(out, "linux:\n  landlock: ABI ");
	cr_assert_null(strstr(out, "windows:"));
	cr_assert_null(strstr(out, "ADVISORY"));
	free(out);
}

/* ---- the plan's guard ACEs (runtime/win_plan.h), which the blob does not hold ---- */

static char *explain_text(const char *text, int json)
{
	return explain_policy(text, SBX_PLAT_WINDOWS, json);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *at = strstr(s, what); at; at = strstr(at + 1, what))
		n++;
	return n;
}

static const char *const guarded_policy =
	"sbxpol 1; policy p { param WORKSPACE, HOME; writable \"${WORKSPACE}\";"
	" readonly \"${WORKSPACE}/a/.git\", \"${WORKSPACE}/.git\"; denied \"${HOME}/.ssh\"; }";

Test(explain_guards, text)
{
	char *out = explain_text(guarded_policy, 0);
	HAS(out, "    (D;;0x10040;;;cap(${WORKSPACE})) on ${WORKSPACE}\\a guard: denies DELETE and "
	         "FILE_DELETE_CHILD, this object only, added by the runtime's plan so that the "
	         "carve-outs beneath it cannot be moved away\n");
	HAS(out, "    (D;;0x40;;;cap(${WORKSPACE})) on ${WORKSPACE} guard: denies FILE_DELETE_CHILD, "
	         "this object only, added by the runtime's plan");
	cr_expect_eq(count(out, " guard: "), 2, "each directory once:\n%s", out);
	HAS(out, "    guards of cap(${WORKSPACE}) decided at spawn time, for rules 0: these paths start "
	         "from another parameter than the SID's writable root, so the runtime's plan decides "
	         "from the bound values");
	cr_expect_lt(strstr(out, "guard: denies"), strstr(out, "  job:"), "with the ACEs");
	free(out);
}

Test(explain_guards, json)
{
	char *out = explain_text(guarded_policy, 1);
	cr_assert(json_valid(out), "%s", out);
	HAS(out, "\"guards\": [\n      {\n        \"sddl\": \"(D;;0x40;;;cap(${WORKSPACE}))\",\n"
	         "        \"path\": \"${WORKSPACE}\",\n"
	         "        \"denies\": \"FILE_DELETE_CHILD\",\n"
	         "        \"this_object_only\": true,\n");
	HAS(out, "\"sddl\": \"(D;;0x10040;;;cap(${WORKSPACE}))\",\n"
	         "        \"path\": \"${WORKSPACE}\\\\a\",\n"
	         "        \"denies\": \"DELETE and FILE_DELETE_CHILD\",\n");
	HAS(out, "\"guards_too_many\": null");
	HAS(out, "\"guards_at_spawn\": [\n      {\n        \"sid\": \"cap(${WORKSPACE})\",\n"
	         "        \"rules\": [\n          0\n        ],\n");
	free(out);
}

Test(explain_guards, none_without_carve_outs)
{
	char *out = explain_text("sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\"; }", 0);
	cr_expect_null(strstr(out, "guard"), "%s", out);
	free(out);
	out = explain_text("sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\"; }", 1);
	HAS(out, "\"guards\": [],\n    \"guards_too_many\": null,\n    \"guards_at_spawn\": [],\n");
	free(out);
}

/* More directories than the plan guards: explain says the runtime will refuse. */
Test(explain_guards, too_many)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof text,
	                            "sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\";"
	                            " readonly \"${WORKSPACE}");
	for (int i = 0; i < WP_MAX_GUARDS + 10; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "/a");
	snprintf(text + n, sizeof text - n, "/.git\"; }");
	cr_assert_lt(n, sizeof text - 16);
	char *out = explain_text(text, 0);
	cr_expect_eq(count(out, " guard: "), WP_MAX_GUARDS);
	HAS(out, "    NOTE: more than 1024 guard ACEs: the runtime refuses to spawn: too many "
	         "directories to guard around carve-outs\n");
	free(out);
}
