/* SPDX-License-Identifier: MIT */
/*
 * The builtin functions of Go templates (text/template funcs.go) over JSON values, Go's truth
 * rule, and value printing as fmt.Print / fmt.Sprintf render the kinds JSON has.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/gotpl-int.h"
#include "util/buf.h"
#include "util/err.h"

#define FUNC_OUT_MAX GOTPL_OUT_MAX

static const char *const funcs[] = {
	"and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le",
	"gt", "ge", "html", "js", "urlquery",
};

bool tpl_func_known(const char *name)
{
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strcmp(funcs[i], name) == 0)
			return true;
	return false;
}

bool tpl_truth(const json_t *v)
{
	if (!v)
		return false;
	switch (json_typeof(v)) {
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0;
	case JSON_TRUE: return true;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_OBJECT: return json_object_size(v) > 0;
	default: return false;
	}
}

/* Go's %v of a float64: strconv 'g' with the shortest representation and Go's exponent form. */
static int print_real(struct buf *out, double d)
{
	char tmp[64];

	if (isinf(d))
		return buf_puts(out, d > 0 ? "+Inf" : "-Inf");
	if (isnan(d))
		return buf_puts(out, "NaN");
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* Go writes e+06 as e+06 too, but uses 'e' only for exponents < -4 or >= 21 */
	if (strchr(tmp, 'e')) {
		int exp = atoi(strchr(tmp, 'e') + 1);
		if (exp >= -4 && exp < 21)
			snprintf(tmp, sizeof(tmp), "%.*f", exp < 0 ? -exp + 16 : 0, d);
		char *dot = strchr(tmp, '.');
		if (dot && !strchr(tmp, 'e')) {
			char *e = tmp + strlen(tmp) - 1;
			while (e > dot && *e == '0')
				*e-- = '\0';
			if (e == dot)
				*e = '\0';
		}
	}
	return buf_puts(out, tmp);
}

int tpl_print_value(struct buf *out, const json_t *v, const char *none_text)
{
	const char *key;
	json_t *e;
	size_t i;
	int r = 0;

	if (!v)
		return buf_puts(out, none_text);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return buf_append(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return print_real(out, json_real_value(v));
	case JSON_TRUE:
		return buf_puts(out, "true");
	case JSON_FALSE:
		return buf_puts(out, "false");
	case JSON_NULL:
		return buf_puts(out, "<nil>");
	case JSON_ARRAY:
		r = buf_puts(out, "[");
		json_array_foreach(v, i, e) {
			if (r == 0 && i)
				r = buf_puts(out, " ");
			if (r == 0)
				r = tpl_print_value(out, e, "<nil>");
		}
		return r ? r : buf_puts(out, "]");
	case JSON_OBJECT: {
		/* fmt prints maps sorted by key */
		size_t n = json_object_size(v), k = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		json_object_foreach((json_t *)v, key, e)
			keys[k++] = key;
		for (size_t a = 1; a < n; a++)   /* insertion sort: objects here are small */
			for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
				const char *t = keys[b];
				keys[b] = keys[b - 1];
				keys[b - 1] = t;
			}
		r = buf_puts(out, "map[");
		for (k = 0; k < n && r == 0; k++) {
			r = buf_printf(out, "%s%s:", k ? " " : "", keys[k]);
			if (r == 0)
				r = tpl_print_value(out, json_object_get(v, keys[k]), "<nil>");
		}
		free(keys);
		return r ? r : buf_puts(out, "]");
	}
	}
	return 0;
}

/* ---- comparison ---- */

static bool is_num(const json_t *v)
{
	return v && (json_is_integer(v) || json_is_real(v));
}

