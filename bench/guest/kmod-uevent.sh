#!/bin/sh
# kmod-uevent.sh LOG: run by busybox `uevent` for every kernel uevent (its environment is the
# event). Records each settled pass of the module (KOBJ_CHANGE on its device
# /devices/system/xen_memtune/xen_memtune0 with XEN_MEMTUNE_EVENT other than "shrink", the
# shrink-first pass) as
# "<n> <target_kb> <event->settle ns> <event->last write ns> <apply ns>" in LOG, and writes n to
# data/bench/settled, which Dom0 waits for. Event-driven, so nothing polls in the guest while
# the module and the balloon work (a poller would take the single vCPU from the balloon).
[ "$DEVPATH" = /devices/system/xen_memtune/xen_memtune0 ] && [ "$ACTION" = change ] || exit 0
[ "$XEN_MEMTUNE_EVENT" = shrink ] && exit 0
s=/sys/kernel/xen_memtune
read -r sd <$s/stats/settle_duration_ns
read -r ea <$s/stats/event_to_apply_ns
read -r ad <$s/stats/apply_duration_ns
read -r tk <$s/target_kb
n=$(($(wc -l <"$1" 2>/dev/null || echo 0) + 1))
echo "$n $tk $sd $ea $ad" >>"$1"
xenstore-write data/bench/settled $n
