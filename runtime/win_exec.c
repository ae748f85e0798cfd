/*
 * win_exec.c - the Windows executor (win_exec.h).  One function per step;
 * wx_run calls them in order and, on failure, undo() releases what was
 * made in reverse order.  The order is Chromium's, adapted:
 *
 *   1. the private temp directory; the writable roots must exist
 *   2. the job object, with its limits and UI restrictions
 *   3. the restricted token: CreateRestrictedToken with the plan's flags,
 *      privileges to delete and restricting SIDs; its default DACL;
 *      SeChangeNotifyPrivilege enabled
 *   4. the ACEs: each DACL is read first and only missing ACEs are written
 *   4b. a private desktop, open to the user, the logon SID and SYSTEM only
 *   5. inheritable duplicates of the three stdio handles (nothing else is
 *      inheritable), the environment block
 *   6. an attribute list with HANDLE_LIST (those three) and JOB_LIST
 *   7. CreateProcessAsUserW, suspended, so it starts inside the job
 *   8. IsProcessInJob, then ResumeThread: a child that fails the check is
 *      terminated without ever running
 *
 * Grants stay after the command (they are for the workspace, and
 * re-checking them is cheap); ACEs flagged temporary are refused: sandboxes
 * on one workspace share their derived SIDs and ACEs, so reverting one
 * after a command could reopen a carve-out another still relies on
 * (docs/windows.md, Limitations).
 */
#include "win_exec.h"

#include <aclapi.h>
#include <sddl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/sbxrt.h"

#define WX_ACE_GROUP_MAX 64    /* ACEs on one object (the compiler emits one per SID) */
#define WX_DESKTOP_NAME_MAX 160
#ifndef ERROR_ELEVATION_REQUIRED
#define ERROR_ELEVATION_REQUIRED 740L   /* the program asks for administrator rights */
#endif

struct wx {
	const struct wx_spawn *s;
	const struct win_plan *p;
	struct wx_report *rep;
	char *err;
	size_t errsize;
	int created_tmp;                 /* step 1 made the temp directory: undo removes it */
	HANDLE job, base, token, process, thread;
	HANDLE child_std[3];
	void *user_info, *groups_info;   /* token information buffers */
	PSID user, logon;                /* point into them */
	PSID system;
	PSID sids[WP_MAX_SIDS];          /* from ConvertStringSidToSidA: LocalFree */
	char logon_text[SBX_SID_STR_MAX + 64];
	PACL default_dacl;
	wchar_t *env;
	LPPROC_THREAD_ATTRIBUTE_LIST attrs;
	HDESK desktop;
	wchar_t desktop_name[WX_DESKTOP_NAME_MAX];   /* "<window station>\\sbx-<pid>-<id>" */
};

#ifdef SBX_WIN_FAULTS
/* Test builds only (tests/windows/): fail at the step named by SBX_WIN_FAULT. */
static int fault(const char *step)
{
	char want[32];
	DWORD n = GetEnvironmentVariableA("SBX_WIN_FAULT", want, sizeof want);
	return n > 0 && n < sizeof want && strcmp(want, step) == 0;
}
#else
#define fault(step) 0
#endif

__attribute__((format(printf, 3, 4)))
static int fail(struct wx *x, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (x->errsize)
		vsnprintf(x->err, x->errsize, fmt, ap);
	va_end(ap);
	return code;
}

static int fail_win(struct wx *x, const char *what)
{
	return fail(x, SBX_E_SETUP, "%s failed (Windows error %lu)", what, GetLastError());
}

/* Appends a note; notes that no longer fit are dropped (the counts stay exact). */
__attribute__((format(printf, 2, 3)))
static void note(struct wx *x, const char *fmt, ...)
{
	struct wx_report *r = x->rep;
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n > 0 && r->notes_len + (size_t)n + 1 <= sizeof r->notes) {
		memcpy(r->notes + r->notes_len, text, (size_t)n + 1);
		r->notes_len += (size_t)n + 1;
	}
}

