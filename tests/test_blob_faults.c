/*
 * test_blob_faults.c - a policy blob that is not what it should be:
 * truncated at every interesting length, grown, a directory, a FIFO with no
 * writer, /dev/zero, or changed on disk after the runtime loaded it.
 * `sbxrun --policy` and `sbxc explain` must give a clear error and exit
 * with their documented status (125 for sbxrun, 3 or 4 for sbxc), never
 * hang or crash; a loaded context must not see later changes to the file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sbx/sbxrt.h"
#include "support.h"

struct files {
	char *dir;
	char blob[4200];     /* a good Linux blob of policies/workspace-write.sbxpol */
	char bad[4200];      /* scratch file for the broken variants */
	uint8_t *bytes;
	size_t len;
};

static void make_files(struct files *f)
{
	memset(f, 0, sizeof *f);
	f->dir = t_tmpdir();
	cr_assert_not_null(f->dir);
	snprintf(f->blob, sizeof f->blob, "%s/good.sbxblob", f->dir);
	snprintf(f->bad, sizeof f->bad, "%s/bad.sbxblob", f->dir);
	char *cmd = NULL, *out = NULL;
	cr_assert_geq(asprintf(&cmd, "'%s' compile '%s/policies/workspace-write.sbxpol' --target linux -o '%s'",
	                       SBXC_PATH, SBX_SOURCE_DIR, f->blob), 0);
	cr_assert_eq(t_run(cmd, &out), 0, "%s", out);
	free(cmd);
	free(out);
	f->bytes = (uint8_t *)t_read_file(f->blob, &f->len);
	cr_assert(f->bytes && f->len > 200);
}

static void free_files(struct files *f)
{
	char *cmd = NULL;
	if (asprintf(&cmd, "rm -rf '%s'", f->dir) >= 0)
		t_run(cmd, NULL);
	free(cmd);
	free(f->dir);
	free(f->bytes);
}

/* Runs `sbxrun --policy path -- true`; its exit status, output in *out. */
static int sbxrun_policy(const char *path, char **out)
{
	char *cmd = NULL;
	cr_assert_geq(asprintf(&cmd, "'%s/sbxrun' --policy '%s' -- true", SBX_BINARY_DIR, path), 0);
	int rc = t_run(cmd, out);
	free(cmd);
	return rc;
}

static int sbxc_explain(const char *path, char **out)
{
	char *cmd = NULL;
	cr_assert_geq(asprintf(&cmd, "'%s' explain '%s' >/dev/null", SBXC_PATH, path), 0);
	int rc = t_run(cmd, out);
	free(cmd);
	return rc;
}

/* Both tools refuse `path` with a one-line reason that names the problem. */
static void expect_refused(const char *path, int explain_rc, const char *reason)
{
	char *out = NULL;
	cr_expect_eq(sbxrun_policy(path, &out), 125, "sbxrun --policy %s: %s", path, out);
	cr_expect(strstr(out, reason) != NULL, "sbxrun --policy %s should say '%s': %s", path, reason, out);
	free(out);
	cr_expect_eq(sbxc_explain(path, &out), explain_rc, "sbxc explain %s: %s", path, out);
	cr_expect(strstr(out, "sbxc: ") != NULL, "sbxc explain %s should say why: %s", path, out);
	free(out);
}

Test(blob_faults, truncated_at_every_interesting_length)
{
	struct files f;
	make_files(&f);
	const size_t cuts[] = { 0, 1, 8, 55, 56, 64, f.len / 2, f.len - 8, f.len - 1 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		cr_assert_eq(t_write_file(f.bad, f.bytes, cuts[i]), 0);
		expect_refused(f.bad, 4, cuts[i] == 0 ? "bytes" : "truncated");
	}
	free_files(&f);
}

Test(blob_faults, grown_by_trailing_bytes)
{
	struct files f;
	make_files(&f);
	uint8_t *grown = calloc(1, f.len + 8);
	cr_assert_not_null(grown);
	memcpy(grown, f.bytes, f.len);
	cr_assert_eq(t_write_file(f.bad, grown, f.len + 8), 0);
	expect_refused(f.bad, 4, "not valid");
	free(grown);
	free_files(&f);
}

Test(blob_faults, not_a_regular_file)
{
	struct files f;
	make_files(&f);
	expect_refused(f.dir, 3, "not a regular file");
	expect_refused("/dev/zero", 3, "not a regular file");
	/* A FIFO nobody writes to: opening it must not wait for a writer. */
	char fifo[4300];
	snprintf(fifo, sizeof fifo, "%s/fifo.sbxblob", f.dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	expect_refused(fifo, 3, "not a regular file");
	free_files(&f);
}

Test(blob_faults, good_blob_still_runs)
{
	/* The control: the same file unbroken is accepted by both tools. */
	struct files f;
	make_files(&f);
	char *out = NULL;
	cr_expect_eq(sbxc_explain(f.blob, &out), 0, "%s", out);
	free(out);
	struct sbx_ctx *ctx = sbx_ctx_create();
	cr_assert_not_null(ctx);
	cr_expect_eq(sbx_ctx_open_blob(ctx, f.blob), SBX_OK, "%s", sbx_ctx_error(ctx));
	sbx_ctx_destroy(&ctx);
	free_files(&f);
}

/* A context that loaded the blob keeps the verified bytes whatever happens to the file. */
static void change_after_load(int truncate_it)
{
	struct files f;
	make_files(&f);
	struct sbx_ctx *ctx = sbx_ctx_create();
	cr_assert_not_null(ctx);
	cr_assert_eq(sbx_ctx_open_blob(ctx, f.blob), SBX_OK, "%s", sbx_ctx_error(ctx));
	if (truncate_it) {
		cr_assert_eq(truncate(f.blob, 0), 0);
	} else {
		FILE *w = fopen(f.blob, "r+");   /* in place: the same inode, as `cp` would */
		cr_assert_not_null(w);
		for (size_t i = 0; i < f.len; i++)
			fputc(0xff, w);
		cr_assert_eq(fclose(w), 0);
	}
	const struct sbx_view *v = sbx_ctx_view(ctx);
	cr_assert_not_null(v);
	cr_expect_eq(memcmp(v->header, f.bytes, f.len), 0, "the loaded blob changed with the file");
	cr_expect_eq(sbx_ctx_bind(ctx, "WORKSPACE", "/tmp"), SBX_OK, "%s", sbx_ctx_error(ctx));
	sbx_ctx_destroy(&ctx);
	free_files(&f);
}

Test(blob_faults, truncated_on_disk_after_loading)
{
	change_after_load(1);
}

Test(blob_faults, rewritten_on_disk_after_loading)
{
	change_after_load(0);
}
