/*
 * explain.c - `sbxc explain`: print what a verified blob makes the runtime
 * do.  Everything is read through the verified view, so the printer can
 * trust indexes and references.  Each part has a text printer and a JSON
 * printer; both walk the records in blob order, so the output only depends
 * on the blob's bytes.
 */
#include "explain.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_disasm.h"
#include "sbx/sbxrt.h"
#include "win_guards.h"

#define EX_TEXT_MAX 20480  /* a path: name + suffix, each capped at 4096 by the verifier */
#define JW_MAX_DEPTH 16

/* ---- a small JSON writer: pretty, fixed key order, comma bookkeeping ---- */

struct jw {
	FILE *f;
	int depth;
	int first[JW_MAX_DEPTH];
};

static void jw_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);   /* UTF-8 passes as is (the verifier checked it) */
	}
	fputc('"', f);
}

/* Starts a member (key) or an array element (key NULL). */
static void jw_key(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = 0;
	fprintf(w->f, "\n%*s", 2 * w->depth, "");
	if (key) {
		jw_string(w->f, key);
		fputs(": ", w->f);
	}
}

static void jw_open(struct jw *w, const char *key, char bracket)
{
	if (w->depth > 0)
		jw_key(w, key);
	fputc(bracket, w->f);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = 1;
}

static void jw_close(struct jw *w, char bracket)
{
	int empty = w->first[w->depth];
	w->depth--;
	if (!empty)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	fputc(bracket, w->f);
}

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s)
		jw_string(w->f, s);
	else
		fputs("null", w->f);
}

static void jw_u64(struct jw *w, const char *key, uint64_t n)
{
	jw_key(w, key);
	fprintf(w->f, "%" PRIu64, n);
}

/* A count or index where 0 (limits) or SBX_NONE (indexes) means "none". */
static void jw_opt(struct jw *w, const char *key, uint64_t n, uint64_t none)
{
	jw_key(w, key);
	if (n == none)
		fputs("null", w->f);
	else
		fprintf(w->f, "%" PRIu64, n);
}

static void jw_bool(struct jw *w, const char *key, int b)
{
	jw_key(w, key);
	fputs(b ? "true" : "false", w->f);
}

/* ---- names ---- */

struct bitname {
	uint64_t bit;
	const char *name;
};
#define NBITS(t) (sizeof (t) / sizeof (t)[0])

static const struct bitname blob_flag_names[] = {
	{ SBX_BLOB_F_BEST_EFFORT, "best-effort" },
	{ SBX_BLOB_F_LINUX, "linux" },
	{ SBX_BLOB_F_WINDOWS, "windows" },
	{ SBX_BLOB_F_NO_USERNS, "no-user-namespaces" },
};
static const struct bitname plat_names[] = {
	{ SBX_PLAT_LINUX, "linux" },
	{ SBX_PLAT_WINDOWS, "windows" },
};
static const struct bitname ll_fs_names[] = {
	{ SBX_LL_FS_EXECUTE, "execute" }, { SBX_LL_FS_WRITE_FILE, "write_file" },
	{ SBX_LL_FS_READ_FILE, "read_file" }, { SBX_LL_FS_READ_DIR, "read_dir" },
	{ SBX_LL_FS_REMOVE_DIR, "remove_dir" }, { SBX_LL_FS_REMOVE_FILE, "remove_file" },
	{ SBX_LL_FS_MAKE_CHAR, "make_char" }, { SBX_LL_FS_MAKE_DIR, "make_dir" },
	{ SBX_LL_FS_MAKE_REG, "make_reg" }, { SBX_LL_FS_MAKE_SOCK, "make_sock" },
	{ SBX_LL_FS_MAKE_FIFO, "make_fifo" }, { SBX_LL_FS_MAKE_BLOCK, "make_block" },
	{ SBX_LL_FS_MAKE_SYM, "make_sym" }, { SBX_LL_FS_REFER, "refer" },
	{ SBX_LL_FS_TRUNCATE, "truncate" }, { SBX_LL_FS_IOCTL_DEV, "ioctl_dev" },
};
static const struct bitname ll_net_names[] = {
	{ SBX_LL_NET_BIND_TCP, "bind_tcp" }, { SBX_LL_NET_CONNECT_TCP, "connect_tcp" },
};
static const struct bitname ll_scope_names[] = {
	{ SBX_LL_SCOPE_ABSTRACT_UNIX_SOCKET, "abstract_unix_socket" },
	{ SBX_LL_SCOPE_SIGNAL, "signal" },
};
static const struct bitname token_names[] = {
	{ SBX_WIN_DISABLE_MAX_PRIVILEGE, "disable-max-privilege" },
	{ SBX_WIN_SANDBOX_INERT, "sandbox-inert" },
	{ SBX_WIN_LUA_TOKEN, "lua-token" },
	{ SBX_WIN_WRITE_RESTRICTED, "write-restricted" },
};
static const struct bitname job_limit_names[] = {
	{ SBX_JOB_LIMIT_JOB_TIME, "job-time" },
	{ SBX_JOB_LIMIT_ACTIVE_PROCESS, "active-process" },
	{ SBX_JOB_LIMIT_PROCESS_MEMORY, "process-memory" },
	{ SBX_JOB_LIMIT_JOB_MEMORY, "job-memory" },
	{ SBX_JOB_LIMIT_DIE_ON_UNHANDLED_EXCEPTION, "die-on-unhandled-exception" },
	{ SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE, "kill-on-job-close" },
};
static const struct bitname job_ui_names[] = {
	{ SBX_JOB_UI_HANDLES, "handles" }, { SBX_JOB_UI_READCLIPBOARD, "readclipboard" },
	{ SBX_JOB_UI_WRITECLIPBOARD, "writeclipboard" },
	{ SBX_JOB_UI_SYSTEMPARAMETERS, "systemparameters" },
	{ SBX_JOB_UI_DISPLAYSETTINGS, "displaysettings" },
	{ SBX_JOB_UI_GLOBALATOMS, "globalatoms" }, { SBX_JOB_UI_DESKTOP, "desktop" },
	{ SBX_JOB_UI_EXITWINDOWS, "exitwindows" },
};

