/*
 * test_win_plan.c - the Windows plan (runtime/win_plan.c), on Linux: for
 * each shipped policy and for edge cases, the exact SIDs, default DACL,
 * ACEs as SDDL, token flags, job values, environment and temp directory a
 * spawn on Windows would use.  The executor (win_exec.c) performs these
 * operations and decides nothing, so these goldens are the Windows
 * sandbox's contract; the Wine smoke tests (tests/windows/) check the
 * executor's plumbing.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sbx/sbxrt.h"
#include "support.h"
#include "../runtime/win_plan.h"

#define WIN (SBX_PLAT_WINDOWS)
#define ALL (SBX_PLAT_WINDOWS | SBX_PLAT_LINUX)

struct fixture {
	uint8_t *blob;
	size_t len;
	struct sbx_view v;
	const char *values[64];
	struct win_plan plan;
	char err[512];
};

static void compile_text(struct fixture *f, const char *text, uint32_t targets)
{
	char *diag = NULL;
	memset(f, 0, sizeof *f);
	int rc = t_compile(text, NULL, targets, &f->blob, &f->len, &diag);
	cr_assert_eq(rc, 0, "compile failed: %s", diag ? diag : "");
	free(diag);
	cr_assert_eq(sbx_blob_verify(f->blob, f->len, &f->v, NULL, 0), SBX_OK);
}

/* Compiles a shipped policy file with sbxc (it imports common.sbxpol). */
static void compile_shipped(struct fixture *f, const char *name)
{
	char cmd[1024], *out = NULL;
	char *dir = t_tmpdir();
	memset(f, 0, sizeof *f);
	snprintf(cmd, sizeof cmd, "%s compile %s/policies/%s.sbxpol -o %s/p.sbxblob 2>&1", SBXC_PATH,
	         SBX_SOURCE_DIR, name, dir);
	cr_assert_eq(t_run(cmd, &out), 0, "%s", out ? out : "");
	free(out);
	snprintf(cmd, sizeof cmd, "%s/p.sbxblob", dir);
	f->blob = (uint8_t *)t_read_file(cmd, &f->len);
	cr_assert_not_null(f->blob);
	cr_assert_eq(sbx_blob_verify(f->blob, f->len, &f->v, NULL, 0), SBX_OK);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	t_run(cmd, NULL);
	free(dir);
}

static int param(const struct fixture *f, const char *name)
{
	for (size_t i = 0; i < f->v.nparams; i++)
		if (strcmp(sbx_view_str(&f->v, f->v.params[i].name), name) == 0)
			return (int)i;
	return -1;
}

static void bind(struct fixture *f, const char *name, const char *value)
{
	int i = param(f, name);
	cr_assert_geq(i, 0, "no parameter %s", name);
	f->values[i] = value;
}

static const char *const default_env[] = {
	"Path=C:\\Windows\\system32;C:\\Windows", "USERPROFILE=C:\\Users\\dev",
	"SystemRoot=C:\\Windows", "TEMP=C:\\Users\\dev\\AppData\\Local\\Temp",
	"github_token=secret", "Aws_Secret_Access_Key=secret", "LANG=C", NULL,
};

static int plan_env(struct fixture *f, const char *const *envp)
{
	struct wp_input in = { &f->v, f->values, "C:\\work\\proj", envp };
	return wp_build(&in, &f->plan, f->err, sizeof f->err);
}

static int plan(struct fixture *f)
{
	return plan_env(f, default_env);
}

static void done(struct fixture *f)
{
	wp_free(&f->plan);
	free(f->blob);
}

/* The plan as text, one operation a line: what the goldens compare. */
static char *plan_text(const struct win_plan *p)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	fprintf(m, "token 0x%x restricting %zu of %zu\n", p->token_flags, p->nrestrict, p->nsids);
	for (size_t i = 0; i < p->nsids; i++)
		fprintf(m, "sid %zu %s %s\n", i, p->sids[i].text[0] ? p->sids[i].text : "<logon>",
		        p->sids[i].path ? p->sids[i].path : "-");
	for (size_t i = 0; i < p->ndacl; i++)
		fprintf(m, "dacl %s\n", p->dacl[i].sddl);
	for (size_t i = 0; i < p->naces; i++)
		fprintf(m, "ace %s %s%s\n", p->aces[i].sddl, p->aces[i].object,
		        p->aces[i].flags & SBX_ACE_F_READ_UNENFORCED ? " read-unenforced" : "");
	for (size_t i = 0; i < p->nroots; i++)
		fprintf(m, "root %s\n", p->roots[i]);
	fprintf(m, "job 0x%x ui 0x%x processes %u memory %llu cpu_100ns %llu wall_ms %llu\n",
	        p->job.limit_flags, p->job.ui_restrictions, p->job.active_processes,
	        (unsigned long long)p->job.job_memory_bytes, (unsigned long long)p->job.job_time_100ns,
	        (unsigned long long)p->job.wall_ms);
	fprintf(m, "tmp %s%s\n", p->tmpdir ? p->tmpdir : "-", p->tmpdir_create ? " (create)" : "");
	fclose(m);
	return buf;
}

