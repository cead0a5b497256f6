/* SPDX-License-Identifier: MIT */
/*
 * wireguard-go UAPI client: "set=1" text builder, "get=1" reply parser, and the Unix socket
 * exchange. A transaction is written completely (in chunks; the socket buffer is finite and
 * wireguard-go reads while we write) before the reply "errno=N" is read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/local/local-int.h"
#include "backends/local/wg_uapi.h"
#include "model/keys.h"
#include "util/buf.h"
#include "util/err.h"

/* Socket timeout: applying 10,000 peers takes wireguard-go well under this. */
#define UAPI_TIMEOUT_SEC 30

static char *put_str(char *o, const char *s)
{
	size_t l = strlen(s);

	memcpy(o, s, l);
	return o + l;
}

static char *put_key(char *o, const char *name, const uint8_t key[static 32])
{
	o = put_str(o, name);
	key_to_hex(o, key);
	o += 64;
	*o++ = '\n';
	return o;
}

static char *put_uint(char *o, const char *name, unsigned long v)
{
	return o + sprintf(o, "%s%lu\n", name, v);
}

int wg_uapi_build_set(struct buf *out, const struct dev_iface *dev, const struct dev_peer *peers,
		      const struct lb_endpoint *eps, size_t n)
{
	/* One peer header or one allowed IP line at a time; a line is < 100 bytes. */
	char line[512], *o;
	int r;

	o = put_str(line, "set=1\n");
	if (dev && (dev->flags & DEV_IFACE_HAS_PRIVATE_KEY))
		o = put_key(o, "private_key=", dev->private_key);
	if (dev && (dev->flags & DEV_IFACE_HAS_LISTEN_PORT))
		o = put_uint(o, "listen_port=", dev->listen_port);
	if (dev && (dev->flags & DEV_IFACE_HAS_FWMARK))
		o = put_uint(o, "fwmark=", dev->fwmark);
	r = buf_append(out, line, (size_t)(o - line));
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct dev_peer *p = &peers[i];

		o = put_key(line, "public_key=", p->public_key);
		if (p->flags & DEV_PEER_REMOVE) {
			o = put_str(o, "remove=true\n");
			r = buf_append(out, line, (size_t)(o - line));
			if (r < 0)
				goto out;
			continue;
		}
		if (p->flags & DEV_PEER_REPLACE_ALLOWEDIPS)
			o = put_str(o, "replace_allowed_ips=true\n");
		if (p->flags & DEV_PEER_HAS_PSK)
			o = put_key(o, "preshared_key=", p->preshared_key);
		if ((p->flags & DEV_PEER_HAS_ENDPOINT) && eps && eps[i].len) {
			char ep[80];

			if (lb_endpoint_format((const struct sockaddr *)&eps[i].ss, eps[i].len, ep,
					       sizeof(ep)) == 0) {
				o = put_str(o, "endpoint=");
				o = put_str(o, ep);
				*o++ = '\n';
			}
		}
		if (p->flags & DEV_PEER_HAS_KEEPALIVE)
			o = put_uint(o, "persistent_keepalive_interval=", p->persistent_keepalive);
		r = buf_append(out, line, (size_t)(o - line));
		if (r < 0)
			goto out;
		for (size_t j = 0; j < p->n_allowed_ips; j++) {
			const struct ip_prefix *a = &p->allowed_ips[j];
			char addr[INET6_ADDRSTRLEN];

			if (a->family != AF_INET && a->family != AF_INET6)
				continue;
			inet_ntop(a->family, a->addr, addr, sizeof(addr));
			o = put_str(line, "allowed_ip=");
			o = put_str(o, addr);
			o += sprintf(o, "/%u\n", a->len);
			r = buf_append(out, line, (size_t)(o - line));
			if (r < 0)
				goto out;
		}
	}
	r = buf_append(out, "\n", 1);
out:
	explicit_bzero(line, sizeof(line));
	return r;
}

/* Parses an unsigned decimal of at most max; -EPROTO otherwise. */
static int parse_u64(const char *v, size_t len, uint64_t max, uint64_t *ret)
{
	uint64_t x = 0;

	if (len == 0 || len > 20)
		return -EPROTO;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EPROTO;
		if (x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -EPROTO;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > max)
		return -EPROTO;
	*ret = x;
	return 0;
}

static int parse_allowed_ip(const char *v, size_t len, struct ip_prefix *ret)
{
	char tmp[64];
	const char *slash = memchr(v, '/', len);
	uint64_t plen;
	struct ip_prefix p = { 0 };
	size_t alen;

	if (!slash || len >= sizeof(tmp))
		return -EPROTO;
	alen = (size_t)(slash - v);
	memcpy(tmp, v, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET, tmp, p.addr) == 1)
		p.family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, p.addr) == 1)
		p.family = AF_INET6;
	else
		return -EPROTO;
	if (parse_u64(slash + 1, len - alen - 1, p.family == AF_INET ? 32 : 128, &plen) < 0)
		return -EPROTO;
	p.len = (uint8_t)plen;
	*ret = p;
	return 0;
}

