/* SPDX-License-Identifier: MIT */
#ifndef API_ERRMAP_H
#define API_ERRMAP_H
/*
 * The single errno -> HTTP status table of the REST API (design.md 5): every error code that
 * core/, store/ or backends/ return is answered with the status this table gives.
 */

/* code: negative (or positive) errno; 0 maps to 200. Unknown codes map to 500. */
int errmap_status(int code);

#endif