/* -1/0/1 in *cmp; -EINVAL when the kinds cannot be compared (Go: incompatible types). */
static int compare(const json_t *a, const json_t *b, bool order, int *cmp, struct err *err)
{
	if (is_num(a) && is_num(b)) {
		if (json_is_integer(a) && json_is_integer(b)) {
			json_int_t x = json_integer_value(a), y = json_integer_value(b);
			*cmp = x < y ? -1 : x > y;
		} else {
			double x = json_number_value(a), y = json_number_value(b);
			*cmp = x < y ? -1 : x > y;
		}
		return 0;
	}
	if (a && b && json_is_string(a) && json_is_string(b)) {
		size_t la = json_string_length(a), lb = json_string_length(b);
		int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
		*cmp = c ? (c < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
		return 0;
	}
	if (!order && a && b && json_is_boolean(a) && json_is_boolean(b)) {
		*cmp = json_is_true(a) != json_is_true(b);
		return 0;
	}
	if (!order && (!a || json_is_null(a) || !b || json_is_null(b))) {
		*cmp = !((!a || json_is_null(a)) && (!b || json_is_null(b)));
		return 0;
	}
	if (!order && a && b && (json_is_array(a) || json_is_object(a)))
		return err_set(err, -EINVAL, "non-comparable type %s", "map or slice");
	return err_set(err, -EINVAL, "incompatible types for comparison");
}

static int fn_compare(const char *name, json_t **argv, size_t argc, json_t **ret,
		      struct err *err)
{
	int cmp = 0, r;
	bool res = false;

	if (argc < 2 || (strcmp(name, "eq") != 0 && argc != 2))
		return err_set(err, -EINVAL, "wrong number of args for %s: want 2 got %zu", name,
			       argc);
	if (strcmp(name, "eq") == 0) {
		for (size_t i = 1; i < argc && !res; i++) {
			if ((r = compare(argv[0], argv[i], false, &cmp, err)) < 0)
				return r;
			res = cmp == 0;
		}
	} else {
		bool order = strcmp(name, "ne") != 0;
		if ((r = compare(argv[0], argv[1], order, &cmp, err)) < 0)
			return r;
		res = !strcmp(name, "ne") ? cmp != 0 : !strcmp(name, "lt") ? cmp < 0
			: !strcmp(name, "le") ? cmp <= 0 : !strcmp(name, "gt") ? cmp > 0 : cmp >= 0;
	}
	*ret = json_boolean(res);
	return 0;
}

/* ---- fmt ---- */

static bool is_str(const json_t *v)
{
	return v && json_is_string(v);
}

/* fmt.Sprint: a space between operands when neither side is a string; Sprintln: always. */
static int fn_print(json_t **argv, size_t argc, bool ln, struct buf *out)
{
	int r = 0;

	for (size_t i = 0; i < argc && r == 0; i++) {
		if (i && (ln || (!is_str(argv[i - 1]) && !is_str(argv[i]))))
			r = buf_puts(out, " ");
		if (r == 0)
			r = tpl_print_value(out, argv[i], "<nil>");
	}
	return r ? r : ln ? buf_puts(out, "\n") : 0;
}

static int quote_go(struct buf *out, const char *s, size_t len)
{
	int r = buf_puts(out, "\"");

	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': r = buf_puts(out, "\\\""); break;
		case '\\': r = buf_puts(out, "\\\\"); break;
		case '\n': r = buf_puts(out, "\\n"); break;
		case '\t': r = buf_puts(out, "\\t"); break;
		case '\r': r = buf_puts(out, "\\r"); break;
		default:
			r = c < 0x20 || c == 0x7f ? buf_printf(out, "\\x%02x", c)
						  : buf_append(out, &s[i], 1);
		}
	}
	return r ? r : buf_puts(out, "\"");
}

static const char *go_type(const json_t *a)
{
	if (!a || json_is_null(a))
		return "<nil>";
	return json_is_string(a) ? "string" : json_is_boolean(a) ? "bool"
	       : json_is_integer(a) ? "int" : json_is_real(a) ? "float64"
	       : json_is_array(a) ? "[]interface {}" : "map[string]interface {}";
}

