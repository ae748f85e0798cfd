/*
 * blob.h - the sbx policy blob format, shared by the compiler (writer) and
 * the runtime (verifier).  docs/blob-format.md is the prose version of this
 * file; change them together.
 *
 * A blob is little endian.  It starts with a fixed header, then a section
 * table, then the sections, each 8-byte aligned.  Every multi-byte field is
 * naturally aligned inside its record, so a verified blob that sits at an
 * 8-byte aligned address can be read through these structs directly (the
 * "zero-copy view").  The verifier checks every byte the runtime will read.
 *
 * No OS headers here: the values of Landlock rights, Windows access masks and
 * so on are spelled out so that the format does not depend on the host.
 */
#ifndef SBX_BLOB_H
#define SBX_BLOB_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sbx blobs are read in place and need a little-endian host"
#endif

/* "\x89SBX\r\n\x1a\n": a high byte and CR LF / ^Z catch text-mode mangling. */
#define SBX_BLOB_MAGIC       "\x89SBX\r\n\x1a\n"
#define SBX_BLOB_MAGIC_LEN   8
#define SBX_BLOB_MAJOR       1   /* incompatible changes */
#define SBX_BLOB_MINOR       0   /* compatible additions (optional sections) */
#define SBX_COMPILER_ABI     1   /* bumped when the compiler's meaning changes */
#define SBX_BLOB_ALIGN       8
#define SBX_BLOB_MAX_SIZE    (64u << 20)   /* 64 MiB: far above any real policy */
#define SBX_BLOB_MAX_SECTIONS 64

/* Header flags */
#define SBX_BLOB_F_BEST_EFFORT  (1u << 0)  /* policy asked for best effort */
#define SBX_BLOB_F_LINUX        (1u << 1)  /* Linux sections present */
#define SBX_BLOB_F_WINDOWS      (1u << 2)  /* Windows sections present */
#define SBX_BLOB_F_NO_USERNS    (1u << 3)  /* Linux: the seccomp program refuses new user namespaces */
#define SBX_BLOB_F_KNOWN        0xFu

struct sbx_blob_header {
	uint8_t  magic[8];       /*  0 SBX_BLOB_MAGIC */
	uint16_t major;          /*  8 */
	uint16_t minor;          /* 10 */
	uint32_t compiler_abi;   /* 12 */
	uint32_t header_size;    /* 16 sizeof(struct sbx_blob_header) */
	uint32_t section_count;  /* 20 entries in the section table */
	uint64_t total_size;     /* 24 bytes in the blob, header included */
	uint64_t flags;          /* 32 SBX_BLOB_F_* */
	uint64_t policy_id;      /* 40 XXH3-64 of the section bytes (the normalized policy) */
	uint64_t checksum;       /* 48 XXH3-64 of bytes [56, total_size) */
};                           /* 56 */
#define SBX_BLOB_CHECKSUM_START 56u

/* Section table entry; the table follows the header. */
struct sbx_section {
	uint32_t id;             /* SBX_SEC_* */
	uint32_t flags;          /* SBX_SECF_* */
	uint32_t offset;         /* from the start of the blob, 8-aligned */
	uint32_t size;           /* bytes; = count * record size for arrays */
	uint32_t count;          /* records */
	uint32_t reserved;       /* 0 */
};                           /* 24 */

#define SBX_SECF_REQUIRED    (1u << 0)  /* a reader that does not know the id must reject */

/* Section ids.  Records are listed below each id. */
enum sbx_section_id {
	SBX_SEC_STRINGS      = 1,  /* UTF-8 pool: NUL-terminated strings; byte 0 is "" */
	SBX_SEC_WSTRINGS     = 2,  /* UTF-16LE pool: u16-NUL-terminated; unit 0 is L"" */
	SBX_SEC_PARAMS       = 3,  /* struct sbx_param[] */
	SBX_SEC_PATHS        = 4,  /* struct sbx_path[] */
	SBX_SEC_FS_RULES     = 5,  /* struct sbx_fs_rule[] */
	SBX_SEC_NETWORK      = 6,  /* struct sbx_network (count 1) */
	SBX_SEC_LIMITS       = 7,  /* struct sbx_limits (count 1) */
	SBX_SEC_ENV          = 8,  /* struct sbx_env_op[] */
	SBX_SEC_NET_ALLOW    = 9,  /* reserved: host:port allow-list (not emitted yet) */

