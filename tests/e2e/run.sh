#!/bin/bash
# make e2e: boots real Xen 4.17 in QEMU and runs the end-to-end scenarios.
#
#   E2E_SCENARIOS=a,b,c   scenarios to run (names of tests/e2e/scenarios/*.sh); default: the
#                         list in tests/e2e/scenarios/default.list. "all" runs every file.
#                         Names starting with bare- run in a separate boot without Xen;
#                         names starting with pvh- or hvm- in a separate Xen boot whose
#                         emulated CPU has AMD nested paging (E2E_PVH_TCG_CPU, default
#                         qemu64,+npt): under TCG, Xen needs it for PVH and HVM guests
#                         (Debian's Xen has no shadow paging). Its Dom0 also carries the HVM
#                         device model (dom0-hvm.cpio, see lib/images.sh). A scenario
#                         with "# e2e-needs: throttled-disk" runs in a Xen boot of its own
#                         with that disk (docs/rig.md).
#   E2E_ACCEL=tcg|kvm     accelerator (default: kvm only with vmx/svm and a real /dev/kvm)
#   E2E_TCG_CPU=model     QEMU CPU under TCG (default qemu64; qemu64,+npt lets PVH DomUs boot)
#   E2E_OPTS=K=V:K=V      options for the scenarios (e.g. GUARD_NOMOD=all)
#   E2E_KMOD=path.ko, E2E_AGENT_DIR=dir   try another build of the module or the agent
#   E2E_TIMEOUT=seconds   limit for the Xen boot (default 1200)
#
# Prints one line per check ("ok - name" / "FAIL - name: why"), then "N passed, N failed";
# exits non-zero if anything failed.
set -u
. "$(dirname "$0")/lib/rig.sh"

if [ "${E2E_SCENARIOS:-}" = all ]; then
	list=$(cd "$E2E_HERE/scenarios" && ls *.sh | sed 's/\.sh$//')
elif [ -n "${E2E_SCENARIOS:-}" ]; then
	list=$(echo "$E2E_SCENARIOS" | tr ', ' '\n\n')
else
	list=$(grep -v '^[[:space:]]*\(#\|$\)' "$E2E_HERE/scenarios/default.list")
fi
xen_run=""
disk_run=""
# A scenario that needs the throttled disk gets a Xen boot of its own: the minutes of swapping
# onto a slow disk stay out of the other scenarios' boot, and its Dom0 starts with no one
# else's guests, settings or module.
for s in $(echo "$list" | grep -vE '^(bare|pvh|hvm)-'); do
	if e2e_rig_needs "$s" throttled-disk; then
		disk_run=${disk_run:+$disk_run:}$s
	else
		xen_run=${xen_run:+$xen_run:}$s
	fi
done
pvh_run=$(echo "$list" | grep -E '^(pvh|hvm)-' | paste -sd: -)
bare_run=$(echo "$list" | grep '^bare-' | paste -sd: -)

e2e_build_images
start=$(date +%s)
# 3 GiB: Xen, Dom0 (512 MiB) and a DomU grown to 2 GiB.
[ -n "$xen_run" ] && e2e_boot_xen xen "$xen_run" 3072 512 "${E2E_TIMEOUT:-1200}"
[ -n "$disk_run" ] && e2e_boot_xen disk "$disk_run" 3072 512 "${E2E_TIMEOUT:-1200}"
# The PVH and HVM boot gets its own CPU model: the other scenarios keep the plain qemu64 they
# were measured on. Under KVM (-cpu host) the model does not apply.
# Its Dom0 gets 1 GiB: with 512 MiB, the 130 MiB image with the device model did not fit in
# the initramfs (tmpfs, half of RAM): "Initramfs unpacking failed: write error".
[ -n "$pvh_run" ] && E2E_TCG_CPU=${E2E_PVH_TCG_CPU:-qemu64,+npt} E2E_DOM0_IMAGE=dom0-hvm.cpio \
	e2e_boot_xen pvh "$pvh_run" 3072 1024 "${E2E_TIMEOUT:-1200}"
[ -n "$bare_run" ] && e2e_boot_bare bare "$bare_run" 300
echo "# TIME e2e total-wall $((($(date +%s) - start) * 1000))"
e2e_summary
