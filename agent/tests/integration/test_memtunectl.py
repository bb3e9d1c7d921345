#!/usr/bin/env python3
"""memtunectl against fake-xenstored: Dom0 commands through the dom0 socket, guest commands
through the guest's socket, with a scripted guest (common.ScriptedGuest) answering as the agent
and the module would. The real agent is exercised in test_agent.py."""

import json
import os
import tempfile
import time
import unittest

from common import (FAKE_XL, GUEST, HOME, FakeXenstored, ScriptedGuest, memtunectl,
                    read_or_none, wait_for)

REPORT = {
    "version": "1",
    "mem-total-kb": "1003412",
    "mem-available-kb": "712304",
    "reclaimable-kb": "401220",
    "swap-total-kb": "1048572",
    "swap-used-kb": "51200",
    "swap-in-pps": "0",
    "swap-out-pps": "12",
    "refault-pps": "3",
    "psi-some-avg10": "0.50",
    "psi-some-avg60": "0.12",
    "psi-full-avg10": "0.00",
    "psi-full-avg60": "0.00",
    "balloon-current-kb": "1048576",
    "balloon-target-kb": "1048576",
    "target-reached": "1",
    "floor-kb": "417792",
    "floor-reason": "in use 280 MiB + margin 64 MiB + kernel 64 MiB",
}


class MemtunectlCase(unittest.TestCase):
    answer = None

    def setUp(self):
        self.server = FakeXenstored([(GUEST, "guest1", 1048576, 2097152),
                                     (7, "quiet", 524288, 524288)]).start()
        self.dom0 = self.server.client(0)
        self.guest = ScriptedGuest(self.server, REPORT, answer=type(self).answer)
        self.guest.start()

    def tearDown(self):
        self.guest.stop()
        self.dom0.close()
        self.server.stop()

    def run_ctl(self, *argv, domid=0, env=None):
        return memtunectl(self.server, domid, *argv, env=env)


