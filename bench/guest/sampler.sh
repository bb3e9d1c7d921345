#!/bin/sh
# sampler.sh INTERVAL_S OUT: until killed, appends one line per INTERVAL_S to OUT:
#   <ms since boot> <used kB = MemTotal - MemAvailable> <TCP mem pages> <balloon current kB> <MemTotal kB>
d=/sys/devices/system/xen_memory/xen_memory0/info
while :; do
	{
		awk '{ printf "%d ", $1 * 1000 }' /proc/uptime
		awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { printf "%d ", t - a }' /proc/meminfo
		awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") printf "%d ", $(i + 1) }' /proc/net/sockstat
		read -r cur <$d/current_kb
		awk -v c="$cur" '/^MemTotal:/ { print c, $2 }' /proc/meminfo
	} >>"$2"
	sleep "$1"
done