	SBX_SEC_LX_LANDLOCK  = 16, /* struct sbx_lx_landlock (count 1) */
	SBX_SEC_LX_LL_RULES  = 17, /* struct sbx_lx_ll_rule[] */
	SBX_SEC_LX_MOUNTS    = 18, /* struct sbx_lx_mount[] */
	SBX_SEC_LX_SECCOMP   = 19, /* struct sbx_bpf_insn[] (classic BPF) */
	SBX_SEC_LX_RLIMITS   = 20, /* struct sbx_lx_rlimit[] */

	SBX_SEC_WIN_TOKEN    = 32, /* struct sbx_win_token (count 1) */
	SBX_SEC_WIN_PRIVS    = 33, /* uint32_t[] wstring refs: privilege names to delete */
	SBX_SEC_WIN_SIDS     = 34, /* struct sbx_win_sid[] */
	SBX_SEC_WIN_ACES     = 35, /* struct sbx_win_ace[] */
	SBX_SEC_WIN_JOB      = 36, /* struct sbx_win_job (count 1) */
};

#define SBX_NONE UINT32_MAX       /* "no reference" for any u32 index or string ref */

/*
 * Strings are referenced by byte offset into SBX_SEC_STRINGS ("str") or by
 * byte offset into SBX_SEC_WSTRINGS ("wstr", even).  A reference points at
 * the first unit of a string: offset 0 or just after a terminator.
 */

/* Parameters bound at spawn time (those bound by sbxc -D are gone). */
struct sbx_param {
	uint32_t name;           /* str: "WORKSPACE" */
	uint32_t wname;          /* wstr or SBX_NONE when there is no Windows section */
	uint32_t flags;          /* SBX_PARAM_F_* */
	uint32_t reserved;
};
#define SBX_PARAM_F_BUILTIN  (1u << 0)  /* the runtime has a default for it */

/* A path is (parameter, suffix): binding is value + suffix, no parsing. */
struct sbx_path {
	uint32_t param;          /* index into PARAMS, or SBX_NONE for a literal path */
	uint32_t suffix;         /* str: normalized; "" = the parameter itself; '/' separated */
	uint32_t wsuffix;        /* wstr: the same with '\\' separators, or SBX_NONE */
	uint32_t platforms;      /* SBX_PLAT_* the path applies to */
};
#define SBX_PLAT_LINUX       (1u << 0)
#define SBX_PLAT_WINDOWS     (1u << 1)

enum sbx_fs_kind {
	SBX_FS_READONLY = 1,
	SBX_FS_WRITABLE = 2,
	SBX_FS_DENIED   = 3,
	SBX_FS_PRIVATE  = 4,     /* an empty writable directory of the sandbox's own (Linux paths) */
};

/* The normalized, platform-independent rules (what `explain` shows first). */
struct sbx_fs_rule {
	uint32_t path;           /* index into PATHS */
	uint32_t kind;           /* enum sbx_fs_kind */
	uint32_t flags;          /* SBX_RULE_F_* */
	uint32_t parent;         /* index of the rule whose path most closely contains this one, or SBX_NONE */
};
#define SBX_RULE_F_CARVE_OUT (1u << 0)  /* narrower than its parent rule */
/* Bit 1 is reserved.  Where a rule was written (inherited or not) is not
   recorded: equivalent policies must give identical blobs. */

enum sbx_net_mode {
	SBX_NET_OFFLINE = 1,
	SBX_NET_ONLINE  = 2,
};

