"""Shared helpers for the Python tests of lshidden (stdlib only).

Environment (set by tests/CMakeLists.txt):
  LSHIDDEN          path of the lshidden binary
  LSHIDDEN_HELPERS  directory holding the helper programs (uring_holder, ...)
"""
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

DEFAULT_TIMEOUT = 120
# The exit status of a test file some of whose tests were skipped (and none
# failed): ctest's SKIP_RETURN_CODE for the Python tests, so that ctest says
# "Skipped", never "Passed", for them.
SKIP_STATUS = 77


def run_tests(argv=None):
    """unittest.main() for a test file (the tests of __main__, with argv's
    options, default sys.argv), then exits with 1 if any test failed,
    errored or succeeded unexpectedly, or if none ran; SKIP_STATUS if any
    was skipped; 0 if all ran and passed.  Prints the usual summary, then
    how many tests were skipped."""
    program = unittest.main(argv=argv, exit=False)
    result = program.result
    skipped = len(result.skipped)
    if not result.wasSuccessful():
        status = 1
    elif result.testsRun == 0:
        print("no tests ran", file=sys.stderr)
        status = 1
    else:
        status = SKIP_STATUS if skipped else 0
    print(f"{skipped} of {result.testsRun} tests skipped; exit status {status}", file=sys.stderr,
          flush=True)
    sys.exit(status)


def env_path(name):
    """Value of environment variable name; fails loudly when unset."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def lshidden_path():
    return env_path("LSHIDDEN")


def helper_path(name):
    return os.path.join(env_path("LSHIDDEN_HELPERS"), name)


def contract_section_keys(heading=None):
    """The keys of the first "| key |" table of doc/CONTRACT.md, or, with
    heading, of the first one under the "## " section whose heading starts
    with it (e.g. "--mount"), so tests follow the contract, not a copy."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "doc",
                        "CONTRACT.md")
    keys, in_section, in_table = [], heading is None, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if heading is not None and line.startswith("## "):
                if keys:
                    break
                in_section = line[3:].startswith(heading)
            elif not in_section:
                continue
            elif line.startswith("| key |"):
                in_table = True
            elif in_table and line.startswith("|"):
                cell = line.split("|")[1].strip()
                if cell.strip("-"):
                    keys.append(cell)
            elif in_table:
                break
    if not keys:
        raise RuntimeError(f"no key table ({heading or 'the first'}) in {path}")
    return keys


def contract_json_keys():
    """The file-record keys: the contract's first key table, in order."""
    return contract_section_keys()


def need_tools(test, *names):
    """Skips test unless every one of the programs is on PATH (each is in
    scripts/install-deps)."""
    for name in names:
        if shutil.which(name) is None:
            test.skipTest(f"{name} is not installed")


def is_root():
    return os.geteuid() == 0


def kernel_version():
    """(major, minor) of the running kernel."""
    match = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return (int(match.group(1)), int(match.group(2)))


def run_command(args, timeout=DEFAULT_TIMEOUT, **kwargs):
    """Runs a command with stdin from /dev/null, capturing text output;
    never raises on a non-zero exit status."""
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", timeout=timeout, **kwargs)


def run_lshidden(*args, prefix=(), binary=None, timeout=DEFAULT_TIMEOUT):
    """Runs lshidden with args (prefix: e.g. a setpriv command line).
    Returns the CompletedProcess with bytes stdout/stderr."""
    cmd = [*prefix, binary or lshidden_path(), *args]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout, cwd="/")


def describe(result):
    """A short text of a CompletedProcess, for assertion messages."""
    return (f"command: {result.args}\nexit status: {result.returncode}\n"
            f"stderr: {result.stderr.decode(errors='replace')[-2000:]}")


def parse_json_output(result):
    """Parses lshidden -J stdout; raises AssertionError with context."""
    try:
        doc = json.loads(result.stdout)
    except ValueError as e:
        raise AssertionError(f"stdout is not JSON ({e})\n{describe(result)}\n"
                             f"stdout: {result.stdout[:2000]!r}") from None
    if not isinstance(doc, dict) or set(doc) != {"files", "warnings"}:
        raise AssertionError(f"JSON top level is not {{files, warnings}}: {str(doc)[:500]}")
    return doc


def run_json(*args, **kwargs):
    """Runs lshidden -J ARGS; returns (CompletedProcess, parsed document)."""
    result = run_lshidden("-J", *args, **kwargs)
    return result, parse_json_output(result)


def path_bytes(row):
    """The raw bytes of a JSON row's path: path_raw (hex) when set."""
    if row.get("path_raw") is not None:
        return bytes.fromhex(row["path_raw"])
    if row.get("path") is None:
        return None
    return row["path"].encode()


