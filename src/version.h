/* SPDX-License-Identifier: MIT */
#ifndef WGPORTAL_VERSION_H
#define WGPORTAL_VERSION_H
/* The one place the version lives (--version, logs, X-Served-By). */
#define WGPORTAL_VERSION "0.1.0"
#endif
