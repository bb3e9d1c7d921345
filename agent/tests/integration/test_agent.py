#!/usr/bin/env python3
"""xen-memtuned as domain 5 (its /proc and /sys in a temporary directory, xenstore through
fake-xenstored's guest socket) and memtunectl as Dom0: the report is published, directives are
applied and acknowledged, forged/expired/replayed/malformed ones are refused and change nothing,
the resize token is echoed, and a shrink below the published floor is refused."""

import os
import subprocess
import tempfile
import threading
import time
import unittest

from common import (FAKE_XL, GUEST, HOME, XEN_MEMTUNED, FakeXenstored, memtunectl,
                    read_or_none, stop_process, wait_for)
from memtune_testing import start_private_bus

MEMINFO = """MemTotal:        1003412 kB
MemFree:          300000 kB
MemAvailable:     712304 kB
Buffers:           20000 kB
Cached:           400000 kB
SwapCached:            0 kB
Active(file):     200000 kB
Inactive(file):   180000 kB
Dirty:               100 kB
Writeback:             0 kB
Shmem:              1000 kB
SReclaimable:      30000 kB
SwapTotal:             0 kB
SwapFree:              0 kB
"""

KERNEL_FILES = {
    "proc/meminfo": MEMINFO,
    "proc/vmstat": "pswpin 0\npswpout 0\nworkingset_refault_anon 0\nworkingset_refault_file 0\n",
    "proc/pressure/memory": ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                             "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
    "proc/swaps": "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
    "proc/sys/vm/swappiness": "60\n",
    "sys/devices/system/xen_memory/xen_memory0/target_kb": "1048576\n",
    "sys/devices/system/xen_memory/xen_memory0/info/current_kb": "1048576\n",
    "sys/fs/cgroup/memory.reclaim": "",
}

CONFIG = """[report]
min_interval_s = 1
"""



@unittest.skipUnless(XEN_MEMTUNED and os.path.exists(XEN_MEMTUNED),
                     "XEN_MEMTUNED not set: CMake sets it when the daemon target exists")
class AgentCase(unittest.TestCase):
    with_bus = False
    config_text = CONFIG

    def setUp(self):
        # Every resource is released by addCleanup as soon as it exists, so a failing setUp
        # leaves no process behind.
        self.tmp = tempfile.TemporaryDirectory(prefix="memtune-agent-")
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name
        for relative, text in KERNEL_FILES.items():
            path = os.path.join(self.root, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        self.config = os.path.join(self.root, "agent.conf")
        with open(self.config, "w") as f:
            f.write(self.config_text)
        self.server = FakeXenstored([(GUEST, "guest1", 1048576, 2097152)]).start()
        self.addCleanup(self.server.stop)
        self.dom0 = self.server.client(0)
        self.addCleanup(self.dom0.close)
        bus_args = ["--no-dbus"]
        if self.with_bus:
            bus, socket_path = start_private_bus(self.root)
            self.addCleanup(stop_process, bus)
            self.bus_address = "unix:path=" + socket_path
            bus_args = ["--bus-address", self.bus_address]
        self.agent_log = open(os.path.join(self.root, "agent.log"), "w+")
        self.addCleanup(self.show_agent_log)
        self.agent = subprocess.Popen(
            [XEN_MEMTUNED, "--config", self.config,
             "--proc-root", os.path.join(self.root, "proc"),
             "--sys-root", os.path.join(self.root, "sys"),
             *bus_args, "--log", "stderr", "--sample-ms", "200"],
            env=self.server.env(GUEST), stdout=self.agent_log, stderr=subprocess.STDOUT)
        self.addCleanup(stop_process, self.agent)
        wait_for(lambda: read_or_none(self.dom0, f"{HOME}/data/memtune/seq"), 15,
                 "the agent's first report")

    def show_agent_log(self):
        self.agent_log.seek(0)
        if os.environ.get("MEMTUNE_TEST_VERBOSE"):
            print(self.agent_log.read())
        self.agent_log.close()

    def swappiness(self):
        with open(os.path.join(self.root, "proc/sys/vm/swappiness")) as f:
            return f.read().strip()

    def ctl(self, *argv, env=None):
        return memtunectl(self.server, 0, *argv, env=env)

    def ack(self):
        return {key: read_or_none(self.dom0, f"{HOME}/data/memtune/ack/{key}")
                for key in ("seq", "result", "reason")}

    def write_directive(self, nodes):
        """Dom0 writes a raw directive, as a buggy or hostile tool could."""
        for node in ("memtune", "memtune/directive"):
            self.dom0.mkdir(f"{HOME}/{node}")
            self.dom0.set_perms(f"{HOME}/{node}", ["n0", f"r{GUEST}"])
        tx = self.dom0.transaction_start()
        for key in ("seq", "expires", "swap-mode", "reclaim-kb", "swappiness"):
            self.dom0.rm(f"{HOME}/memtune/directive/{key}", tx)
        for key, value in nodes.items():
            self.dom0.write(f"{HOME}/memtune/directive/{key}", value, tx)
        self.dom0.transaction_end(tx)

    def assert_refused(self, seq, words):
        ack = wait_for(lambda: self.ack() if self.ack()["seq"] == str(seq) else None, 10,
                       f"the ack of directive {seq}")
        self.assertEqual(ack["result"], "refused", ack)
        self.assertIn(words, ack["reason"].lower())


class Report(AgentCase):
    def test_report_published_from_the_kernel_files(self):
        def report(key):
            return read_or_none(self.dom0, f"{HOME}/data/memtune/{key}")
        self.assertEqual(report("version"), "1")
        self.assertEqual(report("mem-total-kb"), "1003412")
        self.assertEqual(report("mem-available-kb"), "712304")
        self.assertEqual(report("balloon-current-kb"), "1048576")
        self.assertEqual(report("target-reached"), "1")
        self.assertTrue(report("floor-kb").isdigit())
        self.assertEqual(self.dom0.get_perms(f"{HOME}/data/memtune/version"), [f"n{GUEST}"])
        out = self.ctl("domains", "--interval", "0")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"\nguest1\s+5\s+1024 MiB\s+1024 MiB\s+695 MiB")


