"""`sagerun server` under hostile clients, each attack reproduced first, then its measured outcome:
half-sent requests held open by the hundred, bursts of new clients, chunked and oversized bodies,
signatures that leave the operation out, paths that climb out of the host tree, forged tokens, and
the signing secret kept out of argv and out of the jobs' reach."""
import json
import os
import socket
import tempfile
import threading
import time
import unittest

from harness import main
from server_peer import training_request
from test_server_auth import KEY, SECRET, KeyedServer, signed


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raw_request(headers, body, port):
    lines = ["POST / HTTP/1.1", "Host: 127.0.0.1:%d" % port] + ["%s: %s" % item for item in headers.items()]
    return ("\r\n".join(lines) + "\r\nContent-Length: %d\r\n\r\n" % len(body)).encode() + body


class ServerHardening(KeyedServer):
    def call(self, target, body, timeout=10):
        """One signed request on a new connection: (status, answer, seconds)."""
        headers, data = signed(self.server.endpoint, target, body,
                               service="logs" if target.startswith("Logs") else "sagemaker")
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout) as conn:
            conn.sendall(raw_request(headers, data, self.server.port))
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
            head, _, rest = reply.partition(b"\r\n\r\n")
            length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(
                b"content-length:")][0])
            while len(rest) < length:
                rest += conn.recv(65536)
        status = int(head.split(b" ")[1])
        return status, json.loads(rest or b"{}"), time.monotonic() - started

    def test_half_sent_requests_stall_nobody(self):
        # Once 64 of these (each held ~30 s by a worker thread) stalled every client.
        held = []
        try:
            for _ in range(300):
                conn = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                conn.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: SageMaker.ListTrainingJobs\r\n")
                held.append(conn)
            for _ in range(5):
                status, listed, seconds = self.call("SageMaker.ListTrainingJobs", {})
                self.assertEqual(status, 200, listed)
                self.assertLess(seconds, 2.0, "a signed request waited %.2f s behind 300 stalled ones" % seconds)
        finally:
            for conn in held:
                conn.close()

    def test_a_burst_of_new_clients_is_never_reset(self):
        # With a backlog of 5, 64 clients at once saw ECONNRESET.
        errors, answered = [], []

        def client():
            try:
                for _ in range(20):
                    status, _, _ = self.call("SageMaker.ListTrainingJobs", {"MaxResults": 1})
                    answered.append(status)
            except OSError as error:
                errors.append(repr(error))

        threads = [threading.Thread(target=client) for _ in range(64)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(answered, [200] * 64 * 20)

    def test_headers_and_bodies_have_deadlines(self):
        # Headers must be complete within 10 s of their first byte; a body may not pause 10 s.
        slow_headers = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        slow_headers.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        headers, data = signed(self.server.endpoint, "SageMaker.ListTrainingJobs", {})
        stalled_body = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        stalled_body.sendall(raw_request(headers, data + b" " * 100, self.server.port)[:-50])
        started = time.monotonic()
        closed_after = {}

        def wait_closed(name, conn):
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                pass
            closed_after[name] = time.monotonic() - started

        waiters = [threading.Thread(target=wait_closed, args=item)
                   for item in (("headers", slow_headers), ("body", stalled_body))]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join(30)
        slow_headers.close()
        stalled_body.close()
        for name in ("headers", "body"):
            self.assertIn(name, closed_after)
            self.assertGreater(closed_after[name], 8.0, name)
            self.assertLess(closed_after[name], 14.0, name)

    def test_idle_keep_alive_connections_are_closed(self):
        # 60 s by default; --idle-timeout 3 here. A connection that never sends, and one that goes
        # quiet after its requests, are closed; one that keeps asking is not.
        from server_peer import SagerunServer
        server = SagerunServer(access_key=KEY, secret_key=SECRET, extra_args=["--idle-timeout", "3"]).start()
        self.addCleanup(server.stop)
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        started = time.monotonic()
        busy = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        headers, data = signed(server.endpoint, "SageMaker.ListTrainingJobs", {})
        for _ in range(6):  # 6 requests 1 s apart: longer than the timeout, never idle that long
            busy.sendall(raw_request(headers, data, server.port))
            reply = busy.recv(65536)
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:100])
            time.sleep(1)
        self.assertEqual(silent.recv(1), b"")  # closed by now
        self.assertLess(time.monotonic() - started, 8.0)
        quiet_from = time.monotonic()
        self.assertEqual(busy.recv(1), b"")
        self.assertGreater(time.monotonic() - quiet_from, 1.0)  # 3 s after its last answer, 1 s slept
        self.assertLess(time.monotonic() - quiet_from, 5.0)
        silent.close()
        busy.close()

    def test_bodies_over_16_mib_are_refused_whatever_the_encoding(self):
        # Chunked once bypassed the limit: 300 MiB unsigned bodies were buffered whole.
        pid = self.server.process.pid
        before = rss_kib(pid)
        for chunked in (True, False):
            conn = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
            head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: SageMaker.ListTrainingJobs\r\n"
            head += b"Transfer-Encoding: chunked\r\n\r\n" if chunked else b"Content-Length: 314572800\r\n\r\n"
            conn.sendall(head)
            piece = b"x" * (1 << 20)
            sent = 0
            try:
                while sent < 300 << 20:
                    conn.sendall(b"100000\r\n" + piece + b"\r\n" if chunked else piece)
                    sent += len(piece)
            except OSError:
                pass  # the server closed it
            reply = b""
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
            conn.close()
            # What the client could push before the server stopped reading: the limit plus what
            # the sockets' buffers hold.
            self.assertLess(sent, 40 << 20, "chunked=%s: %d MiB went in" % (chunked, sent >> 20))
            if reply:
                self.assertIn(b" 413 ", reply.split(b"\r\n")[0], reply[:200])
        grown = (rss_kib(pid) - before) / 1024
        self.assertLess(grown, 48, "the server grew %.0f MiB" % grown)
        status, _, _ = self.call("SageMaker.ListTrainingJobs", {})
        self.assertEqual(status, 200)

    def test_a_signature_must_cover_the_operation(self):
        # Signed without X-Amz-Target, a DescribeTrainingJob could be replayed as StopTrainingJob.
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        data = json.dumps({"TrainingJobName": "nobody"}).encode()
        request = AWSRequest(method="POST", url=self.server.endpoint + "/", data=data,
                             headers={"Content-Type": "application/x-amz-json-1.1"})
        SigV4Auth(Credentials(KEY, SECRET), "sagemaker", "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
        headers["X-Amz-Target"] = "SageMaker.StopTrainingJob"
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as conn:
            conn.sendall(raw_request(headers, data, self.server.port))
            reply = conn.recv(65536)
        self.assertIn(b" 403 ", reply.split(b"\r\n")[0])
        self.assertIn(b"'X-Amz-Target' must be a 'SignedHeader'", reply)

    def test_paths_from_a_request_stay_in_the_host_tree(self):
        planted = tempfile.mkdtemp(prefix="sagerun-escape-")
        os.rmdir(planted)
        request = training_request("escape-ckpt")
        request["CheckpointConfig"] = {"S3Uri": "s3://bkt/ckpt", "LocalPath": "/opt/ml/checkpoints/../../../.." +
                                       planted}
        status, answer, _ = self.call("SageMaker.CreateTrainingJob", request)
        self.assertEqual(status, 400, answer)
        self.assertIn("checkpointConfig.localPath", answer["message"])
        for name in (".", ".."):
            request = training_request("escape-channel")
            request["InputDataConfig"][0]["ChannelName"] = name
            status, answer, _ = self.call("SageMaker.CreateTrainingJob", request)
            self.assertEqual(status, 400, answer)
            self.assertIn("Member must not be '.' or '..'", answer["message"])
        self.assertFalse(os.path.exists(planted))
        status, listed, _ = self.call("SageMaker.ListTrainingJobs", {})
        self.assertEqual(listed["TrainingJobSummaries"], [])

    def test_forged_tokens_are_a_400(self):
        import base64
        forged = base64.b64encode(json.dumps({"v": "1", "by": 5, "order": [], "text": {}, "number": "x",
                                              "name": None}).encode()).decode()
        status, answer, _ = self.call("SageMaker.ListTrainingJobs", {"NextToken": forged})
        self.assertEqual(status, 400, answer)
        self.assertEqual(answer["__type"], "ValidationException")
        status, answer, _ = self.call("Logs_20140328.DescribeLogStreams", {
            "logGroupName": "/aws/sagemaker/TrainingJobs", "nextToken": "f/18446744073709551610"})
        self.assertEqual(status, 400, answer)
        self.assertEqual(answer["__type"], "InvalidParameterException")

    def test_the_secret_is_not_in_argv(self):
        with open("/proc/%d/cmdline" % self.server.process.pid, "rb") as f:
            self.assertNotIn(SECRET.encode(), f.read())
        import subprocess
        from harness import SAGERUN
        refused = subprocess.run([SAGERUN, "server", "--port", "0", "--access-key", KEY, "--secret-key", SECRET],
                                 capture_output=True, text=True, timeout=30)
        self.assertNotEqual(refused.returncode, 0, refused.stderr)
        self.assertIn("--secret-key-file", refused.stderr)


if __name__ == "__main__":
    main()