/* UTF-8 to a malloc'd wide string; NULL when out of memory or invalid. */
static wchar_t *wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
	if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		w = NULL;
	}
	return w;
}

/* ---- 1. directories ---- */

static int is_dir(const char *path)
{
	wchar_t *w = wide(path);
	DWORD a = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
	free(w);
	return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

/* "<tmpdir>\.gitignore" as a wide string (malloc'd), or NULL. */
static wchar_t *gitignore_path(const char *dir)
{
	char path[WP_PATH_MAX + 16];
	int n = snprintf(path, sizeof path, "%s\\.gitignore", dir);
	return n > 0 && (size_t)n < sizeof path ? wide(path) : NULL;
}

/* The temp directory we create sits in the user's workspace: a ".gitignore"
   of "*" keeps it and its contents out of `git status` (as venvs do). */
static void ignore_in_git(const char *dir)
{
	wchar_t *w = gitignore_path(dir);
	HANDLE h = w ? CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL)
	             : INVALID_HANDLE_VALUE;
	DWORD n = 0;
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return;   /* only `git status` is less tidy */
	WriteFile(h, "*\n", 2, &n, NULL);
	CloseHandle(h);
}

static int step_dirs(struct wx *x)
{
	const struct win_plan *p = x->p;
	if (p->tmpdir && p->tmpdir_create && !is_dir(p->tmpdir)) {
		wchar_t *w = wide(p->tmpdir);
		BOOL ok = w && CreateDirectoryW(w, NULL);
		free(w);
		x->created_tmp = ok;
		if (ok)
			ignore_in_git(p->tmpdir);
		if (!ok && GetLastError() != ERROR_ALREADY_EXISTS && GetLastError() != ERROR_PATH_NOT_FOUND)
			return fail(x, SBX_E_SETUP, "cannot create the private temp directory %s (Windows error %lu)",
			            p->tmpdir, GetLastError());
	}
	for (size_t i = 0; i < p->nroots; i++)
		if (!is_dir(p->roots[i]))
			return fail(x, SBX_E_ROOT, "the writable root %s does not exist or is not a directory",
			            p->roots[i]);
	return SBX_OK;
}

/* ---- 2. the job ---- */

static int step_job(struct wx *x)
{
	const struct wp_job *j = &x->p->job;
	x->job = fault("job") ? NULL : CreateJobObjectW(NULL, NULL);
	if (!x->job)
		return fail_win(x, "creating the job object");
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
	memset(&lim, 0, sizeof lim);
	lim.BasicLimitInformation.LimitFlags = j->limit_flags;
	lim.BasicLimitInformation.ActiveProcessLimit = j->active_processes;
	lim.BasicLimitInformation.PerJobUserTimeLimit.QuadPart = (LONGLONG)j->job_time_100ns;
	lim.JobMemoryLimit = (SIZE_T)j->job_memory_bytes;
	if (!SetInformationJobObject(x->job, JobObjectExtendedLimitInformation, &lim, sizeof lim))
		return fail_win(x, "setting the job's limits");
	JOBOBJECT_BASIC_UI_RESTRICTIONS ui = { j->ui_restrictions };
	if (!SetInformationJobObject(x->job, JobObjectBasicUIRestrictions, &ui, sizeof ui))
		return fail_win(x, "setting the job's UI restrictions");
	return SBX_OK;
}

/* ---- 3. the token ---- */