class ReportWrites(AgentCase):
    """What a publish writes, seen by a Dom0 watch on data/memtune (xenstored fires it once per
    node written): the keys that changed since the last publish, then seq."""
    config_text = CONFIG + "heartbeat_s = 1\n"

    def setUp(self):
        super().setUp()
        self.report_dir = f"{HOME}/data/memtune/"
        self.watcher = self.server.client(0)
        self.addCleanup(self.watcher.close)
        self.watcher.watch(self.report_dir.rstrip("/"), "report")

    def next_publish(self):
        """The report keys one publish wrote, in order, up to and with seq."""
        keys = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            path, _ = self.watcher.wait_event(10)
            if not path.startswith(self.report_dir):
                continue  # the watch's first event, on data/memtune itself
            key = path[len(self.report_dir):]
            if key.startswith("ack/"):
                continue
            keys.append(key)
            if key == "seq":
                return keys
        raise AssertionError(f"no complete publish within 10 s, saw {keys}")

    def test_idle_heartbeat_writes_only_seq(self):
        self.next_publish()  # may have begun before the watch
        for _ in range(3):
            self.assertEqual(self.next_publish(), ["seq"])
        self.assertEqual(read_or_none(self.dom0, f"{self.report_dir}version"), "1")

    def test_a_change_writes_what_moved_and_leaves_the_rest(self):
        with open(os.path.join(self.root, "proc/meminfo"), "w") as f:
            f.write(MEMINFO.replace("712304", "612304"))  # MemAvailable -100 MB
        for _ in range(5):
            keys = self.next_publish()
            if "mem-available-kb" in keys:
                break
        else:
            self.fail("MemAvailable was never published")
        self.assertEqual(keys[-1], "seq")
        self.assertNotIn("mem-total-kb", keys)
        self.assertNotIn("version", keys)
        self.assertEqual(read_or_none(self.dom0, f"{self.report_dir}mem-available-kb"), "612304")
        self.assertEqual(read_or_none(self.dom0, f"{self.report_dir}mem-total-kb"), "1003412")


