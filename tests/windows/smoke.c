/*
 * smoke.exe - the Windows smoke tests, run under Wine by wine-smoke.sh
 * (and runnable on Windows).  They check what Wine 8 really implements
 * (docs/windows.md): sbxrun.exe runs the command with the right argv, cwd
 * and environment and returns its exit code; the command is in the job;
 * killing sbxrun.exe kills the grandchildren; only stdio is inherited;
 * the deleted privileges are gone from the child's token; the default
 * DACL is set; failures at every setup step leave no process behind; the
 * wall limit kills the tree.  Where a check could pass vacuously, a
 * control runs the same probe outside the sandbox and must differ.
 *
 *   smoke.exe SBXRUN SBXRUN_FAULTS PROBE BLOB WALL_BLOB WORKDIR
 *
 * Prints "ok N - name" / "not ok N - name: why"; exits 1 if any failed.
 */
#include <windows.h>

#include <tlhelp32.h>

#include "sbx/sbxrt.h"
#include "harness.h"

/* ---- tests ---- */

static void test_argv_exit_cwd(struct env *e)
{
	struct result r;
	const char *echo[] = { "echo", "a b", "q\"x", "", "end\\", "tab\there", NULL };
	sandboxed(e, e->sbxrun, e->blob, echo, &r);
	report(e, r.code == 0 && strcmp(r.out, "[a b]\n[q\"x]\n[]\n[end\\]\n[tab\there]\n") == 0,
	       "argv reaches the command unchanged", "code %lu, output '%s'", r.code, r.out);
	const char *utf8[] = { "echo", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac", NULL };
	sandboxed(e, e->sbxrun, e->blob, utf8, &r);
	report(e, r.code == 0 && strcmp(r.out, "[\xc3\xa9t\xc3\xa9 \xe2\x82\xac]\n") == 0,
	       "non-ASCII arguments arrive intact (UTF-8 code page manifest)", "code %lu, output '%s'",
	       r.code, r.out);
	const char *ex[] = { "exit", "42", NULL };
	sandboxed(e, e->sbxrun, e->blob, ex, &r);
	report(e, r.code == 42, "the command's exit code comes back", "code %lu: %s", r.code, r.out);
	const char *cwd[] = { "cwd", NULL };
	sandboxed(e, e->sbxrun, e->blob, cwd, &r);
	char want[MAX_PATH + 2];
	snprintf(want, sizeof want, "%s\n", e->ws);
	report(e, _stricmp(r.out, want) == 0, "the command runs in --cwd", "got '%s', want '%s'", r.out, want);
}

static void test_environment(struct env *e)
{
	struct result r;
	char want[MAX_PATH + 32];
	SetEnvironmentVariableA("SECRET_TOKEN", "leak");
	SetEnvironmentVariableA("Some_Api_Key", "leak");
	const char *env[] = { "env", "TEMP", "TMP", "HTTPS_PROXY", "NPM_CONFIG_OFFLINE", "SECRET_TOKEN",
	                      "Some_Api_Key", NULL };
	sandboxed(e, e->sbxrun, e->blob, env, &r);
	snprintf(want, sizeof want, "TEMP=%s\\.sbx-tmp", e->ws);
	report(e, has_line(r.out, want), "TEMP is the private temp directory", "%s", r.out);
	snprintf(want, sizeof want, "TMP=%s\\.sbx-tmp", e->ws);
	report(e, has_line(r.out, want), "TMP is the private temp directory", "%s", r.out);
	snprintf(want, sizeof want, "%s\\.sbx-tmp", e->ws);
	DWORD a = GetFileAttributesA(want);
	report(e, a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY),
	       "the private temp directory exists in the workspace", "%s missing", want);
	snprintf(want, sizeof want, "%s\\.sbx-tmp\\.gitignore", e->ws);
	char ignore[8] = "";
	FILE *f = fopen(want, "rb");
	size_t got = f ? fread(ignore, 1, sizeof ignore - 1, f) : 0;
	if (f)
		fclose(f);
	ignore[got] = 0;
	report(e, strcmp(ignore, "*\n") == 0, "git ignores the private temp directory (.gitignore: *)",
	       "%s holds '%s'", want, ignore);
	report(e, has_line(r.out, "HTTPS_PROXY=http://127.0.0.1:9") &&
	              has_line(r.out, "NPM_CONFIG_OFFLINE=true"),
	       "offline sets the advisory variables", "%s", r.out);
	report(e, has_line(r.out, "SECRET_TOKEN unset") && has_line(r.out, "Some_Api_Key unset"),
	       "secrets are dropped, names compared case-insensitively", "%s", r.out);
	SetEnvironmentVariableA("SECRET_TOKEN", NULL);
	SetEnvironmentVariableA("Some_Api_Key", NULL);
}

