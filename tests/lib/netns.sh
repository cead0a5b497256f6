# SPDX-License-Identifier: MIT
# Sourced by the browser suites and benchmarks that run in a private network namespace.

# netns_remove NS: ends what runs in NS (TERM, up to 3 s, then KILL) and deletes NS. Only
# processes inside this suite's own namespace are touched.
netns_remove()
{
	local ns=$1 pid
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
		sleep 0.3
	done
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
}
