/* SPDX-License-Identifier: MIT */
/*
 * The backend registry and the wrappers around the ops table. "local" is always entry 0; each
 * backend.mikrotik[] / backend.pfsense[] entry of the config becomes one more instance of the
 * type of that name (backends/builtin.c knows the types; this file names none of them). Every
 * op goes through a wrapper here that serialises calls on the instance, checks the op exists,
 * records reachability and times the call at debug level; nothing else calls be->ops.
 *
 * The state an instance shows (reachable, last error, implementation, counters) changes in
 * the threads that use the device and is read by the API and the exporter: it is written and
 * copied under the instance's state_lock, never read field by field from outside.
 */
#include "backends/backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "util/err.h"
#include "util/log.h"

#define BACKENDS_MAX 64

static struct backend *registry[BACKENDS_MAX];
static size_t n_registry;
static char default_id[64] = "local";

void dev_peer_release(struct dev_peer *p)
{
	if (!p)
		return;
	explicit_bzero(p->preshared_key, sizeof(p->preshared_key));
	free(p->allowed_ips);
	free(p->name);
	p->allowed_ips = NULL;
	p->n_allowed_ips = 0;
	p->name = NULL;
}

void dev_iface_release(struct dev_iface *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_peers; i++)
		dev_peer_release(&d->peers[i]);
	free(d->peers);
	free(d->addresses);
	free(d->routes);
	free(d->comment);
	explicit_bzero(d->private_key, sizeof(d->private_key));
	memset(d, 0, sizeof(*d));
}

int dev_iface_add_peer(struct dev_iface *d, struct dev_peer **ret)
{
	struct dev_peer *np = realloc(d->peers, (d->n_peers + 1) * sizeof(*np));

	if (!np)
		return -ENOMEM;
	d->peers = np;
	memset(&np[d->n_peers], 0, sizeof(np[0]));
	*ret = &np[d->n_peers++];
	return 0;
}

/* ---- state (under state_lock) ------------------------------------------------------------ */

void backend_status_get(struct backend *be, struct backend_status *ret)
{
	pthread_mutex_lock(&be->state_lock);
	ret->caps = __atomic_load_n(&be->caps, __ATOMIC_RELAXED);
	ret->reachable = be->reachable;
	memcpy(ret->implementation, be->implementation, sizeof(ret->implementation));
	memcpy(ret->last_error, be->last_error, sizeof(ret->last_error));
	memcpy(ret->ping_error, be->ping_error, sizeof(ret->ping_error));
	memcpy(ret->op_calls, be->op_calls, sizeof(ret->op_calls));
	memcpy(ret->op_errors, be->op_errors, sizeof(ret->op_errors));
	memcpy(ret->op_us, be->op_us, sizeof(ret->op_us));
	pthread_mutex_unlock(&be->state_lock);
}

bool backend_is_reachable(struct backend *be)
{
	bool r;

	pthread_mutex_lock(&be->state_lock);
	r = be->reachable;
	pthread_mutex_unlock(&be->state_lock);
	return r;
}

static void set_text(struct backend *be, char *dst, size_t size, const char *fmt, va_list ap)
{
	char tmp[256];

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	pthread_mutex_lock(&be->state_lock);
	snprintf(dst, size, "%s", tmp);
	pthread_mutex_unlock(&be->state_lock);
}

void backend_set_implementation(struct backend *be, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(be, be->implementation, sizeof(be->implementation), fmt, ap);
	va_end(ap);
}

void backend_set_last_error(struct backend *be, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(be, be->last_error, sizeof(be->last_error), fmt, ap);
	va_end(ap);
}

void backend_set_caps(struct backend *be, unsigned caps)
{
	__atomic_store_n(&be->caps, caps, __ATOMIC_RELAXED);
}

void backend_drop_ping(struct backend *be, const char *why)
{
	pthread_mutex_lock(&be->state_lock);
	if (be->caps & BACKEND_CAP_PING)
		snprintf(be->ping_error, sizeof(be->ping_error), "%.255s", why);
	__atomic_and_fetch(&be->caps, ~(unsigned)BACKEND_CAP_PING, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&be->state_lock);
}

static void set_reachable(struct backend *be, bool reachable, const struct err *err)
{
	pthread_mutex_lock(&be->state_lock);
	be->reachable = reachable;
	if (!reachable)
		snprintf(be->last_error, sizeof(be->last_error), "%.255s",
			 err && err->msg[0] ? err->msg : "unreachable");
	pthread_mutex_unlock(&be->state_lock);
}

