#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Three wgportal nodes on one real PostgreSQL with the RouterOS simulator (tests/cluster/test_cluster.py).
exec python3 "$(dirname "$0")/test_cluster.py"
