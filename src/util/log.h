/* SPDX-License-Identifier: MIT */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H
/*
 * One line per event to stderr. Library layers (model, store, config, backends) log at debug
 * only; api/, sync/, core/ and main.c log once where an error is handled. Never log keys,
 * tokens, passwords or request bodies.
 */
#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
/* Parses wg-portal's advanced.log_level words (trace/debug/info/information/warn/warning/error),
 * case-insensitive; anything else is info. */
enum log_level log_level_parse(const char *s);
void log_set_json(int on);
/* Coloured level names (advanced.log_pretty); JSON mode wins. */
void log_set_pretty(int on);
int log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A copy of s fit to stand between single quotes in a log line: control characters, DEL, C1
 * controls, '\\' and '\'' escaped (\\n, \\x1b, \\', ...). Writes into buf (cut to size);
 * returns buf. Use it for every value that comes from a request or a device. */
const char *log_quote(const char *s, char *buf, size_t size);
/* Buffer size that holds the quoted form of a value of up to n bytes. */
#define LOG_QUOTE_SIZE(n) ((n) * 6 + 1)

#define log_err(...)   log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
