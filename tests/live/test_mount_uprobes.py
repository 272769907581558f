"""Live tests of lshidden --mount: uprobes.  A uprobe keeps the path of its
file, so umount of the file's mount fails with EBUSY although no process
has the file open: lsof and fuser name nothing.

- A tracefs probe (uprobe_events): listed with the command that removes
  it, whether tracefs is mounted or lshidden has to mount it in a
  namespace of its own (the mount table stays as it was).
- A probe on a file of another mount is not listed.
- A perf_event fd on the uprobe PMU with a BPF program attached
  (PERF_EVENT_IOC_SET_BPF), and a BPF perf_event link (6.6+ names its
  file): listed.  The program is the two instructions "r0 = 0; exit",
  loaded with ctypes: no new build dependency.
- A bare perf_event fd on the uprobe PMU (no program) holds the file too,
  but nothing the kernel shows tells it from any other perf event: it is
  left out, so that a host running perf does not make every mount
  "possibly held".  The test pins that choice.

Every probe is removed on every exit path (the tracefs ones are
host-wide).  Runs in a private mount namespace of its own.  Needs root
and a kernel with uprobe events.  Environment: see
tests/pylib/lshidden_test.py.
"""
import ctypes
import errno
import os
import re
import shutil
import struct
import tempfile
import unittest

from lshidden_test import (describe, in_private_namespace, is_root, kernel_version, mount_tmpfs,
                           run_command, run_json, run_tests, umount)

TRACEFS = "/sys/kernel/tracing"
UPROBE_TYPE = "/sys/bus/event_source/devices/uprobe/type"
# (perf_event_open, bpf) by machine.
SYSCALLS = {"x86_64": (298, 321), "aarch64": (241, 280)}
PERF_EVENT_IOC_SET_BPF = 0x40042408
BPF_PROG_LOAD, BPF_LINK_CREATE = 5, 28
BPF_PROG_TYPE_KPROBE, BPF_PERF_EVENT, BPF_TRACE_UPROBE_MULTI = 2, 41, 48

_libc = ctypes.CDLL(None, use_errno=True)


def mount_table():
    """Our mounts, without the fields that change on their own."""
    with open("/proc/self/mountinfo") as f:
        return [line.split(" - ")[0] for line in f]


def probe_offset(path):
    """A file offset inside path: page 1 when the file has one."""
    return 0x1000 if os.path.getsize(path) > 0x2000 else 0


