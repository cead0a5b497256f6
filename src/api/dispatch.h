/* SPDX-License-Identifier: MIT */
#ifndef API_DISPATCH_H
#define API_DISPATCH_H
/*
 * The libmicrohttpd callbacks of the API listener (api/server.c registers them with the
 * struct app as their cls): one struct api_request per request, created when the request line
 * is in (URI log callback), filled and routed when the head is in, given its body, answered,
 * and freed when MHD reports the request completed.
 */
#include <microhttpd.h>

void *api_dispatch_uri(void *cls, const char *uri, struct MHD_Connection *conn);
enum MHD_Result api_dispatch_access(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version, const char *upload,
				    size_t *upload_size, void **con_cls);
void api_dispatch_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			    enum MHD_RequestTerminationCode toe);

#endif
