/* SPDX-License-Identifier: MIT */
/*
 * Launching wireguard-go. The parent wireguard-go process creates the tun device and the UAPI
 * socket, re-executes itself as the daemon and exits; we wait for that exit (bounded) and for
 * both the socket and the link to be visible. Its stderr goes through a pipe so a failure can
 * be reported with wireguard-go's own words; everything else goes to /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/local/local-int.h"
#include "backends/local/wg_uapi.h"
#include "backends/local/wggo.h"
#include "util/err.h"

extern char **environ;

bool wggo_find(char *path, size_t size)
{
	const char *env = getenv("PATH");
	const char *s = env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin";

	/* Bounded by strlen(PATH): each round consumes one entry. */
	while (*s) {
		size_t len = strcspn(s, ":");

		if (len > 0 && (size_t)snprintf(path, size, "%.*s/wireguard-go", (int)len, s) < size &&
		    access(path, X_OK) == 0)
			return true;
		s += len;
		if (*s == ':')
			s++;
	}
	return false;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Environment for the child without LOG_LEVEL: with it set wireguard-go's daemon would keep
 * our stderr pipe open. Built before fork (nothing but async-signal-safe calls after it). */
static char **child_env(void)
{
	size_t n = 0, j = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LOG_LEVEL=", 10))
			env[j++] = environ[i];
	return env;
}

/* Last non-empty line of text (in place), without the Unicode banner box. */
static const char *last_line(char *text)
{
	char *line = NULL;

	for (char *tok = strtok(text, "\n"); tok; tok = strtok(NULL, "\n"))
		if (tok[strspn(tok, " \t\r")] != '\0' && (unsigned char)tok[0] < 0x80)
			line = tok;
	return line ? line : "unknown error";
}

int wggo_start(const char *name, struct err *err)
{
	char path[512], out[4096];
	char *argv[3];
	char **env;
	int pfd[2], status = 0, r;
	size_t outlen = 0;
	bool exited = false;
	pid_t pid;
	int64_t deadline;

	if (!lb_ifname_is_valid(name))
		return err_set(err, -EINVAL, "invalid interface name");
	if (!wggo_find(path, sizeof(path)))
		return err_set(err, -ENOENT,
			       "wireguard-go not found on PATH: install wireguard-go (no kernel "
			       "WireGuard module)");
	env = child_env();
	if (!env)
		return err_set(err, -ENOMEM, "out of memory");
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(env);
		return err_set(err, -errno, "pipe: %s", strerror(errno));
	}
	argv[0] = path;
	argv[1] = (char *)name;
	argv[2] = NULL;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		free(env);
		return err_set(err, r, "fork: %s", strerror(-r));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
		    dup2(pfd[1], 2) < 0)
			_exit(127);
		close_range(3, ~0U, 0);
		execve(path, argv, env);
		_exit(127);
	}
	free(env);
	close(pfd[1]);
	(void)fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	deadline = now_ms() + WGGO_START_TIMEOUT_MS;
	/* Bounded by the deadline; polls every 20 ms. */
	for (;;) {
		ssize_t rd;

		if (!exited) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid) {
				exited = true;
			} else if (w < 0 && errno == ECHILD) {
				/* SIGCHLD ignored by the process: the launcher was reaped for us. */
				exited = true;
				status = 0;
			}
		}
		while (outlen < sizeof(out) - 1 &&
		       (rd = read(pfd[0], out + outlen, sizeof(out) - 1 - outlen)) > 0)
			outlen += (size_t)rd;
		if (exited && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			break;
		if (exited && wg_uapi_sock_exists(name) && if_nametoindex(name) != 0)
			break;
		if (now_ms() >= deadline)
			break;
		(void)poll(NULL, 0, 20);
	}
	close(pfd[0]);
	out[outlen] = '\0';
	if (!exited) {
		/* Still the launcher after the deadline: stop it rather than leak it. */
		(void)kill(pid, SIGTERM);
		(void)waitpid(pid, &status, 0);
		return err_set(err, -ETIMEDOUT, "wireguard-go '%s' did not start within %d ms", name,
			       WGGO_START_TIMEOUT_MS);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(err, -EIO, "wireguard-go '%s' failed: %s", name, last_line(out));
	if (!wg_uapi_sock_exists(name) || if_nametoindex(name) == 0)
		return err_set(err, -ETIMEDOUT, "wireguard-go '%s': no socket/link within %d ms",
			       name, WGGO_START_TIMEOUT_MS);
	return 0;
}
