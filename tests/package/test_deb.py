"""`cpack -G DEB` makes an installable package of everything `cmake
--install` installs: the test builds it from this build directory into a
scratch directory, checks its control fields and its file list, unpacks it
with dpkg-deb -x into a scratch root and runs the binary from there.

Environment: LSHIDDEN_BUILD_DIR (the build directory), LSHIDDEN_CPACK
(CMake's cpack).
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from lshidden_test import env_path, run_command, run_tests

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))


def units_in_source():
    return sorted(os.path.basename(p) for pattern in ("*.service", "*.timer")
                  for p in glob.glob(os.path.join(SOURCE, "packaging", "systemd", pattern)))


@unittest.skipIf(shutil.which("dpkg-deb") is None, "not a Debian system (no dpkg-deb)")
class DebianPackage(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if shutil.which("dpkg-shlibdeps") is None:
            raise unittest.SkipTest("dpkg-shlibdeps (dpkg-dev) is not installed")
        cls.scratch = tempfile.TemporaryDirectory(prefix="lshidden-deb-")
        result = run_command([env_path("LSHIDDEN_CPACK"), "-G", "DEB", "--config",
                              os.path.join(env_path("LSHIDDEN_BUILD_DIR"), "CPackConfig.cmake"),
                              "-B", cls.scratch.name], timeout=600)
        if result.returncode != 0:
            cls.scratch.cleanup()
            raise AssertionError(f"cpack failed:\n{result.stdout}{result.stderr}")
        debs = glob.glob(os.path.join(cls.scratch.name, "*.deb"))
        if len(debs) != 1:
            cls.scratch.cleanup()
            raise AssertionError(f"cpack made {debs}, not one .deb")
        cls.deb = debs[0]

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def dpkg_deb(self, *args):
        result = run_command(["dpkg-deb", *args])
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def files(self):
        """The package's regular files, as absolute paths."""
        names = []
        for line in self.dpkg_deb("-c", self.deb).splitlines():
            if line.startswith("-"):
                names.append(line.split()[-1].lstrip("."))
        return names

    def test_control(self):
        field = lambda name: self.dpkg_deb("-f", self.deb, name).strip()
        self.assertEqual(field("Package"), "lshidden")
        self.assertRegex(field("Version"), r"^\d+\.\d+\.\d+$")
        # from dpkg-shlibdeps: the libraries the binary really links
        depends = field("Depends")
        for lib in ("libc6", "libmount1", "libsmartcols1", "libjansson4", "libproc2-0"):
            self.assertRegex(depends, rf"(^|, ){re.escape(lib)} \(>= ", depends)

    def test_contents(self):
        files = self.files()
        for path in ("/usr/bin/lshidden", "/usr/share/man/man1/lshidden.1",
                     "/usr/share/bash-completion/completions/lshidden",
                     "/usr/share/lshidden/lshidden.schema.json"):
            self.assertIn(path, files)
        units = sorted(os.path.basename(f) for f in files
                       if os.path.dirname(f) == "/usr/lib/systemd/system")
        self.assertEqual(units, units_in_source())
        self.assertFalse([f for f in files if "/helpers/" in f or "test" in f], files)

    def test_units_run_the_packaged_binary(self):
        with tempfile.TemporaryDirectory(prefix="lshidden-root-") as root:
            self.dpkg_deb("-x", self.deb, root)
            unitdir = os.path.join(root, "usr", "lib", "systemd", "system")
            for name in units_in_source():
                with open(os.path.join(unitdir, name)) as f:
                    text = f.read()
                self.assertNotIn("/usr/local/bin", text, name)
                if "ExecStart" in text:
                    self.assertIn("/usr/bin/lshidden ", text, name)

    def test_runs_from_unpacked_root(self):
        with tempfile.TemporaryDirectory(prefix="lshidden-root-") as root:
            self.dpkg_deb("-x", self.deb, root)
            binary = os.path.join(root, "usr", "bin", "lshidden")
            result = run_command([binary, "--version"])
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertRegex(result.stdout, r"^lshidden \d+\.\d+\.\d+\n$")
            result = run_command([binary, "--list-columns", "-r", "-n"])
            self.assertEqual(result.returncode, 0, result.stderr)
            names = [line.split(" ")[0] for line in result.stdout.splitlines()]
            self.assertIn("UNIT", names)
            self.assertIn("PATH", names)
            result = run_command(["man", "-l", "-P", "cat",
                                  os.path.join(root, "usr", "share", "man", "man1", "lshidden.1")])
            if result.returncode == 0:  # man-db may be missing
                self.assertIn("lshidden", result.stdout)


if __name__ == "__main__":
    run_tests()
