/*
 * exit_log.c - the "exit" line of the JSON log (docs/runtime.md), the same
 * on every platform; the backend says how to tell whether a path exists.
 */
#include "rt.h"

#include <string.h>

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
