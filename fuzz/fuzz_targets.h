/*
 * fuzz_targets.h - the bodies of the fuzz targets.  Each takes one input
 * and returns NULL when every property held, or a short description of the
 * property that failed.  The libFuzzer entry (fuzz_main.c) aborts on a
 * failure; tests/test_fuzz_replay.c replays the corpora and regressions
 * through the same functions in the normal build.
 */
#ifndef SBX_FUZZ_TARGETS_H
#define SBX_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* Policy source -> lexer, parser, sema, emitter; blobs verify, output is deterministic. */
const char *sbx_fuzz_compile(const uint8_t *data, size_t size);

/* Arbitrary bytes -> blob verifier -> explain (text and JSON) when valid. */
const char *sbx_fuzz_verify(const uint8_t *data, size_t size);

/* Hostile spawn-time parameter values -> sbx_ctx_bind and path binding. */
const char *sbx_fuzz_bind(const uint8_t *data, size_t size);

/* Hostile payloads -> lx_payload_parse, what sbx-init reads from its launcher. */
const char *sbx_fuzz_payload(const uint8_t *data, size_t size);

/* The Linux blob of policy text (malloc'd), or NULL when it does not compile. */
uint8_t *sbx_fuzz_linux_blob(const char *text, size_t *len);

/* 1 when text[0..len) is one well-formed JSON value (UTF-8, RFC 8259), else 0. */
int sbx_fuzz_json_valid(const char *text, size_t len);

#endif
