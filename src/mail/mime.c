/* SPDX-License-Identifier: MIT */
/*
 * MIME message assembly (see mime.h): headers with injection checks, RFC 2047 encoded words,
 * quoted-printable text parts, base64 binary parts, random boundaries.
 */
#include "mail/mime.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mail/address.h"
#include "util/buf.h"
#include "util/err.h"

static bool is_ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* A header value: checked for control characters, RFC 2047 B-encoded when not ASCII. */
static int put_header(struct buf *out, const char *name, const char *value, struct err *err)
{
	if (mail_has_ctl(value))
		return err_field(err, -EINVAL, name, "mail header %s: value contains CR, LF or "
				 "control characters", name);
	if (is_ascii_printable(value))
		return buf_printf(out, "%s: %s\r\n", name, value);
	/* encoded words of at most 45 input bytes (60 base64 chars), never splitting UTF-8 */
	int r = buf_printf(out, "%s:", name);
	size_t len = strlen(value), i = 0;
	while (r == 0 && i < len) {
		size_t n = len - i > 45 ? 45 : len - i;
		while (n > 1 && i + n < len && ((unsigned char)value[i + n] & 0xc0) == 0x80)
			n--;
		char b64[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)value + i, n,
				  sodium_base64_VARIANT_ORIGINAL);
		r = buf_printf(out, "%s=?UTF-8?B?%s?=", i ? "\r\n " : " ", b64);
		i += n;
	}
	return r ? r : buf_puts(out, "\r\n");
}

static int put_address(struct buf *out, const char *name, const char *display, const char *addr,
		       struct err *err)
{
	char val[3 * MAIL_ADDR_MAX];
	int r;

	if (mail_has_ctl(addr) || !mail_addr_spec_valid(addr))
		return err_field(err, -EINVAL, name, "mail header %s: '%s' is not an e-mail address",
				 name, addr);
	if (!display || !*display)
		return put_header(out, name, addr, err);
	if (mail_has_ctl(display))
		return err_field(err, -EINVAL, name, "mail header %s: display name contains control "
				 "characters", name);
	if (!is_ascii_printable(display)) {
		/* encode the display name alone, keep the address readable */
		struct buf tmp;
		buf_init(&tmp, 4096);
		r = put_header(&tmp, name, display, err);
		if (r == 0 && tmp.len >= 2) {
			tmp.p[tmp.len - 2] = '\0';           /* drop CRLF */
			r = buf_printf(out, "%s <%s>\r\n", tmp.p, addr);
		}
		buf_release(&tmp);
		return r;
	}
	bool special = strpbrk(display, "()<>[]:;@\\,.\"") != NULL;
	snprintf(val, sizeof(val), special ? "\"%s\" <%s>" : "%s <%s>", display, addr);
	if (special && strchr(display, '"'))
		return err_field(err, -EINVAL, name, "mail header %s: display name contains a quote",
				 name);
	return put_header(out, name, val, err);
}

/* Quoted-printable (RFC 2045 6.7): LF or CRLF become CRLF, lines at most 76 characters. */
static int put_qp(struct buf *out, const char *s, size_t len)
{
	size_t col = 0;
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (c == '\n') {
			r = buf_puts(out, "\r\n");
			col = 0;
			continue;
		}
		bool at_eol = i + 1 == len || s[i + 1] == '\n' || s[i + 1] == '\r';
		bool lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
		size_t w = lit ? 1 : 3;
		if (col + w > 75) {
			r = buf_puts(out, "=\r\n");
			col = 0;
		}
		if (r == 0)
			r = lit ? buf_append(out, &s[i], 1) : buf_printf(out, "=%02X", c);
		col += w;
	}
	return r;
}