static void *token_info(HANDLE token, TOKEN_INFORMATION_CLASS cls)
{
	DWORD size = 0;
	GetTokenInformation(token, cls, NULL, 0, &size);
	void *buf = size ? malloc(size) : NULL;
	if (buf && !GetTokenInformation(token, cls, buf, size, &size)) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

static PSID find_logon_sid(const TOKEN_GROUPS *g)
{
	for (DWORD i = 0; g && i < g->GroupCount; i++)
		if ((g->Groups[i].Attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID)
			return g->Groups[i].Sid;
	return NULL;
}

/* The caller's user and logon SIDs, and the plan's SIDs as binary SIDs. */
static int load_sids(struct wx *x)
{
	DWORD access = TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT |
	               TOKEN_ADJUST_SESSIONID | TOKEN_ADJUST_PRIVILEGES;
	if (!OpenProcessToken(GetCurrentProcess(), access, &x->base))
		return fail_win(x, "opening sbxrun's token");
	x->user_info = token_info(x->base, TokenUser);
	x->groups_info = token_info(x->base, TokenGroups);
	if (!x->user_info)
		return fail_win(x, "reading the token's user");
	x->user = ((TOKEN_USER *)x->user_info)->User.Sid;
	x->logon = find_logon_sid(x->groups_info);
	x->rep->logon_sid = x->logon != NULL;
	if (!x->logon)
		note(x, "the token has no logon SID: it is left out of the restricting SIDs");
	char *text = NULL;
	if (x->logon && ConvertSidToStringSidA(x->logon, &text)) {
		snprintf(x->logon_text, sizeof x->logon_text, "%s", text);
		LocalFree(text);
	}
	DWORD size = SECURITY_MAX_SID_SIZE;
	x->system = LocalAlloc(LMEM_FIXED, size);
	if (!x->system || !CreateWellKnownSid(WinLocalSystemSid, NULL, x->system, &size))
		return fail_win(x, "building the SYSTEM SID");
	for (size_t i = 0; i < x->p->nsids; i++)
		if (x->p->sids[i].kind != SBX_SID_LOGON && !ConvertStringSidToSidA(x->p->sids[i].text, &x->sids[i]))
			return fail_win(x, "converting a capability SID");
	return SBX_OK;
}

/* Plan SID i as a binary SID, or NULL (the logon SID of a token without one). */
static PSID plan_sid(const struct wx *x, size_t i)
{
	return x->p->sids[i].kind == SBX_SID_LOGON ? x->logon : x->sids[i];
}

static const char *plan_sid_text(const struct wx *x, size_t i)
{
	return x->p->sids[i].kind == SBX_SID_LOGON ? x->logon_text : x->p->sids[i].text;
}

static int restrict_token(struct wx *x)
{
	const struct win_plan *p = x->p;
	SID_AND_ATTRIBUTES restrict_sids[WP_MAX_SIDS];
	LUID_AND_ATTRIBUTES privs[WP_MAX_PRIVS];
	DWORD nrestrict = 0, nprivs = 0;
	for (size_t i = 0; i < p->nrestrict; i++)
		if (plan_sid(x, i))
			restrict_sids[nrestrict++] = (SID_AND_ATTRIBUTES){ plan_sid(x, i), 0 };
	for (size_t i = 0; i < p->nprivs; i++) {
		wchar_t *name = wide(p->privs[i]);
		if (name && LookupPrivilegeValueW(NULL, name, &privs[nprivs].Luid))
			privs[nprivs++].Attributes = 0;   /* a name this Windows does not know is not held */
		free(name);
	}
	x->rep->privs_deleted = nprivs;
	x->rep->restricting = nrestrict;
	if (fault("token") || !CreateRestrictedToken(x->base, p->token_flags, 0, NULL, nprivs, privs,
	                                             nrestrict, restrict_sids, &x->token))
		return fail_win(x, "CreateRestrictedToken");
	return SBX_OK;
}

static PSID dacl_sid(const struct wx *x, const struct wp_dacl *d)
{
	if (d->who == WP_WHO_USER)
		return x->user;
	if (d->who == WP_WHO_SYSTEM)
		return x->system;
	return plan_sid(x, d->sid);
}

static void trustee(EXPLICIT_ACCESS_W *ea, PSID sid, DWORD mask, ACCESS_MODE mode, DWORD inherit)
{
	memset(ea, 0, sizeof *ea);
	ea->grfAccessPermissions = mask;
	ea->grfAccessMode = mode;
	ea->grfInheritance = inherit;
	ea->Trustee.TrusteeForm = TRUSTEE_IS_SID;
	ea->Trustee.TrusteeType = TRUSTEE_IS_UNKNOWN;
	ea->Trustee.ptstrName = (LPWSTR)sid;
}

/* Objects the command creates get this DACL: without the user and logon
   SIDs it could not open its own token; without the capability SIDs a
   write-restricted token could not write to its own pipes. */
static int set_default_dacl(struct wx *x)
{
	EXPLICIT_ACCESS_W ea[WP_MAX_DACL];
	ULONG n = 0;
	for (size_t i = 0; i < x->p->ndacl; i++) {
		PSID sid = dacl_sid(x, &x->p->dacl[i]);
		if (sid)
			trustee(&ea[n++], sid, x->p->dacl[i].mask, GRANT_ACCESS, NO_INHERITANCE);
	}
	DWORD rc = SetEntriesInAclW(n, ea, NULL, &x->default_dacl);
	if (rc != ERROR_SUCCESS)
		return fail(x, SBX_E_SETUP, "building the default DACL failed (Windows error %lu)", rc);
	TOKEN_DEFAULT_DACL dd = { x->default_dacl };
	if (fault("dacl") || !SetTokenInformation(x->token, TokenDefaultDacl, &dd, sizeof dd))
		return fail_win(x, "setting the token's default DACL");
	return SBX_OK;
}

static int enable_change_notify(struct wx *x)
{
	TOKEN_PRIVILEGES tp = { 1, { { { 0, 0 }, SE_PRIVILEGE_ENABLED } } };
	if (!LookupPrivilegeValueW(NULL, SE_CHANGE_NOTIFY_NAME, &tp.Privileges[0].Luid) ||
	    !AdjustTokenPrivileges(x->token, FALSE, &tp, sizeof tp, NULL, NULL))
		return fail_win(x, "enabling SeChangeNotifyPrivilege");
	return SBX_OK;
}

static int step_token(struct wx *x)
{
	int rc = load_sids(x);
	if (rc == SBX_OK)
		rc = restrict_token(x);
	if (rc == SBX_OK)
		rc = set_default_dacl(x);
	return rc == SBX_OK ? enable_change_notify(x) : rc;
}

/* ---- 4b. the private desktop ---- */

/*
 * Windows, hooks (a keyboard hook sees every key typed), messages and the
 * screen are per desktop: on a desktop of its own the command can reach
 * none of the user's.  Its DACL admits the user, the logon SID (a
 * restricting SID, so the write-restricted token passes) and SYSTEM.
 */
static int desktop_dacl(struct wx *x, PACL *acl)
{
	EXPLICIT_ACCESS_W ea[3];
	ULONG n = 0;
	PSID who[3] = { x->user, x->logon, x->system };
	for (int i = 0; i < 3; i++)
		if (who[i])
			trustee(&ea[n++], who[i], GENERIC_ALL, GRANT_ACCESS, NO_INHERITANCE);
	DWORD rc = SetEntriesInAclW(n, ea, NULL, acl);
	if (rc != ERROR_SUCCESS)
		return fail(x, SBX_E_SETUP, "building the desktop's DACL failed (Windows error %lu)", rc);
	return SBX_OK;
}

/* "<the caller's window station>\\sbx-<pid>-<this spawn>": unique among concurrent spawns. */
static int desktop_name(struct wx *x, wchar_t *leaf, size_t nleaf)
{
	wchar_t station[64];
	DWORD need = 0;
	if (!GetUserObjectInformationW(GetProcessWindowStation(), UOI_NAME, station, sizeof station, &need))
		return fail_win(x, "reading the window station's name");
	_snwprintf(leaf, nleaf, L"sbx-%lu-%llx", GetCurrentProcessId(), (unsigned long long)(uintptr_t)x);
	leaf[nleaf - 1] = 0;
	_snwprintf(x->desktop_name, WX_DESKTOP_NAME_MAX, L"%ls\\%ls", station, leaf);
	x->desktop_name[WX_DESKTOP_NAME_MAX - 1] = 0;
	return SBX_OK;
}

static int step_desktop(struct wx *x)
{
	SECURITY_DESCRIPTOR sd;
	SECURITY_ATTRIBUTES sa = { sizeof sa, &sd, FALSE };
	PACL acl = NULL;
	wchar_t leaf[64];
	int rc = desktop_name(x, leaf, sizeof leaf / sizeof leaf[0]);
	if (rc == SBX_OK)
		rc = desktop_dacl(x, &acl);
	if (rc == SBX_OK && (!InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) ||
	                     !SetSecurityDescriptorDacl(&sd, TRUE, acl, FALSE)))
		rc = fail_win(x, "building the desktop's security descriptor");
	if (rc == SBX_OK) {
		x->desktop = fault("desktop") ? NULL : CreateDesktopW(leaf, NULL, NULL, 0, GENERIC_ALL, &sa);
		if (!x->desktop)
			rc = fail_win(x, "creating the private desktop");
	}
	if (acl)
		LocalFree(acl);
	return rc;
}

/* ---- 4. ACEs ---- */

struct dacl_read {
	PSECURITY_DESCRIPTOR sd;
	PACL dacl;
	HANDLE device;               /* devices are opened, files named */
	wchar_t *path;
};

static DWORD read_dacl(const struct wp_ace *a, struct dacl_read *r)
{
	memset(r, 0, sizeof *r);
	r->path = wide(a->object);
	if (!r->path)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (!a->device)
		return GetNamedSecurityInfoW(r->path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
		                             &r->dacl, NULL, &r->sd);
	r->device = CreateFileW(r->path, READ_CONTROL | WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE,
	                        NULL, OPEN_EXISTING, 0, NULL);
	if (r->device == INVALID_HANDLE_VALUE) {
		r->device = NULL;
		return GetLastError();
	}
	return GetSecurityInfo(r->device, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
	                       &r->dacl, NULL, &r->sd);
}

static void free_dacl_read(struct dacl_read *r)
{
	if (r->sd)
		LocalFree(r->sd);
	if (r->device)
		CloseHandle(r->device);
	free(r->path);
	memset(r, 0, sizeof *r);
}

/* The allow and deny ACEs of a DACL, SIDs as text (LocalFree each). */
static size_t list_aces(PACL dacl, struct wp_have *have, size_t max)
{
	size_t n = 0;
	for (DWORD i = 0; dacl && i < dacl->AceCount && n < max; i++) {
		ACE_HEADER *h;
		char *text = NULL;
		if (!GetAce(dacl, i, (void **)&h))
			continue;
		if (h->AceType != ACCESS_ALLOWED_ACE_TYPE && h->AceType != ACCESS_DENIED_ACE_TYPE)
			continue;
		ACCESS_ALLOWED_ACE *ace = (ACCESS_ALLOWED_ACE *)h;   /* same layout as a denied ACE */
		if (!ConvertSidToStringSidA((PSID)&ace->SidStart, &text))
			continue;
		have[n++] = (struct wp_have){ h->AceType == ACCESS_DENIED_ACE_TYPE ? SBX_ACE_DENY : SBX_ACE_ALLOW,
		                              h->AceFlags, ace->Mask, text };
	}
	return n;
}

static DWORD inheritance(uint8_t inherit)
{
	static const DWORD map[4] = { NO_INHERITANCE, SUB_OBJECTS_ONLY_INHERIT,
	                              SUB_CONTAINERS_ONLY_INHERIT, SUB_CONTAINERS_AND_OBJECTS_INHERIT };
	return map[inherit & 3];
}

static DWORD write_dacl(struct dacl_read *r, ULONG n, EXPLICIT_ACCESS_W *ea)
{
	PACL merged = NULL;
	DWORD rc = SetEntriesInAclW(n, ea, r->dacl, &merged);
	if (rc == ERROR_SUCCESS)
		rc = r->device ? SetSecurityInfo(r->device, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
		                                 NULL, merged, NULL)
		               : SetNamedSecurityInfoW(r->path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
		                                       NULL, merged, NULL);
	if (merged)
		LocalFree(merged);
	return rc;
}

/* The entries to add for the ACEs of a[0..n) that `have` does not hold yet. */
static ULONG missing_aces(struct wx *x, const struct wp_ace *a, size_t n, const struct wp_have *have,
                          size_t nhave, EXPLICIT_ACCESS_W *ea)
{
	ULONG k = 0;
	for (size_t i = 0; i < n; i++) {
		PSID sid = plan_sid(x, a[i].sid);
		if (!sid)
			continue;             /* the logon SID of a token without one */
		if (wp_ace_present(have, nhave, &a[i], plan_sid_text(x, a[i].sid))) {
			x->rep->aces_present++;
			continue;
		}
		trustee(&ea[k++], sid, a[i].mask, a[i].type == SBX_ACE_DENY ? DENY_ACCESS : GRANT_ACCESS,
		        inheritance(a[i].inherit));
	}
	return k;
}

/* A carve-out that does not exist is unprotected if the command creates it:
   remembered so that sbx_proc_wait can say so ("appeared"). */
static void watch_missing(struct wx *x, const struct wp_ace *a)
{
	struct wx_report *r = x->rep;
	size_t n = strlen(a->object) + 1;
	if (a->guard || (a->kind != SBX_FS_READONLY && a->kind != SBX_FS_DENIED) ||
	    r->missing_len + n > sizeof r->missing)
		return;
	memcpy(r->missing + r->missing_len, a->object, n);
	r->missing_len += n;
}

/* The ACEs of one object (a[0..n)): read its DACL, write only what is missing. */
static int apply_group(struct wx *x, const struct wp_ace *a, size_t n)
{
	struct dacl_read r;
	struct wp_have have[256];
	EXPLICIT_ACCESS_W ea[WX_ACE_GROUP_MAX];
	ULONG k = 0;
	DWORD rc = read_dacl(a, &r);
	if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) {
		x->rep->aces_missing += (unsigned)n;      /* nothing there to protect; never created */
		note(x, "%s does not exist: no ACE set", a->object);
		watch_missing(x, a);
		free_dacl_read(&r);
		return SBX_OK;
	}
	if (rc == ERROR_SUCCESS && !r.dacl && !a->device) {
		/* A NULL DACL lets everyone do everything; merging into it would
		   replace it with a DACL of our ACEs alone.  Fail closed instead. */
		free_dacl_read(&r);
		return fail(x, SBX_E_SETUP, "%s has no DACL (everyone has full access): set one first",
		            a->object);
	}
	size_t nhave = rc == ERROR_SUCCESS ? list_aces(r.dacl, have, 256) : 0;
	if (rc == ERROR_SUCCESS)
		k = missing_aces(x, a, n, have, nhave, ea);
	if (rc == ERROR_SUCCESS && k)
		rc = fault("aces") ? ERROR_ACCESS_DENIED : write_dacl(&r, k, ea);
	if (rc == ERROR_SUCCESS)
		x->rep->aces_written += k;
	for (size_t i = 0; i < nhave; i++)
		LocalFree((char *)have[i].sid);
	free_dacl_read(&r);
	if (rc == ERROR_SUCCESS)
		return SBX_OK;
	if (a->device) {               /* NUL: programs that need it will say so; not a confinement */
		note(x, "could not grant access to a device such as \\\\.\\NUL");
		return SBX_OK;
	}
	return fail(x, SBX_E_SETUP, "cannot set the permissions of %s (Windows error %lu)", a->object, rc);
}

