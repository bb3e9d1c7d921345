#!/usr/bin/env python3
"""fake-xenstored: a xenstore server for tests, speaking the real wire protocol.

The packaged xenstored cannot run without a hypervisor (docs/ARCHITECTURE.md,
shared reference "xenstore in tests without a hypervisor"). This server keeps
the tree in memory and listens on one unix socket per domain, so a client
connected to a socket *is* that domain and the real permission rules apply:

    <dir>/dom0.sock       privileged, domain 0 (the toolstack, memtunectl)
    <dir>/domU-<N>.sock   unprivileged, domain N (the agent, the module's stand-in)

Point any libxenstore client at a socket with XENSTORED_PATH=<socket>.

Wire format: <xen/io/xs_wire.h>: a 16-byte little-endian header
{type, req_id, tx_id, len} followed by len bytes of NUL-separated strings.

Implemented: READ WRITE MKDIR RM DIRECTORY DIRECTORY_PART GET_PERMS SET_PERMS
WATCH UNWATCH RESET_WATCHES (WATCH_EVENT out) TRANSACTION_START/END
GET_DOMAIN_PATH IS_DOMAIN_INTRODUCED CONTROL, errors as XS_ERROR "<ERRNO>".

Test hooks, sent as XS_CONTROL from the dom0 socket (`xenstore-control CMD ARGS`):
    fake-eagain N                  the next N transaction commits fail with EAGAIN
    fake-add-domain ID NAME TARGET_KB [STATIC_MAX_KB]
                                   lay out a domain like libxl and open its socket
    fake-dump                      the whole tree with permissions, one node a line
    fake-stats                     request, commit and EAGAIN counters

Usage:
    fake_xenstored.py --dir DIR [--domain ID:NAME:TARGET_KB[:STATIC_MAX_KB]]...
                      [--ready-file FILE] [--log FILE]
Once every socket listens, the server writes its pid to --ready-file (if
given) and prints "ready" on stdout. SIGTERM or SIGINT stops it.
"""

import argparse
import errno
import os
import selectors
import signal
import socket
import struct
import sys

# enum xsd_sockmsg_type in <xen/io/xs_wire.h>
XS_CONTROL = 0
XS_DIRECTORY = 1
XS_READ = 2
XS_GET_PERMS = 3
XS_WATCH = 4
XS_UNWATCH = 5
XS_TRANSACTION_START = 6
XS_TRANSACTION_END = 7
XS_INTRODUCE = 8
XS_RELEASE = 9
XS_GET_DOMAIN_PATH = 10
XS_WRITE = 11
XS_MKDIR = 12
XS_RM = 13
XS_SET_PERMS = 14
XS_WATCH_EVENT = 15
XS_ERROR = 16
XS_IS_DOMAIN_INTRODUCED = 17
XS_RESUME = 18
XS_SET_TARGET = 19
XS_RESET_WATCHES = 21
XS_DIRECTORY_PART = 22

HEADER = struct.Struct("<IIII")
XENSTORE_PAYLOAD_MAX = 4096
XENSTORE_ABS_PATH_MAX = 3072
XENSTORE_REL_PATH_MAX = 2048
# tools/xenstored/domain.c defaults; only the ones a test can reach are enforced.
QUOTA_NODE_SIZE = 2048      # bytes of value plus permissions, unprivileged writers
QUOTA_WATCHES = 128
QUOTA_TRANSACTIONS = 10

VALID_PATH_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@")

PERM_NONE, PERM_READ, PERM_WRITE, PERM_BOTH = "n", "r", "w", "b"


class XsError(Exception):
    """A request failed; the name is what goes on the wire (ENOENT, EACCES, ...)."""

    def __init__(self, code):
        super().__init__(errno.errorcode[code])
        self.code = code


class Node:
    __slots__ = ("value", "perms", "children")

    def __init__(self, value=b"", perms=None):
        self.value = value
        # [(letter, domid)]: the first entry is the owner and the default for others.
        self.perms = list(perms) if perms else [(PERM_NONE, 0)]
        self.children = {}

    def clone(self):
        copy = Node(self.value, self.perms)
        copy.children = {name: child.clone() for name, child in self.children.items()}
        return copy


