"""Kernel matrix: the live scenarios inside Debian's own kernels under qemu.

    test_kernel_matrix.py --kernel SERIES [unittest options]

SERIES is 6.1 or 6.12.  The newest linux-image package of that series that
apt knows (cloud flavour first, then the generic one) is fetched with
`apt-get download`; its vmlinuz, config and the modules the guest loads
(loop, binfmt_misc, fuse: those its config builds as modules) are cached in
$LSHIDDEN_KERNEL_CACHE, else $XDG_CACHE_HOME/lshidden-kernels, else
~/.cache/lshidden-kernels.  A cached kernel is used without the network.
No kernel at all (no package, no network, no cache) is a failure, never a
skip.

An initramfs is built with cpio from busybox (static), lshidden, the
uring_holder and fuse_pt_server helpers, the shared libraries ldd names for
them (and the loader), the modules and tests/kernels/guest_init.sh as
/init.  qemu (TCG) boots it once; /init runs every scenario and writes the
outputs to the second serial port, the console goes to a log.  A boot that
does not finish within the boot timeout ($LSHIDDEN_KERNEL_BOOT_TIMEOUT,
default 300 s) is killed and reported with the console's last lines.  The
test methods below then check those outputs against the helpers'
manifests, with the rules of the kernels that print only the last name
component of a fixed file (Linux 5.6-6.13), and the runs with --deep
against what the kernel itself holds.

Environment: LSHIDDEN, LSHIDDEN_HELPERS (see tests/pylib/lshidden_test.py).
Exit status as run_tests() there gives it: 77 (ctest: Skipped) when a test
was skipped because the guest's kernel lacks a feature.
The boot's files (initramfs, console.log, results.log) are kept in
kernel-SERIES/ under the current directory.
"""
import base64
import fcntl
import gzip
import json
import lzma
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

from lshidden_test import AnyOf, HexOf, IsStr, helper_path, lshidden_path, run_tests

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_INIT = os.path.join(HERE, "guest_init.sh")

# Package names per series, in order of preference; the group is the
# number that orders packages of one flavour (ABI for 6.1, patch level for
# 6.12).
SERIES = {
    "6.1": ("linux-image-6.1.0-", [
        r"linux-image-6\.1\.0-(\d+)-cloud-amd64-unsigned",
        r"linux-image-6\.1\.0-(\d+)-cloud-amd64",
        r"linux-image-6\.1\.0-(\d+)-amd64-unsigned",
        r"linux-image-6\.1\.0-(\d+)-amd64",
    ]),
    "6.12": ("linux-image-6.12.", [
        r"linux-image-6\.12\.(\d+)\+deb12-cloud-amd64-unsigned",
        r"linux-image-6\.12\.(\d+)\+deb12-cloud-amd64",
        r"linux-image-6\.12\.(\d+)\+deb12-amd64-unsigned",
        r"linux-image-6\.12\.(\d+)\+deb12-amd64",
    ]),
}
# Modules guest_init.sh loads from /lib/modules, by the config option that
# builds them: needed where the kernel has them as modules (=m), absent
# where it has them built in (FUSE in the cloud flavour of 6.12).
MODULES = {"loop": "CONFIG_BLK_DEV_LOOP", "binfmt_misc": "CONFIG_BINFMT_MISC",
           "fuse": "CONFIG_FUSE_FS"}
APT_TIMEOUT = 240  # seconds for one apt command
CONSOLE_TAIL = 40
# Environment passed on to the guest's commands (sanitizer builds).
GUEST_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


class MatrixError(Exception):
    """A kernel that cannot be fetched or booted, or a guest that hung."""


def log(msg):
    print(f"kernel-matrix: {msg}", file=sys.stderr, flush=True)


# ---- fetching and caching the kernel ---------------------------------------

def cache_root():
    root = os.environ.get("LSHIDDEN_KERNEL_CACHE")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                               ".cache")
        root = os.path.join(base, "lshidden-kernels")
    os.makedirs(root, exist_ok=True)
    return root


def run_tool(args, timeout=APT_TIMEOUT, **kwargs):
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", timeout=timeout, **kwargs)


def package_rank(series, name):
    """(flavour preference, -number) of a package name of the series, or
    None if the name is not one of its kernel images."""
    for pref, pattern in enumerate(SERIES[series][1]):
        m = re.fullmatch(pattern, name)
        if m:
            return (pref, -int(m.group(1)))
    return None


def apt_candidates(series):
    """Package names of the series that apt can download, best first."""
    prefix = SERIES[series][0]
    result = run_tool(["apt-cache", "pkgnames", prefix])
    names = [n for n in result.stdout.split() if package_rank(series, n)]
    if not names:
        return []
    # Only names with a candidate version come from a repository.
    result = run_tool(["apt-cache", "policy", *names])
    downloadable, current = set(), None
    for line in result.stdout.splitlines():
        if not line.startswith(" "):
            current = line.rstrip(":")
        elif line.strip().startswith("Candidate:") and line.split()[1] != "(none)":
            downloadable.add(current)
    return sorted(downloadable, key=lambda n: package_rank(series, n))


def cached_packages(series):
    """Complete cache entries of the series, best first."""
    root = cache_root()
    names = [n for n in os.listdir(root) if package_rank(series, n)
             and not missing_files(os.path.join(root, n))]
    return sorted(names, key=lambda n: package_rank(series, n))


def apt_update():
    if os.geteuid() != 0:
        return False
    log("apt-get update")
    result = run_tool(["apt-get", "update", "-qq"])
    if result.returncode != 0:
        log(f"apt-get update failed: {result.stderr.strip()[-500:]}")
    return result.returncode == 0


def decompress_module(name, data):
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".zst"):
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True,
                              check=True).stdout
    return data


def modular(config):
    """The MODULES that a kernel config builds as modules."""
    return [m for m, option in MODULES.items()
            if re.search(rf"^{option}=m$", config, re.MULTILINE)]


def missing_files(kernel_dir):
    """What a (cached or just extracted) kernel directory lacks: vmlinuz,
    config, the package's name, each module its config builds as one."""
    try:
        with open(os.path.join(kernel_dir, "config")) as f:
            config = f.read()
    except OSError:
        config = ""
    want = {"vmlinuz", "config", "package", *(m + ".ko" for m in modular(config))}
    return {name for name in want if not os.path.exists(os.path.join(kernel_dir, name))}


def extract_kernel(deb, dest):
    """vmlinuz, config and MODULES (uncompressed .ko) from the package."""
    module_re = re.compile(r"(?:^|/)lib/modules/[^/]+/kernel/.*/(%s)\.ko(\.xz|\.gz|\.zst)?$"
                           % "|".join(MODULES))
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            if not member.isfile():
                continue
            base = os.path.basename(member.name)
            m = module_re.search(member.name)
            if re.fullmatch(r"\./boot/vmlinuz-.*|boot/vmlinuz-.*", member.name):
                target = "vmlinuz"
            elif re.fullmatch(r"\.?/?boot/config-.*", member.name):
                target = "config"
            elif m:
                target = m.group(1) + ".ko"
            else:
                continue
            data = tar.extractfile(member).read()
            if m:
                data = decompress_module(base, data)
            with open(os.path.join(dest, target), "wb") as f:
                f.write(data)
    proc.stdout.close()
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.wait() != 0:
        raise MatrixError(f"dpkg-deb --fsys-tarfile {deb} failed: {stderr}")
    missing = missing_files(dest) - {"package"}
    if missing:
        raise MatrixError(f"{deb} has no {', '.join(sorted(missing))}")