static void expect_text(const struct win_plan *p, const char *want)
{
	char *got = plan_text(p);
	cr_expect_str_eq(got, want, "plan:\n%s\nexpected:\n%s", got, want);
	free(got);
}

static const char *env_value(const struct win_plan *p, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < p->nenv; i++)
		if (strncmp(p->envp[i], name, n) == 0 && p->envp[i][n] == '=')
			return p->envp[i] + n + 1;
	return NULL;
}

static void sid_of(const char *path, char out[SBX_SID_STR_MAX])
{
	uint16_t w[512];
	size_t n = wp_utf8_to_utf16(path, w, 512);
	cr_assert_neq(n, SIZE_MAX);
	sbx_derive_cap_sid(w, n, out);
}

/* ---------------------------------------------------------------- */
/* Shipped policies                                                  */
/* ---------------------------------------------------------------- */

#define CAP_WS  "S-1-5-21-3637212918-2453553841-4263853916-3950436942"  /* C:\work\proj */
#define CAP_TMP "S-1-5-21-1279441565-2621860496-1893531458-900613165"  /* C:\work\proj\.sbx-tmp */

#define DENY_BOTH(path) \
	"ace (D;OICI;0xd017f;;;" CAP_TMP ") " path " read-unenforced\n" \
	"ace (D;OICI;0xd017f;;;" CAP_WS ") " path " read-unenforced\n"
#define RO_BOTH(path) \
	"ace (D;OICI;0xd0156;;;" CAP_TMP ") " path "\n" \
	"ace (D;OICI;0xd0156;;;" CAP_WS ") " path "\n"

static const char ww_golden[] =
	"token 0xd restricting 3 of 3\n"
	"sid 0 " CAP_TMP " C:\\work\\proj\\.sbx-tmp\n"
	"sid 1 " CAP_WS " C:\\work\\proj\n"
	"sid 2 <logon> -\n"
	"dacl (A;;GA;;;<user>)\n"
	"dacl (A;;GA;;;SY)\n"
	"dacl (A;;GA;;;<logon>)\n"
	"dacl (A;;GA;;;" CAP_TMP ")\n"
	"dacl (A;;GA;;;" CAP_WS ")\n"
	DENY_BOTH("C:\\Users\\dev\\.aws")
	DENY_BOTH("C:\\Users\\dev\\.azure")
	DENY_BOTH("C:\\Users\\dev\\.cargo\\credentials.toml")
	DENY_BOTH("C:\\Users\\dev\\.config\\gcloud")
	DENY_BOTH("C:\\Users\\dev\\.config\\gh")
	DENY_BOTH("C:\\Users\\dev\\.docker")
	DENY_BOTH("C:\\Users\\dev\\.git-credentials")
	DENY_BOTH("C:\\Users\\dev\\.gnupg")
	DENY_BOTH("C:\\Users\\dev\\.kube")
	DENY_BOTH("C:\\Users\\dev\\.netrc")
	DENY_BOTH("C:\\Users\\dev\\.npmrc")
	DENY_BOTH("C:\\Users\\dev\\.pypirc")
	DENY_BOTH("C:\\Users\\dev\\.ssh")
	"ace (A;OICI;0x1301ff;;;" CAP_TMP ") C:\\work\\proj\\.sbx-tmp\n"
	"ace (A;OICI;0x1301ff;;;" CAP_WS ") C:\\work\\proj\n"
	RO_BOTH("C:\\work\\proj\\.agents")
	RO_BOTH("C:\\work\\proj\\.codex")
	RO_BOTH("C:\\work\\proj\\.git")
	RO_BOTH("C:\\work\\proj\\.hg")
	RO_BOTH("C:\\work\\proj\\.svn")
	"ace (A;;0x12019f;;;" CAP_TMP ") \\\\.\\NUL\n"
	"ace (A;;0x12019f;;;" CAP_WS ") \\\\.\\NUL\n"
	"ace (D;;0x40;;;" CAP_WS ") C:\\work\\proj\n"
	"root C:\\work\\proj\\.sbx-tmp\n"
	"root C:\\work\\proj\n"
	"job 0x260c ui 0xff processes 1024 memory 8589934592 cpu_100ns 72000000000 wall_ms 7200000\n"
	"tmp C:\\work\\proj\\.sbx-tmp (create)\n";

Test(win_plan, workspace_write_golden)
{
	struct fixture f;
	compile_shipped(&f, "workspace-write");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	expect_text(&f.plan, ww_golden);
	done(&f);
}

