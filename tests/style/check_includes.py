#!/usr/bin/env python3
"""Check the #include structure of the C tree under src/ (stdlib only).

A module is a .c file and the .h of the same stem in the same folder (either
may be missing); module A depends on module B when a file of A includes a
file of B.  Checks:
  1. no include cycle between modules;
  2. layering: a module includes only modules of its own or a lower layer;
  3. no folder holds more than --max-modules modules;
  4. every .c/.h file lies in a listed layer folder.

Usage:
  check_includes.py --src SRC_DIR --layers parse,core,scan+deep,mount,output,.
                    [--max-modules 20] [--bpf-dir deep/bpf]

--layers lists layer folders (relative to SRC_DIR) lowest first; `.` is
SRC_DIR itself; `a+b` puts a and b on the same level.  A file belongs to the
longest listed folder containing it, so subfolders join their parent's layer
(`.` holds only files directly in SRC_DIR).

Only quoted includes count.  One is resolved like the compiler does with
-I SRC_DIR: first against the including file's folder, then against SRC_DIR;
the first candidate that exists wins.  Includes that resolve to nothing, or
to a file outside SRC_DIR or not a .c/.h, are ignored (system and generated
headers such as "lshidden_deep.skel.h").  Comments are stripped first, but
#if 0 blocks are not understood.

BPF programs (*.bpf.c, and every file under --bpf-dir) are not scanned and
are not modules; a header under --bpf-dir is still a target: including it
counts for layering (it belongs to the layer of its folder).

Exit status: 0 all checks passed, 1 some failed, 2 bad usage.
"""
import argparse
import collections
import os
import re
import sys

# file: the including file, target: the included one (both relative to src)
Include = collections.namedtuple("Include", "file line target")

INCLUDE_RE = re.compile(r'\s*#\s*include\s*"([^"]+)"')
TOP = "."  # the layer name of SRC_DIR itself


# ---------------------------------------------------------------- layers

def parse_layers(text):
    """'parse,core,scan+deep,.' -> {'parse': 0, 'core': 1, 'scan': 2, ...}."""
    rank = {}
    for level, group in enumerate(text.split(",")):
        for name in group.split("+"):
            name = name.strip()
            if not name or os.path.isabs(name) or ".." in name.split("/"):
                raise ValueError(f"bad layer name {name!r} in {text!r}")
            name = os.path.normpath(name)  # 'core/' -> 'core'
            if name in rank:
                raise ValueError(f"layer {name} listed twice")
            rank[name] = level
    return rank


def layer_of(folder, rank):
    """The longest listed layer folder holding folder ('' is SRC_DIR), or None."""
    if folder == "":
        return TOP if TOP in rank else None
    best = None
    for name in rank:
        if name != TOP and (folder == name or folder.startswith(name + "/")):
            if best is None or len(name) > len(best):
                best = name
    return best


# ---------------------------------------------------------------- files

def is_bpf(rel, bpf_dir):
    return rel.endswith(".bpf.c") or rel.startswith(bpf_dir + "/")


def list_files(src):
    """Every .c/.h under src, as sorted paths relative to src."""
    found = []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in files:
            if name.endswith((".c", ".h")):
                found.append(os.path.relpath(os.path.join(root, name), src))
    return sorted(found)


def module_of(rel):
    """'core/record.c' -> 'core/record' (the .c and the .h share it)."""
    return os.path.splitext(rel)[0]


def folder_of(module):
    return os.path.dirname(module)


def strip_comments(text):
    """text with comments blanked out and newlines kept, so line numbers hold.

    String and char literals are skipped so that "a//b" is not a comment; a
    literal ends at the end of its line at the latest, so that a stray
    apostrophe (#error don't) cannot swallow the rest of the file.
    """
    out, i, n = [], 0, len(text)
    while i < n:
        two = text[i:i + 2]
        if two == "/*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
        elif two == "//":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
        elif text[i] in "\"'":
            end = literal_end(text, i)
            out.append(text[i:end])
        else:
            end = i + 1
            out.append(text[i])
        i = end
    return "".join(out)


def literal_end(text, start):
    """Index just past the string/char literal opening at start."""
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != "\n":
        if text[i] == "\\":
            i += 2
            continue
        i += 1
        if text[i - 1] == quote:
            return i
    return i


