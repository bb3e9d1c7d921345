#!/usr/bin/env python3
"""report.py: the tables of docs/benchmarks.md from the raw results of `make bench` alone
(bench/results/<bench>.tsv, written by bench/run.sh), and the shrink plot.

    report.py [--results DIR] [--update FILE] [--plots DIR]

Prints every table as Markdown. With --update, FILE's blocks between "<!-- bench:NAME -->" and
"<!-- /bench:NAME -->" are replaced with NAME's tables (a block whose results file is missing is
left as it is). --plots: where shrink.png goes (default: beside FILE, in benchmarks/; none is
drawn without --update or --plots). Each table says the commit it measured, the repetitions and
the spread: median (min-max) over the repetitions, and p50/p99 over every sample for latencies.
Reports numbers; judges nothing."""
import argparse
import collections
import os
import re
import statistics
import subprocess
import sys

BENCHES = ("latency", "grow", "shrink", "agent", "rogue", "rogue-beyond", "rogue-rebalance")


class Results:
    """One results file: its header (meta) and its rows (rep, arm, metric, value)."""

    def __init__(self, path):
        self.meta = {}
        self.rows = []
        # A file of one row per arm run (its "# columns" header, rogue.tsv): self.arms, dicts.
        self.arms = []
        header = None
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("# "):
                    key, tab, value = line[2:].partition("\t")
                    if tab:
                        self.meta[key] = value
                    continue
                cols = line.split("\t")
                if cols[0] == "rep":
                    header = cols
                    continue
                if header and len(header) != 4:
                    if len(cols) == len(header):
                        self.arms.append(dict(zip(header, cols)))
                    continue
                if len(cols) != 4:
                    continue
                self.rows.append((int(cols[0]), cols[1], cols[2], cols[3]))
        self.reps = sorted({r for r, _, _, _ in self.rows} | {int(a["rep"]) for a in self.arms})

    def values(self, arm, metric):
        """Every value of METRIC in ARM, in rep order (several a rep for a latency)."""
        return [v for _, a, m, v in self.rows if a == arm and m == metric]

    def per_rep(self, arm, metric):
        """{rep: [values]}"""
        d = collections.defaultdict(list)
        for r, a, m, v in self.rows:
            if a == arm and m == metric:
                d[r].append(v)
        return d


