/* SPDX-License-Identifier: MIT */
/*
 * advanced.config_storage_path (spec/wg-portal-compat.md 4.7; wg-portal:
 * docs/wg-portal-behaviour.md "Interface files"): the wg-quick file of every interface with SaveConfig is
 * kept in that directory as <Filename> (the interface id, spec 4.4), rewritten after every
 * change of the interface or one of its peers (by the background worker, core/background.c)
 * and removed when the interface is deleted. Also the config texts the API serves: the
 * interface's own file and a peer's client file.
 *
 * The file holds the interface's private key: it is written 0600 (wg-portal: 0777 minus umask,
 * the spec recommends 0600) through a temporary file and rename, so a reader never sees half a
 * file. A directory we create is 0700.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "model/ifaceconf.h"
#include "model/peerconf.h"
#include "store/store.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

static const char *storage_path(const struct app *app)
{
	const char *p = app->cfg->advanced.config_storage_path;

	return p && *p ? p : NULL;
}

int core_iface_config(struct app *app, const char *iface_id, char **ret, struct err *err)
{
	struct iface *ifc = NULL;
	struct peer **peers = NULL;
	size_t n = 0, total = 0;
	int r = store_iface_get_settings(app->store, iface_id, &ifc, err);

	if (r == -ENOENT)
		return err_set(err, r, "failed to load interface: record not found");
	if (r == 0)
		r = store_peer_list_by_iface(app->store, iface_id, NULL, &peers, &n, &total, err);
	if (r == 0)
		r = ifaceconf_render(ifc, peers, n, ret, err);
	peer_list_free(peers, n);
	iface_free(ifc);
	return r;
}

int core_peer_config(struct app *app, const struct peer *p, enum peerconf_style style,
		     char **ret, struct err *err)
{
	struct iface *ifc = NULL;
	struct peer *copy = NULL;
	int r;

	if (p->endpoint_public_key.value && *p->endpoint_public_key.value)
		return peerconf_render(p, style, ret, err);
	/* imported peers carry no server key; the file needs it to connect */
	copy = peer_dup(p);
	if (!copy)
		return err_set(err, -ENOMEM, "out of memory");
	if (store_iface_get_settings(app->store, STR(p->interface_identifier), &ifc, NULL) == 0 &&
	    str_set(&copy->endpoint_public_key.value, ifc->public_key) < 0) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = peerconf_render(copy, style, ret, err);
out:
	iface_free(ifc);
	peer_free(copy);
	return r;
}

int core_conffile_prepare(struct app *app, struct err *err)
{
	const char *path = storage_path(app);
	struct stat st;
	int r;

	if (!path)
		return 0;
	if ((r = fs_mkdir_p(path, 0700, err)) < 0) {
		if (err)   /* the start-up message names the key */
			snprintf(err->field, sizeof(err->field), "advanced.config_storage_path");
		return r;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_field(err, -ENOTDIR, "advanced.config_storage_path",
				 "'%s' is not a directory", path);
	return 0;
}

void core_conffile_write_all(struct app *app)
{
	struct iface **list = NULL;
	size_t n = 0;
	struct err err;

	if (!storage_path(app))
		return;
	err_clear(&err);
	if (store_iface_list(app->store, &list, &n, &err) < 0) {
		log_warn("config files: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (list[i]->save_config)
			core_iface_changed(app, list[i]->identifier);
	iface_list_free(list, n);
}

int core_conffile_write(struct app *app, const char *iface_id, struct err *err)
{
	const char *dir = storage_path(app);
	struct iface *ifc = NULL;
	char name[32], *text = NULL, *path = NULL;
	int r;

	if (!dir)
		return 0;
	r = store_iface_get_settings(app->store, iface_id, &ifc, err);
	if (r == -ENOENT)
		return 0;   /* deleted meanwhile: its removal job follows */
	if (r < 0 || !ifc->save_config)
		goto out;
	iface_filename(ifc, name);
	r = core_iface_config(app, iface_id, &text, err);
	if (r == 0 && asprintf(&path, "%s/%s", dir, name) < 0)
		r = err_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = fs_write_file(path, text, strlen(text), 0600, true, err);
	if (r == 0)
		log_debug("config files: wrote '%s'", path);
out:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	free(path);
	iface_free(ifc);
	return r;
}

int core_conffile_remove(struct app *app, const char *filename, struct err *err)
{
	const char *dir = storage_path(app);
	char *path = NULL;
	int r = 0;

	if (!dir || !*filename || strchr(filename, '/') || filename[0] == '.')
		return 0;
	if (asprintf(&path, "%s/%s", dir, filename) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	if (unlink(path) < 0 && errno != ENOENT)
		r = err_set(err, -errno, "cannot remove '%s': %s", path, strerror(errno));
	free(path);
	return r;
}