static int put_base64(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i += 57) {   /* 57 bytes = 76 characters */
		size_t n = len - i > 57 ? 57 : len - i;
		char line[sodium_base64_ENCODED_LEN(57, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(line, sizeof(line), p + i, n, sodium_base64_VARIANT_ORIGINAL);
		r = buf_printf(out, "%s\r\n", line);
	}
	return r;
}

static void new_boundary(char out[static 40])
{
	unsigned char rnd[16];

	randombytes_buf(rnd, sizeof(rnd));
	memcpy(out, "=_", 2);
	sodium_bin2hex(out + 2, 33, rnd, sizeof(rnd));
}

static int put_text_part(struct buf *out, const char *boundary, const char *type,
			 const char *text)
{
	int r = buf_printf(out, "--%s\r\nContent-Type: %s; charset=UTF-8\r\n"
			   "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, type);
	if (r == 0)
		r = put_qp(out, text, strlen(text));
	return r ? r : buf_puts(out, "\r\n");
}

static int put_binary_part(struct buf *out, const char *boundary, const struct mime_part *p,
			   struct err *err)
{
	int r;

	if (mail_has_ctl(p->filename) || strpbrk(p->filename, "\"\\") ||
	    mail_has_ctl(p->content_type) || strpbrk(p->content_type, ";\""))
		return err_set(err, -EINVAL, "attachment name or type contains characters that "
			       "cannot be sent");
	r = buf_printf(out, "--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
		       "Content-Transfer-Encoding: base64\r\n", boundary, p->content_type,
		       p->filename);
	if (r == 0 && p->inline_part)
		r = buf_printf(out, "Content-Disposition: inline; filename=\"%s\"\r\n"
			       "Content-ID: <%s>\r\n", p->filename, p->filename);
	else if (r == 0)
		r = buf_printf(out, "Content-Disposition: attachment; filename=\"%s\"\r\n",
			       p->filename);
	if (r == 0)
		r = buf_puts(out, "\r\n");
	return r ? r : put_base64(out, p->data, p->len);
}

static int put_alternative(struct buf *out, const struct mime_mail *m, bool top)
{
	char b[40];
	int r;

	if (!m->html) {
		r = buf_puts(out, "Content-Type: text/plain; charset=UTF-8\r\n"
			     "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		return r ? r : put_qp(out, m->text, strlen(m->text));
	}
	new_boundary(b);
	r = buf_printf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", b);
	if (r == 0 && top)
		r = buf_puts(out, "This is a multi-part message in MIME format.\r\n");
	if (r == 0)
		r = put_text_part(out, b, "text/plain", m->text);
	if (r == 0)
		r = put_text_part(out, b, "text/html", m->html);
	return r ? r : buf_printf(out, "--%s--\r\n", b);
}

static int put_related(struct buf *out, const struct mime_mail *m, bool top, struct err *err)
{
	char b[40];
	bool any = false;
	int r = 0;

	for (size_t i = 0; i < m->n_parts; i++)
		any |= m->parts[i].inline_part;
	if (!any)
		return put_alternative(out, m, top);
	new_boundary(b);
	r = buf_printf(out, "Content-Type: multipart/related;\r\n boundary=\"%s\"\r\n\r\n", b);
	if (r == 0 && top)
		r = buf_puts(out, "This is a multi-part message in MIME format.\r\n");
	if (r == 0)
		r = buf_printf(out, "--%s\r\n", b);
	if (r == 0)
		r = put_alternative(out, m, false);
	for (size_t i = 0; r == 0 && i < m->n_parts; i++)
		if (m->parts[i].inline_part)
			r = put_binary_part(out, b, &m->parts[i], err);
	return r ? r : buf_printf(out, "--%s--\r\n", b);
}

static int put_body(struct buf *out, const struct mime_mail *m, struct err *err)
{
	char b[40];
	bool any = false;
	int r;

	for (size_t i = 0; i < m->n_parts; i++)
		any |= !m->parts[i].inline_part;
	if (!any)
		return put_related(out, m, true, err);
	new_boundary(b);
	r = buf_printf(out, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
		       "This is a multi-part message in MIME format.\r\n--%s\r\n", b, b);
	if (r == 0)
		r = put_related(out, m, false, err);
	for (size_t i = 0; r == 0 && i < m->n_parts; i++)
		if (!m->parts[i].inline_part)
			r = put_binary_part(out, b, &m->parts[i], err);
	return r ? r : buf_printf(out, "--%s--\r\n", b);
}

int mime_build(const struct mime_mail *m, struct buf *out, struct err *err)
{
	char date[64], msgid[160];
	unsigned char rnd[12];
	char hex[25];
	time_t t = (time_t)m->date;
	struct tm tm;
	const char *domain = strrchr(m->from_addr, '@');
	int r;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(msgid, sizeof(msgid), "<%s.%lld@%.100s>", hex, m->date,
		 domain ? domain + 1 : "wgportal");
	if ((r = put_header(out, "Date", date, err)) < 0 ||
	    (r = put_address(out, "From", m->from_display, m->from_addr, err)) < 0 ||
	    (r = put_address(out, "To", NULL, m->to_addr, err)) < 0 ||
	    (r = put_address(out, "Reply-To", m->from_display, m->from_addr, err)) < 0 ||
	    (r = put_header(out, "Subject", m->subject, err)) < 0 ||
	    (r = put_header(out, "Message-ID", msgid, err)) < 0 ||
	    (r = buf_puts(out, "MIME-Version: 1.0\r\n")) < 0)
		return r == -EINVAL ? r : err_set(err, r, "mail too large");
	r = put_body(out, m, err);
	if (r < 0 && r != -EINVAL)
		return err_set(err, r, "mail too large");
	return r;
}
