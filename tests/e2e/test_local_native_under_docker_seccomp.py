"""The native runtime where new namespaces are refused: `sagerun local` run inside a container
under Docker's default seccomp profile (which refuses them to an unprivileged process). It says
so once, plainly, and what the user loses; a one-host job still runs (as a plain process, its tree
where it lies); a job of several hosts fails to start, saying why and what to use instead.

The container is the test base image with this machine's /usr over its own (the same Debian, so
these binaries and their libraries run as built) and the build's binaries mounted."""
import json
import os
import shutil
import sys
import tarfile
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_images  # noqa: E402
import harness  # noqa: E402

SCRIPT = """\
import json, os
with open(os.path.join(os.environ["SM_MODEL_DIR"], "seen.json"), "w") as f:
    json.dump({"base": os.environ.get("SAGEMAKER_BASE_DIR"), "opt_ml": os.path.isdir("/opt/ml/input")}, f)
"""

WARNING = "warning: light containers are refused here ("


class NativeUnderSeccomp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        docker_images.ensure_test_image(harness.TRAIN)  # the base image, with it
        cls.label = "sagerun.job=e2e-native-seccomp-%d" % os.getpid()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="sagerun-seccomp-")
        self.addCleanup(shutil.rmtree, self.work, True)
        for folder in ("src", "data", "home"):
            os.makedirs(os.path.join(self.work, folder))
        with open(os.path.join(self.work, "src", "train.py"), "w") as f:
            f.write(SCRIPT)
        with open(os.path.join(self.work, "data", "train.csv"), "w") as f:
            f.write("1,2\n")
        self.addCleanup(docker_images.cleanup_containers, self.label)

    def sagerun_local(self, *args):
        binaries = os.path.dirname(os.path.realpath(harness.SAGERUN))
        return docker_images.docker(
            "run", "--rm", "--label", self.label, "--user", "%d:%d" % (os.getuid(), os.getgid()),
            "-v", "/usr:/usr:ro", "-v", binaries + ":/b:ro", "-v", self.work + ":/w",
            "-e", "HOME=/w/home", "-e", "SAGERUN_HOME=/w/home/store", "-e", "SAGERUN_TRAIN_BINARY=/b/train",
            "-e", "SAGERUN_PYTHON=/usr/bin/python3", "-w", "/w", docker_images.BASE_IMAGE,
            "/b/sagerun", "local", "--script", "./src", "--input", "training=./data", "--output-path", "./out",
            "--output", "json", *args, timeout=300)

    def test_one_host_runs_plainly_and_the_loss_is_said_once(self):
        result = self.sagerun_local("--job-name", "plain")
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr)
        self.assertEqual(json.loads(result.stdout)["TrainingJobStatus"], "Completed")
        self.assertEqual(stderr.count(WARNING), 1, stderr)
        warning = stderr[stderr.index(WARNING):].splitlines()[0]
        for said in ("Operation not permitted", "seccomp", "/opt/ml", "processes and files", "--runtime docker"):
            self.assertIn(said, warning)
        model = os.path.join(self.work, "out", "plain", "output", "model.tar.gz")
        with tarfile.open(model) as archive:
            seen = json.load(archive.extractfile("seen.json"))
        self.assertEqual(seen["base"], "/w/home/store/jobs/plain/hosts/algo-1")  # its tree where it lies
        self.assertFalse(seen["opt_ml"])

    def test_several_hosts_fail_to_start_saying_why(self):
        result = self.sagerun_local("--job-name", "two", "--instance-count", "2")
        self.assertEqual(result.returncode, 1, result.stderr)
        reason = json.loads(result.stdout)["FailureReason"]
        self.assertTrue(reason.startswith("ClientError: cannot start algo-1: a job of several hosts needs"), reason)
        self.assertIn("--runtime docker", reason)


if __name__ == "__main__":
    harness.main()
