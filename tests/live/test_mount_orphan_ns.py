"""Live tests of lshidden --mount: mount namespaces that no process is in.
A namespace kept by an nsfs bind mount (`unshare --mount=FILE`), by an fd
on /proc/PID/ns/mnt, or by an io_uring fixed file whose fd is closed keeps
its copy of the filesystem: umount here succeeds, and the filesystem lives
on there.  Each test proves that first, in a copy of this namespace, then
asks lshidden here.  Runs in a private mount namespace of its own.  Needs
root.  Environment: see tests/pylib/lshidden_test.py.
"""
import errno
import fcntl
import os
import struct
import subprocess
import sys
import tempfile
import time
import unittest

from lshidden_test import (HelperProcess, describe, in_private_namespace, is_root, mount_tmpfs,
                           run_json, run_tests, umount, unprivileged_copy)

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

# NS_MNT_GET_INFO, NS_MNT_GET_NEXT and NS_MNT_GET_PREV
# (include/uapi/linux/nsfs.h, 6.12+): _IOR(0xb7, 10, 11 and 12, struct
# mnt_ns_info), a 16-byte struct whose last field is the namespace's id.
NS_MNT_GET_INFO = 0x8010b70a
NS_MNT_GET_NEXT = 0x8010b70b
NS_MNT_GET_PREV = 0x8010b70c


def namespace_id(fd, request=NS_MNT_GET_INFO):
    """(the ioctl's result, the 64-bit id it reported) for the nsfs fd."""
    info = bytearray(struct.pack("II", 16, 0) + bytes(8))
    result = fcntl.ioctl(fd, request, info, True)
    return result, struct.unpack_from("Q", info, 8)[0]


def walked_namespaces():
    """The ids of every mount namespace the kernel's own walk visits from
    ours, ours included; None when this kernel has no walk.  Ids, not
    inodes: the kernel hands a freed inode number to the next namespace."""
    start = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    try:
        seen = {namespace_id(start)[1]}
        for request in (NS_MNT_GET_NEXT, NS_MNT_GET_PREV):
            fd = os.dup(start)
            try:
                while True:
                    try:
                        step, ns_id = namespace_id(fd, request)
                    except OSError as e:
                        if e.errno == errno.ENOENT:
                            break
                        if e.errno in (errno.ENOTTY, errno.EINVAL):
                            return None
                        raise
                    os.close(fd)
                    fd = step
                    seen.add(ns_id)
            finally:
                os.close(fd)
    except OSError as e:
        if e.errno in (errno.ENOTTY, errno.EINVAL):
            return None
        raise
    finally:
        os.close(start)
    return seen


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

    def test_namespace_kept_only_by_an_io_uring_fixed_file(self):
        """A namespace that only a ring's fixed file keeps: no process is in
        it, no mount table and no fd names it.  Only the kernel's walk of
        every namespace (6.12+) finds it."""
        if walked_namespaces() is None:
            self.skipTest("this kernel cannot walk mount namespaces (NS_MNT_GET_NEXT)")
        child = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                  "echo ready; exec sleep 600"], stdout=subprocess.PIPE)
        self.addCleanup(child.wait, 30)
        self.addCleanup(child.kill)
        self.addCleanup(child.stdout.close)
        self.assertEqual(child.stdout.readline(), b"ready\n")
        # Ours for the proof, closed before lshidden looks.
        ns_fd = os.open(f"/proc/{child.pid}/ns/mnt", os.O_RDONLY)
        closed = []
        self.addCleanup(lambda: closed or os.close(ns_fd))
        ns = os.fstat(ns_fd).st_ino
        ns_id = namespace_id(ns_fd)[1]
        helper = HelperProcess("uring_holder", [f"mount-ns:pid={child.pid}"], parent=self.top)
        manifest = helper.start()
        self.addCleanup(helper.stop)
        (ring,) = manifest["rings"]
        self.assertEqual(ring["files"][0]["inode"], ns)
        child.kill()
        child.wait(30)
        # The premise: umount here, and the namespace still has the file.
        proof = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                f'umount "$1" && nsenter --mount=/proc/self/fd/{ns_fd} '
                                f'cat "$1/kept"', "sh", self.data],
                               capture_output=True, timeout=30, pass_fds=(ns_fd,))
        self.assertEqual((proof.returncode, proof.stdout), (0, b"kept\n"), proof.stderr)
        os.close(ns_fd)
        closed.append(True)
        # Now the ring alone keeps it: the kernel still lists it.
        self.assertIn(ns_id, walked_namespaces())

        rows, doc = self.rows()
        mine = [r for r in rows if r["mnt_ns"] == ns]
        pid, fd = manifest["pid"], ring["fd"]
        self.assertEqual([(r["object"], r["effect"], r["possible"], r["pid"], r["path"],
                           r["hint"]) for r in mine],
                         [(f"mnt:[{ns}] held by io_uring fixed file 0 of fd {fd} of {pid}",
                           "keeps-alive", False, pid, self.data,
                           f"close fd {fd} of {pid}, or kill {pid}")], doc["files"])

        # And the ring was what kept it: gone with the ring.
        helper.stop()
        deadline = time.monotonic() + 30
        while ns_id in walked_namespaces() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertNotIn(ns_id, walked_namespaces())

    def test_a_walk_refused_is_a_warning_never_free(self):
        """The kernel walks every namespace only for CAP_SYS_ADMIN in the
        initial user and PID namespaces: anyone else is told, and never
        hears that the mount is free."""
        if walked_namespaces() is None:
            self.skipTest("this kernel cannot walk mount namespaces (NS_MNT_GET_NEXT)")
        os.chmod(self.top, 0o755)  # where uid 65534 can resolve the path
        result, doc = run_json("--mount", self.data, "--no-deep", binary=unprivileged_copy(self),
                               prefix=("setpriv", "--reuid=65534", "--regid=65534",
                                       "--clear-groups"))
        self.assertEqual(result.returncode, 3, describe(result))
        self.assertIn("mount namespaces no process is in were not all looked for: the kernel "
                      "walks them (NS_MNT_GET_NEXT) only for CAP_SYS_ADMIN in the initial user "
                      "and PID namespaces", [w["reason"] for w in doc["warnings"]])


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
