"""Each host sized as its instance type, natively: memory and CPUs limited by cgroups
(limits_cases.py), an out-of-memory kill told as SageMaker tells it, and GPUs given to one job at
a time (CUDA_VISIBLE_DEVICES, checked without a GPU: what each job is given), locally and by the
server's scheduler. test_docker_instance_limits.py runs the same limits under Docker."""
import os
import re
import unittest

from harness import main, require_binaries
from limits_cases import GPU_SCRIPT, Limits
from local_jobs import LocalJobs
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for, wait_for_job


class NativeLimits(Limits, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries()

    def setUp(self):
        self.jobs = LocalJobs(self)

    def test_a_job_sees_only_the_gpus_it_is_given(self):
        # A machine of 2 GPUs (no device needed: what the job is told is what is checked).
        self.jobs.run(self.job_args(GPU_SCRIPT, "g12", "ml.g4dn.12xlarge", "--machine-gpus", "2",
                                    "--machine-cpus", "64", "--machine-memory-gib", "512"), check=0)
        self.assertIn(b"GPUS=[0,1]", self.jobs.log("g12"))
        self.jobs.run(self.job_args(GPU_SCRIPT, "cpu-type", "ml.m5.large", "--machine-gpus", "2"), check=0)
        self.assertIn(b"GPUS=[]", self.jobs.log("cpu-type"), "a CPU type sees no GPU")


class ServerGpus(unittest.TestCase):
    """Two GPUs, three one-GPU jobs: two run at once on different GPUs, the third waits for one."""

    @classmethod
    def setUpClass(cls):
        cls.moto = MotoServer().start()
        s3 = s3_client(cls.moto.endpoint)
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key="gpu/input/script/train.py", Body=GPU_SCRIPT.encode())

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def test_gpu_jobs_at_capacity_never_share_a_gpu(self):
        server = SagerunServer(env=aws_env(self.moto.endpoint), max_instances=8,
                               extra_args=["--machine-gpus", "2", "--machine-cpus", "64",
                                           "--machine-memory-gib", "512"]).start()
        self.addCleanup(server.stop)
        sm = server.client("sagemaker")
        names = ["gpu-a", "gpu-b", "gpu-c"]
        for name in names:
            request = training_request(name, prefix="gpu", environment={"HOLD_SECONDS": "4"})
            request["ResourceConfig"]["InstanceType"] = "ml.g4dn.xlarge"
            sm.create_training_job(**request)
        self.assertEqual(sm.describe_training_job(TrainingJobName="gpu-c")["SecondaryStatus"], "Pending")
        message = sm.describe_training_job(TrainingJobName="gpu-c")["SecondaryStatusTransitions"][-1]["StatusMessage"]
        self.assertIn("it needs 1 GPU of its own and 0 of this server's 2 are free (--machine-gpus)", message)

        def gpus(name):
            path = os.path.join(server.state_dir, "jobs", name, "logs", "algo-1.log")
            if not os.path.exists(path):
                return None
            with open(path, "rb") as log:
                found = re.search(rb"GPUS=\[([0-9,]*)\]", log.read())
            return found.group(1).decode() if found else None

        first = {name: wait_for(lambda name=name: gpus(name), what=name + "'s GPUs") for name in names[:2]}
        self.assertEqual(sorted(first.values()), ["0", "1"])
        self.assertEqual(sm.describe_training_job(TrainingJobName="gpu-c")["SecondaryStatus"], "Pending")
        ended = [wait_for_job(sm, name) for name in names]
        self.assertEqual([job["TrainingJobStatus"] for job in ended], ["Completed"] * 3)
        self.assertIn(gpus("gpu-c"), ("0", "1"))
        # gpu-c started only once one of the first two had ended.
        first_end = min(job["TrainingEndTime"] for job in ended[:2])
        self.assertGreaterEqual(ended[2]["TrainingStartTime"], first_end)


if __name__ == "__main__":
    main()