static int step_aces(struct wx *x)
{
	const struct win_plan *p = x->p;
	for (size_t i = 0; i < p->naces; i++)
		if (p->aces[i].flags & SBX_ACE_F_TEMPORARY)
			return fail(x, SBX_E_SETUP, "the policy asks for temporary grants, which this runtime "
			            "cannot undo yet");
	for (size_t i = 0; i < p->naces; ) {
		size_t n = 1;
		while (i + n < p->naces && n < WX_ACE_GROUP_MAX && strcmp(p->aces[i + n].object, p->aces[i].object) == 0)
			n++;
		int rc = apply_group(x, &p->aces[i], n);
		if (rc != SBX_OK)
			return rc;
		i += n;
	}
	return SBX_OK;
}

/* ---- 5. stdio and environment ---- */

static int step_stdio(struct wx *x)
{
	for (int i = 0; i < 3; i++) {
		HANDLE h = x->s->stdio[i];
		if (!h || h == INVALID_HANDLE_VALUE)
			continue;
		if (fault("stdio") || !DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(),
		                                       &x->child_std[i], 0, TRUE, DUPLICATE_SAME_ACCESS))
			return fail_win(x, "duplicating a stdio handle for the command");
	}
	return SBX_OK;
}

/* The plan's environment as a block of wide "NAME=VALUE\0" strings, "\0"-ended. */
static int step_env(struct wx *x)
{
	size_t units = 1;
	for (size_t i = 0; i < x->p->nenv; i++) {
		int n = MultiByteToWideChar(CP_UTF8, 0, x->p->envp[i], -1, NULL, 0);
		if (n <= 0)
			return fail(x, SBX_E_SETUP, "an environment variable is not valid UTF-8");
		units += (size_t)n;
	}
	x->env = malloc((units + 1) * sizeof *x->env);
	if (!x->env)
		return fail(x, SBX_E_NOMEM, "out of memory building the environment");
	wchar_t *at = x->env;
	for (size_t i = 0; i < x->p->nenv; i++)
		at += MultiByteToWideChar(CP_UTF8, 0, x->p->envp[i], -1, at, (int)(units - (size_t)(at - x->env)));
	at[0] = 0;
	at[1] = 0;
	return SBX_OK;
}