class Domains(MemtunectlCase):
    def test_table_lists_reporting_guests_only(self):
        out = self.run_ctl("domains", "--interval", "0")
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertRegex(lines[0], r"^NAME\s+ID\s+TARGET\s+BALLOON\s+AVAIL\s+SWAP")
        self.assertEqual(len(lines), 2, out.stdout)
        self.assertRegex(lines[1], r"^guest1\s+5\s+1024 MiB\s+1024 MiB\s+695 MiB\s+50 MiB\s+"
                                   r"0\.50/0\.00\s+408 MiB\s+-\s+1$")

    def test_json_and_cpu_over_interval(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = {"FAKE_XL_STATE": os.path.join(tmp, "n")}
            out = self.run_ctl("--xl", FAKE_XL, "domains", "--json", "--interval", "0.2",
                               env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        domains = json.loads(out.stdout)
        self.assertEqual([d["name"] for d in domains], ["guest1"])
        guest = domains[0]
        self.assertEqual(guest["domid"], 5)
        self.assertEqual(guest["target_kb"], 1048576)
        self.assertEqual(guest["mem_available_kb"], 712304)
        self.assertEqual(guest["floor_kb"], 417792)
        self.assertEqual(guest["psi_some_avg10"], 0.5)
        self.assertTrue(guest["target_reached"])
        # fake xl adds 2 s of CPU per call: 2 s over ~0.2 s is far above 100 %.
        self.assertGreater(guest["cpu_percent"], 100)

    def test_hostile_report_values_are_not_trusted(self):
        self.guest.publish(**{"mem_available_kb": "-5", "floor_kb": "99999999999999999999999",
                              "floor_reason": "x\x1b[31mred", "psi_some_avg10": "NaN"})
        out = self.run_ctl("domains", "--json", "--interval", "0")
        self.assertEqual(out.returncode, 0, out.stderr)
        guest = json.loads(out.stdout)[0]
        self.assertIsNone(guest["mem_available_kb"])
        self.assertIsNone(guest["floor_kb"])
        self.assertIsNone(guest["psi_some_avg10"])
        self.assertNotIn("\x1b", guest["floor_reason"])
        table = self.run_ctl("domains", "--interval", "0")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertNotIn("\x1b", table.stdout)

    def test_missing_xl_is_said_not_fatal(self):
        out = self.run_ctl("--xl", "/nonexistent/xl", "domains", "--interval", "0.1")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("no CPU column", out.stderr)
        self.assertIn("guest1", out.stdout)


class Directive(MemtunectlCase):
    def test_applied_with_dom0_owned_nodes(self):
        out = self.run_ctl("directive", "guest1", "--swap-mode", "avoid-disk",
                           "--reclaim", "128M", "--swappiness", "30")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "guest1 (domid 5): directive 1 applied")
        self.assertEqual(self.dom0.get_perms(f"{HOME}/memtune"), ["n0", "r5"])
        self.assertEqual(self.dom0.get_perms(f"{HOME}/memtune/directive"), ["n0", "r5"])
        self.assertEqual(self.dom0.get_perms(f"{HOME}/memtune/directive/seq"), ["n0", "r5"])
        seq, values = self.guest.directives[-1]
        self.assertEqual(seq, 1)
        self.assertEqual(values["swap-mode"], "avoid-disk")
        self.assertEqual(values["reclaim-kb"], "131072")
        self.assertEqual(values["swappiness"], "30")
        expires = int(values["expires"])
        self.assertAlmostEqual(expires, time.time() + 60, delta=5)

    def test_new_seq_and_whole_directive_replaced(self):
        self.assertEqual(self.run_ctl("directive", "5", "--reclaim", "1G").returncode, 0)
        out = self.run_ctl("directive", "5", "--swap-mode", "normal")
        self.assertEqual(out.returncode, 0, out.stderr)
        seq, values = self.guest.directives[-1]
        self.assertEqual(seq, 2)
        self.assertNotIn("reclaim-kb", values)
        self.assertEqual(values["swap-mode"], "normal")

    def test_seq_follows_the_guests_last_answer(self):
        # The guest answered seq 41 for a directive Dom0 no longer has (Dom0 rebooted).
        self.guest.write("data/memtune/ack/seq", "41")
        out = self.run_ctl("directive", "guest1", "--swappiness", "10")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("directive 42 applied", out.stdout)

    def test_transaction_retried_on_eagain(self):
        self.dom0.control("fake-eagain", "3")
        out = self.run_ctl("directive", "guest1", "--swap-mode", "prefer-fast")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("eagain=3", self.dom0.control("fake-stats"))
        self.assertEqual(self.dom0.read(f"{HOME}/memtune/directive/swap-mode"), "prefer-fast")

    def test_timeout_when_guest_is_silent(self):
        self.guest.answer = lambda seq, values: (None, None)
        start = time.monotonic()
        out = self.run_ctl("directive", "guest1", "--swappiness", "10", "--timeout", "1")
        self.assertEqual(out.returncode, 4)
        self.assertLess(time.monotonic() - start, 10)
        self.assertIn("no answer from guest1 (domid 5) to directive 1 within 1 s", out.stderr)

    def test_usage_errors(self):
        cases = [
            (["directive", "guest1"], 2, "at least one of"),
            (["directive", "guest1", "--swap-mode", "fast"], 2, "fast"),
            (["directive", "guest1", "--reclaim", "1.5G"], 2, "512M"),
            (["directive", "guest1", "--reclaim", "-1G"], 2, "512M"),
            (["directive", "guest1", "--swappiness", "201"], 2, ""),
            (["directive", "nobody", "--swappiness", "1"], 3, "no domain"),
            (["directive", "99", "--swappiness", "1"], 3, "no domain"),
            (["frobnicate"], 2, ""),
        ]
        for argv, status, words in cases:
            with self.subTest(argv=argv):
                out = self.run_ctl(*argv)
                self.assertEqual(out.returncode, status, out.stderr)
                self.assertIn(words, out.stderr)
        self.assertIsNone(read_or_none(self.dom0, f"{HOME}/memtune/directive/seq"))


class RefusingGuest(MemtunectlCase):
    answer = staticmethod(lambda seq, values: (
        "refused", "swapoff xvdb refused: 310 MiB in use, 220 MiB available"))

    def test_refused_directive_exit_5_with_reason(self):
        out = self.run_ctl("directive", "guest1", "--swap-mode", "avoid-disk")
        self.assertEqual(out.returncode, 5)
        self.assertEqual(out.stdout.strip(), "guest1 (domid 5): directive 1 refused: swapoff "
                                             "xvdb refused: 310 MiB in use, 220 MiB available")

    def test_shrink_stops_when_reclaim_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "xl.log")
            out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--timeout", "20",
                               env={"FAKE_XL_LOG": log})
            self.assertEqual(out.returncode, 5)
            self.assertIn("refused to reclaim", out.stderr)
            self.assertFalse(os.path.exists(log), "xl must not run")
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), "1048576")


