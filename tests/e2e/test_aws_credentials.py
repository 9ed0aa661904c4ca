"""The credentials chain end to end: the real HTTP client against a container-credentials endpoint
and an IMDSv2 endpoint served on 127.0.0.1, and the shared files in a temporary HOME.

A small program (tests/tools/credentials_tool.cpp) resolves credentials the way sagerun does and
prints the source, the access key id and the expiration; no output may ever contain a secret.
"""
import datetime
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TOOL = os.environ.get("SAGERUN_CREDENTIALS_TOOL") or (
    os.path.join(os.path.dirname(os.path.dirname(harness.SAGERUN)), "tests", "credentials_tool") if harness.SAGERUN else "")

SECRETS = ("container-secret-Zq9", "imds-secret-Wx7", "env-secret-Kp3", "file-secret-Rt5", "config-secret-Mn2",
           "auth-token-Jb8", "file-auth-token-Hd4", "session-token-Yc6")


def iso(seconds_from_now):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class Endpoint:
    """A ThreadingHTTPServer on 127.0.0.1 whose handler calls `respond(method, path, headers)`
    → (status, body); every request is recorded as (method, path, headers)."""

    def __init__(self, respond):
        self.requests = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                endpoint.requests.append((self.command, self.path, headers))
                status, body = respond(self.command, self.path, headers)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if body.startswith("{") else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def credentials_body(access_key, secret, token, expiration):
    return json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": access_key, "SecretAccessKey": secret,
                       "Token": token, "Expiration": expiration})


