#!/usr/bin/env python3
"""report.py RESULTS OUTDIR: turns bench/run.sh's results.txt (the guests' "BENCH" lines) into
the Markdown tables of docs/benchmarks.md, and the shrink run's samples into OUTDIR/shrink.png
(gnuplot). Prints the Markdown. Reports numbers; judges nothing."""
import collections
import os
import subprocess
import sys

results, outdir = sys.argv[1], sys.argv[2]
lines = [l.split() for l in open(results) if l.strip()]


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return None
    k = max(1, -(-len(v) * p // 100))
    return v[int(k) - 1]


def fmt(x, unit=""):
    if x is None:
        return "-"
    if isinstance(x, float):
        x = f"{x:.1f}" if abs(x) < 100 else f"{x:.0f}"
    return f"{x}{unit}"


def ratio(without, with_):
    try:
        a, b = float(without), float(with_)
        return "-" if a == 0 else f"{b / a:.2f}"
    except (TypeError, ValueError):
        return "-"


meta = {}
for l in lines:
    if l[0] == "meta" and len(l) > 3 and l[1] == "host":
        meta[l[2]] = " ".join(l[3:])
    elif l[0] == "meta" and len(l) > 2:
        meta[l[1]] = " ".join(l[2:])
times = {" ".join(l[1:-1]): l[-1] for l in lines if l[0] == "TIME"}
out = []
w = out.append

w("| run | |")
w("|---|---|")
for k, label in [("cpu", "host CPU"), ("cpus", "host CPUs"), ("mem-gib", "host RAM (GiB)"),
                 ("accel", "accelerator"), ("qemu", "QEMU"), ("xen", "Xen"),
                 ("kernel", "Dom0 and DomU kernel"), ("kmod", "module (git, kmod/)"),
                 ("agent", "agent (git, agent/)"), ("date", "run started")]:
    if k in meta:
        w(f"| {label} | {meta[k]} |")
loads = [(k[len('load-before-'):], v, meta.get('load-after-' + k[len('load-before-'):], '?'))
         for k, v in meta.items() if k.startswith("load-before-")]
for b, before, after in loads:
    w(f"| host load average, {b} (before / after) | {before} / {after} |")
if "bench total-wall" in times:
    w(f"| `make bench` wall time (after the build) | {int(times['bench total-wall']) // 1000} s |")
w("")

# ---- latency ----------------------------------------------------------------------------
lat = collections.defaultdict(list)      # phase -> [(target, settle, e2a, apply)]
dom0 = collections.defaultdict(list)     # phase -> [(mib, ms)]
for l in lines:
    if l[0] == "latency" and len(l) == 7:
        lat[l[1]].append(tuple(int(x) for x in l[3:7]))
    elif l[0] == "latency-dom0" and len(l) == 4:
        dom0[l[1]].append((int(l[2]), int(l[3])))
if lat:
    cyc = next((l[2] for l in lines if l[0] == "latency-meta" and l[1] == "cycles"), "?")
    w("### Resize latency")
    w("")
    w(f"{cyc} cycles of `xl mem-set` 768 MiB then 512 MiB per phase ({2 * int(cyc) if cyc.isdigit() else '?'} "
      "resizes), PV DomU 512 MiB / maxmem 1024 MiB, module phase first, then the userspace "
      "watcher in the same guest (module unloaded). Milliseconds; p50/p99 nearest-rank.")
    w("")
    w("| measure | resizes | module p50 | p99 | max | userspace p50 | p99 | max | p50 userspace / module |")
    w("|---|---|---|---|---|---|---|---|---|")

    def series(phase, what, direction=None):
        rows = lat.get(phase, [])
        if direction == "grow":
            rows = [r for r in rows if r[0] == 786432]
        elif direction == "shrink":
            rows = [r for r in rows if r[0] == 524288]
        if what == "settle":
            return [r[1] / 1e6 for r in rows]
        if what == "apply":
            return [(r[2] - r[1]) / 1e6 for r in rows]
        return [r[2] / 1e6 for r in rows]

    for what, label in [("settle", "event -> settled"), ("apply", "settled -> last value written"),
                        ("e2a", "event -> last value written")]:
        for direction in (None, "grow", "shrink"):
            k = series("kmod", what, direction)
            u = series("userspace", what, direction)
            lab = label + ("" if direction is None else f" ({direction})")
            w(f"| {lab} | {len(k)} / {len(u)} | {fmt(pct(k, 50))} | {fmt(pct(k, 99))} | "
              f"{fmt(max(k) if k else None)} | {fmt(pct(u, 50))} | {fmt(pct(u, 99))} | "
              f"{fmt(max(u) if u else None)} | {ratio(pct(k, 50), pct(u, 50))} |")
    k = [ms for _, ms in dom0.get("kmod", [])]
    u = [ms for _, ms in dom0.get("userspace", [])]
    w(f"| Dom0 `xl mem-set` -> guest's record of the pass (Dom0 clock, 10 ms) | {len(k)} / {len(u)} | "
      f"{fmt(pct(k, 50))} | {fmt(pct(k, 99))} | {fmt(max(k) if k else None)} | {fmt(pct(u, 50))} | "
      f"{fmt(pct(u, 99))} | {fmt(max(u) if u else None)} | {ratio(pct(k, 50), pct(u, 50))} |")
    w("")

# ---- grow / shrink ----------------------------------------------------------------------
def table_data(name):
    d = collections.defaultdict(dict)    # mode -> key -> value
    for l in lines:
        if l[0] != name or len(l) < 3:
            continue
        mode, kind = l[1], l[2]
        if kind == "value" and len(l) == 5:
            d[mode]["v:" + l[3]] = l[4]
        elif kind.startswith("counter-") and len(l) == 5:
            d[mode][kind[8:] + ":" + l[3]] = int(l[4])
        elif kind in ("tcpbulk", "threadstorm", "inotifystorm"):
            f = l[4:] if l[3] == kind else l[3:]
            for i in range(0, len(f) - 1, 2):
                d[mode][kind + ":" + f[i]] = f[i + 1]
        else:
            d[mode][kind] = " ".join(l[3:])
    return d


def delta(d, mode, a, b, key):
    try:
        return d[mode][f"{b}:{key}"] - d[mode][f"{a}:{key}"]
    except KeyError:
        return None


def row(label, d, getter):
    a, b = getter(d, "without"), getter(d, "with")
    w(f"| {label} | {fmt(a)} | {fmt(b)} | {ratio(a, b)} |")


def val(key, scale=1.0):
    def g(d, mode):
        v = d.get(mode, {}).get(key)
        try:
            return int(v) if scale == 1.0 else round(int(v) * scale, 1)
        except (TypeError, ValueError):
            return v
    return g


def dl(a, b, key, scale=1.0):
    def g(d, mode):
        v = delta(d, mode, a, b, key)
        return v if v is None or scale == 1.0 else round(v * scale, 1)
    return g


g = table_data("grow")
if g:
    w("### Grow: 512 MiB -> 4096 MiB")
    w("")
    w("PV DomU booted at 512 MiB, maxmem 4096 MiB, `xl mem-set` to 4096 MiB, balloon settled; "
      "without = module not loaded, with = module loaded before the grow; a fresh guest each.")
    w("")
    w("| measure | without | with | with / without |")
    w("|---|---|---|---|")
    row("MemTotal after the grow (kB)", g, val("v:mem_total_kb"))
    for k in ("threads_max", "inotify_max_user_watches", "tcp_mem_2", "tcp_rmem_max", "file_max",
              "min_free_kbytes"):
        row(f"`{k}` in force", g, val("v:" + k))
    caps = next((l for l in lines if l[0] == "grow-caps"), ["", "", "?", "", "?"])
    row(f"threads created (threadstorm, cap {caps[2]})", g, val("threadstorm:threads"))
    w(f"| thread storm stopped by | {g['without'].get('threadstorm:stop', '-')} | "
      f"{g['with'].get('threadstorm:stop', '-')} | |")
    row(f"inotify watches added (cap {caps[4]})", g, val("inotifystorm:watches"))
    w(f"| inotify storm stopped by | {g['without'].get('inotifystorm:stop', '-')} | "
      f"{g['with'].get('inotifystorm:stop', '-')} | |")
    row("TCP bulk, 16 streams, 20 s: Mbit/s", g, lambda d, m: (lambda v: float(v) if v else None)(d[m].get("tcpbulk:mbit_s")))
    row("TCP bulk: peak TCP memory (MiB, sockstat)", g, val("tcpbulk:peak_tcp_pages", 4 / 1024))
    row("TCP bulk: TCPMemoryPressures", g, dl("before-tcp", "after", "tcp_mem_pressures"))
    row("TCP bulk: receive queues pruned (PruneCalled)", g, dl("before-tcp", "after", "tcp_prune"))
    row("all workloads: allocation stalls", g, dl("before", "after", "allocstall"))
    row("all workloads: OOM kills", g, dl("before", "after", "oom_kill"))
    w("")

sh = table_data("shrink")
if sh:
    w("### Shrink: 4096 MiB -> 512 MiB")
    w("")
    w("PV DomU booted at 4096 MiB, a 32 MiB canary process started, `xl mem-set` to 512 MiB, balloon "
      "settled; then 64 TCP streams over loopback whose receivers never read (30 s), then a thread "
      "storm held 5 s. Without = module not loaded, with = loaded before the shrink; a fresh guest each.")
    w("")
    w("| measure | without | with | with / without |")
    w("|---|---|---|---|")
    row("MemTotal after the shrink (kB)", sh, val("v:mem_total_kb"))
    for k in ("tcp_mem_2", "tcp_rmem_max", "threads_max", "min_free_kbytes"):
        row(f"`{k}` in force", sh, val("v:" + k))
    row("TCP, never read: data queued (MiB)", sh, val("tcpbulk:bytes", 1 / 1048576))
    row("TCP, never read: peak TCP memory (MiB, sockstat)", sh, val("tcpbulk:peak_tcp_pages", 4 / 1024))
    row("TCP, never read: TCPMemoryPressures", sh, dl("before", "after-tcp", "tcp_mem_pressures"))
    row("threads created (threadstorm)", sh, val("threadstorm:threads"))
    w(f"| thread storm stopped by | {sh['without'].get('threadstorm:stop', '-')} | "
      f"{sh['with'].get('threadstorm:stop', '-')} | |")
    row("OOM kills (both workloads)", sh, dl("before", "after", "oom_kill"))
    row("allocation stalls (both workloads)", sh, dl("before", "after", "allocstall"))
    row("memory PSI some, total stall (ms)", sh, dl("before", "after", "psi_some_us", 1 / 1000))
    row("memory PSI full, total stall (ms)", sh, dl("before", "after", "psi_full_us", 1 / 1000))
    for m in ("without", "with"):
        pass
    w(f"| canary alive at the end (heartbeats) | {sh['without'].get('canary', sh['without'].get('guest', '-'))} | "
      f"{sh['with'].get('canary', sh['with'].get('guest', '-'))} | |")
    w(f"| guest alive at the end | {sh['without'].get('guest', '-')} | {sh['with'].get('guest', '-')} | |")
    w("")

    # The plot: samples over time, from the first sample of each run.
    samples = collections.defaultdict(list)
    marks = collections.defaultdict(list)
    for l in lines:
        if l[0] == "sample" and len(l) == 7:
            samples[l[1]].append([int(x) for x in l[2:7]])
        elif l[0] == "sample-mark" and len(l) == 4:
            marks[l[1]].append((int(l[2]), l[3]))
    if samples:
        for m, rows in samples.items():
            t0 = rows[0][0]
            with open(os.path.join(outdir, f"shrink-{m}.dat"), "w") as f:
                for t, used, tcp, cur, total in rows:
                    f.write(f"{(t - t0) / 1000:.1f} {used / 1024:.1f} {tcp * 4 / 1024:.1f} {cur / 1024:.1f}\n")
            marks[m] = [((t - t0) / 1000, what) for t, what in marks[m]]
        # One scale for both panels, so they compare at a glance.
        ymax = max(max(r[1], r[2] * 4) for rows in samples.values() for r in rows) / 1024 * 1.1
        plot = os.path.join(outdir, "shrink.png")
        cmds = [f'set terminal png size 1100,700 font ",10"', f'set output "{plot}"',
                'set multiplot layout 2,1 title "Shrink 4096 -> 512 MiB, then TCP (never read) and a thread storm (real Xen 4.17, TCG)"',
                'set xlabel "seconds since the sampler started (the shrink starts about 3 s in)"',
                'set ylabel "used, TCP (MiB)"', 'set y2label "balloon (MiB)"', 'set y2tics',
                'set ytics nomirror', f'set yrange [0:{ymax:.0f}]', 'set y2range [0:4500]', 'set grid',
                'set key outside right']
        for i, m in enumerate(("without", "with")):
            if m not in samples:
                continue
            dat = os.path.join(outdir, f"shrink-{m}.dat")
            cmds.append(f'set title "{m} the module"')
            cmds.append("unset arrow")
            for t, what in marks[m]:
                cmds.append(f'set arrow from {t},graph 0 to {t},graph 1 nohead dt 2 lc "gray"')
            cmds.append(f'plot "{dat}" using 1:4 axes x1y2 with lines lw 1 dt 3 title "balloon current (right)", '
                        f'"{dat}" using 1:2 with lines lw 2 title "used (MemTotal - MemAvailable)", '
                        f'"{dat}" using 1:3 with lines lw 2 title "TCP memory (sockstat)"')
        cmds.append("unset multiplot")
        try:
            subprocess.run(["gnuplot"], input="\n".join(cmds), text=True, check=True)
            w(f"![shrink run: used memory and TCP memory over time](benchmarks/shrink.png)")
            w("")
            w("Dashed lines: start of the TCP workload, start of the thread storm.")
            w("")
        except (OSError, subprocess.CalledProcessError) as e:
            w(f"(plot failed: {e})")
            w("")

# ---- agent ------------------------------------------------------------------------------
ag = collections.defaultdict(dict)
for l in lines:
    if l[0] == "agent" and len(l) >= 4:
        ag[l[1]][l[2]] = " ".join(l[3:])
if "idle" in ag or "load" in ag:
    hz = int(ag["meta"].get("clk-tck", "100") or 100)
    win = ag["meta"].get("window-s", "?")
    w("### Agent footprint")
    w("")
    w(f"xen-memtuned at its default settings (no configuration file, `--no-dbus`, `--log stderr`) in a "
      f"PV DomU of 1024 MiB with the module loaded; two windows of {win} s. CPU = utime + stime of "
      f"the process; writes = xenstore watch events on `data/memtune/` seen in Dom0 "
      f"(the module's `data/memtune/kmod/` excluded).")
    w("")
    w("| window | length (s) | CPU (ms) | CPU (% of one vCPU) | VmRSS (kB) | VmHWM (kB) | xenstore writes | writes / min | reports (seq) |")
    w("|---|---|---|---|---|---|---|---|---|")
    for m, label in (("idle", "idle"), ("load", "memwave + target 1024 <-> 1536 MiB every 20 s")):
        a = ag.get(m)
        if not a:
            continue
        try:
            ms = int(a["window-ms"])
            cpu = int(a["cpu-ticks"]) * 1000 // hz
            writes = int(a["xenstore-writes"])
            seq = a.get("report-seq", "? ?").split()
            nrep = int(seq[1]) - int(seq[0]) if all(x.isdigit() for x in seq) else "-"
            w(f"| {label} | {ms / 1000:.0f} | {cpu} | {100 * cpu / ms:.2f} | {a['rss-kb']} | {a['hwm-kb']} | "
              f"{writes} | {writes * 60000 / ms:.1f} | {nrep} |")
        except (KeyError, ValueError):
            w(f"| {label} | (incomplete: {a}) |")
    w("")
    st = [l for l in lines if l[0] == "agent" and l[1] in ("shrink-total-ms", "shrink-output")]
    if st:
        w("`memtunectl shrink u-agent 768M` from Dom0 (its own output):")
        w("")
        w("```")
        for l in st:
            w(" ".join(l[2:]) if l[1] == "shrink-output" else "total " + " ".join(l[2:]))
        w("```")
        w("")
print("\n".join(out))
