/* SPDX-License-Identifier: MIT */
/*
 * The backend types built into this binary, found by the name the config uses for them. The
 * registry (backend.c) asks here and knows no type itself; a new type is one line below.
 */
#include "backends/backend.h"

#include <string.h>

#include "backends/local/local.h"
#include "backends/mikrotik/mikrotik.h"
#include "backends/pfsense/pfsense.h"

static const struct backend_ops *const builtin[] = {
	&backend_local,
	&backend_mikrotik,
	&backend_pfsense,
};

const struct backend_ops *backend_builtin_local(void)
{
	return &backend_local;
}

const struct backend_ops *backend_builtin_find(const char *type)
{
	for (size_t i = 0; type && i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(builtin[i]->type, type))
			return builtin[i];
	return NULL;
}