def quoted_includes(path):
    """[(line, name)] of the #include "name" lines of a file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = strip_comments(f.read()).splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        match = INCLUDE_RE.match(line)
        if match:
            found.append((number, match.group(1)))
    return found


def resolve(src, including, name):
    """The file (relative to src) that `#include "name"` in including means, or None."""
    for base in (os.path.dirname(including), ""):
        rel = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(src, rel)):
            # The compiler stops at the first hit, even one outside src.
            inside = not (os.path.isabs(rel) or rel.split("/")[0] == "..")
            return rel if inside else None
    return None


# ---------------------------------------------------------------- graph

class Tree:
    """The modules of a source tree and the include edges between them."""

    def __init__(self, src, bpf_dir):
        self.src = src
        files = list_files(src)
        self.sources = [f for f in files if not is_bpf(f, bpf_dir)]
        self.source_set = set(self.sources)
        self.bpf_headers = {f for f in files
                            if f.endswith(".h") and f.startswith(bpf_dir + "/")}
        self.modules = sorted({module_of(f) for f in self.sources})
        # edges[a][b]: the includes by which module a reaches module b
        self.edges = collections.defaultdict(dict)
        for rel in self.sources:
            self._add_includes(rel)

    def _add_includes(self, rel):
        for line, name in quoted_includes(os.path.join(self.src, rel)):
            target = resolve(self.src, rel, name)
            if target not in self.source_set and target not in self.bpf_headers:
                continue  # nothing, or a file that is not part of the tree
            a, b = module_of(rel), module_of(target)
            if a != b:
                site = Include(rel, line, target)
                self.edges[a].setdefault(b, []).append(site)

    def successors(self, module):
        return sorted(self.edges.get(module, {}))

    def first_site(self, a, b):
        return self.edges[a][b][0]

    def sites(self):
        for a in sorted(self.edges):
            for b in sorted(self.edges[a]):
                yield from self.edges[a][b]

    def show(self, rel):
        """A path as the user should see it: under the --src they gave."""
        return os.path.normpath(os.path.join(self.src, rel))


def strongly_connected(nodes, successors):
    """Tarjan's algorithm, iterative (no recursion limit): list of SCCs."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(successors(node))

    for root in nodes:
        if root in index:
            continue
        work = [visit(root)]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    work.append(visit(child))
                    break  # descend; resume node's children afterwards
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    found.append(pop_component(stack, on_stack, node))
    return found


def pop_component(stack, on_stack, root):
    component = []
    while True:
        node = stack.pop()
        on_stack.discard(node)
        component.append(node)
        if node == root:
            return sorted(component)


def shortest_cycle(start, members, successors):
    """[start, ..., start]: a shortest cycle through start inside members."""
    parent = {start: None}
    queue = collections.deque([start])
    while queue:
        node = queue.popleft()
        for nxt in successors(node):
            if nxt == start:
                path = [node]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return path[::-1] + [start]
            if nxt in members and nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None  # not reached for a component of two or more modules


# ---------------------------------------------------------------- checks

def check_cycles(tree):
    """One line per cycle; the cycles of a component cover all its modules."""
    problems = []
    for component in strongly_connected(tree.modules, tree.successors):
        if len(component) < 2:
            continue
        members, covered = set(component), set()
        for start in component:
            if start not in covered:
                cycle = shortest_cycle(start, members, tree.successors)
                covered.update(cycle)
                problems.append(describe_cycle(tree, cycle))
    return problems


def describe_cycle(tree, cycle):
    steps = []
    for a, b in zip(cycle, cycle[1:]):
        site = tree.first_site(a, b)
        steps.append(f"{tree.show(site.file)}:{site.line} includes {site.target}")
    return f"include cycle: {' -> '.join(cycle)} ({'; '.join(steps)})"


def check_layering(tree, rank):
    problems = []
    for site in tree.sites():
        here = layer_of(folder_of(module_of(site.file)), rank)
        there = layer_of(folder_of(module_of(site.target)), rank)
        if here is None or there is None:
            continue  # a stray file: reported by check_strays
        if rank[there] > rank[here]:
            problems.append(f"layering: {tree.show(site.file)}:{site.line} includes "
                            f"{site.target} of higher layer {there} (from layer {here})")
    return problems


def modules_per_folder(tree):
    counts = collections.Counter(folder_of(m) for m in tree.modules)
    return dict(sorted(counts.items()))


def check_folder_sizes(tree, limit):
    return [f"folder too big: {tree.show(folder)} holds {count} modules (max {limit})"
            for folder, count in modules_per_folder(tree).items() if count > limit]


def check_strays(tree, rank):
    listed = ", ".join(rank)
    return [f"stray file: {tree.show(rel)} is in no layer folder (layers: {listed})"
            for rel in tree.sources if layer_of(os.path.dirname(rel), rank) is None]


# ---------------------------------------------------------------- main

def plural(count, word):
    return f"{count} {word}" + ("" if count == 1 else "s")


def summary(tree, cycles, layering, sizes, strays):
    size = (f"{plural(len(tree.modules), 'module')} in "
            f"{plural(len(modules_per_folder(tree)), 'folder')}")
    if not (cycles or layering or sizes or strays):
        return f"check_includes: {size}, no cycles, layering ok"
    counts = [plural(len(cycles), "include cycle"),
              plural(len(layering), "layering violation"),
              plural(len(sizes), "oversized folder"),
              plural(len(strays), "stray file")]
    return f"check_includes: FAILED ({size}): {', '.join(counts)}"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", required=True, help="the source directory (src/)")
    parser.add_argument("--layers", required=True,
                        help="layer folders lowest first, e.g. parse,core,scan+deep,.")
    parser.add_argument("--max-modules", type=int, default=20,
                        help="most modules one folder may hold (default 20)")
    parser.add_argument("--bpf-dir", default="deep/bpf",
                        help="folder of BPF programs, not scanned (default deep/bpf)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.src):
        parser.error(f"--src {args.src}: not a directory")
    try:
        args.rank = parse_layers(args.layers)
    except ValueError as e:
        parser.error(f"--layers: {e}")
    args.bpf_dir = os.path.normpath(args.bpf_dir)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    tree = Tree(args.src, args.bpf_dir)
    results = (check_cycles(tree), check_layering(tree, args.rank),
               check_folder_sizes(tree, args.max_modules), check_strays(tree, args.rank))
    for problems in results:
        for line in problems:
            print(line)
    print(summary(tree, *results))
    return 1 if any(results) else 0


if __name__ == "__main__":
    sys.exit(main())
