"""`sagerun server` for end-to-end suites: started on 127.0.0.1 at a free port, in a private state
dir, accepting the test keys (peers.ACCESS_KEY / SECRET_KEY) by default.

    server = SagerunServer(env=aws_env(moto.endpoint)).start()   # jobs use moto's S3
    self.addCleanup(server.stop)
    sm = server.client("sagemaker")                              # boto3, signed with the test keys
    server.kill()                                                # SIGKILL; its jobs' runners go on
    server.start()                                               # same state dir and port

env: the server's environment (default os.environ); SAGERUN_PYTHON=/usr/bin/python3 and
SAGERUN_STOP_GRACE_SECONDS=3 are added unless set. max_instances: --max-instances.
s3_endpoint: --s3-endpoint-url (default: the jobs use env's AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).
access_key/secret_key: the keys clients sign with; None for both: the server's own credentials.
extra_args: more flags for `sagerun server`.
"""
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from harness import SAGERUN
from peers import ACCESS_KEY, SECRET_KEY, _die_with_parent, free_port


class SagerunServer:
    def __init__(self, state_dir=None, env=None, max_instances=2, s3_endpoint=None, access_key=ACCESS_KEY,
                 secret_key=SECRET_KEY, extra_args=(), startup_timeout=30.0):
        self._own_state = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="sagerun-server-")
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("SAGERUN_PYTHON", "/usr/bin/python3")
        self.env.setdefault("SAGERUN_STOP_GRACE_SECONDS", "3")
        self.max_instances = max_instances
        self.s3_endpoint = s3_endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.port = None
        self.process = None
        self._stderr = None
        self._earlier = ""  # what servers started before this one wrote
        self._secret_path = None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def command(self):
        command = [SAGERUN, "server", "--host", "127.0.0.1", "--port", str(self.port), "--state-dir", self.state_dir,
                   "--max-instances", str(self.max_instances)]
        if self.access_key is not None:
            command += ["--access-key", self.access_key, "--secret-key-file", self.secret_file()]
        if self.s3_endpoint:
            command += ["--s3-endpoint-url", self.s3_endpoint]
        # A machine larger than this one, so that --max-instances alone decides how many jobs run
        # at once, unless the suite sizes it itself.
        if not any(arg.startswith("--machine-") for arg in self.extra_args):
            command += ["--machine-cpus", "64", "--machine-memory-gib", "512"]
        return command + self.extra_args

    def secret_file(self):
        """The secret, in a file only this user can read (never in argv), removed by stop()."""
        path = os.path.join(tempfile.gettempdir(), "sagerun-secret-%d-%d" % (os.getpid(), id(self)))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.secret_key + "\n")
        self._secret_path = path
        return path

    def start(self):
        """Starts the server (again, on the same port and state dir after stop() or kill())."""
        if not SAGERUN or not os.path.exists(SAGERUN):
            raise unittest.SkipTest("SAGERUN_BIN is not set: run this suite through ctest")
        for attempt in range(3):
            if self.port is None or attempt > 0:
                self.port = free_port()
            self._stderr = tempfile.TemporaryFile()
            self.process = subprocess.Popen(self.command(), env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True,
                                            preexec_fn=_die_with_parent)
            line = self._read_endpoint_line()
            if line == self.endpoint:
                return self
            self.process.kill()
            self.process.wait()
            self.process.stdout.close()
            if "cannot listen" not in self.log():
                break
        log = self.log()
        self._stderr.close()
        self._stderr, self.process = None, None
        raise RuntimeError("sagerun server did not start (stdout %r):\n%s" % (line, log[-4000:]))

    def _read_endpoint_line(self):
        result = []

        def read():
            result.append(self.process.stdout.readline().decode(errors="replace").strip())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        return result[0] if result else ""

    def log(self):
        """What the server wrote on stderr so far (one line per job started and ended)."""
        if self._stderr is None:
            return self._earlier
        self._stderr.seek(0)
        return self._earlier + self._stderr.read().decode("utf-8", "replace")

    def _end(self, sig, timeout=15):
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        if self._stderr is not None:
            self._earlier = self.log()
            self._stderr.close()
            self._stderr = None
        return process.returncode

    def kill(self):
        """SIGKILL to the server alone: its jobs' runners go on (a restart reattaches them)."""
        return self._end(signal.SIGKILL)

    def terminate(self):
        """SIGTERM: a graceful stop; running jobs go on."""
        return self._end(signal.SIGTERM)

    def runner_pids(self):
        pids = []
        for path in glob.glob(os.path.join(self.state_dir, "jobs", "*", "lock")):
            try:
                with open(path) as f:  # the runner names itself: "<pid> <start time>"
                    pids.append(int(f.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return pids

    def stop(self):
        """Stops the server, then the runners of jobs still running (SIGTERM, then SIGKILL), and removes
        the state dir when this object made it."""
        code = self.terminate()
        pids = [pid for pid in self.runner_pids() if _alive(pid)]
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in pids:
            if _alive(pid):
                _signal_group(pid, signal.SIGKILL)
        if self._own_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        if self._secret_path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._secret_path)
        return code

    def client(self, service="sagemaker", access_key=None, secret_key=None, region="us-east-1", **config):
        """A boto3 client for this server, signed with the server's keys (or the ones given)."""
        import boto3
        from botocore.config import Config
        config.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id=access_key or self.access_key or ACCESS_KEY,
                            aws_secret_access_key=secret_key or self.secret_key or SECRET_KEY,
                            config=Config(**config))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        _signal(pid, sig)


def wait_for(predicate, timeout=120, interval=0.2, what="condition"):
    """Polls predicate() until it returns something truthy; returns it, or fails with `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def wait_for_job(sm, name, statuses=("Completed", "Failed", "Stopped"), timeout=180):
    """Describes the job until its TrainingJobStatus is one of `statuses`; returns the description."""
    def done():
        described = sm.describe_training_job(TrainingJobName=name)
        return described if described["TrainingJobStatus"] in statuses else None
    return wait_for(done, timeout=timeout, what="job %s to reach %s" % (name, "/".join(statuses)))


def training_request(name, bucket="bkt", prefix="ml", image="sagerun:latest", instance_count=1, max_runtime=3600,
                     hyperparameters=None, environment=None):
    """The seed layout's CreateTrainingJob request: the script at s3://BUCKET/PREFIX/input/script/train.py,
    channel `training` = s3://BUCKET/PREFIX/input, outputs under s3://BUCKET/PREFIX/output."""
    request = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::123456789012:role/sagerun-test",
        "InputDataConfig": [{"ChannelName": "training", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://%s/%s/input" % (bucket, prefix),
            "S3DataDistributionType": "FullyReplicated"}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://%s/%s/output" % (bucket, prefix)},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": instance_count, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }
    if hyperparameters:
        request["HyperParameters"] = hyperparameters
    if environment:
        request["Environment"] = environment
    return request
