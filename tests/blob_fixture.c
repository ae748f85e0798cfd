/* blob_fixture.c - a hand-built valid blob for the verifier and explain tests. */
#include "blob_fixture.h"

#include <string.h>
#include <xxhash.h>

#define FX_READ   (SBX_LL_FS_EXECUTE | SBX_LL_FS_READ_FILE | SBX_LL_FS_READ_DIR)
#define FX_ACCESS 0x1301ffu   /* read, write, execute, delete, synchronize */

uint32_t fx_str(struct fx *f, const char *s)
{
	if (f->strings_size == 0)
		f->strings_size = 1;          /* byte 0 is "" */
	if (*s == '\0')
		return 0;
	uint32_t ref = f->strings_size;
	size_t n = strlen(s) + 1;
	memcpy(f->strings + ref, s, n);
	f->strings_size += (uint32_t)n;
	return ref;
}

uint32_t fx_wstr(struct fx *f, const char *ascii)
{
	if (f->wstrings_units == 0)
		f->wstrings_units = 1;        /* unit 0 is L"" */
	if (*ascii == '\0')
		return 0;
	uint32_t ref = f->wstrings_units * 2;
	for (const char *p = ascii; *p; p++)
		f->wstrings[f->wstrings_units++] = (uint16_t)(unsigned char)*p;
	f->wstrings[f->wstrings_units++] = 0;
	return ref;
}

static void fx_params(struct fx *f)
{
	static const char *const names[] = { "WORKSPACE", "HOME", "CACHE" };
	for (uint32_t i = 0; i < 3; i++)
		f->params[i] = (struct sbx_param){ fx_str(f, names[i]), fx_wstr(f, names[i]),
		                                   i < 2 ? SBX_PARAM_F_BUILTIN : 0, 0 };
	f->nparams = 3;
}

static void fx_path(struct fx *f, uint32_t param, const char *s, const char *ws, uint32_t plat)
{
	f->paths[f->npaths++] = (struct sbx_path){ param, fx_str(f, s),
	                                           ws ? fx_wstr(f, ws) : SBX_NONE, plat };
}

static void fx_paths(struct fx *f)
{
	uint32_t both = SBX_PLAT_LINUX | SBX_PLAT_WINDOWS;
	fx_path(f, SBX_NONE, "/", NULL, SBX_PLAT_LINUX);               /* 0 */
	fx_path(f, 0, "", "", both);                                   /* 1 ${WORKSPACE} */
	fx_path(f, 0, "/.git", "\\.git", both);                        /* 2 */
	fx_path(f, 1, "/.ssh", "\\.ssh", both);                        /* 3 */
	fx_path(f, SBX_NONE, "C:/tools", "C:\\tools", SBX_PLAT_WINDOWS); /* 4 */
	fx_path(f, SBX_NONE, "/dev/null", NULL, SBX_PLAT_LINUX);       /* 5 */
	fx_path(f, 2, "", "", both);                                   /* 6 ${CACHE} */
}

static void fx_rules(struct fx *f)
{
	f->rules[0] = (struct sbx_fs_rule){ 0, SBX_FS_READONLY, 0, SBX_NONE };
	f->rules[1] = (struct sbx_fs_rule){ 4, SBX_FS_READONLY, 0, SBX_NONE };
	f->rules[2] = (struct sbx_fs_rule){ 1, SBX_FS_WRITABLE, 0, SBX_NONE };
	f->rules[3] = (struct sbx_fs_rule){ 2, SBX_FS_READONLY, SBX_RULE_F_CARVE_OUT, 2 };
	f->rules[4] = (struct sbx_fs_rule){ 3, SBX_FS_DENIED, SBX_RULE_F_CARVE_OUT, 0 };
	f->rules[5] = (struct sbx_fs_rule){ 6, SBX_FS_WRITABLE, 0, SBX_NONE };
	f->nrules = 6;
}

