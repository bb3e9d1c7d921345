#!/usr/bin/env python3
"""A minimal synchronous xenstore wire client, for tests and test hooks.

It speaks the same protocol as libxenstore, without the library, so tests can
see exactly what goes over the socket: error names, watch events in order,
transaction ids.

As a command: xsclient.py SOCKET control CMD [ARG...]   (test hooks of fake-xenstored)
"""

import socket
import struct
import sys

HEADER = struct.Struct("<IIII")
XS_CONTROL, XS_DIRECTORY, XS_READ, XS_GET_PERMS, XS_WATCH, XS_UNWATCH = 0, 1, 2, 3, 4, 5
XS_TRANSACTION_START, XS_TRANSACTION_END = 6, 7
XS_GET_DOMAIN_PATH, XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS = 10, 11, 12, 13, 14
XS_WATCH_EVENT, XS_ERROR = 15, 16


class XsClientError(Exception):
    """The server answered XS_ERROR; .name is the errno name (ENOENT, ...)."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class XsClient:
    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.req_id = 0
        self.events = []   # (path, token) received while waiting for replies

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv_exact(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("xenstore server closed the connection")
            data += chunk
        return data

    def _read_message(self):
        msg_type, req_id, tx_id, length = HEADER.unpack(self._recv_exact(HEADER.size))
        return msg_type, req_id, tx_id, self._recv_exact(length)

    def request(self, msg_type, payload, tx_id=0):
        self.req_id += 1
        self.sock.sendall(HEADER.pack(msg_type, self.req_id, tx_id, len(payload)) + payload)
        while True:
            got_type, req_id, _, data = self._read_message()
            if got_type == XS_WATCH_EVENT:
                path, token = data.split(b"\0")[:2]
                self.events.append((path.decode(), token.decode()))
                continue
            if req_id != self.req_id:
                raise ConnectionError(f"reply to request {req_id}, expected {self.req_id}")
            if got_type == XS_ERROR:
                raise XsClientError(data.rstrip(b"\0").decode())
            if got_type != msg_type:
                raise ConnectionError(f"reply type {got_type} to request type {msg_type}")
            return data

    def read(self, path, tx=0):
        return self.request(XS_READ, path.encode() + b"\0", tx).decode()

    def write(self, path, value, tx=0):
        if isinstance(value, str):
            value = value.encode()
        self.request(XS_WRITE, path.encode() + b"\0" + value, tx)

    def mkdir(self, path, tx=0):
        self.request(XS_MKDIR, path.encode() + b"\0", tx)

    def rm(self, path, tx=0):
        self.request(XS_RM, path.encode() + b"\0", tx)

    def directory(self, path, tx=0):
        data = self.request(XS_DIRECTORY, path.encode() + b"\0", tx)
        return [name.decode() for name in data.split(b"\0") if name]

    def get_perms(self, path, tx=0):
        data = self.request(XS_GET_PERMS, path.encode() + b"\0", tx)
        return [p.decode() for p in data.split(b"\0") if p]

    def set_perms(self, path, perms, tx=0):
        payload = path.encode() + b"\0" + b"".join(p.encode() + b"\0" for p in perms)
        self.request(XS_SET_PERMS, payload, tx)

    def watch(self, path, token):
        self.request(XS_WATCH, path.encode() + b"\0" + token.encode() + b"\0")

    def unwatch(self, path, token):
        self.request(XS_UNWATCH, path.encode() + b"\0" + token.encode() + b"\0")

    def transaction_start(self):
        return int(self.request(XS_TRANSACTION_START, b"\0").rstrip(b"\0"))

    def transaction_end(self, tx, commit=True):
        self.request(XS_TRANSACTION_END, b"T\0" if commit else b"F\0", tx)

    def get_domain_path(self, domid):
        return self.request(XS_GET_DOMAIN_PATH, f"{domid}\0".encode()).rstrip(b"\0").decode()

    def control(self, *argv):
        payload = b"".join(a.encode() + b"\0" for a in argv)
        return self.request(XS_CONTROL, payload).rstrip(b"\0").decode()

    def wait_event(self, timeout=5.0):
        """The next watch event, queued or read from the socket."""
        if self.events:
            return self.events.pop(0)
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            msg_type, _, _, data = self._read_message()
        finally:
            self.sock.settimeout(old)
        if msg_type != XS_WATCH_EVENT:
            raise ConnectionError(f"unexpected message type {msg_type} while waiting for an event")
        path, token = data.split(b"\0")[:2]
        return path.decode(), token.decode()

    def no_event(self, wait=0.3):
        """True when no watch event arrives within wait seconds."""
        if self.events:
            return False
        try:
            self.wait_event(wait)
        except (socket.timeout, TimeoutError):
            return True
        return False


def main(argv):
    if len(argv) < 3 or argv[1] != "control":
        sys.stderr.write("usage: xsclient.py SOCKET control CMD [ARG...]\n")
        return 2
    try:
        with XsClient(argv[0]) as client:
            print(client.control(*argv[2:]))
    except (OSError, XsClientError) as err:
        sys.stderr.write(f"xsclient: {err}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
