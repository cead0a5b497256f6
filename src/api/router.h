/* SPDX-License-Identifier: MIT */
#ifndef API_ROUTER_H
#define API_ROUTER_H
/*
 * Request dispatch: the one ulfius callback for every request. It applies the conventions of
 * spec 2.1 (request id, CORS, path cleaning, 404/405), authenticates (2.2), checks the route's
 * scope, decodes the {id} path parameter from the raw URL and calls the handler.
 */
struct _u_request;
struct _u_response;

/* ulfius callback; user_data is the struct app. Always returns U_CALLBACK_COMPLETE. */
int router_dispatch(const struct _u_request *req, struct _u_response *resp, void *user_data);

/* Go's path.Clean semantics on a URL path, keeping a trailing '/' (gin's cleanPath). Heap. */
char *router_clean_path(const char *path);

#endif
