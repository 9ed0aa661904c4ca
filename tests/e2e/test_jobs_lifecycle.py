"""One owner of a job's life, seen from every front end: a job that fills the disk ends Failed with
the reason everywhere (the CLI, the server, after a restart); a runner SIGKILLed mid-copy or
mid-upload leaves no part file and no open multipart upload once reconciled; `sagerun local` and
`sagerun server` share one store (one list, the same DescribeTrainingJob once botocore parsed
both, NameContains alike everywhere); an old server store is carried over; the server stops
within 2 s of SIGTERM whatever its clients hold; bad settings are refused before anything runs.
"""
import glob
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from fault_proxy import FaultProxy
from harness import SAGERUN, main
from local_jobs import LocalJobs, write_script
from peers import ACCESS_KEY, SECRET_KEY, MotoServer, aws_env, s3_client
from server_peer import SagerunServer, wait_for, wait_for_job

FILL_DISK_SCRIPT = r'''
import os
print("filling the model folder", flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "weights.bin"), "wb") as f:
    while True:
        f.write(b"w" * (1 << 20))
'''

BIG_MODEL_SCRIPT = r'''
import os
size = int(os.environ["MODEL_MIB"]) << 20
with open(os.path.join(os.environ["SM_MODEL_DIR"], "weights.bin"), "wb") as f:
    f.write(os.urandom(size))
print("model written", flush=True)
'''

QUICK_SCRIPT = r'''
import os
open(os.path.join(os.environ["SM_MODEL_DIR"], "m.txt"), "w").write("ok")
print("trained", flush=True)
'''


def runner_pid(folder):
    """The runner names itself in its job's lock file: "<pid> <start time>"."""
    with open(os.path.join(folder, "lock")) as f:
        words = f.read().split()
    return int(words[0]) if words else None


def read(path):
    with open(path) as f:
        return f.read()


def part_files(root):
    return [p for p in glob.glob(os.path.join(root, "**", "*.sagerun-part-*"), recursive=True)]


