/*
 * capsid.c - the capability SID of a Windows path.
 *
 * The compiler precomputes it for drive paths and the runtime derives it
 * for parameter paths once they are bound; both must agree bit for bit, so
 * the canonical form is fixed here: ASCII letters upper-cased, '/' turned
 * into '\\', no trailing separator except in a drive root ("C:\\").  The
 * hash is XXH3-128 over the namespace (UTF-8, no NUL) and then the
 * canonical path as UTF-16LE.  Paths can be long, so the hash streams
 * through a small buffer; nothing is allocated.
 */
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack */
#include "sbx/sbxrt.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#define CAPSID_NAMESPACE "sbx-capability-sid-v1"
#define CAPSID_CHUNK 128   /* units per update */

static int is_sep(uint16_t u)
{
	return u == '\\' || u == '/';
}

static uint16_t canonical_unit(uint16_t u)
{
	if (u == '/')
		return '\\';
	return u >= 'a' && u <= 'z' ? (uint16_t)(u - 'a' + 'A') : u;
}

/* Units left once trailing separators go; "X:\\" keeps its separator. */
static size_t canonical_length(const uint16_t *path, size_t units)
{
	while (units > 0 && is_sep(path[units - 1]) && !(units == 3 && path[1] == ':'))
		units--;
	return units;
}

static void hash_path(XXH3_state_t *st, const uint16_t *path, size_t units)
{
	uint8_t buf[2 * CAPSID_CHUNK];
	for (size_t i = 0; i < units; i += CAPSID_CHUNK) {
		size_t n = units - i < CAPSID_CHUNK ? units - i : CAPSID_CHUNK;
		for (size_t k = 0; k < n; k++) {
			uint16_t u = canonical_unit(path[i + k]);
			buf[2 * k] = (uint8_t)(u & 0xFF);        /* little endian on any host */
			buf[2 * k + 1] = (uint8_t)(u >> 8);
		}
		XXH3_128bits_update(st, buf, 2 * n);
	}
}

size_t sbx_derive_cap_sid(const uint16_t *path, size_t units, char out[SBX_SID_STR_MAX])
{
	XXH3_state_t st;
	XXH3_INITSTATE(&st);
	XXH3_128bits_reset(&st);
	XXH3_128bits_update(&st, CAPSID_NAMESPACE, sizeof CAPSID_NAMESPACE - 1);
	hash_path(&st, path, canonical_length(path, units));
	XXH128_hash_t h = XXH3_128bits_digest(&st);
	int n = snprintf(out, SBX_SID_STR_MAX, "S-1-5-21-%u-%u-%u-%u",
	                 (unsigned)(uint32_t)h.low64, (unsigned)(uint32_t)(h.low64 >> 32),
	                 (unsigned)(uint32_t)h.high64, (unsigned)(uint32_t)(h.high64 >> 32));
	return n < 0 ? 0 : (size_t)n;
}
