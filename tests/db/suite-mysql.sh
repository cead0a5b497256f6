#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The store unit tests and API suites against a real MariaDB server (tests/db/run_engine.py).
exec python3 "$(dirname "$0")/run_engine.py" mysql
