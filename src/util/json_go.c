/* SPDX-License-Identifier: MIT */
/* Go-compatible JSON serialisation (see json_go.h), shared by the API answers and webhooks. */
#include "util/json_go.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

char *json_dump_go(const json_t *v, bool newline)
{
	char *raw = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	struct buf b;
	int r = 0;

	if (!raw)
		return NULL;
	buf_init(&b, strlen(raw) * 6 + 2);
	for (const char *c = raw; *c && r == 0; c++) {
		/* '<', '>' and '&' can only occur inside strings, so no string tracking needed;
		 * escapes are copied as pairs so an escaped backslash is never misread */
		switch (*c) {
		case '<':
			r = buf_puts(&b, "\\u003c");
			break;
		case '>':
			r = buf_puts(&b, "\\u003e");
			break;
		case '&':
			r = buf_puts(&b, "\\u0026");
			break;
		case '\\':
			/* Go writes \u0008 and \u000c where jansson writes \b and \f */
			if (c[1] == 'b')
				r = buf_puts(&b, "\\u0008");
			else if (c[1] == 'f')
				r = buf_puts(&b, "\\u000c");
			else
				r = buf_append(&b, c, 2);
			c++;
			break;
		case '\xe2':
			/* U+2028 / U+2029 (E2 80 A8/A9): Go escapes the JavaScript line separators */
			if ((unsigned char)c[1] == 0x80 &&
			    ((unsigned char)c[2] == 0xa8 || (unsigned char)c[2] == 0xa9)) {
				r = buf_puts(&b, (unsigned char)c[2] == 0xa8 ? "\\u2028" : "\\u2029");
				c += 2;
				break;
			}
			r = buf_append(&b, c, 1);
			break;
		default:
			r = buf_append(&b, c, 1);
		}
	}
	if (r == 0 && newline)
		r = buf_puts(&b, "\n");
	free(raw);
	if (r < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}
