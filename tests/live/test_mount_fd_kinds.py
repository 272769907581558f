"""Live tests of lshidden --mount: holders that are fds of kinds lsof and
fuser do not connect to the mount.

- A fanotify group (without file-handle reporting) with a mount mark on
  the target and an event queued: the event holds the file, umount fails
  with EBUSY; from /proc the group is a possible holder.  A group that
  reports file handles holds nothing and is not listed.
- Kinds that do not hold: inotify watches, epoll, process accounting
  (acct(2), which umount switches off): never listed.
- A detached mount (open_tree(OPEN_TREE_CLONE)) of the target's
  filesystem held by an fd: umount succeeds, and the filesystem lives on
  through the fd.

Each holder is proven (EBUSY, or the filesystem read through the fd after
umount in a copy of the namespace) before lshidden is asked.  Runs in a
private mount namespace of its own.  Needs root.  Environment: see
tests/pylib/lshidden_test.py.
"""
import ctypes
import errno
import os
import subprocess
import sys
import tempfile
import unittest

from lshidden_test import (describe, in_private_namespace, is_root, run_json, run_tests,
                           tmpfs_below, umount)

FANOTIFY_CLIENT = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
FAN_CLASS_NOTIF, FAN_REPORT_FID = 0, 0x200
FAN_MARK_ADD, FAN_MARK_MOUNT, FAN_MARK_FILESYSTEM = 0x1, 0x10, 0x100
FAN_OPEN = 0x20
AT_FDCWD = -100
fid = sys.argv[1] == "fid"
fd = libc.fanotify_init(FAN_CLASS_NOTIF | (FAN_REPORT_FID if fid else 0), os.O_RDONLY)
assert fd >= 0, ctypes.get_errno()
flags = FAN_MARK_ADD | (FAN_MARK_FILESYSTEM if fid else FAN_MARK_MOUNT)
r = libc.fanotify_mark(fd, flags, ctypes.c_uint64(FAN_OPEN), AT_FDCWD, sys.argv[2].encode())
assert r == 0, ctypes.get_errno()
print(fd, flush=True)
sys.stdin.read()
"""

DETACHED_CLIENT = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_open_tree, AT_FDCWD, OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC = 428, -100, 1, 0o2000000
fd = libc.syscall(SYS_open_tree, AT_FDCWD, sys.argv[1].encode(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
assert fd >= 0, ctypes.get_errno()
os.set_inheritable(fd, True)
print(fd, flush=True)
sys.stdin.read()
"""

INOTIFY_CLIENT = r"""
import ctypes, os, select, sys
libc = ctypes.CDLL(None, use_errno=True)
IN_ALL_EVENTS = 0xfff
fd = libc.inotify_init1(0)
assert fd >= 0, ctypes.get_errno()
assert libc.inotify_add_watch(fd, sys.argv[1].encode(), IN_ALL_EVENTS) >= 0, ctypes.get_errno()
ep = select.epoll()
ep.register(fd, select.EPOLLIN)
print(fd, flush=True)
sys.stdin.read()
"""

# Sends an fd of argv[1] to its own socketpair with SCM_RIGHTS, closes it,
# and never receives it: the message holds the file.  Prints the receiving
# socket's fd.
INFLIGHT_CLIENT = r"""
import array, os, socket, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
os.close(fd)
print(b.fileno(), flush=True)
sys.stdin.read()
"""


