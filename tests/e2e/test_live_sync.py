"""Checkpoints and output/intermediate/ reach their destinations while the job runs (`sagerun local`,
native runtime, against moto's S3 server and file:// folders), then the final upload leaves each
file's last version there; a destination that fails is reported once and fails the job at its end."""
import os
import time
import unittest

from harness import main, require_binaries
from local_cases import LocalJobCases, read_file, wait_until
from local_jobs import LocalJobs
from peers import MotoServer, aws_env, s3_client

# Writes a checkpoint and an intermediate file (and a link that must never be followed), waits
# until the test drops input/release into its tree, then rewrites the checkpoint and adds one more
# intermediate file as it ends.
SYNCED_SCRIPT = r'''
import json, os, time
config = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "checkpointconfig.json")))
checkpoints, intermediate = config["LocalPath"], os.environ["SM_OUTPUT_INTERMEDIATE_DIR"]
os.makedirs(os.path.join(intermediate, "tb"), exist_ok=True)
with open(os.path.join(checkpoints, "epoch-1.pt"), "w") as f:
    f.write("weights-1")
with open(os.path.join(intermediate, "tb", "events.log"), "w") as f:
    f.write("loss=0.5")
os.symlink("/etc/hostname", os.path.join(checkpoints, "hostname-link"))
print("written", flush=True)
release = os.path.join(os.environ["SM_INPUT_DIR"], "release")
deadline = time.time() + 120
while not os.path.exists(release) and time.time() < deadline:
    time.sleep(0.05)
with open(os.path.join(checkpoints, "epoch-1.pt"), "w") as f:
    f.write("weights-final")
with open(os.path.join(intermediate, "last.log"), "w") as f:
    f.write("done")
'''

# Once released (its checkpoint bucket is gone by then), a checkpoint, then a few sync periods.
SLOW_CHECKPOINT_SCRIPT = r'''
import json, os, time
print("ready", flush=True)
release = os.path.join(os.environ["SM_INPUT_DIR"], "release")
deadline = time.time() + 120
while not os.path.exists(release) and time.time() < deadline:
    time.sleep(0.05)
config = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "checkpointconfig.json")))
with open(os.path.join(config["LocalPath"], "state.txt"), "w") as f:
    f.write("1")
time.sleep(1.5)
'''

INTERMEDIATE_SCRIPT = r'''
import os
folder = os.path.join(os.environ["SM_OUTPUT_INTERMEDIATE_DIR"], "plots")
os.makedirs(folder, exist_ok=True)
with open(os.path.join(folder, "curve.csv"), "w") as f:
    f.write("1,0.5\n")
'''


