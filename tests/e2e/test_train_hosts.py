"""Multi-host jobs wait (bounded, with backoff) until every peer's name resolves."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Hosts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()

    def make_tree(self, hosts):
        tree = harness.Tree(hosts=hosts, current_host="algo-1")
        self.addCleanup(tree.cleanup)
        tree.script("import os\nopen(os.environ['SM_MODEL_DIR'] + '/ran', 'w').write('yes')\n")
        return tree

    def test_unresolvable_peer_fails_after_the_limit(self):
        tree = self.make_tree(["algo-1", "sagerun-no-such-host.invalid"])
        started = time.monotonic()
        result = harness.run_train(tree, {"SAGERUN_HOST_WAIT_SECONDS": "1"})
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(result.returncode, 75)
        self.assertIn("host sagerun-no-such-host.invalid did not resolve within 1 s", tree.read("output/failure"))
        self.assertIn(b"waiting for host sagerun-no-such-host.invalid", result.stderr)
        self.assertFalse(tree.exists("model/ran"))

    def test_sigterm_while_waiting_stops_at_once(self):
        tree = self.make_tree(["algo-1", "sagerun-no-such-host.invalid"])
        proc = subprocess.Popen([harness.TRAIN], env=harness.train_env(tree), stderr=subprocess.PIPE)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM)
        self.assertEqual(tree.read("output/failure").splitlines()[0], "stopped: SIGTERM before the script started")

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"), "needs root and unshare for a private /etc/hosts")
    def test_peer_that_appears_later_is_waited_for(self):
        tree = self.make_tree(["algo-1", "algo-2"])
        hosts = tempfile.NamedTemporaryFile("w", delete=False, suffix=".hosts")
        self.addCleanup(os.unlink, hosts.name)
        hosts.write("127.0.0.1 localhost\n")
        hosts.close()
        # A private mount namespace whose /etc/hosts is our file; algo-2 is added while train waits.
        proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                 'mount --bind "$0" /etc/hosts && exec "$1"', hosts.name, harness.TRAIN],
                                env=harness.train_env(tree), stderr=subprocess.PIPE)
        time.sleep(1.0)
        with open(hosts.name, "a") as f:
            f.write("127.0.0.2 algo-2\n")
        _, stderr = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, stderr.decode())
        self.assertIn(b"waiting for host algo-2", stderr)
        self.assertIn(b"all 2 hosts resolve", stderr)
        self.assertEqual(tree.read("model/ran"), "yes")


if __name__ == "__main__":
    harness.main()