struct sbx_network {
	uint32_t mode;           /* enum sbx_net_mode */
	uint32_t allow_count;    /* entries in SBX_SEC_NET_ALLOW; 0 in this version */
};

/* Job limits; 0 means "no limit". */
struct sbx_limits {
	uint64_t max_processes;
	uint64_t memory_bytes;
	uint64_t cpu_seconds;
	uint64_t wall_seconds;
};

enum sbx_env_opcode {
	SBX_ENV_KEEP = 1,        /* pass variables whose name matches the glob */
	SBX_ENV_DROP = 2,        /* never pass variables whose name matches the glob */
	SBX_ENV_SET  = 3,        /* set name=value */
};

struct sbx_env_op {
	uint32_t op;             /* enum sbx_env_opcode */
	uint32_t flags;          /* SBX_ENV_F_* */
	uint32_t name;           /* str: glob (KEEP/DROP) or exact name (SET) */
	uint32_t value;          /* str (SET) or SBX_NONE */
	uint32_t wname;          /* wstr or SBX_NONE */
	uint32_t wvalue;         /* wstr or SBX_NONE */
	uint32_t platforms;      /* SBX_PLAT_* */
	uint32_t reserved;
};
#define SBX_ENV_F_DEFAULT    (1u << 0)  /* a built-in default, not written in the policy */
#define SBX_ENV_F_EXACT      (1u << 1)  /* the pattern has no wildcard */
#define SBX_ENV_F_NET_ADVISORY (1u << 2) /* set only to make tools stay offline (advisory) */

/* ---- Linux ---- */

/* Landlock access rights, as in <linux/landlock.h>. */
#define SBX_LL_FS_EXECUTE      (1ull << 0)
#define SBX_LL_FS_WRITE_FILE   (1ull << 1)
#define SBX_LL_FS_READ_FILE    (1ull << 2)
#define SBX_LL_FS_READ_DIR     (1ull << 3)
#define SBX_LL_FS_REMOVE_DIR   (1ull << 4)
#define SBX_LL_FS_REMOVE_FILE  (1ull << 5)
#define SBX_LL_FS_MAKE_CHAR    (1ull << 6)
#define SBX_LL_FS_MAKE_DIR     (1ull << 7)
#define SBX_LL_FS_MAKE_REG     (1ull << 8)
#define SBX_LL_FS_MAKE_SOCK    (1ull << 9)
#define SBX_LL_FS_MAKE_FIFO    (1ull << 10)
#define SBX_LL_FS_MAKE_BLOCK   (1ull << 11)
#define SBX_LL_FS_MAKE_SYM     (1ull << 12)
#define SBX_LL_FS_REFER        (1ull << 13)  /* ABI 2 */
#define SBX_LL_FS_TRUNCATE     (1ull << 14)  /* ABI 3 */
#define SBX_LL_FS_IOCTL_DEV    (1ull << 15)  /* ABI 5 */
#define SBX_LL_FS_ALL          0xffffull
#define SBX_LL_NET_BIND_TCP    (1ull << 0)   /* ABI 4 */
#define SBX_LL_NET_CONNECT_TCP (1ull << 1)   /* ABI 4 */
#define SBX_LL_NET_ALL         0x3ull
#define SBX_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0)  /* ABI 6 */
#define SBX_LL_SCOPE_SIGNAL    (1ull << 1)   /* ABI 6 */
#define SBX_LL_SCOPE_ALL       0x3ull

struct sbx_lx_landlock {
	uint64_t handled_fs;     /* SBX_LL_FS_* the ruleset handles */
	uint64_t handled_net;    /* SBX_LL_NET_* */
	uint64_t scoped;         /* SBX_LL_SCOPE_* */
	uint32_t abi_min;        /* lowest Landlock ABI that enforces all of the above */
	uint32_t flags;          /* 0 */
};

