"""The Docker test images: the base (debootstrap + `docker import`) has Python with numpy and
scikit-learn, the test image holds the very `train` this build produced, and that `train` runs a
training script in a container on a mounted /opt/ml tree.
"""
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_images  # noqa: E402
import harness  # noqa: E402

SCRIPT_OK = """\
import os, sys
import numpy, sklearn
print("argv:", sys.argv)
print("channel:", os.environ["SM_CHANNEL_TRAINING"])
with open("/opt/ml/model/ok", "w") as f:
    f.write("numpy %s sklearn %s" % (numpy.__version__, sklearn.__version__))
"""

SCRIPT_EXIT_3 = """\
import sys
print("about to fail", file=sys.stderr)
sys.exit(3)
"""


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class TestImages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        cls.image = docker_images.ensure_test_image(harness.TRAIN)
        cls.label = "sagerun.job=e2e-docker-images-%d" % os.getpid()

    def run_container(self, *args, timeout=300):
        result = docker_images.docker("run", "--rm", "--label", self.label, *args, timeout=timeout)
        self.addCleanup(docker_images.cleanup_containers, self.label)
        return result

    def assert_exit(self, result, code):
        self.assertEqual(result.returncode, code,
                         "stdout:\n%s\nstderr:\n%s" % (result.stdout.decode(errors="replace"),
                                                      result.stderr.decode(errors="replace")))

    def make_tree(self, script):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        if os.geteuid() != 0:
            # The container writes as root; hand the files back so that the tree can be removed.
            self.addCleanup(docker_images.docker, "run", "--rm", "-v", tree.root + ":/t", self.image,
                            "chown", "-R", "%d:%d" % (os.geteuid(), os.getegid()), "/t")
        tree.script(script)
        return tree

    def test_python_has_numpy_and_sklearn(self):
        result = self.run_container(self.image, "python3", "-c",
                                    "import numpy, scipy, sklearn; print(numpy.__version__, sklearn.__version__)")
        self.assert_exit(result, 0)
        self.assertRegex(result.stdout.decode(), r"^\d+\.\d+\.\d+ \d+\.\d+\.\d+\n$")

    def test_python_and_pip_are_on_path_as_in_the_framework_images(self):
        result = self.run_container(self.image, "sh", "-c", "python --version && pip --version")
        self.assert_exit(result, 0)
        self.assertRegex(result.stdout.decode(), r"^Python 3\.\d+\.\d+\npip \d+")

    def test_image_holds_this_train(self):
        expected = sha256_file(harness.TRAIN)
        result = self.run_container(self.image, "sha256sum", "/usr/local/bin/train")
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout.decode().split()[0], expected)
        inspected = docker_images.docker("image", "inspect", "-f", "{{.Config.WorkingDir}} {{.Config.Labels}}",
                                         self.image, check=True)
        self.assertIn("/opt/ml ", inspected.stdout.decode())
        self.assertIn("sagerun.train.sha256:" + expected, inspected.stdout.decode())

    def test_train_runs_script_on_mounted_tree(self):
        tree = self.make_tree(SCRIPT_OK)
        result = self.run_container("--network", "host", "-v", tree.root + ":/opt/ml", self.image, "train")
        self.assert_exit(result, 0)
        stdout = result.stdout.decode()
        self.assertIn("argv: ['train.py']", stdout)
        self.assertIn("channel: /opt/ml/input/data/training\n", stdout)
        self.assertTrue(tree.exists("model/ok"))
        self.assertRegex(tree.read("model/ok"), r"^numpy \S+ sklearn \S+$")
        self.assertTrue(tree.exists("output/success"))
        self.assertFalse(tree.exists("output/failure"))

    def test_train_reports_script_failure(self):
        tree = self.make_tree(SCRIPT_EXIT_3)
        result = self.run_container("--network", "host", "-v", tree.root + ":/opt/ml", self.image, "train")
        self.assert_exit(result, 3)
        self.assertEqual(tree.read("output/failure").splitlines()[0], "exit code 3")
        self.assertFalse(tree.exists("output/success"))

    def test_cleanup_containers_removes_labelled_ones(self):
        label = "sagerun.job=e2e-docker-cleanup-%d" % os.getpid()
        self.addCleanup(docker_images.cleanup_containers, label)
        for _ in range(2):
            docker_images.docker("create", "--label", label, self.image, "true", check=True)
        self.assertEqual(docker_images.cleanup_containers(label), 2)
        listed = docker_images.docker("ps", "-aq", "--filter", "label=" + label, check=True)
        self.assertEqual(listed.stdout.strip(), b"")


if __name__ == "__main__":
    harness.main()
