/* SPDX-License-Identifier: MIT */
#ifndef STORE_WGP2_H
#define STORE_WGP2_H
/*
 * Reading a wg-portal v2 database (h44z/wg-portal, schema versions 1-4; docs/wg-portal-import.md):
 * its secrets, its times and its tables. Private to src/store and its tests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;

#define WGP2_ENC_PREFIX "WG_ENC_"

/*
 * A value of an encrypted column (wg-portal internal/app/gorm_encryption.go): "WG_ENC_" +
 * base64(AES-256-CBC(PKCS#7(plain))) with key = passphrase cut or '0'-padded to 32 bytes and
 * IV = its first 16 bytes, or (lazy migration, and api_token before v2.2.3) the plain value
 * without prefix. Writes the plain text into out (size bytes; temporaries wiped).
 * -EACCES: "WG_ENC_" but no passphrase, or the padding is wrong (a wrong passphrase shows
 * only this way: the scheme has no integrity check); -EBADMSG: not base64 / not whole
 * blocks; -ENOSPC: does not fit. Never puts the value into err.
 */
int wgp2_decrypt(const char *stored, const char *passphrase, char *out, size_t size);

/* Whether a decrypted key looks like a WireGuard key (44 base64 characters for 32 bytes):
 * the check that catches a wrong passphrase whose padding happened to look right. */
bool wgp2_is_wg_key(const char *s);

/*
 * A stored time as unix seconds: "2025-07-01 12:05:00.123456789+02:00" (SQLite, Go's
 * format with nanoseconds and the local offset), "2025-07-01 10:05:00.123+00" (PostgreSQL
 * timestamptz), "2025-07-01T12:05:00Z", or a naive "2025-07-01 12:05:00.123" (MySQL DATETIME,
 * read in utc_offset seconds). NULL, "" and Go's zero time (year 1) give 0. -EINVAL for text
 * that is not a time.
 */
int wgp2_parse_time(const char *s, long utc_offset, int64_t *ret);

/* ---- the import (wgp2_import.c) ---------------------------------------------------------- */

struct db;
struct store;

#define WGP2_SCHEMA_MIN 1
#define WGP2_SCHEMA_MAX 4

/* Rows per table: read from wg-portal's tables / found in ours after the import. Orphans
 * (rows of wg-portal's join and child tables whose user or peer no longer exists; its tables
 * have no foreign keys) are counted apart and not taken over. */
struct wgp2_counts {
	int64_t users, auths, passkeys, ifaces, iface_addrs, peers, peer_addrs, audit;
	int64_t orphans;
};

struct wgp2_opts {
	const char *passphrase;      /* database.encryption_passphrase: wg-portal's */
	bool default_peer_creation;  /* core.create_default_peer, for wg-portal's migration 1->2 */
	long naive_time_offset;      /* seconds east of UTC for zone-less times (MySQL DATETIME:
				      * the DSN's loc); WGP2_LOCAL_TIME = the host's zone */
	void (*progress)(const char *what, size_t done, size_t total, void *ctx);
	void *ctx;
};
#define WGP2_LOCAL_TIME (-999999L)

/* wg-portal's schema version reachable on src (its sys_stats), 0 when src holds no wg-portal
 * v2 data. A wg-portal v1 database is -EPROTO with a message; so is a sys_stats without rows. */
int wgp2_detect(struct db *src, int *version, struct err *err);

/* Every encrypted value of src decrypts with o->passphrase into what its column holds (a
 * WireGuard key; any text for API tokens). -EACCES names the first record that does not (never
 * a value). Reads only: run before anything is created. */
int wgp2_check_secrets(struct db *src, const struct wgp2_opts *o, struct err *err);

/* Copies wg-portal's users (with login sources, passkeys, bcrypt hashes), interfaces, peers,
 * their addresses and the audit log from src into st in one transaction, verifying the row
 * counts before it commits, and marks st as taken over (meta "wgportal_v2_import").
 * src may be st's own connection (PostgreSQL, MySQL) or another one (SQLite). st must hold no
 * users, interfaces or peers yet (-EEXIST). *ret: what was read and written. */
int wgp2_import(struct db *src, int version, struct store *st, const struct wgp2_opts *o,
		struct wgp2_counts *read, struct wgp2_counts *written, struct err *err);

#endif
