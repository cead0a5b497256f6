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

/* The comment line written instead of "PrivateKey = " when the private key is unknown (the
 * owner made the key pair): wg-quick ignores it, a person or the UI puts the key there. */
#define PEERCONF_NO_PRIVATE_KEY                                                                 \
	"# PrivateKey = <the private key of this peer: the portal never had it; insert it here " \
	"and remove the leading \"# \">"

/* The two styles of wg-portal's peer file (spec/wg-portal-compat.md 4.1, 4.2): wg-quick's, and
 * raw, which keeps only what `wg setconf` understands (no Address, DNS, MTU, Table, hooks). */
enum peerconf_style { PEERCONF_WGQUICK, PEERCONF_RAW };

/* The text in that style (without empty value lines); heap string in *ret. */
int peerconf_render(const struct peer *p, enum peerconf_style style, char **ret,
		    struct err *err);
/* QR content of 4.5: comment lines removed, each kept line trimmed + "\n". */
int peerconf_qr_text(const char *conf, char **ret);
/* PNG of the QR code (byte mode, ECC L, 4 px per module, 8 px margin). */
int peerconf_qr_png(const char *text, unsigned char **ret, size_t *ret_len, struct err *err);
/* Shared with the interface file (ifaceconf.c): -EINVAL naming field when a value holds CR or
 * LF; "a,b,c" lists; "Key = value\n" only for a non-empty value. */
struct buf;
struct strv;
int peerconf_check_value(const char *field, const char *s, struct err *err);
int peerconf_check_list(const char *field, const struct strv *sv, struct err *err);
int peerconf_put_list(struct buf *b, const struct strv *sv);
int peerconf_put_opt(struct buf *b, const char *key, const char *value);
/* The header both files share, up to and including "[Interface]": format is the word of the
 * "This file uses ... format." line ("wgquick" or "raw" for peers, "wg-quick" for interfaces,
 * as wg-portal writes them); the wg-quick manual link is left out of the raw one. */
int peerconf_put_header(struct buf *b, const char *format);
/* Go's default time rendering used in the header lines: "2026-05-04 10:00:00 +0000 UTC". */
void peerconf_time(long long unix_sec, char out[static 64]);

#endif
