/*
 * harness.h - what the Windows test programs (smoke.c, enforce.c) share:
 * starting a program with its output in a file, running probe.exe inside
 * and outside the sandbox, and TAP-like reporting.  Test code only.
 */
#ifndef SBX_WIN_HARNESS_H
#define SBX_WIN_HARNESS_H

#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/win_plan.h"

#define OUT_MAX 65536
#define RUN_TIMEOUT_MS 30000

struct env {
	const char *sbxrun, *faults, *probe, *blob, *wall_blob, *work;
	char ws[MAX_PATH];        /* WORK\ws: the workspace */
	char out_file[MAX_PATH];
	char log_file[MAX_PATH];
	int n, failed;
};

struct result {
	DWORD code;
	int timed_out;
	char out[OUT_MAX];        /* stdout and stderr, without '\r' */
};

static inline void report(struct env *e, int ok, const char *name, const char *fmt, ...)
{
	char why[512] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	e->n++;
	if (!ok)
		e->failed++;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", e->n, name, ok ? "" : ": ", ok ? "" : why);
	fflush(stdout);
}

static inline HANDLE inheritable(const char *path, DWORD access, DWORD disposition)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	return CreateFileA(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, disposition,
	                   FILE_ATTRIBUTE_NORMAL, NULL);
}

static inline void read_output(const char *path, struct result *r)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(r->out, 1, OUT_MAX - 1, f) : 0, k = 0;
	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i++)
		if (r->out[i] != '\r')
			r->out[k++] = r->out[i];
	r->out[k] = 0;
}

/* Starts argv (quoted as sbx quotes) with stdout+stderr to a file; inherit = bInheritHandles. */
static inline BOOL start(struct env *e, const char *const *argv, PROCESS_INFORMATION *pi, HANDLE *out)
{
	char line[8192];
	STARTUPINFOA si;
	if (!wp_cmdline(argv, line, sizeof line))
		return FALSE;
	*out = inheritable(e->out_file, GENERIC_WRITE, CREATE_ALWAYS);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = inheritable("NUL", GENERIC_READ, OPEN_EXISTING);
	si.hStdOutput = *out;
	si.hStdError = *out;
	BOOL ok = CreateProcessA(NULL, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, pi);
	CloseHandle(si.hStdInput);
	return ok;
}

static inline void run(struct env *e, const char *const *argv, struct result *r)
{
	PROCESS_INFORMATION pi;
	HANDLE out;
	memset(r, 0, sizeof *r);
	r->code = 0xdead;
	if (!start(e, argv, &pi, &out)) {
		snprintf(r->out, OUT_MAX, "cannot start %s (error %lu)", argv[0], GetLastError());
		return;
	}
	if (WaitForSingleObject(pi.hProcess, RUN_TIMEOUT_MS) == WAIT_TIMEOUT) {
		r->timed_out = 1;
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, 5000);
	}
	GetExitCodeProcess(pi.hProcess, &r->code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	CloseHandle(out);
	read_output(e->out_file, r);
}

/* Runs "sbxrun --policy BLOB --var WORKSPACE=WS --cwd WS --log LOG -- PROBE args...". */
static inline void sandboxed(struct env *e, const char *sbxrun, const char *blob, const char *const *args,
                      struct result *r)
{
	const char *argv[32] = { sbxrun, "--policy", blob, "--var", NULL, "--cwd", e->ws, "--log",
	                         e->log_file, "--", e->probe };
	char var[MAX_PATH + 16];
	snprintf(var, sizeof var, "WORKSPACE=%s", e->ws);
	argv[4] = var;
	size_t n = 11;
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	run(e, argv, r);
}

static inline void direct(struct env *e, const char *const *args, struct result *r)
{
	const char *argv[16] = { e->probe };
	size_t n = 1;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	run(e, argv, r);
}

static inline int has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = out; (p = strstr(p, line)); p += n)
		if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return 1;
	return 0;
}

#endif
