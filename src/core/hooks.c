/* SPDX-License-Identifier: MIT */
/*
 * Interface hooks (PreUp, PostUp, PreDown, PostDown) as wg-portal runs them: `bash -ce <hook>`
 * with %i replaced by the interface name. The hook text is the admin's own shell command, so it
 * is passed as one argv element to bash (no other shell parses it), never built from peer data.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/core-int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

extern char **environ;

int core_run_hook(const char *hook, const char *iface_name, const char *which, struct err *err)
{
	struct buf cmd;
	pid_t pid;
	int status = 0, r;

	if (!hook || !*hook)
		return 0;
	buf_init(&cmd, 64 * 1024);
	for (const char *p = hook; *p; p++) {
		if (p[0] == '%' && p[1] == 'i') {
			r = buf_puts(&cmd, iface_name);
			p++;
		} else {
			r = buf_append(&cmd, p, 1);
		}
		if (r < 0) {
			buf_release(&cmd);
			return err_set(err, r, "%s hook too long", which);
		}
	}
	char *argv[] = { "bash", "-ce", cmd.p, NULL };
	r = posix_spawnp(&pid, "bash", NULL, NULL, argv, environ);
	if (r) {
		buf_release(&cmd);
		return err_set(err, -r, "%s hook: cannot start bash: %s", which, strerror(r));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf_release(&cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(err, -EIO, "%s hook of interface '%s' failed with status %d", which,
			       iface_name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	log_info("%s hook of interface '%s' ran", which, iface_name);
	return 0;
}
