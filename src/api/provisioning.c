/* SPDX-License-Identifier: MIT */
/*
 * The /provisioning endpoints (spec 2.6.5, 3.12): user info, the generated peer config (text and
 * QR PNG) and self-service peer creation. Config text comes only from model/peerconf, which
 * refuses values with line breaks, so nothing reaching the file can inject a line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "config/config.h"
#include "core/signin.h"
#include "core/core.h"
#include "model/keys.h"
#include "model/peerconf.h"
#include "store/store.h"
#include "util/err.h"

/* ---- user-info ---- */

static json_t *user_info_json(const char *user_id, struct peer **list, size_t n)
{
	json_t *o = json_object(), *arr = json_array();

	if (!o || !arr)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_object(), *ips = json_array();
		if (!e || !ips) {
			json_decref(e);
			json_decref(ips);
			goto fail;
		}
		for (size_t k = 0; k < list[i]->addresses.n; k++)
			json_array_append_new(ips, json_string(list[i]->addresses.v[k]));
		json_object_set_new(e, "Identifier", json_string(list[i]->identifier));
		json_object_set_new(e, "DisplayName", json_string(STR(list[i]->display_name)));
		json_object_set_new(e, "IpAddresses", ips);
		if (list[i]->disabled)
			json_object_set_new(e, "IsDisabled", json_true());
		json_object_set_new(e, "InterfaceIdentifier",
				    json_string(STR(list[i]->interface_identifier)));
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "UserIdentifier", json_string(user_id));
	json_object_set_new(o, "PeerCount", json_integer((json_int_t)n));
	json_object_set_new(o, "Peers", arr);
	return o;
fail:
	json_decref(o);
	json_decref(arr);
	return NULL;
}

/* Resolves the UserId / Email / caller rule; answers errors itself. Heap id or NULL. */
static char *user_info_target(struct api_ctx *c)
{
	char *uid = http_query(c, "UserId"), *email = http_query(c, "Email"), *ret = NULL;
	struct err err = { 0 };
	struct user *u = NULL, **list = NULL;
	size_t n = 0;
	int r;

	if (!uid || !email) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (*uid) {
		r = store_user_get(c->app->store, uid, &u, &err);
		if (r == -ENOENT)
			http_error(c, 404, NULL, "unable to load user %s: record not found", uid);
		else if (r < 0)
			http_error_err(c, &err, "unable to load user");
		else
			ret = strdup(uid);
		user_free(u);
	} else if (*email) {
		r = store_user_find_by_email(c->app->store, email, &list, &n, &err);
		if (r < 0 && r != -ENOENT)
			http_error_err(c, &err, "unable to load user for email");
		else if (r == -ENOENT || n == 0)
			http_error(c, 404, NULL, "unable to load user for email %s: record not found",
				   email);
		else if (n > 1)
			http_error(c, 500, NULL, "unable to load user for email %s: found multiple "
				   "users with the same email", email);
		else
			ret = strdup(STR(list[0]->identifier));
		user_list_free(list, n);
	} else {
		ret = strdup(api_caller_id(c));
	}
	if (ret && !api_is_admin(c) && strcmp(ret, api_caller_id(c)) != 0) {
		free(ret);
		ret = NULL;
		http_error(c, 403, NULL, "no permission");
	}
out:
	free(uid);
	free(email);
	return ret;
}

void api_prov_user_info(struct api_ctx *c)
{
	struct peer **list = NULL;
	size_t n = 0;
	struct err err = { 0 };
	char *uid = user_info_target(c);

	if (!uid)
		return;
	if (store_peer_list_by_user(c->app->store, uid, &list, &n, &err) < 0) {
		http_error_err(c, &err, "failed to load peers");
	} else {
		http_json(c, 200, user_info_json(uid, list, n));
		peer_list_free(list, n);
	}
	free(uid);
}

/* ---- peer-config / peer-qr ---- */

/* ?style=: wgquick (the default, wg-portal's v1 answer) or raw (only what `wg setconf` reads;
 * wg-portal offers it in its UI's download only). */
