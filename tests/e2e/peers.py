"""Peers for the S3 end-to-end suites: a moto S3 server and helpers for boto3 and the AWS CLI.

    with MotoServer() as moto:                       # or: moto = MotoServer().start(); self.addCleanup(moto.stop)
        s3 = s3_client(moto.endpoint)
        s3.create_bucket(Bucket="b")
        aws_cli(1, ["s3", "ls", "s3://b"], moto.endpoint)
        env = aws_env(moto.endpoint)                 # the environment for a client under test
"""
import atexit
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ACCESS_KEY = "testing-key"
SECRET_KEY = "testing-secret"
CLI_V2 = "/usr/bin/aws"

_live = set()
_live_lock = threading.Lock()


def free_port():
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto_available():
    try:
        import moto.server  # noqa: F401
        return True
    except ImportError:
        return False


try:
    _prctl = ctypes.CDLL(None).prctl  # looked up here: a forked child must not load anything
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent():
    # Linux: the server gets SIGKILL when the thread that started it dies, even by SIGKILL (a ctest timeout).
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class MotoServer:
    """`python -m moto.server` on 127.0.0.1 at a free port, for the life of a `with` block.

    env: extra environment for the server (e.g. {"MOTO_S3_DEFAULT_MAX_KEYS": "5"}).
    """

    def __init__(self, env=None, startup_timeout=20.0):
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.port = None
        self.process = None
        self._log = None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        if not moto_available():
            raise unittest.SkipTest("moto is not installed for %s" % sys.executable)
        env = dict(os.environ)
        env.update(self.env)
        for attempt in range(3):  # the port may be taken between free_port() and the server's bind
            self.port = free_port()
            self._log = tempfile.TemporaryFile()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True, preexec_fn=_die_with_parent)
            with _live_lock:
                _live.add(self)
            if self._wait_ready():
                return self
            log = self.log()
            self.stop()
        raise RuntimeError("moto server did not start:\n" + log[-4000:])

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/moto-api/")
                conn.getresponse().read()
                conn.close()
                return True
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        return False

    def log(self):
        """What the server has written so far (one line per request)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def reset(self):
        """Forgets every bucket and object (POST /moto-api/reset)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/moto-api/reset")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError("moto reset answered %d" % response.status)
        finally:
            conn.close()

    def stop(self):
        process, self.process = self.process, None
        with _live_lock:
            _live.discard(self)
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@atexit.register
def _stop_all():
    with _live_lock:
        servers = list(_live)
    for server in servers:
        server.stop()


def aws_env(endpoint, region="us-east-1", base=None):
    """The environment for an S3 client against `endpoint`: base (default os.environ) with every AWS_*
    variable removed (profiles, session tokens, container and web-identity credentials, config files),
    then static test credentials, the region and the endpoint set. ~/.aws is not read."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    })
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY", ""), "127.0.0.1,localhost"]))
    env["NO_PROXY"] = env["no_proxy"] = no_proxy
    return env


def s3_client(endpoint, region="us-east-1", **config):
    """A boto3 S3 client with path-style addressing against `endpoint`; config: botocore Config options
    (e.g. retries={"max_attempts": 1, "mode": "standard"}, read_timeout=5)."""
    import boto3
    from botocore.config import Config
    config.setdefault("s3", {"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, config=Config(**config))


_v2 = None


def cli_v2_available():
    global _v2
    if _v2 is None:
        try:
            out = subprocess.run([CLI_V2, "--version"], capture_output=True, timeout=60, env=aws_env("http://127.0.0.1:1"))
            _v2 = out.returncode == 0 and (out.stdout + out.stderr).startswith(b"aws-cli/2")
        except (OSError, subprocess.TimeoutExpired):
            _v2 = False
    return _v2


def aws_cli(version, args, endpoint, region="us-east-1", env=None, **kw):
    """Runs `aws --endpoint-url ENDPOINT ARGS...` with aws_env(endpoint, region) plus env.

    version: 1 (python -m awscli) or 2 (/usr/bin/aws). kw go to subprocess.run; by default output is
    captured as bytes and the timeout is 120 s. Returns the CompletedProcess."""
    if version == 1:
        command = [sys.executable, "-m", "awscli"]
    elif version == 2:
        command = [CLI_V2]
    else:
        raise ValueError("AWS CLI version is 1 or 2")
    full_env = aws_env(endpoint, region)
    full_env.update(env or {})
    kw.setdefault("timeout", 120)
    if "stdout" not in kw and "stderr" not in kw:
        kw.setdefault("capture_output", True)
    return subprocess.run(command + ["--endpoint-url", endpoint] + list(args), env=full_env, **kw)
