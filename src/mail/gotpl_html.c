/* SPDX-License-Identifier: MIT */
/*
 * html/template's contextual escaping, done on the output stream: template text is fed through
 * a small HTML tokenizer (text, tags, attribute names and values, raw text of script/style/
 * textarea/title, comments), and each value is escaped for the context it lands in with Go's
 * escapers (html/template escape.go, html.go, url.go, js.go, css.go). HTML comments in the
 * template text are dropped, as Go does. Values never change the tokenizer state except the
 * URL part (a value may end the scheme/path part of a URL).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/gotpl-int.h"
#include "util/buf.h"

enum {
	H_TEXT, H_TAG_NAME, H_TAG, H_ATTR_NAME, H_AFTER_NAME, H_BEFORE_VAL, H_VAL_DQ, H_VAL_SQ,
	H_VAL_UNQ, H_RAW, H_COMMENT,
};
enum { A_PLAIN, A_URL, A_JS, A_CSS };
enum { U_NONE, U_PRE, U_QUERY };
enum { R_NONE, R_SCRIPT, R_STYLE, R_RCDATA };

#define FILTERED "ZgotmplZ"

void tpl_html_init(struct tpl_html *h)
{
	memset(h, 0, sizeof(*h));
	h->state = H_TEXT;
}

static void name_reset(struct tpl_html *h)
{
	h->name_len = 0;
	h->name[0] = '\0';
}

static void name_add(struct tpl_html *h, char c)
{
	if (h->name_len + 1 < sizeof(h->name)) {
		h->name[h->name_len++] = (char)tolower((unsigned char)c);
		h->name[h->name_len] = '\0';
	}
}

/* html/template attrType: URL, JS (on*), CSS (style) or plain, by attribute name. */
static int attr_type(const char *name)
{
	static const char *const url_attrs[] = {
		"action", "archive", "background", "cite", "classid", "codebase", "data",
		"formaction", "href", "icon", "longdesc", "manifest", "poster", "profile", "src",
		"usemap", "xmlns",
	};
	if (strncmp(name, "data-", 5) == 0)
		name += 5;
	else if (strncmp(name, "xmlns:", 6) == 0)
		return A_URL;
	for (size_t i = 0; i < sizeof(url_attrs) / sizeof(url_attrs[0]); i++)
		if (strcmp(name, url_attrs[i]) == 0)
			return A_URL;
	if (strncmp(name, "on", 2) == 0)
		return A_JS;
	if (strcmp(name, "style") == 0)
		return A_CSS;
	if (strstr(name, "src") || strstr(name, "uri") || strstr(name, "url"))
		return A_URL;
	return A_PLAIN;
}

static void tag_end(struct tpl_html *h)
{
	h->state = H_TEXT;
	h->raw_elem = R_NONE;
	h->js_quote = 0;
	h->cmt = 0;
	if (h->end_tag)
		return;
	if (!strcmp(h->tag, "script"))
		h->raw_elem = R_SCRIPT;
	else if (!strcmp(h->tag, "style"))
		h->raw_elem = R_STYLE;
	else if (!strcmp(h->tag, "textarea") || !strcmp(h->tag, "title"))
		h->raw_elem = R_RCDATA;
	if (h->raw_elem != R_NONE)
		h->state = H_RAW;
}

static void value_char(struct tpl_html *h, char c)
{
	if (h->attr != A_URL)
		return;
	if (c == '?' || c == '#')
		h->url_part = U_QUERY;
	else if (h->url_part == U_NONE)
		h->url_part = U_PRE;
}

static void start_attr(struct tpl_html *h, char c)
{
	h->state = H_ATTR_NAME;
	name_reset(h);
	name_add(h, c);
}

/* Does s[i..] start "</name" (name case-insensitive) for the raw element's end tag? */
static bool raw_end_at(const struct tpl_html *h, const char *s, size_t len, size_t i)
{
	const char *name = h->tag;
	size_t n = strlen(name);

	return len - i >= n + 2 && s[i] == '<' && s[i + 1] == '/' &&
	       strncasecmp(s + i + 2, name, n) == 0;
}

enum { KEEP, DROP, DROP_SPACE };

