# e2e-timeout: 7200
# e2e-checks: 6
# e2e-needs: throttled-disk
# bench-rogue.sh's rogue (hog 320 MiB in 256 MiB, maxmem 512) with spare RAM and the arbiter's
# continuous rebalancing on for the three guests ([rebalance] enabled, off by default): the
# configuration an operator with spare host memory would run, which the default arbiter arm of
# bench-rogue.sh (evidence only) is not. Arms, in one boot, rotated every repetition,
# BENCH_REPS times:
#   idle                       no hog (30 s)
#   qmemman-spare              the hog, with bench/guest/qmemman.sh (as in bench-rogue.sh)
#   arbiter+rebalance-spare    the hog, the arbiter in act mode with rebalancing on
rogue_bench=rogue-rebalance
rogue_arms="idle qmemman-spare arbiter+rebalance-spare"
. /e2e/scenarios/bench-rogue.sh
