"""Live tests of lshidden --mount with the kernel view, the default as root:
answers a service manager can act on.

- An idle tmpfs, with a plain (non-passthrough) FUSE mount and a ring with
  no fd alive on the host: free by default (3 only for processes the
  kernel's task iterators do not show either), possibly held with
  --no-deep.
- A caller with CAP_BPF and CAP_PERFMON but no other privilege: /proc hides
  root's processes from it, the kernel view does not; a root process's fd
  and cwd on the mount are certain holders by default, and --no-deep can
  only say "possibly held".
- A FUSE passthrough file held only by a client's mapping: the client
  closed its fd, the server its backing id; umount of the backing
  filesystem fails with EBUSY, and only the kernel view names the file.

Each holder is proven real (EBUSY from umount) before lshidden is asked.
Runs in a private mount namespace of its own.  Needs root, BTF and FUSE
passthrough (Linux 6.9+).  Environment: see tests/pylib/lshidden_test.py.
"""
import errno
import os
import subprocess
import sys
import tempfile
import unittest

from lshidden_test import (HelperProcess, describe, in_private_namespace, is_root,
                           kernel_version, mount_tmpfs, run_json, run_tests, start_fuse_server,
                           umount, unprivileged_copy)

UNPRIVILEGED = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
BPF_CAPS = ("--inh-caps=+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon")
HIDDEN_FROM_KERNEL = "the kernel view does not show this process either"


def unseen_reasons(doc):
    return [w["reason"] for w in doc["warnings"]
            if w["pid"] is not None and w["reason"] != "process exited during the scan"]


