"""The original README's command, quoting fixed, run with the AWS CLI v2 (Debian's /usr/bin/aws) and
v1 (`python3 -m awscli`) against `sagerun server`: the job runs the script from moto's S3, ends
Completed, and its model is in moto's S3 at the reported path; the job's logs read back with
`aws logs tail` (v2) and `aws logs get-log-events` (both)."""
import io
import json
import shlex
import subprocess
import sys
import tarfile
import time
import unittest

from harness import main
from peers import CLI_V2, MotoServer, aws_cli, aws_env, cli_v2_available, s3_client
from server_peer import SagerunServer

SCRIPT = r'''
import json, os
print("training with the README command", flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
    json.dump({"job": os.environ["TRAINING_JOB_NAME"],
               "data": sorted(os.listdir(os.environ["SM_CHANNEL_TRAINING"]))}, f)
'''

GROUP = "/aws/sagemaker/TrainingJobs"


# The README's command as a user types it into bash. Unquoted, bash's brace expansion split the
# --input-data-config value (braces holding commas) into several words; quoted, it is one.
README_COMMAND = (
    "aws sagemaker create-training-job --training-job-name {name} "
    "--algorithm-specification TrainingImage=123456789012.dkr.ecr.us-east-1.amazonaws.com/sagerun:latest,"
    "TrainingInputMode=File "
    "--role-arn arn:aws:iam::123456789012:role/SageMakerRole "
    "--input-data-config 'ChannelName=training,DataSource={{S3DataSource={{S3DataType=S3Prefix,"
    "S3Uri=s3://bkt/ml/input,S3DataDistributionType=FullyReplicated}}}}' "
    "--output-data-config S3OutputPath=s3://bkt/ml/output "
    "--resource-config InstanceType=ml.m5.large,InstanceCount=1,VolumeSizeInGB=10 "
    "--stopping-condition MaxRuntimeInSeconds=3600")


class ServerWithAwsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = MotoServer().start()
        cls.s3 = s3_client(cls.moto.endpoint)
        cls.s3.create_bucket(Bucket="bkt")
        cls.s3.put_object(Bucket="bkt", Key="ml/input/script/train.py", Body=SCRIPT.encode())
        cls.s3.put_object(Bucket="bkt", Key="ml/input/data.csv", Body=b"1,2\n")
        cls.server = SagerunServer(env=aws_env(cls.moto.endpoint)).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.moto.stop()

    def cli(self, version, args, check=True):
        result = aws_cli(version, args, self.server.endpoint)
        if check and result.returncode != 0:
            self.fail("aws %s exited %d:\n%s" % (" ".join(args), result.returncode, result.stderr.decode()))
        return result

    def cli_json(self, version, args):
        return json.loads(self.cli(version, args).stdout)

    def run_readme_command(self, version, name):
        """The README's command through bash, `aws` being the CLI of `version`."""
        aws = CLI_V2 if version == 2 else "%s -m awscli" % shlex.quote(sys.executable)
        command = README_COMMAND.format(name=name).replace(
            "aws ", "%s --endpoint-url %s " % (aws, self.server.endpoint), 1)
        result = subprocess.run(["bash", "-c", command], env=aws_env(self.server.endpoint), capture_output=True,
                                timeout=120)
        if result.returncode != 0:
            self.fail("%s exited %d:\n%s" % (command, result.returncode, result.stderr.decode()))
        return json.loads(result.stdout)

    def test_unquoted_the_readme_command_breaks(self):
        # What the README used to say: bash splits the unquoted braces, the CLI refuses the words.
        command = README_COMMAND.replace("'", "").format(name="unquoted").replace(
            "aws ", "%s -m awscli --endpoint-url %s " % (shlex.quote(sys.executable), self.server.endpoint), 1)
        result = subprocess.run(["bash", "-c", command], env=aws_env(self.server.endpoint), capture_output=True,
                                timeout=120)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"Invalid type for parameter InputDataConfig", result.stderr)
        listed = self.server.client().list_training_jobs(NameContains="unquoted")["TrainingJobSummaries"]
        self.assertEqual(listed, [])

    def run_readme_job(self, version):
        name = "readme-cli-v%d" % version
        created = self.run_readme_command(version, name)
        self.assertEqual(created["TrainingJobArn"], "arn:aws:sagemaker:us-east-1:000000000000:training-job/" + name)
        deadline = time.monotonic() + 120
        while True:
            described = self.cli_json(version, ["sagemaker", "describe-training-job", "--training-job-name", name])
            if described["TrainingJobStatus"] not in ("InProgress", "Stopping") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(described["TrainingJobStatus"], "Completed", described.get("FailureReason"))
        path = described["ModelArtifacts"]["S3ModelArtifacts"]
        self.assertEqual(path, "s3://bkt/ml/output/%s/output/model.tar.gz" % name)
        body = self.s3.get_object(Bucket="bkt", Key=path[len("s3://bkt/"):])["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
            model = json.loads(archive.extractfile("model.json").read())
        self.assertEqual(model, {"job": name, "data": ["data.csv", "script"]})
        listed = self.cli_json(version, ["sagemaker", "list-training-jobs", "--name-contains", name])
        self.assertEqual([j["TrainingJobName"] for j in listed["TrainingJobSummaries"]], [name])
        # The job's log, as the CLI reads it.
        streams = self.cli_json(version, ["logs", "describe-log-streams", "--log-group-name", GROUP,
                                          "--log-stream-name-prefix", name + "/"])["logStreams"]
        self.assertEqual(len(streams), 1)
        events = self.cli_json(version, ["logs", "get-log-events", "--log-group-name", GROUP, "--log-stream-name",
                                         streams[0]["logStreamName"], "--start-from-head"])
        self.assertIn("training with the README command", [e["message"] for e in events["events"]])
        # An error reads as the service's.
        stop = self.cli(version, ["sagemaker", "stop-training-job", "--training-job-name", name], check=False)
        self.assertNotEqual(stop.returncode, 0)
        self.assertIn(b"An error occurred (ValidationException) when calling the StopTrainingJob operation: The "
                      b"request was rejected because the training job is in status Completed.", stop.stderr)
        return name

    def test_readme_command_with_cli_v1(self):
        self.run_readme_job(1)

    def test_readme_command_with_cli_v2_and_logs_tail(self):
        if not cli_v2_available():
            self.skipTest("the AWS CLI v2 (/usr/bin/aws, Debian's awscli) is not installed")
        name = self.run_readme_job(2)
        tail = self.cli(2, ["logs", "tail", GROUP, "--log-stream-name-prefix", name + "/", "--since", "1h"])
        lines = tail.stdout.decode().splitlines()
        self.assertTrue(any(line.endswith(" training with the README command") and (" %s/algo-1-" % name) in line
                            for line in lines), lines)
        missing = self.cli(2, ["sagemaker", "describe-training-job", "--training-job-name", "no-such-job"],
                           check=False)
        self.assertEqual(missing.returncode, 254)
        self.assertIn(b"An error occurred (ValidationException) when calling the DescribeTrainingJob operation: "
                      b"Requested resource not found.", missing.stderr)


if __name__ == "__main__":
    main()
