/* SPDX-License-Identifier: MIT */
/*
 * The backend contract suite (tests/backends/contract.c) against the local backend. Needs
 * root: the process moves into a fresh network namespace (unshare(CLONE_NEWNET)), brings lo
 * up and drives wireguard-go (or kernel WireGuard) there. Not root: one TAP skip line.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

#include "../backends/contract.c"

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

int main(void)
{
	const struct CMUnitTest tests[] = { CONTRACT_TESTS };
	struct err e = { 0 };
	int r;

	if (geteuid() != 0) {
		printf("1..0\nok - # SKIP not root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..1\nnot ok 1 - unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	if ((r = lo_up()) < 0) {
		printf("1..1\nnot ok 1 - bringing lo up: %s\n", strerror(-r));
		return 1;
	}
	if (backend_register(&backend_local, "local", "Local", NULL, &e) < 0) {
		printf("1..1\nnot ok 1 - local backend: %s\n", e.msg);
		return 1;
	}
	contract_env.be = backend_find("local");
	/* wireguard-go's UAPI sockets (/var/run/wireguard) are shared by every namespace: the
	 * plain and the sanitizer build of this runner may run at once (run-all.sh), so the name
	 * carries the pid (RULES: distinct test interface names) */
	static char ifname[16];
	snprintf(ifname, sizeof(ifname), "wgct%d", (int)(getpid() % 100000));
	contract_env.ifname = ifname;
	r = cmocka_run_group_tests_name("contract_local", tests, NULL, NULL);
	backends_shutdown();
	return r;
}
