/* SPDX-License-Identifier: MIT */
/*
 * web.frontend_filepath (spec/wg-portal-compat.md 1.6.9; docs/wg-portal-behaviour.md "Config
 * keys"): the UI is served from that directory; when it is missing or
 * empty, the embedded UI is copied there first (0755 directories, 0644 files, the gzip copies
 * beside their files as "<file>.gz", which the web-root mode serves). A directory that cannot
 * be created, read or filled makes the caller fall back to the embedded UI, as wg-portal does.
 */
#include "web/web.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fs.h"

static int write_file(const char *dir, const char *rel, const char *suffix,
		      const unsigned char *data, size_t len, struct err *err)
{
	char *path = NULL, *slash;
	int r;

	if (asprintf(&path, "%s/%s%s", dir, rel, suffix) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	slash = strrchr(path, '/');
	*slash = '\0';
	r = fs_mkdir_p(path, 0755, err);
	*slash = '/';
	if (r == 0)
		r = fs_write_file(path, data, len, 0644, false, err);
	free(path);
	return r;
}

/* True when dir holds a file anywhere below it (empty subdirectories do not count, as in
 * wg-portal). depth bounds the walk. */
static int dir_has_files(const char *dir, bool *ret, int depth, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (!d)
		return err_set(err, -errno, "cannot read '%s': %s", dir, strerror(errno));
	*ret = false;
	while (!*ret && r == 0 && (e = readdir(d))) {
		char *sub = NULL;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) && depth < 8)
			r = dir_has_files(sub, ret, depth + 1, err);
		else
			*ret = true;   /* a file, a link, anything that is not an empty directory */
		free(sub);
	}
	closedir(d);
	return r;
}

int web_export_if_empty(const char *dir, bool *ret_copied, struct err *err)
{
	bool has = false;
	int r;

	*ret_copied = false;
	if ((r = fs_mkdir_p(dir, 0755, err)) < 0 || (r = dir_has_files(dir, &has, 0, err)) < 0)
		return r;
	if (has)
		return 0;
	for (size_t i = 0; i < web_assets_embedded_count; i++) {
		const struct web_asset *a = &web_assets_embedded[i];

		if (strstr(a->path, "..") || a->path[0] == '/')
			continue;   /* never outside dir (our own table, but cheap to be sure) */
		r = write_file(dir, a->path, "", a->data, a->size, err);
		if (r == 0 && a->gz)
			r = write_file(dir, a->path, ".gz", a->gz, a->gz_size, err);
		if (r < 0)
			return r;
	}
	*ret_copied = true;
	return 0;
}
