"""A fixed file's path is only a name, and its owner controls it.  An
unprivileged process in a user and mount namespace of its own registers a
file in an io_uring ring, then replaces the name, on the host, with a
symlink to /etc/shadow: root's lshidden must not follow it (nor hang)."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from lshidden_test import (HelperProcess, describe, is_root, kernel_version, run_lshidden,
                           run_tests)

NOBODY = 65534


def as_nobody(*command):
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


# Inside: a tmpfs of the namespace's own on SUB, and the file in SUB/a.
MOUNT_THEN_EXEC = 'mount -t tmpfs none "$SUB" && mkdir "$SUB/a" && exec "$0" "$@"'


@unittest.skipUnless(is_root(), "needs root")
@unittest.skipUnless(kernel_version() >= (6, 14), "fdinfo names fixed files by path from 6.14")
class PlantedSymlink(unittest.TestCase):
    """fdinfo prints SUB/a/fixed from the namespace's root.  The owner then
    mounts over SUB/a, in its namespace, a tmpfs whose "fixed" is a symlink
    to /etc/shadow, and plants the same symlink at SUB/a/fixed on the host:
    the name now leads to /etc/shadow in either root, but it is not the
    file the ring holds."""

    def setUp(self):
        for tool in ("setpriv", "unshare", "nsenter"):
            if not shutil.which(tool):
                self.skipTest(f"needs {tool}")
        self.top = tempfile.mkdtemp(prefix="lshidden-planted-")
        self.addCleanup(shutil.rmtree, self.top)
        os.chmod(self.top, 0o755)
        self.sub = os.path.join(self.top, "sub")
        os.mkdir(self.sub)
        os.chown(self.sub, NOBODY, NOBODY)
        self.path = os.path.join(self.sub, "a", "fixed")
        prefix = ["env", f"SUB={self.sub}",
                  *as_nobody("unshare", "-U", "-m", "-r", "--propagation", "private",
                             "sh", "-c", MOUNT_THEN_EXEC)]
        helper = HelperProcess("mount_holder", ["uring-fixed", self.path], prefix=prefix)
        try:
            self.manifest = helper.start()
        except RuntimeError as e:
            self.skipTest(f"no unprivileged user and mount namespace here: {e}")
        self.addCleanup(helper.stop)
        self.pid = self.manifest["pid"]

    def plant(self, target):
        inside = f"mount -t tmpfs none {self.sub}/a && ln -s {target} {self.path}"
        subprocess.run(as_nobody("nsenter", "-t", str(self.pid), "-U", "-m", "--preserve-credentials",
                                 "sh", "-c", inside), check=True, timeout=10)
        subprocess.run(as_nobody("sh", "-c", f"mkdir {self.sub}/a && ln -s {target} {self.path}"),
                       check=True, timeout=10)

    def fixed_row(self, *view):
        """The ring's row from a /proc-only run (the lookups under test),
        or from the view given."""
        result = run_lshidden("-J", "-p", str(self.pid), *(view or ("--no-deep",)), timeout=10)
        self.assertIn(result.returncode, (0, 1), describe(result))
        rows = [r for r in json.loads(result.stdout)["files"] if r["source"] == "uring-fixed"]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def test_symlink_to_shadow_is_not_followed(self):
        # The premise: another mount namespace, whose file the ring holds.
        self.assertNotEqual(os.readlink(f"/proc/{self.pid}/ns/mnt"),
                            os.readlink("/proc/self/ns/mnt"))
        self.assertFalse(os.path.lexists(self.path))  # on the host, nothing there
        with open(f"/proc/{self.pid}/fdinfo/{self.manifest['ring_fd']}") as f:
            self.assertIn(self.path, f.read())
        # Looked up in the process's root, where the name is that file.
        before = self.fixed_row()
        self.assertEqual(before["inode"], self.manifest["inode"])
        self.assertEqual(before.get("identity"), "path")

        self.plant("/etc/shadow")
        self.assertTrue(stat.S_ISLNK(os.lstat(self.path).st_mode))
        self.assertEqual(os.readlink(f"/proc/{self.pid}/root{self.path}"), "/etc/shadow")
        row = self.fixed_row()
        self.assertEqual(row["path"], self.path)
        self.assertNotEqual(row["inode"], os.stat("/etc/shadow").st_ino, row)
        self.assertEqual((row["identity"], row["inode"], row["dev"]), (None, None, None), row)
        # The kernel view looks nothing up: the held file, whatever is planted.
        kernel = self.fixed_row("--deep")
        self.assertEqual((kernel["identity"], kernel["inode"], kernel["path"]),
                         ("kernel", self.manifest["inode"], self.path), kernel)


if __name__ == "__main__":
    run_tests()
