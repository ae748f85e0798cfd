/*
 * Verify latency of a blob (default: the shipped workspace-write policy)
 * beside the time to XXH3 the same bytes, the floor any checksummed format
 * pays.  Median of many interleaved runs.
 */
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "bench_common.h"
#include "sbx/sbxrt.h"

#define RUNS 20001

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "workspace-write.sbxblob";
	size_t len = 0;
	uint8_t *blob = read_all(path, &len);
	if (!blob) {
		fprintf(stderr, "bench_verify: cannot read %s\n", path);
		return 1;
	}
	static uint64_t tv[RUNS], th[RUNS];
	volatile uint64_t sink = 0;
	for (int i = 0; i < RUNS; i++) {
		struct sbx_view v;
		uint64_t t0 = now_ns();
		int rc = sbx_blob_verify(blob, len, &v, NULL, 0);
		uint64_t t1 = now_ns();
		sink += XXH3_64bits(blob, len);
		uint64_t t2 = now_ns();
		if (rc != SBX_OK) {
			fprintf(stderr, "bench_verify: %s does not verify: %s\n", path, sbx_strerror(rc));
			return 1;
		}
		tv[i] = t1 - t0;
		th[i] = t2 - t1;
	}
	(void)sink;
	uint64_t mv = median(tv, RUNS), mh = median(th, RUNS);
	printf("%-34s %10llu ns   (%zu bytes)\n", "verify + view (median)", (unsigned long long)mv, len);
	printf("%-34s %10llu ns\n", "XXH3-64 of the same bytes", (unsigned long long)mh);
	printf("%-34s %10.2fx   (aim: <= 2x)\n", "  verify / XXH3", mh ? (double)mv / (double)mh : 0.0);
	free(blob);
	return 0;
}
