"""What the agent's Python tests share (tests/integration and tests/dbus): the fake xenstored
and its client, the guest's domid and home, reading a key that may be missing, waiting for a
condition, and a private dbus-daemon. ctest puts this folder on PYTHONPATH; to run a test by hand:
PYTHONPATH=agent/tests/pylib python3 ...
"""

import os
import subprocess
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


# A private bus on which the test's own user may own, call and watch anything; {socket} is the
# path it listens on.
PRIVATE_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_private_bus(directory, config=PRIVATE_BUS_CONFIG):
    """Starts a dbus-daemon listening on directory/bus.sock and returns (process, socket path).
    config is the busconfig text, with {socket} where the socket path goes."""
    socket_path = os.path.join(directory, "bus.sock")
    config_path = os.path.join(directory, "bus.conf")
    with open(config_path, "w") as f:
        f.write(config.format(socket=socket_path))
    process = subprocess.Popen(["dbus-daemon", "--nofork", "--config-file", config_path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: os.path.exists(socket_path), 10, "the private dbus-daemon's socket")
    return process, socket_path
