"""Managed spot training and RetryStrategy with `sagerun local --runtime native`: the spot
rehearsal (--interrupt-after) reclaims the first attempt and the job resumes from its checkpoints
in S3 (moto); MaxWaitTimeInSeconds stops a job that needs longer; a host SIGKILLed from outside is
retried, a script's own failure is not; the spot rules are checked before anything runs; and
`sagerun server --interrupt-after` rehearses its spot jobs for boto3."""
import os
import shutil
import signal
import tempfile
import unittest

from harness import main, require_binaries
from local_jobs import LocalJobs, write_script
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for_job

# Counts steps, one a second, each saved as the checkpoint; resumes from the last one saved.
STEPS_SCRIPT = r'''
import json, os, signal, sys, time
base = os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")
with open(os.path.join(base, "input/config/checkpointconfig.json")) as f:
    state = os.path.join(json.load(f)["LocalPath"], "step.txt")
step = int(open(state).read()) if os.path.exists(state) else 0
print("resumed from step %d" % step if step else "starting fresh", flush=True)
def on_term(*_):
    print("SIGTERM at step %d" % step, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
target = int(os.environ.get("STEPS", "4"))
while step < target:
    time.sleep(1)
    step += 1
    with open(state + ".tmp", "w") as f:
        f.write(str(step))
    os.replace(state + ".tmp", state)
    print("step %d" % step, flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "steps.txt"), "w") as f:
    f.write(str(step))
'''

FAILING_SCRIPT = r'''
import sys
print("failing on purpose", flush=True)
sys.exit(1)
'''


def statuses(status):
    return [t["Status"] for t in status["SecondaryStatusTransitions"]]


def host_pid(job_name):
    """The host's own process (train): the topmost process whose environment names the job."""
    pids = set()
    marker = b"\0TRAINING_JOB_NAME=" + job_name.encode() + b"\0"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if marker in b"\0" + f.read():
                    pids.add(int(pid))
        except OSError:
            continue
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            parent = next(int(line.split()[1]) for line in f if line.startswith("PPid:"))
        if parent not in pids:
            return pid
    return None