/* ---- registry ----------------------------------------------------------------------------- */

static struct backend *backend_free(struct backend *be)
{
	if (!be)
		return NULL;
	pthread_mutex_destroy(&be->lock);
	pthread_mutex_destroy(&be->state_lock);
	free(be->priv);
	free(be);
	return NULL;
}

int backend_register(const struct backend_ops *ops, const char *id, const char *display_name,
		     const struct cfg_backend *cfg, struct err *err)
{
	struct backend *be;
	int r;

	if (n_registry >= BACKENDS_MAX)
		return err_set(err, -ENOSPC, "too many backends (at most %d)", BACKENDS_MAX);
	if (backend_find(id))
		return err_set(err, -EEXIST, "backend ID \"%s\" is not unique", id);
	be = calloc(1, sizeof(*be));
	if (!be)
		return err_set(err, -ENOMEM, "out of memory");
	be->ops = ops;
	snprintf(be->id, sizeof(be->id), "%s", id);
	snprintf(be->display_name, sizeof(be->display_name), "%s",
		 display_name && *display_name ? display_name : id);
	be->caps = ops->caps;
	be->cfg = cfg;
	pthread_mutex_init(&be->lock, NULL);
	pthread_mutex_init(&be->state_lock, NULL);
	if (ops->priv_size) {
		be->priv = calloc(1, ops->priv_size);
		if (!be->priv) {
			backend_free(be);
			return err_set(err, -ENOMEM, "out of memory");
		}
	}
	r = ops->open ? ops->open(be, cfg, err) : 0;
	if (r < 0) {
		/* A device that is down at start stays registered as unreachable: wgportal starts
		 * and the backend recovers on its own; any other failure is a start-up error. */
		if (r != -EHOSTUNREACH && r != -ETIMEDOUT && r != -ECONNREFUSED) {
			backend_free(be);
			return r;
		}
		set_reachable(be, false, err);
	} else {
		be->reachable = true;
	}
	/* a type that can ping has the capability until a ping is refused (MikroTik without
	 * the 'test' policy) */
	if (ops->ping && !be->ping_error[0])
		__atomic_or_fetch(&be->caps, BACKEND_CAP_PING, __ATOMIC_RELAXED);
	registry[n_registry++] = be;
	return 0;
}

int backends_init(const struct cfg *cfg, struct err *err)
{
	int r = backend_register(backend_builtin_local(), "local", "Local", NULL, err);

	if (r < 0)
		return err_prefix(err, "local backend");
	for (size_t i = 0; i < cfg->backend.n_entries; i++) {
		const struct cfg_backend *cb = &cfg->backend.entries[i];
		const struct backend_ops *ops = backend_builtin_find(cfg_backend_type_name(cb->type));

		if (!ops) {
			/* Configured but not built in: interfaces on it stay visible as unavailable
			 * instead of being moved to local. main.c logs this. */
			continue;
		}
		r = backend_register(ops, cb->id, cb->display_name, cb, err);
		if (r < 0)
			return err_prefix(err, "backend '%s'", cb->id);
	}
	snprintf(default_id, sizeof(default_id), "%s",
		 cfg->backend.default_id && *cfg->backend.default_id ? cfg->backend.default_id
								     : "local");
	for (size_t i = 0; i < n_registry; i++)
		registry[i]->is_default = !strcmp(registry[i]->id, default_id);
	return 0;
}

void backends_shutdown(void)
{
	for (size_t i = 0; i < n_registry; i++) {
		struct backend *be = registry[i];
		if (be->ops->close)
			be->ops->close(be);
		registry[i] = backend_free(be);
	}
	n_registry = 0;
}

struct backend *backend_find(const char *id)
{
	if (!id || !*id)
		id = "local";
	for (size_t i = 0; i < n_registry; i++)
		if (!strcmp(registry[i]->id, id))
			return registry[i];
	return NULL;
}

size_t backend_count(void) { return n_registry; }
struct backend *backend_at(size_t i) { return i < n_registry ? registry[i] : NULL; }
const char *backend_default_id(void) { return default_id; }

bool backend_has_cap(const struct backend *be, unsigned cap)
{
	return be && (__atomic_load_n(&be->caps, __ATOMIC_RELAXED) & cap) == cap;
}