/* XXH3-128 over the namespace and the canonical UTF-16LE path, in one shot. */
static void reference_sid(const char *canonical, char out[SBX_SID_STR_MAX])
{
	uint8_t buf[1024];
	size_t ns = strlen("sbx-capability-sid-v1"), n = 0;
	memcpy(buf, "sbx-capability-sid-v1", ns);
	for (; canonical[n]; n++) {
		buf[ns + 2 * n] = (uint8_t)canonical[n];
		buf[ns + 2 * n + 1] = 0;
	}
	XXH128_hash_t h = XXH3_128bits(buf, ns + 2 * n);
	snprintf(out, SBX_SID_STR_MAX, "S-1-5-21-%u-%u-%u-%u", (unsigned)(uint32_t)h.low64,
	         (unsigned)(uint32_t)(h.low64 >> 32), (unsigned)(uint32_t)h.high64,
	         (unsigned)(uint32_t)(h.high64 >> 32));
}

Test(win_plan, capability_sids_match_the_documented_derivation)
{
	char sid[SBX_SID_STR_MAX], ref[SBX_SID_STR_MAX];
	reference_sid("C:\\WORK\\PROJ", ref);
	cr_expect_str_eq(ref, CAP_WS);
	reference_sid("C:\\WORK\\PROJ\\.SBX-TMP", ref);
	cr_expect_str_eq(ref, CAP_TMP);
	sid_of("C:\\work\\proj", sid);
	cr_expect_str_eq(sid, CAP_WS);
	sid_of("c:/WORK/proj/", sid);    /* case and separators do not matter */
	cr_expect_str_eq(sid, CAP_WS);
	sid_of("C:\\work\\proj\\.sbx-tmp", sid);
	cr_expect_str_eq(sid, CAP_TMP);
}

/* Windows orders an environment block by upper-cased name. */
static int upper_name_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = *a == '=' ? 0 : toupper((unsigned char)*a);
		int cb = *b == '=' ? 0 : toupper((unsigned char)*b);
		if (ca != cb || !ca)
			return ca - cb;
	}
}

/* Replaces every `from` in buf (size bytes) by `to`. */
static void replace_all(char *buf, size_t size, const char *from, const char *to)
{
	char tmp[1024];
	for (char *at = strstr(buf, from); at; at = strstr(at + strlen(to), from)) {
		snprintf(tmp, sizeof tmp, "%s%s", to, at + strlen(from));
		cr_assert_lt((size_t)(at - buf) + strlen(tmp), size);
		strcpy(at, tmp);
	}
}

/* Binds "${NAME}" in buf as the plan bound it: the value is a bound path less its suffix. */
static void bind_params(const struct fixture *f, char *buf, size_t size)
{
	for (size_t i = 0; i < f->v.npaths; i++) {
		const struct sbx_path *path = &f->v.paths[i];
		char suffix[1024], name[128], value[1024];
		if (path->param == SBX_NONE || !f->plan.paths[i])
			continue;
		cr_assert_neq(wp_utf16_to_utf8(sbx_view_wstr(&f->v, path->wsuffix), suffix, sizeof suffix),
		              SIZE_MAX);
		size_t n = strlen(f->plan.paths[i]) - strlen(suffix);
		snprintf(value, sizeof value, "%.*s", (int)n, f->plan.paths[i]);
		snprintf(name, sizeof name, "${%s}", sbx_view_str(&f->v, f->v.params[path->param].name));
		replace_all(buf, size, name, value);
	}
}

/* "(D;;0x40;;;cap(${WORKSPACE})) on ${WORKSPACE} guard: ..." -> "(D;;0x40;;;SID) C:\work\proj" */
static void explain_to_plan(const struct fixture *f, const char *line, char *out, size_t size)
{
	snprintf(out, size, "%s", line);
	char *on = strstr(out, " on ");
	cr_assert_not_null(on);
	memmove(on + 1, on + 4, strlen(on + 4) + 1);
	static const char *const ends[] = { " (rule ", " implicit", "; NOTE", " guard: " };
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		char *e = strstr(on, ends[i]);
		if (e)
			*e = 0;
	}
	bind_params(f, out, size);
	for (char *cap = strstr(out, "cap("); cap; cap = strstr(out, "cap(")) {
		char path[512], sid[SBX_SID_STR_MAX];
		char *close = strchr(cap, ')');
		cr_assert_not_null(close);
		snprintf(path, sizeof path, "%.*s", (int)(close - cap - 4), cap + 4);
		sid_of(path, sid);
		snprintf(path, sizeof path, "%.*s", (int)(close - cap + 1), cap);
		replace_all(out, size, path, sid);
	}
}

/* `sbxc explain` of f's blob in *out (the caller frees). */
static void explain_blob(const struct fixture *f, char **out)
{
	char *dir = t_tmpdir(), path[512], cmd[1024];
	snprintf(path, sizeof path, "%s/p.sbxblob", dir);
	cr_assert_eq(t_write_file(path, f->blob, f->len), 0);
	snprintf(cmd, sizeof cmd, "%s explain %s", SBXC_PATH, path);
	cr_assert_eq(t_run(cmd, out), 0, "%s", *out ? *out : "");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	t_run(cmd, NULL);
	free(dir);
}

/*
 * Each ACE line of `explain` (out), bound as the plan bound f's paths, is
 * the plan's ACE at the same place: the blob's, then the guards.  Returns
 * how many; the plan may have more only for guards decided at spawn time.
 */
