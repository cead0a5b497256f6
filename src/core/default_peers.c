/* SPDX-License-Identifier: MIT */
/*
 * Peers made for users rather than by them (spec/wg-portal-compat.md 3.9; wg-portal:
 * docs/wg-portal-behaviour.md "Default peers", "Add multiple peers"):
 *
 *  - default peers: on a server interface whose "create default peer" flag is set, for a user
 *    who is neither disabled nor locked and has no peer on that interface yet; named
 *    "Default Peer <8 chars>", note "Default peer created for user <id>", marked automatic;
 *  - "add multiple peers": one freshly prepared peer per given user id (each must exist, as
 *    every peer owner here),
 *    named "<prefix> Peer <8 chars>", each stored before the next is prepared so every peer
 *    gets the next free addresses.
 *
 * Every peer goes through core_peer_create_prepared, which takes the write lock for that one
 * peer only and allocates again if a concurrent creation took the prepared addresses.
 * default_lock makes "has no peer yet, so create one" atomic against the other default-peer
 * paths (a login and a user creation may race).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core-int.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

static bool iface_wants_defaults(const struct iface *ifc)
{
	return ifc->create_default_peer && !strcmp(STR(ifc->mode), "server");
}

/* Creates u's default peer on ifc unless one of the rules says no; *created tells. */
static int default_peer(struct app *app, const struct iface *ifc, const struct user *u,
			bool *created, struct err *err)
{
	struct peer **mine = NULL, *p = NULL;
	size_t n = 0;
	char text[320];
	int r;

	*created = false;
	if (!iface_wants_defaults(ifc) || u->disabled || u->locked)
		return 0;
	pthread_mutex_lock(&default_lock);
	r = store_peer_list_by_user(app->store, u->identifier, &mine, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (!strcmp(STR(mine[i]->interface_identifier), STR(ifc->identifier)))
			goto out;   /* any peer on that interface counts, automatic or not */
	if (r == 0)
		r = core_peer_prepare(app, ifc->identifier, u->identifier, &p, err);
	if (r < 0)
		goto out;
	snprintf(text, sizeof(text), "Default Peer %.8s", p->identifier);
	if ((r = str_set(&p->display_name, text)) < 0)
		goto oom;
	snprintf(text, sizeof(text), "Default peer created for user %.256s", u->identifier);
	if ((r = str_set(&p->notes, text)) < 0)
		goto oom;
	p->automatic = true;
	r = core_peer_create_prepared(app, p, err);
	*created = r == 0;
	goto out;
oom:
	err_set(err, r, "out of memory");
out:
	pthread_mutex_unlock(&default_lock);
	peer_list_free(mine, n);
	peer_free(p);
	return r;
}

int core_default_peers_create_iface(struct app *app, const char *iface_id, size_t *ret_created,
				    struct err *err)
{
	struct iface *ifc = NULL;
	struct user **users = NULL;
	size_t n = 0, count = 0, failed = 0;
	struct err first;
	int r = store_iface_get_settings(app->store, iface_id, &ifc, err);

	*ret_created = 0;
	err_clear(&first);
	if (r == -ENOENT)
		return err_set(err, r, "unable to find interface %s: record not found", iface_id);
	if (r < 0)
		return r;
	if (!iface_wants_defaults(ifc)) {
		r = err_field(err, -EINVAL, "CreateDefaultPeer", "interface %s does not create "
			      "default peers (it must be a server interface with \"create default "
			      "peer\" set): invalid data", iface_id);
		goto out;
	}
	r = store_user_list(app->store, &users, &n, err);
	/* one user the device refuses must not stop the others (wg-portal joins the errors) */
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct err e;
		bool created;

		err_clear(&e);
		if (default_peer(app, ifc, users[i], &created, &e) < 0) {
			if (!failed++)
				first = e;
		} else if (created) {
			count++;
		}
	}
	if (r == 0 && failed)
		r = err_set(err, first.code ? first.code : -EIO, "%zu default peer(s) created, %zu "
			    "failed; first error: %s", count, failed, first.msg);
out:
	*ret_created = count;
	user_list_free(users, n);
	iface_free(ifc);
	return r;
}

int core_default_peers_create_user(struct app *app, const char *user_id, bool only_if_none,
				   size_t *ret_created, struct err *err)
{
	struct user *u = NULL;
	struct iface **list = NULL;
	struct peer **mine = NULL;
	size_t n = 0, n_mine = 0, count = 0;
	int r;

	*ret_created = 0;
	r = store_user_get(app->store, user_id, &u, err);
	if (r == -ENOENT)
		return 0;   /* deleted meanwhile */
	if (r < 0)
		return r;
	/* login: only a user without any peer gets defaults (as wg-portal) */
	if (only_if_none) {
		r = store_peer_list_by_user(app->store, user_id, &mine, &n_mine, err);
		if (r < 0 || n_mine)
			goto out;
	}
	r = store_iface_list(app->store, &list, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool created;

		r = default_peer(app, list[i], u, &created, err);
		count += created;
	}
out:
	*ret_created = count;
	peer_list_free(mine, n_mine);
	iface_list_free(list, n);
	user_free(u);
	return r;
}

int core_peer_create_multi(struct app *app, const char *iface_id, const struct strv *users,
			   const char *prefix, struct peer ***ret, size_t *ret_n, struct err *err)
{
	struct peer **out = calloc(users->n + 1, sizeof(*out));
	size_t n = 0;
	int r = out ? 0 : err_set(err, -ENOMEM, "out of memory");

	for (size_t i = 0; r == 0 && i < users->n; i++) {
		struct peer *p = NULL;
		char name[320];

		r = core_peer_prepare(app, iface_id, users->v[i], &p, err);
		if (r == 0 && prefix && *prefix) {
			snprintf(name, sizeof(name), "%.200s %s", prefix, STR(p->display_name));
			if (str_set(&p->display_name, name) < 0)
				r = err_set(err, -ENOMEM, "out of memory");
		}
		if (r == 0)
			r = core_peer_create_prepared(app, p, err);
		if (r < 0) {
			err_prefix(err, "peer for user %.128s (%zu of %zu created before)",
				   users->v[i], n, users->n);
			peer_free(p);
			break;
		}
		out[n++] = p;
	}
	*ret = out;
	*ret_n = n;
	return r;
}
