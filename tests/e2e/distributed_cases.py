"""Distributed jobs as the SageMaker SDK asks for them (`distribution=` hyperparameters), launched
by train with torchrun or mpirun on every host, with Debian's python3-torch (gloo), python3-mpi4py
and Open MPI. The runtime comes from the suite."""
import json
import os
import subprocess
import tempfile
import threading
import time

from local_cases import processes_of, read_file, tar_members, wait_until

TORCH_SCRIPT = r'''
import argparse, json, os, sys, time
import torch, torch.distributed as dist
parser = argparse.ArgumentParser()
parser.add_argument("--fail-rank", type=int, default=-1)
parser.add_argument("--sleep", type=float, default=0)
args = parser.parse_args()
dist.init_process_group("gloo")
rank = dist.get_rank()
total = torch.tensor([rank + 1.0])
dist.all_reduce(total)
seen = {"rank": rank, "world": dist.get_world_size(), "sum": total.item(), "host": os.uname().nodename,
        "env": [os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")]}
with open(os.path.join(os.environ["SM_MODEL_DIR"], "rank-%d.json" % rank), "w") as f:
    json.dump(seen, f)
print("ranks ready", flush=True)
if rank == args.fail_rank:
    print("rank %d fails: out of patience" % rank, file=sys.stderr, flush=True)
    sys.exit(3)
time.sleep(args.sleep)
'''

MPI_SCRIPT = r'''
import argparse, json, os, socket, sys, time
from mpi4py import MPI
parser = argparse.ArgumentParser()
parser.add_argument("--fail-rank", type=int, default=-1)
parser.add_argument("--sleep", type=float, default=0)
args = parser.parse_args()
comm = MPI.COMM_WORLD
rank = comm.Get_rank()
hosts = comm.allgather(socket.gethostname())
total = comm.allreduce(rank + 1)
if rank == 0:
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "mpi.json"), "w") as f:
        json.dump({"size": comm.Get_size(), "hosts": sorted(set(hosts)), "sum": total}, f)
print("ranks ready", flush=True)
if rank == args.fail_rank:
    print("rank %d fails: out of patience" % rank, file=sys.stderr, flush=True)
    sys.exit(3)
time.sleep(args.sleep)
'''

# The SageMaker SDK v3 ModelTrainer's way with distributed=Torchrun(): its own drivers, run by the
# job's ContainerEntrypoint, compute SM_HOST_COUNT, SM_MASTER_ADDR, SM_MASTER_PORT and
# SM_CURRENT_HOST_RANK from resourceconfig.json (train sets no variable for a ContainerEntrypoint)
# and build the torchrun command from them. The SDK's port is 7777; the one line that differs
# takes the job's own port where the local runner names one, as two jobs here share a network.
SM_TRAIN_SH = r'''#!/bin/bash
set -euo pipefail
drivers=/opt/ml/input/data/sm_drivers
eval "$(python3 "$drivers/environment.py")"
cd /opt/ml/input/data/code
exec python3 "$drivers/torchrun_driver.py"
'''

ENVIRONMENT_PY = r'''
import json, os, shlex
resource = json.load(open("/opt/ml/input/config/resourceconfig.json"))
drivers = "/opt/ml/input/data/sm_drivers"
hosts = sorted(resource["hosts"])
values = {"SM_HOST_COUNT": len(hosts), "SM_CURRENT_HOST_RANK": hosts.index(resource["current_host"]),
          "SM_MASTER_ADDR": "algo-1", "SM_MASTER_PORT": os.environ.get("SAGERUN_MASTER_PORT", "7777"),
          "SM_ENTRY_SCRIPT": json.load(open(drivers + "/sourcecode.json"))["entry_script"],
          "SM_DISTRIBUTED_CONFIG": open(drivers + "/distributed.json").read().strip(),
          "SM_MODEL_DIR": "/opt/ml/model"}
for key, value in values.items():
    print("export %s=%s" % (key, shlex.quote(str(value))))
'''

TORCHRUN_DRIVER = r'''
import json, os, subprocess, sys
config = json.loads(os.environ["SM_DISTRIBUTED_CONFIG"])
hosts = int(os.environ["SM_HOST_COUNT"])
# Debian 12's torch 1.13 on Python 3.11 cannot parse torchrun's own default redirect setting; the
# mend (as train's) stands in for the `torchrun` command of a PyTorch 2 image.
command = [sys.executable, os.path.join(os.path.dirname(__file__), "torchrun_mended.py"),
           "--nnodes=%d" % hosts, "--nproc_per_node=%d" % config["process_count_per_node"]]
if hosts > 1:
    command += ["--master_addr=" + os.environ["SM_MASTER_ADDR"], "--master_port=" + os.environ["SM_MASTER_PORT"],
                "--node_rank=" + os.environ["SM_CURRENT_HOST_RANK"]]
command.append(os.environ["SM_ENTRY_SCRIPT"])
print("driver: " + " ".join(command[1:]), flush=True)
sys.exit(subprocess.call(command))
'''

