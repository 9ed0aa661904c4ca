"""Docker for the end-to-end suites: the daemon, the test images, and container clean-up.

    image = docker_images.ensure_test_image(harness.TRAIN)   # 'sagerun-test:latest', built once per process
    docker_images.docker("run", "--rm", "--label", "sagerun.job=j1", image, "train")
    docker_images.cleanup_containers("sagerun.job=j1")

The images come from scripts/build-test-images.sh (debootstrap + `docker import`, no registry);
the daemon from scripts/docker-setup.sh, which the test setup runs. Without a daemon the suites
are skipped, unless SAGERUN_REQUIRE_DOCKER=1 (CI), where that is a failure.
"""
import os
import shutil
import subprocess
import threading
import unittest

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


def cleanup_containers(label):
    """Removes (forcibly: running ones too) the containers that carry this label, given as
    "key=value" or just "key". Returns how many it removed."""
    listed = docker("ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + label, timeout=60)
    ids = listed.stdout.decode().split() if listed.returncode == 0 else []
    if ids:
        docker("rm", "--force", "--volumes", *ids, timeout=120)
    return len(ids)
