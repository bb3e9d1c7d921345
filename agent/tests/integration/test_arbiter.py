#!/usr/bin/env python3
"""xen-memtune-arbiter as Dom0 against fake-xenstored, with its /sys and /proc in a temporary
directory and Xen's memory in a JSON file (--fake-xen): three scripted guests as in the rig
(a rogue, a neighbour, an idle donor), blkback and disk counters that the test moves. In act
mode the rogue is detected on Dom0's counters, gets prefer-fast then avoid-disk (answered),
more memory within its static-max, and `memtunectl arbiter status|explain` say so; a guest
writing garbage is counted and changes nothing; in observe mode nothing is written."""

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from common import (FakeXenstored, ScriptedGuest, memtunectl, read_or_none, stop_process,
                    wait_for)

ARBITER = os.environ.get("XEN_MEMTUNE_ARBITER", "")
MIB = 1024
ROGUE, NEIGHBOUR, DONOR = 1, 2, 3
DOMAINS = [(ROGUE, "rogue", 256 * MIB, 1024 * MIB),
           (NEIGHBOUR, "neighbour", 512 * MIB, 1024 * MIB),
           (DONOR, "donor", 1024 * MIB, 1024 * MIB)]


def report(total_kb, available_kb, floor_kb, swap_used_kb=0, swap_out=0, swap_in=0):
    """Every key of a protocol-1 report (docs/protocol.md), as a guest agent writes them."""
    return {"version": "1", "mem-total-kb": str(total_kb), "mem-available-kb": str(available_kb),
            "reclaimable-kb": "0", "swap-total-kb": str(1024 * MIB),
            "swap-used-kb": str(swap_used_kb), "swap-in-pps": str(swap_in),
            "swap-out-pps": str(swap_out), "refault-pps": "0",
            "psi-some-avg10": "0.00", "psi-some-avg60": "0.00", "psi-full-avg10": "0.00",
            "psi-full-avg60": "0.00", "balloon-current-kb": "", "balloon-target-kb": "",
            "target-reached": "", "floor-kb": str(floor_kb), "floor-reason": "test"}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def start_rig_guests(case, server):
    """The rig's three guests, scripted, each stopped by case's cleanup: the rogue reports
    heavy swapping, the others none. Returns {domid: ScriptedGuest}."""
    guests = {}
    for domid, _, target, _ in DOMAINS:
        swapping = domid == ROGUE
        guest = ScriptedGuest(server, report(target - 20 * MIB, target // 2, target // 4,
                                             300 * MIB if swapping else 0,
                                             2500 if swapping else 0,
                                             1500 if swapping else 0),
                              follow_target=False, domid=domid)
        guest.start()
        case.addCleanup(guest.stop)
        guests[domid] = guest
    return guests


