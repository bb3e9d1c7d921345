"""Shared pieces of the integration tests: paths from the environment (set by CMake), running
memtunectl as a domain, and a scripted guest that plays the agent and the module from the
guest's own xenstore socket. What the D-Bus tests need too is in ../pylib/memtune_testing.py
and re-exported here."""

import os
import subprocess
import threading
import time

from memtune_testing import (GUEST, HOME, FakeXenstored, XsClient,  # noqa: F401
                             XsClientError, read_or_none, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
MEMTUNECTL = os.environ.get("MEMTUNECTL", "memtunectl")
XEN_MEMTUNED = os.environ.get("XEN_MEMTUNED", "")
FAKE_XL = os.path.join(HERE, "fake_xl")

def stop_process(process):
    """Stops a daemon a test started: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def memtunectl(server, domid, *argv, env=None, timeout=60):
    """Runs memtunectl connected as domid; returns CompletedProcess (text)."""
    full_env = server.env(domid)
    full_env.update(env or {})
    return subprocess.run([MEMTUNECTL, *argv], env=full_env, capture_output=True, text=True,
                          timeout=timeout, check=False)


class ScriptedGuest(threading.Thread):
    """Plays xen-memtuned and xen_memtune.ko inside the guest, through the guest's socket, so
    memtunectl's side can be tested on its own (the real agent has its own tests).

    answer(seq, directive_values) -> (result, reason) decides each directive's ack;
    echo_resize makes the "module" echo memtune/resize into data/memtune/kmod/token;
    follow_target makes the "balloon and module" follow memory/target;
    clock_skew_s is how far the guest's clock (the module's applied-at) is from the host's;
    stall_at_kb makes the "balloon" stop there short of the target, and the "module" say
    state "stalled" with applied-kb at that size;
    domid is the domain it plays (the arbiter's tests run several).
    """

    def __init__(self, server, report, answer=None, echo_resize=True, follow_target=True,
                 domid=GUEST):
        super().__init__(daemon=True)
        # Two connections: events arrive only on `events`, so a request made from the test's
        # thread (through `client`, under `lock`) never meets a watch event or another reply.
        self.client = server.client(domid)
        self.events = server.client(domid)
        self.lock = threading.Lock()
        self.report = dict(report)
        self.answer = answer or (lambda seq, values: ("applied", ""))
        self.echo_resize = echo_resize
        self.follow_target = follow_target
        self.clock_skew_s = 0
        self.stall_at_kb = None
        self.directives = []   # (seq, values) seen
        self.stopping = False
        self.report_seq = 0
        self.publish()
        self.events.watch("memtune/directive", "directive")
        self.events.watch("memtune/resize", "resize")
        self.events.watch("memory/target", "target")

    def publish(self, **changes):
        with self.lock:
            self.publish_locked(**changes)

    def publish_locked(self, **changes):
        self.report.update({k.replace("_", "-"): str(v) for k, v in changes.items()})
        self.report_seq += 1
        tx = self.client.transaction_start()
        for key, value in self.report.items():
            self.client.write(f"data/memtune/{key}", value, tx)
        self.client.write("data/memtune/seq", str(self.report_seq), tx)
        self.client.transaction_end(tx)

    def write(self, path, value):
        with self.lock:
            self.client.write(path, value)

    def rm(self, path):
        with self.lock:
            self.client.rm(path)
            self.report.pop(path.rsplit("/", 1)[-1], None)

    def run(self):
        answered = 0
        target_events = 0
        while not self.stopping:
            try:
                _, token = self.events.wait_event(0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                if token == "directive":
                    answered = self.answer_directive(answered)
                elif token == "resize" and self.echo_resize:
                    self.echo_token()
                elif token == "target":
                    # The first event is the watch's initial fire, not a mem-set.
                    if target_events > 0 and self.follow_target:
                        self.follow()
                    target_events += 1

    def answer_directive(self, answered):
        seq_text = read_or_none(self.client, "memtune/directive/seq")
        if not seq_text or not seq_text.isdigit() or int(seq_text) <= answered:
            return answered
        seq = int(seq_text)
        names = self.client.directory("memtune/directive")
        values = {n: self.client.read(f"memtune/directive/{n}") for n in names}
        self.directives.append((seq, values))
        result, reason = self.answer(seq, values)
        if result is None:
            return answered  # stay silent: memtunectl must time out
        tx = self.client.transaction_start()
        self.client.write("data/memtune/ack/result", result, tx)
        self.client.write("data/memtune/ack/reason", reason, tx)
        self.client.write("data/memtune/ack/seq", str(seq), tx)
        self.client.transaction_end(tx)
        self.publish_locked()
        return seq

    def echo_token(self):
        value = read_or_none(self.client, "memtune/resize")
        if value:
            self.client.write("data/memtune/kmod/token", value)

    def follow(self):
        target = self.client.read("memory/target")
        time.sleep(0.2)  # the balloon takes a moment
        reached = self.stall_at_kb is None
        current = target if reached else str(self.stall_at_kb)
        self.publish_locked(balloon_target_kb=target, balloon_current_kb=current,
                            target_reached=1 if reached else 0)
        tx = self.client.transaction_start()
        self.client.write("data/memtune/kmod/applied-kb", current, tx)
        self.client.write("data/memtune/kmod/target-kb", target, tx)
        # The guest's clock, which need not agree with Dom0's (memtunectl must not compare them).
        self.client.write("data/memtune/kmod/applied-at",
                          str(int(time.time()) + self.clock_skew_s), tx)
        self.client.write("data/memtune/kmod/state", "idle" if reached else "stalled", tx)
        self.client.transaction_end(tx)

    def stop(self):
        self.stopping = True
        self.join(5)
        self.client.close()
        self.events.close()
