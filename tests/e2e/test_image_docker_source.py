"""`sagerun image build` the way a team runs it: docker/Dockerfile.cpu compiles `train` from this
repository in its builder stage (the toolchain installed by apt on the debootstrap base, which stands
in for debian:bookworm), and the runtime stage holds only the static, stripped result — no
compiler — which starts and reports the version of these sources."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_images  # noqa: E402
import harness  # noqa: E402

# Reads the ELF program headers in the image: a PT_INTERP entry means a dynamic executable.
ELF_CHECK = r'''
import struct, sys
data = open("/usr/local/bin/train", "rb").read()
assert data[:4] == b"\x7fELF" and data[4] == 2, "not a 64-bit ELF file"
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
kinds = [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]
print("dynamic" if 3 in kinds else "static", len(data))
'''


class ImageBuildFromSource(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        docker_images.ensure_test_image(harness.TRAIN)
        cls.label = "sagerun.job=e2e-image-source-%d" % os.getpid()
        cls.tag, cls.image, cls.build_stderr = docker_images.build_e2e_image("source")
        print("image size: %s %.0f MB (train compiled in the builder stage)" % (
            cls.tag, docker_images.image_size(cls.image) / 1e6), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        docker_images.cleanup_containers(cls.label)

    def run_in(self, *command):
        result = docker_images.docker("run", "--rm", "--label", self.label, self.image, *command, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return result.stdout.decode()

    def test_the_builder_stage_compiled_train(self):
        self.assertIn("from Dockerfile.cpu in %s, train compiled in the builder stage" % harness.SOURCE_DIR,
                      self.build_stderr)
        # Compiled now, or taken from the build cache, whose key is these very sources.
        compiled = "sagerun-build-train: train from source" in self.build_stderr
        cached = re.search(r"RUN sh /usr/local/sbin/sagerun-build-train build .*\n ---> Using cache", self.build_stderr)
        self.assertTrue(compiled or cached, self.build_stderr[-4000:])
        self.assertEqual(docker_images.image_config(self.image)["Labels"]["sagerun.train.from"], "source")
        # The context is the repository filtered by .dockerignore: sources, not build folders.
        sent = re.search(r"Sending build context to Docker daemon\s+([0-9.]+)([kMG]B)", self.build_stderr)
        if sent:  # the legacy builder says it; BuildKit does not
            size = float(sent.group(1)) * {"kB": 1e3, "MB": 1e6, "GB": 1e9}[sent.group(2)]
            self.assertLess(size, 20e6, sent.group(0))

    def test_train_runs_and_is_these_sources_version(self):
        ours = subprocess.run([harness.TRAIN, "--version"], capture_output=True, check=True).stdout.decode()
        self.assertEqual(self.run_in("train", "--version"), ours)

    def test_train_is_static_and_stripped(self):
        kind, size = self.run_in("python3", "-c", ELF_CHECK).split()
        self.assertEqual(kind, "static")
        self.assertLess(int(size), os.path.getsize(harness.TRAIN))
        print("train in the image: %.1f MB (stripped); these tests' build: %.1f MB" % (
            int(size) / 1e6, os.path.getsize(harness.TRAIN) / 1e6), file=sys.stderr)

    def test_no_compiler_reached_the_runtime_stage(self):
        script = "import shutil; print([t for t in %r if shutil.which(t)])" % (docker_images.COMPILERS,)
        found = self.run_in("python3", "-c", script)
        self.assertEqual(found.strip(), "[]")


if __name__ == "__main__":
    harness.main()
