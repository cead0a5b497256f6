/* SPDX-License-Identifier: MIT */
#ifndef MODEL_CIDR_H
#define MODEL_CIDR_H
/*
 * IP addresses with prefix length ("10.0.0.1/24", "fd00::/64"). Parsing is strict: no spaces,
 * prefix within 0..32 / 0..128, no leading zeros games; a bare address gets /32 or /128 only
 * when the caller allows it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIDR_STR_MAX 50 /* INET6_ADDRSTRLEN + "/128" */

struct ip_prefix {
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint8_t len;      /* prefix length */
	uint8_t addr[16]; /* network byte order; first 4 bytes for IPv4 */
};

/* Returns 0 or -EINVAL. allow_bare: "10.0.0.1" means /32 (/128). */
int ip_prefix_parse(const char *s, bool allow_bare, struct ip_prefix *ret);
/* "10.0.0.1/24" form, address part as written (not masked). */
void ip_prefix_format(const struct ip_prefix *p, char out[static CIDR_STR_MAX]);
/* Address only, no prefix ("10.0.0.1"). */
void ip_addr_format(const struct ip_prefix *p, char out[static CIDR_STR_MAX]);
/* Masks host bits: 10.0.0.5/24 -> 10.0.0.0/24. */
void ip_prefix_network(const struct ip_prefix *p, struct ip_prefix *ret);
/* True when the address of a lies inside network n (families must match). */
bool ip_prefix_contains(const struct ip_prefix *n, const struct ip_prefix *a);
/* True when the two prefixes share any address. */
bool ip_prefix_overlaps(const struct ip_prefix *a, const struct ip_prefix *b);
bool ip_addr_equal(const struct ip_prefix *a, const struct ip_prefix *b);
/* Family known and length within it. */
bool ip_prefix_is_valid(const struct ip_prefix *p);
/* Same family, length and address (as written: host bits count). */
bool ip_prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b);
bool ip_prefix_in(const struct ip_prefix *p, const struct ip_prefix *v, size_t n);
/* The same prefixes in any order and multiplicity (small sets: quadratic). */
bool ip_prefix_sets_equal(const struct ip_prefix *a, size_t na, const struct ip_prefix *b,
			  size_t nb);
/* Adds 1 to the address; returns -ERANGE on wrap-around. */
int ip_addr_next(struct ip_prefix *p);
/* Total order for qsort/bsearch over prefixes (family, length, address bytes); 0 = same. */
int ip_prefix_cmp(const void *a, const void *b);
/* Host route length for the family: 32 or 128. */
int ip_prefix_host_len(int family);
/* True when the address is the network's last address (IPv4 broadcast / IPv6 last). */
bool ip_addr_is_last_in(const struct ip_prefix *n, const struct ip_prefix *a);

#endif
