"""The `sagerun local` behaviours every runtime must show, as a mixin: test_local_native.py and
test_local_docker.py run them with their runtime (self.jobs is a LocalJobs)."""
import io
import json
import os
import signal
import subprocess
import tarfile
import tempfile
import time

from harness import SOURCE_DIR
from local_jobs import write_script
from peers import MotoServer, aws_env, s3_client

MODEL_SCRIPT = r'''
import json, os, sys
model = os.environ["SM_MODEL_DIR"]
with open(os.path.join(model, "model.json"), "w") as f:
    json.dump({"args": sys.argv[1:], "host": os.environ["SM_CURRENT_HOST"],
               "files": sorted(os.listdir(os.environ["SM_CHANNEL_TRAINING"])),
               "job": os.environ.get("TRAINING_JOB_NAME"), "region": os.environ.get("AWS_REGION")}, f)
os.makedirs(os.environ["SM_OUTPUT_DATA_DIR"], exist_ok=True)
open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "report.txt"), "w").write("done")
print("accuracy=0.75"); print("accuracy=0.875")
'''

SLEEP_SCRIPT = r'''
import os, signal, sys, time
def on_term(*_):
    open(os.path.join(os.environ["SM_MODEL_DIR"], "sigterm.txt"), "w").write("got SIGTERM")
    print("got SIGTERM", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("sleeping", flush=True)
time.sleep(600)
'''


# A bring-your-own-container program: SageMaker's paths, written in.
OPT_ML_PROGRAM = r'''
import json, os, time
prefix = "/opt/ml/"
hyperparameters = json.load(open(prefix + "input/config/hyperparameters.json"))
data = open(prefix + "input/data/training/data.txt").read()
time.sleep(float(hyperparameters.get("pause", "0")))  # two jobs at once overlap
with open(prefix + "model/model.json", "w") as f:
    json.dump({"hyperparameters": hyperparameters, "data": data, "pid": os.getpid(), "host": os.uname().nodename,
               "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}, f)
'''

SCRIPT_MODE_SCRIPT = r'''
import json, os, sys
with open(os.path.join(os.environ["SM_MODEL_DIR"], "seen.json"), "w") as f:
    json.dump({"channels": json.loads(os.environ["SM_CHANNELS"]), "args": sys.argv[1:], "cwd": os.getcwd(),
               "code_dir": os.environ["SM_MODULE_DIR"], "code": sorted(os.listdir("."))}, f)
'''


def tar_members(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: (archive.extractfile(m).read() if m.isfile() else None) for m in archive.getmembers()}


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def processes_of(job_name):
    """The pids whose environment names the job (TRAINING_JOB_NAME), seen from this machine."""
    marker = b"\0TRAINING_JOB_NAME=" + job_name.encode() + b"\0"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if marker in b"\0" + f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


# A job's scan for secrets, to be followed by its own checks: check(path, needles) reads the file
# (up to 1 MiB) and notes it in `found` when it holds a needle; check_processes(needles) does so
# for every process's environ and cmdline; report() writes {"found", "read"} into the model.
SNOOP_PRELUDE = r'''
import json, os
found, read = [], 0
def check(path, needles):
    global read
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
    except OSError:
        return
    read += 1
    if any(needle in data for needle in needles):
        found.append(path)
def check_processes(needles):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for name in ("environ", "cmdline"):
            check("/proc/%s/%s" % (pid, name), needles)
def report(name="found.json"):
    with open(os.path.join(os.environ["SM_MODEL_DIR"], name), "w") as f:
        json.dump({"found": found, "read": read}, f)
'''


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


