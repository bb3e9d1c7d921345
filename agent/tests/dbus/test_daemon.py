#!/usr/bin/env python3
"""xen-memtuned as a whole: against fake-xenstored (the real xenstore wire protocol, through
XENSTORED_PATH), a private dbus-daemon, and /proc and /sys laid out in a temporary directory.

Checks the D-Bus interface against agent/dbus/org.xenmemtune.MemTune1.xml, the report under
data/memtune/, directives (applied, refused when forged, expired, replayed or out of range),
the ack, local D-Bus calls, reconnecting after xenstored goes away, and a clean SIGTERM.

usage: test_daemon.py DAEMON REPO_ROOT      (ctest passes both, and puts agent/tests/pylib on
PYTHONPATH for memtune_testing)
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from memtune_testing import (GUEST, HOME, PRIVATE_BUS_CONFIG, FakeXenstored, read_or_none,
                             start_private_bus, wait_for)

DAEMON = None
REPO = None
BUS_NAME = "org.xenmemtune.MemTune1"
BUS_PATH = "/org/xenmemtune/MemTune1"


MEMINFO = """MemTotal:        1000000 kB
MemFree:          200000 kB
MemAvailable:     600000 kB
Buffers:           10000 kB
Cached:           400000 kB
SwapCached:            0 kB
Active(file):     200000 kB
Inactive(file):   200000 kB
Dirty:              1000 kB
Writeback:             0 kB
Shmem:              1000 kB
SReclaimable:      20000 kB
SwapTotal:             0 kB
SwapFree:              0 kB
"""


def interface_shape(xml_text, name):
    """The interface element as nested tuples (tag, sorted attributes, children), comments gone."""
    root = ET.fromstring(xml_text)
    for iface in root.iter("interface"):
        if iface.get("name") == name:
            def shape(e):
                return (e.tag, tuple(sorted(e.attrib.items())), tuple(shape(c) for c in e))
            return shape(iface)
    raise AssertionError(f"interface {name} not in introspection")


class DaemonCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="memtuned-test-")
        self.dir = self.tmp.name
        self.make_kernel_tree()
        self.server = FakeXenstored([(GUEST, "guest1", 1048576, 2097152)],
                                    workdir=self.make_dir("xs")).start()
        self.dom0 = self.server.client(0)
        self.bus, self.bus_socket = start_private_bus(self.dir, self.bus_config())
        self.address = "unix:path=" + self.bus_socket
        self.daemon_log = open(os.path.join(self.dir, "daemon.log"), "w+")
        self.daemon = None
        self.start_daemon()

    def bus_config(self):
        """The busconfig text, {socket} for the socket path."""
        return PRIVATE_BUS_CONFIG

    def tearDown(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        self.daemon_log.seek(0)
        log = self.daemon_log.read()
        self.daemon_log.close()
        if log and os.environ.get("VERBOSE"):
            sys.stderr.write(log)
        self.bus.terminate()
        self.bus.wait()
        self.dom0.close()
        self.server.stop()
        self.tmp.cleanup()

    def make_dir(self, relative):
        path = os.path.join(self.dir, relative)
        os.makedirs(path, exist_ok=True)
        return path

    def kernel_file(self, relative, text=None):
        path = os.path.join(self.dir, relative)
        if text is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        return path

    def read_kernel_file(self, relative):
        with open(os.path.join(self.dir, relative)) as f:
            return f.read()

    def make_kernel_tree(self):
        self.kernel_file("proc/meminfo", MEMINFO)
        self.kernel_file("proc/vmstat", "pswpin 10\npswpout 20\nworkingset_refault_anon 0\n"
                                        "workingset_refault_file 5\n")
        self.kernel_file("proc/pressure/memory",
                         "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                         "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
        self.kernel_file("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")
        self.kernel_file("proc/sys/vm/swappiness", "60\n")
        self.kernel_file("proc/sys/vm/drop_caches", "")
        self.kernel_file("sys/fs/cgroup/memory.reclaim", "")
        xm = "sys/devices/system/xen_memory/xen_memory0/"
        self.kernel_file(xm + "target_kb", "1048576\n")
        self.kernel_file(xm + "info/current_kb", "1048576\n")

    def start_daemon(self, *extra, env_extra=None):
        env = self.server.env(GUEST)
        env.pop("NOTIFY_SOCKET", None)
        env.pop("WATCHDOG_USEC", None)
        env.update(env_extra or {})
        argv = [DAEMON, "--config", os.path.join(self.dir, "agent.conf"),
                "--proc-root", os.path.join(self.dir, "proc"),
                "--sys-root", os.path.join(self.dir, "sys"),
                "--bus-address", self.address, "--log", "stderr", "--debug", *extra]
        self.daemon = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                       stderr=self.daemon_log)
        wait_for(lambda: self.xs_read(f"{HOME}/data/memtune/seq"), what="first report")
        wait_for(lambda: self.busctl("status", BUS_NAME, check=False).returncode == 0,
                 what="bus name")

    def xs_read(self, path):
        return read_or_none(self.dom0, path)

    def busctl(self, *argv, check=True):
        return subprocess.run(["busctl", "--address=" + self.address, *argv],
                              capture_output=True, text=True, timeout=20, check=check)

    def call(self, method, signature="", *args):
        out = self.busctl("call", BUS_NAME, BUS_PATH, BUS_NAME, method, signature,
                          *[str(a) for a in args]).stdout
        return out.strip()

    def get_property(self, name):
        return self.busctl("get-property", BUS_NAME, BUS_PATH, BUS_NAME, name).stdout.strip()

    def send_directive(self, seq, expires=None, **keys):
        """As `memtunectl directive` does: Dom0-owned node, guest read-only, one transaction."""
        base = f"{HOME}/memtune/directive"
        if expires is None:
            expires = int(time.time()) + 600
        tx = self.dom0.transaction_start()
        for name in ("swap-mode", "reclaim-kb", "swappiness"):
            try:
                self.dom0.rm(f"{base}/{name}", tx)
            except Exception:
                pass
        self.dom0.write(f"{base}/seq", str(seq), tx)
        self.dom0.write(f"{base}/expires", str(expires), tx)
        for name, value in keys.items():
            self.dom0.write(f"{base}/{name.replace('_', '-')}", str(value), tx)
        self.dom0.set_perms(f"{HOME}/memtune", ["n0", f"r{GUEST}"], tx)
        for node in ["directive"] + ["directive/" + n for n in
                                     ["seq", "expires"] + [k.replace('_', '-') for k in keys]]:
            self.dom0.set_perms(f"{base}/{node[len('directive/'):]}" if node != "directive"
                                else base, ["n0", f"r{GUEST}"], tx)
        self.dom0.transaction_end(tx, True)

    def wait_ack(self, seq):
        wait_for(lambda: self.xs_read(f"{HOME}/data/memtune/ack/seq") == str(seq),
                 what=f"ack of seq {seq}")
        return (self.xs_read(f"{HOME}/data/memtune/ack/result"),
                self.xs_read(f"{HOME}/data/memtune/ack/reason"))


class Interface(DaemonCase):
    def test_live_introspection_matches_the_repo_xml(self):
        live = self.busctl("call", BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Introspectable",
                           "Introspect", "--json=short").stdout
        live_xml = json.loads(live)["data"][0]
        with open(os.path.join(REPO, "agent/dbus/org.xenmemtune.MemTune1.xml")) as f:
            kept = f.read()
        self.assertEqual(interface_shape(live_xml, BUS_NAME), interface_shape(kept, BUS_NAME))

    def test_version_property(self):
        self.assertEqual(self.get_property("Version"), "u 1")

    def test_report_property_is_what_was_published(self):
        report = self.get_property("Report")
        seq = self.xs_read(f"{HOME}/data/memtune/seq")
        self.assertIn('"mem-available-kb" "600000"', report)
        self.assertIn(f'"seq" "{seq}"', report)


class Report(DaemonCase):
    def test_report_keys_and_values(self):
        keys = set(self.dom0.directory(f"{HOME}/data/memtune"))
        for key in ("version", "mem-total-kb", "mem-available-kb", "reclaimable-kb",
                    "swap-total-kb", "swap-used-kb", "swap-in-pps", "swap-out-pps",
                    "refault-pps", "psi-some-avg10", "psi-some-avg60", "psi-full-avg10",
                    "psi-full-avg60", "balloon-current-kb", "balloon-target-kb",
                    "target-reached", "floor-kb", "floor-reason", "seq"):
            self.assertIn(key, keys)
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/version"), "1")
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/mem-total-kb"), "1000000")
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/balloon-target-kb"), "1048576")
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/target-reached"), "1")

    def test_refresh_publishes_again(self):
        seq = int(self.xs_read(f"{HOME}/data/memtune/seq"))
        self.call("Refresh")
        wait_for(lambda: int(self.xs_read(f"{HOME}/data/memtune/seq")) > seq,
                 what="a publish after Refresh()")

    def test_a_change_is_published(self):
        seq = int(self.xs_read(f"{HOME}/data/memtune/seq"))
        time.sleep(0.2)
        self.call("Refresh")  # leaves the minimum interval's window open for a forced publish
        wait_for(lambda: int(self.xs_read(f"{HOME}/data/memtune/seq")) > seq, what="refresh")
        self.kernel_file("proc/meminfo", MEMINFO.replace("600000", "500000"))
        self.call("Refresh")
        wait_for(lambda: self.xs_read(f"{HOME}/data/memtune/mem-available-kb") == "500000",
                 what="the new MemAvailable")

    def test_deleted_report_is_published_again(self):
        """A restore gives the domain a fresh tree: the agent notices and re-publishes."""
        self.dom0.rm(f"{HOME}/data/memtune")
        wait_for(lambda: self.xs_read(f"{HOME}/data/memtune/seq"), what="report again")
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/version"), "1")


class Directives(DaemonCase):
    def test_swappiness_directive_applied_and_acknowledged(self):
        self.send_directive(1, swappiness=30)
        result, reason = self.wait_ack(1)
        self.assertEqual(result, "applied")
        self.assertEqual(self.read_kernel_file("proc/sys/vm/swappiness").strip(), "30")
        self.assertIn('"applied"', self.get_property("LastAck"))
        self.assertIn('"swappiness" "30"', self.get_property("Directive"))

    def test_reclaim_directive_writes_memory_reclaim(self):
        self.send_directive(1, reclaim_kb=4096)
        result, _ = self.wait_ack(1)
        self.assertEqual(result, "applied")
        self.assertEqual(self.read_kernel_file("sys/fs/cgroup/memory.reclaim"), "4096K")

    def test_out_of_range_refused_and_changes_nothing(self):
        self.send_directive(1, swappiness=250)
        result, reason = self.wait_ack(1)
        self.assertEqual(result, "refused")
        self.assertIn("swappiness", reason)
        self.assertEqual(self.read_kernel_file("proc/sys/vm/swappiness").strip(), "60")

    def test_expired_refused(self):
        self.send_directive(1, expires=int(time.time()) - 30, swappiness=30)
        result, reason = self.wait_ack(1)
        self.assertEqual(result, "refused")
        self.assertIn("expire", reason)
        self.assertEqual(self.read_kernel_file("proc/sys/vm/swappiness").strip(), "60")

    def test_replayed_seq_refused(self):
        self.send_directive(5, swappiness=30)
        self.assertEqual(self.wait_ack(5)[0], "applied")
        self.send_directive(3, swappiness=40)
        time.sleep(1.5)
        # Refused without moving ack/seq back: Dom0 numbers its next directive above it.
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/ack/seq"), "5")
        self.assertEqual(self.read_kernel_file("proc/sys/vm/swappiness").strip(), "30")
        self.send_directive(6, swappiness=40)
        self.assertEqual(self.wait_ack(6)[0], "applied")
        self.assertEqual(self.read_kernel_file("proc/sys/vm/swappiness").strip(), "40")

    def test_directive_forged_under_data_is_ignored(self):
        """The guest itself could write data/: nothing there is ever read as a directive."""
        for name, value in (("seq", "1"), ("expires", str(int(time.time()) + 600)),
                            ("swappiness", "10")):
            self.dom0.write(f"{HOME}/data/memtune/directive/{name}", value)
            self.dom0.write(f"{HOME}/data/memtune/{name}-directive", value)
        time.sleep(1.5)
        self.assertEqual(self.read_kernel_file("proc/sys/vm/swappiness").strip(), "60")
        self.assertIsNone(self.xs_read(f"{HOME}/data/memtune/ack/seq"))

    def test_restarted_agent_does_not_act_twice(self):
        self.send_directive(1, reclaim_kb=2048)
        self.wait_ack(1)
        self.kernel_file("sys/fs/cgroup/memory.reclaim", "")
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(10), 0)
        self.start_daemon()
        time.sleep(1.0)
        self.assertEqual(self.read_kernel_file("sys/fs/cgroup/memory.reclaim"), "")


class LocalCalls(DaemonCase):
    def test_reclaim_call(self):
        out = self.call("Reclaim", "t", 8192)
        self.assertTrue(out.startswith('ss "applied"'), out)
        self.assertEqual(self.read_kernel_file("sys/fs/cgroup/memory.reclaim"), "8192K")

    def test_reclaim_above_the_local_maximum_refused(self):
        out = self.call("Reclaim", "t", 1 << 30)
        self.assertTrue(out.startswith('ss "refused"'), out)
        self.assertEqual(self.read_kernel_file("sys/fs/cgroup/memory.reclaim"), "")

    def test_set_swap_mode(self):
        out = self.call("SetSwapMode", "s", "prefer-fast")
        self.assertTrue(out.startswith('ss "applied"'), out)
        self.assertEqual(self.get_property("SwapMode"), 's "prefer-fast"')

    def test_set_swap_mode_rejects_unknown_mode(self):
        r = self.busctl("call", BUS_NAME, BUS_PATH, BUS_NAME, "SetSwapMode", "s", "turbo",
                        check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.get_property("SwapMode"), 's "normal"')


class Robustness(DaemonCase):
    def test_reconnects_and_republishes_after_xenstored_restarts(self):
        self.server.proc.terminate()
        self.server.proc.wait()
        self.server.start()
        self.dom0.close()
        self.dom0 = self.server.client(0)
        self.assertIsNone(self.xs_read(f"{HOME}/data/memtune/seq"))
        wait_for(lambda: self.xs_read(f"{HOME}/data/memtune/seq"), timeout=15,
                 what="report after reconnect")
        # The new xenstored has none of the old keys: a reconnect writes every one, not only
        # those that changed.
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/version"), "1")
        self.assertEqual(self.xs_read(f"{HOME}/data/memtune/mem-total-kb"), "1000000")
        # and the directive watch is registered again
        self.send_directive(1, swappiness=20)
        self.assertEqual(self.wait_ack(1)[0], "applied")

    def test_publish_survives_conflicting_transactions(self):
        """xenstored answers EAGAIN to a commit that raced another writer: run it again."""
        def eagains():
            stats = dict(kv.split("=") for kv in self.dom0.control("fake-stats").split())
            return int(stats["eagain"])
        seq = int(self.xs_read(f"{HOME}/data/memtune/seq"))
        before = eagains()
        self.dom0.control("fake-eagain", "3")
        self.call("Refresh")
        wait_for(lambda: int(self.xs_read(f"{HOME}/data/memtune/seq")) > seq,
                 what="a publish after three EAGAIN commits")
        self.assertEqual(eagains() - before, 3)

    def test_sigterm_exits_cleanly(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(10), 0)


class Systemd(DaemonCase):
    def test_ready_and_watchdog_notifications(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(10)
        path = os.path.join(self.dir, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.2)
        self.start_daemon(env_extra={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
        seen = set()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not {"READY=1", "WATCHDOG=1"} <= seen:
            try:
                seen.update(sock.recv(4096).decode().split("\n"))
            except socket.timeout:
                pass
        sock.close()
        self.assertIn("READY=1", seen)
        self.assertIn("WATCHDOG=1", seen)


@unittest.skipUnless(os.geteuid() == 0, "needs root to call as another user (CI runs as root)")
class BusPolicy(DaemonCase):
    """The shipped policy file: anyone reads, only root acts."""

    def bus_config(self):
        policy = os.path.join(REPO, "agent/dbus/org.xenmemtune.MemTune1.conf")
        os.chmod(self.dir, 0o755)
        return f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={{socket}}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <include>{policy}</include>
</busconfig>
"""

    def as_nobody(self, *argv):
        os.chmod(self.bus_socket, 0o666)
        return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               "busctl", "--address=" + self.address, *argv],
                              capture_output=True, text=True, timeout=20)

    def test_anyone_reads_properties(self):
        r = self.as_nobody("get-property", BUS_NAME, BUS_PATH, BUS_NAME, "Version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "u 1")

    def test_only_root_acts(self):
        for method, sig, arg in (("Reclaim", "t", "1024"), ("SetSwapMode", "s", "normal"),
                                 ("Refresh", "", None)):
            argv = ["call", BUS_NAME, BUS_PATH, BUS_NAME, method] + ([sig, arg] if sig else [])
            r = self.as_nobody(*argv)
            self.assertNotEqual(r.returncode, 0, method)
            self.assertIn("denied", r.stderr.lower(), method)
        self.assertEqual(self.read_kernel_file("sys/fs/cgroup/memory.reclaim"), "")
        self.assertTrue(self.call("Reclaim", "t", 1024).startswith('ss "applied"'))
        self.assertEqual(self.read_kernel_file("sys/fs/cgroup/memory.reclaim"), "1024K")


if __name__ == "__main__":
    DAEMON = os.path.abspath(sys.argv.pop(1))
    REPO = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
