"""No side effects: lshidden reads fusectl where it is mounted, and where
it is not, mounts it only in a mount namespace of its own.  The mount table
is the same after any run as before.  The test runs in a private mount
namespace of its own, where it can take fusectl away without touching the
host's."""
import json
import os
import tempfile
import unittest

from lshidden_test import (in_private_namespace, is_root, mount_tmpfs, run_lshidden, run_tests,
                           start_fuse_server, umount)

FUSECTL = "/sys/fs/fuse/connections"


def mount_table():
    """Our mounts, without the fields that change on their own."""
    with open("/proc/self/mountinfo") as f:
        return [line.split(" - ")[0] for line in f]


@unittest.skipUnless(is_root() and os.path.exists("/dev/fuse"), "needs root and /dev/fuse")
class NoSideEffects(unittest.TestCase):
    def setUp(self):
        # fusectl may be mounted here (copied from the host's namespace):
        # away with it, in this namespace only.
        while os.path.ismount(FUSECTL):
            self.assertEqual(umount(FUSECTL), 0)
        self.top = tempfile.mkdtemp(prefix="lshidden-sidefx-")
        self.addCleanup(os.rmdir, self.top)
        back, mnt = os.path.join(self.top, "back"), os.path.join(self.top, "mnt")
        for d in (back, mnt):
            os.mkdir(d)
            self.addCleanup(os.rmdir, d)
        mount_tmpfs(self, back)
        with open(os.path.join(back, "data"), "w") as f:
            f.write("x\n")
        self.server, self.manifest = start_fuse_server(self, mnt, back)
        self.back = back

    def test_mount_table_unchanged(self):
        before = mount_table()
        self.assertFalse(os.listdir(FUSECTL))  # the premise: fusectl is not mounted
        for args in (["--fuse", "-J"], ["-J"], ["-a", "-J"], ["--deep", "-J"],
                     ["--mount", self.back, "-J"], ["--fuse", "--deep"]):
            with self.subTest(args=args):
                result = run_lshidden(*args)
                self.assertIn(result.returncode, (0, 1, 3), result.stderr)
                self.assertEqual(mount_table(), before)
                self.assertFalse(os.listdir(FUSECTL))

    def test_fusectl_is_still_read(self):
        # Only fusectl says how many requests wait: a number, not null,
        # proves lshidden read it through its own private mount.
        result = run_lshidden("--fuse", "-J")
        self.assertEqual(result.returncode, 0, result.stderr)
        conns = json.loads(result.stdout)["connections"]
        ours = [c for c in conns if c["server_pids"] == [self.server.proc.pid]]
        self.assertEqual(len(ours), 1, conns)
        self.assertEqual(ours[0]["waiting"], 0)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
