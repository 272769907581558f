"""A copy of the mount in another namespace that receives propagation from
it (its parent is a peer or a slave of the target's parent's peer group)
makes umount here fail (propagate_mount_busy): it is blocks-umount, and
the references to the copy are holders too.  A copy that receives nothing
only keeps the filesystem alive.  Everything happens in a private mount
namespace of the test's own; lshidden runs there through nsenter."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from lshidden_test import end_on_eof, is_root, lshidden_path, run_tests

# In a private namespace: a shared tmpfs with the target tmpfs on it, then a
# child namespace (copied with PROPAGATION) whose process sits in the
# target's copy.  Prints "PID" of that process, then waits for EOF.
SCRIPT = r"""
set -e
d=$1 propagation=$2
mount -t tmpfs lshparent "$d"
mount --make-shared "$d"
mkdir "$d/t"
mount -t tmpfs lshtarget "$d/t"
unshare -m --propagation "$propagation" sh -c 'cd "$1/t" && exec sleep 600' sh "$d" &
child=$!
while ! grep -q " $d/t " /proc/$child/mountinfo 2>/dev/null; do sleep 0.05; done
echo "$child"
read _ || true
kill $child
wait $child 2>/dev/null || true
"""


@unittest.skipUnless(is_root(), "mount namespaces need root")
class Propagation(unittest.TestCase):
    def start(self, propagation):
        top = tempfile.mkdtemp(prefix="lshidden-prop-")
        self.addCleanup(os.rmdir, top)
        proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", SCRIPT,
                                 "sh", top, propagation],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

        self.addCleanup(end_on_eof, proc)
        line = proc.stdout.readline()
        self.assertTrue(line, proc.stderr.read1(4096) if proc.poll() is not None else "no pid")
        self.outer, self.child, self.target = proc.pid, int(line), os.path.join(top, "t")

    def inside(self, *cmd):
        return subprocess.run(["nsenter", "-t", str(self.outer), "-m", *cmd],
                              capture_output=True, timeout=60)

    def holders(self):
        p = self.inside(lshidden_path(), "--mount", self.target, "-J")
        self.assertIn(p.returncode, (0, 3), p.stderr)
        return p, json.loads(p.stdout)["files"]

    def test_receiver_blocks_umount_and_its_holders_are_listed(self):
        self.start("slave")
        umount = self.inside("umount", self.target)
        self.assertNotEqual(umount.returncode, 0, "the premise: umount fails")
        self.assertIn(b"busy", umount.stderr)
        p, rows = self.holders()
        self.assertEqual(p.returncode, 0, p.stderr)
        (ns,) = [r for r in rows if r["holder"] == "mount-namespace"]
        self.assertEqual(ns["effect"], "blocks-umount")
        cwd = [r for r in rows if r["pid"] == self.child and r["source"] == "cwd"]
        self.assertEqual(len(cwd), 1, rows)
        self.assertEqual((cwd[0]["effect"], cwd[0]["possible"]), ("blocks-umount", False))
        self.assertEqual(cwd[0]["mount_id"], ns["mount_id"])  # the copy's, not the target's

    def test_copy_that_receives_nothing_keeps_alive(self):
        self.start("private")
        p, rows = self.holders()
        (ns,) = [r for r in rows if r["holder"] == "mount-namespace"]
        self.assertEqual(ns["effect"], "keeps-alive")
        self.assertFalse([r for r in rows if r["pid"] == self.child and r["source"] == "cwd"])
        # And umount here succeeds: the copy lives on over there.
        umount = self.inside("umount", self.target)
        self.assertEqual(umount.returncode, 0, umount.stderr)


if __name__ == "__main__":
    run_tests()
