"""Every request to `sagerun server` must carry a valid SigV4 signature from a configured key: a wrong
secret, an unknown key, an old (replayed) or future date, a tampered body, a signature for another
service, or none at all get 403 with the service's error type, and create nothing."""
import datetime
import http.client
import json
import os
import unittest
from unittest import mock

from harness import main
from peers import aws_cli, aws_env
from server_peer import SagerunServer, training_request

KEY, SECRET = "server-key", "server-secret"


def signed(endpoint, target, body, access_key=KEY, secret_key=SECRET, service="sagemaker", when=None,
           session_token=None):
    """A request signed by botocore's own signer, as (method, path, headers, body)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=endpoint + "/", data=data,
                         headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    signer = SigV4Auth(Credentials(access_key, secret_key, session_token), service, "us-east-1")
    now = when or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        signer.add_auth(request)
    return dict(request.headers.items()), data


class KeyedServer(unittest.TestCase):
    """One server for the whole class, accepting KEY / SECRET."""

    @classmethod
    def setUpClass(cls):
        cls.server = SagerunServer(access_key=KEY, secret_key=SECRET).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()


class ServerAuth(KeyedServer):
    def send(self, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def create(self, name, **sign):
        headers, body = signed(self.server.endpoint, "SageMaker.CreateTrainingJob", training_request(name), **sign)
        return headers, body

    def assert_nothing_created(self):
        headers, body = signed(self.server.endpoint, "SageMaker.ListTrainingJobs", {})
        status, listed = self.send(headers, body)
        self.assertEqual(status, 200, listed)
        self.assertEqual(listed["TrainingJobSummaries"], [])
        self.assertEqual(os.listdir(os.path.join(self.server.state_dir, "jobs")), [])

    def test_a_valid_signature_is_accepted(self):
        headers, body = signed(self.server.endpoint, "SageMaker.DescribeTrainingJob", {"TrainingJobName": "none"})
        status, reply = self.send(headers, body)
        self.assertEqual((status, reply["__type"]), (400, "ValidationException"))  # past auth: the job is missing

    def test_bad_requests_get_403_and_create_nothing(self):
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        cases = {
            "wrong secret": (self.create("j1", secret_key="not-the-secret"), "InvalidSignatureException",
                             "The request signature we calculated does not match the signature you provided. Check "
                             "your AWS Secret Access Key and signing method. Consult the service documentation for "
                             "details."),
            "unknown key": (self.create("j2", access_key="AKIDUNKNOWN"), "UnrecognizedClientException",
                            "The security token included in the request is invalid."),
            "old date": (self.create("j3", when=now - datetime.timedelta(minutes=20)), "InvalidSignatureException",
                         "Signature expired: "),
            "future date": (self.create("j4", when=now + datetime.timedelta(minutes=20)), "InvalidSignatureException",
                            "Signature not yet current: "),
            "other service": (self.create("j5", service="logs"), "InvalidSignatureException",
                              "Credential should be scoped to correct service: 'sagemaker'. "),
            "unexpected token": (self.create("j6", session_token="a-token"), "UnrecognizedClientException",
                                 "The security token included in the request is invalid."),
        }
        headers, body = self.create("j7")
        cases["tampered body"] = ((headers, body.replace(b'"j7"', b'"j8"')), "InvalidSignatureException",
                                  "The request signature we calculated does not match")
        unsigned = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "x-amz-date")}
        cases["no signature"] = ((unsigned, body), "MissingAuthenticationTokenException",
                                 "Missing Authentication Token")
        for label, ((headers, body), error_type, message) in cases.items():
            with self.subTest(label):
                status, reply = self.send(headers, body)
                self.assertEqual(status, 403)
                self.assertEqual(reply["__type"], error_type)
                self.assertTrue(reply["message"].startswith(message), reply["message"])
        self.assert_nothing_created()

    def test_a_replayed_request_is_refused_once_its_date_is_old(self):
        # A request captured 16 minutes ago, sent again now, byte for byte.
        sixteen_minutes_ago = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - \
            datetime.timedelta(minutes=16)
        headers, body = self.create("replayed", when=sixteen_minutes_ago)
        status, reply = self.send(headers, body)
        self.assertEqual(status, 403)
        self.assertEqual(reply["__type"], "InvalidSignatureException")
        self.assertRegex(reply["message"], r"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
                                           r"\(\d{8}T\d{6}Z - 15 min\.\)$")
        self.assert_nothing_created()

    def test_clients_see_the_service_errors(self):
        import botocore.exceptions
        wrong = self.server.client("sagemaker", access_key=KEY, secret_key="wrong")
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            wrong.list_training_jobs()
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidSignatureException")
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        result = aws_cli(1, ["sagemaker", "list-training-jobs"], self.server.endpoint)  # the test keys: unknown here
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"(UnrecognizedClientException) when calling the ListTrainingJobs operation: The security "
                      b"token included in the request is invalid.", result.stderr)
        logs = self.server.client("logs", access_key="AKIDUNKNOWN", secret_key=SECRET)
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs")
        self.assertEqual(caught.exception.response["Error"]["Code"], "UnrecognizedClientException")


class ServerOwnCredentials(unittest.TestCase):
    def test_without_keys_the_server_takes_its_own_credentials(self):
        env = aws_env("http://127.0.0.1:1")
        env.update({"AWS_ACCESS_KEY_ID": "ASIAOWN", "AWS_SECRET_ACCESS_KEY": "own-secret",
                    "AWS_SESSION_TOKEN": "own-token"})
        server = SagerunServer(env=env, access_key=None, secret_key=None).start()
        self.addCleanup(server.stop)
        headers, body = signed(server.endpoint, "SageMaker.ListTrainingJobs", {}, access_key="ASIAOWN",
                               secret_key="own-secret", session_token="own-token")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        self.addCleanup(conn.close)
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        self.assertEqual(response.status, 200, response.read())
        response.read()
        # The same keys without their session token are not the server's credentials.
        headers, body = signed(server.endpoint, "SageMaker.ListTrainingJobs", {}, access_key="ASIAOWN",
                               secret_key="own-secret")
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        self.assertEqual(response.status, 403)
        self.assertEqual(json.loads(response.read())["__type"], "UnrecognizedClientException")

    def test_without_any_credentials_the_server_refuses_to_start(self):
        env = aws_env("http://127.0.0.1:1")
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        server = SagerunServer(env=env, access_key=None, secret_key=None, startup_timeout=20)
        with self.assertRaises(RuntimeError) as caught:
            server.start()
        self.addCleanup(server.stop)
        self.assertIn("no access key for clients to sign with", str(caught.exception))


if __name__ == "__main__":
    main()
