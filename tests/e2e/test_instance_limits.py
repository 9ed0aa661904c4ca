"""Each host sized as its instance type: memory and CPUs limited (natively by cgroups, in Docker by
--memory/--cpus), an out-of-memory kill told as SageMaker tells it, and GPUs given to one job at a
time (CUDA_VISIBLE_DEVICES, checked without a GPU: what each job is given)."""
import json
import os
import re
import time
import unittest

import docker_images
from harness import TRAIN, main, require_binaries
from local_jobs import LocalJobs, write_script
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for, wait_for_job

# 5 GiB touched (bytearray zero-fills), over ml.t3.medium's 4 GiB.
GREEDY_SCRIPT = r'''
print("allocating", flush=True)
held = bytearray(5 * 1024 * 1024 * 1024)
print("allocated", len(held), flush=True)
'''

# Two busy processes for 3 s: their CPU time is what the host's limit allows.
SPIN_SCRIPT = r'''
import json, multiprocessing, os, time
def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass
if __name__ == "__main__":
    started, before = time.time(), os.times()
    workers = [multiprocessing.Process(target=spin, args=(3,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    after = os.times()
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    print("SPUN " + json.dumps({"wall": time.time() - started, "cpu": cpu}), flush=True)
'''

GPU_SCRIPT = r'''
import os, time
print("GPUS=[%s]" % os.environ.get("CUDA_VISIBLE_DEVICES", "unset"), flush=True)
time.sleep(float(os.environ.get("HOLD_SECONDS", "0")))
'''


class Limits:
    """The cases both runtimes must pass (self.jobs set by the subclass)."""

    def job_args(self, script, name, instance_type, *extra):
        folder = self.make_folder()
        write_script(folder, script)
        out = self.make_folder()
        return ["--input", "training=" + folder, "--output", "file://" + out, "--job-name", name,
                "--instance-type", instance_type] + list(extra)

    def make_folder(self):
        import shutil
        import tempfile
        folder = tempfile.mkdtemp(prefix="sagerun-limits-")
        self.addCleanup(shutil.rmtree, folder, True)
        return folder

    def test_memory_over_the_type_is_out_of_memory_naming_the_limit(self):
        result = self.jobs.run(self.job_args(GREEDY_SCRIPT, "greedy", "ml.t3.medium"), timeout=240)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        described = self.jobs.describe("greedy")
        self.assertEqual(described["TrainingJobStatus"], "Failed")
        reason = described["FailureReason"]
        self.assertTrue(reason.startswith("OutOfMemoryError: Please use an instance type with more memory"), reason)
        self.assertIn("algo-1 was killed by the kernel for running out of memory: its limit is 4 GiB (ml.t3.medium)",
                      reason)
        self.assertNotIn(b"allocated", self.jobs.log("greedy"))

    def test_a_host_gets_no_more_cpu_than_it_is_given(self):
        result = self.jobs.run(self.job_args(SPIN_SCRIPT, "spin", "ml.m5.xlarge", "--machine-cpus", "0.5"),
                               check=0, timeout=240)
        stderr = result.stderr.decode(errors="replace")
        self.assertIn("ml.m5.xlarge has 4 vCPUs but this machine offers 0.5: each host is limited to 0.5 CPUs", stderr)
        spun = json.loads(re.search(rb"SPUN (\{.*\})", self.jobs.log("spin")).group(1))
        # Two spinners would take 2 CPU-seconds a second unlimited; half a CPU allows 0.5.
        self.assertLess(spun["cpu"], 0.5 * spun["wall"] * 1.3 + 0.2, spun)
        self.assertGreater(spun["cpu"], 0.5 * spun["wall"] * 0.5, spun)


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


class DockerLimits(Limits, unittest.TestCase):
    image = None

    @classmethod
    def setUpClass(cls):
        require_binaries()
        cls.image = docker_images.ensure_test_image(TRAIN)

    def setUp(self):
        self.jobs = LocalJobs(self, runtime="docker", image=self.image)
        self.addCleanup(docker_images.cleanup_containers, "sagerun.job")


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
