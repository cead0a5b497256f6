/* SPDX-License-Identifier: MIT */
/* Claims -> user mapping and the allow-lists of OpenID/OAuth providers (auth/claims.h). */
#include "auth/claims.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "util/err.h"

static int compile(regex_t *re, const char *pattern, const char *key, const char *provider,
		   struct err *err)
{
	char why[128];
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

	if (rc == 0)
		return 0;
	regerror(rc, re, why, sizeof(why));
	return err_set(err, -EINVAL, "provider '%s': admin_mapping.%s '%s' is not a valid "
		       "(POSIX extended) regular expression: %s", provider, key, pattern, why);
}

int claim_rules_init(struct claim_rules *r, const struct cfg_auth_provider *cfg,
		     struct err *err)
{
	const char *value = *cfg->admin_value_regex ? cfg->admin_value_regex : "^true$";
	int rc;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	if ((rc = compile(&r->admin_value, value, "admin_value_regex", cfg->provider_name, err)) < 0)
		return rc;
	if (*cfg->admin_group_regex) {
		rc = compile(&r->admin_group, cfg->admin_group_regex, "admin_group_regex",
			     cfg->provider_name, err);
		if (rc < 0) {
			regfree(&r->admin_value);
			return rc;
		}
		r->has_admin_group = true;
	}
	return 0;
}

void claim_rules_release(struct claim_rules *r)
{
	if (!r->cfg)
		return;
	regfree(&r->admin_value);
	if (r->has_admin_group)
		regfree(&r->admin_group);
	r->cfg = NULL;
}

/* Go's fmt %v of a JSON value decoded into interface{} (float64, bool). */
static char *print_value(json_t *v)
{
	char *s = NULL;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_true(v) || json_is_false(v))
		return strdup(json_is_true(v) ? "true" : "false");
	if (json_is_integer(v))
		return asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0 ? NULL : s;
	if (json_is_real(v))
		return asprintf(&s, "%g", json_real_value(v)) < 0 ? NULL : s;
	/* objects and arrays: their JSON text, which is close enough to Go's map printing for
	 * the only use (a mis-mapped claim shows up as such in the profile) */
	return json_dumps(v, JSON_COMPACT);
}

char *claim_text(json_t *claims, const char *name)
{
	json_t *v = name && *name ? json_object_get(claims, name) : NULL;

	return v && !json_is_null(v) ? print_value(v) : NULL;
}

static int text_or_empty(char **dst, json_t *claims, const char *name)
{
	*dst = claim_text(claims, name);
	if (!*dst)
		*dst = strdup("");
	return *dst ? 0 : -ENOMEM;
}

/* MapDefaultStringSlice: an array (each element printed) or a single value. */
static int groups_of(json_t *claims, const char *name, struct strv *out)
{
	json_t *v = name && *name ? json_object_get(claims, name) : NULL, *e;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		char *s = print_value(v);
		return s ? strv_push_take(out, s) : -ENOMEM;
	}
	json_array_foreach(v, i, e) {
		char *s = print_value(e);
		if (!s || strv_push_take(out, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

int claims_to_user(const struct claim_rules *r, json_t *claims, struct ext_user *u,
		   struct err *err)
{
	const struct cfg_field_map *f = &r->cfg->field_map;
	char *admin = NULL;
	int rc;

	memset(u, 0, sizeof(*u));
	if (text_or_empty(&u->identifier, claims, f->user_identifier) < 0 ||
	    text_or_empty(&u->email, claims, f->email) < 0 ||
	    text_or_empty(&u->firstname, claims, f->firstname) < 0 ||
	    text_or_empty(&u->lastname, claims, f->lastname) < 0 ||
	    text_or_empty(&u->phone, claims, f->phone) < 0 ||
	    text_or_empty(&u->department, claims, f->department) < 0 ||
	    groups_of(claims, f->user_groups, &u->groups) < 0) {
		ext_user_release(u);
		return err_set(err, -ENOMEM, "out of memory");
	}
	if (*f->is_admin) {
		u->admin_info_available = true;
		if (text_or_empty(&admin, claims, f->is_admin) < 0) {
			ext_user_release(u);
			return err_set(err, -ENOMEM, "out of memory");
		}
		/* matched against the trimmed value (oauth_common.go:27) */
		char *a = admin, *e = admin + strlen(admin);
		while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			*--e = '\0';
		u->is_admin = regexec(&r->admin_value, a, 0, NULL, 0) == 0;
		free(admin);
	}
	rc = ext_user_sanitize(u);
	if (rc < 0) {
		ext_user_release(u);
		return err_set(err, rc, rc == -EINVAL ? "the provider sent no usable '%s' claim "
			       "(field_map.user_identifier)" : "out of memory", f->user_identifier);
	}
	/* group membership can make an admin too, judged on the cleaned names */
	if (!u->is_admin && *f->user_groups && r->has_admin_group) {
		u->admin_info_available = true;
		for (size_t i = 0; i < u->groups.n && !u->is_admin; i++)
			u->is_admin = regexec(&r->admin_group, u->groups.v[i], 0, NULL, 0) == 0;
	}
	return 0;
}

int claims_allowed(const struct claim_rules *r, const struct ext_user *u, struct err *err)
{
	const struct strv *domains = &r->cfg->allowed_domains, *groups = &r->cfg->allowed_user_groups;
	const char *at = strchr(u->email, '@');
	bool ok = domains->n == 0;

	for (size_t i = 0; i < domains->n && !ok; i++)
		ok = at && !strchr(at + 1, '@') && !strcasecmp(at + 1, domains->v[i]);
	if (!ok)
		return err_set(err, -EACCES, "user %s is not in allowed domains", u->email);
	if (groups->n == 0)
		return 0;
	for (size_t i = 0; i < groups->n; i++)
		for (size_t j = 0; j < u->groups.n; j++)
			if (!strcmp(groups->v[i], u->groups.v[j]))
				return 0;
	return err_set(err, -EACCES, "user %s is not in allowed user groups", u->identifier);
}
