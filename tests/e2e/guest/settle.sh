#!/bin/sh
# settle.sh [TIMEOUT_S]: in a guest, waits until the balloon is at its target, or has not
# moved for 10 s (Xen may refuse pages), or TIMEOUT_S passed.
# Prints "<target_kb> <current_kb> <seconds waited>".
d=/sys/devices/system/xen_memory/xen_memory0
limit=${1:-180}
start=$(awk '{ print int($1) }' /proc/uptime)
last=-1
still=0
while :; do
	target=$(cat $d/target_kb)
	current=$(cat $d/info/current_kb)
	now=$(awk '{ print int($1) }' /proc/uptime)
	[ "$target" = "$current" ] && break
	if [ "$current" = "$last" ]; then still=$((still + 1)); else still=0; fi
	[ $still -ge 20 ] && break
	[ $((now - start)) -ge "$limit" ] && break
	last=$current
	sleep 0.5
done
echo "$target $current $((now - start))"