#define KEYIS(lit) (klen == sizeof(lit) - 1 && !memcmp(k, lit, klen))

int wg_uapi_parse_get(const char *text, size_t len, struct dev_iface *ret)
{
	struct dev_iface d = { 0 };
	struct dev_peer *p = NULL;
	const char *s = text, *end = text + len;
	bool got_errno = false;
	int r = 0;

	/* Bounded by len: every iteration consumes one line. */
	while (s < end && !got_errno) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *line_end = nl ? nl : end;
		const char *eq = memchr(s, '=', (size_t)(line_end - s));
		const char *k = s, *v;
		size_t klen, vlen;
		uint64_t x;

		s = nl ? nl + 1 : end;
		if (line_end == k)
			continue;
		if (!eq) {
			r = -EPROTO;
			goto fail;
		}
		klen = (size_t)(eq - k);
		v = eq + 1;
		vlen = (size_t)(line_end - v);
		if (KEYIS("errno")) {
			if (parse_u64(v, vlen, 4095, &x) < 0) {
				r = -EPROTO;
				goto fail;
			}
			if (x) {
				r = -(int)x;
				goto fail;
			}
			got_errno = true;
		} else if (KEYIS("public_key")) {
			/* A new peer begins; keep the index, dev_iface_add_peer may move the array. */
			r = dev_iface_add_peer(&d, &p);
			if (r < 0)
				goto fail;
			p->stats_valid = true;
			if (key_from_hex_n(p->public_key, v, vlen) < 0) {
				r = -EPROTO;
				goto fail;
			}
		} else if (!p) {
			if (KEYIS("private_key")) {
				if (key_from_hex_n(d.private_key, v, vlen) < 0) {
					r = -EPROTO;
					goto fail;
				}
				d.flags |= DEV_IFACE_HAS_PRIVATE_KEY;
			} else if (KEYIS("listen_port")) {
				if (parse_u64(v, vlen, 65535, &x) < 0) {
					r = -EPROTO;
					goto fail;
				}
				d.listen_port = (uint16_t)x;
				d.flags |= DEV_IFACE_HAS_LISTEN_PORT;
			} else if (KEYIS("fwmark")) {
				if (parse_u64(v, vlen, UINT32_MAX, &x) < 0) {
					r = -EPROTO;
					goto fail;
				}
				d.fwmark = (uint32_t)x;
				d.flags |= DEV_IFACE_HAS_FWMARK;
			}
		} else if (KEYIS("preshared_key")) {
			if (key_from_hex_n(p->preshared_key, v, vlen) < 0) {
				r = -EPROTO;
				goto fail;
			}
			if (!key_is_zero(p->preshared_key))
				p->flags |= DEV_PEER_HAS_PSK;
		} else if (KEYIS("endpoint")) {
			if (vlen >= sizeof(p->endpoint)) {
				r = -EPROTO;
				goto fail;
			}
			memcpy(p->endpoint, v, vlen);
			p->endpoint[vlen] = '\0';
			p->flags |= DEV_PEER_HAS_ENDPOINT;
		} else if (KEYIS("persistent_keepalive_interval")) {
			if (parse_u64(v, vlen, 65535, &x) < 0) {
				r = -EPROTO;
				goto fail;
			}
			p->persistent_keepalive = (uint16_t)x;
		} else if (KEYIS("last_handshake_time_sec")) {
			if (parse_u64(v, vlen, INT64_MAX, &x) < 0) {
				r = -EPROTO;
				goto fail;
			}
			p->last_handshake_sec = (int64_t)x;
		} else if (KEYIS("last_handshake_time_nsec")) {
			if (parse_u64(v, vlen, INT64_MAX, &x) < 0) {
				r = -EPROTO;
				goto fail;
			}
			p->last_handshake_nsec = (int64_t)x;
		} else if (KEYIS("rx_bytes")) {
			if (parse_u64(v, vlen, UINT64_MAX, &p->rx_bytes) < 0) {
				r = -EPROTO;
				goto fail;
			}
		} else if (KEYIS("tx_bytes")) {
			if (parse_u64(v, vlen, UINT64_MAX, &p->tx_bytes) < 0) {
				r = -EPROTO;
				goto fail;
			}
		} else if (KEYIS("allowed_ip")) {
			struct ip_prefix ip;

			if (parse_allowed_ip(v, vlen, &ip) < 0) {
				r = -EPROTO;
				goto fail;
			}
			r = lb_prefix_append(&p->allowed_ips, &p->n_allowed_ips, &ip);
			if (r < 0)
				goto fail;
		}
		/* Unknown keys (protocol_version, future additions) are ignored. */
	}
	if (!got_errno) {
		r = -EPROTO;
		goto fail;
	}
	if ((d.flags & DEV_IFACE_HAS_PRIVATE_KEY) && !key_is_zero(d.private_key) &&
	    key_public_from_private(d.public_key, d.private_key) < 0) {
		r = -EPROTO;
		goto fail;
	}
	*ret = d;
	return 0;