/* A carve-out that did not exist got no ACE; if the command creates it, sbxrun says so. */
static void test_appeared(struct env *e)
{
	struct result r;
	char git[MAX_PATH];
	snprintf(git, sizeof git, "%s\\.git", e->ws);
	DeleteFileA(git);
	RemoveDirectoryA(git);
	const char *touch[] = { "touch", git, NULL };
	sandboxed(e, e->sbxrun, e->blob, touch, &r);
	report(e, r.code == 0 && strstr(r.out, "did not") && strstr(r.out, "appeared"),
	       "a carve-out created inside the sandbox is reported (appeared)", "code %lu: %s", r.code, r.out);
	DeleteFileA(git);
}

static void test_job(struct env *e)
{
	struct result r, c;
	const char *injob[] = { "injob", NULL };
	sandboxed(e, e->sbxrun, e->blob, injob, &r);
	direct(e, injob, &c);
	report(e, has_line(r.out, "injob=1"), "the command is in a job object", "%s", r.out);
	report(e, has_line(c.out, "injob=0"), "control: the probe alone is in no job", "%s", c.out);
	char *log = NULL;
	FILE *f = fopen(e->log_file, "rb");
	if (f) {
		log = calloc(1, OUT_MAX);
		if (log)
			fread(log, 1, OUT_MAX - 1, f);
		fclose(f);
	}
	report(e, log && strstr(log, "\"in_job\":true") && strstr(log, "\"platform\":\"windows\"") &&
	              strstr(log, "\"event\":\"exit\""),
	       "the JSON log names the Windows mechanisms", "%s", log ? log : "(no log)");
	free(log);
}

static DWORD read_pid(const char *file)
{
	for (int i = 0; i < 200; i++) {       /* up to 10 s for the sleeper to start */
		FILE *f = fopen(file, "r");
		unsigned long pid = 0;
		if (f) {
			int got = fscanf(f, "%lu", &pid);
			fclose(f);
			if (got == 1 && pid)
				return (DWORD)pid;
		}
		Sleep(50);
	}
	return 0;
}

/* Starts a tree that leaves a sleeping grandchild, kills the top; 1 when the grandchild died. */
static int grandchild_dies(struct env *e, const char *const *argv, const char *pidfile)
{
	PROCESS_INFORMATION pi;
	HANDLE out;
	DeleteFileA(pidfile);
	if (!start(e, argv, &pi, &out))
		return -1;
	DWORD pid = read_pid(pidfile);
	HANDLE g = pid ? OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE, FALSE, pid) : NULL;
	TerminateProcess(pi.hProcess, 1);
	int died = g && WaitForSingleObject(g, 10000) == WAIT_OBJECT_0;
	if (g && !died)
		TerminateProcess(g, 1);
	if (g)
		CloseHandle(g);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	CloseHandle(out);
	return g ? died : -1;
}

static void test_kill_tree(struct env *e)
{
	char pidfile[MAX_PATH], var[MAX_PATH + 16];
	snprintf(pidfile, sizeof pidfile, "%s\\sleeper.pid", e->ws);
	snprintf(var, sizeof var, "WORKSPACE=%s", e->ws);
	const char *boxed[] = { e->sbxrun, "--policy", e->blob, "--var", var, "--cwd", e->ws, "--",
	                        e->probe, "spawn-sleeper", pidfile, NULL };
	const char *alone[] = { e->probe, "spawn-sleeper", pidfile, NULL };
	int d = grandchild_dies(e, boxed, pidfile);
	report(e, d == 1, "terminating sbxrun.exe kills the grandchildren", "result %d", d);
	d = grandchild_dies(e, alone, pidfile);
	report(e, d == 0, "control: without sbxrun the grandchild survives its parent", "result %d", d);
}

static void test_handles(struct env *e)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	HANDLE ev = CreateEventA(&sa, TRUE, TRUE, NULL);
	char hex[32];
	snprintf(hex, sizeof hex, "%llx", (unsigned long long)(uintptr_t)ev);
	struct result r, c;
	const char *args[] = { "handle", hex, NULL };
	sandboxed(e, e->sbxrun, e->blob, args, &r);
	SetEvent(ev);
	direct(e, args, &c);
	report(e, has_line(r.out, "clean"), "only the stdio handles reach the command", "%s", r.out);
	report(e, has_line(c.out, "leaked"), "control: an inherited event is visible without sbxrun",
	       "%s", c.out);
	CloseHandle(ev);
}

