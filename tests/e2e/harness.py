"""Shared helpers for the end-to-end suites: build /opt/ml-style trees and run `train` on them.

Each suite is a plain unittest file registered in ctest (tests/CMakeLists.txt), which passes the
binaries' paths in SAGERUN_TRAIN and SAGERUN_BIN.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TRAIN = os.environ.get("SAGERUN_TRAIN", "")
SAGERUN = os.environ.get("SAGERUN_BIN", "")
SOURCE_DIR = os.environ.get("SAGERUN_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MARKER = b"[sagerun] "
# A Python with the standard library only is enough for most scripts; the machine's python3.
PYTHON = os.environ.get("SAGERUN_TEST_PYTHON", shutil.which("python3") or "/usr/bin/python3")


def require_binaries():
    if not TRAIN or not os.path.exists(TRAIN):
        raise unittest.SkipTest("SAGERUN_TRAIN is not set: run this suite through ctest")


class Tree:
    """A SageMaker /opt/ml tree in a temporary folder."""

    def __init__(self, hyperparameters=None, channels=("training",), hosts=("algo-1",), current_host="algo-1",
                 resource_extra=None, write_config=True):
        self.root = tempfile.mkdtemp(prefix="sagerun-e2e-")
        os.makedirs(self.path("input/config"))
        for channel in channels:
            os.makedirs(self.path("input/data", channel), exist_ok=True)
        if write_config:
            hps = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (hyperparameters or {}).items()}
            self.write_json("input/config/hyperparameters.json", hps)
            self.write_json("input/config/inputdataconfig.json",
                            {c: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                                 "RecordWrapperType": "None"} for c in channels})
            resource = {"current_host": current_host, "hosts": list(hosts)}
            resource.update(resource_extra or {})
            self.write_json("input/config/resourceconfig.json", resource)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def write(self, relative, content, mode=None):
        full = self.path(relative)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
        if mode is not None:
            os.chmod(full, mode)
        return full

    def write_json(self, relative, value):
        return self.write(relative, json.dumps(value))

    def read(self, relative, binary=False):
        with open(self.path(relative), "rb" if binary else "r") as f:
            return f.read()

    def exists(self, relative):
        return os.path.exists(self.path(relative))

    def script(self, body, relative="input/data/training/script/train.py", mode=None):
        return self.write(relative, body, mode)

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def train_env(tree, extra=None):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("SM_", "SAGEMAKER_", "SAGERUN_")) and key not in ("SAGERUN_TRAIN", "SAGERUN_BIN"):
            del env[key]
    env["SAGEMAKER_BASE_DIR"] = tree.root
    env["SAGERUN_PYTHON"] = PYTHON
    env.update(extra or {})
    return env


def run_train(tree, extra_env=None, timeout=120, binary=None, **kwargs):
    """Runs train on the tree; returns the CompletedProcess with bytes stdout/stderr."""
    return subprocess.run([binary or TRAIN], env=train_env(tree, extra_env), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, **kwargs)


def script_stderr(stderr):
    """stderr without train's own marked lines."""
    return b"".join(line for line in stderr.splitlines(keepends=True) if not line.startswith(MARKER))


def main():
    unittest.main(verbosity=2)
