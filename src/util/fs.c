/* SPDX-License-Identifier: MIT */
/* mkdir -p and whole-file writes (optionally atomic) for the files wgportal keeps on disk. */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

int fs_mkdir_p(const char *path, mode_t mode, struct err *err)
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
		if (mkdir(dir, mode) < 0 && errno != EEXIST) {
			r = err_set(err, -errno, "cannot create directory '%s': %s", dir,
				    strerror(errno));
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(dir);
	return r;
}

static int write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -(w < 0 ? errno : EIO);
		off += (size_t)w;
	}
	return 0;
}

int fs_write_file(const char *path, const void *data, size_t len, mode_t mode, bool atomic,
		  struct err *err)
{
	const char *slash = strrchr(path, '/');
	char *tmp = NULL;
	const char *target = path;
	int fd, r;

	if (atomic) {
		int dl = slash ? (int)(slash - path) + 1 : 0;
		if (asprintf(&tmp, "%.*s.%s.tmp", dl, path, slash ? slash + 1 : path) < 0)
			return err_set(err, -ENOMEM, "out of memory");
		target = tmp;
	}
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = err_set(err, -errno, "cannot write '%s': %s", target, strerror(errno));
		goto out;
	}
	(void)fchmod(fd, mode);   /* a leftover file may have had other bits */
	r = write_all(fd, data, len);
	if (r == 0 && atomic && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		err_set(err, r, "cannot write '%s': %s", target, strerror(-r));
		goto out;
	}
	if (atomic && rename(tmp, path) < 0)
		r = err_set(err, -errno, "cannot rename '%s' to '%s': %s", tmp, path,
			    strerror(errno));
out:
	if (r < 0 && tmp)
		(void)unlink(tmp);
	free(tmp);
	return r;
}