class Directives(AgentCase):
    def test_applied_and_acknowledged(self):
        out = self.ctl("directive", "guest1", "--swappiness", "30")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "guest1 (domid 5): directive 1 applied")
        self.assertEqual(self.swappiness(), "30")
        self.assertEqual(self.ack()["result"], "applied")

    def test_forged_under_data_is_ignored(self):
        guest = self.server.client(GUEST)
        for key, value in (("expires", str(int(time.time()) + 60)), ("swappiness", "5"),
                           ("seq", "1")):
            guest.write(f"data/memtune/directive/{key}", value)
            guest.write(f"data/memtune/memtune/directive/{key}", value)
        guest.close()
        time.sleep(1.5)
        self.assertIsNone(self.ack()["seq"])
        self.assertEqual(self.swappiness(), "60")

    def test_expired_refused(self):
        out = self.ctl("directive", "guest1", "--swappiness", "10", "--expires", "0")
        self.assertEqual(out.returncode, 5, out.stderr + out.stdout)
        self.assertIn("directive 1 refused", out.stdout)
        self.assertIn("expire", out.stdout.lower())
        self.assertEqual(self.swappiness(), "60")

    def test_replayed_refused(self):
        self.assertEqual(self.ctl("directive", "guest1", "--swappiness", "30").returncode, 0)
        self.assertEqual(self.ctl("directive", "guest1", "--swappiness", "40").returncode, 0)
        self.assertEqual(self.swappiness(), "40")
        self.write_directive({"seq": "1", "expires": str(int(time.time()) + 60),
                              "swappiness": "5"})
        time.sleep(1.5)
        # Refused without moving ack/seq back, so the next directive from Dom0 still works.
        self.assertEqual(self.ack()["seq"], "2")
        self.assertEqual(self.swappiness(), "40")
        self.assertEqual(self.ctl("directive", "guest1", "--swappiness", "35").returncode, 0)
        self.assertEqual(self.swappiness(), "35")

    def test_malformed_and_out_of_range_refused(self):
        cases = [
            ({"swappiness": "abc"}, "swappiness"),
            ({"swappiness": "250"}, "swappiness"),
            ({"swappiness": "-1"}, "swappiness"),
            ({"swap-mode": "turbo"}, "swap-mode"),
            ({"reclaim-kb": "99999999999999999999999"}, "reclaim-kb"),
            ({}, ""),
        ]
        for seq, (nodes, words) in enumerate(cases, start=1):
            with self.subTest(nodes=nodes):
                directive = {"seq": str(seq), "expires": str(int(time.time()) + 60)}
                directive.update(nodes)
                self.write_directive(directive)
                self.assert_refused(seq, words)
                self.assertEqual(self.swappiness(), "60")
        self.write_directive({"seq": "x1", "expires": "1", "swappiness": "5"})
        time.sleep(1)
        self.assertEqual(self.swappiness(), "60")


class Resize(AgentCase):
    def test_token_echo(self):
        # The module's part, played from the guest's socket: echo memtune/resize.
        module = self.server.client(GUEST)
        module.watch("memtune/resize", "resize")
        stop = threading.Event()

        def echo():
            while not stop.is_set():
                try:
                    module.wait_event(0.1)
                except TimeoutError:
                    continue
                except OSError:
                    return
                token = read_or_none(module, "memtune/resize")
                if token:
                    module.write("data/memtune/kmod/token", token)
        thread = threading.Thread(target=echo, daemon=True)
        thread.start()
        try:
            out = self.ctl("resize", "guest1")
        finally:
            stop.set()
            thread.join(5)
            module.close()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"module recomputed in \d+ ms")
        self.assertEqual(self.dom0.read(f"{HOME}/data/memtune/kmod/token"),
                         self.dom0.read(f"{HOME}/memtune/resize"))


class LocalCommands(AgentCase):
    """memtunectl reclaim and swap-mode in the guest, through the agent's D-Bus methods."""
    with_bus = True

    def ctl_guest(self, *argv):
        return memtunectl(self.server, GUEST, *argv,
                          env={"DBUS_SYSTEM_BUS_ADDRESS": self.bus_address})

    def test_reclaim(self):
        reclaim_file = os.path.join(self.root, "sys/fs/cgroup/memory.reclaim")
        out = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
            self.ctl_guest("reclaim", "64M")), 10, "the agent on the bus")
        self.assertRegex(out.stdout, r"^applied")
        with open(reclaim_file) as f:
            self.assertEqual(f.read(), "65536K")

    def test_swap_mode(self):
        out = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
            self.ctl_guest("swap-mode", "prefer-fast")), 10, "the agent on the bus")
        self.assertRegex(out.stdout, r"^applied")
        bad = self.ctl_guest("swap-mode", "turbo")
        self.assertEqual(bad.returncode, 2)

    def test_no_agent_on_the_bus(self):
        self.agent.terminate()
        self.agent.wait(10)
        out = self.ctl_guest("reclaim", "64M")
        self.assertEqual(out.returncode, 1)
        self.assertIn("xen-memtuned is not running", out.stderr)

    def test_refused_over_the_local_bound(self):
        out = wait_for(lambda: (lambda r: r if r.returncode != 1 else None)(
            self.ctl_guest("reclaim", "100G")), 10, "the agent on the bus")
        self.assertEqual(out.returncode, 5, out.stdout + out.stderr)
        self.assertRegex(out.stdout, r"^refused: ")


class Shrink(AgentCase):
    def test_refused_below_the_published_floor(self):
        floor = int(self.dom0.read(f"{HOME}/data/memtune/floor-kb"))
        below = floor // 1024 - 16
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "xl.log")
            out = self.ctl("--xl", FAKE_XL, "shrink", "guest1", f"{below}M", "--timeout", "20",
                           env={"FAKE_XL_LOG": log})
            self.assertEqual(out.returncode, 5, out.stderr + out.stdout)
            self.assertIn(f"{below} MiB is below the floor of guest1 (domid 5)", out.stderr)
            self.assertFalse(os.path.exists(log), "xl must not run")
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), "1048576")
        # The reclaim was asked for and answered first.
        self.assertRegex(out.stdout, r"reclaim \d+ MiB: directive 1 (applied|partial)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