static const char *const kind_names[] = { "?", "readonly", "writable", "denied", "private" };
static const char *const env_op_names[] = { "?", "keep", "drop", "set" };
static const char *const mount_op_names[] = { "?", "read-only", "hide", "expose", "private" };
static const char *const sid_kind_names[] = { "?", "literal", "logon", "derived" };

/* The verifier checked every kind, so these indexes are in range. */
#define NAME(table, i) ((i) < NBITS(table) ? (table)[i] : "?")

static void text_bits(FILE *f, const struct bitname *t, size_t n, uint64_t v)
{
	int any = 0;
	for (size_t i = 0; i < n; i++)
		if (v & t[i].bit)
			fprintf(f, "%s%s", any++ ? " " : "", t[i].name);
	if (!any)
		fputs("none", f);
}

static void jw_bits(struct jw *w, const char *key, const struct bitname *t, size_t n,
                    uint64_t v)
{
	jw_open(w, key, '[');
	for (size_t i = 0; i < n; i++)
		if (v & t[i].bit)
			jw_str(w, NULL, t[i].name);
	jw_close(w, ']');
}

/* ---- values in human units ---- */

static void fmt_bytes(char *out, size_t size, uint64_t n)
{
	static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };
	for (int i = 0; i < 4; i++) {
		uint64_t unit = 1ull << (10 * (4 - i));
		if (n >= unit && n % unit == 0) {
			snprintf(out, size, "%" PRIu64 " %s", n / unit, units[i]);
			return;
		}
	}
	snprintf(out, size, "%" PRIu64 " bytes", n);
}

static void fmt_seconds(char *out, size_t size, uint64_t s)
{
	if (s >= 3600 && s % 3600 == 0)
		snprintf(out, size, "%" PRIu64 "h", s / 3600);
	else if (s >= 60 && s % 60 == 0)
		snprintf(out, size, "%" PRIu64 "m", s / 60);
	else
		snprintf(out, size, "%" PRIu64 "s", s);
}

/* n in units of 1/per second: whole seconds in h/m/s, else "n unit"; 0 is "none". */
static void fmt_scaled(char *out, size_t size, uint64_t n, uint64_t per, const char *unit)
{
	if (n == 0)
		snprintf(out, size, "none");
	else if (n % per == 0)
		fmt_seconds(out, size, n / per);
	else
		snprintf(out, size, "%" PRIu64 " %s", n, unit);
}

/* ---- strings and paths ---- */

/* UTF-16 (verified: no lone surrogates) to UTF-8, cut at a character boundary. */
static void wide_to_utf8(const uint16_t *w, char *out, size_t size)
{
	size_t o = 0;
	for (; w && *w; w++) {
		uint32_t c = *w;
		if (c >= 0xD800 && c <= 0xDBFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + (w[1] - 0xDC00);
			w++;
		}
		int n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		if (o + (size_t)n >= size)
			break;
		if (n == 1) {
			out[o++] = (char)c;
			continue;
		}
		static const uint8_t lead[] = { 0, 0, 0xC0, 0xE0, 0xF0 };
		out[o++] = (char)(lead[n] | (c >> (6 * (n - 1))));
		for (int k = n - 2; k >= 0; k--)
			out[o++] = (char)(0x80 | ((c >> (6 * k)) & 0x3F));
	}
	out[o] = '\0';
}

struct ex {
	const struct sbx_view *v;
	FILE *f;
	struct jw w;
	char a[EX_TEXT_MAX];    /* scratch for paths */
	char b[EX_TEXT_MAX];
	struct wg_guards gs;    /* the plan's guard ACEs (Windows blobs) */
};

/* "${PARAM}tail", or tail for a literal path (param SBX_NONE). */
static const char *param_text(struct ex *x, uint32_t param, const char *tail, char *buf)
{
	if (param == SBX_NONE)
		snprintf(buf, EX_TEXT_MAX, "%s", tail);
	else
		snprintf(buf, EX_TEXT_MAX, "${%s}%.*s", sbx_view_str(x->v, x->v->params[param].name),
		         EX_TEXT_MAX / 2, tail);
	return buf;
}

/* Path `i` as "${PARAM}/suffix" or literal; Windows form ('\\') when `win`. */
static const char *path_text(struct ex *x, uint32_t i, int win, char *buf)
{
	const struct sbx_path *p = &x->v->paths[i];
	char tail[EX_TEXT_MAX / 2];
	if (win && p->wsuffix != SBX_NONE)
		wide_to_utf8(sbx_view_wstr(x->v, p->wsuffix), tail, sizeof tail);
	else
		snprintf(tail, sizeof tail, "%s", sbx_view_str(x->v, p->suffix));
	return param_text(x, p->param, tail, buf);
}

/* A SID as SDDL shows it; derived SIDs as cap(<path>). */
static const char *sid_text(struct ex *x, uint32_t i, char *buf)
{
	const struct sbx_win_sid *s = &x->v->win_sids[i];
	if (s->kind == SBX_SID_LITERAL) {
		wide_to_utf8(sbx_view_wstr(x->v, s->ref), buf, EX_TEXT_MAX);
	} else if (s->kind == SBX_SID_LOGON) {
		snprintf(buf, EX_TEXT_MAX, "logon");
	} else {
		char p[EX_TEXT_MAX];
		path_text(x, s->ref, 1, p);
		snprintf(buf, EX_TEXT_MAX, "cap(%.*s)", EX_TEXT_MAX - 8, p);
	}
	return buf;
}