fail:
	dev_iface_release(&d);
	return r;
}

#undef KEYIS

static int uapi_path(const char *ifname, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!lb_ifname_is_valid(ifname))
		return -EINVAL;
	snprintf(sun->sun_path, sizeof(sun->sun_path), LB_UAPI_DIR "/%s.sock", ifname);
	return 0;
}

bool wg_uapi_sock_exists(const char *ifname)
{
	struct sockaddr_un sun;
	struct stat st;

	if (uapi_path(ifname, &sun) < 0)
		return false;
	return stat(sun.sun_path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int uapi_connect(const char *ifname, struct err *err)
{
	struct sockaddr_un sun;
	struct timeval tv = { .tv_sec = UAPI_TIMEOUT_SEC };
	int fd;

	if (uapi_path(ifname, &sun) < 0)
		return err_set(err, -EINVAL, "invalid interface name");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, -errno, "uapi: socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return err_set(err, -ENOENT, "interface '%s' does not exist", ifname);
		return err_set(err, -e, "uapi: connect '%s': %s", sun.sun_path, strerror(e));
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	/* Chunks keep each syscall bounded; the loop ends when all bytes went out or on error
	 * (SO_SNDTIMEO bounds a stalled reader). */
	while (len > 0) {
		size_t chunk = len > 65536 ? 65536 : len;
		ssize_t w = send(fd, p, chunk, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads until the reply's terminating empty line ("\n\n"). */
static int read_reply(int fd, struct buf *out)
{
	char chunk[65536];

	for (;;) {
		size_t scan = out->len > 0 ? out->len - 1 : 0;
		ssize_t rd = recv(fd, chunk, sizeof(chunk), 0);
		int r;

		if (rd < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		}
		if (rd == 0)
			return -EPROTO; /* closed before the reply ended */
		r = buf_append(out, chunk, (size_t)rd);
		if (r < 0)
			return r;
		if (out->len >= 2 && memmem(out->p + scan, out->len - scan, "\n\n", 2))
			return 0;
		if (out->len == 1 && out->p[0] == '\n')
			return -EPROTO;
	}
}

int wg_uapi_get(const char *ifname, struct dev_iface *ret, struct err *err)
{
	struct buf reply;
	int fd, r;

	fd = uapi_connect(ifname, err);
	if (fd < 0)
		return fd;
	buf_init(&reply, WG_UAPI_REPLY_MAX);
	r = write_all(fd, "get=1\n\n", 7);
	if (r == 0)
		r = read_reply(fd, &reply);
	close(fd);
	if (r < 0) {
		buf_wipe(&reply);
		return err_set(err, r, "uapi: reading '%s': %s", ifname, strerror(-r));
	}
	r = wg_uapi_parse_get(reply.p, reply.len, ret);
	buf_wipe(&reply); /* held the private key */
	if (r < 0)
		return err_set(err, r, "uapi: bad reply from '%s': %s", ifname, strerror(-r));
	return 0;
}

int wg_uapi_set(const char *ifname, const struct dev_iface *dev, const struct dev_peer *peers,
		const struct lb_endpoint *eps, size_t n, struct err *err)
{
	struct buf req, reply;
	int fd, r;
	uint64_t e = 0;

	buf_init(&req, WG_UAPI_REPLY_MAX);
	buf_init(&reply, 4096);
	r = wg_uapi_build_set(&req, dev, peers, eps, n);
	if (r < 0) {
		r = err_set(err, r, "uapi: request for '%s' too large", ifname);
		goto out;
	}
	fd = uapi_connect(ifname, err);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	r = write_all(fd, req.p, req.len);
	if (r == 0)
		r = read_reply(fd, &reply);
	close(fd);
	if (r < 0) {
		r = err_set(err, r, "uapi: configuring '%s': %s", ifname, strerror(-r));
		goto out;
	}
	/* The reply is exactly "errno=N\n\n". */
	if (reply.len < 9 || memcmp(reply.p, "errno=", 6) ||
	    parse_u64(reply.p + 6, reply.len - 8, 4095, &e) < 0) {
		r = err_set(err, -EPROTO, "uapi: unexpected reply from '%s'", ifname);
		goto out;
	}
	if (e)
		r = err_set(err, -(int)e, "uapi: '%s' rejected the configuration: %s", ifname,
			    strerror((int)e));
out:
	buf_wipe(&req);
	buf_release(&reply);
	return r;
}
