"""Training metrics over time: a two-host server job and a `sagerun local` job (one store) print
metrics with their own timestamps; the runner keeps every value per host (`sagerun metrics`), and
`sagerun server` serves them as CloudWatch does — boto3 and the AWS CLI v1 over JSON 1.0, Debian's
AWS CLI v2 over the query protocol — with the values the script printed, at the times its lines
arrived; `sagerun metrics --endpoint-url` reads them back through that API. Unsigned and wrongly
scoped requests are refused in each protocol."""
import datetime
import http.client
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import SAGERUN, main
from peers import ACCESS_KEY, SECRET_KEY, aws_cli, aws_env, cli_v2_available
from server_peer import SagerunServer, wait_for_job

NAMESPACE = "/aws/sagemaker/TrainingJobs"
STEPS = 6

# Each host prints its own losses (host N: N*10 + 1/(step+1)) with the time it printed them.
SCRIPT = r'''
import os, time
n = int(os.environ["SM_CURRENT_HOST"].split("-")[1])
for i in range(%d):
    print(f"step={i} loss={n * 10 + 1.0 / (i + 1)!r} t={time.time()!r}", flush=True)
    time.sleep(0.3)
''' % STEPS

DEFINITIONS = [{"Name": "train:loss", "Regex": r"loss=([0-9.e+-]+)"}, {"Name": "step", "Regex": r"step=(\d+)"}]

# Lines reach the runner within this of their print, even on a loaded machine.
ARRIVAL = 2.0


def printed(log_path):
    """(t, step, loss) of each line the script printed, from the host's log."""
    out = []
    with open(log_path) as f:
        for line in f:
            if line.startswith("step="):
                fields = dict(part.split("=", 1) for part in line.split())
                out.append((float(fields["t"]), int(fields["step"]), float(fields["loss"])))
    return out


def periods(points, period, start):
    """CloudWatch's aggregation of (t, value) points: {period start: [values]}, from `start` aligned."""
    aligned = math.floor(start / period) * period
    out = {}
    for t, value in points:
        out.setdefault(aligned + math.floor((t - aligned) / period) * period, []).append(value)
    return out