static void fx_env(struct fx *f)
{
	uint32_t both = SBX_PLAT_LINUX | SBX_PLAT_WINDOWS;
	f->env[0] = (struct sbx_env_op){ SBX_ENV_KEEP, SBX_ENV_F_DEFAULT, fx_str(f, "*"),
	                                 SBX_NONE, fx_wstr(f, "*"), SBX_NONE, both, 0 };
	f->env[1] = (struct sbx_env_op){ SBX_ENV_DROP, SBX_ENV_F_DEFAULT, fx_str(f, "*_TOKEN"),
	                                 SBX_NONE, fx_wstr(f, "*_TOKEN"), SBX_NONE, both, 0 };
	f->env[2] = (struct sbx_env_op){ SBX_ENV_SET, SBX_ENV_F_EXACT, fx_str(f, "CI"),
	                                 fx_str(f, "1"), fx_wstr(f, "CI"), fx_wstr(f, "1"), both, 0 };
	f->env[3] = (struct sbx_env_op){ SBX_ENV_SET, SBX_ENV_F_EXACT | SBX_ENV_F_NET_ADVISORY,
	                                 fx_str(f, "HTTPS_PROXY"), fx_str(f, "http://127.0.0.1:9"),
	                                 fx_wstr(f, "HTTPS_PROXY"), fx_wstr(f, "http://127.0.0.1:9"),
	                                 SBX_PLAT_WINDOWS, 0 };
	f->nenv = 4;
}

static void fx_linux(struct fx *f)
{
	f->landlock = (struct sbx_lx_landlock){ SBX_LL_FS_ALL, 0, 0, 5, 0 };
	f->ll_rules[0] = (struct sbx_lx_ll_rule){ 0, 0, FX_READ };
	f->ll_rules[1] = (struct sbx_lx_ll_rule){ 1, 0, SBX_LL_FS_ALL };
	f->ll_rules[2] = (struct sbx_lx_ll_rule){ 5, SBX_LL_RULE_F_IMPLICIT,
	                                          SBX_LL_FS_READ_FILE | SBX_LL_FS_WRITE_FILE };
	f->nll_rules = 3;
	f->mounts[0] = (struct sbx_lx_mount){ SBX_MNT_RDONLY, 2, 0, 3 };
	f->mounts[1] = (struct sbx_lx_mount){ SBX_MNT_HIDE, 3, SBX_MNT_F_IF_INSIDE, 4 };
	f->mounts[2] = (struct sbx_lx_mount){ SBX_MNT_EXPOSE, 1,
	                                      SBX_MNT_F_IF_INSIDE | SBX_MNT_F_READONLY, 2 };
	f->nmounts = 3;
	static const struct sbx_bpf_insn prog[] = {
		{ 0x20, 0, 0, 4 },            /* 0: ld [arch] */
		{ 0x15, 1, 0, 0xc000003e },   /* 1: jeq #AUDIT_ARCH_X86_64, 1, 0 */
		{ 0x06, 0, 0, 0x80000000 },   /* 2: ret KILL_PROCESS */
		{ 0x20, 0, 0, 0 },            /* 3: ld [nr] */
		{ 0x15, 0, 3, 41 },           /* 4: jeq #socket, 0, 3 */
		{ 0x20, 0, 0, 16 },           /* 5: ld [args[0].lo] */
		{ 0x15, 1, 0, 1 },            /* 6: jeq #AF_UNIX, 1, 0 */
		{ 0x06, 0, 0, 0x00050000 | 97 }, /* 7: ret ERRNO(EAFNOSUPPORT) */
		{ 0x06, 0, 0, 0x7fff0000 },   /* 8: ret ALLOW */
	};
	memcpy(f->seccomp, prog, sizeof prog);
	f->nseccomp = sizeof prog / sizeof prog[0];
	f->rlimits[0] = (struct sbx_lx_rlimit){ SBX_RLIMIT_NPROC, 0, 512, 512 };
	f->rlimits[1] = (struct sbx_lx_rlimit){ SBX_RLIMIT_DATA, 0, 4ull << 30, 4ull << 30 };
	f->nrlimits = 2;
}

