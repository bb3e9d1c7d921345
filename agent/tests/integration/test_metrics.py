#!/usr/bin/env python3
"""Both exporters scraped by a real Prometheus (Debian's `prometheus`, its own process, config,
port and temporary storage; a system prometheus.service is neither needed nor touched).

xen-memtuned runs as domain 5 with its /proc and /sys (and the module's
/sys/kernel/xen_memtune/) in a temporary directory; xen-memtune-arbiter runs as Dom0 in act mode
with the arbiter tests' scripted rogue, neighbour and donor, a domain with a hostile name, and
Dom0 counters that make the rogue harm the shared disk. Both serve /metrics on free local
ports; `promtool check metrics` lints what they serve; Prometheus scrapes both, and its HTTP
query API must give back what the files, xenstore and the scripted guests say."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from common import (GUEST, HOME, XEN_MEMTUNED, FakeXenstored, memtunectl, read_or_none,
                    stop_process, wait_for)
from test_agent import KERNEL_FILES
from test_arbiter import DOMAINS, MIB, ROGUE, Dom0Counters, start_rig_guests, write

ARBITER = os.environ.get("XEN_MEMTUNE_ARBITER", "")
PROMETHEUS = os.environ.get("PROMETHEUS", "prometheus")
PROMTOOL = os.environ.get("PROMTOOL", "promtool")
HOSTILE = 6
HOSTILE_NAME = 'evil"} 1\nxenmemtune_fake{x="\\'
# Domain 5 is the real agent; its static-max leaves room, the others are the arbiter tests'.
ALL_DOMAINS = DOMAINS + [(GUEST, "guest1", 1024 * MIB, 2048 * MIB),
                         (HOSTILE, "hostile", 256 * MIB, 512 * MIB)]

MODULE_FILES = {
    "target_kb": "1048576\n", "current_kb": "1048576\n", "floor_kb": "262144\n",
    "stats/applies": "7\n", "stats/rejected": "2\n", "stats/stalls": "0\n",
    "stats/errors": "0\n", "stats/guard_refusals": "1\n",
    "stats/apply_duration_ns": "1250000\n",
}
VMSTAT = "pswpin 300\npswpout 500\nworkingset_refault_anon 0\nworkingset_refault_file 0\n"
PSI = ("some avg10=12.50 avg60=3.00 avg300=0.00 total=2500000\n"
       "full avg10=0.00 avg60=0.00 avg300=0.00 total=1000\n")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.headers.get("Content-Type"), response.read().decode()


def lines_of(text, name):
    return [line for line in text.splitlines() if line.startswith(name)]


@unittest.skipUnless(XEN_MEMTUNED and os.path.exists(XEN_MEMTUNED) and ARBITER and
                     os.path.exists(ARBITER),
                     "XEN_MEMTUNED and XEN_MEMTUNE_ARBITER not set: CMake sets them")
class PrometheusScrapesBoth(unittest.TestCase):
    def setUp(self):
        for tool in (PROMETHEUS, PROMTOOL):
            self.assertTrue(shutil.which(tool),
                            f"{tool} not found: install Debian's prometheus "
                            "(scripts/deps/agent.txt)")
        self.tmp = tempfile.TemporaryDirectory(prefix="memtune-metrics-")
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name
        self.logs = []
        self.addCleanup(self.show_logs)
        self.server = FakeXenstored(ALL_DOMAINS).start()
        self.addCleanup(self.server.stop)
        self.dom0 = self.server.client(0)
        self.addCleanup(self.dom0.close)
        self.agent_port, self.arbiter_port, self.prometheus_port = (free_port() for _ in "abc")
        self.start_agent()
        self.start_arbiter()
        self.start_prometheus()

    # --- the daemons and Prometheus --------------------------------------------------------

    def log_file(self, name):
        f = open(os.path.join(self.root, name), "w+")
        self.logs.append((name, f))
        return f

    def show_logs(self):
        for name, f in self.logs:
            f.seek(0)
            if os.environ.get("MEMTUNE_TEST_VERBOSE"):
                print(f"--- {name}\n{f.read()}")
            f.close()

    def start_agent(self):
        guest = os.path.join(self.root, "guest")
        files = dict(KERNEL_FILES)
        files["proc/vmstat"] = VMSTAT
        files["proc/pressure/memory"] = PSI
        for relative, text in MODULE_FILES.items():
            files[f"sys/kernel/xen_memtune/{relative}"] = text
        for relative, text in files.items():
            write(os.path.join(guest, relative), text)
        self.guest_root = guest
        config = os.path.join(guest, "agent.conf")
        write(config, f"[report]\nmin_interval_s = 1\n[metrics]\n"
                      f"listen = 127.0.0.1:{self.agent_port}\n")
        self.agent = subprocess.Popen(
            [XEN_MEMTUNED, "--config", config, "--proc-root", os.path.join(guest, "proc"),
             "--sys-root", os.path.join(guest, "sys"), "--no-dbus", "--log", "stderr",
             "--sample-ms", "200", "--state-dir", os.path.join(guest, "run")],
            env=self.server.env(GUEST), stdout=self.log_file("agent.log"),
            stderr=subprocess.STDOUT)
        self.addCleanup(stop_process, self.agent)
        wait_for(lambda: read_or_none(self.dom0, f"{HOME}/data/memtune/seq"), 15,
                 "the agent's first report")

    def start_arbiter(self):
        dom0 = os.path.join(self.root, "dom0")
        write(os.path.join(dom0, "proc/pressure/memory"), PSI)
        self.xen = os.path.join(dom0, "xen.json")
        total = 8192 * MIB
        domains = [{"domid": 0, "name": "Domain-0", "current_kb": 512 * MIB}]
        domains += [{"domid": d, "name": HOSTILE_NAME if d == HOSTILE else n, "current_kb": t}
                    for d, n, t, _ in ALL_DOMAINS]
        used = sum(d["current_kb"] for d in domains)
        write(self.xen, json.dumps({"total_kb": total, "free_kb": total - used,
                                    "domains": domains}))
        self.xen_domains = {d["domid"]: d for d in domains}
        config = os.path.join(dom0, "arbiter.conf")
        write(config, "[arbiter]\nmode = act\ninterval_s = 1\nwindow_s = 3\n"
                      "[detect]\nenter = 2\nclear = 4\n"
                      "[remedy]\nhold_s = 3\ndirective_lifetime_s = 20\nack_timeout_s = 5\n"
                      f"[metrics]\nlisten = 127.0.0.1:{self.arbiter_port}\n")
        self.guests = start_rig_guests(self, self.server)
        self.counters = Dom0Counters(dom0)
        self.counters.start()
        self.addCleanup(self.counters.stop)
        status = os.path.join(dom0, "run/arbiter.json")
        self.arbiter = subprocess.Popen(
            [ARBITER, "--config", config, "--proc-root", os.path.join(dom0, "proc"),
             "--sys-root", os.path.join(dom0, "sys"), "--fake-xen", self.xen,
             "--status-file", status, "--kill-switch", os.path.join(dom0, "off"),
             "--log", "stderr"],
            env=self.server.env(0), stdout=self.log_file("arbiter.log"),
            stderr=subprocess.STDOUT)
        self.addCleanup(stop_process, self.arbiter)
        wait_for(lambda: os.path.exists(status), 15, "the arbiter's first status")

    def start_prometheus(self):
        config = os.path.join(self.root, "prometheus.yml")
        # The README's scrape config, with this test's ports and a 1 s interval.
        write(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                      "scrape_configs:\n"
                      "  - job_name: xen-memtuned\n"
                      f"    static_configs: [{{targets: ['127.0.0.1:{self.agent_port}']}}]\n"
                      "  - job_name: xen-memtune-arbiter\n"
                      f"    static_configs: [{{targets: ['127.0.0.1:{self.arbiter_port}']}}]\n")
        check = subprocess.run([PROMTOOL, "check", "config", config], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(self.root, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.prometheus_port}"],
            stdout=self.log_file("prometheus.log"), stderr=subprocess.STDOUT)
        self.addCleanup(stop_process, self.prometheus)
        self.prom_url = f"http://127.0.0.1:{self.prometheus_port}"

        def ready():
            self.assertIsNone(self.prometheus.poll(), "prometheus exited")
            try:
                return http_get(self.prom_url + "/-/ready")[0] == 200
            except OSError:
                return False
        wait_for(ready, 60, "Prometheus ready")

    # --- reading -------------------------------------------------------------------------

    def metrics_text(self, port):
        status, content_type, text = http_get(f"http://127.0.0.1:{port}/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        return text

    def query(self, expr):
        """[(labels, value)] of an instant query through Prometheus' HTTP API."""
        url = self.prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        status, _, body = http_get(url)
        answer = json.loads(body)
        self.assertEqual(answer["status"], "success", body)
        return [(r["metric"], float(r["value"][1])) for r in answer["data"]["result"]]

    def wait_query(self, expr, expected, timeout=30):
        """Waits until the query has exactly one series and it has the expected value."""
        seen = []

        def matches():
            seen[:] = self.query(expr)
            return len(seen) == 1 and seen[0][1] == expected
        try:
            wait_for(matches, timeout, f"{expr} == {expected}")
        except AssertionError:
            self.fail(f"{expr}: expected {expected}, Prometheus has {seen}")
        return seen[0][0]

    # --- the test ------------------------------------------------------------------------

    def test_promtool_lints_both_and_prometheus_reads_the_values_back(self):
        # The rogue starts harming the disk now; its directives come while the rest is checked.
        self.counters.rogue = True

        # What both serve passes promtool's lint (names, units, _total, HELP/TYPE).
        wait_for(lambda: "xenmemtune_domain_target_bytes" in self.metrics_text(
            self.arbiter_port), 15, "the arbiter's first interval in /metrics")
        for port in (self.agent_port, self.arbiter_port):
            text = self.metrics_text(port)
            lint = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(lint.returncode, 0, f"port {port}:\n{lint.stdout}{lint.stderr}")
            if os.environ.get("MEMTUNE_TEST_VERBOSE"):
                print(f"--- /metrics on port {port}\n{text}")
        # Only /metrics is served.
        with self.assertRaises(urllib.error.HTTPError) as raised:
            http_get(f"http://127.0.0.1:{self.agent_port}/")
        self.assertEqual(raised.exception.code, 404)

        # Both targets are up: Prometheus parsed what they served.
        self.wait_query('up{job="xen-memtuned"}', 1)
        self.wait_query('up{job="xen-memtune-arbiter"}', 1)

        # The guest's exporter: its /proc, /sys and module files, in base units.
        page = os.sysconf("SC_PAGE_SIZE")
        guest = 'job="xen-memtuned"'
        self.wait_query(f"xenmemtune_memory_total_bytes{{{guest}}}", 1003412 * 1024)
        self.wait_query(f"xenmemtune_memory_available_bytes{{{guest}}}", 712304 * 1024)
        self.wait_query(f"xenmemtune_balloon_target_bytes{{{guest}}}", 1048576 * 1024)
        self.wait_query(f"xenmemtune_swap_in_bytes_total{{{guest}}}", 300 * page)
        self.wait_query(f"xenmemtune_swap_out_bytes_total{{{guest}}}", 500 * page)
        self.wait_query(f'xenmemtune_memory_pressure_stalled_seconds_total{{{guest},kind="some"}}',
                        2.5)
        self.wait_query(f'xenmemtune_memory_pressure_avg10_ratio{{{guest},kind="some"}}', 0.125)
        self.wait_query(f"xenmemtune_module_loaded{{{guest}}}", 1)
        self.wait_query(f"xenmemtune_module_floor_bytes{{{guest}}}", 262144 * 1024)
        self.wait_query(f"xenmemtune_module_target_refusals_total{{{guest}}}", 2)
        self.wait_query(f"xenmemtune_module_last_apply_duration_seconds{{{guest}}}", 0.00125)
        self.wait_query(f"xenmemtune_module_passes_total{{{guest}}}", 7)
        # A pass in the module shows up at the next scrape.
        write(os.path.join(self.guest_root, "sys/kernel/xen_memtune/stats/applies"), "8\n")
        self.wait_query(f"xenmemtune_module_passes_total{{{guest}}}", 8)
        floor_kb = int(self.dom0.read(f"{HOME}/data/memtune/floor-kb"))
        self.wait_query(f"xenmemtune_report_floor_bytes{{{guest}}}", floor_kb * 1024)

        # Directives from Dom0: one applied, one refused (expired), counted by the guest.
        out = memtunectl(self.server, 0, "directive", "guest1", "--swappiness", "30")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        out = memtunectl(self.server, 0, "directive", "guest1", "--swappiness", "10",
                         "--expires", "0")
        self.assertEqual(out.returncode, 5, out.stdout + out.stderr)
        self.wait_query(f'xenmemtune_directives_total{{{guest},result="applied"}}', 1)
        self.wait_query(f'xenmemtune_directives_total{{{guest},result="refused"}}', 1)

        # The arbiter's exporter, per domain: Xen's numbers from its (fake) libxl and xenstore.
        arbiter = 'job="xen-memtune-arbiter"'
        for domid, name, target, static_max in DOMAINS + [(GUEST, "guest1", 0, 2048 * MIB)]:
            labels = f'{arbiter},domid="{domid}",name="{name}"'
            current = self.xen_domains[domid]["current_kb"]
            self.wait_query(f"xenmemtune_domain_current_bytes{{{labels}}}", current * 1024)
            self.wait_query(f"xenmemtune_domain_static_max_bytes{{{labels}}}", static_max * 1024)
        xs_target = int(self.dom0.read(f"{HOME}/memory/target"))
        self.wait_query(f'xenmemtune_domain_target_bytes{{{arbiter},domid="{GUEST}"}}',
                        xs_target * 1024)
        # The real agent's report, as Dom0 read and checked it.
        self.wait_query(f'xenmemtune_domain_floor_bytes{{{arbiter},domid="{GUEST}"}}',
                        floor_kb * 1024)
        self.wait_query(f'xenmemtune_domain_memory_pressure_avg10_ratio'
                        f'{{{arbiter},domid="{GUEST}",kind="some"}}', 0.125)
        # The scripted rogue's report.
        self.wait_query(f'xenmemtune_domain_swap_out_pages_per_second{{{arbiter},domid="1"}}',
                        2500)
        # A name a domain chose comes back intact, inside its own label.
        labels = self.wait_query(f'xenmemtune_domain_current_bytes{{{arbiter},domid="{HOSTILE}"}}',
                                 256 * MIB * 1024)
        self.assertEqual(labels["name"], HOSTILE_NAME)
        self.assertEqual(self.query("xenmemtune_fake"), [])

        # The arbiter's decisions: the rogue detected, directives sent and answered, the same
        # numbers as xenstore and the scripted rogue saw.
        rogue = f'{arbiter},domid="{ROGUE}",name="rogue"'
        self.wait_query(f'xenmemtune_arbiter_decisions_total{{{rogue},decision="detected",'
                        f'outcome="noted"}}', 1)
        self.wait_query(f'xenmemtune_domain_rogue{{{rogue}}}', 1)
        wait_for(lambda: self.dom0.read(f"/local/domain/{ROGUE}/memtune/directive/swap-mode")
                 == "avoid-disk", 30, "avoid-disk after the hold")
        self.wait_query(f'xenmemtune_arbiter_decisions_total{{{rogue},decision="avoid-disk",'
                        f'outcome="done"}}', 1)

        def sent_matches_xenstore():
            seq = int(self.dom0.read(f"/local/domain/{ROGUE}/memtune/directive/seq"))
            answered = len(self.guests[ROGUE].directives)
            got = {r["__name__"]: v for r, v in self.query(
                f'{{__name__=~"xenmemtune_directives_sent_total|'
                f'xenmemtune_directive_answers_total",{rogue}}}')}
            return (got.get("xenmemtune_directives_sent_total") == seq and
                    got.get("xenmemtune_directive_answers_total") == answered == seq)
        wait_for(sent_matches_xenstore, 30,
                 "directives sent and answered equal the seq in xenstore and the rogue's count")
        self.assertEqual(self.query(f'xenmemtune_directives_sent_total{{{arbiter},domid="2"}}'),
                         [])
        self.wait_query(f'xenmemtune_arbiter_mode{{{arbiter},mode="act"}}', 1)


