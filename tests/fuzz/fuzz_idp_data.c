/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over what identity providers send about users: LDAP attribute values and
 * memberOf DNs (src/auth/ldap_auth.c: DN comparison, RFC 4515 escaping of the login name into
 * the filter), the cleaning of every field (src/model/sanitize.c) and OpenID/OAuth2 claims as
 * JSON through field_map and the admin rules (src/auth/claims.c). Checks that the escaped
 * filter never carries a metacharacter of the login unescaped and that cleaned values are
 * valid UTF-8 within their length caps. Build and run (clang-14 + libclang-rt-14-dev):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu17 -Isrc -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_idp_data.c src/auth/ldap_auth.c src/auth/claims.c src/model/sanitize.c \
 *     src/model/user.c src/model/validate.c src/model/cidr.c src/model/keys.c src/util/buf.c \
 *     src/util/strv.c src/util/err.c src/util/log.c \
 *     -lldap -llber -ljansson -lsodium -o build/fuzz_idp_data
 *   build/fuzz_idp_data -max_total_time=60 -max_len=4096 build/fuzz-corpus-idp
 *
 * With -DFUZZ_STANDALONE (any compiler) it runs each file named on the command line once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/claims.h"
#include "auth/ldap_auth.h"
#include "config/config.h"
#include "model/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid UTF-8 and at most max characters. */
static int utf8_within(const char *s, size_t max)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; chars++) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			(*p & 0xf8) == 0xf0 ? 4 : 0;
		if (!n)
			return 0;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return chars <= max;
}

static void check_filter(const char *login)
{
	char *f = ldap_login_filter("(mail={{login_identifier}})", login);

	if (!f)
		return;
	/* between "(mail=" and the final ")" only escaped metacharacters may appear */
	size_t n = strlen(f);
	for (size_t i = 6; i + 1 < n; i++) {
		if (f[i] == '(' || f[i] == ')' || f[i] == '*' || (unsigned char)f[i] > 0x7f)
			__builtin_trap();
		if (f[i] == '\\' && !(i + 2 < n && strchr("0123456789abcdef", f[i + 1]) &&
				      strchr("0123456789abcdef", f[i + 2])))
			__builtin_trap();
	}
	free(f);
}

static void check_claims(const char *text, size_t len)
{
	static struct cfg_auth_provider p;
	static struct claim_rules rules;
	static int ready;
	struct ext_user u;
	json_t *claims;

	if (!ready) {
		memset(&p, 0, sizeof(p));
		p.provider_name = "fuzz";
		p.field_map = (struct cfg_field_map){ "sub", "email", "given_name", "family_name",
						      "phone", "department", "admin_flag", "groups", "" };
		p.admin_value_regex = "^true$";
		p.admin_group_regex = "^wg-admins$";
		if (claim_rules_init(&rules, &p, NULL) < 0)
			return;
		ready = 1;
	}
	claims = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(claims)) {
		json_decref(claims);
		return;
	}
	if (claims_to_user(&rules, claims, &u, NULL) == 0) {
		if (!*u.identifier || !utf8_within(u.identifier, SANITIZE_ID_MAX) ||
		    !utf8_within(u.email, SANITIZE_EMAIL_MAX) ||
		    !utf8_within(u.firstname, SANITIZE_NAME_MAX))
			__builtin_trap();
		(void)claims_allowed(&rules, &u, NULL);
		ext_user_release(&u);
	}
	json_decref(claims);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_filter(s);
	(void)ldap_dn_equal(s, "cn=wg-admins,ou=groups,dc=example,dc=org");
	(void)ldap_dn_check(s, NULL);
	if ((v = sanitize_string(s, SANITIZE_NAME_MAX)) && !utf8_within(v, SANITIZE_NAME_MAX))
		__builtin_trap();
	free(v);
	if ((v = sanitize_email(s, SANITIZE_EMAIL_MAX)) && *v && !strchr(v, '@'))
		__builtin_trap();
	free(v);
	free(sanitize_phone(s, SANITIZE_PHONE_MAX));
	free(sanitize_identifier(s, SANITIZE_ID_MAX));
	check_claims((const char *)data, size);
	free(s);
	return 0;
}

#include "fuzz_standalone.h"
