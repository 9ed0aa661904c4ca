"""`sagerun image push` and build_and_upload.sh against real peers on loopback: Debian's
docker-registry (htpasswd auth) as the registry, moto's ECR and STS as the AWS side. The image is
pushed, found in the registry by its digest and pulled back by it; ECR's repository is created once
and its authorization token is what logs docker in — through the client's stdin only, never its
command line or environment (a recording wrapper stands in front of the docker client)."""
import base64
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_images  # noqa: E402
import harness  # noqa: E402
from peers import MotoServer, aws_env  # noqa: E402

# moto's default account, and the password its GetAuthorizationToken hands out for it
# ("AWS:<account>-auth-token", base64): the test registry accepts exactly that login.
ACCOUNT = "123456789012"
ECR_PASSWORD = ACCOUNT + "-auth-token"
ECR_HOST = ACCOUNT + ".dkr.ecr.us-east-1.amazonaws.com"
TESTER_PASSWORD = "tester-password-9f2c"
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"

# Records every call of the client (argv, environment, and the stdin of `login`), then runs the
# real one; with FAKE_DOCKER=1, pretends that login, tag and push succeeded (for registries that
# cannot be reached from here).
WRAPPER = r'''#!/bin/sh
record="$RECORD_DIR/$(date +%s%N)-$$"
printf '%s\n' "$@" >"$record.argv"
env >"$record.env"
if [ "$1" = login ]; then
  cat >"$record.stdin"
  exec <"$record.stdin"
fi
if [ "${FAKE_DOCKER:-}" = 1 ]; then
  case "$1" in login | tag | push) exit 0 ;; image) echo '[]'; exit 0 ;; esac
fi
exec "$REAL_DOCKER" "$@"
'''


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class ImagePush(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()
        docker_images.ensure_test_image(harness.TRAIN)
        cls.pushed = []  # local tags and references to remove at the end
        cls.local, cls.image_id, _ = docker_images.build_e2e_image("push", "--train", harness.TRAIN)
        cls.registry = docker_images.Registry(users={"AWS": ECR_PASSWORD, "tester": TESTER_PASSWORD}).start()
        cls.moto = MotoServer().start()
        cls.folder = tempfile.mkdtemp(prefix="sagerun-e2e-push-")
        cls.wrapper = os.path.join(cls.folder, "docker")
        with open(cls.wrapper, "w") as f:
            f.write(WRAPPER)
        os.chmod(cls.wrapper, 0o755)

    @classmethod
    def tearDownClass(cls):
        docker_images.untag(*cls.pushed)
        cls.moto.stop()
        cls.registry.stop()
        if getattr(cls, "folder", None):
            subprocess.run(["rm", "-rf", cls.folder])

    def setUp(self):
        # A client configuration of its own per test: no login is left over from another.
        self.docker_config = tempfile.mkdtemp(prefix="docker-config-", dir=self.folder)
        self.records = tempfile.mkdtemp(prefix="records-", dir=self.folder)

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, **extra):
        env = aws_env(self.moto.endpoint)
        env.update({"DOCKER_CONFIG": self.docker_config, "DOCKER_BUILDKIT": "0", "RECORD_DIR": self.records,
                    "REAL_DOCKER": docker_images.docker_cli()})
        env.update(extra)
        return env

    def push(self, *args, stdin=b"", env=None):
        result = subprocess.run([harness.SAGERUN, "image", "push", *args, "--docker", self.wrapper], input=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or self.env(), timeout=600)
        return result.returncode, result.stdout.decode(), result.stderr.decode(errors="replace")

    def assert_ok(self, code, out, err):
        self.assertEqual(code, 0, "stdout:\n%s\nstderr:\n%s" % (out, err[-6000:]))

    def calls(self):
        """The client's calls so far: [(argv, environment text, stdin or None)], in order."""
        calls = []
        for name in sorted(n for n in os.listdir(self.records) if n.endswith(".argv")):
            base = os.path.join(self.records, name[:-len(".argv")])
            with open(base + ".argv") as f:
                argv = f.read().splitlines()
            with open(base + ".env") as f:
                env = f.read()
            stdin = None
            if os.path.exists(base + ".stdin"):
                with open(base + ".stdin") as f:
                    stdin = f.read()
            calls.append((argv, env, stdin))
        return calls

    def registry_get(self, path, accept=None, user="tester", password=TESTER_PASSWORD):
        conn = http.client.HTTPConnection("127.0.0.1", self.registry.port, timeout=30)
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        headers = {"Authorization": "Basic " + token}
        if accept:
            headers["Accept"] = accept
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, dict(response.getheaders()), body

    # -- a registry that is not ECR ---------------------------------------------------------------
    def test_plain_registry_push_then_pull_back_by_digest(self):
        code, out, err = self.push("e2e/plain", "--tag", "v1", "--registry", self.registry.host, "--image", self.local,
                                   "--username", "tester", "--output", "json", stdin=(TESTER_PASSWORD + "\n").encode())
        self.assert_ok(code, out, err)
        uri = self.registry.host + "/e2e/plain:v1"
        self.pushed.append(uri)
        answer = json.loads(out)
        self.assertEqual(answer["imageUri"], uri)
        self.assertFalse(answer["ecr"])
        digest = answer["digest"]
        self.assertRegex(digest, r"^sha256:[0-9a-f]{64}$")

        # The registry itself: the tag's manifest has that digest, and its config is our image's.
        status, headers, body = self.registry_get("/v2/e2e/plain/manifests/v1", accept=MANIFEST_TYPES)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Docker-Content-Digest"), digest)
        config_digest = json.loads(body)["config"]["digest"]
        self.assertEqual(config_digest, self.image_id)
        status, _, body = self.registry_get("/v2/e2e/plain/blobs/" + config_digest)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["config"]["Labels"]["sagerun.train.sha256"], sha256_file(harness.TRAIN))

        # Pulled back by digest (the push logged this client configuration in).
        docker_images.docker("rmi", uri, check=True)
        env = dict(os.environ, DOCKER_CONFIG=self.docker_config)
        pulled = docker_images.docker("pull", self.registry.host + "/e2e/plain@" + digest, env=env, timeout=300)
        self.assertEqual(pulled.returncode, 0, pulled.stderr.decode(errors="replace"))
        self.pushed.append(self.registry.host + "/e2e/plain@" + digest)
        inspected = docker_images.docker("image", "inspect", "--format", "{{.Id}}",
                                         self.registry.host + "/e2e/plain@" + digest, check=True)
        self.assertEqual(inspected.stdout.decode().strip(), self.image_id)

        # The password went to `docker login` on its stdin, nowhere else.
        logins = [c for c in self.calls() if c[0][0] == "login"]
        self.assertEqual(len(logins), 1)
        self.assertEqual(logins[0][2], TESTER_PASSWORD)
        self.assertIn("--password-stdin", logins[0][0])
        for argv, env_text, _ in self.calls():
            self.assertNotIn(TESTER_PASSWORD, " ".join(argv) + env_text)
        self.assertNotIn(TESTER_PASSWORD, out + err)

    def test_a_registry_that_wants_a_login_refuses_without_one(self):
        code, out, err = self.push("e2e/nologin", "--registry", self.registry.host, "--image", self.local)
        self.pushed.append(self.registry.host + "/e2e/nologin:latest")
        self.assertEqual(code, 1, err)
        self.assertEqual(out, "")
        self.assertIn("sagerun: error: `docker push` failed", err)
        self.assertIn("docker login " + self.registry.host, err)

    def test_a_wrong_password_is_refused_at_login(self):
        code, _, err = self.push("e2e/wrong", "--registry", self.registry.host, "--image", self.local,
                                 "--username", "tester", stdin=b"not-the-password")
        self.assertEqual(code, 1, err)
        self.assertIn("`docker login` failed", err)
        self.assertIn("the registry refused the login", err)
        self.assertNotIn("not-the-password", err)
        code, _, err = self.push("e2e/wrong", "--registry", self.registry.host, "--image", self.local,
                                 "--username", "tester", stdin=b"")
        self.assertEqual(code, 1)
        self.assertIn("--username: no password on stdin", err)

    # -- ECR (moto) -------------------------------------------------------------------------------
    def test_ecr_creates_the_repository_and_logs_in_with_its_token(self):
        import boto3
        ecr = boto3.client("ecr", endpoint_url=self.moto.endpoint, region_name="us-east-1",
                           aws_access_key_id="testing-key", aws_secret_access_key="testing-secret")
        def names():
            return [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]

        self.assertNotIn("sagemaker-cpu", names())
        args = ("sagemaker-cpu", "--ecr", "--registry", self.registry.host, "--image", self.local, "--output", "json")
        code, out, err = self.push(*args)
        self.assert_ok(code, out, err)
        uri = self.registry.host + "/sagemaker-cpu:latest"
        self.pushed.append(uri)
        answer = json.loads(out)
        self.assertEqual(answer["imageUri"], uri)
        self.assertTrue(answer["ecr"])
        self.assertTrue(answer["repositoryCreated"])
        self.assertEqual(answer["repositoryUri"], ECR_HOST + "/sagemaker-cpu")
        self.assertRegex(answer["digest"], r"^sha256:[0-9a-f]{64}$")
        self.assertIn("created ECR repository sagemaker-cpu (account %s, us-east-1)" % ACCOUNT, err)
        self.assertIn("sagemaker-cpu", names())
        status, headers, _ = self.registry_get("/v2/sagemaker-cpu/manifests/latest", accept=MANIFEST_TYPES,
                                               user="AWS", password=ECR_PASSWORD)
        self.assertEqual((status, headers.get("Docker-Content-Digest")), (200, answer["digest"]))

        # ECR's token logged the client in: user AWS, the password on stdin only.
        logins = [c for c in self.calls() if c[0][0] == "login"]
        self.assertEqual(len(logins), 1)
        self.assertEqual(logins[0][0], ["login", "--username=AWS", "--password-stdin", self.registry.host])
        self.assertEqual(logins[0][2], ECR_PASSWORD)
        for argv, env_text, _ in self.calls():
            self.assertNotIn(ECR_PASSWORD, " ".join(argv) + env_text)
        self.assertNotIn(ECR_PASSWORD, out + err)

        # Again: the repository is found, not created.
        code, out, err = self.push(*args)
        self.assert_ok(code, out, err)
        self.assertFalse(json.loads(out)["repositoryCreated"])
        self.assertIn("using ECR repository sagemaker-cpu", err)

    def test_ecr_uri_is_the_accounts_registry(self):
        # No --registry: the image goes to <account>.dkr.ecr.<region>.amazonaws.com, which is not
        # reachable from here, so the client only pretends to log in and push.
        code, out, err = self.push("team/sagemaker-gpu", "--tag", "v2", "--image", self.local,
                                   env=self.env(FAKE_DOCKER="1"))
        self.assert_ok(code, out, err)
        uri = ECR_HOST + "/team/sagemaker-gpu:v2"
        self.assertEqual(out, uri + "\n")
        argvs = [c[0] for c in self.calls()]
        self.assertEqual([a[0] for a in argvs], ["login", "tag", "push", "image"])
        self.assertEqual(argvs[0][-1], ECR_HOST)
        self.assertEqual(argvs[1], ["tag", self.local, uri])
        self.assertEqual(argvs[2], ["push", uri])

    # -- build_and_upload.sh ----------------------------------------------------------------------
    def test_build_and_upload_keeps_the_original_workflow(self):
        script = os.path.join(harness.SOURCE_DIR, "build_and_upload.sh")
        env = self.env(SAGERUN=harness.SAGERUN)
        result = subprocess.run([script, "e2e-upload", "Dockerfile.cpu", "--ecr", "--registry", self.registry.host,
                                 "--train", harness.TRAIN, *docker_images.generic_image_args()],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                timeout=850)
        self.pushed += ["e2e-upload:latest", self.registry.host + "/e2e-upload:latest"]
        out, err = result.stdout.decode(), result.stderr.decode(errors="replace")
        self.assert_ok(result.returncode, out, err)
        self.assertEqual(out.splitlines()[-1], self.registry.host + "/e2e-upload:latest")
        status, _, body = self.registry_get("/v2/e2e-upload/tags/list", user="AWS", password=ECR_PASSWORD)
        self.assertEqual((status, json.loads(body)["tags"]), (200, ["latest"]))
        result = subprocess.run([script, "x", "Dockerfile.nope"], capture_output=True, env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"no such Dockerfile: Dockerfile.nope", result.stderr)

    # -- usage --------------------------------------------------------------------------------------
    def test_usage_errors_name_the_flag(self):
        code, _, err = self.push("Bad_Name", "--image", self.local)
        self.assertEqual(code, 1)
        self.assertIn("NAME: 'Bad_Name' is not a repository name", err)
        code, _, err = self.push("good-name", "--tag", ".bad", "--image", self.local)
        self.assertEqual(code, 1)
        self.assertIn("--tag: '.bad' is not an image tag", err)
        code, _, err = self.push("good-name", "--registry", "bad/host", "--image", self.local)
        self.assertEqual(code, 1)
        self.assertIn("--registry: 'bad/host' is not a registry host", err)
        code, _, err = self.push("good-name", "--username", "AWS", "--image", self.local)
        self.assertEqual(code, 1)
        self.assertIn("--username is for registries other than ECR", err)
        code, _, err = self.push("good-name", "--image", self.local, "--gpu")
        self.assertEqual(code, 2)
        self.assertIn("--image excludes --gpu", err)
        self.assertEqual(self.calls(), [])


if __name__ == "__main__":
    harness.main()