@unittest.skipUnless(is_root(), "mounting and fanotify need root")
class FdKindsTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-fdkinds-")
        self.addCleanup(os.rmdir, self.top)

    def tmpfs(self, name):
        return tmpfs_below(self, self.top, name)

    def client(self, code, *args):
        """A python process running code with args; returns (process, the fd
        it printed)."""
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.stdin.close)
        self.addCleanup(proc.stdout.close)
        line = proc.stdout.readline()
        self.assertTrue(line, "the client failed")
        return proc, int(line)

    def queue_an_event(self, mnt):
        path = os.path.join(mnt, "watched")
        with open(path, "w") as f:
            f.write("x\n")
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        # The open is the event; the group keeps this file open for it.
        with open(path):
            pass

    def test_fanotify_group_with_queued_events(self):
        mnt = self.tmpfs("watched")
        proc, fd = self.client(FANOTIFY_CLIENT, "path", mnt)
        self.queue_an_event(mnt)
        self.assertEqual(umount(mnt), errno.EBUSY)
        result, doc = run_json("--mount", mnt)
        rows = [r for r in doc["files"] if r["holder"] == "fanotify"]
        self.assertEqual([(r["pid"], r["fd"], r["possible"], r["effect"], r["object"],
                           r["path"]) for r in rows],
                         [(proc.pid, fd, True, "blocks-umount",
                           f"fanotify group fd {fd} (mount mark)", "anon_inode:[fanotify]")],
                         doc["files"])
        self.assertTrue(rows[0]["hint"].startswith(f"kill {proc.pid}"), rows[0])
        # Only a possible holder: possibly held, never free.
        self.assertEqual(result.returncode, 3, describe(result))

    def test_fid_group_and_other_mounts_are_not_listed(self):
        mnt, other = self.tmpfs("fid"), self.tmpfs("other")
        self.client(FANOTIFY_CLIENT, "fid", mnt)
        self.client(FANOTIFY_CLIENT, "path", other)
        self.queue_an_event(mnt)
        # File handles hold nothing: the mount is free of the group.
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "umount", mnt],
                               capture_output=True, timeout=30)
        self.assertEqual(probe.returncode, 0, probe.stderr)
        result, doc = run_json("--mount", mnt)
        self.assertEqual([r for r in doc["files"] if r["holder"] == "fanotify"], [])

    def test_inotify_and_epoll_do_not_hold(self):
        mnt = self.tmpfs("inotify")
        proc, _ = self.client(INOTIFY_CLIENT, mnt)
        self.queue_an_event(mnt)
        # The premise: umount succeeds (inotify only gets IN_UNMOUNT).
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "umount", mnt],
                               capture_output=True, timeout=30)
        self.assertEqual(probe.returncode, 0, probe.stderr)
        result, doc = run_json("--mount", mnt)
        self.assertEqual([r for r in doc["files"] if r["pid"] == proc.pid], [])
        self.assertIn(result.returncode, (1, 3), describe(result))

    def test_file_in_flight_over_scm_rights(self):
        mnt = self.tmpfs("inflight")
        path = os.path.join(mnt, "sent")
        proc, sock_fd = self.client(INFLIGHT_CLIENT, path)
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        # The premise: no process has the file open, yet the mount is busy.
        for fd in os.listdir(f"/proc/{proc.pid}/fd"):
            self.assertNotEqual(os.readlink(f"/proc/{proc.pid}/fd/{fd}"), path)
        self.assertEqual(umount(mnt), errno.EBUSY)
        result, doc = run_json("--mount", mnt)
        self.assertEqual(result.returncode, 0, describe(result))
        rows = [r for r in doc["files"] if r["holder"] == "in-flight"]
        st = os.stat(path)
        self.assertEqual([(r["pid"], r["path"], r["inode"], r["possible"], r["hidden"],
                           r["method"], r["hint"]) for r in rows],
                         [(proc.pid, path, st.st_ino, False, True, "bpf",
                           f"read or close fd {sock_fd} of {proc.pid}, or kill {proc.pid}")],
                         doc["files"])
        self.assertIn(f"socket at fd {sock_fd}", rows[0]["note"])
        # /proc alone: fdinfo counts the files, without naming them.
        result, doc = run_json("--mount", mnt, "--no-deep")
        self.assertEqual(result.returncode, 3, describe(result))
        rows = [r for r in doc["files"] if r["holder"] == "in-flight"]
        self.assertEqual([(r["pid"], r["fd"], r["possible"], r["object"]) for r in rows],
                         [(proc.pid, sock_fd, True,
                           f"1 file sent to socket fd {sock_fd}, not received")], doc["files"])

    def test_process_accounting_does_not_hold(self):
        # acct(2) is host-wide: switched on for as short a time as it can be,
        # and off on every path.
        mnt = self.tmpfs("acct")
        path = os.path.join(mnt, "pacct")
        open(path, "w").close()
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.acct(path.encode()) != 0:
            self.skipTest(f"acct(2): {os.strerror(ctypes.get_errno())}")
        self.addCleanup(libc.acct, None)
        result, doc = run_json("--mount", mnt)
        self.assertEqual(doc["files"], [], describe(result))
        self.assertIn(result.returncode, (1, 3), describe(result))
        # The premise: umount succeeds, and switches accounting off.
        self.assertEqual(umount(mnt), 0)

    def test_detached_mount_fd(self):
        mnt = self.tmpfs("detached")
        with open(os.path.join(mnt, "kept"), "w") as f:
            f.write("kept\n")
        proc, fd = self.client(DETACHED_CLIENT, mnt)
        # The premise, in a copy of this namespace: umount succeeds, and the
        # filesystem is still read through the fd.
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                f'umount "$1" && cat /proc/{proc.pid}/fd/{fd}/kept', "sh", mnt],
                               capture_output=True, timeout=30)
        self.assertEqual((probe.returncode, probe.stdout), (0, b"kept\n"), probe.stderr)

        result, doc = run_json("--mount", mnt)
        self.assertEqual(result.returncode, 0, describe(result))
        rows = [r for r in doc["files"] if r["holder"] == "detached-mount"]
        self.assertEqual(len(rows), 1, doc["files"])
        row = rows[0]
        st = os.stat(mnt)
        self.assertEqual({k: row[k] for k in ("pid", "fd", "effect", "possible", "type", "dev",
                                              "inode", "hint")},
                         {"pid": proc.pid, "fd": fd, "effect": "keeps-alive", "possible": False,
                          "type": "DIR", "dev": f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}",
                          "inode": st.st_ino,
                          "hint": f"close fd {fd} of {proc.pid}, or kill {proc.pid}"})
        self.assertTrue(row["object"].startswith("detached mount "), row)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
