/*
 * lower_windows.c - Windows operations: a write-restricted token, ACEs on
 * the writable roots and their carve-outs, and a job object.
 *
 * A write-restricted token passes a write access check only if one of its
 * restricting SIDs is granted the write too.  Every writable root gets its
 * own capability SID (derived from the path) and an ALLOW ACE for it, so
 * the command can write under its roots and nowhere else; readonly carve-outs
 * get a DENY for the SID of each root that holds them (NTFS compares names
 * case-insensitively, so .git also covers .GIT; an alternate data stream is
 * checked against its file's DACL, so file:stream is covered too).
 *
 * Trade-off: unlike Codex, the restricting SIDs do not include Everyone.
 * Codex keeps Everyone and has to put a DENY on every Everyone-writable
 * directory it finds; without it only the roots are writable, at the price
 * of one SID per root (SBX_MAX_WIN_CAP_SIDS) in the token's default DACL.
 *
 * Reads are not restricted by a write-restricted token: the read bits of a
 * denied rule's DENY ACE are recorded (SBX_ACE_F_READ_UNENFORCED) but not
 * enforced, and explain says so.
 */
#include "lower.h"

#include <stdlib.h>
#include <string.h>

#include "sbx/sbxrt.h"

#define ACE_OICI   (SBX_ACE_OBJECT_INHERIT | SBX_ACE_CONTAINER_INHERIT)
#define FILE_GENERIC_READ    0x00120089u  /* FILE_GENERIC_READ */
#define FILE_GENERIC_WRITE   0x00120116u  /* FILE_GENERIC_WRITE */
#define FILE_GENERIC_EXECUTE 0x001200A0u  /* FILE_GENERIC_EXECUTE */
#define MASK_WRITABLE (FILE_GENERIC_READ | FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE | \
                       SBX_WIN_DELETE | SBX_WIN_FILE_DELETE_CHILD)
#define MASK_NO_WRITE (SBX_WIN_FILE_WRITE_DATA | SBX_WIN_FILE_APPEND_DATA | SBX_WIN_FILE_WRITE_EA | \
                       SBX_WIN_FILE_WRITE_ATTRIBUTES | SBX_WIN_FILE_DELETE_CHILD | SBX_WIN_DELETE | \
                       SBX_WIN_WRITE_DAC | SBX_WIN_WRITE_OWNER)
#define MASK_DENIED   (MASK_NO_WRITE | SBX_WIN_FILE_READ_DATA | SBX_WIN_FILE_READ_EA | SBX_WIN_FILE_EXECUTE)
#define JOB_UI_ALL    (SBX_JOB_UI_HANDLES | SBX_JOB_UI_READCLIPBOARD | SBX_JOB_UI_WRITECLIPBOARD | \
                       SBX_JOB_UI_SYSTEMPARAMETERS | SBX_JOB_UI_DISPLAYSETTINGS | \
                       SBX_JOB_UI_GLOBALATOMS | SBX_JOB_UI_DESKTOP | SBX_JOB_UI_EXITWINDOWS)

/* Every privilege but SeChangeNotifyPrivilege (traversal), sorted (strcmp). */
static const char *const removed_privileges[] = {
	"SeAssignPrimaryTokenPrivilege", "SeAuditPrivilege", "SeBackupPrivilege",
	"SeCreateGlobalPrivilege", "SeCreatePagefilePrivilege", "SeCreatePermanentPrivilege",
	"SeCreateSymbolicLinkPrivilege", "SeCreateTokenPrivilege", "SeDebugPrivilege",
	"SeDelegateSessionUserImpersonatePrivilege", "SeEnableDelegationPrivilege",
	"SeImpersonatePrivilege", "SeIncreaseBasePriorityPrivilege", "SeIncreaseQuotaPrivilege",
	"SeIncreaseWorkingSetPrivilege", "SeLoadDriverPrivilege", "SeLockMemoryPrivilege",
	"SeMachineAccountPrivilege", "SeManageVolumePrivilege", "SeProfileSingleProcessPrivilege",
	"SeRelabelPrivilege", "SeRemoteShutdownPrivilege", "SeRestorePrivilege",
	"SeSecurityPrivilege", "SeShutdownPrivilege", "SeSyncAgentPrivilege",
	"SeSystemEnvironmentPrivilege", "SeSystemProfilePrivilege", "SeSystemtimePrivilege",
	"SeTakeOwnershipPrivilege", "SeTcbPrivilege", "SeTimeZonePrivilege",
	"SeTrustedCredManAccessPrivilege", "SeUndockPrivilege", "SeUnsolicitedInputPrivilege",
};