_OCTAL_ESCAPE = re.compile(rb"\\([0-3][0-7][0-7])")
_HEX_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


def unescape_octal(raw):
    """Undoes the kernel's mangle_path() escapes (\\040 etc.) in bytes."""
    return _OCTAL_ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), raw)


def unescape_hex(raw):
    """Undoes table-mode \\xHH escapes in bytes."""
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def mount_points(pid):
    """{mount id: mount point (str, unescaped)} from /proc/PID/mountinfo."""
    result = {}
    with open(f"/proc/{pid}/mountinfo", "rb") as f:
        for line in f:
            fields = line.split(b" ")
            result[int(fields[0])] = unescape_octal(fields[4]).decode(errors="surrogateescape")
    return result


class AnyOf:
    """Compares equal to any of the given values (for values the contract
    leaves open); usable inside dicts given to assertEqual."""

    def __init__(self, *values):
        self.values = values

    def __eq__(self, other):
        return any(other == v and type(other) is type(v) for v in self.values)

    def __repr__(self):
        return "AnyOf" + repr(self.values)


class IsStr:
    """Any non-empty string (values the contract does not spell out)."""

    def __eq__(self, other):
        return isinstance(other, str) and other != ""

    def __repr__(self):
        return "IsStr()"


class HexOf:
    """A hex string (either case) of the given bytes."""

    def __init__(self, raw):
        self.raw = raw

    def __eq__(self, other):
        return isinstance(other, str) and other.lower() == self.raw.hex()

    def __repr__(self):
        return f"HexOf({self.raw!r})"


class HelperProcess:
    """Runs a helper that prints a one-line JSON manifest on stdout and then
    holds its objects until stdin reaches EOF.  Use as a context manager, or
    call stop() (tests: self.addCleanup(helper.stop) right after start())."""

    def __init__(self, name, args=(), start_timeout=DEFAULT_TIMEOUT, parent=None, prefix=()):
        self.name = name
        self.args = list(args)
        self.prefix = list(prefix)  # e.g. a setpriv and unshare command line
        self.start_timeout = start_timeout
        self.parent = parent  # where its temporary directory goes
        self.proc = None
        self.tmp = None
        self.manifest = None
        self.pid = None
        self.dir = None
        self._stderr = None

    def start(self):
        """Starts the helper in a new temporary directory (also its cwd and
        its scratch argument) and returns the manifest."""
        self.tmp = tempfile.TemporaryDirectory(prefix=f"{self.name}-", dir=self.parent)
        self.dir = os.path.realpath(self.tmp.name)
        self._stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen([*self.prefix, helper_path(self.name), *self.args,
                                          self.dir],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._stderr, cwd=self.dir)
        except OSError:
            self._stderr.close()
            self.tmp.cleanup()
            raise
        timer = threading.Timer(self.start_timeout, self.proc.kill)
        timer.start()
        try:
            line = self.proc.stdout.readline()
            self.manifest = json.loads(line)
        except ValueError:
            stderr = self.stderr_text()
            self.stop(check=False)
            raise RuntimeError(f"{self.name} printed no manifest: {stderr}") from None
        finally:
            timer.cancel()
        self.pid = self.proc.pid
        return self.manifest

    def stderr_text(self):
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self, check=True):
        """Closes stdin and waits; kills the helper if it hangs.  With check,
        raises when the helper did not exit 0 by itself.  Idempotent."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        status = None
        try:
            proc.stdin.close()
            try:
                status = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            stderr = self.stderr_text()
        finally:
            self._stderr.close()
            self.tmp.cleanup()
        if check and status != 0:
            raise RuntimeError(f"{self.name} exited with {status}: {stderr}")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop(check=exc[0] is None)
        return False


# ---- Prometheus text exposition format (--prometheus) ------------------------

_PROM_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_PROM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
_PROM_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse_prometheus(text):
    """The samples of a text exposition as [(name, {label: value}, value)],
    label values unescaped.  Raises ValueError on a line that is neither a
    sample, a comment nor blank."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _PROM_SAMPLE.match(line)
        if not match:
            raise ValueError(f"not a sample: {line!r}")
        labels, rest = {}, match.group(2) or ""
        while rest:
            label = _PROM_LABEL.match(rest)
            if not label:
                raise ValueError(f"bad labels: {line!r}")
            value = re.sub(r'\\.', lambda m: _PROM_ESCAPES[m.group(0)], label.group(2))
            labels[label.group(1)] = value
            rest = rest[label.end():]
        samples.append((match.group(1), labels, float(match.group(3))))
    return samples


