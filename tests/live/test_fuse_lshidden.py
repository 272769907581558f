"""lshidden against a real FUSE passthrough server (tests/helpers/fuse_pt_server):
which process serves which mount, --fuse, and why the backing filesystem stays
busy.  Needs root and /dev/fuse."""
import errno
import json
import os
import subprocess
import tempfile
import unittest

from lshidden_test import (in_private_namespace, is_root, mount_tmpfs, run_lshidden, run_tests,
                           start_fuse_server, umount)


def lshidden_json(*args):
    result = run_lshidden("-J", *args)
    return result, json.loads(result.stdout)


@unittest.skipUnless(is_root() and os.path.exists("/dev/fuse"), "needs root and /dev/fuse")
class FuseServerTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-fuse-")
        self.addCleanup(os.rmdir, self.top)
        self.back = os.path.join(self.top, "back")
        self.mnt = os.path.join(self.top, "mnt")
        os.mkdir(self.back)
        self.addCleanup(os.rmdir, self.back)
        os.mkdir(self.mnt)
        self.addCleanup(os.rmdir, self.mnt)
        mount_tmpfs(self, self.back)
        with open(os.path.join(self.back, "data"), "w") as f:
            f.write("backing bytes\n")

    def start_server(self, *options):
        return start_fuse_server(self, self.mnt, self.back, *options)

    def test_dev_fuse_rows_name_connection_and_mount(self):
        server, m = self.start_server("--clone")
        result, doc = lshidden_json("-a", "-p", str(server.pid))
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = {f["fd"]: f for f in doc["files"] if f["source"] == "fd"}
        for fd in (m["dev_fd"], m["clone_fd"]):
            self.assertEqual(rows[fd]["path"], "/dev/fuse")
            self.assertEqual(rows[fd]["fuse_connection"], m["connection"])
            self.assertEqual(rows[fd]["fuse_mount"], self.mnt)
        others = [f for f in doc["files"] if f["fd"] not in (m["dev_fd"], m["clone_fd"])]
        self.assertTrue(all(f["fuse_connection"] is None for f in others))

    def test_fuse_lists_the_connection(self):
        server, m = self.start_server()
        result, doc = lshidden_json("--fuse")
        self.assertEqual(result.returncode, 0, result.stderr)
        (conn,) = [c for c in doc["connections"] if c["connection"] == m["connection"]]
        self.assertEqual(conn["mountpoints"], [self.mnt])
        self.assertTrue(conn["fstype"].startswith("fuse"))
        # A server that outlives its mount keeps the old connection number in
        # fdinfo, and the kernel may hand that number to a new mount: other
        # tests' lingering servers can show up here too.
        self.assertIn(server.pid, conn["server_pids"])
        self.assertEqual(conn["waiting"], 0)
        # The kernel view read its backing-id table: none.
        self.assertEqual(conn["backing_files"], 0)
        # No released kernel lists backing files in /proc or /sys: without
        # the kernel view unknown, never 0.
        _, procfs = lshidden_json("--fuse", "--no-deep")
        (conn,) = [c for c in procfs["connections"] if c["connection"] == m["connection"]]
        self.assertIsNone(conn["backing_files"])
        table = run_lshidden("--fuse", "-r", "-n", "--no-deep").stdout.decode().splitlines()
        (line,) = [t for t in table if t.startswith(f"{m['connection']} ")]
        fields = line.split(" ")
        self.assertEqual(fields[:3], [str(m["connection"]), self.mnt, conn["fstype"]])
        self.assertIn(str(server.pid), fields[3].split(","))
        self.assertEqual(fields[4:], ["0", ""])

    def test_unlisted_backing_files_are_said_plainly(self):
        server, m = self.start_server("--preregister")
        result, doc = lshidden_json("-p", str(server.pid), "--no-deep")
        warnings = [w for w in doc["warnings"] if w["pid"] == server.pid]
        self.assertEqual(len(warnings), 1, doc["warnings"])
        self.assertIn(f"connection {m['connection']} cannot be shown", warnings[0]["reason"])
        self.assertIn("(--no-deep)", warnings[0]["reason"])
        self.assertIn(b"cannot be shown", run_lshidden("-p", str(server.pid), "--no-deep").stderr)
        # The kernel view (the default as root) lists them instead.
        result, doc = lshidden_json("-p", str(server.pid))
        self.assertEqual([w for w in doc["warnings"] if w["pid"] == server.pid], [])
        backing = [f for f in doc["files"] if f["source"] == "fuse-backing"]
        self.assertEqual([f["path"] for f in backing], [os.path.join(self.back, "data")])

    def test_busy_backing_mount_is_explained(self):
        server, m = self.start_server("--preregister")
        with open(os.path.join(self.mnt, "data")) as f:
            self.assertEqual(f.read(), "backing bytes\n")
        # The kernel holds the backing file for the connection: no fd anywhere.
        self.assertEqual(umount(self.back), errno.EBUSY)
        lsof = subprocess.run(["lsof", "-t", "+f", "--", self.back], capture_output=True)
        self.assertNotIn(str(server.pid).encode(), lsof.stdout.split())
        result, doc = lshidden_json("--mount", self.back)
        # The kernel view names the backing file: held, for certain.
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = [f for f in doc["files"] if f["holder"] == "fuse" and f["pid"] == server.pid]
        self.assertEqual([(r["possible"], r["source"], r["path"], r["method"]) for r in rows],
                         [(False, "fuse-backing", os.path.join(self.back, "data"), "bpf")])
        result, doc = lshidden_json("--mount", self.back, "--no-deep")
        # Without the kernel view the connection is only a possible holder:
        # possibly held, never free.
        self.assertEqual(result.returncode, 3, result.stderr)
        rows = [f for f in doc["files"] if f["holder"] == "fuse" and f["pid"] == server.pid]
        self.assertEqual(len(rows), 1, doc["files"])
        self.assertEqual((rows[0]["possible"], rows[0]["effect"], rows[0]["object"],
                          rows[0]["fuse_connection"], rows[0]["fuse_mount"]),
                         (True, "blocks-umount", f"FUSE connection {m['connection']}",
                          m["connection"], self.mnt))
        journal = run_lshidden("--mount", self.back, "--journal", "--no-deep").stdout.decode()
        self.assertIn(f"pid {server.pid}", journal)

    def test_server_gone(self):
        server, m = self.start_server()
        pid = server.pid
        server.stop()
        result, doc = lshidden_json("--fuse")
        self.assertFalse([c for c in doc["connections"] if c["server_pids"] == [pid]])


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
