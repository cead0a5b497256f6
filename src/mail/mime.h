/* SPDX-License-Identifier: MIT */
#ifndef MAIL_MIME_H
#define MAIL_MIME_H
/*
 * The MIME message of a mail (RFC 5322 + 2045/2046/2047/2183), laid out as wg-portal's mail
 * library (xhit/go-simple-mail v2) lays it out for the same parts:
 *
 *   multipart/mixed                      (only with attachments)
 *     multipart/related                  (only with inline parts)
 *       multipart/alternative
 *         text/plain; charset=UTF-8      (quoted-printable)
 *         text/html; charset=UTF-8       (quoted-printable)
 *       image/png, inline, Content-ID <name>       (base64)
 *     text/plain attachment, filename="<name>"     (base64: bytes reach the user unchanged)
 *
 * Headers: Date, From, To, Reply-To (= From, as wg-portal), Subject (RFC 2047 when not ASCII),
 * Message-ID, MIME-Version. Every header value is checked: CR, LF or any control character is
 * refused with -EINVAL (no header injection). Lines end in CRLF.
 */
#include <stdbool.h>
#include <stddef.h>

struct buf;
struct err;

struct mime_part {
	const char *content_type;      /* "text/plain", "image/png" */
	const char *filename;
	const void *data;
	size_t len;
	bool inline_part;              /* inline with Content-ID <filename>, else attachment */
};

struct mime_mail {
	const char *from_display, *from_addr;   /* mail.from split by mail_addr_parse() */
	const char *to_addr;
	const char *subject;
	const char *text, *html;                /* html may be NULL */
	const struct mime_part *parts;
	size_t n_parts;
	long long date;                         /* unix seconds */
};

/* Appends the whole message (headers + body) to out. */
int mime_build(const struct mime_mail *m, struct buf *out, struct err *err);

#endif