static const char *ace_sddl(struct ex *x, const struct sbx_win_ace *a, char *buf)
{
	char sid[EX_TEXT_MAX];
	const char *inh = a->inherit == 3 ? "OICI" : a->inherit == 1 ? "OI" :
	                  a->inherit == 2 ? "CI" : "";
	sid_text(x, a->sid, sid);
	snprintf(buf, EX_TEXT_MAX, "(%s;%s;0x%x;;;%.*s)", a->type == SBX_ACE_DENY ? "D" : "A",
	         inh, a->mask, EX_TEXT_MAX - 32, sid);
	return buf;
}

static const char *ace_object(struct ex *x, const struct sbx_win_ace *a, char *buf)
{
	if (a->path != SBX_NONE)
		return path_text(x, a->path, 1, buf);
	wide_to_utf8(sbx_view_wstr(x->v, a->target), buf, EX_TEXT_MAX);
	return buf;
}

static int ace_read_unenforced(const struct sbx_win_ace *a)
{
	return (a->flags & SBX_ACE_F_READ_UNENFORCED) != 0;
}

static int mount_readonly_flag(const struct sbx_lx_mount *m)
{
	return (m->flags & SBX_MNT_F_READONLY) != 0;
}

static const char *const lx_offline =
	"private network namespace (loopback only) + seccomp socket-family filter";
static const char *const win_offline =
	"ADVISORY ONLY: proxy environment variables; nothing stops a program that ignores them";
static const char *const net_online = "no restriction";
static const char *const derived_note =
	"derived at spawn time from the bound path (sbx_derive_cap_sid)";
static const char *const read_unenforced_note =
	"read denial is not enforced by a write-restricted token";
static const char *const guard_note =
	"this object only, added by the runtime's plan so that the carve-outs beneath it cannot be "
	"moved away";
static const char *const guard_later_note =
	"these paths start from another parameter than the SID's writable root, so the runtime's "
	"plan decides from the bound values whether each lies inside the root and, if so, guards "
	"the directories between them the same way";
static const char *const guard_too_many_note =
	"the runtime refuses to spawn: too many directories to guard around carve-outs";

/* A guard as the ACE the plan adds: a deny for the carve-out's SID, on the directory only. */
static struct sbx_win_ace guard_ace(struct ex *x, const struct wg_guard *g)
{
	const struct sbx_win_ace *c = &x->v->win_aces[g->ace];
	return (struct sbx_win_ace){ c->path, SBX_NONE, c->sid, g->mask, SBX_ACE_DENY, 0,
	                             SBX_ACE_F_IMPLICIT, c->rule };
}

/* The guarded directory, from its SID's writable root's parameter. */
static const char *guard_dir(struct ex *x, const struct wg_guard *g, char *buf)
{
	return param_text(x, x->v->paths[g->root].param, g->dir, buf);
}

/* 1 when a deny ACE of SID `sid` is among the guards the runtime decides. */
static int sid_has_later(struct ex *x, uint32_t sid)
{
	for (size_t i = 0; i < x->gs.nlater; i++)
		if (x->v->win_aces[x->gs.later[i]].sid == sid)
			return 1;
	return 0;
}


/* ================= text ================= */

static void text_header(struct ex *x)
{
	const struct sbx_blob_header *h = x->v->header;
	fprintf(x->f, "blob:\n");
	fprintf(x->f, "  format: %u.%u\n", (unsigned)h->major, (unsigned)h->minor);
	fprintf(x->f, "  compiler ABI: %u\n", h->compiler_abi);
	fprintf(x->f, "  size: %" PRIu64 " bytes\n", h->total_size);
	fprintf(x->f, "  policy id: %016" PRIx64 "\n", h->policy_id);
	fprintf(x->f, "  checksum: %016" PRIx64 "\n", h->checksum);
	fprintf(x->f, "  flags: ");
	text_bits(x->f, blob_flag_names, NBITS(blob_flag_names), h->flags);
	fprintf(x->f, "\n  enforcement: %s\n", h->flags & SBX_BLOB_F_BEST_EFFORT ?
	        "best-effort (runs even if the kernel lacks a mechanism)" :
	        "strict (does not run if the kernel lacks a mechanism)");
}

static void text_params(struct ex *x)
{
	fprintf(x->f, "parameters:%s\n", x->v->nparams ? "" : " none");
	for (size_t i = 0; i < x->v->nparams; i++) {
		const struct sbx_param *p = &x->v->params[i];
		const char *name = sbx_view_str(x->v, p->name);
		if (p->flags & SBX_PARAM_F_BUILTIN)
			fprintf(x->f, "  %s: builtin (the runtime has a default)\n", name);
		else
			fprintf(x->f, "  %s: must be bound at spawn time (--var %s=...)\n", name, name);
	}
}

/* " [linux]" for a one-platform path, "" for both. */
static const char *plat_tag(uint32_t platforms)
{
	return platforms == SBX_PLAT_LINUX ? " [linux]" :
	       platforms == SBX_PLAT_WINDOWS ? " [windows]" : "";
}

static void text_rules(struct ex *x)
{
	fprintf(x->f, "filesystem rules:%s\n", x->v->nrules ? "" : " none (everything is denied)");
	for (size_t i = 0; i < x->v->nrules; i++) {
		const struct sbx_fs_rule *r = &x->v->rules[i];
		const struct sbx_path *p = &x->v->paths[r->path];
		fprintf(x->f, "  %zu: %s %s%s", i, NAME(kind_names, r->kind),
		        path_text(x, r->path, 0, x->a), plat_tag(p->platforms));
		if (r->flags & SBX_RULE_F_CARVE_OUT)
			fprintf(x->f, ", carve-out");
		if (r->parent != SBX_NONE)
			fprintf(x->f, ", inside rule %u", r->parent);
		fputc('\n', x->f);
	}
}

