"""Rows whose deleted state comes from the fd itself (named FIFOs, files
whose names look deleted), and fixed files whose " (deleted)" marker may be
part of a live file's name."""
import os
import tempfile
import unittest

from lshidden_test import HelperProcess, is_root, python_holder, run_json, run_tests

HOLDER = r"""
import os, sys
fds = [os.open(p, os.O_RDWR | os.O_NONBLOCK) for p in sys.argv[1:]]
print(" ".join(map(str, fds)), flush=True)
sys.stdin.read()
"""


@unittest.skipUnless(is_root(), "reading another process's fds needs root")
class FdRows(unittest.TestCase):
    def hold(self, *paths):
        pid, line = python_holder(self, HOLDER, *paths)
        return pid, [int(x) for x in line.split()]

    def rows(self, pid):
        _, doc = run_json("-a", "-p", str(pid))
        return {r["fd"]: r for r in doc["files"] if r["source"] == "fd"}

    def test_named_fifo_deleted_from_its_fd(self):
        top = tempfile.mkdtemp(prefix="lshidden-fifo-")
        self.addCleanup(os.rmdir, top)
        fifo = os.path.join(top, "pipe")
        os.mkfifo(fifo)
        pid, (fd,) = self.hold(fifo)
        row = self.rows(pid)[fd]
        self.assertEqual((row["type"], row["path"], row["deleted"]), ("FIFO", fifo, False))
        os.unlink(fifo)
        row = self.rows(pid)[fd]
        self.assertEqual((row["type"], row["path"], row["deleted"]), ("FIFO", fifo, True))

    def test_live_file_named_like_a_deleted_one(self):
        top = tempfile.mkdtemp(prefix="lshidden-named-")
        self.addCleanup(os.rmdir, top)
        name = os.path.join(top, "keep (deleted)")
        with open(name, "w"):
            pass
        self.addCleanup(os.unlink, name)
        pid, (fd,) = self.hold(name)
        row = self.rows(pid)[fd]
        self.assertEqual((row["type"], row["path"], row["deleted"]), ("REG", name, False))


@unittest.skipUnless(is_root(), "reading another process's fdinfo needs root")
class FixedFileNamedLikeDeleted(unittest.TestCase):
    def fixed_rows(self, path):
        helper = HelperProcess("mount_holder", ["uring-fixed", path])
        manifest = helper.start()
        self.addCleanup(helper.stop)
        rows = []
        for view in ((), ("--no-deep",)):
            _, doc = run_json("-p", str(manifest["pid"]), *view)
            rows += [r for r in doc["files"] if r["source"] == "uring-fixed"]
        self.assertEqual(len(rows), 2, rows)
        return rows

    def test_live_file_named_like_a_deleted_one(self):
        top = tempfile.mkdtemp(prefix="lshidden-keep-")
        self.addCleanup(os.rmdir, top)
        name = os.path.join(top, "keep (deleted)")
        self.addCleanup(lambda: os.path.exists(name) and os.unlink(name))
        kernel, procfs = self.fixed_rows(name)
        # The kernel view knows the file is not deleted.
        self.assertEqual((kernel["path"], kernel["deleted"], kernel["method"]),
                         (name, False, "bpf"))
        if procfs["path_complete"] is False:
            self.skipTest("this kernel prints only the last name component")
        # Not "keep", deleted: the marker is ambiguous, and the file is there.
        self.assertEqual((procfs["path"], procfs["deleted"], procfs["method"]),
                         (name, None, "procfs"))
        self.assertNotEqual(procfs["type"], "unknown")


if __name__ == "__main__":
    run_tests()
