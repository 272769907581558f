"""Live test of lshidden --mount: a filesystem mounted straight from an
image file on the mount (erofs backed by a file, Linux 6.12+ with
CONFIG_EROFS_FS_BACKED_BY_FILE; mount(2) itself, no loop device).  The
mount holds the image open: umount of the image's filesystem fails with
EBUSY.  Where the kernel cannot mount erofs from a file the test reports
skipped; the fixture trees cover the rows then.  Runs in a private mount
namespace of its own.  Needs root and mkfs.erofs (erofs-utils).
"""
import ctypes
import errno
import os
import shutil
import subprocess
import tempfile
import unittest

from lshidden_test import (describe, in_private_namespace, is_root, mount_tmpfs, run_json,
                           run_tests, umount)


@unittest.skipUnless(is_root(), "mounting needs root")
class MountImagesTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="lshidden-images-")
        self.addCleanup(os.rmdir, self.top)

    def make_dir(self, *names):
        path = os.path.join(self.top, *names)
        os.mkdir(path)
        self.addCleanup(os.rmdir, path)
        return path

    def holder_rows(self, target, holder):
        result, doc = run_json("--mount", target)
        self.assertEqual(result.returncode, 0, describe(result))
        return [r for r in doc["files"] if r["holder"] == holder], result

    def test_erofs_mounted_from_an_image_file(self):
        if shutil.which("mkfs.erofs") is None:
            self.fail("mkfs.erofs is needed (scripts/install-deps: erofs-utils)")
        data = self.make_dir("data")
        mount_tmpfs(self, data)
        tree = tempfile.mkdtemp(prefix="lshidden-erofs-tree-")
        self.addCleanup(shutil.rmtree, tree)
        with open(os.path.join(tree, "inside"), "w") as f:
            f.write("inside\n")
        image = os.path.join(data, "image file.erofs")
        subprocess.run(["mkfs.erofs", "--quiet", image, tree], check=True, capture_output=True,
                       timeout=60)
        ro = self.make_dir("ro")
        # mount(2) itself: mount(8) may put a loop device in between.
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.mount(image.encode(), ro.encode(), b"erofs", 1, None) != 0:  # MS_RDONLY
            err = ctypes.get_errno()
            self.skipTest(f"erofs cannot be mounted from a file here: {os.strerror(err)}")
        self.addCleanup(lambda: umount(ro) and umount(ro, 2))
        with open(os.path.join(ro, "inside")) as f:
            self.assertEqual(f.read(), "inside\n")
        self.assertEqual(umount(data), errno.EBUSY)

        rows, result = self.holder_rows(data, "erofs-image")
        st = os.stat(image)
        self.assertEqual([(r["source"], r["effect"], r["possible"], r["path"], r["object"],
                           r["inode"], r["type"], r["hint"]) for r in rows],
                         [("erofs-image", "blocks-umount", False, image, f"erofs mounted at {ro}",
                           st.st_ino, "REG", f"umount {ro}")])



if __name__ == "__main__":
    in_private_namespace(__file__)
    run_tests()
