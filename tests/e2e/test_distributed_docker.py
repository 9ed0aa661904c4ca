"""Distributed training in the docker runtime: torchrun and mpirun launched by train in each host's
container (the test base with Debian's PyTorch, mpi4py and Open MPI), the hosts on this machine's
loopback (host networking)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_images  # noqa: E402
from distributed_cases import DistributedCases  # noqa: E402
from harness import TRAIN, main, require_binaries  # noqa: E402
from local_jobs import LocalJobs  # noqa: E402


class DistributedDocker(DistributedCases, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries()
        cls.image = docker_images.ensure_distributed_image(TRAIN)

    def setUp(self):
        self.jobs = LocalJobs(self, runtime="docker", image=self.image)

    def leftovers(self, name):
        """The job's containers still there (their processes are the daemon's, not ours to read)."""
        listed = docker_images.docker("ps", "-q", "--filter", "label=sagerun.job=" + name, check=True)
        return listed.stdout.decode().split()


if __name__ == "__main__":
    main()