def botocore_parse_describe(stdout):
    """`sagerun describe`'s JSON through botocore's own parser for DescribeTrainingJob's answer."""
    import botocore.parsers
    import botocore.session
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("DescribeTrainingJob").output_shape
    parser = botocore.parsers.create_parser("json")
    parsed = parser.parse({"status_code": 200, "headers": {}, "body": stdout}, shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.jobs = LocalJobs(self)
        self.data = tempfile.mkdtemp(prefix="sagerun-data-")
        self.addCleanup(shutil.rmtree, self.data, True)
        self.out = tempfile.mkdtemp(prefix="sagerun-out-")
        self.addCleanup(shutil.rmtree, self.out, True)

    def channel(self, script):
        folder = tempfile.mkdtemp(prefix="sagerun-channel-", dir=self.data)
        write_script(folder, script)
        with open(os.path.join(folder, "data.csv"), "w") as f:
            f.write("1,2\n")
        return folder

    def server(self, **kw):
        kw.setdefault("env", self.jobs.env())
        kw.setdefault("extra_args", ["--allow-local-uris"])
        server = SagerunServer(state_dir=self.jobs.home, **kw).start()
        self.addCleanup(server.stop)
        return server

    def mount_tmpfs(self, path, size):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path], check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", path])

    # -- a full disk ---------------------------------------------------------------------------------------
    def test_a_full_disk_fails_the_job_with_the_reason_everywhere(self):
        self.mount_tmpfs(self.jobs.home, "24m")
        result = self.jobs.run(["--input", "training=" + self.channel(FILL_DISK_SCRIPT), "--output",
                                "file://" + self.out, "--job-name", "disk-full"], timeout=120)
        self.assertEqual(result.returncode, 1, result.stderr)
        # Before `sagerun local` returns: the terminal and the store agree.
        self.assertIn(b"sagerun: job disk-full: Failed (Failed)", result.stderr)
        self.assertIn(b"no space left on device", result.stderr.lower())
        described = self.jobs.describe("disk-full")
        self.assertEqual(described["TrainingJobStatus"], "Failed")
        self.assertIn("no space left on device", described["FailureReason"].lower())
        self.assertLessEqual(len(described["FailureReason"]), 1024)
        listed = json.loads(self.jobs.sagerun("list", "--output", "json").stdout)["TrainingJobSummaries"]
        self.assertEqual([(j["TrainingJobName"], j["TrainingJobStatus"]) for j in listed], [("disk-full", "Failed")])
        # The server on the same (still full) store, and again after a restart.
        server = self.server()
        for attempt in ("first", "restarted"):
            sm = server.client()
            answer = sm.describe_training_job(TrainingJobName="disk-full")
            self.assertEqual(answer["TrainingJobStatus"], "Failed", attempt)
            self.assertEqual(answer["FailureReason"], described["FailureReason"], attempt)
            summaries = sm.list_training_jobs()["TrainingJobSummaries"]
            self.assertEqual([(j["TrainingJobName"], j["TrainingJobStatus"]) for j in summaries],
                             [("disk-full", "Failed")], attempt)
            server.terminate()
            server.start()

    # -- a runner killed half-way -------------------------------------------------------------------------
    def kill_runner_when(self, name, condition, timeout=60):
        """Waits for condition() (polled every few ms), then SIGKILLs the job's runner; returns whether
        the condition was met while it ran."""
        folder = os.path.join(self.jobs.home, "jobs", name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                pid = runner_pid(folder)
                os.kill(pid, signal.SIGKILL)
                wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                         read("/proc/%d/stat" % pid).split(")")[-1].split()[0] == "Z",
                         timeout=10, interval=0.01, what="the runner to die")
                return True
            if self.jobs.describe(name)["TrainingJobStatus"] != "InProgress":
                return False
            time.sleep(0.003)
        self.fail("%s: the moment never came" % name)

    def test_sigkill_during_a_file_copy_leaves_no_part_file(self):
        channel = self.channel(BIG_MODEL_SCRIPT)
        for attempt in range(3):
            name = "copy-killed-%d" % attempt
            destination = os.path.join(self.out, name, "output")
            self.jobs.run(["--input", "training=" + channel, "--output", "file://" + self.out, "--job-name", name,
                           "--environment", "MODEL_MIB=160", "--detach"], check=0)
            if not self.kill_runner_when(name, lambda: part_files(destination)):
                continue  # the copy was over before it was seen: once more
            self.assertTrue(part_files(destination), "the runner died mid-copy")
            described = self.jobs.describe(name)  # reconciles
            self.assertEqual(described["TrainingJobStatus"], "Failed")
            self.assertIn("ended before the job did", described["FailureReason"])
            self.assertEqual(part_files(destination), [])
            self.assertEqual(part_files(os.path.join(self.jobs.home, "jobs", name)), [])
            self.assertFalse(os.path.exists(os.path.join(self.jobs.home, "jobs", name, "transfers")))
            return
        self.fail("the copy was never caught in flight")

    def test_sigkill_during_an_s3_upload_leaves_no_open_multipart_upload(self):
        with MotoServer() as moto:
            s3 = s3_client(moto.endpoint)
            s3.create_bucket(Bucket="bkt")
            host, port = moto.endpoint.split("//")[1].split(":")
            with FaultProxy(host, port) as proxy:
                # Every part's answer waits: the runner is stuck mid-upload, its UploadId recorded.
                proxy.stall(count=100, seconds=60, match=lambda method, target: method == "PUT" and
                            "partNumber=" in target)
                env = aws_env(proxy.endpoint)
                name = "upload-killed"
                self.jobs.run(["--input", "training=" + self.channel(BIG_MODEL_SCRIPT), "--output",
                               "s3://bkt/out", "--job-name", name, "--environment", "MODEL_MIB=20", "--detach"],
                              env=env, check=0)
                journal = os.path.join(self.jobs.home, "jobs", name, "transfers")
                caught = self.kill_runner_when(
                    name, lambda: proxy.stats["stall"] >= 1 and os.path.exists(journal) and
                    '"upload"' in read(journal))
                self.assertTrue(caught)
                self.assertEqual(len(s3.list_multipart_uploads(Bucket="bkt").get("Uploads", [])), 1)
                described = self.jobs.describe(name, env=aws_env(moto.endpoint))  # reconciles, aborts
                self.assertEqual(described["TrainingJobStatus"], "Failed")
                self.assertEqual(s3.list_multipart_uploads(Bucket="bkt").get("Uploads", []), [])
                folder = os.path.join(self.jobs.home, "jobs", name)
                self.assertEqual(part_files(folder), [])
                self.assertEqual(os.listdir(os.path.join(folder, "work")), [])
                self.assertFalse(os.path.exists(journal))

    # -- one store for every front end --------------------------------------------------------------------
    def test_local_and_server_jobs_are_one_list_and_one_description(self):
        channel = self.channel(QUICK_SCRIPT)
        self.jobs.run(["--input", "training=" + channel, "--output", "file://" + self.out, "--job-name",
                       "Alpha-local"], check=0)
        server = self.server()
        sm = server.client()
        request = {
            "TrainingJobName": "beta-ALPHA-server",
            "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "unused:latest"},
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "InputDataConfig": [{"ChannelName": "training", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "file://" + channel}}}],
            "OutputDataConfig": {"S3OutputPath": "file://" + self.out},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        }
        sm.create_training_job(**request)
        wait_for_job(sm, "beta-ALPHA-server")
        request["TrainingJobName"] = "gamma"
        sm.create_training_job(**request)
        wait_for_job(sm, "gamma")

        everyone = {"Alpha-local", "beta-ALPHA-server", "gamma"}
        cli = json.loads(self.jobs.sagerun("list", "--output", "json").stdout)["TrainingJobSummaries"]
        self.assertEqual({j["TrainingJobName"] for j in cli}, everyone)
        api = sm.list_training_jobs()["TrainingJobSummaries"]
        self.assertEqual({j["TrainingJobName"] for j in api}, everyone)

        # NameContains, case-insensitive in every front end.
        alphas = {"Alpha-local", "beta-ALPHA-server"}
        for needle in ("alpha", "ALPHA", "aLpHa"):
            local = json.loads(self.jobs.sagerun("list", "--name-contains", needle, "--output", "json").stdout)
            self.assertEqual({j["TrainingJobName"] for j in local["TrainingJobSummaries"]}, alphas, needle)
            remote = json.loads(self.jobs.sagerun("list", "--name-contains", needle, "--output", "json",
                                                  "--endpoint-url", server.endpoint,
                                                  env=aws_env(server.endpoint)).stdout)
            self.assertEqual({j["TrainingJobName"] for j in remote["TrainingJobSummaries"]}, alphas, needle)
            boto = sm.list_training_jobs(NameContains=needle)["TrainingJobSummaries"]
            self.assertEqual({j["TrainingJobName"] for j in boto}, alphas, needle)

        # `sagerun describe` and the server's DescribeTrainingJob: one answer, once botocore read both.
        for name in ("Alpha-local", "beta-ALPHA-server"):
            cli_answer = botocore_parse_describe(self.jobs.sagerun("describe", name).stdout)
            api_answer = sm.describe_training_job(TrainingJobName=name)
            api_answer.pop("ResponseMetadata")
            self.assertEqual(cli_answer, api_answer, name)
            self.assertEqual(api_answer["TrainingJobStatus"], "Completed")

    def test_an_old_server_store_is_carried_over(self):
        # The layout a server of the previous release kept under --state-dir.
        os.makedirs(os.path.join(self.jobs.home, "jobs", "old-done", "logs"))
        with open(os.path.join(self.jobs.home, "jobs", "old-done", "logs", "algo-1.events"), "w") as f:
            f.write("1700000001000\thello from the old store\n")
        status = {"TrainingJobName": "old-done", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:000000000000:"
                  "training-job/old-done", "TrainingJobStatus": "Completed", "SecondaryStatus": "Completed",
                  "CreationTime": 1700000000.5, "LastModifiedTime": 1700000010.0,
                  "SecondaryStatusTransitions": [{"Status": "Completed", "StartTime": 1700000010.0,
                                                  "EndTime": 1700000010.0, "StatusMessage": "done"}],
                  "FinalMetricDataList": []}
        request = {"TrainingJobName": "old-done", "RoleArn": "arn:aws:iam::123456789012:role/r",
                   "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1}}
        db = sqlite3.connect(os.path.join(self.jobs.home, "sagerun.db"))
        db.executescript("""
            CREATE TABLE training_jobs (sequence INTEGER PRIMARY KEY AUTOINCREMENT,
              name TEXT NOT NULL UNIQUE COLLATE NOCASE, creation_time REAL NOT NULL,
              last_modified_time REAL NOT NULL, status TEXT NOT NULL, secondary_status TEXT NOT NULL,
              instances INTEGER NOT NULL, phase TEXT NOT NULL, runner_pid INTEGER NOT NULL DEFAULT 0,
              stop_requested INTEGER NOT NULL DEFAULT 0, request TEXT NOT NULL, status_json TEXT NOT NULL);""")
        db.execute("INSERT INTO training_jobs (name, creation_time, last_modified_time, status, secondary_status, "
                   "instances, phase, request, status_json) VALUES (?, ?, ?, ?, ?, 1, 'done', ?, ?)",
                   ("old-done", 1700000000.5, 1700000010.0, "Completed", "Completed", json.dumps(request),
                    json.dumps(status)))
        db.commit()
        db.close()
        server = self.server()
        sm = server.client()
        answer = sm.describe_training_job(TrainingJobName="old-done")
        self.assertEqual(answer["TrainingJobStatus"], "Completed")
        self.assertEqual([j["TrainingJobName"] for j in sm.list_training_jobs()["TrainingJobSummaries"]], ["old-done"])
        logs = server.client("logs")
        events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                     logStreamName="old-done/algo-1-1700000000", startFromHead=True)["events"]
        self.assertEqual([e["message"] for e in events], ["hello from the old store"])
        self.assertIn("carried the jobs of", server.log())
        self.assertTrue(os.path.exists(os.path.join(self.jobs.home, "sagerun.db.imported")))
        # The CLI sees the carried job too.
        self.assertEqual(self.jobs.describe("old-done")["TrainingJobStatus"], "Completed")

    # -- the server's own life ----------------------------------------------------------------------------
    def test_the_server_stops_within_2_s_of_sigterm_with_a_keep_alive_connection_open(self):
        server = self.server()
        sm = server.client()
        sm.list_training_jobs()  # the client keeps its connection, as boto3 does
        process = server.process
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        self.assertLess(time.monotonic() - started, 2.0)
        server.process = None  # already ended
        # A new server on the same store starts at once (nothing held its port or its lock).
        server.start()
        self.assertEqual(server.client().list_training_jobs()["TrainingJobSummaries"], [])

    # -- settings ---------------------------------------------------------------------------------------------
    def test_a_bad_setting_is_refused_before_anything_runs(self):
        channel = self.channel(QUICK_SCRIPT)
        result = self.jobs.run(["--input", "training=" + channel, "--output", "file://" + self.out],
                               env=dict(self.jobs.env(), SAGERUN_STOP_GRACE_SECONDS="30s"))
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"SAGERUN_STOP_GRACE_SECONDS='30s' is not a whole number of seconds", result.stderr)
        # In the job's Environment (what the hosts get) as well.
        result = self.jobs.run(["--input", "training=" + channel, "--output", "file://" + self.out,
                                "--environment", "SAGERUN_STOP_GRACE_SECONDS=soon"])
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"SAGERUN_STOP_GRACE_SECONDS='soon'", result.stderr)
        self.assertEqual(self.jobs.job_names(), [])  # nothing was created, nothing ran
        # And by the server, as a ValidationException.
        server = self.server(env=dict(self.jobs.env(), SAGERUN_STOP_GRACE_SECONDS="3"))
        sm = server.client()
        with self.assertRaises(sm.exceptions.ClientError) as caught:
            sm.create_training_job(
                TrainingJobName="bad-env", RoleArn="arn:aws:iam::123456789012:role/r",
                AlgorithmSpecification={"TrainingInputMode": "File", "TrainingImage": "unused"},
                OutputDataConfig={"S3OutputPath": "file://" + self.out},
                ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                StoppingCondition={"MaxRuntimeInSeconds": 60}, Environment={"SAGERUN_STOP_GRACE_SECONDS": "1m"})
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")
        self.assertIn("SAGERUN_STOP_GRACE_SECONDS='1m'", caught.exception.response["Error"]["Message"])
        # Other settings the same way.
        for variable, value in (("AWS_MAX_ATTEMPTS", "many"), ("SAGERUN_POLL_SECONDS", "fast")):
            result = self.jobs.sagerun("stop", "no-such-job", "--endpoint-url", server.endpoint,
                                       env=dict(aws_env(server.endpoint), **{variable: value}))
            self.assertEqual(result.returncode, 1, variable)
            self.assertIn(("%s='%s'" % (variable, value)).encode(), result.stderr)


