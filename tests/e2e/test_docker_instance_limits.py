"""Each host sized as its instance type under Docker (--memory, --memory-swap, --cpus): the cases of
limits_cases.py in containers of the test image."""
import unittest

import docker_images
from harness import TRAIN, main, require_binaries
from limits_cases import Limits
from local_jobs import LocalJobs


class DockerLimits(Limits, unittest.TestCase):
    image = None

    @classmethod
    def setUpClass(cls):
        require_binaries()
        cls.image = docker_images.ensure_test_image(TRAIN)

    def setUp(self):
        self.jobs = LocalJobs(self, runtime="docker", image=self.image)
        for name in ("greedy", "spin"):
            self.addCleanup(docker_images.cleanup_containers, "sagerun.job=" + name)


if __name__ == "__main__":
    main()