static int query_style(struct api_ctx *c, enum peerconf_style *ret)
{
	char *style = http_query(c, "style");
	int r = 0;

	if (!style)
		return -ENOMEM;
	if (!*style || !strcmp(style, "wgquick"))
		*ret = PEERCONF_WGQUICK;
	else if (!strcmp(style, "raw"))
		*ret = PEERCONF_RAW;
	else
		r = -EINVAL;
	free(style);
	return r;
}

/* Loads the peer named by ?PeerId= and renders its config; answers errors itself. */
static char *render_for_query(struct api_ctx *c)
{
	char *id = http_query(c, "PeerId"), *conf = NULL;
	enum peerconf_style style = PEERCONF_WGQUICK;
	struct err err = { 0 };
	struct peer *p;
	int r;

	if (!id) {
		http_json(c, 500, NULL);
		return NULL;
	}
	r = query_style(c, &style);
	if (r < 0) {
		free(id);
		if (r == -ENOMEM)
			http_json(c, 500, NULL);
		else
			http_error(c, 400, "style", "unknown style: use wgquick or raw");
		return NULL;
	}
	if (!*id) {
		http_error(c, 400, NULL, "missing peer id");
		free(id);
		return NULL;
	}
	p = api_peer_load_owned(c, id);
	free(id);
	if (!p)
		return NULL;
	if (core_peer_config(c->app, p, style, &conf, &err) < 0) {
		http_error_err(c, &err, "failed to render peer config");
		conf = NULL;
	}
	peer_free(p);
	return conf;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void api_prov_peer_config(struct api_ctx *c)
{
	char *conf = render_for_query(c);

	if (!conf)
		return;
	http_text(c, 200, conf);
	wipe_free(conf);
}

void api_prov_peer_qr(struct api_ctx *c)
{
	char *conf = render_for_query(c), *text = NULL;
	unsigned char *png = NULL;
	size_t png_len = 0;
	struct err err = { 0 };

	if (!conf)
		return;
	if (peerconf_qr_text(conf, &text) < 0) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (peerconf_qr_png(text, &png, &png_len, &err) < 0) {
		http_error_err(c, &err, "failed to render QR code");
		goto out;
	}
	http_body(c, 200, "image/png", png, png_len);
out:
	free(png);
	wipe_free(text);
	wipe_free(conf);
}

/* ---- new-peer ---- */

struct prov_req {
	const char *iface, *user, *display_name, *public_key, *preshared_key;
};

/* ProvisioningRequest: names matched case-insensitively, all strings, unknown fields refused. */
static int parse_prov_req(struct api_ctx *c, const json_t *obj, struct prov_req *pr)
{
	static const char *const names[] = { "InterfaceIdentifier", "UserIdentifier", "DisplayName",
					     "PublicKey", "PresharedKey" };
	const char **slots[] = { &pr->iface, &pr->user, &pr->display_name, &pr->public_key,
				 &pr->preshared_key };
	const char *key;
	json_t *v;

	memset(pr, 0, sizeof(*pr));
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		for (i = 0; i < 5; i++)
			if (strcasecmp(key, names[i]) == 0)
				break;
		if (i == 5) {
			http_error(c, 400, key, "unknown field '%s'", key);
			return -EINVAL;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_string(v)) {
			http_error(c, 400, names[i], "%s: expected a string", names[i]);
			return -EINVAL;
		}
		*slots[i] = json_string_value(v);
	}
	return 0;
}

static bool user_peer_limit_ok(struct api_ctx *c, const char *user)
{
	int extra = c->app->cfg->advanced.limit_additional_user_peers;
	struct peer **list = NULL;
	size_t n = 0, enabled = 0;
	struct err err = { 0 };

	if (extra <= 0)
		return true;
	if (store_peer_list_by_user(c->app->store, user, &list, &n, &err) < 0) {
		http_error_err(c, &err, "failed to load peers");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!list[i]->disabled)
			enabled++;
	peer_list_free(list, n);
	if (enabled >= (size_t)extra + 1) {
		http_error(c, 403, NULL,
			   "failed to create new peer: peer limit reached (%d peers allowed): "
			   "no permission", extra + 1);
		return false;
	}
	return true;
}

