/*
 * explain.h - `sbxc explain`: everything a blob makes the runtime do, as
 * text or as one JSON object.  The output is deterministic (golden tests
 * compare it byte for byte) and the JSON keys come in a fixed order.
 */
#ifndef SBX_EXPLAIN_H
#define SBX_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>

/*
 * Verifies the `len` bytes at `blob` (copied to an 8-byte aligned buffer
 * first if needed) and writes the explanation to `out`, as JSON when `json`
 * is nonzero.  Returns 0 (SBX_OK), or an enum sbx_err with
 * "bad blob (<reason>): <where>" in err (truncated to errlen), or -1 with
 * "out of memory" when the aligned copy cannot be made.  Prints nothing on
 * failure.
 */
int sbx_explain(const void *blob, size_t len, FILE *out, int json, char *err, size_t errlen);

#endif
