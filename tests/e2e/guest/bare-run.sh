#!/bin/sh
# Bare-metal side of the rig (the Debian kernel in QEMU, no Xen): runs each bare-* scenario
# named in $1 (colon-separated), then prints "@@E2E DONE".
. /e2e/lib.sh
echo 3 >/proc/sys/kernel/printk
IFS=:
set -- $1
unset IFS
for s in "$@"; do
	info "scenario $s"
	timeout 300 sh -c ". /e2e/lib.sh; E2E_SCENARIO=$s; . /e2e/scenarios/$s.sh" ||
		[ $? -ne 143 ] || fail "$s" "timed out"
done
say DONE