struct win {
	struct sbx_lower *L;
	uint32_t *sid;       /* per rule: its capability SID index, or SBX_NONE */
	uint32_t ncaps;
	uint32_t roots[SBX_MAX_WIN_CAP_SIDS];   /* the writable roots' rules, by SID index */
};

static int on_windows(const struct sbx_lower *L, size_t i)
{
	return (L->rules[i].platforms & SBX_PLAT_WINDOWS) != 0;
}

static int win_writable(const struct sbx_lower *L, size_t i)
{
	return on_windows(L, i) && L->rules[i].ir->kind == SBX_FS_WRITABLE;
}

static int check_cap_limit(struct sbx_lower *L)
{
	size_t n = 0;
	for (size_t i = 0; i < L->nrules; i++) {
		if (win_writable(L, i) && ++n > SBX_MAX_WIN_CAP_SIDS) {
			sbx_error(L->diags, L->rules[i].ir->loc,
			          "too many writable roots for Windows (limit is %d): each needs a "
			          "capability SID in the token's default DACL", SBX_MAX_WIN_CAP_SIDS);
			return -1;
		}
	}
	return 0;
}

/* The SID string of a drive path, precomputed: the runtime derives the same. */
static uint32_t literal_sid(struct sbx_lower *L, const char *suffix)
{
	size_t len = strlen(suffix);
	uint16_t *u = malloc((len + 1) * sizeof *u);
	char sid[SBX_SID_STR_MAX];
	if (!u)
		return SBX_NONE;
	size_t n = sbx_utf8_to_utf16(suffix, u, len + 1);
	uint32_t ref = SBX_NONE;
	if (n != SIZE_MAX) {
		sbx_derive_cap_sid(u, n, sid);
		ref = sbx_bw_wstr(L->w, sid);
	}
	free(u);
	return ref;
}

/* Restricting SIDs: one capability SID per writable root, then the logon SID. */
static int write_sids(struct win *x)
{
	struct sbx_lower *L = x->L;
	for (size_t i = 0; i < L->nrules; i++) {
		x->sid[i] = SBX_NONE;
		if (!win_writable(L, i))
			continue;
		const struct sbx_ir_path *p = &L->rules[i].ir->path;
		struct sbx_win_sid rec = { SBX_SID_DERIVED, L->rules[i].path };
		if (p->param == SBX_NONE)
			rec = (struct sbx_win_sid){ SBX_SID_LITERAL, literal_sid(L, p->suffix) };
		if (rec.ref == SBX_NONE)
			return -1;
		sbx_bw_add(L->w, SBX_SEC_WIN_SIDS, &rec, sizeof rec);
		x->roots[x->ncaps] = (uint32_t)i;
		x->sid[i] = x->ncaps++;
	}
	struct sbx_win_sid logon = { SBX_SID_LOGON, SBX_NONE };
	sbx_bw_add(L->w, SBX_SEC_WIN_SIDS, &logon, sizeof logon);
	return 0;
}

static void write_token(struct win *x)
{
	struct sbx_win_token tok = {
		SBX_WIN_DISABLE_MAX_PRIVILEGE | SBX_WIN_LUA_TOKEN | SBX_WIN_WRITE_RESTRICTED,
		x->ncaps + 1, SBX_MAX_WIN_CAP_SIDS, 0 };
	sbx_bw_add(x->L->w, SBX_SEC_WIN_TOKEN, &tok, sizeof tok);
}

static void write_privs(struct sbx_lower *L)
{
	for (size_t i = 0; i < sizeof removed_privileges / sizeof removed_privileges[0]; i++) {
		uint32_t ref = sbx_bw_wstr(L->w, removed_privileges[i]);
		sbx_bw_add(L->w, SBX_SEC_WIN_PRIVS, &ref, sizeof ref);
	}
}

