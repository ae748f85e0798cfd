/*
 * log.c - JSON lines for --log: a fixed buffer per line, strings escaped;
 * a line that would not fit becomes {"truncated":true}, never half an object.
 */
#include "rt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RT_JSON_RESERVE 32   /* room kept for the closing of a cut line */

static void put(struct rt_json *j, const char *s, size_t n)
{
	if (j->overflow || j->len + n + RT_JSON_RESERVE > sizeof j->buf) {
		j->overflow = 1;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void puts_(struct rt_json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* A JSON string: quotes, backslashes and control characters escaped. */
/* Length of the valid UTF-8 sequence at s (2 to 4), or 0: overlongs, surrogates
 * and values past U+10FFFF are invalid, as is a sequence cut by the NUL. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (n == 0 || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* Paths and arguments are bytes, JSON is UTF-8: invalid bytes become U+FFFD. */
static void put_string(struct rt_json *j, const char *s)
{
	char esc[8];
	put(j, "\"", 1);
	while (s && *s) {
		unsigned char c = (unsigned char)*s;
		size_t n = 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(j, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			puts_(j, esc);
		} else if (c < 0x80) {
			put(j, s, 1);
		} else if ((n = utf8_seq((const unsigned char *)s)) != 0) {
			put(j, s, n);
		} else {
			puts_(j, "\\ufffd");
			n = 1;
		}
		s += n;
	}
	put(j, "\"", 1);
}

void rt_json_begin(struct rt_json *j)
{
	j->len = 0;
	j->overflow = 0;
	j->first = 1;
	put(j, "{", 1);
}

void rt_json_key(struct rt_json *j, const char *key)
{
	if (!j->first)
		put(j, ",", 1);
	j->first = 0;
	if (key) {
		put_string(j, key);
		put(j, ":", 1);
	}
}

void rt_json_str(struct rt_json *j, const char *key, const char *val)
{
	rt_json_key(j, key);
	if (val)
		put_string(j, val);
	else
		puts_(j, "null");
}

void rt_json_u64(struct rt_json *j, const char *key, uint64_t val)
{
	char num[24];
	snprintf(num, sizeof num, "%llu", (unsigned long long)val);
	rt_json_raw(j, key, num);
}

void rt_json_i64(struct rt_json *j, const char *key, int64_t val)
{
	char num[24];
	snprintf(num, sizeof num, "%lld", (long long)val);
	rt_json_raw(j, key, num);
}

void rt_json_hex(struct rt_json *j, const char *key, uint64_t val)
{
	char num[24];
	snprintf(num, sizeof num, "%016llx", (unsigned long long)val);
	rt_json_str(j, key, num);
}

void rt_json_raw(struct rt_json *j, const char *key, const char *raw)
{
	rt_json_key(j, key);
	puts_(j, raw);
}

void rt_json_open(struct rt_json *j, const char *key, char bracket)
{
	rt_json_key(j, key);
	put(j, &bracket, 1);
	j->first = 1;
}

void rt_json_close(struct rt_json *j, char bracket)
{
	put(j, &bracket, 1);
	j->first = 0;
}

/* "time": RFC 3339 UTC with milliseconds. */
void rt_json_time(struct rt_json *j)
{
	struct timespec ts;
	struct tm tm;
	char buf[40], out[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof out, "%s.%03dZ", buf, (int)(ts.tv_nsec / 1000000) % 1000);
	rt_json_str(j, "time", out);
}

void rt_json_emit(struct rt_json *j, int fd)
{
	if (fd < 0)
		return;
	if (j->overflow) {
		/* Too big for one line (callers cap what they log, so this is a bug
		   guard): say so rather than write half an object. */
		j->overflow = 0;
		j->len = 0;
		puts_(j, "{\"truncated\":true}");
	} else
		put(j, "}", 1);
	j->buf[j->len++] = '\n';
	for (size_t off = 0; off < j->len; ) {
		ssize_t w = write(fd, j->buf + off, j->len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}
