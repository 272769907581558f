"""Live: lshidden --prometheus served by a real node_exporter.

Debian's prometheus-node-exporter runs here on a free loopback port with
only its textfile collector, reading a scratch directory that the shipped
packaging/systemd/lshidden-textfile.service command (or the test itself)
writes atomically while a real io_uring ring runs; the scrape must carry
exactly the helper's fixed files.  --mount of a tmpfs held by a process's
cwd runs in a private mount namespace.  promtool checks the text and the
README's alert rule.

Needs root.  Environment: LSHIDDEN, LSHIDDEN_HELPERS, LSHIDDEN_README (see
tests/pylib/lshidden_test.py).
"""
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from lshidden_test import (HelperProcess, env_path, is_root, lshidden_path, need_tools,
                           parse_prometheus, prometheus_family, promtool_check_metrics,
                           run_command, run_tests)

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = os.path.join(HERE, "..", "..", "packaging", "systemd")
NODE_EXPORTER = "prometheus-node-exporter"
WAIT_SECONDS = 30
HOLDERS = "lshidden_mount_holders", "mountpoint", "holder", "effect", "possible"


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def textfile_command(lshidden):
    """The ExecStart of lshidden-textfile.service as argv, the way systemd
    hands it over ($$ is a literal $), with the installed binary's path
    replaced by lshidden."""
    with open(os.path.join(UNITS, "lshidden-textfile.service"), encoding="utf-8") as f:
        (line,) = [l for l in f if l.startswith("ExecStart=")]
    argv = [a.replace("$$", "$") for a in shlex.split(line[len("ExecStart="):])]
    return [a.replace("/usr/local/bin/lshidden", shlex.quote(lshidden)) for a in argv]


# A tmpfs on $1, held by the cwd of a sleep, in the private mount namespace
# this runs in; then lshidden --prometheus --mount $1 --mount / into $2, and
# a umount that must fail.  Every wait is bounded, and the sleep dies with
# the script.
HOLD_AND_MEASURE = r'''
set -eu
mount -t tmpfs -o size=1m lshtest "$1"
mkdir "$1/held"
(cd "$1/held" && exec sleep 120) &
holder=$!
trap 'kill $holder 2>/dev/null || true' EXIT
n=0
while [ "$(readlink /proc/$holder/cwd || true)" != "$1/held" ]; do
    n=$((n + 1)); [ $n -lt 200 ] || { echo "cwd never set" >&2; exit 1; }
    sleep 0.05
done
echo "holder $holder"
"$LSHIDDEN" --prometheus --mount "$1" --mount / >"$2"
if umount "$1" 2>/dev/null; then echo "umount succeeded"; else echo "umount busy"; fi
'''


