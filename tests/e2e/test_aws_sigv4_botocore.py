"""The SigV4 signer against botocore's, on generated requests.

About 300 requests, the same on every run (a seeded generator), with odd paths, query strings and
headers, for s3, sagemaker, sts and logs, with and without session tokens, are signed by botocore's
SigV4Auth / S3SigV4Auth at a fixed time and by tests/tools/sigv4_tool; the Authorization headers
must be identical. Presigned URLs are compared with S3SigV4QueryAuth / SigV4QueryAuth the same way.

The generated URLs are already encoded the way a client sends them, and their query strings are in
SigV4's encoding (uppercase hex, every reserved character encoded), since botocore signs a URL's
query as written while the signer re-encodes it: inputs on which the two would disagree by design
(a '+' or lowercase hex in the query) are not generated.

The signer's path comes from env SAGERUN_SIGV4_TOOL, else <build>/tests/sigv4_tool beside
SAGERUN_BIN (<build>/src/sagerun), which ctest passes.
"""
import datetime
import hashlib
import json
import os
import random
import subprocess
import unittest
from unittest import mock
from urllib.parse import quote

try:
    import botocore.auth
    from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover - reported as a skip
    botocore = None

SEED = 20240101
REQUESTS = 300
PRESIGNS = 60

# Characters for path segments, query names and values: unreserved, reserved, '%', space, non-ASCII.
PIECES = list("abcXYZ019-_.~") + list("!$&'()*+,;=:@/?#[]%") + [" ", "  ", "é", "日本", "😀", "ß", "\u00a0"]
HEADER_PIECES = list("abcXYZ019-_.~!$&'()*+,;=:@/?#[]%\"") + ["é", "ü"]


def tool_path():
    explicit = os.environ.get("SAGERUN_SIGV4_TOOL")
    if explicit:
        return explicit
    sagerun = os.environ.get("SAGERUN_BIN")
    if sagerun:
        return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sagerun))), "tests", "sigv4_tool")
    return ""


def random_text(rng, pieces, low, high):
    return "".join(rng.choice(pieces) for _ in range(rng.randint(low, high)))


def amz_time(rng):
    start = datetime.datetime(2015, 1, 1)
    return start + datetime.timedelta(seconds=rng.randrange(16 * 365 * 24 * 3600))


def credentials(rng):
    access_key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/") for _ in range(40))
    token = None
    if rng.random() < 0.5:
        token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=") for _ in range(
            rng.randint(20, 300)))
    return access_key, secret, token


def endpoint(rng, service, region):
    """(scheme://authority, path prefix) for the service; S3 in virtual-hosted, path or custom style."""
    if service == "s3":
        style = rng.choice(["virtual", "path", "custom"])
        if style == "virtual":
            return f"https://my-bucket.s3.{region}.amazonaws.com", ""
        if style == "path":
            return f"https://s3.{region}.amazonaws.com", "/my.bucket"
        return rng.choice(["http://127.0.0.1:9000", "https://MinIO.Example.com:8443", "http://[::1]:9000"]), "/b"
    host = {"sagemaker": f"api.sagemaker.{region}.amazonaws.com", "sts": f"sts.{region}.amazonaws.com",
            "logs": f"logs.{region}.amazonaws.com"}[service]
    if rng.random() < 0.1:
        host = host.upper()
    return "https://" + host, ""


def s3_path(rng, prefix):
    """An object key encoded once, as a client sends it ('/' kept, "." and ".." and "//" as they are)."""
    segments = []
    for _ in range(rng.randint(1, 5)):
        kind = rng.random()
        if kind < 0.1:
            segments.append(rng.choice([".", "..", ""]))
        else:
            segments.append(random_text(rng, PIECES, 1, 12))
    path = prefix + "/" + "/".join(quote(s, safe="~") for s in segments)
    if rng.random() < 0.1:
        path += "/"
    return path


def service_path(rng):
    """A path encoded once, with "." / ".." / empty segments and now and then sub-delimiters left raw,
    as a REST service's client may send it."""
    if rng.random() < 0.2:
        return "/"
    segments = []
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        if kind < 0.25:
            segments.append(rng.choice([".", "..", "", "..", "."]))
        else:
            raw_safe = "~" if rng.random() < 0.7 else "~=+@:!$,;*'()"
            segments.append(quote(random_text(rng, PIECES, 1, 10), safe=raw_safe))
    path = "/" + "/".join(segments)
    if rng.random() < 0.2:
        path += "/"
    return path