/* One verb of printf with its C flags/width/precision in spec ("%-5"), conversion c. */
static int printf_verb(struct buf *out, const char *spec, char c, const json_t *a)
{
	char fmt[48];

	if (!a)
		return buf_printf(out, "%%!%c(<nil>)", c);
	switch (c) {
	case 'd': case 'x': case 'X': case 'o': case 'c':
		if (json_is_integer(a)) {
			snprintf(fmt, sizeof(fmt), "%sll%c", spec, c == 'c' ? 'c' : c);
			if (c == 'c')
				return buf_printf(out, "%c", (int)json_integer_value(a));
			return buf_printf(out, fmt, (long long)json_integer_value(a));
		}
		if ((c == 'x' || c == 'X') && json_is_string(a)) {
			const unsigned char *s = (const unsigned char *)json_string_value(a);
			int r = 0;
			for (size_t i = 0; i < json_string_length(a) && r == 0; i++)
				r = buf_printf(out, c == 'x' ? "%02x" : "%02X", s[i]);
			return r;
		}
		break;
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
		if (is_num(a)) {
			snprintf(fmt, sizeof(fmt), "%s%c", spec, c);
			return buf_printf(out, fmt, json_number_value(a));
		}
		break;
	case 't':
		if (json_is_boolean(a))
			return buf_puts(out, json_is_true(a) ? "true" : "false");
		break;
	case 'q':
		if (json_is_string(a))
			return quote_go(out, json_string_value(a), json_string_length(a));
		break;
	case 's': case 'v':
		if (strcmp(spec, "%") != 0 && json_is_string(a)) {
			snprintf(fmt, sizeof(fmt), "%ss", spec);
			return buf_printf(out, fmt, json_string_value(a));
		}
		return tpl_print_value(out, a, "<nil>");
	}
	/* Go's bad-verb notation: %!d(string=x) */
	int r = buf_printf(out, "%%!%c(", c);
	if (r == 0)
		r = buf_printf(out, "%s=", go_type(a));
	if (r == 0)
		r = tpl_print_value(out, a, "<nil>");
	return r ? r : buf_puts(out, ")");
}

static int fn_printf(json_t **argv, size_t argc, struct buf *out, struct err *err)
{
	const char *f;
	size_t ai = 1;
	int r = 0;

	if (argc < 1 || !is_str(argv[0]))
		return err_set(err, -EINVAL, "printf: the format must be a string");
	f = json_string_value(argv[0]);
	while (*f && r == 0) {
		if (*f != '%') {
			const char *pct = strchr(f, '%');
			size_t n = pct ? (size_t)(pct - f) : strlen(f);
			r = buf_append(out, f, n);
			f += n;
			continue;
		}
		char spec[32] = "%";
		size_t sl = 1;
		f++;
		while (*f && strchr("+- #0", *f) && sl < 8)
			spec[sl++] = *f++;
		while (*f && isdigit((unsigned char)*f) && sl < 16)
			spec[sl++] = *f++;
		if (*f == '.') {
			spec[sl++] = *f++;
			while (*f && isdigit((unsigned char)*f) && sl < 24)
				spec[sl++] = *f++;
		}
		spec[sl] = '\0';
		while (*f && (strchr("+- #0.", *f) || isdigit((unsigned char)*f)))
			f++;   /* overlong specs are cut, not looped on */
		if (!*f) {
			r = buf_puts(out, "%!(NOVERB)");
			break;
		}
		char c = *f++;
		if (c == '%') {
			r = buf_puts(out, "%");
			continue;
		}
		if (ai >= argc) {
			r = buf_printf(out, "%%!%c(MISSING)", c);
			continue;
		}
		r = printf_verb(out, spec, c, argv[ai++]);
	}
	if (r == 0 && ai < argc) {
		r = buf_puts(out, "%!(EXTRA ");
		for (; ai < argc && r == 0; ai++) {
			r = buf_printf(out, "%s=", go_type(argv[ai]));
			if (r == 0)
				r = tpl_print_value(out, argv[ai], "<nil>");
			if (r == 0 && ai + 1 < argc)
				r = buf_puts(out, ", ");
		}
		if (r == 0)
			r = buf_puts(out, ")");
	}
	return r;
}

/* ---- escapers of text/template (html, js, urlquery) ---- */

static int esc_query(struct buf *out, const char *s, size_t len)
{
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			r = buf_append(out, &s[i], 1);
		else if (c == ' ')
			r = buf_puts(out, "+");
		else
			r = buf_printf(out, "%%%02X", c);
	}
	return r;
}