static size_t explain_matches_plan(const struct fixture *f, const char *out)
{
	if (strstr(out, "\n  ACEs: none\n"))
		return 0;
	const char *at = strstr(out, "\n  ACEs:\n");
	cr_assert_not_null(at, "%s", out);
	size_t n = 0;
	for (at += strlen("\n  ACEs:\n"); strncmp(at, "    (", 5) == 0; n++) {
		const char *nl = strchr(at, '\n');
		char line[1024], text[1024], want[1024];
		cr_assert_not_null(nl);
		cr_assert_lt((size_t)(nl - at), sizeof line);
		snprintf(line, sizeof line, "%.*s", (int)(nl - at), at);
		explain_to_plan(f, line + 4, text, sizeof text);
		cr_assert_lt(n, f->plan.naces, "explain shows more ACEs than the plan has: %s", line);
		snprintf(want, sizeof want, "%s %s", f->plan.aces[n].sddl, f->plan.aces[n].object);
		cr_expect_str_eq(text, want, "ACE %zu", n);
		cr_expect_eq(strstr(line, " guard: ") != NULL, f->plan.aces[n].guard, "%s", line);
		at = nl + 1;
	}
	return n;
}

/* What `sbxc explain` shows is what the runtime does: same ACEs, guards included, same order. */
static void expect_explain_is_plan(const struct fixture *f)
{
	char *out = NULL;
	explain_blob(f, &out);
	cr_expect_eq(explain_matches_plan(f, out), f->plan.naces, "%s", out);
	free(out);
}

Test(win_plan, workspace_write_environment)
{
	struct fixture f;
	compile_shipped(&f, "workspace-write");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	const struct win_plan *p = &f.plan;
	cr_expect_str_eq(env_value(p, "TEMP"), "C:\\work\\proj\\.sbx-tmp");
	cr_expect_str_eq(env_value(p, "TMP"), "C:\\work\\proj\\.sbx-tmp");
	cr_expect_str_eq(env_value(p, "TMPDIR"), "C:\\work\\proj\\.sbx-tmp");
	cr_expect_str_eq(env_value(p, "Path"), "C:\\Windows\\system32;C:\\Windows");
	cr_expect_str_eq(env_value(p, "SystemRoot"), "C:\\Windows");
	cr_expect_null(env_value(p, "github_token"), "a *_TOKEN drop is case-insensitive on Windows");
	cr_expect_null(env_value(p, "Aws_Secret_Access_Key"));
	cr_expect_str_eq(env_value(p, "HTTPS_PROXY"), "http://127.0.0.1:9");
	cr_expect_str_eq(env_value(p, "NPM_CONFIG_OFFLINE"), "true");
	cr_expect_str_eq(env_value(p, "GIT_SSH_COMMAND"), "cmd /c exit 1");
	cr_expect(p->net_advisory, "offline is advisory on Windows");
	for (size_t i = 1; i < p->nenv; i++)
		cr_expect_lt(upper_name_cmp(p->envp[i - 1], p->envp[i]), 0, "not sorted: %s, %s",
		             p->envp[i - 1], p->envp[i]);
	cr_expect_null(p->envp[p->nenv]);
	done(&f);
}

Test(win_plan, workspace_write_privileges)
{
	struct fixture f;
	compile_shipped(&f, "workspace-write");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	int debug = 0, impersonate = 0;
	for (size_t i = 0; i < f.plan.nprivs; i++) {
		cr_expect_str_neq(f.plan.privs[i], "SeChangeNotifyPrivilege");
		debug |= strcmp(f.plan.privs[i], "SeDebugPrivilege") == 0;
		impersonate |= strcmp(f.plan.privs[i], "SeImpersonatePrivilege") == 0;
	}
	cr_expect_eq(f.plan.nprivs, 35);
	cr_expect(debug && impersonate);
	cr_expect_eq(f.plan.token_flags, SBX_WIN_DISABLE_MAX_PRIVILEGE | SBX_WIN_LUA_TOKEN |
	             SBX_WIN_WRITE_RESTRICTED);
	done(&f);
}

Test(win_plan, workspace_write_online_has_no_advisory_variables)
{
	struct fixture f;
	compile_shipped(&f, "workspace-write-online");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_expect_not(f.plan.net_advisory);
	cr_expect_null(env_value(&f.plan, "HTTPS_PROXY"));
	cr_expect_null(env_value(&f.plan, "PIP_NO_INDEX"));
	cr_expect_eq(f.plan.nsids, 3);
	done(&f);
}

Test(win_plan, read_only_golden)
{
	struct fixture f;
	compile_shipped(&f, "read-only");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	/* No writable root: only the logon SID restricts, so no write passes
	   the restricting check except where the logon SID is granted it. */
	expect_text(&f.plan,
	            "token 0xd restricting 1 of 1\n"
	            "sid 0 <logon> -\n"
	            "dacl (A;;GA;;;<user>)\n"
	            "dacl (A;;GA;;;SY)\n"
	            "dacl (A;;GA;;;<logon>)\n"
	            "job 0x2608 ui 0xff processes 256 memory 4294967296 cpu_100ns 0 wall_ms 1800000\n"
	            "tmp -\n");
	cr_expect_eq(f.plan.job.limit_flags & 0x1800u, 0, "never breakaway");
	cr_expect(f.plan.net_advisory);
	done(&f);
}