@unittest.skipUnless(is_root(), "live tests need root")
class PrometheusLiveTest(unittest.TestCase):
    maxDiff = None

    def scratch(self):
        tmp = tempfile.TemporaryDirectory(prefix="lshidden-prom-")
        self.addCleanup(tmp.cleanup)
        return tmp.name

    # -- node_exporter ------------------------------------------------------------

    def start_node_exporter(self, textfile_dir):
        """node_exporter on 127.0.0.1 with only the textfile collector;
        killed with the test.  Returns its port."""
        need_tools(self, NODE_EXPORTER)
        for _ in range(5):  # another listener may take the port first
            port = free_port()
            log = tempfile.TemporaryFile()
            self.addCleanup(log.close)
            proc = subprocess.Popen(
                [shutil.which(NODE_EXPORTER), f"--web.listen-address=127.0.0.1:{port}",
                 "--collector.disable-defaults", "--collector.textfile",
                 f"--collector.textfile.directory={textfile_dir}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            self.addCleanup(proc.wait, 10)
            self.addCleanup(proc.kill)
            if self.wait_ready(proc, port):
                return port
        log.seek(0)
        self.fail(f"node_exporter did not start: {log.read().decode(errors='replace')}")

    def wait_ready(self, proc, port):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                self.scrape(port)
                return True
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        self.fail(f"node_exporter answered nothing on port {port} in {WAIT_SECONDS}s")

    @staticmethod
    def scrape(port):
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")

    def scrape_textfile(self, port, textfile_dir):
        """The scrape's samples, after checking the collector read our file."""
        samples = parse_prometheus(self.scrape(port))
        self.assertEqual(prometheus_family(samples, "node_textfile_scrape_error"), {(): 0.0})
        files = prometheus_family(samples, "node_textfile_mtime_seconds", "file")
        self.assertEqual([os.path.basename(f) for (f,) in files], ["lshidden.prom"])
        self.assertEqual(os.listdir(textfile_dir), ["lshidden.prom"], "a temporary file is left")
        return samples

    # -- writers --------------------------------------------------------------------

    def run_textfile_unit(self, textfile_dir, *options):
        """What lshidden-textfile.service runs, with its Environment= set to
        textfile_dir and options."""
        env = dict(os.environ, TEXTFILE_DIR=textfile_dir, LSHIDDEN_OPTIONS=" ".join(options))
        result = run_command(textfile_command(lshidden_path()), env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(textfile_dir, "lshidden.prom"), encoding="utf-8") as f:
            text = f.read()
        promtool_check_metrics(self, text)
        return text

    def hold_tmpfs(self, textfile_dir):
        """Runs HOLD_AND_MEASURE in a private mount namespace; the metrics
        are renamed into textfile_dir.  Returns (mount point, holder pid,
        metrics text)."""
        need_tools(self, "unshare")
        mnt = tempfile.mkdtemp(prefix="lshidden-prom-mnt-")
        self.addCleanup(os.rmdir, mnt)  # the mount died with its namespace
        tmp = os.path.join(textfile_dir, "lshidden.prom.tmp")
        result = run_command(["unshare", "-m", "--propagation", "private", "sh", "-c",
                              HOLD_AND_MEASURE, "sh", mnt, tmp],
                             env=dict(os.environ, LSHIDDEN=lshidden_path()), cwd="/")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.split("\n")
        self.assertIn("umount busy", lines, "the cwd does not hold the tmpfs")
        (pid,) = [int(l.split()[1]) for l in lines if l.startswith("holder ")]
        with open(tmp, encoding="utf-8") as f:
            text = f.read()
        os.rename(tmp, os.path.join(textfile_dir, "lshidden.prom"))
        return mnt, pid, text

    # -- the tests ------------------------------------------------------------------

    def test_node_exporter_serves_hidden_files(self):
        textfile_dir = self.scratch()
        port = self.start_node_exporter(textfile_dir)
        helper = HelperProcess("uring_holder", ["sparse-table"])
        manifest = helper.start()
        self.addCleanup(helper.stop)
        (ring,) = manifest["rings"]
        self.assertTrue(ring["files_listable"])
        want = float(len(ring["files"]))
        self.assertGreater(want, 0)

        # Per command, this helper alone (other tests' rings may run).
        self.run_textfile_unit(textfile_dir, "-p", str(helper.pid))
        samples = self.scrape_textfile(port, textfile_dir)
        self.assertEqual(prometheus_family(samples, "lshidden_hidden_files", "source", "command"),
                         {("uring-fixed", "uring_holder"): want})
        self.assertEqual(prometheus_family(samples, "lshidden_processes", "state")[("inspected",)],
                         1.0)

        # Every process, with pids: the helper's own sample is exact.
        self.run_textfile_unit(textfile_dir, "--prometheus-pids")
        samples = self.scrape_textfile(port, textfile_dir)
        by_pid = prometheus_family(samples, "lshidden_hidden_files", "source", "command", "pid")
        self.assertEqual(by_pid[("uring-fixed", "uring_holder", str(helper.pid))], want)
        self.assertNotIn(("uring-ring", "uring_holder", str(helper.pid)), by_pid)
        self.assertEqual(prometheus_family(samples, "lshidden_kernel_view"), {(): 1.0})

    def test_mount_holders_of_a_held_tmpfs(self):
        textfile_dir = self.scratch()
        port = self.start_node_exporter(textfile_dir)
        mnt, _, text = self.hold_tmpfs(textfile_dir)
        promtool_check_metrics(self, text)
        holders = prometheus_family(self.scrape_textfile(port, textfile_dir), *HOLDERS)
        # The sleep's cwd, certain; other tests' rings with no fd may be
        # listed too, but only as possible holders.
        mine = {k: v for k, v in holders.items() if k[0] == mnt and k[3] == "false"}
        self.assertEqual(mine, {(mnt, "process", "blocks-umount", "false"): 1.0}, text)
        self.assertLessEqual({k[1] for k in holders if k[0] == mnt}, {"process", "io_uring", "fuse"},
                             text)
        # The other target of the same run.
        self.assertGreater(holders.get(("/", "process", "blocks-umount", "false"), 0), 0, text)

    def test_readme_alert_rule(self):
        need_tools(self, "promtool")
        with open(env_path("LSHIDDEN_README"), encoding="utf-8") as f:
            readme = f.read()
        section = readme[readme.index("## Prometheus"):]
        rules = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
        path = os.path.join(self.scratch(), "lshidden.rules.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(rules)
        result = run_command(["promtool", "check", "rules", path])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)


if __name__ == "__main__":
    run_tests()