class Dom0Counters(threading.Thread):
    """Moves blkback's and vda's counters every 0.25 s: with `rogue` set, the rogue writes
    80 requests/s and the disk shows the rig's harm (500 ms await, 88 % busy)."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.rogue = False
        self.stopping = False
        self.vbd = {d[0]: {"rd_req": 0, "wr_req": 0, "rd_sect": 0, "wr_sect": 0, "oo_req": 0}
                    for d in DOMAINS}
        self.disk = [0] * 11
        write(os.path.join(root, "sys/block/vda/device/.keep"), "")
        write(os.path.join(root, "sys/block/loop0/stat"), " ".join(["0"] * 11) + "\n")
        self.flush()

    def flush(self):
        for domid, counters in self.vbd.items():
            for name, value in counters.items():
                write(os.path.join(self.root, f"sys/bus/xen-backend/devices/vbd-{domid}-51712"
                                   f"/statistics/{name}"), f"{value}\n")
        write(os.path.join(self.root, "sys/block/vda/stat"),
              " ".join(str(v) for v in self.disk) + "\n")

    def run(self):
        while not self.stopping:
            self.vbd[NEIGHBOUR]["rd_req"] += 5
            self.vbd[NEIGHBOUR]["rd_sect"] += 40
            ios = 5
            if self.rogue:
                self.vbd[ROGUE]["wr_req"] += 20
                self.vbd[ROGUE]["wr_sect"] += 1600
                ios += 20
            self.disk[0] += 5
            self.disk[3] += 5 * (100 if self.rogue else 4)
            self.disk[4] += ios - 5
            self.disk[7] += (ios - 5) * (500 if self.rogue else 4)
            self.disk[9] += 220 if self.rogue else 30
            self.flush()
            time.sleep(0.25)

    def stop(self):
        self.stopping = True
        self.join(5)


@unittest.skipUnless(ARBITER and os.path.exists(ARBITER),
                     "XEN_MEMTUNE_ARBITER not set: CMake sets it when the daemon target exists")
class ArbiterCase(unittest.TestCase):
    mode = "act"

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="memtune-arbiter-")
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name
        write(os.path.join(self.root, "proc/pressure/memory"),
              "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
              "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
        self.xen = os.path.join(self.root, "xen.json")
        self.set_xen({d[0]: d[2] for d in DOMAINS})
        self.config = os.path.join(self.root, "arbiter.conf")
        write(self.config, f"[arbiter]\nmode = {self.mode}\ninterval_s = 1\nwindow_s = 3\n"
              "[detect]\nenter = 2\nclear = 4\n"
              "[remedy]\nhold_s = 3\ndirective_lifetime_s = 20\nack_timeout_s = 5\n"
              # Not the default 127.0.0.1:9868: tests run side by side (test_metrics.py
              # covers /metrics on a free port).
              "[metrics]\nlisten = off\n")
        self.status = os.path.join(self.root, "run/arbiter.json")
        self.server = FakeXenstored(DOMAINS).start()
        self.addCleanup(self.server.stop)
        self.dom0 = self.server.client(0)
        self.addCleanup(self.dom0.close)
        self.guests = start_rig_guests(self, self.server)
        self.counters = Dom0Counters(self.root)
        self.counters.start()
        self.addCleanup(self.counters.stop)
        self.log = open(os.path.join(self.root, "arbiter.log"), "w+")
        self.addCleanup(self.show_log)
        self.arbiter = subprocess.Popen(
            [ARBITER, "--config", self.config, "--proc-root", os.path.join(self.root, "proc"),
             "--sys-root", os.path.join(self.root, "sys"), "--fake-xen", self.xen,
             "--status-file", self.status,
             "--kill-switch", os.path.join(self.root, "off"), "--log", "stderr"],
            env=self.server.env(0), stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(stop_process, self.arbiter)
        wait_for(lambda: os.path.exists(self.status), 15, "the arbiter's first status")

    def set_xen(self, current):
        total = 4096 * MIB
        used = 512 * MIB + sum(current.values())
        data = {"total_kb": total, "free_kb": total - used,
                "domains": [{"domid": 0, "name": "Domain-0", "current_kb": 512 * MIB}] +
                           [{"domid": d, "name": n, "current_kb": current[d]}
                            for d, n, _, _ in DOMAINS]}
        write(self.xen + ".tmp", json.dumps(data))
        os.rename(self.xen + ".tmp", self.xen)

    def show_log(self):
        self.log.seek(0)
        text = self.log.read()
        if os.environ.get("MEMTUNE_TEST_VERBOSE"):
            print(text)
        self.log.close()

    def read_status(self):
        with open(self.status) as f:
            return json.load(f)

    def domain_status(self, domid):
        return next(d for d in self.read_status()["domains"] if d["domid"] == domid)

    def ctl(self, *argv):
        return memtunectl(self.server, 0, "arbiter", "--status-file", self.status, *argv)

    def directive(self, domid):
        base = f"/local/domain/{domid}/memtune/directive"
        return {key: read_or_none(self.dom0, f"{base}/{key}")
                for key in ("seq", "expires", "swap-mode", "reclaim-kb")}


class Act(ArbiterCase):
    def test_rogue_is_detected_steered_and_explained(self):
        time.sleep(3)  # a healthy baseline
        self.assertIsNone(self.read_status()["rogue"])
        self.counters.rogue = True
        started = time.time()
        first = wait_for(lambda: self.directive(ROGUE) if self.directive(ROGUE)["seq"] else None,
                         20, "the rogue's first directive")
        self.assertEqual(first["swap-mode"], "prefer-fast")
        self.assertGreater(int(first["expires"]), started)
        self.assertLessEqual(int(first["expires"]), time.time() + 21)
        # Only Dom0 may write it: owner dom0, the guest reads.
        self.assertEqual(self.dom0.get_perms(f"/local/domain/{ROGUE}/memtune/directive"),
                         ["n0", f"r{ROGUE}"])
        # Still dominant after hold_s: avoid-disk, answered.
        wait_for(lambda: self.directive(ROGUE)["swap-mode"] == "avoid-disk", 20,
                 "avoid-disk after the hold")
        wait_for(lambda: read_or_none(self.dom0, f"/local/domain/{ROGUE}/data/memtune/ack/seq")
                 == self.directive(ROGUE)["seq"], 10, "the guest's answer")
        # More memory, from host free above the reserve, within static-max.
        target = int(self.dom0.read(f"/local/domain/{ROGUE}/memory/target"))
        self.assertGreater(target, 256 * MIB)
        self.assertLessEqual(target, 1024 * MIB)
        # The neighbours get no directive.
        self.assertIsNone(self.directive(NEIGHBOUR)["seq"])

        status = self.read_status()
        self.assertEqual(status["rogue"], ROGUE)
        self.assertTrue(status["host"]["harmed"])
        out = self.ctl("status")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"rogue +1 +rogue +avoid-disk")
        out = self.ctl("explain", "rogue")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("detected: rogue swapper", out.stdout)
        self.assertIn("avoid-disk", out.stdout)
        self.assertIn("share=", out.stdout)
        self.assertEqual(self.ctl("explain", "nosuch").returncode, 3)
        self.log.seek(0)
        self.assertIn("rogue (domid 1): detected", self.log.read())

    def test_garbage_report_is_counted_and_changes_nothing(self):
        guest = self.guests[DONOR]
        guest.publish(mem_total_kb="-1", version="7")
        wait_for(lambda: self.domain_status(DONOR)["bad_reports"] > 0, 10,
                 "the garbage report counted")
        self.assertIn("version", self.domain_status(DONOR)["report"])
        time.sleep(2)
        self.assertEqual(self.arbiter.poll(), None, "still running")
        self.assertIsNone(self.directive(DONOR)["seq"])
        self.assertEqual(self.dom0.read(f"/local/domain/{DONOR}/memory/target"), str(1024 * MIB))

    def test_opt_out_flag_keeps_the_rogue_untouched(self):
        self.dom0.mkdir(f"/local/domain/{ROGUE}/memtune")
        self.dom0.write(f"/local/domain/{ROGUE}/memtune/arbiter-opt-out", "1")
        self.counters.rogue = True
        wait_for(lambda: self.read_status()["rogue"] == ROGUE, 20, "detection")
        time.sleep(2)
        self.assertIsNone(self.directive(ROGUE)["seq"])
        self.assertEqual(self.dom0.read(f"/local/domain/{ROGUE}/memory/target"), str(256 * MIB))
        self.assertIn("opted out", self.ctl("explain", "1").stdout)


class Observe(ArbiterCase):
    mode = "observe"

    def test_observe_mode_changes_nothing(self):
        self.counters.rogue = True
        wait_for(lambda: self.read_status()["rogue"] == ROGUE, 20, "detection")
        time.sleep(5)  # past hold_s: it would have escalated
        for domid, _, target, _ in DOMAINS:
            self.assertIsNone(self.directive(domid)["seq"])
            self.assertEqual(self.dom0.read(f"/local/domain/{domid}/memory/target"), str(target))
        self.log.seek(0)
        self.assertIn("would: directive 1 swap-mode prefer-fast", self.log.read())

    def test_sighup_to_act_mode_steers(self):
        self.counters.rogue = True
        wait_for(lambda: self.read_status()["rogue"] == ROGUE, 20, "detection")
        with open(self.config) as f:
            text = f.read()
        write(self.config, text.replace("mode = observe", "mode = act"))
        self.arbiter.send_signal(signal.SIGHUP)
        wait_for(lambda: self.read_status()["effective_mode"] == "act", 10, "the reload")
        # The ladder goes on from where observe mode left it, now written for real.
        wait_for(lambda: self.directive(ROGUE)["seq"], 20, "a directive after the reload")
        self.assertIn(self.directive(ROGUE)["swap-mode"], ("prefer-fast", "avoid-disk"))


class KillSwitch(ArbiterCase):
    def test_kill_switch_file_stops_every_action(self):
        write(os.path.join(self.root, "off"), "")
        self.counters.rogue = True
        wait_for(lambda: self.read_status()["rogue"] == ROGUE, 20, "detection")
        time.sleep(2)
        self.assertEqual(self.read_status()["effective_mode"], "observe")
        self.assertIsNone(self.directive(ROGUE)["seq"])


if __name__ == "__main__":
    unittest.main()
