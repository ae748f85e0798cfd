/*
 * path.c - rule paths: split off a leading ${PARAM}, classify literal paths
 * (POSIX = Linux, drive = Windows), normalize '.', '..' and separators, and
 * reject what Windows cannot name safely.  Messages go to a caller buffer so
 * that the functions stay pure and easy to test.
 */
#include "path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/sbx/blob.h"

/* Formats a message into err; always returns -1 so callers can `return fail(...)`. */
__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (errsz)
		vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_sep(char ch, int backslash)
{
	return ch == '/' || (backslash && ch == '\\');
}

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

int sbx_suffix_casecmp(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return lower((unsigned char)*a) - lower((unsigned char)*b);
}

static int prefix_eq(const char *a, const char *b, size_t n, int fold)
{
	if (!fold)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int sbx_suffix_contains(const char *outer, const char *inner, int fold)
{
	size_t n = strlen(outer);
	if (strlen(inner) < n || !prefix_eq(outer, inner, n, fold))
		return 0;
	if (inner[n] == '\0' || (n > 0 && outer[n - 1] == '/'))
		return 1;   /* equal, or outer is a root ("/", "C:/") */
	return inner[n] == '/';
}

static int is_name_start(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

int sbx_path_param_name_ok(const char *name, size_t len)
{
	if (len == 0 || !is_name_start(name[0]))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!is_name_start(name[i]) && !(name[i] >= '0' && name[i] <= '9'))
			return 0;
	return 1;
}

int sbx_path_is_drive(const char *text)
{
	return lower((unsigned char)text[0]) >= 'a' && lower((unsigned char)text[0]) <= 'z' &&
	       text[1] == ':' && is_sep(text[2], 1);
}

/* ASCII controls, DEL and the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F). */
static int has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			return 1;
		if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

static int find_sub(const char *s, size_t n, const char *sub)
{
	size_t m = strlen(sub);
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(s + i, sub, m))
			return 1;
	return 0;
}

/* Checks what every path must satisfy before it is split. */
static int check_text(const char *s, size_t n, char *err, size_t errsz)
{
	if (n == 0)
		return fail(err, errsz, "empty path");
	if (n > SBX_MAX_PATH_LEN)
		return fail(err, errsz, "path too long (limit is %d bytes)", SBX_MAX_PATH_LEN);
	if (memchr(s, '\0', n))
		return fail(err, errsz, "a path cannot contain a NUL byte");
	if (has_control(s, n))
		return fail(err, errsz, "a path cannot contain control characters");
	return 0;
}

/*
 * Appends the normalized components of s[0..n) to out, which already holds
 * `base` bytes (a prefix such as "C:").  Each component is written as
 * "/comp".  Returns 0, or -1 when a '..' would climb above the base.
 */
static int normalize(const char *s, size_t n, int backslash, char *out, size_t *olen)
{
	size_t base = *olen, o = base, i = 0;
	while (i < n) {
		while (i < n && is_sep(s[i], backslash))
			i++;
		size_t j = i;
		while (i < n && !is_sep(s[i], backslash))
			i++;
		size_t clen = i - j;
		if (clen == 0 || (clen == 1 && s[j] == '.'))
			continue;
		if (clen == 2 && s[j] == '.' && s[j + 1] == '.') {
			if (o == base)
				return -1;
			while (o > base && out[o - 1] != '/')
				o--;
			o--;   /* the '/' that began the component */
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, s + j, clen);
		o += clen;
	}
	out[o] = '\0';
	*olen = o;
	return 0;
}

static int is_reserved(const char *c, size_t n)
{
	static const char *const names[] = { "con", "prn", "aux", "nul" };
	size_t stem = 0;
	while (stem < n && c[stem] != '.')
		stem++;
	char low[5];
	if (stem == 3 || stem == 4) {
		for (size_t i = 0; i < stem; i++)
			low[i] = (char)lower((unsigned char)c[i]);
		low[stem] = '\0';
	} else {
		return 0;
	}
	if (stem == 4)
		return (!memcmp(low, "com", 3) || !memcmp(low, "lpt", 3)) && low[3] >= '1' && low[3] <= '9';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(low, names[i]))
			return 1;
	return 0;
}

/* One component of a Windows path: no stream, no trailing dot or space, no device name. */
static int check_win_component(const char *c, size_t n, char *err, size_t errsz)
{
	if (memchr(c, ':', n))
		return fail(err, errsz, "alternate data streams (':') are not allowed in Windows paths");
	if (c[n - 1] == '.' || c[n - 1] == ' ')
		return fail(err, errsz, "'%.*s' ends with '%c', which Windows paths do not allow",
		            (int)n, c, c[n - 1]);
	if (is_reserved(c, n))
		return fail(err, errsz, "'%.*s' is a reserved device name in Windows paths", (int)n, c);
	return 0;
}

/* Checks each '/'-separated component of a normalized suffix. */
static int check_windows(const char *s, char *err, size_t errsz)
{
	while (*s) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n && check_win_component(s, n, err, errsz) < 0)
			return -1;
		s += n;
	}
	return 0;
}

static int set_out(struct sbx_pathspec *out, const char *suffix, char *param, uint32_t plat)
{
	out->suffix = strdup(suffix);
	out->param = param;
	out->platforms = plat;
	if (!out->suffix) {
		sbx_pathspec_free(out);
		return -1;
	}
	return 0;
}

