/*
 * sbxrt.h - libsbxrt, the sbx runtime: verify a compiled policy blob and
 * look at it through a zero-copy view.  (Spawning lands with the runtime
 * backends.)
 *
 * The library never allocates on the load/verify path, keeps no global
 * state and never prints.  Every function is safe to call from several
 * threads on different objects.
 */
#ifndef SBX_SBXRT_H
#define SBX_SBXRT_H

#include <stddef.h>
#include <stdint.h>

#include "blob.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SBX_API __declspec(dllexport)
#elif defined(__GNUC__)
#define SBX_API __attribute__((visibility("default")))
#else
#define SBX_API
#endif

/* Errors.  Each class of malformed blob has its own code. */
enum sbx_err {
	SBX_OK = 0,
	SBX_E_ALIGN,        /* buffer or section not 8-byte aligned */
	SBX_E_TRUNCATED,    /* buffer shorter than the header or than total_size */
	SBX_E_MAGIC,        /* not an sbx blob */
	SBX_E_VERSION,      /* unsupported format major/minor or compiler ABI */
	SBX_E_SIZE,         /* header_size/total_size/section size inconsistent or too large */
	SBX_E_CHECKSUM,     /* XXH3 checksum mismatch */
	SBX_E_BOUNDS,       /* an offset, count or index points outside its table */
	SBX_E_OVERLAP,      /* two sections overlap, or a section overlaps the header/table */
	SBX_E_STRING,       /* bad string reference, unterminated string or invalid UTF-8/UTF-16 */
	SBX_E_UNKNOWN_REQUIRED, /* a section the reader does not know is marked required */
	SBX_E_DUPLICATE,    /* a section id appears twice */
	SBX_E_MISSING,      /* a section the flags say must be there is absent */
	SBX_E_VALUE,        /* a field has a value outside its domain (kind, mask, flag...) */
	SBX_E_BPF,          /* the seccomp program is not a valid, terminating filter */
	SBX_E_FLAGS,        /* unknown header or section flags */
	SBX_E__COUNT
};

/* A short English description of an error code ("checksum mismatch"). */
SBX_API const char *sbx_strerror(int err);

/*
 * The zero-copy view of a verified blob.  Every pointer points into the
 * caller's buffer, which must outlive the view.  Counts are record counts.
 * Absent optional sections have a NULL pointer and a zero count.
 */
struct sbx_view {
	const struct sbx_blob_header *header;
	const char *strings;          size_t strings_size;
	const uint16_t *wstrings;     size_t wstrings_units;
	const struct sbx_param *params;       size_t nparams;
	const struct sbx_path *paths;         size_t npaths;
	const struct sbx_fs_rule *rules;      size_t nrules;
	const struct sbx_network *network;    /* never NULL */
	const struct sbx_limits *limits;      /* never NULL */
	const struct sbx_env_op *env;         size_t nenv;
	/* Linux, when header->flags has SBX_BLOB_F_LINUX */
	const struct sbx_lx_landlock *landlock;
	const struct sbx_lx_ll_rule *ll_rules;    size_t nll_rules;
	const struct sbx_lx_mount *mounts;        size_t nmounts;
	const struct sbx_bpf_insn *seccomp;       size_t nseccomp;
	const struct sbx_lx_rlimit *rlimits;      size_t nrlimits;
	/* Windows, when header->flags has SBX_BLOB_F_WINDOWS */
	const struct sbx_win_token *win_token;
	const uint32_t *win_privs;                size_t nwin_privs;
	const struct sbx_win_sid *win_sids;       size_t nwin_sids;
	const struct sbx_win_ace *win_aces;       size_t nwin_aces;
	const struct sbx_win_job *win_job;
	size_t unknown_optional;      /* optional sections skipped */
};

/*
 * Verify `len` bytes at `buf` (8-byte aligned) and fill `view`.  Returns
 * SBX_OK or an enum sbx_err; on error `view` is zeroed.  Reads nothing
 * outside [buf, buf+len), allocates nothing, runs in time linear in len.
 * When `where` is not NULL it receives a short static-free explanation of
 * the failing spot ("section 17 record 3: access outside handled_fs"),
 * truncated to `where_size` bytes.
 */
SBX_API int sbx_blob_verify(const void *buf, size_t len, struct sbx_view *view,
                            char *where, size_t where_size);

/* String accessors for a verified view; NULL for SBX_NONE. */
SBX_API const char *sbx_view_str(const struct sbx_view *v, uint32_t ref);
SBX_API const uint16_t *sbx_view_wstr(const struct sbx_view *v, uint32_t ref);

/*
 * The capability SID derived for a Windows path: "S-1-5-21-a-b-c-d", where
 * a..d are the four 32-bit words of XXH3-128 over a fixed namespace and the
 * canonical path (UTF-16LE, ASCII letters upper-cased, '\\' separators, no
 * trailing separator).  Stateless and stable.  Writes a NUL-terminated
 * string of at most SBX_SID_STR_MAX bytes; returns its length.
 */
#define SBX_SID_STR_MAX 64
SBX_API size_t sbx_derive_cap_sid(const uint16_t *path, size_t units, char out[SBX_SID_STR_MAX]);

#ifdef __cplusplus
}
#endif
#endif /* SBX_SBXRT_H */