TORCHRUN_MENDED = r'''
import runpy, sys
from torch.distributed.elastic.multiprocessing import api
if api.Std.from_str("0") is None:
    api.Std.from_str = classmethod(lambda cls, text: cls(int(text)))
sys.argv[0] = "torchrun"
runpy.run_module("torch.distributed.run", run_name="__main__")
'''

TORCHRUN = {"sagemaker_torch_distributed_enabled": "true"}
MPI = {"sagemaker_mpi_enabled": "true"}


class DistributedCases:
    jobs = None  # set by the suite's setUp

    def leftovers(self, name):
        """What of the job is still running on this machine: its processes (native)."""
        return processes_of(name)

    def script_folder(self, source):
        folder = tempfile.mkdtemp(prefix="sagerun-dist-")
        self.addCleanup(subprocess.run, ["rm", "-rf", folder])
        with open(os.path.join(folder, "train.py"), "w") as f:
            f.write(source)
        os.makedirs(os.path.join(folder, "data"))
        with open(os.path.join(folder, "data", "x.csv"), "w") as f:
            f.write("1\n")
        return folder

    def run_job(self, name, source, flags, hosts=2, per_host=None, extra=(), check=None, detach=False):
        folder = self.script_folder(source)
        args = ["--script", os.path.join(folder, "train.py"), "--input", "training=" + os.path.join(folder, "data"),
                "--output", "file://" + os.path.join(folder, "out"), "--job-name", name,
                "--instance-count", str(hosts)]
        for key, value in dict(flags, **({"sagemaker_mpi_num_of_processes_per_host": str(per_host)}
                                         if per_host else {})).items():
            args += ["--hyperparameter", "%s=%s" % (key, value)]
        args += list(extra)
        if detach:
            args.append("--detach")
        result = self.jobs.run(args, check=check, timeout=300)
        return folder, result

    def model(self, folder, name):
        return tar_members(read_file(os.path.join(folder, "out", name, "output", "model.tar.gz")))

    def ranks(self, folder, name):
        members = self.model(folder, name)
        return sorted((json.loads(body) for key, body in members.items() if key.startswith("rank-")),
                      key=lambda seen: seen["rank"])

    # -- torchrun ----------------------------------------------------------------------------
    def test_torchrun_on_two_hosts_one_and_two_processes_each(self):
        for per_host, total in ((1, 3.0), (2, 10.0)):
            name = "torchrun-2x%d" % per_host
            folder, result = self.run_job(name, TORCH_SCRIPT, TORCHRUN, per_host=per_host)
            status = self.jobs.describe(name)
            self.assertEqual(status["TrainingJobStatus"], "Completed", result.stderr.decode(errors="replace")[-3000:])
            ranks = self.ranks(folder, name)
            world = 2 * per_host
            self.assertEqual([seen["rank"] for seen in ranks], list(range(world)))
            for seen in ranks:
                self.assertEqual((seen["world"], seen["sum"]), (world, total))
                self.assertEqual(seen["env"], [str(seen["rank"]), str(world), str(seen["rank"] % per_host),
                                               str(per_host)])
                self.assertEqual(seen["host"], "algo-%d" % (seen["rank"] // per_host + 1))

    def test_two_torchrun_jobs_at_once_each_right(self):
        outcomes = {}

        def run(name):
            outcomes[name] = self.run_job(name, TORCH_SCRIPT, TORCHRUN, per_host=2, extra=["--hyperparameter",
                                                                                          "sleep=1"])
        threads = [threading.Thread(target=run, args=(name,)) for name in ("together-a", "together-b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name, (folder, result) in outcomes.items():
            self.assertEqual(self.jobs.describe(name)["TrainingJobStatus"], "Completed",
                             result.stderr.decode(errors="replace")[-3000:])
            self.assertEqual([(seen["world"], seen["sum"]) for seen in self.ranks(folder, name)], [(4, 10.0)] * 4)

    def test_a_failing_torchrun_rank_fails_the_job_with_its_message(self):
        self.run_job("torchrun-fails", TORCH_SCRIPT, TORCHRUN, per_host=2, extra=["--hyperparameter", "fail-rank=3",
                                                                                 "--hyperparameter", "sleep=5"],
                     check=1)
        status = self.jobs.describe("torchrun-fails")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertIn("rank 3 fails: out of patience", status["FailureReason"])
        self.assertTrue(wait_until(lambda: self.leftovers("torchrun-fails") == [], 10))

    def test_a_modeltrainer_torchrun_driver_runs_with_the_jobs_variables(self):
        drivers, code = self.script_folder(""), self.script_folder(TORCH_SCRIPT)
        for name, body in (("sm_train.sh", SM_TRAIN_SH), ("environment.py", ENVIRONMENT_PY),
                           ("torchrun_driver.py", TORCHRUN_DRIVER),
                           ("torchrun_mended.py", TORCHRUN_MENDED),
                           ("sourcecode.json", json.dumps({"entry_script": "train.py"})),
                           ("distributed.json", json.dumps({"driver_name": "torchrun",
                                                            "process_count_per_node": 2}))):
            with open(os.path.join(drivers, name), "w") as f:
                f.write(body)
        request = {"TrainingJobName": "modeltrainer-torchrun", "RoleArn": "arn:aws:iam::123456789012:role/R",
                   "AlgorithmSpecification": {
                       "TrainingImage": "sagerun:latest", "TrainingInputMode": "File",
                       "ContainerEntrypoint": ["/bin/bash"],
                       "ContainerArguments": ["-c", "chmod +x /opt/ml/input/data/sm_drivers/sm_train.sh && "
                                                    "/opt/ml/input/data/sm_drivers/sm_train.sh"]},
                   "OutputDataConfig": {"S3OutputPath": "file://" + os.path.join(code, "out")},
                   "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 1},
                   "StoppingCondition": {"MaxRuntimeInSeconds": 600},
                   # The system's Python (with Debian's torch) first, natively as in the image.
                   "Environment": {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}
        job_file = os.path.join(code, "job.json")
        with open(job_file, "w") as f:
            json.dump(request, f)
        result = self.jobs.run([job_file, "--input", "sm_drivers=" + drivers, "--input", "code=" + code],
                               timeout=300)
        status = self.jobs.describe("modeltrainer-torchrun")
        self.assertEqual(status["TrainingJobStatus"], "Completed", result.stderr.decode(errors="replace")[-3000:])
        self.assertEqual([(seen["world"], seen["sum"]) for seen in self.ranks(code, "modeltrainer-torchrun")],
                         [(4, 10.0)] * 4)

    # -- MPI ---------------------------------------------------------------------------------
    def test_mpirun_on_two_hosts_two_processes_each(self):
        folder, result = self.run_job("mpi-2x2", MPI_SCRIPT, MPI, per_host=2)
        status = self.jobs.describe("mpi-2x2")
        self.assertEqual(status["TrainingJobStatus"], "Completed", result.stderr.decode(errors="replace")[-3000:])
        self.assertEqual(json.loads(self.model(folder, "mpi-2x2")["mpi.json"]),
                         {"size": 4, "hosts": ["algo-1", "algo-2"], "sum": 10})

    def test_a_failing_mpi_rank_fails_the_job_with_its_message(self):
        self.run_job("mpi-fails", MPI_SCRIPT, MPI, per_host=2, extra=["--hyperparameter", "fail-rank=3",
                                                                      "--hyperparameter", "sleep=5"], check=1)
        status = self.jobs.describe("mpi-fails")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertIn("rank 3 fails: out of patience", status["FailureReason"])
        self.assertTrue(wait_until(lambda: self.leftovers("mpi-fails") == [], 10))

    def test_a_stop_ends_every_rank_on_every_host(self):
        for name, source, flags in (("stop-torchrun", TORCH_SCRIPT, TORCHRUN), ("stop-mpi", MPI_SCRIPT, MPI)):
            self.run_job(name, source, flags, per_host=2, extra=["--hyperparameter", "sleep=600"], check=0,
                         detach=True)
            self.jobs.wait_for_log(name, b"ranks ready", timeout=120)
            self.assertGreaterEqual(len(self.leftovers(name)), 2)  # both hosts at least
            stopped = self.jobs.sagerun("stop", name)
            self.assertEqual(stopped.returncode, 0, stopped.stderr)
            self.assertTrue(wait_until(lambda: self.jobs.describe(name)["TrainingJobStatus"] == "Stopped", 60),
                            self.jobs.describe(name))
            self.assertTrue(wait_until(lambda: self.leftovers(name) == [], 10), self.leftovers(name))

    # -- what only AWS's images do --------------------------------------------------------------
    def test_an_aws_only_launcher_is_refused_before_anything_runs(self):
        folder, result = self.run_job("smddp", TORCH_SCRIPT, {"sagemaker_distributed_dataparallel_enabled": "true"},
                                      check=1)
        stderr = result.stderr.decode()
        self.assertIn("HyperParameters.sagemaker_distributed_dataparallel_enabled", stderr)
        self.assertIn("use torch_distributed", stderr)
        self.assertFalse(os.path.exists(os.path.join(self.jobs.home, "jobs", "smddp")))