class SpotAndRetry(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries()
        cls.moto_server = MotoServer().start()
        cls.s3 = s3_client(cls.moto_server.endpoint)
        cls.s3.create_bucket(Bucket="spot")

    @classmethod
    def tearDownClass(cls):
        cls.moto_server.stop()

    def setUp(self):
        self.jobs = LocalJobs(self, runtime="native")

    def folder(self, prefix):
        path = tempfile.mkdtemp(prefix=prefix)
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def channel(self, script):
        folder = self.folder("sagerun-spot-channel-")
        write_script(folder, script)
        return folder

    def common(self, script, name, steps=4):
        return ["--input", "training=" + self.channel(script), "--output", "file://" + self.folder("sagerun-spot-out-"),
                "--job-name", name, "--environment", "STEPS=%d" % steps]

    def test_a_reclaimed_spot_job_resumes_from_its_checkpoints(self):
        args = self.common(STEPS_SCRIPT, "reclaimed") + [
            "--use-spot-instances", "--max-runtime", "60", "--max-wait", "120", "--interrupt-after", "2",
            "--checkpoint-s3-uri", "s3://spot/checkpoints/reclaimed"]
        self.jobs.run(args, env=aws_env(self.moto_server.endpoint), check=0)
        status = self.jobs.describe("reclaimed")
        self.assertEqual(status["TrainingJobStatus"], "Completed")
        self.assertEqual(statuses(status), ["Starting", "Downloading", "Training", "Interrupted", "Starting",
                                            "Downloading", "Training", "Uploading", "Completed"])
        interrupted = status["SecondaryStatusTransitions"][3]
        self.assertIn("spot capacity reclaimed", interrupted["StatusMessage"])
        log = self.jobs.log("reclaimed")
        self.assertIn(b"SIGTERM at step", log)
        self.assertIn(b"resumed from step", log)  # the second attempt found the first one's checkpoint
        saved = self.s3.get_object(Bucket="spot", Key="checkpoints/reclaimed/step.txt")["Body"].read()
        self.assertEqual(saved, b"4")
        # Billed as trained: every attempt's training (no spot discount is knowable here).
        self.assertEqual(status["BillableTimeInSeconds"], status["TrainingTimeInSeconds"])
        self.assertGreaterEqual(status["TrainingTimeInSeconds"], 3)

    def test_max_wait_time_stops_a_spot_job_that_needs_longer(self):
        checkpoints = self.folder("sagerun-spot-ckpt-")
        args = self.common(STEPS_SCRIPT, "waited", steps=30) + [
            "--use-spot-instances", "--max-runtime", "3", "--max-wait", "3", "--checkpoint-s3-uri",
            "file://" + checkpoints]
        result = self.jobs.run(args)
        self.assertNotEqual(result.returncode, 0)
        status = self.jobs.describe("waited")
        self.assertEqual((status["TrainingJobStatus"], status["SecondaryStatus"]), ("Stopped", "MaxWaitTimeExceeded"))
        self.assertTrue(os.path.exists(os.path.join(checkpoints, "step.txt")))  # checkpoints uploaded

    def test_a_host_killed_from_outside_is_retried(self):
        checkpoints = self.folder("sagerun-spot-ckpt-")
        process = self.jobs.start(self.common(STEPS_SCRIPT, "killed", steps=3) + [
            "--max-retry-attempts", "2", "--checkpoint-s3-uri", "file://" + checkpoints])
        self.addCleanup(lambda: process.poll() is None and process.kill())
        self.jobs.wait_for_log("killed", b"step 1")
        pid = host_pid("killed")
        self.assertIsNotNone(pid)
        os.kill(pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)
        self.assertEqual(process.returncode, 0, stderr)
        status = self.jobs.describe("killed")
        self.assertEqual(status["TrainingJobStatus"], "Completed")
        self.assertEqual(statuses(status), ["Starting", "Downloading", "Training", "Starting", "Downloading",
                                            "Training", "Uploading", "Completed"])
        restart = status["SecondaryStatusTransitions"][3]["StatusMessage"]
        self.assertEqual(restart, "Restarting: attempt 2 of 3 after algo-1 was killed by SIGKILL (9) "
                                  "(InternalServerError)")
        self.assertIn(b"resumed from step", self.jobs.log("killed"))

    def test_a_failing_script_is_not_retried(self):
        result = self.jobs.run(self.common(FAILING_SCRIPT, "script-fails") + ["--max-retry-attempts", "2"])
        self.assertNotEqual(result.returncode, 0)
        status = self.jobs.describe("script-fails")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertEqual(statuses(status).count("Training"), 1)
        self.assertIn("AlgorithmError", status["FailureReason"])
        self.assertEqual(self.jobs.log("script-fails").count(b"failing on purpose"), 1)

    def test_spot_rules_are_checked_before_anything_runs(self):
        common = self.common(STEPS_SCRIPT, "rules")
        cases = [
            (["--max-wait", "100"],
             b"Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true"),
            (["--use-spot-instances", "--max-runtime", "200", "--max-wait", "100"],
             b"It must be present and be greater than or equal to MaxRuntimeInSeconds"),
            (["--use-spot-instances"], b"MaxWaitTimeInSeconds is missing"),
            (["--max-retry-attempts", "31"], b"retryStrategy.maximumRetryAttempts"),
            (["--interrupt-after", "2"], b"--interrupt-after rehearses a spot reclaim"),
        ]
        for extra, expected in cases:
            with self.subTest(extra=extra):
                result = self.jobs.run(common + extra)
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn(expected, result.stderr)
        self.assertEqual(self.jobs.job_names(), [])

    def test_the_server_rehearses_its_spot_jobs_through_boto3(self):
        self.s3.put_object(Bucket="spot", Key="srv/input/script/train.py", Body=STEPS_SCRIPT.encode())
        server = SagerunServer(env=aws_env(self.moto_server.endpoint), s3_endpoint=self.moto_server.endpoint,
                               extra_args=["--interrupt-after", "2"]).start()
        self.addCleanup(server.stop)
        sm = server.client()
        request = training_request("srv-spot", bucket="spot", prefix="srv", max_runtime=60, environment={"STEPS": "3"})
        request.update({"EnableManagedSpotTraining": True,
                        "CheckpointConfig": {"S3Uri": "s3://spot/checkpoints/srv-spot"}})
        request["StoppingCondition"]["MaxWaitTimeInSeconds"] = 120
        sm.create_training_job(**request)
        described = wait_for_job(sm, "srv-spot")
        self.assertEqual(described["TrainingJobStatus"], "Completed", described.get("FailureReason"))
        self.assertIn("Interrupted", statuses(described))
        self.assertEqual(described["StoppingCondition"]["MaxWaitTimeInSeconds"], 120)
        with self.assertRaises(sm.exceptions.ClientError) as refused:
            plain = training_request("srv-no-spot", bucket="spot", prefix="srv")
            plain["StoppingCondition"]["MaxWaitTimeInSeconds"] = 100
            sm.create_training_job(**plain)
        self.assertIn("only supported when EnableManagedSpotTraining", str(refused.exception))


if __name__ == "__main__":
    main()