def syscall(number, *args):
    """A raw syscall; returns its result or raises OSError."""
    r = _libc.syscall(ctypes.c_long(number), *args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


class BpfCalls:
    """perf_event_open on the uprobe PMU and bpf(2), through ctypes.  Keeps
    the buffers the kernel reads alive as long as the object."""

    def __init__(self, test):
        numbers = SYSCALLS.get(os.uname().machine)
        if numbers is None or not os.path.exists(UPROBE_TYPE):
            test.skipTest("no uprobe PMU, or syscall numbers unknown here")
        self.nr_perf, self.nr_bpf = numbers
        with open(UPROBE_TYPE) as f:
            self.pmu = int(f.read())
        self.keep = []
        self.fds = set()
        test.addCleanup(self.close_all)

    def close_later(self, fd):
        self.fds.add(fd)
        return fd

    def close(self, fd):
        self.fds.discard(fd)
        os.close(fd)

    def close_all(self):
        while self.fds:
            os.close(self.fds.pop())

    def perf_uprobe(self, path, offset):
        """A perf_event fd of this process on a uprobe of path:offset."""
        name = ctypes.create_string_buffer(os.fsencode(path))
        self.keep.append(name)
        attr = bytearray(128)
        struct.pack_into("IIQ", attr, 0, self.pmu, len(attr), 0)
        struct.pack_into("Q", attr, 40, 1 | 1 << 5 | 1 << 6)  # disabled, no kernel, no hv
        struct.pack_into("QQ", attr, 56, ctypes.addressof(name), offset)  # config1, config2
        buf = (ctypes.c_char * len(attr)).from_buffer(attr)
        fd = syscall(self.nr_perf, buf, 0, -1, -1, 8)  # this process, any cpu, CLOEXEC
        return self.close_later(fd)

    def bpf(self, cmd, attr):
        buf = (ctypes.c_char * len(attr)).from_buffer(attr)
        return syscall(self.nr_bpf, cmd, buf, len(attr))

    def load_program(self, attach_type=0):
        """A kprobe-type program that returns 0: all a uprobe needs."""
        insns = ctypes.create_string_buffer(struct.pack("<BBhiBBhi", 0xb7, 0, 0, 0,
                                                        0x95, 0, 0, 0), 16)
        license = ctypes.create_string_buffer(b"GPL")
        self.keep += [insns, license]
        attr = bytearray(128)
        struct.pack_into("IIQQ", attr, 0, BPF_PROG_TYPE_KPROBE, 2, ctypes.addressof(insns),
                         ctypes.addressof(license))
        struct.pack_into("I", attr, 68, attach_type)  # expected_attach_type
        return self.close_later(self.bpf(BPF_PROG_LOAD, attr))

    def uprobe_multi_link(self, path, offset):
        """A uprobe_multi link (6.6+) on path:offset, for every process."""
        prog = self.load_program(BPF_TRACE_UPROBE_MULTI)
        name = ctypes.create_string_buffer(os.fsencode(path))
        offsets = (ctypes.c_uint64 * 1)(offset)
        self.keep += [name, offsets]
        attr = bytearray(64)
        struct.pack_into("IIIIQQQQI", attr, 0, prog, 0, BPF_TRACE_UPROBE_MULTI, 0,
                         ctypes.addressof(name), ctypes.addressof(offsets), 0, 0, 1)
        fd = self.close_later(self.bpf(BPF_LINK_CREATE, attr))
        self.close(prog)
        return fd

    def link(self, prog_fd, perf_fd):
        attr = bytearray(64)
        struct.pack_into("III", attr, 0, prog_fd, perf_fd, BPF_PERF_EVENT)
        return self.close_later(self.bpf(BPF_LINK_CREATE, attr))


def remove_stale_probes(path, fd):
    """Removes the probes of an earlier run of these tests that was killed
    (a ctest timeout sends SIGKILL) before its cleanups ran: their group
    names a pid that is gone.  A probe still in use stays."""
    with open(path) as f:
        stale = re.findall(r"^p:(lshtest_(\d+)/\S+)", f.read(), re.M)
    for name, pid in stale:
        if not os.path.exists(f"/proc/{pid}"):
            try:
                os.write(fd, f"-:{name}\n".encode())
            except OSError:
                pass


@unittest.skipUnless(is_root(), "uprobes need root")
class MountUprobesTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.group = f"lshtest_{os.getpid()}"
        self.top = tempfile.mkdtemp(prefix="lshidden-uprobe-")
        self.addCleanup(os.rmdir, self.top)
        self.events = self.open_uprobe_events()

    def open_uprobe_events(self):
        """uprobe_events opened for appending, never O_TRUNC (which would
        remove every probe of the host).  tracefs is mounted in this
        namespace if it is not; the fd outlives any umount of it."""
        if not os.path.exists(os.path.join(TRACEFS, "uprobe_events")):
            if not os.path.isdir(TRACEFS):
                self.skipTest(f"{TRACEFS} does not exist")
            result = run_command(["mount", "-t", "tracefs", "nodev", TRACEFS])
            if result.returncode != 0:
                self.skipTest(f"cannot mount tracefs: {result.stderr.strip()}")
            self.addCleanup(umount, TRACEFS, 2)
        path = os.path.join(TRACEFS, "uprobe_events")
        if not os.path.exists(path):
            self.skipTest("this kernel has no uprobe events")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        remove_stale_probes(path, fd)
        return fd

    def make_mount(self, name):
        """A tmpfs with a copy of /bin/true on it; returns (mount, file)."""
        mnt = os.path.join(self.top, name)
        os.mkdir(mnt)
        self.addCleanup(os.rmdir, mnt)
        mount_tmpfs(self, mnt)
        target = os.path.join(mnt, "true")
        shutil.copy(shutil.which("true") or "/bin/true", target)
        self.addCleanup(os.unlink, target)
        return mnt, target

    def add_probe(self, event, path):
        """p:GROUP/EVENT PATH:OFFSET, removed with the test however it ends
        (cleanups run before the mount's own, which needs it gone)."""
        name = f"{self.group}/{event}"
        os.write(self.events, f"p:{name} {path}:{probe_offset(path):#x}\n".encode())
        self.addCleanup(os.write, self.events, f"-:{name}\n".encode())
        return f"p:{name}"

    def assert_umount_busy(self, mnt):
        """umount fails with EBUSY.  If it succeeds, the probe does not hold
        the mount and the test fails (the mount is gone by then)."""
        self.assertEqual(umount(mnt), errno.EBUSY, f"umount {mnt}: not held")

    def assert_unseen_by_lsof_fuser(self, mnt):
        """Neither names a process for the mount (only pids on stdout
        count: fuser reports kernel holders oddly)."""
        for args in (["lsof", "-w", "-n", "-P", "-t", "+f", "--", mnt], ["fuser", "-m", mnt]):
            if shutil.which(args[0]) is None:
                continue
            result = run_command(args)
            named = set(re.findall(r"\b(\d+)", result.stdout))
            self.assertEqual(named, set(), f"{args} names processes: {result.stdout}")

    def uprobe_rows(self, mnt, held=True):
        """The uprobe rows of --mount MNT.  Exit status 0 when held; else 1
        (free), or 3 when there are warnings (this host may have its own:
        a process even root may not inspect)."""
        result, doc = run_json("--mount", mnt)
        expect_status = 0 if held else 3 if doc["warnings"] else 1
        self.assertEqual(result.returncode, expect_status, describe(result))
        return [r for r in doc["files"] if r["holder"] == "uprobe"], doc

    def expected_row(self, path, obj, hint, pid=None, fd=None):
        return {"source": "uprobe", "holder": "uprobe", "hidden": True, "path": path,
                "object": obj, "effect": "blocks-umount", "possible": False, "hint": hint,
                "pid": pid, "fd": fd, "identity": "path"}

    def pick(self, rows):
        keys = ("source", "holder", "hidden", "path", "object", "effect", "possible", "hint",
                "pid", "fd", "identity")
        return [{k: r[k] for k in keys} for r in rows]

    def test_tracefs_probe(self):
        mnt, target = self.make_mount("data")
        name = self.add_probe("probe", target)
        self.assert_umount_busy(mnt)
        self.assert_unseen_by_lsof_fuser(mnt)
        row = self.expected_row(target, name,
                                f"echo '-:{name[2:]}' >> {TRACEFS}/uprobe_events")
        rows, _ = self.uprobe_rows(mnt)
        self.assertEqual(self.pick(rows), [row])
        self.assertEqual(rows[0]["inode"], os.stat(target).st_ino)

        # tracefs taken away (in this namespace only): lshidden mounts it
        # in a namespace of its own, and this one's table stays the same.
        while os.path.ismount(TRACEFS):
            self.assertEqual(umount(TRACEFS, 2), 0)
        before = mount_table()
        rows, _ = self.uprobe_rows(mnt)
        self.assertEqual(self.pick(rows), [row])
        self.assertEqual(mount_table(), before)

    def test_probe_on_another_mount_is_not_listed(self):
        mnt, _ = self.make_mount("data")
        other, other_target = self.make_mount("other")
        name = self.add_probe("elsewhere", other_target)
        self.assert_umount_busy(other)
        rows, doc = self.uprobe_rows(mnt, held=False)
        self.assertEqual(rows, [], doc["files"])
        rows, _ = self.uprobe_rows(other)
        self.assertEqual([r["object"] for r in rows], [name])

    def test_perf_event_fd_with_program(self):
        calls = BpfCalls(self)
        mnt, target = self.make_mount("data")
        perf = calls.perf_uprobe(target, probe_offset(target))
        prog = calls.load_program()
        if _libc.ioctl(perf, PERF_EVENT_IOC_SET_BPF, prog) != 0:
            self.fail(f"PERF_EVENT_IOC_SET_BPF: {os.strerror(ctypes.get_errno())}")
        self.assert_umount_busy(mnt)
        pid = os.getpid()
        row = self.expected_row(target, "perf_event uprobe",
                                f"close fd {perf} of process {pid} (or kill {pid})", pid, perf)
        rows, _ = self.uprobe_rows(mnt)
        self.assertEqual(self.pick(rows), [row])

    @unittest.skipUnless(kernel_version() >= (6, 6), "perf_event links name their file from 6.6")
    def test_bpf_perf_event_link(self):
        calls = BpfCalls(self)
        mnt, target = self.make_mount("data")
        perf = calls.perf_uprobe(target, probe_offset(target))
        link = calls.link(calls.load_program(), perf)
        # Only the link holds the probe now.
        calls.close(perf)
        self.assert_umount_busy(mnt)
        link_id = self.link_id(link)
        row = self.expected_row(target, f"bpf link {link_id} (perf_event)",
                                f"bpftool link show id {link_id}, then remove its pin or stop "
                                f"its owner")
        rows, _ = self.uprobe_rows(mnt)
        self.assertEqual(self.pick(rows), [row])

    @unittest.skipUnless(kernel_version() >= (6, 8), "uprobe_multi links name their file from 6.8")
    def test_bpf_uprobe_multi_link(self):
        calls = BpfCalls(self)
        mnt, target = self.make_mount("data")
        link = calls.uprobe_multi_link(target, probe_offset(target))
        self.assert_umount_busy(mnt)
        self.assert_unseen_by_lsof_fuser(mnt)
        link_id = self.link_id(link)
        row = self.expected_row(target, f"bpf link {link_id} (uprobe_multi)",
                                f"bpftool link show id {link_id}, then remove its pin or stop "
                                f"its owner")
        rows, _ = self.uprobe_rows(mnt)
        self.assertEqual(self.pick(rows), [row])
        self.assertEqual(rows[0]["deleted"], False)

    def link_id(self, fd):
        with open(f"/proc/self/fdinfo/{fd}") as f:
            return int(re.search(r"^link_id:\s*(\d+)", f.read(), re.M).group(1))

    def test_bare_perf_event_fd_is_possible(self):
        # A uprobe perf_event fd with no BPF program: nothing names its
        # file, but the kernel view says it is on the uprobe PMU.
        calls = BpfCalls(self)
        mnt, target = self.make_mount("data")
        fd = calls.perf_uprobe(target, probe_offset(target))
        self.assert_umount_busy(mnt)
        result, doc = run_json("--mount", mnt)
        self.assertEqual(result.returncode, 3, describe(result))
        rows = [r for r in doc["files"] if r["holder"] == "uprobe"]
        self.assertEqual([(r["object"], r["pid"], r["fd"], r["possible"], r["hint"])
                          for r in rows],
                         [("perf_event (maybe a uprobe)", os.getpid(), fd, True,
                           f"close fd {fd} of {os.getpid()}, or kill {os.getpid()}")],
                         doc["files"])

    def test_other_perf_events_are_not_uprobes(self):
        # A software perf event: the kernel view tells it from a uprobe;
        # /proc alone cannot, and calls it possible.
        calls = BpfCalls(self)
        mnt, _ = self.make_mount("data")
        attr = bytearray(128)
        struct.pack_into("IIQ", attr, 0, 1, len(attr), 0)  # PERF_TYPE_SOFTWARE, cpu-clock
        struct.pack_into("Q", attr, 40, 1 | 1 << 5 | 1 << 6)
        buf = (ctypes.c_char * len(attr)).from_buffer(attr)
        fd = calls.close_later(syscall(calls.nr_perf, buf, 0, -1, -1, 8))
        mine = lambda doc: [r for r in doc["files"] if r["holder"] == "uprobe"
                            and r["pid"] == os.getpid() and r["fd"] == fd]
        result, doc = run_json("--mount", mnt)
        self.assertEqual(mine(doc), [], doc["files"])
        result, doc = run_json("--mount", mnt, "--no-deep")
        self.assertEqual([r["possible"] for r in mine(doc)], [True], doc["files"])
        self.assertEqual(result.returncode, 3, describe(result))


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