static void text_network(struct ex *x)
{
	int offline = x->v->network->mode == SBX_NET_OFFLINE;
	uint64_t fl = x->v->header->flags;
	fprintf(x->f, "network: %s\n", offline ? "offline" : "online");
	if (fl & SBX_BLOB_F_LINUX)
		fprintf(x->f, "  linux: %s\n", offline ? lx_offline : net_online);
	if (fl & SBX_BLOB_F_WINDOWS)
		fprintf(x->f, "  windows: %s\n", offline ? win_offline : net_online);
}

static void text_limit(struct ex *x, const char *name, uint64_t n, int kind)
{
	char buf[64];
	if (n == 0)
		snprintf(buf, sizeof buf, "none");
	else if (kind == 'b')
		fmt_bytes(buf, sizeof buf, n);
	else if (kind == 's')
		fmt_seconds(buf, sizeof buf, n);
	else
		snprintf(buf, sizeof buf, "%" PRIu64, n);
	fprintf(x->f, "  %s: %s\n", name, buf);
}

static void text_limits(struct ex *x)
{
	const struct sbx_limits *l = x->v->limits;
	fprintf(x->f, "limits:\n");
	text_limit(x, "processes", l->max_processes, 'n');
	text_limit(x, "memory", l->memory_bytes, 'b');
	text_limit(x, "cpu", l->cpu_seconds, 's');
	text_limit(x, "wall", l->wall_seconds, 's');
}

static void text_env(struct ex *x)
{
	fprintf(x->f, "environment:%s\n", x->v->nenv ? "" : " passed unchanged");
	for (size_t i = 0; i < x->v->nenv; i++) {
		const struct sbx_env_op *e = &x->v->env[i];
		fprintf(x->f, "  %s %s", NAME(env_op_names, e->op), sbx_view_str(x->v, e->name));
		if (e->op == SBX_ENV_SET)
			fprintf(x->f, "=%s", sbx_view_str(x->v, e->value));
		if (e->flags & SBX_ENV_F_DEFAULT)
			fprintf(x->f, " (default)");
		if (e->flags & SBX_ENV_F_NET_ADVISORY)
			fprintf(x->f, " (advisory: only asks tools to stay offline)");
		fprintf(x->f, "%s\n", plat_tag(e->platforms));
	}
}

static void text_landlock(struct ex *x)
{
	const struct sbx_lx_landlock *ll = x->v->landlock;
	fprintf(x->f, "  landlock: ABI %u or newer\n    handled filesystem rights: ", ll->abi_min);
	text_bits(x->f, ll_fs_names, NBITS(ll_fs_names), ll->handled_fs);
	fprintf(x->f, "\n    handled network rights: ");
	text_bits(x->f, ll_net_names, NBITS(ll_net_names), ll->handled_net);
	fprintf(x->f, "\n    scoped: ");
	text_bits(x->f, ll_scope_names, NBITS(ll_scope_names), ll->scoped);
	fprintf(x->f, "\n    rules:%s\n", x->v->nll_rules ? "" : " none");
	for (size_t i = 0; i < x->v->nll_rules; i++) {
		const struct sbx_lx_ll_rule *r = &x->v->ll_rules[i];
		fprintf(x->f, "      %s: ", path_text(x, r->path, 0, x->a));
		text_bits(x->f, ll_fs_names, NBITS(ll_fs_names), r->access);
		if (r->flags & SBX_LL_RULE_F_IMPLICIT)
			fprintf(x->f, " (implicit)");
		if (r->flags & SBX_LL_RULE_F_OPTIONAL)
			fprintf(x->f, " (optional: skipped if missing)");
		if (r->flags & SBX_LL_RULE_F_PRIVATE)
			fprintf(x->f, " (private: only on its own tmpfs)");
		fputc('\n', x->f);
	}
}

static void text_mounts(struct ex *x)
{
	fprintf(x->f, "  mounts, in order:%s\n", x->v->nmounts ? "" : " none");
	for (size_t i = 0; i < x->v->nmounts; i++) {
		const struct sbx_lx_mount *m = &x->v->mounts[i];
		fprintf(x->f, "    %zu: %s %s", i, NAME(mount_op_names, m->op),
		        path_text(x, m->path, 0, x->a));
		if (m->rule != SBX_NONE)
			fprintf(x->f, " (rule %u)", m->rule);
		if (m->flags & SBX_MNT_F_IF_INSIDE)
			fprintf(x->f, " if-inside (only if the bound path is inside an allowed root)");
		if (mount_readonly_flag(m))
			fprintf(x->f, " read-only");
		fputc('\n', x->f);
	}
}

static const char *rlimit_name(uint32_t r)
{
	return r == SBX_RLIMIT_CPU ? "CPU" : r == SBX_RLIMIT_NPROC ? "NPROC" : "DATA";
}

static void text_rlimit_value(struct ex *x, uint32_t res, uint64_t n)
{
	char buf[64];
	if (n == UINT64_MAX)
		snprintf(buf, sizeof buf, "unlimited");
	else if (res == SBX_RLIMIT_DATA)
		fmt_bytes(buf, sizeof buf, n);
	else if (res == SBX_RLIMIT_CPU)
		fmt_seconds(buf, sizeof buf, n);
	else
		snprintf(buf, sizeof buf, "%" PRIu64, n);
	fputs(buf, x->f);
}

