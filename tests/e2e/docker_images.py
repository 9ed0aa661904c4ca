"""Docker for the end-to-end suites: the daemon, the test images, and container clean-up.

    image = docker_images.ensure_test_image(harness.TRAIN)   # 'sagerun-test:latest', built once per process
    docker_images.docker("run", "--rm", "--label", "sagerun.job=j1", image, "train")
    docker_images.cleanup_containers("sagerun.job=j1")

The images come from scripts/build-test-images.sh (debootstrap + `docker import`, no registry);
the daemon from scripts/docker-setup.sh, which the test setup runs. Without a daemon the suites
are skipped, unless SAGERUN_REQUIRE_DOCKER=1 (CI), where that is a failure.

For the generic images (docker/Dockerfile.*) and their pushes:

    args = generic_image_args()                   # `sagerun image build` flags: the debootstrap base, apt
    with Registry(users={"AWS": "pw"}) as registry:   # Debian's docker-registry on 127.0.0.1:PORT
        docker("push", registry.host + "/name:tag")
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

BASE_IMAGE = "sagerun-test-base:bookworm"
TEST_IMAGE = "sagerun-test:latest"
SOURCE_DIR = os.environ.get("SAGERUN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "build-test-images.sh")
# A cold build runs debootstrap and apt (about 4 minutes on a good mirror); ctest allows 900 s a suite.
BUILD_TIMEOUT = 800

# Image ids from the last build in this process ({image name: "sha256:..."}). The tag
# sagerun-test:latest moves whenever another binary is built into it (another build folder's
# tests, at the same time); TEST_IMAGE_IDS[TEST_IMAGE] stays the image this process built.
TEST_IMAGE_IDS = {}

_built = {}  # train binary's real path -> image name
_lock = threading.Lock()


def docker_cli():
    return os.environ.get("SAGERUN_DOCKER") or shutil.which("docker") or "docker"


def docker(*args, timeout=300, check=False, **kwargs):
    """Runs the docker CLI with these arguments (no shell); stdout and stderr are captured (bytes)
    unless given. Returns the CompletedProcess; check=True raises AssertionError with the output."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    argv = [docker_cli(), *map(str, args)]
    result = subprocess.run(argv, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError("%s exited with %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(argv), result.returncode, _text(result.stdout), _text(result.stderr)))
    return result


def _text(data):
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def docker_available():
    """Whether a docker CLI is installed and its daemon answers."""
    try:
        return docker("version", "--format", "{{.Server.Version}}", timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def docker_required():
    return os.environ.get("SAGERUN_REQUIRE_DOCKER") == "1"


def require_docker():
    """Skips the calling test or suite when there is no daemon; fails instead under SAGERUN_REQUIRE_DOCKER=1."""
    if docker_available():
        return
    message = "no Docker daemon answers (scripts/docker-setup.sh installs and starts one)"
    if docker_required():
        raise AssertionError(message + "; SAGERUN_REQUIRE_DOCKER=1 makes that a failure")
    raise unittest.SkipTest(message)


def ensure_test_image(train_binary):
    """Builds (once per process and binary) the base image if needed and the test image holding
    train_binary as /usr/local/bin/train; returns the test image's name, 'sagerun-test:latest'."""
    if not train_binary or not os.path.exists(train_binary):
        raise unittest.SkipTest("SAGERUN_TRAIN is not set: run this suite through ctest")
    key = os.path.realpath(train_binary)
    with _lock:
        if key in _built:
            return _built[key]
        require_docker()
        # Progress (debootstrap on a cold cache) goes to stderr and stays visible;
        # stdout's last lines are "IMAGE ID".
        result = subprocess.run([BUILD_SCRIPT, key], stdout=subprocess.PIPE, timeout=BUILD_TIMEOUT)
        if result.returncode != 0:
            raise AssertionError("%s failed with exit code %d" % (BUILD_SCRIPT, result.returncode))
        for line in result.stdout.decode().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].startswith("sha256:"):
                TEST_IMAGE_IDS[parts[0]] = parts[1]
        if TEST_IMAGE not in TEST_IMAGE_IDS:
            raise AssertionError("%s printed no id for %s:\n%s" % (BUILD_SCRIPT, TEST_IMAGE, result.stdout.decode()))
        _built[key] = TEST_IMAGE
        return TEST_IMAGE


# The distributed suites' image: the distributed base (the test base with Debian's PyTorch, mpi4py
# and Open MPI, made by BUILD_SCRIPT with the base), then this build's train.
DISTRIBUTED_BASE = "sagerun-test-distributed-base:bookworm"
DISTRIBUTED_IMAGE = "sagerun-test-distributed:latest"


def ensure_distributed_image(train_binary):
    """Builds DISTRIBUTED_IMAGE holding train_binary (once per process and binary); returns its id."""
    key = ("distributed", os.path.realpath(train_binary))
    with _lock:
        if key in _built:
            return _built[key]
    ensure_test_image(train_binary)  # the bases, up to date
    with _lock, tempfile.TemporaryDirectory(prefix="sagerun-dist-image-") as context:
        shutil.copy2(train_binary, os.path.join(context, "train"))
        with open(os.path.join(context, "Dockerfile"), "w") as f:
            f.write("FROM %s\nCOPY train /usr/local/bin/train\nWORKDIR /opt/ml\n" % DISTRIBUTED_BASE)
        docker("build", "--network", "host", "-q", "-t", DISTRIBUTED_IMAGE, context, timeout=BUILD_TIMEOUT,
               check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        image_id = docker("image", "inspect", "-f", "{{.Id}}", DISTRIBUTED_IMAGE, check=True).stdout.decode().strip()
        _built[key] = image_id
        return image_id


def cleanup_containers(label):
    """Removes (forcibly: running ones too) the containers that carry this label, given as
    "key=value" or just "key". Returns how many it removed."""
    listed = docker("ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + label, timeout=60)
    ids = listed.stdout.decode().split() if listed.returncode == 0 else []
    if ids:
        docker("rm", "--force", "--volumes", *ids, timeout=120)
    return len(ids)


# -- the generic images (docker/Dockerfile.cpu, .gpu) -------------------------------------------
# Debian packages installed over the test base by docker/install-ml-stack.sh (ML_INSTALL=apt):
# pandas and pip are real installs (numpy and scikit-learn are in the base already). PyTorch
# (python3-torch, ~1.4 GB with its Debian dependencies) stays out of the suites' images.
TEST_APT_PACKAGES = "python3-pip python3-numpy python3-pandas python3-sklearn"


def generic_image_args(*extra):
    """`sagerun image build` flags that build docker/Dockerfile.* here: the debootstrap test base for
    both the runtime and the builder stage, the ML stack from apt, and the host's network for apt."""
    return ["--base", BASE_IMAGE, "--network", "host",
            "--build-arg", "BUILDER_IMAGE=" + BASE_IMAGE,
            "--build-arg", "ML_INSTALL=apt",
            "--build-arg", "APT_PACKAGES=" + TEST_APT_PACKAGES, *extra]


# What must not be on PATH in a runtime image.
COMPILERS = ("gcc", "g++", "cc", "c++", "clang", "make", "cmake", "ninja")


def sagerun_image(*args, timeout=850):
    """Runs `sagerun image ARGS` (SAGERUN_BIN); returns (exit code, stdout, stderr) as text, and
    notes the time taken on stderr."""
    from harness import SAGERUN
    env = dict(os.environ)
    env.setdefault("DOCKER_BUILDKIT", "0")  # dockerd 20.10 without buildx: the legacy builder, quietly
    started = time.monotonic()
    result = subprocess.run([SAGERUN, "image", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=timeout, env=env)
    print("sagerun image %s: exit %d in %.1f s" % (args[0], result.returncode, time.monotonic() - started),
          file=sys.stderr)
    return result.returncode, result.stdout.decode(), result.stderr.decode(errors="replace")


def image_config(image):
    """The image's Config (Labels, Env, WorkingDir, Cmd, …) as `docker image inspect` gives it."""
    return json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image, check=True).stdout)


def image_size(image):
    """The image's size in bytes, as the daemon reports it."""
    return int(docker("image", "inspect", "--format", "{{.Size}}", image, check=True).stdout)


# The suites' own builds are tagged E2E_IMAGE:<suite> and left in the daemon (like TEST_IMAGE), so
# that a second run finds the ML-stack and toolchain layers in the build cache.
E2E_IMAGE = "sagerun-e2e-image"


def build_e2e_image(suite, *args):
    """`sagerun image build --tag E2E_IMAGE:suite ARGS` (the flags of generic_image_args first);
    returns (tag, image id, stderr) or raises AssertionError with the build's output. Earlier builds
    that the new tag replaced are dropped, with the layers that only they used."""
    tag = "%s:%s" % (E2E_IMAGE, suite)
    code, out, err = sagerun_image("build", "--tag", tag, *generic_image_args(*args))
    if code != 0 or out != tag + "\n":
        raise AssertionError("sagerun image build exited %d, printed %r:\n%s" % (code, out, err[-8000:]))
    image_id = docker("image", "inspect", "--format", "{{.Id}}", tag, check=True).stdout.decode().strip()
    _drop_earlier_builds(err, "train-prebuilt" if "--train" in args else "train-source")
    return tag, image_id, err


def _drop_earlier_builds(build_output, stage):
    """Removes what earlier builds left: untagged generic images (label sagerun.flavor) and the
    untagged images of their `train` stage of this kind (label sagerun.stage), except the one this
    build used: the legacy builder keeps stage images, and a source stage's is the compile's cache."""
    docker("image", "prune", "--force", "--filter", "label=sagerun.flavor", timeout=120)
    lines = build_output.splitlines()
    current = None
    for i, line in enumerate(lines):  # the last " ---> ID" before the runtime stage's FROM
        if "FROM ${BASE_IMAGE}" in line:
            ids = [re.search(r" ---> ([0-9a-f]{12})\b", x) for x in lines[:i]]
            current = next((m.group(1) for m in reversed(ids) if m), None)
            break
    if current is None:
        return  # not the legacy builder's output: nothing kept to tell apart
    listed = docker("images", "--quiet", "--filter", "dangling=true", "--filter", "label=sagerun.stage=" + stage,
                    timeout=60)
    stale = [i for i in listed.stdout.decode().split() if not i.startswith(current)]
    if stale:
        docker("rmi", *stale, timeout=120)


def untag(*references):
    """Removes these tags or digest references (the image stays while another tag holds it)."""
    if references:
        docker("rmi", *references, timeout=120)


def htpasswd_line(user, password):
    """A bcrypt htpasswd entry (what docker-registry's htpasswd auth accepts): from Python's crypt
    (glibc's libxcrypt; gone in Python 3.13), else the bcrypt module, else apache2-utils' htpasswd."""
    hashed = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))
    except (ImportError, AttributeError, OSError):
        pass
    if not hashed or not hashed.startswith("$2"):
        try:
            import bcrypt
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
        except ImportError:
            tool = shutil.which("htpasswd")
            if tool is None:
                raise unittest.SkipTest("no way to make a bcrypt htpasswd entry (crypt, bcrypt or htpasswd)")
            made = subprocess.run([tool, "-nbB", user, password], capture_output=True, check=True)
            hashed = made.stdout.decode().strip().split(":", 1)[1]
    return "%s:%s" % (user, hashed)


class Registry:
    """Debian's docker-registry (/usr/bin/docker-registry) on 127.0.0.1 at a free port, its storage
    in a temporary folder; with `users` ({name: password}) it asks for basic auth (htpasswd).
    Docker allows plain HTTP to loopback registries, so no TLS is needed."""

    BINARY = "/usr/bin/docker-registry"

    def __init__(self, users=None):
        self.users = dict(users or {})
        self.port = None
        self.process = None
        self.folder = None
        self._log = None

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        if not os.path.exists(self.BINARY):
            message = "Debian's docker-registry is not installed (apt-get install docker-registry)"
            if docker_required():
                raise AssertionError(message)
            raise unittest.SkipTest(message)
        from peers import _die_with_parent, free_port
        self.folder = tempfile.mkdtemp(prefix="sagerun-registry-")
        auth = ""
        if self.users:
            htpasswd = os.path.join(self.folder, "htpasswd")
            with open(htpasswd, "w") as f:
                f.write("".join(htpasswd_line(u, p) + "\n" for u, p in self.users.items()))
            auth = "auth:\n  htpasswd:\n    realm: sagerun-tests\n    path: %s\n" % htpasswd
        for _ in range(3):  # the port may be taken between free_port() and the bind
            self.port = free_port()
            config = os.path.join(self.folder, "config.yml")
            with open(config, "w") as f:
                f.write("version: 0.1\n"
                        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
                        "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"
                        "http:\n  addr: 127.0.0.1:%d\n  secret: sagerun-tests-only\n%s"
                        % (os.path.join(self.folder, "storage"), self.port, auth))
            self._log = tempfile.TemporaryFile()
            self.process = subprocess.Popen([self.BINARY, "serve", config], stdin=subprocess.DEVNULL,
                                            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
                                            preexec_fn=_die_with_parent)
            if self._wait_ready():
                return self
            self._stop_process()
        raise RuntimeError("docker-registry did not start:\n" + self.log()[-4000:])

    def _wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/v2/")
                status = conn.getresponse().status
                conn.close()
                if status in (200, 401):
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        return False

    def log(self):
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def _stop_process(self):
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self):
        self._stop_process()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
