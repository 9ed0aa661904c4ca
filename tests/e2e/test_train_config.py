"""Missing or malformed config files fail with exit code 78 and a failure file naming the file."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Config(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()

    def check(self, mutate, file, problem):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        tree.script("open('/dev/null')\n")
        mutate(tree)
        result = harness.run_train(tree)
        self.assertEqual(result.returncode, 78, result.stderr.decode())
        failure = tree.read("output/failure")
        first = failure.splitlines()[0]
        self.assertTrue(first.startswith("bad configuration: input/config/" + file), first)
        self.assertIn(problem, first)
        self.assertFalse(tree.exists("output/success"))

    def test_missing_files(self):
        for name in ("hyperparameters.json", "inputdataconfig.json", "resourceconfig.json"):
            self.check(lambda t, n=name: os.unlink(t.path("input/config", n)), name, "missing")

    def test_malformed_json(self):
        self.check(lambda t: t.write("input/config/hyperparameters.json", '{"epochs": "1",\n  oops}'),
                   "hyperparameters.json", "malformed JSON: parse error at line 2")

    def test_wrong_shapes(self):
        self.check(lambda t: t.write("input/config/inputdataconfig.json", '["training"]'),
                   "inputdataconfig.json", "expected a JSON object")
        self.check(lambda t: t.write_json("input/config/inputdataconfig.json", {"../../etc": {}}),
                   "inputdataconfig.json", "invalid channel name")
        self.check(lambda t: t.write_json("input/config/resourceconfig.json", {"hosts": ["algo-1"]}),
                   "resourceconfig.json", "missing \"current_host\"")
        self.check(lambda t: t.write_json("input/config/resourceconfig.json", {"current_host": "algo-9", "hosts": ["algo-1"]}),
                   "resourceconfig.json", "is not in \"hosts\"")

    def test_optional_files_are_checked_when_present(self):
        self.check(lambda t: t.write("input/config/checkpointconfig.json", "{"), "checkpointconfig.json", "malformed JSON")
        self.check(lambda t: t.write("input/config/trainingjobconfig.json", "[]"), "trainingjobconfig.json",
                   "expected a JSON object")

    def test_instance_groups_form_is_read(self):
        tree = harness.Tree(resource_extra={
            "current_group_name": "train", "current_instance_type": "ml.g5.xlarge",
            "instance_groups": [{"instance_group_name": "train", "instance_type": "ml.g5.xlarge", "hosts": ["algo-1"]}]})
        self.addCleanup(tree.cleanup)
        tree.script("import os\nassert os.environ['SM_CURRENT_INSTANCE_GROUP_HOSTS'] == '[\"algo-1\"]'\n"
                    "assert os.environ['SM_CURRENT_INSTANCE_TYPE'] == 'ml.g5.xlarge'\n")
        result = harness.run_train(tree)
        self.assertEqual(result.returncode, 0, result.stderr.decode())


if __name__ == "__main__":
    harness.main()
