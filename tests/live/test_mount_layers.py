"""Live tests of lshidden --mount: other mounts of the same filesystem in
this namespace (bind mounts) and overlayfs layers on it.  Both keep the
filesystem alive: umount of the target succeeds, and the filesystem lives
on.  Each test proves that first, in a copy of this mount namespace
(unshare -m), then asks lshidden here.  Runs in a private mount namespace
of its own.  Needs root and overlayfs.  Environment: see
tests/pylib/lshidden_test.py.
"""
import os
import subprocess
import tempfile
import unittest

from lshidden_test import (describe, in_private_namespace, is_root, mount_tmpfs, run_json,
                           run_lshidden, run_tests, umount)


def survives_umount(target, probe):
    """In a copy of this namespace: umount target, then run the shell
    command probe, which must still find the filesystem.  Returns the
    completed process."""
    script = f'umount "$1" && {probe}'
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                           target], capture_output=True, timeout=30)


@unittest.skipUnless(is_root(), "mounting needs root")
class MountLayersTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-layers-")
        self.addCleanup(os.rmdir, self.top)

    def make_dir(self, *names):
        path = os.path.join(self.top, *names)
        os.mkdir(path)
        self.addCleanup(os.rmdir, path)
        return path

    def mount(self, args, target):
        subprocess.run(["mount", *args, target], check=True, timeout=30)
        self.addCleanup(lambda: umount(target) and umount(target, 2))

    def holder_rows(self, target, holder):
        result, doc = run_json("--mount", target)
        self.assertEqual(result.returncode, 0, describe(result))
        return [r for r in doc["files"] if r["holder"] == holder], result

    def test_bind_mount_elsewhere(self):
        data = self.make_dir("data")
        mount_tmpfs(self, data)
        os.mkdir(os.path.join(data, "sub"))
        self.addCleanup(os.rmdir, os.path.join(data, "sub"))
        with open(os.path.join(data, "sub", "kept"), "w") as f:
            f.write("kept\n")
        self.addCleanup(os.unlink, os.path.join(data, "sub", "kept"))
        other = self.make_dir("other")
        self.mount(["--bind", os.path.join(data, "sub")], other)
        # The premise: umount of data succeeds, the filesystem lives on.
        proof = survives_umount(data, f'cat "{other}/kept"')
        self.assertEqual((proof.returncode, proof.stdout), (0, b"kept\n"), proof.stderr)

        rows, result = self.holder_rows(data, "bind")
        self.assertEqual([(r["source"], r["effect"], r["possible"], r["path"], r["object"],
                           r["pid"], r["hint"]) for r in rows],
                         [("bind", "keeps-alive", False, other, other, None, f"umount {other}")])
        self.assertEqual(rows[0]["dev"], f"{os.major(os.stat(data).st_dev)}:"
                                         f"{os.minor(os.stat(data).st_dev)}")
        summary = run_lshidden("--mount", data).stdout.decode().splitlines()[-1]
        self.assertIn("1 bind mount elsewhere", summary)
        journal = run_lshidden("--mount", data, "--journal").stdout.decode()
        self.assertIn(f"bind {other}", journal)
        # The bind mount's own holders: the target, elsewhere.
        rows, _ = self.holder_rows(other, "bind")
        self.assertEqual([r["path"] for r in rows], [data])

    def test_overlay_layers(self):
        data = self.make_dir("data")
        mount_tmpfs(self, data)
        layers = {}
        for role, name in (("lowerdir", "lo w,er"), ("upperdir", "up"), ("workdir", "wk")):
            layers[role] = os.path.join(data, name)
            os.mkdir(layers[role])
        with open(os.path.join(layers["lowerdir"], "below"), "w") as f:
            f.write("below\n")
        merged = self.make_dir("merged")
        lower = layers["lowerdir"].replace(",", "\\,")
        self.mount(["-t", "overlay", "overlay", "-o",
                    f"lowerdir={lower},upperdir={layers['upperdir']},"
                    f"workdir={layers['workdir']}"], merged)
        # The premise: umount of data succeeds, and the overlay still reads
        # its lower layer and writes its upper one there.
        proof = survives_umount(data, f'cat "{merged}/below" && echo up >"{merged}/new" && '
                                      f'cat "{merged}/new"')
        self.assertEqual((proof.returncode, proof.stdout), (0, b"below\nup\n"), proof.stderr)

        rows, result = self.holder_rows(data, "overlay")
        got = sorted((r["object"], r["path"], r["effect"], r["possible"], r["identity"])
                     for r in rows)
        self.assertEqual(got, sorted((f"{merged} ({role})", path, "keeps-alive", False, "path")
                                     for role, path in layers.items()))
        for r in rows:
            self.assertEqual((r["source"], r["pid"], r["mount_id"], r["hint"]),
                             ("overlay", None, rows[0]["mount_id"], f"umount {merged}"))
        summary = run_lshidden("--mount", data).stdout.decode().splitlines()[-1]
        self.assertIn("3 overlay layers", summary)
        # The overlay itself holds no layer of its own.
        result, doc = run_json("--mount", merged)
        self.assertFalse([r for r in doc["files"] if r["holder"] == "overlay"], doc["files"])

    def test_unrelated_mounts_are_not_listed(self):
        data = self.make_dir("data")
        mount_tmpfs(self, data)
        elsewhere = self.make_dir("elsewhere")
        mount_tmpfs(self, elsewhere)
        for d in ("l", "u", "w"):
            os.mkdir(os.path.join(elsewhere, d))
        merged = self.make_dir("merged")
        self.mount(["-t", "overlay", "overlay", "-o",
                    f"lowerdir={elsewhere}/l,upperdir={elsewhere}/u,workdir={elsewhere}/w"],
                   merged)
        self.assertEqual(survives_umount(data, "true").returncode, 0)
        result, doc = run_json("--mount", data)
        self.assertEqual(result.returncode, 1 if not doc["warnings"] else 3, describe(result))
        self.assertEqual(doc["files"], [])


if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
