"""Distributed training in the native runtime: torchrun and mpirun launched by train on every
host, each host a light container on this machine's loopback."""
import unittest

from distributed_cases import DistributedCases
from harness import main, require_binaries
from local_jobs import LocalJobs


class DistributedNative(DistributedCases, unittest.TestCase):
    def setUp(self):
        require_binaries()
        self.jobs = LocalJobs(self, runtime="native")


if __name__ == "__main__":
    main()