class OutputJson(unittest.TestCase):
    """--output json on every command that prints a result: stdout is JSON (JSON lines for logs)."""

    def test_every_command_prints_json(self):
        jobs = LocalJobs(self)
        with MotoServer() as moto:
            env = aws_env(moto.endpoint)
            s3 = s3_client(moto.endpoint)
            s3.create_bucket(Bucket="bkt")
            work = tempfile.mkdtemp(prefix="sagerun-json-")
            self.addCleanup(shutil.rmtree, work, True)
            script = os.path.join(work, "src")
            os.makedirs(script)
            with open(os.path.join(script, "train.py"), "w") as f:
                f.write(QUICK_SCRIPT)

            def run(*args, lines=False, check=0):
                result = jobs.sagerun(*args, env=env, timeout=180)
                self.assertEqual(result.returncode, check, (args, result.stderr))
                text = result.stdout.decode()
                return [json.loads(line) for line in text.splitlines()] if lines else json.loads(text)

            done = run("local", "--script", script, "--output", "s3://bkt/out", "--job-name", "json-job",
                       "--output", "json")
            self.assertEqual(done["TrainingJobStatus"], "Completed")
            self.assertTrue(done["ModelArtifacts"]["S3ModelArtifacts"].startswith("s3://bkt/out/json-job/"))
            self.assertEqual(run("describe", "json-job", "--output", "json")["TrainingJobName"], "json-job")
            self.assertEqual(run("list", "--output", "json")["TrainingJobSummaries"][0]["TrainingJobName"], "json-job")
            events = run("logs", "json-job", "--output", "json", lines=True)
            self.assertIn("trained", [e["message"] for e in events])
            self.assertEqual({e["host"] for e in events}, {"algo-1"})
            self.assertEqual(run("stop", "json-job", "--output", "json")["TrainingJobStatus"], "Completed")
            detached = run("local", "--script", script, "--output", "s3://bkt/out", "--job-name", "json-detached",
                           "--detach", "--output", "json")
            self.assertEqual(detached["TrainingJobName"], "json-detached")
            uploaded = run("upload", script, "s3://bkt/seed", "--output", "json")
            self.assertEqual(uploaded["TrainingChannel"], "s3://bkt/seed")
            listing = run("s3", "ls", "s3://bkt/seed/script/", "--output", "json")
            self.assertEqual([o["Key"] for o in listing["Contents"]], ["seed/script/train.py"])
            copied = run("s3", "cp", "s3://bkt/seed/script/train.py", os.path.join(work, "copy.py"),
                         "--output", "json")
            self.assertEqual(copied["Files"], 1)
            self.assertEqual(run("version", "--output", "json")["Version"].count("."), 2)
            self.assertIn("Account", run("whoami", "--output", "json"))
            # submit, against a SageMaker-compatible endpoint (our server).
            server = SagerunServer(env=env).start()
            self.addCleanup(server.stop)
            submitted = run("submit", "--endpoint-url", server.endpoint, "--image", "img:1", "--role",
                            "arn:aws:iam::123456789012:role/r", "--input", "training=s3://bkt/seed", "--output",
                            "s3://bkt/out", "--job-name", "json-submit", "--output", "json")
            self.assertTrue(submitted["TrainingJobArn"].endswith("training-job/json-submit"))
            # The server's own first line.
            process = subprocess.Popen([SAGERUN, "server", "--port", "0", "--output", "json", "--state-dir",
                                        os.path.join(work, "state"), "--access-key", ACCESS_KEY],
                                       env=dict(env, SAGERUN_SERVER_SECRET_KEY=SECRET_KEY), stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL)
            try:
                self.assertTrue(json.loads(process.stdout.readline())["Endpoint"].startswith("http://127.0.0.1:"))
            finally:
                process.terminate()
                process.wait(timeout=10)
                process.stdout.close()


if __name__ == "__main__":
    main()
