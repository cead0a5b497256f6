/* SPDX-License-Identifier: MIT */
/*
 * Builds /metrics into one buffer. Peer rows arrive from a single store query; the label set
 * of a peer is escaped once and reused for its four series, which go to four family buffers
 * so every family's samples stay together under its HELP/TYPE lines (the format requires it).
 * A backend without peer statistics (pfSense) gets no byte or handshake series: "not
 * available" is not 0. Only wireguard_peer_up then, from its ping/handshake state.
 */
#include "metrics/render.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "monitor/rounds.h"
#include "store/store_monitor.h"
#include "util/buf.h"
#include "util/err.h"
#include "version.h"

#define FAMILY_MAX (64u * 1024 * 1024)

static int64_t process_start = 0;
static double last_render_ms = 0;

void metrics_set_start_time(int64_t unix_s)
{
	process_start = unix_s;
}

void metrics_set_last_render_ms(double ms)
{
	__atomic_store(&last_render_ms, &ms, __ATOMIC_RELAXED);
}

int metrics_label_escape(struct buf *b, const char *v)
{
	const char *p = v ? v : "";
	int r = 0;

	while (*p && r == 0) {
		size_t n = strcspn(p, "\\\"\n");
		r = buf_append(b, p, n);
		p += n;
		if (r == 0 && *p) {
			r = buf_puts(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n");
			p++;
		}
	}
	if (r == 0 && b->p == NULL)
		r = buf_append(b, "", 0);
	return r;
}

/* memcpy from a never-filled buffer (p NULL) would be undefined even with length 0 */
static int append_buf(struct buf *out, const struct buf *src)
{
	return src->len ? buf_append(out, src->p, src->len) : 0;
}

static void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int head(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum { F_UP, F_HS, F_RX, F_TX, F_MAX };

static const struct {
	const char *name, *help;
} peer_fam[F_MAX] = {
	[F_UP] = { "wireguard_peer_up", "Peer connection state (boolean: 1/0)." },
	[F_HS] = { "wireguard_peer_last_handshake_seconds",
		   "Seconds from the last handshake with the peer." },
	[F_RX] = { "wireguard_peer_received_bytes_total", "Bytes received from the peer." },
	[F_TX] = { "wireguard_peer_sent_bytes_total", "Bytes sent to the peer." },
};

struct peer_ctx {
	struct buf fam[F_MAX];
	struct buf labels;
};

/* The hot path (four samples per peer) avoids printf: it was most of a 10,000-peer scrape. */
static int label(struct buf *b, const char *key, const char *v, bool first)
{
	int r = buf_append(b, first ? "{" : ",", 1);

	r = r ? r : buf_puts(b, key);
	r = r ? r : buf_append(b, "=\"", 2);
	r = r ? r : metrics_label_escape(b, v);
	return r ? r : buf_append(b, "\"", 1);
}

/* " <v>\n" */
static int put_value(struct buf *b, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	*--p = '\n';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	*--p = ' ';
	return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int sample(struct buf *b, const char *name, const struct buf *labels, uint64_t v)
{
	int r = buf_puts(b, name);

	r = r ? r : append_buf(b, labels);
	return r ? r : put_value(b, v);
}

static int peer_row(const struct store_metric_peer *p, void *arg)
{
	struct peer_ctx *c = arg;
	struct buf *l = &c->labels;
	int r;

	buf_reset(l);
	r = label(l, "interface", p->iface_id, true);
	r = r ? r : label(l, "addresses", p->addresses, false);
	r = r ? r : label(l, "id", p->id, false);
	r = r ? r : label(l, "name", p->name, false);
	r = r ? r : label(l, "user", p->user, false);
	r = r ? r : buf_puts(l, "}");
	r = r ? r : sample(&c->fam[F_UP], peer_fam[F_UP].name, l, p->is_connected);
	if (!p->stats_available)
		return r;
	if (r == 0 && p->last_handshake > 0)
		r = sample(&c->fam[F_HS], peer_fam[F_HS].name, l, (uint64_t)p->last_handshake);
	r = r ? r : sample(&c->fam[F_RX], peer_fam[F_RX].name, l, p->bytes_received);
	r = r ? r : sample(&c->fam[F_TX], peer_fam[F_TX].name, l, p->bytes_transmitted);
	return r;
}

struct iface_ctx {
	struct buf rx, tx, labels;
};

static int iface_row(const struct store_metric_iface *m, void *arg)
{
	struct iface_ctx *c = arg;
	int r;

	buf_reset(&c->labels);
	r = label(&c->labels, "interface", m->iface_id, true);
	r = r ? r : buf_puts(&c->labels, "}");
	r = r ? r : sample(&c->rx, "wireguard_interface_received_bytes_total", &c->labels,
			   m->bytes_received);
	r = r ? r : sample(&c->tx, "wireguard_interface_sent_bytes_total", &c->labels,
			   m->bytes_transmitted);
	return r;
}

/* Family buffers kept between scrapes (their capacity, not their contents): a 10,000-peer page
 * otherwise faults in and zeroes ~6 MB of fresh memory each time. One render at a time. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool init;
	struct iface_ctx ic;
	struct peer_ctx pc;
} cache;

void metrics_render_release(void)
{
	pthread_mutex_lock(&cache_mu);
	if (cache.init) {
		buf_release(&cache.ic.rx);
		buf_release(&cache.ic.tx);
		buf_release(&cache.ic.labels);
		buf_release(&cache.pc.labels);
		for (int i = 0; i < F_MAX; i++)
			buf_release(&cache.pc.fam[i]);
		cache.init = false;
	}
	pthread_mutex_unlock(&cache_mu);
}

static int render_wireguard(struct store *st, struct buf *out, struct err *err)
{
	struct iface_ctx *ic = &cache.ic;
	struct peer_ctx *pc = &cache.pc;
	int r;

	pthread_mutex_lock(&cache_mu);
	if (!cache.init) {
		buf_init(&ic->rx, FAMILY_MAX);
		buf_init(&ic->tx, FAMILY_MAX);
		buf_init(&ic->labels, 4096);
		buf_init(&pc->labels, 64 * 1024);
		for (int i = 0; i < F_MAX; i++)
			buf_init(&pc->fam[i], FAMILY_MAX);
		cache.init = true;
	}
	buf_reset(&ic->rx);
	buf_reset(&ic->tx);
	for (int i = 0; i < F_MAX; i++)
		buf_reset(&pc->fam[i]);
	r = store_metrics_ifaces(st, iface_row, ic, err);
	if (r == 0)
		r = store_metrics_peers(st, peer_row, pc, err);
	if (r == -E2BIG || r == -ENOMEM)
		err_set(err, r, "metrics page too large or out of memory");
	if (r == 0) {
		r = head(out, "wireguard_interface_received_bytes_total", "gauge",
			 "Bytes received througth the interface.");
		r = r ? r : append_buf(out, &ic->rx);
		r = r ? r : head(out, "wireguard_interface_sent_bytes_total", "gauge",
				 "Bytes sent through the interface.");
		r = r ? r : append_buf(out, &ic->tx);
		for (int i = 0; r == 0 && i < F_MAX; i++) {
			r = head(out, peer_fam[i].name, "gauge", peer_fam[i].help);
			r = r ? r : append_buf(out, &pc->fam[i]);
		}
		if (r < 0)
			err_set(err, r, "metrics page too large");
	}
	pthread_mutex_unlock(&cache_mu);
	return r;
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n - 1 : 0; /* minus the directory's own descriptor */
}

static uint64_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long size = 0, res = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int render_process(struct buf *b)
{
	struct rusage ru;
	double cpu = 0;
	int r;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	r = head(b, "wgportal_build_info", "gauge", "wgportal version (always 1).");
	r = r ? r : buf_printf(b, "wgportal_build_info{version=\"%s\"} 1\n", WGPORTAL_VERSION);
	r = r ? r : head(b, "wgportal_process_cpu_seconds_total", "counter",
			 "User and system CPU time spent, in seconds.");
	r = r ? r : buf_printf(b, "wgportal_process_cpu_seconds_total %.6f\n", cpu);
	r = r ? r : head(b, "wgportal_process_resident_memory_bytes", "gauge",
			 "Resident memory size in bytes.");
	r = r ? r : buf_printf(b, "wgportal_process_resident_memory_bytes %" PRIu64 "\n",
			       rss_bytes());
	r = r ? r : head(b, "wgportal_process_open_fds", "gauge", "Open file descriptors.");
	r = r ? r : buf_printf(b, "wgportal_process_open_fds %u\n", open_fds());
	r = r ? r : head(b, "wgportal_process_start_time_seconds", "gauge",
			 "Start time of the process since the epoch, in seconds.");
	r = r ? r : buf_printf(b, "wgportal_process_start_time_seconds %" PRId64 "\n",
			       process_start);
	return r;
}

static int backend_labels(struct buf *b, const struct backend *be)
{
	int r = label(b, "backend", be->id, true);

	return r ? r : label(b, "type", be->ops->type, false);
}

static int render_backends(struct buf *b)
{
	size_t n = backend_count();
	int r;

	r = head(b, "wgportal_backend_up", "gauge",
		 "Backend reachable at its last call (boolean: 1/0).");
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct backend *be = backend_at(i);
		r = buf_puts(b, "wgportal_backend_up");
		r = r ? r : backend_labels(b, be);
		r = r ? r : buf_printf(b, "} %d\n", backend_is_reachable(be) ? 1 : 0);
	}
	static const struct {
		const char *name, *help;
	} fam[] = {
		{ "wgportal_backend_requests_total", "Backend calls, per operation." },
		{ "wgportal_backend_request_errors_total", "Backend calls that failed, per operation." },
		{ "wgportal_backend_request_seconds_total",
		  "Time spent in backend calls (sync, statistics, pings), per operation, in seconds." },
	};
	for (size_t kind = 0; kind < sizeof(fam) / sizeof(fam[0]) && r == 0; kind++) {
		r = head(b, fam[kind].name, "counter", fam[kind].help);
		for (size_t i = 0; r == 0 && i < n; i++) {
			struct backend *be = backend_at(i);
			struct backend_status bs;

			backend_status_get(be, &bs);
			for (int op = 0; r == 0 && op < BACKEND_OP_MAX; op++) {
				unsigned long v = kind == 0 ? bs.op_calls[op]
						  : kind == 1 ? bs.op_errors[op]
							      : bs.op_us[op];
				r = buf_puts(b, fam[kind].name);
				r = r ? r : backend_labels(b, be);
				r = r ? r : label(b, "op", backend_op_name(op), false);
				if (r)
					break;
				if (kind == 2)
					r = buf_printf(b, "} %.6f\n", v / 1e6);
				else
					r = buf_printf(b, "} %lu\n", v);
			}
		}
	}
	return r;
}

/* Last statistics and ping round per backend (only backends that had one). */
static int render_rounds(struct buf *b)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "wgportal_round_duration_seconds", "gauge",
		  "Duration of the last round on this backend, in seconds." },
		{ "wgportal_round_last_timestamp_seconds", "gauge",
		  "Start of the last round, seconds since the epoch." },
		{ "wgportal_round_errors", "gauge", "Failed calls in the last round." },
		{ "wgportal_rounds_total", "counter", "Rounds completed since start." },
		{ "wgportal_rounds_skipped_total", "counter",
		  "Rounds skipped because the previous one was still running." },
	};
	int r = 0;

	for (size_t f = 0; r == 0 && f < sizeof(fam) / sizeof(fam[0]); f++) {
		r = head(b, fam[f].name, fam[f].type, fam[f].help);
		for (int k = 0; r == 0 && k < MONITOR_ROUND_MAX; k++) {
			for (size_t i = 0; r == 0 && i < backend_count(); i++) {
				const struct backend *be = backend_at(i);
				struct monitor_round mr;

				if (!monitor_round_get(k, be->id, &mr))
					continue;
				r = buf_puts(b, fam[f].name);
				r = r ? r : label(b, "round", monitor_round_name(k), true);
				r = r ? r : label(b, "backend", be->id, false);
				if (r)
					break;
				switch (f) {
				case 0: r = buf_printf(b, "} %.6f\n", mr.duration_ms / 1e3); break;
				case 1: r = buf_printf(b, "} %" PRId64 "\n", mr.last_at); break;
				case 2: r = buf_printf(b, "} %u\n", mr.errors); break;
				case 3: r = buf_printf(b, "} %lu\n", mr.rounds); break;
				default: r = buf_printf(b, "} %lu\n", mr.skipped); break;
				}
			}
		}
	}
	return r;
}

int metrics_render(struct store *st, struct buf *out, struct err *err)
{
	int r = 0;

	if (st)
		r = render_wireguard(st, out, err);
	if (r < 0)
		return r;
	/* what Go's promhttp adds to every registry; wg-portal dashboards may alert on it */
	r = head(out, "promhttp_metric_handler_errors_total", "counter",
		 "Total number of internal errors encountered by the promhttp metric handler.");
	r = r ? r : buf_puts(out, "promhttp_metric_handler_errors_total{cause=\"encoding\"} 0\n"
				  "promhttp_metric_handler_errors_total{cause=\"gathering\"} 0\n");
	r = r ? r : render_process(out);
	if (r == 0) {
		double ms;
		__atomic_load(&last_render_ms, &ms, __ATOMIC_RELAXED);
		r = head(out, "wgportal_metrics_render_seconds", "gauge",
			 "Time the previous scrape took to build this page, in seconds.");
		r = r ? r : buf_printf(out, "wgportal_metrics_render_seconds %.6f\n", ms / 1e3);
	}
	r = r ? r : render_backends(out);
	r = r ? r : render_rounds(out);
	if (r < 0)
		return err_set(err, r, "metrics page too large or out of memory");
	return 0;
}
