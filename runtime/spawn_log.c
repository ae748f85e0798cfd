/*
 * spawn_log.c - what the JSON log (docs/runtime.md) says alike on every
 * platform: the "error" line, the limits of the "spawn" line (each backend
 * names its own mechanisms) and the "exit" line (the backend says how to
 * tell whether a path exists).
 */
#include "rt.h"

#include <stdio.h>
#include <string.h>

void rt_log_error(const struct sbx_ctx *ctx, int rc, const char *platform)
{
	struct rt_json j;
	char code[16];
	rt_json_begin(&j);
	rt_json_str(&j, "event", "error");
	rt_json_time(&j);
	if (platform)
		rt_json_str(&j, "platform", platform);
	rt_json_hex(&j, "policy_id", ctx->view.header->policy_id);
	snprintf(code, sizeof code, "%d", rc == SBX_E_NOTFOUND ? 127 : rc == SBX_E_NOEXEC ? 126 : 125);
	rt_json_raw(&j, "status", code);
	rt_json_str(&j, "kind", sbx_rt_strerror(rc));
	rt_json_str(&j, "message", ctx->err);
	rt_json_emit(&j, ctx->log_fd);
}

static void log_limit(struct rt_json *j, const char *key, uint64_t value, const char *by)
{
	if (!value)
		return;
	rt_json_open(j, key, '{');
	rt_json_u64(j, "value", value);
	rt_json_str(j, "enforced_by", by);
	rt_json_close(j, '}');
}

void rt_log_limits(struct rt_json *j, const struct sbx_limits *lim, const char *const by[4])
{
	rt_json_open(j, "limits", '{');
	log_limit(j, "processes", lim->max_processes, by[0]);
	log_limit(j, "memory_bytes", lim->memory_bytes, by[1]);
	log_limit(j, "cpu_seconds", lim->cpu_seconds, by[2]);
	log_limit(j, "wall_seconds", lim->wall_seconds, by[3]);
	rt_json_close(j, '}');
}

/* Lists (into the log) the watched carve-outs that exist now; returns how many. */
static int log_appeared(struct rt_json *j, const struct sbx_proc *p, int (*exists)(const char *))
{
	int n = 0;
	rt_json_open(j, "appeared", '[');
	for (size_t off = 0; off < p->watch_len; off += strlen(p->watch + off) + 1)
		if (exists(p->watch + off)) {
			rt_json_str(j, NULL, p->watch + off);
			n++;
		}
	rt_json_close(j, ']');
	return n;
}

void rt_log_exit(const struct sbx_proc *p, struct sbx_exit *ex, int (*exists)(const char *))
{
	struct rt_json j;
	rt_json_begin(&j);
	rt_json_str(&j, "event", "exit");
	rt_json_time(&j);
	rt_json_hex(&j, "policy_id", p->policy_id);
	if (ex->signal)
		rt_json_raw(&j, "exit_code", "null");
	else
		rt_json_i64(&j, "exit_code", ex->exit_code);
	rt_json_i64(&j, "signal", ex->signal);
	rt_json_i64(&j, "status", ex->code);
	rt_json_u64(&j, "duration_ms", ex->duration_us / 1000);
	rt_json_u64(&j, "user_ms", ex->user_us / 1000);
	rt_json_u64(&j, "sys_ms", ex->sys_us / 1000);
	rt_json_u64(&j, "max_rss_kb", ex->maxrss_kb);
	rt_json_str(&j, "limit", ex->limit);
	ex->appeared = log_appeared(&j, p, exists);
	rt_json_emit(&j, p->log_fd);
}