/* The command runs on a desktop of its own; the probe run directly does not. */
static void test_desktop(struct env *e)
{
	struct result r, c;
	const char *desktop[] = { "desktop", NULL };
	sandboxed(e, e->sbxrun, e->blob, desktop, &r);
	direct(e, desktop, &c);
	report(e, r.code == 0 && strncmp(r.out, "sbx-", 4) == 0 && strncmp(c.out, "sbx-", 4) != 0,
	       "the command runs on a private desktop", "sandboxed '%s' (code %lu), direct '%s'", r.out,
	       r.code, c.out);
}

static void test_token(struct env *e)
{
	struct result r, c;
	const char *privs[] = { "privs", NULL };
	sandboxed(e, e->sbxrun, e->blob, privs, &r);
	direct(e, privs, &c);
	static const char *const deleted[] = { "SeDebugPrivilege", "SeBackupPrivilege",
	                                       "SeRestorePrivilege", "SeTakeOwnershipPrivilege",
	                                       "SeImpersonatePrivilege", "SeLoadDriverPrivilege" };
	int absent = 1, control = 0;
	for (size_t i = 0; i < sizeof deleted / sizeof deleted[0]; i++) {
		absent &= !has_line(r.out, deleted[i]);
		control |= has_line(c.out, deleted[i]);
	}
	report(e, absent && has_line(r.out, "SeChangeNotifyPrivilege"),
	       "the deleted privileges are gone from the command's token; SeChangeNotify stays", "%s", r.out);
	report(e, control, "control: the unrestricted token holds some of them", "%s", c.out);
	const char *dacl[] = { "dacl", NULL };
	sandboxed(e, e->sbxrun, e->blob, dacl, &r);
	direct(e, dacl, &c);
	uint16_t w[MAX_PATH];
	char sid[SBX_SID_STR_MAX], line[128];
	size_t n = wp_utf8_to_utf16(e->ws, w, MAX_PATH);
	sbx_derive_cap_sid(w, n, sid);
	snprintf(line, sizeof line, "(A;;0x10000000;;;%s)", sid);
	report(e, has_line(r.out, line) && has_line(r.out, "(A;;0x10000000;;;S-1-5-18)"),
	       "the default DACL grants the capability SID and SYSTEM", "want %s in\n%s", line, r.out);
	report(e, !has_line(c.out, line), "control: the normal default DACL lacks the capability SID",
	       "%s", c.out);
}

static int count_probes(void)
{
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	PROCESSENTRY32W pe = { .dwSize = sizeof pe };
	int n = 0;
	if (snap == INVALID_HANDLE_VALUE)
		return -1;
	for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe))
		n += _wcsicmp(pe.szExeFile, L"probe.exe") == 0;
	CloseHandle(snap);
	return n;
}

static int probes_settle(void)
{
	int n = count_probes();
	for (int i = 0; i < 40 && n > 0; i++) {
		Sleep(50);
		n = count_probes();
	}
	return n;
}

static void test_failures(struct env *e)
{
	struct result r;
	char marker[MAX_PATH], name[128];
	static const char *const steps[] = { "job", "token", "dacl", "aces", "desktop", "stdio", "attrs",
	                                     "injob", "resume" };
	char tmp[MAX_PATH], ignore[MAX_PATH + 16];
	snprintf(marker, sizeof marker, "%s\\ran.txt", e->ws);
	snprintf(tmp, sizeof tmp, "%s\\.sbx-tmp", e->ws);
	snprintf(ignore, sizeof ignore, "%s\\.gitignore", tmp);
	const char *touch[] = { "touch", marker, NULL };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		DeleteFileA(marker);
		DeleteFileA(ignore);
		RemoveDirectoryA(tmp);            /* so that the spawn creates it, and undo must remove it */
		SetEnvironmentVariableA("SBX_WIN_FAULT", steps[i]);
		sandboxed(e, e->faults, e->blob, touch, &r);
		SetEnvironmentVariableA("SBX_WIN_FAULT", NULL);
		int left = probes_settle();
		snprintf(name, sizeof name, "a failure at step '%s' exits 125, runs nothing, leaves no process "
		         "and no temp directory",
		         steps[i]);
		int tmp_left = GetFileAttributesA(tmp) != INVALID_FILE_ATTRIBUTES;
		report(e, r.code == 125 && GetFileAttributesA(marker) == INVALID_FILE_ATTRIBUTES && left == 0 &&
		              !tmp_left && strstr(r.out, "sbxrun: "),
		       name, "code %lu, marker %s, %d probe processes, temp directory %s, output '%s'", r.code,
		       GetFileAttributesA(marker) == INVALID_FILE_ATTRIBUTES ? "absent" : "PRESENT", left,
		       tmp_left ? "LEFT" : "removed", r.out);
	}
	DeleteFileA(marker);
	sandboxed(e, e->faults, e->blob, touch, &r);
	report(e, r.code == 0 && GetFileAttributesA(marker) != INVALID_FILE_ATTRIBUTES,
	       "control: without a fault the same build runs the command", "code %lu: %s", r.code, r.out);
}

