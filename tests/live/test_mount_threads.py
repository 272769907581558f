"""Live tests of lshidden with threads whose fd table is not their
process's: /proc/PID/fd shows only the leader's table, so lsof (without -K)
and fuser miss what such a thread holds.

- A thread that called unshare(CLONE_FILES) and then opened a file on the
  mount: umount fails with EBUSY; lshidden names the file with the
  thread's tid, with the kernel view and without it.
- A process whose leader exited (a zombie) while a thread holding an fd on
  the mount runs: the same.
- A thread that called unshare(CLONE_FS) and changed into the mount: its
  cwd, with its tid.
- A thread blocked in read(2) on an fd another thread closed: the call
  holds the file; /proc names only the fd number, so a possible holder.

Runs in a private mount namespace of its own.  Needs root.  Environment:
see tests/pylib/lshidden_test.py.
"""
import errno
import os
import subprocess
import sys
import tempfile
import time
import unittest

from lshidden_test import (describe, in_private_namespace, is_root, mount_tmpfs, run_json,
                           run_tests, umount)

# argv: mode ("unshare" or "zombie-leader"), path.  Prints "TID FD" once the
# thread holds the file, then waits for stdin to close (the thread reads
# it, so that it also works once the leader is gone).
HOLDER = r"""
import ctypes, os, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
CLONE_FILES = 0x400
mode, path = sys.argv[1], sys.argv[2]
ready = threading.Event()
CLONE_FS = 0x200
def hold():
    if mode == "unshare":
        assert libc.unshare(CLONE_FILES) == 0, ctypes.get_errno()
    if mode == "own-cwd":
        assert libc.unshare(CLONE_FS) == 0, ctypes.get_errno()
        os.chdir(os.path.dirname(path))
        print(threading.get_native_id(), -1, flush=True)
        ready.set()
        sys.stdin.read()
        os._exit(0)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    print(threading.get_native_id(), fd, flush=True)
    ready.set()
    sys.stdin.read()
    os._exit(0)
t = threading.Thread(target=hold)
t.start()
ready.wait()
if mode == "zombie-leader":
    libc.pthread_exit(None)
t.join()
"""

# A thread blocked in read(2) on a FIFO of argv[1] whose fd the main thread
# then closes: the call still holds the file.  Prints "TID FD", then waits
# for stdin to close.
BLOCKED = r"""
import os, sys, threading, time
path = sys.argv[1]
os.mkfifo(path)
fd = os.open(path, os.O_RDWR)
t = threading.Thread(target=lambda: os.read(fd, 1), daemon=True)
t.start()
time.sleep(0.2)
os.close(fd)
# Keep the number free: an fd reusing it would hide the closed one.
print(t.native_id, fd, flush=True)
sys.stdin.read()
"""


@unittest.skipUnless(is_root(), "mounting needs root")
class ThreadTablesTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-threads-")
        self.addCleanup(os.rmdir, self.top)
        self.mnt = os.path.join(self.top, "mnt")
        os.mkdir(self.mnt)
        self.addCleanup(os.rmdir, self.mnt)
        mount_tmpfs(self, self.mnt)

    def start(self, mode):
        path = os.path.join(self.mnt, f"held by a thread ({mode})")
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, mode, path],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.stdin.close)
        self.addCleanup(proc.stdout.close)
        line = proc.stdout.readline().split()
        self.assertEqual(len(line), 2, "the holder failed")
        tid, fd = int(line[0]), int(line[1])
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        return proc, tid, fd, path

    def check(self, proc, tid, fd, path):
        # The premise: the leader's table does not have it, the mount is busy.
        leader_fds = {}
        try:
            leader_fds = {n: os.readlink(f"/proc/{proc.pid}/fd/{n}")
                          for n in os.listdir(f"/proc/{proc.pid}/fd")}
        except OSError:
            pass  # a zombie leader's fd directory cannot be read
        self.assertNotIn(path, leader_fds.values())
        self.assertEqual(os.readlink(f"/proc/{proc.pid}/task/{tid}/fd/{fd}"), path)
        self.assertEqual(umount(self.mnt), errno.EBUSY)
        st = os.stat(path)
        for view in ((), ("--no-deep",)):
            with self.subTest(view=view):
                result, doc = run_json("--mount", self.mnt, *view)
                self.assertEqual(result.returncode, 0, describe(result))
                rows = [r for r in doc["files"] if r["pid"] == proc.pid]
                self.assertEqual([(r["source"], r["tid"], r["fd"], r["path"], r["inode"],
                                   r["possible"]) for r in rows],
                                 [("fd", tid, fd, path, st.st_ino, False)], doc["files"])
        # -a lists it too, once.
        result, doc = run_json("-a", "-p", str(proc.pid), "--no-deep")
        rows = [r for r in doc["files"] if r["path"] == path]
        self.assertEqual([(r["tid"], r["fd"]) for r in rows], [(tid, fd)], doc["files"])

    def test_thread_with_its_own_fd_table(self):
        self.check(*self.start("unshare"))

    def test_thread_with_its_own_cwd(self):
        proc, tid, _, path = self.start("own-cwd")
        mnt = os.path.dirname(path)
        self.assertNotEqual(os.readlink(f"/proc/{proc.pid}/cwd"), mnt)
        self.assertEqual(os.readlink(f"/proc/{proc.pid}/task/{tid}/cwd"), mnt)
        self.assertEqual(umount(self.mnt), errno.EBUSY)
        result, doc = run_json("--mount", self.mnt)
        self.assertEqual(result.returncode, 0, describe(result))
        rows = [r for r in doc["files"] if r["pid"] == proc.pid]
        self.assertEqual([(r["source"], r["tid"], r["path"], r["possible"]) for r in rows],
                         [("cwd", tid, mnt, False)], doc["files"])

    def test_thread_blocked_on_a_closed_fd(self):
        path = os.path.join(self.mnt, "fifo")
        proc = subprocess.Popen([sys.executable, "-c", BLOCKED, path], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        self.addCleanup(proc.wait, 30)
        self.addCleanup(proc.kill)  # the reader never returns
        self.addCleanup(proc.stdin.close)
        self.addCleanup(proc.stdout.close)
        tid, fd = map(int, proc.stdout.readline().split())
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        links = [os.readlink(f"/proc/{proc.pid}/fd/{n}") for n in os.listdir(f"/proc/{proc.pid}/fd")]
        self.assertNotIn(path, links)
        self.assertEqual(umount(self.mnt), errno.EBUSY)
        result, doc = run_json("--mount", self.mnt)
        self.assertEqual(result.returncode, 3, describe(result))
        rows = [r for r in doc["files"] if r["pid"] == proc.pid]
        self.assertEqual([(r["source"], r["holder"], r["tid"], r["fd"], r["possible"], r["object"])
                          for r in rows],
                         [("syscall", "process", tid, fd, True,
                           f"thread {tid} blocked in read on fd {fd}, closed since")],
                         doc["files"])

    def test_thread_of_an_exited_leader(self):
        proc, tid, fd, path = self.start("zombie-leader")
        for _ in range(100):  # the leader exits just after the thread is ready
            with open(f"/proc/{proc.pid}/status") as f:
                if "State:\tZ" in f.read():
                    break
            time.sleep(0.05)
        else:
            self.fail("the leader did not exit")
        self.check(proc, tid, fd, path)


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