/* Invariants for every shipped policy. */
static void check_invariants(const struct win_plan *p)
{
	cr_expect(p->job.limit_flags & SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE);
	cr_expect_eq(p->job.limit_flags & 0x1800u, 0, "no breakaway flag");
	cr_expect_eq(p->job.ui_restrictions, 0xff);
	cr_expect_leq(p->nrestrict, p->nsids);
	cr_expect_leq(p->ncaps, WP_MAX_CAPS);
	for (size_t i = 0; i < p->naces; i++) {
		cr_expect_lt(p->aces[i].sid, p->nsids);
		cr_expect_not_null(p->aces[i].object);
		cr_expect_eq(p->aces[i].flags & SBX_ACE_F_TEMPORARY, 0);
	}
	for (size_t r = 0; r < p->nroots; r++) {
		int granted = 0;
		for (size_t i = 0; i < p->naces; i++)
			granted |= p->aces[i].type == SBX_ACE_ALLOW && strcmp(p->aces[i].object, p->roots[r]) == 0 &&
			           p->aces[i].mask == 0x1301ffu && p->aces[i].inherit == 3;
		cr_expect(granted, "root %s has no allow ACE", p->roots[r]);
	}
}

/* Each shipped policy plans, and `sbxc explain` shows exactly the plan's ACEs. */
Test(win_plan, every_shipped_policy_plans)
{
	static const char *const names[] = { "common", "read-only", "workspace-write",
	                                     "workspace-write-online" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct fixture f;
		compile_shipped(&f, names[i]);
		cr_assert_eq(plan(&f), SBX_OK, "%s: %s", names[i], f.err);
		check_invariants(&f.plan);
		expect_explain_is_plan(&f);
		done(&f);
	}
}

/* ---------------------------------------------------------------- */
/* Edge cases                                                        */
/* ---------------------------------------------------------------- */

Test(win_plan, carve_out_case_variants_share_one_sid_and_object)
{
	struct fixture f, g;
	static const char text[] = "sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\";"
	                           " readonly \"${WORKSPACE}/.git\"; }";
	compile_text(&f, text, WIN);
	compile_text(&g, text, WIN);
	bind(&f, "WORKSPACE", "C:\\Work\\Proj");
	bind(&g, "WORKSPACE", "c:/work/PROJ/");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_assert_eq(plan(&g), SBX_OK, "%s", g.err);
	cr_expect_str_eq(f.plan.sids[0].text, g.plan.sids[0].text, "case-insensitive derivation");
	cr_expect_str_eq(f.plan.sids[0].text, CAP_WS);
	cr_expect_str_eq(g.plan.aces[1].object, "C:\\work\\PROJ\\.git");
	cr_expect_str_eq(g.plan.aces[1].sddl, "(D;OICI;0xd0156;;;" CAP_WS ")");
	/* NTFS resolves .GIT, .Git and .git:stream to the same file: one ACE covers them. */
	cr_expect(wp_path_within(g.plan.aces[1].object, "c:\\WORK\\proj\\.GIT\\config"));
	cr_expect(wp_path_within(g.plan.aces[1].object, "C:\\work\\proj\\.Git"));
	cr_expect_not(wp_path_within(g.plan.aces[1].object, "C:\\work\\proj\\.gitignore"));
	done(&f);
	done(&g);
}

/* FILE_DELETE_CHILD on a parent beats the child's own deny (MS KB 238018):
   every directory between the root and a carve-out is guarded, on itself only. */
Test(win_plan, carve_outs_cannot_be_moved_away)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { param WORKSPACE, HOME; writable \"${WORKSPACE}\";"
	                 " readonly \"${WORKSPACE}/a/b/.git\", \"${WORKSPACE}/.git\";"
	                 " denied \"${WORKSPACE}/a/key\", \"${HOME}/.ssh\"; }", WIN);
	bind(&f, "WORKSPACE", "C:\\w");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	char sid[SBX_SID_STR_MAX], want[1024], *got = NULL;
	sid_of("C:\\w", sid);
	snprintf(want, sizeof want,
	         "(D;;0x40;;;%s) C:\\w\n(D;;0x10040;;;%s) C:\\w\\a\\b\n(D;;0x10040;;;%s) C:\\w\\a\n",
	         sid, sid, sid);
	size_t size = 0;
	FILE *m = open_memstream(&got, &size);
	for (size_t i = f.plan.naces - f.plan.nguards; i < f.plan.naces; i++) {
		cr_expect(f.plan.aces[i].guard);
		cr_expect_eq(f.plan.aces[i].inherit, 0, "on the directory itself: nothing propagates");
		fprintf(m, "%s %s\n", f.plan.aces[i].sddl, f.plan.aces[i].object);
	}
	fclose(m);
	cr_expect_str_eq(got, want, "no guard outside the root (HOME), none twice; got\n%s", got);
	free(got);
	done(&f);
}

