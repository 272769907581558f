"""Least privilege: a run as root gives up what it no longer needs, stage
by stage (src/sandbox.h says what is kept and why), and ends with no
capability, no_new_privs and a seccomp filter.  The process reports its
own /proc/self/status lines under LSHIDDEN_DEBUG_SANDBOX."""
import json
import os
import re
import shutil
import subprocess
import unittest

from lshidden_test import is_root, lshidden_path, python_holder, run_tests

# CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19).
HOLDERS_CAPS = (1 << 2) | (1 << 19)
SANITIZED = os.environ.get("LSHIDDEN_SANITIZED") == "1"


def sandbox_lines(*args):
    p = subprocess.run([lshidden_path(), *args], capture_output=True, timeout=120,
                       env={**os.environ, "LSHIDDEN_DEBUG_SANDBOX": "1"})
    found = {}
    for stage, key, value in re.findall(rb"lshidden: sandbox (\w+): (\w+):\s+(\S+)", p.stderr):
        found[(stage.decode(), key.decode())] = value.decode()
    return p, found


@unittest.skipUnless(is_root(), "capabilities are dropped only where there are some")
class Sandbox(unittest.TestCase):
    def assert_output_stage(self, found):
        self.assertEqual(int(found[("output", "CapEff")], 16), 0, found)
        self.assertEqual(int(found[("output", "CapPrm")], 16), 0, found)
        self.assertEqual(found[("output", "NoNewPrivs")], "1", found)
        # Sanitizer builds skip the filter: their runtime calls what it likes.
        self.assertEqual(found[("output", "Seccomp")], "0" if SANITIZED else "2", found)

    def test_every_mode_ends_with_nothing(self):
        for args in (["-a"], ["-a", "-J"], ["--mount", "/"], ["--mount", "/", "--journal"],
                     ["--fuse"], ["--list-columns"], ["--deep", "-a", "-J"], ["--prometheus"]):
            with self.subTest(args=args):
                p, found = sandbox_lines(*args)
                self.assertIn(p.returncode, (0, 1), p.stderr)
                self.assert_output_stage(found)

    def test_holders_keep_only_what_they_read_with(self):
        p, found = sandbox_lines("--mount", "/", "--deep")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(int(found[("holders", "CapEff")], 16), HOLDERS_CAPS, found)
        self.assertEqual(int(found[("holders", "CapPrm")], 16), HOLDERS_CAPS, found)
        self.assertEqual(found[("holders", "NoNewPrivs")], "1", found)

    def test_answers_are_those_of_an_unsandboxed_view(self):
        # The sandboxed stages still see what they need: the holders of /
        # include this very test's process by its cwd.
        p = subprocess.run([lshidden_path(), "--mount", "/", "-J", "-p", str(os.getpid())],
                           capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b'"source":"cwd"', p.stdout)
        self.assertNotIn(b"could not", p.stderr)

    def test_output_filter_lets_threads_encode_json(self):
        # JSON rows are encoded by helper threads made after the output
        # filter is in place: it answers clone3 with ENOSYS and lets glibc's
        # clone(CLONE_THREAD) through.  4,000 fds make enough blocks.
        # Sanitizer builds have no filter: clone3 makes the threads.
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        pid, _ = python_holder(self, "import os, sys\n"
                               "fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(4000)]\n"
                               "print(len(fds), flush=True)\nsys.stdin.read()")
        p = subprocess.run(["strace", "-f", "-e", "trace=seccomp,clone,clone3", "-o", "/dev/stderr",
                            lshidden_path(), "-a", "-J", "-p", str(pid)],
                           capture_output=True, timeout=120,
                           env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        rows = json.loads(p.stdout)["files"]
        fds = [r["fd"] for r in rows if r["source"] == "fd"]
        self.assertGreaterEqual(len(fds), 4000)
        self.assertEqual(fds, sorted(fds))
        trace = p.stderr.decode(errors="replace")
        if SANITIZED:
            self.assertRegex(trace, r"clone3\(.*CLONE_THREAD.* = [0-9]+")
            return
        after = trace[trace.rindex("seccomp("):]
        self.assertRegex(after, r"clone3\(.*= -1 ENOSYS")
        self.assertRegex(after, r"clone\(.*CLONE_THREAD.*\) = [0-9]+")
        self.assertNotIn("EPERM", after)


if __name__ == "__main__":
    run_tests()