/* ---- 6. attributes: only the stdio duplicates are inherited; the job is set at creation ---- */

static int step_attrs(struct wx *x, HANDLE *list, DWORD *nlist)
{
	SIZE_T size = 0;
	*nlist = 0;
	for (int i = 0; i < 3; i++)
		if (x->child_std[i])
			list[(*nlist)++] = x->child_std[i];
	InitializeProcThreadAttributeList(NULL, 2, 0, &size);
	x->attrs = size ? malloc(size) : NULL;
	if (!x->attrs || !InitializeProcThreadAttributeList(x->attrs, 2, 0, &size)) {
		free(x->attrs);
		x->attrs = NULL;
		return fail_win(x, "creating the process attribute list");
	}
	if (*nlist && !UpdateProcThreadAttribute(x->attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
	                                         *nlist * sizeof *list, NULL, NULL))
		return fail_win(x, "setting the inherited handle list");
	if (fault("attrs") || !UpdateProcThreadAttribute(x->attrs, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST,
	                                                 &x->job, sizeof x->job, NULL, NULL))
		return fail_win(x, "setting the job list");
	return SBX_OK;
}

/* ---- 7, 8. create suspended, check, resume ---- */

static int create_error(struct wx *x, DWORD e)
{
	if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
		return fail(x, SBX_E_NOTFOUND, "command not found (Windows error %lu)", e);
	if (e == ERROR_BAD_EXE_FORMAT || e == ERROR_ACCESS_DENIED || e == ERROR_EXE_MACHINE_TYPE_MISMATCH ||
	    e == ERROR_ELEVATION_REQUIRED)
		return fail(x, SBX_E_NOEXEC, "the command could not be executed (Windows error %lu)", e);
	return fail(x, SBX_E_SETUP, "CreateProcessAsUserW failed (Windows error %lu)", e);
}

