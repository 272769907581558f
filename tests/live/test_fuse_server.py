"""Live tests of the fuse_pt_server helper: a raw FUSE passthrough server.

Checks, with real mounts, the facts the lshidden FUSE tests build on: the
server mounts a tmpfs-backed directory, clients read the backing data without
a READ reaching the server (passthrough), its /dev/fuse fdinfo names the
connection, backing ids registered with --preregister keep the backing fs
busy (EBUSY on umount) while no process has an fd on it, and SIGTERM or an
unmount shuts everything down cleanly.

Needs root and /dev/fuse (skipped otherwise).  Environment: LSHIDDEN_HELPERS,
the directory holding fuse_pt_server.
"""
import ctypes
import errno
import json
import os
import platform
import re
import select
import signal
import subprocess
import tempfile
import time
import unittest

from lshidden_test import in_private_namespace, run_tests

MNT_DETACH = 2
START_TIMEOUT = 30
STOP_TIMEOUT = 30
FILES = {
    "file": b"hello backing\n",
    "big": bytes(range(256)) * 2048,  # 512 KiB: several READ-sized chunks
    "with space": b"spaced out\n",
}

_libc = ctypes.CDLL(None, use_errno=True)


def umount2(path, flags=0):
    """umount2(2); returns 0 or the errno."""
    if _libc.umount2(os.fsencode(path), flags) == 0:
        return 0
    return ctypes.get_errno()


def umount_retrying(path, seconds=5.0):
    """umount2(path, 0), retried while EBUSY (the kernel may still be
    dropping its last file references); returns 0 or the last errno."""
    deadline = time.monotonic() + seconds
    while True:
        err = umount2(path)
        if err != errno.EBUSY or time.monotonic() > deadline:
            return err
        time.sleep(0.05)


def unescape_octal(text):
    return re.sub(r"\\([0-3][0-7][0-7])", lambda m: chr(int(m.group(1), 8)), text)


def mounts_at(path):
    """[(maj:min, fstype)] of the mounts on path, from /proc/self/mountinfo."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fields = left.split(" ")
            if unescape_octal(fields[4]) == path:
                found.append((fields[2], right.split(" ")[0]))
    return found


def kernel_version():
    m = re.match(r"(\d+)\.(\d+)", platform.release())
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def fdinfo_connection(pid, fd):
    """The fuse_connection: value of /proc/PID/fdinfo/FD, or None."""
    with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as f:
        for line in f:
            if line.startswith("fuse_connection:"):
                return int(line.split(":", 1)[1])
    return None


def fds_under(pid, top):
    """{fd: target} of PID's fds whose target is top or below it."""
    result = {}
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:  # the process went away
        return result
    for name in names:
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        if target == top or target.startswith(top + "/"):
            result[int(name)] = target
    return result


def all_fds_under(top):
    """{(pid, fd): target} over every process: what lsof would find."""
    result = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            for fd, target in fds_under(int(entry), top).items():
                result[(int(entry), fd)] = target
    return result


def dev_string(st_dev):
    return f"{os.major(st_dev)}:{os.minor(st_dev)}"


class Server:
    """One running fuse_pt_server and what it printed."""

    def __init__(self, proc, stderr, manifest):
        self.proc = proc
        self.stderr = stderr
        self.manifest = manifest

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stats(self):
        """The exit statistics line, as a dict."""
        for line in self.stderr_text().splitlines():
            if line.startswith("fuse_pt_server: stats "):
                return json.loads(line[len("fuse_pt_server: stats "):])
        raise AssertionError(f"no stats line in stderr:\n{self.stderr_text()}")

    def wait(self):
        """Waits for a server that should exit by itself; returns its status."""
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server did not exit:\n{self.stderr_text()}") from None

    def terminate(self):
        """SIGTERM, then waits; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def kill(self):
        """Cleanup: stops the server however it can.  Idempotent."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            pipe.close()


class FuseServerTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("live FUSE tests need root")
        if not os.path.exists("/dev/fuse"):
            self.skipTest("no /dev/fuse")
        self.binary = os.path.join(os.environ["LSHIDDEN_HELPERS"], "fuse_pt_server")
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="fuse-pt-test-"))
        self.back = os.path.join(self.root, "back")
        self.mnt = os.path.join(self.root, "mnt")
        os.mkdir(self.back)
        os.mkdir(self.mnt)
        self.addCleanup(self.remove_dirs)
        self.addCleanup(self.unmount_all)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=755", "lshidden-back",
                        self.back], check=True)
        for name, data in FILES.items():
            with open(os.path.join(self.back, name), "wb") as f:
                f.write(data)
        os.mkdir(os.path.join(self.back, "subdir"))  # not served: not a regular file
        os.symlink("file", os.path.join(self.back, "link"))  # likewise

    # ---- cleanup (runs even when a test fails) ----------------------------

    def unmount_all(self):
        for path in (self.mnt, self.back):
            for _ in range(10):
                if not mounts_at(path):
                    break
                umount2(path, MNT_DETACH)

    def remove_dirs(self):
        for path in (self.mnt, self.back, self.root):
            try:
                os.rmdir(path)
            except OSError:
                pass

    # ---- helpers ------------------------------------------------------------

    def start_server(self, *options):
        """Starts the server (it also stops when our stdin pipe closes, so a
        dying test run cannot leave it mounted) and returns it once its
        manifest is printed."""
        stderr = tempfile.TemporaryFile()
        self.addCleanup(stderr.close)
        proc = subprocess.Popen([self.binary, "--watch-stdin", *options, self.mnt, self.back],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                cwd="/")
        server = Server(proc, stderr, None)
        self.addCleanup(server.kill)
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        line = proc.stdout.readline() if ready else b""
        try:
            server.manifest = json.loads(line)
        except ValueError:
            server.kill()
            self.fail(f"no manifest (got {line!r}); stderr:\n{server.stderr_text()}")
        return server

    def read_via_client(self, name):
        """The contents of MNT/name as read by a separate process (cat)."""
        result = subprocess.run(["cat", os.path.join(self.mnt, name)], capture_output=True,
                                timeout=30, cwd="/")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return result.stdout

    def assert_clean_shutdown(self, server, status):
        self.assertEqual(status, 0, server.stderr_text())
        self.assertEqual(mounts_at(self.mnt), [], "FUSE mount left behind")
        self.assertEqual(umount_retrying(self.back), 0, "backing tmpfs still busy")

    def assert_no_fd_on_backing(self):
        self.assertEqual(all_fds_under(self.back), {},
                         "some process has an fd on the backing fs")

    # ---- tests --------------------------------------------------------------

    def test_manifest_describes_mount_and_backing_files(self):
        server = self.start_server()
        m = server.manifest
        self.assertEqual(m["pid"], server.proc.pid)
        self.assertEqual(m["mountpoint"], self.mnt)
        self.assertEqual(m["backing_dir"], self.back)
        self.assertIsNone(m["clone_fd"])
        self.assertIs(m["passthrough"], True)
        self.assertGreaterEqual(m["proto_minor"], 40)
        self.assertEqual(os.readlink(f"/proc/{m['pid']}/fd/{m['dev_fd']}"), "/dev/fuse")
        [(dev, fstype)] = mounts_at(self.mnt)
        self.assertEqual(fstype, "fuse.ptserver")
        self.assertEqual(dev, f"0:{m['connection']}")
        self.assertEqual([b["name"] for b in m["backing"]], sorted(FILES))
        for b in m["backing"]:
            st = os.stat(os.path.join(self.back, b["name"]))
            self.assertEqual(b["path"], os.path.join(self.back, b["name"]))
            self.assertEqual((b["dev"], b["inode"]), (dev_string(st.st_dev), st.st_ino))
            self.assertIsNone(b["backing_id"])  # registered only at OPEN
        self.assertEqual(sorted(os.listdir(self.mnt)), sorted(FILES))

    def test_fdinfo_names_the_connection(self):
        server = self.start_server()
        m = server.manifest
        conn = fdinfo_connection(m["pid"], m["dev_fd"])
        if kernel_version() >= (6, 16):
            self.assertEqual(conn, m["connection"])
        else:
            self.assertIsNone(conn)

    def test_passthrough_read_reaches_no_server(self):
        server = self.start_server()
        for name, data in FILES.items():
            self.assertEqual(self.read_via_client(name), data, name)
        self.assert_clean_shutdown(server, server.terminate())
        stats = server.stats()
        self.assertEqual(stats["read"], 0, "a READ reached the server despite passthrough")
        self.assertGreaterEqual(stats["passthrough_opens"], len(FILES))

    def test_no_passthrough_serves_reads_itself(self):
        server = self.start_server("--no-passthrough")
        self.assertIs(server.manifest["passthrough"], False)
        for name, data in FILES.items():
            self.assertEqual(self.read_via_client(name), data, name)
        self.assert_clean_shutdown(server, server.terminate())
        stats = server.stats()
        self.assertGreater(stats["read"], 0)
        self.assertEqual(stats["passthrough_opens"], 0)

    def test_preregistered_ids_pin_backing_fs_with_no_fd(self):
        server = self.start_server("--preregister")
        ids = [b["backing_id"] for b in server.manifest["backing"]]
        self.assertTrue(all(isinstance(i, int) and i > 0 for i in ids), ids)
        self.assertEqual(len(set(ids)), len(ids))
        self.assertEqual(umount2(self.back), errno.EBUSY)
        self.assert_no_fd_on_backing()
        self.assertEqual(self.read_via_client("file"), FILES["file"])
        self.assert_clean_shutdown(server, server.terminate())
        self.assertEqual(server.stats()["read"], 0)

    def test_open_client_file_pins_backing_fs(self):
        server = self.start_server()
        with open(os.path.join(self.mnt, "file"), "rb") as f:
            self.assertEqual(f.read(), FILES["file"])
            self.assertEqual(umount2(self.back), errno.EBUSY)
            # The client's fd names the FUSE path, not the backing file.
            self.assert_no_fd_on_backing()
        # The last RELEASE makes the server close the id: the pin goes away.
        self.assertEqual(umount_retrying(self.back), 0)
        self.assertEqual(server.terminate(), 0, server.stderr_text())

    def test_unmount_ends_server(self):
        server = self.start_server("--preregister")
        self.assertEqual(umount2(self.mnt), 0)
        self.assert_clean_shutdown(server, server.wait())

    def test_linger_keeps_backing_fs_busy_without_mount(self):
        server = self.start_server("--preregister", "--linger")
        m = server.manifest
        self.assertEqual(umount2(self.mnt), 0)
        time.sleep(0.2)
        self.assertIsNone(server.proc.poll(), "server exited despite --linger")
        self.assertEqual(mounts_at(self.mnt), [])
        self.assertFalse(os.path.exists(f"/sys/fs/fuse/connections/{m['connection']}"))
        self.assertEqual(umount2(self.back), errno.EBUSY)
        self.assert_no_fd_on_backing()
        self.assert_clean_shutdown(server, server.terminate())

    def test_clone_gives_second_fd_on_same_connection(self):
        server = self.start_server("--clone")
        m = server.manifest
        self.assertIsInstance(m["clone_fd"], int)
        self.assertNotEqual(m["clone_fd"], m["dev_fd"])
        for fd in (m["dev_fd"], m["clone_fd"]):
            self.assertEqual(os.readlink(f"/proc/{m['pid']}/fd/{fd}"), "/dev/fuse")
        if kernel_version() >= (6, 16):
            self.assertEqual(fdinfo_connection(m["pid"], m["clone_fd"]), m["connection"])
        for _ in range(3):
            for name, data in FILES.items():
                self.assertEqual(self.read_via_client(name), data, name)
        self.assert_clean_shutdown(server, server.terminate())
        self.assertGreater(server.stats()["on_clone_fd"], 0)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
