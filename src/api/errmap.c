/* SPDX-License-Identifier: MIT */
/*
 * errno -> HTTP status. One table so that every endpoint answers the same failure the same way:
 * not found 404, bad input 400, duplicate 409, permission 403, missing capability 422, body too
 * large 413, our own disk full 507 (not a gateway's fault: RFC 4918 11.5, "unable to store the
 * representation"), device timeout 504, device unreachable or faulty 502, database server
 * unreachable 503 (ENOTCONN), everything else 500. -ENOSPC means storage only; exhausted
 * address space or ports are -EADDRNOTAVAIL (500).
 */
#include "api/errmap.h"

#include <errno.h>
#include <stddef.h>

static const struct {
	int err;
	int status;
} errmap_table[] = {
	{ ENOENT, 404 },
	{ EINVAL, 400 },
	{ ERANGE, 400 },
	{ EEXIST, 409 },
	{ EACCES, 403 },
	{ EPERM, 403 },
	{ EOPNOTSUPP, 422 },
	{ E2BIG, 413 },
	{ EMSGSIZE, 413 },
	{ ENOSPC, 507 },
	{ EDQUOT, 507 },
	{ ETIMEDOUT, 504 },
	{ EHOSTUNREACH, 502 },
	{ ENETUNREACH, 502 },
	{ EHOSTDOWN, 502 },
	{ EIO, 502 },
	{ EPROTO, 502 },
	{ ECONNREFUSED, 502 },
	{ ECONNRESET, 502 },
	{ ECONNABORTED, 502 },
	{ ENODEV, 502 },
	{ ENXIO, 502 },
	{ EBADMSG, 502 },
	{ ENOTCONN, 503 },   /* the database server is unreachable (store reconnects) */
	{ ESTALE, 503 },     /* this node may not write to devices now (cluster.h, fence) */
};

int errmap_status(int code)
{
	if (code == 0)
		return 200;
	if (code < 0)
		code = -code;
	for (size_t i = 0; i < sizeof(errmap_table) / sizeof(errmap_table[0]); i++)
		if (errmap_table[i].err == code)
			return errmap_table[i].status;
	return 500;
}
