"""The JSON 1.1 clients (SageMaker, ECR, CloudWatch Logs) and STS GetCallerIdentity against moto's
servers: answers parsed, service errors shown as "<__type>: <message>"."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import peers  # noqa: E402


def tool():
    explicit = os.environ.get("SAGERUN_JSON_CALL_TOOL")
    if explicit:
        return explicit
    return os.path.join(os.path.dirname(os.path.dirname(harness.SAGERUN)), "tests", "json_call_tool")


class JsonClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        cls.moto = peers.MotoServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def call(self, *args):
        result = subprocess.run([tool(), *args], env=peers.aws_env(self.moto.endpoint), capture_output=True, timeout=60)
        return result.returncode, result.stdout.decode().strip()

    def test_sts_get_caller_identity(self):
        code, out = self.call("sts")
        self.assertEqual(code, 0, out)
        self.assertEqual(json.loads(out)["Account"], "123456789012")

    def test_sagemaker(self):
        code, out = self.call("sagemaker", "ListTrainingJobs", "{}")
        self.assertEqual(code, 0, out)
        self.assertEqual(json.loads(out)["TrainingJobSummaries"], [])
        code, out = self.call("sagemaker", "DescribeTrainingJob", '{"TrainingJobName":"missing-job"}')
        self.assertEqual(code, 1)
        self.assertTrue(out.startswith("ERROR DescribeTrainingJob: ValidationException: "), out)

    def test_ecr(self):
        code, out = self.call("ecr", "CreateRepository", '{"repositoryName":"sagerun-cpu"}')
        self.assertEqual(code, 0, out)
        self.assertEqual(json.loads(out)["repository"]["repositoryName"], "sagerun-cpu")
        code, out = self.call("ecr", "DescribeRepositories", '{"repositoryNames":["nope"]}')
        self.assertEqual(code, 1)
        self.assertIn("RepositoryNotFoundException", out)

    def test_logs(self):
        code, out = self.call("logs", "CreateLogGroup", '{"logGroupName":"/aws/sagemaker/TrainingJobs"}')
        self.assertEqual(code, 0, out)
        code, out = self.call("logs", "DescribeLogGroups", '{"logGroupNamePrefix":"/aws/sagemaker"}')
        self.assertEqual(code, 0, out)
        self.assertEqual(json.loads(out)["logGroups"][0]["logGroupName"], "/aws/sagemaker/TrainingJobs")


if __name__ == "__main__":
    harness.main()
