/* SPDX-License-Identifier: MIT */
#ifndef MODEL_MODEL_INT_H
#define MODEL_MODEL_INT_H
/*
 * Field checks shared by iface.c, peer.c and user.c (validate.c). Each returns 0 or -EINVAL
 * with err_field() naming the JSON field. Messages never contain the checked value when the
 * value may be a secret; other values are quoted with control characters replaced.
 */
#include <stdbool.h>
#include <stdint.h>

#include "util/strv.h"

struct err;

/* No byte below 0x20 and no DEL: CR/LF/NUL cannot split a generated line. */
bool model_str_is_clean(const char *s);
int model_check_text(const char *field, const char *s, struct err *err);
int model_check_strv_text(const char *field, const struct strv *sv, struct err *err);
int model_check_netdev_name(const char *field, const char *s, struct err *err);
int model_check_mode(const char *field, const char *s, bool allow_empty, struct err *err);
/* secret: the value is a private/preshared key, never quoted in the message. */
int model_check_key(const char *field, const char *s, bool secret, struct err *err);
int model_check_cidr_list(const char *field, const struct strv *sv, struct err *err);
int model_check_ip(const char *field, const char *s, struct err *err);
int model_check_ip_list(const char *field, const struct strv *sv, struct err *err);
int model_check_hostname_list(const char *field, const struct strv *sv, struct err *err);
/* host:port or [v6]:port, port 1..65535; port_optional also takes a bare host or [v6]
 * (PeerDefEndpoint, which core stores with ":<ListenPort>" appended). */
int model_check_endpoint(const char *field, const char *s, bool port_optional, struct err *err);
int model_check_routing_table(const char *field, const char *s, struct err *err);
int model_check_range(const char *field, int64_t v, int64_t lo, int64_t hi, struct err *err);
int model_check_mtu(const char *field, int64_t v, struct err *err);
int model_check_date(const char *field, const char *s, struct err *err);
bool model_hostname_is_valid(const char *s);
/* Filename rule of spec 4.4 steps 3-5 applied to s (after steps 1-2). */
void model_filename_finish(const char *s, size_t keep, char out[static 32]);

#endif