/* ---- wrappers ----------------------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define OP_list_ifaces BACKEND_OP_LIST_IFACES
#define OP_get_iface BACKEND_OP_GET_IFACE
#define OP_apply_iface BACKEND_OP_APPLY_IFACE
#define OP_delete_iface BACKEND_OP_DELETE_IFACE
#define OP_apply_peers BACKEND_OP_APPLY_PEERS

const char *backend_op_name(enum backend_op op)
{
	static const char *const names[BACKEND_OP_MAX] = {
		[BACKEND_OP_LIST_IFACES] = "list_interfaces",
		[BACKEND_OP_GET_IFACE] = "get_interface",
		[BACKEND_OP_APPLY_IFACE] = "apply_interface",
		[BACKEND_OP_DELETE_IFACE] = "delete_interface",
		[BACKEND_OP_APPLY_PEERS] = "apply_peers",
		[BACKEND_OP_PING] = "ping",
	};
	return op < BACKEND_OP_MAX ? names[op] : "";
}

/* Request counters for the exporter; "no such interface" is an answer, not an error. */
static void count_op(struct backend *be, enum backend_op op, int r, double ms)
{
	pthread_mutex_lock(&be->state_lock);
	be->op_calls[op]++;
	be->op_us[op] += (unsigned long)(ms * 1e3);
	if (r < 0 && r != -ENOENT)
		be->op_errors[op]++;
	pthread_mutex_unlock(&be->state_lock);
}

/* Device-side failures (not "no such interface", not bad input) make the backend unreachable
 * until the next successful call. */
static void note_result(struct backend *be, int r, const struct err *err)
{
	if (r >= 0)
		set_reachable(be, true, NULL);
	else if (r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -ECONNREFUSED || r == -EPROTO)
		set_reachable(be, false, err);
}

#define CALL_OP(be, opname, err, ...)                                                          \
	do {                                                                                   \
		double t0;                                                                     \
		int r_;                                                                        \
		if (!(be)->ops->opname)                                                        \
			return err_set(err, -EOPNOTSUPP, "backend '%s' (%s) cannot " #opname,  \
				       (be)->id, (be)->ops->type);                             \
		t0 = now_ms();                                                                 \
		pthread_mutex_lock(&(be)->lock);                                               \
		r_ = (be)->ops->opname((be), __VA_ARGS__);                                     \
		note_result((be), r_, (err));                                                  \
		count_op((be), OP_##opname, r_, now_ms() - t0);                                \
		pthread_mutex_unlock(&(be)->lock);                                             \
		log_debug("backend %s: " #opname " -> %d (%.1f ms)", (be)->id, r_,            \
			  now_ms() - t0);                                                      \
		return r_;                                                                     \
	} while (0)

int backend_list_ifaces(struct backend *be, struct strv *ret, struct err *err)
{
	CALL_OP(be, list_ifaces, err, ret, err);
}

int backend_get_iface(struct backend *be, const char *name, struct dev_iface *ret, struct err *err)
{
	memset(ret, 0, sizeof(*ret));
	CALL_OP(be, get_iface, err, name, ret, err);
}

int backend_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err)
{
	CALL_OP(be, apply_iface, err, want, err);
}

int backend_delete_iface(struct backend *be, const char *name, struct err *err)
{
	CALL_OP(be, delete_iface, err, name, err);
}

int backend_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
			size_t n, struct err *err)
{
	if (n == 0)
		return 0;
	CALL_OP(be, apply_peers, err, name, peers, n, err);
}

int backend_suggest_name(struct backend *be, const struct strv *taken, char *out, size_t size,
			 struct err *err)
{
	int r;

	if (be->ops->suggest_name) {
		pthread_mutex_lock(&be->lock);
		r = be->ops->suggest_name(be, taken, out, size, err);
		pthread_mutex_unlock(&be->lock);
		return r;
	}
	for (int i = 0; i < 100000; i++) {
		snprintf(out, size, "wg%d", i);
		if (!strv_contains(taken, out))
			return 0;
	}
	return err_set(err, -ENOSPC, "no free interface name");
}

int backend_ping(struct backend *be, const char *name, const char *addr,
		 const struct backend_ping_opts *o, struct err *err)
{
	double t0;
	int r;

	if (!backend_has_cap(be, BACKEND_CAP_PING) || !be->ops->ping)
		return err_set(err, -EOPNOTSUPP, "backend '%s' (%s) cannot run ping checks",
			       be->id, be->ops->type);
	/* no instance lock: pings run in parallel with sync and statistics (ops->ping contract) */
	t0 = now_ms();
	r = be->ops->ping(be, name, addr, o, err);
	count_op(be, BACKEND_OP_PING, r, now_ms() - t0);
	if (r == -EACCES)
		backend_drop_ping(be, err ? err->msg : "ping not permitted");
	return r;
}