@unittest.skipUnless(is_root(), "mounting, FUSE and the kernel view need root")
class KernelViewMountTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-kvmount-")
        os.chmod(self.top, 0o755)  # uid 65534 resolves --mount paths below it
        self.addCleanup(os.rmdir, self.top)

    def make_dir(self, name):
        path = os.path.join(self.top, name)
        os.mkdir(path)
        self.addCleanup(os.rmdir, path)
        return path

    def tmpfs(self, name):
        path = self.make_dir(name)
        mount_tmpfs(self, path)
        os.chmod(path, 0o755)
        return path

    def start(self, name, *args, **kwargs):
        helper = HelperProcess(name, args, **kwargs)
        manifest = helper.start()
        self.addCleanup(helper.stop)
        return manifest

    def test_idle_mount_is_free_with_fuse_and_fdless_rings_around(self):
        idle = self.tmpfs("idle")
        back, mnt = self.tmpfs("back"), self.make_dir("mnt")
        with open(os.path.join(back, "data"), "w") as f:
            f.write("plain\n")
        server, manifest = start_fuse_server(self, mnt, back, "--no-passthrough")
        self.assertFalse(manifest["passthrough"])
        ring_dir = self.tmpfs("rings")
        ring = self.start("uring_holder", "registered-fd-closed", parent=ring_dir)
        # The premise: both exist, and the idle mount is free.
        self.assertEqual(sorted(os.listdir(f"/proc/{ring['pid']}/fd")), ["0", "1", "2"])
        self.assertEqual(umount(ring_dir), errno.EBUSY)

        result, doc = run_json("--mount", idle)
        self.assertEqual(doc["files"], [], describe(result))
        reasons = unseen_reasons(doc)
        # Free, unless the host hides a process even from the kernel view.
        self.assertEqual(result.returncode, 3 if reasons else 1, describe(result))
        for reason in reasons:
            self.assertIn(HIDDEN_FROM_KERNEL, reason)

        # /proc alone: the ring's files and the connection's backing files
        # cannot be seen, so both are possible holders.
        result, doc = run_json("--mount", idle, "--no-deep")
        self.assertEqual(result.returncode, 3, describe(result))
        possible = {(r["holder"], r["pid"]) for r in doc["files"] if r["possible"]}
        self.assertIn(("io_uring", ring["pid"]), possible)
        self.assertTrue(all(r["possible"] for r in doc["files"]), doc["files"])

    def test_bpf_capabilities_see_what_proc_hides(self):
        mnt = self.tmpfs("held")
        os.mkdir(os.path.join(mnt, "cwd"))
        fd_holder = self.start("mount_holder", "fd", os.path.join(mnt, "file"))
        cwd_holder = self.start("mount_holder", "cwd", os.path.join(mnt, "cwd"))
        self.assertEqual(umount(mnt), errno.EBUSY)
        binary = unprivileged_copy(self)

        # /proc hides root's processes from uid 65534: possibly held.
        result, doc = run_json("--mount", mnt, "--no-deep", prefix=UNPRIVILEGED + BPF_CAPS,
                               binary=binary)
        self.assertEqual((result.returncode, doc["files"]), (3, []), describe(result))
        denied = {w["pid"] for w in doc["warnings"]}
        self.assertTrue({fd_holder["pid"], cwd_holder["pid"]} <= denied, doc["warnings"])

        # The kernel view reads their references: held, for certain.
        result, doc = run_json("--mount", mnt, prefix=UNPRIVILEGED + BPF_CAPS, binary=binary)
        self.assertEqual(result.returncode, 0, describe(result))
        rows = {(r["pid"], r["source"]): r for r in doc["files"]}
        want = {(fd_holder["pid"], "fd"): fd_holder, (cwd_holder["pid"], "cwd"): cwd_holder}
        for key, m in want.items():
            row = rows.get(key)
            self.assertIsNotNone(row, f"{key}: {doc['files']}")
            self.assertEqual({k: row[k] for k in ("holder", "possible", "effect", "method",
                                                  "identity", "inode", "mount_id", "path")},
                             {"holder": "process", "possible": False, "effect": "blocks-umount",
                              "method": "bpf", "identity": "kernel", "inode": m["inode"],
                              "mount_id": m["mount_id"],
                              "path": bytes.fromhex(m["path_hex"]).decode()})
        self.assertEqual(rows[(fd_holder["pid"], "fd")]["fd"], fd_holder["fd"])
        left = {w["pid"] for w in doc["warnings"]}
        self.assertFalse({fd_holder["pid"], cwd_holder["pid"]} & left, doc["warnings"])
        self.assertLess(len(left), len(denied))
        for reason in unseen_reasons(doc):
            self.assertIn(HIDDEN_FROM_KERNEL, reason)

    @unittest.skipUnless(kernel_version() >= (6, 9), "FUSE passthrough needs Linux 6.9")
    def test_passthrough_file_held_by_a_mapping_alone(self):
        back, mnt = self.tmpfs("back"), self.make_dir("mnt")
        with open(os.path.join(back, "mapped"), "wb") as f:
            f.write(b"m" * 8192)
        server, manifest = start_fuse_server(self, mnt, back, "--close-after-open")
        self.assertTrue(manifest["passthrough"], manifest)
        client = self.map_and_close(os.path.join(mnt, "mapped"))
        # The client has no fd on it, the server no backing id: only the
        # mapping holds the backing file, and the backing mount is busy.
        self.assertNotIn(mnt, " ".join(os.readlink(f"/proc/{client.pid}/fd/{fd}")
                                        for fd in os.listdir(f"/proc/{client.pid}/fd")))
        self.assertEqual(umount(back), errno.EBUSY)
        st = os.stat(os.path.join(back, "mapped"))

        result, doc = run_json("--mount", back)
        self.assertEqual(result.returncode, 0, describe(result))
        rows = [r for r in doc["files"] if r["source"] == "fuse-backing"]
        self.assertEqual(len(rows), 1, doc["files"])
        row = rows[0]
        self.assertEqual({k: row[k] for k in ("holder", "possible", "effect", "method", "path",
                                              "inode", "pid", "fuse_connection")},
                         {"holder": "fuse", "possible": False, "effect": "blocks-umount",
                          "method": "bpf", "path": os.path.join(back, "mapped"),
                          "inode": st.st_ino, "pid": server.pid,
                          "fuse_connection": manifest["connection"]})
        self.assertIn(f"mapped by PID {client.pid}", row["note"])
        self.assertEqual(row["hint"], f"kill {client.pid} (it maps the file)")
        # -p CLIENT lists it too: the kernel holds it for that mapping.
        result, doc = run_json("-p", str(client.pid))
        self.assertEqual([(r["source"], r["path"]) for r in doc["files"]],
                         [("fuse-backing", os.path.join(back, "mapped"))], describe(result))
        # /proc shows the mapping on the FUSE mount only; the connection is
        # at best a possible holder of the backing mount.
        result, doc = run_json("--mount", back, "--no-deep")
        self.assertEqual(result.returncode, 3, describe(result))
        self.assertFalse([r for r in doc["files"] if not r["possible"]], doc["files"])

    def map_and_close(self, path):
        """A process that maps path, closes its fd, and waits on stdin."""
        # mmap(2) itself: Python's mmap module keeps a dup of the fd.
        code = ("import ctypes, mmap, os, sys\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "libc.mmap.restype = ctypes.c_void_p\n"
                "libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,\n"
                "                      ctypes.c_int, ctypes.c_int, ctypes.c_long]\n"
                "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                "addr = libc.mmap(None, 8192, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)\n"
                "assert addr not in (None, ctypes.c_void_p(-1).value), ctypes.get_errno()\n"
                "os.close(fd)\n"
                "assert ctypes.string_at(addr, 1) == b'm'\n"
                "print('mapped', flush=True)\n"
                "sys.stdin.read()\n")
        client = subprocess.Popen([sys.executable, "-c", code, path], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        self.addCleanup(client.wait, 30)
        self.addCleanup(client.stdin.close)
        self.addCleanup(client.stdout.close)
        self.assertEqual(client.stdout.readline(), b"mapped\n")
        return client


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
