/* SPDX-License-Identifier: MIT */
/*
 * Local backend benchmark (run by bench/run-local.sh inside a fresh network namespace):
 * apply 10,000 peers (random keys, one /32 each) with backend_apply_peers() on one interface
 * and with `wg setconf` of the same set on a second fresh interface, then time a full
 * get_iface (state + statistics sweep) against `wg show <if> dump`. Prints ratios; the
 * target is wgportal within 1.5x of wireguard-tools.
 *   usage: bench_local IFACE_A IFACE_B [PEERS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "backends/backend.h"
#include "backends/local/local.h"
#include "model/keys.h"
#include "util/err.h"

#define GET_ROUNDS 5

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs argv (no shell) with stdout to /dev/null; returns the exit status or -1. */
static int run(char *const argv[])
{
	pid_t pid;
	int st;

	/* Unflushed stdio output would be duplicated by the child. */
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int make_iface(struct backend *be, const char *name, uint16_t port, struct err *err)
{
	struct dev_iface w = { 0 };
	int r;

	snprintf(w.name, sizeof(w.name), "%s", name);
	key_generate_private(w.private_key);
	w.listen_port = port;
	w.flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT;
	w.up = true;
	r = backend_apply_iface(be, &w, err);
	explicit_bzero(w.private_key, sizeof(w.private_key));
	return r;
}

int main(int argc, char **argv)
{
	struct err err = { 0 };
	struct backend *be;
	struct dev_peer *peers;
	struct ip_prefix *aips;
	size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
	char conf[] = "/tmp/wgpl-bench-XXXXXX";
	double t0, t_apply, t_setconf, t_get[GET_ROUNDS], t_show[GET_ROUNDS];
	FILE *f;
	int fd, r;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_local IFACE_A IFACE_B [PEERS]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	r = backend_register(&backend_local, "local", "Local", NULL, &err);
	if (r < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		return 1;
	}
	be = backend_find("local");
	printf("local backend: %s, %zu peers\n", be->implementation, n);
	if (make_iface(be, argv[1], 52001, &err) < 0 || make_iface(be, argv[2], 52002, &err) < 0) {
		fprintf(stderr, "create: %s\n", err.msg);
		return 1;
	}
	peers = calloc(n, sizeof(*peers));
	aips = calloc(n, sizeof(*aips));
	if (!peers || !aips)
		return 1;
	fd = mkstemp(conf);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return 1;
	fprintf(f, "[Interface]\nListenPort = 52002\n");
	for (size_t i = 0; i < n; i++) {
		char b64[WG_KEY_B64_SIZE];
		uint32_t a = htonl(0x0a000000U | (uint32_t)(i + 1));

		randombytes_buf(peers[i].public_key, WG_KEY_LEN);
		peers[i].flags = DEV_PEER_REPLACE_ALLOWEDIPS;
		aips[i].family = AF_INET;
		aips[i].len = 32;
		memcpy(aips[i].addr, &a, 4);
		peers[i].allowed_ips = &aips[i];
		peers[i].n_allowed_ips = 1;
		key_to_base64(b64, peers[i].public_key);
		fprintf(f, "[Peer]\nPublicKey = %s\nAllowedIPs = 10.%u.%u.%u/32\n", b64,
			(unsigned)((i + 1) >> 16) & 255, (unsigned)((i + 1) >> 8) & 255,
			(unsigned)(i + 1) & 255);
	}
	fclose(f);

	t0 = now_ms();
	r = backend_apply_peers(be, argv[1], peers, n, &err);
	t_apply = now_ms() - t0;
	if (r < 0) {
		fprintf(stderr, "apply_peers: %s\n", err.msg);
		return 1;
	}
	{
		char *av[] = { "wg", "setconf", argv[2], conf, NULL };

		t0 = now_ms();
		r = run(av);
		t_setconf = now_ms() - t0;
		if (r != 0) {
			fprintf(stderr, "wg setconf failed (%d)\n", r);
			return 1;
		}
	}
	for (int k = 0; k < GET_ROUNDS; k++) {
		struct dev_iface d = { 0 };
		char *av[] = { "wg", "show", argv[1], "dump", NULL };

		t0 = now_ms();
		r = backend_get_iface(be, argv[1], &d, &err);
		t_get[k] = now_ms() - t0;
		if (r < 0 || d.n_peers != n) {
			fprintf(stderr, "get_iface: %s (%zu peers)\n", r < 0 ? err.msg : "count", d.n_peers);
			return 1;
		}
		dev_iface_release(&d);
		t0 = now_ms();
		r = run(av);
		t_show[k] = now_ms() - t0;
		if (r != 0) {
			fprintf(stderr, "wg show dump failed\n");
			return 1;
		}
	}
	qsort(t_get, GET_ROUNDS, sizeof(double), cmp_double);
	qsort(t_show, GET_ROUNDS, sizeof(double), cmp_double);
	printf("apply_10k: wgportal %.1f ms, wg setconf %.1f ms, ratio %.2f\n", t_apply, t_setconf,
	       t_apply / t_setconf);
	printf("get_10k (median of %d): wgportal %.1f ms, wg show dump %.1f ms, ratio %.2f\n",
	       GET_ROUNDS, t_get[GET_ROUNDS / 2], t_show[GET_ROUNDS / 2],
	       t_get[GET_ROUNDS / 2] / t_show[GET_ROUNDS / 2]);
	(void)unlink(conf);
	(void)backend_delete_iface(be, argv[1], &err);
	(void)backend_delete_iface(be, argv[2], &err);
	backends_shutdown();
	free(peers);
	free(aips);
	return 0;
}
