/* SPDX-License-Identifier: MIT */
#ifndef TESTS_TESTLIB_H
#define TESTS_TESTLIB_H
/* Shared helpers for the cmocka unit tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh directory under $TMPDIR (or /tmp), removed by test_tmpdir_remove(). Heap path. */
char *test_tmpdir(void);
void test_tmpdir_remove(const char *dir);
/* Reads a whole file (tests/data/...) relative to the repository root; heap, NUL-terminated. */
char *test_read_file(const char *path);

#endif
