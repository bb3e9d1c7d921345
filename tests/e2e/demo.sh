#!/bin/bash
# make demo: boots real Xen 4.17 in QEMU and shows, narrated as it happens, a DomU's kernel
# values before and after a grow and a shrink, beside the boot values the kernel would have kept
# without the module and the values of a guest booted at that size; then directs the agent.
# Exits non-zero unless the boot ran the demo to its end and every check passed.
set -u
. "$(dirname "$0")/lib/rig.sh"
e2e_build_images
echo "Booting Xen 4.17 + Dom0 in QEMU ($(e2e_accel_args)); this takes a few minutes under TCG."
echo "Each step is shown as it happens; every result line is also kept in $E2E_LOGS/demo.results."
# The boot's output as it comes: the narration ("| ...") and every check, not the timings.
e2e_boot_xen demo demo-narrated 3072 512 900 > >(tee "$E2E_LOGS/demo.results" |
	grep --line-buffered -E '^(\| |FAIL - |ok - |# RETRY )')
wait $! 2>/dev/null
echo
e2e_summary >/dev/null
echo "$E2E_PASSED checks passed, $E2E_FAILED failed (serial log: $E2E_LOGS/demo.log)"
[ "$E2E_FAILED" -eq 0 ] && [ "$E2E_PASSED" -gt 0 ]