class RefusingGuestJson(MemtunectlCase):
    answer = staticmethod(lambda seq, values: ("refused", "reclaim-kb above the local maximum"))

    def test_refused_directive_json(self):
        out = self.run_ctl("directive", "guest1", "--reclaim", "2G", "--json")
        self.assertEqual(out.returncode, 5)
        self.assertEqual(json.loads(out.stdout),
                         {"name": "guest1", "domid": 5, "seq": 1, "result": "refused",
                          "reason": "reclaim-kb above the local maximum"})

    def test_shrink_json_stops_at_the_refused_reclaim(self):
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--json",
                           "--timeout", "20")
        self.assertEqual(out.returncode, 5)
        shrink = json.loads(out.stdout)
        self.assertEqual(shrink["result"], "refused")
        self.assertEqual([s["step"] for s in shrink["steps"]], ["reclaim"])
        self.assertEqual(shrink["steps"][0]["result"], "refused")
        self.assertEqual(shrink["steps"][0]["reclaim_kb"], 256 * 1024)


# The --json schemas docs/memtunectl.8 promises: every key, its type, nothing else.
DIRECTIVE_KEYS = {"name": str, "domid": int, "seq": int, "result": str, "reason": str}
SHRINK_KEYS = {"name": str, "domid": int, "from_kb": int, "to_kb": int, "steps": list,
               "result": str, "elapsed_ms": int}
STEP_KEYS = {
    "reclaim": {"step": str, "reclaim_kb": int, "seq": int, "result": str, "reason": str,
                "elapsed_ms": int},
    "floor": {"step": str, "floor_kb": (int, type(None)), "floor_reason": str,
              "elapsed_ms": int},
    "mem-set": {"step": str, "elapsed_ms": int},
    "balloon": {"step": str, "elapsed_ms": int},
    "module": {"step": str, "applied_kb": (int, type(None)), "elapsed_ms": int},
}
DOMAIN_KEYS = {"name", "domid", "target_kb", "version", "mem_total_kb", "mem_available_kb",
               "reclaimable_kb", "swap_total_kb", "swap_used_kb", "swap_in_pps",
               "swap_out_pps", "refault_pps", "psi_some_avg10", "psi_some_avg60",
               "psi_full_avg10", "psi_full_avg60", "balloon_current_kb", "balloon_target_kb",
               "target_reached", "floor_kb", "floor_reason", "report_seq", "cpu_percent"}


