/* SPDX-License-Identifier: MIT */
/*
 * Static file serving for the UI (rules in web.h): path normalisation, MIME types,
 * Accept-Encoding, cache classes, ETags, the SPA fallback and the base-path injection into
 * index.html. Embedded assets are served from the const table without copying; files of a
 * --web-root directory are read per request (development use), bounded by WEB_FILE_MAX.
 */
#include "web/web.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

#define WEB_FILE_MAX (64 * 1024 * 1024)
#define WEB_HTML "text/html; charset=utf-8"

struct web {
	char *root;                   /* realpath of the web root, NULL = embedded */
	char *base;                   /* "" or "/wg" */
	char *index;                  /* embedded mode: injected index.html */
	size_t index_len;
	char index_etag[80];
};

/* ---- pure helpers ----------------------------------------------------------------------- */

static const struct {
	const char *ext;
	const char *mime;
} mime_types[] = {
	{ "html", WEB_HTML },
	{ "htm", WEB_HTML },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/x-icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "eot", "application/vnd.ms-fontobject" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
};

const char *web_mime(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');

	if (dot && dot[1])
		for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
			if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
				return mime_types[i].mime;
	return "application/octet-stream";
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int web_normalise(const char *raw, char **ret)
{
	size_t len = strlen(raw), o = 0;
	char *dec = malloc(len + 1), *out;
	int r = 0;

	if (!dec)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)raw[i];
		if (ch == '%') {
			int hi = i + 1 < len ? hexval((unsigned char)raw[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)raw[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				r = -EINVAL;
				goto out;
			}
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '\\') {
			r = -EINVAL; /* NUL, control characters, Windows separators */
			goto out;
		}
		dec[o++] = (char)ch;
	}
	dec[o] = '\0';

	out = malloc(o + 1);
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	size_t w = 0, i = 0;
	while (i < o) {
		size_t s = i;
		while (i < o && dec[i] != '/')
			i++;
		size_t seg = i - s;
		if (i < o)
			i++;
		if (seg == 0 || (seg == 1 && dec[s] == '.'))
			continue;
		if (seg == 2 && dec[s] == '.' && dec[s + 1] == '.') {
			free(out);
			r = -EINVAL;
			goto out;
		}
		if (w)
			out[w++] = '/';
		memcpy(out + w, dec + s, seg);
		w += seg;
	}
	/* keep a trailing '/' so "sub/" can be told from "sub" (directory -> index) */
	if (w && o && dec[o - 1] == '/')
		out[w++] = '/';
	out[w] = '\0';
	*ret = out;
out:
	free(dec);
	return r;
}

bool web_accepts_gzip(const char *ae)
{
	bool star = false, gzip = false, gzip_seen = false;

	if (!ae)
		return false;
	while (*ae) {
		const char *end = strchr(ae, ',');
		size_t n = end ? (size_t)(end - ae) : strlen(ae);
		char item[128];
		if (n >= sizeof(item))
			n = sizeof(item) - 1;
		memcpy(item, ae, n);
		item[n] = '\0';
		ae += n + (end ? 1 : 0);
		if (!end)
			ae += strlen(ae);

		char *p = item, *semi;
		while (isspace((unsigned char)*p))
			p++;
		semi = strchr(p, ';');
		double q = 1.0;
		if (semi) {
			*semi = '\0';
			char *qs = semi + 1;
			while (isspace((unsigned char)*qs))
				qs++;
			if ((qs[0] == 'q' || qs[0] == 'Q') && qs[1] == '=')
				q = strtod(qs + 2, NULL);
		}
		size_t l = strlen(p);
		while (l && isspace((unsigned char)p[l - 1]))
			p[--l] = '\0';
		if (strcasecmp(p, "gzip") == 0 || strcasecmp(p, "x-gzip") == 0) {
			gzip_seen = true;
			gzip = q > 0;
		} else if (strcmp(p, "*") == 0) {
			star = q > 0;
		}
	}
	return gzip_seen ? gzip : star;
}

/* Appends s to a growing buffer with HTML attribute escaping. */
static size_t esc_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += (*s == '&') ? 5 : (*s == '<' || *s == '>') ? 4 : (*s == '"' || *s == '\'') ? 6 : 1;
	return n;
}

static char *esc_put(char *o, const char *s)
{
	for (; *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&#34;"; break;
		case '\'': rep = "&#39;"; break;
		}
		if (rep) {
			size_t n = strlen(rep);
			memcpy(o, rep, n);
			o += n;
		} else {
			*o++ = *s;
		}
	}
	return o;
}

