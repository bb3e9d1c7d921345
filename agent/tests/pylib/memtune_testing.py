"""What the agent's Python tests share (tests/integration and tests/dbus): the fake xenstored
and its client, the guest's domid and home, reading a key that may be missing, and waiting
for a condition. ctest puts this folder on PYTHONPATH; to run a test by hand:
PYTHONPATH=agent/tests/pylib python3 ...
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_DIR = os.environ.get("FAKE_XENSTORED_DIR",
                          os.path.join(HERE, "..", "..", "..", "tests", "fake-xenstored"))
sys.path.insert(0, os.path.abspath(FAKE_DIR))

from harness import FakeXenstored  # noqa: E402,F401
from xsclient import XsClient, XsClientError  # noqa: E402,F401

GUEST = 5
HOME = f"/local/domain/{GUEST}"


def wait_for(predicate, timeout=10.0, what="condition"):
    """Polls predicate until it returns something true, and returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def read_or_none(client, path):
    """The node's value, or None when xenstored answers an error (ENOENT, EACCES, ...).
    A lost connection still raises: that is a failure of the test, not a missing key."""
    try:
        return client.read(path)
    except XsClientError:
        return None
