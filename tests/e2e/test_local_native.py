"""`sagerun local --runtime native`: whole jobs on this machine, against moto's S3 server and local folders."""
import json
import os
import signal
import time
import unittest

from harness import main, require_binaries
from local_cases import (LocalJobCases, MODEL_SCRIPT, SNOOP_PRELUDE, base_request, channel, processes_of, read_file,
                         tar_members, wait_until)
from local_jobs import LocalJobs


# Looks for the caller's secrets and other jobs' data everywhere a job could read them.
SNOOP_SCRIPT = SNOOP_PRELUDE + r'''
needles = [("caller-secret-" + "Qx7").encode(), ("file-secret-" + "Qx7").encode(), ("other-job-" + "Qx7").encode()]
check_processes(needles)
for root in json.loads(os.environ["SNOOP_ROOTS"]):
    for folder, _, files in os.walk(root):
        for name in files:
            check(os.path.join(folder, name), needles)
report()
'''

# Leaves a process of its own running, then sleeps.
LEAVES_A_CHILD_SCRIPT = r'''
import subprocess, time
subprocess.Popen(["sleep", "1007"])
print("sleeping", flush=True)
time.sleep(1000)
'''


def inner_pid(pid):
    """The pid a process has in its own (innermost) PID namespace."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    return pid


class LocalNative(LocalJobCases, unittest.TestCase):
    def setUp(self):
        require_binaries()
        self.jobs = LocalJobs(self, runtime="native")

    def test_validation_errors_before_anything_runs(self):
        channel_folder = self.local_channel(MODEL_SCRIPT)
        out = self.out_folder()
        good = ["--input", "training=" + channel_folder, "--output", "file://" + out]
        cases = [
            (good + ["--job-name", "my_job"], b"Value 'my_job' at 'trainingJobName' failed to satisfy constraint"),
            (good + ["--job-name", "zero", "--instance-count", "0"], b"resourceConfig.instanceCount"),
            (good + ["--job-name", "zero-runtime", "--max-runtime", "0"], b"stoppingCondition.maxRuntimeInSeconds"),
            (["--input", "training=ftp://x/y", "--output", "file://" + out, "--job-name", "bad-uri"], b"s3Uri"),
            (["--input", "training=" + channel_folder, "--output", "file://relative/out", "--job-name", "bad-out"],
             b"Value 'file://relative/out' at 'outputDataConfig.s3OutputPath' failed to satisfy constraint: Member "
             b"must be an absolute file:// URI"),
            (good + ["--job-name", "bad-hp", "--hyperparameter", "x=" + "v" * 2501], b"hyperParameters"),
            (good + ["--job-name", "bad-pair", "--hyperparameter", "novalue"], b"--hyperparameter 'novalue'"),
        ]
        many = list(good)
        for i in range(21):
            many += ["--input", "c%d=%s" % (i, channel_folder)]
        cases.append((many + ["--job-name", "too-many"], b"inputDataConfig"))
        for args, expected in cases:
            with self.subTest(args=args[-2:]):
                result = self.jobs.run(args)
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn(expected, result.stderr)
        self.assertEqual(self.jobs.job_names(), [])  # nothing was created, nothing ran

    # -- each host a light container --------------------------------------------------------
    def test_a_host_sees_none_of_the_callers_secrets_or_other_jobs(self):
        home = self.out_folder()
        os.makedirs(os.path.join(home, ".aws"))
        with open(os.path.join(home, ".aws", "credentials"), "w") as f:
            f.write("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret-Qx7\n")
        out = self.out_folder()
        other = self.local_channel(MODEL_SCRIPT, {"train.csv": b"other-job-Qx7\n"})
        self.jobs.run(["--input", "training=" + other, "--output", "file://" + out, "--job-name", "other"], check=0)
        env = dict(os.environ, HOME=home, AWS_ACCESS_KEY_ID="AKIACALLER", AWS_SECRET_ACCESS_KEY="caller-secret-Qx7")
        roots = [home, self.jobs.home, os.path.join(self.jobs.home, "jobs", "other")]
        self.jobs.run(["--input", "training=" + self.local_channel(SNOOP_SCRIPT), "--output", "file://" + out,
                       "--job-name", "snoop", "--environment", "SNOOP_ROOTS=" + json.dumps(roots)], env=env, check=0)
        seen = self.model_of(out, "snoop", "found.json")
        self.assertEqual(seen["found"], [])
        self.assertGreater(seen["read"], 0)  # it did read: its own /proc entries at least

    def test_killing_a_hosts_train_ends_everything_in_it(self):
        self.jobs.run(["--input", "training=" + self.local_channel(LEAVES_A_CHILD_SCRIPT), "--output",
                       "file://" + self.out_folder(), "--job-name", "killtrain", "--detach"], check=0)
        self.jobs.wait_for_log("killtrain", b"sleeping")
        processes = processes_of("killtrain")
        self.assertGreaterEqual(len(processes), 3, processes)  # train, python, sleep
        train = [pid for pid in processes if inner_pid(pid) == 1]
        self.assertEqual(len(train), 1, processes)
        os.kill(train[0], signal.SIGKILL)
        self.assertTrue(wait_until(lambda: processes_of("killtrain") == [], 5), processes_of("killtrain"))
        self.assertTrue(wait_until(lambda: self.jobs.describe("killtrain")["TrainingJobStatus"] != "InProgress", 30))
        self.assertEqual(self.jobs.describe("killtrain")["TrainingJobStatus"], "Failed")

    def test_relative_folders_are_taken_from_the_current_folder(self):
        # The README's own form: folders relative to where the command runs.
        here = self.out_folder()
        os.makedirs(os.path.join(here, "data"))
        with open(os.path.join(here, "data", "train.csv"), "w") as f:
            f.write("1,2\n")
        os.makedirs(os.path.join(here, "src"))
        with open(os.path.join(here, "src", "train.py"), "w") as f:
            f.write(MODEL_SCRIPT)
        result = self.jobs.run(["--input", "training=./data", "--script", "src", "--output", "./out",
                                "--job-name", "relative"], cwd=here, check=0)
        status = self.jobs.describe("relative")
        self.assertEqual(status["TrainingJobStatus"], "Completed", result.stderr)
        self.assertEqual(status["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"], os.path.join(here, "data"))
        self.assertTrue(os.path.isfile(os.path.join(here, "out", "relative", "output", "model.tar.gz")))

    def test_two_jobs_started_at_once_on_a_new_store_both_run(self):
        # Both make the store's index at once: switching a new SQLite database to WAL answered
        # SQLITE_BUSY to one of them, which failed before its job existed.
        import subprocess
        import tempfile
        for round_ in range(3):
            jobs = LocalJobs(self, runtime="native")
            folder = self.local_channel(MODEL_SCRIPT)
            runs = [subprocess.Popen(jobs.command(["--input", "training=" + folder, "--output", "file://" +
                                                   tempfile.mkdtemp(dir=jobs.home), "--job-name", name]),
                                     env=jobs.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    for name in ("first", "second")]
            for run in runs:
                _, stderr = run.communicate(timeout=120)
                self.assertEqual(run.returncode, 0, stderr.decode(errors="replace"))

    def test_a_script_folder_without_a_script_is_refused_naming_it(self):
        empty = self.out_folder()
        result = self.jobs.run(["--script", empty, "--input", "training=" + empty, "--output", "./out"],
                               cwd=empty, check=None)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(("--script %s: no train.py, train.sh or train in it; name the script" % empty).encode(),
                      result.stderr)
        self.assertFalse(os.path.exists(os.path.join(empty, "out")))  # refused before anything was made

    def test_nothing_outlives_a_killed_runner(self):
        from local_cases import SLEEP_SCRIPT
        import signal
        import time
        out = self.out_folder()
        self.jobs.run(["--input", "training=" + self.local_channel(SLEEP_SCRIPT), "--output", "file://" + out,
                       "--job-name", "orphan", "--detach"], check=0)
        self.jobs.wait_for_log("orphan", b"sleeping")
        folder = os.path.join(self.jobs.home, "jobs", "orphan")
        self.assertGreaterEqual(len(processes_of("orphan")), 2)  # train and the script, at least
        with open(os.path.join(folder, "lock")) as f:  # the runner names itself: "<pid> <start time>"
            os.kill(int(f.read().split()[0]), signal.SIGKILL)

        def job_processes():
            return processes_of("orphan")
        deadline = time.monotonic() + 30
        while job_processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(job_processes(), [])
        time.sleep(0.2)
        status = self.jobs.describe("orphan")
        self.assertEqual(status["TrainingJobStatus"], "Failed")
        self.assertIn("runner", status["FailureReason"])

    def test_pipe_mode_refused_before_anything_runs(self):
        request = base_request("piped", "file://" + self.out_folder())
        request["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe"
        request["InputDataConfig"] = [channel("training", "file://" + self.local_channel(MODEL_SCRIPT))]
        result = self.jobs.run([self.write_request(request)])
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"Pipe mode is not supported locally", result.stderr)
        self.assertEqual(self.jobs.job_names(), [])

    def test_request_file_is_the_aws_json(self):
        channel_folder = self.local_channel(MODEL_SCRIPT)
        out = self.out_folder()
        request = base_request("from-json", "file://" + out)
        request["InputDataConfig"] = [channel("training", "file://" + channel_folder)]
        request["HyperParameters"] = {"lr": "0.1"}
        request["OutputDataConfig"]["CompressionType"] = "NONE"
        self.jobs.run([self.write_request(request)], check=0)
        status = self.jobs.describe("from-json")
        self.assertEqual(status["HyperParameters"], {"lr": "0.1"})
        # CompressionType NONE: the model's files as they are.
        self.assertTrue(os.path.exists(os.path.join(out, "from-json", "output", "model", "model.json")))
        config = os.path.join(self.jobs.home, "jobs", "from-json", "hosts", "algo-1", "input", "config")
        with open(os.path.join(config, "resourceconfig.json")) as f:
            self.assertIn('"current_host":"algo-1"', f.read())

    def test_base_job_name_gives_unique_names_and_list_shows_them(self):
        channel_folder = self.local_channel(MODEL_SCRIPT)
        out = self.out_folder()
        for _ in range(2):
            self.jobs.run(["--input", "training=" + channel_folder, "--output", "file://" + out,
                           "--base-job-name", "digits"], check=0)
        names = self.jobs.job_names()
        self.assertEqual(len(names), 2)
        self.assertTrue(all(name.startswith("digits-") and len(name) <= 63 for name in names))
        listing = self.jobs.sagerun("list").stdout.decode()
        for name in names:
            self.assertIn(name, listing)

    def test_logs_follow_until_the_job_ends(self):
        channel_folder = self.local_channel("import time\nfor i in range(3):\n    print('step', i, flush=True)\n"
                                            "    time.sleep(0.3)\n")
        out = self.out_folder()
        self.jobs.run(["--input", "training=" + channel_folder, "--output", "file://" + out, "--job-name", "follow",
                       "--detach"], check=0)
        logs = self.jobs.sagerun("logs", "follow", "--follow", timeout=60)
        self.assertIn(b"step 2", logs.stdout)
        self.assertEqual(self.jobs.describe("follow")["TrainingJobStatus"], "Completed")


if __name__ == "__main__":
    main()
