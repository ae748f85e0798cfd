/* test_path.c - rule path parsing, normalization and the Windows rejections. */
#include <criterion/criterion.h>
#include <string.h>

#include "path.h"
#include "support.h"

struct ok_case {
	const char *in;
	int windows;
	const char *param;     /* NULL: literal */
	const char *suffix;
	uint32_t platforms;
};

static const struct ok_case ok_cases[] = {
	{ "/", 1, NULL, "/", SBX_PLAT_LINUX },
	{ "//", 1, NULL, "/", SBX_PLAT_LINUX },
	{ "/usr/", 1, NULL, "/usr", SBX_PLAT_LINUX },
	{ "/usr//lib/./x/", 1, NULL, "/usr/lib/x", SBX_PLAT_LINUX },
	{ "/a/b/../c", 1, NULL, "/a/c", SBX_PLAT_LINUX },
	{ "/a/..", 1, NULL, "/", SBX_PLAT_LINUX },
	{ "/./.", 1, NULL, "/", SBX_PLAT_LINUX },
	{ "/a/b/c/../../d", 1, NULL, "/a/d", SBX_PLAT_LINUX },
	{ "/a\\b", 1, NULL, "/a\\b", SBX_PLAT_LINUX },          /* '\\' is a name byte on Linux */
	{ "/tmp/x:y", 1, NULL, "/tmp/x:y", SBX_PLAT_LINUX },    /* POSIX: no Windows checks */
	{ "/dev/CON", 1, NULL, "/dev/CON", SBX_PLAT_LINUX },
	{ "/a/...", 1, NULL, "/a/...", SBX_PLAT_LINUX },
	{ "/$HOME/x", 1, NULL, "/$HOME/x", SBX_PLAT_LINUX },    /* only "${" is a parameter */
	{ "C:/", 1, NULL, "C:/", SBX_PLAT_WINDOWS },
	{ "c:\\", 1, NULL, "C:/", SBX_PLAT_WINDOWS },
	{ "c:\\tools", 1, NULL, "C:/tools", SBX_PLAT_WINDOWS },
	{ "C:/tools/", 1, NULL, "C:/tools", SBX_PLAT_WINDOWS },
	{ "d:\\a\\.\\b\\..\\c\\\\", 1, NULL, "D:/a/c", SBX_PLAT_WINDOWS },
	{ "C:/Program Files/x", 1, NULL, "C:/Program Files/x", SBX_PLAT_WINDOWS },
	{ "C:/console", 1, NULL, "C:/console", SBX_PLAT_WINDOWS },
	{ "C:/COM10", 1, NULL, "C:/COM10", SBX_PLAT_WINDOWS },
	{ "C:/a/CON/..", 1, NULL, "C:/a", SBX_PLAT_WINDOWS },     /* normalized away first */
	{ "${WORKSPACE}", 1, "WORKSPACE", "", 0 },
	{ "${WORKSPACE}/", 1, "WORKSPACE", "", 0 },
	{ "${WORKSPACE}/.git", 1, "WORKSPACE", "/.git", 0 },
	{ "${W}/a/./b//", 1, "W", "/a/b", 0 },
	{ "${W}/a/..", 1, "W", "", 0 },
	{ "${my_dir_2}/x", 1, "my_dir_2", "/x", 0 },
	{ "${W}/x:y", 0, "W", "/x:y", 0 },          /* Linux only: no Windows checks */
	{ "${W}/nul", 0, "W", "/nul", 0 },
	{ "${W}/a.", 0, "W", "/a.", 0 },
	{ "${W}/a\\b", 0, "W", "/a\\b", 0 },
};

Test(path, normalizes_table)
{
	for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
		const struct ok_case *t = &ok_cases[i];
		struct sbx_pathspec p;
		char err[SBX_PATH_ERR_SIZE] = "";
		int rc = sbx_path_parse(t->in, strlen(t->in), t->windows, &p, err, sizeof err);
		cr_assert_eq(rc, 0, "%s: %s", t->in, err);
		cr_assert_str_eq(p.suffix, t->suffix, "%s", t->in);
		if (t->param)
			cr_assert_str_eq(p.param, t->param, "%s", t->in);
		else
			cr_assert_null(p.param, "%s", t->in);
		cr_assert_eq(p.platforms, t->platforms, "%s", t->in);
		sbx_pathspec_free(&p);
	}
}