class LocalJobCases:
    jobs = None  # set by the suite's setUp

    # -- peers -------------------------------------------------------------------------------
    def moto(self):
        server = MotoServer().start()
        self.addCleanup(server.stop)
        s3 = s3_client(server.endpoint)
        s3.create_bucket(Bucket="bkt")
        return server, s3

    def put_seed(self, s3, script, prefix="ml/input", data=None):
        s3.put_object(Bucket="bkt", Key=prefix + "/script/train.py", Body=script.encode())
        for name, body in (data or {"train.csv": b"1,2\n"}).items():
            s3.put_object(Bucket="bkt", Key=prefix + "/" + name, Body=body)

    def local_channel(self, script, data=None):
        folder = tempfile.mkdtemp(prefix="sagerun-channel-")
        self.addCleanup(subprocess.run, ["rm", "-rf", folder])
        write_script(folder, script)
        for name, body in (data or {"train.csv": b"1,2\n"}).items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(body)
        return folder

    def out_folder(self):
        folder = tempfile.mkdtemp(prefix="sagerun-out-")
        self.addCleanup(subprocess.run, ["rm", "-rf", folder])
        return folder

    # -- the seed's flow ---------------------------------------------------------------------
    def test_seed_flow_with_s3(self):
        moto, s3 = self.moto()
        self.put_seed(s3, MODEL_SCRIPT)
        self.jobs.run(["--input", "training=s3://bkt/ml/input", "--output", "s3://bkt/ml/output", "--job-name", "seed",
                       "--hyperparameter", "epochs=2", "--metric", "accuracy=accuracy=([0-9.]+)"],
                      env=aws_env(moto.endpoint), check=0)
        status = self.jobs.describe("seed")
        self.assertEqual(status["TrainingJobStatus"], "Completed")
        self.assertEqual(status["ModelArtifacts"]["S3ModelArtifacts"], "s3://bkt/ml/output/seed/output/model.tar.gz")
        model = tar_members(s3.get_object(Bucket="bkt", Key="ml/output/seed/output/model.tar.gz")["Body"].read())
        trained = json.loads(model["model.json"])
        self.assertEqual(trained["args"], ["--epochs", "2"])
        self.assertEqual(trained["files"], ["script", "train.csv"])
        self.assertEqual(trained["job"], "seed")
        self.assertEqual(trained["region"], "us-east-1")
        output = tar_members(s3.get_object(Bucket="bkt", Key="ml/output/seed/output/output.tar.gz")["Body"].read())
        self.assertEqual(output["report.txt"], b"done")
        self.assertEqual([(m["MetricName"], m["Value"]) for m in status["FinalMetricDataList"]], [("accuracy", 0.875)])
        secondary = [t["Status"] for t in status["SecondaryStatusTransitions"]]
        self.assertEqual(secondary, ["Starting", "Downloading", "Training", "Uploading", "Completed"])
        self.assertGreaterEqual(status["TrainingTimeInSeconds"], 1)

    def test_file_folders(self):
        channel = self.local_channel(MODEL_SCRIPT)
        out = self.out_folder()
        self.jobs.run(["--input", "training=file://" + channel, "--output", "file://" + out, "--job-name", "local-files"],
                      check=0)
        status = self.jobs.describe("local-files")
        self.assertEqual(status["TrainingJobStatus"], "Completed")
        path = os.path.join(out, "local-files", "output", "model.tar.gz")
        self.assertEqual(status["ModelArtifacts"]["S3ModelArtifacts"], "file://" + path)
        self.assertIn("model.json", tar_members(read_file(path)))
        # GNU tar reads it too.
        listing = subprocess.run(["tar", "-tzf", path], stdout=subprocess.PIPE, check=True).stdout.decode()
        self.assertIn("model.json", listing)
        self.assertIn("report.txt", tar_members(read_file(os.path.join(out, "local-files", "output", "output.tar.gz"))))

    def test_two_hosts_see_each_other_and_shards_split(self):
        moto, s3 = self.moto()
        s3.put_object(Bucket="bkt", Key="code/script/train.py", Body=TWO_HOST_SCRIPT.encode())
        for i in range(5):
            s3.put_object(Bucket="bkt", Key="shards/part-%d" % i, Body=b"%d" % i)
        request = base_request("two-hosts", "s3://bkt/out", instance_count=2)
        request["InputDataConfig"] = [
            channel("code", "s3://bkt/code"),
            channel("training", "s3://bkt/shards", distribution="ShardedByS3Key"),
        ]
        job_file = self.write_request(request)
        self.jobs.run([job_file], env=aws_env(moto.endpoint), check=0)
        model = tar_members(s3.get_object(Bucket="bkt", Key="out/two-hosts/output/model.tar.gz")["Body"].read())
        one, two = json.loads(model["algo-1.json"]), json.loads(model["algo-2.json"])
        self.assertEqual(one["files"], ["part-0", "part-2", "part-4"])
        self.assertEqual(two["files"], ["part-1", "part-3"])
        for seen in (one, two):
            self.assertEqual(sorted(seen["peers"]), ["algo-1", "algo-2"])
            self.assertTrue(all(address for address in seen["peers"].values()))
        self.assertNotEqual(one["peers"]["algo-1"], one["peers"]["algo-2"])
        self.assertEqual(two["master"], "algo-1")
        for seen in (one, two):  # as the PyTorch containers set them, for env:// rendezvous; the port
            # is the job's own (jobs here share one network), not SageMaker's 7777
            self.assertEqual(seen["torch_master"], ["algo-1", one["torch_master"][1]])
            self.assertTrue(16384 <= int(seen["torch_master"][1]) < 32768, seen)

    def test_the_failure_reason_is_the_host_that_failed_first(self):
        channel_folder = self.local_channel(SECOND_HOST_FAILS_SCRIPT)
        started = time.monotonic()
        self.jobs.run(["--input", "training=" + channel_folder, "--output", "file://" + self.out_folder(),
                       "--instance-count", "2", "--job-name", "second-fails"], check=1)
        self.assertLess(time.monotonic() - started, 50)  # algo-1 was stopped, not waited for
        status = self.jobs.describe("second-fails")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertEqual(status["FailureReason"], "AlgorithmError: RuntimeError: CUDA out of memory on algo-2")

    # -- script mode with the code on this machine (--script, a file:// submit directory) -----
    def test_a_script_folder_runs_in_script_mode_without_a_code_channel(self):
        code = self.out_folder()
        with open(os.path.join(code, "fit.py"), "w") as f:
            f.write(SCRIPT_MODE_SCRIPT)
        with open(os.path.join(code, "train.py"), "w") as f:
            f.write("raise SystemExit('the decoy ran')\n")
        data, out = self.local_channel("print('unused')\n"), self.out_folder()
        result = self.jobs.run(["--script", os.path.join(code, "fit.py"), "--input", "training=" + data,
                                "--output", "file://" + out, "--job-name", "script-mode", "--hyperparameter",
                                "lr=0.5"], check=None)
        status = self.jobs.describe("script-mode")
        self.assertEqual(status["TrainingJobStatus"], "Completed", result.stderr)
        self.assertEqual(status["HyperParameters"]["sagemaker_program"], '"fit.py"')
        self.assertEqual(status["HyperParameters"]["sagemaker_submit_directory"], '"file://%s/fit.py"' % code)
        seen = json.loads(tar_members(read_file(os.path.join(out, "script-mode", "output", "model.tar.gz")))
                          ["seen.json"])
        self.assertEqual(seen["channels"], ["training"])  # as SageMaker's script mode: no `code` channel
        self.assertEqual(seen["args"], ["--lr", "0.5"])
        self.assertEqual(seen["code"], ["fit.py"])  # the script alone, as the SDK uploads an entry_point
        self.assertEqual(seen["cwd"], seen["code_dir"])
        self.assertEqual(sorted(os.listdir(code)), ["fit.py", "train.py"])  # the script ran on a copy

        # A sourcedir.tar.gz named in the request, as the SDK's local mode names one.
        archive = os.path.join(self.out_folder(), "sourcedir.tar.gz")
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(os.path.join(code, "fit.py"), arcname="fit.py")
        request = base_request("script-archive", "file://" + out)
        request["HyperParameters"] = {"sagemaker_program": '"fit.py"',
                                      "sagemaker_submit_directory": '"file://%s"' % archive}
        request["InputDataConfig"] = [channel("training", "file://" + data)]
        self.jobs.run([self.write_request(request)], check=0)
        seen = json.loads(tar_members(read_file(os.path.join(out, "script-archive", "output", "model.tar.gz")))
                          ["seen.json"])
        self.assertEqual(seen["code"], ["fit.py"])

    # -- programs written for SageMaker's paths ------------------------------------------------
    def opt_ml_channel(self, data):
        folder = self.local_channel(OPT_ML_PROGRAM, {"data.txt": data.encode()})
        return folder

    def model_of(self, out, name, member="model.json"):
        return json.loads(tar_members(read_file(os.path.join(out, name, "output", "model.tar.gz")))[member])

    def test_programs_with_opt_ml_paths_run_as_they_are_two_at_once(self):
        out = self.out_folder()
        for name in ("byoc-a", "byoc-b"):
            self.jobs.run(["--input", "training=" + self.opt_ml_channel("data of " + name), "--output",
                           "file://" + out, "--job-name", name, "--hyperparameter", "pause=1", "--detach"], check=0)
        for name in ("byoc-a", "byoc-b"):
            self.assertTrue(wait_until(lambda: self.jobs.describe(name)["TrainingJobStatus"] != "InProgress", 60))
            self.assertEqual(self.jobs.describe(name)["TrainingJobStatus"], "Completed", name)
            model = self.model_of(out, name)
            self.assertEqual(model["data"], "data of " + name)  # each its own /opt/ml
            self.assertEqual(model["hyperparameters"]["pause"], "1")
            self.assertEqual(model["host"], "algo-1")
            self.assertLess(max(model["processes"]), 10, model)  # its own processes only
            self.assertIn(1, model["processes"])

    # -- the examples: a bring-your-own-container program, a ModelTrainer-style job -----------
    def test_the_byoc_example_with_its_opt_ml_paths(self):
        out = self.out_folder()
        example = os.path.join(SOURCE_DIR, "examples", "byoc")
        self.jobs.run(["--script", os.path.join(example, "program"), "--input",
                       "training=" + os.path.join(example, "data"), "--hyperparameter", "note=hello", "--output",
                       "file://" + out, "--job-name", "byoc-example"], check=0)
        model = json.loads(tar_members(read_file(os.path.join(out, "byoc-example", "output", "model.tar.gz")))
                           ["model.json"])
        self.assertEqual(model, {"slope": 2.0, "intercept": 1.0, "rows": 4, "note": "hello"})

    def test_the_modeltrainer_example_runs_its_container_entrypoint(self):
        # ContainerEntrypoint + ContainerArguments run as given: the driver from its channel runs
        # fit.py with the arguments; train's discovery (which would pick train.py) does not run.
        out = self.out_folder()
        example = os.path.join(SOURCE_DIR, "examples", "modeltrainer")
        result = self.jobs.run([os.path.join(example, "job.json"), "--job-name", "modeltrainer-example",
                                "--input", "sm_drivers=" + os.path.join(example, "sm_drivers"),
                                "--input", "code=" + os.path.join(example, "code"),
                                "--input", "training=" + os.path.join(example, "data"),
                                "--output", "file://" + out], check=0)
        status = self.jobs.describe("modeltrainer-example")
        self.assertEqual(status["TrainingJobStatus"], "Completed", result.stderr)
        model = json.loads(tar_members(read_file(os.path.join(out, "modeltrainer-example", "output", "model.tar.gz")))
                           ["model.json"])
        self.assertEqual((model["entry"], model["epochs"], model["rows"]), ("fit.py", 3, 3))
        self.assertEqual(model["sm_vars"], [])  # none of train's SM_* building
        self.assertIn(b"sm_train.sh: running fit.py --epochs 3", self.jobs.log("modeltrainer-example"))

    def write_request(self, request):
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(request, f)
        self.addCleanup(os.unlink, path)
        return path

    # -- failures, stops, time limits --------------------------------------------------------
    def test_failing_script(self):
        moto, s3 = self.moto()
        self.put_seed(s3, FAILING_SCRIPT)
        result = self.jobs.run(["--input", "training=s3://bkt/ml/input", "--output", "s3://bkt/ml/output",
                                "--job-name", "failing"], env=aws_env(moto.endpoint))
        self.assertNotEqual(result.returncode, 0)
        status = self.jobs.describe("failing")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertEqual(status["SecondaryStatus"], "Failed")
        failure = read_file(os.path.join(self.jobs.home, "jobs", "failing", "hosts", "algo-1", "output", "failure"))
        # As SageMaker words it: its prefix, then what the container wrote.
        self.assertEqual(status["FailureReason"], ("AlgorithmError: " + failure.decode())[:1024].rstrip())
        self.assertIn("exit code 3", status["FailureReason"])
        self.assertIn("the disk is full", status["FailureReason"])
        # Outputs are uploaded also when the job fails.
        model = tar_members(s3.get_object(Bucket="bkt", Key="ml/output/failing/output/model.tar.gz")["Body"].read())
        self.assertEqual(model["partial.txt"], b"half")

    def test_max_runtime_exceeded(self):
        channel = self.local_channel(SLEEP_SCRIPT)
        out = self.out_folder()
        started = time.monotonic()
        result = self.jobs.run(["--input", "training=" + channel, "--output", "file://" + out, "--max-runtime", "3",
                                "--job-name", "too-long"])
        self.assertNotEqual(result.returncode, 0)
        self.assertLess(time.monotonic() - started, 60)
        status = self.jobs.describe("too-long")
        self.assertEqual(status["TrainingJobStatus"], "Stopped")
        self.assertEqual(status["SecondaryStatus"], "MaxRuntimeExceeded")
        model = tar_members(read_file(os.path.join(out, "too-long", "output", "model.tar.gz")))
        self.assertEqual(model["sigterm.txt"], b"got SIGTERM")  # SIGTERM first, and outputs kept

    def test_stop_a_detached_job(self):
        channel = self.local_channel(SLEEP_SCRIPT)
        out = self.out_folder()
        result = self.jobs.run(["--input", "training=" + channel, "--output", "file://" + out, "--job-name", "to-stop",
                                "--detach"], check=0)
        self.assertEqual(result.stdout.decode().strip(), "to-stop")
        self.jobs.wait_for_log("to-stop", b"sleeping")
        self.assertEqual(self.jobs.describe("to-stop")["TrainingJobStatus"], "InProgress")
        stopped = self.jobs.sagerun("stop", "to-stop")
        self.assertEqual(stopped.returncode, 0, stopped.stderr)
        status = self.jobs.describe("to-stop")
        self.assertEqual((status["TrainingJobStatus"], status["SecondaryStatus"]), ("Stopped", "Stopped"))
        self.assertIn("Stopping", [t["Status"] for t in status["SecondaryStatusTransitions"]])
        model = tar_members(read_file(os.path.join(out, "to-stop", "output", "model.tar.gz")))
        self.assertEqual(model["sigterm.txt"], b"got SIGTERM")
        logs = self.jobs.sagerun("logs", "to-stop")
        self.assertIn(b"got SIGTERM", logs.stdout)

    def test_ctrl_c_stops_the_job(self):
        channel = self.local_channel(SLEEP_SCRIPT)
        out = self.out_folder()
        process = self.jobs.start(["--input", "training=" + channel, "--output", "file://" + out, "--job-name", "ctrl-c"])
        self.jobs.wait_for_log("ctrl-c", b"sleeping")
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=120)
        self.assertNotEqual(process.returncode, 0)
        status = self.jobs.describe("ctrl-c")
        self.assertEqual(status["TrainingJobStatus"], "Stopped")

    def test_checkpoints_restored_on_a_second_run(self):
        moto, s3 = self.moto()
        self.put_seed(s3, CHECKPOINT_SCRIPT)
        env = aws_env(moto.endpoint)
        common = ["--input", "training=s3://bkt/ml/input", "--output", "s3://bkt/ml/output",
                  "--checkpoint-s3-uri", "s3://bkt/checkpoints/run"]
        self.jobs.run(common + ["--job-name", "first"], env=env, check=0)
        self.assertEqual(s3.get_object(Bucket="bkt", Key="checkpoints/run/state.txt")["Body"].read(), b"1")
        self.jobs.run(common + ["--job-name", "second"], env=env, check=0)
        model = tar_members(s3.get_object(Bucket="bkt", Key="ml/output/second/output/model.tar.gz")["Body"].read())
        self.assertEqual(model["resumed-from.txt"], b"1")
        self.assertEqual(s3.get_object(Bucket="bkt", Key="checkpoints/run/state.txt")["Body"].read(), b"2")

    def test_script_mode_submit_directory_through_container_credentials(self):
        # train fetches s3://…/sourcedir.tar.gz itself, with the credentials the runner serves:
        # the hosts never see the keys.
        moto, s3 = self.moto()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            body = KEYS_SCRIPT.encode()
            info = tarfile.TarInfo("entry.py")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
        s3.put_object(Bucket="bkt", Key="code/sourcedir.tar.gz", Body=buffer.getvalue())
        s3.put_object(Bucket="bkt", Key="data/train.csv", Body=b"1\n")
        out = self.out_folder()
        self.jobs.run(["--input", "training=s3://bkt/data", "--output", "file://" + out, "--job-name", "script-mode",
                       "--hyperparameter", 'sagemaker_program="entry.py"',
                       "--hyperparameter", 'sagemaker_submit_directory="s3://bkt/code/sourcedir.tar.gz"',
                       "--environment", "MY_SETTING=on"],
                      env=aws_env(moto.endpoint), check=0)
        seen = json.loads(tar_members(read_file(os.path.join(out, "script-mode", "output", "model.tar.gz")))["env.json"])
        self.assertFalse(seen["has_keys"])
        self.assertTrue(seen["container_uri"].startswith("http://127.0.0.1:"))
        self.assertEqual(seen["setting"], "on")

    # -- requests refused before anything runs ----------------------------------------------
    def test_duplicate_job_name_refused(self):
        channel = self.local_channel(MODEL_SCRIPT)
        out = self.out_folder()
        args = ["--input", "training=" + channel, "--output", "file://" + out, "--job-name", "same-name"]
        self.jobs.run(args, check=0)
        again = self.jobs.run(args)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn(b"ResourceInUse", again.stderr)
        self.assertEqual(self.jobs.describe("same-name")["TrainingJobStatus"], "Completed")

    def test_s3_errors_surface_clearly(self):
        moto, s3 = self.moto()
        env = aws_env(moto.endpoint)
        out = self.out_folder()
        self.jobs.run(["--input", "training=s3://no-such-bucket/x", "--output", "file://" + out, "--job-name", "nobucket"],
                      env=env)
        status = self.jobs.describe("nobucket")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertIn("NoSuchBucket", status["FailureReason"])
        self.jobs.run(["--input", "training=s3://bkt/empty/", "--output", "file://" + out, "--job-name", "noobjects"],
                      env=env)
        status = self.jobs.describe("noobjects")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertIn("No S3 objects found", status["FailureReason"])


