/*
 * test_fuzz_replay.c - replays every file of fuzz/corpus/<target>/ and
 * fuzz/regressions/<target>/ through the fuzz targets' bodies, so that the
 * properties the fuzzers check (and every crash they once found) are
 * checked on each ctest run, with the normal compiler and under ASan.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* The bodies are compiled into this test: tests/CMakeLists.txt builds one file per test. */
#include "../fuzz/fuzz_bind_body.c"
#include "../fuzz/fuzz_compile_body.c"
#include "../fuzz/fuzz_json.c"
#include "../fuzz/fuzz_payload_body.c"
#include "../fuzz/fuzz_policy.c"
#include "../fuzz/fuzz_verify_body.c"

typedef const char *(*fuzz_body)(const uint8_t *data, size_t size);

/* Runs every file in SBX_SOURCE_DIR/fuzz/<kind>/<target>; returns how many. */
static size_t replay_dir(const char *kind, const char *target, fuzz_body body)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", SBX_SOURCE_DIR, kind, target);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t len = 0;
		char *data = t_read_file(path, &len);
		cr_assert_not_null(data, "cannot read %s", path);
		const char *why = body((const uint8_t *)data, len);
		cr_expect_null(why, "%s: %s", path, why ? why : "");
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

static void replay(const char *target, fuzz_body body, size_t min_seeds)
{
	size_t seeds = replay_dir("corpus", target, body);
	replay_dir("regressions", target, body);
	cr_expect_geq(seeds, min_seeds, "fuzz/corpus/%s holds %zu seeds, expected at least %zu",
	              target, seeds, min_seeds);
}

Test(fuzz_replay, compile)
{
	replay("compile", sbx_fuzz_compile, 10);
}

Test(fuzz_replay, verify)
{
	replay("verify", sbx_fuzz_verify, 5);
}

Test(fuzz_replay, bind)
{
	replay("bind", sbx_fuzz_bind, 10);
}

Test(fuzz_replay, payload)
{
	replay("payload", sbx_fuzz_payload, 6);
}

/* The properties must be able to fail: a checker that accepts anything proves nothing. */
Test(fuzz_replay, payload_oracle_catches_a_bad_decode)
{
	size_t len = 0;
	uint8_t *buf = base_payload(&len);
	const char *why = NULL;
	struct lx_init I;
	cr_assert_not_null(buf);
	cr_assert_eq(lx_payload_parse(buf, len, &I, &why), 0, "%s", why);
	cr_expect_null(check_accepted(buf, len, &I));
	I.P.report_fd = 7;
	cr_expect_not_null(check_accepted(buf, len, &I));
	I.P.report_fd = LX_INIT_REPORT_FD;
	I.s.cwd = "relative";
	cr_expect_not_null(check_accepted(buf, len, &I));
	I.s.cwd = "/outside/the/payload";
	cr_expect_not_null(check_accepted(buf, len, &I));
	lx_payload_release(&I);
	free(buf);
}

Test(fuzz_replay, json_checker_rejects_malformed_json)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"\x01\"", "\"\xff\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\\x\"", "01", "1.", "tru", "{} {}", "[\"a\"", "nul",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not(sbx_fuzz_json_valid(bad[i], strlen(bad[i])), "accepted: %s", bad[i]);
	static const char *const good[] = {
		"{}", "[]", " {\"a\": [1, -2.5e3, true, false, null, \"caf\xc3\xa9 \\u00e9\\n\"]}\n", "0",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		cr_expect(sbx_fuzz_json_valid(good[i], strlen(good[i])), "rejected: %s", good[i]);
}

Test(fuzz_replay, bind_oracle_catches_a_cut_value)
{
	/* The regression input: a 4002-byte value whose first 4001 bytes end in '/'. */
	char *v = malloc(4003);
	cr_assert_not_null(v);
	v[0] = '/';
	memset(v + 1, 'x', 3999);
	memcpy(v + 4000, "/y", 3);
	cr_expect_not(acceptable(v), "the oracle must refuse a value over the limit");
	v[4001] = '\0';
	char *s = stripped(v);
	cr_expect(acceptable(s), "'/xxx.../' is 4000 bytes once stripped");
	free(s);
	free(v);
}