static void text_linux(struct ex *x)
{
	fprintf(x->f, "linux:\n");
	text_landlock(x);
	text_mounts(x);
	fprintf(x->f, "  new user namespaces: %s\n", x->v->header->flags & SBX_BLOB_F_NO_USERNS ?
	        "refused (seccomp: clone and unshare with CLONE_NEWUSER fail with EPERM, "
	        "clone3 with ENOSYS)" : "allowed (user-namespaces allow)");
	fprintf(x->f, "  seccomp: %zu instructions\n", x->v->nseccomp);
	sbx_bpf_disasm(x->v->seccomp, x->v->nseccomp, 4, x->f);
	fprintf(x->f, "  rlimits:%s\n", x->v->nrlimits ? "" : " none");
	for (size_t i = 0; i < x->v->nrlimits; i++) {
		const struct sbx_lx_rlimit *r = &x->v->rlimits[i];
		fprintf(x->f, "    %s: soft ", rlimit_name(r->resource));
		text_rlimit_value(x, r->resource, r->soft);
		fprintf(x->f, ", hard ");
		text_rlimit_value(x, r->resource, r->hard);
		fputc('\n', x->f);
	}
	if (x->v->nrlimits)
		fprintf(x->f, "  (where the launcher's cgroup v2 is delegated to it, the runtime also bounds "
		        "the whole tree: pids.max, memory.max, CPU time; then DATA is left out and "
		        "NPROC is one higher: docs/runtime.md)\n");
}

static void text_sids(struct ex *x)
{
	const struct sbx_win_token *t = x->v->win_token;
	fprintf(x->f, "  SIDs (the first %u restrict the token; at most %u capability SIDs):\n",
	        t->restrict_count, t->max_cap_sids);
	for (size_t i = 0; i < x->v->nwin_sids; i++) {
		const struct sbx_win_sid *s = &x->v->win_sids[i];
		fprintf(x->f, "    %zu: %s%s", i, sid_text(x, (uint32_t)i, x->a),
		        i < t->restrict_count ? " (restricting)" : "");
		if (s->kind == SBX_SID_DERIVED)
			fprintf(x->f, ", %s", derived_note);
		if (s->kind == SBX_SID_LOGON)
			fprintf(x->f, ", the logon SID of the caller's token");
		fputc('\n', x->f);
	}
}

static void text_privs(struct ex *x)
{
	fprintf(x->f, "  privileges deleted:%s", x->v->nwin_privs ? "" : " none");
	for (size_t i = 0; i < x->v->nwin_privs; i++) {
		wide_to_utf8(sbx_view_wstr(x->v, x->v->win_privs[i]), x->a, EX_TEXT_MAX);
		fprintf(x->f, " %s", x->a);
	}
	fputc('\n', x->f);
}

static void text_aces(struct ex *x)
{
	fprintf(x->f, "  ACEs:%s\n", x->v->nwin_aces ? "" : " none");
	for (size_t i = 0; i < x->v->nwin_aces; i++) {
		const struct sbx_win_ace *a = &x->v->win_aces[i];
		fprintf(x->f, "    %s on %s", ace_sddl(x, a, x->a), ace_object(x, a, x->b));
		if (a->rule != SBX_NONE)
			fprintf(x->f, " (rule %u)", a->rule);
		if (a->flags & SBX_ACE_F_TEMPORARY)
			fprintf(x->f, " temporary (reverted after the command)");
		if (a->flags & SBX_ACE_F_IMPLICIT)
			fprintf(x->f, " implicit");
		if (ace_read_unenforced(a))
			fprintf(x->f, "; NOTE: %s", read_unenforced_note);
		fputc('\n', x->f);
	}
}

static void text_guards(struct ex *x)
{
	for (size_t i = 0; i < x->gs.n; i++) {
		const struct wg_guard *g = &x->gs.g[i];
		struct sbx_win_ace a = guard_ace(x, g);
		fprintf(x->f, "    %s on %s guard: denies %s, %s\n", ace_sddl(x, &a, x->a),
		        guard_dir(x, g, x->b), wg_mask_words(g->mask), guard_note);
	}
	if (x->gs.too_many)
		fprintf(x->f, "    NOTE: more than %d guard ACEs: %s\n", WP_MAX_GUARDS, guard_too_many_note);
	for (uint32_t sid = 0; sid < x->v->nwin_sids; sid++) {
		if (!sid_has_later(x, sid))
			continue;
		fprintf(x->f, "    guards of %s decided at spawn time, for rules", sid_text(x, sid, x->a));
		for (size_t i = 0; i < x->gs.nlater; i++)
			if (x->v->win_aces[x->gs.later[i]].sid == sid)
				fprintf(x->f, " %u", x->v->win_aces[x->gs.later[i]].rule);
		fprintf(x->f, ": %s\n", guard_later_note);
	}
}

static void text_job(struct ex *x)
{
	const struct sbx_win_job *j = x->v->win_job;
	char buf[64];
	fprintf(x->f, "  job:\n    limits: ");
	text_bits(x->f, job_limit_names, NBITS(job_limit_names), j->limit_flags);
	fprintf(x->f, "\n    active processes: %u\n", j->active_processes);
	fmt_bytes(buf, sizeof buf, j->job_memory_bytes);
	fprintf(x->f, "    job memory: %s\n", j->job_memory_bytes ? buf : "none");
	fmt_scaled(buf, sizeof buf, j->job_time_100ns, 10000000u, "x 100ns");
	fprintf(x->f, "    job CPU time: %s\n", buf);
	fmt_scaled(buf, sizeof buf, j->wall_ms, 1000u, "ms");
	fprintf(x->f, "    wall clock: %s (enforced by the launcher)\n", buf);
	fprintf(x->f, "    UI restrictions: ");
	text_bits(x->f, job_ui_names, NBITS(job_ui_names), j->ui_restrictions);
	fputc('\n', x->f);
}

