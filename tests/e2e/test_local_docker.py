"""`sagerun local --runtime docker`: whole jobs in containers of the test image (train on a
debootstrap-built Debian base), under a real dockerd, against moto's S3 server and local folders."""
import json
import os
import unittest

import docker_images
from harness import TRAIN, main, require_binaries
from local_cases import LocalJobCases, base_request, channel, read_file, tar_members
from local_jobs import LocalJobs

NETWORK_SCRIPT = r'''
import json, os, socket
try:
    socket.create_connection(("127.0.0.1", int(os.environ["PROBE_PORT"])), timeout=2).close()
    reached = True
except OSError:
    reached = False
json.dump({"reached": reached}, open(os.path.join(os.environ["SM_MODEL_DIR"], "net.json"), "w"))
'''


class LocalDocker(LocalJobCases, unittest.TestCase):
    image = None

    @classmethod
    def setUpClass(cls):
        require_binaries()
        cls.image = docker_images.ensure_test_image(TRAIN)

    def setUp(self):
        self.jobs = LocalJobs(self, runtime="docker", image=self.image)
        self.addCleanup(docker_images.cleanup_containers, "sagerun.job")

    def test_network_isolation_means_no_network(self):
        import socket
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        self.addCleanup(listener.close)
        port = listener.getsockname()[1]
        out = self.out_folder()
        results = {}
        for name, isolated in (("open-net", False), ("isolated", True)):
            args = ["--input", "training=" + self.local_channel(NETWORK_SCRIPT), "--output", "file://" + out,
                    "--job-name", name, "--environment", "PROBE_PORT=%d" % port]
            self.jobs.run(args + (["--network-isolation"] if isolated else []), check=0)
            model = tar_members(read_file(os.path.join(out, name, "output", "model.tar.gz")))
            results[name] = json.loads(model["net.json"])["reached"]
        self.assertEqual(results, {"open-net": True, "isolated": False})

    def test_docker_runtime_needs_an_image(self):
        jobs = LocalJobs(self, runtime="docker")
        result = jobs.run(["--input", "training=/tmp", "--output", "file:///tmp/x", "--job-name", "no-image"])
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"TrainingImage", result.stderr)


if __name__ == "__main__":
    main()