static int step_create(struct wx *x, DWORD nlist)
{
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	memset(&si, 0, sizeof si);
	memset(&pi, 0, sizeof pi);
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = x->child_std[0];
	si.StartupInfo.hStdOutput = x->child_std[1];
	si.StartupInfo.hStdError = x->child_std[2];
	si.lpAttributeList = x->attrs;
	si.StartupInfo.lpDesktop = x->desktop_name;
	DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT;
	if (!CreateProcessAsUserW(x->token, x->s->app, x->s->cmdline, NULL, NULL, nlist > 0, flags,
	                          x->env, x->s->cwd, &si.StartupInfo, &pi))
		return create_error(x, GetLastError());
	x->process = pi.hProcess;
	x->thread = pi.hThread;
	return SBX_OK;
}

static int step_check_and_resume(struct wx *x, DWORD *pid)
{
	BOOL in = FALSE;
	if (fault("injob") || !IsProcessInJob(x->process, x->job, &in) || !in)
		return fail(x, SBX_E_SETUP, "the command did not start inside the job object");
	x->rep->in_job = 1;
	if (fault("resume") || ResumeThread(x->thread) == (DWORD)-1)
		return fail_win(x, "resuming the command");
	*pid = GetProcessId(x->process);
	return SBX_OK;
}