/* Inside <script> or <style>: comments are dropped (a block comment becomes one space, as
 * html/template does), string literals of scripts are tracked so values in them are escaped
 * as string content. */
static int step_raw(struct tpl_html *h, const char *s, size_t len, size_t *pi)
{
	size_t i = *pi;
	char c = s[i];

	if (h->cmt == 1) {
		if (c == '*' && i + 1 < len && s[i + 1] == '/') {
			h->cmt = 0;
			*pi = i + 1;
			return DROP_SPACE;
		}
		return DROP;
	}
	if (h->cmt == 2) {
		if (c != '\n')
			return DROP;
		h->cmt = 0;
		return KEEP;
	}
	if (h->js_quote) {
		if (c == '\\' && i + 1 < len)
			*pi = i + 1;
		else if (c == h->js_quote)
			h->js_quote = 0;
		return KEEP;
	}
	if (c == '/' && i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '/')) {
		h->cmt = s[i + 1] == '*' ? 1 : 2;
		*pi = i + 1;
		return DROP;
	}
	if (h->raw_elem == R_SCRIPT && (c == '"' || c == '\'' || c == '`'))
		h->js_quote = c;
	else if (raw_end_at(h, s, len, i)) {
		h->state = H_TAG_NAME;
		h->end_tag = 1;
		name_reset(h);
		*pi = i + 1;
	}
	return KEEP;
}

/* One character of template text: KEEP, or DROP when it belongs to a dropped comment. */
static int step(struct tpl_html *h, const char *s, size_t len, size_t *pi)
{
	size_t i = *pi;
	char c = s[i];
	bool sp = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';

	switch (h->state) {
	case H_TEXT:
		if (c != '<' || i + 1 >= len)
			return KEEP;
		if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			h->state = H_COMMENT;
			h->match = 0;
			*pi = i + 3;
			return DROP;
		}
		if (isalpha((unsigned char)s[i + 1]) ||
		    (s[i + 1] == '/' && i + 2 < len && isalpha((unsigned char)s[i + 2]))) {
			h->end_tag = s[i + 1] == '/';
			h->state = H_TAG_NAME;
			name_reset(h);
			if (h->end_tag)
				*pi = i + 1;
		}
		return KEEP;
	case H_COMMENT:
		if (c == '-')
			h->match++;
		else if (c == '>' && h->match >= 2)
			h->state = H_TEXT;
		else
			h->match = 0;
		return DROP;
	case H_TAG_NAME:
		if (sp || c == '/' || c == '>') {
			snprintf(h->tag, sizeof(h->tag), "%.15s", h->name);
			h->state = H_TAG;
			if (c == '>')
				tag_end(h);
		} else {
			name_add(h, c);
		}
		return KEEP;
	case H_TAG:
		if (c == '>')
			tag_end(h);
		else if (!sp && c != '/')
			start_attr(h, c);
		return KEEP;
	case H_ATTR_NAME:
	case H_AFTER_NAME:
		if (c == '>') {
			tag_end(h);
		} else if (c == '=') {
			h->attr = attr_type(h->name);
			h->state = H_BEFORE_VAL;
		} else if (sp) {
			if (h->state == H_ATTR_NAME)
				h->state = H_AFTER_NAME;
		} else if (c == '/') {
			h->state = H_TAG;
		} else if (h->state == H_AFTER_NAME) {
			start_attr(h, c);
		} else {
			name_add(h, c);
		}
		return KEEP;
	case H_BEFORE_VAL:
		h->url_part = U_NONE;
		if (c == '"')
			h->state = H_VAL_DQ;
		else if (c == '\'')
			h->state = H_VAL_SQ;
		else if (c == '>')
			tag_end(h);
		else if (!sp) {
			h->state = H_VAL_UNQ;
			value_char(h, c);
		}
		return KEEP;
	case H_VAL_DQ:
	case H_VAL_SQ:
		if (c == (h->state == H_VAL_DQ ? '"' : '\''))
			h->state = H_TAG;
		else
			value_char(h, c);
		return KEEP;
	case H_VAL_UNQ:
		if (sp)
			h->state = H_TAG;
		else if (c == '>')
			tag_end(h);
		else
			value_char(h, c);
		return KEEP;
	case H_RAW:
		if (h->raw_elem == R_RCDATA) {
			if (raw_end_at(h, s, len, i)) {
				h->state = H_TAG_NAME;
				h->end_tag = 1;
				name_reset(h);
				*pi = i + 1;
			}
			return KEEP;
		}
		return step_raw(h, s, len, pi);
	}
	return KEEP;
}

