/* SPDX-License-Identifier: MIT */
/*
 * The built-in mail templates (src/mail/tpl_files/), linked into the binary byte for byte with
 * the assembler's .incbin so the files stay readable and diffable against wg-portal's
 * (internal/app/mail/tpl_files/). The attachment pair is wg-portal's own; the link pair is ours
 * (wg-portal's link templates never print the link, see docs/mail-and-webhooks.md). Paths are
 * relative to the repository root, where make runs the compiler; the Makefile rebuilds this
 * object when a template file changes. Each blob is NUL-terminated.
 */
#include "mail/templates.h"

#define EMBED(sym, file)                                                         \
	__asm__(".section .rodata\n.global " #sym "\n.type " #sym ", @object\n"  \
		".balign 16\n" #sym ":\n.incbin \"" file "\"\n.byte 0\n"           \
		".size " #sym ", .-" #sym "\n.previous\n")

EMBED(mail_tpl_att_txt, "src/mail/tpl_files/mail_with_attachment.gotpl");
EMBED(mail_tpl_att_html, "src/mail/tpl_files/mail_with_attachment.gohtml");
EMBED(mail_tpl_link_txt, "src/mail/tpl_files/mail_with_link.gotpl");
EMBED(mail_tpl_link_html, "src/mail/tpl_files/mail_with_link.gohtml");