def query_string(rng, unique_names=False):
    pairs = []
    names = ["prefix", "list-type", "max-keys", "Action", "Version", "x-id", "uploadId", "partNumber",
             "continuation-token", "delimiter", "versionId", "ä", "a b", "k=v", "x&y", "+", "%"]
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        name = rng.choice(names) if rng.random() < 0.7 else random_text(rng, PIECES, 1, 6)
        if unique_names and any(name == n for n, _ in pairs):
            continue
        shape = rng.random()
        if shape < 0.1:
            value = None  # "name" without "="
        elif shape < 0.2:
            value = ""
        else:
            value = random_text(rng, PIECES, 1, 12)
        pairs.append((name, value))
        if not unique_names and rng.random() < 0.15:
            pairs.append((name, random_text(rng, PIECES, 0, 5)))  # a repeated name
    encoded = []
    for name, value in pairs:
        key = quote(name, safe="-_.~")
        encoded.append(key if value is None else key + "=" + quote(value, safe="-_.~"))
    return "&".join(encoded)


def headers(rng, service):
    out = []
    names = ["X-Amz-Meta-Color", "x-amz-meta-Color", "Content-Type", "X-Custom", "x-custom", "X-Amz-Target",
             "Accept", "Range", "If-Match", "Cache-Control", "X-Amz-Storage-Class", "User-Agent",
             "X-Amzn-Trace-Id", "Expect", "Content-Encoding", "X-Amz-Acl"]
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(names)
        shape = rng.random()
        if shape < 0.15:
            value = ""
        elif shape < 0.5:
            # Leading, trailing and inner runs of spaces and tabs.
            words = [random_text(rng, HEADER_PIECES, 1, 6) for _ in range(rng.randint(1, 4))]
            value = rng.choice(["", " ", "  ", "\t"]) + "".join(
                w + rng.choice([" ", "  ", "\t", " \t "]) for w in words).rstrip(" \t") + rng.choice(["", " ", "\t "])
        else:
            value = random_text(rng, HEADER_PIECES, 1, 20)
        out.append((name, value))
    if rng.random() < 0.1:
        out.append(("Host", None))  # an explicit Host header, filled in from the URL below
    if service == "s3" and rng.random() < 0.2:
        out.append(("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="))
    return out


def generate(rng, index):
    service = ["s3", "sagemaker", "sts", "logs"][index % 4]
    region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"])
    base, prefix = endpoint(rng, service, region)
    path = s3_path(rng, prefix) if service == "s3" else service_path(rng)
    query = query_string(rng)
    url = base + path + ("?" + query if query else "")
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    body = ""
    if method in ("PUT", "POST") and rng.random() < 0.8:
        body = random_text(rng, PIECES + ["\n", "{", "}"], 0, 200)
    access_key, secret, token = credentials(rng)
    request_headers = []
    for name, value in headers(rng, service):
        if name == "Host":
            value = base.split("://", 1)[1]
        request_headers.append((name, value))
    return {
        "method": method, "url": url, "headers": request_headers, "body": body, "region": region,
        "service": service, "access_key": access_key, "secret_key": secret, "session_token": token or "",
        "time": amz_time(rng).strftime("%Y%m%dT%H%M%SZ"), "s3": service == "s3",
    }


def botocore_time(case):
    return mock.patch.object(botocore.auth, "get_current_datetime",
                             return_value=datetime.datetime.strptime(case["time"], "%Y%m%dT%H%M%SZ"))


def botocore_credentials(case):
    return Credentials(case["access_key"], case["secret_key"], case["session_token"] or None)


def botocore_sign(case):
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
    for name, value in case["headers"]:
        request.headers[name] = value  # appends: repeated headers stay repeated, in order
    signer = (S3SigV4Auth if case["s3"] else SigV4Auth)(botocore_credentials(case), case["service"], case["region"])
    canonical = []
    compute = signer.canonical_request
    signer.canonical_request = lambda r: canonical.append(compute(r)) or canonical[-1]
    with botocore_time(case):
        signer.add_auth(request)
    return request.headers, canonical[0]