static void fx_windows(struct fx *f)
{
	f->token = (struct sbx_win_token){ SBX_WIN_DISABLE_MAX_PRIVILEGE | SBX_WIN_WRITE_RESTRICTED,
	                                   3, 8, 0 };
	f->sids[0] = (struct sbx_win_sid){ SBX_SID_DERIVED, 1 };
	f->sids[1] = (struct sbx_win_sid){ SBX_SID_LITERAL, fx_wstr(f, "S-1-5-12") };
	f->sids[2] = (struct sbx_win_sid){ SBX_SID_LOGON, SBX_NONE };
	f->sids[3] = (struct sbx_win_sid){ SBX_SID_LITERAL, fx_wstr(f, "S-1-1-0") };
	f->nsids = 4;
	f->privs[0] = fx_wstr(f, "SeDebugPrivilege");
	f->privs[1] = fx_wstr(f, "SeBackupPrivilege");
	f->nprivs = 2;
	uint8_t oici = SBX_ACE_OBJECT_INHERIT | SBX_ACE_CONTAINER_INHERIT;
	f->aces[0] = (struct sbx_win_ace){ 1, SBX_NONE, 0, FX_ACCESS, SBX_ACE_ALLOW, oici,
	                                   SBX_ACE_F_TEMPORARY, 2 };
	f->aces[1] = (struct sbx_win_ace){ 3, SBX_NONE, 3, FX_ACCESS, SBX_ACE_DENY, oici,
	                                   SBX_ACE_F_TEMPORARY | SBX_ACE_F_READ_UNENFORCED, 4 };
	f->aces[2] = (struct sbx_win_ace){ SBX_NONE, fx_wstr(f, "\\\\.\\NUL"), 0, 0x12019f,
	                                   SBX_ACE_ALLOW, 0, SBX_ACE_F_IMPLICIT, SBX_NONE };
	f->naces = 3;
	f->job = (struct sbx_win_job){
		SBX_JOB_LIMIT_ACTIVE_PROCESS | SBX_JOB_LIMIT_JOB_MEMORY |
		SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE | SBX_JOB_LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
		0xFF, 512, 0, 4ull << 30, 0, 3600000 };
}

void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	f->flags = SBX_BLOB_F_LINUX | SBX_BLOB_F_WINDOWS;
	fx_str(f, "");
	fx_wstr(f, "");
	fx_params(f);
	fx_paths(f);
	fx_rules(f);
	f->network = (struct sbx_network){ SBX_NET_OFFLINE, 0 };
	f->limits = (struct sbx_limits){ 512, 4ull << 30, 0, 3600 };
	fx_env(f);
	fx_linux(f);
	fx_windows(f);
}

/* ---- layout ---- */

struct fx_out {
	uint8_t *buf;
	struct sbx_section table[32];
	uint32_t nsec;
	uint32_t pos;       /* next free byte for section data */
};

static int fx_omitted(const struct fx *f, uint32_t id)
{
	for (size_t i = 0; i < sizeof f->omit / sizeof f->omit[0]; i++)
		if (f->omit[i] == id)
			return 1;
	return 0;
}

static void fx_put(struct fx_out *o, uint32_t id, uint32_t flags, const void *data,
                   uint32_t size, uint32_t count)
{
	o->table[o->nsec++] = (struct sbx_section){ id, flags, o->pos, size, count, 0 };
	if (size && o->buf)
		memcpy(o->buf + o->pos, data, size);
	o->pos += (size + 7u) & ~7u;
}

#define FX_ARRAY(o, f, id, arr, n) \
	do { if (!fx_omitted(f, id) && (n)) \
		fx_put(o, id, SBX_SECF_REQUIRED, arr, (uint32_t)((n) * sizeof (arr)[0]), n); } while (0)
#define FX_ONE(o, f, id, rec) \
	do { if (!fx_omitted(f, id)) \
		fx_put(o, id, SBX_SECF_REQUIRED, &(rec), (uint32_t)sizeof(rec), 1); } while (0)

