"""A restart of `sagerun server` loses no job: after SIGKILL with jobs queued, running and finished,
the next server on the same store takes over the running runners, runs the queued jobs, fails
jobs whose runner died meanwhile (with a reason), and describes finished jobs exactly as before."""
import os
import shutil
import signal
import tempfile
import time
import unittest

from harness import main
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for, wait_for_job

# Waits for the gate file named by $GATE, then writes its model.
GATED_SCRIPT = r'''
import os, time
print("waiting at the gate", flush=True)
while not os.path.exists(os.environ["GATE"]):
    time.sleep(0.05)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("passed")
print("through the gate", flush=True)
'''


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def without_metadata(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


class ServerRestart(unittest.TestCase):
    def setUp(self):
        self.moto = MotoServer().start()
        self.addCleanup(self.moto.stop)
        s3 = s3_client(self.moto.endpoint)
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key="ml/input/script/train.py", Body=GATED_SCRIPT.encode())
        self.gates = tempfile.mkdtemp(prefix="sagerun-gates-")
        self.addCleanup(shutil.rmtree, self.gates, True)

    def gate(self, name):
        return os.path.join(self.gates, name)

    def open_gate(self, name):
        open(self.gate(name), "w").close()

    def create(self, sm, name):
        sm.create_training_job(**training_request(name, environment={"GATE": self.gate(name)}))

    def runner_pid(self, server, name):
        # The runner names itself in its job's lock file: "<pid> <start time>".
        path = os.path.join(server.state_dir, "jobs", name, "lock")
        return int(wait_for(lambda: os.path.exists(path) and read(path).split(), what="the runner of " + name)[0])

    def test_sigkill_with_jobs_queued_running_and_done(self):
        server = SagerunServer(env=aws_env(self.moto.endpoint), max_instances=2).start()
        self.addCleanup(server.stop)
        sm = server.client()
        self.open_gate("finished")
        self.create(sm, "finished")
        before = without_metadata(wait_for_job(sm, "finished"))
        self.assertEqual(before["TrainingJobStatus"], "Completed")
        self.create(sm, "running")
        self.create(sm, "orphaned")
        self.create(sm, "queued")
        self.assertEqual(sm.describe_training_job(TrainingJobName="queued")["SecondaryStatus"], "Pending")
        for name in ("running", "orphaned"):
            wait_for(lambda: sm.describe_training_job(TrainingJobName=name)["SecondaryStatus"] == "Training",
                     what=name + " to train")
        orphan_runner = self.runner_pid(server, "orphaned")

        server.kill()
        # While no server runs, one runner dies (with its job's processes).
        os.killpg(orphan_runner, signal.SIGKILL)
        cmdline = "/proc/%d/cmdline" % orphan_runner
        wait_for(lambda: not os.path.exists(cmdline) or not read(cmdline), what="the runner to die")
        server.start()
        sm = server.client()

        self.assertEqual(without_metadata(sm.describe_training_job(TrainingJobName="finished")), before)
        running = sm.describe_training_job(TrainingJobName="running")
        self.assertEqual((running["TrainingJobStatus"], running["SecondaryStatus"]), ("InProgress", "Training"))
        orphaned = wait_for_job(sm, "orphaned", timeout=30)
        self.assertEqual(orphaned["TrainingJobStatus"], "Failed")
        self.assertRegex(orphaned["FailureReason"], r"the runner of this job \(pid %d\) ended before the job did"
                         % orphan_runner)
        # The orphan's place went to the queued job.
        queued = wait_for(lambda: sm.describe_training_job(TrainingJobName="queued")["SecondaryStatus"] == "Training",
                          what="the queued job to start")
        self.assertTrue(queued)
        for name in ("running", "queued"):
            self.open_gate(name)
        for name in ("running", "queued"):
            done = wait_for_job(sm, name)
            self.assertEqual(done["TrainingJobStatus"], "Completed", done.get("FailureReason"))
            self.assertEqual(done["ModelArtifacts"]["S3ModelArtifacts"],
                             "s3://bkt/ml/output/%s/output/model.tar.gz" % name)
        transitions = [t["Status"] for t in sm.describe_training_job(TrainingJobName="queued")
                       ["SecondaryStatusTransitions"]]
        self.assertEqual(transitions, ["Pending", "Starting", "Downloading", "Training", "Uploading", "Completed"])
        # The reattached runner's log goes on in the same stream.
        logs = server.client("logs")
        stream = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                           logStreamNamePrefix="running/")["logStreams"][0]["logStreamName"]
        messages = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                                              logStreamName=stream, startFromHead=True)["events"]]
        self.assertLess(messages.index("waiting at the gate"), messages.index("through the gate"))
        self.assertIn("took over 1 running and 1 waiting job(s) of the store", server.log())

        # A graceful stop and start: everything is still there, as it was.
        listed = sm.list_training_jobs()["TrainingJobSummaries"]
        server.terminate()
        server.start()
        self.assertEqual(server.client().list_training_jobs()["TrainingJobSummaries"], listed)
        self.assertEqual(len(listed), 4)

    def test_a_job_queued_at_sigkill_runs_after_restart(self):
        server = SagerunServer(env=aws_env(self.moto.endpoint), max_instances=1).start()
        self.addCleanup(server.stop)
        sm = server.client()
        self.create(sm, "first")
        self.create(sm, "second")
        wait_for(lambda: sm.describe_training_job(TrainingJobName="first")["SecondaryStatus"] == "Training",
                 what="the first job to train")
        server.kill()
        self.open_gate("first")  # it finishes while no server runs
        time.sleep(0.5)
        self.open_gate("second")
        server.start()
        sm = server.client()
        self.assertEqual(wait_for_job(sm, "first")["TrainingJobStatus"], "Completed")
        self.assertEqual(wait_for_job(sm, "second")["TrainingJobStatus"], "Completed")

    def test_one_server_per_state_dir(self):
        server = SagerunServer(env=aws_env(self.moto.endpoint)).start()
        self.addCleanup(server.stop)
        other = SagerunServer(state_dir=server.state_dir, env=aws_env(self.moto.endpoint), startup_timeout=10)
        with self.assertRaises(RuntimeError) as caught:
            other.start()
        self.assertIn("another sagerun server (pid %d) uses the store" % server.process.pid, str(caught.exception))


if __name__ == "__main__":
    main()
