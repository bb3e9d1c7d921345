"""Start and stop fake-xenstored from a test, and run stock libxenstore tools against it."""

import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "fake_xenstored.py")
sys.path.insert(0, HERE)

from xsclient import XsClient  # noqa: E402


class FakeXenstored:
    """fake-xenstored in a temporary directory; domains are (domid, name, target_kb, static_max_kb)."""

    def __init__(self, domains=(), workdir=None):
        self.tmp = None if workdir else tempfile.TemporaryDirectory(prefix="fake-xs-")
        self.dir = workdir or self.tmp.name
        self.domains = list(domains)
        self.proc = None

    def start(self, timeout=10.0):
        ready = os.path.join(self.dir, "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        argv = [sys.executable, SERVER, "--dir", self.dir, "--ready-file", ready,
                "--log", os.path.join(self.dir, "server.log")]
        for domid, name, target, static_max in self.domains:
            argv += ["--domain", f"{domid}:{name}:{target}:{static_max}"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise RuntimeError(f"fake-xenstored exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("fake-xenstored did not become ready")
            time.sleep(0.02)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tmp:
            self.tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def socket(self, domid):
        name = "dom0.sock" if domid == 0 else f"domU-{domid}.sock"
        return os.path.join(self.dir, name)

    def client(self, domid=0):
        return XsClient(self.socket(domid))

    def env(self, domid=0):
        """Environment for a libxenstore program acting as domid."""
        env = dict(os.environ)
        env["XENSTORED_PATH"] = self.socket(domid)
        return env

    def tool(self, domid, *argv, check=True):
        """Run a stock xenstore-* binary as domid; returns CompletedProcess."""
        return subprocess.run(list(argv), env=self.env(domid), capture_output=True,
                              text=True, timeout=10, check=check)
