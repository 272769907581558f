"""Hostile names on a live host: file names, a comm (prctl PR_SET_NAME),
a mount point and command-line arguments holding every class of character
that can drive, hide or reorder text on a terminal.  No raw byte of them
may reach stdout or stderr in any text mode, and JSON stays valid with
them escaped.  Root: the names live in a private mount namespace of a
holder process, which lshidden enters with nsenter."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from lshidden_test import helper_path, in_private_namespace, is_root, lshidden_path, run_tests

# Each class once: C0 (ESC, BEL), DEL, C1 (CSI), RLO, LRI, ALM, ZWSP, BOM,
# the line separator, and a byte that is not UTF-8.
HOSTILE = [b"\x1b[2J", b"\x07", b"\x7f", b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x81\xa6",
           b"\xd8\x9c", b"\xe2\x80\x8b", b"\xef\xbb\xbf", b"\xe2\x80\xa8", b"\xff"]
NAME = b"n" + b"".join(HOSTILE) + b"\nend"
COMM = b"c\x1b\xe2\x80\xae\xc2\x9b\xef\xbb\xbf"  # fits in 15 bytes

# The holder: in a mount namespace of its own, a tmpfs on a hostile
# directory, its cwd there, hostile files open, a hostile comm.
HOLDER = r"""
import ctypes, json, os, subprocess, sys
scratch, name, comm = sys.argv[1].encode(), bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
mnt = os.path.join(scratch, name)
os.mkdir(mnt)
subprocess.run([b"mount", b"-t", b"tmpfs", b"lshtest", mnt], check=True)
os.chdir(mnt)
fds = [os.open(os.path.join(mnt, name + bytes([ord("0") + i])), os.O_CREAT | os.O_RDWR, 0o644)
       for i in range(2)]
ctypes.CDLL(None, use_errno=True).prctl(15, comm, 0, 0, 0)  # PR_SET_NAME
print(json.dumps({"pid": os.getpid(), "mnt_hex": mnt.hex()}), flush=True)
sys.stdin.read()
"""


def has_raw_hostile(data):
    return [h for h in HOSTILE if h in data]


@unittest.skipUnless(is_root(), "mounting in a private namespace needs root")
class HostileNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lshidden-names-")
        cls.holder = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", sys.executable, "-c", HOLDER, cls.tmp,
             NAME.hex(), COMM.hex()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = cls.holder.stdout.readline()
            cls.manifest = json.loads(line)
        except ValueError:
            cls.stop_holder()
            raise
        cls.mnt = bytes.fromhex(cls.manifest["mnt_hex"])
        cls.pid = str(cls.manifest["pid"])
        # A ring in the same namespace holds a hostile name as a fixed file.
        cls.ring = subprocess.Popen(
            ["nsenter", "-t", cls.pid, "-m", helper_path("mount_holder"), "uring-fixed",
             os.path.join(cls.mnt, NAME + b"ring")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        cls.ring_manifest = json.loads(cls.ring.stdout.readline())

    @classmethod
    def stop_holder(cls):
        for proc in (getattr(cls, "ring", None), cls.holder):
            if proc is None:
                continue
            try:
                proc.stdin.close()
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls.stop_holder()

    def run_inside(self, *args, env=None):
        """lshidden in the holder's mount namespace, where the names are."""
        return subprocess.run(["nsenter", "-t", self.pid, "-m", lshidden_path(), *args],
                              capture_output=True, timeout=60,
                              env={**os.environ, **(env or {})})

    def assert_clean(self, p, what):
        self.assertEqual(has_raw_hostile(p.stdout), [], f"{what}: stdout")
        self.assertEqual(has_raw_hostile(p.stderr), [], f"{what}: stderr")

    def test_text_modes(self):
        ring_pid = str(self.ring_manifest["pid"])
        modes = {
            "default": [],
            "-a": ["-a", "-p", f"{self.pid},{ring_pid}"],
            "-a -r": ["-a", "-r", "-p", f"{self.pid},{ring_pid}"],
            "-a -o wide": ["-a", "-p", self.pid, "-o", "+MOUNTPOINT,FUSE-MOUNT,NOTE,PATH"],
            "--mount": ["--mount", self.mnt],
            "--mount --journal": ["--mount", self.mnt, "--journal"],
        }
        for locale in ("C.UTF-8", "C"):
            for name, args in modes.items():
                with self.subTest(mode=name, locale=locale):
                    p = self.run_inside(*args, env={"LC_ALL": locale})
                    self.assertIn(p.returncode, (0, 1), p.stderr)
                    self.assert_clean(p, name)
        # The premise: the names really are in the output, escaped.
        p = self.run_inside("-a", "-p", self.pid, env={"LC_ALL": "C.UTF-8"})
        self.assertIn(b"\\x1b[2J", p.stdout)
        self.assertIn(b"\\xe2\\x80\\xae", p.stdout)
        p = self.run_inside("--mount", self.mnt, "--journal", env={"LC_ALL": "C.UTF-8"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"\\xef\\xbb\\xbf", p.stdout)  # the comm, in the journal line

    def test_json_is_valid_and_escaped(self):
        for args in (["-a", "-J", "-p", self.pid], ["--mount", self.mnt, "-J"]):
            with self.subTest(args=args[:2]):
                p = self.run_inside(*args)
                self.assertIn(p.returncode, (0, 1), p.stderr)
                self.assert_clean(p, "json")
                doc = json.loads(p.stdout.decode("utf-8", errors="strict"))
                commands = {f["command"] for f in doc["files"] if f["pid"] == int(self.pid)}
                # libproc2 shows a control byte of a comm as "?", as ps does.
                self.assertIn(COMM.replace(b"\x1b", b"?").decode(), commands)
                paths = [f for f in doc["files"] if f["path"] and "\u202e" in f["path"]]
                self.assertTrue(paths, doc["files"][:3])
                # Not UTF-8: path_raw has the exact bytes.
                self.assertTrue(any(bytes.fromhex(f["path_raw"]).startswith(self.mnt + b"/n")
                                    for f in paths if f["path_raw"]))

    def test_arguments(self):
        for args in (["--mount", b"/no" + NAME], ["-p", b"1" + NAME], [b"--" + NAME],
                     ["-o", NAME], ["-a", b"extra" + NAME]):
            with self.subTest(args=args):
                p = subprocess.run([lshidden_path(), *args], capture_output=True, timeout=30)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, b"")
                self.assertTrue(p.stderr)
                self.assert_clean(p, "arguments")


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
