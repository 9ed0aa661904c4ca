"""requirements.txt and package folders are installed with pip, honouring pip's own settings
(here a local wheel folder with PIP_FIND_LINKS + PIP_NO_INDEX: no package index is reachable)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# A PEP 517 backend kept inside the project, so `pip install .` needs nothing from an index.
BACKEND = r'''
import base64, hashlib, os, zipfile

NAME, VERSION = "sagerun_pkg_marker", "1.0"

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {NAME + ".py": b"INSTALLED = 'from-package'\n",
             NAME + "-" + VERSION + ".dist-info/METADATA": b"Metadata-Version: 2.1\nName: sagerun-pkg-marker\nVersion: 1.0\n",
             NAME + "-" + VERSION + ".dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += "%s,sha256=%s,%d\n" % (path, digest, len(data))
    record += NAME + "-" + VERSION + ".dist-info/RECORD,,\n"
    name = NAME + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
        z.writestr(NAME + "-" + VERSION + ".dist-info/RECORD", record)
    return name
'''


def make_wheel(folder, name="sagerun_demo_dep", version="1.0"):
    dist = "%s-%s.dist-info" % (name, version)
    path = os.path.join(folder, "%s-%s-py3-none-any.whl" % (name, version))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(name + ".py", "VALUE = 'from-local-wheel'\n")
        z.writestr(dist + "/METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name.replace("_", "-"), version))
        z.writestr(dist + "/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(dist + "/RECORD", "")
    return path


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        cls.work = tempfile.mkdtemp(prefix="sagerun-install-")
        cls.wheels = os.path.join(cls.work, "wheels")
        os.makedirs(cls.wheels)
        make_wheel(cls.wheels)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def venv(self):
        """A fresh virtual environment per test, so installs never leak between tests."""
        path = tempfile.mkdtemp(dir=self.work)
        subprocess.run([harness.PYTHON, "-m", "venv", path], check=True, capture_output=True)
        return os.path.join(path, "bin", "python")

    def pip_env(self, python, **extra):
        env = {"SAGERUN_PYTHON": python, "PIP_FIND_LINKS": self.wheels, "PIP_NO_INDEX": "1",
               "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        env.update(extra)
        return env

    def test_requirements_are_installed_from_the_local_wheel_folder(self):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        tree.script("import sagerun_demo_dep, os\nopen(os.environ['SM_MODEL_DIR'] + '/v', 'w').write(sagerun_demo_dep.VALUE)\n")
        tree.write("input/data/training/script/requirements.txt", "sagerun-demo-dep==1.0\n")
        result = harness.run_train(tree, self.pip_env(self.venv()), timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertEqual(tree.read("model/v"), "from-local-wheel")
        self.assertIn(b"installing: ", result.stderr)

    def test_a_failing_install_fails_the_job_with_pips_last_lines(self):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        tree.script("open('/dev/null')\n")
        tree.write("input/data/training/script/requirements.txt", "no-such-package-anywhere==9.9\n")
        result = harness.run_train(tree, self.pip_env(self.venv()), timeout=300)
        self.assertEqual(result.returncode, 69)
        failure = tree.read("output/failure")
        self.assertTrue(failure.startswith("install failed: "), failure)
        self.assertIn("no-such-package-anywhere", failure)
        # pip's verdict leads, on the first line, before how pip ended.
        self.assertTrue(failure.splitlines()[0].startswith(
            "install failed: ERROR: No matching distribution found for no-such-package-anywhere==9.9"), failure)

    def test_an_externally_managed_python_gets_a_cached_environment(self):
        # Debian's own Python refuses pip outside a virtual environment (PEP 668), even for what it
        # has. The requirements go into one that sees the system's packages, kept by their hash.
        system = "/usr/bin/python3"
        marker = subprocess.run([system, "-c", "import sysconfig, os; print(os.path.join("
                                 "sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))"],
                                capture_output=True, text=True).stdout.strip()
        if not marker or not os.path.exists(marker):
            self.skipTest(system + " is not externally managed here")
        envs = tempfile.mkdtemp(dir=self.work)
        script = ("import os, sys, sagerun_demo_dep\n"
                  "open(os.environ['SM_MODEL_DIR'] + '/v', 'w').write(sagerun_demo_dep.VALUE + ' ' + sys.prefix)\n")
        requirements = "sagerun-demo-dep==1.0\npip\n"  # one to install, one the system has

        def run(requirements_text):
            tree = harness.Tree()
            self.addCleanup(tree.cleanup)
            tree.script(script)
            tree.write("input/data/training/script/requirements.txt", requirements_text)
            return tree, harness.run_train(tree, self.pip_env(system, SAGERUN_PYTHON_ENVS=envs), timeout=300)

        tree, first = run(requirements)
        self.assertEqual(first.returncode, 0, first.stderr.decode() + first.stdout.decode())
        value, prefix = tree.read("model/v").split(" ")
        self.assertEqual(value, "from-local-wheel")
        self.assertTrue(prefix.startswith(envs), prefix)
        self.assertIn(b"externally managed", first.stderr)
        self.assertIn(b"Requirement already satisfied: pip", first.stdout + first.stderr)
        # The system's Python is as it was.
        untouched = subprocess.run([system, "-c", "import sagerun_demo_dep"], capture_output=True)
        self.assertNotEqual(untouched.returncode, 0)
        # A second job with the same requirements installs nothing.
        tree, second = run(requirements)
        self.assertEqual(second.returncode, 0, second.stderr.decode())
        self.assertIn(b"the requirements are installed already", second.stderr)
        self.assertNotIn(b"installing: ", second.stderr)
        self.assertTrue(tree.read("model/v").startswith("from-local-wheel " + envs))
        # A failed install leads with pip's verdict and leaves no half-made environment behind.
        tree, failed = run("no-such-package-anywhere==9.9\n")
        self.assertEqual(failed.returncode, 69)
        self.assertTrue(tree.read("output/failure").startswith("install failed: ERROR: No matching distribution"),
                        tree.read("output/failure"))
        self.assertEqual(len([name for name in os.listdir(envs) if not name.endswith(".lock")]), 1)

    def test_requirements_can_be_turned_off(self):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        tree.script("open('/dev/null')\n")
        tree.write("input/data/training/script/requirements.txt", "no-such-package-anywhere==9.9\n")
        result = harness.run_train(tree, {"SAGERUN_INSTALL_REQUIREMENTS": "0"})
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertNotIn(b"installing", result.stderr)

    def test_package_folder_is_pip_installed_then_run_as_a_module(self):
        tree = harness.Tree(hyperparameters={"epochs": 4})
        self.addCleanup(tree.cleanup)
        folder = "input/data/training/script/"
        tree.write(folder + "backend.py", BACKEND)
        tree.write(folder + "pyproject.toml", '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n')
        tree.write(folder + "train.py", "import sys, os, sagerun_pkg_marker\n"
                   "open(os.environ['SM_MODEL_DIR'] + '/ran', 'w').write(sagerun_pkg_marker.INSTALLED + ' ' + __name__ + ' ' + ' '.join(sys.argv[1:]))\n")
        result = harness.run_train(tree, self.pip_env(self.venv()), timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr.decode() + result.stdout.decode())
        self.assertEqual(tree.read("model/ran"), "from-package __main__ --epochs 4")
        self.assertIn(b"-m train --epochs 4", result.stderr)

    def test_missing_interpreter_is_exit_127(self):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        tree.script("pass\n")
        result = harness.run_train(tree, {"SAGERUN_PYTHON": "/nonexistent/python3"})
        self.assertEqual(result.returncode, 127)
        self.assertIn("could not start the script: /nonexistent/python3", tree.read("output/failure"))


if __name__ == "__main__":
    harness.main()
