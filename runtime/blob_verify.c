/*
 * blob_verify.c - check a policy blob byte by byte and build the zero-copy
 * view.  Like Lua's lundump.c there is one way in (the header, then the
 * section table, then each section) and every field is checked before it
 * is used; unlike lundump.c this also checks what the blob means: every
 * index points into its table, every kind, mask and flag is in its domain,
 * and the seccomp program is a filter the kernel would accept.
 *
 * Rules: no allocation, no globals, nothing read outside [buf, buf+len),
 * time linear in len (string walks are capped at SBX_VERIFY_MAX_STR).
 */
#include "sbx/sbxrt.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

/* Longest string whose meaning the verifier checks (a path: PATH_MAX, as the compiler). */
#define SBX_VERIFY_MAX_STR 4096u
#define STR_WALK (SBX_VERIFY_MAX_STR + 1u)   /* walks stop here: longer is too long */
#define SBX_HEADER_SIZE    56u
#define SBX_SECTION_SIZE   24u
#define SBX_MAX_KNOWN_ID   64u

/* Flag sets the reader knows. */
#define PARAM_F_KNOWN  SBX_PARAM_F_BUILTIN
#define RULE_F_KNOWN   SBX_RULE_F_CARVE_OUT
#define ENV_F_KNOWN    (SBX_ENV_F_DEFAULT | SBX_ENV_F_EXACT | SBX_ENV_F_NET_ADVISORY)
#define LLR_F_KNOWN    (SBX_LL_RULE_F_IMPLICIT | SBX_LL_RULE_F_OPTIONAL | SBX_LL_RULE_F_PRIVATE)
#define MNT_F_KNOWN    (SBX_MNT_F_IF_INSIDE | SBX_MNT_F_READONLY)
#define ACE_F_KNOWN    (SBX_ACE_F_TEMPORARY | SBX_ACE_F_IMPLICIT | SBX_ACE_F_READ_UNENFORCED)
#define PLAT_KNOWN     (SBX_PLAT_LINUX | SBX_PLAT_WINDOWS)
#define TOKEN_F_KNOWN  0xFu
#define JOB_LIMIT_KNOWN (SBX_JOB_LIMIT_PROCESS_MEMORY | SBX_JOB_LIMIT_JOB_MEMORY | \
	SBX_JOB_LIMIT_ACTIVE_PROCESS | SBX_JOB_LIMIT_JOB_TIME | \
	SBX_JOB_LIMIT_DIE_ON_UNHANDLED_EXCEPTION | SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE)
#define JOB_UI_KNOWN   0xFFu

/* What the reader knows about each section id. */
struct sec_info {
	uint32_t id;
	uint32_t record;     /* record size; 1 for the byte pool, 2 for the unit pool */
	uint32_t platform;   /* 0, SBX_BLOB_F_LINUX or SBX_BLOB_F_WINDOWS */
	int single;          /* exactly one record */
	const char *name;
};

static const struct sec_info sec_infos[] = {
	{ SBX_SEC_STRINGS, 1, 0, 0, "strings" },
	{ SBX_SEC_WSTRINGS, 2, SBX_BLOB_F_WINDOWS, 0, "wide strings" },
	{ SBX_SEC_PARAMS, sizeof(struct sbx_param), 0, 0, "parameters" },
	{ SBX_SEC_PATHS, sizeof(struct sbx_path), 0, 0, "paths" },
	{ SBX_SEC_FS_RULES, sizeof(struct sbx_fs_rule), 0, 0, "filesystem rules" },
	{ SBX_SEC_NETWORK, sizeof(struct sbx_network), 0, 1, "network" },
	{ SBX_SEC_LIMITS, sizeof(struct sbx_limits), 0, 1, "limits" },
	{ SBX_SEC_ENV, sizeof(struct sbx_env_op), 0, 0, "environment" },
	{ SBX_SEC_LX_LANDLOCK, sizeof(struct sbx_lx_landlock), SBX_BLOB_F_LINUX, 1, "landlock" },
	{ SBX_SEC_LX_LL_RULES, sizeof(struct sbx_lx_ll_rule), SBX_BLOB_F_LINUX, 0, "landlock rules" },
	{ SBX_SEC_LX_MOUNTS, sizeof(struct sbx_lx_mount), SBX_BLOB_F_LINUX, 0, "mounts" },
	{ SBX_SEC_LX_SECCOMP, sizeof(struct sbx_bpf_insn), SBX_BLOB_F_LINUX, 0, "seccomp" },
	{ SBX_SEC_LX_RLIMITS, sizeof(struct sbx_lx_rlimit), SBX_BLOB_F_LINUX, 0, "rlimits" },
	{ SBX_SEC_WIN_TOKEN, sizeof(struct sbx_win_token), SBX_BLOB_F_WINDOWS, 1, "windows token" },
	{ SBX_SEC_WIN_PRIVS, sizeof(uint32_t), SBX_BLOB_F_WINDOWS, 0, "windows privileges" },
	{ SBX_SEC_WIN_SIDS, sizeof(struct sbx_win_sid), SBX_BLOB_F_WINDOWS, 0, "windows sids" },
	{ SBX_SEC_WIN_ACES, sizeof(struct sbx_win_ace), SBX_BLOB_F_WINDOWS, 0, "windows aces" },
	{ SBX_SEC_WIN_JOB, sizeof(struct sbx_win_job), SBX_BLOB_F_WINDOWS, 1, "windows job" },
};
#define NSEC_INFOS (sizeof sec_infos / sizeof sec_infos[0])
_Static_assert(NSEC_INFOS == 18, "sec_slot below lists every entry of sec_infos");

/* The verifier's state: first argument of every check. */
struct vstate {
	const uint8_t *buf;
	size_t len;
	struct sbx_view *v;
	char *where;
	size_t where_size;
	uint64_t flags;                       /* header flags */
	const struct sbx_section *table;
	uint32_t nsec;
	const struct sbx_section *by_id[SBX_MAX_KNOWN_ID]; /* known sections found */
	uint64_t ids_seen;                    /* bit per id < 64 in the entries checked so far */
	uint64_t data_end;                    /* highest end of a non-empty section so far */
	uint32_t cur_sec;                     /* section id being checked, SBX_NONE = none */
	uint32_t cur_rec;                     /* record index, SBX_NONE = none */
};

/* 1 + the index in sec_infos of each known id, 0 for unknown ids: one load per lookup. */
static const uint8_t sec_slot[] = {
	[SBX_SEC_STRINGS] = 1, [SBX_SEC_WSTRINGS] = 2, [SBX_SEC_PARAMS] = 3, [SBX_SEC_PATHS] = 4,
	[SBX_SEC_FS_RULES] = 5, [SBX_SEC_NETWORK] = 6, [SBX_SEC_LIMITS] = 7, [SBX_SEC_ENV] = 8,
	[SBX_SEC_LX_LANDLOCK] = 9, [SBX_SEC_LX_LL_RULES] = 10, [SBX_SEC_LX_MOUNTS] = 11,
	[SBX_SEC_LX_SECCOMP] = 12, [SBX_SEC_LX_RLIMITS] = 13, [SBX_SEC_WIN_TOKEN] = 14,
	[SBX_SEC_WIN_PRIVS] = 15, [SBX_SEC_WIN_SIDS] = 16, [SBX_SEC_WIN_ACES] = 17,
	[SBX_SEC_WIN_JOB] = 18,
};
_Static_assert(sizeof sec_slot <= SBX_MAX_KNOWN_ID, "known ids index by_id");

