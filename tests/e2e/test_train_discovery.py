"""train finds the script by the contract's rules: seed layouts, script mode, code/, and none."""
import gzip
import io
import os
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CHUNK = 1 << 20


def gzip_bomb(path, members, member_size):
    """A sourcedir.tar.gz of `members` files of zeros, each `member_size` bytes (a multiple of
    1 MiB): gzip members concatenated (as zlib reads them), one per MiB, so a few KB per MiB of
    output is written in no time."""
    zeros = gzip.compress(bytes(CHUNK), compresslevel=9, mtime=0)
    with open(path, "wb") as out:
        for index in range(members):
            info = tarfile.TarInfo("bomb/zeros%03d.bin" % index)
            info.size = member_size
            header = info.tobuf(format=tarfile.GNU_FORMAT)
            out.write(gzip.compress(header, mtime=0))
            for _ in range(member_size // CHUNK):
                out.write(zeros)
        out.write(gzip.compress(bytes(1024), mtime=0))  # the end blocks
    return os.path.getsize(path)


def folder_bytes(root):
    return sum(os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(root) for name in names)


REPORT = "import os, sys\nopen(os.path.join(os.environ['SM_MODEL_DIR'], 'ran'), 'w').write(os.getcwd() + '\\n' + ' '.join(sys.argv))\n"


class Discovery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()

    def setUp(self):
        self.tree = harness.Tree(hyperparameters={"epochs": 2})
        self.addCleanup(self.tree.cleanup)

    def run_ok(self, tree=None, env=None):
        tree = tree or self.tree
        result = harness.run_train(tree, env)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertTrue(tree.exists("output/success"))
        return result, tree.read("model/ran").strip().split("\n")

    def test_seed_layout_training_channel_script_folder(self):
        self.tree.script(REPORT)
        result, (cwd, argv) = self.run_ok()
        self.assertEqual(cwd, self.tree.path("input/data/training/script"))
        self.assertEqual(argv, "train.py --epochs 2")
        self.assertIn(b"seed convention", result.stderr)

    def test_seed_layout_channel_named_script(self):
        tree = harness.Tree(hyperparameters={"epochs": 2}, channels=("training", "script"))
        self.addCleanup(tree.cleanup)
        tree.script(REPORT, "input/data/script/train.py")
        _, (cwd, _) = self.run_ok(tree)
        self.assertEqual(cwd, tree.path("input/data/script"))

    def test_seed_layout_without_a_config_entry_for_the_script_folder(self):
        self.tree.script(REPORT, "input/data/script/train.py")
        _, (cwd, _) = self.run_ok()
        self.assertEqual(cwd, self.tree.path("input/data/script"))

    def test_scripts_folder_and_shell_entry(self):
        self.tree.script('echo "$PWD" > "$SM_MODEL_DIR/ran"; echo "$0 $*" >> "$SM_MODEL_DIR/ran"\n',
                         "input/data/training/scripts/train.sh")
        _, (cwd, argv) = self.run_ok()
        self.assertEqual(cwd, self.tree.path("input/data/training/scripts"))
        self.assertEqual(argv, "train.sh --epochs 2")

    def test_executable_entry(self):
        self.tree.script('#!/bin/sh\necho "$PWD" > "$SM_MODEL_DIR/ran"; echo "$*" >> "$SM_MODEL_DIR/ran"\n',
                         "input/data/training/script/train", mode=0o755)
        _, (cwd, argv) = self.run_ok()
        self.assertEqual(argv, "--epochs 2")

    def test_script_mode_local_folder(self):
        self.tree.write("src/entry.py", REPORT)
        self.tree.write_json("input/config/hyperparameters.json", {
            "epochs": "2", "sagemaker_program": '"entry.py"',
            "sagemaker_submit_directory": '"%s"' % self.tree.path("src")})
        result, (cwd, argv) = self.run_ok()
        self.assertEqual(cwd, self.tree.path("code"))
        self.assertEqual(argv, "entry.py --epochs 2")
        self.assertIn(b"script mode", result.stderr)

    def test_script_mode_local_tarball(self):
        archive = self.tree.path("sourcedir.tar.gz")
        with tarfile.open(archive, "w:gz") as tar:
            data = REPORT.encode()
            info = tarfile.TarInfo("pkg/entry.py")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        self.tree.write_json("input/config/hyperparameters.json", {
            "sagemaker_program": '"pkg/entry.py"', "sagemaker_submit_directory": '"%s"' % archive})
        _, (cwd, argv) = self.run_ok()
        self.assertEqual(cwd, self.tree.path("code"))
        self.assertEqual(argv, "pkg/entry.py")

    def test_script_mode_tarball_that_escapes_is_refused(self):
        archive = self.tree.path("evil.tar.gz")
        with tarfile.open(archive, "w:gz") as tar:
            info = tarfile.TarInfo("../../escaped.py")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        self.tree.write_json("input/config/hyperparameters.json", {
            "sagemaker_program": '"entry.py"', "sagemaker_submit_directory": '"%s"' % archive})
        result = harness.run_train(self.tree)
        self.assertEqual(result.returncode, 66)
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.tree.root), "escaped.py")))
        self.assertIn("..", self.tree.read("output/failure"))

    def test_script_mode_gzip_bombs_stop_at_the_jobs_volume(self):
        # VolumeSizeInGB=1: one member that says it is 1.1 GiB is refused before a byte is written;
        # 40 members of 32 MiB (1.25 GiB) stop at the 1 GiB budget. Either way the job fails
        # saying so, and what was extracted is removed.
        self.tree.write_json("input/config/trainingjobconfig.json", {
            "TrainingJobName": "bomb", "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                          "VolumeSizeInGB": 1}})
        for name, members, size in [("one", 1, 1100 * CHUNK), ("many", 40, 32 * CHUNK)]:
            archive = self.tree.path(name + ".tar.gz")
            self.assertLess(gzip_bomb(archive, members, size), 1400 * 1024, name)  # about 1 MB
            self.tree.write_json("input/config/hyperparameters.json", {
                "sagemaker_program": '"entry.py"', "sagemaker_submit_directory": '"%s"' % archive})
            result = harness.run_train(self.tree)
            self.assertEqual(result.returncode, 66, name)
            failure = self.tree.read("output/failure")
            self.assertIn("unpacks to more than 1073741824 bytes", failure, name)
            self.assertIn("ResourceConfig.VolumeSizeInGB", failure, name)
            self.assertEqual(folder_bytes(self.tree.path("code")), 0, name)

    def test_script_mode_unreachable_s3_is_a_clear_failure(self):
        self.tree.write_json("input/config/hyperparameters.json", {
            "sagemaker_program": '"train.py"', "sagemaker_submit_directory": '"s3://bucket/src/sourcedir.tar.gz"'})
        result = harness.run_train(self.tree, {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "us-east-1",
                                               "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
                                               "AWS_MAX_ATTEMPTS": "1"})
        self.assertEqual(result.returncode, 66)
        failure = self.tree.read("output/failure")
        self.assertIn("s3://bucket/src/sourcedir.tar.gz", failure.splitlines()[0])

    def test_code_folder(self):
        self.tree.script(REPORT, "code/train.py")
        result, (cwd, _) = self.run_ok()
        self.assertEqual(cwd, self.tree.path("code"))
        self.assertIn(b"code folder", result.stderr)

    def test_program_env_names_the_entry(self):
        self.tree.script(REPORT, "code/other.py")
        _, (_, argv) = self.run_ok(env={"SAGEMAKER_PROGRAM": "other.py"})
        self.assertEqual(argv, "other.py --epochs 2")

    def test_no_script_lists_every_place(self):
        result = harness.run_train(self.tree)
        self.assertEqual(result.returncode, 66)
        failure = self.tree.read("output/failure")
        self.assertTrue(failure.startswith("no training script found"), failure)
        for place in ("code/{train.py", "input/data/training/script/{train.py", "input/data/training/scripts/{train.py"):
            self.assertIn(place, failure)
        self.assertFalse(self.tree.exists("output/success"))


if __name__ == "__main__":
    harness.main()
