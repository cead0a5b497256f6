/* SPDX-License-Identifier: MIT */
#ifndef MAIL_SMTP_H
#define MAIL_SMTP_H
/*
 * Sends one message over SMTP with libcurl, configured by wg-portal's mail.* keys
 * (spec/wg-portal-compat.md 1.6.7; internal/adapters/mailer.go:98-127): encryption none
 * (plain), tls (implicit TLS, smtps://), starttls (STARTTLS required); cert_validation;
 * auth_type plain / login / crammd5 when a username is set; connect timeout 30 s as wg-portal,
 * the whole exchange at most SMTP_TIMEOUT_S.
 */
#include <stdbool.h>
#include <stddef.h>

#define SMTP_TIMEOUT_S 60
#define SMTP_ANSWER_MAX 256

struct smtp_cfg {
	const char *host;
	int port;
	const char *encryption;       /* "none", "tls", "starttls"; anything else = none */
	bool cert_validation;
	const char *username, *password, *auth_type;
};

struct smtp_result {
	int code;                     /* last SMTP reply code, 0 when none arrived */
	bool permanent;               /* retrying cannot help (5xx, login denied, TLS verify) */
	char answer[SMTP_ANSWER_MAX]; /* the server's last reply line or curl's reason */
};

/* 0 when the server accepted the message; otherwise -EIO / -ETIMEDOUT / -ECONNREFUSED with
 * res filled. Credentials never appear in res. */
int smtp_send(const struct smtp_cfg *cfg, const char *from_addr, const char *to_addr,
	      const char *msg, size_t len, struct smtp_result *res);

#endif
