/* SPDX-License-Identifier: MIT */
#ifndef MAIL_CONFIG_MAIL_H
#define MAIL_CONFIG_MAIL_H
/*
 * wg-portal's one mail: "send peer configuration" (spec/wg-portal-compat.md 6.2;
 * internal/app/mail/manager.go). Subject "WireGuard VPN Configuration", From and Reply-To
 * mail.from; attachment mode: text + HTML from the templates, the config file attached as
 * <Filename> (text/plain, the bytes of GET /provisioning/data/peer-config), the QR code inline
 * as WireGuardQRCode.png (the PNG of /provisioning/data/peer-qr); link mode: text + HTML only,
 * with .Link pointing at the portal's peer page instead of wg-portal's "deep link TBD".
 */
#include <stdbool.h>
#include <stdint.h>

#include "mail/address.h"

struct buf;
struct cfg;
struct err;
struct mail_templates;
struct peer;
struct store;

#define MAIL_CONFIG_SUBJECT "WireGuard VPN Configuration"   /* manager.go:177 */
#define MAIL_QR_NAME "WireGuardQRCode.png"                  /* manager.go:129 */

struct mail_settings {
	const struct cfg *cfg;
	char from_display[MAIL_ADDR_MAX], from_addr[MAIL_ADDR_MAX];
	char from_error[256];          /* why mail.from is unusable, "" when it is fine */
	struct mail_templates *tpl;
};

/* Loads the templates (templates_path): errors here stop the start, as in wg-portal, whose
 * mail manager parses them at start (internal/app/mail/template.go:29-83). An unusable
 * mail.from only fails the mails (from_error; wg-portal too fails only when sending). */
int mail_settings_init(struct mail_settings *m, const struct cfg *cfg, struct err *err);
void mail_settings_release(struct mail_settings *m);

/* The address a peer's config goes to (manager.go:185-219): the owner's e-mail; with
 * mail.allow_peer_email, when no user record exists, the user identifier itself if it is an
 * address. -EINVAL (field "Identifiers") naming the peer when there is none. */
int mail_config_recipient(const struct cfg *cfg, struct store *st, const struct peer *p,
			  char addr[static MAIL_ADDR_MAX], struct err *err);

/* Builds the whole message for the stored peer peer_id, appending to out. -ENOENT when the
 * peer no longer exists. The buffer holds the private key: the caller wipes it. */
int mail_config_compose(const struct mail_settings *m, struct store *st, const char *peer_id,
			const char *to_addr, bool link_only, int64_t now, struct buf *out,
			struct err *err);

#endif
