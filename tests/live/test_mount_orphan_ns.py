"""Live tests of lshidden --mount: mount namespaces that no process is in.
A namespace kept by an nsfs bind mount (`unshare --mount=FILE`) or by an fd
on /proc/PID/ns/mnt keeps its copy of the filesystem: umount here succeeds,
and the filesystem lives on there.  Each test proves that first, in a copy
of this namespace, then asks lshidden here.  Runs in a private mount
namespace of its own.  Needs root.  Environment: see
tests/pylib/lshidden_test.py.
"""
import os
import subprocess
import sys
import tempfile
import unittest

from lshidden_test import (describe, in_private_namespace, is_root, mount_tmpfs, run_json,
                           run_tests, umount)

# Opens /proc/CHILD/ns/mnt of a child in a mount namespace of its own, then
# lets the child exit: only the fd keeps the namespace.  Prints the fd.
FD_HOLDER = r"""
import os, subprocess, sys
child = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                          "echo ready; exec sleep 600"], stdout=subprocess.PIPE)
assert child.stdout.readline() == b"ready\n"
fd = os.open(f"/proc/{child.pid}/ns/mnt", os.O_RDONLY)
child.kill()
child.wait()
print(fd, flush=True)
sys.stdin.read()
"""


@unittest.skipUnless(is_root(), "mounting and namespaces need root")
class OrphanNamespaceTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-orphan-ns-")
        self.addCleanup(os.rmdir, self.top)
        self.data = os.path.join(self.top, "data")
        os.mkdir(self.data)
        self.addCleanup(os.rmdir, self.data)
        mount_tmpfs(self, self.data)
        with open(os.path.join(self.data, "kept"), "w") as f:
            f.write("kept\n")

    def rows(self):
        result, doc = run_json("--mount", self.data)
        self.assertEqual(result.returncode, 0, describe(result))
        return [r for r in doc["files"] if r["holder"] == "mount-namespace"], doc

    def test_namespace_kept_by_an_nsfs_mount(self):
        # A bind of an nsfs file needs its mount point's mount private.
        pins = tempfile.mkdtemp(prefix="lshidden-pins-")
        self.addCleanup(os.rmdir, pins)
        subprocess.run(["mount", "--bind", pins, pins], check=True)
        self.addCleanup(lambda: umount(pins) and umount(pins, 2))
        subprocess.run(["mount", "--make-private", pins], check=True)
        pin = os.path.join(pins, "ns")
        open(pin, "w").close()
        self.addCleanup(os.unlink, pin)
        # A namespace of a process, bound onto the pin, then the process
        # gone: only the nsfs mount keeps the namespace.  The kernel refuses
        # (EINVAL) to bind a namespace whose id is not newer than ours, and
        # ids come from per-CPU batches: the child is made on each CPU in
        # turn until one gives a newer id.
        for cpu in sorted(os.sched_getaffinity(0)):
            child = subprocess.Popen(["taskset", "-c", str(cpu), "unshare", "-m",
                                      "--propagation", "private", "sh", "-c",
                                      "echo ready; exec sleep 600"], stdout=subprocess.PIPE)
            self.addCleanup(child.wait, 30)
            self.addCleanup(child.kill)
            self.addCleanup(child.stdout.close)
            self.assertEqual(child.stdout.readline(), b"ready\n")
            bound = subprocess.run(["mount", "--bind", f"/proc/{child.pid}/ns/mnt", pin],
                                   capture_output=True, timeout=30)
            child.kill()
            child.wait(30)
            if bound.returncode == 0:
                break
        self.assertEqual(bound.returncode, 0, bound.stderr)
        self.addCleanup(lambda: umount(pin) and umount(pin, 2))
        # The premise: with no process in it, the namespace still has the
        # filesystem after umount here.
        # (A copy of this namespace has no copy of the nsfs mount: the
        # namespace goes in as an fd opened here.)
        ns_fd = os.open(pin, os.O_RDONLY)
        self.addCleanup(os.close, ns_fd)
        proof = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                f'umount "$1" && nsenter --mount=/proc/self/fd/{ns_fd} '
                                f'cat "$1/kept"', "sh", self.data],
                               capture_output=True, timeout=30, pass_fds=(ns_fd,))
        self.assertEqual((proof.returncode, proof.stdout), (0, b"kept\n"), proof.stderr)
        ns = os.stat(pin).st_ino

        rows, doc = self.rows()
        mine = [r for r in rows if r["mnt_ns"] == ns]
        self.assertEqual([(r["object"], r["effect"], r["possible"], r["pid"], r["path"],
                           r["hint"]) for r in mine],
                         [(f"mnt:[{ns}] held by nsfs mount {pin}", "keeps-alive", False, None,
                           self.data, f"umount {pin}")], doc["files"])

    def test_namespace_kept_by_an_fd(self):
        proc = subprocess.Popen([sys.executable, "-c", FD_HOLDER], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.stdin.close)
        self.addCleanup(proc.stdout.close)
        fd = int(proc.stdout.readline())
        link = os.readlink(f"/proc/{proc.pid}/fd/{fd}")
        ns = int(link[len("mnt:["):-1])
        proof = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                'umount "$1" && nsenter --mount="$2" cat "$1/kept"', "sh",
                                self.data, f"/proc/{proc.pid}/fd/{fd}"],
                               capture_output=True, timeout=30)
        self.assertEqual((proof.returncode, proof.stdout), (0, b"kept\n"), proof.stderr)

        rows, doc = self.rows()
        mine = [r for r in rows if r["mnt_ns"] == ns]
        self.assertEqual([(r["object"], r["effect"], r["pid"], r["fd"], r["hint"])
                          for r in mine],
                         [(f"mnt:[{ns}] held by fd {fd} of {proc.pid}", "keeps-alive", proc.pid,
                           fd, f"close fd {fd} of {proc.pid}, or kill {proc.pid}")],
                         doc["files"])


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
