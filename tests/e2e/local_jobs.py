"""Helpers for the `sagerun local` suites: a private state dir, running the command, reading status.

    jobs = LocalJobs(self)                 # SAGERUN_HOME in a temporary folder, removed at cleanup
    result = jobs.run(["--input", "training=" + folder, "--output", "file://" + out], env=aws_env(moto.endpoint))
    status = jobs.describe(name)           # DescribeTrainingJob's JSON
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import SAGERUN


def write_script(folder, source, name="train.py"):
    """The seed layout: folder/script/<name>."""
    os.makedirs(os.path.join(folder, "script"), exist_ok=True)
    with open(os.path.join(folder, "script", name), "w") as f:
        f.write(source)


class LocalJobs:
    def __init__(self, test, runtime="native", image=None):
        self.home = tempfile.mkdtemp(prefix="sagerun-home-")
        test.addCleanup(shutil.rmtree, self.home, True)
        self.runtime = runtime
        self.image = image
        self.test = test

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        env["SAGERUN_HOME"] = self.home
        env.setdefault("SAGERUN_PYTHON", "/usr/bin/python3")
        env.setdefault("SAGERUN_STOP_GRACE_SECONDS", "3")
        return env

    def command(self, args):
        command = [SAGERUN, "local", "--runtime", self.runtime]
        if self.image:
            command += ["--image", self.image]
        return command + list(args)

    def run(self, args, env=None, timeout=300, check=None, cwd=None):
        result = subprocess.run(self.command(args), env=self.env(env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, cwd=cwd)
        if check is not None and result.returncode != check:
            self.test.fail("sagerun local exited %d, wanted %d\nstdout:\n%s\nstderr:\n%s" % (
                result.returncode, check, result.stdout.decode(errors="replace"),
                result.stderr.decode(errors="replace")))
        return result

    def start(self, args, env=None):
        """The job in the foreground, as a user at a terminal would run it (for Ctrl-C tests)."""
        return subprocess.Popen(self.command(args), env=self.env(env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def sagerun(self, *args, env=None, timeout=120):
        return subprocess.run([SAGERUN] + list(args), env=self.env(env), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)

    def describe(self, name, env=None):
        result = self.sagerun("describe", name, env=env)
        if result.returncode != 0:
            self.test.fail("describe %s failed: %s" % (name, result.stderr.decode(errors="replace")))
        return json.loads(result.stdout)

    def log(self, name, host="algo-1"):
        with open(os.path.join(self.home, "jobs", name, "logs", host + ".log"), "rb") as f:
            return f.read()

    def wait_for_log(self, name, needle, timeout=60, host="algo-1"):
        deadline = time.monotonic() + timeout
        path = os.path.join(self.home, "jobs", name, "logs", host + ".log")
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    if needle in f.read():
                        return
            time.sleep(0.05)
        self.test.fail("%r never appeared in %s" % (needle, path))

    def job_names(self):
        jobs = os.path.join(self.home, "jobs")
        return sorted(os.listdir(jobs)) if os.path.isdir(jobs) else []
