/* SPDX-License-Identifier: MIT */
/* Shared harness of the JOSE comparison programs (bench/jose/run.sh): reads the vectors that
 * gen.mjs wrote, runs each case through the library's verify(), prints one TAP-like line per
 * case ("ok"/"WRONG") and the time per verification of the valid tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct jcase { int want; char *tok, *name; };
static struct jcase cases[64];
static int n_cases;
static char iss[256], aud[256], nonce[256];
static char *jwks_text;

static char *slurp(const char *dir, const char *name)
{
	char p[512]; FILE *f; long n; char *s;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (!(f = fopen(p, "rb"))) { perror(p); exit(2); }
	fseek(f, 0, SEEK_END); n = ftell(f); rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n) exit(2);
	fclose(f);
	return s;
}

static void load(const char *dir)
{
	char *c = slurp(dir, "cases.txt"), *m = slurp(dir, "meta.txt"), *save = NULL;
	jwks_text = slurp(dir, "jwks.json");
	for (char *l = strtok_r(c, "\n", &save); l && n_cases < 64; l = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(l, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2) continue;
		*t1 = *t2 = 0;
		cases[n_cases++] = (struct jcase){ atoi(l), t1 + 1, t2 + 1 };
	}
	sscanf(m, "%255s %255s %255s", iss, aud, nonce);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* verify(token) -> 1 accepted, 0 refused, -1 unsupported by the library */
static int run(const char *lib, int (*verify)(const char *tok))
{
	int wrong = 0;
	for (int i = 0; i < n_cases; i++) {
		int got = verify(cases[i].tok);
		const char *what = got < 0 ? "unsupported" : got ? "accepted" : "refused";
		int bad = got < 0 ? cases[i].want : got != cases[i].want;
		wrong += bad;
		printf("%s\t%-5s %-50s %s\n", lib, bad ? "WRONG" : "ok", cases[i].name, what);
	}
	for (int i = 0; i < 3; i++) {
		if (verify(cases[i].tok) != 1) { printf("%s\ttime %-45s n/a\n", lib, cases[i].name); continue; }
		int n = 2000;
		double t0 = now_us();
		for (int j = 0; j < n; j++) verify(cases[i].tok);
		printf("%s\ttime %-45s %.1f us/verify\n", lib, cases[i].name, (now_us() - t0) / n);
	}
	printf("%s\t%d of %d cases wrong\n", lib, wrong, n_cases);
	return 0;
}
