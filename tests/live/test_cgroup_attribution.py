"""Live tests of UNIT and CONTAINER: a real holder of a fresh mount, moved
into cgroups made for the test, is named by its unit and container in the
rows, the table, the --mount summary and --journal.

The cgroups are made under the cgroup v2 tree (/sys/fs/cgroup/unified on
this hybrid host, /sys/fs/cgroup on a pure v2 one) and, for the hybrid
case, under the name=systemd v1 tree; each test moves the holder back to
where it was and removes its cgroups, whatever happens.

Needs root.  Environment: LSHIDDEN, LSHIDDEN_HELPERS (mount_holder), see
tests/pylib/lshidden_test.py.
"""
import errno
import os
import re
import tempfile
import time
import unittest

from lshidden_test import (describe, HelperProcess, in_private_namespace, is_root, mount_tmpfs,
                           run_json, run_lshidden, run_tests)


def cgroup_mounts():
    """{"v2": mount point of cgroup2, "systemd": of the name=systemd v1 tree}."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype, options = fields[fields.index("-") + 1], fields[-1].split(",")
            if fstype == "cgroup2":
                found.setdefault("v2", fields[4])
            elif fstype == "cgroup" and "name=systemd" in options:
                found.setdefault("systemd", fields[4])
    return found


def cgroup_path(pid, hierarchy):
    """The path of pid in a hierarchy ("v2" or "systemd") from /proc/PID/cgroup."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            ident, controllers, path = line.rstrip("\n").split(":", 2)
            if (hierarchy == "v2" and ident == "0" and not controllers) or \
                    (hierarchy == "systemd" and controllers == "name=systemd"):
                return path
    return None


def move(pid, directory):
    with open(os.path.join(directory, "cgroup.procs"), "w") as f:
        f.write(str(pid))


def rmdir_retrying(path):
    """rmdir of a cgroup, waiting a moment while a task still leaves it."""
    for _ in range(100):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
            time.sleep(0.05)
    os.rmdir(path)


@unittest.skipUnless(is_root(), "moving processes between cgroups needs root")
class CgroupAttributionTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.mounts = cgroup_mounts()
        if "v2" not in self.mounts:
            self.skipTest("no cgroup v2 tree is mounted")

    def start_holder(self):
        """A mount_holder keeping a file open on a fresh tmpfs; returns
        (mount point, manifest)."""
        mnt = os.path.realpath(tempfile.mkdtemp(prefix="lshidden-cg-"))
        self.addCleanup(os.rmdir, mnt)
        mount_tmpfs(self, mnt)
        helper = HelperProcess("mount_holder", ["fd", os.path.join(mnt, "held")])
        manifest = helper.start()
        self.addCleanup(helper.stop)
        return mnt, manifest

    def enter_cgroup(self, pid, hierarchy, leaf):
        """Moves pid into <tree>/lshtest-PID.slice/<leaf> (made here) and
        registers the way back: pid to its old cgroup, both dirs removed."""
        root = self.mounts[hierarchy]
        old = os.path.join(root, cgroup_path(pid, hierarchy).lstrip("/"))
        parent = os.path.join(root, f"lshtest-{os.getpid()}.slice")
        target = os.path.join(parent, leaf)
        os.mkdir(parent)
        self.addCleanup(rmdir_retrying, parent)
        os.mkdir(target)
        self.addCleanup(rmdir_retrying, target)
        move(pid, target)
        self.addCleanup(self.leave_cgroup, pid, old)
        want = "/" + os.path.relpath(target, root)
        self.assertEqual(cgroup_path(pid, hierarchy), want, "the move did not happen")

    @staticmethod
    def leave_cgroup(pid, old):
        try:
            move(pid, old)
        except ProcessLookupError:
            pass  # it has exited already: nothing is left in the cgroup
        except OSError as e:
            if e.errno != errno.ESRCH:
                raise

    # -- what lshidden says ------------------------------------------------------

    def assert_rows(self, pid, unit, container):
        result, doc = run_json("-a", "-p", str(pid))
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertTrue(doc["files"], describe(result))
        for row in doc["files"]:
            self.assertEqual((row["pid"], row["unit"], row["container"]), (pid, unit, container),
                             row)

    def assert_column(self, pid, unit, container):
        result = run_lshidden("-a", "-p", str(pid), "-o", "PID,UNIT,CONTAINER", "-r", "-n")
        self.assertEqual(result.returncode, 0, describe(result))
        lines = set(result.stdout.decode().splitlines())
        self.assertEqual(lines, {f"{pid} {unit} {container or ''}"}, describe(result))

    def assert_mount_reports(self, mnt, manifest, owner):
        """--journal names the holder and where it runs (owner: "of UNIT" or
        "in container ID"); the summary names it too."""
        pid = manifest["pid"]
        result = run_lshidden("--mount", mnt, "--journal")
        self.assertEqual(result.returncode, 0, describe(result))
        text = result.stdout.decode(errors="replace")
        want = f"lshidden: {mnt}: held by pid {pid} (mount_holder) {owner} fd {manifest['fd']} "
        self.assertTrue([l for l in text.splitlines() if l.startswith(want)],
                        f"no journal line starting {want!r}:\n{text}")

        result = run_lshidden("--mount", mnt)
        self.assertEqual(result.returncode, 0, describe(result))
        summary = result.stdout.decode(errors="replace").rstrip("\n").split("\n")[-1]
        # Only this test's holder is certain; other tests' fd-less rings
        # may follow as "possibly by".
        self.assertRegex(summary, rf"^{re.escape(mnt)} is held by 1 process \(1 reference, "
                         rf"0 hidden\) {re.escape(owner.replace('in container', 'of container'))}"
                         r"(;|$)")

    # -- the tests -----------------------------------------------------------------

    def test_service_in_cgroup_v2(self):
        mnt, manifest = self.start_holder()
        pid = manifest["pid"]
        self.enter_cgroup(pid, "v2", "lshtest-holder.service")
        self.assert_rows(pid, "lshtest-holder.service", None)
        self.assert_column(pid, "lshtest-holder.service", None)
        self.assert_mount_reports(mnt, manifest, "of lshtest-holder.service")

    def test_container_scope(self):
        mnt, manifest = self.start_holder()
        pid = manifest["pid"]
        ident = os.urandom(32).hex()
        scope = f"docker-{ident}.scope"
        self.enter_cgroup(pid, "v2", scope)
        self.assert_rows(pid, scope, ident[:12])
        self.assert_column(pid, scope, ident[:12])
        self.assert_mount_reports(mnt, manifest, f"in container {ident[:12]}")

    def test_name_systemd_tree_of_a_hybrid_host(self):
        if "systemd" not in self.mounts:
            self.skipTest("no name=systemd v1 tree: not a hybrid host")
        _, manifest = self.start_holder()
        pid = manifest["pid"]
        if cgroup_path(pid, "v2") not in ("/", None):
            self.skipTest("the holder's v2 cgroup names a unit already")
        self.enter_cgroup(pid, "systemd", "lshtest-v1.service")
        self.assert_rows(pid, "lshtest-v1.service", None)

    def test_no_unit_outside_units(self):
        _, manifest = self.start_holder()
        pid = manifest["pid"]
        self.enter_cgroup(pid, "v2", "not-a-unit")
        self.assert_rows(pid, None, None)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
