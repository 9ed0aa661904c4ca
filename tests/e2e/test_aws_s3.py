"""sagerun's S3 client and transfer engine against a real S3 server (moto) on loopback, the AWS
CLI as a second client, and a fault-injecting proxy in between."""
import filecmp
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import peers  # noqa: E402
from fault_proxy import FaultProxy, SLOW_DOWN_XML  # noqa: E402

PART = 8 << 20  # the default part size and multipart threshold
ODD_NAMES = ["with space.txt", "naïve-日本.txt", "plus+sign.txt", "percent%41.txt", "equals=sign.txt", "a&b'c.txt"]


def sourcedir_tarball(files):
    """A sourcedir.tar.gz (as the SageMaker SDK uploads it) holding {name: bytes}."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue()


def tree_files(root):
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root)] = path
    return found


class S3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        cls.moto = peers.MotoServer().start()
        cls.work = tempfile.mkdtemp(prefix="sagerun-s3-")
        cls.s3 = peers.s3_client(cls.moto.endpoint)
        cls.s3.create_bucket(Bucket="data")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def sagerun(self, *args, endpoint=None, env=None, check=True, stdin=None):
        full_env = peers.aws_env(endpoint or self.moto.endpoint)
        full_env.update({"AWS_MAX_ATTEMPTS": "5"})
        full_env.update(env or {})
        result = subprocess.run([harness.SAGERUN, *args], env=full_env, capture_output=True, timeout=600, input=stdin)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result

    def folder(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assert_same_trees(self, a, b):
        files_a, files_b = tree_files(a), tree_files(b)
        self.assertEqual(sorted(files_a), sorted(files_b))
        for name in files_a:
            self.assertTrue(filecmp.cmp(files_a[name], files_b[name], shallow=False), name)

    def test_sizes_round_trip_byte_identical(self):
        source = self.folder("sizes")
        for name, size in {"empty": 0, "one": 1, "part": PART, "part_plus_one": PART + 1, "odd": 3 * PART + 12345}.items():
            self.write(os.path.join(source, name), os.urandom(size))
        self.sagerun("s3", "cp", "--recursive", source, "s3://data/sizes")
        # Multipart objects carry the md5-of-md5s ETag with the part count.
        head = self.s3.head_object(Bucket="data", Key="sizes/part_plus_one")
        self.assertTrue(head["ETag"].strip('"').endswith("-2"), head["ETag"])
        target = self.folder("sizes-back")
        self.sagerun("s3", "cp", "--recursive", "s3://data/sizes", target)
        self.assert_same_trees(source, target)

    def test_300_mb_file_both_ways(self):
        path = os.path.join(self.work, "big.bin")
        with open(path, "wb") as f:
            for _ in range(300):
                f.write(os.urandom(1 << 20))
        self.sagerun("s3", "cp", path, "s3://data/big/big.bin")
        back = os.path.join(self.folder("big-back"), "big.bin")
        self.sagerun("s3", "cp", "s3://data/big/big.bin", back)
        self.assertTrue(filecmp.cmp(path, back, shallow=False))
        os.unlink(path)

    def test_two_thousand_small_files_and_listing_past_1000(self):
        source = self.folder("many")
        for i in range(2000):
            self.write(os.path.join(source, "d%02d" % (i % 20), "f%04d.txt" % i), b"%d\n" % i)
        self.sagerun("s3", "cp", "-r", source, "s3://data/many", "--concurrency", "16")
        listing = self.sagerun("s3", "ls", "-r", "s3://data/many/").stdout.decode().splitlines()
        self.assertEqual(len(listing), 2000)
        target = self.folder("many-back")
        self.sagerun("s3", "cp", "-r", "s3://data/many", target)
        self.assert_same_trees(source, target)

    def test_odd_key_names(self):
        source = self.folder("odd")
        for name in ODD_NAMES:
            self.write(os.path.join(source, "sub dir", name), name.encode())
        self.sagerun("s3", "cp", "-r", source, "s3://data/odd keys")
        keys = {o["Key"] for o in self.s3.list_objects_v2(Bucket="data", Prefix="odd keys/")["Contents"]}
        self.assertEqual(keys, {"odd keys/sub dir/" + n for n in ODD_NAMES})
        target = self.folder("odd-back")
        self.sagerun("s3", "cp", "-r", "s3://data/odd keys", target)
        self.assert_same_trees(source, target)

    def test_the_aws_cli_reads_what_we_wrote_and_we_read_what_it_wrote(self):
        source = self.folder("ours")
        self.write(os.path.join(source, "small.txt"), b"small")
        self.write(os.path.join(source, "x", "multi.bin"), os.urandom(PART * 2 + 7))
        self.write(os.path.join(source, "x", ODD_NAMES[1]), b"unicode")
        self.sagerun("s3", "cp", "-r", source, "s3://data/ours")
        versions = [1] + ([2] if peers.cli_v2_available() else [])
        for version in versions:
            target = self.folder("cli%d-read" % version)
            result = peers.aws_cli(version, ["s3", "cp", "--recursive", "s3://data/ours", target], self.moto.endpoint)
            self.assertEqual(result.returncode, 0, result.stderr.decode())
            self.assert_same_trees(source, target)
            theirs = self.folder("cli%d-wrote" % version)
            self.write(os.path.join(theirs, "a", "b.bin"), os.urandom(PART * 3 + 1))
            self.write(os.path.join(theirs, "c d+e.txt"), b"cli")
            result = peers.aws_cli(version, ["s3", "cp", "--recursive", theirs, "s3://data/theirs%d" % version],
                                   self.moto.endpoint)
            self.assertEqual(result.returncode, 0, result.stderr.decode())
            back = self.folder("we-read%d" % version)
            self.sagerun("s3", "cp", "-r", "s3://data/theirs%d" % version, back)
            self.assert_same_trees(theirs, back)

    def test_standard_input_and_output_stream_as_the_aws_cli(self):
        # `cp - s3://…` and `cp s3://… -`: the AWS CLI's pipes. Past the threshold the stream goes
        # up in parts (it cannot be measured first); down it comes in ranges, all of one ETag.
        for name, size, part in [("empty", 0, None), ("small", 1000, None), ("edge", PART, None),
                                 ("parts", 3 * 5 * (1 << 20) + 12345, "5")]:
            data = os.urandom(size)
            extra = ["--part-size", part] if part else []
            up = self.sagerun("s3", "cp", *extra, "-", "s3://data/stream/" + name, stdin=data)
            self.assertIn(b"upload: 1 files", up.stderr, name)
            self.assertEqual(self.s3.get_object(Bucket="data", Key="stream/" + name)["Body"].read(), data, name)
            head = self.s3.head_object(Bucket="data", Key="stream/" + name)
            if part:
                self.assertTrue(head["ETag"].strip('"').endswith("-4"), head["ETag"])
            down = self.sagerun("s3", "cp", *extra, "s3://data/stream/" + name, "-", "--output", "json")
            self.assertEqual(down.stdout, data, name)
        self.assertEqual(self.s3.list_multipart_uploads(Bucket="data").get("Uploads", []), [])
        # What the AWS CLI streams in, we stream out, and the other way round.
        result = peers.aws_cli(1, ["s3", "cp", "-", "s3://data/stream/cli"], self.moto.endpoint, input=b"from the cli")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(self.sagerun("s3", "cp", "s3://data/stream/cli", "-").stdout, b"from the cli")
        result = peers.aws_cli(1, ["s3", "cp", "s3://data/stream/small", "-"], self.moto.endpoint)
        self.assertEqual(result.stdout, self.sagerun("s3", "cp", "s3://data/stream/small", "-").stdout)

    def test_streams_refuse_what_they_cannot_do(self):
        for args, expected in [(["-r", "-", "s3://data/x"], b"--recursive"),
                               (["-", "s3://data/folder/"], b"TARGET must name one object"),
                               (["s3://data", "-"], b"SOURCE must name one object")]:
            result = self.sagerun("s3", "cp", *args, check=False, stdin=b"x")
            self.assertEqual(result.returncode, 1, args)
            self.assertIn(expected, result.stderr, args)
        result = self.sagerun("s3", "cp", "s3://data/no/such/key", "-", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"NoSuchKey", result.stderr)
        self.assertEqual(result.stdout, b"")

    def test_missing_bucket_and_key_give_the_services_error(self):
        result = self.sagerun("s3", "ls", "s3://no-such-bucket/", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"NoSuchBucket", result.stderr)
        target = os.path.join(self.folder("missing"), "x")
        result = self.sagerun("s3", "cp", "s3://data/no/such/key", target, check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"s3://data/no/such/key", result.stderr)
        self.assertIn(b"NoSuchKey", result.stderr)
        self.assertEqual(os.listdir(os.path.dirname(target)), [])

    def test_keys_that_would_escape_are_refused(self):
        for key in ["escape/../../outside.txt", "escape//double.txt", "escape/./dot.txt"]:
            self.s3.put_object(Bucket="data", Key=key, Body=b"x")
            target = self.folder("escape-target")
            result = self.sagerun("s3", "cp", "-r", "s3://data/escape", target, check=False)
            self.assertEqual(result.returncode, 1, key)
            self.assertIn(b"refusing key", result.stderr)
            self.assertEqual(os.listdir(target), [])
            self.assertFalse(os.path.exists(os.path.join(self.work, "outside.txt")))
            self.s3.delete_object(Bucket="data", Key=key)

    def test_sync_copies_only_what_changed(self):
        source = self.folder("sync")
        for i in range(5):
            self.write(os.path.join(source, "f%d" % i), b"v1 %d" % i)
        first = self.sagerun("s3", "sync", source, "s3://data/sync").stderr.decode()
        self.assertIn("5 files", first)
        self.write(os.path.join(source, "f2"), b"version two, longer")
        second = self.sagerun("s3", "sync", source, "s3://data/sync").stderr.decode()
        self.assertIn("1 files", second)
        self.assertIn("4 up to date", second)

    def test_upload_stages_the_seed_layout(self):
        script = self.folder("seed-script")
        self.write(os.path.join(script, "train.py"), b"print('hi')\n")
        self.write(os.path.join(script, "requirements.txt"), b"\n")
        data = self.folder("seed-data")
        self.write(os.path.join(data, "train.csv"), b"1,2\n")
        result = self.sagerun("upload", script, data, "s3://data/ml/input")
        self.assertEqual(result.stdout.decode().strip(), "s3://data/ml/input")
        keys = {o["Key"] for o in self.s3.list_objects_v2(Bucket="data", Prefix="ml/input/")["Contents"]}
        self.assertEqual(keys, {"ml/input/script/train.py", "ml/input/script/requirements.txt", "ml/input/train.csv"})


class Faults(unittest.TestCase):
    """Through the fault proxy: transfers either finish byte-identical or fail cleanly."""

    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        cls.moto = peers.MotoServer().start()
        cls.proxy = FaultProxy("127.0.0.1", cls.moto.port).start()
        cls.work = tempfile.mkdtemp(prefix="sagerun-faults-")
        cls.s3 = peers.s3_client(cls.moto.endpoint)
        cls.s3.create_bucket(Bucket="faults")
        cls.source = os.path.join(cls.work, "src")
        os.makedirs(cls.source)
        with open(os.path.join(cls.source, "big.bin"), "wb") as f:
            f.write(os.urandom(3 * PART + 99))
        with open(os.path.join(cls.source, "small.txt"), "wb") as f:
            f.write(os.urandom(50000))

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.moto.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        self.proxy.clear()

    def sagerun(self, *args, attempts="5", stdin=None):
        env = peers.aws_env(self.proxy.endpoint)
        env.update({"AWS_MAX_ATTEMPTS": attempts, "SAGERUN_HTTP_STALL_SECONDS": "1"})
        return subprocess.run([harness.SAGERUN, *args], env=env, capture_output=True, timeout=300, input=stdin)

    def target(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def round_trip(self, name):
        result = self.sagerun("s3", "cp", "-r", self.source, "s3://faults/" + name)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        target = self.target(name)
        result = self.sagerun("s3", "cp", "-r", "s3://faults/" + name, target)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        for file in ("big.bin", "small.txt"):
            self.assertTrue(filecmp.cmp(os.path.join(self.source, file), os.path.join(target, file), shallow=False))

    def test_dropped_connections_mid_body_are_retried(self):
        self.proxy.drop_mid_body(count=3, after_bytes=1000, match=lambda method, target: method == "GET")
        self.round_trip("drops")
        self.assertEqual(self.proxy.stats["drop_mid_body"], 3)

    def test_ranged_downloads_survive_drops_and_stay_byte_identical(self):
        result = self.sagerun("s3", "cp", os.path.join(self.source, "big.bin"), "s3://faults/ranged/big.bin")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.proxy.drop_mid_body(count=3, after_bytes=4096, match=lambda method, target: method == "GET")
        target = self.target("ranged")
        result = self.sagerun("s3", "cp", "--part-size", "5", "s3://faults/ranged/big.bin", target + "/")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertTrue(filecmp.cmp(os.path.join(self.source, "big.bin"), os.path.join(target, "big.bin"), shallow=False))
        self.assertEqual(self.proxy.stats["drop_mid_body"], 3)
        gets = [t for m, t in self.proxy.requests if m == "GET"]
        self.assertGreaterEqual(len(gets), 5 + 3)  # five ranges, three of them twice

    def test_streams_survive_drops_without_writing_a_byte_twice(self):
        with open(os.path.join(self.source, "big.bin"), "rb") as f:
            data = f.read()
        self.proxy.fail_status(count=2, status=500, match=lambda method, target: "partNumber=2" in target)
        result = self.sagerun("s3", "cp", "-", "s3://faults/stream/big.bin", stdin=data)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.proxy.drop_mid_body(count=3, after_bytes=4096, match=lambda method, target: method == "GET")
        result = self.sagerun("s3", "cp", "s3://faults/stream/big.bin", "-")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(len(result.stdout), len(data))
        self.assertTrue(result.stdout == data)
        self.assertEqual(self.proxy.stats["drop_mid_body"], 3)

    def test_a_failed_stream_upload_is_aborted(self):
        self.proxy.fail_status(count=1000, status=500, match=lambda method, target: "partNumber=2" in target)
        result = self.sagerun("s3", "cp", "-", "s3://faults/stream-aborted/x", attempts="2",
                              stdin=os.urandom(2 * PART + 1))
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"upload part 2", result.stderr)
        self.assertEqual(self.s3.list_multipart_uploads(Bucket="faults").get("Uploads", []), [])
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="faults", Prefix="stream-aborted/"))

    def test_500_and_503_slowdown_are_retried(self):
        self.proxy.fail_status(count=2, status=500, match=lambda method, target: "partNumber=" in target)
        self.proxy.fail_status(count=2, status=503, body=SLOW_DOWN_XML, match=lambda method, target: method == "GET")
        self.round_trip("status")
        self.assertEqual(self.proxy.stats["fail_status"], 4)

    def test_stalls_are_cut_and_retried(self):
        self.proxy.stall(count=2, seconds=5, after_bytes=100, match=lambda method, target: method == "GET")
        self.round_trip("stalls")
        self.assertEqual(self.proxy.stats["stall"], 2)

    def test_a_download_that_keeps_failing_leaves_no_file(self):
        result = self.sagerun("s3", "cp", "-r", self.source, "s3://faults/persist")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.proxy.drop_mid_body(count=1000, after_bytes=10, match=lambda method, target: method == "GET")
        target = self.target("persist")
        result = self.sagerun("s3", "cp", "-r", "s3://faults/persist", target, attempts="2")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"sagerun: error:", result.stderr)
        self.assertEqual(tree_files(target), {})

    def test_a_failed_multipart_upload_is_aborted(self):
        self.proxy.fail_status(count=1000, status=500, match=lambda method, target: "partNumber=3" in target)
        result = self.sagerun("s3", "cp", os.path.join(self.source, "big.bin"), "s3://faults/aborted/big.bin", attempts="2")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"upload part 3", result.stderr)
        uploads = self.s3.list_multipart_uploads(Bucket="faults").get("Uploads", [])
        self.assertEqual(uploads, [])
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="faults", Prefix="aborted/"))


class TrainScriptMode(unittest.TestCase):
    """train fetches an s3:// submit directory with the container's credentials, as on SageMaker."""

    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        cls.moto = peers.MotoServer().start()
        cls.s3 = peers.s3_client(cls.moto.endpoint)
        cls.s3.create_bucket(Bucket="code")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def serve_container_credentials(self, token):
        import http.server
        import json
        import threading
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != token:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"AccessKeyId": peers.ACCESS_KEY, "SecretAccessKey": peers.SECRET_KEY,
                                   "Token": "session-token", "Expiration": "2099-01-01T00:00:00Z"}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        return "http://127.0.0.1:%d/v2/credentials/abc" % server.server_address[1], seen

    def test_sourcedir_from_s3_with_container_credentials(self):
        archive = sourcedir_tarball({"entry.py": b"import helper, sys\nprint(helper.WORD, sys.argv[1:])\n",
                                     "helper.py": b"WORD = 'from-s3'\n"})
        self.s3.put_object(Bucket="code", Key="job/source/sourcedir.tar.gz", Body=archive)
        url, seen = self.serve_container_credentials("Bearer secret-token")
        tree = harness.Tree(hyperparameters={"sagemaker_program": '"entry.py"', "epochs": "2",
                                             "sagemaker_submit_directory": '"s3://code/job/source/sourcedir.tar.gz"'})
        self.addCleanup(tree.cleanup)
        env = peers.aws_env(self.moto.endpoint)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            del env[key]
        env.update({"AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer secret-token"})
        result = harness.run_train(tree, env)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(result.stdout.decode().strip(), "from-s3 ['--epochs', '2']")
        self.assertTrue(seen and seen[0] == ("/v2/credentials/abc", "Bearer secret-token"))
        self.assertNotIn(b"secret-token", result.stderr)
        self.assertFalse(tree.exists(".sagerun-sourcedir.tar.gz"))

    def test_sourcedir_over_tls_and_an_untrusted_certificate_is_refused(self):
        import ssl
        import time
        import urllib.request
        folder = tempfile.mkdtemp(prefix="sagerun-tls-")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        port = peers.free_port()
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port),
                                   "-c", cert, "-k", key], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(server.wait)
        self.addCleanup(server.terminate)
        endpoint = "https://127.0.0.1:%d" % port
        context = ssl.create_default_context(cafile=cert)
        for _ in range(200):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", context=context, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        import boto3
        s3 = boto3.client("s3", endpoint_url=endpoint, verify=cert, region_name="us-east-1",
                          aws_access_key_id=peers.ACCESS_KEY, aws_secret_access_key=peers.SECRET_KEY)
        s3.create_bucket(Bucket="tls-code")
        s3.put_object(Bucket="tls-code", Key="src/sourcedir.tar.gz", Body=sourcedir_tarball({"entry.py": b"print('over tls')\n"}))
        tree = harness.Tree(hyperparameters={"sagemaker_program": '"entry.py"',
                                             "sagemaker_submit_directory": '"s3://tls-code/src/sourcedir.tar.gz"'})
        self.addCleanup(tree.cleanup)
        env = peers.aws_env(endpoint)
        result = harness.run_train(tree, dict(env, SSL_CERT_FILE=cert))
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(result.stdout.decode().strip(), "over tls")
        shutil.rmtree(tree.path("code"))
        result = harness.run_train(tree, dict(env, AWS_MAX_ATTEMPTS="1"))  # the system's CAs do not know this one
        self.assertEqual(result.returncode, 66)
        self.assertIn("certificate verify failed", tree.read("output/failure"))


if __name__ == "__main__":
    harness.main()
