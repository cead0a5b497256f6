/* SPDX-License-Identifier: MIT */
/*
 * The config mail (see config_mail.h): recipient rule, template data, attachments, MIME.
 * Everything is read from the store when the mail is sent, so a queued mail carries no secret
 * at rest; the composed message (which holds the private key) lives only in memory and is
 * wiped by the caller.
 */
#include "mail/config_mail.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "mail/gotpl.h"
#include "mail/mime.h"
#include "mail/templates.h"
#include "model/peer.h"
#include "model/peerconf.h"
#include "model/user.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

int mail_settings_init(struct mail_settings *m, const struct cfg *cfg, struct err *err)
{
	int r;

	struct err e = { 0 };

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	r = mail_addr_parse(cfg->mail.from, m->from_display, m->from_addr, &e);
	if (r < 0)
		snprintf(m->from_error, sizeof(m->from_error), "mail.from '%.100s': %.120s",
			 STR(cfg->mail.from), e.msg);
	return mail_templates_load(cfg->mail.templates_path, &m->tpl, err);
}

void mail_settings_release(struct mail_settings *m)
{
	m->tpl = mail_templates_free(m->tpl);
}

int mail_config_recipient(const struct cfg *cfg, struct store *st, const struct peer *p,
			  char addr[static MAIL_ADDR_MAX], struct err *err)
{
	char display[MAIL_ADDR_MAX];
	struct user *u = NULL;
	int r;

	if (!p->user_identifier || !*p->user_identifier)       /* manager.go:104 */
		return err_field(err, -EINVAL, "Identifiers",
				 "peer %s has no user linked, no email is sent", p->identifier);
	r = store_user_get(st, p->user_identifier, &u, NULL);
	if (r == 0) {
		bool ok = u->email && *u->email &&
			  mail_addr_parse(u->email, display, addr, NULL) == 0;
		user_free(u);
		if (ok)
			return 0;
	} else if (r == -ENOENT && cfg->mail.allow_peer_email &&  /* manager.go:186-196 */
		   mail_addr_parse(p->user_identifier, display, addr, NULL) == 0) {
		return 0;
	} else if (r != -ENOENT) {
		return err_set(err, r, "peer %s: cannot load its user", p->identifier);
	}
	return err_field(err, -EINVAL, "Identifiers",
			 "peer %s has no valid email address, no email is sent", p->identifier);
}

/* The template data of 6.2; .User is the recipient user (or {Email} for allow_peer_email). */
static json_t *template_data(const struct cfg *cfg, struct store *st, const struct peer *p,
			     const char *to_addr, const char *filename, bool link_only)
{
	struct user *u = NULL;
	json_t *user, *peer, *d = json_object();
	char link[1024];

	if (store_user_get(st, STR(p->user_identifier), &u, NULL) == 0)
		user = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "Identifier",
				 STR(u->identifier), "Email", STR(u->email), "Firstname",
				 STR(u->firstname), "Lastname", STR(u->lastname), "Phone",
				 STR(u->phone), "Department", STR(u->department), "Notes",
				 STR(u->notes), "IsAdmin", u->is_admin);
	else
		user = json_pack("{s:s,s:s,s:s,s:s}", "Identifier", "", "Email", to_addr,
				 "Firstname", "", "Lastname", "");
	user_free(u);
	/* wg-portal's own link template asks for $.Peer.GetConfigFileName (an empty value
	 * there); we give it the file name */
	peer = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Identifier", p->identifier, "DisplayName",
			 STR(p->display_name), "InterfaceIdentifier", STR(p->interface_identifier),
			 "UserIdentifier", STR(p->user_identifier), "GetConfigFileName", filename);
	snprintf(link, sizeof(link), "%s%s/#/peers", STR(cfg->web.external_url),
		 STR(cfg->web.base_path));
	if (!d || !user || !peer) {
		json_decref(d);
		json_decref(user);
		json_decref(peer);
		return NULL;
	}
	json_object_set_new(d, "User", user);
	json_object_set_new(d, "Peer", peer);
	json_object_set_new(d, "PortalUrl", json_string(STR(cfg->web.external_url)));
	json_object_set_new(d, "PortalName", json_string(STR(cfg->web.site_title)));
	json_object_set_new(d, "ConfigFileName", json_string(filename));
	if (link_only)
		json_object_set_new(d, "Link", json_string(link));
	else
		json_object_set_new(d, "QrcodePngName", json_string(MAIL_QR_NAME));
	return d;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int mail_config_compose(const struct mail_settings *m, struct store *st, const char *peer_id,
			const char *to_addr, bool link_only, int64_t now, struct buf *out,
			struct err *err)
{
	struct peer *p = NULL;
	struct buf text, html;
	char filename[32], *conf = NULL, *qr_text = NULL;
	unsigned char *png = NULL;
	size_t png_len = 0;
	json_t *data = NULL;
	struct mime_part parts[2];
	int r;

	buf_init(&text, GOTPL_OUT_MAX);
	buf_init(&html, GOTPL_OUT_MAX);
	if (m->from_error[0])
		return err_set(err, -EINVAL, "%s", m->from_error);
	r = store_peer_get(st, peer_id, &p, err);
	if (r < 0) {
		if (r == -ENOENT)
			err_set(err, r, "peer %s no longer exists", peer_id);
		goto out;
	}
	peer_filename(p, filename);
	if (!link_only) {
		r = peerconf_render(p, PEERCONF_WGQUICK, &conf, err);
		if (r == 0 && (r = peerconf_qr_text(conf, &qr_text)) < 0)
			err_set(err, r, "out of memory");
		if (r == 0)
			r = peerconf_qr_png(qr_text, &png, &png_len, err);
		if (r < 0)
			goto out;
	}
	data = template_data(m->cfg, st, p, to_addr, filename, link_only);
	if (!data) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = mail_templates_render(m->tpl, link_only, data, &text, &html, err);
	if (r < 0)
		goto out;
	parts[0] = (struct mime_part){ "image/png", MAIL_QR_NAME, png, png_len, true };
	parts[1] = (struct mime_part){ "text/plain", filename, conf, conf ? strlen(conf) : 0,
				       false };
	struct mime_mail mm = {
		.from_display = m->from_display, .from_addr = m->from_addr, .to_addr = to_addr,
		.subject = MAIL_CONFIG_SUBJECT, .text = text.p ? text.p : "",
		.html = html.p ? html.p : "", .parts = parts, .n_parts = link_only ? 0 : 2,
		.date = now / 1000,
	};
	r = mime_build(&mm, out, err);
out:
	json_decref(data);
	buf_release(&text);
	buf_release(&html);
	wipe_free(conf);
	wipe_free(qr_text);
	free(png);
	peer_free(p);
	return r;
}
