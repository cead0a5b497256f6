/* SPDX-License-Identifier: MIT */
/*
 * Placeholder UI, used when the binary was linked without build/gen/web_assets.c (unit tests)
 * or the generator found no ui/dist. The generated table is a strong definition of the same
 * symbols and replaces these weak ones at link time.
 */
#include "web/web.h"

static const unsigned char placeholder_html[] =
	"<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<title>WireGuard Portal</title>\n</head>\n<body>\n"
	"<h1>WireGuard Portal</h1>\n"
	"<p>The web UI was not built into this binary. Install Node.js and npm, then run "
	"<code>make</code> again (it builds <code>ui/</code> and embeds it), or start wgportal "
	"with <code>--web-root DIR</code>.</p>\n"
	"<p>The REST API is available under <code>api/v1</code>.</p>\n"
	"</body>\n</html>\n";

__attribute__((weak)) const struct web_asset web_assets_embedded[] = {
	{ "index.html", "text/html; charset=utf-8", placeholder_html, sizeof(placeholder_html) - 1,
	  NULL, 0, "\"wgportal-placeholder-1\"" },
};
__attribute__((weak)) const size_t web_assets_embedded_count = 1;
