"""lshidden -a takes every process's fds from the kernel view (one BPF pass
over every fd table) instead of a readlink and a statx per fd: the rows say
so (method bpf, identity kernel) and match /proc's in every other column.
An fd the view cannot name whole (a path deeper than its walk) is read from
/proc, with its full name."""
import json
import os
import shutil
import tempfile
import unittest

from lshidden_test import is_root, path_bytes, python_holder, run_json, run_lshidden, run_tests

COLUMNS = ("COMMAND,PID,TID,SOURCE,FD,TYPE,PATH,PATH-COMPLETE,DELETED,MOUNT-ID,DEV,INODE,"
           "METHOD,IDENTITY")

# Holds each kind of fd the view names, plus the files named on its
# command line; prints the fd numbers by kind.
HOLDER = r"""
import json, os, socket, sys
fds = {}
for i, p in enumerate(sys.argv[1:]):
    fds["file%d" % i] = os.open(p, os.O_RDONLY)
a, b = socket.socketpair()
r, w = os.pipe()
fds.update(socket=a.fileno(), pipe=r, eventfd=os.eventfd(0), memfd=os.memfd_create("lsh-memfd"))
print(json.dumps(fds), flush=True)
sys.stdin.read()
"""


@unittest.skipUnless(is_root(), "the kernel view and other processes' fds need root")
class FdsFromKernelView(unittest.TestCase):
    def setUp(self):
        probe = run_lshidden("--deep", "-p", str(os.getpid()))
        if probe.returncode == 2:
            self.skipTest("the kernel view cannot be loaded here: "
                          + probe.stderr.decode(errors="replace").strip())
        self.top = tempfile.mkdtemp(prefix="lshidden-kfds-")
        self.addCleanup(shutil.rmtree, self.top)

    def hold(self, *paths):
        pid, line = python_holder(self, HOLDER, *paths)
        return pid, json.loads(line)

    def fd_rows(self, pid, *view):
        result, doc = run_json("-a", "-o", COLUMNS, *view)
        self.assertEqual(result.returncode, 0, result.stderr)
        return {r["fd"]: r for r in doc["files"] if r["pid"] == pid and r["source"] == "fd"}

    def make_files(self):
        plain = os.path.join(self.top, "plain")
        hostile = os.path.join(self.top, "new\nline \\ \x1b (deleted)")
        gone = os.path.join(self.top, "unlinked")
        # Deeper than the view's walk (48 components): /proc names it.
        deep = os.path.join(self.top, *["d"] * 60)
        os.makedirs(deep)
        deep = os.path.join(deep, "leaf")
        for p in (plain, hostile, gone, deep):
            with open(p, "w"):
                pass
        return plain, hostile, gone, deep

    def test_rows_come_from_the_kernel_and_match_proc(self):
        plain, hostile, gone, deep = self.make_files()
        pid, fds = self.hold(plain, hostile, gone, deep)
        os.unlink(gone)
        kernel = self.fd_rows(pid)
        procfs = self.fd_rows(pid, "--no-deep")
        self.assertEqual(sorted(kernel), sorted(procfs))
        self.assertLessEqual(set(fds.values()), set(kernel))
        for kind, fd in fds.items():
            with self.subTest(kind=kind):
                k, p = kernel[fd], procfs[fd]
                self.assertEqual(p["method"], "procfs")
                if kind == "file3":
                    self.assertEqual((k["method"], k["identity"]), ("procfs", "fd"), k)
                else:
                    self.assertEqual((k["method"], k["identity"]), ("bpf", "kernel"), k)
                strip = lambda r: {c: v for c, v in r.items() if c not in ("method", "identity")}
                self.assertEqual(strip(k), strip(p))
        self.assertEqual(path_bytes(kernel[fds["file1"]]), hostile.encode())
        self.assertEqual(path_bytes(kernel[fds["file3"]]), deep.encode())
        self.assertTrue(kernel[fds["file2"]]["deleted"])
        self.assertEqual(kernel[fds["file2"]]["path"], gone)
        self.assertEqual(kernel[fds["eventfd"]]["path"], "anon_inode:[eventfd]")
        self.assertTrue(kernel[fds["socket"]]["path"].startswith("socket:["))
        self.assertTrue(kernel[fds["pipe"]]["path"].startswith("pipe:["))

    def test_no_deep_and_pid_selection_read_proc(self):
        plain, *_ = self.make_files()
        pid, fds = self.hold(plain)
        for view in (("--no-deep",), ("-p", str(pid))):
            with self.subTest(view=view):
                result, doc = run_json("-a", "-o", COLUMNS, *view)
                rows = [r for r in doc["files"] if r["pid"] == pid and r["fd"] == fds["file0"]]
                self.assertEqual(len(rows), 1, rows)
                self.assertEqual(rows[0]["method"], "procfs")


if __name__ == "__main__":
    run_tests()
