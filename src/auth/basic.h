/* SPDX-License-Identifier: MIT */
#ifndef AUTH_BASIC_H
#define AUTH_BASIC_H
/*
 * HTTP Basic credentials (RFC 7617) as Go's Request.BasicAuth reads them: scheme "Basic"
 * (case-insensitive), standard base64, split at the first ':'.
 */

/* Parses an Authorization header value. On success *ret_user and *ret_pass are heap strings
 * (caller frees; the password should be wiped with auth_basic_free()). Returns 0, or -EINVAL
 * when the header is absent, not Basic, undecodable or has no ':'. */
int auth_basic_parse(const char *header, char **ret_user, char **ret_pass);
/* Wipes and frees a secret string; NULL-safe. */
void auth_secret_free(char *s);

#endif
