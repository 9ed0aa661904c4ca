"""The dashboard in a real browser: headless Chromium (Debian's chromium) driven by Playwright
(tests/browser/dashboard.mjs), against `sagerun server` running real jobs (native runtime, moto's S3).
The jobs page follows a job to Completed without a reload; a job's page follows its log live, draws
its metric with every point, shows its timeline; Stop stops; without the token nothing is served;
a page of another origin cannot stop a job. Also, without a browser: the Host and Origin rules and
a `sagerun local` job shown by the server's dashboard."""
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import unittest
import urllib.error
import urllib.request

from harness import SAGERUN, SOURCE_DIR, main
from local_jobs import LocalJobs, write_script
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for, wait_for_job

BROWSER_DIR = os.path.join(SOURCE_DIR or "", "tests", "browser")
DRIVER = os.path.join(BROWSER_DIR, "dashboard.mjs")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STEPS = 12

# Waits a little (the page must see it running), then prints a metric and a log line per step.
STEPS_SCRIPT = r'''
import time
time.sleep(2.5)
for i in range(%d):
    print(f"step {i} loss={1.0 / (i + 1):.4f}", flush=True)
    time.sleep(0.4)
''' % STEPS

SLEEP_SCRIPT = r'''
import time
print("sleeping", flush=True)
time.sleep(600)
'''

EVIL_PAGE = '''<!doctype html><html><body><iframe name="sink"></iframe>
<form id="f" method="POST" action="%(stop)s" target="sink"></form>
<script>
fetch("%(stop)s", {method: "POST", mode: "no-cors", credentials: "include"})
  .catch(() => {})
  .then(() => fetch("%(stop)s", {method: "POST", credentials: "include"}).catch(() => {}))
  .then(() => { document.getElementById("f").submit(); setTimeout(() => { window.__done = true; }, 1000); });
</script></body></html>'''


def browser_missing():
    if not shutil.which("node"):
        return "node is not installed"
    if not os.path.exists(CHROMIUM):
        return "chromium is not installed (Debian's chromium package)"
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        return "playwright-core is not installed: npm ci --prefix tests/browser"
    return None


