/* SPDX-License-Identifier: MIT */
#ifndef TESTS_BACKENDS_CONTRACT_H
#define TESTS_BACKENDS_CONTRACT_H
/*
 * The backend contract suite: backend-agnostic cases run through the backend_*() wrappers
 * against any struct backend (create/update/delete interfaces, peer CRUD, disable/enable,
 * statistics, bad input, device faults). A runner (tests/unit/test_contract_<type>.c)
 * #includes contract.c, fills contract_env before cmocka runs, and lists CONTRACT_TESTS.
 * Cases that need a capability the backend lacks, or a fault injector the runner lacks, skip.
 * The cases write whole objects (every HAS_* bit, change mask DEV_PEER_CH_ALL), as sync does
 * for a create: what a backend writes of a partial change is checked by sync's own tests and
 * the device suites (a backend translates the mask, it never compares).
 * What a capability rules out is checked the other way round: a backend that hides private
 * keys (BACKEND_CAP_PRIVKEY_HIDDEN) or never returns preshared keys (BACKEND_CAP_PSK_WRITE_ONLY)
 * must report them as absent (zero, flag clear), never as a made-up value; the runner may read
 * the device's copy out of band (read_psk) so the value is still compared.
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
	/* Optional, for BACKEND_CAP_PSK_WRITE_ONLY backends: the preshared key the device runs
	 * for peer pub of interface ifname, read out of band (e.g. simulator state); 0 or -errno.
	 * NULL: the PSK value cannot be compared. */
	int (*read_psk)(void *ctx, const char *ifname, const uint8_t pub[WG_KEY_LEN],
			uint8_t out[WG_KEY_LEN]);
	void *ctx;
	/* Optional variants, each its own case (NULL: the case skips):
	 * be_readonly: the same device as be, reached with read-only credentials;
	 * be_nostats: a device of the same type that cannot report peer statistics (when be
	 * itself lacks BACKEND_CAP_STATS_PEER, be is used). */
	struct backend *be_readonly;
	struct backend *be_nostats;
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
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_readonly_key, contract_setup,                \
					contract_teardown),                                   \
	cmocka_unit_test_setup_teardown(contract_stats_absent, contract_setup,                \
					contract_teardown)

#endif