@unittest.skipUnless(XEN_MEMTUNED and os.path.exists(XEN_MEMTUNED),
                     "XEN_MEMTUNED not set: CMake sets it when the daemon target exists")
class TakenPort(unittest.TestCase):
    def test_agent_runs_on_without_metrics(self):
        tmp = tempfile.TemporaryDirectory(prefix="memtune-metrics-")
        self.addCleanup(tmp.cleanup)
        for relative, text in KERNEL_FILES.items():
            write(os.path.join(tmp.name, relative), text)
        taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = os.path.join(tmp.name, "agent.conf")
        write(config, f"[metrics]\nlisten = 127.0.0.1:{port}\n")
        server = FakeXenstored([(GUEST, "guest1", 1048576, 2097152)]).start()
        self.addCleanup(server.stop)
        dom0 = server.client(0)
        self.addCleanup(dom0.close)
        log = open(os.path.join(tmp.name, "agent.log"), "w+")
        self.addCleanup(log.close)
        agent = subprocess.Popen(
            [XEN_MEMTUNED, "--config", config, "--proc-root", os.path.join(tmp.name, "proc"),
             "--sys-root", os.path.join(tmp.name, "sys"), "--no-dbus", "--log", "stderr",
             "--state-dir", os.path.join(tmp.name, "run")],
            env=server.env(GUEST), stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(stop_process, agent)
        # Its job goes on: the report is published.
        wait_for(lambda: read_or_none(dom0, f"{HOME}/data/memtune/seq"), 15,
                 "the agent's first report")
        self.assertIsNone(agent.poll())
        log.seek(0)
        self.assertIn(f"metrics: cannot listen on 127.0.0.1:{port}", log.read())
