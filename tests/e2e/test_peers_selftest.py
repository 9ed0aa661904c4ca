"""The S3 test peers work: moto answers boto3 and the AWS CLI, and the proxy relays faithfully or injects
exactly the faults it is told to."""
import http.client
import io
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_proxy  # noqa: E402
import harness  # noqa: E402
import peers  # noqa: E402

BUCKET = "peers-selftest"
MiB = 1 << 20


class Peers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = peers.MotoServer().start()
        cls.addClassCleanup(cls.moto.stop)
        peers.s3_client(cls.moto.endpoint).create_bucket(Bucket=BUCKET)

    def proxy(self):
        proxy = fault_proxy.FaultProxy("127.0.0.1", self.moto.port).start()
        self.addCleanup(proxy.stop)
        return proxy

    def raw(self, proxy, timeout=10):
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=timeout)
        self.addCleanup(connection.close)
        return connection

    def test_round_trip_through_the_proxy_is_byte_identical_and_keeps_connections(self):
        proxy = self.proxy()
        s3 = peers.s3_client(proxy.endpoint, retries={"max_attempts": 1, "mode": "standard"})
        data = os.urandom(20 * MiB)
        s3.put_object(Bucket=BUCKET, Key="big/20mb", Body=data)  # boto3 sends Expect: 100-continue here
        self.assertEqual(s3.head_object(Bucket=BUCKET, Key="big/20mb")["ContentLength"], len(data))
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="big/20mb")["Body"].read(), data)
        ranged = s3.get_object(Bucket=BUCKET, Key="big/20mb", Range="bytes=%d-%d" % (MiB, 2 * MiB - 1))
        self.assertEqual(ranged["Body"].read(), data[MiB:2 * MiB])
        stats = proxy.stats
        self.assertEqual(stats["requests"], 4)
        self.assertEqual(stats["upstream_requests"], 4)
        self.assertEqual(stats["connections"], 1)  # keep-alive, although moto closes after each response
        self.assertEqual([method for method, _ in proxy.requests], ["PUT", "HEAD", "GET", "GET"])

    def test_chunked_request_body_is_relayed(self):
        proxy = self.proxy()
        connection = self.raw(proxy)
        connection.request("PUT", "/%s/chunked" % BUCKET, body=iter([b"abc", b"", b"defg" * 1000]), encode_chunked=True)
        response = connection.getresponse()
        response.read()
        self.assertEqual(response.status, 200)
        self.assertEqual(peers.s3_client(self.moto.endpoint).get_object(Bucket=BUCKET, Key="chunked")["Body"].read(),
                         b"abc" + b"defg" * 1000)

    def test_drop_mid_body(self):
        proxy = self.proxy()
        data = os.urandom(2 * MiB)
        peers.s3_client(self.moto.endpoint).put_object(Bucket=BUCKET, Key="drop", Body=data)
        only_gets = lambda method, path: method == "GET"  # noqa: E731
        no_retries = peers.s3_client(proxy.endpoint, retries={"max_attempts": 1, "mode": "standard"})

        proxy.drop_mid_body(1, after_bytes=100000, match=only_gets)
        response = no_retries.get_object(Bucket=BUCKET, Key="drop")
        with self.assertRaises(Exception) as caught:
            response["Body"].read()
        self.assertIn("IncompleteRead", repr(caught.exception) + repr(caught.exception.__context__))
        self.assertEqual(proxy.stats["drop_mid_body"], 1)

        proxy.drop_mid_body(1, after_bytes=0, match=only_gets, reset=True)
        with self.assertRaises(Exception):
            no_retries.get_object(Bucket=BUCKET, Key="drop")["Body"].read()
        self.assertEqual(proxy.stats["drop_mid_body"], 2)

        proxy.drop_mid_body(2, after_bytes=MiB, match=only_gets)
        buffer = io.BytesIO()
        peers.s3_client(proxy.endpoint).download_fileobj(BUCKET, "drop", buffer)  # retries the body
        self.assertEqual(buffer.getvalue(), data)
        self.assertEqual(proxy.stats["drop_mid_body"], 4)
        self.assertEqual(proxy.pending(), 0)

    def test_drop_only_hits_bodies_longer_than_the_offset(self):
        proxy = self.proxy()
        s3 = peers.s3_client(proxy.endpoint, retries={"max_attempts": 1, "mode": "standard"})
        s3.put_object(Bucket=BUCKET, Key="small", Body=b"x" * 10)
        proxy.drop_mid_body(1, after_bytes=10)
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="small")["Body"].read(), b"x" * 10)
        self.assertEqual(proxy.pending("drop_mid_body"), 1)

    def test_fail_status_slow_down_is_answered_by_the_proxy(self):
        proxy = self.proxy()
        proxy.fail_status(2, 503, fault_proxy.SLOW_DOWN_XML)
        connection = self.raw(proxy)
        connection.request("GET", "/%s/anything" % BUCKET)
        response = connection.getresponse()
        self.assertEqual(response.status, 503)
        self.assertIn(b"<Code>SlowDown</Code>", response.read())
        # A request body, here chunked, is read and discarded; the connection goes on.
        connection.request("PUT", "/%s/discarded" % BUCKET, body=iter([b"x" * MiB, b"y"]), encode_chunked=True)
        response = connection.getresponse()
        self.assertEqual(response.status, 503)
        response.read()
        connection.request("GET", "/%s/missing" % BUCKET)
        response = connection.getresponse()
        self.assertEqual(response.status, 404)
        self.assertIn(b"<Code>NoSuchKey</Code>", response.read())
        stats = proxy.stats
        self.assertEqual((stats["requests"], stats["upstream_requests"], stats["fail_status"], stats["connections"]),
                         (3, 1, 2, 1))

    def test_fail_status_on_part_uploads_is_retried_by_boto3(self):
        from boto3.s3.transfer import TransferConfig
        proxy = self.proxy()
        proxy.fail_status(2, 500, fault_proxy.INTERNAL_ERROR_XML, match=lambda method, path: "partNumber=" in path)
        data = os.urandom(11 * MiB)
        config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
        peers.s3_client(proxy.endpoint).upload_fileobj(io.BytesIO(data), BUCKET, "parts", Config=config)
        self.assertEqual(proxy.stats["fail_status"], 2)
        parts = [target for method, target in proxy.requests if method == "PUT" and "partNumber=" in target]
        self.assertEqual(len(parts), 3 + 2)
        head = peers.s3_client(self.moto.endpoint).head_object(Bucket=BUCKET, Key="parts")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertTrue(head["ETag"].endswith('-3"'), head["ETag"])

    def test_stall_before_the_response(self):
        proxy = self.proxy()
        proxy.stall(1, seconds=5)
        connection = self.raw(proxy, timeout=1)
        connection.request("GET", "/%s/missing" % BUCKET)
        with self.assertRaises(socket.timeout):
            connection.getresponse()
        self.assertEqual(proxy.stats["stall"], 1)

    def test_stall_mid_body(self):
        proxy = self.proxy()
        proxy.stall(1, seconds=5, after_bytes=50)
        connection = self.raw(proxy, timeout=1)
        connection.request("GET", "/%s/missing" % BUCKET)
        response = connection.getresponse()  # the headers come at once
        self.assertEqual(response.status, 404)
        with self.assertRaises(socket.timeout):
            response.read()

    def test_clear_forgets_faults(self):
        proxy = self.proxy()
        proxy.fail_status(5, 500)
        proxy.clear()
        connection = self.raw(proxy)
        connection.request("GET", "/%s/missing" % BUCKET)
        self.assertEqual(connection.getresponse().status, 404)
        self.assertEqual(proxy.stats["fail_status"], 0)

    def test_aws_cli_v1_lists(self):
        result = peers.aws_cli(1, ["s3", "ls"], self.moto.endpoint)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(BUCKET.encode(), result.stdout)

    @unittest.skipUnless(peers.cli_v2_available(), "AWS CLI v2 is not installed at /usr/bin/aws")
    def test_aws_cli_v2_lists(self):
        result = peers.aws_cli(2, ["s3", "ls"], self.moto.endpoint)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(BUCKET.encode(), result.stdout)

    def test_aws_env_drops_inherited_credentials(self):
        env = peers.aws_env("http://127.0.0.1:1", base={"AWS_PROFILE": "p", "AWS_SESSION_TOKEN": "t", "PATH": "/bin",
                                                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/x"})
        self.assertEqual(env["PATH"], "/bin")
        self.assertEqual(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:1")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
            self.assertNotIn(name, env)

    def test_moto_server_resets_and_leaves_no_process(self):
        with peers.MotoServer() as moto:
            s3 = peers.s3_client(moto.endpoint)
            s3.create_bucket(Bucket="gone-after-reset")
            moto.reset()
            self.assertEqual(s3.list_buckets()["Buckets"], [])
            pid = moto.process.pid
        with self.assertRaises(ProcessLookupError):
            os.killpg(pid, 0)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", moto.port), timeout=2).close()

    def test_moto_server_stops_when_the_test_fails(self):
        with self.assertRaises(KeyError):
            with peers.MotoServer() as moto:
                pid = moto.process.pid
                raise KeyError()
        with self.assertRaises(ProcessLookupError):
            os.killpg(pid, 0)


if __name__ == "__main__":
    harness.main()
