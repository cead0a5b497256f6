/* SPDX-License-Identifier: MIT */
#ifndef MAIL_ADDRESS_H
#define MAIL_ADDRESS_H
/* E-mail address checks for SMTP envelopes and headers (address.c). */
#include <stdbool.h>

struct err;

#define MAIL_ADDR_MAX 256

/* True when s holds a control character (CR, LF, NUL-less C0, DEL): never in a header. */
bool mail_has_ctl(const char *s);
/* A plain addr-spec "local@domain" of dot-atom text, no spaces, no quotes, under 256 bytes. */
bool mail_addr_spec_valid(const char *addr);
/* Splits "Display Name <local@domain>", "\"Name\" <a@b>" or "a@b" into display ("" if none)
 * and addr. -EINVAL with the reason when the form or the address is invalid. */
int mail_addr_parse(const char *in, char display[static MAIL_ADDR_MAX],
		    char addr[static MAIL_ADDR_MAX], struct err *err);

#endif