static void check_error_log(struct env *e)
{
	FILE *f = fopen(e->log_file, "rb");
	char log[4096] = "";
	if (f) {
		log[fread(log, 1, sizeof log - 1, f)] = 0;
		fclose(f);
	}
	report(e, strstr(log, "\"event\":\"error\"") && strstr(log, "\"status\":125"),
	       "a spawn that ran nothing writes an error line to the log", "log: %s", log);
}

static void test_errors(struct env *e)
{
	struct result r;
	char var[MAX_PATH + 32];
	snprintf(var, sizeof var, "WORKSPACE=%s\\missing", e->ws);
	DeleteFileA(e->log_file);
	const char *missing[] = { e->sbxrun, "--policy", e->blob, "--var", var, "--cwd", e->ws, "--log",
	                          e->log_file, "--", e->probe, "exit", "0", NULL };
	run(e, missing, &r);
	report(e, r.code == 125 && strstr(r.out, "does not exist"), "a missing writable root exits 125",
	       "code %lu: %s", r.code, r.out);
	check_error_log(e);
	const char *drive[] = { e->sbxrun, "--policy", e->blob, "--var", "WORKSPACE=C:\\", "--cwd", e->ws,
	                        "--", e->probe, "exit", "0", NULL };
	run(e, drive, &r);
	report(e, r.code == 125 && strstr(r.out, "the whole drive"),
	       "a writable root bound to a drive's root exits 125", "code %lu: %s", r.code, r.out);
	const char *closed[] = { e->sbxrun, "--policy", e->blob, "--cwd", e->ws, "--", e->probe, "exit", "3",
	                         NULL };
	char line[4096];
	PROCESS_INFORMATION pi;
	STARTUPINFOA si = { .cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES };   /* no stdio at all */
	DWORD code = 0xdead;
	if (wp_cmdline(closed, line, sizeof line) &&
	    CreateProcessA(NULL, line, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
		if (WaitForSingleObject(pi.hProcess, RUN_TIMEOUT_MS) == WAIT_TIMEOUT)
			TerminateProcess(pi.hProcess, 1);
		GetExitCodeProcess(pi.hProcess, &code);
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
	}
	report(e, code == 3, "sbxrun runs the command when started without stdio handles", "code %lu", code);
	const char *bare[] = { e->sbxrun, "--policy", e->blob, "--cwd", e->ws, "--", "cmd", "/c", "exit 7",
	                       NULL };
	run(e, bare, &r);
	report(e, r.code == 7, "a bare command name is found in the filtered PATH", "code %lu: %s", r.code,
	       r.out);
	const char *nf[] = { "no-such-command-sbx", NULL };
	const char *argv[] = { e->sbxrun, "--policy", e->blob, "--cwd", e->ws, "--", nf[0], NULL };
	run(e, argv, &r);
	report(e, r.code == 127, "a command that is not found exits 127", "code %lu: %s", r.code, r.out);
	char junk[MAX_PATH];
	snprintf(junk, sizeof junk, "%s\\junk.sbxblob", e->work);
	FILE *f = fopen(junk, "wb");
	if (f) {
		fputs("\x89SBX\r\n\x1a\n this is not a blob, only its magic", f);
		fclose(f);
	}
	const char *corrupt[] = { e->sbxrun, "--policy", junk, "--", e->probe, "exit", "0", NULL };
	run(e, corrupt, &r);
	report(e, r.code == 125 && strstr(r.out, "not valid"), "a corrupt blob exits 125 and runs nothing",
	       "code %lu: %s", r.code, r.out);
	const char *dir[] = { e->sbxrun, "--policy", e->ws, "--", e->probe, "exit", "0", NULL };
	run(e, dir, &r);
	report(e, r.code == 125, "a directory as the blob exits 125", "code %lu: %s", r.code, r.out);
	const char *bad[] = { e->sbxrun, "--policy", e->blob, "--var", "WORKSPACE=/unix/path", "--",
	                      e->probe, NULL };
	run(e, bad, &r);
	report(e, r.code == 125 && strstr(r.out, "drive path"), "a non-drive path value exits 125",
	       "code %lu: %s", r.code, r.out);
}

static void test_wall(struct env *e)
{
	struct result r;
	const char *sleep[] = { "sleep", "30", NULL };
	ULONGLONG t0 = GetTickCount64();
	sandboxed(e, e->sbxrun, e->wall_blob, sleep, &r);
	ULONGLONG ms = GetTickCount64() - t0;
	report(e, r.code == 137 && ms < 15000 && strstr(r.out, "wall limit"),
	       "the wall limit kills the command (TerminateJobObject), exit 137", "code %lu after %llu ms: %s",
	       r.code, (unsigned long long)ms, r.out);
}

/* The library API itself, as a program embedding libsbxrt uses it. */
static void test_library(struct env *e)
{
	struct sbx_ctx *ctx = sbx_ctx_create();
	int rc = ctx ? sbx_ctx_open_blob(ctx, e->blob) : -1;
	report(e, rc == SBX_OK, "sbx_ctx_open_blob loads the blob", "rc %d: %s", rc, ctx ? sbx_ctx_error(ctx) : "");
	if (rc != SBX_OK) {
		sbx_ctx_destroy(&ctx);
		return;
	}
	int unknown = sbx_ctx_bind(ctx, "NOPE", "C:\\x");
	int unix_path = sbx_ctx_bind(ctx, "WORKSPACE", "/unix/path");
	report(e, unknown == SBX_E_PARAM && unix_path == SBX_E_PARAM && strstr(sbx_ctx_error(ctx), "drive path"),
	       "sbx_ctx_bind refuses unknown names and non-drive paths", "%d %d %s", unknown, unix_path,
	       sbx_ctx_error(ctx));
	report(e, sbx_ctx_bind(ctx, "WORKSPACE", e->ws) == SBX_OK, "sbx_ctx_bind takes a drive path", "%s",
	       sbx_ctx_error(ctx));
	const char *sleep[] = { e->probe, "sleep", "30", NULL };
	struct sbx_spawn_opts o = { .argv = sleep, .cwd = e->ws };
	struct sbx_proc p;
	struct sbx_exit ex;
	ULONGLONG t0 = GetTickCount64();
	rc = sbx_spawn(ctx, &o, &p);
	int killed = rc == SBX_OK && sbx_proc_kill(&p, 9) == SBX_OK && sbx_proc_wait(&p, &ex) == SBX_OK;
	report(e, killed && ex.code == 137 && GetTickCount64() - t0 < 10000,
	       "sbx_proc_kill ends the job at once; sbx_proc_wait reports 137", "rc %d, code %d: %s", rc,
	       killed ? ex.code : -1, sbx_ctx_error(ctx));
	const char *ex5[] = { e->probe, "exit", "5", NULL };
	o.argv = ex5;
	rc = sbx_spawn(ctx, &o, &p);
	int waited = rc == SBX_OK && sbx_proc_wait(&p, &ex) == SBX_OK;
	report(e, waited && ex.exit_code == 5 && ex.code == 5 && !ex.limit,
	       "sbx_spawn and sbx_proc_wait return the exit code", "rc %d: %s", rc, sbx_ctx_error(ctx));
	report(e, rc == SBX_OK && sbx_proc_wait(&p, &ex) == SBX_E_ARG, "a second wait is refused", "");
	sbx_ctx_destroy(&ctx);
	report(e, ctx == NULL, "sbx_ctx_destroy clears the pointer", "");
}

int main(int argc, char **argv)
{
	struct env e;
	memset(&e, 0, sizeof e);
	if (argc != 7) {
		fprintf(stderr, "usage: smoke SBXRUN SBXRUN_FAULTS PROBE BLOB WALL_BLOB WORKDIR\n");
		return 2;
	}
	e.sbxrun = argv[1];
	e.faults = argv[2];
	e.probe = argv[3];
	e.blob = argv[4];
	e.wall_blob = argv[5];
	e.work = argv[6];
	snprintf(e.ws, sizeof e.ws, "%s\\ws", e.work);
	snprintf(e.out_file, sizeof e.out_file, "%s\\out.txt", e.work);
	snprintf(e.log_file, sizeof e.log_file, "%s\\log.jsonl", e.work);
	CreateDirectoryA(e.ws, NULL);
	test_argv_exit_cwd(&e);
	test_environment(&e);
	test_job(&e);
	test_kill_tree(&e);
	test_handles(&e);
	test_token(&e);
	test_desktop(&e);
	test_failures(&e);
	test_errors(&e);
	test_wall(&e);
	test_library(&e);
	test_appeared(&e);
	printf("%d tests, %d failed\n", e.n, e.failed);
	return e.failed ? 1 : 0;
}
