"""Live tests of lshidden --mount and --dev: requests in flight that hold a
file on the mount after its fd was closed.

- Linux AIO: an IOCB_CMD_POLL request on a FIFO that nobody writes to
  (mount_holder aio-poll).  /proc shows only the context's /[aio]
  mapping: without the kernel view the process is a possible holder; the
  kernel view names the file (mm->ioctx_table, active_reqs).
- io_uring: IORING_OP_POLL_ADD on such a FIFO, or a READ of it, armed in
  the ring's cancel table (uring-poll, uring-read), and a splice into it
  that an io-wq worker runs and blocks in (uring-worker).  /proc shows nothing of either; the kernel
  view names the file.

Each holder is proven first: no fd of the helper names the file, and
umount fails with EBUSY; after the helper ends, the mount is free again
(ring teardown is asynchronous, so within a bounded retry).  Runs in a
private mount namespace of its own.  Needs root.  Environment: see
tests/pylib/lshidden_test.py.
"""
import errno
import os
import tempfile
import time
import unittest

from lshidden_test import (HelperProcess, describe, in_private_namespace, is_root, run_json,
                           run_lshidden, run_tests, tmpfs_below, umount)

IN_FLIGHT_KEYS = ("pid", "path", "type", "inode", "holder", "effect", "possible", "hidden",
                  "method", "hint")


def mount_dev(path):
    st = os.stat(path)
    return f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"