Test(win_plan, sixteen_roots_plan_and_seventeen_do_not_compile)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof text, "sbxpol 1; policy p { param WORKSPACE;");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, " writable \"${WORKSPACE}/r%02d\";", i);
	snprintf(text + n, sizeof text - n, " }");
	struct fixture f;
	compile_text(&f, text, WIN);
	bind(&f, "WORKSPACE", "D:\\w");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_expect_eq(f.plan.ncaps, 16);
	cr_expect_eq(f.plan.nrestrict, 17);
	cr_expect_eq(f.plan.ndacl, 19, "user, SYSTEM, logon and 16 capability SIDs");
	cr_expect_str_eq(f.plan.tmpdir, "D:\\w\\r00\\.sbx-tmp");
	char sid[SBX_SID_STR_MAX];
	sid_of("D:\\w\\r15", sid);
	cr_expect_str_eq(f.plan.sids[15].text, sid);
	done(&f);

	n = (size_t)snprintf(text, sizeof text, "sbxpol 1; policy p { param WORKSPACE;");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, " writable \"${WORKSPACE}/r%02d\";", i);
	snprintf(text + n, sizeof text - n, " }");
	uint8_t *blob = NULL;
	size_t len = 0;
	char *diag = NULL;
	cr_expect_neq(t_compile(text, NULL, WIN, &blob, &len, &diag), 0);
	cr_expect(diag && strstr(diag, "too many writable roots for Windows (limit is 16)"), "%s", diag);
	free(diag);
	free(blob);
}

Test(win_plan, denied_paths_deny_read_and_write_but_only_write_is_enforced)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\";"
	                 " denied \"${WORKSPACE}/secrets\", \"${WORKSPACE}/key.pem\"; }", WIN);
	bind(&f, "WORKSPACE", "C:\\work\\proj");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	expect_text(&f.plan,
	            "token 0xd restricting 2 of 2\n"
	            "sid 0 " CAP_WS " C:\\work\\proj\n"
	            "sid 1 <logon> -\n"
	            "dacl (A;;GA;;;<user>)\n"
	            "dacl (A;;GA;;;SY)\n"
	            "dacl (A;;GA;;;<logon>)\n"
	            "dacl (A;;GA;;;" CAP_WS ")\n"
	            "ace (A;OICI;0x1301ff;;;" CAP_WS ") C:\\work\\proj\n"
	            "ace (D;OICI;0xd017f;;;" CAP_WS ") C:\\work\\proj\\key.pem read-unenforced\n"
	            "ace (D;OICI;0xd017f;;;" CAP_WS ") C:\\work\\proj\\secrets read-unenforced\n"
	            "ace (A;;0x12019f;;;" CAP_WS ") \\\\.\\NUL\n"
	            "ace (D;;0x40;;;" CAP_WS ") C:\\work\\proj\n"
	            "root C:\\work\\proj\n"
	            "job 0x2400 ui 0xff processes 0 memory 0 cpu_100ns 0 wall_ms 0\n"
	            "tmp C:\\work\\proj\\.sbx-tmp (create)\n");
	done(&f);
}

Test(win_plan, drive_letter_literal_path)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { writable \"c:/Tools/x\"; readonly \"C:/Tools/x/.git\";"
	                 " readonly \"/usr\"; limit wall 10s; }", ALL);
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	char sid[SBX_SID_STR_MAX];
	sid_of("C:\\Tools\\x", sid);
	cr_expect_eq(f.plan.sids[0].kind, SBX_SID_LITERAL, "precomputed by the compiler");
	cr_expect_str_eq(f.plan.sids[0].text, sid, "compiler and runtime derive the same SID");
	cr_expect_str_eq(f.plan.aces[0].object, "C:\\Tools\\x");
	cr_expect_str_eq(f.plan.aces[1].object, "C:\\Tools\\x\\.git");
	cr_expect_eq(f.plan.aces[1].type, SBX_ACE_DENY);
	cr_expect_eq(f.plan.naces, 4, "allow, deny on .git, NUL, the guard; nothing for the Linux path");
	cr_expect_str_eq(f.plan.aces[3].object, "C:\\Tools\\x");
	cr_expect_eq(f.plan.aces[3].mask, WP_GUARD_PARENT);
	cr_expect_str_eq(f.plan.tmpdir, "C:\\Tools\\x\\.sbx-tmp");
	cr_expect_eq(f.plan.job.wall_ms, 10000);
	done(&f);
}

/* Run from a drive's root, the default WORKSPACE would open the whole drive:
   refused; a policy that names a drive's root itself gets it. */
Test(win_plan, drive_root_as_workspace_refused)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\";"
	                 " readonly \"${WORKSPACE}/.git\"; }", WIN);
	bind(&f, "WORKSPACE", "e:/");
	cr_assert_eq(plan(&f), SBX_E_ROOT, "%s", f.err);
	cr_expect(strstr(f.err, "${WORKSPACE} is bound to E:\\: the whole drive") != NULL, "%s", f.err);
	done(&f);
}

