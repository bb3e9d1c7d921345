#!/bin/sh
# Bare-metal side of the rig (the Debian kernel in QEMU, no Xen): runs each bare-* scenario
# named in $1 (colon-separated), then prints "@@E2E DONE".
. /e2e/lib.sh
echo 3 >/proc/sys/kernel/printk
IFS=:
set -- $1
unset IFS
for s in "$@"; do
	run_scenario "$s"
done
say DONE