@unittest.skipUnless(is_root(), "mounting needs root")
class InFlightRequestsTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-requests-")
        self.addCleanup(os.rmdir, self.top)

    def tmpfs(self, name):
        return tmpfs_below(self, self.top, name)

    def hold(self, mode, mnt):
        """mount_holder MODE on mnt/fifo, proven to hold the mount: no fd
        of it names the file, and umount fails with EBUSY."""
        path = os.path.join(mnt, "fifo")
        helper = HelperProcess("mount_holder", [mode, path])
        manifest = helper.start()
        self.addCleanup(helper.stop, False)
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        for fd in os.listdir(f"/proc/{helper.pid}/fd"):
            self.assertNotEqual(os.readlink(f"/proc/{helper.pid}/fd/{fd}"), path)
        self.assertEqual(umount(mnt), errno.EBUSY)
        return helper, manifest, path

    def expect_freed(self, helper, mnt, path):
        """Once the helper ends, the request goes and umount succeeds; an
        exiting ring's requests are cancelled by a kernel worker, later."""
        os.unlink(path)
        helper.stop()
        deadline = time.monotonic() + 30
        while umount(mnt) == errno.EBUSY and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.ismount(mnt), "the mount is still busy after the helper ended")

    def in_flight_rows(self, doc, pid):
        return [r for r in doc["files"] if r["holder"] == "in-flight" and r["pid"] == pid]

    def expect_certain_row(self, doc, helper, path, note):
        rows = self.in_flight_rows(doc, helper.pid)
        self.assertEqual([{k: r[k] for k in IN_FLIGHT_KEYS} for r in rows],
                         [{"pid": helper.pid, "path": path, "type": "FIFO",
                           "inode": os.stat(path).st_ino, "holder": "in-flight",
                           "effect": "blocks-umount", "possible": False, "hidden": True,
                           "method": "bpf", "hint": f"kill {helper.pid}"}], doc["files"])
        self.assertEqual(rows[0]["note"], note)
        return rows[0]

    def test_aio_poll_request(self):
        mnt = self.tmpfs("aio")
        helper, _, path = self.hold("aio-poll", mnt)
        result, doc = run_json("--mount", mnt)
        self.assertEqual(result.returncode, 0, describe(result))
        self.expect_certain_row(doc, helper, path, "held by a pending Linux AIO poll request")
        result = run_lshidden("--mount", mnt, "--journal")
        self.assertIn(f"lshidden: {mnt}: held by pid {helper.pid} (mount_holder) file in flight "
                      f"{path} (blocks umount, hidden)\n", result.stdout.decode(), describe(result))
        # /proc alone: the /[aio] mapping, so a possible holder.
        result, doc = run_json("--mount", mnt, "--no-deep")
        self.assertEqual(result.returncode, 3, describe(result))
        rows = self.in_flight_rows(doc, helper.pid)
        self.assertEqual([(r["possible"], r["effect"], r["object"], r["path"], r["hint"])
                          for r in rows],
                         [(True, "blocks-umount",
                           "1 Linux AIO context: a poll request may hold a file", None,
                           f"kill {helper.pid}")], doc["files"])
        result = run_lshidden("--mount", mnt, "--no-deep", "--journal")
        self.assertIn(f"lshidden: {mnt}: held by pid {helper.pid} (mount_holder) in-flight 1 Linux "
                      f"AIO context: a poll request may hold a file (blocks umount, hidden, "
                      f"possible)\n", result.stdout.decode(), describe(result))
        self.expect_freed(helper, mnt, path)

    def test_uring_poll_request(self):
        # POLL_ADD, and a READ that finds nothing and waits armed for poll.
        for mode in ("uring-poll", "uring-read"):
            with self.subTest(mode=mode):
                mnt = self.tmpfs(mode)
                helper, manifest, path = self.hold(mode, mnt)
                result, doc = run_json("--mount", mnt)
                self.assertEqual(result.returncode, 0, describe(result))
                ring_fd = manifest["ring_fd"]
                row = self.expect_certain_row(
                    doc, helper, path,
                    f"held by an io_uring request armed for poll on ring fd {ring_fd}")
                self.assertEqual((row["ring_fd"], row["ring_inode"], row.get("tid")),
                                 (ring_fd, manifest["ring_inode"], None))
                self.expect_unseen_without_view(mnt, helper)
                self.expect_freed(helper, mnt, path)

    def test_uring_request_in_a_worker(self):
        mnt = self.tmpfs("uring-worker")
        helper, _, path = self.hold("uring-worker", mnt)
        result, doc = run_json("--mount", mnt)
        self.assertEqual(result.returncode, 0, describe(result))
        rows = self.in_flight_rows(doc, helper.pid)
        self.assertEqual(len(rows), 1, doc["files"])
        tid = rows[0].get("tid")
        self.assertIsNotNone(tid, rows[0])
        with open(f"/proc/{helper.pid}/task/{tid}/comm") as f:
            self.assertTrue(f.read().startswith("iou-wrk-"), tid)
        self.expect_certain_row(
            doc, helper, path, f"held by an io_uring request that io-wq worker thread {tid} is running")
        self.expect_unseen_without_view(mnt, helper)
        self.expect_freed(helper, mnt, path)

    def expect_unseen_without_view(self, mnt, helper):
        """/proc shows nothing of an io_uring request: nothing certain is
        said, and a view that could not load says what that hides."""
        result, doc = run_json("--mount", mnt, "--no-deep")
        self.assertIn(result.returncode, (1, 3), describe(result))
        self.assertEqual(self.in_flight_rows(doc, helper.pid), [], doc["files"])
        result, doc = run_json("--mount", mnt,
                               prefix=("env", "LSHIDDEN_DEEP_BTF=/nonexistent/vmlinux"))
        self.assertIn(result.returncode, (1, 3), describe(result))
        self.assertTrue(any("io_uring requests in flight" in w["reason"]
                            for w in doc["warnings"]), doc["warnings"])

    def test_by_device_after_lazy_umount(self):
        for mode, note in (("aio-poll", "held by a pending Linux AIO poll request"),
                           ("uring-worker", "io-wq worker thread")):
            with self.subTest(mode=mode):
                mnt = self.tmpfs(mode)
                helper, _, path = self.hold(mode, mnt)
                dev, inode = mount_dev(mnt), os.stat(path).st_ino
                self.assertEqual(umount(mnt, 2), 0)  # MNT_DETACH: the device lives on
                result, doc = run_json("--dev", dev)
                self.assertEqual(result.returncode, 0, describe(result))
                rows = self.in_flight_rows(doc, helper.pid)
                self.assertEqual([(r["dev"], r["inode"], r["path"], r["possible"]) for r in rows],
                                 [(dev, inode, "/fifo", False)], doc["files"])
                self.assertIn(note, rows[0]["note"])
                helper.stop()


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