def prometheus_family(samples, name, *keys):
    """{tuple of the keys' label values: value} of one family's samples."""
    return {tuple(labels[k] for k in keys): value for n, labels, value in samples if n == name}


def promtool_check_metrics(test, text):
    """promtool check metrics accepts text without a single complaint."""
    need_tools(test, "promtool")
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=DEFAULT_TIMEOUT)
    test.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""),
                     f"promtool check metrics:\n{text}")


_libc = ctypes.CDLL(None, use_errno=True)


def umount(path, flags=0):
    """umount2(2): 0 or the errno."""
    if _libc.umount2(os.fsencode(path), flags) == 0:
        return 0
    return ctypes.get_errno()


def end_on_eof(proc, timeout=30):
    """Closes the stdin of a helper that holds its objects until EOF, and
    waits for it; kills it if it does not end in time."""
    proc.stdin.close()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def python_holder(test, code, *args):
    """Runs the Python code with args (it holds its objects until EOF on
    stdin, after printing one line); ended by test's cleanups.  Returns
    (pid, the line it printed)."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    test.addCleanup(proc.stdout.close)
    test.addCleanup(end_on_eof, proc)
    return proc.pid, proc.stdout.readline()


class FuseServer:
    """fuse_pt_server serving MOUNTPOINT from BACKING_DIR (with
    --watch-stdin, so closing its stdin stops it).  start() returns the
    manifest; stop() is idempotent and detaches the mount."""

    def __init__(self, mountpoint, backing_dir, *options):
        self.args = [helper_path("fuse_pt_server"), "--watch-stdin", *options, mountpoint,
                     backing_dir]
        self.mountpoint = mountpoint
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        manifest = json.loads(self.proc.stdout.readline() or b"null")
        if manifest is None:
            self.proc.wait(timeout=30)
            raise RuntimeError(f"fuse_pt_server printed no manifest: "
                               f"{self.proc.stderr.read().decode(errors='replace')}")
        return manifest

    def kill(self):
        """SIGKILL: the mount stays, with nobody to answer for it."""
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            end_on_eof(proc)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
        umount(self.mountpoint, 2)  # MNT_DETACH: gone even if a client lingers


def in_private_namespace(test_file):
    """Re-runs test_file under unshare -m --propagation private, once, so
    its mounts never reach the host's table."""
    if os.environ.get("LSHIDDEN_PRIVATE_NS") == "1" or not is_root():
        return
    os.environ["LSHIDDEN_PRIVATE_NS"] = "1"
    os.execvp("unshare", ["unshare", "-m", "--propagation", "private", sys.executable,
                          os.path.abspath(test_file), *sys.argv[1:]])


def unprivileged_copy(test):
    """lshidden copied where uid 65534 can surely run it; removed with the
    test."""
    tmp = tempfile.TemporaryDirectory(prefix="lshidden-bin-")
    test.addCleanup(tmp.cleanup)
    os.chmod(tmp.name, 0o755)
    binary = os.path.join(tmp.name, "lshidden")
    shutil.copy2(lshidden_path(), binary)
    os.chmod(binary, 0o755)
    return binary


def mount_tmpfs(test, path):
    """A tmpfs on path, unmounted with the test (detached if still busy)."""
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", path], check=True)
    test.addCleanup(lambda: umount(path) and umount(path, 2))


def tmpfs_below(test, top, name):
    """A directory top/name with a tmpfs on it; both go with the test."""
    path = os.path.join(top, name)
    os.mkdir(path)
    test.addCleanup(os.rmdir, path)
    mount_tmpfs(test, path)
    return path


def ext4_loop_device(test, directory):
    """A 16 MiB ext4 image in directory on a loop device, detached with the
    test; returns the device.  Fails without mkfs.ext4, skips without a
    free loop device."""
    if not shutil.which("mkfs.ext4"):
        test.fail("mkfs.ext4 is needed (e2fsprogs)")
    image = os.path.join(directory, "disk.img")
    with open(image, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True, timeout=60)
    loop = subprocess.run(["losetup", "--find", "--show", image], capture_output=True,
                          text=True, timeout=30)
    if loop.returncode != 0:
        test.skipTest(f"no loop device: {loop.stderr.strip()}")
    device = loop.stdout.strip()
    test.addCleanup(subprocess.run, ["losetup", "-d", device], timeout=30)
    return device


def start_fuse_server(test, mountpoint, backing_dir, *options):
    """A FuseServer stopped with the test; returns (server, manifest)."""
    server = FuseServer(mountpoint, backing_dir, *options)
    manifest = server.start()
    test.addCleanup(server.stop)
    return server, manifest
