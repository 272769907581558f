"""Live test of lshidden --mount: an audit watch (auditctl -w) on a file
of the mount does not hold it, and is never listed.  The kernel keeps a
watch as an fsnotify mark on the file's directory, which umount tears
down (and the rule with it): umount succeeds.

Audit rules are the host's, not this namespace's: the test adds one rule
of its own, with a key of its own, and removes exactly that rule on every
path (never -D).  Skips (77) without auditctl (Debian package auditd) or
where the kernel refuses audit rules, with the kernel's reason.  Runs in a
private mount namespace of its own.  Needs root.  Environment: see
tests/pylib/lshidden_test.py.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from lshidden_test import (describe, in_private_namespace, is_root, mount_tmpfs, run_json,
                           run_tests, umount)


def auditctl(*args):
    return subprocess.run(["auditctl", *args], capture_output=True, text=True, timeout=30)


@unittest.skipUnless(is_root(), "mounting and audit rules need root")
class AuditWatchTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        if not shutil.which("auditctl"):
            self.skipTest("no auditctl (Debian package auditd; scripts/install-deps)")
        self.top = tempfile.mkdtemp(prefix="lshidden-audit-")
        self.addCleanup(os.rmdir, self.top)
        self.data = os.path.join(self.top, "data")
        os.mkdir(self.data)
        self.addCleanup(os.rmdir, self.data)
        mount_tmpfs(self, self.data)
        self.watched = os.path.join(self.data, "watched")
        with open(self.watched, "w") as f:
            f.write("x\n")
        self.addCleanup(lambda: os.path.exists(self.watched) and os.unlink(self.watched))

    def our_rule(self):
        return f"-w {self.watched} -p rwxa -k {self.key}"

    def listed_rules(self):
        result = auditctl("-l")
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.splitlines()

    def remove_rule(self):
        """Our rule and no other.  umount has usually removed it already
        (the kernel drops a watch whose directory goes): then -W finds
        nothing, and the listing proves it gone."""
        auditctl("-W", self.watched, "-p", "rwxa", "-k", self.key)
        self.assertNotIn(self.our_rule(), self.listed_rules())

    def test_audit_watch_does_not_hold(self):
        self.key = f"lshidden-test-{os.getpid()}"
        added = auditctl("-w", self.watched, "-p", "rwxa", "-k", self.key)
        if added.returncode != 0:
            self.skipTest(f"the kernel refuses audit rules: {added.stderr.strip()}")
        self.addCleanup(self.remove_rule)
        self.assertIn(self.our_rule(), self.listed_rules())
        # The watch is live: opening the file is audited, nothing holds it.
        with open(self.watched):
            pass

        result, doc = run_json("--mount", self.data)
        self.assertEqual(doc["files"], [], describe(result))
        # 1, or 3 where some process could not be inspected (the warnings
        # say which): never 0, and nothing about audit.
        self.assertIn(result.returncode, (1, 3), describe(result))
        self.assertNotIn("audit", str(doc.get("warnings", [])))

        # The premise: with the watch in place, umount succeeds.
        self.assertEqual(umount(self.data), 0)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
