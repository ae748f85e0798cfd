/*
 * win_plan.h - the Windows PLAN: from a verified view and the bound
 * parameters, the exact list of Windows operations a spawn performs
 * (docs/windows.md).  Pure C with no Win32 headers, so that it builds and
 * is unit-tested on Linux (tests/test_win_plan.c); win_exec.c performs a
 * plan with Win32 calls and decides nothing.
 *
 * Strings are UTF-8; paths are Windows paths ("C:\\work\\.git").  The
 * logon and user SIDs are only known from the caller's token, so the plan
 * names them (WP_WHO_*) and shows them as "<logon>" / "<user>" in SDDL.
 */
#ifndef SBX_WIN_PLAN_H
#define SBX_WIN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "sbx/sbxrt.h"

#define WP_MAX_CAPS      16      /* capability SIDs (writable roots): the compiler's cap */
#define WP_MAX_SIDS      (WP_MAX_CAPS + 1)   /* + the logon SID */
#define WP_MAX_PRIVS     64      /* privileges to delete */
#define WP_MAX_ACES      8192    /* ACEs in one plan */
#define WP_MAX_DACL      (WP_MAX_SIDS + 2)   /* default DACL: user, SYSTEM, logon, caps */
#define WP_PATH_MAX      4096    /* bytes of a bound path */
#define WP_ENV_MAX       4096    /* variables passed to the command */
#define WP_ENV_BYTES     (1u << 20)
#define WP_CMDLINE_MAX   32767   /* CreateProcess's limit, in UTF-16 units */
#define WP_SDDL_MAX      96
#define WP_TMP_NAME      ".sbx-tmp"  /* the private temp directory in a writable root */
#define WP_GENERIC_ALL   0x10000000u

/* Who a default-DACL entry names. */
enum wp_who {
	WP_WHO_SID    = 0,       /* plan->sids[sid] */
	WP_WHO_USER   = 1,       /* the caller's user SID */
	WP_WHO_SYSTEM = 2,       /* S-1-5-18 */
};

struct wp_sid {
	uint32_t kind;           /* enum sbx_win_sid_kind */
	const char *path;        /* DERIVED: the bound root it comes from; else NULL */
	char text[SBX_SID_STR_MAX];  /* "S-1-5-21-..."; "" for the logon SID */
};

struct wp_ace {
	const char *object;      /* the bound path, or a device such as \\.\NUL */
	int device;              /* object is a device, opened rather than named */
	uint32_t sid;            /* index into sids */
	uint32_t mask;
	uint8_t type;            /* SBX_ACE_ALLOW / SBX_ACE_DENY */
	uint8_t inherit;         /* SBX_ACE_*_INHERIT */
	uint16_t flags;          /* SBX_ACE_F_* */
	uint32_t rule;           /* FS_RULES index or SBX_NONE */
	uint32_t kind;           /* the rule's enum sbx_fs_kind, 0 for implicit ACEs */
	int guard;               /* added by the plan to keep a carve-out in place (below) */
	char sddl[WP_SDDL_MAX];  /* "(A;OICI;0x1301ff;;;S-1-5-21-...)" */
};

/*
 * Guards.  FILE_DELETE_CHILD on a directory lets its holder delete or
 * rename any child whatever the child's own DACL says (MS KB 238018), and
 * a writable root grants it, inheritably.  So a read-only carve-out such
 * as .git could be renamed away and replaced by a writable one.  For each
 * carve-out inside a writable root the plan therefore adds, for that
 * root's SID and on this object only (no inheritance, no propagation): a
 * deny of FILE_DELETE_CHILD on every ancestor from the carve-out's parent
 * up to the root, and a deny of DELETE on the ancestors strictly below the
 * root.  Ordinary files stay deletable through their own inherited DELETE.
 */
#define WP_MAX_GUARDS    1024
#define WP_GUARD_PARENT  0x00000040u   /* FILE_DELETE_CHILD */
#define WP_GUARD_MIDDLE  0x00010040u   /* DELETE | FILE_DELETE_CHILD */

/*
 * The walk over the directories guarding carve-out `inner` of writable
 * root `outer` ('\\'-separated, compared as Windows does), from the
 * carve-out's parent up to the root.  Start with at = strlen(inner); each
 * step names the next directory by the first `len` bytes of inner.  The
 * plan walks bound paths; `sbxc explain` walks what follows the parameter
 * in both symbolic paths (compiler/win_guards.c).
 */
struct wp_guard_step {
	size_t at;               /* the separator ending the directory; start: strlen(inner) */
	size_t len;              /* the bytes of inner naming it */
	uint32_t mask;           /* WP_GUARD_PARENT at the root, WP_GUARD_MIDDLE below it */
};

/* 1 after a step, 0 at the end or when inner does not lie strictly beneath outer. */
int wp_guard_next(const char *outer, const char *inner, struct wp_guard_step *s);

