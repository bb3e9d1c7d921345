#!/bin/bash
# make golden: boots DomUs natively at each size on real Xen and writes what the kernel
# computed at boot into a golden table.
#   GOLDEN_TYPE=pv|hvm           pv (default): PV DomUs at 256 512 768 1024 2048 4096 MiB, into
#                                tests/data/golden-6.1.tsv, its raw lines in golden-6.1.log; hvm: HVM DomUs with PV drivers at
#                                256 512 1024 MiB, into tests/data/golden-6.1-hvm.tsv, in the
#                                Xen boot of the hvm- scenarios (run.sh), whose GOLD lines are
#                                also kept as tests/data/golden-6.1-hvm.log
#   E2E_GOLDEN_SIZES="256 512"   sizes in MiB
#   GOLDEN_OUT=path              where the table goes
#   GOLDEN_ALSO=a,b              (or E2E_GOLDEN_ALSO) scenarios run in the same boot after the
#                                golden one, against the values just collected
#                                (/tmp/golden-TYPE.tsv in Dom0, which hvm-kmod prefers to the
#                                image's table). The table is written when the golden
#                                scenario's own checks pass; the exit status covers every scenario.
set -u
. "$(dirname "$0")/lib/rig.sh"
type=${GOLDEN_TYPE:-pv}
case "$type" in
pv)
	out=${GOLDEN_OUT:-$E2E_REPO/tests/data/golden-6.1.tsv}
	sizes=${E2E_GOLDEN_SIZES:-256 512 768 1024 2048 4096}
	;;
hvm)
	out=${GOLDEN_OUT:-$E2E_REPO/tests/data/golden-6.1-hvm.tsv}
	sizes=${E2E_GOLDEN_SIZES:-256 512 1024}
	;;
*) e2e_die "GOLDEN_TYPE is pv or hvm" ;;
esac

e2e_build_images
# The scenario reads its sizes and guest type from Dom0's command line (e2e.opts). Sizes are
# joined with "_": a comma would split QEMU's -initrd list (rig.sh puts Dom0's command line there).
E2E_OPTS="${E2E_OPTS:+$E2E_OPTS:}E2E_GOLDEN_SIZES=$(echo $sizes | tr ' ' _):E2E_GOLDEN_TYPE=$type"
export E2E_OPTS
# QEMU holds Xen, Dom0 (512 MiB) and the largest DomU, one at a time.
max=$(echo "$sizes" | tr ' ' '\n' | sort -n | tail -n 1)
run=golden
limit=1800
also=${GOLDEN_ALSO:-${E2E_GOLDEN_ALSO:-}}
if [ -n "$also" ]; then
	run="golden:$(echo "$also" | tr ', ' '::')"
	limit=$((limit + 600 * $(echo "$also" | tr ',' '\n' | wc -l)))
fi
if [ "$type" = hvm ]; then
	# An HVM boot takes minutes under TCG (docs/rig.md): allow 12 per guest.
	# Dom0 with 1 GiB, as in run.sh's pvh boot (its image has the device model).
	E2E_TCG_CPU=${E2E_PVH_TCG_CPU:-qemu64,+npt} E2E_DOM0_IMAGE=dom0-hvm.cpio \
		e2e_boot_xen golden "$run" "$((max + 2048))" 1024 $((limit + 720 * $(echo "$sizes" | wc -w)))
else
	e2e_boot_xen golden "$run" "$((max + 2048))" 512 "$limit"
fi
log=$E2E_LOGS/golden.log
e2e_summary
rc=$?
# The table is written when the golden scenario itself passed; the scenarios of GOLDEN_ALSO
# only make the exit status.
if ! grep -q '@@E2E DONE' "$log" || tr -d '\r' <"$log" | grep -qE '@@E2E FAIL - golden-'; then
	exit 1
fi

tr -d '\r' <"$log" | grep -o '@@E2E GOLD .*' | sed 's/^@@E2E GOLD //' |
	grep -v '^-META' >"$E2E_LOGS/golden.cells"
xen=$(tr -d '\r' <"$log" | sed -n 's/.*@@E2E GOLD-META xen //p' | head -n 1)
kernel=$(tr -d '\r' <"$log" | sed -n 's/.*@@E2E GOLD-META kernel //p' | head -n 1)
pkg=$(dpkg-deb -f "$E2E_DIR"/debs/linux-image-"$E2E_KVER"_*.deb Version)
# The raw log: every cell, and what each guest said of its memory and boot time.
tr -d '\r' <"$log" | grep -oE '@@E2E (GOLD|TIME g[0-9]+ |INFO golden: ).*' >"${out%.tsv}.log"
if [ "$type" = hvm ]; then
	what="HVM DomU with PV drivers"
	thp="(an HVM guest has PSE: THP is on from 512 MiB of MemTotal, and khugepaged raises min_free_kbytes)"
	how="HVM (qemu-xen device model, direct kernel boot; guest/lib.sh)"
else
	what="PV DomU"
	thp="(unavailable: Xen PV hides PSE, so no THP and khugepaged never raises min_free_kbytes)"
	how="PV"
fi
{
	echo "# Golden table: values a real Linux 6.1 $what computed at boot, per size."
	echo "# kernel: $kernel (Debian package linux-image-$E2E_KVER $pkg)"
	echo "# xen: $xen (Debian xen-hypervisor-4.17-amd64), QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'), $( [ "$type" = hvm ] && E2E_TCG_CPU=${E2E_PVH_TCG_CPU:-qemu64,+npt}; e2e_accel_args)"
	echo "# method: tests/e2e/golden.sh (make golden GOLDEN_TYPE=$type). Each DomU is $how,"
	echo "#   1 vCPU, memory = maxmem = mib,"
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
	echo "#   $thp."
	echo "#   hash_*: boot hash-table entries from dmesg (\"... hash table entries: N\"), never resized."
	echo "#   wmark_{min,low,high}_<zone>, lowmem_reserve_<zone> (largest protection entry), pcp_{high,batch}_<zone>"
	echo "#   (CPU 0): /proc/zoneinfo after boot, pages, for the populated zones up to Normal."
	echo "#   Raw lines of the run (GOLD cells, boot times): $(basename "${out%.tsv}").log beside this file."
	echo "#   '-' = the kernel did not print or expose that value at this size."
} >"$out.tmp"
awk -f "$E2E_HERE/guest/golden-table.awk" "$E2E_LOGS/golden.cells" >>"$out.tmp"
mv "$out.tmp" "$out"
echo "golden: wrote $out ($(grep -vc '^#' "$out") lines)"
exit $rc