struct bad_case {
	const char *in;
	int windows;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "", 1, "empty path" },
	{ "usr/lib", 1, "a path must be absolute or begin with a parameter such as ${WORKSPACE}" },
	{ ".", 1, "a path must be absolute or begin with a parameter such as ${WORKSPACE}" },
	{ "/a\nb", 1, "a path cannot contain control characters" },
	{ "/a\tb", 1, "a path cannot contain control characters" },
	{ "/a\x7f", 1, "a path cannot contain control characters" },
	{ "/a\xc2\x85", 1, "a path cannot contain control characters" },
	{ "/..", 1, "'..' goes above the root" },
	{ "/a/../..", 1, "'..' goes above the root" },
	{ "C:/..", 1, "'..' goes above the root of the drive" },
	{ "${W}/..", 1, "'..' goes above the parameter ${W}" },
	{ "${W}/a/../../b", 0, "'..' goes above the parameter ${W}" },
	{ "/a/${W}", 1, "a parameter can only begin a path" },
	{ "${W}/${X}", 1, "a parameter can only begin a path" },
	{ "x${W}", 1, "a parameter can only begin a path" },
	{ "${W", 1, "'${' is not closed by '}'" },
	{ "${}/x", 1, "empty parameter name in '${}'" },
	{ "${A B}/x", 1, "'A B' is not a valid parameter name (use letters, digits and '_', "
	                  "not starting with a digit)" },
	{ "${1A}", 1, "'1A' is not a valid parameter name (use letters, digits and '_', "
	              "not starting with a digit)" },
	{ "${MY-DIR}", 1, "'MY-DIR' is not a valid parameter name (use letters, digits and '_', "
	                  "not starting with a digit)" },
	{ "${W}x", 1, "a parameter must be followed by '/' or end the path" },
	{ "C:", 1, "'C:' must be followed by '/' or '\\' (drive-relative paths are not allowed)" },
	{ "c:tools", 1, "'c:' must be followed by '/' or '\\' (drive-relative paths are not allowed)" },
	/* Windows rejections: drive paths always, parameter suffixes with windows set */
	{ "C:/a/file:stream", 1, "alternate data streams (':') are not allowed in Windows paths" },
	{ "C:/a:b", 0, "alternate data streams (':') are not allowed in Windows paths" },
	{ "${W}/f:s", 1, "alternate data streams (':') are not allowed in Windows paths" },
	{ "C:/a./b", 1, "'a.' ends with '.', which Windows paths do not allow" },
	{ "C:/a/b ", 1, "'b ' ends with ' ', which Windows paths do not allow" },
	{ "${W}/x...", 1, "'x...' ends with '.', which Windows paths do not allow" },
	{ "\\\\.\\C:\\x", 1, "device paths ('\\\\.\\', '\\\\?\\') are not allowed in Windows paths" },
	{ "\\\\?\\C:\\x", 1, "device paths ('\\\\.\\', '\\\\?\\') are not allowed in Windows paths" },
	{ "\\\\server\\share", 1, "UNC paths ('\\\\server\\share') are not allowed in Windows paths" },
	{ "C:/CON", 1, "'CON' is a reserved device name in Windows paths" },
	{ "C:/x/prn", 1, "'prn' is a reserved device name in Windows paths" },
	{ "C:/Aux.txt", 1, "'Aux.txt' is a reserved device name in Windows paths" },
	{ "C:/nul.tar.gz/x", 1, "'nul.tar.gz' is a reserved device name in Windows paths" },
	{ "C:/com1", 1, "'com1' is a reserved device name in Windows paths" },
	{ "C:/COM9.log", 1, "'COM9.log' is a reserved device name in Windows paths" },
	{ "C:/lpt1", 1, "'lpt1' is a reserved device name in Windows paths" },
	{ "C:/LPT9", 1, "'LPT9' is a reserved device name in Windows paths" },
	{ "${W}/NUL", 1, "'NUL' is a reserved device name in Windows paths" },
	{ "${W}/a\\b", 1, "'\\' means different things on Linux and Windows; use '/' in paths "
	                   "that begin with a parameter" },
};