int web_inject_base(const char *html, size_t len, const char *base, char **ret, size_t *ret_len)
{
	static const char p1[] = "<base href=\"", p2[] = "/\"><meta name=\"wgportal-base-path\" "
							 "content=\"", p3[] = "\">";
	size_t at = 0, add, n;
	char *out, *o;

	if (!base)
		base = "";
	/* after the opening <head ...> tag, else at the very start */
	for (size_t i = 0; i + 5 <= len; i++) {
		if (html[i] == '<' && strncasecmp(html + i + 1, "head", 4) == 0 &&
		    (i + 5 == len || html[i + 5] == '>' || isspace((unsigned char)html[i + 5]))) {
			const char *gt = memchr(html + i, '>', len - i);
			if (gt)
				at = (size_t)(gt - html) + 1;
			break;
		}
	}
	add = strlen(p1) + strlen(p2) + strlen(p3) + 2 * esc_len(base);
	n = len + add;
	out = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, html, at);
	o = out + at;
	memcpy(o, p1, strlen(p1));
	o = esc_put(o + strlen(p1), base);
	memcpy(o, p2, strlen(p2));
	o = esc_put(o + strlen(p2), base);
	memcpy(o, p3, strlen(p3));
	o += strlen(p3);
	memcpy(o, html + at, len - at);
	o += len - at;
	*o = '\0';
	*ret = out;
	*ret_len = (size_t)(o - out);
	return 0;
}

static void etag_of(const void *data, size_t len, char out[static 80])
{
	unsigned char h[16];
	char hex[33];

	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, 80, "\"%s\"", hex);
}

/* If-None-Match: "*", or a comma list of (possibly weak) tags. */
static bool etag_matches(const char *inm, const char *etag)
{
	size_t el = strlen(etag);

	if (!inm || !*etag)
		return false;
	while (*inm) {
		while (*inm == ' ' || *inm == '\t' || *inm == ',')
			inm++;
		if (*inm == '*')
			return true;
		if (strncmp(inm, "W/", 2) == 0)
			inm += 2;
		if (strncmp(inm, etag, el) == 0 &&
		    (inm[el] == '\0' || inm[el] == ',' || inm[el] == ' ' || inm[el] == '\t'))
			return true;
		while (*inm && *inm != ',')
			inm++;
	}
	return false;
}

/* ---- asset sources ---------------------------------------------------------------------- */

static const struct web_asset *embedded_find(const char *rel)
{
	for (size_t i = 0; i < web_assets_embedded_count; i++)
		if (strcmp(web_assets_embedded[i].path, rel) == 0)
			return &web_assets_embedded[i];
	return NULL;
}

/* Reads root/rel when it is a regular file inside root. -ENOENT otherwise. */
static int root_read(const struct web *w, const char *rel, char **ret, size_t *ret_len,
		     struct stat *ret_st)
{
	char *path = NULL, *real = NULL, *buf = NULL;
	size_t rlen = strlen(w->root), n = 0;
	struct stat st;
	int fd = -1, r = -ENOENT;

	if (asprintf(&path, "%s/%s", w->root, rel) < 0)
		return -ENOMEM;
	real = realpath(path, NULL);
	if (!real)
		goto out;
	/* the resolved file (symlinks followed) must stay inside the root */
	if (strncmp(real, w->root, rlen) != 0 || (real[rlen] != '/' && !(rlen == 1)))
		goto out;
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if (st.st_size > WEB_FILE_MAX) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*ret = buf;
	*ret_len = n;
	*ret_st = st;
	buf = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(real);
	free(path);
	return r;
}

/* ---- object ----------------------------------------------------------------------------- */

