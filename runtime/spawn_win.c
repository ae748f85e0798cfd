/*
 * spawn_win.c - the Windows side of the public API (sbx_ctx_bind,
 * sbx_spawn, sbx_proc_wait, sbx_proc_kill).  It takes the place of
 * bind.c, env.c and spawn.c, because Windows paths and variable names
 * follow other rules (drive paths; case-insensitive names); those rules
 * live in win_plan.c, which is tested on Linux.  This file gathers the
 * inputs (cwd, environment, stdio, the command's path), asks win_plan.c
 * for a plan and win_exec.c to carry it out, then waits and logs.
 *
 * struct sbx_proc has int fields only: the process and job handles are
 * kept in pidfd and status_fd.  Kernel handles fit in 32 bits on 64-bit
 * Windows (documented for 32/64-bit interoperability), so this is exact.
 */
#include "rt.h"
#include "win_exec.h"

#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGV_LOG_MAX 64
#define ARG_LOG_MAX  512

/* ---- binding ---- */

static int param_index(const struct sbx_view *v, const char *name)
{
	for (size_t i = 0; i < v->nparams; i++)
		if (strcmp(sbx_view_str(v, v->params[i].name), name) == 0)
			return (int)i;
	return -1;
}

int sbx_ctx_bind(struct sbx_ctx *ctx, const char *name, const char *value)
{
	if (!ctx || !name || !value)
		return SBX_E_ARG;
	if (!ctx->loaded)
		return rt_fail(ctx, SBX_E_NOBLOB, "no policy blob is loaded");
	int i = param_index(&ctx->view, name);
	if (i < 0)
		return rt_fail(ctx, SBX_E_PARAM, "the policy has no parameter named %s", name);
	const char *why = wp_check_value(value);
	if (why)
		return rt_fail(ctx, SBX_E_PARAM, "cannot bind %s to '%s': %s", name, value, why);
	char *copy = malloc(strlen(value) + 1);
	if (!copy)
		return rt_fail(ctx, SBX_E_NOMEM, "out of memory binding %s", name);
	wp_normalize_value(value, copy);
	free(ctx->values[i]);
	ctx->values[i] = copy;
	return SBX_OK;
}

/* ---- UTF-8 <-> UTF-16 with the Win32 converters ---- */

static wchar_t *to_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
	if (w)
		MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
	return w;
}

static char *to_utf8(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s = n > 0 ? malloc((size_t)n) : NULL;
	if (s)
		WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

/* ---- the inputs of a plan ---- */

struct inputs {
	char *cwd;                 /* absolute, UTF-8 */
	char **envp;               /* owned copy of the caller's environment (when not given) */
	char *env_block;
	struct win_plan plan;
	wchar_t *app, *cmdline, *wcwd;
};

static void inputs_free(struct inputs *in)
{
	free(in->cwd);
	free(in->envp);
	free(in->env_block);
	wp_free(&in->plan);
	free(in->app);
	free(in->cmdline);
	free(in->wcwd);
}

static int get_cwd(struct sbx_ctx *ctx, const char *given, struct inputs *in)
{
	wchar_t buf[MAX_PATH * 4], *w = given ? to_wide(given) : NULL;
	DWORD n = w ? GetFullPathNameW(w, MAX_PATH * 4, buf, NULL) : GetCurrentDirectoryW(MAX_PATH * 4, buf);
	free(w);
	DWORD a = n && n < MAX_PATH * 4 ? GetFileAttributesW(buf) : INVALID_FILE_ATTRIBUTES;
	if (a == INVALID_FILE_ATTRIBUTES || !(a & FILE_ATTRIBUTE_DIRECTORY))
		return rt_fail(ctx, SBX_E_ARG, "cannot use the working directory %s",
		               given ? given : "(current)");
	in->cwd = to_utf8(buf);
	in->wcwd = in->cwd ? to_wide(in->cwd) : NULL;
	return in->wcwd ? SBX_OK : rt_fail(ctx, SBX_E_NOMEM, "out of memory");
}

/* The process environment as UTF-8 "NAME=VALUE" strings, in one block. */
static int get_env(struct sbx_ctx *ctx, struct inputs *in)
{
	wchar_t *block = GetEnvironmentStringsW();
	size_t count = 0, bytes = 0;
	for (wchar_t *e = block; e && *e; e += wcslen(e) + 1, count++)
		bytes += (size_t)WideCharToMultiByte(CP_UTF8, 0, e, -1, NULL, 0, NULL, NULL);
	in->envp = calloc(count + 1, sizeof *in->envp);
	in->env_block = malloc(bytes + 1);
	if (!block || !in->envp || !in->env_block) {
		if (block)
			FreeEnvironmentStringsW(block);
		return rt_fail(ctx, SBX_E_NOMEM, "out of memory reading the environment");
	}
	char *at = in->env_block;
	size_t i = 0;
	for (wchar_t *e = block; *e; e += wcslen(e) + 1) {
		int n = WideCharToMultiByte(CP_UTF8, 0, e, -1, at, (int)(bytes - (size_t)(at - in->env_block)),
		                            NULL, NULL);
		if (n > 0) {
			in->envp[i++] = at;
			at += n;
		}
	}
	FreeEnvironmentStringsW(block);
	return SBX_OK;
}

static const char *plan_getenv(const struct win_plan *p, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < p->nenv; i++)
		if (_strnicmp(p->envp[i], name, n) == 0 && p->envp[i][n] == '=')
			return p->envp[i] + n + 1;
	return NULL;
}

