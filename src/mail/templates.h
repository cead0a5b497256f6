/* SPDX-License-Identifier: MIT */
#ifndef MAIL_TEMPLATES_H
#define MAIL_TEMPLATES_H
/*
 * The mail templates of wg-portal (spec/wg-portal-compat.md 6.2; internal/app/mail/template.go):
 * mail_with_attachment.gotpl/.gohtml and mail_with_link.gotpl/.gohtml. The built-in copies are
 * parsed first; with mail.templates_path set, the directory is created (0755) when missing,
 * filled with the built-ins when it holds no .gotpl/.gohtml file (template.go:42-57), and every
 * *.gotpl (text) and *.gohtml (html) file in it is parsed over them in name order, so a file of
 * the same name replaces the built-in (template.go:59-72). A file that does not parse, or a
 * template that fails on sample data, is an error at load time (start-up), naming the file and
 * line.
 */
#include <jansson.h>
#include <stdbool.h>

struct buf;
struct err;

#define MAIL_TPL_ATTACHMENT_TXT "mail_with_attachment.gotpl"
#define MAIL_TPL_ATTACHMENT_HTML "mail_with_attachment.gohtml"
#define MAIL_TPL_LINK_TXT "mail_with_link.gotpl"
#define MAIL_TPL_LINK_HTML "mail_with_link.gohtml"

/* The built-in files (src/mail/tpl_files/, kept byte for byte as wg-portal's
 * internal/app/mail/tpl_files/ and diffable against them; the link pair is ours, see
 * docs/mail-and-webhooks.md), compiled in by scripts/embed-files.py, NUL-terminated. */
extern const unsigned char mail_tpl_att_txt[], mail_tpl_att_html[], mail_tpl_link_txt[],
	mail_tpl_link_html[];

struct mail_templates;

/* dir NULL or "": built-ins only. */
int mail_templates_load(const char *dir, struct mail_templates **ret, struct err *err);
struct mail_templates *mail_templates_free(struct mail_templates *t);   /* NULL-safe */
/* Renders the text and the HTML body of the attachment (link false) or link mail with data
 * (the fields of 6.2), appending to text and html. */
int mail_templates_render(const struct mail_templates *t, bool link, const json_t *data,
			  struct buf *text, struct buf *html, struct err *err);

#endif