class Json(MemtunectlCase):
    def assertSchema(self, value, schema):
        self.assertEqual(set(value), set(schema), value)
        for key, kind in schema.items():
            self.assertIsInstance(value[key], kind, key)
            self.assertNotIsInstance(value[key], bool, key)  # bool is an int to Python

    def test_directive(self):
        out = self.run_ctl("directive", "guest1", "--swappiness", "30", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        answer = json.loads(out.stdout)
        self.assertSchema(answer, DIRECTIVE_KEYS)
        self.assertEqual(answer, {"name": "guest1", "domid": 5, "seq": 1, "result": "applied",
                                  "reason": ""})

    def test_directive_timeout_prints_no_json(self):
        self.guest.answer = lambda seq, values: (None, None)
        out = self.run_ctl("directive", "guest1", "--swappiness", "10", "--timeout", "1",
                           "--json")
        self.assertEqual(out.returncode, 4)
        self.assertEqual(out.stdout, "")
        self.assertIn("no answer from guest1", out.stderr)

    def test_shrink_done(self):
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--json",
                           "--timeout", "20")
        self.assertEqual(out.returncode, 0, out.stderr + out.stdout)
        shrink = json.loads(out.stdout)
        self.assertSchema(shrink, SHRINK_KEYS)
        self.assertEqual([s["step"] for s in shrink["steps"]],
                         ["reclaim", "floor", "mem-set", "balloon", "module"])
        for step in shrink["steps"]:
            self.assertSchema(step, STEP_KEYS[step["step"]])
        self.assertEqual((shrink["name"], shrink["domid"], shrink["from_kb"], shrink["to_kb"],
                          shrink["result"]), ("guest1", 5, 1048576, 768 * 1024, "done"))
        steps = {s["step"]: s for s in shrink["steps"]}
        self.assertEqual((steps["reclaim"]["reclaim_kb"], steps["reclaim"]["result"]),
                         (256 * 1024, "applied"))
        self.assertEqual(steps["floor"]["floor_kb"], 417792)
        self.assertEqual(steps["floor"]["floor_reason"], REPORT["floor-reason"])
        self.assertEqual(steps["module"]["applied_kb"], 768 * 1024)
        self.assertGreaterEqual(shrink["elapsed_ms"],
                                sum(s["elapsed_ms"] for s in shrink["steps"]))

    def test_shrink_below_the_floor(self):
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "300M", "--reclaim", "0",
                           "--json")
        self.assertEqual(out.returncode, 5, out.stderr)
        shrink = json.loads(out.stdout)
        self.assertEqual(shrink["result"], "refused")
        self.assertEqual([s["step"] for s in shrink["steps"]], ["floor"])
        self.assertIn("below the floor", out.stderr)

    def test_shrink_toolstack_failure(self):
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--reclaim", "0",
                           "--json", env={"FAKE_XL_FAIL": "1"})
        self.assertEqual(out.returncode, 6)
        shrink = json.loads(out.stdout)
        self.assertEqual(shrink["result"], "toolstack-failed")
        self.assertEqual([s["step"] for s in shrink["steps"]], ["floor"])

    def test_domains_keys(self):
        out = self.run_ctl("domains", "--json", "--interval", "0")
        self.assertEqual(out.returncode, 0, out.stderr)
        domains = json.loads(out.stdout)
        self.assertEqual(len(domains), 1)
        self.assertEqual(set(domains[0]), DOMAIN_KEYS)

    def test_tunables(self):
        with tempfile.TemporaryDirectory() as sysfs:
            base = os.path.join(sysfs, "kernel", "xen_memtune", "tunables")
            values = {"min_free_kbytes": ("5743", "4096", "5743", "module"),
                      "tcp_mem": ("22131 29509 44262", "11065 14754 22131",
                                  "22131 29509 44262", "admin"),
                      "nf_conntrack_max": ("", "-1", "12x", "off")}
            for name, files in values.items():
                os.makedirs(os.path.join(base, name))
                for file, text in zip(("value", "boot_value", "computed", "owner"), files):
                    with open(os.path.join(base, name, file), "w") as f:
                        f.write(text + "\n")
            out = self.run_ctl("tunables", "--json", "--sysfs-root", sysfs, domid=GUEST)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout), {
            "min_free_kbytes": {"value": [5743], "boot_value": [4096], "computed": [5743],
                                "owner": "module"},
            "tcp_mem": {"value": [22131, 29509, 44262], "boot_value": [11065, 14754, 22131],
                        "computed": [22131, 29509, 44262], "owner": "admin"},
            "nf_conntrack_max": {"value": None, "boot_value": None, "computed": None,
                                 "owner": "off"},
        })


class Resize(MemtunectlCase):
    def test_token_echo_timed(self):
        out = self.run_ctl("resize", "guest1")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"^guest1 \(domid 5\): module recomputed in \d+ ms")
        token = self.dom0.read(f"{HOME}/memtune/resize")
        self.assertEqual(self.dom0.read(f"{HOME}/data/memtune/kmod/token"), token)
        self.assertEqual(self.dom0.get_perms(f"{HOME}/memtune/resize"), ["n0", "r5"])
        again = self.run_ctl("resize", "5")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertNotEqual(self.dom0.read(f"{HOME}/memtune/resize"), token)

    def test_no_module_times_out(self):
        self.guest.echo_resize = False
        out = self.run_ctl("resize", "guest1", "--timeout", "1")
        self.assertEqual(out.returncode, 4)
        self.assertIn("is the module loaded", out.stderr)