/* Non-admin rules of spec 3.12 on top of the permission checks. */
static bool self_service_ok(struct api_ctx *c, const char *iface_id, const char *user)
{
	struct iface *ifc = NULL;
	struct err err = { 0 };
	bool ok;

	if (store_iface_get(c->app->store, iface_id, &ifc, &err) < 0)
		return true; /* prepare answers the 404 */
	/* server interfaces only, and LDAP interface_filter (interface.go:86-108) */
	ok = strcmp(STR(ifc->mode), "server") == 0 &&
	     signin_iface_user_allowed(c->app, iface_id, user);
	iface_free(ifc);
	if (!ok) {
		http_error(c, 403, NULL, "no permission");
		return false;
	}
	return user_peer_limit_ok(c, user);
}

static int apply_request(struct api_ctx *c, struct peer *p, const struct prov_req *pr,
			 const char *user)
{
	bool keys_allowed = api_is_admin(c) || c->app->cfg->core.editable_keys;

	if (keys_allowed && pr->public_key && *pr->public_key) {
		if (!key_b64_is_valid(pr->public_key)) {
			http_error(c, 400, "PublicKey", "invalid public key: invalid data");
			return -EINVAL;
		}
		memcpy(p->identifier, pr->public_key, WG_KEY_B64_SIZE);
		memcpy(p->public_key, pr->public_key, WG_KEY_B64_SIZE);
		/* The client keeps its private key; we never knew it. */
		explicit_bzero(p->private_key, sizeof(p->private_key));
	}
	if (keys_allowed && pr->preshared_key && *pr->preshared_key) {
		if (!key_b64_is_valid(pr->preshared_key)) {
			http_error(c, 400, "PresharedKey", "invalid preshared key: invalid data");
			return -EINVAL;
		}
		memcpy(p->preshared_key, pr->preshared_key, WG_KEY_B64_SIZE);
	}
	if (pr->display_name && *pr->display_name) {
		if (str_set(&p->display_name, pr->display_name) < 0)
			return -ENOMEM;
	} else {
		char name[32];
		snprintf(name, sizeof(name), "API Peer %.8s", p->identifier);
		if (str_set(&p->display_name, name) < 0)
			return -ENOMEM;
	}
	if (str_set(&p->user_identifier, user) < 0)
		return -ENOMEM;
	return 0;
}

void api_prov_new_peer(struct api_ctx *c)
{
	struct prov_req pr;
	struct peer *p = NULL, *old = NULL;
	struct err err = { 0 };
	json_t *body = NULL;
	int r;

	if (http_body_object(c, &body) < 0)
		return;
	if (parse_prov_req(c, body, &pr) < 0)
		goto out;
	const char *user = pr.user && *pr.user ? pr.user : api_caller_id(c);
	const char *iface_id = pr.iface ? pr.iface : "";
	if (!api_is_admin(c)) {
		if (strcmp(user, api_caller_id(c)) != 0 ||
		    !c->app->cfg->core.self_provisioning_allowed) {
			http_error(c, 403, NULL, "no permission");
			goto out;
		}
		if (!self_service_ok(c, iface_id, user))
			goto out;
	}
	r = core_peer_prepare(c->app, iface_id, user, &p, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL,
			   "failed to prepare new peer: unable to find interface %s: record not found",
			   iface_id);
		goto out;
	}
	if (r < 0) {
		http_error_prefixed(c, &err, "failed to prepare new peer");
		goto out;
	}
	r = apply_request(c, p, &pr, user);
	if (r == -ENOMEM)
		http_json(c, 500, NULL);
	if (r < 0)
		goto out;
	err_clear(&err);
	if (store_peer_get(c->app->store, p->identifier, &old, &err) == 0) {
		peer_free(old);
		http_error(c, 409, NULL,
			   "failed to create new peer: peer %s already exists: duplicate entry",
			   p->identifier);
		goto out;
	}
	err_clear(&err);
	r = core_peer_create_prepared(c->app, p, &err);
	if (r < 0) {
		http_error_prefixed(c, &err, "failed to create new peer");
		goto out;
	}
	old = NULL;
	err_clear(&err);
	if (store_peer_get(c->app->store, p->identifier, &old, &err) == 0) {
		http_json(c, 200, json_from_peer(old));
		peer_free(old);
	} else {
		http_json(c, 200, json_from_peer(p));
	}
out:
	peer_free(p);
	json_decref(body);
}