static void text_windows(struct ex *x)
{
	fprintf(x->f, "windows:\n  token: ");
	text_bits(x->f, token_names, NBITS(token_names), x->v->win_token->flags);
	fputc('\n', x->f);
	text_sids(x);
	text_privs(x);
	text_aces(x);
	text_guards(x);
	text_job(x);
}

static void explain_text(struct ex *x)
{
	text_header(x);
	text_params(x);
	text_rules(x);
	text_network(x);
	text_limits(x);
	text_env(x);
	if (x->v->header->flags & SBX_BLOB_F_LINUX)
		text_linux(x);
	if (x->v->header->flags & SBX_BLOB_F_WINDOWS)
		text_windows(x);
}

/* ================= JSON ================= */

static void hex64(char out[17], uint64_t n)
{
	snprintf(out, 17, "%016" PRIx64, n);
}

static void json_header(struct ex *x)
{
	const struct sbx_blob_header *h = x->v->header;
	char hex[17];
	jw_open(&x->w, "format", '{');
	jw_u64(&x->w, "major", h->major);
	jw_u64(&x->w, "minor", h->minor);
	jw_close(&x->w, '}');
	jw_u64(&x->w, "compiler_abi", h->compiler_abi);
	jw_u64(&x->w, "size", h->total_size);
	hex64(hex, h->policy_id);
	jw_str(&x->w, "policy_id", hex);
	hex64(hex, h->checksum);
	jw_str(&x->w, "checksum", hex);
	jw_bits(&x->w, "flags", blob_flag_names, NBITS(blob_flag_names), h->flags);
	jw_str(&x->w, "enforcement", h->flags & SBX_BLOB_F_BEST_EFFORT ? "best-effort" : "strict");
}

static void json_params(struct ex *x)
{
	jw_open(&x->w, "params", '[');
	for (size_t i = 0; i < x->v->nparams; i++) {
		const struct sbx_param *p = &x->v->params[i];
		jw_open(&x->w, NULL, '{');
		jw_str(&x->w, "name", sbx_view_str(x->v, p->name));
		jw_bool(&x->w, "builtin", (p->flags & SBX_PARAM_F_BUILTIN) != 0);
		jw_close(&x->w, '}');
	}
	jw_close(&x->w, ']');
}

static void json_rule(struct ex *x, const struct sbx_fs_rule *r)
{
	const struct sbx_path *p = &x->v->paths[r->path];
	jw_open(&x->w, NULL, '{');
	jw_str(&x->w, "path", path_text(x, r->path, 0, x->a));
	jw_str(&x->w, "windows_path", p->wsuffix != SBX_NONE ? path_text(x, r->path, 1, x->b) : NULL);
	jw_bits(&x->w, "platforms", plat_names, NBITS(plat_names), p->platforms);
	jw_str(&x->w, "kind", NAME(kind_names, r->kind));
	jw_bool(&x->w, "carve_out", (r->flags & SBX_RULE_F_CARVE_OUT) != 0);
	jw_opt(&x->w, "parent", r->parent, SBX_NONE);
	jw_close(&x->w, '}');
}

static void json_rules(struct ex *x)
{
	jw_open(&x->w, "fs_rules", '[');
	for (size_t i = 0; i < x->v->nrules; i++)
		json_rule(x, &x->v->rules[i]);
	jw_close(&x->w, ']');
}

static void json_network(struct ex *x)
{
	int offline = x->v->network->mode == SBX_NET_OFFLINE;
	uint64_t fl = x->v->header->flags;
	jw_open(&x->w, "network", '{');
	jw_str(&x->w, "mode", offline ? "offline" : "online");
	jw_open(&x->w, "enforcement", '{');
	if (fl & SBX_BLOB_F_LINUX)
		jw_str(&x->w, "linux", offline ? lx_offline : net_online);
	if (fl & SBX_BLOB_F_WINDOWS)
		jw_str(&x->w, "windows", offline ? win_offline : net_online);
	jw_close(&x->w, '}');
	jw_bool(&x->w, "windows_advisory", offline && (fl & SBX_BLOB_F_WINDOWS));
	jw_close(&x->w, '}');
}

static void json_limits(struct ex *x)
{
	const struct sbx_limits *l = x->v->limits;
	jw_open(&x->w, "limits", '{');
	jw_opt(&x->w, "processes", l->max_processes, 0);
	jw_opt(&x->w, "memory_bytes", l->memory_bytes, 0);
	jw_opt(&x->w, "cpu_seconds", l->cpu_seconds, 0);
	jw_opt(&x->w, "wall_seconds", l->wall_seconds, 0);
	jw_close(&x->w, '}');
}

static void json_env(struct ex *x)
{
	jw_open(&x->w, "env", '[');
	for (size_t i = 0; i < x->v->nenv; i++) {
		const struct sbx_env_op *e = &x->v->env[i];
		jw_open(&x->w, NULL, '{');
		jw_str(&x->w, "op", NAME(env_op_names, e->op));
		jw_str(&x->w, "name", sbx_view_str(x->v, e->name));
		jw_str(&x->w, "value", sbx_view_str(x->v, e->value));
		jw_bool(&x->w, "default", (e->flags & SBX_ENV_F_DEFAULT) != 0);
		jw_bool(&x->w, "exact", (e->flags & SBX_ENV_F_EXACT) != 0);
		jw_bool(&x->w, "advisory", (e->flags & SBX_ENV_F_NET_ADVISORY) != 0);
		jw_bits(&x->w, "platforms", plat_names, NBITS(plat_names), e->platforms);
		jw_close(&x->w, '}');
	}
	jw_close(&x->w, ']');
}

