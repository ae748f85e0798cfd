/*
 * blob_write.h - the blob writer: growable byte buffers, the two string
 * pools and the section assembler.  The lowering code appends records to
 * sections in any order; sbx_bw_finish lays the sections out in ascending
 * id order, 8-aligned, and fills the header, the policy id and the
 * checksum.  The runtime verifier (runtime/blob_verify.c) is the mirror.
 */
#ifndef SBX_BLOB_WRITE_H
#define SBX_BLOB_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "../include/sbx/blob.h"

/* A growable byte buffer; `failed` is sticky (out of memory or too large). */
struct sbx_buf {
	uint8_t *p;
	size_t len, cap;
	int failed;          /* 1 out of memory, 2 past SBX_BLOB_MAX_SIZE */
};

void sbx_buf_free(struct sbx_buf *b);
/* Appends n bytes; 0, or -1 (and b->failed) when out of memory or past the cap. */
int sbx_buf_put(struct sbx_buf *b, const void *data, size_t n);

/*
 * A deduplicating string pool.  unit is 1 (UTF-8 STRINGS) or 2 (UTF-16LE
 * WSTRINGS).  Offset 0 is always the empty string; strings are laid out in
 * the order they are first added, so equal inputs give equal pools.
 */
struct sbx_pool {
	struct sbx_buf bytes;
	uint32_t *slots;     /* open addressing: offset + 1, 0 = empty */
	size_t nslots, nused;
	unsigned unit;
};

struct sbx_bw {
	struct sbx_pool str, wstr;
	struct sbx_buf sec[SBX_BLOB_MAX_SECTIONS];
	uint32_t count[SBX_BLOB_MAX_SECTIONS];
	uint8_t keep[SBX_BLOB_MAX_SECTIONS];    /* emit even when empty */
	int failed;                             /* 1 out of memory, 2 too large */
};

void sbx_bw_init(struct sbx_bw *w);
void sbx_bw_free(struct sbx_bw *w);

/* Appends one record of `size` bytes to section `id` (< SBX_BLOB_MAX_SECTIONS). */
void sbx_bw_add(struct sbx_bw *w, uint32_t id, const void *rec, size_t size);
/* Marks section `id` to be emitted even with no records. */
void sbx_bw_keep(struct sbx_bw *w, uint32_t id);

/* Pool references; SBX_NONE (and w->failed) on failure. */
uint32_t sbx_bw_str(struct sbx_bw *w, const char *s);
/* UTF-8 in, UTF-16LE out; invalid UTF-8 fails. */
uint32_t sbx_bw_wstr(struct sbx_bw *w, const char *utf8);
uint32_t sbx_bw_wstr16(struct sbx_bw *w, const uint16_t *s, size_t units);

/*
 * Assembles the blob.  Returns 0 with a malloc'd *out, -1 when out of
 * memory, -2 when the blob would exceed SBX_BLOB_MAX_SIZE.
 */
int sbx_bw_finish(struct sbx_bw *w, uint64_t flags, uint8_t **out, size_t *outlen);

/* UTF-8 -> UTF-16 units; returns units written, or SIZE_MAX on bad UTF-8 or overflow of cap. */
size_t sbx_utf8_to_utf16(const char *s, uint16_t *out, size_t cap);

#endif