def parse_perms(strings):
    perms = []
    for text in strings:
        if len(text) < 2 or text[0] not in "nrwb" or not text[1:].isdigit():
            raise XsError(errno.EINVAL)
        perms.append((text[0], int(text[1:])))
    if not perms:
        raise XsError(errno.EINVAL)
    return perms


def format_perms(perms):
    return [f"{letter}{domid}" for letter, domid in perms]


def may(domid, perms, want):
    """xenstored's perm_for_conn(): dom0 and the owner may do anything."""
    if domid == 0 or perms[0][1] == domid:
        return True
    letter = perms[0][0]
    for entry_letter, entry_domid in perms[1:]:
        if entry_domid == domid:
            letter = entry_letter
            break
    return letter == PERM_BOTH or letter == want


def split(path):
    return [part for part in path.split("/") if part]


def parent_of(path):
    head = path.rsplit("/", 1)[0]
    return head if head else "/"


def is_under(path, top):
    """True when path is top or inside it."""
    return path == top or top == "/" or path.startswith(top + "/")


class Tree:
    """The store: a tree of Nodes plus a change log that transactions check against."""

    def __init__(self, root=None):
        self.root = root if root is not None else Node(b"", [(PERM_NONE, 0)])
        # path -> generation of its last change (write, create, delete, perms).
        self.changed_at = {}
        self.generation = 0

    def clone(self):
        return Tree(self.root.clone())

    def lookup(self, path):
        node = self.root
        for part in split(path):
            node = node.children.get(part)
            if node is None:
                return None
        return node

    def touch(self, path):
        self.generation += 1
        self.changed_at[path] = self.generation

    def nearest_existing(self, path):
        """The deepest node on the way to path, and its path."""
        node, at = self.root, "/"
        for part in split(path):
            child = node.children.get(part)
            if child is None:
                break
            node = child
            at = at.rstrip("/") + "/" + part
        return node, at

    def read(self, domid, path):
        node = self.lookup(path)
        if node is None:
            raise XsError(errno.ENOENT)
        if not may(domid, node.perms, PERM_READ):
            raise XsError(errno.EACCES)
        return node

    def create(self, domid, path):
        """Create path and its missing parents the way xenstored does: each
        new node inherits its parent's permissions, and an unprivileged
        creator becomes the owner. Returns (node, created paths)."""
        parent, at = self.nearest_existing(path)
        if at == path:
            return parent, []
        if not may(domid, parent.perms, PERM_WRITE):
            raise XsError(errno.EACCES)
        created = []
        node = parent
        for part in split(path)[len(split(at)):]:
            perms = list(node.perms)
            if domid != 0:
                perms[0] = (perms[0][0], domid)
            child = Node(b"", perms)
            node.children[part] = child
            node = child
            at = at.rstrip("/") + "/" + part
            created.append(at)
            self.touch(at)
        return node, created

    def write(self, domid, path, value):
        node = self.lookup(path)
        if node is not None:
            if not may(domid, node.perms, PERM_WRITE):
                raise XsError(errno.EACCES)
            created = []
        else:
            node, created = self.create(domid, path)
        if domid != 0 and len(value) + 2 * len(node.perms) > QUOTA_NODE_SIZE:
            for made in reversed(created):
                self.remove_node(made)
            raise XsError(errno.ENOSPC)
        node.value = value
        self.touch(path)
        return created

    def mkdir(self, domid, path):
        node = self.lookup(path)
        if node is not None:
            return []
        _, created = self.create(domid, path)
        return created

    def remove_node(self, path):
        parent = self.lookup(parent_of(path))
        if parent is not None:
            parent.children.pop(split(path)[-1], None)

    def rm(self, domid, path):
        """Remove path and its subtree; returns the removed node (None if absent)."""
        if path == "/":
            raise XsError(errno.EINVAL)
        node = self.lookup(path)
        if node is None:
            # xenstored: removing a missing node is fine if its parent exists.
            if self.lookup(parent_of(path)) is None:
                raise XsError(errno.ENOENT)
            return None
        if not may(domid, node.perms, PERM_WRITE):
            raise XsError(errno.EACCES)
        self.remove_node(path)
        self.touch(path)
        for sub in walk(node, path):
            self.touch(sub)
        return node

    def set_perms(self, domid, path, perms):
        node = self.lookup(path)
        if node is None:
            raise XsError(errno.ENOENT)
        if domid != 0:
            # Only the owner may change permissions, and never hand the node away.
            if node.perms[0][1] != domid or perms[0][1] != domid:
                raise XsError(errno.EACCES)
        node.perms = perms
        self.touch(path)
        return node


