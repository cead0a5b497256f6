/* SPDX-License-Identifier: MIT */
#ifndef API_API_H
#define API_API_H
/*
 * The HTTP side: REST API v1 (wg-portal compatible) plus additions, on web.listening_address,
 * under web.base_path. ulfius on libmicrohttpd, thread per connection with connection limits.
 */
#include "core/app.h"

struct err;

/* Starts listening; returns 0 or -errno with the reason (e.g. address in use) in err. */
int api_start(struct app *app, struct err *err);
void api_stop(void);
/* The port actually bound (useful with listening_address ":0" in tests). */
int api_bound_port(void);

#endif