def stamp(value):
    """An ISO 8601 string or a datetime, as epoch seconds."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.timestamp()


class ServerMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="sagerun-metrics-")
        os.makedirs(os.path.join(cls.work, "input", "script"))
        with open(os.path.join(cls.work, "input", "script", "train.py"), "w") as f:
            f.write(SCRIPT)
        # Without instance metrics (test_instance_metrics has them): the listings here are exact.
        env = aws_env("http://127.0.0.1:1")
        env["SAGERUN_INSTANCE_METRICS_SECONDS"] = "0"
        cls.server = SagerunServer(env=env, extra_args=["--allow-local-uris"]).start()
        sm = cls.server.client("sagemaker")
        cls.job = "metrics-job"
        sm.create_training_job(
            TrainingJobName=cls.job, RoleArn="arn:aws:iam::123456789012:role/sagerun-test",
            AlgorithmSpecification={"TrainingImage": "sagerun:latest", "TrainingInputMode": "File",
                                    "MetricDefinitions": DEFINITIONS},
            InputDataConfig=[{"ChannelName": "training", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "file://" + os.path.join(cls.work, "input"),
                "S3DataDistributionType": "FullyReplicated"}}}],
            OutputDataConfig={"S3OutputPath": "file://" + os.path.join(cls.work, "output")},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 1},
            StoppingCondition={"MaxRuntimeInSeconds": 600})
        # The same script as a `sagerun local` job of the same store, while the server job runs.
        cls.local_job = "metrics-local"
        local = subprocess.run(
            [SAGERUN, "local", "--script", os.path.join(cls.work, "input", "script"), "--job-name", cls.local_job,
             "--output", "file://" + os.path.join(cls.work, "local-output"), "--metric",
             "train:loss=" + DEFINITIONS[0]["Regex"]],
            env=cls.sagerun_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=120)
        if local.returncode != 0:
            raise AssertionError("sagerun local failed: %s" % local.stderr.decode(errors="replace"))
        done = wait_for_job(sm, cls.job, timeout=120)
        if done["TrainingJobStatus"] != "Completed":
            raise AssertionError("the job ended %s: %s" % (done["TrainingJobStatus"], done.get("FailureReason")))
        cls.final = done["FinalMetricDataList"]
        cls.cw = cls.server.client("cloudwatch")
        cls.stored = cls.metrics_json(cls.job)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def sagerun_env(cls):
        env = aws_env("http://127.0.0.1:1")
        env.update(SAGERUN_HOME=cls.server.state_dir, SAGERUN_PYTHON="/usr/bin/python3",
                   SAGERUN_INSTANCE_METRICS_SECONDS="0")
        return env

    @classmethod
    def sagerun(cls, *args):
        return subprocess.run([SAGERUN] + list(args), env=cls.sagerun_env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)

    @classmethod
    def metrics_json(cls, job):
        result = cls.sagerun("metrics", job, "--output", "json")
        if result.returncode != 0:
            raise AssertionError("sagerun metrics failed: %s" % result.stderr.decode(errors="replace"))
        return json.loads(result.stdout)

    def log_of(self, host, job=None):
        return os.path.join(self.server.state_dir, "jobs", job or self.job, "logs", host + ".log")

    def stored_points(self, host, metric="train:loss"):
        for series in self.stored["Metrics"]:
            if series["Host"] == host and series["MetricName"] == metric:
                return list(zip(series["Timestamps"], series["Values"]))
        self.fail("no %s of %s in %s" % (metric, host, self.stored))

    def window(self):
        times = [t for series in self.stored["Metrics"] for t in series["Timestamps"]]
        return min(times) - 120, max(times) + 120

    def dimension(self, host):
        return [{"Name": "Host", "Value": "%s/%s" % (self.job, host)}]

    # -- the store -----------------------------------------------------------------------------
    def test_every_value_is_kept_per_host_at_the_time_its_line_arrived(self):
        self.assertEqual([(m["Host"], m["MetricName"]) for m in self.stored["Metrics"]],
                         [("algo-1", "train:loss"), ("algo-1", "step"), ("algo-2", "train:loss"), ("algo-2", "step")])
        for host in ("algo-1", "algo-2"):
            lines = printed(self.log_of(host))
            self.assertEqual(len(lines), STEPS)
            points = self.stored_points(host)
            self.assertEqual([v for _, v in points], [loss for _, _, loss in lines])  # bit for bit
            self.assertEqual([v for _, v in self.stored_points(host, "step")], [float(s) for _, s, _ in lines])
            for (arrived, _), (sent, _, _) in zip(points, lines):
                self.assertGreaterEqual(arrived, sent - 0.001)  # stored in milliseconds
                self.assertLess(arrived - sent, ARRIVAL)
        # FinalMetricDataList as before: the last value of any host.
        self.assertEqual({m["MetricName"] for m in self.final}, {"train:loss", "step"})
        self.assertEqual(next(m for m in self.final if m["MetricName"] == "step")["Value"], STEPS - 1)

    def test_sagerun_metrics_prints_each_hosts_values(self):
        result = self.sagerun("metrics", self.job)
        self.assertEqual(result.returncode, 0, result.stderr)
        text = result.stdout.decode()
        self.assertIn("algo-1  train:loss  (%d values)" % STEPS, text)
        self.assertIn("algo-2  step  (%d values)" % STEPS, text)
        self.assertIn("  20.5\n", text)  # algo-2's second loss, as printed
        first = datetime.datetime.fromtimestamp(self.stored_points("algo-1")[0][0], datetime.timezone.utc)
        self.assertIn(first.strftime("  %Y-%m-%d %H:%M:%S."), text)
        local = self.metrics_json(self.local_job)
        self.assertEqual([(m["Host"], m["MetricName"]) for m in local["Metrics"]], [("algo-1", "train:loss")])
        self.assertEqual(local["Metrics"][0]["Values"], [l for _, _, l in printed(self.log_of("algo-1", self.local_job))])
        missing = self.sagerun("metrics", "no-such-job")
        self.assertEqual(missing.returncode, 1)
        self.assertIn(b"no-such-job", missing.stderr)

    def test_sagerun_metrics_of_a_remote_job_reads_its_cloudwatch(self):
        result = self.sagerun("metrics", self.job, "--endpoint-url", self.server.endpoint, "--output", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        remote = json.loads(result.stdout)
        self.assertEqual([(m["Host"], m["MetricName"]) for m in remote["Metrics"]],
                         [(m["Host"], m["MetricName"]) for m in self.stored["Metrics"]])
        start, _ = self.window()
        for series in remote["Metrics"]:
            # A compatible server is asked per second: each second's average.
            expected = periods(self.stored_points(series["Host"], series["MetricName"]), 1, start)
            self.assertEqual(series["Timestamps"], sorted(expected))
            for at, value in zip(series["Timestamps"], series["Values"]):
                self.assertAlmostEqual(value, sum(expected[at]) / len(expected[at]))
        text = self.sagerun("metrics", self.job, "--endpoint-url", self.server.endpoint)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn(b"algo-2  train:loss  (", text.stdout)

    # -- JSON 1.0: boto3 and the AWS CLI v1 ----------------------------------------------------
    def test_list_metrics_names_each_host_and_metric(self):
        pages = self.cw.get_paginator("list_metrics").paginate(Namespace=NAMESPACE)
        listed = {(m["MetricName"], m["Dimensions"][0]["Name"], m["Dimensions"][0]["Value"])
                  for page in pages for m in page["Metrics"]}
        self.assertEqual(listed, {("train:loss", "Host", self.job + "/algo-1"), ("step", "Host", self.job + "/algo-1"),
                                  ("train:loss", "Host", self.job + "/algo-2"), ("step", "Host", self.job + "/algo-2"),
                                  ("train:loss", "Host", self.local_job + "/algo-1"),
                                  ("train:loss", "TrainingJobName", self.job), ("step", "TrainingJobName", self.job),
                                  ("train:loss", "TrainingJobName", self.local_job)})
        by_job = self.cw.list_metrics(Namespace=NAMESPACE, Dimensions=[{"Name": "TrainingJobName", "Value": self.job}])
        self.assertEqual(sorted(m["MetricName"] for m in by_job["Metrics"]), ["step", "train:loss"])
        both = [{"Name": "TrainingJobName", "Value": self.job}, {"Name": "Host", "Value": self.job + "/algo-1"}]
        self.assertEqual(self.cw.list_metrics(Namespace=NAMESPACE, Dimensions=both)["Metrics"], [])
        one = self.cw.list_metrics(Namespace=NAMESPACE, MetricName="train:loss", Dimensions=self.dimension("algo-2"))
        self.assertEqual(one["Metrics"], [{"Namespace": NAMESPACE, "MetricName": "train:loss",
                                           "Dimensions": self.dimension("algo-2")}])
        self.assertEqual(self.cw.list_metrics(Namespace="AWS/EC2")["Metrics"], [])
        v1 = aws_cli(1, ["cloudwatch", "list-metrics", "--namespace", NAMESPACE, "--dimensions",
                         "Name=Host,Value=%s/algo-1" % self.job, "--output", "json"], self.server.endpoint)
        self.assertEqual(v1.returncode, 0, v1.stderr)
        self.assertEqual(sorted(m["MetricName"] for m in json.loads(v1.stdout)["Metrics"]), ["step", "train:loss"])

    def assert_statistics(self, datapoints, host, period):
        start, _ = self.window()
        expected = periods(self.stored_points(host), period, start)
        got = {stamp(d["Timestamp"]): d for d in datapoints}
        self.assertEqual(sorted(got), sorted(expected))
        for at, values in expected.items():
            self.assertEqual(got[at]["SampleCount"], len(values))
            self.assertAlmostEqual(got[at]["Average"], sum(values) / len(values))
            self.assertEqual(got[at]["Maximum"], max(values))
            self.assertEqual(got[at]["Unit"], "None")
        # And from what the script printed: each value in the period its print time falls in, or
        # a later one within the arrival delay.
        for sent, _, loss in printed(self.log_of(host)):
            self.assertTrue(any(at <= sent + ARRIVAL and at + period > sent and loss <= got[at]["Maximum"]
                                for at in got), (sent, loss, got))

    def test_get_metric_statistics_per_second_and_per_minute(self):
        start, end = self.window()
        for period in (1, 60):
            for host in ("algo-1", "algo-2"):
                answer = self.cw.get_metric_statistics(
                    Namespace=NAMESPACE, MetricName="train:loss", Dimensions=self.dimension(host),
                    StartTime=start, EndTime=end, Period=period, Statistics=["SampleCount", "Average", "Maximum"])
                self.assertEqual(answer["Label"], "train:loss")
                self.assertEqual(answer["ResponseMetadata"]["HTTPHeaders"]["content-type"],
                                 "application/x-amz-json-1.0")
                self.assert_statistics(answer["Datapoints"], host, period)
        percentile = self.cw.get_metric_statistics(
            Namespace=NAMESPACE, MetricName="train:loss", Dimensions=self.dimension("algo-1"), StartTime=start,
            EndTime=end, Period=3600, ExtendedStatistics=["p50", "p100"])
        values = sorted(v for _, v in self.stored_points("algo-1"))
        self.assertEqual([d["ExtendedStatistics"] for d in percentile["Datapoints"]],
                         [{"p50": values[2], "p100": values[-1]}])

    def test_the_jobs_metric_holds_every_hosts_values_as_the_sdks_analytics_reads_it(self):
        # TrainingJobAnalytics(...).dataframe(): TrainingJobName, Average, 60 s periods.
        start, end = self.window()
        answer = self.cw.get_metric_statistics(
            Namespace=NAMESPACE, MetricName="train:loss", Dimensions=[{"Name": "TrainingJobName", "Value": self.job}],
            StartTime=start, EndTime=end, Period=60, Statistics=["Average", "SampleCount"])
        both = self.stored_points("algo-1") + self.stored_points("algo-2")
        expected = periods(both, 60, start)
        got = {stamp(d["Timestamp"]): d for d in answer["Datapoints"]}
        self.assertEqual(sorted(got), sorted(expected))
        for at, values in expected.items():
            self.assertEqual(got[at]["SampleCount"], len(values))
            self.assertAlmostEqual(got[at]["Average"], sum(values) / len(values))

    def test_get_metric_data_pages_both_hosts(self):
        start, end = self.window()
        queries = [{"Id": "h%d" % n, "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": "train:loss",
                                                               "Dimensions": self.dimension("algo-%d" % n)},
                                                    "Period": 1, "Stat": "Maximum"}} for n in (1, 2)]
        results = {}
        for page in self.cw.get_paginator("get_metric_data").paginate(
                MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending",
                PaginationConfig={"PageSize": 4}):
            for result in page["MetricDataResults"]:
                got = results.setdefault(result["Id"], ([], []))
                got[0].extend(stamp(t) for t in result["Timestamps"])
                got[1].extend(result["Values"])
        for n in (1, 2):
            expected = periods(self.stored_points("algo-%d" % n), 1, start)
            self.assertEqual(results["h%d" % n], (sorted(expected), [max(expected[t]) for t in sorted(expected)]))
        newest_first = self.cw.get_metric_data(MetricDataQueries=queries[:1], StartTime=start, EndTime=end)
        self.assertEqual(newest_first["MetricDataResults"][0]["StatusCode"], "Complete")
        self.assertEqual([stamp(t) for t in newest_first["MetricDataResults"][0]["Timestamps"]],
                         sorted(results["h1"][0], reverse=True))

    def test_the_services_errors_reach_boto3_as_its_exceptions(self):
        start, end = self.window()
        common = dict(Namespace=NAMESPACE, MetricName="train:loss", Dimensions=self.dimension("algo-1"),
                      Statistics=["Average"])
        with self.assertRaises(self.cw.exceptions.InvalidParameterValueException) as caught:
            self.cw.get_metric_statistics(StartTime=start, EndTime=end, Period=61, **common)
        self.assertIn("Period must be 1, 5, 10, 30 or a multiple of 60", str(caught.exception))
        with self.assertRaises(self.cw.exceptions.InvalidParameterCombinationException) as caught:
            self.cw.get_metric_statistics(StartTime=start, EndTime=start + 1441, Period=1, **common)
        self.assertIn("You have requested up to 1441 datapoints, which exceeds the limit of 1440",
                      str(caught.exception))
        with self.assertRaises(self.cw.exceptions.InvalidParameterValueException) as caught:
            self.cw.get_metric_statistics(StartTime=end, EndTime=start, Period=60, **common)
        self.assertIn("StartTime must be less than the parameter EndTime", str(caught.exception))
        with self.assertRaises(self.cw.exceptions.InvalidParameterValueException) as caught:
            self.cw.get_metric_data(MetricDataQueries=[{"Id": "e", "Expression": "SUM(METRICS())"}],
                                    StartTime=start, EndTime=end)
        self.assertIn("MetricDataQueries.member.1.Expression", str(caught.exception))

    # -- query: the AWS CLI v2 -----------------------------------------------------------------
    def cli_v2(self, args):
        if not cli_v2_available():
            self.skipTest("Debian's AWS CLI v2 (/usr/bin/aws) is not installed")
        return aws_cli(2, ["cloudwatch"] + args + ["--output", "json"], self.server.endpoint)

    def test_cli_v2_reads_statistics_and_data_over_the_query_protocol(self):
        start, end = self.window()
        iso = [datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
               for t in (start, end)]
        for period in ("60", "1"):
            result = self.cli_v2(["get-metric-statistics", "--namespace", NAMESPACE, "--metric-name", "train:loss",
                                  "--dimensions", "Name=Host,Value=%s/algo-2" % self.job, "--start-time", iso[0],
                                  "--end-time", iso[1], "--period", period, "--statistics", "SampleCount",
                                  "Average", "Maximum"])
            self.assertEqual(result.returncode, 0, result.stderr)
            answer = json.loads(result.stdout)
            self.assertEqual(answer["Label"], "train:loss")
            self.assert_statistics(answer["Datapoints"], "algo-2", int(period))
        queries = [{"Id": "loss", "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": "train:loss",
                                                            "Dimensions": self.dimension("algo-1")},
                                                 "Period": 1, "Stat": "Minimum"}, "Label": "algo-1 <loss> & co"}]
        result = self.cli_v2(["get-metric-data", "--metric-data-queries", json.dumps(queries), "--start-time", iso[0],
                              "--end-time", iso[1], "--scan-by", "TimestampAscending"])
        self.assertEqual(result.returncode, 0, result.stderr)
        data = json.loads(result.stdout)["MetricDataResults"][0]
        expected = periods(self.stored_points("algo-1"), 1, start)
        self.assertEqual((data["Id"], data["Label"], data["StatusCode"]), ("loss", "algo-1 <loss> & co", "Complete"))
        self.assertEqual([stamp(t) for t in data["Timestamps"]], sorted(expected))
        self.assertEqual(data["Values"], [min(expected[t]) for t in sorted(expected)])
        listed = self.cli_v2(["list-metrics", "--namespace", NAMESPACE, "--metric-name", "step"])
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual(sorted(m["Dimensions"][0]["Value"] for m in json.loads(listed.stdout)["Metrics"]),
                         [self.job, self.job + "/algo-1", self.job + "/algo-2"])  # the job's, then each host's
        refused = self.cli_v2(["get-metric-statistics", "--namespace", NAMESPACE, "--metric-name", "train:loss",
                               "--start-time", iso[0], "--end-time", iso[1], "--period", "7", "--statistics",
                               "Average"])
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn(b"(InvalidParameterValue)", refused.stderr)
        self.assertIn(b"Period must be 1, 5, 10, 30 or a multiple of 60, not 7", refused.stderr)

    # -- signatures ----------------------------------------------------------------------------
    def raw(self, body, headers, sign_as=None):
        """POST / with these headers, signed for `sign_as` (a service name) or not at all."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        headers = dict(headers)
        if sign_as:
            request = botocore.awsrequest.AWSRequest("POST", self.server.endpoint + "/", data=body, headers=headers)
            botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY), sign_as,
                                    "us-east-1").add_auth(request)
            headers = dict(request.headers.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        answer = (response.status, response.getheader("Content-Type"), response.read().decode())
        conn.close()
        return answer

    def test_unsigned_and_wrongly_scoped_requests_are_refused_in_each_protocol(self):
        json10 = {"Content-Type": "application/x-amz-json-1.0",
                  "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}
        status, content_type, body = self.raw(b"{}", json10)
        self.assertEqual((status, content_type), (403, "application/x-amz-json-1.0"))
        self.assertEqual(json.loads(body)["__type"], "MissingAuthenticationTokenException")
        status, _, body = self.raw(b"{}", json10, sign_as="sagemaker")
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body), {"__type": "InvalidSignatureException",
                                            "message": "Credential should be scoped to correct service: "
                                                       "'monitoring'. "})
        self.assertEqual(self.raw(b"{}", json10, sign_as="monitoring")[0], 200)

        form = b"Action=ListMetrics&Version=2010-08-01&Namespace=%2Faws%2Fsagemaker%2FTrainingJobs"
        query = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        status, content_type, body = self.raw(form, query)
        self.assertEqual((status, content_type), (403, "text/xml"))
        self.assertIn("<Code>MissingAuthenticationToken</Code>", body)
        status, _, body = self.raw(form, query, sign_as="logs")
        self.assertEqual(status, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        self.assertIn("Credential should be scoped to correct service: &apos;monitoring&apos;.", body)
        status, _, body = self.raw(form, query, sign_as="monitoring")
        self.assertEqual(status, 200, body)
        self.assertIn("<ListMetricsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">", body)
        self.assertIn("<Value>%s/algo-2</Value>" % self.job, body)
        status, _, body = self.raw(form + b"&Period=%ZZ", query, sign_as="monitoring")
        self.assertEqual(status, 400)
        self.assertIn("<Code>MalformedQueryString</Code>", body)
        status, _, body = self.raw(b"Action=PutMetricData&Version=2010-08-01", query, sign_as="monitoring")
        self.assertEqual(status, 400)
        self.assertIn("<Code>InvalidAction</Code>", body)


if __name__ == "__main__":
    main()
