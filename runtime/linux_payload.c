/*
 * linux_payload.c - what the launcher sends the exec'd init (sbx-init):
 * the blob's bytes, the plan's decisions (struct lx_plan), the bound
 * paths, argv, the filtered environment and the working directory, in one
 * buffer the launcher writes to a memfd before cloning.
 *
 * sbx-init trusts none of it: it checks every length and count against
 * what is left, verifies the blob again with sbx_blob_verify, checks the
 * plan's indices against the view, and refuses anything else (LX_R_HELPER,
 * and the launcher starts init as a copy instead).
 *
 * Layout (native byte order: both ends run on one machine):
 *   u32 magic, u32 version, u32 sizeof(struct lx_plan), u32 0
 *   the plan's bytes (pointers zeroed), padded to 8
 *   u64 blob length, the blob, padded to 8
 *   string lists: paths, argv, envp (u32 count, then the strings)
 *   strings: PATH's value (may be absent), cwd
 *   u32 magic
 * A string is u32 length (LX_NO_STRING: absent), its bytes and a NUL.
 */
#include "linux.h"

#include <stdlib.h>
#include <string.h>

#define LX_PAYLOAD_MAGIC   0x49584253u   /* "SBXI" */
#define LX_PAYLOAD_VERSION 1u
#define LX_NO_STRING       0xffffffffu
#define LX_ARGV_MAX        (1u << 20)

/* A writer that only counts when buf is NULL: one pass sizes, one fills. */
struct lx_out {
	uint8_t *buf;
	size_t len;
};