def botocore_presign(case):
    request = AWSRequest(method=case["method"], url=case["url"])
    auth = S3SigV4QueryAuth if case["s3"] else SigV4QueryAuth
    signer = auth(botocore_credentials(case), case["service"], case["region"], expires=case["expires"])
    with botocore_time(case):
        signer.add_auth(request)
    return request.url


class Sigv4AgainstBotocore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if botocore is None:
            raise unittest.SkipTest("botocore is not installed for this python3")
        cls.tool = tool_path()
        if not cls.tool:
            raise unittest.SkipTest("neither SAGERUN_SIGV4_TOOL nor SAGERUN_BIN is set: run this suite through ctest")
        if not os.access(cls.tool, os.X_OK):
            raise AssertionError(f"the signer {cls.tool} is missing: build the sigv4_tool target")

    def run_tool(self, case, *args):
        result = subprocess.run([self.tool, *args], input=json.dumps(case).encode(), capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result.stdout.decode()

    def test_generator_covers_the_odd_cases(self):
        rng = random.Random(SEED)
        cases = [generate(rng, i) for i in range(REQUESTS)]
        urls = " ".join(c["url"] for c in cases)
        for needle in ("%20", "%25", "%2B", "%3D", "%E6%97%A5", "%F0%9F%98%80", "//", "/./", "/../", "+", "="):
            self.assertIn(needle, urls)
        self.assertTrue(any(c["session_token"] for c in cases) and any(not c["session_token"] for c in cases))
        self.assertTrue(any(len({n.lower() for n, _ in c["headers"]}) < len(c["headers"]) for c in cases))
        self.assertTrue(any("  " in v or "\t" in v for c in cases for _, v in c["headers"]))
        self.assertEqual({c["service"] for c in cases}, {"s3", "sagemaker", "sts", "logs"})

    def test_authorization_headers_match(self):
        rng = random.Random(SEED)
        for index in range(REQUESTS):
            case = generate(rng, index)
            with self.subTest(index=index, service=case["service"], url=case["url"]):
                expected, canonical = botocore_sign(case)
                ours = dict((name.lower(), value) for name, value in json.loads(self.run_tool(case))["headers"])
                context = f"\nrequest: {json.dumps(case, ensure_ascii=False)}\nbotocore's canonical request:\n{canonical}"
                self.assertEqual(ours["authorization"], expected["Authorization"], context)
                self.assertEqual(ours["x-amz-date"], expected["X-Amz-Date"])
                self.assertEqual(ours.get("x-amz-security-token"), expected.get("X-Amz-Security-Token"))
                if case["s3"]:
                    self.assertEqual(ours["x-amz-content-sha256"], hashlib.sha256(case["body"].encode()).hexdigest())
                    self.assertEqual(ours["x-amz-content-sha256"], expected["X-Amz-Content-SHA256"])

    def test_presigned_urls_match(self):
        rng = random.Random(SEED + 1)
        for index in range(PRESIGNS):
            service = ["s3", "s3", "s3", "sts"][index % 4]
            region = rng.choice(["us-east-1", "eu-central-1"])
            base, prefix = endpoint(rng, service, region)
            path = s3_path(rng, prefix) if service == "s3" else service_path(rng)
            # botocore keeps one value per name, so names are unique here.
            query = query_string(rng, unique_names=True)
            access_key, secret, token = credentials(rng)
            case = {
                "method": rng.choice(["GET", "PUT", "HEAD"]), "url": base + path + ("?" + query if query else ""),
                "region": region, "service": service, "access_key": access_key, "secret_key": secret,
                "session_token": token or "", "time": amz_time(rng).strftime("%Y%m%dT%H%M%SZ"),
                "s3": service == "s3", "expires": rng.choice([1, 900, 3600, 604800]),
            }
            with self.subTest(index=index, url=case["url"]):
                self.assertEqual(self.run_tool(case, "--presign").strip(), botocore_presign(case),
                                 json.dumps(case, ensure_ascii=False))


if __name__ == "__main__":
    unittest.main()