/* Where to look for a command name: the filtered PATH, else only the
   system directory (never sbxrun's own PATH, directory or cwd). */
static wchar_t *search_dirs(const struct inputs *in)
{
	const char *path = plan_getenv(&in->plan, "PATH");
	if (path && path[0])
		return to_wide(path);
	wchar_t sys[MAX_PATH];
	UINT n = GetSystemDirectoryW(sys, MAX_PATH);
	return n && n < MAX_PATH ? _wcsdup(sys) : NULL;
}

/* The command's executable: an absolute path as given, a relative path from
   the command's cwd, or a name searched as above; ".exe" is added when the
   name has no extension. */
static int find_app(struct sbx_ctx *ctx, const char *arg0, struct inputs *in)
{
	wchar_t found[MAX_PATH * 4];
	wchar_t *name = to_wide(arg0);
	int has_dir = strpbrk(arg0, "\\/:") != NULL;
	int absolute = (arg0[0] && arg0[1] == ':') || arg0[0] == '\\' || arg0[0] == '/';
	wchar_t *search = absolute ? NULL : has_dir ? _wcsdup(in->wcwd) : search_dirs(in);
	DWORD n = 0;
	if (name && (absolute || search))
		n = SearchPathW(search, name, L".exe", MAX_PATH * 4, found, NULL);
	free(search);
	free(name);
	if (n == 0 || n >= MAX_PATH * 4)
		return rt_fail(ctx, SBX_E_NOTFOUND, "%s: command not found", arg0);
	in->app = _wcsdup(found);
	return in->app ? SBX_OK : rt_fail(ctx, SBX_E_NOMEM, "out of memory");
}

static int make_cmdline(struct sbx_ctx *ctx, const char *const *argv, struct inputs *in)
{
	char *line = malloc(WP_CMDLINE_MAX * 3);
	size_t n = line ? wp_cmdline(argv, line, WP_CMDLINE_MAX * 3) : 0;
	in->cmdline = n ? to_wide(line) : NULL;
	free(line);
	if (n && !in->cmdline)
		return rt_fail(ctx, SBX_E_ARG, "the command line is not valid UTF-8 (sbxrun's arguments "
		               "arrive in the ANSI code page: use ASCII or a UTF-8 code page)");
	if (!in->cmdline || wcslen(in->cmdline) >= WP_CMDLINE_MAX)
		return rt_fail(ctx, SBX_E_ARG, "the command line is too long (limit is %d characters)",
		               WP_CMDLINE_MAX - 1);
	return SBX_OK;
}

static int prepare(struct sbx_ctx *ctx, const struct sbx_spawn_opts *o, struct inputs *in)
{
	char err[RT_ERR_SIZE];
	int rc = get_cwd(ctx, o->cwd, in);
	if (rc == SBX_OK && !o->envp)
		rc = get_env(ctx, in);
	if (rc != SBX_OK)
		return rc;
	struct wp_input pin = { &ctx->view, (const char *const *)ctx->values, in->cwd,
	                        o->envp ? o->envp : (const char *const *)in->envp };
	rc = wp_build(&pin, &in->plan, err, sizeof err);
	if (rc != SBX_OK)
		return rt_fail(ctx, rc, "%s", err);
	rc = find_app(ctx, o->argv[0], in);
	return rc == SBX_OK ? make_cmdline(ctx, o->argv, in) : rc;
}

static HANDLE std_handle(const struct sbx_spawn_opts *o, int i)
{
	static const DWORD which[3] = { STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE };
	if (o->redirect)
		return (HANDLE)_get_osfhandle(o->stdio[i]);
	return GetStdHandle(which[i]);
}

/* ---- the log ---- */

static void log_argv(struct rt_json *j, const char *const *argv)
{
	size_t i = 0;
	char arg[ARG_LOG_MAX + 1];
	rt_json_open(j, "argv", '[');
	for (; argv[i] && i < ARGV_LOG_MAX; i++) {
		snprintf(arg, sizeof arg, "%s", argv[i]);
		rt_json_str(j, NULL, arg);
	}
	rt_json_close(j, ']');
	if (argv[i] || i == ARGV_LOG_MAX)
		rt_json_raw(j, "argv_truncated", argv[i] ? "true" : "false");
}