Test(win_plan, literal_drive_root_plans)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { writable \"E:/\"; readonly \"E:/.git\"; }", WIN);
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_expect_str_eq(f.plan.roots[0], "E:\\");
	cr_expect_str_eq(f.plan.aces[1].object, "E:\\.git");
	cr_expect_str_eq(f.plan.tmpdir, "E:\\.sbx-tmp");
	done(&f);
}

Test(win_plan, tmpdir_bound_is_used_as_is)
{
	struct fixture f;
	compile_shipped(&f, "workspace-write");
	bind(&f, "TMPDIR", "D:\\scratch");
	bind(&f, "WORKSPACE", "C:\\src");
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_expect_str_eq(f.plan.tmpdir, "D:\\scratch");
	cr_expect_not(f.plan.tmpdir_create, "a bound TMPDIR must exist; it is not created");
	cr_expect_str_eq(env_value(&f.plan, "TEMP"), "D:\\scratch");
	cr_expect_str_eq(f.plan.roots[0], "D:\\scratch");
	done(&f);
}

Test(win_plan, policy_set_temp_wins)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\";"
	                 " env set TEMP = \"C:/t\"; }", WIN);
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_expect_str_eq(env_value(&f.plan, "TEMP"), "C:/t");
	cr_expect_str_eq(env_value(&f.plan, "TMP"), "C:\\work\\proj\\.sbx-tmp");
	done(&f);
}

Test(win_plan, keep_list_still_passes_what_windows_needs)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { param WORKSPACE; writable \"${WORKSPACE}\";"
	                 " env keep \"PATH\"; }", WIN);
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_expect_str_eq(env_value(&f.plan, "SystemRoot"), "C:\\Windows");
	cr_expect_str_eq(env_value(&f.plan, "Path"), "C:\\Windows\\system32;C:\\Windows");
	cr_expect_null(env_value(&f.plan, "LANG"), "not kept");
	cr_expect_null(env_value(&f.plan, "USERPROFILE"), "not kept");
	done(&f);
}

Test(win_plan, home_defaults_to_userprofile)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { param HOME; writable \"${HOME}/cache\"; }", WIN);
	cr_assert_eq(plan(&f), SBX_OK, "%s", f.err);
	cr_expect_str_eq(f.plan.roots[0], "C:\\Users\\dev\\cache");
	wp_free(&f.plan);
	static const char *const bare[] = { "PATH=C:\\x", NULL };
	cr_expect_eq(plan_env(&f, bare), SBX_E_PARAM);
	cr_expect(strstr(f.err, "%USERPROFILE% is not set"), "%s", f.err);
	done(&f);
}

Test(win_plan, unbound_parameter_is_an_error)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { param CACHE; writable \"${CACHE}\"; }", WIN);
	cr_expect_eq(plan(&f), SBX_E_PARAM);
	cr_expect_str_eq(f.err, "parameter CACHE is not bound (it has no default): pass --var CACHE=PATH");
	bind(&f, "CACHE", "/var/cache");
	cr_expect_eq(plan(&f), SBX_E_PARAM);
	cr_expect(strstr(f.err, "not an absolute drive path"), "%s", f.err);
	done(&f);
}

Test(win_plan, linux_only_blob_is_refused)
{
	struct fixture f;
	compile_text(&f, "sbxpol 1; policy p { readonly \"/usr\"; }", SBX_PLAT_LINUX);
	cr_expect_eq(plan(&f), SBX_E_BLOB);
	cr_expect(strstr(f.err, "not compiled for Windows"), "%s", f.err);
	done(&f);
}

Test(win_plan, values_checked_and_normalized)
{
	static const char *const bad[] = {
		"/usr", "work", "C:", "C:work", "\\\\server\\share", "\\\\?\\C:\\x", "C:\\a\\..\\b",
		"C:\\a\\.\\b", "C:\\a\\\\b", "C:\\a:evil", "C:\\a.", "C:\\a \\b", "C:\\a|b", "C:\\a\tb",
		"C:\\work\\CON", "C:\\nul.txt\\x", "C:\\x\\com1", "C:\\Lpt9.log",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not_null(wp_check_value(bad[i]), "accepted %s", bad[i]);
	static const char *const good[][2] = {
		{ "C:\\", "C:\\" }, { "c:/", "C:\\" }, { "c:/x/y/", "C:\\x\\y" }, { "D:\\a b\\c", "D:\\a b\\c" },
		{ "z:\\tmp\\\xc3\xa9t\xc3\xa9", "Z:\\tmp\\\xc3\xa9t\xc3\xa9" },
		{ "C:\\console\\com10\\lpt\\nul_", "C:\\console\\com10\\lpt\\nul_" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char out[64];
		cr_expect_null(wp_check_value(good[i][0]), "refused %s", good[i][0]);
		wp_normalize_value(good[i][0], out);
		cr_expect_str_eq(out, good[i][1]);
	}
}

/* ---------------------------------------------------------------- */
/* Command line and the ACE idempotence check                        */
/* ---------------------------------------------------------------- */

/* CommandLineToArgvW's rules (the C runtime's since 2008), to round-trip. */
static int parse_cmdline(const char *s, char out[][64], int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || n == max)
			break;
		size_t len = 0;
		int quoted = 0;
		while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
			size_t slashes = 0;
			while (*s == '\\') {
				slashes++;
				s++;
			}
			if (*s == '"') {
				for (size_t k = 0; k < slashes / 2; k++)
					out[n][len++] = '\\';
				if (slashes % 2)
					out[n][len++] = '"';
				else
					quoted = !quoted;
				s++;
			} else
				for (size_t k = 0; k < slashes; k++)
					out[n][len++] = '\\';
			if (*s && *s != '"' && *s != '\\' && (quoted || (*s != ' ' && *s != '\t')))
				out[n][len++] = *s++;
		}
		out[n++][len] = 0;
	}
	return n;
}