static void add_ace(struct win *x, size_t rule, uint32_t sid, uint32_t mask, uint8_t type,
                    uint16_t flags)
{
	struct sbx_win_ace ace = { x->L->rules[rule].path, SBX_NONE, sid, mask, type, ACE_OICI,
	                           flags, (uint32_t)rule };
	sbx_bw_add(x->L->w, SBX_SEC_WIN_ACES, &ace, sizeof ace);
}

/*
 * A readonly path loses write for every root that holds it, or may hold it.
 * The roots are in rule order, so looking at them alone (at most 16) gives
 * the same ACEs in the same order as looking at every rule.
 */
static void aces_readonly(struct win *x, size_t i)
{
	for (uint32_t s = 0; s < x->ncaps; s++)
		if (sbx_rule_contains(x->L, x->roots[s], i, SBX_PLAT_WINDOWS) != SBX_CONTAIN_NO)
			add_ace(x, i, s, MASK_NO_WRITE, SBX_ACE_DENY, 0);
}

static void aces_denied(struct win *x, size_t i)
{
	for (uint32_t s = 0; s < x->ncaps; s++)
		add_ace(x, i, s, MASK_DENIED, SBX_ACE_DENY, SBX_ACE_F_READ_UNENFORCED);
}

static void write_aces(struct win *x)
{
	struct sbx_lower *L = x->L;
	for (size_t i = 0; i < L->nrules; i++) {
		if (!on_windows(L, i))
			continue;
		if (L->rules[i].ir->kind == SBX_FS_WRITABLE)
			add_ace(x, i, x->sid[i], MASK_WRITABLE, SBX_ACE_ALLOW, 0);
		else if (L->rules[i].ir->kind == SBX_FS_READONLY)
			aces_readonly(x, i);
		else
			aces_denied(x, i);
	}
}

/* Programs open NUL for writing all the time; the restricted token needs a grant. */
static void write_nul_aces(struct win *x)
{
	uint32_t nul = sbx_bw_wstr(x->L->w, "\\\\.\\NUL");
	for (uint32_t s = 0; s < x->ncaps; s++) {
		struct sbx_win_ace ace = { SBX_NONE, nul, s, FILE_GENERIC_READ | FILE_GENERIC_WRITE,
		                           SBX_ACE_ALLOW, 0, SBX_ACE_F_IMPLICIT, SBX_NONE };
		sbx_bw_add(x->L->w, SBX_SEC_WIN_ACES, &ace, sizeof ace);
	}
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static void write_job(struct sbx_lower *L)
{
	const struct sbx_limits *lim = &L->ir->limits;
	struct sbx_win_job job = { SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE | SBX_JOB_LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
	                           JOB_UI_ALL, 0, 0, 0, 0, 0 };
	if (lim->max_processes) {
		job.limit_flags |= SBX_JOB_LIMIT_ACTIVE_PROCESS;
		job.active_processes = lim->max_processes > UINT32_MAX ? UINT32_MAX : (uint32_t)lim->max_processes;
	}
	if (lim->memory_bytes) {
		job.limit_flags |= SBX_JOB_LIMIT_JOB_MEMORY;
		job.job_memory_bytes = lim->memory_bytes;
	}
	if (lim->cpu_seconds) {
		job.limit_flags |= SBX_JOB_LIMIT_JOB_TIME;
		job.job_time_100ns = sat_mul(lim->cpu_seconds, 10000000u);
	}
	job.wall_ms = sat_mul(lim->wall_seconds, 1000u);
	sbx_bw_add(L->w, SBX_SEC_WIN_JOB, &job, sizeof job);
}

int sbx_lower_windows(struct sbx_lower *L)
{
	struct win x = { L, NULL, 0, { 0 } };
	if (check_cap_limit(L) != 0)
		return -1;
	x.sid = calloc(L->nrules ? L->nrules : 1, sizeof *x.sid);
	if (!x.sid || write_sids(&x) != 0) {
		free(x.sid);
		return sbx_lower_oom(L);
	}
	sbx_bw_keep(L->w, SBX_SEC_WIN_TOKEN);
	sbx_bw_keep(L->w, SBX_SEC_WIN_JOB);
	write_token(&x);
	write_privs(L);
	write_aces(&x);
	write_nul_aces(&x);
	write_job(L);
	free(x.sid);
	return 0;
}
