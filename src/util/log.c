/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr, text (plain, or with coloured levels for advanced.log_pretty) or JSON lines
 * (advanced.log_json wins), serialised so concurrent threads do not interleave.
 * One event is one line whatever the message holds: control characters (CR, LF, ESC, ...),
 * DEL and the C1 controls of UTF-8 are written as escapes, so a value taken from a request or a
 * device can neither start a forged line nor drive the terminal (docs/http-hardening.md).
 */
#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static enum log_level cur_level = LOG_LVL_INFO;
static int json_mode, pretty_mode;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level lvl) { cur_level = lvl; }
void log_set_json(int on) { json_mode = on; }
void log_set_pretty(int on) { pretty_mode = on; }
int log_enabled(enum log_level lvl) { return lvl <= cur_level; }

enum log_level log_level_parse(const char *s)
{
	if (!s)
		return LOG_LVL_INFO;
	if (!strcasecmp(s, "trace") || !strcasecmp(s, "debug"))
		return LOG_LVL_DEBUG;
	if (!strcasecmp(s, "warn") || !strcasecmp(s, "warning"))
		return LOG_LVL_WARN;
	if (!strcasecmp(s, "error"))
		return LOG_LVL_ERROR;
	return LOG_LVL_INFO;
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f)
			fprintf(f, "\\u%04x", (unsigned char)*++s);
		else
			fputc(c, f);
	}
}

/* One escape for a control character; quote also escapes '\\' and '\''. Returns the length
 * written to out (at most 6 bytes, no NUL), 0 when c stays as it is. */
static size_t esc_char(const char *s, bool quote, char out[static 7], size_t *ret_used)
{
	unsigned char c = (unsigned char)s[0];

	*ret_used = 1;
	switch (c) {
	case '\n':
		return (size_t)snprintf(out, 7, "\\n");
	case '\r':
		return (size_t)snprintf(out, 7, "\\r");
	case '\t':
		return (size_t)snprintf(out, 7, "\\t");
	case '\\':
	case '\'':
		return quote ? (size_t)snprintf(out, 7, "\\%c", c) : 0;
	default:
		break;
	}
	if (c < 0x20 || c == 0x7f)
		return (size_t)snprintf(out, 7, "\\x%02x", c);
	if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f) {
		*ret_used = 2;
		return (size_t)snprintf(out, 7, "\\u%04x", (unsigned char)s[1]);
	}
	return 0;
}

/* Escapes s into out (size n, always terminated; cut before an escape that does not fit). */
static const char *escape(const char *s, bool quote, char *out, size_t n)
{
	size_t o = 0;

	if (!n)
		return out;
	while (s && *s) {
		char e[7];
		size_t used, len = esc_char(s, quote, e, &used);
		const char *src = len ? e : s;

		if (!len)
			len = 1;
		if (o + len >= n)
			break;
		memcpy(out + o, src, len);
		o += len;
		s += used;
	}
	out[o] = '\0';
	return out;
}

const char *log_quote(const char *s, char *buf, size_t size)
{
	return escape(s ? s : "", true, buf, size);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048], safe[2048 * 4], ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (lvl > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	pthread_mutex_lock(&log_lock);
	if (json_mode) {
		fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"", ts,
			now.tv_nsec / 1000000, names[lvl]);
		json_escape(stderr, line);
		fputs("\"}\n", stderr);
	} else if (pretty_mode) {
		/* advanced.log_pretty: the level in colour (red, yellow, green, blue) */
		static const char *const colour[] = { "31", "33", "32", "34" };
		fprintf(stderr, "%s.%03ldZ \033[%sm%-5s\033[0m %s\n", ts, now.tv_nsec / 1000000,
			colour[lvl], names[lvl], escape(line, false, safe, sizeof(safe)));
	} else {
		fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts, now.tv_nsec / 1000000, names[lvl],
			escape(line, false, safe, sizeof(safe)));
	}
	pthread_mutex_unlock(&log_lock);
}
