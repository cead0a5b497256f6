/* SPDX-License-Identifier: MIT */
#ifndef TESTS_BACKENDS_CONTRACT_H
#define TESTS_BACKENDS_CONTRACT_H
/*
 * The backend contract suite: backend-agnostic cases run through the backend_*() wrappers
 * against any struct backend (create/update/delete interfaces, peer CRUD, disable/enable,
 * statistics, bad input, device faults). A runner (tests/unit/test_contract_<type>.c)
 * #includes contract.c, fills contract_env before cmocka runs, and lists CONTRACT_TESTS.
 * Cases that need a capability the backend lacks, or a fault injector the runner lacks, skip.
 */
#include <stdbool.h>

#include "backends/backend.h"

struct contract_env {
	struct backend *be;
	const char *ifname;        /* interface the cases create and delete */
	/* Optional device fault injection. arm_fault makes some (not all) of the mutating calls
	 * of the next operation fail at the device; clear_fault removes it. NULL: skip. */
	int (*arm_fault)(void *ctx, int which);
	void (*clear_fault)(void *ctx);
	/* Optional: called after each case (runner-specific checks, e.g. calls in flight). */
	void (*after_case)(void *ctx);
	void *ctx;
};

extern struct contract_env contract_env;

/* The cases, each with the setup/teardown that removes contract_env.ifname. */
#define CONTRACT_TESTS                                                                        \
	cmocka_unit_test_setup_teardown(contract_iface_create_delete, contract_setup,         \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_iface_update, contract_setup,                \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_peers_crud, contract_setup,                  \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_peers_disable_enable, contract_setup,        \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_peers_idempotent, contract_setup,            \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_stats_present, contract_setup,               \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_bad_input, contract_setup,                   \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_missing_iface, contract_setup,               \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_fault_consistent, contract_setup,            \
					contract_teardown)

#endif
