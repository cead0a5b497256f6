#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The API suites against a real PostgreSQL 15 server of their own (tests/db/run_engine.py --group api).
exec python3 "$(dirname "$0")/run_engine.py" postgres --group api "$@"
