/*
 * test_capsid.c - the capability SID derived from a Windows path: stable,
 * insensitive to case and separators, different for different paths.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "sbx/sbxrt.h"

/* ASCII to UTF-16 for the tests. */
static size_t u16(const char *s, uint16_t *out)
{
	size_t n = 0;
	for (; s[n]; n++)
		out[n] = (uint16_t)(unsigned char)s[n];
	return n;
}

static void sid_of(const char *path, char out[SBX_SID_STR_MAX])
{
	uint16_t buf[4096];
	size_t n = u16(path, buf);
	cr_assert_gt(sbx_derive_cap_sid(buf, n, out), 0);
}

/* The same hash computed in one shot over namespace + canonical UTF-16LE. */
static void reference_sid(const char *canonical, char out[SBX_SID_STR_MAX])
{
	uint8_t buf[8192];
	size_t ns = strlen("sbx-capability-sid-v1"), n = 0;
	memcpy(buf, "sbx-capability-sid-v1", ns);
	for (; canonical[n]; n++) {
		buf[ns + 2 * n] = (uint8_t)canonical[n];
		buf[ns + 2 * n + 1] = 0;
	}
	XXH128_hash_t h = XXH3_128bits(buf, ns + 2 * n);
	snprintf(out, SBX_SID_STR_MAX, "S-1-5-21-%u-%u-%u-%u", (unsigned)(uint32_t)h.low64,
	         (unsigned)(uint32_t)(h.low64 >> 32), (unsigned)(uint32_t)h.high64,
	         (unsigned)(uint32_t)(h.high64 >> 32));
}

Test(capsid, golden_value)
{
	char sid[SBX_SID_STR_MAX];
	sid_of("C:\\Users\\dev\\project", sid);
	cr_assert_str_eq(sid, "S-1-5-21-1924436490-1147858082-1174351862-2872088357");
}

Test(capsid, matches_the_documented_hash)
{
	char sid[SBX_SID_STR_MAX], want[SBX_SID_STR_MAX];
	sid_of("c:/users/Dev/Project/", sid);
	reference_sid("C:\\USERS\\DEV\\PROJECT", want);
	cr_assert_str_eq(sid, want);
	cr_assert_eq(strncmp(sid, "S-1-5-21-", 9), 0);
}

Test(capsid, case_and_separator_insensitive)
{
	char a[SBX_SID_STR_MAX], b[SBX_SID_STR_MAX], c[SBX_SID_STR_MAX];
	sid_of("C:\\Work\\Repo", a);
	sid_of("c:/work/REPO", b);
	sid_of("C:\\WORK\\REPO\\", c);
	cr_assert_str_eq(a, b);
	cr_assert_str_eq(a, c);
}

Test(capsid, drive_root_keeps_its_separator)
{
	char root[SBX_SID_STR_MAX], bare[SBX_SID_STR_MAX], slash[SBX_SID_STR_MAX];
	sid_of("C:\\", root);
	sid_of("C:", bare);
	sid_of("c:/", slash);
	cr_assert_str_neq(root, bare);
	cr_assert_str_eq(root, slash);
}

Test(capsid, distinct_paths_distinct_sids)
{
	static const char *paths[] = { "C:\\a", "C:\\b", "D:\\a", "C:\\a\\b", "C:\\ab", "C:\\a b" };
	char sid[6][SBX_SID_STR_MAX];
	for (size_t i = 0; i < 6; i++)
		sid_of(paths[i], sid[i]);
	for (size_t i = 0; i < 6; i++)
		for (size_t j = i + 1; j < 6; j++)
			cr_assert_str_neq(sid[i], sid[j], "%s vs %s", paths[i], paths[j]);
}

Test(capsid, long_paths_stream)
{
	char path[3001], sid[SBX_SID_STR_MAX], want[SBX_SID_STR_MAX];
	for (size_t i = 0; i < 3000; i++)
		path[i] = i % 10 == 0 ? '\\' : (char)('A' + i % 26);
	path[3000] = 0;
	sid_of(path, sid);
	reference_sid(path, want);
	cr_assert_str_eq(sid, want);
}

Test(capsid, non_ascii_is_not_folded)
{
	uint16_t upper[] = { 'C', ':', '\\', 0x00C9 }, lower[] = { 'C', ':', '\\', 0x00E9 };
	char a[SBX_SID_STR_MAX], b[SBX_SID_STR_MAX];
	sbx_derive_cap_sid(upper, 4, a);
	sbx_derive_cap_sid(lower, 4, b);
	cr_assert_str_neq(a, b, "only ASCII letters are upper-cased");
}
