#!/usr/bin/env python3
"""Tests of fake-xenstored itself: the stock xenstore-utils binaries work against it,
and the permission, watch and transaction rules match xenstored's.

Run: python3 -m unittest -v tests/fake-xenstored/test_fake_xenstored.py
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import FakeXenstored  # noqa: E402
from xsclient import XsClientError  # noqa: E402

GUEST = 5
HOME = f"/local/domain/{GUEST}"
HAVE_TOOLS = all(shutil.which(t) for t in ("xenstore-read", "xenstore-write", "xenstore-ls",
                                             "xenstore-watch", "xenstore-chmod", "xenstore-rm"))


class ServerCase(unittest.TestCase):
    def setUp(self):
        self.server = FakeXenstored([(GUEST, "guest1", 262144, 524288),
                                     (7, "guest2", 131072, 131072)]).start()
        self.dom0 = self.server.client(0)
        self.guest = self.server.client(GUEST)

    def tearDown(self):
        self.dom0.close()
        self.guest.close()
        self.server.stop()

    def assertXsError(self, name, func, *args):
        with self.assertRaises(XsClientError) as ctx:
            func(*args)
        self.assertEqual(ctx.exception.name, name)


class Layout(ServerCase):
    def test_domain_laid_out_like_libxl(self):
        self.assertEqual(self.dom0.read(f"{HOME}/name"), "guest1")
        self.assertEqual(self.dom0.read(f"{HOME}/domid"), "5")
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), "262144")
        self.assertEqual(self.dom0.read(f"{HOME}/memory/static-max"), "524288")
        self.assertEqual(self.dom0.get_perms(HOME), ["n0", "r5"])
        self.assertEqual(self.dom0.get_perms(f"{HOME}/memory/target"), ["n0", "r5"])
        self.assertEqual(self.dom0.get_perms(f"{HOME}/data"), ["n5"])
        self.assertEqual(self.dom0.read("/local/domain/0/name"), "Domain-0")
        self.assertIn("5", self.dom0.directory("/local/domain"))
        self.assertIn("7", self.dom0.directory("/local/domain"))

    def test_get_domain_path(self):
        self.assertEqual(self.guest.get_domain_path(GUEST), HOME)
        self.assertEqual(self.dom0.get_domain_path(12), "/local/domain/12")

    def test_add_domain_at_run_time(self):
        self.dom0.control("fake-add-domain", "9", "late", "65536")
        self.assertEqual(self.dom0.read("/local/domain/9/name"), "late")
        with self.server.client(9) as late:
            late.write("data/x", "1")
            self.assertEqual(late.read("data/x"), "1")


class Permissions(ServerCase):
    def test_guest_reads_its_home_relative(self):
        self.assertEqual(self.guest.read("memory/target"), "262144")
        self.assertEqual(self.guest.read("name"), "guest1")

    def test_guest_cannot_write_memory_target(self):
        self.assertXsError("EACCES", self.guest.write, "memory/target", "1")
        self.assertEqual(self.dom0.read(f"{HOME}/memory/target"), "262144")

    def test_guest_cannot_create_memtune(self):
        self.assertXsError("EACCES", self.guest.write, "memtune/directive/seq", "1")
        self.assertXsError("EACCES", self.guest.mkdir, "memtune")
        self.assertXsError("ENOENT", self.dom0.read, f"{HOME}/memtune")

    def test_guest_cannot_write_dom0_owned_directive(self):
        self.dom0.mkdir(f"{HOME}/memtune/directive")
        self.dom0.set_perms(f"{HOME}/memtune", ["n0", f"r{GUEST}"])
        self.dom0.set_perms(f"{HOME}/memtune/directive", ["n0", f"r{GUEST}"])
        self.dom0.write(f"{HOME}/memtune/directive/seq", "4")
        self.assertEqual(self.guest.read("memtune/directive/seq"), "4")
        self.assertXsError("EACCES", self.guest.write, "memtune/directive/seq", "5")
        self.assertXsError("EACCES", self.guest.rm, "memtune/directive")
        self.assertXsError("EACCES", self.guest.set_perms, "memtune/directive", [f"n{GUEST}"])

    def test_guest_writes_data_and_owns_what_it_creates(self):
        self.guest.write("data/memtune/version", "1")
        self.assertEqual(self.dom0.read(f"{HOME}/data/memtune/version"), "1")
        self.assertEqual(self.dom0.get_perms(f"{HOME}/data/memtune/version"), [f"n{GUEST}"])

    def test_dom0_created_node_under_data_stays_guest_writable(self):
        # Why directives never live under data/: the guest owns data/ and
        # everything in it can be overwritten by the guest.
        self.dom0.write(f"{HOME}/data/memtune/directive/seq", "9")
        self.guest.write("data/memtune/directive/seq", "99")
        self.assertEqual(self.dom0.read(f"{HOME}/data/memtune/directive/seq"), "99")

    def test_guest_cannot_read_other_domains(self):
        self.assertXsError("EACCES", self.guest.read, "/local/domain/0/name")
        self.assertXsError("EACCES", self.guest.read, "/local/domain/7/name")
        self.assertXsError("EACCES", self.guest.write, "/local/domain/7/data/x", "1")

    def test_owner_cannot_give_node_away(self):
        self.guest.write("data/mine", "1")
        self.assertXsError("EACCES", self.guest.set_perms, "data/mine", ["n0"])
        self.guest.set_perms("data/mine", [f"n{GUEST}", "r0"])
        self.assertEqual(self.guest.get_perms("data/mine"), [f"n{GUEST}", "r0"])

    def test_errors(self):
        self.assertXsError("ENOENT", self.guest.read, "data/absent")
        self.assertXsError("ENOENT", self.dom0.rm, "/no/such/parent")
        self.assertXsError("EINVAL", self.dom0.read, "/bad path")
        self.assertXsError("EINVAL", self.dom0.read, "/trailing/")
        self.assertXsError("EINVAL", self.dom0.read, "/double//slash")
        self.assertXsError("E2BIG", self.dom0.read, "/" + "a" * 4000)
        self.assertXsError("EACCES", self.guest.control, "fake-stats")
        self.assertXsError("ENOSPC", self.guest.write, "data/huge", "x" * 3000)

    def test_rm_of_missing_child_is_ok(self):
        self.guest.rm("data/absent")

    def test_rm_removes_subtree(self):
        self.guest.write("data/memtune/ack/seq", "1")
        self.guest.rm("data/memtune")
        self.assertXsError("ENOENT", self.guest.read, "data/memtune/ack/seq")
        self.assertEqual(self.guest.directory("data"), [])


class Watches(ServerCase):
    def test_initial_fire_and_relative_paths(self):
        self.guest.watch("memory/target", "t1")
        self.assertEqual(self.guest.wait_event(), ("memory/target", "t1"))
        self.dom0.write(f"{HOME}/memory/target", "200000")
        self.assertEqual(self.guest.wait_event(), ("memory/target", "t1"))
        self.assertEqual(self.guest.read("memory/target"), "200000")

    def test_subtree_fan_out(self):
        self.dom0.watch(f"{HOME}/data/memtune", "report")
        self.assertEqual(self.dom0.wait_event(), (f"{HOME}/data/memtune", "report"))
        self.guest.write("data/memtune/ack/seq", "3")
        self.assertEqual(self.dom0.wait_event(), (f"{HOME}/data/memtune/ack/seq", "report"))
        self.guest.write("data/unrelated", "x")
        self.assertTrue(self.dom0.no_event())

    def test_rm_fires_watches_inside(self):
        self.guest.write("data/memtune/kmod/token", "a")
        self.dom0.watch(f"{HOME}/data/memtune/kmod/token", "tok")
        self.dom0.wait_event()
        self.guest.rm("data/memtune")
        self.assertEqual(self.dom0.wait_event(), (f"{HOME}/data/memtune/kmod/token", "tok"))

    def test_unreadable_change_not_told(self):
        self.guest.watch("/local/domain/7", "other")
        self.guest.wait_event()
        self.dom0.write("/local/domain/7/memory/target", "1000")
        self.assertTrue(self.guest.no_event())

    def test_unwatch(self):
        self.guest.watch("data", "d")
        self.guest.wait_event()
        self.guest.unwatch("data", "d")
        self.guest.write("data/x", "1")
        self.assertTrue(self.guest.no_event())
        self.assertXsError("ENOENT", self.guest.unwatch, "data", "d")


class Transactions(ServerCase):
    def test_commit_is_atomic_and_fires_after(self):
        self.dom0.watch(f"{HOME}/memtune", "m")
        self.dom0.wait_event()
        tx = self.dom0.transaction_start()
        self.dom0.write(f"{HOME}/memtune/directive/seq", "1", tx)
        self.dom0.write(f"{HOME}/memtune/directive/swap-mode", "avoid-disk", tx)
        self.assertXsError("ENOENT", self.guest.read, "memtune/directive/seq")
        self.assertEqual(self.dom0.read(f"{HOME}/memtune/directive/seq", tx), "1")
        self.assertTrue(self.dom0.no_event(0.1))
        self.dom0.transaction_end(tx, commit=True)
        self.assertEqual(self.dom0.read(f"{HOME}/memtune/directive/swap-mode"), "avoid-disk")
        events = {self.dom0.wait_event()[0], self.dom0.wait_event()[0]}
        self.assertEqual(events, {f"{HOME}/memtune/directive/seq",
                                  f"{HOME}/memtune/directive/swap-mode"})

    def test_abort_changes_nothing(self):
        tx = self.dom0.transaction_start()
        self.dom0.write(f"{HOME}/memtune/resize", "x", tx)
        self.dom0.transaction_end(tx, commit=False)
        self.assertXsError("ENOENT", self.dom0.read, f"{HOME}/memtune/resize")

    def test_conflict_gives_eagain(self):
        self.guest.write("data/memtune/seq", "1")
        tx = self.guest.transaction_start()
        self.assertEqual(self.guest.read("data/memtune/seq", tx), "1")
        self.dom0.write(f"{HOME}/data/memtune/seq", "2")
        self.guest.write("data/memtune/seq", "3", tx)
        self.assertXsError("EAGAIN", self.guest.transaction_end, tx, True)
        self.assertEqual(self.guest.read("data/memtune/seq"), "2")

    def test_unrelated_change_commits(self):
        tx = self.guest.transaction_start()
        self.guest.write("data/memtune/seq", "3", tx)
        self.dom0.write(f"{HOME}/memory/target", "1")
        self.guest.transaction_end(tx, True)
        self.assertEqual(self.guest.read("data/memtune/seq"), "3")

    def test_forced_eagain_hook(self):
        self.dom0.control("fake-eagain", "2")
        for _ in range(2):
            tx = self.dom0.transaction_start()
            self.dom0.write(f"{HOME}/memtune/resize", "t", tx)
            self.assertXsError("EAGAIN", self.dom0.transaction_end, tx, True)
        tx = self.dom0.transaction_start()
        self.dom0.write(f"{HOME}/memtune/resize", "t", tx)
        self.dom0.transaction_end(tx, True)
        self.assertEqual(self.dom0.read(f"{HOME}/memtune/resize"), "t")
        self.assertIn("eagain=2", self.dom0.control("fake-stats"))

    def test_permissions_hold_inside_transaction(self):
        tx = self.guest.transaction_start()
        self.assertXsError("EACCES", self.guest.write, "memory/target", "1", tx)
        self.guest.write("data/ok", "1", tx)
        self.guest.transaction_end(tx, True)
        self.assertEqual(self.dom0.get_perms(f"{HOME}/data/ok"), [f"n{GUEST}"])


@unittest.skipUnless(HAVE_TOOLS, "xenstore-utils not installed (scripts/deps/agent.txt has it)")
class StockTools(ServerCase):
    def test_write_read_ls_chmod_rm(self):
        self.server.tool(0, "xenstore-write", f"{HOME}/memtune/resize", "abc")
        self.server.tool(0, "xenstore-chmod", f"{HOME}/memtune", "n0", f"r{GUEST}")
        out = self.server.tool(GUEST, "xenstore-read", "memtune/resize").stdout
        self.assertEqual(out.strip(), "abc")
        listing = self.server.tool(0, "xenstore-ls", "-p", HOME).stdout
        self.assertRegex(listing, r'target = "262144".*\(n0,r5\)')
        self.assertRegex(listing, r'memtune = "".*\(n0,r5\)')
        denied = self.server.tool(GUEST, "xenstore-write", "memory/target", "1", check=False)
        self.assertNotEqual(denied.returncode, 0)
        self.server.tool(GUEST, "xenstore-write", "data/memtune/version", "1")
        self.server.tool(GUEST, "xenstore-rm", "data/memtune")
        missing = self.server.tool(0, "xenstore-read", f"{HOME}/data/memtune/version", check=False)
        self.assertNotEqual(missing.returncode, 0)

    def test_watch_initial_and_changes(self):
        watcher = subprocess.Popen(["xenstore-watch", "-n", "3", f"{HOME}/data"],
                                   env=self.server.env(0), stdout=subprocess.PIPE, text=True)
        try:
            first = watcher.stdout.readline().strip()
            self.assertEqual(first, f"{HOME}/data")
            self.server.tool(GUEST, "xenstore-write", "data/memtune/seq", "1")
            self.assertEqual(watcher.stdout.readline().strip(), f"{HOME}/data/memtune/seq")
            self.server.tool(GUEST, "xenstore-rm", "data/memtune")
            self.assertEqual(watcher.stdout.readline().strip(), f"{HOME}/data/memtune")
            self.assertEqual(watcher.wait(5), 0)
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait()
            watcher.stdout.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
