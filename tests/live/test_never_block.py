"""lshidden never waits for a filesystem's server.  A FUSE server stopped
with SIGSTOP serves files held by an fd, by a cwd and as an io_uring fixed
file: every mode still finishes in under 2 s and says on stderr what it
could not check.  Root; the mounts live in a private mount namespace of
this test."""
import errno
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from lshidden_test import (HelperProcess, describe, in_private_namespace, is_root,
                           kernel_version, mount_tmpfs, run_lshidden, run_tests,
                           start_fuse_server, umount)

DEADLINE_S = 2.0
# fuse_pt_server's attributes and entries are valid for 1 s: after that a
# stat() that may ask the server does.
CACHE_EXPIRY_S = 1.3


def has_io_uring():
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            return f.read().strip() == "0"
    except FileNotFoundError:
        return True


@unittest.skipUnless(is_root() and os.path.exists("/dev/fuse"), "needs root and /dev/fuse")
class StoppedFuseServer(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-stall-")
        self.addCleanup(os.rmdir, self.top)
        self.back, self.mnt, self.other = (os.path.join(self.top, d)
                                           for d in ("back", "mnt", "other"))
        for d in (self.back, self.mnt, self.other):
            os.mkdir(d)
            self.addCleanup(os.rmdir, d)
        mount_tmpfs(self, self.back)
        mount_tmpfs(self, self.other)
        # A flat read-only mirror of back's files: the helpers open these,
        # and the cwd is the mount's root.
        for name in ("held", "fixed", "pin"):
            with open(os.path.join(self.back, name), "w") as f:
                f.write("x\n")
        self.server, _ = start_fuse_server(self, self.mnt, self.back)
        self.pin_namespace(os.path.join(self.mnt, "pin"))
        self.holders = [self.hold("fd", "held"), self.hold("cwd", "")]
        if kernel_version() >= (5, 6) and has_io_uring():
            self.holders.append(self.hold("uring-fixed", "fixed"))
        self.prove_held()
        self.stop_server()

    def pin_namespace(self, pin):
        """A mount namespace no process is in, kept by an nsfs bind mount on
        a file of the FUSE mount: reaching it walks through the mount.  The
        kernel binds only a namespace whose id is newer than ours, and ids
        come from per-CPU batches: the namespace is made on each CPU in
        turn."""
        for cpu in sorted(os.sched_getaffinity(0)):
            child = subprocess.Popen(["taskset", "-c", str(cpu), "unshare", "-m",
                                      "--propagation", "private", "sh", "-c",
                                      "echo ready; exec sleep 600"], stdout=subprocess.PIPE)
            ready = child.stdout.readline() == b"ready\n"
            bound = ready and subprocess.run(
                ["mount", "--bind", f"/proc/{child.pid}/ns/mnt", pin], capture_output=True,
                timeout=30).returncode == 0
            child.kill()
            child.wait(30)
            child.stdout.close()
            if bound:
                # Before the server is resumed would hang: registered first,
                # so run after the resume (cleanups run last first).
                self.addCleanup(lambda: umount(pin) and umount(pin, 2))
                return
        self.fail("could not bind a mount namespace onto the FUSE mount")

    def hold(self, mode, name):
        helper = HelperProcess("mount_holder", [mode, os.path.join(self.mnt, name)],
                               parent=self.top)
        manifest = helper.start()
        self.addCleanup(helper.stop)
        return mode, helper.pid, manifest

    def prove_held(self):
        self.assertEqual(umount(self.mnt), errno.EBUSY)
        for mode, pid, manifest in self.holders:
            if mode == "fd":
                link = os.readlink(f"/proc/{pid}/fd/{manifest['fd']}")
                self.assertEqual(link, os.path.join(self.mnt, "held"))
            elif mode == "cwd":
                self.assertEqual(os.readlink(f"/proc/{pid}/cwd"), self.mnt)
            else:
                with open(f"/proc/{pid}/fdinfo/{manifest['ring_fd']}") as f:
                    self.assertIn("fixed", f.read())

    def stop_server(self):
        # Resumed before the holders and the server are stopped (cleanups
        # run last-registered first), whatever the test does.
        pid = self.server.pid
        self.addCleanup(lambda: self.server.proc and os.kill(pid, signal.SIGCONT))
        os.kill(pid, signal.SIGSTOP)
        time.sleep(CACHE_EXPIRY_S)
        # The premise: a stat() inside the mount now hangs.
        with self.assertRaises(subprocess.TimeoutExpired):
            subprocess.run(["stat", os.path.join(self.mnt, "held")], capture_output=True,
                           timeout=0.5)

    def run_bounded(self, *args):
        start = time.monotonic()
        try:
            result = run_lshidden(*args, timeout=DEADLINE_S + 3)
        except subprocess.TimeoutExpired:
            self.fail(f"lshidden {' '.join(args)} hung on the stopped FUSE server")
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, DEADLINE_S, f"lshidden {' '.join(args)}: {elapsed:.2f} s")
        # 3: --mount's "possibly held", which a stalled mount may well make it.
        self.assertIn(result.returncode, (0, 1, 3), describe(result))
        return result

    def test_every_mode_finishes(self):
        pids = [str(pid) for _, pid, _ in self.holders]
        modes = [[], ["-a"], ["-a", "-J"], ["--mount", self.other], ["--mount", self.mnt],
                 ["--fuse"], ["--deep", "-a", "-J"], ["--mount", self.mnt, "--journal"],
                 ["-a", "-p", ",".join(pids)]]
        for args in modes + [m + ["--no-deep"] for m in modes if "--deep" not in m]:
            with self.subTest(args=args):
                result = self.run_bounded(*args)
                if (args[:1] != ["--fuse"] and "--no-deep" in args and
                        len(self.holders) == 3):
                    # The fixed file is named by a path on the stopped mount
                    # (--fuse lists connections only: it looks nothing up).
                    # The kernel view names it without a lookup.
                    self.assertIn(self.mnt, result.stderr.decode(errors="replace"))

    def test_namespace_pinned_behind_the_server_is_not_entered(self):
        # Opening the nsfs mount would ask the stopped server to revalidate
        # its name: it is left out, and said so.
        result = self.run_bounded("--mount", self.other)
        self.assertEqual(result.returncode, 3, describe(result))
        self.assertIn(b"not entered: its nsfs mount is below a mount whose server may not answer",
                      result.stderr)

    def test_what_is_known_without_the_server(self):
        """The fd and the cwd are stat()ed through themselves, from the
        attributes FUSE has cached; the fixed file, named only by a path on
        the stopped mount, is not looked up."""
        pids = {pid: (mode, manifest) for mode, pid, manifest in self.holders}
        for view in ("--no-deep", "--deep"):
            result = self.run_bounded("-a", "-J", "-p", ",".join(map(str, pids)), view)
            self.check_known(pids, json.loads(result.stdout)["files"], view)

    def check_known(self, pids, rows, view):
        for mode, manifest in pids.values():
            source = {"fd": "fd", "cwd": "cwd", "uring-fixed": "uring-fixed"}[mode]
            (row,) = [r for r in rows if r["pid"] == manifest["pid"] and r["source"] == source
                      and r["path"].startswith(self.mnt)]
            with self.subTest(mode=mode, view=view):
                if mode == "uring-fixed" and view == "--deep":
                    # The kernel's own tables: no server is asked.
                    self.assertEqual((row["identity"], row["inode"], row["mount_id"],
                                      row["note"]),
                                     ("kernel", manifest["inode"], manifest["mount_id"], None))
                elif mode == "uring-fixed":
                    self.assertEqual((row["identity"], row["inode"], row["mount_id"]),
                                     (None, None, None))
                    self.assertIn("not looked up", row["note"])
                else:
                    self.assertEqual((row["identity"], row["inode"], row["mount_id"]),
                                     ("fd", manifest["inode"], manifest["mount_id"]))

    def test_mount_path_is_resolved_like_realpath(self):
        """Symlinks, "." and ".." in PATH, and a relative PATH (lshidden
        runs in /), still name the mount they lead to."""
        link = os.path.join(self.top, "to-other")
        os.symlink("other/./", link)
        self.addCleanup(os.unlink, link)
        for path in (link, os.path.join(self.mnt, "..", "other"), self.other[1:] + "/.",
                     os.path.join(link, "..", "mnt", "..", "other")):
            with self.subTest(path=path):
                result = self.run_bounded("--mount", path)
                last = result.stdout.decode(errors="replace").strip().split("\n")[-1]
                self.assertTrue(last.startswith(f"{self.other} is held by"), describe(result))

    def test_mount_path_inside_is_not_looked_up(self):
        result = self.run_bounded("--mount", os.path.join(self.mnt, "held"))
        stderr = result.stderr.decode(errors="replace")
        self.assertIn("not looked up below here", stderr)
        self.assertIn(f"taken to be on {self.mnt}", stderr)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