static void json_landlock(struct ex *x)
{
	const struct sbx_lx_landlock *ll = x->v->landlock;
	jw_open(&x->w, "landlock", '{');
	jw_u64(&x->w, "abi_min", ll->abi_min);
	jw_bits(&x->w, "handled_fs", ll_fs_names, NBITS(ll_fs_names), ll->handled_fs);
	jw_bits(&x->w, "handled_net", ll_net_names, NBITS(ll_net_names), ll->handled_net);
	jw_bits(&x->w, "scoped", ll_scope_names, NBITS(ll_scope_names), ll->scoped);
	jw_open(&x->w, "rules", '[');
	for (size_t i = 0; i < x->v->nll_rules; i++) {
		const struct sbx_lx_ll_rule *r = &x->v->ll_rules[i];
		jw_open(&x->w, NULL, '{');
		jw_str(&x->w, "path", path_text(x, r->path, 0, x->a));
		jw_bits(&x->w, "access", ll_fs_names, NBITS(ll_fs_names), r->access);
		jw_bool(&x->w, "implicit", (r->flags & SBX_LL_RULE_F_IMPLICIT) != 0);
		jw_bool(&x->w, "optional", (r->flags & SBX_LL_RULE_F_OPTIONAL) != 0);
		jw_bool(&x->w, "private", (r->flags & SBX_LL_RULE_F_PRIVATE) != 0);
		jw_close(&x->w, '}');
	}
	jw_close(&x->w, ']');
	jw_close(&x->w, '}');
}

static void json_mounts(struct ex *x)
{
	jw_open(&x->w, "mounts", '[');
	for (size_t i = 0; i < x->v->nmounts; i++) {
		const struct sbx_lx_mount *m = &x->v->mounts[i];
		jw_open(&x->w, NULL, '{');
		jw_str(&x->w, "op", NAME(mount_op_names, m->op));
		jw_str(&x->w, "path", path_text(x, m->path, 0, x->a));
		jw_opt(&x->w, "rule", m->rule, SBX_NONE);
		jw_bool(&x->w, "if_inside", (m->flags & SBX_MNT_F_IF_INSIDE) != 0);
		jw_bool(&x->w, "read_only", mount_readonly_flag(m));
		jw_close(&x->w, '}');
	}
	jw_close(&x->w, ']');
}

static void json_seccomp(struct ex *x)
{
	char text[SBX_BPF_TEXT_MAX];
	jw_open(&x->w, "seccomp", '[');
	for (size_t i = 0; i < x->v->nseccomp; i++) {
		const struct sbx_bpf_insn *f = &x->v->seccomp[i];
		sbx_bpf_insn_text(f, text);
		jw_open(&x->w, NULL, '{');
		jw_u64(&x->w, "code", f->code);
		jw_u64(&x->w, "jt", f->jt);
		jw_u64(&x->w, "jf", f->jf);
		jw_u64(&x->w, "k", f->k);
		jw_str(&x->w, "text", text);
		jw_close(&x->w, '}');
	}
	jw_close(&x->w, ']');
}

static void json_linux(struct ex *x)
{
	jw_open(&x->w, "linux", '{');
	json_landlock(x);
	json_mounts(x);
	jw_str(&x->w, "new_user_namespaces", x->v->header->flags & SBX_BLOB_F_NO_USERNS ?
	       "refused" : "allowed");
	json_seccomp(x);
	jw_open(&x->w, "rlimits", '[');
	for (size_t i = 0; i < x->v->nrlimits; i++) {
		const struct sbx_lx_rlimit *r = &x->v->rlimits[i];
		jw_open(&x->w, NULL, '{');
		jw_str(&x->w, "resource", rlimit_name(r->resource));
		jw_u64(&x->w, "soft", r->soft);
		jw_u64(&x->w, "hard", r->hard);
		jw_close(&x->w, '}');
	}
	jw_close(&x->w, ']');
	jw_close(&x->w, '}');
}

static void json_sids(struct ex *x)
{
	jw_open(&x->w, "sids", '[');
	for (size_t i = 0; i < x->v->nwin_sids; i++) {
		const struct sbx_win_sid *s = &x->v->win_sids[i];
		jw_open(&x->w, NULL, '{');
		jw_str(&x->w, "kind", NAME(sid_kind_names, s->kind));
		jw_str(&x->w, "sid", sid_text(x, (uint32_t)i, x->a));
		jw_str(&x->w, "path", s->kind == SBX_SID_DERIVED ? path_text(x, s->ref, 1, x->b) : NULL);
		jw_bool(&x->w, "restricting", i < x->v->win_token->restrict_count);
		jw_str(&x->w, "note", s->kind == SBX_SID_DERIVED ? derived_note : NULL);
		jw_close(&x->w, '}');
	}
	jw_close(&x->w, ']');
}

static void json_privs(struct ex *x)
{
	jw_open(&x->w, "privileges_deleted", '[');
	for (size_t i = 0; i < x->v->nwin_privs; i++) {
		wide_to_utf8(sbx_view_wstr(x->v, x->v->win_privs[i]), x->a, EX_TEXT_MAX);
		jw_str(&x->w, NULL, x->a);
	}
	jw_close(&x->w, ']');
}

static void json_ace(struct ex *x, const struct sbx_win_ace *a)
{
	jw_open(&x->w, NULL, '{');
	jw_str(&x->w, "sddl", ace_sddl(x, a, x->a));
	jw_str(&x->w, a->path != SBX_NONE ? "path" : "device", ace_object(x, a, x->b));
	jw_opt(&x->w, "rule", a->rule, SBX_NONE);
	jw_bool(&x->w, "temporary", (a->flags & SBX_ACE_F_TEMPORARY) != 0);
	jw_bool(&x->w, "implicit", (a->flags & SBX_ACE_F_IMPLICIT) != 0);
	jw_bool(&x->w, "read_unenforced", ace_read_unenforced(a));
	jw_str(&x->w, "note", ace_read_unenforced(a) ? read_unenforced_note : NULL);
	jw_close(&x->w, '}');
}