def download(series, name):
    """Downloads and caches one package; returns its cache directory, or
    raises MatrixError with apt's message."""
    root = cache_root()
    tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=root)
    try:
        log(f"apt-get download {name}")
        # Fail fast without a network: a cached kernel may serve instead.
        args = ["apt-get", "-o", "Acquire::Retries=1", "-o", "Acquire::http::Timeout=30",
                "-o", "Acquire::https::Timeout=30", "download", name]
        if os.geteuid() == 0:  # apt's sandbox user cannot write into root's cache
            args[1:1] = ["-o", "APT::Sandbox::User=root"]
        try:
            result = run_tool(args, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise MatrixError(f"apt-get download {name} took over {APT_TIMEOUT} s") from None
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if result.returncode != 0 or len(debs) != 1:
            said = [l for l in (result.stdout + result.stderr).splitlines()
                    if not l.startswith(("Ign:", "Get:"))]
            raise MatrixError(f"apt-get download {name} failed (status {result.returncode}):\n"
                              + "\n".join(said[-8:]))
        extract_kernel(os.path.join(tmp, debs[0]), tmp)
        os.unlink(os.path.join(tmp, debs[0]))
        with open(os.path.join(tmp, "package"), "w") as f:
            f.write(debs[0] + "\n")
        final = os.path.join(root, name)
        shutil.rmtree(final, ignore_errors=True)
        os.rename(tmp, final)
        tmp = None
        # Older kernels of the series are not needed any more.
        for old in cached_packages(series):
            if old != name:
                shutil.rmtree(os.path.join(root, old), ignore_errors=True)
        return final
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def fetch_kernel(series):
    """Cache directory of the newest kernel of the series that apt knows,
    downloaded unless cached.  Offline, a cached kernel of the series is
    used (after one failed download attempt if apt knows a newer one)."""
    root = cache_root()
    with open(os.path.join(root, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one apt at a time, one download per kernel
        cached = cached_packages(series)
        names = apt_candidates(series)
        if not names and not cached and apt_update():
            names = apt_candidates(series)
        if names and names[0] in cached:
            return os.path.join(root, names[0])
        errors = []
        if names:
            try:
                return download(series, names[0])
            except MatrixError as e:
                errors.append(str(e))
            # Stale lists may name a package the mirror no longer has; worth
            # another round only when there is nothing cached to fall back on.
            if not cached and apt_update():
                names = apt_candidates(series) or names
                try:
                    return download(series, names[0])
                except MatrixError as e:
                    errors.append(str(e))
        else:
            errors.append(f"apt knows no package matching {SERIES[series][1]} "
                          "(apt-get update needed?)")
        if cached:
            log(f"using the cached {cached[0]}: " + " / ".join(errors))
            return os.path.join(root, cached[0])
        raise MatrixError(f"cannot fetch a Linux {series} kernel and none is cached in "
                          f"{root} (the first run needs Debian's package mirror):\n"
                          + "\n".join(errors))


# ---- the initramfs -----------------------------------------------------------

def shared_libraries(binary):
    """Absolute paths ldd names for binary (the loader included)."""
    result = run_tool(["ldd", binary])
    if result.returncode != 0:
        if "not a dynamic executable" in result.stdout + result.stderr:
            return []
        raise MatrixError(f"ldd {binary} failed: {result.stderr}")
    paths = []
    for line in result.stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            paths.append(m.group(1))
        elif "=>" in line and "not found" in line:
            raise MatrixError(f"ldd {binary}: {line.strip()}")
    return paths


def copy_into(root, src, dest=None, mode=None):
    """Copies src's content (symlinks followed) to root/dest (default: the
    same absolute path)."""
    target = os.path.join(root, (dest or src).lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(src, target)
    os.chmod(target, mode if mode is not None else os.stat(src).st_mode & 0o7777)


def find_busybox():
    for path in ("/bin/busybox", "/usr/bin/busybox", shutil.which("busybox")):
        if path and os.path.exists(path):
            if shared_libraries(path):
                raise MatrixError(f"{path} is not static: install busybox-static "
                                  "(scripts/install-deps)")
            return path
    raise MatrixError("no busybox: install busybox-static (scripts/install-deps)")


def build_initramfs(work, kernel_dir):
    if shutil.which("cpio") is None:
        raise MatrixError("no cpio: run scripts/install-deps")
    root = os.path.join(work, "root")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "dev", "proc", "sys", "tmp", "mnt", "etc", "lib/modules", "root"):
        os.makedirs(os.path.join(root, d))
    copy_into(root, find_busybox(), "/bin/busybox", 0o755)
    copy_into(root, GUEST_INIT, "/init", 0o755)
    binaries = {"lshidden": lshidden_path(), "uring_holder": helper_path("uring_holder"),
                "fuse_pt_server": helper_path("fuse_pt_server"),
                "mount_holder": helper_path("mount_holder")}
    for name, path in binaries.items():
        if not os.access(path, os.X_OK):
            raise MatrixError(f"{path} is missing: build the project first")
        copy_into(root, path, f"/bin/{name}", 0o755)
        for lib in shared_libraries(path):
            if not os.path.exists(os.path.join(root, lib.lstrip("/"))):
                copy_into(root, lib)
    for module in MODULES:
        path = os.path.join(kernel_dir, module + ".ko")
        if os.path.exists(path):
            copy_into(root, path, f"/lib/modules/{module}.ko", 0o644)
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    with open(os.path.join(root, "etc/lshidden-guest.env"), "w") as f:
        for var in GUEST_ENV:
            if os.environ.get(var):
                f.write(f"export {var}={shlex.quote(os.environ[var])}\n")
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for name in sorted(dirnames) + sorted(filenames):
            paths.append(os.path.normpath(os.path.join(rel, name)))
    image = os.path.join(work, "initramfs.cpio")
    with open(image, "wb") as out:
        result = subprocess.run(["cpio", "-o", "-H", "newc", "-R", "0:0", "--quiet"],
                                input="\n".join(paths).encode() + b"\n", stdout=out,
                                stderr=subprocess.PIPE, cwd=root)
    if result.returncode != 0:
        raise MatrixError(f"cpio failed: {result.stderr.decode(errors='replace')}")
    shutil.rmtree(root)
    return image


# ---- booting -------------------------------------------------------------------

def console_tail(path, lines=CONSOLE_TAIL):
    try:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace").replace("\r", "")
    except OSError:
        return "(no console output)"
    text = re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|c)", "", text)  # the BIOS's terminal resets
    tail = text.rstrip("\n").split("\n")[-lines:]
    return "\n".join(tail) if text.strip() else "(no console output)"


def last_step(results):
    """Which of the guest's outputs came last, for a report."""
    try:
        blocks, _ = parse_results(results)
    except (OSError, ValueError):
        blocks = {}
    if not blocks:
        return "it reported nothing"
    return (f"its last output was {list(blocks)[-1]!r} (tests/kernels/guest_init.sh: the "
            "step after it did not finish)")


def boot(work, kernel_dir, initramfs, timeout):
    """Boots the guest; returns (console log path, results log path, seconds)."""
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        raise MatrixError("no qemu-system-x86_64: run scripts/install-deps")
    console = os.path.join(work, "console.log")
    results = os.path.join(work, "results.log")
    for path in (console, results):
        if os.path.exists(path):
            os.unlink(path)
    args = [qemu, "-accel", "tcg", "-nographic", "-nodefaults", "-no-reboot",
            "-m", "1024", "-smp", "1",
            "-kernel", os.path.join(kernel_dir, "vmlinuz"), "-initrd", initramfs,
            "-append", "console=ttyS0 panic=-1 oops=panic",
            "-serial", f"file:{console}", "-serial", f"file:{results}"]
    start = time.monotonic()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise MatrixError(f"the guest did not power off within {timeout} s (hung?); "
                          f"{last_step(results)}; last console lines:\n"
                          f"{console_tail(console)}") from None
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise MatrixError(f"qemu exited with status {proc.returncode}: "
                          f"{out.decode(errors='replace')}\n{last_step(results)}; "
                          f"last console lines:\n{console_tail(console)}")
    return console, results, elapsed


def parse_results(path):
    """{name: (status, bytes)} from the guest's result stream, and whether
    it was complete (ended with @@done)."""
    blocks, done = {}, False
    current, chunks = None, []
    try:
        with open(path, "rb") as f:
            text = f.read().decode("ascii", errors="replace").replace("\r", "")
    except FileNotFoundError:
        text = ""
    for line in text.split("\n"):
        if line.startswith("@@begin "):
            current, chunks = line[len("@@begin "):], []
        elif line.startswith("@@end ") and current is not None:
            name, _, status = line[len("@@end "):].rpartition(" ")
            if name == current:
                blocks[name] = (None if status == "-" else int(status),
                                base64.b64decode("".join(chunks)))
            current = None
        elif line == "@@done":
            done = True
        elif current is not None:
            chunks.append(line.strip())
    return blocks, done


class Guest:
    """One boot of one kernel and everything it reported."""

    def __init__(self, series):
        self.series = series
        self.work = os.path.abspath(f"kernel-{series}")
        os.makedirs(self.work, exist_ok=True)
        timeout = int(os.environ.get("LSHIDDEN_KERNEL_BOOT_TIMEOUT", "300"))
        t0 = time.monotonic()
        self.kernel_dir = fetch_kernel(series)
        with open(os.path.join(self.kernel_dir, "package")) as f:
            self.package = f.read().strip()
        t1 = time.monotonic()
        initramfs = build_initramfs(self.work, self.kernel_dir)
        t2 = time.monotonic()
        log(f"{self.package}: booting (timeout {timeout} s)")
        self.console, results, boot_time = boot(self.work, self.kernel_dir, initramfs, timeout)
        self.blocks, done = parse_results(results)
        log(f"{self.package}: fetch {t1 - t0:.1f} s, initramfs {t2 - t1:.1f} s, "
            f"boot and scenarios {boot_time:.1f} s")
        if not done:
            raise MatrixError(f"the guest stopped before finishing its scenarios; "
                              f"{last_step(results)}; last console lines:\n"
                              f"{console_tail(self.console)}")

    def get(self, name):
        if name not in self.blocks:
            helper = "".join(f"\n{n}: {data.decode(errors='replace')}"
                             for n, (_, data) in self.blocks.items() if n.endswith("holder-err"))
            raise AssertionError(f"the guest reported no {name!r}{helper}\nlast console "
                                 f"lines:\n{console_tail(self.console)}")
        return self.blocks[name]

    def data(self, name):
        return self.get(name)[1]

    def text(self, name):
        return self.data(name).decode(errors="replace").strip()

    def command(self, name):
        """(status, stdout bytes, stderr text) of a command run by run()."""
        status, out = self.get(name + ".out")
        return status, out, self.get(name + ".err")[1].decode(errors="replace")

    def has(self, name):
        return name in self.blocks

    def version(self):
        """(major, minor) of the guest's kernel."""
        major, minor = re.match(r"(\d+)\.(\d+)", self.text("guest.uname")).groups()
        return int(major), int(minor)

    def json_of(self, name, status=0):
        """(document, stderr) of a -J run that exited with status."""
        got, out, err = self.command(name)
        if got != status:
            raise AssertionError(f"{name}: exit status {got}, want {status}\nstderr: {err}")
        try:
            doc = json.loads(out)
        except ValueError as e:
            raise AssertionError(f"{name}: stdout is not JSON ({e}): {out[:2000]!r}\n"
                                 f"stderr: {err}") from None
        return doc, err

    def names(self, prefix):
        return sorted(n for n in self.blocks if n.startswith(prefix))


GUEST = None
GUEST_ERROR = None
KERNEL = None


def guest():
    """The booted guest (booted once, on first use).  If it cannot be had,
    the first test to ask fails with the whole story, the others briefly."""
    global GUEST, GUEST_ERROR
    if GUEST_ERROR:
        raise AssertionError(f"no Linux {KERNEL} guest (see the first failure)")
    if GUEST is None:
        try:
            GUEST = Guest(KERNEL)
        except (MatrixError, OSError, ValueError, subprocess.SubprocessError) as e:
            GUEST_ERROR = f"Linux {KERNEL}: {e}"
            raise AssertionError(GUEST_ERROR) from None
    return GUEST


# ---- expected rows under Linux 5.6-6.13 fdinfo -------------------------------

class Name:
    """The path of a fixed file whose name is longer than its dentry's
    inline name, on a kernel that prints that inline name: whatever stale
    bytes it holds (an empty string in practice), never a '/'."""

    def __eq__(self, other):
        return isinstance(other, str) and "/" not in other

    def __repr__(self):
        return "Name()"


class NoneOrHex:
    """null, or the hex of at most INLINE_NAME_MAX bytes."""

    def __eq__(self, other):
        return other is None or (isinstance(other, str) and len(other) <= 2 * INLINE_NAME_MAX
                                 and re.fullmatch(r"([0-9a-f]{2})*", other) is not None)

    def __repr__(self):
        return "NoneOrHex()"






# d_iname holds names up to 31 bytes on these kernels (DNAME_INLINE_LEN 32).
INLINE_NAME_MAX = 31
# What these kernels print for a socket: the protocol's name.
SOCKET_NAMES = {"UNIX-STREAM", "TCP"}


def old_name(f):
    """What Linux 5.6-6.13 print for a manifest file (bytes), Name() when
    the name is too long to be printed faithfully, None for sockets."""
    raw = bytes.fromhex(f["path_hex"])
    if f["type"] == "SOCK":
        return None
    if f["type"] == "FIFO":
        return b""  # pipes are named "" on the pipefs
    if f["type"] == "anon":
        return raw.split(b":", 1)[1]  # anon_inode:[eventfd] -> [eventfd]
    name = raw.rsplit(b"/", 1)[1]
    return Name() if len(name) > INLINE_NAME_MAX else name


def path_fields(name):
    if isinstance(name, Name):
        return {"path": Name(), "path_raw": NoneOrHex()}
    if name is None:
        return {"path": AnyOf(*SOCKET_NAMES), "path_raw": None}
    try:
        return {"path": name.decode("utf-8"), "path_raw": None}
    except UnicodeDecodeError:
        return {"path": IsStr(), "path_raw": HexOf(name)}


def process_fields(pid, command="uring_holder"):
    return {"pid": pid, "command": command, "uid": 0, "user": "root"}


def old_fixed_row(manifest, ring, f):
    return {**process_fields(manifest["pid"]), "source": "uring-fixed", "hidden": True,
            "fd": None, "ring_fd": ring["fd"], "ring_inode": ring["inode"], "slot": f["slot"],
            **path_fields(old_name(f)), "path_complete": False, "deleted": None,
            "type": "unknown", "dev": None, "inode": None, "mount_id": None,
            "mountpoint": None, "sq_thread": ring["sq_thread"],
            "user_bufs": ring["user_bufs"], "note": None, "method": "procfs"}


def fdless_ring_row(manifest, ring):
    return {**process_fields(manifest["pid"]), "source": "uring-ring", "hidden": True,
            "fd": None, "ring_fd": None, "ring_inode": ring["inode"], "slot": None,
            "type": "anon", "path": "anon_inode:[io_uring]", "path_raw": None,
            "path_complete": True, "deleted": False, "mount_id": None,
            "mountpoint": None, "dev": ring["dev"], "inode": ring["inode"],
            "sq_thread": None, "user_bufs": None,
            "note": IsStr(), "method": "procfs"}


def row_key(row):
    slot = row["slot"] if row["source"] == "uring-fixed" else None
    return (row["source"], row["ring_inode"], slot)


def expected_hidden_rows(manifest):
    rows = {}
    for ring in manifest["rings"]:
        if not ring["files_listable"]:
            rows[("uring-ring", ring["inode"], None)] = fdless_ring_row(manifest, ring)
            continue
        for f in ring["files"]:
            rows[("uring-fixed", ring["inode"], f["slot"])] = old_fixed_row(manifest, ring, f)
    return rows


def ring_named(manifest, name):
    return next(r for r in manifest["rings"] if r["name"] == name)


def unescape_hex(raw):
    return re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def mountinfo_entries(text):
    """(mount id, mount point) of each line of a mountinfo file."""
    for line in text.splitlines():
        fields = line.split(" ")
        point = re.sub(r"\\([0-3][0-7][0-7])", lambda m: chr(int(m.group(1), 8)), fields[4])
        yield int(fields[0]), point


def mountinfo(text):
    """{mount point: mount id} (the last mount at each point wins)."""
    return {point: mount_id for mount_id, point in mountinfo_entries(text)}


def mount_points(text):
    """{mount id: mount point}."""
    return dict(mountinfo_entries(text))


def dev_string(st_dev):
    return f"{os.major(st_dev)}:{os.minor(st_dev)}"


# ---- expected rows with --deep: the kernel's own tables --------------------

class Contains:
    """A string that contains the given text."""

    def __init__(self, text):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, str) and self.text in other

    def __repr__(self):
        return f"Contains({self.text!r})"


# Files on a kernel-internal mount, named by the kernel ("socket:[N]"...).
PSEUDO_TYPES = ("SOCK", "FIFO", "anon")


def fdinfo_mount_id(text):
    return int(re.search(rb"^mnt_id:\s*(\d+)$", text, re.MULTILINE).group(1))


class DeepFacts:
    """What the rows of a --deep run are checked against besides a manifest:
    the mount points of the mount ids (a mountinfo the guest emitted) and
    the mount ids of pipefs, sockfs and anon_inodefs (the fdinfo of a pipe
    and a socket of the guest shell's, and of a ring fd, which is an anon
    inode too)."""

    def __init__(self, g, mountinfo_name):
        self.points = mount_points(g.text(mountinfo_name))
        fixed = json.loads(g.data("fixed.manifest"))
        ring_fd = ring_named(fixed, "sparse-table")["fd"]
        self.pseudo = {"FIFO": fdinfo_mount_id(g.data("guest.fdinfo.FIFO")),
                       "SOCK": fdinfo_mount_id(g.data("guest.fdinfo.SOCK")),
                       "anon": fdinfo_mount_id(g.data(f"fixed.fdinfo.{ring_fd}"))}
        # Every ring is an anon inode on the same filesystem.
        self.anon_dev = ring_named(fixed, "sparse-table")["dev"]

    def identity(self, f):
        """type/dev/inode/mount_id/mountpoint of a manifest file: fstat and
        fdinfo of it before it was registered; a pseudo file's mount is its
        filesystem's, which no mountinfo lists."""
        if f["type"] in PSEUDO_TYPES:
            mount_id, point = self.pseudo[f["type"]], None
        else:
            mount_id, point = f["mount_id"], self.points[f["mount_id"]]
        return {"type": f["type"], "dev": f["dev"], "inode": f["inode"], "mount_id": mount_id,
                "mountpoint": point}


def deep_fixed_row(manifest, ring, f, facts):
    """A fixed file as --deep reads it from the ring's table: the full path
    on any kernel, deletion, the file's own identity."""
    return {**process_fields(manifest["pid"]), "source": "uring-fixed", "hidden": True,
            "fd": None, "ring_fd": ring["fd"], "ring_inode": ring["inode"], "slot": f["slot"],
            **path_fields(bytes.fromhex(f["path_hex"])), "path_complete": True,
            "deleted": f["deleted"], **facts.identity(f), "sq_thread": ring["sq_thread"],
            # The kernel view reads the count of registered buffers of every
            # ring, those /proc cannot read too.
            "user_bufs": ring["user_bufs"],
            "note": None, "backing_id": None, "method": "bpf"}


def deep_hidden_rows(manifest, facts):
    """{row_key: row} of lshidden --deep -p PID: every ring's fixed files,
    and its own row for a ring with no fd."""
    rows = {}
    for ring in manifest["rings"]:
        if not ring["files_listable"]:
            rows[("uring-ring", ring["inode"], None)] = {**fdless_ring_row(manifest, ring),
                                                         "sq_thread": ring["sq_thread"],
                                                         "user_bufs": ring["user_bufs"],
                                                         "method": "bpf"}
        for f in ring["files"]:
            rows[("uring-fixed", ring["inode"], f["slot"])] = deep_fixed_row(manifest, ring, f,
                                                                             facts)
    return rows


def as_holder(row, holder, possible):
    """row as a --mount holder of the mount (umount fails with EBUSY)."""
    return {**row, "holder": holder, "effect": "blocks-umount", "possible": possible}


# ---- the checks -------------------------------------------------------------------

class KernelTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.g = guest()

    def assert_rows(self, expected, rows, context):
        got = {}
        for row in rows:
            key = row_key(row)
            self.assertNotIn(key, got, f"{context}: duplicate row {row}")
            got[key] = row
        self.assertEqual(sorted(got, key=repr), sorted(expected, key=repr),
                         f"{context}: set of (source, ring_inode, slot)")
        for key, want in expected.items():
            self.assertEqual(want, {k: got[key].get(k) for k in want}, f"{context}: row {key}")

    def assert_rows_match(self, expected, rows, context):
        """rows are the expected ones (a list), in any order."""
        self.assertEqual(len(rows), len(expected),
                         f"{context}: want {len(expected)} rows, got {json.dumps(rows, indent=1)}")
        unmatched = list(rows)
        for want in expected:
            for row in unmatched:
                if {k: row.get(k) for k in want} == want:
                    unmatched.remove(row)
                    break
            else:
                best = max(unmatched, key=lambda r: sum(r.get(k) == v for k, v in want.items()))
                self.assertEqual(want, {k: best.get(k) for k in want}, f"{context}: no such row")

    def require(self, version, feature):
        if self.g.version() < version:
            self.skipTest(f"Linux {KERNEL} has no {feature} (Linux {version[0]}.{version[1]}+)")


class BootTest(KernelTest):
    def test_kernel_is_the_series(self):
        release = self.g.text("guest.uname")
        self.assertTrue(release.startswith(KERNEL + "."), release)
        self.assertEqual(self.g.text("guest.osrelease"), release)
        # The package cached is the one booted.
        self.assertIn(release, self.g.package)


class FixedFilesTest(KernelTest):
    """uring_holder's sparse-table (awkward names), mixed-types,
    registered-fd-closed (a ring with no fd) and sqpoll rings under the
    guest kernel."""

    def manifest(self):
        return json.loads(self.g.data("fixed.manifest"))

    def test_kernel_prints_old_format(self):
        # The premise of the expectations below: every slot printed, empty
        # ones as <none>, bare names, a newline name continued on a line.
        manifest = self.manifest()
        infos = {int(n.rsplit(".", 1)[1]): self.g.data(n) for n in self.g.names("fixed.fdinfo.")}
        listable = [r for r in manifest["rings"] if r["files_listable"]]
        self.assertEqual(sorted(infos), sorted(r["fd"] for r in listable))
        sparse = ring_named(manifest, "sparse-table")
        text = infos[sparse["fd"]]
        self.assertIn(b"UserFiles:\t16\n", text)
        self.assertIn(b"    7: <none>\n", text)
        self.assertIn(b"    2: with\nnewline\n", text)
        self.assertIn(b"    0: with space\n", text)
        self.assertIn(b"    6: deleted file\n", text)  # no deleted marker
        self.assertNotIn(b"(deleted)", text)

    def test_hidden_rows_json(self):
        manifest = self.manifest()
        doc, err = self.g.json_of("fixed.json")
        self.assertEqual(doc["warnings"], [], err)
        expected = expected_hidden_rows(manifest)
        self.assertEqual(len([k for k in expected if k[0] == "uring-ring"]), 1)
        self.assert_rows(expected, doc["files"], "lshidden -J -p PID")
        sparse = ring_named(manifest, "sparse-table")
        sockets = sorted(r["path"] for r in doc["files"] if r["slot"] in
                         {f["slot"] for f in sparse["files"] if f["type"] == "SOCK"}
                         and r["ring_inode"] == sparse["inode"])
        self.assertEqual(sockets, sorted(SOCKET_NAMES))

    def test_awkward_names(self):
        # Spot checks that name the feature: newline rebuilt from the
        # continuation line, raw bytes kept, nothing decoded.
        doc, _ = self.g.json_of("fixed.json")
        paths = {r["path"] for r in doc["files"]}
        for name in ("with space", "with\ttab", "with\nnewline", "with\\backslash",
                     "with\x1besc", "deleted file", "opened direct", "null", "dir", "file",
                     "[eventfd]", "sqpoll file", "second"):
            self.assertIn(name, paths)
        raw = [r["path_raw"] for r in doc["files"] if r["path_raw"] is not None]
        self.assertIn(b"with\xffbyte".hex(), raw)
        fixed = [r for r in doc["files"] if r["source"] == "uring-fixed"]
        self.assertEqual([r for r in fixed if r["deleted"] is not None or r["path_complete"]],
                         [], "these kernels say nothing of deletion or directories")

    def test_fdless_ring(self):
        manifest = self.manifest()
        closed = ring_named(manifest, "registered-fd-closed")
        doc, _ = self.g.json_of("fixed.json")
        rings = [r for r in doc["files"] if r["source"] == "uring-ring"]
        self.assertEqual([r["ring_inode"] for r in rings], [closed["inode"]])
        # Every other ring has an inode of its own.
        inodes = [r["inode"] for r in manifest["rings"]]
        self.assertEqual(len(set(inodes)), len(inodes), inodes)

    def test_sq_thread(self):
        manifest = self.manifest()
        sqpoll = ring_named(manifest, "sqpoll")
        tid = sqpoll["sq_thread"]
        self.assertEqual(self.g.text(f"fixed.comm.{tid}"), f"iou-sqp-{manifest['pid']}")
        doc, _ = self.g.json_of("fixed.json")
        by_ring = {}
        for row in doc["files"]:
            by_ring.setdefault(row["ring_inode"], set()).add(row["sq_thread"])
        self.assertEqual(by_ring[sqpoll["inode"]], {tid})
        for ring in manifest["rings"]:
            if ring["name"] != "sqpoll":
                self.assertEqual(by_ring[ring["inode"]], {None}, ring["name"])

    def test_table_raw(self):
        manifest = self.manifest()
        status, out, err = self.g.command("fixed.raw")
        self.assertEqual(status, 0, err)
        self.assertNotIn(b"\x1b", out)
        self.assertNotIn(b"\xff", out)
        self.assertIn(b"with\\x0anewline", out)
        lines = out[:-1].split(b"\n")
        expected = expected_hidden_rows(manifest)
        self.assertEqual(len(lines), len(expected), out)
        pid = str(manifest["pid"]).encode()
        got = {}
        for line in lines:
            fields = line.split(b" ")
            self.assertEqual(len(fields), 4, line)
            self.assertEqual(fields[0], pid, line)
            got.setdefault((fields[1].decode(), fields[2].decode()), []).append(
                unescape_hex(fields[3]))
        doc, _ = self.g.json_of("fixed.json")
        want = {}
        for row in doc["files"]:
            raw = bytes.fromhex(row["path_raw"]) if row["path_raw"] else row["path"].encode()
            slot = "" if row["slot"] is None else str(row["slot"])
            want.setdefault((row["source"], slot), []).append(raw)
        self.assertEqual({k: sorted(v) for k, v in got.items()},
                         {k: sorted(v) for k, v in want.items()})

    def test_table_default(self):
        manifest = self.manifest()
        status, out, err = self.g.command("fixed.table")
        self.assertEqual(status, 0, err)
        self.assertNotIn(b"\x1b", out)
        for escaped in (b"with\\x1besc", b"with\\x0anewline", b"with\\x09tab",
                        b"with\\xffbyte"):
            self.assertIn(escaped, out)
        lines = out.rstrip(b"\n").split(b"\n")
        self.assertEqual(lines[0].split(), [b"COMMAND", b"PID", b"USER", b"SOURCE", b"HIDDEN",
                                            b"FD", b"RING-FD", b"SLOT", b"TYPE", b"PATH"])
        self.assertEqual(len(lines), 1 + len(expected_hidden_rows(manifest)), out)

    def test_all_sources(self):
        manifest = self.manifest()
        doc, err = self.g.json_of("fixed.all")
        rows = doc["files"]
        self.assert_rows(expected_hidden_rows(manifest),
                         [r for r in rows if r["source"] in ("uring-fixed", "uring-ring")],
                         "lshidden -a -J -p PID")
        by_fd = {r["fd"]: r for r in rows if r["source"] == "fd"}
        for ring in manifest["rings"]:
            if ring["fd"] is None:
                continue
            want = {"ring_fd": ring["fd"], "ring_inode": ring["inode"], "slot": None,
                    "path": "anon_inode:[io_uring]", "type": "anon",
                    "sq_thread": ring["sq_thread"], "user_bufs": ring["user_bufs"]}
            row = by_fd.get(ring["fd"])
            self.assertIsNotNone(row, f"no fd row for ring {ring['name']}")
            self.assertEqual(want, {k: row[k] for k in want}, ring["name"])
        exe = [r for r in rows if r["source"] == "exe"]
        self.assertEqual([r["path"] for r in exe], ["/bin/uring_holder"])

    def test_all_from_the_kernel_view(self):
        # -a of every process (no -p): each fd's row comes from the kernel
        # view's read of the fd tables, each ring's details and fixed files
        # from its listing; fdinfo is not read.  The rows are /proc's
        # (fixed.all), made exact.
        manifest = self.manifest()
        doc, err = self.g.json_of("fixed.all-deep")
        rows = [r for r in doc["files"] if r["pid"] == manifest["pid"]]
        proc, _ = self.g.json_of("fixed.all")
        fds = {r["fd"]: r for r in rows if r["source"] == "fd"}
        proc_fds = {r["fd"]: r for r in proc["files"] if r["source"] == "fd"}
        self.assertEqual(sorted(fds), sorted(proc_fds))
        same = ("path", "type", "dev", "inode", "deleted", "ring_fd", "ring_inode", "sq_thread",
                "user_bufs")
        for fd, row in fds.items():
            self.assertEqual((row["method"], row["identity"]), ("bpf", "kernel"), row)
            self.assertEqual({k: row[k] for k in same}, {k: proc_fds[fd][k] for k in same})
        for ring in manifest["rings"]:
            if ring["fd"] is not None:
                self.assertEqual((fds[ring["fd"]]["sq_thread"], fds[ring["fd"]]["user_bufs"]),
                                 (ring["sq_thread"], ring["user_bufs"]), ring["name"])
        self.assert_rows(deep_hidden_rows(manifest, DeepFacts(self.g, "fixed.mountinfo")),
                         [r for r in rows if r["source"] in ("uring-fixed", "uring-ring")],
                         "lshidden -a --deep -J")

    def test_whole_system(self):
        # Without -p: the helper is the only process with rings.
        manifest = self.manifest()
        doc, err = self.g.json_of("fixed.every")
        self.assertEqual(doc["warnings"], [], err)
        self.assert_rows(expected_hidden_rows(manifest), doc["files"], "lshidden -J")

    def test_helper_exits_cleanly(self):
        status, err = self.g.get("fixed.holder-exit")
        self.assertEqual(status, 0, err.decode(errors="replace"))

    def test_deep(self):
        # The kernel's own tables: what /proc lists, made exact, plus the
        # files of the ring whose fd was closed, whose table /proc cannot
        # read.
        manifest = self.manifest()
        doc, err = self.g.json_of("fixed.deep")
        self.assertEqual(doc["warnings"], [], err)
        proc, _ = self.g.json_of("fixed.json")
        closed = ring_named(manifest, "registered-fd-closed")
        closed_files = {("uring-fixed", closed["inode"], f["slot"]) for f in closed["files"]}
        self.assertTrue(closed_files)
        self.assertEqual({row_key(r) for r in doc["files"]},
                         {row_key(r) for r in proc["files"]} | closed_files)
        self.assert_rows(deep_hidden_rows(manifest, DeepFacts(self.g, "fixed.mountinfo")),
                         doc["files"], "lshidden --deep -J -p PID")

    def test_default_is_the_kernel_view(self):
        # As root, with no option: every fixed file by its full path, as
        # --deep gives it; --no-deep (fixed.json) gives the last component.
        doc, err = self.g.json_of("fixed.default")
        deep, _ = self.g.json_of("fixed.deep")
        self.assertEqual((doc, err), (deep, ""))
        fixed = [r for r in doc["files"] if r["source"] == "uring-fixed"]
        self.assertTrue(fixed)
        for row in fixed:
            self.assertEqual((row["path_complete"], row["method"], row["identity"]),
                             (True, "bpf", "kernel"), row)
        proc, _ = self.g.json_of("fixed.json")
        named = [r for r in proc["files"] if r["source"] == "uring-fixed"
                 and not r["path"].startswith(("socket:", "pipe:", "anon_inode:"))]
        self.assertTrue(named)
        self.assertEqual({(r["path_complete"], r["method"]) for r in named}, {(False, "procfs")})

    def test_deep_without_btf(self):
        # Required, it cannot run: status 2, one line, nothing listed.
        status, out, err = self.g.command("fixed.nobtf")
        self.assertEqual((status, out), (2, b""), err)
        self.assertEqual(err.splitlines(), [Contains("--deep: the kernel view cannot run: no "
                                                     "kernel BTF (/nonexistent:")])
        # By default: /proc's rows, and one line, since fixed files are then
        # named by their last component only.
        doc, err = self.g.json_of("fixed.nobtf-default")
        proc, _ = self.g.json_of("fixed.json")
        self.assertEqual(doc["files"], proc["files"])
        self.assertEqual([w["reason"] for w in doc["warnings"]],
                         [Contains("the kernel view is not loaded (no kernel BTF")])
        self.assertIn("fixed files are named by path only", doc["warnings"][0]["reason"])


NO_MMAP_KERNEL = (6, 5)


def needs_kernel(version, feature):
    """Marks a test that means nothing on a series older than version: it
    is left out of that series' run (see load_tests), not skipped, since
    the series can never run it; what the old kernel does instead is a test
    of its own."""
    def mark(test):
        test.needs_kernel = (version, feature)
        return test
    return mark


def load_tests(loader, tests, pattern):
    """The tests of this module that apply to KERNEL's series."""
    series = tuple(int(x) for x in KERNEL.split("."))
    suite = unittest.TestSuite()
    for test in iter_tests(tests):
        need = getattr(getattr(test, test._testMethodName, None), "needs_kernel", None)
        if need and series < need[0]:
            print(f"not applicable on Linux {KERNEL}: {test.id()} (needs {need[1]}, "
                  f"Linux {need[0][0]}.{need[0][1]}+)", file=sys.stderr)
            continue
        suite.addTest(test)
    return suite


def iter_tests(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from iter_tests(test)
        else:
            yield test


class NoMmapRingTest(KernelTest):
    """uring_holder no-mmap-registered-only: a ring set up with
    IORING_SETUP_NO_MMAP | REGISTERED_FD_ONLY (Linux 6.5+) has no fd and no
    mapping, so /proc shows nothing of it; --deep finds it in the task's
    registered rings.  Older kernels refuse the flags, and the helper says
    so."""

    NO_MMAP = NO_MMAP_KERNEL

    def manifest(self):
        self.require(self.NO_MMAP, "IORING_SETUP_NO_MMAP")
        manifest = json.loads(self.g.data("nommap.manifest"))
        ring = ring_named(manifest, "no-mmap-registered-only")
        self.assertEqual((ring["fd"], ring["mapped"], ring["files_listable"]),
                         (None, False, False))
        return manifest

    def test_helper(self):
        if self.g.version() >= self.NO_MMAP:
            status, err = self.g.get("nommap.holder-exit")
            self.assertEqual(status, 0, err)
            return
        self.assertFalse(self.g.has("nommap.manifest"))
        status, err = self.g.get("nommap.holder-err")
        self.assertEqual(status, 1, err)
        self.assertIn(b"io_uring_setup(NO_MMAP | REGISTERED_FD_ONLY) (needs Linux 6.5+): "
                      b"Invalid argument", err)

    @needs_kernel(NO_MMAP_KERNEL, "IORING_SETUP_NO_MMAP")
    def test_proc_shows_nothing(self):
        self.manifest()
        doc, err = self.g.json_of("nommap.json", status=1)
        self.assertEqual((doc["files"], doc["warnings"]), ([], []), err)

    @needs_kernel(NO_MMAP_KERNEL, "IORING_SETUP_NO_MMAP")
    def test_deep(self):
        manifest = self.manifest()
        doc, err = self.g.json_of("nommap.deep")
        self.assertEqual(doc["warnings"], [], err)
        rings = [r for r in doc["files"] if r["source"] == "uring-ring"]
        self.assertEqual(len(rings), 1, doc["files"])
        inode = rings[0]["ring_inode"]
        self.assertIsInstance(inode, int)
        # The manifest cannot know the ring's anon inode (nothing to fstat).
        facts = DeepFacts(self.g, "fixed.mountinfo")
        ring = {**ring_named(manifest, "no-mmap-registered-only"), "inode": inode,
                "dev": facts.anon_dev}
        self.assert_rows(deep_hidden_rows({**manifest, "rings": [ring]}, facts), doc["files"],
                         "lshidden --deep -J -p PID")
        files = sorted((r["slot"], r["path"].rsplit("/", 2)[1:], r["deleted"])
                       for r in doc["files"] if r["source"] == "uring-fixed")
        ring_dir = "no-mmap-registered-only"
        self.assertEqual(files, [(0, [ring_dir, "kept"], False),
                                 (2, [ring_dir, "deleted file"], True)])


class UnprivilegedTest(KernelTest):
    """uid 65534, on a ring of its own (uring_holder mixed-types): it cannot
    load BPF programs; by default it lists what /proc shows and says so
    once, with --deep it fails."""

    def test_deep_needs_privileges(self):
        manifest = json.loads(self.g.data("nobody.manifest"))
        proc, err = self.g.json_of("nobody.json")
        self.assertEqual((proc["warnings"], err), ([], ""))
        expected = {key: {**row, "uid": 65534, "user": "nobody"}
                    for key, row in expected_hidden_rows(manifest).items()}
        self.assert_rows(expected, proc["files"], "lshidden -J -p PID as nobody")
        # By default it cannot load the view; nobody's own fixed files are
        # then named by path only, and one line says so.
        doc, err = self.g.json_of("nobody.default")
        self.assertEqual(doc["files"], proc["files"])
        self.assertEqual([w["reason"] for w in doc["warnings"]],
                         [Contains("the kernel view is not loaded (loading BPF programs needs "
                                   "root, or CAP_BPF and CAP_PERFMON)")])
        self.assertEqual(len(err.splitlines()), 1, err)
        status, out, err = self.g.command("nobody.deep")
        self.assertEqual((status, out), (2, b""), err)
        self.assertEqual(err.splitlines(), [Contains("--deep: the kernel view cannot run: "
                                                     "loading BPF programs needs root")])

    def test_helper_exits_cleanly(self):
        status, err = self.g.get("nobody.holder-exit")
        self.assertEqual(status, 0, err.decode(errors="replace"))


class FuseTest(KernelTest):
    """A FUSE passthrough server (Linux 6.9+) with a backing id for each
    file of a tmpfs (--preregister), and a client with one file open: the
    kernel holds those backing files with no fd anywhere, and no released
    kernel lists them, but --deep reads the connection's table.  Without
    passthrough the server serves reads itself; --deep then has nothing to
    find and must say nothing."""

    PASSTHROUGH = (6, 9)
    BACK = "/mnt/fuse/back"

    def passthrough(self):
        return self.g.version() >= self.PASSTHROUGH

    def server_name(self):
        return "fuse-pt" if self.passthrough() else "fuse-plain"

    def server(self):
        return json.loads(self.g.data(self.server_name() + ".manifest"))

    def test_setup(self):
        g = self.g
        if os.path.exists(os.path.join(g.kernel_dir, "fuse.ko")):
            status, _, err = g.command("fuse.insmod")
            self.assertEqual(status, 0, err)
        self.assertEqual(g.text("fuse.devnode"), "character special file a:e5")
        self.assertEqual(g.command("fuse.tmpfs")[0], 0)
        if not self.passthrough():
            status, err = g.get("fuse-pt.holder-err")
            self.assertEqual(status, 1, err)
            self.assertIn(b"the kernel did not offer FUSE passthrough", err)
        server = self.server()
        self.assertEqual(server["passthrough"], self.passthrough())
        self.assertEqual(sorted(b["name"] for b in server["backing"]), ["alpha", "beta"])

    def test_server_exits_cleanly(self):
        g = self.g
        status, err = g.get(self.server_name() + ".holder-exit")
        self.assertEqual(status, 0, err)
        stats = re.search(rb"^fuse_pt_server: stats (\{.*\})$", err, re.MULTILINE)
        self.assertIsNotNone(stats, err)
        stats = json.loads(stats.group(1))
        self.assertEqual(stats["passthrough_opens"], 1 if self.passthrough() else 0, stats)
        # Nothing of it is left for the scenarios after it.
        self.assertNotRegex(g.text("fuse.connections-after"), r"(?m)^\d+$")

    def backing_rows(self):
        """The hidden rows of the server's backing files: one per backing
        id, and the backing file the kernel opened for the client's file."""
        server = self.server()
        common = {**process_fields(server["pid"], "fuse_pt_server"), "source": "fuse-backing",
                  "hidden": True, "fd": None, "ring_fd": None, "ring_inode": None, "slot": None,
                  "type": "REG", "path_raw": None, "path_complete": True, "deleted": False,
                  "mount_id": mountinfo(self.g.text("fuse.mountinfo"))[self.BACK],
                  "mountpoint": self.BACK, "fuse_connection": server["connection"],
                  "fuse_mount": server["mountpoint"], "method": "bpf"}
        rows = [{**common, "backing_id": b["backing_id"], "path": b["path"], "dev": b["dev"],
                 "inode": b["inode"], "note": None} for b in server["backing"]]
        self.assertEqual(len({r["backing_id"] for r in rows}), 2, rows)
        alpha = next(b for b in server["backing"] if b["name"] == "alpha")
        client = self.g.text("fuse.client-pid")
        rows.append({**common, "backing_id": None, "path": alpha["path"], "dev": alpha["dev"],
                     "inode": alpha["inode"], "note": Contains(f"PID {client}")})
        return rows

    def assert_nothing(self, name):
        doc, err = self.g.json_of(name, status=1)
        self.assertEqual((doc["files"], doc["warnings"]), ([], []), err)

    def test_without_deep(self):
        if not self.passthrough():
            self.assert_nothing("fuse.json")
            return
        conn = self.server()["connection"]
        doc, err = self.g.json_of("fuse.json", status=1)
        self.assertEqual(doc["files"], [])
        self.assertEqual([(w["path"], w["reason"]) for w in doc["warnings"]],
                         [(f"/sys/fs/fuse/connections/{conn}/backing_files",
                           Contains(f"connection {conn} cannot be shown"))], err)

    def test_deep(self):
        if not self.passthrough():
            self.assert_nothing("fuse.deep")
            return
        doc, err = self.g.json_of("fuse.deep")
        self.assertEqual(doc["warnings"], [], err)
        self.assert_rows_match(self.backing_rows(), doc["files"], "lshidden --deep -J")

    def test_mount(self):
        if not self.passthrough():
            self.assert_nothing("fuse.mount")
            self.assert_nothing("fuse.mount-deep")
            return
        server = self.server()
        # Only a possible holder without the kernel view: possibly held (3).
        doc, err = self.g.json_of("fuse.mount", status=3)
        self.assert_rows_match([{"holder": "fuse", "possible": True,
                                 "fuse_connection": server["connection"],
                                 "object": f"FUSE connection {server['connection']}"}],
                               doc["files"], f"lshidden --mount {self.BACK} -J")
        doc, err = self.g.json_of("fuse.mount-deep")
        self.assertEqual(doc["warnings"], [], err)
        self.assert_rows_match([as_holder(r, "fuse", False) for r in self.backing_rows()],
                               doc["files"], f"lshidden --mount {self.BACK} --deep -J")


class FuseMapTest(KernelTest):
    """A FUSE passthrough file only a mapping holds (fuse_pt_server
    --close-after-open, mount_holder mmap): the client closed its fd and the
    server its backing id, and umount of the backing tmpfs fails.  The
    kernel view names the backing file; /proc cannot."""

    BACK = "/mnt/fusemap/back"

    @needs_kernel(FuseTest.PASSTHROUGH, "FUSE passthrough")
    def test_held_by_the_mapping(self):
        g = self.g
        server = json.loads(g.data("fusemap-server.manifest"))
        client = json.loads(g.data("fusemap-client.manifest"))
        self.assertTrue(server["passthrough"], server)
        status, _, err = g.command("fusemap.umount")
        self.assertNotEqual(status, 0, "umount of the backing tmpfs succeeded")
        self.assertIn("busy", err)
        dev, ino = g.text("fusemap.stat").split()
        doc, err = g.json_of("fusemap.default")
        self.assert_rows_match(
            [{"holder": "fuse", "source": "fuse-backing", "possible": False,
              "effect": "blocks-umount", "method": "bpf", "pid": server["pid"],
              "path": f"{self.BACK}/gamma", "dev": dev_string(int(dev)), "inode": int(ino),
              "mount_id": mountinfo(g.text("fusemap.mountinfo"))[self.BACK],
              "note": f"backing file of a passthrough file mapped by PID {client['pid']}, "
                      "held by that mapping alone"}],
            doc["files"], f"lshidden --mount {self.BACK} -J")
        doc, err = g.json_of("fusemap.procfs", status=3)
        self.assertTrue(all(r["possible"] for r in doc["files"]), doc["files"])

    def test_helpers_exit_cleanly(self):
        for name in ("fusemap-client", "fusemap-server"):
            if self.g.has(name + ".holder-exit"):
                status, err = self.g.get(name + ".holder-exit")
                self.assertEqual(status, 0, err.decode(errors="replace"))


class MountTest(KernelTest):
    """lshidden --mount on a tmpfs held in every way the guest can make."""

    M = "/mnt/m"

    def facts(self):
        g = self.g
        points = mountinfo(g.text("mount.mountinfo"))
        stat = {}
        for name in ("open-file", "cwd", "backing", "interp", "sub"):
            dev, ino = g.text(f"mount.stat.{name}").split()
            stat[name] = (dev_string(int(dev)), int(ino))
        ns = g.text("mount.ns")
        return {"mount_id": points[self.M], "sub_id": points[f"{self.M}/sub"], "stat": stat,
                "ns_mount_id": mountinfo(g.text("mount.ns-mountinfo"))[self.M],
                "fd_pid": int(g.text("mount.fd-pid")), "cwd_pid": int(g.text("mount.cwd-pid")),
                "ns_pid": int(g.text("mount.ns-pid")),
                "ns": int(re.fullmatch(r"mnt:\[(\d+)\]", ns).group(1)),
                "uring": json.loads(g.data("mount.manifest")),
                "elsewhere": json.loads(g.data("elsewhere.manifest"))}

    @staticmethod
    def uring_rows(uring):
        """Without --deep, on these kernels: every fixed file of every ring
        and every ring with no fd might hold the mount."""
        rows = []
        for ring in uring["rings"]:
            if not ring["files_listable"]:
                rows.append(as_holder(fdless_ring_row(uring, ring), "io_uring", True))
                continue
            for file in ring["files"]:
                rows.append(as_holder(old_fixed_row(uring, ring, file), "io_uring", True))
        return rows

    def deep_uring_rows(self, uring):
        """With --deep: the fixed files on the mount, certain, with no row
        for their rings."""
        facts = DeepFacts(self.g, "mount.mountinfo")
        return [as_holder(deep_fixed_row(uring, ring, file, facts), "io_uring", False)
                for ring in uring["rings"] for file in ring["files"]]

    def expected(self, f, deep=False):
        M = self.M
        holder = {"effect": "blocks-umount", "possible": False}
        process = {**holder, "holder": "process", "uid": 0, "user": "root", "hidden": False,
                   "ring_fd": None, "slot": None, "path_raw": None, "path_complete": True,
                   "deleted": False, "mount_id": f["mount_id"], "mountpoint": M}
        rows = [
            {**process, "pid": f["fd_pid"], "command": "sleep", "source": "fd", "fd": 3,
             "type": "REG", "path": f"{M}/open file", "dev": f["stat"]["open-file"][0],
             "inode": f["stat"]["open-file"][1]},
            {**process, "pid": f["cwd_pid"], "command": "sleep", "source": "cwd", "fd": None,
             "type": "DIR", "path": f"{M}/cwd", "dev": f["stat"]["cwd"][0],
             "inode": f["stat"]["cwd"][1]},
        ]
        if deep:
            rows += self.deep_uring_rows(f["uring"])
        else:
            rows += self.uring_rows(f["uring"]) + self.uring_rows(f["elsewhere"])
        kernel = {**holder, "pid": None, "fd": None, "hidden": False, "path_complete": True,
                  "mount_id": f["mount_id"], "mountpoint": M}
        rows += [
            {**kernel, "holder": "loop", "source": "loop", "path": f"{M}/backing.img",
             "object": "/dev/loop0", "dev": f["stat"]["backing"][0],
             "inode": f["stat"]["backing"][1]},
            {**kernel, "holder": "binfmt_misc", "source": "binfmt_misc", "path": f"{M}/interp",
             "object": "binfmt_misc:lshtest", "type": "REG", "dev": f["stat"]["interp"][0],
             "inode": f["stat"]["interp"][1]},
            {**kernel, "holder": "submount", "source": "submount", "path": f"{M}/sub",
             "object": f"{M}/sub", "mount_id": f["sub_id"], "mountpoint": f"{M}/sub",
             "dev": f["stat"]["sub"][0]},
            {"holder": "mount-namespace", "source": "mount-namespace", "effect": "keeps-alive",
             "possible": False, "mnt_ns": f["ns"], "pid": f["ns_pid"], "command": "sleep",
             "fd": None, "object": f"mnt:[{f['ns']}] pids {f['ns_pid']}", "path": M,
             "mount_id": f["ns_mount_id"], "mountpoint": M, "dev": f["stat"]["open-file"][0]},
        ]
        return rows

    def test_setup(self):
        # Each holder was really made.
        g = self.g
        for name in ("mount.tmpfs", "mount.insmod-loop", "mount.losetup",
                     "mount.insmod-binfmt", "mount.binfmt-mount", "mount.binfmt-register",
                     "mount.submount"):
            status, _, err = g.command(name)
            self.assertEqual(status, 0, f"{name}: {err}")
        self.assertIn(f"interpreter {self.M}/interp", g.text("mount.binfmt-entry"))
        self.assertNotEqual(g.text("mount.ns"), "")
        status, _, err = g.command("mount.umount")
        self.assertNotEqual(status, 0, "umount succeeded: the holders do not hold the mount")
        self.assertIn("busy", err)

    def test_json(self):
        f = self.facts()
        expected = self.expected(f)
        for name, what in (("mount.json", self.M), ("mount.json-inside", f"{self.M}/inside")):
            doc, err = self.g.json_of(name)
            self.assertEqual(doc["warnings"], [], err)
            self.assert_rows_match(expected, doc["files"], f"lshidden --mount {what} -J")

    def test_deep(self):
        # The mount's fixed files are certain holders, the rings' own rows
        # and the files elsewhere are gone.
        f = self.facts()
        doc, err = self.g.json_of("mount.deep")
        self.assertEqual(doc["warnings"], [], err)
        self.assert_rows_match(self.expected(f, deep=True), doc["files"],
                               f"lshidden --mount {self.M} --deep -J")
        self.assertNotIn(f["elsewhere"]["pid"], [r["pid"] for r in doc["files"]])
        # The default, as root, is the kernel view: the same answer.
        default, err = self.g.json_of("mount.default")
        self.assertEqual(default, doc, err)

    def test_table(self):
        f = self.facts()
        status, out, err = self.g.command("mount.table")
        self.assertEqual(status, 0, err)
        lines = [l for l in out.decode(errors="replace").split("\n") if l.strip()]
        summary = lines[-1]
        self.assertTrue(summary.startswith(f"{self.M} is held by "), summary)
        for regex in (r"\b1 loop device\b", r"\b1 other namespace\b"):
            self.assertRegex(summary, regex)

        status, out, err = self.g.command("mount.raw")
        self.assertEqual(status, 0, err)
        lines = [l for l in out.decode(errors="replace").split("\n") if l]
        self.assertTrue(lines[-1].startswith(f"{self.M} is held by "), lines[-1])
        got = sorted(tuple(l.split(" ")) for l in lines[:-1])
        want = sorted((w["holder"], w["source"], w["effect"], "yes" if w["possible"] else "no",
                       "" if w["pid"] is None else str(w["pid"])) for w in self.expected(f))
        self.assertEqual(got, want)

    def test_journal(self):
        f = self.facts()
        status, out, err = self.g.command("mount.journal")
        self.assertEqual(status, 0, err)
        lines = out.decode(errors="replace").rstrip("\n").split("\n")
        self.assertEqual(len(lines), len(self.expected(f)), out)
        for line in lines:
            self.assertTrue(line.startswith(f"lshidden: {self.M}: held by "), line)
        text = "\n".join(lines)
        for ident in ("/dev/loop0", "lshtest", f"{self.M}/sub", str(f["ns"]),
                      str(f["fd_pid"]), str(f["cwd_pid"]), str(f["uring"]["pid"])):
            self.assertIn(ident, text)


def main():
    global KERNEL
    argv = list(sys.argv)
    if "--kernel" in argv:
        i = argv.index("--kernel")
        KERNEL = argv[i + 1]
        del argv[i:i + 2]
    if KERNEL not in SERIES:
        sys.exit(f"usage: {argv[0]} --kernel {{{','.join(SERIES)}}} [unittest options]")
    run_tests(argv=argv)


if __name__ == "__main__":
    main()
