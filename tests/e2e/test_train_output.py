"""The script's stdout and stderr reach train's stdout and stderr byte for byte."""
import hashlib
import os
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# Partial writes with pauses between them, progress bars with \r, a 100 KB line, binary bytes,
# and no newline at the very end.
TRICKY = r'''
import os, sys, time
def out(fd, data):
    os.write(fd, data)
for fd in (1, 2):
    out(fd, b"no newline yet...")
    time.sleep(0.05)
    out(fd, b" now\n")
    for pct in range(0, 101, 10):
        out(fd, b"\rprogress %3d%%" % pct)
        time.sleep(0.005)
    out(fd, b"\n" + b"x" * 100000 + b"\n")
    out(fd, bytes(range(256)) + b"\r\n\t trailing spaces   ")
'''

EXPECTED = (b"no newline yet... now\n" + b"".join(b"\rprogress %3d%%" % p for p in range(0, 101, 10)) +
            b"\n" + b"x" * 100000 + b"\n" + bytes(range(256)) + b"\r\n\t trailing spaces   ")

ONE_GB = r'''
import os
chunk = bytes(range(256)) * 4096  # 1 MiB
for _ in range(1024):
    os.write(1, chunk)
for _ in range(256):
    os.write(2, chunk)
'''


class Output(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()

    def test_partial_writes_carriage_returns_and_long_lines_are_byte_identical(self):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        tree.script(TRICKY)
        result = harness.run_train(tree)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertEqual(result.stdout, EXPECTED)
        # train's own lines stand alone before and after the script's bytes.
        stderr = result.stderr
        start = stderr.index(b"no newline yet")
        self.assertEqual(stderr[start:start + len(EXPECTED)], EXPECTED)
        self.assertEqual(harness.script_stderr(stderr[:start]), b"")
        # The script's last bytes had no newline; train adds none, its closing line follows them.
        self.assertEqual(stderr[start + len(EXPECTED):], b"[sagerun] the script succeeded\n")

    def test_one_gigabyte_of_output(self):
        tree = harness.Tree()
        self.addCleanup(tree.cleanup)
        tree.script(ONE_GB)
        proc = subprocess.Popen([harness.TRAIN], env=harness.train_env(tree), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        digests = {}

        def consume(name, stream):
            digest, size = hashlib.sha256(), 0
            kept = b""
            for block in iter(lambda: stream.read(1 << 20), b""):
                size += len(block)
                if name == "stderr":
                    # Strip train's own lines: they are only at the start and the end.
                    kept = (kept + block)[-4096:]
                digest.update(block)
            digests[name] = (digest, size, kept)

        threads = [threading.Thread(target=consume, args=(n, s)) for n, s in (("stdout", proc.stdout), ("stderr", proc.stderr))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        proc.wait()
        self.assertEqual(proc.returncode, 0)
        chunk = bytes(range(256)) * 4096
        expected = hashlib.sha256()
        for _ in range(1024):
            expected.update(chunk)
        digest, size, _ = digests["stdout"]
        self.assertEqual(size, 1024 * len(chunk))
        self.assertEqual(digest.hexdigest(), expected.hexdigest())
        _, err_size, tail = digests["stderr"]
        self.assertGreaterEqual(err_size, 256 * len(chunk))
        self.assertTrue(tail.endswith(chunk[-1000:] + b"[sagerun] the script succeeded\n"))


if __name__ == "__main__":
    harness.main()
