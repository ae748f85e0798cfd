/*
 * blob_fixture.h - a small, valid policy blob built by hand (test only).
 *
 * fx_init() fills a struct fx with a policy that uses every section; a test
 * changes one field and calls fx_build(), which lays the blob out and
 * computes the checksum, so the change reaches the check it is about.
 * Include blob_fixture.c once from a test file (tests/CMakeLists.txt links
 * only support.c).
 */
#ifndef SBX_BLOB_FIXTURE_H
#define SBX_BLOB_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "sbx/blob.h"

#define FX_MAX 16
#define FX_BUF_SIZE 16384

struct fx_extra {            /* an extra section, e.g. an unknown one */
	uint32_t id, flags, count, size;
	uint8_t data[64];
};

struct fx {
	uint64_t flags;                   /* header flags */
	char strings[10240];
	uint32_t strings_size;
	uint16_t wstrings[512];
	uint32_t wstrings_units;
	struct sbx_param params[FX_MAX];        uint32_t nparams;
	struct sbx_path paths[FX_MAX];          uint32_t npaths;
	struct sbx_fs_rule rules[FX_MAX];       uint32_t nrules;
	struct sbx_network network;
	struct sbx_limits limits;
	struct sbx_env_op env[FX_MAX];          uint32_t nenv;
	struct sbx_lx_landlock landlock;
	struct sbx_lx_ll_rule ll_rules[FX_MAX]; uint32_t nll_rules;
	struct sbx_lx_mount mounts[FX_MAX];     uint32_t nmounts;
	struct sbx_bpf_insn seccomp[FX_MAX];    uint32_t nseccomp;
	struct sbx_lx_rlimit rlimits[FX_MAX];   uint32_t nrlimits;
	struct sbx_win_token token;
	uint32_t privs[FX_MAX];                 uint32_t nprivs;
	struct sbx_win_sid sids[FX_MAX];        uint32_t nsids;
	struct sbx_win_ace aces[FX_MAX];        uint32_t naces;
	struct sbx_win_job job;
	uint32_t omit[8];                 /* section ids not to write (0 = unused slot) */
	struct fx_extra extra[4];         /* written after the known sections */
	uint32_t nextra;
};

/* Fills f with a valid Linux + Windows policy. */
void fx_init(struct fx *f);

/* Adds a string to the pools; returns its str (or wstr) reference. */
uint32_t fx_str(struct fx *f, const char *s);
uint32_t fx_wstr(struct fx *f, const char *ascii);

/* Lays out the blob in out (8-aligned, FX_BUF_SIZE bytes); returns its length. */
size_t fx_build(const struct fx *f, uint8_t *out);

/* Recomputes the checksum after a test changed bytes in place. */
void fx_fix_checksum(uint8_t *blob, size_t len);

/* The section table entry for id in a built blob, or NULL. */
struct sbx_section *fx_section(uint8_t *blob, uint32_t id);

#endif
