/*
 * fuzz_json.c - a strict JSON checker (RFC 8259) for the fuzz targets: the
 * output of `sbxc explain --json` and the runtime's log lines must parse
 * in any consumer, so they must be well-formed UTF-8 JSON.
 */
#include "fuzz_targets.h"

#include <string.h>

#define JSON_MAX_DEPTH 64

struct jp {
	const unsigned char *p, *end;
	int depth;
};

static int value(struct jp *j);

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

/* The length of one UTF-8 sequence at p (no overlongs, surrogates or > U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 :
	           p[0] >= 0xe0 && p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	if (n == 0 || (size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

static int escape(struct jp *j)
{
	if (++j->p >= j->end)
		return 0;
	if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
		j->p++;
		return 1;
	}
	if (*j->p != 'u' || j->end - j->p < 5)
		return 0;
	for (int i = 1; i <= 4; i++)
		if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
			return 0;
	j->p += 5;
	return 1;
}

static int string(struct jp *j)
{
	j->p++;   /* the opening quote */
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20)
			return 0;
		if (*j->p == '\\') {
			if (!escape(j))
				return 0;
			continue;
		}
		size_t n = utf8_len(j->p, j->end);
		if (n == 0)
			return 0;
		j->p += n;
	}
	if (j->p >= j->end)
		return 0;
	j->p++;
	return 1;
}

static int digits(struct jp *j)
{
	const unsigned char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static int number(struct jp *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!digits(j))
		return 0;
	if (j->p < j->end && *j->p == '.' && (j->p++, !digits(j)))
		return 0;
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return 0;
	}
	return 1;
}

/* An object or array: members separated by ',', each "key": value or value. */
static int container(struct jp *j, char close, int keyed)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return 0;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 1;
	}
	for (;;) {
		skip_ws(j);
		if (keyed) {
			if (j->p >= j->end || *j->p != '"' || !string(j))
				return 0;
			skip_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return 0;
		}
		if (!value(j))
			return 0;
		skip_ws(j);
		if (j->p >= j->end)
			return 0;
		if (*j->p == close)
			break;
		if (*j->p++ != ',')
			return 0;
	}
	j->p++;
	j->depth--;
	return 1;
}

static int value(struct jp *j)
{
	skip_ws(j);
	if (j->p >= j->end)
		return 0;
	switch (*j->p) {
	case '{': return container(j, '}', 1);
	case '[': return container(j, ']', 0);
	case '"': return string(j);
	case 't': return literal(j, "true");
	case 'f': return literal(j, "false");
	case 'n': return literal(j, "null");
	default:  return (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) && number(j);
	}
}

int sbx_fuzz_json_valid(const char *text, size_t len)
{
	struct jp j = { (const unsigned char *)text, (const unsigned char *)text + len, 0 };
	if (!value(&j))
		return 0;
	skip_ws(&j);
	return j.p == j.end;
}