/* ---- undo, in reverse order ---- */

static void release(struct wx *x, int failed)
{
	if (failed && x->process)
		TerminateProcess(x->process, 125);      /* suspended: it never ran */
	if (x->thread)
		CloseHandle(x->thread);
	if (failed && x->process)
		CloseHandle(x->process);
	if (x->attrs) {
		DeleteProcThreadAttributeList(x->attrs);
		free(x->attrs);
	}
	if (failed && x->desktop)
		CloseDesktop(x->desktop);
	free(x->env);
	for (int i = 0; i < 3; i++)
		if (x->child_std[i])
			CloseHandle(x->child_std[i]);
	if (x->default_dacl)
		LocalFree(x->default_dacl);
	if (x->token)
		CloseHandle(x->token);
	for (size_t i = 0; i < WP_MAX_SIDS; i++)
		if (x->sids[i])
			LocalFree(x->sids[i]);
	if (x->system)
		LocalFree(x->system);
	free(x->groups_info);
	free(x->user_info);
	if (x->base)
		CloseHandle(x->base);
	if (failed && x->job)
		CloseHandle(x->job);                    /* KILL_ON_JOB_CLOSE: nothing survives */
	if (failed && x->created_tmp) {
		wchar_t *g = gitignore_path(x->p->tmpdir), *w = wide(x->p->tmpdir);
		if (g)
			DeleteFileW(g);
		if (w)
			RemoveDirectoryW(w);                /* empty again: nothing ran in it */
		free(g);
		free(w);
	}
}

