"""Keeping the store tidy: `sagerun rm` deletes ended jobs entirely (gone from `sagerun list`, their
folders gone) and refuses a running one, which runs on and completes; `sagerun prune --older-than
DAYS` deletes the old ended jobs, keeps the recent ones and the running ones, and `--dry-run` deletes
nothing; the server's DeleteTrainingJob (boto3, `sagerun rm --endpoint-url`, and the AWS CLI: v2
where it knows the operation, else v1) deletes an ended job, answers ResourceNotFound for an unknown
one and ResourceInUse for a running one.
"""
import json
import os
import shutil
import tempfile
import time
import unittest

from harness import main
from local_jobs import LocalJobs, write_script
from peers import aws_cli, aws_env, cli_v2_available
from server_peer import SagerunServer, wait_for, wait_for_job

QUICK_SCRIPT = r'''
import os
open(os.path.join(os.environ["SM_MODEL_DIR"], "m.txt"), "w").write("ok")
print("trained", flush=True)
'''

# Runs long enough to be refused while it runs, short enough to wait for its end.
SLOW_SCRIPT = r'''
import time
print("started", flush=True)
time.sleep(float(__import__("os").environ.get("SLEEP_SECONDS", "4")))
print("finished", flush=True)
'''


class StoreTidy(unittest.TestCase):
    def setUp(self):
        self.jobs = LocalJobs(self)
        self.work = tempfile.mkdtemp(prefix="sagerun-tidy-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.out = os.path.join(self.work, "out")
        os.makedirs(self.out)

    def script(self, source):
        folder = tempfile.mkdtemp(prefix="src-", dir=self.work)
        with open(os.path.join(folder, "train.py"), "w") as f:
            f.write(source)
        return folder

    def run_job(self, name, source=QUICK_SCRIPT, detach=False, environment=()):
        args = ["--script", self.script(source), "--output", "file://" + self.out, "--job-name", name]
        for item in environment:
            args += ["--environment", item]
        self.jobs.run(args + (["--detach"] if detach else []), check=0)

    def sagerun(self, *args, **kw):
        return self.jobs.sagerun(*args, **kw)

    def listed(self):
        result = self.sagerun("list", "--output", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return {j["TrainingJobName"]: j["TrainingJobStatus"] for j in json.loads(result.stdout)["TrainingJobSummaries"]}

    def folder(self, name):
        return os.path.join(self.jobs.home, "jobs", name)

    def wait_until_ended(self, name):
        return wait_for(lambda: self.jobs.describe(name)["TrainingJobStatus"] in ("Completed", "Failed", "Stopped")
                        and self.jobs.describe(name), timeout=60, what="job %s to end" % name)

    # -- sagerun rm ----------------------------------------------------------------------------------------
    def test_rm_deletes_ended_jobs_entirely_and_names_the_unknown_one(self):
        for name in ("first", "second", "kept", "as-json"):
            self.run_job(name)
        self.assertEqual(set(self.listed()), {"first", "second", "kept", "as-json"})
        result = self.sagerun("rm", "first", "no-such-job", "SECOND")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(b"no-such-job", result.stderr)
        self.assertIn(b"ResourceNotFound", result.stderr)
        self.assertIn(b"deleted first (", result.stdout)
        self.assertIn(b"deleted SECOND (", result.stdout)
        self.assertEqual(set(self.listed()), {"kept", "as-json"})
        for name in ("first", "second"):
            self.assertFalse(os.path.exists(self.folder(name)), name)
            self.assertNotEqual(self.sagerun("describe", name).returncode, 0, name)
        self.assertTrue(os.path.isdir(self.folder("kept")))
        self.assertEqual(os.listdir(os.path.join(self.jobs.home, "removed")), [])

        answer = self.sagerun("rm", "as-json", "--output", "json")
        self.assertEqual(answer.returncode, 0, answer.stderr)
        answer = json.loads(answer.stdout)
        self.assertEqual([d["TrainingJobName"] for d in answer["Deleted"]], ["as-json"])
        self.assertGreater(answer["Deleted"][0]["BytesFreed"], 0)
        self.assertEqual(answer["Errors"], [])
        # The name is free again.
        self.run_job("first")
        self.assertEqual(self.listed()["first"], "Completed")

    def test_a_running_job_is_refused_runs_on_and_can_be_deleted_once_ended(self):
        self.run_job("busy", SLOW_SCRIPT, detach=True)
        self.jobs.wait_for_log("busy", b"started")
        result = self.sagerun("rm", "busy")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"ResourceInUse", result.stderr)
        self.assertIn(b"busy is InProgress", result.stderr)
        self.assertIn(b"stop it first (sagerun stop busy", result.stderr)
        self.assertTrue(os.path.isdir(self.folder("busy")))
        # prune never takes it, however small DAYS is.
        pruned = self.sagerun("prune", "--older-than", "0.000001", "--output", "json")
        self.assertEqual(pruned.returncode, 0, pruned.stderr)
        self.assertEqual(json.loads(pruned.stdout)["Deleted"], [])
        self.assertEqual(self.jobs.describe("busy")["TrainingJobStatus"], "InProgress")
        ended = self.wait_until_ended("busy")
        self.assertEqual(ended["TrainingJobStatus"], "Completed")
        self.assertIn(b"finished", self.jobs.log("busy"))
        self.assertEqual(self.sagerun("rm", "busy").returncode, 0)
        self.assertNotIn("busy", self.listed())

    # -- sagerun prune -------------------------------------------------------------------------------------
    def test_prune_deletes_old_ended_jobs_keeps_recent_and_running_ones(self):
        self.run_job("old-1")
        self.run_job("old-2")
        time.sleep(2.5)
        self.run_job("running", SLOW_SCRIPT, detach=True, environment=["SLEEP_SECONDS=6"])
        self.jobs.wait_for_log("running", b"started")
        self.run_job("recent")
        # 0.00002 days is 1.728 s: old-1 and old-2 ended before that, "recent" after.
        days = "0.00002"
        kept = self.sagerun("prune", "--older-than", "365")
        self.assertEqual(kept.returncode, 0, kept.stderr)
        self.assertIn(b"no ended job is older than 365 days", kept.stdout)

        dry = self.sagerun("prune", "--older-than", days, "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn(b"would delete old-1 (", dry.stdout)
        self.assertIn(b"would delete old-2 (", dry.stdout)
        self.assertIn(b"2 jobs would be deleted", dry.stdout)
        self.assertEqual(set(self.listed()), {"old-1", "old-2", "running", "recent"})
        self.assertTrue(os.path.isdir(self.folder("old-1")))

        done = self.sagerun("prune", "--older-than", days, "--output", "json")
        self.assertEqual(done.returncode, 0, done.stderr)
        answer = json.loads(done.stdout)
        self.assertFalse(answer["DryRun"])
        self.assertEqual([d["TrainingJobName"] for d in answer["Deleted"]], ["old-1", "old-2"])
        self.assertEqual(answer["BytesFreed"], sum(d["BytesFreed"] for d in answer["Deleted"]))
        self.assertGreater(answer["BytesFreed"], 0)
        self.assertEqual(set(self.listed()), {"running", "recent"})
        self.assertFalse(os.path.exists(self.folder("old-1")))
        self.assertEqual(self.wait_until_ended("running")["TrainingJobStatus"], "Completed")

    def test_prune_refuses_a_days_value_that_is_not_positive(self):
        for value in ("0", "-1", "abc", "", "nan", "1d"):
            result = self.sagerun("prune", "--older-than=" + value)
            self.assertEqual(result.returncode, 2, (value, result.stderr))
            self.assertIn(b"--older-than", result.stderr, value)
        self.assertEqual(self.sagerun("prune").returncode, 2)

    # -- the server's DeleteTrainingJob --------------------------------------------------------------------
    def test_the_servers_delete_training_job(self):
        server = SagerunServer(state_dir=self.jobs.home, env=self.jobs.env(),
                               extra_args=["--allow-local-uris"]).start()
        self.addCleanup(server.stop)
        sm = server.client()
        channels = {}

        def create(name, source=QUICK_SCRIPT):
            channel = channels.setdefault(source, tempfile.mkdtemp(prefix="channel-", dir=self.work))
            write_script(channel, source)
            sm.create_training_job(
                TrainingJobName=name, RoleArn="arn:aws:iam::123456789012:role/r",
                AlgorithmSpecification={"TrainingInputMode": "File", "TrainingImage": "unused:latest"},
                InputDataConfig=[{"ChannelName": "training", "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": "file://" + channel}}}],
                OutputDataConfig={"S3OutputPath": "file://" + self.out},
                ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                StoppingCondition={"MaxRuntimeInSeconds": 600})

        def error_of(call, **kw):
            with self.assertRaises(sm.exceptions.ClientError) as raised:
                call(**kw)
            return raised.exception.response["Error"]

        create("served-done")
        create("served-busy", SLOW_SCRIPT)
        wait_for_job(sm, "served-done")
        # Described and listed once (kept answers), then deleted: gone from both.
        sm.describe_training_job(TrainingJobName="served-done")
        self.assertIn("served-done", [j["TrainingJobName"] for j in sm.list_training_jobs()["TrainingJobSummaries"]])
        answer = sm.delete_training_job(TrainingJobName="served-done")
        answer.pop("ResponseMetadata")
        self.assertEqual(answer, {})
        gone = error_of(sm.describe_training_job, TrainingJobName="served-done")
        self.assertEqual(gone["Message"], "Requested resource not found.")
        self.assertNotIn("served-done", [j["TrainingJobName"] for j in sm.list_training_jobs()["TrainingJobSummaries"]])
        self.assertFalse(os.path.exists(self.folder("served-done")))
        self.assertEqual(error_of(sm.delete_training_job, TrainingJobName="served-done")["Code"], "ResourceNotFound")
        invalid = error_of(sm.delete_training_job, TrainingJobName="not_valid")
        self.assertEqual(invalid["Code"], "ValidationException")
        self.assertIn("trainingJobName", invalid["Message"])

        # A running job: ResourceInUse, and it runs on to the end.
        self.jobs.wait_for_log("served-busy", b"started")
        busy = error_of(sm.delete_training_job, TrainingJobName="served-busy")
        self.assertEqual(busy["Code"], "ResourceInUse")
        self.assertIn("still running; stop it first", busy["Message"])
        self.assertEqual(sm.describe_training_job(TrainingJobName="served-busy")["TrainingJobStatus"], "InProgress")
        self.assertEqual(wait_for_job(sm, "served-busy", timeout=60)["TrainingJobStatus"], "Completed")

        # `sagerun rm` through the endpoint (DeleteTrainingJob), and the AWS CLI v2.
        create("by-cli")
        wait_for_job(sm, "by-cli")
        remote = self.sagerun("rm", "served-busy", "--endpoint-url", server.endpoint, env=aws_env(server.endpoint))
        self.assertEqual(remote.returncode, 0, remote.stderr)
        self.assertEqual(remote.stdout, b"deleted served-busy\n")
        # Debian 12's AWS CLI v2 (2.9) predates DeleteTrainingJob: then the AWS CLI v1 of the machine's Python.
        version = 2 if cli_v2_available() else 1
        deleted = aws_cli(version, ["sagemaker", "delete-training-job", "--training-job-name", "by-cli"],
                          server.endpoint)
        if version == 2 and b"Invalid choice: 'delete-training-job'" in deleted.stderr:
            version = 1
            deleted = aws_cli(version, ["sagemaker", "delete-training-job", "--training-job-name", "by-cli"],
                              server.endpoint)
        self.assertEqual(deleted.returncode, 0, (version, deleted.stderr))
        self.assertEqual(deleted.stdout.strip(), b"")
        again = aws_cli(version, ["sagemaker", "delete-training-job", "--training-job-name", "by-cli"],
                        server.endpoint)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn(b"An error occurred (ResourceNotFound) when calling the DeleteTrainingJob operation: Training "
                      b"job by-cli does not exist.", again.stderr)
        self.assertEqual(sm.list_training_jobs()["TrainingJobSummaries"], [])


if __name__ == "__main__":
    main()
