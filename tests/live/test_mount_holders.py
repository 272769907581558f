"""Live tests of lshidden --mount: one real holder of a fresh mount per test.

Each test mounts a fresh filesystem (a tmpfs under a new temporary directory,
or ext4 on a loop device where tmpfs cannot serve), builds exactly one
holder, first proves that the holder is real (umount fails with "target is
busy", or for keeps-alive the filesystem outlives its umount), and then
checks that lshidden --mount names exactly that holder.  For the holders
that lsof and fuser cannot see, it also shows that they do not.  Runs in a
private mount namespace of its own: a namespace any other process makes
meanwhile (from ours) would hold a copy of each mount, and be named too.

Needs root.  Environment: LSHIDDEN, LSHIDDEN_HELPERS (mount_holder), see
tests/pylib/lshidden_test.py.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from lshidden_test import (unprivileged_copy, lshidden_path, AnyOf, HelperProcess, contract_json_keys, contract_section_keys,
                           describe, in_private_namespace, is_root, kernel_version, mount_points,
                           need_tools, run_command, run_json, run_lshidden, run_tests)

# Every --mount row has the file-record keys plus the --mount ones.
ALL_KEYS = set(contract_json_keys()) | set(contract_section_keys("--mount"))
BINFMT_DIR = "/proc/sys/fs/binfmt_misc"
BINFMT_NAME = "lshtest"
# Before 6.14 fixed files print only their last name component.
FULL_URING_PATHS = kernel_version() >= (6, 14)


class IsStr:
    """Any non-empty string (values the contract does not spell out)."""

    def __eq__(self, other):
        return isinstance(other, str) and other != ""

    def __repr__(self):
        return "IsStr()"


class StartsWith:
    """Equal to any string that starts with prefix."""

    def __init__(self, prefix):
        self.prefix = prefix

    def __eq__(self, other):
        return isinstance(other, str) and other.startswith(self.prefix)

    def __repr__(self):
        return f"StartsWith({self.prefix!r})"


def dev_string(st_dev):
    return f"{os.major(st_dev)}:{os.minor(st_dev)}"


def mount_id_of(mount_point):
    """Id of the topmost mount at mount_point in our namespace, or None."""
    ids = [i for i, mp in mount_points(os.getpid()).items() if mp == mount_point]
    return max(ids) if ids else None


def is_mounted(mount_point):
    return mount_id_of(mount_point) is not None


def pids_in_mount_ns(ns_inode):
    want = f"mnt:[{ns_inode}]"
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.readlink(f"/proc/{name}/ns/mnt") == want:
                    pids.append(int(name))
            except OSError:
                pass
    return sorted(pids)


def foreign_guess(row, own_pids):
    """Rows the contract lists for *any* mount without knowing whether they
    hold it, all with possible true: fd-less io_uring rings (and every fixed
    file on basename-only kernels), and FUSE connections on kernels that do
    not list their passthrough backing files.  Those of processes outside
    the test (uring_holder, fuse_pt_server in parallel tests) are not this
    test's; no test here makes a FUSE holder."""
    if row.get("possible") is not True:
        return False
    return row.get("holder") == "fuse" or (row.get("holder") == "io_uring"
                                           and row.get("pid") not in own_pids)


# ---- the tests -------------------------------------------------------------

UNPRIVILEGED = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def held_status(expected):
    """0 when one of the expected holders is certain, else 3: possibly held."""
    return 0 if any(not w["possible"] for w in expected) else 3


def expected_status(doc):
    """--mount's exit status for what it printed: 0 held by something
    certain, 3 possibly held (only possible holders, or something it could
    not see: on some hosts pid 1 is closed even to root), 1 free."""
    if any(not f["possible"] for f in doc["files"]):
        return 0
    unseen = [w for w in doc["warnings"]
              if w["reason"] != "process exited during the scan" and
              not w["reason"].startswith(("kernel view", "the kernel view"))]
    return 3 if doc["files"] or unseen else 1


