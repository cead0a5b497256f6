/* SPDX-License-Identifier: MIT */
/* API token check: the store compares hashes in constant time; we add the account state. */
#include "auth/token.h"

#include <errno.h>
#include <stddef.h>

#include "store/store.h"
#include "util/err.h"

int auth_token_check(struct store *st, const char *user_id, const char *token, struct user **ret,
		     struct err *err)
{
	struct user *u = NULL;
	int r;

	if (!user_id || !*user_id || !token || !*token)
		return err_set(err, -EACCES, "invalid credentials");
	r = store_user_check_token(st, user_id, token, &u, err);
	if (r == -ENOENT)
		r = -EACCES;
	if (r < 0) {
		if (r == -EACCES)
			err_set(err, -EACCES, "invalid credentials");
		return r;
	}
	if (u->disabled || u->locked) {
		user_free(u);
		return err_set(err, -EACCES, "invalid credentials");
	}
	*ret = u;
	return 0;
}