static const struct sec_info *sec_info(uint32_t id)
{
	if (id >= sizeof sec_slot || sec_slot[id] == 0)
		return NULL;
	return &sec_infos[sec_slot[id] - 1];
}

/* Records the failing spot in `where` and returns `err`. */
__attribute__((format(printf, 3, 4)))
static int fail(struct vstate *S, int err, const char *fmt, ...)
{
	char prefix[64] = "";
	if (!S->where || S->where_size == 0)
		return err;
	if (S->cur_sec != SBX_NONE) {
		const struct sec_info *si = sec_info(S->cur_sec);
		const char *name = si ? si->name : "unknown";
		if (S->cur_rec != SBX_NONE)
			snprintf(prefix, sizeof prefix, "section %u (%s) record %u: ", S->cur_sec,
			         name, S->cur_rec);
		else
			snprintf(prefix, sizeof prefix, "section %u (%s): ", S->cur_sec, name);
	}
	int w = snprintf(S->where, S->where_size, "%s", prefix);
	if (w < 0 || (size_t)w >= S->where_size)
		return err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(S->where + w, S->where_size - (size_t)w, fmt, ap);
	va_end(ap);
	return err;
}

static void at(struct vstate *S, uint32_t sec, uint32_t rec)
{
	S->cur_sec = sec;
	S->cur_rec = rec;
}

/* ---- header ---- */

static int check_header(struct vstate *S, const struct sbx_blob_header *h)
{
	if (memcmp(h->magic, SBX_BLOB_MAGIC, SBX_BLOB_MAGIC_LEN) != 0)
		return fail(S, SBX_E_MAGIC, "header: not an sbx policy blob (bad magic)");
	if (h->major != SBX_BLOB_MAJOR)
		return fail(S, SBX_E_VERSION, "header: format version %u, this reader knows %u",
		            (unsigned)h->major, (unsigned)SBX_BLOB_MAJOR);
	if (h->compiler_abi != SBX_COMPILER_ABI)
		return fail(S, SBX_E_VERSION, "header: compiler ABI %u, this reader knows %u",
		            h->compiler_abi, (unsigned)SBX_COMPILER_ABI);
	if (h->header_size != SBX_HEADER_SIZE)
		return fail(S, SBX_E_SIZE, "header: header_size %u, expected %u",
		            h->header_size, SBX_HEADER_SIZE);
	if (h->total_size > SBX_BLOB_MAX_SIZE)
		return fail(S, SBX_E_SIZE, "header: total_size %llu above the limit of %u bytes",
		            (unsigned long long)h->total_size, (unsigned)SBX_BLOB_MAX_SIZE);
	if (h->total_size > S->len)
		return fail(S, SBX_E_TRUNCATED, "header: total_size %llu but only %zu bytes",
		            (unsigned long long)h->total_size, S->len);
	if (h->total_size != S->len)
		return fail(S, SBX_E_SIZE, "header: total_size %llu but the buffer has %zu bytes",
		            (unsigned long long)h->total_size, S->len);
	if (h->section_count > SBX_BLOB_MAX_SECTIONS)
		return fail(S, SBX_E_SIZE, "header: too many sections (limit is %u)",
		            (unsigned)SBX_BLOB_MAX_SECTIONS);
	if (SBX_HEADER_SIZE + (size_t)h->section_count * SBX_SECTION_SIZE > S->len)
		return fail(S, SBX_E_TRUNCATED, "header: the section table runs past the end");
	return SBX_OK;
}

static int check_checksum_and_flags(struct vstate *S, const struct sbx_blob_header *h)
{
	uint64_t sum = XXH3_64bits(S->buf + SBX_BLOB_CHECKSUM_START,
	                           S->len - SBX_BLOB_CHECKSUM_START);
	if (sum != h->checksum)
		return fail(S, SBX_E_CHECKSUM, "header: checksum %016llx, the bytes hash to %016llx",
		            (unsigned long long)h->checksum, (unsigned long long)sum);
	if (h->flags & ~(uint64_t)SBX_BLOB_F_KNOWN)
		return fail(S, SBX_E_FLAGS, "header: unknown flags 0x%llx",
		            (unsigned long long)(h->flags & ~(uint64_t)SBX_BLOB_F_KNOWN));
	if ((h->flags & SBX_BLOB_F_NO_USERNS) && !(h->flags & SBX_BLOB_F_LINUX))
		return fail(S, SBX_E_FLAGS, "header: flag NO_USERNS without the Linux sections");
	return SBX_OK;
}

/* ---- section table ---- */

/* Layout of one entry: flags, alignment, bounds. */
static int check_entry_layout(struct vstate *S, const struct sbx_section *e, size_t table_end)
{
	if (e->flags & ~SBX_SECF_REQUIRED)
		return fail(S, SBX_E_FLAGS, "unknown section flags 0x%x", e->flags & ~SBX_SECF_REQUIRED);
	if (e->reserved != 0)
		return fail(S, SBX_E_VALUE, "reserved field is %u, not 0", e->reserved);
	if (e->offset % SBX_BLOB_ALIGN)
		return fail(S, SBX_E_ALIGN, "offset %u is not 8-byte aligned", e->offset);
	if ((uint64_t)e->offset + e->size > S->len)
		return fail(S, SBX_E_BOUNDS, "bytes [%u, %llu) run past the end (%zu)", e->offset,
		            (unsigned long long)e->offset + e->size, S->len);
	if (e->size && e->offset < table_end)
		return fail(S, SBX_E_OVERLAP, "offset %u overlaps the header or section table",
		            e->offset);
	return SBX_OK;
}

/* Sections may not share bytes (at most 64 entries, so pairwise is affordable). */
static int check_entry_pairwise(struct vstate *S, uint32_t i)
{
	const struct sbx_section *e = &S->table[i];
	for (uint32_t j = 0; j < i; j++) {
		const struct sbx_section *o = &S->table[j];
		if (o->id == e->id)
			return fail(S, SBX_E_DUPLICATE, "id %u already used by section table entry %u",
			            e->id, j);
		if (e->size && o->size && e->offset < (uint64_t)o->offset + o->size &&
		    o->offset < (uint64_t)e->offset + e->size)
			return fail(S, SBX_E_OVERLAP, "bytes overlap section %u", o->id);
	}
	return SBX_OK;
}

/* A fresh id that starts after every earlier section cannot clash with any of them:
   the common case (the compiler writes sections in order) costs O(1) per entry. */
static int check_entry_unique(struct vstate *S, uint32_t i)
{
	const struct sbx_section *e = &S->table[i];
	int fresh = e->id < 64 && !(S->ids_seen >> e->id & 1);
	if (!fresh || (e->size && e->offset < S->data_end)) {
		int rc = check_entry_pairwise(S, i);
		if (rc != SBX_OK)
			return rc;
	}
	if (e->id < 64)
		S->ids_seen |= (uint64_t)1 << e->id;
	if (e->size && (uint64_t)e->offset + e->size > S->data_end)
		S->data_end = (uint64_t)e->offset + e->size;
	return SBX_OK;
}