static void json_guard(struct ex *x, const struct wg_guard *g)
{
	struct sbx_win_ace a = guard_ace(x, g);
	jw_open(&x->w, NULL, '{');
	jw_str(&x->w, "sddl", ace_sddl(x, &a, x->a));
	jw_str(&x->w, "path", guard_dir(x, g, x->b));
	jw_str(&x->w, "denies", wg_mask_words(g->mask));
	jw_bool(&x->w, "this_object_only", 1);
	jw_str(&x->w, "note", guard_note);
	jw_close(&x->w, '}');
}

static void json_guards_later(struct ex *x, uint32_t sid)
{
	jw_open(&x->w, NULL, '{');
	jw_str(&x->w, "sid", sid_text(x, sid, x->a));
	jw_open(&x->w, "rules", '[');
	for (size_t i = 0; i < x->gs.nlater; i++)
		if (x->v->win_aces[x->gs.later[i]].sid == sid)
			jw_u64(&x->w, NULL, x->v->win_aces[x->gs.later[i]].rule);
	jw_close(&x->w, ']');
	jw_str(&x->w, "note", guard_later_note);
	jw_close(&x->w, '}');
}

static void json_guards(struct ex *x)
{
	jw_open(&x->w, "guards", '[');
	for (size_t i = 0; i < x->gs.n; i++)
		json_guard(x, &x->gs.g[i]);
	jw_close(&x->w, ']');
	jw_str(&x->w, "guards_too_many", x->gs.too_many ? guard_too_many_note : NULL);
	jw_open(&x->w, "guards_at_spawn", '[');
	for (uint32_t sid = 0; sid < x->v->nwin_sids; sid++)
		if (sid_has_later(x, sid))
			json_guards_later(x, sid);
	jw_close(&x->w, ']');
}

static void json_job(struct ex *x)
{
	const struct sbx_win_job *j = x->v->win_job;
	jw_open(&x->w, "job", '{');
	jw_bits(&x->w, "limits", job_limit_names, NBITS(job_limit_names), j->limit_flags);
	jw_u64(&x->w, "active_processes", j->active_processes);
	jw_opt(&x->w, "job_memory_bytes", j->job_memory_bytes, 0);
	jw_opt(&x->w, "job_time_100ns", j->job_time_100ns, 0);
	jw_opt(&x->w, "wall_ms", j->wall_ms, 0);
	jw_bits(&x->w, "ui_restrictions", job_ui_names, NBITS(job_ui_names), j->ui_restrictions);
	jw_close(&x->w, '}');
}

static void json_windows(struct ex *x)
{
	const struct sbx_win_token *t = x->v->win_token;
	jw_open(&x->w, "windows", '{');
	jw_open(&x->w, "token", '{');
	jw_bits(&x->w, "flags", token_names, NBITS(token_names), t->flags);
	jw_u64(&x->w, "restrict_count", t->restrict_count);
	jw_u64(&x->w, "max_cap_sids", t->max_cap_sids);
	jw_close(&x->w, '}');
	json_sids(x);
	json_privs(x);
	jw_open(&x->w, "aces", '[');
	for (size_t i = 0; i < x->v->nwin_aces; i++)
		json_ace(x, &x->v->win_aces[i]);
	jw_close(&x->w, ']');
	json_guards(x);
	json_job(x);
	jw_close(&x->w, '}');
}

static void explain_json(struct ex *x)
{
	uint64_t fl = x->v->header->flags;
	jw_open(&x->w, NULL, '{');
	json_header(x);
	json_params(x);
	json_rules(x);
	json_network(x);
	json_limits(x);
	json_env(x);
	if (fl & SBX_BLOB_F_LINUX)
		json_linux(x);
	else
		jw_str(&x->w, "linux", NULL);
	if (fl & SBX_BLOB_F_WINDOWS)
		json_windows(x);
	else
		jw_str(&x->w, "windows", NULL);
	jw_close(&x->w, '}');
	fputc('\n', x->f);
}

/* ================= entry point ================= */

static int explain_verified(const void *buf, size_t len, FILE *out, int json,
                            char *err, size_t errlen)
{
	struct sbx_view v;
	char where[256];
	int rc = sbx_blob_verify(buf, len, &v, where, sizeof where);
	if (rc != SBX_OK) {
		if (err && errlen)
			snprintf(err, errlen, "bad blob (%s): %s", sbx_strerror(rc), where);
		return rc;
	}
	struct ex *x = calloc(1, sizeof *x);   /* the scratch buffers are large for a stack */
	if (!x) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->v = &v;
	x->f = out;
	x->w.f = out;
	if ((v.header->flags & SBX_BLOB_F_WINDOWS) && wg_collect(&v, &x->gs) != 0) {
		free(x);
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (json)
		explain_json(x);
	else
		explain_text(x);
	wg_free(&x->gs);
	free(x);
	return SBX_OK;
}

int sbx_explain(const void *blob, size_t len, FILE *out, int json, char *err, size_t errlen)
{
	if ((uintptr_t)blob % SBX_BLOB_ALIGN == 0)
		return explain_verified(blob, len, out, json, err, errlen);
	void *copy = malloc(len ? len : 1);     /* malloc memory is aligned for any type */
	if (!copy) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, blob, len);
	int rc = explain_verified(copy, len, out, json, err, errlen);
	free(copy);
	return rc;
}