int tpl_html_text(struct tpl_html *h, struct buf *out, const char *s, size_t len)
{
	size_t from = 0;
	int r = 0;

	/* kept text is copied in runs; a dropped character flushes the run before it */
	for (size_t i = 0; i < len && r == 0; i++) {
		size_t start = i;
		int d = step(h, s, len, &i);
		if (d == KEEP)
			continue;
		r = buf_append(out, s + from, start - from);
		if (r == 0 && d == DROP_SPACE)
			r = buf_puts(out, " ");
		from = i + 1;
	}
	if (r == 0 && from < len)
		r = buf_append(out, s + from, len - from);
	return r;
}

/* ---- escapers ---- */

/* html/template's htmlEscaper (plus: '+' too) and htmlNospaceEscaper (nospace), and
 * text/template's HTMLEscape (neither). */
static int esc_table(struct buf *out, const char *s, size_t len, bool nospace, bool plus)
{
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '\0': rep = nospace ? "&#xfffd;" : "\xef\xbf\xbd"; break;
		case '"': rep = "&#34;"; break;
		case '&': rep = "&amp;"; break;
		case '\'': rep = "&#39;"; break;
		case '+': rep = plus ? "&#43;" : NULL; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		}
		if (nospace && !rep) {
			switch (s[i]) {
			case '\t': rep = "&#9;"; break;
			case '\n': rep = "&#10;"; break;
			case '\v': rep = "&#11;"; break;
			case '\f': rep = "&#12;"; break;
			case '\r': rep = "&#13;"; break;
			case ' ': rep = "&#32;"; break;
			case '=': rep = "&#61;"; break;
			case '`': rep = "&#96;"; break;
			}
		}
		r = rep ? buf_puts(out, rep) : buf_append(out, &s[i], 1);
	}
	return r;
}

int tpl_escape_html(struct buf *out, const char *s, size_t len, bool plus)
{
	return esc_table(out, s, len, false, plus);
}

int tpl_escape_js_string(struct buf *out, const char *s, size_t len)
{
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\\': r = buf_puts(out, "\\\\"); break;
		case '\'': r = buf_puts(out, "\\'"); break;
		case '"': r = buf_puts(out, "\\\""); break;
		case '<': case '>': case '&': case '=':
			r = buf_printf(out, "\\u%04X", c);
			break;
		default:
			r = c < 0x20 ? buf_printf(out, "\\u%04X", c) : buf_append(out, &s[i], 1);
		}
	}
	return r;
}

/* html/template jsValEscaper for a string: a JSON string literal with <, >, & hidden. */
static int esc_js_value(struct buf *out, const char *s, size_t len)
{
	int r = buf_puts(out, "\"");

	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': r = buf_puts(out, "\\\""); break;
		case '\\': r = buf_puts(out, "\\\\"); break;
		case '\n': r = buf_puts(out, "\\n"); break;
		case '\r': r = buf_puts(out, "\\r"); break;
		case '\t': r = buf_puts(out, "\\t"); break;
		case '<': case '>': case '&':
			r = buf_printf(out, "\\u%04x", c);
			break;
		default:
			r = c < 0x20 ? buf_printf(out, "\\u%04x", c) : buf_append(out, &s[i], 1);
		}
	}
	return r ? r : buf_puts(out, "\"");
}

/* html/template jsStrEscaper: the inside of a JS string literal. */
static int esc_js_str(struct buf *out, const char *s, size_t len)
{
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\\': r = buf_puts(out, "\\\\"); break;
		case '\n': r = buf_puts(out, "\\n"); break;
		case '\r': r = buf_puts(out, "\\r"); break;
		case '\t': r = buf_puts(out, "\\t"); break;
		case '\f': r = buf_puts(out, "\\f"); break;
		case '/': r = buf_puts(out, "\\/"); break;
		case '"': case '&': case '\'': case '+': case '<': case '>': case '`':
			r = buf_printf(out, "\\u%04x", c);
			break;
		default:
			r = c < 0x20 ? buf_printf(out, "\\u%04x", c) : buf_append(out, &s[i], 1);
		}
	}
	return r;
}