static int check_entry_size(struct vstate *S, const struct sbx_section *e,
                            const struct sec_info *si)
{
	uint64_t want = (uint64_t)e->count * si->record;
	if (si->single && e->count != 1)
		return fail(S, SBX_E_SIZE, "count %u, expected exactly 1", e->count);
	if (e->size != want)
		return fail(S, SBX_E_SIZE, "size %u does not match count %u x %u bytes",
		            e->size, e->count, si->record);
	return SBX_OK;
}

static int check_entry(struct vstate *S, uint32_t i, size_t table_end)
{
	const struct sbx_section *e = &S->table[i];
	at(S, e->id, SBX_NONE);
	int rc = check_entry_layout(S, e, table_end);
	if (rc == SBX_OK)
		rc = check_entry_unique(S, i);
	if (rc != SBX_OK)
		return rc;
	const struct sec_info *si = sec_info(e->id);
	if (!si) {
		if (e->flags & SBX_SECF_REQUIRED)
			return fail(S, SBX_E_UNKNOWN_REQUIRED, "unknown section marked required");
		S->v->unknown_optional++;
		return SBX_OK;
	}
	rc = check_entry_size(S, e, si);
	if (rc != SBX_OK)
		return rc;
	if (si->platform && !(S->flags & si->platform))
		return fail(S, SBX_E_VALUE, "%s section without the %s header flag",
		            si->platform == SBX_BLOB_F_LINUX ? "Linux" : "Windows",
		            si->platform == SBX_BLOB_F_LINUX ? "linux" : "windows");
	S->by_id[e->id] = e;
	return SBX_OK;
}

static int check_table(struct vstate *S)
{
	size_t table_end = SBX_HEADER_SIZE + (size_t)S->nsec * SBX_SECTION_SIZE;
	for (uint32_t i = 0; i < S->nsec; i++) {
		int rc = check_entry(S, i, table_end);
		if (rc != SBX_OK)
			return rc;
	}
	at(S, SBX_NONE, SBX_NONE);
	return SBX_OK;
}

static int need(struct vstate *S, uint32_t id, uint64_t when)
{
	if (when && !S->by_id[id]) {
		const struct sec_info *si = sec_info(id);
		return fail(S, SBX_E_MISSING, "the %s section (%u) is missing", si->name, id);
	}
	return SBX_OK;
}

static int check_presence(struct vstate *S)
{
	static const uint32_t always[] = { SBX_SEC_STRINGS, SBX_SEC_NETWORK, SBX_SEC_LIMITS };
	static const uint32_t lx[] = { SBX_SEC_LX_LANDLOCK, SBX_SEC_LX_SECCOMP };
	static const uint32_t win[] = { SBX_SEC_WSTRINGS, SBX_SEC_WIN_TOKEN, SBX_SEC_WIN_JOB };
	int rc = SBX_OK;
	for (size_t i = 0; i < 3 && rc == SBX_OK; i++)
		rc = need(S, always[i], 1);
	for (size_t i = 0; i < 2 && rc == SBX_OK; i++)
		rc = need(S, lx[i], S->flags & SBX_BLOB_F_LINUX);
	for (size_t i = 0; i < 3 && rc == SBX_OK; i++)
		rc = need(S, win[i], S->flags & SBX_BLOB_F_WINDOWS);
	return rc;
}

/* Points the view at a section's records; absent sections stay NULL/0. */
static const void *sec_data(struct vstate *S, uint32_t id, size_t *count)
{
	const struct sbx_section *e = S->by_id[id];
	if (count)
		*count = e ? e->count : 0;
	return e && e->size ? (const void *)(S->buf + e->offset) : NULL;
}

static void fill_view(struct vstate *S)
{
	struct sbx_view *v = S->v;
	v->header = (const struct sbx_blob_header *)S->buf;
	v->strings = sec_data(S, SBX_SEC_STRINGS, &v->strings_size);
	v->wstrings = sec_data(S, SBX_SEC_WSTRINGS, &v->wstrings_units);
	v->params = sec_data(S, SBX_SEC_PARAMS, &v->nparams);
	v->paths = sec_data(S, SBX_SEC_PATHS, &v->npaths);
	v->rules = sec_data(S, SBX_SEC_FS_RULES, &v->nrules);
	v->network = sec_data(S, SBX_SEC_NETWORK, NULL);
	v->limits = sec_data(S, SBX_SEC_LIMITS, NULL);
	v->env = sec_data(S, SBX_SEC_ENV, &v->nenv);
	v->landlock = sec_data(S, SBX_SEC_LX_LANDLOCK, NULL);
	v->ll_rules = sec_data(S, SBX_SEC_LX_LL_RULES, &v->nll_rules);
	v->mounts = sec_data(S, SBX_SEC_LX_MOUNTS, &v->nmounts);
	v->seccomp = sec_data(S, SBX_SEC_LX_SECCOMP, &v->nseccomp);
	v->rlimits = sec_data(S, SBX_SEC_LX_RLIMITS, &v->nrlimits);
	v->win_token = sec_data(S, SBX_SEC_WIN_TOKEN, NULL);
	v->win_privs = sec_data(S, SBX_SEC_WIN_PRIVS, &v->nwin_privs);
	v->win_sids = sec_data(S, SBX_SEC_WIN_SIDS, &v->nwin_sids);
	v->win_aces = sec_data(S, SBX_SEC_WIN_ACES, &v->nwin_aces);
	v->win_job = sec_data(S, SBX_SEC_WIN_JOB, NULL);
}

/* ---- string pools ---- */

/* Length of the UTF-8 sequence at s[0..n), or 0 when it is not valid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	if (c < 0x80)
		return 1;
	size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	if (c < 0xC2 || c > 0xF4 || n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
		return 0;   /* overlong, surrogate or above U+10FFFF */
	return len;
}

/* Unaligned 8-byte load (memcpy: no aliasing or alignment assumptions). */
static uint64_t load64(const void *p)
{
	uint64_t x;
	memcpy(&x, p, sizeof x);
	return x;
}

/* OR of all n bytes at p, folded into 8: a word-at-a-time scan the compiler can vectorize. */
static uint64_t or_fold(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 16 <= n; i += 16)
		acc |= load64(p + i) | load64(p + i + 8);
	if (i + 8 <= n)
		acc |= load64(p + i), i += 8;
	for (; i < n; i++)   /* the tail keeps each byte in its lane of a word */
		acc |= (uint64_t)p[i] << (8 * (i % 8));
	return acc;
}

#define HIGH_BYTES 0x8080808080808080ull

static int check_strings(struct vstate *S)
{
	const uint8_t *s = (const uint8_t *)S->v->strings;
	size_t n = S->v->strings_size;
	at(S, SBX_SEC_STRINGS, SBX_NONE);
	if (n == 0 || s[0] != 0 || s[n - 1] != 0)
		return fail(S, SBX_E_STRING, "the pool must start and end with a NUL byte");
	if (!(or_fold(s, n) & HIGH_BYTES))
		return SBX_OK;   /* all ASCII (the usual pool): valid UTF-8 */
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(s + i, n - i);
		if (k == 0)
			return fail(S, SBX_E_STRING, "invalid UTF-8 at byte %zu", i);
		i += k;
	}
	return SBX_OK;
}