def number(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return float(v)
        except (TypeError, ValueError):
            return None


def numbers(values, scale=1.0):
    out = [number(v) for v in values]
    return [x * scale if scale != 1.0 else x for x in out if x is not None]


def fmt(x):
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if isinstance(x, float):
        if x == int(x) and abs(x) >= 100:
            return str(int(x))
        if abs(x) >= 100:
            return f"{x:.0f}"
        if abs(x) >= 10:
            return f"{x:.1f}"
        return f"{x:.2f}"
    return str(x)


def median(xs):
    return statistics.median(xs) if xs else None


def spread(xs):
    """median (min-max) of the repetitions' values; the median alone when they agree."""
    if not xs:
        return "-"
    lo, hi, mid = min(xs), max(xs), median(xs)
    if isinstance(mid, float) and all(isinstance(x, int) for x in xs) and mid == int(mid):
        mid = int(mid)
    if fmt(lo) == fmt(hi):
        return fmt(mid)
    return f"{fmt(mid)} ({fmt(lo)}-{fmt(hi)})"


def words(values):
    """Non-numeric results (why a storm stopped): each distinct one with its count."""
    if not values:
        return "-"
    c = collections.Counter(values)
    if len(c) == 1:
        return f"{values[0]} ({len(values)}/{len(values)})"
    return ", ".join(f"{k} {n}/{len(values)}" for k, n in c.most_common())


def ratio(a, b):
    """median(a) / median(b)"""
    ma, mb = median(a), median(b)
    if ma is None or mb is None or mb == 0:
        return "-"
    return f"{ma / mb:.2f}"


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return None
    k = max(1, -(-len(v) * p // 100))
    return v[int(k) - 1]


def provenance(res, name):
    m = res.meta
    commit = m.get("commit", "unknown")
    tree = m.get("tree", "?")
    lines = [
        f"Measured at commit `{commit[:12]}`"
        + (" (tree clean)" if tree == "clean" else f" (**{tree}: these numbers are not that "
                                                     "commit's alone**)")
        + f", run started {m.get('started', '?')}; {len(res.reps)} repetitions, arms interleaved "
        f"in each; raw results `bench/results/{name}.tsv`. Xen {m.get('xen', '?')}, guest and "
        f"Dom0 kernel {m.get('kernel', '?').split(' ')[0]}, all PV; host {m.get('host-cpus', '?')} x "
        f"{m.get('host-cpu', '?')}, {m.get('host-mem-gib', '?')} GiB, `{m.get('accel', '?')}` "
        f"({m.get('qemu', '?').replace('QEMU emulator version ', 'QEMU ')}); host load (1 min) "
        f"during the run {m.get('host-load-1min', '?')}. This benchmark took "
        f"{m.get('scenario-wall-s', '?')} s of a `make bench` ({m.get('run-benchmarks', '?')}) "
        f"of {m.get('run-wall-s', '?')} s."]
    return lines


# ---- latency ----------------------------------------------------------------------------
def latency(res):
    arms = ("kmod", "userspace")
    out = provenance(res, "latency")
    cyc = res.meta.get("cycles-per-rep", "?")
    out += ["", f"PV DomU booted at 512 MiB, maxmem 1024 MiB; each repetition runs {cyc} cycles of "
            "`xl mem-set` 768 MiB then 512 MiB with the module (loaded for the arm, unloaded after "
            "it), then as many with the userspace watcher (`bench/guest/us-watcher.sh`), in the "
            "same guest. Milliseconds; p50/p99 nearest-rank over every resize of all repetitions; "
            "\"p50 per rep\" is the spread of each repetition's own p50.", "",
            "| measure | resizes | module p50 | p99 | max | p50 per rep | userspace p50 | p99 | "
            "max | p50 per rep | p50 userspace / module |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    labels = [("settle_ms", "event -> settled"), ("apply_ms", "settled -> last value written"),
              ("event_to_apply_ms", "event -> last value written"),
              ("dom0_ms", "Dom0 `xl mem-set` -> guest's record of the pass (Dom0 clock, 10 ms)")]
    for metric, label in labels:
        for direction in (None, "grow", "shrink"):
            dirs = ("grow", "shrink") if direction is None else (direction,)
            cells = []
            counts = []
            p50s = []
            for arm in arms:
                xs = []
                reps = collections.defaultdict(list)
                for d in dirs:
                    xs += numbers(res.values(arm, f"{d}.{metric}"))
                    for r, vs in res.per_rep(arm, f"{d}.{metric}").items():
                        reps[r] += numbers(vs)
                counts.append(str(len(xs)))
                p50s.append(pct(xs, 50))
                per_rep = [pct(v, 50) for v in reps.values() if v]
                cells += [fmt(pct(xs, 50)), fmt(pct(xs, 99)), fmt(max(xs) if xs else None),
                          f"{fmt(min(per_rep))}-{fmt(max(per_rep))}" if per_rep else "-"]
            r = "-" if not p50s[0] or p50s[1] is None else f"{p50s[1] / p50s[0]:.2f}"
            lab = label + ("" if direction is None else f" ({direction})")
            out.append(f"| {lab} | {' / '.join(counts)} | " + " | ".join(cells) + f" | {r} |")
    return out


# ---- grow / shrink ----------------------------------------------------------------------
ARMS3 = ("without", "with", "native")


def arm_table(res, rows):
    """rows: (label, metric, kind, scale); kind "n" numeric, "w" words, "b" 0/1 count."""
    out = ["| measure | without | with | native | with / native | without / native |",
           "|---|---|---|---|---|---|"]
    for label, metric, kind, scale in rows:
        vals = {a: res.values(a, metric) for a in ARMS3}
        if not any(vals.values()):
            continue
        if kind == "w":
            out.append(f"| {label} | " + " | ".join(words(vals[a]) for a in ARMS3) + " | | |")
        elif kind == "b":
            cells = [f"{sum(numbers(vals[a]))} of {len(vals[a])}" if vals[a] else "-" for a in ARMS3]
            out.append(f"| {label} | " + " | ".join(cells) + " | | |")
        else:
            n = {a: numbers(vals[a], scale) for a in ARMS3}
            out.append(f"| {label} | " + " | ".join(spread(n[a]) for a in ARMS3) +
                       f" | {ratio(n['with'], n['native'])} | {ratio(n['without'], n['native'])} |")
    return out


def grow(res):
    m = res.meta
    f, t = m.get("from-mib", "?"), m.get("to-mib", "?")
    caps = "none" if m.get("threads-cap", "0") == "0" and m.get("watches-cap", "0") == "0" else \
        f"threads {m.get('threads-cap')}, watches {m.get('watches-cap')}"
    out = provenance(res, "grow")
    out += ["", f"**without**: PV DomU booted at {f} MiB with maxmem {t} MiB, `xl mem-set` to {t} MiB, "
            f"no module; **with**: the same with the module loaded before the grow; **native**: "
            f"booted at {t} MiB. A fresh guest for each arm of each repetition. Storms run until "
            f"the kernel stops them (cap: {caps}). Cells: median (min-max) over the repetitions; "
            "ratios of the medians.", ""]
    out += arm_table(res, [
        ("`xl mem-set` -> balloon settled (with: module idle) (s)", "ready_ms", "n", 0.001),
        ("MemTotal (kB)", "mem_total_kb", "n", 1.0),
        ("`threads_max` in force", "threads_max", "n", 1.0),
        ("`inotify_max_user_watches` in force", "inotify_max_user_watches", "n", 1.0),
        ("`tcp_mem` max in force (pages)", "tcp_mem_2", "n", 1.0),
        ("`tcp_rmem` max in force (bytes)", "tcp_rmem_max", "n", 1.0),
        ("`file_max` in force", "file_max", "n", 1.0),
        ("`min_free_kbytes` in force", "min_free_kbytes", "n", 1.0),
        ("threads created (threadstorm)", "threads", "n", 1.0),
        ("thread storm stopped by", "threads_stop", "w", 1.0),
        ("thread storm: time to create them (s)", "threads_create_ms", "n", 0.001),
        ("inotify watches added (inotifystorm)", "watches", "n", 1.0),
        ("inotify storm stopped by", "watches_stop", "w", 1.0),
        (f"TCP bulk, 16 streams, {m.get('tcp-s', '?')} s: Mbit/s", "tcp_mbit_s", "n", 1.0),
        ("TCP bulk: peak TCP memory (MiB, sockstat)", "tcp_peak_pages", "n", 4 / 1024),
        ("TCP bulk: TCPMemoryPressures", "tcp_mem_pressures", "n", 1.0),
        ("TCP bulk: receive queues pruned (PruneCalled)", "tcp_prune", "n", 1.0),
        ("all workloads: allocation stalls", "allocstall", "n", 1.0),
        ("all workloads: OOM kills", "oom_kill", "n", 1.0),
    ])
    return out


def shrink(res, plots):
    m = res.meta
    f, t = m.get("from-mib", "?"), m.get("to-mib", "?")
    caps = "none" if m.get("threads-cap", "0") == "0" else f"threads {m.get('threads-cap')}"
    out = provenance(res, "shrink")
    out += ["", f"**without**: PV DomU booted at {f} MiB, a 32 MiB canary process started, "
            f"`xl mem-set` to {t} MiB, no module; **with**: the same with the module loaded before "
            f"the shrink; **native**: booted at {t} MiB. Then {m.get('tcp-s', '?')} s of 64 TCP "
            "streams over loopback whose receivers never read, then a thread storm held 5 s, run "
            f"until the kernel stops it (cap: {caps}). A fresh guest for each arm of each "
            "repetition. Cells: median (min-max) over the repetitions; ratios of the medians.", ""]
    out += arm_table(res, [
        ("`xl mem-set` -> balloon at target (s)", "balloon_s", "n", 1.0),
        ("`xl mem-set` -> ready (with: module idle) (s)", "ready_ms", "n", 0.001),
        ("MemTotal (kB)", "mem_total_kb", "n", 1.0),
        ("`tcp_mem` pressure threshold in force (pages)", "tcp_mem_1", "n", 1.0),
        ("`tcp_mem` max in force (pages)", "tcp_mem_2", "n", 1.0),
        ("`tcp_rmem` max in force (bytes)", "tcp_rmem_max", "n", 1.0),
        ("`threads_max` in force", "threads_max", "n", 1.0),
        ("`min_free_kbytes` in force", "min_free_kbytes", "n", 1.0),
        ("TCP, never read: data queued (MiB)", "tcp_bytes", "n", 1 / 1048576),
        ("TCP, never read: peak TCP memory (MiB, sockstat)", "tcp_peak_pages", "n", 4 / 1024),
        ("TCP, never read: TCPMemoryPressures", "tcp_mem_pressures", "n", 1.0),
        ("threads created (threadstorm)", "threads", "n", 1.0),
        ("thread storm stopped by", "threads_stop", "w", 1.0),
        ("OOM kills (both workloads)", "oom_kill", "n", 1.0),
        ("allocation stalls (both workloads)", "allocstall", "n", 1.0),
        ("memory PSI some, total stall (ms)", "psi_some_us", "n", 0.001),
        ("memory PSI full, total stall (ms)", "psi_full_us", "n", 0.001),
        ("canary alive at the end", "canary_alive", "b", 1.0),
        ("guest alive at the end", "guest_alive", "b", 1.0),
    ])
    if plots:
        png = shrink_plot(res, plots)
        if png:
            out += ["", f"![shrink, repetition 1: used memory and TCP memory over time]"
                    f"(benchmarks/{os.path.basename(png)})", "",
                    "Repetition 1 of each arm (all samples are in the raw results, metric "
                    "`sample`). Dashed lines: the shrink, the start of the TCP workload, the start "
                    "of the thread storm."]
    return out


def shrink_plot(res, plots):
    """shrink.png: repetition 1 of each arm, seconds from its first sample."""
    data = {}
    for arm in ARMS3:
        samples = [tuple(int(x) for x in v.split()) for v in res.per_rep(arm, "sample").get(1, [])]
        marks = [v.split() for v in res.per_rep(arm, "mark").get(1, [])]
        if samples:
            data[arm] = (samples, marks)
    if not data:
        return None
    os.makedirs(plots, exist_ok=True)
    png = os.path.join(plots, "shrink.png")
    ymax = max(max(s[1], s[2] * 4) for samples, _ in data.values() for s in samples) / 1024 * 1.1
    bmax = max(s[3] for samples, _ in data.values() for s in samples) / 1024 * 1.1
    m = res.meta
    cmds = ['set terminal png size 1100,1000 font ",10"', f'set output "{png}"',
            f'set multiplot layout {len(data)},1 title "Shrink {m.get("from-mib")} -> '
            f'{m.get("to-mib")} MiB, then TCP (never read) and a thread storm (Xen '
            f'{m.get("xen", "?")}, {"TCG" if "tcg" in m.get("accel", "") else "KVM"})"',
            'set xlabel "seconds since the sampler started"', 'set ylabel "used, TCP (MiB)"',
            'set y2label "balloon (MiB)"', 'set y2tics', 'set ytics nomirror',
            f'set yrange [0:{ymax:.0f}]', f'set y2range [0:{bmax:.0f}]', 'set grid',
            'set key outside right']
    for arm, (samples, marks) in data.items():
        t0 = samples[0][0]
        dat = os.path.join(plots, f".shrink-{arm}.dat")
        with open(dat, "w") as f:
            for t, used, tcp, cur in samples:
                f.write(f"{(t - t0) / 1000:.1f} {used / 1024:.1f} {tcp * 4 / 1024:.1f} {cur / 1024:.1f}\n")
        cmds += [f'set title "{arm}"', "unset arrow"]
        for t, _what in marks:
            cmds.append(f'set arrow from {(int(t) - t0) / 1000:.1f},graph 0 to '
                        f'{(int(t) - t0) / 1000:.1f},graph 1 nohead dt 2 lc "gray"')
        cmds.append(f'plot "{dat}" using 1:4 axes x1y2 with lines lw 1 dt 3 title "balloon current (right)", '
                    f'"{dat}" using 1:2 with lines lw 2 title "used (MemTotal - MemAvailable)", '
                    f'"{dat}" using 1:3 with lines lw 2 title "TCP memory (sockstat)"')
    cmds.append("unset multiplot")
    try:
        subprocess.run(["gnuplot"], input="\n".join(cmds), text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report.py: the shrink plot failed: {e}", file=sys.stderr)
        return None
    finally:
        for arm in data:
            try:
                os.remove(os.path.join(plots, f".shrink-{arm}.dat"))
            except OSError:
                pass
    return png


# ---- agent ------------------------------------------------------------------------------
def agent(res):
    win = res.meta.get("window-s", "?")
    out = provenance(res, "agent")
    out += ["", "xen-memtuned at its default settings (no configuration file, `--no-dbus`, "
            "`--log stderr`) in a PV DomU of 1024 MiB (maxmem 2048 MiB) with the module loaded, one "
            f"agent process throughout; each repetition: an idle window of {win} s, a loaded window "
            f"of {win} s (memwave, and the target moved 1024 <-> 1536 MiB every 20 s), then "
            "`memtunectl shrink` to 768 MiB from Dom0 and back. CPU = utime + stime of the process "
            "(10 ms ticks); writes = xenstore watch events on `data/memtune/` seen in Dom0 (the "
            "module's `data/memtune/kmod/` excluded). Cells: median (min-max) over the "
            "repetitions.", "",
            "| window | CPU (ms) | CPU (% of one vCPU) | VmRSS (kB) | VmHWM (kB) | xenstore writes | "
            "writes / min | reports |", "|---|---|---|---|---|---|---|---|"]
    for arm, label in (("idle", "idle"), ("load", "memwave + target 1024 <-> 1536 MiB every 20 s")):
        win_ms = res.per_rep(arm, "window_ms")
        if not win_ms:
            continue

        def derived(metric, scale):
            xs = []
            for r, v in res.per_rep(arm, metric).items():
                w = number(win_ms.get(r, [None])[0])
                x = number(v[0])
                if w and x is not None:
                    xs.append(x * scale / w)
            return xs

        cells = [spread(numbers(res.values(arm, "cpu_ms"))), spread(derived("cpu_ms", 100)),
                 spread(numbers(res.values(arm, "rss_kb"))), spread(numbers(res.values(arm, "hwm_kb"))),
                 spread(numbers(res.values(arm, "xenstore_writes"))),
                 spread(derived("xenstore_writes", 60000)), spread(numbers(res.values(arm, "reports")))]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    steps = [("floor_ms", "floor check"), ("mem-set_ms", "`xl mem-set`"),
             ("balloon_ms", "balloon at target"), ("module_ms", "module applied"),
             ("memtunectl_ms", "in all (memtunectl's own clock)"),
             ("total_ms", "in all (Dom0, the command's wall time)")]
    if res.values("shrink", "total_ms"):
        rcs = res.values("shrink", "rc")
        out += ["", f"`memtunectl shrink u-agent 768M --reclaim 0` (exit status: {words(rcs)}), "
                "milliseconds per step as it reports them (`--json`):", "",
                "| step | ms |", "|---|---|"]
        for metric, label in steps:
            xs = numbers(res.values("shrink", metric))
            if xs:
                out.append(f"| {label} | {spread(xs)} |")
    return out


# ---- rogue ------------------------------------------------------------------------------
ROGUE_ARMS = (("idle", "-", "idle (no hog)"), ("none", "-", "hog, nothing balances"),
              ("qmemman", "spare", "hog + qmemman-style, spare RAM"),
              ("arbiter", "spare", "hog + arbiter, spare RAM"),
              ("qmemman", "tight", "hog + qmemman-style, tight RAM"),
              ("arbiter", "tight", "hog + arbiter, tight RAM"),
              ("none", "beyond", "hog beyond maxmem, nothing balances"),
              ("qmemman", "beyond", "hog beyond maxmem + qmemman-style"),
              ("arbiter", "beyond", "hog beyond maxmem + arbiter"),
              ("arbiter+rebalance", "spare", "hog + arbiter with rebalancing on, spare RAM"))

ROGUE_COLUMNS = ["Neighbour latency: p50 and p99 of its reads over 0-30 s and 30-60 s after the hog's "
                 "start (ms; / idle: that p50 over the same repetition's idle p50, the goal of issue 16 "
                 "being at most 1.3 within 30 s). Work: the memory the hog swept in its 60 s, GiB (it "
                 "writes one word into each 4 KiB page of its working set in turn; `memory-hog` counts "
                 "the pages and prints them on SIGTERM). Disk swap: "
                 "the rogue's blkback sectors read / written over the arm (MiB). Target changes: of "
                 "the three guests' `memory/target`, sampled each second. Cells: median (min-max) "
                 "over the repetitions.", ""]


def rogue_beyond_intro(res):
    m = res.meta
    return ["", "The same rig and arms as the table above (`bench/scenarios/bench-rogue-beyond.sh`), with "
            f"a working set no memory the host can give cures: guests {m.get('guests-mib', '?')} MiB, "
            "so at its maxmem the rogue still swaps. Both balancers get the spare-RAM reserve; "
            "idle (30 s), the hog with nothing balancing, with the qmemman-style balancer and with "
            "the arbiter in act mode, their order rotated by one each repetition. Memory can "
            "only shorten the rogue's swapping here; where its swap goes decides what the "
            "neighbour sees.", ""]


def rogue_rebalance_intro(res):
    return ["", "The rig and hog of the first table (`bench/scenarios/bench-rogue-rebalance.sh`), spare "
            "RAM, three arms rotated each repetition: idle (30 s), the hog with the qmemman-style "
            "balancer, and the hog with the arbiter in act mode and its continuous rebalancing on "
            "for the three guests (`[rebalance] enabled = yes`, off by default): it shares what "
            "the host can spare in proportion to each guest's need (working set + 10 %), at most "
            "256 MiB a move, besides its rogue detection and remedies.", ""]


def rogue(res, name="rogue"):
    m = res.meta
    out = provenance(res, name)
    if name == "rogue-beyond":
        return out + rogue_beyond_intro(res) + ROGUE_COLUMNS + rogue_table(res)
    if name == "rogue-rebalance":
        return out + rogue_rebalance_intro(res) + ROGUE_COLUMNS + rogue_table(res)
    out += ["", "The rig of `arbiter-rogue` (`tests/e2e/guest/rogue-lib.sh`): Dom0's disk limited by "
            f"QEMU to 100 IOPS and 4 MiB/s, one partition per guest through blkback; guests {m.get('guests-mib', '?')} "
            "MiB; the rogue swaps to its disk (priority 20) and to zram (256 MiB, priority 10), the "
            "neighbour reads 4 KiB at random offsets of its disk, O_DIRECT, 20 a second. Six arms in "
            "one boot, their order rotated by one each repetition: idle (30 s, no hog), and "
            "`memory-hog 320` in the rogue for 60 s with nothing balancing, with "
            "`bench/guest/qmemman.sh` (qmemman's published formula: pref = max(1.3 x used, 200 MiB), "
            "used counting swap in use; surplus in proportion to pref; acts on moves over 150 MiB), "
            "or with `xen-memtune-arbiter` in act mode; each balancer started 10 s before the hog. "
            f"Spare RAM: the host's free memory ({int(number(m.get('host-free-kb', 0)) or 0) // 1024} MiB) "
            "above the arbiter's default reserve of 256 MiB is the balancers' to give; tight RAM: "
            "all of it but 64 MiB is reserved, so memory must come from the donor. The setting "
            "changes nothing without a balancer: idle and none run once a repetition. Between "
            "arms everything is put back and checked (targets and balloons at the start sizes, "
            "swap-mode normal, the rogue's swap empty).", ""] + ROGUE_COLUMNS
    return out + rogue_table(res)


def rogue_table(res):
    out = ["| arm | p50 0-30 s | p50 30-60 s | p50 / idle 0-30 s | p50 / idle 30-60 s | "
            "30-60 s within 1.3x idle | p99 0-30 s | p99 30-60 s | work (GiB) | disk swap read "
            "/ written (MiB) | target changes | OOM kills | reset ok |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    idle = {a["rep"]: number(a["p50_0_30_ms"]) for a in res.arms if a["arm"] == "idle"}

    def col(rows, key, scale=1.0):
        return numbers([r[key] for r in rows], scale)

    def vs_idle(rows, key):
        xs = []
        for r in rows:
            x, i = number(r[key]), idle.get(r["rep"])
            if x is not None and i:
                xs.append(x / i)
        return xs

    for arm, setting, label in ROGUE_ARMS:
        rows = [a for a in res.arms if a["arm"] == arm and a["setting"] == setting]
        if not rows:
            continue
        ratio2 = vs_idle(rows, "p50_30_60_ms")
        goal = f"{sum(1 for x in ratio2 if x <= 1.3)} of {len(ratio2)}" if ratio2 else "-"
        swap = f"{spread(col(rows, 'swap_rd_kib', 1 / 1024))} / {spread(col(rows, 'swap_wr_kib', 1 / 1024))}"
        cells = [spread(col(rows, "p50_0_30_ms")), spread(col(rows, "p50_30_60_ms")),
                 spread(vs_idle(rows, "p50_0_30_ms")) if arm != "idle" else "1",
                 spread(ratio2), goal if arm != "idle" else "-",
                 spread(col(rows, "p99_0_30_ms")), spread(col(rows, "p99_30_60_ms")),
                 spread(col(rows, "hog_mib", 1 / 1024)), swap if arm != "idle" else "-",
                 spread(col(rows, "target_changes")), str(sum(col(rows, "oom_kills"))),
                 f"{sum(1 for r in rows if r['reset_ok'] == 'ok')} of {len(rows)}"]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


def tables(name, res, plots):
    if name == "latency":
        return latency(res)
    if name == "grow":
        return grow(res)
    if name == "shrink":
        return shrink(res, plots)
    if name.startswith("rogue"):
        return rogue(res, name)
    return agent(res)


def update(path, blocks):
    with open(path) as f:
        text = f.read()
    for name, lines in blocks.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.S)
        if not pattern.search(text):
            print(f"report.py: {path} has no block for {name}", file=sys.stderr)
            continue
        body = "\n".join(lines) + "\n"
        text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
    with open(path, "w") as f:
        f.write(text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--results", default=os.path.join(here, "results"))
    p.add_argument("--update", help="Markdown file whose bench blocks are rewritten")
    p.add_argument("--plots", help="folder for shrink.png")
    a = p.parse_args()
    # The page's plot sits beside it (docs/benchmarks/ for docs/benchmarks.md).
    if a.update and not a.plots:
        a.plots = os.path.join(os.path.dirname(os.path.abspath(a.update)), "benchmarks")
    blocks = {}
    for name in BENCHES:
        path = os.path.join(a.results, f"{name}.tsv")
        if os.path.exists(path):
            blocks[name] = tables(name, Results(path), a.plots)
    for name, lines in blocks.items():
        print(f"### {name}\n")
        print("\n".join(lines))
        print()
    if a.update:
        update(a.update, blocks)


if __name__ == "__main__":
    main()
