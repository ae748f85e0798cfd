/*
 * blob_write.c - byte buffers, string pools and the section assembler.
 *
 * Layout written by sbx_bw_finish (all little endian):
 *
 *   header (56) | section table (24 * n) | section | pad | section | pad ...
 *
 * Sections come in ascending id order, each starts 8-aligned, padding is
 * zero, and total_size is a multiple of 8.  policy_id hashes everything
 * after the section table (the policy itself, independent of offsets in
 * the table); checksum hashes everything after the header.
 */
#include "blob_write.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define SBX_POOL_MIN_SLOTS 64

void sbx_buf_free(struct sbx_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Grows to hold `need` bytes; the cap keeps every size well inside uint32_t. */
static int buf_reserve(struct sbx_buf *b, size_t need)
{
	if (need <= b->cap)
		return 0;
	if (need > SBX_BLOB_MAX_SIZE) {
		b->failed = 2;
		return -1;
	}
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int sbx_buf_put(struct sbx_buf *b, const void *data, size_t n)
{
	if (b->failed)
		return -1;
	if (n > SBX_BLOB_MAX_SIZE) {
		b->failed = 2;
		return -1;
	}
	if (buf_reserve(b, b->len + n) != 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/* ---- string pools ---- */

static void pool_free(struct sbx_pool *pl)
{
	sbx_buf_free(&pl->bytes);
	free(pl->slots);
	pl->slots = NULL;
	pl->nslots = pl->nused = 0;
}

/* The pool starts with one terminator: offset 0 is the empty string. */
static int pool_start(struct sbx_pool *pl)
{
	static const uint8_t zero[2];
	if (pl->bytes.len)
		return 0;
	return sbx_buf_put(&pl->bytes, zero, pl->unit);
}

/* Does the string at `off` equal the n bytes at s (and end there)? */
static int pool_equal(const struct sbx_pool *pl, uint32_t off, const uint8_t *s, size_t n)
{
	if ((size_t)off + n + pl->unit > pl->bytes.len)
		return 0;
	const uint8_t *at = pl->bytes.p + off;
	if (memcmp(at, s, n) != 0)
		return 0;
	for (unsigned i = 0; i < pl->unit; i++)
		if (at[n + i] != 0)
			return 0;
	return 1;
}

static size_t pool_probe(const struct sbx_pool *pl, const uint8_t *s, size_t n)
{
	size_t mask = pl->nslots - 1;
	size_t i = (size_t)XXH3_64bits(s, n) & mask;
	while (pl->slots[i] && !pool_equal(pl, pl->slots[i] - 1, s, n))
		i = (i + 1) & mask;
	return i;
}

/* Doubles the slot table and rehashes every string in it. */
static int pool_grow(struct sbx_pool *pl)
{
	size_t nslots = pl->nslots ? pl->nslots * 2 : SBX_POOL_MIN_SLOTS;
	uint32_t *old = pl->slots;
	size_t nold = pl->nslots;
	pl->slots = calloc(nslots, sizeof *pl->slots);
	if (!pl->slots) {
		pl->slots = old;
		return -1;
	}
	pl->nslots = nslots;
	for (size_t i = 0; i < nold; i++) {
		if (!old[i])
			continue;
		const uint8_t *at = pl->bytes.p + old[i] - 1;
		size_t n = 0;
		while (at[n] || (pl->unit == 2 && at[n + 1]))
			n += pl->unit;
		pl->slots[pool_probe(pl, at, n)] = old[i];
	}
	free(old);
	return 0;
}

/* Interns n bytes (n a multiple of unit, no terminator unit inside). */
static uint32_t pool_add(struct sbx_pool *pl, const uint8_t *s, size_t n)
{
	static const uint8_t zero[2];
	if (pool_start(pl) != 0)
		return SBX_NONE;
	if (n == 0)
		return 0;
	if ((pl->nused + 1) * 2 > pl->nslots && pool_grow(pl) != 0)
		return SBX_NONE;
	size_t i = pool_probe(pl, s, n);
	if (pl->slots[i])
		return pl->slots[i] - 1;
	uint32_t off = (uint32_t)pl->bytes.len;
	if (sbx_buf_put(&pl->bytes, s, n) != 0 || sbx_buf_put(&pl->bytes, zero, pl->unit) != 0)
		return SBX_NONE;
	pl->slots[i] = off + 1;
	pl->nused++;
	return off;
}

/* ---- UTF-8 to UTF-16 ---- */

/* Decodes one scalar value at s; returns its length or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2
	         : s[0] >= 0xE0 && s[0] < 0xF0 ? 3 : s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : 0;
	if (n == 0)
		return 0;
	uint32_t v = n == 1 ? s[0] : s[0] & (0x7Fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if (v < min[n - 1] || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000))
		return 0;
	*cp = v;
	return n;
}

size_t sbx_utf8_to_utf16(const char *s, uint16_t *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	while (*p) {
		uint32_t cp;
		size_t len = utf8_decode(p, &cp);
		if (len == 0 || n + (cp >= 0x10000 ? 2 : 1) > cap)
			return SIZE_MAX;
		if (cp >= 0x10000) {
			out[n++] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
			out[n++] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
		} else {
			out[n++] = (uint16_t)cp;
		}
		p += len;
	}
	return n;
}

/* ---- the writer ---- */

void sbx_bw_init(struct sbx_bw *w)
{
	memset(w, 0, sizeof *w);
	w->str.unit = 1;
	w->wstr.unit = 2;
}

void sbx_bw_free(struct sbx_bw *w)
{
	pool_free(&w->str);
	pool_free(&w->wstr);
	for (size_t i = 0; i < SBX_BLOB_MAX_SECTIONS; i++)
		sbx_buf_free(&w->sec[i]);
	memset(w, 0, sizeof *w);
}

void sbx_bw_add(struct sbx_bw *w, uint32_t id, const void *rec, size_t size)
{
	if (id >= SBX_BLOB_MAX_SECTIONS) {
		w->failed = 1;
		return;
	}
	if (sbx_buf_put(&w->sec[id], rec, size) != 0) {
		w->failed = w->failed > w->sec[id].failed ? w->failed : w->sec[id].failed;
		return;
	}
	w->count[id]++;
}

void sbx_bw_keep(struct sbx_bw *w, uint32_t id)
{
	if (id < SBX_BLOB_MAX_SECTIONS)
		w->keep[id] = 1;
}

static uint32_t checked(struct sbx_bw *w, uint32_t ref)
{
	if (ref == SBX_NONE && !w->failed)
		w->failed = w->str.bytes.failed == 2 || w->wstr.bytes.failed == 2 ? 2 : 1;
	return ref;
}

uint32_t sbx_bw_str(struct sbx_bw *w, const char *s)
{
	return checked(w, pool_add(&w->str, (const uint8_t *)s, strlen(s)));
}

uint32_t sbx_bw_wstr16(struct sbx_bw *w, const uint16_t *s, size_t units)
{
	if (units > SBX_BLOB_MAX_SIZE / 2)
		return checked(w, SBX_NONE);
	return checked(w, pool_add(&w->wstr, (const uint8_t *)s, units * 2));
}

uint32_t sbx_bw_wstr(struct sbx_bw *w, const char *utf8)
{
	size_t len = strlen(utf8);
	if (len > SBX_BLOB_MAX_SIZE)
		return checked(w, SBX_NONE);
	uint16_t *u = malloc((len + 1) * sizeof *u);
	if (!u)
		return checked(w, SBX_NONE);
	size_t n = sbx_utf8_to_utf16(utf8, u, len + 1);
	uint32_t ref = n == SIZE_MAX ? SBX_NONE : sbx_bw_wstr16(w, u, n);
	free(u);
	return checked(w, ref);
}

/* The bytes of section id, with the pools standing in for ids 1 and 2. */
static const struct sbx_buf *section_bytes(struct sbx_bw *w, uint32_t id, uint32_t *count)
{
	if (id == SBX_SEC_STRINGS || id == SBX_SEC_WSTRINGS) {
		struct sbx_pool *pl = id == SBX_SEC_STRINGS ? &w->str : &w->wstr;
		if (w->keep[id] && pool_start(pl) != 0)
			w->failed = 1;
		*count = (uint32_t)(pl->bytes.len / pl->unit);
		return &pl->bytes;
	}
	*count = w->count[id];
	return &w->sec[id];
}

static int section_present(const struct sbx_bw *w, uint32_t id, const struct sbx_buf *b)
{
	return w->keep[id] || b->len > 0;
}

static size_t align8(size_t n)
{
	return (n + (SBX_BLOB_ALIGN - 1)) & ~(size_t)(SBX_BLOB_ALIGN - 1);
}

/* Computes the section table; returns the total size (0 when too large). */
static size_t layout(struct sbx_bw *w, struct sbx_section *tab, uint32_t *n)
{
	uint32_t count;
	*n = 0;
	for (uint32_t id = 1; id < SBX_BLOB_MAX_SECTIONS; id++)
		if (section_present(w, id, section_bytes(w, id, &count)))
			(*n)++;
	size_t pos = sizeof(struct sbx_blob_header) + *n * sizeof(struct sbx_section);
	uint32_t k = 0;
	for (uint32_t id = 1; id < SBX_BLOB_MAX_SECTIONS; id++) {
		const struct sbx_buf *b = section_bytes(w, id, &count);
		if (!section_present(w, id, b))
			continue;
		pos = align8(pos);
		if (pos + b->len > SBX_BLOB_MAX_SIZE)
			return 0;
		tab[k++] = (struct sbx_section){ id, SBX_SECF_REQUIRED, (uint32_t)pos,
		                                 (uint32_t)b->len, count, 0 };
		pos += b->len;
	}
	pos = align8(pos);
	return pos > SBX_BLOB_MAX_SIZE ? 0 : pos;
}

int sbx_bw_finish(struct sbx_bw *w, uint64_t flags, uint8_t **out, size_t *outlen)
{
	struct sbx_section tab[SBX_BLOB_MAX_SECTIONS];
	uint32_t n, count;
	*out = NULL;
	*outlen = 0;
	size_t total = layout(w, tab, &n);
	if (total == 0 || w->failed == 2)
		return -2;
	if (w->failed)
		return -1;
	uint8_t *blob = calloc(1, total);
	if (!blob)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		const struct sbx_buf *b = section_bytes(w, tab[k].id, &count);
		if (b->len)
			memcpy(blob + tab[k].offset, b->p, b->len);
	}
	struct sbx_blob_header h = { .major = SBX_BLOB_MAJOR, .minor = SBX_BLOB_MINOR,
		.compiler_abi = SBX_COMPILER_ABI, .header_size = sizeof h, .section_count = n,
		.total_size = total, .flags = flags };
	memcpy(h.magic, SBX_BLOB_MAGIC, SBX_BLOB_MAGIC_LEN);
	size_t body = sizeof h + n * sizeof *tab;
	memcpy(blob + sizeof h, tab, n * sizeof *tab);
	h.policy_id = XXH3_64bits(blob + body, total - body);
	memcpy(blob, &h, sizeof h);
	h.checksum = XXH3_64bits(blob + SBX_BLOB_CHECKSUM_START, total - SBX_BLOB_CHECKSUM_START);
	memcpy(blob, &h, sizeof h);
	*out = blob;
	*outlen = total;
	return 0;
}
