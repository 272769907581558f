"""The built lshidden carries the hardening of CMakeLists.txt: a PIE with
full RELRO (BIND_NOW, a GNU_RELRO segment), stack protection, and in the
optimised build types _FORTIFY_SOURCE's checked calls.

Environment: LSHIDDEN (the binary), LSHIDDEN_BUILD_TYPE (CMAKE_BUILD_TYPE).
"""
import os
import re
import shutil
import unittest

from lshidden_test import lshidden_path, run_command, run_tests

OPTIMISED = os.environ.get("LSHIDDEN_BUILD_TYPE", "") in ("Release", "RelWithDebInfo",
                                                           "MinSizeRel")


@unittest.skipIf(shutil.which("readelf") is None, "readelf (binutils) is not installed")
class Hardening(unittest.TestCase):
    def readelf(self, *args):
        result = run_command(["readelf", "-W", *args, lshidden_path()])
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def dynamic_symbols(self):
        names = set()
        for line in self.readelf("--dyn-syms").splitlines():
            fields = line.split()
            if len(fields) >= 8 and fields[0].rstrip(":").isdigit():
                names.add(fields[7].split("@")[0])
        return names

    def test_position_independent(self):
        self.assertRegex(self.readelf("-h"), r"Type:\s+DYN\b")

    def test_full_relro(self):
        dynamic = self.readelf("-d")
        self.assertTrue(re.search(r"\(FLAGS\)\s+.*\bBIND_NOW\b", dynamic) or
                        re.search(r"\(FLAGS_1\)\s+Flags:.*\bNOW\b", dynamic), dynamic)
        self.assertIn("GNU_RELRO", self.readelf("-l"))

    def test_stack_protector(self):
        self.assertIn("__stack_chk_fail", self.dynamic_symbols())

    @unittest.skipUnless(OPTIMISED, "_FORTIFY_SOURCE is only for optimised build types")
    def test_fortify_source(self):
        checked = {s for s in self.dynamic_symbols() if re.fullmatch(r"__\w+_chk", s)}
        checked.discard("__stack_chk_fail")
        # snprintf into fixed buffers is everywhere in lshidden
        self.assertIn("__snprintf_chk", checked, sorted(checked))


if __name__ == "__main__":
    run_tests()
