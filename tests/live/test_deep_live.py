"""Live tests of lshidden --deep: the BPF iterators against real rings
(uring_holder) and a real FUSE passthrough server (fuse_pt_server).

Each test first shows what the /proc scan gives for the objects it builds,
then that --deep gives the same files with the kernel's exact identity
(dev, inode and mount id equal to fstat(2)/stat(2) of the real file, the
full path, method "bpf"), and the files only the kernel's own tables show:
fixed files of rings without an fd, a NO_MMAP | REGISTERED_FD_ONLY ring,
FUSE backing ids.  The failure paths (no privilege, no BTF) must give one
line on stderr and the /proc results.

Needs root, BTF (/sys/kernel/btf/vmlinux) and a kernel with io_uring and
FUSE passthrough.  Environment: see tests/pylib/lshidden_test.py.
"""
import errno
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from lshidden_test import (contract_json_keys, describe, HelperProcess, in_private_namespace,
                           is_root, kernel_version, lshidden_path, mount_points, mount_tmpfs,
                           need_tools, path_bytes, run_command, run_json, run_lshidden, run_tests,
                           start_fuse_server, umount, unprivileged_copy)

ALL_KEYS = set(contract_json_keys())
UNPRIVILEGED = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
BPF_CAPS = ("--inh-caps=+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon")
UNAVAILABLE = b"kernel view"


def dev_string(st_dev):
    return f"{os.major(st_dev)}:{os.minor(st_dev)}"


def row_key(row):
    return (row["pid"], row["source"], row["ring_inode"], row["slot"], row["backing_id"],
            row["note"] if row["source"] == "fuse-backing" and row["backing_id"] is None
            else None)


def rows_by_key(test, rows):
    got = {}
    for row in rows:
        test.assertEqual(set(row), ALL_KEYS, f"keys of {row}")
        key = row_key(row)
        test.assertNotIn(key, got, f"duplicate row {row}")
        got[key] = row
    return got


def exact_file(f, mounts):
    """What --deep must say of a fixed file of the manifest: everything the
    kernel knows, deleted files included."""
    want = {"source": "uring-fixed", "hidden": True, "method": "bpf", "path_complete": True,
            "deleted": f["deleted"], "type": f["type"], "dev": f["dev"], "inode": f["inode"],
            "slot": f["slot"]}
    if f["mount_id"] is not None:
        want["mount_id"] = f["mount_id"]
        want["mountpoint"] = mounts[f["mount_id"]]
    return want


def picked(row, want):
    return {k: (path_bytes(row) if k == "path_bytes" else row[k]) for k in want}