@unittest.skipUnless(is_root(), "mounting and the kernel holders need root")
class MountHoldersTest(unittest.TestCase):
    maxDiff = None
    # Options of every lshidden run of a test: ("--no-deep",) for the
    # /proc-only answers.
    view = ()

    # -- setup helpers (each registers its own cleanup) ------------------------

    def need_tool(self, *names):
        need_tools(self, *names)

    def run_ok(self, args, what=None):
        result = run_command(args)
        self.assertEqual(result.returncode, 0,
                         f"{what or args[0]} failed: {args}\n{result.stdout}{result.stderr}")
        return result

    def make_dir(self):
        path = os.path.realpath(tempfile.mkdtemp(prefix="lshidden-mnt-"))

        def remove():
            if is_mounted(path):  # an unmount failed: keep what is under it
                return
            shutil.rmtree(path, ignore_errors=True)
        self.addCleanup(remove)
        return path

    def unmount(self, mount_point):
        """Cleanup: umount, retrying a moment for asynchronous releases (loop
        devices, children just killed), then lazy umount as the last resort."""
        for _ in range(50):
            if not is_mounted(mount_point):
                return
            if run_command(["umount", mount_point]).returncode == 0:
                continue
            time.sleep(0.1)
        if is_mounted(mount_point):
            run_command(["umount", "-l", mount_point])

    def mount(self, args, mount_point, what):
        """mount ARGS MOUNT_POINT; skips the test if the kernel refuses."""
        result = run_command(["mount", *args, mount_point])
        if result.returncode != 0:
            self.skipTest(f"cannot mount {what}: {result.stderr.strip()}")
        self.addCleanup(self.unmount, mount_point)

    def mount_tmpfs(self, mount_point=None):
        """A fresh tmpfs at mount_point (default: a new temporary directory),
        with an empty directory "inside" on it; returns the mount point."""
        mount_point = mount_point or self.make_dir()
        self.mount(["-t", "tmpfs", "-o", "size=32m,mode=755", "lshtest"], mount_point, "a tmpfs")
        os.mkdir(os.path.join(mount_point, "inside"))
        return mount_point

    def start_holder(self, mode, path):
        helper = HelperProcess("mount_holder", [mode, path])
        manifest = helper.start()
        self.addCleanup(helper.stop)
        self.assertEqual(manifest["pid"], helper.pid)
        manifest["path"] = bytes.fromhex(manifest["path_hex"]).decode()
        return manifest

    def losetup(self, backing_file):
        self.need_tool("losetup")
        result = run_command(["losetup", "-f", "--show", backing_file])
        if result.returncode != 0:
            self.skipTest(f"no loop device: {result.stderr.strip()}")
        device = result.stdout.strip()
        self.addCleanup(run_command, ["losetup", "-d", device])
        return device

    def need_io_uring(self):
        try:
            with open("/proc/sys/kernel/io_uring_disabled") as f:
                if f.read().strip() != "0":
                    self.skipTest("io_uring is disabled (kernel.io_uring_disabled)")
        except FileNotFoundError:
            pass  # older kernels: no such switch

    # -- proofs that a holder is real ------------------------------------------

    def assert_umount_busy(self, mount_point):
        """umount fails with EBUSY.  If it unexpectedly succeeds, the holder
        is not real and the test fails (the mount is gone by then)."""
        result = run_command(["umount", mount_point])
        self.assertNotEqual(result.returncode, 0,
                            f"umount {mount_point} succeeded: the holder does not hold it")
        self.assertIn("target is busy", result.stderr, result.stderr)

    def assert_unseen_by_lsof_fuser(self, mount_point, pid=None):
        """lsof and fuser do not name the holder process (pid), or name no
        process at all when the holder is the kernel (pid None).  Only pids
        printed on stdout count: fuser reports kernel holders oddly."""
        self.need_tool("lsof", "fuser")
        for args in (["lsof", "-w", "-n", "-P", "-t", "+f", "--", mount_point],
                     ["fuser", "-m", mount_point]):
            result = run_command(args)
            named = {int(p) for p in re.findall(r"\b(\d+)", result.stdout)}
            if pid is None:
                self.assertEqual(named, set(), f"{args} names processes: {result.stdout}")
            else:
                self.assertNotIn(pid, named, f"{args} sees the holder: {result.stdout}")

    # -- lshidden --mount --------------------------------------------------------

    def query(self, path, own_pids=(), expect_status=0):
        """lshidden --mount PATH -J; returns (rows of this test, all rows,
        warnings)."""
        result, doc = run_json("--mount", path, *self.view)
        self.assertEqual(result.returncode, expect_status, describe(result))
        rows = doc["files"]
        for row in rows:
            self.assertEqual(set(row), ALL_KEYS, f"keys of {row}")
        mine = [r for r in rows if not foreign_guess(r, set(own_pids))]
        for warning in doc["warnings"]:
            self.assertNotIn(warning.get("pid"), own_pids, f"warning about the holder: {warning}")
        return mine, rows, doc["warnings"]

    def assert_rows(self, expected, rows, context):
        """rows are exactly the expected ones (each expected row a dict of
        the keys it pins down; order free)."""
        self.assertEqual(len(rows), len(expected),
                         f"{context}: want {len(expected)} rows, got {rows}")
        unmatched = list(rows)
        for want in expected:
            self.assertLessEqual(set(want), ALL_KEYS, "test expects keys the contract lacks")
            for row in unmatched:
                if {k: row[k] for k in want} == want:
                    unmatched.remove(row)
                    break
            else:
                # Show the differences against the closest row.
                best = max(unmatched, key=lambda r: sum(r[k] == v for k, v in want.items()))
                self.assertEqual(want, {k: best[k] for k in want}, f"{context}: no such row")

    def check_mount(self, mount_point, expected, own_pids=(), summary=(), journal_ids=()):
        """The whole check of one holder: JSON for the mount point and for a
        path inside it, the table with its summary line, and --journal.
        summary: regexes the summary line must match (when no foreign rows
        are listed); journal_ids: strings the journal lines must name."""
        status = held_status(expected)
        mine, _, _ = self.query(mount_point, own_pids, status)
        self.assert_rows(expected, mine, f"lshidden --mount {mount_point} -J")
        inside = os.path.join(mount_point, "inside")
        mine, _, _ = self.query(inside, own_pids, status)
        self.assert_rows(expected, mine, f"lshidden --mount {inside} -J")
        self.check_table(mount_point, expected, own_pids, summary)
        self.check_journal(mount_point, own_pids, journal_ids, expected)

    def summary_line(self, result, mount_point):
        lines = [l for l in result.stdout.decode(errors="replace").split("\n") if l.strip()]
        self.assertTrue(lines, describe(result))
        self.assertTrue(lines[-1].startswith(f"{mount_point} is held by "),
                        f"no summary line last:\n{result.stdout.decode(errors='replace')}")
        return lines

    def row_counts(self, mount_point, own_pids):
        """(all rows, foreign rows) that lshidden --mount lists right now."""
        _, doc = run_json("--mount", mount_point, *self.view)
        rows = doc["files"]
        return len(rows), sum(foreign_guess(r, set(own_pids)) for r in rows)

    def check_table(self, mount_point, expected, own_pids, summary):
        # The counts in the summary are only ours if no foreign rows (other
        # tests' fd-less rings) were listed around the run.
        _, foreign_before = self.row_counts(mount_point, own_pids)
        result = run_lshidden("--mount", mount_point, *self.view)
        _, foreign_after = self.row_counts(mount_point, own_pids)
        self.assertEqual(result.returncode, held_status(expected), describe(result))
        lines = self.summary_line(result, mount_point)
        if not foreign_before and not foreign_after:
            for regex in summary:
                self.assertRegex(lines[-1], regex)

        # Chosen columns, raw: one line per row, then the summary.
        result = run_lshidden("--mount", mount_point, *self.view, "-o", "HOLDER,SOURCE,EFFECT,POSSIBLE,PID",
                              "-n", "-r")
        self.assertEqual(result.returncode, held_status(expected), describe(result))
        lines = self.summary_line(result, mount_point)
        got = []
        for line in lines[:-1]:
            fields = line.split(" ")
            self.assertEqual(len(fields), 5, f"raw line {line!r}")
            pid = int(fields[4]) if fields[4] else None
            row = {"holder": fields[0], "possible": fields[3] == "yes", "pid": pid}
            if not foreign_guess(row, set(own_pids)):
                got.append((fields[0], fields[1], fields[2], fields[3], pid))
        want = [(w["holder"], w["source"], w["effect"], "yes" if w["possible"] else "no",
                 w.get("pid")) for w in expected]
        self.assertEqual(sorted(got, key=repr), sorted(want, key=repr),
                         f"table rows:\n{result.stdout.decode(errors='replace')}")

    def check_journal(self, mount_point, own_pids, journal_ids, expected=()):
        before, _ = self.row_counts(mount_point, own_pids)
        result = run_lshidden("--mount", mount_point, "--journal", *self.view)
        after, _ = self.row_counts(mount_point, own_pids)
        self.assertIn(result.returncode, (0, 3), describe(result))
        if expected:
            self.assertEqual(result.returncode, held_status(expected), describe(result))
        text = result.stdout.decode(errors="replace")
        lines = text.rstrip("\n").split("\n")
        self.assertIn(len(lines), {before, after}, f"--journal: one line per holder:\n{text}")
        for line in lines:
            self.assertTrue(line.startswith(f"lshidden: {mount_point}: held by "), line)
        for ident in journal_ids:
            self.assertTrue(any(ident in line for line in lines),
                            f"--journal does not name {ident!r}:\n{text}")

    # -- expected rows -------------------------------------------------------------

    @staticmethod
    def process_row(manifest, mount_point, source):
        return {"holder": "process", "effect": "blocks-umount", "possible": False,
                "pid": manifest["pid"], "command": "mount_holder", "uid": 0, "user": "root",
                "source": source, "hidden": False, "ring_fd": None, "slot": None,
                "type": manifest["type"], "path": manifest["path"], "path_raw": None,
                "path_complete": True, "dev": manifest["dev"], "inode": manifest["inode"],
                "mount_id": manifest["mount_id"], "mountpoint": mount_point,
                "hint": StartsWith(f"kill {manifest['pid']}")}

    @staticmethod
    def kernel_row(holder, source, path, obj, st=None):
        """A row of a holder that is not a process.  dev/inode are optional
        in the contract (but must be right when given)."""
        row = {"holder": holder, "source": source, "effect": "blocks-umount",
               "possible": False, "pid": None, "fd": None, "path": path, "object": obj}
        if st is not None:
            row["dev"] = AnyOf(dev_string(st.st_dev), None)
            row["inode"] = AnyOf(st.st_ino, None)
        return row

    # -- process holders -----------------------------------------------------------

    def test_open_fd(self):
        mnt = self.mount_tmpfs()
        manifest = self.start_holder("fd", os.path.join(mnt, "open file"))
        self.assert_umount_busy(mnt)
        row = {**self.process_row(manifest, mnt, "fd"), "fd": manifest["fd"], "deleted": False}
        self.check_mount(mnt, [row], [manifest["pid"]], summary=[r"\b1 process\b"],
                         journal_ids=[str(manifest["pid"])])

    def test_cwd(self):
        mnt = self.mount_tmpfs()
        os.mkdir(os.path.join(mnt, "cwd"))
        manifest = self.start_holder("cwd", os.path.join(mnt, "cwd"))
        self.assertEqual(os.readlink(f"/proc/{manifest['pid']}/cwd"), manifest["path"])
        self.assert_umount_busy(mnt)
        row = {**self.process_row(manifest, mnt, "cwd"), "fd": None, "type": "DIR",
               "deleted": False}
        self.check_mount(mnt, [row], [manifest["pid"]], summary=[r"\b1 process\b"],
                         journal_ids=[str(manifest["pid"])])

    def test_mmap_of_deleted_file(self):
        mnt = self.mount_tmpfs()
        manifest = self.start_holder("mmap-deleted", os.path.join(mnt, "mapped"))
        self.assertFalse(os.path.exists(manifest["path"]))
        self.assertEqual(sorted(os.listdir(f"/proc/{manifest['pid']}/fd")), ["0", "1", "2"])
        self.assert_umount_busy(mnt)
        row = {**self.process_row(manifest, mnt, "mmap"), "fd": None, "deleted": True}
        self.check_mount(mnt, [row], [manifest["pid"]], summary=[r"\b1 process\b"],
                         journal_ids=[str(manifest["pid"])])

    # -- io_uring ------------------------------------------------------------------

    def test_uring_fixed_file_without_fd(self):
        self.need_io_uring()
        mnt = self.mount_tmpfs()
        manifest = self.start_holder("uring-fixed", os.path.join(mnt, "fixed"))
        pid = manifest["pid"]
        # No fd of the process is on the mount: only the ring's slot holds it.
        st_mnt = os.stat(mnt)
        for fd in os.listdir(f"/proc/{pid}/fd"):
            self.assertNotEqual(os.stat(f"/proc/{pid}/fd/{fd}").st_dev, st_mnt.st_dev, fd)
        self.assert_umount_busy(mnt)
        self.assert_unseen_by_lsof_fuser(mnt, pid)
        path = manifest["path"] if FULL_URING_PATHS else os.path.basename(manifest["path"])
        # The full path is looked up by name (identity "path"): it may name
        # another file by now, so even a matching mount id is only possible.
        row = {"holder": "io_uring", "source": "uring-fixed", "effect": "blocks-umount",
               "possible": True, "pid": pid, "command": "mount_holder",
               "hidden": True, "fd": None, "ring_fd": manifest["ring_fd"],
               "ring_inode": manifest["ring_inode"], "slot": 0, "path": path,
               "path_complete": FULL_URING_PATHS}
        if FULL_URING_PATHS:
            row.update({"identity": "path", "type": "REG", "deleted": False, "dev": manifest["dev"],
                        "inode": manifest["inode"], "mount_id": manifest["mount_id"],
                        "mountpoint": mnt})
        self.view = ("--no-deep",)
        self.check_mount(mnt, [row], [pid], summary=[r"nothing certain", r"possibly by 1 process\b"],
                         journal_ids=[str(pid)])
        # The kernel view (the default as root) names the slot's file exactly.
        self.view = ()
        row.update({"possible": False, "path": manifest["path"], "path_complete": True,
                    "identity": "kernel", "method": "bpf", "type": "REG", "deleted": False,
                    "dev": manifest["dev"], "inode": manifest["inode"],
                    "mount_id": manifest["mount_id"], "mountpoint": mnt})
        self.check_mount(mnt, [row], [pid], summary=[r"\b1 process\b"], journal_ids=[str(pid)])

    def test_uring_ring_without_fd(self):
        self.need_io_uring()
        mnt = self.mount_tmpfs()
        manifest = self.start_holder("uring-ring", os.path.join(mnt, "in ring"))
        pid = manifest["pid"]
        self.assertEqual(sorted(os.listdir(f"/proc/{pid}/fd")), ["0", "1", "2"])
        with open(f"/proc/{pid}/maps") as f:
            self.assertIn("anon_inode:[io_uring]", f.read())
        self.assert_umount_busy(mnt)
        self.assert_unseen_by_lsof_fuser(mnt, pid)
        # Listed for any process with an fd-less ring; the helper's must be
        # there, marked possible.
        row = {"holder": "io_uring", "source": "uring-ring", "effect": "blocks-umount",
               "possible": True, "pid": pid, "command": "mount_holder", "hidden": True,
               "fd": None, "ring_fd": None, "ring_inode": manifest["ring_inode"], "slot": None,
               "type": "anon", "path": "anon_inode:[io_uring]", "note": IsStr()}
        self.view = ("--no-deep",)
        self.check_mount(mnt, [row], [pid], summary=[r"\b1 process\b"], journal_ids=[str(pid)])
        # The kernel view lists the ring's file on the mount, certain; the
        # ring itself is on no mount.
        self.view = ()
        fixed = {"holder": "io_uring", "source": "uring-fixed", "effect": "blocks-umount",
                 "possible": False, "pid": pid, "ring_inode": manifest["ring_inode"],
                 "path": manifest["path"], "identity": "kernel", "method": "bpf",
                 "mount_id": manifest["mount_id"]}
        self.check_mount(mnt, [fixed], [pid], summary=[r"\b1 process\b"], journal_ids=[str(pid)])

    # -- kernel holders --------------------------------------------------------------

    def test_loop_device(self):
        mnt = self.mount_tmpfs()
        backing = os.path.join(mnt, "backing.img")
        with open(backing, "wb") as f:
            f.truncate(4 << 20)
        device = self.losetup(backing)
        self.assertTrue(re.fullmatch(r"/dev/loop[0-9]+", device), device)
        self.assert_umount_busy(mnt)
        self.assert_unseen_by_lsof_fuser(mnt)
        st = os.stat(backing)
        row = {**self.kernel_row("loop", "loop", backing, device), "hint": f"losetup -d {device}",
               "dev": dev_string(st.st_dev), "inode": st.st_ino}
        self.check_mount(mnt, [row], summary=[r"\b1 loop device\b"], journal_ids=[device])

    def test_swap_file(self):
        self.need_tool("mkfs.ext4", "mkswap", "swapon", "swapoff", "losetup")
        image_dir = self.make_dir()
        image = os.path.join(image_dir, "ext4.img")
        with open(image, "wb") as f:
            f.truncate(64 << 20)
        self.run_ok(["mkfs.ext4", "-q", "-F", image])
        device = self.losetup(image)
        mnt = self.make_dir()
        self.mount(["-t", "ext4", device], mnt, "ext4 on a loop device")
        os.mkdir(os.path.join(mnt, "inside"))
        swap = os.path.join(mnt, "swapfile")
        self.run_ok(["dd", "if=/dev/zero", f"of={swap}", "bs=1M", "count=8", "status=none"])
        os.chmod(swap, 0o600)
        self.run_ok(["mkswap", swap])
        result = run_command(["swapon", swap])
        if result.returncode != 0:
            self.skipTest(f"swapon is not permitted here: {result.stderr.strip()}")
        self.addCleanup(run_command, ["swapoff", swap])
        self.assert_umount_busy(mnt)
        self.assert_unseen_by_lsof_fuser(mnt)
        row = {**self.kernel_row("swap", "swap", swap, "swap", os.stat(swap)),
               "hint": f"swapoff {swap}"}
        self.check_mount(mnt, [row], journal_ids=[swap])

    def binfmt_misc(self):
        """The binfmt_misc directory, mounted for the test if needed."""
        if not os.path.exists(os.path.join(BINFMT_DIR, "register")):
            if not os.path.isdir(BINFMT_DIR):
                self.skipTest(f"{BINFMT_DIR} does not exist")
            self.mount(["-t", "binfmt_misc", "binfmt_misc"], BINFMT_DIR, "binfmt_misc")
        return BINFMT_DIR

    @staticmethod
    def remove_binfmt_entry(entry):
        if os.path.exists(entry):
            with open(entry, "w") as f:
                f.write("-1")

    def test_binfmt_misc_interpreter(self):
        mnt = self.mount_tmpfs()
        interp = os.path.join(mnt, "interp")
        with open(interp, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(interp, 0o755)
        binfmt = self.binfmt_misc()
        entry = os.path.join(binfmt, BINFMT_NAME)
        self.remove_binfmt_entry(entry)  # a leftover of an interrupted run
        try:
            with open(os.path.join(binfmt, "register"), "w") as f:
                f.write(f":{BINFMT_NAME}:E::lshtestext::{interp}:F")
        except PermissionError as e:
            self.skipTest(f"cannot register a binfmt_misc entry: {e}")
        self.addCleanup(self.remove_binfmt_entry, entry)
        with open(entry) as f:
            text = f.read()
        self.assertIn(f"interpreter {interp}\n", text)
        self.assertRegex(text, r"(?m)^flags: .*F")
        self.assert_umount_busy(mnt)
        self.assert_unseen_by_lsof_fuser(mnt)
        row = {**self.kernel_row("binfmt_misc", "binfmt_misc", interp,
                                 f"binfmt_misc:{BINFMT_NAME}", os.stat(interp)),
               "hint": f"echo -1 > /proc/sys/fs/binfmt_misc/{BINFMT_NAME}"}
        self.check_mount(mnt, [row], journal_ids=[BINFMT_NAME])

    def test_submount(self):
        mnt = self.mount_tmpfs()
        sub = os.path.join(mnt, "sub")
        os.mkdir(sub)
        self.mount_tmpfs(sub)
        self.assert_umount_busy(mnt)
        row = {**self.kernel_row("submount", "submount", sub, sub), "mount_id": mount_id_of(sub),
               "hint": f"umount {sub}"}
        self.check_mount(mnt, [row], journal_ids=[sub])

    # -- other mount namespaces --------------------------------------------------------

    def start_namespace(self):
        """A process in a new, private mount namespace (a copy of ours);
        returns (pid, namespace inode)."""
        self.need_tool("unshare")
        own = os.readlink("/proc/self/ns/mnt")
        child = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sleep", "600"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, cwd="/")
        self.addCleanup(child.stderr.close)
        self.addCleanup(child.wait)
        self.addCleanup(child.kill)
        deadline = time.monotonic() + 30
        while True:
            if child.poll() is not None:
                self.skipTest(f"unshare -m failed: {child.stderr.read().decode(errors='replace')}")
            try:
                with open(f"/proc/{child.pid}/comm") as f:
                    comm = f.read()
                ns = os.readlink(f"/proc/{child.pid}/ns/mnt")
            except OSError:
                comm, ns = "", own
            if ns != own and comm == "sleep\n":  # unshare has exec'd sleep
                break
            self.assertLess(time.monotonic(), deadline, "unshare did not start sleep")
            time.sleep(0.02)
        return child.pid, os.stat(f"/proc/{child.pid}/ns/mnt").st_ino

    def test_copy_in_other_mount_namespace(self):
        mnt = self.mount_tmpfs()
        with open(os.path.join(mnt, "marker"), "w") as f:
            f.write("alive\n")
        dev = dev_string(os.stat(mnt).st_dev)
        pid, ns = self.start_namespace()
        # The copy is there, on the same superblock.
        with open(f"/proc/{pid}/mountinfo") as f:
            copies = [l.split() for l in f if l.split()[4] == mnt]
        self.assertEqual([c[2] for c in copies], [dev], "no copy of the mount in the namespace")

        pids = pids_in_mount_ns(ns)
        self.assertIn(pid, pids)
        row = {"holder": "mount-namespace", "source": "mount-namespace", "effect": "keeps-alive",
               "possible": False, "mnt_ns": ns, "pid": AnyOf(*pids), "fd": None,
               "object": f"mnt:[{ns}] pids {','.join(map(str, pids))}"}
        mine, _, _ = self.query(mnt, [pid])
        self.assert_rows([row], mine, f"lshidden --mount {mnt} -J")
        if mine[0]["pid"] == pid:
            self.assertEqual(mine[0]["command"], "sleep")
        # Before the umount on the host, so the path still names the mount.
        inside = os.path.join(mnt, "inside")
        mine, _, _ = self.query(inside, [pid])
        self.assert_rows([row], mine, f"lshidden --mount {inside} -J")
        table_row = {**row, "pid": mine[0]["pid"]}
        self.check_table(mnt, [table_row], [pid], [r"\b1 other namespace\b"])
        self.check_journal(mnt, [pid], [str(ns)])

        # keeps-alive: the umount here succeeds, the filesystem lives on there.
        result = run_command(["umount", mnt])
        self.assertEqual(result.returncode, 0, f"umount {mnt}: {result.stderr}")
        self.assertFalse(is_mounted(mnt))
        with open(f"/proc/{pid}/root{mnt}/marker") as f:
            self.assertEqual(f.read(), "alive\n")

    # -- nothing, and errors -------------------------------------------------------------

    def test_idle_mount(self):
        mnt = self.mount_tmpfs()
        for path in (mnt, os.path.join(mnt, "inside")):
            # fd-less rings of other processes (a parallel test) may be
            # listed as possible holders of anything; then rows are printed.
            result, doc = run_json("--mount", path)
            mine = [r for r in doc["files"] if not foreign_guess(r, set())]
            self.assertEqual(mine, [], describe(result))
            self.assertEqual(result.returncode, expected_status(doc), describe(result))
            if not doc["files"]:
                result = run_lshidden("--mount", path)
                self.assertEqual(result.returncode, expected_status(doc), describe(result))
        # And it really is idle.
        result = run_command(["umount", mnt])
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_unprivileged_run_is_never_free(self):
        # A root process keeps the tmpfs busy by its cwd; nobody cannot see
        # it, so the answer is "possibly held" (3), never "free" (1).
        mnt = self.mount_tmpfs()
        self.start_holder("cwd", os.path.join(mnt, "inside"))
        result = run_command(["umount", mnt])
        self.assertNotEqual(result.returncode, 0, "the premise: the tmpfs is busy")
        binary = unprivileged_copy(self)
        for args in (["--mount", mnt], ["--mount", mnt, "--journal"], ["--mount", mnt, "-J"]):
            with self.subTest(args=args):
                result = run_lshidden(*args, prefix=UNPRIVILEGED, binary=binary)
                self.assertEqual(result.returncode, 3, describe(result))
                self.assertIn(b"could not be inspected", result.stderr)
                self.assertNotIn(b"can be unmounted", result.stdout)

    def test_lshidden_is_not_its_own_holder(self):
        # Run from inside the mount: lshidden's cwd goes away with it, so
        # it must not name itself.
        mnt = self.mount_tmpfs()
        result = subprocess.run([lshidden_path(), "-J", "--mount", "."], cwd=mnt,
                                capture_output=True, timeout=120)
        doc = json.loads(result.stdout)
        self.assertFalse([r for r in doc["files"] if r["command"] == "lshidden"], doc["files"])
        self.assertFalse([r for r in doc["files"] if not foreign_guess(r, set())], doc["files"])

    def test_nonexistent_path(self):
        missing = os.path.join(self.make_dir(), "no such path")
        for args in (["--mount", missing], ["-J", "--mount", missing],
                     ["--mount", missing, "--journal"]):
            result = run_lshidden(*args)
            self.assertEqual(result.returncode, 2, describe(result))
            self.assertNotEqual(result.stderr.strip(), b"", describe(result))


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