struct sbx_lx_ll_rule {
	uint32_t path;           /* index into PATHS */
	uint32_t flags;          /* SBX_LL_RULE_F_* */
	uint64_t access;         /* subset of handled_fs */
};
#define SBX_LL_RULE_F_IMPLICIT (1u << 0)  /* added by the compiler (/dev/null, /proc ...) */
#define SBX_LL_RULE_F_OPTIONAL (1u << 1)  /* skip silently if the path does not exist */
#define SBX_LL_RULE_F_PRIVATE  (1u << 2)  /* a private path: without its mount (no mount
                                             namespace) the rule is skipped, never the host's */

enum sbx_lx_mount_op {
	SBX_MNT_RDONLY = 1,      /* bind the path onto itself, remount read-only */
	SBX_MNT_HIDE   = 2,      /* cover the path: empty read-only tmpfs (dir) or /dev/null (file) */
	SBX_MNT_EXPOSE = 3,      /* re-bind the original path inside a hidden ancestor */
	SBX_MNT_PRIVATE = 4,     /* cover the path: an empty writable tmpfs, the sandbox's own */
};

struct sbx_lx_mount {
	uint32_t op;             /* enum sbx_lx_mount_op; applied in array order */
	uint32_t path;           /* index into PATHS */
	uint32_t flags;          /* SBX_MNT_F_* */
	uint32_t rule;           /* index into FS_RULES that asked for it */
};
#define SBX_MNT_F_IF_INSIDE  (1u << 0)  /* containment depends on parameter values: apply only if,
                                           once bound, the path is inside an allowed root */
#define SBX_MNT_F_READONLY   (1u << 1)  /* EXPOSE: re-bind the path read-only (a readonly rule) */

/* Classic BPF instruction, as struct sock_filter. */
struct sbx_bpf_insn {
	uint16_t code;
	uint8_t  jt;
	uint8_t  jf;
	uint32_t k;
};
#define SBX_BPF_MAX_INSNS    4096   /* BPF_MAXINSNS */

enum sbx_lx_rlimit_res {     /* values of <sys/resource.h> RLIMIT_* on Linux */
	SBX_RLIMIT_CPU   = 0,
	SBX_RLIMIT_DATA  = 2,   /* data segment + private anonymous mappings: unlike RLIMIT_AS it
	                           leaves address-space reservations (ASan, V8, Go) alone */
	SBX_RLIMIT_NPROC = 6,
};

struct sbx_lx_rlimit {
	uint32_t resource;       /* enum sbx_lx_rlimit_res */
	uint32_t reserved;
	uint64_t soft;
	uint64_t hard;
};

/* ---- Windows ---- */

/* CreateRestrictedToken flags */
#define SBX_WIN_DISABLE_MAX_PRIVILEGE 0x1u
#define SBX_WIN_SANDBOX_INERT         0x2u
#define SBX_WIN_LUA_TOKEN             0x4u
#define SBX_WIN_WRITE_RESTRICTED      0x8u

struct sbx_win_token {
	uint32_t flags;          /* SBX_WIN_* CreateRestrictedToken flags */
	uint32_t restrict_count; /* restricting SIDs: the first restrict_count entries of WIN_SIDS */
	uint32_t max_cap_sids;   /* the compile-time cap on derived capability SIDs */
	uint32_t reserved;
};

enum sbx_win_sid_kind {
	SBX_SID_LITERAL = 1,     /* wstr: an SDDL SID string, e.g. L"S-1-5-21-..." */
	SBX_SID_LOGON   = 2,     /* the logon SID of the caller's token */
	SBX_SID_DERIVED = 3,     /* capability SID derived from a path at spawn time */
};

struct sbx_win_sid {
	uint32_t kind;           /* enum sbx_win_sid_kind */
	uint32_t ref;            /* LITERAL: wstr; DERIVED: index into PATHS; LOGON: SBX_NONE */
};

