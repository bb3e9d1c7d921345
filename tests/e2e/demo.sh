#!/bin/bash
# make demo: boots real Xen 4.17 in QEMU and shows, narrated, a DomU's kernel values before and
# after a grow and a shrink, beside the boot values the kernel would have kept without the
# module and the values of a guest booted at that size; then directs the agent.
set -u
. "$(dirname "$0")/lib/rig.sh"
e2e_build_images
echo "Booting Xen 4.17 + Dom0 in QEMU ($(e2e_accel_args)); this takes a few minutes under TCG."
e2e_boot_xen demo demo-narrated 3072 512 900 >"$E2E_LOGS/demo.results"
tr -d '\r' <"$E2E_LOGS/demo.log" | sed -n 's/.*@@E2E SAY \{0,1\}//p'
echo
grep -E '^(FAIL|ok) - ' "$E2E_LOGS/demo.results" | grep -v -- '-grow-' | grep -v serial-clean
e2e_summary >/dev/null
echo "$E2E_PASSED checks passed, $E2E_FAILED failed (serial log: $E2E_LOGS/demo.log)"
[ "$E2E_FAILED" -eq 0 ]
