"""Live tests: lshidden against real io_uring rings built by uring_holder,
as /proc shows them (--no-deep); test_deep_live.py has the kernel view's.

Needs root (reading another process's fdinfo, setpriv).  Environment:
LSHIDDEN, LSHIDDEN_HELPERS (see tests/pylib/lshidden_test.py).
"""
import math
import os
import re
import shutil
import subprocess
import time
import unittest

import lshidden_test
from lshidden_test import (AnyOf, HelperProcess, HexOf, IsStr, contract_json_keys, describe,
                           helper_path, is_root, mount_points, need_tools,
                           path_bytes, run_command, run_tests, unescape_hex, unprivileged_copy)


def run_lshidden(*args, **kwargs):
    return lshidden_test.run_lshidden("--no-deep", *args, **kwargs)


def run_json(*args, **kwargs):
    return lshidden_test.run_json("--no-deep", *args, **kwargs)


# Every file record has exactly the keys the contract lists.
ALL_KEYS = set(contract_json_keys())
HIDDEN_SOURCES = {"uring-fixed", "uring-ring"}
UNPRIVILEGED = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
PSEUDO_PATH = re.compile(r"^(socket|pipe):\[([0-9]+)\]$")
# The rings most tests look at (uring_holder factories): fixed files of
# every type, a ring with no fd left, an SQPOLL ring.
STANDARD_RINGS = ("sparse-table", "mixed-types", "registered-fd-closed", "sqpoll")






# ---- expected rows, from the helper's manifest ----------------------------

def path_fields(raw):
    """path/path_raw as the contract wants them for these raw bytes."""
    try:
        return {"path": raw.decode("utf-8"), "path_raw": None}
    except UnicodeDecodeError:
        return {"path": IsStr(), "path_raw": HexOf(raw)}


def process_fields(manifest):
    return {"pid": manifest["pid"], "command": "uring_holder", "uid": 0, "user": "root"}


def identity_fields(f, path, mounts):
    """type/dev/inode/mount_id/mountpoint of one fixed file."""
    none = {"dev": None, "mount_id": None, "mountpoint": None}
    pseudo = PSEUDO_PATH.match(path.decode(errors="replace"))
    if pseudo:
        return {**none, "type": f["type"], "inode": int(pseudo.group(2))}
    if f["type"] == "anon":
        return {**none, "type": "anon", "inode": None}
    if f["deleted"]:  # stat() of the path fails: nothing known
        return {**none, "type": AnyOf("unknown", None), "inode": None}
    return {"type": f["type"], "dev": f["dev"], "inode": f["inode"],
            "mount_id": f["mount_id"], "mountpoint": mounts[f["mount_id"]]}


def fixed_file_row(manifest, ring, f, mounts):
    raw = bytes.fromhex(f["path_hex"])
    return {**process_fields(manifest), "source": "uring-fixed", "hidden": True, "fd": None,
            "ring_fd": ring["fd"], "ring_inode": ring["inode"], "slot": f["slot"],
            **path_fields(raw), "path_complete": True, "deleted": f["deleted"],
            "sq_thread": ring["sq_thread"], "note": None,
            # The contract promises user_bufs on ring rows; here it may be
            # either the ring's count or unknown.
            "user_bufs": AnyOf(ring["user_bufs"], None),
            **identity_fields(f, raw, mounts)}


def hidden_ring_row(manifest, ring):
    return {**process_fields(manifest), "source": "uring-ring", "hidden": True, "fd": None,
            "ring_fd": None, "ring_inode": ring["inode"], "slot": None, "type": "anon",
            "path": "anon_inode:[io_uring]", "path_raw": None, "path_complete": True,
            "deleted": AnyOf(False, None), "mount_id": None, "mountpoint": None,
            "dev": AnyOf(ring["dev"], None), "inode": AnyOf(ring["inode"], None),
            "sq_thread": None, "user_bufs": None, "note": IsStr()}


def row_key(row):
    slot = row["slot"] if row["source"] == "uring-fixed" else None
    return (row["source"], row["ring_inode"], slot)


def expected_hidden_rows(manifest):
    """{row_key: expected row} for every hidden row of the helper."""
    mounts = mount_points(manifest["pid"])
    rows = {}
    for ring in manifest["rings"]:
        if not ring["files_listable"]:
            rows[("uring-ring", ring["inode"], None)] = hidden_ring_row(manifest, ring)
            continue
        for f in ring["files"]:
            rows[("uring-fixed", ring["inode"], f["slot"])] = fixed_file_row(
                manifest, ring, f, mounts)
    return rows


