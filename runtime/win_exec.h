/*
 * win_exec.h - the Windows EXECUTOR: performs a plan (win_plan.h) with
 * Win32 calls, in the order of docs/windows.md ("Spawn order"), and
 * decides nothing the plan has not decided.  Windows only.
 */
#ifndef SBX_WIN_EXEC_H
#define SBX_WIN_EXEC_H

#include <windows.h>

#include "win_plan.h"

struct wx_spawn {
	const struct win_plan *plan;
	const wchar_t *app;          /* the resolved executable */
	wchar_t *cmdline;            /* writable, as CreateProcessW wants */
	const wchar_t *cwd;
	HANDLE stdio[3];             /* the caller's; only duplicates reach the child */
};

/* What was done, for the log. */
struct wx_report {
	unsigned aces_written;       /* ACEs added to a DACL */
	unsigned aces_present;       /* already there: nothing written */
	unsigned aces_missing;       /* their path does not exist: skipped */
	unsigned privs_deleted;      /* privileges named to CreateRestrictedToken */
	unsigned restricting;        /* restricting SIDs in the token */
	int logon_sid;               /* the caller's token has a logon SID */
	int in_job;                  /* IsProcessInJob said yes */
	char notes[2048];            /* what was skipped, in words: NUL-separated */
	size_t notes_len;
	char missing[4096];          /* carve-outs that did not exist, so got no ACE: NUL-separated */
	size_t missing_len;
};

struct wx_proc {
	HANDLE process;
	HANDLE job;
	HDESK desktop;               /* kept until the command ends: its threads attach lazily */
	DWORD pid;
};

/*
 * Sets up the sandbox and starts the command in it, suspended, checked,
 * then resumed.  SBX_OK with out filled (the caller owns the three handles;
 * closing the job kills the tree; close the desktop after the command ends), or SBX_E_ROOT / SBX_E_SETUP /
 * SBX_E_NOTFOUND / SBX_E_NOEXEC / SBX_E_NOMEM with one line in err, after
 * undoing every step in reverse order: no process is left.
 */
int wx_run(const struct wx_spawn *s, struct wx_proc *out, struct wx_report *rep, char *err,
           size_t errsize);

#endif