/* "\\.\x", "\\?\x" and "\\server\share": never allowed. */
static int reject_device(const char *s, char *err, size_t errsz)
{
	if ((s[2] == '.' || s[2] == '?') && is_sep(s[3], 1))
		return fail(err, errsz, "device paths ('\\\\.\\', '\\\\?\\') are not allowed in Windows paths");
	return fail(err, errsz, "UNC paths ('\\\\server\\share') are not allowed in Windows paths");
}

static int parse_drive(const char *s, size_t n, struct sbx_pathspec *out, char *err, size_t errsz)
{
	char buf[SBX_MAX_PATH_LEN + 4];
	size_t olen = 2;
	buf[0] = (char)(lower((unsigned char)s[0]) - 'a' + 'A');
	buf[1] = ':';
	if (normalize(s + 2, n - 2, 1, buf, &olen) < 0)
		return fail(err, errsz, "'..' goes above the root of the drive");
	if (olen == 2) {
		buf[2] = '/';
		buf[3] = '\0';
	}
	if (check_windows(buf + 2, err, errsz) < 0)
		return -1;
	if (set_out(out, buf, NULL, SBX_PLAT_WINDOWS) < 0)
		return fail(err, errsz, "out of memory");
	return 0;
}

static int parse_posix(const char *s, size_t n, struct sbx_pathspec *out, char *err, size_t errsz)
{
	char buf[SBX_MAX_PATH_LEN + 4];
	size_t olen = 0;
	if (normalize(s, n, 0, buf, &olen) < 0)
		return fail(err, errsz, "'..' goes above the root");
	if (olen == 0)
		strcpy(buf, "/");
	if (set_out(out, buf, NULL, SBX_PLAT_LINUX) < 0)
		return fail(err, errsz, "out of memory");
	return 0;
}

static int parse_literal(const char *s, size_t n, struct sbx_pathspec *out, char *err, size_t errsz)
{
	if (n >= 2 && s[0] == '\\' && s[1] == '\\')
		return reject_device(s, err, errsz);
	if (s[0] == '/')
		return parse_posix(s, n, out, err, errsz);
	if (n >= 3 && sbx_path_is_drive(s))
		return parse_drive(s, n, out, err, errsz);
	if (n >= 2 && s[1] == ':' && is_name_start(s[0]) && s[0] != '_')
		return fail(err, errsz, "'%c:' must be followed by '/' or '\\' (drive-relative paths "
		            "are not allowed)", s[0]);
	return fail(err, errsz, "a path must be absolute or begin with a parameter such as ${WORKSPACE}");
}

int sbx_path_literal(const char *text, size_t len, struct sbx_pathspec *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof *out);
	if (check_text(text, len, err, errsz) < 0)
		return -1;
	if (find_sub(text, len, "${"))
		return fail(err, errsz, "a parameter can only begin a path");
	return parse_literal(text, len, out, err, errsz);
}

/* Splits "${NAME}rest": sets *name_len and returns the offset of rest, or -1. */
static long split_param(const char *s, size_t n, size_t *name_len, char *err, size_t errsz)
{
	const char *close = memchr(s + 2, '}', n - 2);
	if (!close)
		return fail(err, errsz, "'${' is not closed by '}'");
	*name_len = (size_t)(close - (s + 2));
	if (*name_len == 0)
		return fail(err, errsz, "empty parameter name in '${}'");
	if (!sbx_path_param_name_ok(s + 2, *name_len))
		return fail(err, errsz, "'%.*s' is not a valid parameter name (use letters, digits and '_', "
		            "not starting with a digit)", (int)*name_len, s + 2);
	return (long)(close + 1 - s);
}

static int parse_param_suffix(const char *rest, size_t n, int windows, const char *name,
                              struct sbx_pathspec *out, char *err, size_t errsz)
{
	char buf[SBX_MAX_PATH_LEN + 4];
	size_t olen = 0;
	if (n && rest[0] != '/' && rest[0] != '\\')
		return fail(err, errsz, "a parameter must be followed by '/' or end the path");
	if (find_sub(rest, n, "${"))
		return fail(err, errsz, "a parameter can only begin a path");
	if (windows && memchr(rest, '\\', n))
		return fail(err, errsz, "'\\' means different things on Linux and Windows; "
		            "use '/' in paths that begin with a parameter");
	if (normalize(rest, n, 0, buf, &olen) < 0)
		return fail(err, errsz, "'..' goes above the parameter ${%s}", name);
	if (windows && check_windows(buf, err, errsz) < 0)
		return -1;
	char *param = strdup(name);
	if (!param || set_out(out, buf, param, 0) < 0)
		return fail(err, errsz, "out of memory");
	return 0;
}

int sbx_path_parse(const char *text, size_t len, int windows,
                   struct sbx_pathspec *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof *out);
	if (check_text(text, len, err, errsz) < 0)
		return -1;
	if (len < 2 || text[0] != '$' || text[1] != '{')
		return sbx_path_literal(text, len, out, err, errsz);
	size_t nlen = 0;
	long off = split_param(text, len, &nlen, err, errsz);
	if (off < 0)
		return -1;
	char name[SBX_MAX_PATH_LEN + 1];
	memcpy(name, text + 2, nlen);
	name[nlen] = '\0';
	return parse_param_suffix(text + off, len - (size_t)off, windows, name, out, err, errsz);
}

void sbx_pathspec_free(struct sbx_pathspec *p)
{
	free(p->param);
	free(p->suffix);
	memset(p, 0, sizeof *p);
}
