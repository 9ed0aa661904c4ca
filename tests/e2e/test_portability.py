"""`train` is statically linked so that it runs unchanged on whatever base image a user picks.

This suite runs the very binary the build produced inside a Debian 11 root (glibc 2.31, older than
the build machine's), with an empty environment, on a SageMaker tree inside that root.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT_SCRIPT = os.path.join(harness.SOURCE_DIR, "scripts", "debian11-root.sh")
ROOT_BUILD_TIMEOUT = 800  # a first build downloads and unpacks a base system; ctest allows 900 s
TRAIN_IN_ROOT = "/usr/local/bin/train"

SCRIPT_OK = """\
import os, sys
print("argv:", sys.argv)
print("channel:", os.environ["SM_CHANNEL_TRAINING"])
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
    f.write("trained")
"""

SCRIPT_EXIT_3 = """\
import sys
print("about to fail", file=sys.stderr)
sys.exit(3)
"""


class Debian11Root(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        if os.geteuid() != 0:
            raise unittest.SkipTest("building and entering a chroot needs root")
        # Progress goes to stderr and stays visible; the root's path is stdout's last line.
        built = subprocess.run([ROOT_SCRIPT], stdout=subprocess.PIPE, timeout=ROOT_BUILD_TIMEOUT)
        lines = built.stdout.decode().splitlines()
        if built.returncode != 0 or not lines:
            raise AssertionError(f"{ROOT_SCRIPT} failed with exit code {built.returncode}")
        cls.root = lines[-1]
        cls.train = cls.root + TRAIN_IN_ROOT
        os.makedirs(os.path.dirname(cls.train), exist_ok=True)
        shutil.copy2(harness.TRAIN, cls.train)

    @classmethod
    def tearDownClass(cls):
        # The cached root stays; only what this suite put into it goes.
        if os.path.exists(cls.train):
            os.remove(cls.train)

    def make_tree(self, script):
        """A SageMaker tree under ROOT/opt; returns (path on this machine, path inside the root)."""
        os.makedirs(os.path.join(self.root, "opt"), exist_ok=True)
        host_dir = tempfile.mkdtemp(prefix="ml-", dir=os.path.join(self.root, "opt"))
        self.addCleanup(shutil.rmtree, host_dir, ignore_errors=True)
        os.chmod(host_dir, 0o755)
        files = {
            "input/config/hyperparameters.json": json.dumps({"epochs": "3", "name": '"a b"'}),
            "input/config/inputdataconfig.json": json.dumps({"training": {"TrainingInputMode": "File"}}),
            "input/config/resourceconfig.json": json.dumps({"current_host": "algo-1", "hosts": ["algo-1"]}),
            "input/data/training/script/train.py": script,
        }
        for relative, content in files.items():
            path = os.path.join(host_dir, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(content)
        return host_dir, "/" + os.path.relpath(host_dir, self.root)

    def chroot(self, *argv, base_dir=None):
        env = ["PATH=/usr/local/bin:/usr/bin:/bin"] + ([f"SAGEMAKER_BASE_DIR={base_dir}"] if base_dir else [])
        return subprocess.run(["chroot", self.root, "/usr/bin/env", "-i", *env, *argv],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)

    def assert_exit(self, result, code):
        self.assertEqual(result.returncode, code,
                         f"stdout:\n{result.stdout.decode(errors='replace')}\n"
                         f"stderr:\n{result.stderr.decode(errors='replace')}")

    def test_root_has_glibc_2_31(self):
        result = self.chroot("/usr/bin/ldd", "--version")
        self.assert_exit(result, 0)
        first_line = result.stdout.decode().splitlines()[0]
        self.assertRegex(first_line, r" 2\.31$")
        self.assertTrue(os.path.exists(os.path.join(self.root, "lib/x86_64-linux-gnu/libc-2.31.so")))

    def test_version(self):
        result = self.chroot(TRAIN_IN_ROOT, "--version")
        self.assert_exit(result, 0)
        self.assertRegex(result.stdout.decode(), r"\d+\.\d+\.\d+")
        here = subprocess.run([harness.TRAIN, "--version"], stdout=subprocess.PIPE, timeout=30)
        self.assertEqual(result.stdout, here.stdout)

    def test_script_runs_and_succeeds(self):
        host_dir, base_dir = self.make_tree(SCRIPT_OK)
        result = self.chroot(TRAIN_IN_ROOT, base_dir=base_dir)
        self.assert_exit(result, 0)
        stdout = result.stdout.decode()
        self.assertIn("argv: ['train.py', '--epochs', '3', '--name', 'a b']", stdout)
        self.assertIn(f"channel: {base_dir}/input/data/training\n", stdout)
        self.assertTrue(os.path.exists(os.path.join(host_dir, "output/success")))
        with open(os.path.join(host_dir, "model/model.txt")) as f:
            self.assertEqual(f.read(), "trained")

    def test_script_exit_code_and_failure_file(self):
        host_dir, base_dir = self.make_tree(SCRIPT_EXIT_3)
        result = self.chroot(TRAIN_IN_ROOT, base_dir=base_dir)
        self.assert_exit(result, 3)
        with open(os.path.join(host_dir, "output/failure")) as f:
            failure = f.read()
        self.assertEqual(failure.splitlines()[0], "exit code 3")
        self.assertIn("about to fail", failure)
        self.assertFalse(os.path.exists(os.path.join(host_dir, "output/success")))


if __name__ == "__main__":
    harness.main()
