"""Live test of lshidden --mount and --dev: an fsopen() context that holds
a filesystem's superblock (FSCONFIG_CMD_CREATE, never mounted) keeps it
alive after its last mount is gone.  The test proves that by mounting the
context (fsmount) after the umount and reading a file, then asks lshidden.
Runs in a private mount namespace of its own.  Needs root, mkfs.ext4 and a
loop device.  Environment: see tests/pylib/lshidden_test.py.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from lshidden_test import (describe, ext4_loop_device, in_private_namespace, is_root, run_json,
                           run_tests, umount)

# argv: fstype, source.  Prints the context fd; then, for each "probe" line,
# mounts the context and prints the first line of its "kept" file.
HOLDER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_fsopen, SYS_fsconfig, SYS_fsmount = 430, 431, 432
FSCONFIG_SET_STRING, FSCONFIG_CMD_CREATE = 1, 6
fc = libc.syscall(SYS_fsopen, sys.argv[1].encode(), 1)  # FSOPEN_CLOEXEC
assert fc >= 0, ctypes.get_errno()
assert libc.syscall(SYS_fsconfig, fc, FSCONFIG_SET_STRING, b"source", sys.argv[2].encode(), 0) == 0
assert libc.syscall(SYS_fsconfig, fc, FSCONFIG_CMD_CREATE, None, None, 0) == 0, ctypes.get_errno()
print(fc, flush=True)
for line in sys.stdin:
    mfd = libc.syscall(SYS_fsmount, fc, 1, 0)  # FSMOUNT_CLOEXEC
    assert mfd >= 0, ctypes.get_errno()
    with open(f"/proc/self/fd/{mfd}/kept") as f:
        print(f.readline().strip(), flush=True)
    os.close(mfd)
"""


@unittest.skipUnless(is_root(), "mounting needs root")
class FsContextTest(unittest.TestCase):
    maxDiff = None

    def test_context_keeps_the_superblock(self):
        top = tempfile.mkdtemp(prefix="lshidden-fsctx-")
        self.addCleanup(shutil.rmtree, top, True)
        device = ext4_loop_device(self, top)
        mnt = os.path.join(top, "mnt")
        os.mkdir(mnt)
        subprocess.run(["mount", device, mnt], check=True, timeout=30)
        self.addCleanup(lambda: umount(mnt) and umount(mnt, 2))
        with open(os.path.join(mnt, "kept"), "w") as f:
            f.write("kept\n")

        proc = subprocess.Popen([sys.executable, "-c", HOLDER, "ext4", device],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.stdin.close)
        self.addCleanup(proc.stdout.close)
        fd = int(proc.stdout.readline())
        want = [("fs-context", proc.pid, fd, "keeps-alive", False, f"fs_context fd {fd}")]
        pick = lambda doc: [(r["holder"], r["pid"], r["fd"], r["effect"], r["possible"],
                             r["object"]) for r in doc["files"] if r["holder"] == "fs-context"]
        # Mounted: one more thing that keeps the filesystem after umount.
        result, doc = run_json("--mount", mnt)
        self.assertEqual(pick(doc), want, doc["files"])

        # The premise: with its only mount gone, the superblock lives on in
        # the context, files and all.
        self.assertEqual(umount(mnt), 0)
        proc.stdin.write("probe\n")
        proc.stdin.flush()
        self.assertEqual(proc.stdout.readline(), "kept\n")

        result, doc = run_json("--dev", device)
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual(pick(doc), want, doc["files"])
        # /proc alone cannot say which superblock: possible.
        result, doc = run_json("--dev", device, "--no-deep")
        self.assertEqual([p[4] for p in pick(doc)], [True], doc["files"])
        self.assertEqual(result.returncode, 3, describe(result))


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