/* Access mask bits used in ACEs */
#define SBX_WIN_FILE_READ_DATA        0x00000001u
#define SBX_WIN_FILE_WRITE_DATA       0x00000002u
#define SBX_WIN_FILE_APPEND_DATA      0x00000004u
#define SBX_WIN_FILE_READ_EA          0x00000008u
#define SBX_WIN_FILE_WRITE_EA         0x00000010u
#define SBX_WIN_FILE_EXECUTE          0x00000020u
#define SBX_WIN_FILE_DELETE_CHILD     0x00000040u
#define SBX_WIN_FILE_READ_ATTRIBUTES  0x00000080u
#define SBX_WIN_FILE_WRITE_ATTRIBUTES 0x00000100u
#define SBX_WIN_DELETE                0x00010000u
#define SBX_WIN_READ_CONTROL          0x00020000u
#define SBX_WIN_WRITE_DAC             0x00040000u
#define SBX_WIN_WRITE_OWNER           0x00080000u
#define SBX_WIN_SYNCHRONIZE           0x00100000u

enum sbx_win_ace_type {
	SBX_ACE_ALLOW = 1,
	SBX_ACE_DENY  = 2,
};
#define SBX_ACE_OBJECT_INHERIT     0x01u  /* OI */
#define SBX_ACE_CONTAINER_INHERIT  0x02u  /* CI */

struct sbx_win_ace {
	uint32_t path;           /* index into PATHS, or SBX_NONE with target = wstr (device) */
	uint32_t target;         /* wstr for device targets like \\.\NUL, else SBX_NONE */
	uint32_t sid;            /* index into WIN_SIDS */
	uint32_t mask;           /* access mask */
	uint8_t  type;           /* enum sbx_win_ace_type */
	uint8_t  inherit;        /* SBX_ACE_*_INHERIT */
	uint16_t flags;          /* SBX_ACE_F_* */
	uint32_t rule;           /* index into FS_RULES, or SBX_NONE for implicit ACEs */
};
#define SBX_ACE_F_TEMPORARY  (1u << 0)  /* journaled and reverted after the command */
#define SBX_ACE_F_IMPLICIT   (1u << 1)  /* added by the compiler */
#define SBX_ACE_F_READ_UNENFORCED (1u << 2) /* a DENY whose read bits a write-restricted token
                                           never checks: only the write denial is enforced */

/* JOBOBJECT limit flags */
#define SBX_JOB_LIMIT_PROCESS_MEMORY   0x00000100u
#define SBX_JOB_LIMIT_JOB_MEMORY       0x00000200u
#define SBX_JOB_LIMIT_ACTIVE_PROCESS   0x00000008u
#define SBX_JOB_LIMIT_JOB_TIME         0x00000004u
#define SBX_JOB_LIMIT_DIE_ON_UNHANDLED_EXCEPTION 0x00000400u
#define SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE 0x00002000u
/* JOB_OBJECT_UILIMIT_* */
#define SBX_JOB_UI_HANDLES          0x0001u
#define SBX_JOB_UI_READCLIPBOARD    0x0002u
#define SBX_JOB_UI_WRITECLIPBOARD   0x0004u
#define SBX_JOB_UI_SYSTEMPARAMETERS 0x0008u
#define SBX_JOB_UI_DISPLAYSETTINGS  0x0010u
#define SBX_JOB_UI_GLOBALATOMS      0x0020u
#define SBX_JOB_UI_DESKTOP          0x0040u
#define SBX_JOB_UI_EXITWINDOWS      0x0080u

struct sbx_win_job {
	uint32_t limit_flags;    /* SBX_JOB_LIMIT_* */
	uint32_t ui_restrictions;/* SBX_JOB_UI_* */
	uint32_t active_processes;
	uint32_t reserved;
	uint64_t job_memory_bytes;
	uint64_t job_time_100ns; /* per-job user CPU time */
	uint64_t wall_ms;        /* enforced by the launcher with TerminateJobObject */
};

#ifdef __cplusplus
}
#endif
#endif /* SBX_BLOB_H */