static int check_wstrings(struct vstate *S)
{
	const uint16_t *w = S->v->wstrings;
	size_t n = S->v->wstrings_units;
	if (!(S->flags & SBX_BLOB_F_WINDOWS))
		return SBX_OK;
	at(S, SBX_SEC_WSTRINGS, SBX_NONE);
	if (n == 0 || w[0] != 0 || w[n - 1] != 0)
		return fail(S, SBX_E_STRING, "the pool must start and end with a 0 unit");
	/* Surrogates are 0xD800..0xDFFF: without a unit >= 0x8000 there is none. */
	if (!(or_fold((const uint8_t *)w, n * 2) & 0x8000800080008000ull))
		return SBX_OK;
	for (size_t i = 0; i < n; i++) {
		int hi = w[i] >= 0xD800 && w[i] <= 0xDBFF;
		int lo = w[i] >= 0xDC00 && w[i] <= 0xDFFF;
		if (hi && i + 1 < n && w[i + 1] >= 0xDC00 && w[i + 1] <= 0xDFFF)
			i++;
		else if (hi || lo)
			return fail(S, SBX_E_STRING, "lone UTF-16 surrogate at unit %zu", i);
	}
	return SBX_OK;
}

/* A str reference: inside the pool, at the start of a string. */
static int str_ok(const struct vstate *S, uint32_t ref)
{
	return ref < S->v->strings_size && (ref == 0 || S->v->strings[ref - 1] == 0);
}

static int wstr_ok(const struct vstate *S, uint32_t ref)
{
	size_t u = ref / 2;
	return ref != SBX_NONE && ref % 2 == 0 && u < S->v->wstrings_units &&
	       (u == 0 || S->v->wstrings[u - 1] == 0);
}

static int check_str(struct vstate *S, uint32_t ref, const char *what)
{
	if (!str_ok(S, ref))
		return fail(S, SBX_E_STRING, "%s: bad string reference %u", what, ref);
	return SBX_OK;
}

/* A wstr reference, or SBX_NONE when `optional`. */
static int check_wstr(struct vstate *S, uint32_t ref, int optional, const char *what)
{
	if (ref == SBX_NONE && optional)
		return SBX_OK;
	if (!wstr_ok(S, ref))
		return fail(S, SBX_E_STRING, "%s: bad wide string reference %u", what, ref);
	return SBX_OK;
}

/* Bounded string length (the pools are terminated, so this stops). */
static size_t str_len(const struct vstate *S, uint32_t ref)
{
	const char *s = S->v->strings + ref;
	size_t max = S->v->strings_size - ref;
	const char *z = memchr(s, 0, max < STR_WALK ? max : STR_WALK);
	return z ? (size_t)(z - s) : STR_WALK;
}

/* Units the wide string at ref may span: to the end of the pool, at most STR_WALK. */
static size_t wstr_room(const struct vstate *S, uint32_t ref)
{
	size_t max = S->v->wstrings_units - ref / 2;
	return max < STR_WALK ? max : STR_WALK;
}

/* Nonzero when one of the four 16-bit lanes of x is 0 (exact for "any"). */
static uint64_t has_zero_unit(uint64_t x)
{
	return (x - 0x0001000100010001ull) & ~x & 0x8000800080008000ull;
}

static size_t wstr_len(const struct vstate *S, uint32_t ref)
{
	const uint16_t *w = S->v->wstrings + ref / 2;
	size_t max = wstr_room(S, ref), n = 0;
	while (n + 4 <= max && !has_zero_unit(load64(w + n)))
		n += 4;
	while (n < max && w[n])
		n++;
	return n;
}

/* wstr_matches for any text: decodes the UTF-8 and compares code points. */
static int wstr_matches_utf8(const struct vstate *S, uint32_t ref, uint32_t wref, int slash)
{
	size_t n = str_len(S, ref), wn = wstr_len(S, wref), j = 0;
	const uint8_t *s = (const uint8_t *)S->v->strings + ref;
	const uint16_t *w = S->v->wstrings + wref / 2;
	for (size_t i = 0; i < n; j++) {
		uint32_t cp;
		size_t k = utf8_seq(s + i, n - i);
		if (k == 1)
			cp = s[i];
		else if (k == 2)
			cp = (s[i] & 0x1Fu) << 6 | (s[i + 1] & 0x3Fu);
		else if (k == 3)
			cp = (s[i] & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu);
		else if (k == 4)
			cp = (s[i] & 0x07u) << 18 | (s[i + 1] & 0x3Fu) << 12 |
			     (s[i + 2] & 0x3Fu) << 6 | (s[i + 3] & 0x3Fu);
		else
			return 0;
		i += k;
		if (slash && cp == '/')
			cp = '\\';
		if (cp >= 0x10000) {
			cp -= 0x10000;
			if (j + 1 >= wn || w[j] != 0xD800 + (cp >> 10))
				return 0;
			j++;
			cp = 0xDC00 + (cp & 0x3FF);
		}
		if (j >= wn || w[j] != cp)
			return 0;
	}
	return j == wn;
}

/* True when the wide string at wref is the UTF-8 string at ref, with '/' -> '\\' if `slash`;
   any code point beyond ASCII takes the general path. */
static int wstr_matches(const struct vstate *S, uint32_t ref, uint32_t wref, int slash)
{
	const uint8_t *s = (const uint8_t *)S->v->strings + ref;
	const uint16_t *w = S->v->wstrings + wref / 2;
	size_t smax = S->v->strings_size - ref, max = wstr_room(S, wref);
	if (smax < max)
		max = smax;
	for (size_t i = 0; i < max && s[i] < 0x80; i++) {
		unsigned want = slash && s[i] == '/' ? '\\' : s[i];
		if (w[i] != want)
			return 0;
		if (want == 0)
			return 1;
	}
	return wstr_matches_utf8(S, ref, wref, slash);
}

/* ---- records ---- */

