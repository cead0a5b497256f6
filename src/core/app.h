/* SPDX-License-Identifier: MIT */
#ifndef CORE_APP_H
#define CORE_APP_H
/*
 * The running application: config, store and the lock that serialises every state change
 * (store write + device call) so the store and the devices move together.
 */
#include <pthread.h>
#include <stdbool.h>

struct cfg;
struct core_bg;
struct signin;
struct store;

struct app {
	struct cfg *cfg;
	struct store *store;
	pthread_mutex_t write_lock;   /* held across store transaction + backend apply */
	volatile bool stopping;
	pthread_t heal_thread, stats_thread;
	bool threads_started;
	const char *web_root;         /* --web-root DIR: UI files from DIR, NULL = embedded */
	struct signin *signin;        /* LDAP, OpenID/OAuth2, passkeys, TOTP (core/signin.h) */
	struct core_bg *bg;           /* background worker (core/background.c), NULL = none */
};

#endif
