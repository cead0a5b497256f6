/* SPDX-License-Identifier: MIT */
/* Users: lifecycle (new/free/dup), validation and wg-portal's reserved identifiers. */
#include "model/user.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "model/model-int.h"
#include "util/err.h"

struct user *user_new(void)
{
	return calloc(1, sizeof(struct user));
}

/* free() a secret string after zeroing it. */
static void free_secret(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void user_release(struct user *u)
{
	if (!u)
		return;
	free(u->identifier);
	free(u->email);
	strv_release(&u->auth_sources);
	free(u->firstname);
	free(u->lastname);
	free(u->phone);
	free(u->department);
	free(u->notes);
	free_secret(u->password_hash);
	free(u->disabled_reason);
	free(u->locked_reason);
	free_secret(u->api_token_hash);
	free_secret(u->api_token);
	memset(u, 0, sizeof(*u));
}

struct user *user_free(struct user *u)
{
	if (u) {
		user_release(u);
		free(u);
	}
	return NULL;
}

void user_list_free(struct user **list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		user_free(list[i]);
	free(list);
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*failed = true;
	return c;
}

struct user *user_dup(const struct user *src)
{
	struct user *d;
	bool failed = false;

	if (!src)
		return NULL;
	d = user_new();
	if (!d)
		return NULL;
	*d = *src;
	d->identifier = dup_or_null(src->identifier, &failed);
	d->email = dup_or_null(src->email, &failed);
	d->auth_sources = (struct strv)STRV_INIT;
	if (strv_copy(&d->auth_sources, &src->auth_sources) < 0)
		failed = true;
	d->firstname = dup_or_null(src->firstname, &failed);
	d->lastname = dup_or_null(src->lastname, &failed);
	d->phone = dup_or_null(src->phone, &failed);
	d->department = dup_or_null(src->department, &failed);
	d->notes = dup_or_null(src->notes, &failed);
	d->password_hash = dup_or_null(src->password_hash, &failed);
	d->disabled_reason = dup_or_null(src->disabled_reason, &failed);
	d->locked_reason = dup_or_null(src->locked_reason, &failed);
	d->api_token_hash = dup_or_null(src->api_token_hash, &failed);
	d->api_token = dup_or_null(src->api_token, &failed);
	if (failed)
		return user_free(d);
	return d;
}

bool user_id_is_reserved(const char *id)
{
	static const char *const reserved[] = {
		"all", "new", "id",
		"_WG_SYS_ADMIN_", "_WG_SYS_UNKNOWN_", "_WG_SYS_LDAP_SYNCER_",
		"_WG_SYS_WG_IMPORTER_", "_WG_SYS_V1_MIGRATOR_", "_WG_SYS_DB_MIGRATOR_",
	};

	if (!id)
		return false;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (!strcmp(id, reserved[i]))
			return true;
	}
	return false;
}

int user_validate(const struct user *u, struct err *err)
{
	const struct {
		const char *field;
		const char *value;
	} texts[] = {
		{ "Identifier", u->identifier },
		{ "Email", u->email },
		{ "Firstname", u->firstname },
		{ "Lastname", u->lastname },
		{ "Phone", u->phone },
		{ "Department", u->department },
		{ "Notes", u->notes },
		{ "DisabledReason", u->disabled_reason },
		{ "LockedReason", u->locked_reason },
	};
	int r;

	if (!u->identifier || !*u->identifier)
		return err_field(err, -EINVAL, "Identifier", "field 'Identifier' must not be empty");
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		r = model_check_text(texts[i].field, texts[i].value, err);
		if (r < 0)
			return r;
	}
	if (user_id_is_reserved(u->identifier))
		return err_field(err, -EINVAL, "Identifier", "user identifier '%s' is reserved",
				 u->identifier);
	r = model_check_strv_text("AuthSources", &u->auth_sources, err);
	if (r < 0)
		return r;
	/* the token text may be a secret: name the field, never the value */
	if (!model_str_is_clean(u->api_token))
		return err_field(err, -EINVAL, "ApiToken", "field 'ApiToken' contains control characters");
	return 0;
}
