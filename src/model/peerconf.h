/* SPDX-License-Identifier: MIT */
#ifndef MODEL_PEERCONF_H
#define MODEL_PEERCONF_H
/*
 * The generated peer config file exactly as wg-portal writes it (spec/wg-portal-compat.md
 * section 4), built only from validated fields: any value containing CR or LF is refused with
 * -EINVAL so nothing can inject a line.
 */
#include <stddef.h>

#include "model/peer.h"

struct err;

/* wg-quick style text (4.1); heap string in *ret. */
int peerconf_render(const struct peer *p, char **ret, struct err *err);
/* QR content of 4.5: comment lines removed, each kept line trimmed + "\n". */
int peerconf_qr_text(const char *conf, char **ret);
/* PNG of the QR code (byte mode, ECC L, 4 px per module, 8 px margin). */
int peerconf_qr_png(const char *text, unsigned char **ret, size_t *ret_len, struct err *err);
/* Go's default time rendering used in the header lines: "2026-05-04 10:00:00 +0000 UTC". */
void peerconf_time(long long unix_sec, char out[static 64]);

#endif
