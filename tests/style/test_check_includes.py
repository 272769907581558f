"""Self-test of check_includes.py on small trees built in a temporary directory."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_includes.py")
LAYERS = "parse,core,scan+deep,mount,output,."

# A small tree that passes: both include spellings, system and generated
# headers, an include in a comment, a BPF program that includes upward.
CLEAN = {
    "parse/maps_parse.h": "#include <stddef.h>\n",
    "parse/maps_parse.c": '#include "maps_parse.h"\n#include <string.h>\n',
    "core/record.h": '#include "parse/maps_parse.h"\n',
    "core/record.c": '#include "core/record.h"\n/* #include "output/table.h" */\n',
    "scan/scan.c": '#include "deep/deep_scan.h"\n',
    "deep/deep_scan.h": '#include "core/record.h"\n',
    "deep/deep_scan.c": '#include "deep_scan.h"\n#include "lshidden_deep.skel.h"\n'
                        '#include "bpf/kernel_types.h"\n',
    "deep/bpf/kernel_types.h": "",
    "deep/bpf/deep.bpf.c": '#include "../../main.h"\n',
    "output/table.h": '#include "core/record.h"\n',
    "output/table.c": '#include "table.h"\n#include "scan/scan.h"\n',
    "main.c": '#include "output/table.h"\n#include "core/record.h"\n',
}


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


class CheckIncludes(unittest.TestCase):
    def run_checker(self, files, *extra, layers=LAYERS):
        """(exit status, output lines) of the checker on a tree of files."""
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            os.makedirs(src)
            write_tree(src, files)
            p = subprocess.run([sys.executable, CHECKER, "--src", src, "--layers", layers,
                                *extra], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.stderr, "")
        return p.returncode, p.stdout.replace(src + "/", "src/").splitlines()

    def assert_fails_with(self, files, *wanted, **kw):
        status, lines = self.run_checker(files, **kw)
        self.assertEqual(status, 1, lines)
        for text in wanted:
            self.assertTrue(any(text in line for line in lines), (text, lines))
        return lines

    def test_clean_tree_passes(self):
        status, lines = self.run_checker(CLEAN)
        self.assertEqual(status, 0, lines)
        self.assertEqual(lines, ["check_includes: 6 modules in 6 folders, "
                                 "no cycles, layering ok"])

    def test_two_module_cycle(self):
        lines = self.assert_fails_with({
            "core/a.h": '#include "core/b.h"\n',
            "core/b.h": "",
            "core/b.c": '#include "b.h"\n\n#include "a.h"\n',
        }, "include cycle: core/a -> core/b -> core/a "
           "(src/core/a.h:1 includes core/b.h; src/core/b.c:3 includes core/a.h)",
            "1 include cycle,", layers="core")
        self.assertEqual(len([l for l in lines if l.startswith("include cycle")]), 1)

    def test_three_module_cycle(self):
        self.assert_fails_with({
            "core/a.c": '#include "b.h"\n',
            "core/b.h": '#include "core/c.h"\n',
            "core/c.h": '#include "a.c"\n',
        }, "include cycle: core/a -> core/b -> core/c -> core/a", layers="core")

    def test_upward_include_fails(self):
        tree = dict(CLEAN)
        tree["core/record.c"] = '#include "record.h"\n#include "output/table.h"\n'
        self.assert_fails_with(tree, "layering: src/core/record.c:2 includes output/table.h"
                                     " of higher layer output (from layer core)")

    def test_peer_layers(self):
        # CLEAN passes with scan+deep, where scan/scan.c includes deep/deep_scan.h.
        self.assert_fails_with(CLEAN, "layering: src/scan/scan.c:1 includes deep/deep_scan.h"
                                      " of higher layer deep (from layer scan)",
                               layers="parse,core,scan,deep,mount,output,.")

    def test_folder_of_21_modules_fails(self):
        tree = {f"core/m{i:02}.c": "" for i in range(20)}
        tree.update({f"core/m{i:02}.h": "" for i in range(20)})
        self.assertEqual(self.run_checker(tree, layers="core")[0], 0)
        tree["core/m20.h"] = ""
        self.assert_fails_with(tree, "folder too big: src/core holds 21 modules (max 20)",
                               layers="core")
        self.assertEqual(self.run_checker(tree, "--max-modules", "21", layers="core")[0], 0)

    def test_own_header_is_not_a_cycle(self):
        status, lines = self.run_checker({
            "core/record.h": "",
            "core/record.c": '#include "record.h"\n#include "core/record.h"\n',
        }, layers="core")
        self.assertEqual(status, 0, lines)

    def test_unresolvable_includes_are_ignored(self):
        status, lines = self.run_checker({
            "core/a.c": '#include "lshidden_deep.skel.h"\n#include "output/nothing.h"\n'
                        '#include "../../outside.h"\n#include <core/a.h>\n',
        }, layers="core")
        self.assertEqual(status, 0, lines)

    def test_stray_file_fails(self):
        tree = dict(CLEAN)
        tree["util/helpers.c"] = ""
        tree["deep/bpf/other.bpf.c"] = ""
        lines = self.assert_fails_with(tree, "stray file: src/util/helpers.c")
        self.assertEqual(len([l for l in lines if l.startswith("stray")]), 1)


unittest.main()