class LiveSync(LocalJobCases, unittest.TestCase):
    shared_moto = None

    @classmethod
    def tearDownClass(cls):
        if cls.shared_moto is not None:
            cls.shared_moto.stop()

    def setUp(self):
        require_binaries()
        self.jobs = LocalJobs(self, runtime="native")

    def moto(self):
        # One server for the suite (it takes seconds to start); each case has its own job names.
        cls = type(self)
        if cls.shared_moto is None:
            cls.shared_moto = MotoServer().start()
            s3_client(cls.shared_moto.endpoint).create_bucket(Bucket="bkt")
        return cls.shared_moto, s3_client(cls.shared_moto.endpoint)

    def release(self, name):
        tree = os.path.join(self.jobs.home, "jobs", name, "hosts", "algo-1")
        self.assertTrue(os.path.isdir(os.path.join(tree, "input")), tree)
        with open(os.path.join(tree, "input", "release"), "w"):
            pass

    def object_body(self, s3, key):
        try:
            return s3.get_object(Bucket="bkt", Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None

    def test_checkpoints_and_intermediate_appear_while_the_job_runs(self):
        moto, s3 = self.moto()
        self.put_seed(s3, SYNCED_SCRIPT)
        env = aws_env(moto.endpoint)
        env["SAGERUN_SYNC_SECONDS"] = "0.5"
        process = self.jobs.start(["--input", "training=s3://bkt/ml/input", "--output", "s3://bkt/ml/output",
                                   "--checkpoint-s3-uri", "s3://bkt/checkpoints/run", "--job-name", "live"], env=env)
        self.addCleanup(process.kill)
        self.jobs.wait_for_log("live", b"written")
        checkpoint, events = "checkpoints/run/epoch-1.pt", "ml/output/live/output/intermediate/tb/events.log"
        self.assertTrue(wait_until(lambda: self.object_body(s3, checkpoint) and self.object_body(s3, events), 20),
                        "the files never reached S3 while the job ran")
        self.assertIsNone(process.poll(), "the job ended before the test let it")
        self.assertEqual(self.object_body(s3, checkpoint), b"weights-1")
        self.assertEqual(self.object_body(s3, events), b"loss=0.5")
        self.assertEqual(self.jobs.describe("live")["TrainingJobStatus"], "InProgress")

        self.release("live")
        _, stderr = process.communicate(timeout=120)
        self.assertEqual(process.returncode, 0, stderr)
        self.assertEqual(self.jobs.describe("live")["TrainingJobStatus"], "Completed")
        self.assertEqual(self.object_body(s3, checkpoint), b"weights-final")
        self.assertEqual(self.object_body(s3, "ml/output/live/output/intermediate/last.log"), b"done")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="bkt", Prefix="checkpoints/")["Contents"]]
        self.assertEqual(keys, [checkpoint])  # the link was never followed
        self.assertNotIn(b"warning: syncing", stderr)

    def test_a_failing_destination_is_reported_once_and_fails_the_job(self):
        moto, s3 = self.moto()
        self.put_seed(s3, SLOW_CHECKPOINT_SCRIPT)
        env = aws_env(moto.endpoint)
        env["SAGERUN_SYNC_SECONDS"] = "0.2"
        s3.create_bucket(Bucket="gone")
        process = self.jobs.start(["--input", "training=s3://bkt/ml/input", "--output", "s3://bkt/ml/output",
                                   "--checkpoint-s3-uri", "s3://gone/ck", "--job-name", "nobucket"], env=env)
        self.addCleanup(process.kill)
        self.jobs.wait_for_log("nobucket", b"ready")  # its checkpoints were looked for: the bucket goes now
        s3.delete_bucket(Bucket="gone")
        self.release("nobucket")
        _, stderr = process.communicate(timeout=120)
        self.assertNotEqual(process.returncode, 0)
        self.assertEqual(stderr.count(b"sagerun: warning: syncing the checkpoints to s3://gone/ck: state.txt: "), 1,
                         stderr)
        status = self.jobs.describe("nobucket")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertIn("uploading the checkpoints to s3://gone/ck: state.txt: ", status["FailureReason"])
        self.assertIn("NoSuchBucket", status["FailureReason"])
        # The outputs were still uploaded, as after any failure.
        self.assertIsNotNone(self.object_body(s3, "ml/output/nobucket/output/model.tar.gz"))

    def test_intermediate_to_a_local_output_folder(self):
        channel_folder = self.local_channel(INTERMEDIATE_SCRIPT)
        out = self.out_folder()
        self.jobs.run(["--input", "training=" + channel_folder, "--output", "file://" + out, "--job-name", "local-out"],
                      check=0)
        self.assertEqual(read_file(os.path.join(out, "local-out", "output", "intermediate", "plots", "curve.csv")),
                         b"1,0.5\n")

    def test_a_bad_period_is_refused_before_anything_runs(self):
        channel_folder = self.local_channel(INTERMEDIATE_SCRIPT)
        env = dict(os.environ, SAGERUN_SYNC_SECONDS="soon")
        result = self.jobs.run(["--input", "training=" + channel_folder, "--output", "file://" + self.out_folder(),
                                "--job-name", "bad-period"], env=env)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(b"SAGERUN_SYNC_SECONDS='soon'", result.stderr)
        self.assertEqual(self.jobs.job_names(), [])


# LocalJobCases's own cases run in test_local_native.py; here only the live sync's.
for _name in [n for n in dir(LocalJobCases) if n.startswith("test_")]:
    setattr(LiveSync, _name, None)


if __name__ == "__main__":
    main()