int wx_run(const struct wx_spawn *s, struct wx_proc *out, struct wx_report *rep, char *err,
           size_t errsize)
{
	struct wx x;
	HANDLE list[3];
	DWORD nlist = 0;
	memset(&x, 0, sizeof x);
	memset(out, 0, sizeof *out);
	memset(rep, 0, sizeof *rep);
	x = (struct wx){ .s = s, .p = s->plan, .rep = rep, .err = err, .errsize = errsize };
	int rc = step_dirs(&x);
	if (rc == SBX_OK)
		rc = step_job(&x);
	if (rc == SBX_OK)
		rc = step_token(&x);
	if (rc == SBX_OK)
		rc = step_aces(&x);
	if (rc == SBX_OK)
		rc = step_desktop(&x);
	if (rc == SBX_OK)
		rc = step_stdio(&x);
	if (rc == SBX_OK)
		rc = step_env(&x);
	if (rc == SBX_OK)
		rc = step_attrs(&x, list, &nlist);
	if (rc == SBX_OK)
		rc = step_create(&x, nlist);
	if (rc == SBX_OK)
		rc = step_check_and_resume(&x, &out->pid);
	if (rc == SBX_OK)
		*out = (struct wx_proc){ x.process, x.job, x.desktop, out->pid };
	release(&x, rc != SBX_OK);
	return rc;
}
