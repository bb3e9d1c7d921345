import sys, os, time, unittest
sys.argv=[sys.argv[0]]
import test_agent
from common import memtunectl
class T(test_agent.AgentCase):
    with_bus = True
    def test_x(self):
        import subprocess
        time.sleep(1)
        r = subprocess.run(["busctl", "--address="+self.bus_address, "list"], capture_output=True, text=True, timeout=20)
        print(r.stdout, r.stderr)
        t=time.time()
        out = memtunectl(self.server, 5, "reclaim", "64M", env={"DBUS_SYSTEM_BUS_ADDRESS": self.bus_address}, timeout=40)
        print(time.time()-t, out.returncode, out.stdout, out.stderr)
        self.agent_log.seek(0); print(self.agent_log.read())
unittest.main(defaultTest="T", argv=["x"])
