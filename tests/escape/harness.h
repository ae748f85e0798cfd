/*
 * harness.h - runs commands in real sandboxes for the runtime tests
 * (tests/test_rt_*.c).  Include escape/harness.c once from a test file:
 * tests/CMakeLists.txt links only support.c.
 *
 * Every test gets a fresh directory tree:
 *   T/ws        the workspace (writable), with T/ws/.git (a read-only carve-out)
 *   T/home      HOME, with the secrets .ssh/id_rsa and .netrc (denied)
 *   T/tmp       TMPDIR (writable)
 *   T/outside   a directory no rule makes writable, with a file in it
 * Helpers written in C run inside the sandbox by re-executing this test
 * binary with "--sbx-helper NAME ARGS..." (see harness.c).
 */
#ifndef SBX_TEST_HARNESS_H
#define SBX_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define SECRET "SECRET-KEY-3f9a"
#define ORIGINAL "ORIGINAL-CONTENT"

/* The policy most tests use: workspace-write with small limits. */
#define STD_POLICY STD_POLICY_WITH("")
/* The same with more statements (a string literal). */
#define STD_POLICY_WITH(statements) \
	"sbxpol 1;\n" \
	"policy t {\n" \
	"  param WORKSPACE, HOME, TMPDIR;\n" \
	"  readonly \"/\";\n" \
	"  writable \"${WORKSPACE}\", \"${TMPDIR}\";\n" \
	"  readonly \"${WORKSPACE}/.git\";\n" \
	"  denied \"${HOME}/.ssh\", \"${HOME}/.netrc\";\n" \
	"  network offline;\n" \
	"  limit wall 120s;\n" \
	statements \
	"}\n"

struct sb {
	char *root, *ws, *home, *tmp, *outside;
	char *exe;          /* this test binary */
	char *log;          /* T/log.jsonl, written by every run */
};

struct sb_result {
	int spawn_rc;       /* SBX_OK or the code sbx_spawn returned */
	char err[512];      /* sbx_ctx_error after a failed spawn */
	int code;           /* exit code or 128+signal */
	int signal;
	const char *limit;
	uint64_t duration_ms;
	char *out;          /* stdout + stderr, malloc'd */
};

void sb_setup(struct sb *s);
void sb_teardown(struct sb *s);
void sb_result_free(struct sb_result *r);

/* Runs argv under `policy` (policy text) with cwd T/ws; extra "NAME=VALUE" env may be NULL. */
void sb_run(struct sb *s, const char *policy, const char *const *argv,
            const char *const *extra_env, struct sb_result *r);
/* sh -c script */
void sb_sh(struct sb *s, const char *policy, const char *script, struct sb_result *r);
/* This binary's helper NAME with up to two arguments (NULL = none). */
void sb_helper(struct sb *s, const char *policy, const char *name, const char *a1,
               const char *a2, struct sb_result *r);

/*
 * Makes system call `nr` fail with `err` in this process and everything it
 * starts (a seccomp filter): simulates a kernel without a mechanism.  Call
 * it in a forked child before exec.
 */
void sb_deny_syscall(int nr, int err);

/* A file's content (malloc'd, "" when absent, never NULL). */
char *sb_read(const char *dir, const char *name);
/* Compiles policy (text) for Linux into T/name; the path, malloc'd. */
char *sb_write_blob(const struct sb *s, const char *policy, const char *name);
int sb_exists(const char *dir, const char *name);
/* Formats into a static-free malloc'd string. */
char *sb_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A TCP (or UDP) listener on 127.0.0.1 outside any sandbox; returns the fd, port in *port. */
int sb_listen4(int type, int *port);
int sb_listen6(int *port);   /* -1 when IPv6 is unavailable */
/* Did anything connect to / arrive at the listener (non-blocking check)? */
int sb_touched(int fd, int type);

#endif