class CredentialsChain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not TOOL or not os.path.exists(TOOL):
            raise unittest.SkipTest("credentials_tool not found: run through ctest, or set SAGERUN_CREDENTIALS_TOOL")

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="sagerun-e2e-home-")
        self.addCleanup(shutil.rmtree, self.home, ignore_errors=True)

    def serve(self, respond):
        endpoint = Endpoint(respond)
        self.addCleanup(endpoint.stop)
        return endpoint

    def write(self, relative, content):
        path = os.path.join(self.home, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content)
        return path

    def run_tool(self, env=None, args=(), imds=False, timeout=30):
        """Runs the tool in a clean environment (HOME is the test's; instance metadata disabled
        unless `imds`); returns (exit code, stdout, stderr, parsed key=value lines)."""
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home}
        if not imds:
            full_env["AWS_EC2_METADATA_DISABLED"] = "true"
        full_env.update(env or {})
        done = subprocess.run([TOOL, *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
        out, err = done.stdout.decode(), done.stderr.decode()
        for secret in SECRETS:
            self.assertNotIn(secret, out)
            self.assertNotIn(secret, err)
        fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return done.returncode, out, err, fields

    # Container credentials (ECS / EKS pod identity)

    def container(self, expected_authorization, lifetime=3600):
        expiration = iso(lifetime)

        def respond(method, path, headers):
            if method != "GET" or path != "/v2/credentials/task-1":
                return 404, "{}"
            if headers.get("authorization") != expected_authorization:
                return 401, json.dumps({"code": "Unauthorized", "message": "bad authorization"})
            return 200, credentials_body("ASIACONTAINER", "container-secret-Zq9", "session-token-Yc6", expiration)

        return self.serve(respond), expiration

    def test_container_full_uri_with_authorization_token(self):
        endpoint, expiration = self.container("auth-token-Jb8")
        code, out, err, fields = self.run_tool({
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.url + "/v2/credentials/task-1",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "auth-token-Jb8"})
        self.assertEqual(code, 0, err)
        self.assertEqual(fields["source"], "container")
        self.assertEqual(fields["access_key_id"], "ASIACONTAINER")
        self.assertEqual(fields["session_token"], "present")
        self.assertEqual(fields["expiration"], expiration)
        self.assertEqual([(m, p) for m, p, _ in endpoint.requests], [("GET", "/v2/credentials/task-1")])

    def test_container_token_file_wins_and_a_refused_token_is_an_error(self):
        endpoint, _ = self.container("file-auth-token-Hd4")
        token_file = self.write("pod-identity-token", "file-auth-token-Hd4")
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.url + "/v2/credentials/task-1",
               "AWS_CONTAINER_AUTHORIZATION_TOKEN": "auth-token-Jb8",
               "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file}
        code, _, err, fields = self.run_tool(env)
        self.assertEqual(code, 0, err)
        self.assertEqual(fields["access_key_id"], "ASIACONTAINER")

        self.write("pod-identity-token", "stale-token")  # re-read on every resolution
        code, out, err, _ = self.run_tool(env)
        self.assertEqual(code, 1, out)
        self.assertIn("HTTP 401", err)
        self.assertIn(endpoint.url, err)

    def test_container_http_must_be_loopback(self):
        code, _, err, _ = self.run_tool({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.1/creds"})
        self.assertEqual(code, 1)
        self.assertIn("loopback", err)

    # EC2 instance metadata (IMDSv2)

    def imds(self, lifetime=3600):
        expiration = iso(lifetime)
        token = "imds-session-token"

        def respond(method, path, headers):
            if method == "PUT" and path == "/latest/api/token":
                if headers.get("x-aws-ec2-metadata-token-ttl-seconds") != "21600":
                    return 400, ""
                return 200, token
            if method != "GET":
                return 405, ""
            if headers.get("x-aws-ec2-metadata-token") != token:
                return 401, ""  # IMDSv2 only: no GET without the session token
            if path == "/latest/meta-data/iam/security-credentials/":
                return 200, "e2e-role"
            if path == "/latest/meta-data/iam/security-credentials/e2e-role":
                return 200, credentials_body("ASIAINSTANCE", "imds-secret-Wx7", "session-token-Yc6", expiration)
            return 404, ""

        return self.serve(respond), expiration

    def test_instance_metadata_v2(self):
        endpoint, expiration = self.imds()
        code, _, err, fields = self.run_tool({"AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint.url}, imds=True)
        self.assertEqual(code, 0, err)
        self.assertEqual(fields["source"], "instance-metadata")
        self.assertEqual(fields["access_key_id"], "ASIAINSTANCE")
        self.assertEqual(fields["expiration"], expiration)
        self.assertEqual([(m, p) for m, p, _ in endpoint.requests],
                         [("PUT", "/latest/api/token"), ("GET", "/latest/meta-data/iam/security-credentials/"),
                          ("GET", "/latest/meta-data/iam/security-credentials/e2e-role")])

    def test_instance_metadata_disabled(self):
        endpoint, _ = self.imds()
        code, _, err, _ = self.run_tool({"AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint.url,
                                         "AWS_EC2_METADATA_DISABLED": "true"}, imds=True)
        self.assertEqual(code, 1)
        self.assertIn("AWS_EC2_METADATA_DISABLED", err)
        self.assertEqual(endpoint.requests, [])

    def test_silent_metadata_endpoint_fails_fast(self):
        # Accepts connections and never answers, like a filtered link-local address.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self.addCleanup(listener.close)
        started = time.monotonic()
        code, _, err, _ = self.run_tool(
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:%d" % listener.getsockname()[1]}, imds=True)
        elapsed = time.monotonic() - started
        self.assertEqual(code, 1)
        self.assertIn("no AWS credentials found", err)
        self.assertIn("AWS_ACCESS_KEY_ID", err)
        self.assertLess(elapsed, 8, "one attempt and one retry of about a second each")

    # Environment and shared files

    def write_profiles(self):
        self.write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILEDEFAULT\n"
                                       "aws_secret_access_key = file-secret-Rt5\n"
                                       "[dev]\naws_access_key_id = AKIAFILEDEV\n"
                                       "aws_secret_access_key = file-secret-Rt5\n")
        self.write(".aws/config", "[default]\nregion = eu-west-1\n"
                                  "[profile dev]\nregion = ap-south-1\ns3 =\n  max_concurrent_requests = 4\n"
                                  "[profile cfg]\nregion = us-west-2\naws_access_key_id = AKIACONFIG\n"
                                  "aws_secret_access_key = config-secret-Mn2\n")

    def test_environment_beats_aws_profile(self):
        self.write_profiles()
        code, _, err, fields = self.run_tool({"AWS_PROFILE": "dev", "AWS_ACCESS_KEY_ID": "AKIAENV",
                                              "AWS_SECRET_ACCESS_KEY": "env-secret-Kp3"})
        self.assertEqual(code, 0, err)
        self.assertEqual(fields["source"], "environment")
        self.assertEqual(fields["access_key_id"], "AKIAENV")
        self.assertEqual(fields["session_token"], "absent")
        self.assertEqual(fields["expiration"], "none")
        self.assertEqual(fields["region"], "ap-south-1")

    def test_profile_flag_beats_environment(self):
        self.write_profiles()
        code, _, err, fields = self.run_tool({"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret-Kp3"},
                                             args=["--profile", "dev"])
        self.assertEqual(code, 0, err)
        self.assertEqual(fields["source"], "shared-credentials-file")
        self.assertEqual(fields["access_key_id"], "AKIAFILEDEV")

    def test_profile_files(self):
        self.write_profiles()
        code, _, err, fields = self.run_tool()
        self.assertEqual(code, 0, err)
        self.assertEqual((fields["source"], fields["access_key_id"], fields["region"]),
                         ("shared-credentials-file", "AKIAFILEDEFAULT", "eu-west-1"))
        code, _, err, fields = self.run_tool({"AWS_PROFILE": "cfg", "AWS_REGION": "ca-central-1"})
        self.assertEqual(code, 0, err)
        self.assertEqual((fields["source"], fields["access_key_id"], fields["region"]),
                         ("config-file", "AKIACONFIG", "ca-central-1"))

    def test_files_named_by_variables(self):
        other = tempfile.mkdtemp(prefix="sagerun-e2e-aws-")
        self.addCleanup(shutil.rmtree, other, ignore_errors=True)
        credentials = os.path.join(other, "creds")
        with open(credentials, "w") as f:
            f.write("[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = file-secret-Rt5\n")
        code, _, err, fields = self.run_tool({"AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_PROFILE": "ci",
                                              "AWS_CONFIG_FILE": os.path.join(other, "absent")})
        self.assertEqual(code, 0, err)
        self.assertEqual(fields["access_key_id"], "AKIACI")
        self.assertEqual(fields["region"], "none")

    def test_unknown_profile(self):
        self.write_profiles()
        code, _, err, _ = self.run_tool({"AWS_PROFILE": "nope"})
        self.assertEqual(code, 1)
        self.assertIn("The config profile (nope) could not be found", err)

    def test_access_key_without_secret(self):
        code, _, err, _ = self.run_tool({"AWS_ACCESS_KEY_ID": "AKIAENV"})
        self.assertEqual(code, 1)
        self.assertIn("AWS_SECRET_ACCESS_KEY", err)

    def test_malformed_file_names_file_and_line(self):
        path = self.write(".aws/config", "[default]\nregion = us-east-1\nthis line is wrong\n")
        code, _, err, _ = self.run_tool()
        self.assertEqual(code, 1)
        self.assertIn(path + ":3:", err)

    # The caching provider with the real client

    def test_provider_refreshes_only_near_expiry(self):
        for lifetime, expected_requests in ((3600, 2), (240, 4)):
            endpoint, _ = self.container("auth-token-Jb8", lifetime=lifetime)
            code, _, err, fields = self.run_tool({
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.url + "/v2/credentials/task-1",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "auth-token-Jb8"}, args=["--repeat", "3"])
            self.assertEqual(code, 0, err)
            self.assertEqual(fields["provider_source"], "container")
            # One resolution for the printout, then the provider: once when valid for an hour,
            # on every call when inside the five-minute refresh window.
            self.assertEqual(len(endpoint.requests), expected_requests, lifetime)


if __name__ == "__main__":
    harness.main()
