"""Live output against doc/lshidden.schema.json: the whole host with -a
(and --deep), --mount of / and of a fresh tmpfs with a holder, and --fuse,
while real rings, a mount holder and a FUSE passthrough server exist.

Needs root.  Environment: LSHIDDEN, LSHIDDEN_HELPERS.
"""
import json
import os
import tempfile
import unittest

from lshidden_test import (describe, HelperProcess, in_private_namespace, is_root, mount_tmpfs,
                           run_lshidden, run_tests, start_fuse_server)

try:
    import jsonschema
except ImportError:  # python3-jsonschema (scripts/install-deps)
    jsonschema = None

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.path.join(HERE, "..", "..", "doc", "lshidden.schema.json")


@unittest.skipIf(jsonschema is None, "python3-jsonschema is not installed")
@unittest.skipUnless(is_root(), "live objects for every mode need root")
class LiveSchema(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            cls.validator = jsonschema.Draft202012Validator(json.load(f))

    def setUp(self):
        self.top = os.path.realpath(tempfile.mkdtemp(prefix="lshidden-schema-"))
        self.addCleanup(os.rmdir, self.top)
        self.mnt = self.make_dir("mnt")
        mount_tmpfs(self, self.mnt)
        self.start(HelperProcess("mount_holder", ["fd", os.path.join(self.mnt, "held")]))
        self.start(HelperProcess("uring_holder", ["mixed-types"]))
        if os.path.exists("/dev/fuse"):
            back, fuse_mnt = self.make_dir("back"), self.make_dir("fuse")
            mount_tmpfs(self, back)
            with open(os.path.join(back, "data"), "w") as f:
                f.write("backing bytes\n")
            start_fuse_server(self, fuse_mnt, back)

    def make_dir(self, name):
        path = os.path.join(self.top, name)
        os.mkdir(path)
        self.addCleanup(os.rmdir, path)
        return path

    def start(self, helper):
        helper.start()
        self.addCleanup(helper.stop)

    def assert_valid(self, *args):
        result = run_lshidden(*args)
        self.assertIn(result.returncode, (0, 1), describe(result))
        doc = json.loads(result.stdout)
        errors = list(self.validator.iter_errors(doc))
        self.assertFalse(errors, f"lshidden {' '.join(args)}: " + "\n".join(
            f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5]))
        return doc

    def test_every_mode(self):
        for args in (["-J"], ["-a", "-J"], ["--deep", "-a", "-J"], ["--mount", "/", "-J"],
                     ["--mount", self.mnt, "-J"], ["--deep", "--mount", self.mnt, "-J"],
                     ["--fuse", "-J"], ["--list-columns", "-J"],
                     ["--fuse", "--list-columns", "-J"]):
            with self.subTest(args=args):
                self.assert_valid(*args)

    def test_rows_were_there_to_check(self):
        doc = self.assert_valid("-a", "-J")
        sources = {row["source"] for row in doc["files"]}
        self.assertLessEqual({"fd", "cwd", "exe", "mmap", "uring-fixed"}, sources)
        doc = self.assert_valid("--mount", self.mnt, "-J")
        self.assertIn("process", {row["holder"] for row in doc["files"]})
        if os.path.exists("/dev/fuse"):
            self.assertTrue(self.assert_valid("--fuse", "-J")["connections"])


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