static void fx_put_common(struct fx_out *o, const struct fx *f)
{
	if (!fx_omitted(f, SBX_SEC_STRINGS))
		fx_put(o, SBX_SEC_STRINGS, SBX_SECF_REQUIRED, f->strings, f->strings_size,
		       f->strings_size);
	if (!fx_omitted(f, SBX_SEC_WSTRINGS) && (f->flags & SBX_BLOB_F_WINDOWS))
		fx_put(o, SBX_SEC_WSTRINGS, SBX_SECF_REQUIRED, f->wstrings, f->wstrings_units * 2,
		       f->wstrings_units);
	FX_ARRAY(o, f, SBX_SEC_PARAMS, f->params, f->nparams);
	FX_ARRAY(o, f, SBX_SEC_PATHS, f->paths, f->npaths);
	FX_ARRAY(o, f, SBX_SEC_FS_RULES, f->rules, f->nrules);
	FX_ONE(o, f, SBX_SEC_NETWORK, f->network);
	FX_ONE(o, f, SBX_SEC_LIMITS, f->limits);
	FX_ARRAY(o, f, SBX_SEC_ENV, f->env, f->nenv);
}

static void fx_put_platforms(struct fx_out *o, const struct fx *f)
{
	if (f->flags & SBX_BLOB_F_LINUX) {
		FX_ONE(o, f, SBX_SEC_LX_LANDLOCK, f->landlock);
		FX_ARRAY(o, f, SBX_SEC_LX_LL_RULES, f->ll_rules, f->nll_rules);
		FX_ARRAY(o, f, SBX_SEC_LX_MOUNTS, f->mounts, f->nmounts);
		FX_ARRAY(o, f, SBX_SEC_LX_SECCOMP, f->seccomp, f->nseccomp);
		FX_ARRAY(o, f, SBX_SEC_LX_RLIMITS, f->rlimits, f->nrlimits);
	}
	if (f->flags & SBX_BLOB_F_WINDOWS) {
		FX_ONE(o, f, SBX_SEC_WIN_TOKEN, f->token);
		FX_ARRAY(o, f, SBX_SEC_WIN_PRIVS, f->privs, f->nprivs);
		FX_ARRAY(o, f, SBX_SEC_WIN_SIDS, f->sids, f->nsids);
		FX_ARRAY(o, f, SBX_SEC_WIN_ACES, f->aces, f->naces);
		FX_ONE(o, f, SBX_SEC_WIN_JOB, f->job);
	}
	for (uint32_t i = 0; i < f->nextra; i++)
		fx_put(o, f->extra[i].id, f->extra[i].flags, f->extra[i].data, f->extra[i].size,
		       f->extra[i].count);
}

/* Counts the sections first so that data starts right after the table. */
static uint32_t fx_count_sections(const struct fx *f)
{
	struct fx_out o = { .buf = NULL, .pos = 0 };   /* no buffer: count only */
	fx_put_common(&o, f);
	fx_put_platforms(&o, f);
	return o.nsec;
}

size_t fx_build(const struct fx *f, uint8_t *out)
{
	struct fx_out o = { .buf = out };
	uint32_t nsec = fx_count_sections(f);
	memset(out, 0, FX_BUF_SIZE);
	o.pos = (SBX_BLOB_CHECKSUM_START + nsec * 24u + 7u) & ~7u;
	uint32_t table_end = o.pos;
	fx_put_common(&o, f);
	fx_put_platforms(&o, f);
	struct sbx_blob_header h = { .major = SBX_BLOB_MAJOR, .minor = SBX_BLOB_MINOR,
		.compiler_abi = SBX_COMPILER_ABI, .header_size = 56, .section_count = o.nsec,
		.total_size = o.pos, .flags = f->flags };
	memcpy(h.magic, SBX_BLOB_MAGIC, SBX_BLOB_MAGIC_LEN);
	h.policy_id = XXH3_64bits(out + table_end, o.pos - table_end);
	memcpy(out, &h, sizeof h);
	memcpy(out + sizeof h, o.table, o.nsec * sizeof o.table[0]);
	fx_fix_checksum(out, o.pos);
	return o.pos;
}

void fx_fix_checksum(uint8_t *blob, size_t len)
{
	uint64_t sum = XXH3_64bits(blob + SBX_BLOB_CHECKSUM_START, len - SBX_BLOB_CHECKSUM_START);
	memcpy(blob + 48, &sum, sizeof sum);
}

struct sbx_section *fx_section(uint8_t *blob, uint32_t id)
{
	struct sbx_blob_header h;
	memcpy(&h, blob, sizeof h);
	struct sbx_section *t = (struct sbx_section *)(blob + sizeof h);
	for (uint32_t i = 0; i < h.section_count; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}
