#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The store unit tests, the connection-loss and take-over suites against a real PostgreSQL 15 server
# (tests/db/run_engine.py --group store); the API suites run beside it in suite-postgres-api.sh.
exec python3 "$(dirname "$0")/run_engine.py" postgres --group store "$@"
