# e2e-timeout: 7200
# e2e-checks: 6
# e2e-needs: throttled-disk
# The rogue swapper whose working set no memory the host can give cures (issue 16: "with fast
# disks and tight RAM ... otherwise move its swap off the shared disk"): bench-rogue.sh's rig
# and arms, its hog of BENCH_ROGUE_BEYOND_MIB (default 640) MiB in the rogue of 256 MiB whose
# maxmem is 512. Arms, in one boot, rotated every repetition, BENCH_REPS times:
#   idle               no hog: the neighbour's latency without the rogue (30 s)
#   none-beyond        the hog, nothing balances (60 s)
#   qmemman-beyond     the hog, with bench/guest/qmemman.sh
#   arbiter-beyond     the hog, with xen-memtune-arbiter in act mode
# Both balancers get the spare-RAM reserve (256 MiB of the host's free memory): either can take
# the rogue to its maxmem, and the hog still does not fit; what is left is where its swap goes.
rogue_bench=rogue-beyond
rogue_arms="idle none-beyond qmemman-beyond arbiter-beyond"
hog_mib=${BENCH_ROGUE_BEYOND_MIB:-640}
. /e2e/scenarios/bench-rogue.sh