static void put(struct lx_out *o, const void *p, size_t n)
{
	if (o->buf && n)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void put_u32(struct lx_out *o, uint32_t x) { put(o, &x, sizeof x); }

static void put_pad(struct lx_out *o)
{
	static const uint8_t zero[8];
	put(o, zero, (8 - o->len % 8) % 8);
}

static void put_str(struct lx_out *o, const char *s)
{
	if (!s) {
		put_u32(o, LX_NO_STRING);
		return;
	}
	size_t n = strlen(s);
	put_u32(o, (uint32_t)n);
	put(o, s, n + 1);
}

static void put_list(struct lx_out *o, const char *const *list, size_t n)
{
	put_u32(o, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_str(o, list[i]);
}

static size_t count(const char *const *list)
{
	size_t n = 0;
	while (list[n])
		n++;
	return n;
}

static void put_all(struct lx_out *o, const struct lx_plan *P)
{
	const struct rt_spawn *s = P->s;
	struct lx_plan copy = *P;
	uint64_t blob_len = s->v->header->total_size;
	copy.s = NULL;
	copy.batch = NULL;
	copy.report_fd = LX_INIT_REPORT_FD;
	const uint32_t head[4] = { LX_PAYLOAD_MAGIC, LX_PAYLOAD_VERSION, sizeof copy, 0 };
	put(o, head, sizeof head);
	put(o, &copy, sizeof copy);
	put_pad(o);
	put(o, &blob_len, sizeof blob_len);
	put(o, s->v->header, (size_t)blob_len);
	put_pad(o);
	put_list(o, (const char *const *)s->paths->path, s->paths->npaths);
	put_list(o, s->argv, count(s->argv));
	put_list(o, (const char *const *)s->env->envp, count((const char *const *)s->env->envp));
	put_str(o, s->env->path);
	put_str(o, s->cwd);
	put_u32(o, LX_PAYLOAD_MAGIC);
}

int lx_payload_build(const struct lx_plan *P, uint8_t **out, size_t *len)
{
	struct lx_out o = { NULL, 0 };
	put_all(&o, P);
	if (o.len > LX_PAYLOAD_MAX)
		return -1;
	o.buf = malloc(o.len);
	if (!o.buf)
		return -1;
	o.len = 0;
	put_all(&o, P);
	*out = o.buf;
	*len = o.len;
	return 0;
}

/* ================= sbx-init's side ================= */

struct lx_in {
	uint8_t *buf;
	size_t len, off;
	const char *why;   /* the first problem found */
};

static int bad(struct lx_in *in, const char *why)
{
	if (!in->why)
		in->why = why;
	return -1;
}

static void *take(struct lx_in *in, size_t n)
{
	if (in->why || n > in->len - in->off) {
		bad(in, "the payload is truncated");
		return NULL;
	}
	void *p = in->buf + in->off;
	in->off += n;
	return p;
}

static uint32_t take_u32(struct lx_in *in)
{
	uint32_t x = 0;
	const void *p = take(in, sizeof x);
	if (p)
		memcpy(&x, p, sizeof x);
	return x;
}

static void take_pad(struct lx_in *in)
{
	take(in, (8 - in->off % 8) % 8);
}

/* A string in place; NULL when absent or malformed (then in->why says so). */
static char *take_str(struct lx_in *in)
{
	uint32_t n = take_u32(in);
	if (n == LX_NO_STRING || in->why)
		return NULL;
	char *s = n < LX_PAYLOAD_MAX ? take(in, (size_t)n + 1) : NULL;
	if (!s || s[n] != 0 || memchr(s, 0, n)) {
		bad(in, "a string in the payload is malformed");
		return NULL;
	}
	return s;
}

/* A NULL-terminated array of at most `max` strings pointing into the payload. */
static char **take_list(struct lx_in *in, size_t max, size_t *n, int nulls)
{
	uint32_t cnt = take_u32(in);
	if (in->why)
		return NULL;
	if (cnt > max || cnt > (in->len - in->off) / sizeof(uint32_t)) {
		bad(in, "a list in the payload is too long");
		return NULL;
	}
	char **list = calloc((size_t)cnt + 1, sizeof *list);
	if (!list) {
		bad(in, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < cnt && !in->why; i++)
		if (!(list[i] = take_str(in)) && !nulls)
			bad(in, "a list in the payload has a hole");
	*n = cnt;
	return list;
}

/* The blob, verified again: the view points into the payload. */
static int take_blob(struct lx_in *in, struct lx_init *I)
{
	uint64_t blob_len = 0;
	const void *p = take(in, sizeof blob_len);
	if (p)
		memcpy(&blob_len, p, sizeof blob_len);
	const void *blob = blob_len <= LX_PAYLOAD_MAX ? take(in, (size_t)blob_len) : NULL;
	if (!blob)
		return bad(in, "the payload's blob is truncated");
	take_pad(in);
	if (sbx_blob_verify(blob, (size_t)blob_len, &I->v, NULL, 0) != SBX_OK)
		return bad(in, "the payload's blob does not verify");
	if (!(I->v.header->flags & SBX_BLOB_F_LINUX) || !I->v.landlock)
		return bad(in, "the payload's blob is not for Linux");
	if (I->v.nmounts > LX_MAX_MOUNTS || I->v.nrlimits > LX_MAX_RLIMITS)
		return bad(in, "the payload's blob has too many mounts or limits");
	return 0;
}

/* The plan's indices stay inside the view and the paths. */
static int check_plan(struct lx_in *in, const struct lx_init *I)
{
	const struct lx_plan *P = &I->P;
	if (P->nroots > LX_MAX_MOUNTS || P->nrlim > LX_MAX_RLIMITS)
		return bad(in, "the payload's plan has too many roots or limits");
	/* init writes them with strlen: each must end inside its array. */
	if (!memchr(P->uid_map, 0, sizeof P->uid_map) || !memchr(P->gid_map, 0, sizeof P->gid_map))
		return bad(in, "the payload's plan has an unterminated id map");
	for (size_t i = 0; i < P->nroots; i++)
		if (P->roots[i] >= I->paths.npaths || !I->paths.path[P->roots[i]])
			return bad(in, "the payload's plan names a path that is not bound");
	if (I->paths.npaths != I->v.npaths)
		return bad(in, "the payload's paths do not match the blob");
	if (!I->argv[0] || !I->argv[0][0] || !I->s.cwd || I->s.cwd[0] != '/')
		return bad(in, "the payload has no command or no absolute working directory");
	return 0;
}

static int take_strings(struct lx_in *in, struct lx_init *I)
{
	size_t n = 0;
	I->paths.path = take_list(in, RT_MAX_PATHS, &I->paths.npaths, 1);
	I->argv = (const char **)take_list(in, LX_ARGV_MAX, &n, 0);
	I->env.envp = take_list(in, RT_MAX_ENV, &n, 0);
	I->env.path = take_str(in);
	I->s.cwd = take_str(in);
	if (take_u32(in) != LX_PAYLOAD_MAGIC || in->off != in->len)
		return bad(in, "the payload does not end where it should");
	return in->why ? -1 : 0;
}

int lx_payload_parse(void *buf, size_t len, struct lx_init *I, const char **why)
{
	struct lx_in in = { buf, len, 0, NULL };
	memset(I, 0, sizeof *I);
	const uint32_t *head = take(&in, 4 * sizeof(uint32_t));
	const void *plan = NULL;
	if (head && (head[0] != LX_PAYLOAD_MAGIC || head[1] != LX_PAYLOAD_VERSION ||
	             head[2] != sizeof I->P))
		bad(&in, "the payload comes from another version of libsbxrt");
	if ((plan = take(&in, sizeof I->P)))
		memcpy(&I->P, plan, sizeof I->P);
	take_pad(&in);
	if (!in.why && take_blob(&in, I) == 0 && take_strings(&in, I) == 0)
		check_plan(&in, I);
	I->s = (struct rt_spawn){ NULL, &I->v, &I->paths, &I->env, I->argv, I->s.cwd, 0,
	                          { -1, -1, -1 }, -1 };
	I->P.s = &I->s;
	I->P.batch = NULL;
	I->P.report_fd = LX_INIT_REPORT_FD;
	*why = in.why;
	return in.why ? -1 : 0;
}

void lx_payload_release(struct lx_init *I)
{
	free(I->paths.path);
	free((void *)I->argv);
	free(I->env.envp);
	memset(I, 0, sizeof *I);
}
