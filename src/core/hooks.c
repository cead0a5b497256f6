/* SPDX-License-Identifier: MIT */
/*
 * Interface hooks (PreUp, PostUp, PreDown, PostDown) as wg-portal runs them: `bash -ce <hook>`
 * with %i replaced by the interface name. The hook text is the admin's own shell command, so it
 * is passed as one argv element to bash (no other shell parses it), never built from peer data.
 *
 * A hook runs while the write lock is held (its interface change must not interleave with
 * another), so one that never ends would stop every write. wg-portal waits forever; we wait
 * advanced.hook_timeout (ours, default 30 s; 0 = no limit), then kill the hook's process group
 * (bash and what it started in the foreground or background) and report the change as failed.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/core-int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/clock.h"

extern char **environ;

/* Waits for pid until timeout_ms (0: forever); 1 when it ended (*status set), 0 on timeout. */
static int wait_bounded(pid_t pid, int64_t timeout_ms, int *status)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	long step_ns = 1000000;   /* 1 ms, doubling to 50 ms: short hooks answer at once */

	for (;;) {
		pid_t w = waitpid(pid, status, timeout_ms ? WNOHANG : 0);

		if (w == pid)
			return 1;
		if (w < 0 && errno != EINTR)
			return 1;   /* not our child any more: nothing left to wait for */
		if (w == 0 && clock_mono_ms() >= deadline)
			return 0;
		if (w == 0) {
			struct timespec ts = { 0, step_ns };
			nanosleep(&ts, NULL);
			step_ns = step_ns * 2 > 50000000 ? 50000000 : step_ns * 2;
		}
	}
}

int core_run_hook(const char *hook, const char *iface_name, const char *which,
		  int64_t timeout_ms, struct err *err)
{
	posix_spawnattr_t attr;
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
	/* its own process group, so that a timeout ends whatever the hook started too */
	r = posix_spawnattr_init(&attr);
	if (r == 0) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&attr, 0);
		r = posix_spawnp(&pid, "bash", NULL, &attr, argv, environ);
		posix_spawnattr_destroy(&attr);
	}
	if (r) {
		buf_release(&cmd);
		return err_set(err, -r, "%s hook: cannot start bash: %s", which, strerror(r));
	}
	buf_release(&cmd);
	if (!wait_bounded(pid, timeout_ms, &status)) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return err_set(err, -ETIMEDOUT, "%s hook of interface '%s' did not finish within "
			       "%lld ms (advanced.hook_timeout): stopped", which, iface_name,
			       (long long)timeout_ms);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(err, -EIO, "%s hook of interface '%s' failed with status %d", which,
			       iface_name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	log_info("%s hook of interface '%s' ran", which, iface_name);
	return 0;
}
