/*
 * fuzz_verify_body.c - arbitrary bytes -> sbx_blob_verify -> sbx_explain.
 *
 * Properties: the verifier never reads outside the buffer (ASan), explain
 * agrees with the verifier on every input, a valid blob explains as text
 * and as well-formed JSON, and a failure says where.  Each input is tried
 * as given and again with total_size and the checksum made to match, so
 * that mutations reach the checks behind the XXH3 checksum.
 */
#include "fuzz_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "explain.h"
#include "sbx/sbxrt.h"

/* Explains into memory; returns explain's code, *json_ok says the JSON parsed. */
static int explain_both(const void *blob, size_t len, int *json_ok)
{
	char *buf = NULL;
	size_t n = 0;
	char err[256];
	*json_ok = 1;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return 0;   /* out of memory is not a finding */
	int rc = sbx_explain(blob, len, f, 0, err, sizeof err);
	fflush(f);
	size_t json_at = n;
	int jrc = sbx_explain(blob, len, f, 1, err, sizeof err);
	fclose(f);
	if (rc == 0 && jrc == 0)
		*json_ok = sbx_fuzz_json_valid(buf + json_at, n - json_at);
	free(buf);
	return rc != jrc ? -2 : rc;
}

/* Verifies and explains buf; the property that failed, or NULL. */
static const char *check_blob(const uint8_t *buf, size_t size)
{
	struct sbx_view v;
	char where[256] = "";
	int rc = sbx_blob_verify(buf, size, &v, where, sizeof where);
	int json_ok;
	int erc = explain_both(buf, size, &json_ok);
	if (rc < SBX_OK || rc >= SBX_E__COUNT)
		return "the verifier returned a code outside enum sbx_err";
	if (rc != SBX_OK && where[0] == '\0')
		return "the verifier rejected a blob without saying where";
	if (erc != rc)
		return "explain and the verifier disagree about a blob";
	if (!json_ok)
		return "explain --json wrote malformed JSON";
	return NULL;
}

/* Makes the header's total_size and checksum agree with the bytes. */
static void fix_checksum(uint8_t *buf, size_t size)
{
	struct sbx_blob_header h;
	memcpy(&h, buf, sizeof h);
	h.total_size = size;
	h.checksum = XXH3_64bits(buf + SBX_BLOB_CHECKSUM_START, size - SBX_BLOB_CHECKSUM_START);
	memcpy(buf, &h, sizeof h);
}

const char *sbx_fuzz_verify(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: malloc memory is 8-byte aligned, and ASan
	   catches a read one byte past the end. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return NULL;
	memcpy(buf, data, size);
	const char *why = check_blob(buf, size);
	if (!why && size >= sizeof(struct sbx_blob_header)) {
		fix_checksum(buf, size);
		why = check_blob(buf, size);
	}
	free(buf);
	return why;
}
