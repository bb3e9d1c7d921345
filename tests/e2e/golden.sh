#!/bin/bash
# make golden: boots PV DomUs natively at 256..4096 MiB on real Xen and writes what the kernel
# computed at boot into tests/data/golden-6.1.tsv (or $GOLDEN_OUT).
#   E2E_GOLDEN_SIZES="256 512"   sizes in MiB (default 256 512 768 1024 2048 4096)
#   E2E_GOLDEN_ALSO=a,b          scenarios to run after the golden one in the same Xen boot; they
#                                compare with the table just measured (guest/lib.sh: golden_value).
#                                The table is written when the golden scenario's own checks pass;
#                                the exit status covers every scenario.
set -u
. "$(dirname "$0")/lib/rig.sh"
out=${GOLDEN_OUT:-$E2E_REPO/tests/data/golden-6.1.tsv}

e2e_build_images
sizes=${E2E_GOLDEN_SIZES:-256 512 768 1024 2048 4096}
# QEMU holds Xen, Dom0 (512 MiB) and the largest DomU, one at a time.
max=$(echo "$sizes" | tr ' ' '\n' | sort -n | tail -n 1)
# The kernel command line has no spaces to spare: sizes go comma-separated.
E2E_OPTS="${E2E_OPTS:+$E2E_OPTS:}E2E_GOLDEN_SIZES=$(echo $sizes | tr ' ' ',')"
runlist=golden
[ -n "${E2E_GOLDEN_ALSO:-}" ] && runlist="golden:$(echo "$E2E_GOLDEN_ALSO" | tr ',' ':')"
e2e_boot_xen golden "$runlist" "$((max + 2048))" 512 1800
log=$E2E_LOGS/golden.log
all=0
e2e_summary || all=1
if tr -d '\r' <"$log" | grep -q '@@E2E FAIL - golden-' || ! grep -q '@@E2E GOLD ' "$log"; then
	echo "golden: the golden scenario failed; table not written" >&2
	exit 1
fi

tr -d '\r' <"$log" | grep -o '@@E2E GOLD .*' | sed 's/^@@E2E GOLD //' |
	grep -v '^-META' >"$E2E_LOGS/golden.cells"
xen=$(tr -d '\r' <"$log" | sed -n 's/.*@@E2E GOLD-META xen //p' | head -n 1)
kernel=$(tr -d '\r' <"$log" | sed -n 's/.*@@E2E GOLD-META kernel //p' | head -n 1)
pkg=$(dpkg-deb -f "$E2E_DIR"/debs/linux-image-"$E2E_KVER"_*.deb Version)
{
	echo "# Golden table: values a real Linux 6.1 PV DomU computed at boot, per size."
	echo "# kernel: $kernel (Debian package linux-image-$E2E_KVER $pkg)"
	echo "# xen: $xen (Debian xen-hypervisor-4.17-amd64), QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'), $(e2e_accel_args)"
	echo "# method: tests/e2e/golden.sh (make golden). Each DomU is PV, 1 vCPU, memory = maxmem = mib,"
	echo "#   busybox initramfs, no systemd (so file_max is the kernel's own value); values read from"
	echo "#   /proc/sys after boot, nf_conntrack loaded with modprobe (so its values are those of a"
	echo "#   load at this size). Generated $(date -u +%Y-%m-%d)."
	echo "# columns: mib = DomU size in MiB; then the tunable names of docs/ARCHITECTURE.md;"
	echo "#   multi-value tunables are split: tcp_mem_0 tcp_mem_1 tcp_mem_2, udp_mem_0 udp_mem_1 udp_mem_2"
	echo "#   (pages, as the sysctl prints them); tcp_rmem_max/tcp_wmem_max are the third fields (bytes);"
	echo "#   max_*_namespaces: every user.max_*_namespaces (same value, threads_max / 2)."
	echo "#   Formula inputs: mem_total_kb (MemTotal), totalram_pages (= MemTotal / 4), managed_<zone>"
	echo "#   (pages), nr_free_buffer_pages (sum over DMA, DMA32, Normal of max(0, managed - high), read"
	echo "#   from /proc/zoneinfo after boot), populated_zones (up to Normal), balloon_*_kb, thp_enabled"
	echo "#   (unavailable: Xen PV hides PSE, so no THP and khugepaged never raises min_free_kbytes)."
	echo "#   hash_*: boot hash-table entries from dmesg (\"... hash table entries: N\"), never resized."
	echo "#   wmark_{min,low,high}_<zone>, lowmem_reserve_<zone> (largest protection entry), pcp_{high,batch}_<zone>"
	echo "#   (CPU 0): /proc/zoneinfo after boot, pages, for the populated zones up to Normal."
	echo "#   Raw serial log of the run: $(basename "${out%.tsv}").log beside this file."
	echo "#   '-' = the kernel did not print or expose that value at this size."
} >"$out.tmp"
sh "$E2E_HERE/guest/golden-pivot.sh" <"$E2E_LOGS/golden.cells" >>"$out.tmp"
mv "$out.tmp" "$out"
tr -d '\r' <"$log" >"${out%.tsv}.log"
echo "golden: wrote $out ($(grep -vc '^#' "$out") lines)"
exit $all