TWO_HOST_SCRIPT = r'''
import json, os, socket
host = os.environ["SM_CURRENT_HOST"]
hosts = json.loads(os.environ["SM_HOSTS"])
peers = {name: socket.gethostbyname(name) for name in hosts}
with open(os.path.join(os.environ["SM_MODEL_DIR"], host + ".json"), "w") as f:
    json.dump({"files": sorted(os.listdir(os.environ["SM_CHANNEL_TRAINING"])), "peers": peers,
               "master": os.environ.get("SM_MASTER_ADDR"),
               "torch_master": [os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")]}, f)
'''

# algo-2 fails at once, writing why; algo-1 would run on for a minute.
SECOND_HOST_FAILS_SCRIPT = r'''
import os, sys, time
if os.environ["SM_CURRENT_HOST"] == "algo-2":
    with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as f:
        f.write("RuntimeError: CUDA out of memory on algo-2")
    sys.exit(2)
time.sleep(60)
'''

FAILING_SCRIPT = r'''
import os, sys
open(os.path.join(os.environ["SM_MODEL_DIR"], "partial.txt"), "w").write("half")
print("starting")
sys.stderr.write("Traceback: the disk is full\n")
sys.exit(3)
'''

CHECKPOINT_SCRIPT = r'''
import os
checkpoints = "/opt/ml/checkpoints" if os.path.isdir("/opt/ml/checkpoints") else os.path.join(os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml"), "checkpoints")
import json
config = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "checkpointconfig.json")))
checkpoints = config["LocalPath"]
state = os.path.join(checkpoints, "state.txt")
previous = open(state).read() if os.path.exists(state) else "0"
open(os.path.join(os.environ["SM_MODEL_DIR"], "resumed-from.txt"), "w").write(previous)
open(state, "w").write(str(int(previous) + 1))
'''

KEYS_SCRIPT = r'''
import json, os
with open(os.path.join(os.environ["SM_MODEL_DIR"], "env.json"), "w") as f:
    json.dump({"has_keys": "AWS_SECRET_ACCESS_KEY" in os.environ or "AWS_ACCESS_KEY_ID" in os.environ,
               "container_uri": os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI", ""),
               "setting": os.environ.get("MY_SETTING")}, f)
'''


def channel(name, uri, distribution="FullyReplicated"):
    return {"ChannelName": name, "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": distribution}}}


def base_request(name, output, instance_count=1, image=None):
    request = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
        "OutputDataConfig": {"S3OutputPath": output},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": instance_count, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    if image:
        request["AlgorithmSpecification"]["TrainingImage"] = image
    return request
