/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_COPY_H
#define STORE_STORE_COPY_H
/*
 * Private to src/store: copying one of our databases into another (store_copy.c), used by
 * store_migrate_from (store_takeover.c).
 */
#include <stddef.h>

struct db;
struct err;
struct store;
struct store_copy_report;

struct store_copy_opts {
	const char *passphrase;   /* must open the source's key material, if it has any */
	void (*progress)(const char *what, size_t done, size_t total, void *ctx);
	void *ctx;
};

/* Copies every table of ours from src (at our latest schema) into st (opened without secret
 * setup, empty), in one transaction; rows per table in rep. -EEXIST: st is not empty;
 * -EACCES: the passphrase does not open the copied key material (nothing kept). */
int store_copy_ours(struct db *src, struct store *st, const struct store_copy_opts *o,
		    struct store_copy_report *rep, struct err *err);

#endif