struct wp_dacl {
	uint32_t who;            /* enum wp_who */
	uint32_t sid;            /* WP_WHO_SID: index into sids */
	uint32_t mask;           /* WP_GENERIC_ALL */
	char sddl[WP_SDDL_MAX];  /* "(A;;GA;;;<user>)" */
};

struct wp_job {
	uint32_t limit_flags;    /* SBX_JOB_LIMIT_*; never breakaway */
	uint32_t ui_restrictions;
	uint32_t active_processes;
	uint64_t job_memory_bytes;
	uint64_t job_time_100ns;
	uint64_t wall_ms;
};

struct wp_chunk;

struct win_plan {
	uint32_t token_flags;            /* SBX_WIN_* CreateRestrictedToken flags */
	struct wp_sid sids[WP_MAX_SIDS];
	size_t nsids, nrestrict;         /* the first nrestrict SIDs restrict the token */
	size_t ncaps;                    /* capability SIDs among them */
	const char *privs[WP_MAX_PRIVS]; /* privilege names to delete */
	size_t nprivs;
	struct wp_dacl dacl[WP_MAX_DACL];/* the token's default DACL */
	size_t ndacl;
	struct wp_ace *aces;             /* the blob's, in order (same-object ACEs adjacent), then the guards */
	size_t naces, nguards;
	struct wp_job job;
	const char **paths;              /* bound path per PATHS record; NULL = not for Windows */
	size_t npaths;
	const char **roots;              /* the writable roots (must exist before the ACEs) */
	size_t nroots;
	const char *tmpdir;              /* the private temp directory, or NULL */
	int tmpdir_create;               /* the runtime chose it: create it when missing */
	char **envp;                     /* "NAME=VALUE", sorted case-insensitively, NULL-ended */
	size_t nenv;
	int net_advisory;                /* offline, enforced by environment variables only */
	struct wp_chunk *arena;          /* owns every string above */
};

struct wp_input {
	const struct sbx_view *v;
	const char *const *values;       /* per PARAMS index: a checked value, NULL = unbound */
	const char *cwd;                 /* the command's working directory (Windows path) */
	const char *const *envp;         /* the caller's environment, "NAME=VALUE" UTF-8 */
};

/*
 * Builds the plan.  SBX_OK, or SBX_E_PARAM / SBX_E_BLOB / SBX_E_NOMEM /
 * SBX_E_ARG with one line in err.  On error nothing is left to free.
 */
int wp_build(const struct wp_input *in, struct win_plan *out, char *err, size_t errsize);
void wp_free(struct win_plan *p);

/* Why `value` cannot be bound as a Windows path (a drive path), or NULL. */
const char *wp_check_value(const char *value);
/* Copies value normalized ('\\' separators, upper-case drive, no trailing
   separator but in "C:\\") into out (at least strlen(value)+1 bytes). */
void wp_normalize_value(const char *value, char *out);

/* 1 when `inner` is `outer` or lies beneath it (case-insensitive, '\\'). */
int wp_path_within(const char *outer, const char *inner);

/*
 * The command line for argv, quoted so that CommandLineToArgvW and the C
 * runtime give back exactly argv.  Returns the length, or 0 when it does
 * not fit in `size` bytes (the NUL included) or argv is empty.
 */
size_t wp_cmdline(const char *const *argv, char *out, size_t size);

/* An ACE as read from an existing DACL, for the idempotence check. */
struct wp_have {
	uint8_t type;            /* SBX_ACE_ALLOW / SBX_ACE_DENY; other types: 0 */
	uint8_t header_flags;    /* ACE header flags: OI 0x1, CI 0x2, INHERIT_ONLY 0x8, INHERITED 0x10 */
	uint32_t mask;
	const char *sid;         /* "S-1-..." */
};
#define WP_ACE_INHERIT_ONLY 0x08u
#define WP_ACE_INHERITED    0x10u

/* 1 when an explicit, effective ACE in `have` already does what `want` asks for `sid`. */
int wp_ace_present(const struct wp_have *have, size_t n, const struct wp_ace *want,
                   const char *sid);

/* Renders an ACE as SDDL with `sid` ("<logon>" for the logon SID). */
void wp_ace_sddl(uint8_t type, uint8_t inherit, uint32_t mask, const char *sid,
                 char out[WP_SDDL_MAX]);

/* UTF-8 to UTF-16 (no NUL added); the units written, or SIZE_MAX if invalid or too long. */
size_t wp_utf8_to_utf16(const char *s, uint16_t *out, size_t cap);
/* UTF-16 (NUL-terminated) to UTF-8 with NUL; the bytes written without the NUL, or SIZE_MAX. */
size_t wp_utf16_to_utf8(const uint16_t *s, char *out, size_t cap);

#endif