def drive(check, timeout=90, **args):
    """Runs one check of the browser driver; returns what it saw."""
    result = subprocess.run(["node", DRIVER, check, json.dumps(args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=timeout + 30, env=dict(os.environ, CHROMIUM=CHROMIUM))
    if result.returncode != 0:
        raise AssertionError("the browser check %s failed:\n%s" % (check, result.stderr.decode(errors="replace")))
    return json.loads(result.stdout)


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = browser_missing()
        if missing:
            if os.environ.get("CI") == "true":
                raise AssertionError("the browser tests cannot run: " + missing)
            raise unittest.SkipTest(missing)
        cls.moto = MotoServer().start()
        s3 = s3_client(cls.moto.endpoint)
        s3.create_bucket(Bucket="bkt")
        for prefix, script in (("steps", STEPS_SCRIPT), ("sleep", SLEEP_SCRIPT)):
            s3.put_object(Bucket="bkt", Key=prefix + "/input/script/train.py", Body=script.encode())
        cls.server = SagerunServer(env=aws_env(cls.moto.endpoint), max_instances=4).start()
        cls.sm = cls.server.client("sagemaker")
        cls.url = re.search(r"dashboard at (\S+)", cls.server.log()).group(1)
        cls.token = cls.url.split("token=", 1)[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.moto.stop()

    def create(self, name, prefix):
        request = training_request(name, prefix=prefix)
        request["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]
        self.sm.create_training_job(**request)

    def request(self, path, method="GET", headers=None, cookie=True):
        """An answer of the dashboard (status, body), as a client other than the browser sends it."""
        headers = dict(headers or {})
        if cookie:
            headers["Cookie"] = "sagerun_dashboard=" + self.token
        request = urllib.request.Request(self.server.endpoint + path, method=method, headers=headers,
                                         data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def test_the_server_prints_the_dashboard_link_with_its_token(self):
        self.assertEqual(self.url, "%s/?token=%s" % (self.server.endpoint, self.token))
        self.assertRegex(self.token, r"^[0-9a-f]{48}$")

    def test_without_the_token_nothing_is_served(self):
        seen = drive("no-token", base=self.server.endpoint, job="any-job")
        self.assertEqual(set(seen["statuses"].values()), {401}, seen)
        self.assertIn("token", seen["text"])
        self.assertEqual(seen["cookies"], [])

    def test_the_jobs_page_follows_a_job_to_completed_without_a_reload(self):
        self.create("dash-live", "steps")
        seen = drive("jobs-live", url=self.url, job="dash-live")
        self.assertEqual(seen["landed"], self.server.endpoint + "/")  # the token left the address
        cookie, = seen["cookies"]
        self.assertEqual((cookie["name"], cookie["httpOnly"], cookie["sameSite"]), ("sagerun_dashboard", True, "Strict"))
        self.assertTrue(seen["notReloaded"])
        name, status, secondary, instances, _created, _duration, metrics = seen["cells"]
        self.assertEqual((name, status, secondary, instances), ("dash-live", "Completed", "Completed", "ml.m5.large × 1"))
        self.assertIn("loss", metrics)

    def test_a_jobs_page_follows_its_log_and_draws_its_metric(self):
        self.create("dash-page", "steps")
        seen = drive("job-page", url=self.url, base=self.server.endpoint, job="dash-page", metric="loss", points=STEPS)
        running = sorted({s["lines"] for s in seen["samples"] if s["state"] == "InProgress" and s["lines"] > 0})
        self.assertGreaterEqual(len(running), 2, "the log did not grow on the page while the job ran: %s" % seen["samples"])
        self.assertEqual(seen["logLines"], STEPS)
        self.assertEqual(seen["marks"], STEPS)
        values = [row.split("Z", 1)[1] for row in seen["rows"]]
        self.assertEqual(values, ["%g" % float("%.4f" % (1.0 / (i + 1))) for i in range(STEPS)])
        for stage in ("Starting", "Downloading", "Training", "Uploading", "Completed"):
            self.assertIn(stage, seen["timeline"])

    def test_stop_stops_a_running_job(self):
        self.create("dash-stop", "sleep")
        seen = drive("stop", url=self.url, base=self.server.endpoint, job="dash-stop")
        self.assertEqual(seen["stopAnswer"], 200)
        self.assertEqual(wait_for_job(self.sm, "dash-stop")["TrainingJobStatus"], "Stopped")

    def test_a_page_of_another_origin_cannot_stop_a_job(self):
        self.create("dash-keep", "sleep")
        self.addCleanup(lambda: self.sm.stop_training_job(TrainingJobName="dash-keep"))
        wait_for(lambda: self.sm.describe_training_job(TrainingJobName="dash-keep")["SecondaryStatus"] == "Training",
                 what="dash-keep to train")
        page = (EVIL_PAGE % {"stop": self.server.endpoint + "/api/jobs/dash-keep/stop"}).encode()

        class Evil(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_):
                pass

        evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        self.addCleanup(evil.server_close)
        self.addCleanup(evil.shutdown)
        seen = drive("cross-origin", url=self.url, evil="http://127.0.0.1:%d/" % evil.server_address[1])
        self.assertTrue(seen["answers"], "the other page's requests were not seen")
        self.assertTrue(all(status == 403 for status in seen["answers"]), seen)
        described = self.sm.describe_training_job(TrainingJobName="dash-keep")
        self.assertEqual(described["TrainingJobStatus"], "InProgress")

    def test_changes_need_the_dashboards_own_origin_and_host(self):
        origin = self.server.endpoint
        self.assertEqual(self.request("/api/jobs/no-such-job/stop", "POST")[0], 403)  # no Origin
        status, body = self.request("/api/jobs/no-such-job/stop", "POST", {"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        self.assertIn("evil.example", body)
        # The right origin gets through to the jobs service (which knows no such job).
        status, body = self.request("/api/jobs/no-such-job/stop", "POST", {"Origin": origin})
        self.assertEqual(status, 400, body)
        # A name rebound to this address (DNS rebinding) is not this server.
        port = self.server.port
        self.assertEqual(self.request("/api/jobs", headers={"Host": "evil.example:%d" % port})[0], 403)
        self.assertEqual(self.request("/api/jobs", headers={"Host": "localhost:%d" % port})[0], 200)
        self.assertEqual(self.request("/api/jobs", cookie=False)[0], 401)
        # API calls stay API calls: unsigned, they are refused as the service refuses them.
        status, body = self.request("/", "POST", {"X-Amz-Target": "SageMaker.ListTrainingJobs"}, cookie=False)
        self.assertEqual(status, 403)
        self.assertIn("MissingAuthenticationToken", body)

    def test_pages_through_a_store_of_many_jobs_and_filters_it(self):
        seed_tool = os.environ.get("SAGERUN_SEED_TOOL")
        if not seed_tool:
            self.skipTest("SAGERUN_SEED_TOOL is not set: run this suite through ctest")
        many = SagerunServer(max_instances=1)
        subprocess.run([seed_tool, many.state_dir, "120"], check=True, stdout=subprocess.DEVNULL)
        many.start()
        self.addCleanup(many.stop)
        url = re.search(r"dashboard at (\S+)", many.log()).group(1)
        seen = drive("paging", url=url, base=many.endpoint)
        self.assertEqual([len(page) for page in seen["pages"]], [50, 50, 20])
        everyone = [name for page in seen["pages"] for name in page]
        self.assertEqual(len(set(everyone)), 120)
        numbers = [int(name.rsplit("-", 1)[1]) for name in everyone]
        self.assertEqual(numbers, list(range(119, -1, -1)))  # newest first: the seed numbers them in order
        self.assertEqual(seen["labelAtEnd"], "Page 3")
        self.assertEqual(seen["back"], seen["pages"][1])
        self.assertTrue(seen["failed"] and set(seen["failed"]) == {"Failed"}, seen["failed"])
        self.assertEqual(seen["rare"], ["bench-Rare-0000000"])
        self.assertTrue(seen["address"].endswith("/?name=rare"), seen["address"])

    def test_the_dashboard_shows_jobs_sagerun_local_ran(self):
        jobs = LocalJobs(self)
        jobs.home = self.server.state_dir  # the server's store is SAGERUN_HOME's
        folder = os.path.join(self.server.state_dir, "local-input")
        write_script(folder, "print('hello from local')\n")
        jobs.run(["--job-name", "dash-local", "--input", "training=" + folder,
                  "--output-path", os.path.join(self.server.state_dir, "local-output")], check=0)
        status, body = self.request("/api/jobs?name=dash-local")
        self.assertEqual(status, 200, body)
        row, = json.loads(body)["jobs"]
        self.assertEqual((row["name"], row["status"]), ("dash-local", "Completed"))


if __name__ == "__main__":
    main()