int web_new(const char *root, const char *base_path, struct web **ret, struct err *err)
{
	struct web *w = calloc(1, sizeof(*w));
	struct stat st;

	if (!w)
		return err_set(err, -ENOMEM, "out of memory");
	w->base = strdup(base_path ? base_path : "");
	if (!w->base)
		goto oom;
	if (root && *root) {
		w->root = realpath(root, NULL);
		if (!w->root || stat(w->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
			int e = errno ? errno : ENOTDIR;
			web_free(w);
			return err_set(err, -e, "web root '%s': %s", root, strerror(e));
		}
	} else {
		const struct web_asset *idx = embedded_find("index.html");
		if (idx) {
			if (web_inject_base((const char *)idx->data, idx->size, w->base, &w->index,
					    &w->index_len) < 0)
				goto oom;
			etag_of(w->index, w->index_len, w->index_etag);
		}
	}
	*ret = w;
	return 0;
oom:
	web_free(w);
	return err_set(err, -ENOMEM, "out of memory");
}

struct web *web_free(struct web *w)
{
	if (!w)
		return NULL;
	free(w->root);
	free(w->base);
	free(w->index);
	free(w);
	return NULL;
}

void web_reply_release(struct web_reply *r)
{
	if (!r)
		return;
	free(r->owned);
	memset(r, 0, sizeof(*r));
}

static void finish_conditional(struct web_reply *ret, const char *inm)
{
	if (ret->status == 200 && etag_matches(inm, ret->etag)) {
		ret->status = 304;
		ret->body = NULL;
		ret->len = 0;
		ret->gzip = false;
	}
}

static int serve_index(struct web *w, const char *inm, struct web_reply *ret, struct err *err)
{
	ret->status = 200;
	ret->content_type = WEB_HTML;
	ret->cache_control = WEB_CACHE_NO_CACHE;
	if (w->root) {
		char *html = NULL, *inj = NULL;
		size_t len = 0, ilen = 0;
		struct stat st;
		int r = root_read(w, "index.html", &html, &len, &st);
		if (r == -ENOENT) {
			ret->status = 404;
			return 0;
		}
		if (r < 0)
			return err_set(err, r, "web root: cannot read index.html");
		r = web_inject_base(html, len, w->base, &inj, &ilen);
		free(html);
		if (r < 0)
			return err_set(err, r, "out of memory");
		ret->owned = inj;
		ret->body = inj;
		ret->len = ilen;
		etag_of(inj, ilen, ret->etag);
	} else {
		if (!w->index) {
			ret->status = 404;
			return 0;
		}
		ret->body = w->index;
		ret->len = w->index_len;
		snprintf(ret->etag, sizeof(ret->etag), "%s", w->index_etag);
	}
	finish_conditional(ret, inm);
	return 0;
}

int web_serve(struct web *w, const char *raw_path, const char *ae, const char *inm,
	      struct web_reply *ret, struct err *err)
{
	char *rel = NULL;
	bool gz_ok = web_accepts_gzip(ae), immutable;
	size_t rl;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = web_normalise(raw_path ? raw_path : "/", &rel);
	if (r == -EINVAL) {
		ret->status = 400;
		return 0;
	}
	if (r < 0)
		return err_set(err, r, "out of memory");
	rl = strlen(rel);
	if (rl == 0 || rel[rl - 1] == '/' || strcmp(rel, "index.html") == 0) {
		/* directories: the SPA shell (a directory under assets/ is no file either) */
		bool assets_dir = strncmp(rel, "assets/", 7) == 0;
		free(rel);
		if (assets_dir) {
			ret->status = 404;
			return 0;
		}
		return serve_index(w, inm, ret, err);
	}
	immutable = strncmp(rel, "assets/", 7) == 0;

	if (!w->root) {
		const struct web_asset *a = embedded_find(rel);
		if (a) {
			ret->status = 200;
			ret->content_type = a->mime ? a->mime : web_mime(a->path);
			ret->cache_control = immutable ? WEB_CACHE_IMMUTABLE : WEB_CACHE_NO_CACHE;
			ret->vary_encoding = a->gz != NULL;
			if (a->gz && gz_ok) {
				ret->gzip = true;
				ret->body = a->gz;
				ret->len = a->gz_size;
			} else {
				ret->body = a->data;
				ret->len = a->size;
			}
			snprintf(ret->etag, sizeof(ret->etag), "%s", a->etag ? a->etag : "");
			free(rel);
			finish_conditional(ret, inm);
			return 0;
		}
	} else {
		char *data = NULL, *gzrel = NULL, *gzdata = NULL;
		size_t len = 0, gzlen = 0;
		struct stat st, gzst;
		r = root_read(w, rel, &data, &len, &st);
		if (r == 0) {
			ret->status = 200;
			ret->content_type = web_mime(rel);
			ret->cache_control = immutable ? WEB_CACHE_IMMUTABLE : WEB_CACHE_NO_CACHE;
			snprintf(ret->etag, sizeof(ret->etag), "\"%lx-%lx\"",
				 (unsigned long)st.st_size, (unsigned long)st.st_mtime);
			if (asprintf(&gzrel, "%s.gz", rel) >= 0 &&
			    root_read(w, gzrel, &gzdata, &gzlen, &gzst) == 0) {
				ret->vary_encoding = true;
				if (gz_ok) {
					free(data);
					data = gzdata;
					len = gzlen;
					gzdata = NULL;
					ret->gzip = true;
				}
			}
			free(gzdata);
			free(gzrel);
			ret->owned = data;
			ret->body = data;
			ret->len = len;
			free(rel);
			finish_conditional(ret, inm);
			return 0;
		}
		if (r != -ENOENT) {
			free(rel);
			return err_set(err, r, "web root: cannot read file");
		}
	}
	free(rel);
	if (immutable) {
		ret->status = 404;
		return 0;
	}
	return serve_index(w, inm, ret, err);
}
