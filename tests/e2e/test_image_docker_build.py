"""`sagerun image build` with the `train` these tests built (TRAIN_FROM=prebuilt): docker/Dockerfile.cpu
on the debootstrap base standing in for the public Python base (the ML stack from apt), the image's
layout, its `train` byte for byte, a real job through `sagerun local --runtime docker` with the seed
layout in moto's S3, and docker/Dockerfile.gpu built the same way on the CPU base.

The sizes go to stderr ("image size: …") for the record."""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_images  # noqa: E402
import harness  # noqa: E402
from local_jobs import LocalJobs  # noqa: E402
from peers import MotoServer, aws_env, s3_client  # noqa: E402

DOCKERFILE_CPU = os.path.join(harness.SOURCE_DIR, "docker", "Dockerfile.cpu")
DIGITS = os.path.join(harness.SOURCE_DIR, "examples", "digits", "script", "train.py")
PREPARE = os.path.join(harness.SOURCE_DIR, "examples", "prepare_tree.py")


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ImageBuildPrebuilt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        docker_images.ensure_test_image(harness.TRAIN)  # the debootstrap base, with it
        cls.label = "sagerun.job=e2e-image-build-%d" % os.getpid()
        # Checks go by image id: another build folder's run may move the tag meanwhile.
        cls.cpu_tag, cls.cpu, cls.build_stderr = docker_images.build_e2e_image("cpu", "--train", harness.TRAIN)
        print("image size: %s %.0f MB (prebuilt train, ML stack: %s)" % (
            cls.cpu_tag, docker_images.image_size(cls.cpu) / 1e6, docker_images.TEST_APT_PACKAGES), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        docker_images.cleanup_containers(cls.label)

    def run_in(self, image, *command):
        return docker_images.docker("run", "--rm", "--label", self.label, image, *command, timeout=300)

    def test_build_reports_the_image(self):
        self.assertRegex(self.build_stderr, r"sagerun image build: built %s \(%s, \d+ MB\)"
                         % (re.escape(self.cpu_tag), self.cpu))
        self.assertIn("from Dockerfile.cpu with the prebuilt train", self.build_stderr)

    def test_train_is_the_binary_these_tests_built(self):
        expected = sha256_file(harness.TRAIN)
        result = self.run_in(self.cpu, "sha256sum", "/usr/local/bin/train")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.decode().split()[0], expected)
        config = docker_images.image_config(self.cpu)
        self.assertEqual(config["Labels"]["sagerun.train.sha256"], expected)
        self.assertEqual(config["Labels"]["sagerun.train.from"], "prebuilt")
        self.assertEqual(config["Labels"]["sagerun.flavor"], "cpu")
        version = subprocess.run([harness.SAGERUN, "--version"], capture_output=True).stdout.decode().split()[-1]
        self.assertEqual(config["Labels"]["org.opencontainers.image.version"], version)

    def test_runtime_layout_python_stack_and_no_compilers(self):
        config = docker_images.image_config(self.cpu)
        self.assertEqual(config["WorkingDir"], "/opt/ml")
        self.assertEqual(config["Cmd"], ["train"])
        self.assertIn("PYTHONUNBUFFERED=1", config["Env"])
        script = ("import shutil, numpy, pandas, sklearn, pip; "
                  "print(shutil.which('train')); "
                  "print([t for t in %r if shutil.which(t)]); "
                  "print([t for t in ('python', 'pip') if shutil.which(t)])" % (docker_images.COMPILERS,))
        result = self.run_in(self.cpu, "python3", "-c", script)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(result.stdout.decode().splitlines(), ["/usr/local/bin/train", "[]", "['python', 'pip']"])
        result = self.run_in(self.cpu, "pip", "--version")
        self.assertEqual(result.returncode, 0, result.stderr.decode())

    def test_a_seed_layout_job_from_s3_runs_in_the_image(self):
        moto = MotoServer().start()
        self.addCleanup(moto.stop)
        s3 = s3_client(moto.endpoint)
        s3.create_bucket(Bucket="ml-data")
        with tempfile.TemporaryDirectory() as channel:
            # The digits example: its data exported beside script/train.py, then into S3 as
            # `sagerun upload` lays it out (ml/input/script/train.py + ml/input/*.csv).
            os.rmdir(channel)
            subprocess.run(["/usr/bin/python3", PREPARE, channel, "--channel-only", "--script",
                            os.path.dirname(DIGITS)], check=True, stdout=subprocess.DEVNULL)
            for root, _, files in os.walk(channel):
                for name in files:
                    path = os.path.join(root, name)
                    s3.upload_file(path, "ml-data", "input/" + os.path.relpath(path, channel))
        jobs = LocalJobs(self, runtime="docker", image=self.cpu)
        self.addCleanup(docker_images.cleanup_containers, "sagerun.job=image-digits")
        result = jobs.run(["--input", "training=s3://ml-data/input", "--output", "s3://ml-data/output",
                           "--job-name", "image-digits", "--hyperparameter", "C=0.5",
                           "--metric", "test_accuracy=test_accuracy=([0-9.]+)"],
                          env=aws_env(moto.endpoint), check=0)
        self.assertIn(b"test_accuracy=", result.stdout + result.stderr)
        status = jobs.describe("image-digits", env=aws_env(moto.endpoint))
        self.assertEqual(status["TrainingJobStatus"], "Completed")
        self.assertEqual(status["AlgorithmSpecification"]["TrainingImage"], self.cpu)
        accuracy = {m["MetricName"]: m["Value"] for m in status["FinalMetricDataList"]}["test_accuracy"]
        self.assertGreater(accuracy, 0.9)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="ml-data", Prefix="output/")["Contents"]]
        self.assertIn("output/image-digits/output/model.tar.gz", keys)

    def test_gpu_dockerfile_builds_on_a_cpu_base(self):
        # Everything but the NVIDIA base and the CUDA wheels: the same builder stage, the runtime
        # stage on the debootstrap base. ML_INSTALL=none: the CPU image has shown the apt path, and
        # the base's Python is enough here (another apt run would add a minute).
        tag, gpu, err = docker_images.build_e2e_image("gpu", "--gpu", "--train", harness.TRAIN,
                                                      "--build-arg", "ML_INSTALL=none")
        self.assertIn("from Dockerfile.gpu with the prebuilt train", err)
        config = docker_images.image_config(gpu)
        self.assertEqual(config["Labels"]["sagerun.flavor"], "gpu")
        self.assertEqual(config["Labels"]["sagerun.train.sha256"], sha256_file(harness.TRAIN))
        self.assertEqual(config["WorkingDir"], "/opt/ml")
        for variable in ("NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
                         "KERAS_BACKEND=torch", "PYTHONUNBUFFERED=1"):
            self.assertIn(variable, config["Env"])
        result = self.run_in(gpu, "train", "--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith(b"train (sagerun) "))
        print("image size: %s %.0f MB (GPU Dockerfile on the CPU test base, no ML install)" % (
            tag, docker_images.image_size(gpu) / 1e6), file=sys.stderr)

    @unittest.skipUnless(os.environ.get("SAGERUN_TEST_TORCH_IMAGE") == "1",
                         "SAGERUN_TEST_TORCH_IMAGE=1 builds the default Debian stack with PyTorch (~1.4 GB, minutes)")
    def test_the_pytorch_example_runs_in_the_default_debian_stack(self):
        # The Dockerfile's own APT_PACKAGES (python3-torch and all) on the debootstrap base, and
        # examples/iris-pytorch as it ships: the folder is the channel, data and script/ together.
        with open(DOCKERFILE_CPU) as f:
            default_packages = re.search(r'APT_PACKAGES="([^"]*)"', f.read()).group(1)
        self.assertIn("python3-torch", default_packages)
        tag, image, _ = docker_images.build_e2e_image("torch", "--train", harness.TRAIN, "--build-arg",
                                                      "APT_PACKAGES=" + default_packages)
        print("image size: %s %.0f MB (the default Debian stack, PyTorch included)" % (
            tag, docker_images.image_size(image) / 1e6), file=sys.stderr)
        out = tempfile.mkdtemp(prefix="sagerun-e2e-iris-")
        self.addCleanup(subprocess.run, ["rm", "-rf", out])
        jobs = LocalJobs(self, runtime="docker", image=image)
        self.addCleanup(docker_images.cleanup_containers, "sagerun.job=image-iris")
        result = jobs.run(["--input", "training=" + os.path.join(harness.SOURCE_DIR, "examples", "iris-pytorch"),
                           "--output", "file://" + out, "--job-name", "image-iris", "--hyperparameter", "epochs=300",
                           "--metric", "test_accuracy=test_accuracy=([0-9.]+)"], check=0)
        self.assertIn(b"trained_on=cpu", result.stdout + result.stderr)
        status = jobs.describe("image-iris")
        accuracy = {m["MetricName"]: m["Value"] for m in status["FinalMetricDataList"]}["test_accuracy"]
        self.assertGreater(accuracy, 0.85)
        self.assertTrue(os.path.exists(os.path.join(out, "image-iris", "output", "model.tar.gz")))

    def test_bad_flags_are_named(self):
        code, _, err = docker_images.sagerun_image("build", "--build-arg", "NOVALUE", timeout=60)
        self.assertEqual(code, 1)
        self.assertIn("--build-arg NOVALUE: give KEY=VALUE", err)
        code, _, err = docker_images.sagerun_image("build", "--train", "/nonexistent/train", timeout=60)
        self.assertEqual(code, 1)
        self.assertIn("--train /nonexistent/train: not an executable file", err)
        code, _, err = docker_images.sagerun_image("build", "--source", "/tmp", timeout=60)
        self.assertEqual(code, 1)
        self.assertIn("--source /tmp: not a sagerun source tree", err)


if __name__ == "__main__":
    harness.main()
