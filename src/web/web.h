/* SPDX-License-Identifier: MIT */
#ifndef WEB_WEB_H
#define WEB_WEB_H
/*
 * Static files of the browser UI: the embedded copy of ui/dist (build/gen/web_assets.c, made by
 * scripts/embed-assets.py) or, with `wgportal --web-root DIR`, the files of DIR. No HTTP here:
 * web_serve() turns a request path into a reply description that the API layer sends.
 *
 * Rules (the UI contract): an existing file is served with its MIME type; files under assets/
 * (Vite's content-hashed output) are "public, max-age=31536000, immutable", everything else
 * "no-cache"; a gzip copy is sent when the client accepts gzip and one exists (embedded: made at
 * build time when smaller; web root: a sibling "<file>.gz"); any other path gets index.html (SPA
 * history fallback), except missing files under assets/ (404, so a stale script URL never
 * receives HTML). index.html always has the base path injected right after "<head...>":
 *   <base href="{base}/"><meta name="wgportal-base-path" content="{base}">
 * Paths are percent-decoded once; NUL, backslashes, control characters and ".." segments are
 * refused, and with a web root the resolved file must lie inside it (symlinks included).
 */
#include <stdbool.h>
#include <stddef.h>

struct err;

struct web_asset {
	const char *path;             /* relative, no leading '/': "index.html", "assets/a-1b2c.js" */
	const char *mime;
	const unsigned char *data;
	size_t size;
	const unsigned char *gz;      /* gzip copy, NULL when it would not be smaller */
	size_t gz_size;
	const char *etag;             /* quoted strong validator, e.g. "\"1f3a...\"" */
};

/* The embedded table. A weak built-in placeholder ("the UI was not built") is in the library;
 * the generated build/gen/web_assets.c overrides it in build/wgportal. */
extern const struct web_asset web_assets_embedded[];
extern const size_t web_assets_embedded_count;

struct web;

/* root: NULL or "" = embedded assets; else a directory (must exist). base_path: "" or "/wg". */
int web_new(const char *root, const char *base_path, struct web **ret, struct err *err);
struct web *web_free(struct web *w);

/* web.frontend_filepath: creates dir when missing and, when it holds no file, copies the
 * embedded UI into it (web_export.c). *ret_copied tells whether it did. */
int web_export_if_empty(const char *dir, bool *ret_copied, struct err *err);

/* MIME type by file extension (case-insensitive), "application/octet-stream" when unknown. */
const char *web_mime(const char *path);
/* Percent-decodes a raw URL path ("/a/b%20c") into a relative path without leading '/'
 * ("a/b c"; "" for "/"); "." and empty segments are dropped. -EINVAL for a bad escape, NUL,
 * control characters, '\\', or any ".." segment; -ENOMEM. */
int web_normalise(const char *raw, char **ret);
/* True when an Accept-Encoding value accepts gzip (token "gzip" or "*" with q > 0). */
bool web_accepts_gzip(const char *accept_encoding);
/* index.html with the base path injected (heap, *ret_len bytes). */
int web_inject_base(const char *html, size_t len, const char *base_path, char **ret,
		    size_t *ret_len);

struct web_reply {
	int status;                   /* 200, 304, 400 or 404 */
	const char *content_type;
	const char *cache_control;
	bool gzip;                    /* send Content-Encoding: gzip */
	bool vary_encoding;           /* send Vary: Accept-Encoding */
	char etag[80];                /* "" = none */
	const void *body;
	size_t len;
	void *owned;                  /* storage behind body, freed by web_reply_release */
};

/* raw_path: the still percent-encoded path after the base path, starting with '/'.
 * accept_encoding / if_none_match: request headers or NULL. Fills *ret (always; status says
 * what happened); returns 0, or -ENOMEM / -EIO (err says why; *ret then holds nothing). */
int web_serve(struct web *w, const char *raw_path, const char *accept_encoding,
	      const char *if_none_match, struct web_reply *ret, struct err *err);
void web_reply_release(struct web_reply *r);

/* Header values of UI answers. */
#define WEB_CSP                                                                                \
	"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "   \
	"script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
#define WEB_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define WEB_CACHE_NO_CACHE "no-cache"

#endif