static void log_mechanisms(struct rt_json *j, const struct win_plan *p, const struct wx_report *r)
{
	rt_json_open(j, "mechanisms", '{');
	rt_json_open(j, "restricted_token", '{');
	rt_json_hex(j, "flags", p->token_flags);
	rt_json_u64(j, "restricting_sids", r->restricting);
	rt_json_u64(j, "capability_sids", p->ncaps);
	rt_json_raw(j, "logon_sid", r->logon_sid ? "true" : "false");
	rt_json_u64(j, "privileges_deleted", r->privs_deleted);
	rt_json_u64(j, "default_dacl_entries", p->ndacl);
	rt_json_close(j, '}');
	rt_json_open(j, "aces", '{');
	rt_json_u64(j, "planned", p->naces);
	rt_json_u64(j, "guards", p->nguards);
	rt_json_u64(j, "written", r->aces_written);
	rt_json_u64(j, "already_present", r->aces_present);
	rt_json_u64(j, "missing_paths", r->aces_missing);
	rt_json_close(j, '}');
	rt_json_open(j, "job", '{');
	rt_json_hex(j, "limit_flags", p->job.limit_flags);
	rt_json_hex(j, "ui_restrictions", p->job.ui_restrictions);
	rt_json_raw(j, "in_job", r->in_job ? "true" : "false");
	rt_json_close(j, '}');
	rt_json_str(j, "network", p->net_advisory ? "advisory: environment variables only, not enforced"
	                                          : "unrestricted");
	rt_json_str(j, "temp_dir", p->tmpdir);
	rt_json_str(j, "desktop", "private: a desktop of its own, open to the user, logon SID and SYSTEM");
	rt_json_close(j, '}');
}

/* The job mechanism behind each of the policy's limits (docs/windows.md). */
static const char *const limits_by[4] = {
	"the job object (ActiveProcessLimit)", "the job object (JobMemoryLimit, whole tree)",
	"the job object (PerJobUserTimeLimit, whole tree)", "the launcher (TerminateJobObject)",
};

static void log_spawn(const struct sbx_ctx *ctx, const struct inputs *in, const char *const *argv,
                      const struct wx_report *r, DWORD pid)
{
	struct rt_json j;
	rt_json_begin(&j);
	rt_json_str(&j, "event", "spawn");
	rt_json_time(&j);
	rt_json_str(&j, "platform", "windows");
	rt_json_u64(&j, "pid", pid);
	rt_json_hex(&j, "policy_id", ctx->view.header->policy_id);
	rt_json_hex(&j, "checksum", ctx->view.header->checksum);
	log_argv(&j, argv);
	rt_json_str(&j, "cwd", in->cwd);
	rt_json_str(&j, "enforcement", ctx->view.header->flags & SBX_BLOB_F_BEST_EFFORT ? "best-effort"
	                                                                                : "strict");
	log_mechanisms(&j, &in->plan, r);
	rt_log_limits(&j, ctx->view.limits, limits_by);
	rt_json_open(&j, "degraded", '[');     /* nothing: there is no best-effort downgrade here */
	rt_json_close(&j, ']');
	rt_json_open(&j, "notes", '[');
	for (size_t off = 0; off < r->notes_len; off += strlen(r->notes + off) + 1)
		rt_json_str(&j, NULL, r->notes + off);
	rt_json_close(&j, ']');
	rt_json_emit(&j, ctx->log_fd);
}

/* The "error" line of a spawn that ran nothing, as on Linux. */
/* ---- spawn, wait, kill ---- */

static HANDLE proc_process(const struct sbx_proc *p)
{
	return (HANDLE)(intptr_t)p->pidfd;
}

static HANDLE proc_job(const struct sbx_proc *p)
{
	return (HANDLE)(intptr_t)p->status_fd;
}

static void fill_proc(struct sbx_proc *proc, const struct sbx_ctx *ctx, const struct win_plan *plan,
                      const struct wx_proc *wp)
{
	proc->pid = (int)wp->pid;
	proc->pidfd = (int)(intptr_t)wp->process;
	proc->status_fd = (int)(intptr_t)wp->job;
	proc->desktop = (int)(intptr_t)wp->desktop;
	proc->start_ns = GetTickCount64() * 1000000ull;
	proc->wall_ns = plan->job.wall_ms * 1000000ull;
	proc->cpu_s = plan->job.job_time_100ns / 10000000u;
	proc->policy_id = ctx->view.header->policy_id;
	proc->log_fd = ctx->log_fd;
}