/* Text-producing functions write to out and set *textual; the others set *ret. */
static int call(const char *name, json_t **argv, size_t argc, json_t **ret, struct buf *out,
		bool *textual, struct err *err)
{
	if (!strcmp(name, "and") || !strcmp(name, "or")) {
		bool is_and = name[0] == 'a';
		if (argc < 1)
			return err_set(err, -EINVAL, "wrong number of args for %s", name);
		for (size_t i = 0; i < argc; i++)
			if (tpl_truth(argv[i]) != is_and || i + 1 == argc) {
				*ret = json_incref(argv[i]);
				return 0;
			}
	}
	if (!strcmp(name, "not")) {
		if (argc != 1)
			return err_set(err, -EINVAL, "wrong number of args for not: want 1 got %zu",
				       argc);
		*ret = json_boolean(!tpl_truth(argv[0]));
		return 0;
	}
	if (!strcmp(name, "len")) {
		const json_t *a = argc == 1 ? argv[0] : NULL;
		if (argc != 1)
			return err_set(err, -EINVAL, "wrong number of args for len: want 1 got %zu",
				       argc);
		if (a && json_is_string(a))
			*ret = json_integer((json_int_t)json_string_length(a));
		else if (a && json_is_array(a))
			*ret = json_integer((json_int_t)json_array_size(a));
		else if (a && json_is_object(a))
			*ret = json_integer((json_int_t)json_object_size(a));
		else
			return err_set(err, -EINVAL, "len of type %s", a ? "non-collection" : "nil");
		return 0;
	}
	if (!strcmp(name, "index")) {
		json_t *v = argc ? json_incref(argv[0]) : NULL;
		if (argc < 1)
			return err_set(err, -EINVAL, "wrong number of args for index");
		for (size_t i = 1; i < argc; i++) {
			json_t *next = NULL;
			if (v && json_is_array(v) && argv[i] && json_is_integer(argv[i])) {
				json_int_t k = json_integer_value(argv[i]);
				if (k < 0 || (size_t)k >= json_array_size(v)) {
					json_decref(v);
					return err_set(err, -EINVAL, "index out of range: %lld",
						       (long long)k);
				}
				next = json_incref(json_array_get(v, (size_t)k));
			} else if (v && json_is_object(v) && argv[i] && json_is_string(argv[i])) {
				next = json_incref(json_object_get(v, json_string_value(argv[i])));
			} else if (!v || json_is_null(v)) {
				return err_set(err, -EINVAL, "index of untyped nil");
			} else {
				json_decref(v);
				return err_set(err, -EINVAL, "cannot index with this value");
			}
			json_decref(v);
			v = next;
		}
		*ret = v;
		return 0;
	}
	if (!strcmp(name, "eq") || !strcmp(name, "ne") || !strcmp(name, "lt") ||
	    !strcmp(name, "le") || !strcmp(name, "gt") || !strcmp(name, "ge"))
		return fn_compare(name, argv, argc, ret, err);
	*textual = true;
	if (!strcmp(name, "printf"))
		return fn_printf(argv, argc, out, err);
	if (!strcmp(name, "print") || !strcmp(name, "println"))
		return fn_print(argv, argc, name[5] == 'l', out);
	/* html, js, urlquery: escape the Sprint of the arguments */
	struct buf tmp;
	int r;
	buf_init(&tmp, FUNC_OUT_MAX);
	r = argc == 1 && is_str(argv[0])
		    ? buf_append(&tmp, json_string_value(argv[0]), json_string_length(argv[0]))
		    : fn_print(argv, argc, false, &tmp);
	const char *s = tmp.p ? tmp.p : "";
	if (r == 0)
		r = !strcmp(name, "html") ? tpl_escape_html(out, s, tmp.len, false)
		  : !strcmp(name, "js") ? tpl_escape_js_string(out, s, tmp.len)
					: esc_query(out, s, tmp.len);
	buf_release(&tmp);
	return r;
}

int tpl_func_call(const char *name, json_t **argv, size_t argc, json_t **ret, struct err *err)
{
	struct buf out;
	json_t *v = NULL;
	bool textual = false;
	int r;

	buf_init(&out, FUNC_OUT_MAX);
	r = call(name, argv, argc, &v, &out, &textual, err);
	if (r == 0 && textual) {
		v = json_stringn_nocheck(out.p ? out.p : "", out.len);
		if (!v)
			r = err_set(err, -ENOMEM, "out of memory");
	} else if (r < 0 && err && !err->code) {
		err_set(err, r, "%s", r == -E2BIG ? "output too large" : "out of memory");
	}
	buf_release(&out);
	if (r == 0)
		*ret = v;
	return r;
}
