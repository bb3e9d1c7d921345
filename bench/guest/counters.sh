#!/bin/sh
# counters.sh: the kernel's own counters the benchmarks compare, one "name value" a line.
#   allocstall         sum of /proc/vmstat allocstall_* (direct reclaim entries)
#   oom_kill           /proc/vmstat oom_kill
#   tcp_mem_pressures  /proc/net/netstat TcpExt TCPMemoryPressures
#   tcp_prune          /proc/net/netstat TcpExt PruneCalled (receive queues pruned for memory)
#   psi_some_us, psi_full_us   /proc/pressure/memory total stall time
#   tcp_mem_pages      /proc/net/sockstat TCP mem now
awk '/^allocstall_/ { s += $2 } /^oom_kill / { o = $2 }
     END { print "allocstall", s + 0; print "oom_kill", o + 0 }' /proc/vmstat
awk '$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
     $1 == "TcpExt:" { for (i = 2; i <= NF; i++) {
		if (n[i] == "TCPMemoryPressures") print "tcp_mem_pressures", $i
		if (n[i] == "PruneCalled") print "tcp_prune", $i } }' /proc/net/netstat
awk '{ sub("total=", "", $5); print "psi_" $1 "_us", $5 }' /proc/pressure/memory 2>/dev/null
awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print "tcp_mem_pages", $(i + 1) }' /proc/net/sockstat