@unittest.skipUnless(is_root(), "--deep live tests need root")
class DeepRingTest(unittest.TestCase):
    maxDiff = None

    def start_holder(self, *args):
        helper = HelperProcess("uring_holder", args)
        manifest = helper.start()
        self.addCleanup(helper.stop)
        return manifest

    def run_ok(self, *args, status=0, prefix=(), binary=None):
        result, doc = run_json(*args, prefix=prefix, binary=binary)
        self.assertEqual(result.returncode, status, describe(result))
        return result, doc

    def assert_exact_rows(self, manifest, rows, rings):
        """Every fixed file of the named rings is one row of rows with its
        exact identity and full path, and stat(2) of the path agrees."""
        mounts = mount_points(manifest["pid"])
        by_ring_slot = {(r["ring_inode"], r["slot"]): r for r in rows
                        if r["source"] == "uring-fixed"}
        for ring in manifest["rings"]:
            if ring["name"] not in rings:
                continue
            for f in ring["files"]:
                row = by_ring_slot.get((ring["inode"], f["slot"]))
                if not ring["mapped"]:  # no inode in the manifest: match by slot
                    row = next((r for r in rows if r["source"] == "uring-fixed"
                                and r["ring_fd"] is None and r["slot"] == f["slot"]), None)
                context = f"ring {ring['name']} slot {f['slot']}"
                self.assertIsNotNone(row, context)
                want = exact_file(f, mounts)
                want["ring_fd"] = ring["fd"]
                want["path_bytes"] = bytes.fromhex(f["path_hex"])
                self.assertEqual(picked(row, want), want, context)
                if not f["deleted"] and f["type"] in ("REG", "DIR", "CHR"):
                    st = os.stat(bytes.fromhex(f["path_hex"]))
                    self.assertEqual((row["dev"], row["inode"]),
                                     (dev_string(st.st_dev), st.st_ino), context)

    def test_same_files_as_proc_with_exact_identity(self):
        rings = ("sparse-table", "mixed-types", "registered-fd-closed", "sqpoll")
        manifest = self.start_holder(*rings)
        pid = str(manifest["pid"])
        _, procfs = self.run_ok("--no-deep", "-p", pid)
        _, deep = self.run_ok("--deep", "-p", pid)
        self.assertEqual(deep["warnings"], [])
        # The default, as root, is the kernel view.
        _, default = self.run_ok("-p", pid)
        self.assertEqual(default, deep)
        proc_rows, deep_rows = rows_by_key(self, procfs["files"]), rows_by_key(self, deep["files"])
        closed = next(r for r in manifest["rings"] if r["name"] == "registered-fd-closed")
        only_deep = {(manifest["pid"], "uring-fixed", closed["inode"], f["slot"], None, None)
                     for f in closed["files"]}
        # What /proc listed, plus what it cannot: the fixed files of the ring
        # whose fd was closed.
        self.assertEqual(set(deep_rows), set(proc_rows) | only_deep)
        self.assertTrue(only_deep and not only_deep & set(proc_rows))
        for key, row in deep_rows.items():
            self.assertEqual(row["method"], "bpf", row)
            if key in proc_rows:
                self.assertEqual(proc_rows[key]["method"], "procfs")
        # The deleted file: /proc cannot stat it, the kernel knows it.
        deleted = [r for r in proc_rows.values() if r["deleted"]]
        self.assertEqual([r["inode"] for r in deleted], [None])
        self.assert_exact_rows(manifest, deep["files"], set(rings))
        ring_row = deep_rows[(manifest["pid"], "uring-ring", closed["inode"], None, None, None)]
        self.assertIn("listed by the kernel view", ring_row["note"])

    def test_ring_fd_registered_and_closed(self):
        manifest = self.start_holder("registered-fd-closed")
        pid = str(manifest["pid"])
        _, procfs = self.run_ok("--no-deep", "-p", pid)
        self.assertEqual([r["source"] for r in procfs["files"]], ["uring-ring"])
        _, deep = self.run_ok("--deep", "-p", pid)
        self.assertEqual(sorted(r["source"] for r in deep["files"]),
                         ["uring-fixed", "uring-ring"])
        self.assert_exact_rows(manifest, deep["files"], {"registered-fd-closed"})

    @unittest.skipUnless(kernel_version() >= (6, 5), "NO_MMAP rings need Linux 6.5")
    def test_ring_without_fd_or_mapping(self):
        manifest = self.start_holder("no-mmap-registered-only")
        pid = str(manifest["pid"])
        ring = manifest["rings"][0]
        self.assertFalse(ring["mapped"])
        with open(f"/proc/{pid}/maps") as f:
            self.assertNotIn("io_uring", f.read())
        # Nothing in /proc shows this ring or its files.
        self.run_ok("--no-deep", "-p", pid, status=1)
        _, deep = self.run_ok("--deep", "-p", pid)
        rows = deep["files"]
        (ring_row,) = [r for r in rows if r["source"] == "uring-ring"]
        self.assertEqual((ring_row["method"], ring_row["ring_fd"], ring_row["type"]),
                         ("bpf", None, "anon"))
        self.assertIn("registered ring fds", ring_row["note"])
        fixed = [r for r in rows if r["source"] == "uring-fixed"]
        self.assertEqual(sorted(r["slot"] for r in fixed), [0, 2])
        self.assertEqual({r["ring_inode"] for r in fixed}, {ring_row["ring_inode"]})
        self.assert_exact_rows(manifest, rows, {"no-mmap-registered-only"})

    def test_big_table(self):
        # Far more than one seq buffer holds: the listing resumes many times.
        manifest = self.start_holder("big-table:files=3000")
        ring = manifest["rings"][0]
        _, deep = self.run_ok("--deep", "-p", str(manifest["pid"]))
        self.assertEqual(deep["warnings"], [])
        self.assertEqual(len(deep["files"]), len(ring["files"]))
        self.assert_exact_rows(manifest, deep["files"], {"big-table"})

    def test_contended_ring(self):
        # The /proc scan has to retry while the ring is locked; the kernel's
        # table can always be read.
        manifest = self.start_holder("contended")
        for attempt in range(20):
            _, deep = self.run_ok("--deep", "-p", str(manifest["pid"]))
            self.assertEqual(len(deep["files"]), len(manifest["rings"][0]["files"]),
                             f"run {attempt}")
            self.assertTrue(all(r["method"] == "bpf" for r in deep["files"]))

    def test_table_and_columns(self):
        manifest = self.start_holder("registered-fd-closed")
        result = run_lshidden("--deep", "-p", str(manifest["pid"]), "-o",
                              "SOURCE,SLOT,METHOD,INODE,PATH", "-r", "-n")
        self.assertEqual(result.returncode, 0, describe(result))
        ring = manifest["rings"][0]
        f = ring["files"][0]
        want = {f"uring-ring  bpf {ring['inode']} anon_inode:[io_uring]".encode(),
                b"uring-fixed 0 bpf %d %s" % (f["inode"], bytes.fromhex(f["path_hex"]))}
        self.assertEqual(set(result.stdout.splitlines()), want)

    def test_whole_host_has_no_duplicates(self):
        manifest = self.start_holder("sparse-table", "registered-fd-closed", "sqpoll",
                                     "no-mmap-registered-only")
        _, deep = self.run_ok("--deep")
        rows_by_key(self, deep["files"])
        mine = [r for r in deep["files"] if r["pid"] == manifest["pid"]]
        expected = sum(len(r["files"]) + (not r["files_listable"]) for r in manifest["rings"])
        self.assertEqual(len(mine), expected)

    def opened_process_dirs(self, *args):
        """The pids whose /proc directory lshidden ARGS opened, by strace."""
        with tempfile.TemporaryDirectory() as tmp:
            trace = os.path.join(tmp, "trace")
            # LeakSanitizer cannot run under ptrace (sanitized builds).
            env = {**os.environ,
                   "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
            result = run_command(["strace", "-f", "-qq", "-e", "trace=openat", "-o", trace,
                                  lshidden_path(), "-J", *args], env=env)
            self.assertIn(result.returncode, (0, 1), result.stderr)
            with open(trace, errors="replace") as f:
                return {int(m) for m in re.findall(r'openat\(\d+, "(\d+)", [^)]*O_PATH',
                                                   f.read())}

    def test_hidden_rows_walk_only_their_owners(self):
        """The default view of the whole host: the kernel view names the
        processes that hold rings, so /proc is read for those alone (and
        for any process the view did not see), not for every process."""
        need_tools(self, "strace")
        manifest = self.start_holder("sparse-table", "registered-fd-closed")
        bystander = subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL)
        self.addCleanup(bystander.wait)
        self.addCleanup(bystander.kill)
        walked = self.opened_process_dirs()
        self.assertIn(manifest["pid"], walked)
        self.assertNotIn(bystander.pid, walked)
        # The same rows as a walk of that process alone.
        _, whole = self.run_ok("--deep")
        _, alone = self.run_ok("--deep", "-p", str(manifest["pid"]))
        mine = [r for r in whole["files"] if r["pid"] == manifest["pid"]]
        self.assertEqual(mine, alone["files"])
        # Without the view every process is read, the bystander too.
        self.assertIn(bystander.pid, self.opened_process_dirs("--no-deep"))

    # -- failure paths --------------------------------------------------------

    def assert_one_line_reason(self, result, reason):
        lines = [l for l in result.stderr.splitlines() if UNAVAILABLE in l]
        self.assertEqual(len(lines), 1, describe(result))
        self.assertIn(reason, lines[0], describe(result))

    def test_without_btf(self):
        manifest = self.start_holder("sparse-table", "registered-fd-closed")
        pid = str(manifest["pid"])
        env = {**os.environ, "LSHIDDEN_DEEP_BTF": "/nonexistent/vmlinux"}
        run = lambda *args: subprocess.run([lshidden_path(), *args], env=env,
                                           stdin=subprocess.DEVNULL, capture_output=True,
                                           timeout=120)
        # Required, it cannot run: one line, status 2, nothing listed.
        for args in (["--deep", "-J", "-p", pid], ["--deep", "-p", pid]):
            result = run(*args)
            self.assertEqual((result.returncode, result.stdout), (2, b""), describe(result))
            self.assertEqual(result.stderr,
                             b"lshidden: --deep: the kernel view cannot run: no kernel BTF "
                             b"(/nonexistent/vmlinux: No such file or directory)\n")
        # By default, /proc's answer, and one warning: it changes the answer.
        _, procfs = self.run_ok("--no-deep", "-p", pid)
        result = run("-J", "-p", pid)
        self.assertEqual(result.returncode, 0, describe(result))
        doc = json.loads(result.stdout)
        self.assertEqual(doc["files"], procfs["files"])
        (warning,) = doc["warnings"]
        self.assertIn("the kernel view is not loaded (no kernel BTF (/nonexistent/vmlinux: No "
                      "such file or directory))", warning["reason"])
        fixed = [f for f in procfs["files"] if f["source"] == "uring-fixed"]
        rings = [f for f in procfs["files"] if f["source"] == "uring-ring"]
        self.assertIn(f"{len(fixed)} fixed files are named by path only", warning["reason"])
        self.assertIn(f"{len(rings)} ring's files with no fd cannot be read"
                      if len(rings) == 1 else f"{len(rings)} rings' files", warning["reason"])
        table = run("-p", pid)
        self.assert_one_line_reason(table, b"no kernel BTF")
        self.assertEqual(table.returncode, 0)
        # Where it changes nothing, nothing is said.
        quiet = run("-p", str(os.getpid()))
        self.assertEqual((quiet.returncode, quiet.stderr), (1, b""), describe(quiet))

    def test_btf_that_is_a_fifo(self):
        # Nobody writes to it: opening it to read would wait for ever.
        top = tempfile.mkdtemp(prefix="lshidden-btf-")
        self.addCleanup(shutil.rmtree, top)
        fifo = os.path.join(top, "vmlinux")
        os.mkfifo(fifo)
        result = subprocess.run([lshidden_path(), "--deep", "-J", "-p", str(os.getpid())],
                                env={**os.environ, "LSHIDDEN_DEEP_BTF": fifo},
                                stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        self.assertEqual((result.returncode, result.stdout), (2, b""), describe(result))
        self.assertEqual(result.stderr.decode(),
                         f"lshidden: --deep: the kernel view cannot run: no kernel BTF "
                         f"({fifo}: not a regular file)\n")

    def test_without_privilege(self):
        manifest = self.start_holder("sparse-table")
        pid = str(manifest["pid"])
        binary = unprivileged_copy(self)
        result = run_lshidden("--deep", prefix=UNPRIVILEGED, binary=binary)
        self.assertEqual((result.returncode, result.stdout), (2, b""), describe(result))
        self.assertEqual(result.stderr, b"lshidden: --deep: the kernel view cannot run: loading "
                         b"BPF programs needs root, or CAP_BPF and CAP_PERFMON\n")
        # By default it lists what /proc lets it see, like --no-deep, and
        # says nothing of the kernel view: nobody's own processes hold no
        # fixed files, so it would change no answer.
        plain = run_lshidden("--no-deep", prefix=UNPRIVILEGED, binary=binary)
        default = run_lshidden(prefix=UNPRIVILEGED, binary=binary)

        # The same lines; how many processes it could not read (or saw
        # exit) may change between the two runs on a busy host.
        def said(stderr):
            return sorted(re.sub(rb"\b\d+\b", b"N", line) for line in stderr.splitlines()
                          if b"exited while being scanned" not in line)

        self.assertEqual((default.returncode, default.stdout, said(default.stderr)),
                         (plain.returncode, plain.stdout, said(plain.stderr)))
        self.assertNotIn(b"kernel view", default.stderr)
        result, doc = self.run_ok("-p", pid, status=1, prefix=UNPRIVILEGED, binary=binary)
        self.assertEqual(doc["files"], [])

    def test_with_bpf_capabilities_only(self):
        # CAP_BPF + CAP_PERFMON are enough for --deep, though not for /proc.
        manifest = self.start_holder("sparse-table", "registered-fd-closed")
        pid = str(manifest["pid"])
        binary = unprivileged_copy(self)
        _, procfs = self.run_ok("--no-deep", "-p", pid, status=1, prefix=UNPRIVILEGED + BPF_CAPS,
                                binary=binary)
        self.assertEqual(procfs["files"], [])
        for view in ((), ("--deep",)):
            result, deep = self.run_ok(*view, "-p", pid, prefix=UNPRIVILEGED + BPF_CAPS,
                                       binary=binary)
            self.assertEqual(result.stderr, b"", describe(result))
            self.assert_exact_rows(manifest, deep["files"],
                                   {"sparse-table", "registered-fd-closed"})

    def test_nothing_loaded_without_deep(self):
        if shutil.which("strace") is None:
            self.fail("strace is needed (scripts/install-deps)")
        self.start_holder("registered-fd-closed")
        trace = tempfile.NamedTemporaryFile(prefix="lshidden-strace-")
        self.addCleanup(trace.close)
        # LeakSanitizer cannot run under ptrace (sanitizer builds).
        env = {**os.environ, "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
        for args, loads in ((["-a", "-J", "--no-deep"], False), (["-a", "-J"], True),
                            (["--deep", "-J"], True)):
            result = run_command(["strace", "-f", "-qq", "-e", "trace=bpf", "-o", trace.name,
                                  lshidden_path(), *args], env=env)
            self.assertIn(result.returncode, (0, 1), result.stderr)
            with open(trace.name) as f:
                self.assertEqual("BPF_PROG_LOAD" in f.read(), loads, args)

@unittest.skipUnless(is_root(), "--deep live tests need root")
@unittest.skipUnless(kernel_version() >= (6, 14), "fdinfo prints full paths from Linux 6.14")
class DeepLongPathTest(unittest.TestCase):
    """The kernel's walk of a name stops at 48 components; /proc (6.14+)
    printed it whole, and the whole name stays."""

    def test_complete_path_is_kept(self):
        top = tempfile.mkdtemp(prefix="lshidden-deep-long-")
        self.addCleanup(shutil.rmtree, top)
        path = os.path.join(top, *["d"] * 60)
        os.makedirs(path)
        target = os.path.join(path, "file")
        helper = HelperProcess("mount_holder", ["uring-fixed", target])
        manifest = helper.start()
        self.addCleanup(helper.stop)
        _, doc = run_json("--deep", "-p", str(manifest["pid"]))
        (row,) = [r for r in doc["files"] if r["source"] == "uring-fixed"]
        self.assertEqual(row["path"], target)
        self.assertTrue(row["path_complete"])
        self.assertEqual((row["method"], row["inode"]), ("bpf", manifest["inode"]))



@unittest.skipUnless(is_root() and os.path.exists("/dev/fuse"), "needs root and /dev/fuse")
@unittest.skipUnless(kernel_version() >= (6, 9), "FUSE passthrough needs Linux 6.9")
class DeepFuseTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-deepfuse-")
        self.addCleanup(os.rmdir, self.top)
        self.back = os.path.join(self.top, "back")
        self.mnt = os.path.join(self.top, "mnt")
        for d in (self.back, self.mnt):
            os.mkdir(d)
            self.addCleanup(os.rmdir, d)
        mount_tmpfs(self, self.back)
        for name in ("one", "two"):
            with open(os.path.join(self.back, name), "w") as f:
                f.write(f"{name}\n")

    def start_server(self, *options):
        server, manifest = start_fuse_server(self, self.mnt, self.back, *options)
        self.assertTrue(manifest["passthrough"], manifest)
        return server, manifest

    def open_client(self, name):
        """A process holding NAME open through the FUSE mount."""
        with open(os.path.join(self.mnt, name)) as f:
            client = subprocess.Popen(["sleep", "600"], stdin=f, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        self.addCleanup(client.wait)
        self.addCleanup(client.kill)
        return client

    def backing_rows(self, doc, server_pid):
        return [r for r in doc["files"] if r["source"] == "fuse-backing"
                and r["pid"] == server_pid]

    def assert_backing_ids(self, rows, manifest, pid):
        """One row per backing id of the manifest, with its exact identity."""
        by_id = {r["backing_id"]: r for r in rows if r["backing_id"] is not None}
        want_ids = {b["backing_id"] for b in manifest["backing"] if b["backing_id"]}
        self.assertEqual(set(by_id), want_ids, rows)
        for b in manifest["backing"]:
            if not b["backing_id"]:
                continue
            row = by_id[b["backing_id"]]
            want = {"pid": pid, "hidden": True, "method": "bpf", "path": b["path"],
                    "dev": b["dev"], "inode": b["inode"], "type": "REG", "deleted": False,
                    "path_complete": True, "fuse_connection": manifest["connection"],
                    "fuse_mount": self.mnt}
            self.assertEqual({k: row[k] for k in want}, want, row)
            self.assertEqual(row["mount_id"], max(i for i, mp in mount_points(os.getpid()).items()
                                                  if mp == self.back))

    def test_backing_ids_only_deep_can_see(self):
        server, manifest = self.start_server("--preregister")
        self.open_client("one")
        pid = server.pid
        result, procfs = run_json("--no-deep", "-p", str(pid))
        self.assertEqual(self.backing_rows(procfs, pid), [])
        self.assertTrue(any("cannot be shown" in w["reason"] for w in procfs["warnings"]))
        result, deep = run_json("--deep", "-p", str(pid))
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertFalse([w for w in deep["warnings"] if "cannot be shown" in w["reason"]
                          or "kernel view" in w["reason"]], deep["warnings"])
        rows = self.backing_rows(deep, pid)
        # Both ids: "one" is attached to the open file, "two" to nothing.
        self.assert_backing_ids(rows, manifest, pid)
        opened = [r for r in rows if r["backing_id"] is None]
        (own,) = opened
        one = next(b for b in manifest["backing"] if b["name"] == "one")
        self.assertEqual((own["path"], own["inode"], own["method"]),
                         (one["path"], one["inode"], "bpf"))
        self.assertIn("passthrough file open at fd 0 of PID", own["note"])

    def test_ids_registered_at_open(self):
        server, manifest = self.start_server()
        self.assertTrue(all(b["backing_id"] is None for b in manifest["backing"]))
        client = self.open_client("two")
        _, deep = run_json("--deep", "-p", str(server.pid))
        rows = self.backing_rows(deep, server.pid)
        two = next(b for b in manifest["backing"] if b["name"] == "two")
        listed = sorted((r["backing_id"] is None, r["path"], r["inode"]) for r in rows)
        self.assertEqual(listed, [(False, two["path"], two["inode"]),
                                  (True, two["path"], two["inode"])])
        self.assertTrue(any(f"PID {client.pid}" in (r["note"] or "") for r in rows))

    def test_client_selected_alone_keeps_its_backing_files(self):
        # -p CLIENT: the backing file the kernel opened for the client's
        # passthrough file is the client's as much as the server's.
        server, manifest = self.start_server()
        client = self.open_client("two")
        _, deep = run_json("--deep", "-p", str(client.pid))
        rows = [r for r in deep["files"] if r["source"] == "fuse-backing"]
        self.assertTrue(rows, deep["files"])
        self.assertTrue(any(f"PID {client.pid}" in (r["note"] or "") for r in rows), rows)
        two = next(b for b in manifest["backing"] if b["name"] == "two")
        self.assertIn(two["inode"], [r["inode"] for r in rows])

    def test_dev_fuse_rows_confirmed_by_the_kernel(self):
        server, _ = self.start_server("--preregister")
        _, deep = run_json("--deep", "-a", "-p", str(server.pid))
        fuse_fds = [r for r in deep["files"] if r["source"] == "fd" and r["path"] == "/dev/fuse"]
        self.assertTrue(fuse_fds, deep["files"])
        self.assertEqual({r["method"] for r in fuse_fds}, {"bpf"})
        _, plain = run_json("--no-deep", "-a", "-p", str(server.pid))
        self.assertEqual({r["method"] for r in plain["files"] if r["path"] == "/dev/fuse"},
                         {"procfs"})

    def test_cloned_device_fd_lists_once(self):
        server, manifest = self.start_server("--preregister", "--clone")
        _, deep = run_json("--deep", "-p", str(server.pid))
        self.assert_backing_ids(self.backing_rows(deep, server.pid), manifest, server.pid)

    def test_server_killed_while_mounted(self):
        # The mount keeps the connection and its backing files; no /dev/fuse
        # fd is left, only the connection's fusectl directory.
        server, manifest = self.start_server("--preregister")
        server.kill()
        self.assertEqual(umount(self.back), errno.EBUSY)
        _, deep = run_json("--deep")
        rows = [r for r in deep["files"] if r["source"] == "fuse-backing"
                and r["fuse_connection"] == manifest["connection"]]
        self.assert_backing_ids(rows, manifest, None)

    def test_mount_holders_are_certain(self):
        server, manifest = self.start_server("--preregister")
        self.assertEqual(umount(self.back), errno.EBUSY)
        result, procfs = run_json("--mount", self.back, "--no-deep")
        fuse = [r for r in procfs["files"] if r["holder"] == "fuse" and r["pid"] == server.pid]
        self.assertEqual([r["possible"] for r in fuse], [True])
        result, deep = run_json("--mount", self.back, "--deep")
        self.assertEqual(result.returncode, 0, describe(result))
        fuse = [r for r in deep["files"] if r["holder"] == "fuse" and r["pid"] == server.pid]
        self.assertEqual(sorted((r["backing_id"], r["possible"], r["effect"]) for r in fuse),
                         [(1, False, "blocks-umount"), (2, False, "blocks-umount")])
        table = run_lshidden("--mount", self.back, "--deep").stdout.decode()
        self.assertIn("2 FUSE backing files", table.splitlines()[-1])


@unittest.skipUnless(is_root(), "--deep live tests need root")
class DeepMountTest(unittest.TestCase):
    """--mount --deep: io_uring holders by exact mount id, never "possible"."""

    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="lshidden-deepmnt-")
        self.addCleanup(os.rmdir, self.mnt)
        mount_tmpfs(self, self.mnt)

    def test_fdless_rings_become_certain_holders(self):
        helper = HelperProcess("uring_holder", ["registered-fd-closed", "no-mmap-registered-only"],
                               parent=self.mnt)
        manifest = helper.start()
        self.addCleanup(helper.stop)
        self.assertEqual(umount(self.mnt), errno.EBUSY)
        mine = lambda doc: [r for r in doc["files"] if r["pid"] == manifest["pid"]
                            and r["holder"] == "io_uring"]
        _, procfs = run_json("--mount", self.mnt, "--no-deep")
        # /proc: the ring whose fd was closed is a possible holder, the
        # NO_MMAP | REGISTERED_FD_ONLY ring cannot be seen at all.
        self.assertEqual([(r["source"], r["possible"]) for r in mine(procfs)],
                         [("uring-ring", True)])
        result, deep = run_json("--mount", self.mnt, "--deep")
        self.assertEqual(result.returncode, 0, describe(result))
        want = sorted((f["slot"], f["inode"]) for r in manifest["rings"] for f in r["files"])
        rows = mine(deep)
        self.assertEqual(sorted((r["slot"], r["inode"]) for r in rows), want)
        self.assertTrue(all(r["source"] == "uring-fixed" and r["possible"] is False
                            and r["effect"] == "blocks-umount" for r in rows), rows)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