Test(path, rejects_table)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *t = &bad_cases[i];
		struct sbx_pathspec p;
		char err[SBX_PATH_ERR_SIZE] = "";
		int rc = sbx_path_parse(t->in, strlen(t->in), t->windows, &p, err, sizeof err);
		cr_assert_eq(rc, -1, "%s was accepted", t->in);
		cr_assert_str_eq(err, t->msg, "%s", t->in);
		cr_assert_null(p.suffix);
		cr_assert_null(p.param);
	}
}

Test(path, rejects_nul_and_overlong)
{
	struct sbx_pathspec p;
	char err[SBX_PATH_ERR_SIZE];
	cr_assert_eq(sbx_path_parse("/a\0b", 4, 1, &p, err, sizeof err), -1);
	cr_assert_str_eq(err, "a path cannot contain a NUL byte");
	static char big[SBX_MAX_PATH_LEN + 2];
	memset(big, 'a', sizeof big - 1);
	big[0] = '/';
	cr_assert_eq(sbx_path_parse(big, strlen(big), 1, &p, err, sizeof err), -1);
	cr_assert_str_eq(err, "path too long (limit is 4096 bytes)");
	big[SBX_MAX_PATH_LEN] = '\0';
	cr_assert_eq(sbx_path_parse(big, strlen(big), 1, &p, err, sizeof err), 0);
	sbx_pathspec_free(&p);
}

Test(path, literal_refuses_parameters)
{
	struct sbx_pathspec p;
	char err[SBX_PATH_ERR_SIZE];
	cr_assert_eq(sbx_path_literal("${W}/x", 6, &p, err, sizeof err), -1);
	cr_assert_str_eq(err, "a parameter can only begin a path");
	cr_assert_eq(sbx_path_literal("/home/u/../v", 12, &p, err, sizeof err), 0);
	cr_assert_str_eq(p.suffix, "/home/v");
	sbx_pathspec_free(&p);
}

Test(path, containment)
{
	cr_assert(sbx_suffix_contains("/", "/usr", 0));
	cr_assert(sbx_suffix_contains("/", "/", 0));
	cr_assert(sbx_suffix_contains("/usr", "/usr/lib", 0));
	cr_assert(sbx_suffix_contains("/usr", "/usr", 0));
	cr_assert_not(sbx_suffix_contains("/usr", "/usrlocal", 0));
	cr_assert_not(sbx_suffix_contains("/usr/lib", "/usr", 0));
	cr_assert(sbx_suffix_contains("", "/a", 0));
	cr_assert(sbx_suffix_contains("", "", 0));
	cr_assert(sbx_suffix_contains("C:/", "C:/x", 0));
	cr_assert_not(sbx_suffix_contains("/.git", "/.GIT/x", 0));
	cr_assert(sbx_suffix_contains("/.git", "/.GIT/x", 1));
	cr_assert(sbx_suffix_contains("C:/Tools", "C:/tools/bin", 1));
}

Test(path, case_folding)
{
	cr_assert_eq(sbx_suffix_casecmp("/.git", "/.GIT"), 0);
	cr_assert_eq(sbx_suffix_casecmp("C:/Program Files", "C:/program files"), 0);
	cr_assert_neq(sbx_suffix_casecmp("/a", "/b"), 0);
	cr_assert_lt(sbx_suffix_casecmp("/A", "/b"), 0);
	cr_assert_neq(sbx_suffix_casecmp("/a", "/a/"), 0);
}

Test(path, param_names_and_drives)
{
	cr_assert(sbx_path_param_name_ok("WORKSPACE", 9));
	cr_assert(sbx_path_param_name_ok("_x_1", 4));
	cr_assert_not(sbx_path_param_name_ok("x-1", 3));
	cr_assert_not(sbx_path_param_name_ok("1x", 2));
	cr_assert_not(sbx_path_param_name_ok("", 0));
	cr_assert_not(sbx_path_param_name_ok("a.b", 3));
	cr_assert(sbx_path_is_drive("C:/"));
	cr_assert(sbx_path_is_drive("z:\\x"));
	cr_assert_not(sbx_path_is_drive("C:"));
	cr_assert_not(sbx_path_is_drive("/C:/"));
}
