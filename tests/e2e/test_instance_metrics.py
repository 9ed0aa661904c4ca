"""Instance metrics: a native `sagerun local` job and a `sagerun server` job of one store, neither
with MetricDefinitions, whose script burns 2 s of CPU while holding 100 MB. The runner
samples each host every second (SAGERUN_INSTANCE_METRICS_SECONDS=1): `sagerun metrics --output
json` shows CPUUtilization above 50 (or half the share of a core the script saw on a busy machine), MemoryUtilization above 0 and DiskUtilization in (0, 100];
the server lists CPUUtilization under Host and TrainingJobName and GetMetricStatistics reads it."""
import datetime
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import SAGERUN, main
from peers import aws_env
from server_peer import SagerunServer, wait_for_job

NAMESPACE = "/aws/sagemaker/TrainingJobs"

# Burns 2 s of CPU (within 20 s), and says what share of a core it got: on a busy machine less
# than all of one.
SCRIPT = r'''
import time
held = b"x" * (100 << 20)
start, cpu = time.time(), time.process_time()
while time.process_time() - cpu < 2 and time.time() - start < 20:
    pass
print("share=%f" % ((time.process_time() - cpu) / (time.time() - start) * 100), flush=True)
'''


def cpu_share(log_path):
    """The percent of a core the script got while it burned, from its log."""
    with open(log_path) as f:
        for line in f:
            if line.startswith("share="):
                return float(line.split("=", 1)[1])
    raise AssertionError("no share= line in " + log_path)


class InstanceMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="sagerun-instance-")
        os.makedirs(os.path.join(cls.work, "input", "script"))
        with open(os.path.join(cls.work, "input", "script", "train.py"), "w") as f:
            f.write(SCRIPT)
        env = aws_env("http://127.0.0.1:1")
        env["SAGERUN_INSTANCE_METRICS_SECONDS"] = "1"
        cls.server = SagerunServer(env=env, extra_args=["--allow-local-uris"]).start()
        cls.sm = cls.server.client("sagemaker")
        cls.job = "instance-server"
        cls.sm.create_training_job(
            TrainingJobName=cls.job, RoleArn="arn:aws:iam::123456789012:role/sagerun-test",
            AlgorithmSpecification={"TrainingImage": "sagerun:latest", "TrainingInputMode": "File"},
            InputDataConfig=[{"ChannelName": "training", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "file://" + os.path.join(cls.work, "input"),
                "S3DataDistributionType": "FullyReplicated"}}}],
            OutputDataConfig={"S3OutputPath": "file://" + os.path.join(cls.work, "output")},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            StoppingCondition={"MaxRuntimeInSeconds": 600})
        # The local job runs while the server's does.
        cls.local_job = "instance-local"
        local = subprocess.run(
            [SAGERUN, "local", "--script", os.path.join(cls.work, "input", "script"), "--job-name", cls.local_job,
             "--output", "file://" + os.path.join(cls.work, "local-output")],
            env=cls.sagerun_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=120)
        if local.returncode != 0:
            raise AssertionError("sagerun local failed: %s" % local.stderr.decode(errors="replace"))
        done = wait_for_job(cls.sm, cls.job, timeout=120)
        if done["TrainingJobStatus"] != "Completed":
            raise AssertionError("the job ended %s: %s" % (done["TrainingJobStatus"], done.get("FailureReason")))
        cls.cw = cls.server.client("cloudwatch")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def sagerun_env(cls):
        env = aws_env("http://127.0.0.1:1")
        env.update(SAGERUN_HOME=cls.server.state_dir, SAGERUN_PYTHON="/usr/bin/python3",
                   SAGERUN_INSTANCE_METRICS_SECONDS="1")
        return env

    def busy(self, job):
        """What CPUUtilization must pass: 50 (%), or half of what the script saw it had."""
        share = cpu_share(os.path.join(self.server.state_dir, "jobs", job, "logs", "algo-1.log"))
        return min(50, share / 2)

    def values(self, job):
        result = subprocess.run([SAGERUN, "metrics", job, "--output", "json"], env=self.sagerun_env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        out = {}
        for series in json.loads(result.stdout)["Metrics"]:
            self.assertEqual(series["Host"], "algo-1")
            out[series["MetricName"]] = series["Values"]
        return out

    def test_sagerun_metrics_shows_the_hosts_usage(self):
        for job in (self.local_job, self.job):
            values = self.values(job)
            self.assertGreater(max(values["CPUUtilization"]), self.busy(job), (job, values))
            self.assertGreater(max(values["MemoryUtilization"]), 0, (job, values))
            self.assertTrue(all(0 < v <= 100 for v in values["DiskUtilization"]), (job, values))
            self.assertNotIn("GPUUtilization", values)  # an ml.m5 has no GPUs

    def test_cloudwatch_lists_and_reads_them(self):
        host = [{"Name": "Host", "Value": self.job + "/algo-1"}]
        listed = self.cw.list_metrics(Namespace=NAMESPACE, MetricName="CPUUtilization")["Metrics"]
        self.assertIn({"Namespace": NAMESPACE, "MetricName": "CPUUtilization", "Dimensions": host}, listed)
        self.assertIn({"Namespace": NAMESPACE, "MetricName": "CPUUtilization",
                       "Dimensions": [{"Name": "TrainingJobName", "Value": self.local_job}]}, listed)
        names = {m["MetricName"] for m in self.cw.list_metrics(Namespace=NAMESPACE, Dimensions=host)["Metrics"]}
        self.assertEqual(names, {"CPUUtilization", "MemoryUtilization", "DiskUtilization"})
        now = datetime.datetime.now(datetime.timezone.utc)
        stats = self.cw.get_metric_statistics(
            Namespace=NAMESPACE, MetricName="CPUUtilization", Dimensions=host,
            StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1),
            Period=60, Statistics=["Maximum", "SampleCount"])
        self.assertTrue(stats["Datapoints"], stats)
        self.assertGreater(max(p["Maximum"] for p in stats["Datapoints"]), self.busy(self.job))
        self.assertGreaterEqual(sum(p["SampleCount"] for p in stats["Datapoints"]), 2)


if __name__ == "__main__":
    main()