class Shrink(MemtunectlCase):
    def test_refused_below_floor_changes_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "xl.log")
            out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "300M",
                               env={"FAKE_XL_LOG": log})
            self.assertEqual(out.returncode, 5, out.stderr)
            self.assertIn("300 MiB is below the floor of guest1 (domid 5), 408 MiB "
                          "(in use 280 MiB + margin 64 MiB + kernel 64 MiB)", out.stderr)
            self.assertFalse(os.path.exists(log), "xl must not run")
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), "1048576")
        # The guest was asked to reclaim the difference first.
        self.assertEqual(self.guest.directives[-1][1]["reclaim-kb"], str(1048576 - 300 * 1024))

    def test_coordinated_shrink(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "xl.log")
            out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--timeout", "20",
                               env={"FAKE_XL_LOG": log})
            self.assertEqual(out.returncode, 0, out.stderr + out.stdout)
            with open(log) as f:
                self.assertEqual(f.read().split("\n")[0], f"mem-set {GUEST} {768 * 1024}k")
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), str(768 * 1024))
        self.assertEqual(self.guest.directives[-1][1]["reclaim-kb"], str(256 * 1024))
        for step in (r"reclaim 256 MiB: directive 1 applied in \d+",
                     r"floor 408 MiB: 768 MiB is above it",
                     r"xl mem-set: \d+", r"balloon at target: \d+",
                     r"module applied: \d+", r"now 768 MiB"):
            self.assertRegex(out.stdout, step)

    def test_guest_clock_behind_dom0_still_done(self):
        # Seen in the rig: a PV guest's clock 2 s behind Dom0's.  The module's answer names the
        # target it followed; its time stamp is the guest's and must not be compared.
        self.guest.clock_skew_s = -3600
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--reclaim", "0",
                           "--timeout", "20")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout, r"module applied: \d+")

    def test_stale_module_ack_is_not_done(self):
        # The module already answered this very target (an earlier shrink to the same size)
        # and nothing moves after the mem-set: memtunectl must wait and time out, not report
        # success on the old answer.
        self.guest.follow_target = False
        self.guest.write("data/memtune/kmod/state", "idle")
        self.guest.write("data/memtune/kmod/target-kb", str(768 * 1024))
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--reclaim", "0",
                           "--timeout", "2")
        self.assertEqual(out.returncode, 4, out.stdout + out.stderr)
        self.assertIn("did not reach 768 MiB", out.stderr)
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), str(768 * 1024))

    def test_stalled_balloon_said_not_waited_for(self):
        # Issue 12 item 5: the balloon stops at 900 MiB; the module applies for that size and
        # says "stalled" for this target.  memtunectl says so at once, naming both sizes.
        self.guest.stall_at_kb = 900 * 1024
        start = time.monotonic()
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--reclaim", "0",
                           "--timeout", "20")
        self.assertEqual(out.returncode, 4, out.stdout + out.stderr)
        self.assertLess(time.monotonic() - start, 15, "waited for the timeout")
        self.assertRegex(out.stderr, r"stalled at 900 MiB short of 768 MiB.*values for 900 MiB")
        self.assertNotIn("balloon at target", out.stdout)
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), str(768 * 1024))

    def test_xl_failure_reported(self):
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--timeout", "20", "--reclaim", "0",
                           env={"FAKE_XL_FAIL": "1"})
        self.assertEqual(out.returncode, 6)
        self.assertIn("memory_dynamic_max must be less", out.stderr)
        self.assertEqual(self.guest.directives, [])

    def test_not_a_shrink(self):
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "2G")
        self.assertEqual(out.returncode, 2)
        self.assertIn("to grow, use `xl mem-set 5 2097152k`", out.stderr)

    def test_no_floor_needs_force(self):
        self.guest.rm("data/memtune/floor-kb")
        out = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--timeout", "20", "--reclaim", "0")
        self.assertEqual(out.returncode, 5)
        self.assertIn("--force", out.stderr)
        forced = self.run_ctl("--xl", FAKE_XL, "shrink", "guest1", "768M", "--timeout", "20", "--reclaim", "0",
                              "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)


class GuestSide(MemtunectlCase):
    def test_status_json_from_the_guest(self):
        self.assertEqual(self.run_ctl("directive", "guest1", "--swappiness", "20").returncode, 0)
        out = self.run_ctl("status", "--json", domid=GUEST)
        self.assertEqual(out.returncode, 0, out.stderr)
        status = json.loads(out.stdout)
        self.assertEqual(status["report"]["mem-available-kb"], 712304)
        self.assertEqual(status["report"]["psi-some-avg10"], 0.5)
        self.assertEqual(status["directive"]["swappiness"], 20)
        self.assertEqual(status["ack"], {"seq": 1, "result": "applied", "reason": ""})

    def test_status_table(self):
        out = self.run_ctl("status", domid=GUEST)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"mem-available-kb\s+695 MiB \(712304 KiB\)")
        self.assertRegex(out.stdout, r"Directive from Dom0 \(memtune/directive\)\n  \(none\)")
        self.assertEqual(self.run_ctl("directive", "guest1", "--swappiness", "20").returncode, 0)
        out = self.run_ctl("status", domid=GUEST)
        self.assertRegex(out.stdout, r"expires\s+\d+ \(in \d+ s\)")
        self.assertRegex(out.stdout, r"swappiness\s+20\n")

    def test_status_without_agent(self):
        self.guest.rm("data/memtune")
        out = self.run_ctl("status", domid=GUEST)
        self.assertEqual(out.returncode, 1)
        self.assertIn("is xen-memtuned running", out.stderr)

    def test_tunables_and_local_resize(self):
        with tempfile.TemporaryDirectory() as sysfs:
            base = os.path.join(sysfs, "kernel", "xen_memtune")
            values = {"min_free_kbytes": ("5743", "4096", "5743", "module"),
                      "tcp_mem": ("22131 29509 44262", "11065 14754 22131",
                                  "22131 29509 44262", "admin")}
            for name, files in values.items():
                os.makedirs(os.path.join(base, "tunables", name))
                for file, text in zip(("value", "boot_value", "computed", "owner"), files):
                    with open(os.path.join(base, "tunables", name, file), "w") as f:
                        f.write(text + "\n")
            with open(os.path.join(base, "resize"), "w") as f:
                f.write("")
            with open(os.path.join(base, "state"), "w") as f:
                f.write("idle\n")

            out = self.run_ctl("tunables", "--sysfs-root", sysfs, domid=GUEST)
            self.assertEqual(out.returncode, 0, out.stderr)
            lines = out.stdout.splitlines()
            self.assertRegex(lines[0], r"^TUNABLE\s+VALUE\s+BOOT\s+COMPUTED\s+OWNER$")
            self.assertRegex(lines[1], r"^min_free_kbytes\s+5743\s+4096\s+5743\s+module$")
            self.assertRegex(lines[2], r"^tcp_mem\s+22131 29509 44262\s+11065 14754 22131")
            as_json = json.loads(self.run_ctl("tunables", "--json", "--sysfs-root", sysfs).stdout)
            self.assertEqual(as_json["tcp_mem"]["owner"], "admin")

            out = self.run_ctl("resize", "--sysfs-root", sysfs, domid=GUEST)
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(os.path.join(base, "resize")) as f:
                self.assertEqual(f.read(), "1")
            self.assertIn("state: idle", out.stdout)

        missing = self.run_ctl("tunables", "--sysfs-root", "/nonexistent", domid=GUEST)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("modprobe xen_memtune", missing.stderr)

    def test_guest_cannot_steer_itself(self):
        # The guest's own socket may not create memtune/ (owner dom0).
        out = self.run_ctl("directive", "guest1", "--swappiness", "1", domid=GUEST)
        self.assertNotEqual(out.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
