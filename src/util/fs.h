/* SPDX-License-Identifier: MIT */
#ifndef UTIL_FS_H
#define UTIL_FS_H
/*
 * Small file-system helpers for the files wgportal writes itself (interface files of
 * advanced.config_storage_path, the UI copied to web.frontend_filepath).
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct err;

/* mkdir -p: every missing component of path is created with mode; existing ones are kept. */
int fs_mkdir_p(const char *path, mode_t mode, struct err *err);
/* Writes len bytes to path with mode (0600, 0644): through "<dir>/.<name>.tmp" and rename(2)
 * when atomic, so a reader never sees half a file; never follows a symlink at path (or at the
 * temporary name). */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode, bool atomic,
		  struct err *err);

#endif
