/* SPDX-License-Identifier: MIT */
/*
 * E-mail addresses as they reach SMTP and mail headers: "addr@domain" or "Display <addr>"
 * (the forms Go's net/mail.ParseAddress accepts for wg-portal's mail.from and for
 * allow_peer_email user identifiers, internal/app/mail/manager.go:189). Anything with CR, LF
 * or other control characters is refused, so no value can add a header or an SMTP command.
 */
#include "mail/address.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

bool mail_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* RFC 5321 atext plus '.', for the local part of a dot-atom. */
static bool is_atext(char c)
{
	return isalnum((unsigned char)c) || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

bool mail_addr_spec_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t len = strlen(a);

	if (!at || at == a || len > MAIL_ADDR_MAX - 1 || !at[1])
		return false;
	if (a[0] == '.' || at[-1] == '.' || strstr(a, ".."))
		return false;
	for (const char *p = a; p < at; p++)
		if (!is_atext(*p))
			return false;
	for (const char *p = at + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    !((unsigned char)*p >= 0x80))
			return false;
	return at[1] != '.' && a[len - 1] != '.';
}

int mail_addr_parse(const char *in, char display[static MAIL_ADDR_MAX],
		    char addr[static MAIL_ADDR_MAX], struct err *err)
{
	const char *lt, *gt;
	size_t dl;

	display[0] = addr[0] = '\0';
	if (!in || !*in)
		return err_set(err, -EINVAL, "empty address");
	if (mail_has_ctl(in))
		return err_set(err, -EINVAL, "address contains control characters");
	lt = strrchr(in, '<');
	gt = strrchr(in, '>');
	if (!lt && !gt) {
		while (*in == ' ')
			in++;
		dl = strlen(in);
		while (dl && in[dl - 1] == ' ')
			dl--;
		if (dl >= MAIL_ADDR_MAX)
			return err_set(err, -EINVAL, "address too long");
		memcpy(addr, in, dl);
		addr[dl] = '\0';
	} else {
		if (!lt || !gt || gt < lt || gt[1] != '\0' || (size_t)(gt - lt - 1) >= MAIL_ADDR_MAX)
			return err_set(err, -EINVAL, "malformed address");
		memcpy(addr, lt + 1, (size_t)(gt - lt - 1));
		addr[gt - lt - 1] = '\0';
		const char *d = in;
		while (*d == ' ')
			d++;
		dl = (size_t)(lt - d);
		while (dl && d[dl - 1] == ' ')
			dl--;
		if (dl >= 2 && d[0] == '"' && d[dl - 1] == '"') {
			d++;
			dl -= 2;
		}
		if (dl >= MAIL_ADDR_MAX || memchr(d, '"', dl) || memchr(d, '<', dl))
			return err_set(err, -EINVAL, "malformed display name");
		memcpy(display, d, dl);
		display[dl] = '\0';
	}
	if (!mail_addr_spec_valid(addr))
		return err_set(err, -EINVAL, "'%s' is not an e-mail address", addr);
	return 0;
}