int tpl_escape_url(struct buf *out, const char *s, size_t len, bool normalise)
{
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		bool keep = isalnum(c) || strchr("-._~", c) ||
			    (normalise && c && strchr("!#$&*+,/:;=?@[]%", c));
		r = keep ? buf_append(out, &s[i], 1) : buf_printf(out, "%%%02x", c);
	}
	return r;
}

/* html/template urlFilter: only http, https and mailto schemes (or none) pass. */
static bool url_safe(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			return true;
		if (s[i] == ':')
			return (i == 4 && !strncasecmp(s, "http", 4)) ||
			       (i == 5 && !strncasecmp(s, "https", 5)) ||
			       (i == 6 && !strncasecmp(s, "mailto", 6));
	}
	return true;
}

/* html/template cssValueFilter: ZgotmplZ for anything that could leave a CSS value. */
static bool css_safe(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!s[i] || strchr("\"'()/;@[\\]`{}<>", s[i]))
			return false;
	return !memmem(s, len, "expression", 10) && !memmem(s, len, "mozbinding", 10);
}

static int attr_escape(const struct tpl_html *h, struct buf *out, const char *s, size_t len)
{
	if (h->state == H_VAL_UNQ) {
		if (len == 0)
			return buf_puts(out, FILTERED);
		return esc_table(out, s, len, true, true);
	}
	return esc_table(out, s, len, false, true);
}

static int value_in_attr(struct tpl_html *h, struct buf *out, const char *s, size_t len)
{
	struct buf tmp;
	int r = 0;

	buf_init(&tmp, GOTPL_OUT_MAX);
	switch (h->attr) {
	case A_URL:
		if (h->url_part == U_NONE && !url_safe(s, len))
			r = buf_puts(&tmp, "#" FILTERED);
		else
			r = tpl_escape_url(&tmp, s, len, h->url_part != U_QUERY);
		for (size_t i = 0; r == 0 && i < tmp.len; i++)
			value_char(h, tmp.p[i]);
		break;
	case A_JS:
		r = esc_js_value(&tmp, s, len);
		break;
	case A_CSS:
		r = css_safe(s, len) ? buf_append(&tmp, s, len) : buf_puts(&tmp, FILTERED);
		break;
	default:
		r = buf_append(&tmp, s, len);
	}
	if (r == 0)
		r = attr_escape(h, out, tmp.p ? tmp.p : "", tmp.len);
	buf_release(&tmp);
	return r;
}

int tpl_html_value(struct tpl_html *h, struct buf *out, const char *s, size_t len)
{

	switch (h->state) {
	case H_TEXT:
		return esc_table(out, s, len, false, true);
	case H_COMMENT:
		return 0;
	case H_RAW:
		if (h->cmt)
			return 0;
		if (h->raw_elem == R_SCRIPT)
			return h->js_quote ? esc_js_str(out, s, len) : esc_js_value(out, s, len);
		if (h->raw_elem == R_STYLE)
			return css_safe(s, len) ? buf_append(out, s, len) : buf_puts(out, FILTERED);
		return esc_table(out, s, len, false, true);
	case H_TAG_NAME:
	case H_TAG:
	case H_ATTR_NAME:
	case H_AFTER_NAME: {
		/* the value becomes (part of) an attribute name: letters, digits, '-' only */
		bool ok = len > 0;
		for (size_t i = 0; i < len && ok; i++)
			ok = isalnum((unsigned char)s[i]) || s[i] == '-';
		if (!ok)
			return buf_puts(out, FILTERED);
		if (h->state == H_TAG || h->state == H_AFTER_NAME) {
			h->state = H_ATTR_NAME;
			name_reset(h);
		}
		for (size_t i = 0; i < len; i++)
			name_add(h, s[i]);
		return buf_append(out, s, len);
	}
	case H_BEFORE_VAL:
		h->state = H_VAL_UNQ;
		h->url_part = U_NONE;
		return value_in_attr(h, out, s, len);
	default:
		return value_in_attr(h, out, s, len);
	}
}