static int ident_ok(const struct vstate *S, uint32_t ref)
{
	const char *s = S->v->strings + ref;
	size_t n = str_len(S, ref);
	if (n == 0 || n > SBX_VERIFY_MAX_STR || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static int check_param(struct vstate *S, const struct sbx_param *p)
{
	int win = (S->flags & SBX_BLOB_F_WINDOWS) != 0;
	int rc = check_str(S, p->name, "name");
	if (rc != SBX_OK)
		return rc;
	if (!ident_ok(S, p->name))
		return fail(S, SBX_E_VALUE, "name is not an identifier");
	if (!win && p->wname != SBX_NONE)
		return fail(S, SBX_E_VALUE, "wide name without the windows flag");
	if (win && (rc = check_wstr(S, p->wname, 0, "wide name")) != SBX_OK)
		return rc;
	if (win && !wstr_matches(S, p->name, p->wname, 0))
		return fail(S, SBX_E_VALUE, "wide name differs from the name");
	if (p->flags & ~PARAM_F_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown flags 0x%x", p->flags & ~PARAM_F_KNOWN);
	if (p->reserved)
		return fail(S, SBX_E_VALUE, "reserved field is not 0");
	return SBX_OK;
}

/* Bytes a path suffix treats specially: 0 plain, 1 control, 2 '/', 3 '\\'. */
enum { PB_PLAIN, PB_CONTROL, PB_SLASH, PB_BACKSLASH };
static const uint8_t path_byte[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The component c[0..len) that ends a suffix (`last`) or a '/' inside it. */
static const char *component_problem(const char *c, size_t len, int last)
{
	if (len == 0)
		return last ? "trailing '/'" : "empty component (\"//\")";
	if (c[0] == '.' && (len == 1 || (len == 2 && c[1] == '.')))
		return "\".\" or \"..\" component";
	return NULL;
}

/* Components after each '/' are non-empty, not "." or "..", with no control bytes.  One
   pass: a bad component has no bad byte, so checking it at its end reports the same
   first problem as checking it at its '/'. */
static const char *suffix_problem(const char *s, size_t n, int win)
{
	size_t comp = SIZE_MAX;   /* start of the current component; none before the first '/' */
	const char *why;
	for (size_t i = 0; i < n; i++) {
		switch (path_byte[(unsigned char)s[i]]) {
		case PB_PLAIN:
			continue;
		case PB_CONTROL:
			return "control character in path";
		case PB_BACKSLASH:
			if (win)
				return "backslash in a Windows path (the suffix uses '/')";
			continue;
		default:
			if (comp != SIZE_MAX && (why = component_problem(s + comp, i - comp, 0)))
				return why;
			comp = i + 1;
		}
	}
	return comp == SIZE_MAX ? NULL : component_problem(s + comp, n - comp, 1);
}

/* Checks the text of a path's suffix; NULL when it is normalized. */
static const char *path_problem(const struct vstate *S, const struct sbx_path *p)
{
	const char *s = S->v->strings + p->suffix;
	size_t n = str_len(S, p->suffix);
	int win = (p->platforms & SBX_PLAT_WINDOWS) != 0;
	if (n > SBX_VERIFY_MAX_STR)
		return "path too long";
	if (p->param != SBX_NONE)
		return n == 0 ? NULL : s[0] != '/' ? "suffix must start with '/'" :
		       suffix_problem(s, n, win);
	if (p->platforms == SBX_PLAT_LINUX)
		return s[0] != '/' ? "literal Linux path must start with '/'" :
		       n == 1 ? NULL : suffix_problem(s, n, 0);
	if (p->platforms != SBX_PLAT_WINDOWS)
		return "a literal path applies to Linux or Windows, not both";
	if (n < 3 || s[0] < 'A' || s[0] > 'Z' || s[1] != ':' || s[2] != '/')
		return "literal Windows path must start with a drive \"X:/\"";
	return n == 3 ? NULL : suffix_problem(s + 2, n - 2, 1);
}

static int check_path(struct vstate *S, const struct sbx_path *p)
{
	int win = (p->platforms & SBX_PLAT_WINDOWS) && (S->flags & SBX_BLOB_F_WINDOWS);
	if (p->param != SBX_NONE && p->param >= S->v->nparams)
		return fail(S, SBX_E_BOUNDS, "parameter %u of %zu", p->param, S->v->nparams);
	if (p->platforms == 0 || (p->platforms & ~PLAT_KNOWN))
		return fail(S, SBX_E_VALUE, "platforms 0x%x", p->platforms);
	int rc = check_str(S, p->suffix, "suffix");
	if (rc != SBX_OK)
		return rc;
	const char *why = path_problem(S, p);
	if (why)
		return fail(S, SBX_E_VALUE, "%s", why);
	if (!win && p->wsuffix != SBX_NONE)
		return fail(S, SBX_E_VALUE, "wide suffix for a path that is not used on Windows");
	if (win && (rc = check_wstr(S, p->wsuffix, 0, "wide suffix")) != SBX_OK)
		return rc;
	if (win && !wstr_matches(S, p->suffix, p->wsuffix, 1))
		return fail(S, SBX_E_VALUE, "wide suffix differs from the suffix");
	return SBX_OK;
}

static int check_rule(struct vstate *S, const struct sbx_fs_rule *r, uint32_t self)
{
	if (r->path >= S->v->npaths)
		return fail(S, SBX_E_BOUNDS, "path %u of %zu", r->path, S->v->npaths);
	if (r->kind < SBX_FS_READONLY || r->kind > SBX_FS_PRIVATE)
		return fail(S, SBX_E_VALUE, "kind %u", r->kind);
	if (r->flags & ~RULE_F_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown flags 0x%x", r->flags & ~RULE_F_KNOWN);
	if (r->parent != SBX_NONE && (r->parent >= S->v->nrules || r->parent == self))
		return fail(S, SBX_E_BOUNDS, "parent rule %u", r->parent);
	return SBX_OK;
}

static int check_env(struct vstate *S, const struct sbx_env_op *e)
{
	int rc;
	if (e->op < SBX_ENV_KEEP || e->op > SBX_ENV_SET)
		return fail(S, SBX_E_VALUE, "operation %u", e->op);
	if ((rc = check_str(S, e->name, "name")) != SBX_OK)
		return rc;
	if ((e->op == SBX_ENV_SET) != (e->value != SBX_NONE))
		return fail(S, SBX_E_VALUE, "a value belongs to a set operation, and only there");
	if (e->value != SBX_NONE && (rc = check_str(S, e->value, "value")) != SBX_OK)
		return rc;
	if ((rc = check_wstr(S, e->wname, 1, "wide name")) != SBX_OK ||
	    (rc = check_wstr(S, e->wvalue, 1, "wide value")) != SBX_OK)
		return rc;
	if (e->wvalue != SBX_NONE && e->op != SBX_ENV_SET)
		return fail(S, SBX_E_VALUE, "a wide value without a set operation");
	if (e->flags & ~ENV_F_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown flags 0x%x", e->flags & ~ENV_F_KNOWN);
	if (e->platforms == 0 || (e->platforms & ~PLAT_KNOWN))
		return fail(S, SBX_E_VALUE, "platforms 0x%x", e->platforms);
	if (e->reserved)
		return fail(S, SBX_E_VALUE, "reserved field is not 0");
	return SBX_OK;
}

static int check_network(struct vstate *S, const struct sbx_network *n)
{
	at(S, SBX_SEC_NETWORK, SBX_NONE);
	if (n->mode < SBX_NET_OFFLINE || n->mode > SBX_NET_ONLINE)
		return fail(S, SBX_E_VALUE, "mode %u", n->mode);
	if (n->allow_count != 0)
		return fail(S, SBX_E_VALUE, "allow-list entries are not supported in this version");
	return SBX_OK;
}

/* The lowest Landlock ABI that knows every right in `ll`. */
static uint32_t landlock_abi_needed(const struct sbx_lx_landlock *ll)
{
	if (ll->scoped)
		return 6;
	if (ll->handled_fs & SBX_LL_FS_IOCTL_DEV)
		return 5;
	if (ll->handled_net)
		return 4;
	if (ll->handled_fs & SBX_LL_FS_TRUNCATE)
		return 3;
	return ll->handled_fs & SBX_LL_FS_REFER ? 2 : 1;
}

static int check_landlock(struct vstate *S, const struct sbx_lx_landlock *ll)
{
	at(S, SBX_SEC_LX_LANDLOCK, SBX_NONE);
	if ((ll->handled_fs & ~SBX_LL_FS_ALL) || (ll->handled_net & ~SBX_LL_NET_ALL) ||
	    (ll->scoped & ~SBX_LL_SCOPE_ALL))
		return fail(S, SBX_E_VALUE, "unknown access rights");
	if (ll->abi_min < 1 || ll->abi_min > 7)
		return fail(S, SBX_E_VALUE, "abi_min %u outside 1..7", ll->abi_min);
	if (ll->abi_min < landlock_abi_needed(ll))
		return fail(S, SBX_E_VALUE, "abi_min %u, but the rights need ABI %u", ll->abi_min,
		            landlock_abi_needed(ll));
	if (ll->flags)
		return fail(S, SBX_E_VALUE, "flags must be 0");
	return SBX_OK;
}

/* The path of a platform record must apply to that platform. */
static int check_path_ref(struct vstate *S, uint32_t path, uint32_t plat)
{
	if (path >= S->v->npaths)
		return fail(S, SBX_E_BOUNDS, "path %u of %zu", path, S->v->npaths);
	if (!(S->v->paths[path].platforms & plat))
		return fail(S, SBX_E_VALUE, "path %u does not apply to %s", path,
		            plat == SBX_PLAT_LINUX ? "Linux" : "Windows");
	return SBX_OK;
}

static int check_ll_rule(struct vstate *S, const struct sbx_lx_ll_rule *r)
{
	int rc = check_path_ref(S, r->path, SBX_PLAT_LINUX);
	if (rc != SBX_OK)
		return rc;
	if (r->access == 0)
		return fail(S, SBX_E_VALUE, "no access rights");
	if (r->access & ~S->v->landlock->handled_fs)
		return fail(S, SBX_E_VALUE, "access outside handled_fs");
	if (r->flags & ~LLR_F_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown flags 0x%x", r->flags & ~LLR_F_KNOWN);
	return SBX_OK;
}

static int check_mount(struct vstate *S, const struct sbx_lx_mount *m)
{
	if (m->op < SBX_MNT_RDONLY || m->op > SBX_MNT_PRIVATE)
		return fail(S, SBX_E_VALUE, "operation %u", m->op);
	int rc = check_path_ref(S, m->path, SBX_PLAT_LINUX);
	if (rc != SBX_OK)
		return rc;
	if (m->rule != SBX_NONE && m->rule >= S->v->nrules)
		return fail(S, SBX_E_BOUNDS, "rule %u of %zu", m->rule, S->v->nrules);
	if (m->flags & ~MNT_F_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown flags 0x%x", m->flags & ~MNT_F_KNOWN);
	return SBX_OK;
}

static int check_rlimit(struct vstate *S, const struct sbx_lx_rlimit *r, unsigned *seen)
{
	unsigned bit;
	switch (r->resource) {
	case SBX_RLIMIT_CPU: bit = 1; break;
	case SBX_RLIMIT_NPROC: bit = 2; break;
	case SBX_RLIMIT_DATA: bit = 4; break;
	default: return fail(S, SBX_E_VALUE, "resource %u", r->resource);
	}
	if (*seen & bit)
		return fail(S, SBX_E_VALUE, "resource %u listed twice", r->resource);
	*seen |= bit;
	if (r->soft > r->hard)
		return fail(S, SBX_E_VALUE, "soft limit above the hard limit");
	if (r->reserved)
		return fail(S, SBX_E_VALUE, "reserved field is not 0");
	return SBX_OK;
}

/* ---- seccomp: the checks of the kernel's bpf_check_classic + seccomp_check_filter ---- */

enum {
	BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04,
	BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07,
	BPF_W = 0x00, BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_MEM = 0x60, BPF_LEN = 0x80,
	BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10,
	BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40,
	BPF_AND = 0x50, BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_XOR = 0xa0,
	BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40,
	BPF_TAX = 0x00, BPF_TXA = 0x80,
	BPF_MEMWORDS = 16, SECCOMP_DATA_SIZE = 64,
};

static int bpf_alu_ok(uint16_t code)
{
	switch (code & 0xf0) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV: case BPF_OR:
	case BPF_AND: case BPF_LSH: case BPF_RSH: case BPF_XOR:
		return (code & ~0xf8u) == BPF_ALU;  /* K or X source */
	case BPF_NEG:
		return code == (BPF_ALU | BPF_NEG);
	default:
		return 0;
	}
}

static int bpf_jmp_ok(uint16_t code)
{
	switch (code & 0xf0) {
	case BPF_JA:
		return code == (BPF_JMP | BPF_JA);
	case BPF_JEQ: case BPF_JGT: case BPF_JGE: case BPF_JSET:
		return (code & ~0xf8u) == BPF_JMP;
	default:
		return 0;
	}
}

/* The opcodes seccomp accepts. */
static int bpf_code_ok(uint16_t code)
{
	switch (code & 0x07) {
	case BPF_LD:
		return code == (BPF_LD | BPF_W | BPF_ABS) || code == (BPF_LD | BPF_W | BPF_LEN) ||
		       code == (BPF_LD | BPF_IMM) || code == (BPF_LD | BPF_MEM);
	case BPF_LDX:
		return code == (BPF_LDX | BPF_W | BPF_LEN) || code == (BPF_LDX | BPF_IMM) ||
		       code == (BPF_LDX | BPF_MEM);
	case BPF_ST: case BPF_STX:
		return code == BPF_ST || code == BPF_STX;
	case BPF_ALU:
		return bpf_alu_ok(code);
	case BPF_JMP:
		return bpf_jmp_ok(code);
	case BPF_RET:
		return code == (BPF_RET | BPF_K) || code == (BPF_RET | BPF_A);
	default:
		return code == (BPF_MISC | BPF_TAX) || code == (BPF_MISC | BPF_TXA);
	}
}

/* Operands of one instruction at `pc` of `n`; NULL when fine. */
static const char *bpf_insn_problem(const struct sbx_bpf_insn *f, size_t pc, size_t n)
{
	uint16_t c = f->code;
	if (!bpf_code_ok(c))
		return "opcode not allowed in a seccomp filter";
	if (c == (BPF_LD | BPF_W | BPF_ABS) && (f->k >= SECCOMP_DATA_SIZE || f->k % 4))
		return "load outside struct seccomp_data or not 4-byte aligned";
	if ((c == (BPF_ALU | BPF_DIV | BPF_K)) && f->k == 0)
		return "division by the constant 0";
	if ((c == (BPF_ALU | BPF_LSH | BPF_K) || c == (BPF_ALU | BPF_RSH | BPF_K)) && f->k >= 32)
		return "shift by 32 or more";
	if ((c == (BPF_LD | BPF_MEM) || c == (BPF_LDX | BPF_MEM) || c == BPF_ST || c == BPF_STX) &&
	    f->k >= BPF_MEMWORDS)
		return "scratch memory index outside 0..15";
	if (c == (BPF_JMP | BPF_JA) && f->k >= n - pc - 1)
		return "jump past the end";
	if ((c & 0x07) == BPF_JMP && c != (BPF_JMP | BPF_JA) &&
	    (pc + f->jt + 1 >= n || pc + f->jf + 1 >= n))
		return "jump past the end";
	return NULL;
}

/* Scratch memory must be written before it is read, on every path (check_load_and_stores). */
static int bpf_check_mem(struct vstate *S, const struct sbx_bpf_insn *f, size_t n)
{
	uint16_t masks[SBX_BPF_MAX_INSNS];
	uint16_t valid = 0;
	memset(masks, 0xff, n * sizeof masks[0]);
	for (size_t pc = 0; pc < n; pc++) {
		uint16_t c = f[pc].code;
		valid &= masks[pc];
		if (c == BPF_ST || c == BPF_STX) {
			valid |= (uint16_t)(1u << f[pc].k);
		} else if (c == (BPF_LD | BPF_MEM) || c == (BPF_LDX | BPF_MEM)) {
			at(S, SBX_SEC_LX_SECCOMP, (uint32_t)pc);
			if (!(valid & (1u << f[pc].k)))
				return fail(S, SBX_E_BPF, "reads scratch memory M[%u] before writing it",
				            f[pc].k);
		} else if (c == (BPF_JMP | BPF_JA)) {
			masks[pc + 1 + f[pc].k] &= valid;
			valid = 0xffff;
		} else if ((c & 0x07) == BPF_JMP) {
			masks[pc + 1 + f[pc].jt] &= valid;
			masks[pc + 1 + f[pc].jf] &= valid;
			valid = 0xffff;
		}
	}
	return SBX_OK;
}

static int check_seccomp(struct vstate *S)
{
	const struct sbx_bpf_insn *f = S->v->seccomp;
	size_t n = S->v->nseccomp;
	at(S, SBX_SEC_LX_SECCOMP, SBX_NONE);
	if (n == 0 || n > SBX_BPF_MAX_INSNS)
		return fail(S, SBX_E_BPF, "%zu instructions (must be 1..%u)", n,
		            (unsigned)SBX_BPF_MAX_INSNS);
	int loads_mem = 0;
	for (size_t pc = 0; pc < n; pc++) {
		const char *why = bpf_insn_problem(&f[pc], pc, n);
		at(S, SBX_SEC_LX_SECCOMP, (uint32_t)pc);
		if (why)
			return fail(S, SBX_E_BPF, "%s", why);
		loads_mem |= f[pc].code == (BPF_LD | BPF_MEM) || f[pc].code == (BPF_LDX | BPF_MEM);
	}
	at(S, SBX_SEC_LX_SECCOMP, SBX_NONE);
	if ((f[n - 1].code & 0x07) != BPF_RET)
		return fail(S, SBX_E_BPF, "the last instruction is not a return");
	/* Only a load from scratch memory can fail the data-flow pass: skip it without one. */
	return loads_mem ? bpf_check_mem(S, f, n) : SBX_OK;
}

/* ---- Windows ---- */

static int sid_string_ok(const struct vstate *S, uint32_t ref)
{
	const uint16_t *w = S->v->wstrings + ref / 2;
	size_t n = wstr_len(S, ref);
	if (n < 5 || n > SBX_VERIFY_MAX_STR || w[0] != 'S' || w[1] != '-' || w[2] != '1' ||
	    w[3] != '-')
		return 0;
	for (size_t i = 4; i < n; i++) {
		int digit = w[i] >= '0' && w[i] <= '9';
		if (!digit && !(w[i] == '-' && w[i - 1] != '-' && i + 1 < n))
			return 0;
	}
	return 1;
}

static int check_sid(struct vstate *S, const struct sbx_win_sid *s)
{
	switch (s->kind) {
	case SBX_SID_LITERAL: {
		int rc = check_wstr(S, s->ref, 0, "SID");
		if (rc == SBX_OK && !sid_string_ok(S, s->ref))
			return fail(S, SBX_E_VALUE, "not a SID string (\"S-1-...\")");
		return rc;
	}
	case SBX_SID_DERIVED:
		return check_path_ref(S, s->ref, SBX_PLAT_WINDOWS);
	case SBX_SID_LOGON:
		return s->ref == SBX_NONE ? SBX_OK :
		       fail(S, SBX_E_VALUE, "a logon SID has no reference");
	default:
		return fail(S, SBX_E_VALUE, "kind %u", s->kind);
	}
}

static int check_token(struct vstate *S, const struct sbx_win_token *t)
{
	at(S, SBX_SEC_WIN_TOKEN, SBX_NONE);
	if (t->flags & ~TOKEN_F_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown flags 0x%x", t->flags & ~TOKEN_F_KNOWN);
	if (t->restrict_count > S->v->nwin_sids)
		return fail(S, SBX_E_BOUNDS, "restrict_count %u but only %zu SIDs",
		            t->restrict_count, S->v->nwin_sids);
	uint32_t caps = 0;
	for (uint32_t i = 0; i < t->restrict_count; i++)
		caps += S->v->win_sids[i].kind != SBX_SID_LOGON;
	if (caps > t->max_cap_sids)
		return fail(S, SBX_E_VALUE, "%u capability SIDs, above max_cap_sids %u", caps,
		            t->max_cap_sids);
	if (t->reserved)
		return fail(S, SBX_E_VALUE, "reserved field is not 0");
	return SBX_OK;
}

/* Bit 7 of each 16-bit lane of x that, if below 0x80, is an ASCII letter: folded to lower
   case, adding 0x1F sets bit 7 (>= 'a') and adding 5 does not (<= 'z'); below 0x80 no
   add carries out of its lane.  Callers reject lanes >= 0x80 themselves. */
static uint64_t letter_bits(uint64_t x)
{
	const uint64_t lane = 0x0001000100010001ull;
	uint64_t low = x | 0x20 * lane;
	return (low + 0x1F * lane) & ~(low + 0x05 * lane) & 0x80 * lane;
}

/* The same for the eight lanes of a and b. */
static int eight_letters(uint64_t a, uint64_t b)
{
	const uint64_t bit7 = 0x0080008000800080ull;
	return !((a | b) & 0xFF80FF80FF80FF80ull) && (letter_bits(a) & letter_bits(b)) == bit7;
}

/* True when all four 16-bit lanes of x are ASCII letters. */
static int four_letters(uint64_t x)
{
	return !(x & 0xFF80FF80FF80FF80ull) && letter_bits(x) == 0x0080008000800080ull;
}

/* "Se" then ASCII letters, 3..SBX_VERIFY_MAX_STR units, in w[0..room) (one pass: the
   letters end at the 0 or at the first unit that is not a letter). */
static int priv_name_ok(const uint16_t *w, size_t room)
{
	size_t i = 2;
	if (room < 3 || w[0] != 'S' || w[1] != 'e')
		return 0;
	while (i + 8 <= room && eight_letters(load64(w + i), load64(w + i + 4)))
		i += 8;
	if (i + 4 <= room && four_letters(load64(w + i)))
		i += 4;
	while (i < room && (uint16_t)((w[i] | 0x20) - 'a') < 26)
		i++;
	return i >= 3 && i <= SBX_VERIFY_MAX_STR && i < room && w[i] == 0;
}

static int check_priv(struct vstate *S, uint32_t ref)
{
	int rc = check_wstr(S, ref, 0, "privilege");
	if (rc != SBX_OK)
		return rc;
	if (!priv_name_ok(S->v->wstrings + ref / 2, wstr_room(S, ref)))
		return fail(S, SBX_E_VALUE, "not a privilege name (\"Se...\")");
	return SBX_OK;
}

static int check_ace_target(struct vstate *S, const struct sbx_win_ace *a)
{
	if ((a->path == SBX_NONE) == (a->target == SBX_NONE))
		return fail(S, SBX_E_VALUE, "needs exactly one of a path and a device target");
	if (a->path != SBX_NONE)
		return check_path_ref(S, a->path, SBX_PLAT_WINDOWS);
	return check_wstr(S, a->target, 0, "target");
}

static int check_ace(struct vstate *S, const struct sbx_win_ace *a)
{
	int rc = check_ace_target(S, a);
	if (rc != SBX_OK)
		return rc;
	if (a->sid >= S->v->nwin_sids)
		return fail(S, SBX_E_BOUNDS, "SID %u of %zu", a->sid, S->v->nwin_sids);
	if (a->type < SBX_ACE_ALLOW || a->type > SBX_ACE_DENY)
		return fail(S, SBX_E_VALUE, "type %u", (unsigned)a->type);
	if (a->inherit & ~(SBX_ACE_OBJECT_INHERIT | SBX_ACE_CONTAINER_INHERIT))
		return fail(S, SBX_E_VALUE, "inherit flags 0x%x", (unsigned)a->inherit);
	if (a->flags & ~ACE_F_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown flags 0x%x", (unsigned)(a->flags & ~ACE_F_KNOWN));
	if (a->mask == 0)
		return fail(S, SBX_E_VALUE, "empty access mask");
	if (a->rule != SBX_NONE && a->rule >= S->v->nrules)
		return fail(S, SBX_E_BOUNDS, "rule %u of %zu", a->rule, S->v->nrules);
	return SBX_OK;
}

static int check_job(struct vstate *S, const struct sbx_win_job *j)
{
	at(S, SBX_SEC_WIN_JOB, SBX_NONE);
	if (j->limit_flags & ~JOB_LIMIT_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown limit flags 0x%x", j->limit_flags & ~JOB_LIMIT_KNOWN);
	if (j->ui_restrictions & ~JOB_UI_KNOWN)
		return fail(S, SBX_E_VALUE, "unknown UI restrictions 0x%x",
		            j->ui_restrictions & ~JOB_UI_KNOWN);
	if (j->reserved)
		return fail(S, SBX_E_VALUE, "reserved field is not 0");
	return SBX_OK;
}

/* ---- record loops ---- */

static int check_common_records(struct vstate *S)
{
	const struct sbx_view *v = S->v;
	int rc = SBX_OK;
	for (size_t i = 0; i < v->nparams && rc == SBX_OK; i++)
		at(S, SBX_SEC_PARAMS, (uint32_t)i), rc = check_param(S, &v->params[i]);
	for (size_t i = 0; i < v->npaths && rc == SBX_OK; i++)
		at(S, SBX_SEC_PATHS, (uint32_t)i), rc = check_path(S, &v->paths[i]);
	for (size_t i = 0; i < v->nrules && rc == SBX_OK; i++)
		at(S, SBX_SEC_FS_RULES, (uint32_t)i), rc = check_rule(S, &v->rules[i], (uint32_t)i);
	if (rc == SBX_OK)
		rc = check_network(S, v->network);
	for (size_t i = 0; i < v->nenv && rc == SBX_OK; i++)
		at(S, SBX_SEC_ENV, (uint32_t)i), rc = check_env(S, &v->env[i]);
	return rc;
}

static int check_linux_records(struct vstate *S)
{
	const struct sbx_view *v = S->v;
	unsigned seen = 0;
	if (!(S->flags & SBX_BLOB_F_LINUX))
		return SBX_OK;
	int rc = check_landlock(S, v->landlock);
	for (size_t i = 0; i < v->nll_rules && rc == SBX_OK; i++)
		at(S, SBX_SEC_LX_LL_RULES, (uint32_t)i), rc = check_ll_rule(S, &v->ll_rules[i]);
	for (size_t i = 0; i < v->nmounts && rc == SBX_OK; i++)
		at(S, SBX_SEC_LX_MOUNTS, (uint32_t)i), rc = check_mount(S, &v->mounts[i]);
	if (rc == SBX_OK)
		rc = check_seccomp(S);
	for (size_t i = 0; i < v->nrlimits && rc == SBX_OK; i++)
		at(S, SBX_SEC_LX_RLIMITS, (uint32_t)i), rc = check_rlimit(S, &v->rlimits[i], &seen);
	return rc;
}

static int check_windows_records(struct vstate *S)
{
	const struct sbx_view *v = S->v;
	int rc = SBX_OK;
	if (!(S->flags & SBX_BLOB_F_WINDOWS))
		return SBX_OK;
	for (size_t i = 0; i < v->nwin_sids && rc == SBX_OK; i++)
		at(S, SBX_SEC_WIN_SIDS, (uint32_t)i), rc = check_sid(S, &v->win_sids[i]);
	if (rc == SBX_OK)
		rc = check_token(S, v->win_token);
	for (size_t i = 0; i < v->nwin_privs && rc == SBX_OK; i++)
		at(S, SBX_SEC_WIN_PRIVS, (uint32_t)i), rc = check_priv(S, v->win_privs[i]);
	for (size_t i = 0; i < v->nwin_aces && rc == SBX_OK; i++)
		at(S, SBX_SEC_WIN_ACES, (uint32_t)i), rc = check_ace(S, &v->win_aces[i]);
	if (rc == SBX_OK)
		rc = check_job(S, v->win_job);
	return rc;
}

/* ---- entry points ---- */

static int verify(struct vstate *S)
{
	if ((uintptr_t)S->buf % SBX_BLOB_ALIGN)
		return fail(S, SBX_E_ALIGN, "the buffer is not 8-byte aligned");
	if (!S->buf || S->len < SBX_HEADER_SIZE)
		return fail(S, SBX_E_TRUNCATED, "%zu bytes, shorter than the %u-byte header",
		            S->len, SBX_HEADER_SIZE);
	const struct sbx_blob_header *h = (const struct sbx_blob_header *)S->buf;
	int rc = check_header(S, h);
	if (rc == SBX_OK)
		rc = check_checksum_and_flags(S, h);
	if (rc != SBX_OK)
		return rc;
	S->flags = h->flags;
	S->nsec = h->section_count;
	S->table = (const struct sbx_section *)(S->buf + SBX_HEADER_SIZE);
	if ((rc = check_table(S)) != SBX_OK || (rc = check_presence(S)) != SBX_OK)
		return rc;
	fill_view(S);
	if ((rc = check_strings(S)) != SBX_OK || (rc = check_wstrings(S)) != SBX_OK ||
	    (rc = check_common_records(S)) != SBX_OK || (rc = check_linux_records(S)) != SBX_OK)
		return rc;
	return check_windows_records(S);
}

int sbx_blob_verify(const void *buf, size_t len, struct sbx_view *view,
                    char *where, size_t where_size)
{
	struct vstate S;
	memset(&S, 0, sizeof S);
	memset(view, 0, sizeof *view);
	S.buf = buf;
	S.len = len;
	S.v = view;
	S.where = where;
	S.where_size = where_size;
	S.cur_sec = SBX_NONE;
	S.cur_rec = SBX_NONE;
	if (where && where_size)
		where[0] = '\0';
	int rc = verify(&S);
	if (rc != SBX_OK)
		memset(view, 0, sizeof *view);
	return rc;
}

const char *sbx_view_str(const struct sbx_view *v, uint32_t ref)
{
	if (ref == SBX_NONE || ref >= v->strings_size)
		return NULL;
	return v->strings + ref;
}

const uint16_t *sbx_view_wstr(const struct sbx_view *v, uint32_t ref)
{
	if (ref == SBX_NONE || ref % 2 || ref / 2 >= v->wstrings_units)
		return NULL;
	return v->wstrings + ref / 2;
}
