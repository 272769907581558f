"""Live tests of lshidden --mount: AF_UNIX sockets bound to a path on the
mount (holder unix-socket).  A bound socket keeps a reference to the
mount, so umount fails with EBUSY, though no process has a file of the
mount open.  Each test proves the EBUSY first, then asks lshidden: a
socket a process holds, one in flight over SCM_RIGHTS that no process
holds, one in another network namespace (which fuser misses), and one on
another tmpfs, which must not be listed.  Runs in a private mount
namespace of its own.  Needs root.  Environment: see
tests/pylib/lshidden_test.py.
"""
import errno
import os
import selectors
import subprocess
import tempfile
import unittest

from lshidden_test import (describe, end_on_eof, in_private_namespace, is_root, mount_tmpfs,
                           need_tools, run_json, run_tests, umount)

# Binds an AF_UNIX socket at argv[2] and prints "PID FD" once it is bound;
# mode "hold" keeps it open, mode "in-flight" sends it over a socketpair
# that is never read and closes its own fd.  Holds until stdin ends.
BINDER = r"""
import array, os, socket, sys
mode, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
fd = s.fileno()
if mode == "in-flight":
    a, b = socket.socketpair()
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    s.close()
    fd = -1
print(os.getpid(), fd, flush=True)
sys.stdin.read()
"""

START_TIMEOUT = 30


@unittest.skipUnless(is_root(), "mounting needs root")
class MountUnixSocketsTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-unix-")
        self.addCleanup(os.rmdir, self.top)

    def make_tmpfs(self, name):
        path = os.path.join(self.top, name)
        os.mkdir(path)
        self.addCleanup(os.rmdir, path)
        mount_tmpfs(self, path)
        return path

    def start_binder(self, mode, path, prefix=()):
        """The binder process; returns (its pid, the socket's fd or -1).
        Ended with the test (before the tmpfs is unmounted)."""
        proc = subprocess.Popen([*prefix, "python3", "-c", BINDER, mode, path],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(end_on_eof, proc)
        self.addCleanup(lambda: proc.stdout.close() or proc.stderr.close())
        line = self.read_line(proc)
        if not line:
            proc.kill()  # so that its stderr ends
            self.fail(f"binder did not start: {proc.stderr.read()!r}")
        pid, fd = map(int, line.split())
        return pid, fd

    def read_line(self, proc):
        """The binder's first line, or b"" when it does not come in time."""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=START_TIMEOUT):
                proc.kill()
                return b""
        return proc.stdout.readline()

    def assert_busy(self, target):
        # The premise: the bound socket alone keeps the mount busy.
        self.assertEqual(umount(target), errno.EBUSY)

    def socket_rows(self, target):
        result, doc = run_json("--mount", target)
        return [r for r in doc["files"] if r["holder"] == "unix-socket"], result, doc

    def assert_kill_hint(self, row, pid):
        # A unit or a container, if the test runs in one, is named after it.
        self.assertTrue(row["hint"] == f"kill {pid}" or row["hint"].startswith(f"kill {pid} (or "),
                        row)

    def test_held_by_a_process(self):
        data = self.make_tmpfs("data")
        path = os.path.join(data, "app.sock")
        pid, fd = self.start_binder("hold", path)
        self.assert_busy(data)
        rows, result, doc = self.socket_rows(data)
        self.assertEqual(result.returncode, 0, describe(result))
        ino = os.stat(f"/proc/{pid}/fd/{fd}").st_ino
        self.assertEqual(len(rows), 1, doc["files"])
        row = rows[0]
        self.assertEqual({k: row[k] for k in ("source", "pid", "fd", "path", "object", "effect",
                                              "possible", "hidden", "type", "mountpoint")},
                         {"source": "unix-socket", "pid": pid, "fd": fd, "path": path,
                          "object": f"unix socket:[{ino}]", "effect": "blocks-umount",
                          "possible": False, "hidden": False, "type": "SOCK",
                          "mountpoint": data})
        st = os.stat(path)
        self.assertEqual((row["dev"], row["inode"]),
                         (f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}", st.st_ino))
        self.assert_kill_hint(row, pid)

    def test_in_flight_over_scm_rights(self):
        data = self.make_tmpfs("data")
        path = os.path.join(data, "passed.sock")
        pid, fd = self.start_binder("in-flight", path)
        self.assertEqual(fd, -1)
        self.assert_busy(data)
        rows, result, doc = self.socket_rows(data)
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual([(r["pid"], r["fd"], r["hidden"], r["path"], r["possible"], r["effect"])
                          for r in rows],
                         [(None, None, True, path, False, "blocks-umount")], doc["files"])
        # No fd of the binder (its socketpair) is the socket lshidden names.
        held = {os.stat(f"/proc/{pid}/fd/{n}").st_ino for n in os.listdir(f"/proc/{pid}/fd")
                if os.readlink(f"/proc/{pid}/fd/{n}").startswith("socket:[")}
        self.assertEqual(len(held), 2)
        self.assertRegex(rows[0]["object"], r"^unix socket:\[\d+\]$")
        self.assertNotIn(int(rows[0]["object"][len("unix socket:["):-1]), held)
        self.assertIn("SCM_RIGHTS", rows[0]["hint"])

    def test_other_network_namespace(self):
        need_tools(self, "unshare")
        data = self.make_tmpfs("data")
        path = os.path.join(data, "netns.sock")
        pid, fd = self.start_binder("hold", path, prefix=("unshare", "-n"))
        self.assertNotEqual(os.readlink(f"/proc/{pid}/ns/net"), os.readlink("/proc/self/ns/net"))
        self.assert_busy(data)
        rows, result, doc = self.socket_rows(data)
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual([(r["pid"], r["fd"], r["path"], r["possible"], r["effect"])
                          for r in rows], [(pid, fd, path, False, "blocks-umount")], doc["files"])
        self.assert_kill_hint(rows[0], pid)

    def test_socket_on_another_tmpfs_is_not_listed(self):
        data = self.make_tmpfs("data")
        other = self.make_tmpfs("other")
        path = os.path.join(other, "elsewhere.sock")
        pid, _ = self.start_binder("hold", path)
        self.assert_busy(other)
        # The socket is seen, on its own mount ...
        rows, _, doc = self.socket_rows(other)
        self.assertEqual([(r["pid"], r["path"]) for r in rows], [(pid, path)], doc["files"])
        # ... and not on this one, which nothing holds.
        rows, result, doc = self.socket_rows(data)
        self.assertEqual(rows, [])
        self.assertEqual(result.returncode, 1 if not doc["warnings"] else 3, describe(result))


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
