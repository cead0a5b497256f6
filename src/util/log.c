/* SPDX-License-Identifier: MIT */
/* Logging to stderr, text (plain, or with coloured levels for advanced.log_pretty) or JSON lines
 * (advanced.log_json wins), serialised so concurrent threads do not interleave. */
#include "util/log.h"

#include <pthread.h>
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
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048], ts[40];
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
			colour[lvl], names[lvl], line);
	} else {
		fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts, now.tv_nsec / 1000000, names[lvl], line);
	}
	pthread_mutex_unlock(&log_lock);
}
