/*
 * win_plan.c - the Windows plan (win_plan.h): bind the parameters as
 * Windows paths, derive the capability SIDs, and list the token, default
 * DACL, ACEs, job limits and environment a spawn needs.  No Win32 here:
 * every decision is made in this file and tested on Linux; the executor
 * (win_exec.c) only carries it out.
 */
#include "win_plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WP_CHUNK 16384

/* ---- arena: every string of a plan lives in a few chunks ---- */

struct wp_chunk {
	struct wp_chunk *next;
	size_t used, size;
	_Alignas(8) unsigned char data[];
};

static void *arena_alloc(struct win_plan *p, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct wp_chunk *c = p->arena;
	if (!c || c->size - c->used < n) {
		size_t size = n > WP_CHUNK ? n : WP_CHUNK;
		c = malloc(sizeof *c + size);
		if (!c)
			return NULL;
		c->next = p->arena;
		c->used = 0;
		c->size = size;
		p->arena = c;
	}
	void *at = c->data + c->used;
	c->used += n;
	return at;
}

static char *arena_strdup(struct win_plan *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = arena_alloc(p, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void wp_free(struct win_plan *p)
{
	while (p->arena) {
		struct wp_chunk *next = p->arena->next;
		free(p->arena);
		p->arena = next;
	}
	free(p->aces);
	memset(p, 0, sizeof *p);
}

/* ---- UTF-8 / UTF-16 ---- */

/* Decodes one UTF-8 scalar at s; its length in *len, or 0 when invalid. */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
	static const uint32_t min[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t n = s[0] < 0x80 ? 1 : s[0] >> 5 == 6 ? 2 : s[0] >> 4 == 14 ? 3 : s[0] >> 3 == 30 ? 4 : 0;
	uint32_t c = n == 1 ? s[0] : n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
	*len = 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (n == 0 || c < min[n - 1] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*len = n;
	return c;
}

size_t wp_utf8_to_utf16(const char *s, uint16_t *out, size_t cap)
{
	size_t n = 0, len;
	for (const unsigned char *u = (const unsigned char *)s; *u; u += len) {
		uint32_t c = utf8_next(u, &len);
		if (!len || n + (c >= 0x10000 ? 2 : 1) > cap)
			return SIZE_MAX;
		if (c >= 0x10000) {
			c -= 0x10000;
			out[n++] = (uint16_t)(0xd800 | c >> 10);
			out[n++] = (uint16_t)(0xdc00 | (c & 0x3ff));
		} else
			out[n++] = (uint16_t)c;
	}
	return n;
}

/* Writes scalar c as UTF-8 at out+n; the new n, or SIZE_MAX when it does not fit. */
static size_t put_utf8(uint32_t c, char *out, size_t n, size_t cap)
{
	size_t k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	if (n + k >= cap)
		return SIZE_MAX;
	static const unsigned char lead[5] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	for (size_t i = k - 1; i > 0; i--, c >>= 6)
		out[n + i] = (char)(0x80 | (c & 0x3f));
	out[n] = (char)(k == 1 ? c : (lead[k] | c));
	return n + k;
}

size_t wp_utf16_to_utf8(const uint16_t *s, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; s[i]; i++) {
		uint32_t c = s[i];
		if (c >= 0xdc00 && c <= 0xdfff)
			return SIZE_MAX;
		if (c >= 0xd800 && c <= 0xdbff) {
			if (s[i + 1] < 0xdc00 || s[i + 1] > 0xdfff)
				return SIZE_MAX;
			c = 0x10000 + ((c - 0xd800) << 10) + (s[++i] - 0xdc00u);
		}
		n = put_utf8(c, out, n, cap);
		if (n == SIZE_MAX)
			return SIZE_MAX;
	}
	if (cap == 0)
		return SIZE_MAX;
	out[n] = 0;
	return n;
}

/* ---- Windows path values ---- */

static int is_sep(char c)
{
	return c == '\\' || c == '/';
}

static int is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* CON, PRN, AUX, NUL, COM1-9, LPT1-9, also with an extension ("nul.txt"):
   Windows opens the device, whatever the directory. */
static int is_device_name(const char *c, size_t n)
{
	static const char *const names[] = { "CON", "PRN", "AUX", "NUL" };
	size_t base = 0;
	while (base < n && c[base] != '.')
		base++;
	for (size_t i = 0; i < 4; i++)
		if (base == 3 && upper(c[0]) == names[i][0] && upper(c[1]) == names[i][1] &&
		    upper(c[2]) == names[i][2])
			return 1;
	return base == 4 && c[3] >= '1' && c[3] <= '9' &&
	       ((upper(c[0]) == 'C' && upper(c[1]) == 'O' && upper(c[2]) == 'M') ||
	        (upper(c[0]) == 'L' && upper(c[1]) == 'P' && upper(c[2]) == 'T'));
}

/* Why component [c, c+n) is not allowed, or NULL. */
static const char *check_component(const char *c, size_t n, int last)
{
	if (is_device_name(c, n))
		return "a component is a device name (CON, NUL, COM1 ...)";
	if (n == 0 && !last)
		return "it has an empty component ('\\\\')";
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return "it has a '.' or '..' component";
	if (n > 0 && (c[n - 1] == '.' || c[n - 1] == ' '))
		return "a component ends in '.' or a space (Windows would drop it)";
	return NULL;
}

const char *wp_check_value(const char *value)
{
	if (!value || !is_letter(value[0]) || value[1] != ':' || !is_sep(value[2]))
		return "it is not an absolute drive path such as C:\\work";
	size_t len = strnlen(value, SBX_PARAM_VALUE_MAX + 1);
	if (len > SBX_PARAM_VALUE_MAX)
		return "it is too long (limit is 4000 bytes)";
	for (size_t i = 0; i < len; i++) {
		unsigned char u = (unsigned char)value[i];
		if (u < 0x20 || u == 0x7f)
			return "it contains a control character";
		if (strchr("<>\"|?*", u) || (u == ':' && i != 1))
			return "it contains a character Windows does not allow in a path (< > \" | ? * or a second ':')";
	}
	for (const char *c = value + 3; *c; ) {
		size_t n = 0;
		while (c[n] && !is_sep(c[n]))
			n++;
		const char *why = check_component(c, n, c[n] == 0 || c[n + 1] == 0);
		if (why)
			return why;
		c += n + (c[n] ? 1 : 0);
	}
	return NULL;
}

void wp_normalize_value(const char *value, char *out)
{
	size_t n = 0;
	for (; value[n]; n++)
		out[n] = value[n] == '/' ? '\\' : value[n];
	out[0] = upper(out[0]);
	while (n > 3 && out[n - 1] == '\\')
		n--;
	out[n] = 0;
}

int wp_path_within(const char *outer, const char *inner)
{
	size_t n = strlen(outer);
	if (n == 3 && outer[2] == '\\')
		n = 2;                    /* "C:\\" contains everything on C: */
	for (size_t i = 0; i < n; i++)
		if (!inner[i] || upper(outer[i]) != upper(inner[i]))
			return 0;
	return inner[n] == 0 || inner[n] == '\\';
}

/* ---- the builder ---- */

struct wb {
	const struct wp_input *in;
	const struct sbx_view *v;
	struct win_plan *p;
	const char **values;          /* effective value per PARAMS index */
	int tmp_param;                /* index of TMPDIR in PARAMS, or -1 */
	char *err;
	size_t errsize;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct wb *b, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (b->errsize)
		vsnprintf(b->err, b->errsize, fmt, ap);
	va_end(ap);
	return code;
}

static int oom(struct wb *b)
{
	return fail(b, SBX_E_NOMEM, "out of memory planning the Windows sandbox");
}

static const char *param_name(const struct wb *b, size_t i)
{
	return sbx_view_str(b->v, b->v->params[i].name);
}

static int param_index(const struct wb *b, const char *name)
{
	for (size_t i = 0; i < b->v->nparams; i++)
		if (strcmp(param_name(b, i), name) == 0)
			return (int)i;
	return -1;
}

/* Case-insensitive "NAME=" lookup in a NULL-ended environment. */
static const char *env_get(const char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++) {
		size_t i = 0;
		while (i < n && (*envp)[i] && upper((*envp)[i]) == upper(name[i]))
			i++;
		if (i == n && (*envp)[n] == '=')
			return *envp + n + 1;
	}
	return NULL;
}

/* Checks and normalizes value into the arena as parameter i. */
static int set_value(struct wb *b, size_t i, const char *value, const char *origin)
{
	const char *why = wp_check_value(value);
	if (why)
		return fail(b, SBX_E_PARAM, "cannot bind %s to '%s'%s: %s", param_name(b, i), value,
		            origin, why);
	char *copy = arena_alloc(b->p, strlen(value) + 1);
	if (!copy)
		return oom(b);
	wp_normalize_value(value, copy);
	b->values[i] = copy;
	return SBX_OK;
}

/* The default of built-in parameter i (TMPDIR is chosen later). */
static int default_value(struct wb *b, size_t i)
{
	const char *name = param_name(b, i);
	if (!(b->v->params[i].flags & SBX_PARAM_F_BUILTIN))
		return fail(b, SBX_E_PARAM, "parameter %s is not bound (it has no default): pass --var %s=PATH",
		            name, name);
	if (strcmp(name, "WORKSPACE") == 0 && b->in->cwd)
		return set_value(b, i, b->in->cwd, " (the working directory)");
	if (strcmp(name, "HOME") == 0) {
		const char *home = env_get(b->in->envp, "USERPROFILE");
		if (!home || !home[0])
			return fail(b, SBX_E_PARAM, "parameter HOME is not bound (%%USERPROFILE%% is not set): "
			            "pass --var HOME=PATH");
		return set_value(b, i, home, " (%USERPROFILE%)");
	}
	if (strcmp(name, "TMPDIR") == 0)
		return SBX_OK;
	return fail(b, SBX_E_PARAM, "parameter %s is not bound (it has no default): pass --var %s=PATH",
	            name, name);
}

static int bind_values(struct wb *b)
{
	b->values = arena_alloc(b->p, (b->v->nparams + 1) * sizeof *b->values);
	if (!b->values)
		return oom(b);
	b->tmp_param = param_index(b, "TMPDIR");
	for (size_t i = 0; i < b->v->nparams; i++) {
		const char *given = b->in->values ? b->in->values[i] : NULL;
		b->values[i] = NULL;
		int rc = given ? set_value(b, i, given, "") : default_value(b, i);
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

/* Path i bound: value + wsuffix, or the literal wsuffix.  NULL with *rc set on error. */
static const char *bind_path(struct wb *b, size_t i, int *rc)
{
	const struct sbx_path *path = &b->v->paths[i];
	char suffix[WP_PATH_MAX], full[WP_PATH_MAX];
	const uint16_t *w = sbx_view_wstr(b->v, path->wsuffix);
	if (!w || wp_utf16_to_utf8(w, suffix, sizeof suffix) == SIZE_MAX) {
		*rc = fail(b, SBX_E_BLOB, "path %zu has no valid Windows form", i);
		return NULL;
	}
	const char *value = path->param == SBX_NONE ? "" : b->values[path->param];
	size_t vlen = strlen(value);
	if (vlen == 3 && suffix[0] == '\\')
		vlen = 2;                 /* "C:\\" + "\\x" is "C:\\x" */
	if (vlen + strlen(suffix) >= sizeof full) {
		*rc = fail(b, SBX_E_PARAM, "a bound path is longer than %d bytes", WP_PATH_MAX - 1);
		return NULL;
	}
	memcpy(full, value, vlen);
	strcpy(full + vlen, suffix);
	char *copy = arena_strdup(b->p, full);
	if (!copy)
		*rc = oom(b);
	return copy;
}

/* Binds every Windows path whose parameter has a value (pass 1: not TMPDIR's yet). */
static int bind_paths(struct wb *b)
{
	struct win_plan *p = b->p;
	int rc = SBX_OK;
	for (size_t i = 0; i < b->v->npaths; i++) {
		const struct sbx_path *path = &b->v->paths[i];
		if (p->paths[i] || !(path->platforms & SBX_PLAT_WINDOWS))
			continue;
		if (path->param != SBX_NONE && !b->values[path->param])
			continue;
		p->paths[i] = bind_path(b, i, &rc);
		if (!p->paths[i])
			return rc;
	}
	return SBX_OK;
}

static int rule_on_windows(const struct wb *b, size_t r)
{
	return (b->v->paths[b->v->rules[r].path].platforms & SBX_PLAT_WINDOWS) != 0;
}

/* The first writable root not made of TMPDIR, bound; NULL when there is none. */
static const char *temp_home(const struct wb *b)
{
	for (size_t r = 0; r < b->v->nrules; r++) {
		const struct sbx_fs_rule *rule = &b->v->rules[r];
		const struct sbx_path *path = &b->v->paths[rule->path];
		if (rule->kind == SBX_FS_WRITABLE && rule_on_windows(b, r) &&
		    (b->tmp_param < 0 || path->param != (uint32_t)b->tmp_param))
			return b->p->paths[rule->path];
	}
	return NULL;
}

/*
 * The private temp directory: the bound TMPDIR, else ".sbx-tmp" in the
 * first other writable root (created by the executor, so that TEMP is a
 * small directory of the sandbox's own and not the user's whole %TEMP%).
 */
static int choose_tmpdir(struct wb *b)
{
	struct win_plan *p = b->p;
	if (b->tmp_param >= 0 && b->values[b->tmp_param]) {
		p->tmpdir = b->values[b->tmp_param];
		return SBX_OK;
	}
	const char *home = temp_home(b);
	if (!home) {
		if (b->tmp_param < 0)
			return SBX_OK;    /* nothing is writable: TEMP stays as it is, and unwritable */
		return fail(b, SBX_E_PARAM, "parameter TMPDIR is not bound and no other writable root "
		            "can hold a private temp directory: pass --var TMPDIR=PATH");
	}
	char dir[WP_PATH_MAX];
	int n = snprintf(dir, sizeof dir, "%s%s%s", home, home[strlen(home) - 1] == '\\' ? "" : "\\",
	                 WP_TMP_NAME);
	if (n < 0 || (size_t)n >= sizeof dir)
		return fail(b, SBX_E_PARAM, "a bound path is longer than %d bytes", WP_PATH_MAX - 1);
	p->tmpdir = arena_strdup(p, dir);
	p->tmpdir_create = 1;
	if (!p->tmpdir)
		return oom(b);
	if (b->tmp_param >= 0)
		b->values[b->tmp_param] = p->tmpdir;
	return SBX_OK;
}

static int collect_roots(struct wb *b)
{
	struct win_plan *p = b->p;
	p->roots = arena_alloc(p, (b->v->nrules + 1) * sizeof *p->roots);
	if (!p->roots)
		return oom(b);
	for (size_t r = 0; r < b->v->nrules; r++) {
		if (b->v->rules[r].kind != SBX_FS_WRITABLE || !rule_on_windows(b, r))
			continue;
		const struct sbx_path *bp = &b->v->paths[b->v->rules[r].path];
		const char *root = p->paths[b->v->rules[r].path];
		/* Run from a drive's root, the default WORKSPACE would open the whole drive. */
		if (bp->param != SBX_NONE && strlen(root) == 3 && root[1] == ':' && root[2] == '\\')
			return fail(b, SBX_E_ROOT, "the writable root ${%s} is bound to %s: the whole drive "
			            "would be writable; pass --var %s=DIR (a project directory)",
			            param_name(b, bp->param), root, param_name(b, bp->param));
		p->roots[p->nroots++] = root;
	}
	return SBX_OK;
}

static int plan_paths(struct wb *b)
{
	struct win_plan *p = b->p;
	p->npaths = b->v->npaths;
	p->paths = arena_alloc(p, (p->npaths + 1) * sizeof *p->paths);
	if (!p->paths)
		return oom(b);
	memset(p->paths, 0, (p->npaths + 1) * sizeof *p->paths);
	int rc = bind_values(b);
	if (rc == SBX_OK)
		rc = bind_paths(b);
	if (rc == SBX_OK)
		rc = choose_tmpdir(b);
	if (rc == SBX_OK)
		rc = bind_paths(b);       /* pass 2: the paths made of TMPDIR */
	return rc == SBX_OK ? collect_roots(b) : rc;
}

/* ---- SIDs, privileges, default DACL ---- */

static int derive_sid(struct wb *b, struct wp_sid *s, const char *path)
{
	uint16_t *w = malloc(WP_PATH_MAX * sizeof *w);
	if (!w)
		return oom(b);
	size_t n = wp_utf8_to_utf16(path, w, WP_PATH_MAX);
	if (n != SIZE_MAX)
		sbx_derive_cap_sid(w, n, s->text);
	free(w);
	if (n == SIZE_MAX)
		return fail(b, SBX_E_PARAM, "the path %s is not valid UTF-8", path);
	s->path = path;
	return SBX_OK;
}

static int plan_sid(struct wb *b, const struct sbx_win_sid *in, struct wp_sid *s)
{
	s->kind = in->kind;
	if (in->kind == SBX_SID_LOGON)
		return SBX_OK;
	if (in->kind == SBX_SID_LITERAL) {
		const uint16_t *w = sbx_view_wstr(b->v, in->ref);
		if (!w || wp_utf16_to_utf8(w, s->text, sizeof s->text) == SIZE_MAX)
			return fail(b, SBX_E_BLOB, "a literal SID in the blob is not valid");
		return SBX_OK;
	}
	const char *path = in->ref < b->p->npaths ? b->p->paths[in->ref] : NULL;
	if (!path)
		return fail(b, SBX_E_BLOB, "a capability SID names a path that is not for Windows");
	return derive_sid(b, s, path);
}

static int plan_sids(struct wb *b)
{
	struct win_plan *p = b->p;
	const struct sbx_win_token *t = b->v->win_token;
	if (b->v->nwin_sids > WP_MAX_SIDS || t->restrict_count > b->v->nwin_sids)
		return fail(b, SBX_E_BLOB, "too many SIDs in the blob (limit is %d)", WP_MAX_SIDS);
	p->token_flags = t->flags;
	p->nsids = b->v->nwin_sids;
	p->nrestrict = t->restrict_count;
	for (size_t i = 0; i < p->nsids; i++) {
		int rc = plan_sid(b, &b->v->win_sids[i], &p->sids[i]);
		if (rc != SBX_OK)
			return rc;
		p->ncaps += p->sids[i].kind != SBX_SID_LOGON;
	}
	if (p->ncaps > WP_MAX_CAPS || p->ncaps > t->max_cap_sids)
		return fail(b, SBX_E_BLOB, "too many capability SIDs (limit is %u)",
		            t->max_cap_sids < WP_MAX_CAPS ? t->max_cap_sids : WP_MAX_CAPS);
	return SBX_OK;
}

static int plan_privs(struct wb *b)
{
	struct win_plan *p = b->p;
	if (b->v->nwin_privs > WP_MAX_PRIVS)
		return fail(b, SBX_E_BLOB, "too many privileges to delete (limit is %d)", WP_MAX_PRIVS);
	for (size_t i = 0; i < b->v->nwin_privs; i++) {
		char name[128];
		const uint16_t *w = sbx_view_wstr(b->v, b->v->win_privs[i]);
		if (!w || wp_utf16_to_utf8(w, name, sizeof name) == SIZE_MAX)
			return fail(b, SBX_E_BLOB, "privilege name %zu in the blob is not valid", i);
		if (!(p->privs[p->nprivs++] = arena_strdup(p, name)))
			return oom(b);
	}
	return SBX_OK;
}

static const char *sid_shown(const struct win_plan *p, uint32_t i)
{
	return p->sids[i].kind == SBX_SID_LOGON ? "<logon>" : p->sids[i].text;
}

static void add_dacl(struct win_plan *p, uint32_t who, uint32_t sid, const char *shown)
{
	struct wp_dacl *d = &p->dacl[p->ndacl++];
	d->who = who;
	d->sid = sid;
	d->mask = WP_GENERIC_ALL;
	char sid_text[SBX_SID_STR_MAX];   /* a copy: shown may live in *p too */
	snprintf(sid_text, sizeof sid_text, "%s", shown);
	snprintf(d->sddl, sizeof d->sddl, "(A;;GA;;;%s)", sid_text);
}

/*
 * The default DACL of the restricted token: objects the command creates
 * (pipes, events, sections) get it.  The user and logon SIDs let the
 * command open its own token and objects; the capability SIDs pass the
 * write-restricted check on them.
 */
static void plan_dacl(struct win_plan *p)
{
	add_dacl(p, WP_WHO_USER, 0, "<user>");
	add_dacl(p, WP_WHO_SYSTEM, 0, "SY");
	for (uint32_t i = 0; i < p->nsids; i++)
		if (p->sids[i].kind == SBX_SID_LOGON)
			add_dacl(p, WP_WHO_SID, i, "<logon>");
	for (uint32_t i = 0; i < p->nsids; i++)
		if (p->sids[i].kind != SBX_SID_LOGON)
			add_dacl(p, WP_WHO_SID, i, p->sids[i].text);
}

/* ---- ACEs ---- */

/* Case-insensitive equality (ASCII letters), for SIDs, names and paths. */
static int same_sid(const char *a, const char *b)
{
	for (; *a && upper(*a) == upper(*b); a++, b++)
		;
	return *a == *b;
}

void wp_ace_sddl(uint8_t type, uint8_t inherit, uint32_t mask, const char *sid,
                 char out[WP_SDDL_MAX])
{
	const char *inh = (inherit & 3) == 3 ? "OICI" : (inherit & 3) == 1 ? "OI" :
	                  (inherit & 3) == 2 ? "CI" : "";
	snprintf(out, WP_SDDL_MAX, "(%s;%s;0x%x;;;%s)", type == SBX_ACE_DENY ? "D" : "A", inh,
	         (unsigned)mask, sid);
}

static int plan_ace(struct wb *b, const struct sbx_win_ace *in, struct wp_ace *a)
{
	struct win_plan *p = b->p;
	if (in->sid >= p->nsids)
		return fail(b, SBX_E_BLOB, "an ACE names SID %u of %zu", in->sid, p->nsids);
	if (in->path != SBX_NONE) {
		a->object = in->path < p->npaths ? p->paths[in->path] : NULL;
	} else {
		char dev[WP_PATH_MAX];
		const uint16_t *w = sbx_view_wstr(b->v, in->target);
		if (w && wp_utf16_to_utf8(w, dev, sizeof dev) != SIZE_MAX)
			a->object = arena_strdup(p, dev);
		a->device = 1;
		if (w && !a->object)
			return oom(b);
	}
	if (!a->object)
		return fail(b, SBX_E_BLOB, "an ACE names a path that is not for Windows");
	*a = (struct wp_ace){ a->object, a->device, in->sid, in->mask, in->type, in->inherit,
	                      in->flags, in->rule,
	                      in->rule < b->v->nrules ? b->v->rules[in->rule].kind : 0, 0, "" };
	wp_ace_sddl(a->type, a->inherit, a->mask, sid_shown(p, a->sid), a->sddl);
	return SBX_OK;
}

static int plan_aces(struct wb *b)
{
	struct win_plan *p = b->p;
	if (b->v->nwin_aces > WP_MAX_ACES)
		return fail(b, SBX_E_BLOB, "too many ACEs (limit is %d)", WP_MAX_ACES);
	p->aces = calloc(b->v->nwin_aces + WP_MAX_GUARDS + 1, sizeof *p->aces);
	if (!p->aces)
		return oom(b);
	for (size_t i = 0; i < b->v->nwin_aces; i++) {
		int rc = plan_ace(b, &b->v->win_aces[i], &p->aces[i]);
		if (rc != SBX_OK)
			return rc;
		p->naces++;
	}
	return SBX_OK;
}


/* ---- guards (win_plan.h) ---- */

static int guard_known(const struct win_plan *p, const char *object, uint32_t sid, uint32_t mask)
{
	for (size_t i = p->naces - p->nguards; i < p->naces; i++)
		if (p->aces[i].sid == sid && p->aces[i].mask == mask && same_sid(p->aces[i].object, object))
			return 1;
	return 0;
}

static int add_guard(struct wb *b, const char *object, uint32_t sid, uint32_t mask)
{
	struct win_plan *p = b->p;
	if (guard_known(p, object, sid, mask))
		return SBX_OK;
	if (p->nguards >= WP_MAX_GUARDS)
		return fail(b, SBX_E_PARAM, "too many directories to guard around carve-outs (limit is %d)",
		            WP_MAX_GUARDS);
	char *copy = arena_strdup(p, object);
	if (!copy)
		return oom(b);
	struct wp_ace *a = &p->aces[p->naces++];
	p->nguards++;
	*a = (struct wp_ace){ copy, 0, sid, mask, SBX_ACE_DENY, 0, SBX_ACE_F_IMPLICIT, SBX_NONE, 0, 1, "" };
	wp_ace_sddl(a->type, a->inherit, a->mask, sid_shown(p, sid), a->sddl);
	return SBX_OK;
}

int wp_guard_next(const char *outer, const char *inner, struct wp_guard_step *s)
{
	size_t top = strlen(outer);
	int drive = top == 3 && outer[2] == '\\';
	if (drive)
		top = 2;                  /* "C:\\": the root's separator is inner's third byte */
	if (s->at <= top || !wp_path_within(outer, inner) || !inner[top] || !inner[top + drive])
		return 0;                 /* done, outside, or the root itself */
	do
		s->at--;
	while (s->at > top && inner[s->at] != '\\');
	s->len = s->at == top && drive ? top + 1 : s->at;
	s->mask = s->at == top ? WP_GUARD_PARENT : WP_GUARD_MIDDLE;
	return 1;
}

/* Guards the ancestors of carve-out `object`, from its parent up to `root`. */
static int guard_carve_out(struct wb *b, const char *object, const char *root, uint32_t sid)
{
	char path[WP_PATH_MAX];
	struct wp_guard_step s = { strlen(object), 0, 0 };
	while (wp_guard_next(root, object, &s)) {
		snprintf(path, sizeof path, "%.*s", (int)s.len, object);
		int rc = add_guard(b, path, sid, s.mask);
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

/* The writable root of capability SID `sid` (they come in rule order), or NULL. */
static const char *sid_root(const struct win_plan *p, uint32_t sid)
{
	return sid < p->ncaps && sid < p->nroots && p->sids[sid].kind != SBX_SID_LOGON ? p->roots[sid] : NULL;
}

static int plan_guards(struct wb *b)
{
	struct win_plan *p = b->p;
	size_t nblob = p->naces;
	for (size_t i = 0; i < nblob; i++) {
		const struct wp_ace *a = &p->aces[i];
		const char *root = sid_root(p, a->sid);
		if (a->type != SBX_ACE_DENY || a->device || !root ||
		    (a->kind != SBX_FS_READONLY && a->kind != SBX_FS_DENIED))
			continue;
		int rc = guard_carve_out(b, a->object, root, a->sid);
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

int wp_ace_present(const struct wp_have *have, size_t n, const struct wp_ace *want,
                   const char *sid)
{
	for (size_t i = 0; i < n; i++) {
		const struct wp_have *h = &have[i];
		if (h->type != want->type || !h->sid || !same_sid(h->sid, sid))
			continue;
		if (h->header_flags & (WP_ACE_INHERITED | WP_ACE_INHERIT_ONLY))
			continue;         /* inherited ones change with the parent; inherit-only ones do not apply here */
		if ((h->header_flags & 3u) == (want->inherit & 3u) && (h->mask & want->mask) == want->mask)
			return 1;
	}
	return 0;
}

/* ---- job ---- */

static void plan_job(struct wb *b)
{
	const struct sbx_win_job *j = b->v->win_job;
	/* KILL_ON_JOB_CLOSE is what kills the tree with the launcher: always on. */
	b->p->job = (struct wp_job){ j->limit_flags | SBX_JOB_LIMIT_KILL_ON_JOB_CLOSE,
	                             j->ui_restrictions, j->active_processes, j->job_memory_bytes,
	                             j->job_time_100ns, j->wall_ms };
}

/* ---- environment: env.c's rules with Windows's case-insensitive names ---- */

static int glob_match(const char *glob, const char *name)
{
	const char *star = NULL, *resume = NULL;
	while (*name) {
		if (*glob == '*') {
			star = glob++;
			resume = name;
		} else if (*glob == '?' || upper(*glob) == upper(*name)) {
			glob++;
			name++;
		} else if (star) {
			glob = star + 1;
			name = ++resume;
		} else
			return 0;
	}
	while (*glob == '*')
		glob++;
	return *glob == 0;
}

static int env_op_applies(const struct sbx_env_op *op)
{
	return (op->platforms & SBX_PLAT_WINDOWS) != 0;
}

/* Does variable `name` pass the keep/drop rules (docs/language.md)? */
static int env_passes(const struct sbx_view *v, const char *name)
{
	int any_keep = 0, keep = 0, exact_keep = 0, drop = 0, exact_drop = 0;
	for (size_t i = 0; i < v->nenv; i++) {
		const struct sbx_env_op *op = &v->env[i];
		if (!env_op_applies(op))
			continue;
		any_keep |= op->op == SBX_ENV_KEEP;
		if (op->op == SBX_ENV_SET || !glob_match(sbx_view_str(v, op->name), name))
			continue;
		int exact = (op->flags & SBX_ENV_F_EXACT) != 0;
		if (op->op == SBX_ENV_KEEP) {
			keep = 1;
			exact_keep |= exact;
		} else if (op->op == SBX_ENV_DROP) {
			drop = 1;
			exact_drop |= exact;
		}
	}
	if ((any_keep && !keep) || exact_drop)
		return 0;
	return !drop || exact_keep;
}

/* Windows itself needs these (DLL loading, the C runtime); they hold no secret. */
static int is_system_var(const char *name)
{
	return same_sid(name, "SystemRoot") || same_sid(name, "windir");
}

static int is_temp_var(const char *name)
{
	return same_sid(name, "TEMP") || same_sid(name, "TMP") || same_sid(name, "TMPDIR");
}

static int env_policy_sets(const struct wb *b, const char *name)
{
	for (size_t i = 0; i < b->v->nenv; i++) {
		const struct sbx_env_op *op = &b->v->env[i];
		if (op->op == SBX_ENV_SET && env_op_applies(op) && same_sid(sbx_view_str(b->v, op->name), name))
			return 1;
	}
	return 0;
}

/* Is `name` set by the policy, or by us (the temp variables)? */
static int env_overridden(const struct wb *b, const char *name)
{
	return (b->p->tmpdir && is_temp_var(name)) || env_policy_sets(b, name);
}

static int env_push(struct wb *b, const char *name, const char *value, size_t *bytes)
{
	struct win_plan *p = b->p;
	size_t n = strlen(name), m = strlen(value);
	*bytes += n + m + 2;
	if (p->nenv >= WP_ENV_MAX || *bytes > WP_ENV_BYTES)
		return fail(b, SBX_E_ARG, "too many environment variables (limit is %d, %u bytes)",
		            WP_ENV_MAX, WP_ENV_BYTES);
	char *s = arena_alloc(p, n + m + 2);
	if (!s)
		return oom(b);
	memcpy(s, name, n);
	s[n] = '=';
	memcpy(s + n + 1, value, m + 1);
	p->envp[p->nenv++] = s;
	return SBX_OK;
}

/* Already set by an earlier op?  Windows names are case-insensitive:
   HTTP_PROXY and http_proxy are one variable there, and the first wins. */
static int env_pushed(const struct win_plan *p, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < p->nenv; i++)
		if (strncasecmp(p->envp[i], name, n) == 0 && p->envp[i][n] == '=')
			return 1;
	return 0;
}

static int env_sets(struct wb *b, size_t *bytes)
{
	int rc = SBX_OK;
	for (size_t i = 0; i < b->v->nenv && rc == SBX_OK; i++) {
		const struct sbx_env_op *op = &b->v->env[i];
		if (op->op != SBX_ENV_SET || !env_op_applies(op) ||
		    env_pushed(b->p, sbx_view_str(b->v, op->name)))
			continue;
		rc = env_push(b, sbx_view_str(b->v, op->name), sbx_view_str(b->v, op->value), bytes);
		b->p->net_advisory |= (op->flags & SBX_ENV_F_NET_ADVISORY) != 0;
	}
	static const char *const temps[] = { "TEMP", "TMP", "TMPDIR" };
	for (size_t i = 0; i < 3 && rc == SBX_OK && b->p->tmpdir; i++)
		if (!env_policy_sets(b, temps[i]))
			rc = env_push(b, temps[i], b->p->tmpdir, bytes);
	return rc;
}

/* Case-insensitive order of names, as Windows wants an environment block. */
static int env_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	for (;; a++, b++) {
		char ca = *a == '=' ? 0 : upper(*a), cb = *b == '=' ? 0 : upper(*b);
		if (ca != cb || !ca)
			return (unsigned char)ca - (unsigned char)cb;
	}
}

/* The name of "NAME=VALUE" into buf (a leading '=' is part of a name); 0 if none fits. */
static int env_name(const char *entry, char *buf, size_t size)
{
	const char *eq = entry[0] ? strchr(entry + 1, '=') : NULL;
	if (!eq || (size_t)(eq - entry) >= size)
		return 0;
	memcpy(buf, entry, (size_t)(eq - entry));
	buf[eq - entry] = 0;
	return 1;
}

static int plan_env(struct wb *b)
{
	struct win_plan *p = b->p;
	size_t count = b->v->nenv + 4, bytes = 0;
	for (const char *const *e = b->in->envp; e && *e; e++)
		count++;
	p->envp = arena_alloc(p, (count + 1) * sizeof *p->envp);
	if (!p->envp)
		return oom(b);
	int rc = env_sets(b, &bytes);
	char name[256];
	for (const char *const *e = b->in->envp; e && *e && rc == SBX_OK; e++) {
		if (!env_name(*e, name, sizeof name) || name[0] == '=' || env_overridden(b, name) ||
		    (!env_passes(b->v, name) && !is_system_var(name)))
			continue;
		rc = env_push(b, name, *e + strlen(name) + 1, &bytes);
	}
	if (rc != SBX_OK)
		return rc;
	qsort(p->envp, p->nenv, sizeof *p->envp, env_cmp);
	p->envp[p->nenv] = NULL;
	p->net_advisory |= b->v->network->mode == SBX_NET_OFFLINE;
	return SBX_OK;
}

/* ---- the command line ---- */

/* Appends n copies of c at out[*len]; 0 when it does not fit. */
static int put_chars(char *out, size_t size, size_t *len, char c, size_t n)
{
	if (n && *len + n >= size)
		return 0;
	memset(out + *len, c, n);
	*len += n;
	return 1;
}

/* One argument, quoted when needed: backslashes double only before a quote. */
static int quote_arg(const char *arg, char *out, size_t size, size_t *len)
{
	int quote = !arg[0] || strpbrk(arg, " \t\n\v\"") != NULL;
	if (quote && !put_chars(out, size, len, '"', 1))
		return 0;
	for (const char *c = arg;; c++) {
		size_t slashes = 0;
		while (*c == '\\') {
			slashes++;
			c++;
		}
		if (!*c)
			return put_chars(out, size, len, '\\', quote ? 2 * slashes : slashes) &&
			       (!quote || put_chars(out, size, len, '"', 1));
		if (*c == '"' && !(put_chars(out, size, len, '\\', 2 * slashes + 1) &&
		                   put_chars(out, size, len, '"', 1)))
			return 0;
		if (*c != '"' && !(put_chars(out, size, len, '\\', slashes) &&
		                   put_chars(out, size, len, *c, 1)))
			return 0;
	}
}

size_t wp_cmdline(const char *const *argv, char *out, size_t size)
{
	size_t len = 0;
	if (!argv || !argv[0] || size == 0)
		return 0;
	for (size_t i = 0; argv[i]; i++)
		if ((i && !put_chars(out, size, &len, ' ', 1)) || !quote_arg(argv[i], out, size, &len))
			return 0;
	out[len] = 0;
	return len;
}

/* ---- the whole plan ---- */

int wp_build(const struct wp_input *in, struct win_plan *out, char *err, size_t errsize)
{
	struct wb b = { in, in ? in->v : NULL, out, NULL, -1, err, errsize };
	memset(out, 0, sizeof *out);
	if (errsize)
		err[0] = 0;
	if (!in || !in->v)
		return fail(&b, SBX_E_ARG, "no verified policy to plan from");
	if (!(in->v->header->flags & SBX_BLOB_F_WINDOWS) || !in->v->win_token || !in->v->win_job)
		return fail(&b, SBX_E_BLOB, "the policy was not compiled for Windows "
		            "(sbxc compile --target windows or all)");
	int rc = plan_paths(&b);
	if (rc == SBX_OK)
		rc = plan_sids(&b);
	if (rc == SBX_OK)
		rc = plan_privs(&b);
	if (rc == SBX_OK) {
		plan_dacl(out);
		rc = plan_aces(&b);
	}
	if (rc == SBX_OK)
		rc = plan_guards(&b);
	if (rc == SBX_OK) {
		plan_job(&b);
		rc = plan_env(&b);
	}
	if (rc != SBX_OK)
		wp_free(out);
	return rc;
}