def ring_named(manifest, name):
    return next(r for r in manifest["rings"] if r["name"] == name)


def file_named(ring, suffix):
    """The fixed file of ring whose path ends with suffix (bytes)."""
    return next(f for f in ring["files"] if bytes.fromhex(f["path_hex"]).endswith(suffix))


# ---- the tests -------------------------------------------------------------

@unittest.skipUnless(is_root(), "live io_uring tests need root")
class UringLiveTest(unittest.TestCase):
    maxDiff = None

    def start_helper(self, *args):
        helper = HelperProcess("uring_holder", args)
        manifest = helper.start()
        self.addCleanup(helper.stop)
        self.assertEqual(manifest["pid"], helper.pid)
        return helper, manifest

    def assert_hidden_rows(self, expected, rows, context=""):
        """rows (JSON records) are exactly the expected hidden rows."""
        got = {}
        for row in rows:
            self.assertEqual(set(row), ALL_KEYS, f"keys of {row}")
            key = row_key(row)
            self.assertNotIn(key, got, f"duplicate row {row}")
            got[key] = row
        self.assertEqual(sorted(got, key=repr), sorted(expected, key=repr),
                         f"set of (source, ring_inode, slot) {context}")
        for key, want in expected.items():
            self.assertLessEqual(set(want), ALL_KEYS, "test expects keys the contract lacks")
            row = {k: got[key][k] for k in want}
            self.assertEqual(want, row, f"row {key} {context}")

    def run_ok_json(self, *args):
        result, doc = run_json(*args)
        self.assertEqual(result.returncode, 0, describe(result))
        return doc

    # -- hidden rows ----------------------------------------------------------

    def test_hidden_rows_json(self):
        _, manifest = self.start_helper(*STANDARD_RINGS)
        expected = expected_hidden_rows(manifest)
        # The manifest itself must cover what this test is about.
        self.assertEqual(len([k for k in expected if k[0] == "uring-ring"]), 1)
        self.assertIn("SOCK", {f["type"] for f in ring_named(manifest, "sparse-table")["files"]})
        doc = self.run_ok_json("-p", str(manifest["pid"]))
        self.assert_hidden_rows(expected, doc["files"])
        self.assertEqual(doc["warnings"], [])

    def test_awkward_names_are_decoded(self):
        # Spot checks on top of the exact comparison above, so that a failure
        # names the feature: escapes undone, non-UTF-8 kept, deletion seen.
        _, manifest = self.start_helper("sparse-table")
        doc = self.run_ok_json("-p", str(manifest["pid"]))
        got = {path_bytes(r) for r in doc["files"]}
        ring = ring_named(manifest, "sparse-table")
        for suffix in (b"/sub dir/with space", b"/with\ttab", b"/with\nnewline",
                       b"/with\\backslash", b"/with\x1besc", b"/with\xffbyte"):
            self.assertIn(bytes.fromhex(file_named(ring, suffix)["path_hex"]), got, suffix)
        deleted = [r for r in doc["files"] if r["deleted"]]
        self.assertEqual([path_bytes(r) for r in deleted],
                         [bytes.fromhex(file_named(ring, b"/deleted file")["path_hex"])])
        raw = [r for r in doc["files"] if r["path_raw"] is not None]
        self.assertEqual([path_bytes(r) for r in raw],
                         [bytes.fromhex(file_named(ring, b"/with\xffbyte")["path_hex"])])

    def test_sq_thread(self):
        _, manifest = self.start_helper("sparse-table", "sqpoll")
        sqpoll = ring_named(manifest, "sqpoll")
        tid = sqpoll["sq_thread"]
        with open(f"/proc/{manifest['pid']}/task/{tid}/comm") as f:
            self.assertEqual(f.read(), f"iou-sqp-{manifest['pid']}\n")
        doc = self.run_ok_json("-p", str(manifest["pid"]))
        by_ring = {}
        for row in doc["files"]:
            by_ring.setdefault(row["ring_inode"], set()).add(row["sq_thread"])
        self.assertEqual(by_ring, {sqpoll["inode"]: {tid},
                                   ring_named(manifest, "sparse-table")["inode"]: {None}})

    # -- table output -----------------------------------------------------------

    def test_table_raw(self):
        _, manifest = self.start_helper(*STANDARD_RINGS)
        expected = expected_hidden_rows(manifest)
        pid = str(manifest["pid"]).encode()
        result = run_lshidden("-p", pid, "-o", "PID,SOURCE,SLOT,PATH", "-r", "-n")
        self.assertEqual(result.returncode, 0, describe(result))
        out = result.stdout
        self.assertNotIn(b"\x1b", out)
        self.assertNotIn(b"\xff", out)
        self.assertIn(b"with\\x1besc", out)
        self.assertTrue(out.endswith(b"\n"), out[-200:])
        lines = out[:-1].split(b"\n")
        self.assertEqual(len(lines), len(expected), out)
        got = set()
        for line in lines:
            fields = line.split(b" ")  # raw mode escapes blanks inside cells
            self.assertEqual(len(fields), 4, line)
            self.assertEqual(fields[0], pid, line)
            got.add((fields[1].decode(), fields[2].decode(), unescape_hex(fields[3])))
        want = set()
        for row in expected.values():
            slot = "" if row["slot"] is None else str(row["slot"])
            raw = row["path_raw"].raw if isinstance(row["path_raw"], HexOf) else \
                row["path"].encode()
            want.add((row["source"], slot, raw))
        self.assertEqual(got, want)

    def test_table_default(self):
        _, manifest = self.start_helper(*STANDARD_RINGS)
        expected = expected_hidden_rows(manifest)
        result = run_lshidden("-p", str(manifest["pid"]))
        self.assertEqual(result.returncode, 0, describe(result))
        out = result.stdout
        self.assertNotIn(b"\x1b", out)
        for escaped in (b"with\\x1besc", b"with\\x0anewline", b"with\\x09tab",
                        b"with\\xffbyte"):
            self.assertIn(escaped, out)
        lines = out.rstrip(b"\n").split(b"\n")
        self.assertEqual(lines[0].split(), [b"COMMAND", b"PID", b"USER", b"SOURCE", b"HIDDEN",
                                            b"FD", b"RING-FD", b"SLOT", b"TYPE", b"PATH"])
        self.assertEqual(len(lines), 1 + len(expected), out.decode(errors="replace"))
        for line in lines[1:]:
            self.assertTrue(line.startswith(b"uring_holder"), line)

    # -- -a ---------------------------------------------------------------------

    def test_all_sources(self):
        helper, manifest = self.start_helper(*STANDARD_RINGS)
        doc = self.run_ok_json("-a", "-p", str(manifest["pid"]))
        rows = doc["files"]
        for row in rows:
            self.assertEqual(set(row), ALL_KEYS, f"keys of {row}")
            self.assertEqual(row["pid"], manifest["pid"], row)
            self.assertIs(row["hidden"], row["source"] in HIDDEN_SOURCES, row)
        self.assert_hidden_rows(expected_hidden_rows(manifest),
                                [r for r in rows if r["source"] in HIDDEN_SOURCES], "with -a")
        by_source = {}
        for row in rows:
            by_source.setdefault(row["source"], []).append(row)
        self.assert_process_rows(helper, by_source)
        self.assert_ring_fd_rows(manifest, by_source.get("fd", []))
        self.assert_libc_mapped(by_source.get("mmap", []))

    def assert_process_rows(self, helper, by_source):
        exe = os.path.realpath(os.path.join(os.environ["LSHIDDEN_HELPERS"], "uring_holder"))
        for source, path, ftype in (("cwd", helper.dir, "DIR"), ("root", "/", "DIR"),
                                    ("exe", exe, "REG")):
            self.assertEqual(len(by_source.get(source, [])), 1, f"{source} rows")
            row = by_source[source][0]
            st = os.stat(path)
            self.assertEqual((row["path"], row["type"], row["inode"], row["fd"]),
                             (path, ftype, st.st_ino, None), row)
            self.assertEqual(row["dev"], f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}", row)

    def assert_ring_fd_rows(self, manifest, fd_rows):
        by_fd = {r["fd"]: r for r in fd_rows}
        self.assertEqual(len(by_fd), len(fd_rows), "duplicate fd rows")
        self.assertTrue({0, 1, 2} <= set(by_fd), sorted(by_fd))
        for ring in manifest["rings"]:
            if ring["fd"] is None:
                self.assertNotIn(ring["inode"], [r["ring_inode"] for r in fd_rows])
                continue
            row = by_fd.get(ring["fd"])
            self.assertIsNotNone(row, f"no fd row for ring {ring['name']}")
            want = {"ring_fd": ring["fd"], "ring_inode": ring["inode"], "slot": None,
                    "path": "anon_inode:[io_uring]", "type": "anon",
                    "sq_thread": ring["sq_thread"], "user_bufs": ring["user_bufs"]}
            self.assertEqual({k: row[k] for k in want}, want, f"fd row of ring {ring['name']}")

    def assert_libc_mapped(self, mmap_rows):
        libc = [r for r in mmap_rows if r["path"] and r["path"].endswith("/libc.so.6")]
        self.assertTrue(libc, [r["path"] for r in mmap_rows])
        for row in libc:
            st = os.stat(row["path"])
            self.assertEqual((row["inode"], row["dev"]),
                             (st.st_ino, f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"), row)

    # -- exit status ------------------------------------------------------------

    def test_exit_status(self):
        _, manifest = self.start_helper("sparse-table")
        pid = str(manifest["pid"])
        self.assertEqual(run_lshidden("-p", pid).returncode, 0)
        self.assertEqual(run_lshidden("-J", "-p", pid).returncode, 0)

        sleeper = subprocess.Popen(["sleep", "600"])
        self.addCleanup(sleeper.wait)
        self.addCleanup(sleeper.kill)
        result = run_lshidden("-p", str(sleeper.pid))
        self.assertEqual(result.returncode, 1, describe(result))
        result, doc = run_json("-p", str(sleeper.pid))
        self.assertEqual(result.returncode, 1, describe(result))
        self.assertEqual(doc["files"], [])

        for args in (["--no-such-option"], ["-o", "PID,NO-SUCH-COLUMN", "-p", pid],
                     ["-J", "-o", "NO-SUCH-COLUMN", "-p", pid]):
            result = run_lshidden(*args)
            self.assertEqual(result.returncode, 2, describe(result))
            self.assertNotEqual(result.stderr, b"", describe(result))

    # -- the helper itself --------------------------------------------------------

    def test_helper_factory_table(self):
        helper = helper_path("uring_holder")
        result = run_command([helper, "--list"])
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        names = [l.split()[0] for l in result.stdout.splitlines() if not l.startswith(" ")]
        self.assertEqual(names, ["sparse-table", "mixed-types", "registered-fd-closed", "sqpoll",
                                 "no-mmap-registered-only", "big-table", "shared-files",
                                 "contended", "mount-ns"])
        self.assertIn("\n  slots=65536 ", result.stdout)
        self.assertIn("\n  hold-ms=2 ", result.stdout)
        for args, said in ((["no-such-factory"], "no factory"),
                           (["big-table:no-such=1"], "no parameter"),
                           (["big-table:files=0"], "bad files"),
                           (["sqpoll", "sqpoll"], "given twice")):
            result = run_command([helper, *args, "/nonexistent"])
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertIn(said, result.stderr, args)

    # -- scale and contention -----------------------------------------------------

    def test_big_table(self):
        _, manifest = self.start_helper("big-table")
        ring = ring_named(manifest, "big-table")
        self.assertGreaterEqual(len(ring["files"]), 1000)
        self.assertGreater(max(f["slot"] for f in ring["files"]), 9999)  # 5-digit slots
        expected = expected_hidden_rows(manifest)
        for attempt in range(3):
            doc = self.run_ok_json("-p", str(manifest["pid"]))
            self.assert_hidden_rows(expected, doc["files"], f"run {attempt}")
            self.assertEqual(doc["warnings"], [])

    def syscall_counts(self, *args):
        """{syscall: calls} of one lshidden run (strace -f -c)."""
        out = os.path.join(self.scratch_dir(), "strace")
        # LeakSanitizer cannot run under ptrace (sanitized builds).
        asan = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        result = run_lshidden(*args, prefix=("env", f"ASAN_OPTIONS={asan}", "strace", "-f", "-c",
                                              "-o", out, "-e", "trace=statx,openat2"))
        self.assertEqual(result.returncode, 0, describe(result))
        counts = {}
        with open(out) as summary:
            for line in summary:
                fields = line.split()
                if len(fields) >= 5 and fields[-1] in ("statx", "openat2"):
                    counts[fields[-1]] = int(fields[3])
        return counts

    def scratch_dir(self):
        import tempfile
        path = tempfile.mkdtemp(prefix="lshidden-uring-")
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def test_names_of_many_slots_looked_up_once(self):
        """A file in many slots is looked up by its name once per worker
        thread, not once per slot, and each slot still gets its identity."""
        need_tools(self, "strace")
        slots, files = 2000, 4
        _, manifest = self.start_helper(f"shared-files:slots={slots},files={files}")
        ring = ring_named(manifest, "shared-files")
        self.assertEqual(len(ring["files"]), slots)
        self.assertEqual(len({f["path_hex"] for f in ring["files"]}), files)
        doc = self.run_ok_json("-p", str(manifest["pid"]))
        self.assert_hidden_rows(expected_hidden_rows(manifest), doc["files"])
        self.assertEqual({row["identity"] for row in doc["files"]}, {"path"})
        counts = self.syscall_counts("-J", "-p", str(manifest["pid"]))
        # One process is one worker: each name once (was: once per slot).
        self.assertEqual(counts.get("openat2", 0), files, counts)
        self.assertLess(counts.get("statx", 0), slots // 10, counts)

    def contention_rate(self, pid, ring_fd, samples=500):
        """Share of fdinfo reads that found the ring locked (no io_uring
        section), sampled over many of the helper's lock periods."""
        busy = 0
        for _ in range(samples):
            with open(f"/proc/{pid}/fdinfo/{ring_fd}", "rb") as f:
                busy += b"\nUserFiles:" not in f.read()
            time.sleep(0.0005)
        return busy / samples

    def test_contended_ring(self):
        # The helper holds the ring's lock 2 ms out of every 8 ms.
        _, manifest = self.start_helper("mixed-types", "contended")
        pid = manifest["pid"]
        rate = self.contention_rate(pid, ring_named(manifest, "contended")["fd"])
        # Without contention this test would prove nothing about retries.
        self.assertGreaterEqual(rate, 0.05, "uring_holder produced too little contention")
        # Enough runs that a tool reading each ring once fails with >99.9%.
        runs = min(300, max(20, math.ceil(math.log(0.001) / math.log(1 - min(rate, 0.99)))))
        expected = expected_hidden_rows(manifest)
        for attempt in range(runs):
            doc = self.run_ok_json("-p", str(pid))
            context = f"run {attempt + 1}/{runs}, contention {rate:.0%}"
            self.assertEqual(doc["warnings"], [], context)
            self.assert_hidden_rows(expected, doc["files"], context)

    # -- unprivileged -------------------------------------------------------------

    def test_unprivileged(self):
        if shutil.which("setpriv") is None:
            self.fail("setpriv (util-linux) is needed")
        _, manifest = self.start_helper("sparse-table")
        pid = manifest["pid"]
        binary = unprivileged_copy(self)

        inspect_failed = r"(?i)(could not|cannot) be inspected"
        result = run_lshidden(prefix=UNPRIVILEGED, binary=binary)
        self.assertIn(result.returncode, (0, 1), describe(result))
        self.assertRegex(result.stderr.decode(errors="replace"), inspect_failed, describe(result))

        result = run_lshidden("-p", str(pid), prefix=UNPRIVILEGED, binary=binary)
        self.assertEqual(result.returncode, 1, describe(result))
        self.assertRegex(result.stderr.decode(errors="replace"), inspect_failed, describe(result))

        result, doc = run_json("-p", str(pid), prefix=UNPRIVILEGED, binary=binary)
        self.assertEqual(result.returncode, 1, describe(result))
        self.assertEqual([r for r in doc["files"] if r["pid"] == pid], [])
        self.assertTrue(doc["warnings"], "no warnings for an uninspectable process")
        for warning in doc["warnings"]:
            self.assertEqual(set(warning), {"pid", "path", "reason"}, warning)
            self.assertIsInstance(warning["reason"], str, warning)
            self.assertNotEqual(warning["reason"].strip(), "", warning)
            self.assertIsInstance(warning["pid"], (int, type(None)), warning)
            self.assertIsInstance(warning["path"], (str, type(None)), warning)
        self.assertIn(pid, [w["pid"] for w in doc["warnings"]])


if __name__ == "__main__":
    run_tests()
