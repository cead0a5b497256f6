/* SPDX-License-Identifier: MIT */
/*
 * web.frontend_filepath (spec/wg-portal-compat.md 1.6.9; wg-portal: internal/app/api/core/
 * server.go setupFrontendRoutes): the UI is served from that directory; when it is missing or
 * empty, the embedded UI is copied there first (0755 directories, 0644 files, the gzip copies
 * beside their files as "<file>.gz", which the web-root mode serves). A directory that cannot
 * be created, read or filled makes the caller fall back to the embedded UI, as wg-portal does.
 */
#include "web/web.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

/* mkdir -p of path (0755). */
static int make_dirs(const char *path, struct err *err)
{
	char *dir = strdup(path);
	int r = 0;

	if (!dir)
		return err_set(err, -ENOMEM, "out of memory");
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = err_set(err, -errno, "cannot create '%s': %s", dir, strerror(errno));
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(dir);
	return r;
}

static int write_file(const char *dir, const char *rel, const char *suffix,
		      const unsigned char *data, size_t len, struct err *err)
{
	char *path = NULL, *slash;
	size_t off = 0;
	int fd, r = 0;

	if (asprintf(&path, "%s/%s%s", dir, rel, suffix) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	slash = strrchr(path, '/');
	*slash = '\0';
	r = make_dirs(path, err);
	*slash = '/';
	if (r < 0)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = err_set(err, -errno, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = err_set(err, -errno, "cannot write '%s': %s", path, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && r == 0)
		r = err_set(err, -errno, "cannot write '%s': %s", path, strerror(errno));
out:
	free(path);
	return r;
}

/* True when dir has any entry besides . and .. */
static int dir_has_files(const char *dir, bool *ret, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return err_set(err, -errno, "cannot read '%s': %s", dir, strerror(errno));
	*ret = false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			*ret = true;
			break;
		}
	closedir(d);
	return 0;
}

int web_export_if_empty(const char *dir, bool *ret_copied, struct err *err)
{
	bool has = false;
	int r;

	*ret_copied = false;
	if ((r = make_dirs(dir, err)) < 0 || (r = dir_has_files(dir, &has, err)) < 0)
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