def walk(node, path):
    """Every path strictly below node."""
    for name, child in node.children.items():
        sub = path.rstrip("/") + "/" + name
        yield sub
        yield from walk(child, sub)


class Transaction:
    def __init__(self, tx_id, domid, tree):
        self.tx_id = tx_id
        self.domid = domid
        self.start_generation = tree.generation
        self.view = tree.clone()
        self.view.generation = tree.generation
        self.accessed = set()   # paths read or written inside the transaction
        self.ops = []           # replayed on the live tree at commit
        self.fired = []         # (path, removed node or None) for watches at commit


class Watch:
    __slots__ = ("path", "token", "relative_to")

    def __init__(self, path, token, relative_to):
        self.path = path              # absolute (or "@special")
        self.token = token
        self.relative_to = relative_to  # home prefix to strip from events, or None


class Connection:
    def __init__(self, server, sock, domid):
        self.server = server
        self.sock = sock
        self.domid = domid
        self.inbuf = b""
        self.outbuf = b""
        self.watches = []
        self.transactions = {}

    @property
    def home(self):
        return f"/local/domain/{self.domid}"


class Server:
    def __init__(self, directory, log=None):
        self.directory = directory
        self.tree = Tree()
        self.selector = selectors.DefaultSelector()
        self.connections = []
        self.listeners = {}
        self.next_tx_id = 1
        self.forced_eagain = 0
        self.stats = {"requests": 0, "commits": 0, "eagain": 0, "watch_events": 0}
        self.log_file = log
        self.running = True
        self.lay_out_dom0()

    # ---- layout ---------------------------------------------------------

    def log(self, text):
        if self.log_file:
            self.log_file.write(text + "\n")
            self.log_file.flush()

    def put(self, path, value, perms):
        """Create or overwrite a node as the toolstack would (no permission checks)."""
        node, _ = self.tree.create(0, path)
        node.value = value.encode() if isinstance(value, str) else value
        node.perms = list(perms)
        self.tree.touch(path)
        self.fire(path, None)

    def lay_out_dom0(self):
        self.put("/local", "", [(PERM_READ, 0)])
        self.put("/local/domain", "", [(PERM_READ, 0)])
        self.put("/local/domain/0", "", [(PERM_NONE, 0)])
        self.put("/local/domain/0/name", "Domain-0", [(PERM_NONE, 0)])
        self.put("/local/domain/0/domid", "0", [(PERM_NONE, 0)])
        self.listen(0, os.path.join(self.directory, "dom0.sock"))

    def add_domain(self, domid, name, target_kb, static_max_kb=None):
        """Lay out /local/domain/<domid> like libxl__domain_make and
        libxl__build_post: the home and memory/ are roperm (n0 r<domid>),
        data/ and the control/ leaves the guest may write are rwperm."""
        if domid <= 0 or domid in self.listeners:
            raise XsError(errno.EEXIST)
        static_max_kb = static_max_kb or target_kb
        home = f"/local/domain/{domid}"
        roperm = [(PERM_NONE, 0), (PERM_READ, domid)]
        rwperm = [(PERM_NONE, domid)]
        self.put(home, "", roperm)
        self.put(f"{home}/name", name, roperm)
        self.put(f"{home}/domid", str(domid), roperm)
        self.put(f"{home}/vm", f"/vm/00000000-0000-0000-0000-{domid:012d}", roperm)
        self.put(f"{home}/memory", "", roperm)
        self.put(f"{home}/memory/static-max", str(static_max_kb), roperm)
        self.put(f"{home}/memory/target", str(target_kb), roperm)
        self.put(f"{home}/memory/videoram", "-1", roperm)
        self.put(f"{home}/cpu", "", roperm)
        self.put(f"{home}/device", "", roperm)
        self.put(f"{home}/control", "", roperm)
        for leaf in ("shutdown", "feature-poweroff", "feature-reboot",
                     "feature-suspend", "sysrq"):
            self.put(f"{home}/control/{leaf}", "", rwperm)
        for writable in ("data", "drivers", "feature", "attr", "error"):
            self.put(f"{home}/{writable}", "", rwperm)
        self.listen(domid, os.path.join(self.directory, f"domU-{domid}.sock"))

    # ---- sockets --------------------------------------------------------

    def listen(self, domid, path):
        if os.path.exists(path):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
        sock.listen(16)
        sock.setblocking(False)
        self.listeners[domid] = sock
        self.selector.register(sock, selectors.EVENT_READ, ("listen", domid))

    def accept(self, sock, domid):
        client, _ = sock.accept()
        client.setblocking(False)
        conn = Connection(self, client, domid)
        self.connections.append(conn)
        self.selector.register(client, selectors.EVENT_READ, ("conn", conn))
        self.log(f"dom{domid}: connected")

    def close(self, conn):
        self.log(f"dom{conn.domid}: disconnected")
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
        if conn in self.connections:
            self.connections.remove(conn)

    def send(self, conn, msg_type, req_id, tx_id, payload):
        conn.outbuf += HEADER.pack(msg_type, req_id, tx_id, len(payload)) + payload
        self.flush(conn)

    def flush(self, conn):
        if conn not in self.connections:
            return
        try:
            sent = conn.sock.send(conn.outbuf)
            conn.outbuf = conn.outbuf[sent:]
        except BlockingIOError:
            pass
        except OSError:
            self.close(conn)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.outbuf else 0)
        self.selector.modify(conn.sock, events, ("conn", conn))

    def receive(self, conn):
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.close(conn)
            return
        conn.inbuf += data
        while len(conn.inbuf) >= HEADER.size:
            msg_type, req_id, tx_id, length = HEADER.unpack_from(conn.inbuf)
            if length > XENSTORE_PAYLOAD_MAX:
                # xenstored drops a client that violates the payload limit.
                self.log(f"dom{conn.domid}: payload of {length} bytes, closing")
                self.close(conn)
                return
            if len(conn.inbuf) < HEADER.size + length:
                break
            payload = conn.inbuf[HEADER.size:HEADER.size + length]
            conn.inbuf = conn.inbuf[HEADER.size + length:]
            self.handle(conn, msg_type, req_id, tx_id, payload)
            if conn not in self.connections:
                return

    def run(self, ready_file=None):
        if ready_file:
            with open(ready_file + ".tmp", "w") as f:
                f.write(f"{os.getpid()}\n")
            os.rename(ready_file + ".tmp", ready_file)
        print("ready", flush=True)
        while self.running:
            for key, events in self.selector.select(timeout=0.5):
                kind, what = key.data
                if kind == "listen":
                    self.accept(key.fileobj, what)
                    continue
                if events & selectors.EVENT_WRITE:
                    self.flush(what)
                if events & selectors.EVENT_READ and what in self.connections:
                    self.receive(what)
        for sock in self.listeners.values():
            path = sock.getsockname()
            sock.close()
            if path and os.path.exists(path):
                os.unlink(path)

    # ---- requests -------------------------------------------------------

    def resolve(self, conn, path):
        if not path or "\0" in path:
            raise XsError(errno.EINVAL)
        if path.startswith("@"):
            return path
        if not path.startswith("/"):
            if len(path) > XENSTORE_REL_PATH_MAX:
                raise XsError(errno.E2BIG)
            path = conn.home + "/" + path
        if len(path) > XENSTORE_ABS_PATH_MAX:
            raise XsError(errno.E2BIG)
        if (any(c not in VALID_PATH_CHARS for c in path) or "//" in path
                or (path.endswith("/") and path != "/")):
            raise XsError(errno.EINVAL)
        return path

    def handle(self, conn, msg_type, req_id, tx_id, payload):
        self.stats["requests"] += 1
        try:
            reply = self.dispatch(conn, msg_type, tx_id, payload)
        except XsError as err:
            name = errno.errorcode[err.code]
            self.log(f"dom{conn.domid}: type {msg_type} {payload!r} -> {name}")
            self.send(conn, XS_ERROR, req_id, tx_id, name.encode() + b"\0")
            return
        except (UnicodeDecodeError, ValueError, IndexError):
            self.send(conn, XS_ERROR, req_id, tx_id, b"EINVAL\0")
            return
        reply_type, reply_payload, after = reply
        self.send(conn, reply_type, req_id, tx_id, reply_payload)
        if after:
            after()

    def args(self, payload):
        text = payload.decode()
        parts = text.split("\0")
        if parts and parts[-1] == "":
            parts.pop()
        return parts

    def tree_for(self, conn, tx_id):
        if tx_id == 0:
            return self.tree, None
        tx = conn.transactions.get(tx_id)
        if tx is None:
            raise XsError(errno.ENOENT)
        return tx.view, tx

    def dispatch(self, conn, msg_type, tx_id, payload):
        ok = b"OK\0"
        if msg_type == XS_READ:
            path = self.resolve(conn, self.args(payload)[0])
            tree, tx = self.tree_for(conn, tx_id)
            if tx:
                tx.accessed.add(path)
            return XS_READ, tree.read(conn.domid, path).value, None

        if msg_type == XS_WRITE:
            raw_path, _, value = payload.partition(b"\0")
            path = self.resolve(conn, raw_path.decode())
            tree, tx = self.tree_for(conn, tx_id)
            created = tree.write(conn.domid, path, value)
            self.changed(tx, ("write", path, value), path, None, created)
            return XS_WRITE, ok, None

        if msg_type == XS_MKDIR:
            path = self.resolve(conn, self.args(payload)[0])
            tree, tx = self.tree_for(conn, tx_id)
            created = tree.mkdir(conn.domid, path)
            if created:
                self.changed(tx, ("mkdir", path), path, None, created)
            elif tx:
                tx.accessed.add(path)
            return XS_MKDIR, ok, None

        if msg_type == XS_RM:
            path = self.resolve(conn, self.args(payload)[0])
            tree, tx = self.tree_for(conn, tx_id)
            removed = tree.rm(conn.domid, path)
            if removed is not None:
                self.changed(tx, ("rm", path), path, removed, [])
            elif tx:
                tx.accessed.add(path)
            return XS_RM, ok, None

        if msg_type in (XS_DIRECTORY, XS_DIRECTORY_PART):
            parts = self.args(payload)
            path = self.resolve(conn, parts[0])
            tree, tx = self.tree_for(conn, tx_id)
            if tx:
                tx.accessed.add(path)
            node = tree.read(conn.domid, path)
            names = b"".join(name.encode() + b"\0" for name in node.children)
            if msg_type == XS_DIRECTORY:
                if len(names) > XENSTORE_PAYLOAD_MAX:
                    raise XsError(errno.E2BIG)
                return XS_DIRECTORY, names, None
            # DIRECTORY_PART: "<generation>\0" then names from the offset, an
            # empty name (double NUL) marks the end.
            offset = int(parts[1]) if len(parts) > 1 else 0
            chunk = names[offset:offset + XENSTORE_PAYLOAD_MAX - 64]
            if offset + len(chunk) >= len(names):
                chunk += b"\0"
            else:
                chunk = chunk[:chunk.rfind(b"\0") + 1]
            return XS_DIRECTORY_PART, str(tree.generation).encode() + b"\0" + chunk, None

        if msg_type == XS_GET_PERMS:
            path = self.resolve(conn, self.args(payload)[0])
            tree, tx = self.tree_for(conn, tx_id)
            if tx:
                tx.accessed.add(path)
            node = tree.read(conn.domid, path)
            return XS_GET_PERMS, "".join(p + "\0" for p in format_perms(node.perms)).encode(), None

        if msg_type == XS_SET_PERMS:
            parts = self.args(payload)
            path = self.resolve(conn, parts[0])
            perms = parse_perms(parts[1:])
            tree, tx = self.tree_for(conn, tx_id)
            node = tree.set_perms(conn.domid, path, perms)
            self.changed(tx, ("perms", path, perms), path, None, [])
            return XS_SET_PERMS, ok, None

        if msg_type == XS_WATCH:
            raw_path, token = self.args(payload)[:2]
            path = self.resolve(conn, raw_path)
            if len(conn.watches) >= QUOTA_WATCHES and conn.domid != 0:
                raise XsError(errno.E2BIG)
            if any(w.path == path and w.token == token for w in conn.watches):
                raise XsError(errno.EEXIST)
            relative = None if raw_path.startswith("/") or raw_path.startswith("@") \
                else conn.home + "/"
            watch = Watch(path, token, relative)
            conn.watches.append(watch)
            # The initial event goes out after the OK, as xenstored does.
            return XS_WATCH, ok, lambda: self.send_event(conn, watch, path)

        if msg_type == XS_UNWATCH:
            raw_path, token = self.args(payload)[:2]
            path = self.resolve(conn, raw_path)
            for watch in conn.watches:
                if watch.path == path and watch.token == token:
                    conn.watches.remove(watch)
                    return XS_UNWATCH, ok, None
            raise XsError(errno.ENOENT)

        if msg_type == XS_RESET_WATCHES:
            conn.watches.clear()
            return XS_RESET_WATCHES, ok, None

        if msg_type == XS_TRANSACTION_START:
            if tx_id != 0:
                raise XsError(errno.EBUSY)
            if len(conn.transactions) >= QUOTA_TRANSACTIONS and conn.domid != 0:
                raise XsError(errno.ENOSPC)
            new_id = self.next_tx_id
            self.next_tx_id += 1
            conn.transactions[new_id] = Transaction(new_id, conn.domid, self.tree)
            return XS_TRANSACTION_START, f"{new_id}\0".encode(), None

        if msg_type == XS_TRANSACTION_END:
            commit = self.args(payload)[0] == "T"
            tx = conn.transactions.pop(tx_id, None)
            if tx is None:
                raise XsError(errno.ENOENT)
            if commit:
                self.commit(tx)
            return XS_TRANSACTION_END, ok, None

        if msg_type == XS_GET_DOMAIN_PATH:
            domid = int(self.args(payload)[0])
            return XS_GET_DOMAIN_PATH, f"/local/domain/{domid}\0".encode(), None

        if msg_type == XS_IS_DOMAIN_INTRODUCED:
            domid = int(self.args(payload)[0])
            known = domid == 0 or domid in self.listeners
            return XS_IS_DOMAIN_INTRODUCED, b"T\0" if known else b"F\0", None

        if msg_type == XS_CONTROL:
            if conn.domid != 0:
                raise XsError(errno.EACCES)
            return XS_CONTROL, self.control(self.args(payload)), None

        if msg_type in (XS_INTRODUCE, XS_RELEASE, XS_RESUME, XS_SET_TARGET):
            if conn.domid != 0:
                raise XsError(errno.EACCES)
            raise XsError(errno.ENOSYS)

        raise XsError(errno.EINVAL)

    # ---- transactions ---------------------------------------------------

    def changed(self, tx, op, path, removed, created):
        # Like xenstored, only the named path fires: the parents it created
        # are covered by any watch on an ancestor.
        if tx is None:
            self.fire(path, removed)
            return
        tx.ops.append(op)
        tx.accessed.add(path)
        tx.accessed.update(created)
        tx.fired.append((path, removed))

    def commit(self, tx):
        self.stats["commits"] += 1
        if self.forced_eagain > 0:
            self.forced_eagain -= 1
            self.stats["eagain"] += 1
            raise XsError(errno.EAGAIN)
        # Conflict: anything the transaction touched changed since it began.
        for path in tx.accessed:
            for changed_path, generation in self.tree.changed_at.items():
                if generation > tx.start_generation and (
                        is_under(changed_path, path) or is_under(path, changed_path)):
                    self.stats["eagain"] += 1
                    raise XsError(errno.EAGAIN)
        for op in tx.ops:
            kind, path = op[0], op[1]
            if kind == "write":
                self.tree.write(0, path, op[2])
                # The view decided permissions and ownership; copy them over.
            elif kind == "mkdir":
                self.tree.mkdir(0, path)
            elif kind == "rm":
                if self.tree.lookup(path) is not None:
                    self.tree.rm(0, path)
            elif kind == "perms":
                self.tree.set_perms(0, path, op[2])
        for path in tx.accessed:
            view_node = tx.view.lookup(path)
            live_node = self.tree.lookup(path)
            if view_node is not None and live_node is not None:
                live_node.perms = list(view_node.perms)
        for path, removed in tx.fired:
            self.fire(path, removed)

    # ---- watches --------------------------------------------------------

    def send_event(self, conn, watch, path):
        shown = path
        if watch.relative_to and path.startswith(watch.relative_to):
            shown = path[len(watch.relative_to):]
        self.stats["watch_events"] += 1
        payload = shown.encode() + b"\0" + watch.token.encode() + b"\0"
        self.send(conn, XS_WATCH_EVENT, 0, 0, payload)

    def fire(self, path, removed):
        """Tell every watcher of path or of an ancestor; for a removal, also the
        watchers of anything that was inside. A watcher that cannot read the
        node is not told (xenstored's add_event checks read permission)."""
        node = removed if removed is not None else self.tree.lookup(path)
        perms = node.perms if node is not None else [(PERM_NONE, 0)]
        for conn in list(self.connections):
            for watch in list(conn.watches):
                if watch.path.startswith("@"):
                    continue
                if is_under(path, watch.path):
                    if may(conn.domid, perms, PERM_READ):
                        self.send_event(conn, watch, path)
                elif removed is not None and is_under(watch.path, path):
                    if may(conn.domid, perms, PERM_READ):
                        self.send_event(conn, watch, watch.path)

    # ---- test hooks -----------------------------------------------------

    def control(self, argv):
        if not argv:
            raise XsError(errno.EINVAL)
        command, rest = argv[0], argv[1:]
        if command == "fake-eagain":
            self.forced_eagain = int(rest[0]) if rest else 1
            return f"next {self.forced_eagain} commits fail with EAGAIN\0".encode()
        if command == "fake-add-domain":
            if len(rest) < 3:
                raise XsError(errno.EINVAL)
            domid, name, target = int(rest[0]), rest[1], int(rest[2])
            static_max = int(rest[3]) if len(rest) > 3 else None
            self.add_domain(domid, name, target, static_max)
            return f"domain {domid} at {self.directory}/domU-{domid}.sock\0".encode()
        if command == "fake-dump":
            lines = []
            self.dump(self.tree.root, "/", lines)
            return ("\n".join(lines) + "\n\0").encode()
        if command == "fake-stats":
            return (" ".join(f"{k}={v}" for k, v in self.stats.items()) + "\0").encode()
        if command == "fake-stop":
            self.running = False
            return b"OK\0"
        raise XsError(errno.EINVAL)

    def dump(self, node, path, lines):
        perms = ",".join(format_perms(node.perms))
        lines.append(f"{path} = \"{node.value.decode(errors='replace')}\" ({perms})")
        for name, child in node.children.items():
            self.dump(child, path.rstrip("/") + "/" + name, lines)


def parse_domain(text):
    parts = text.split(":")
    if len(parts) not in (3, 4):
        raise argparse.ArgumentTypeError("want ID:NAME:TARGET_KB[:STATIC_MAX_KB]")
    try:
        domid = int(parts[0])
        target = int(parts[2])
        static_max = int(parts[3]) if len(parts) == 4 else None
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return domid, parts[1], target, static_max


def main():
    parser = argparse.ArgumentParser(description="xenstore wire-protocol server for tests")
    parser.add_argument("--dir", required=True, help="where the sockets go")
    parser.add_argument("--domain", action="append", default=[], type=parse_domain,
                        metavar="ID:NAME:TARGET_KB[:STATIC_MAX_KB]",
                        help="lay out a guest like libxl and open domU-ID.sock")
    parser.add_argument("--ready-file", help="written with the pid once every socket listens")
    parser.add_argument("--log", help="log every refused request and connection here")
    args = parser.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    log = open(args.log, "a") if args.log else None
    server = Server(args.dir, log)
    for domid, name, target, static_max in args.domain:
        server.add_domain(domid, name, target, static_max)

    def stop(_signum, _frame):
        server.running = False
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.run(args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
