"""Live tests of lshidden --dev DEVICE: "why is this device still busy?"
after a lazy umount, when the filesystem is in no mount table any more and
--mount has nothing to ask about.  A process's fd and cwd keep the
filesystem (and its device) alive; lshidden names them by the device.
Runs in a private mount namespace of its own.  Needs root.  Environment:
see tests/pylib/lshidden_test.py.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from lshidden_test import (describe, ext4_loop_device, in_private_namespace, is_root, run_json,
                           run_lshidden, run_tests, umount)

HOLDER = r"""
import os, sys
fd = os.open(os.path.join(sys.argv[1], "file"), os.O_RDWR | os.O_CREAT, 0o644)
os.chdir(sys.argv[1])
print(fd, flush=True)
sys.stdin.read()
"""


@unittest.skipUnless(is_root(), "mounting needs root")
class ByDeviceTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-bydev-")
        self.addCleanup(shutil.rmtree, self.top, True)

    def mount(self, args):
        mnt = os.path.join(self.top, "mnt")
        os.mkdir(mnt)
        subprocess.run(["mount", *args, mnt], check=True, timeout=30)
        self.addCleanup(lambda: umount(mnt) and umount(mnt, 2))
        return mnt

    def hold(self, mnt):
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, mnt], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.stdin.close)
        self.addCleanup(proc.stdout.close)
        return proc, int(proc.stdout.readline())

    def check_lazily_unmounted(self, mnt, device, major_minor):
        proc, fd = self.hold(mnt)
        self.assertEqual(umount(mnt, 2), 0)  # MNT_DETACH: gone from every table
        with open("/proc/self/mountinfo") as f:
            self.assertNotIn(f" {major_minor} ", f.read())
        # The premise: the filesystem lives on through the holder.
        self.assertEqual(os.readlink(f"/proc/{proc.pid}/fd/{fd}"), "/file")
        result, doc = run_json("--dev", device)
        self.assertEqual(result.returncode, 0, describe(result))
        rows = sorted((r["source"], r["fd"], r["possible"], r["hint"])
                      for r in doc["files"] if r["pid"] == proc.pid)
        self.assertEqual(rows, [("cwd", None, False, f"kill {proc.pid}"),
                                ("fd", fd, False, f"kill {proc.pid}")], doc["files"])
        summary = run_lshidden("--dev", device).stdout.decode().splitlines()[-1]
        self.assertTrue(summary.startswith(f"{device} is held by 1 process"), summary)
        # Released: nothing left to name.
        proc.stdin.close()
        proc.wait(30)
        result, doc = run_json("--dev", device)
        self.assertEqual([r for r in doc["files"] if r["pid"] == proc.pid], [])
        self.assertIn(result.returncode, (1, 3), describe(result))

    def test_tmpfs_by_major_minor(self):
        mnt = self.mount(["-t", "tmpfs", "tmpfs"])
        st = os.stat(mnt)
        mm = f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
        self.check_lazily_unmounted(mnt, mm, mm)

    def test_ext4_on_a_loop_device(self):
        device = ext4_loop_device(self, self.top)
        mnt = self.mount([device])
        st = os.stat(mnt)
        self.check_lazily_unmounted(mnt, device, f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}")

    def test_not_a_device(self):
        result = run_lshidden("--dev", "/dev/null")
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"/dev/null: Block device required", result.stderr)
        for args in (["--dev", "8:1", "--mount", "/"], ["--prometheus", "--dev", "8:1"]):
            result = run_lshidden(*args)
            self.assertEqual(result.returncode, 2, describe(result))


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