/* The carve-outs that got no ACE because they did not exist, to check at exit. */
static void fill_watch(struct sbx_proc *proc, const struct wx_report *rep)
{
	proc->watch = rep->missing_len ? malloc(rep->missing_len) : NULL;
	if (proc->watch) {               /* no memory: the exit log just says less */
		memcpy(proc->watch, rep->missing, rep->missing_len);
		proc->watch_len = rep->missing_len;
	}
}

int sbx_spawn(struct sbx_ctx *ctx, const struct sbx_spawn_opts *o, struct sbx_proc *proc)
{
	int rc = rt_spawn_begin(ctx, o, proc);
	if (rc != SBX_OK)
		return rc;
	struct inputs in;
	memset(&in, 0, sizeof in);
	rc = prepare(ctx, o, &in);
	struct wx_proc wp;
	struct wx_report rep;
	if (rc == SBX_OK) {
		struct wx_spawn ws = { &in.plan, in.app, in.cmdline, in.wcwd,
		                       { std_handle(o, 0), std_handle(o, 1), std_handle(o, 2) } };
		char err[RT_ERR_SIZE];
		rc = wx_run(&ws, &wp, &rep, err, sizeof err);
		if (rc != SBX_OK)
			rt_fail(ctx, rc, "%s", err);        /* sanitized like every message */
	}
	if (rc == SBX_OK) {
		fill_proc(proc, ctx, &in.plan, &wp);
		fill_watch(proc, &rep);
		log_spawn(ctx, &in, o->argv, &rep, wp.pid);
	} else
		rt_log_error(ctx, rc, "windows");
	inputs_free(&in);
	return rc;
}

static int exists(const char *path)
{
	wchar_t *w = to_wide(path);
	int found = w && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
	free(w);
	return found;
}

/* CPU time and peak memory of the whole job. */
static void job_accounting(HANDLE job, struct sbx_exit *ex, uint64_t cpu_limit_s)
{
	JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
	if (QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof acct, NULL)) {
		ex->user_us = (uint64_t)acct.TotalUserTime.QuadPart / 10;
		ex->sys_us = (uint64_t)acct.TotalKernelTime.QuadPart / 10;
	}
	if (QueryInformationJobObject(job, JobObjectExtendedLimitInformation, &lim, sizeof lim, NULL))
		ex->maxrss_kb = (uint64_t)lim.PeakProcessMemoryUsed / 1024;
	if (cpu_limit_s && ex->user_us >= cpu_limit_s * 1000000u && !ex->limit)
		ex->limit = "cpu";
}

static DWORD wall_left(const struct sbx_proc *p)
{
	if (!p->wall_ns)
		return INFINITE;
	uint64_t now = GetTickCount64() * 1000000ull, end = p->start_ns + p->wall_ns;
	return now >= end ? 0 : (DWORD)((end - now) / 1000000u > 0xfffffff0u ? 0xfffffff0u : (end - now) / 1000000u);
}

int sbx_proc_wait(struct sbx_proc *p, struct sbx_exit *ex)
{
	if (!p || !ex || p->pid <= 0 || p->done)
		return SBX_E_ARG;
	memset(ex, 0, sizeof *ex);
	HANDLE process = proc_process(p), job = proc_job(p);
	if (WaitForSingleObject(process, wall_left(p)) == WAIT_TIMEOUT) {
		TerminateJobObject(job, 128 + 9);      /* as SIGKILL on Linux */
		WaitForSingleObject(process, INFINITE);
		p->killed_for_wall = 1;
		ex->limit = "wall";
	}
	DWORD code = 0;
	GetExitCodeProcess(process, &code);
	TerminateJobObject(job, 128 + 9);          /* what the command left behind dies with it */
	job_accounting(job, ex, p->cpu_s);
	ex->exit_code = (int)code;
	ex->signal = ex->limit ? 9 : 0;
	ex->code = ex->limit ? 128 + 9 : (int)code;
	if (ex->signal)
		ex->exit_code = -1;
	ex->duration_us = (GetTickCount64() * 1000000ull - p->start_ns) / 1000u;
	CloseHandle(process);
	CloseHandle(job);
	if (p->desktop)
		CloseDesktop((HDESK)(intptr_t)p->desktop);   /* nothing runs on it any more */
	p->desktop = 0;
	p->done = 1;
	rt_log_exit(p, ex, exists);
	free(p->watch);
	p->watch = NULL;
	p->watch_len = 0;
	return SBX_OK;
}

int sbx_proc_kill(const struct sbx_proc *p, int sig)
{
	if (!p || p->pid <= 0 || p->done)
		return SBX_E_ARG;
	return TerminateJobObject(proc_job(p), (UINT)(128 + sig)) ? SBX_OK : SBX_E_ARG;
}