Test(win_plan, command_line_round_trips)
{
	static const char *const argv[] = { "C:\\Program Files\\x.exe", "plain", "a b", "q\"uote",
	                                    "end\\", "sp ace\\", "x\\\\\"y", "", "tab\there", NULL };
	char line[1024], back[16][64];
	size_t n = wp_cmdline(argv, line, sizeof line);
	cr_assert_gt(n, 0);
	cr_expect_str_eq(line, "\"C:\\Program Files\\x.exe\" plain \"a b\" \"q\\\"uote\" end\\ "
	                       "\"sp ace\\\\\" \"x\\\\\\\\\\\"y\" \"\" \"tab\there\"");
	int argc = parse_cmdline(line, back, 16);
	cr_assert_eq(argc, 9);
	for (int i = 0; i < argc; i++)
		cr_expect_str_eq(back[i], argv[i]);
	cr_expect_eq(wp_cmdline(argv, line, 20), 0, "too long for the buffer");
}

Test(win_plan, ace_present_only_for_an_explicit_equal_or_wider_ace)
{
	struct wp_ace want = { .type = SBX_ACE_ALLOW, .inherit = 3, .mask = 0x1301ff };
	const char *sid = "S-1-5-21-1-2-3-4";
	struct wp_have same = { SBX_ACE_ALLOW, 3, 0x1301ff, "s-1-5-21-1-2-3-4" };
	struct wp_have wider = { SBX_ACE_ALLOW, 3, 0x1f01ff, sid };
	struct wp_have inherited = { SBX_ACE_ALLOW, 3 | WP_ACE_INHERITED, 0x1301ff, sid };
	struct wp_have inherit_only = { SBX_ACE_ALLOW, 3 | WP_ACE_INHERIT_ONLY, 0x1301ff, sid };
	struct wp_have narrower = { SBX_ACE_ALLOW, 3, 0x120089, sid };
	struct wp_have no_inherit = { SBX_ACE_ALLOW, 0, 0x1301ff, sid };
	struct wp_have deny = { SBX_ACE_DENY, 3, 0x1301ff, sid };
	struct wp_have other = { SBX_ACE_ALLOW, 3, 0x1301ff, "S-1-5-21-1-2-3-5" };
	cr_expect(wp_ace_present(&same, 1, &want, sid));
	cr_expect(wp_ace_present(&wider, 1, &want, sid));
	cr_expect_not(wp_ace_present(&inherited, 1, &want, sid));
	cr_expect_not(wp_ace_present(&inherit_only, 1, &want, sid));
	cr_expect_not(wp_ace_present(&narrower, 1, &want, sid));
	cr_expect_not(wp_ace_present(&no_inherit, 1, &want, sid));
	cr_expect_not(wp_ace_present(&deny, 1, &want, sid));
	cr_expect_not(wp_ace_present(&other, 1, &want, sid));
	struct wp_have list[] = { other, inherited, same };
	cr_expect(wp_ace_present(list, 3, &want, sid), "found anywhere in the DACL");
}

Test(win_plan, utf16_conversions_reject_invalid_input)
{
	uint16_t w[8];
	char s[16];
	cr_expect_eq(wp_utf8_to_utf16("\xc3\xa9\xf0\x9f\x98\x80", w, 8), 3);
	cr_expect_eq(w[1], 0xd83d);
	w[3] = 0;
	cr_expect_eq(wp_utf16_to_utf8(w, s, sizeof s), 6);
	cr_expect_str_eq(s, "\xc3\xa9\xf0\x9f\x98\x80");
	cr_expect_eq(wp_utf8_to_utf16("\xed\xa0\x80", w, 8), SIZE_MAX, "an encoded surrogate");
	cr_expect_eq(wp_utf8_to_utf16("\xc0\xaf", w, 8), SIZE_MAX, "overlong");
	const uint16_t lone[] = { 0xdc00, 0 };
	cr_expect_eq(wp_utf16_to_utf8(lone, s, sizeof s), SIZE_MAX);
}
