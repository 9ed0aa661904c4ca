"""`sagerun server` with boto3 as the client: jobs created over the SageMaker API really run (native
runtime, inputs and outputs in moto's S3), and describe, list, stop, errors and the CloudWatch Logs
API behave as the services do."""
import datetime
import io
import json
import tarfile
import time
import unittest

from harness import main
from local_cases import SNOOP_PRELUDE
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for, wait_for_job

MODEL_SCRIPT = r'''
import json, os, sys
print("epoch 1 loss=0.5", flush=True)
print("epoch 2 loss=0.25", flush=True)
print("a warning", file=sys.stderr, flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
    json.dump({"args": sys.argv[1:], "job": os.environ.get("TRAINING_JOB_NAME"),
               "files": sorted(os.listdir(os.environ["SM_CHANNEL_TRAINING"]))}, f)
'''

FAILING_SCRIPT = r'''
import sys
print("about to fail", flush=True)
print("the disk is full", file=sys.stderr, flush=True)
sys.exit(3)
'''

SLEEP_SCRIPT = r'''
import os, signal, sys, time
def on_term(*_):
    open(os.path.join(os.environ["SM_MODEL_DIR"], "sigterm.txt"), "w").write("got SIGTERM")
    print("got SIGTERM", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("sleeping", flush=True)
time.sleep(600)
'''

# What a job can see of AWS credentials: the variables, and the key its endpoint hands out.
CREDENTIALS_SCRIPT = r'''
import json, os, urllib.request
seen = {"names": sorted(k for k in os.environ if k.startswith("AWS_")),
        "secret_in_env": any("testing-secret" in v or "api-secret" in v for v in os.environ.values())}
if "AWS_CONTAINER_CREDENTIALS_FULL_URI" in os.environ:
    request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                                     headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
    seen["served_key"] = json.load(urllib.request.urlopen(request, timeout=10))["AccessKeyId"]
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
    json.dump(seen, f)
'''

# Looks for the server's API secret and AWS key wherever a job could read them: every process's
# environment and command line, the key file the server was given, and the files in /tmp.
SNOOP_SCRIPT = SNOOP_PRELUDE + r'''
import tempfile
api_secret, aws_secret = ("api-secret-" + "Qx9").encode(), ("testing-" + "secret").encode()
check_processes([api_secret, aws_secret])
check(os.environ["SNOOP_KEY_FILE"], [api_secret])
for name in os.listdir(tempfile.gettempdir()):  # other suites' servers keep their key files here too
    check(os.path.join(tempfile.gettempdir(), name), [api_secret])
report("model.json")
'''

GROUP = "/aws/sagemaker/TrainingJobs"


def tar_members(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


class ServerApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = MotoServer().start()
        cls.s3 = s3_client(cls.moto.endpoint)
        cls.s3.create_bucket(Bucket="bkt")
        for prefix, script in (("ok", MODEL_SCRIPT), ("fail", FAILING_SCRIPT), ("sleep", SLEEP_SCRIPT),
                               ("creds", CREDENTIALS_SCRIPT), ("snoop", SNOOP_SCRIPT)):
            cls.s3.put_object(Bucket="bkt", Key=prefix + "/input/script/train.py", Body=script.encode())
            cls.s3.put_object(Bucket="bkt", Key=prefix + "/input/train.csv", Body=b"1,2\n")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def start_server(self, max_instances=2, **kw):
        server = SagerunServer(env=aws_env(self.moto.endpoint), max_instances=max_instances, **kw).start()
        self.addCleanup(server.stop)
        return server, server.client("sagemaker"), server.client("logs")

    def create(self, sm, name, prefix="ok", **kw):
        response = sm.create_training_job(**training_request(name, prefix=prefix, **kw))
        self.assertEqual(response["TrainingJobArn"],
                         "arn:aws:sagemaker:us-east-1:000000000000:training-job/" + name.lower())
        return response

    def stream_of(self, logs, name):
        streams = wait_for(lambda: logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=name + "/")
                           ["logStreams"], what="the log stream of " + name)
        return streams[0]["logStreamName"]

    def log_messages(self, logs, name):
        events = logs.get_log_events(logGroupName=GROUP, logStreamName=self.stream_of(logs, name), startFromHead=True)
        return [e["message"] for e in events["events"]]

    # -- the flow ------------------------------------------------------------------------------
    def test_create_describe_until_completed(self):
        server, sm, logs = self.start_server()
        self.create(sm, "first-job", hyperparameters={"epochs": "2"})
        early = sm.describe_training_job(TrainingJobName="first-job")
        self.assertIn(early["TrainingJobStatus"], ("InProgress", "Completed"))
        done = wait_for_job(sm, "first-job")
        self.assertEqual((done["TrainingJobStatus"], done["SecondaryStatus"]), ("Completed", "Completed"))
        path = done["ModelArtifacts"]["S3ModelArtifacts"]
        self.assertEqual(path, "s3://bkt/ok/output/first-job/output/model.tar.gz")
        model = json.loads(tar_members(self.s3.get_object(Bucket="bkt", Key=path[len("s3://bkt/"):])["Body"].read())
                           ["model.json"])
        self.assertEqual(model, {"args": ["--epochs", "2"], "job": "first-job", "files": ["script", "train.csv"]})
        self.assertEqual([t["Status"] for t in done["SecondaryStatusTransitions"]],
                         ["Starting", "Downloading", "Training", "Uploading", "Completed"])
        sent = training_request("first-job", prefix="ok", hyperparameters={"epochs": "2"})
        for key in ("RoleArn", "ResourceConfig", "StoppingCondition"):
            self.assertEqual(done[key], sent[key])
        # As given, with what the service fills when the request leaves it out.
        self.assertEqual(done["AlgorithmSpecification"],
                         dict(sent["AlgorithmSpecification"], EnableSageMakerMetricsTimeSeries=False))
        self.assertEqual(done["InputDataConfig"],
                         [dict(sent["InputDataConfig"][0], CompressionType="None", RecordWrapperType="None")])
        self.assertEqual(done["OutputDataConfig"],
                         {"S3OutputPath": "s3://bkt/ok/output", "CompressionType": "GZIP", "KmsKeyId": ""})
        self.assertEqual([done[k] for k in ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                                            "EnableManagedSpotTraining")], [False, False, False])
        self.assertEqual(done["HyperParameters"], {"epochs": "2"})
        self.assertLessEqual(done["CreationTime"], done["TrainingStartTime"])
        self.assertLessEqual(done["TrainingStartTime"], done["TrainingEndTime"])
        self.assertGreaterEqual(done["TrainingTimeInSeconds"], 1)
        # The SDK's flow: a waiter on the same API.
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="first-job",
                                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        self.assertIn("epoch 2 loss=0.25", self.log_messages(logs, "first-job"))

    def test_jobs_never_get_the_key_that_signs_the_api_unless_told(self):
        # The server's own credentials (moto's key here) are what jobs get through their
        # endpoint. When clients sign with that same key, a job holding it could create or stop
        # other jobs: it gets no credentials at all, unless --jobs-get-api-key says otherwise.
        def seen(name, **kw):
            server, sm, _ = self.start_server(**kw)
            self.create(sm, name, prefix="creds")
            done = wait_for_job(sm, name)
            self.assertEqual(done["TrainingJobStatus"], "Completed", done.get("FailureReason"))
            key = done["ModelArtifacts"]["S3ModelArtifacts"][len("s3://bkt/"):]
            return json.loads(tar_members(self.s3.get_object(Bucket="bkt", Key=key)["Body"].read())["model.json"]), \
                server.log()

        same, log = seen("same-key")
        self.assertEqual([n for n in same["names"] if n.startswith(("AWS_CONTAINER_", "AWS_ACCESS_", "AWS_SECRET_",
                                                                    "AWS_SESSION_"))], [], same)
        self.assertFalse(same["secret_in_env"])
        self.assertIn("jobs get no AWS credentials", log)
        told, _ = seen("told", extra_args=["--jobs-get-api-key"])
        self.assertIn("AWS_CONTAINER_CREDENTIALS_FULL_URI", told["names"])
        self.assertEqual(told["served_key"], "testing-key")
        own, log = seen("own-key", access_key="api-key", secret_key="api-secret")
        self.assertEqual(own["served_key"], "testing-key")  # the server's chain, never the API's key
        self.assertFalse(own["secret_in_env"])
        self.assertNotIn("jobs get no AWS credentials", log)

    def test_a_job_reads_neither_the_api_secret_nor_the_servers_keys(self):
        server, sm, _ = self.start_server(access_key="api-key", secret_key="api-secret-Qx9")
        key_file = server.secret_file()  # the file the server was started with
        self.create(sm, "snoop", prefix="snoop", environment={"SNOOP_KEY_FILE": key_file})
        done = wait_for_job(sm, "snoop")
        self.assertEqual(done["TrainingJobStatus"], "Completed", done.get("FailureReason"))
        key = done["ModelArtifacts"]["S3ModelArtifacts"][len("s3://bkt/"):]
        seen = json.loads(tar_members(self.s3.get_object(Bucket="bkt", Key=key)["Body"].read())["model.json"])
        self.assertEqual(seen["found"], [])
        self.assertGreater(seen["read"], 0)

    def test_failing_job(self):
        server, sm, logs = self.start_server()
        self.create(sm, "failing", prefix="fail")
        done = wait_for_job(sm, "failing")
        self.assertEqual((done["TrainingJobStatus"], done["SecondaryStatus"]), ("Failed", "Failed"))
        self.assertIn("exit code 3", done["FailureReason"])
        self.assertIn("the disk is full", done["FailureReason"])
        self.assertLessEqual(len(done["FailureReason"]), 1024)
        messages = self.log_messages(logs, "failing")
        self.assertIn("about to fail", messages)
        self.assertIn("the disk is full", messages)

    def test_stop_a_running_job(self):
        server, sm, logs = self.start_server()
        self.create(sm, "to-stop", prefix="sleep")
        wait_for(lambda: "sleeping" in self.log_messages(logs, "to-stop"), what="the script to start")
        sm.stop_training_job(TrainingJobName="to-stop")
        stopping = sm.describe_training_job(TrainingJobName="to-stop")
        # StopTrainingJob answers once the job shows it: Stopping (or already Stopped).
        self.assertIn(stopping["TrainingJobStatus"], ("Stopping", "Stopped"))
        if stopping["TrainingJobStatus"] == "Stopping":
            try:
                sm.stop_training_job(TrainingJobName="to-stop")  # again while it stops: accepted
            except sm.exceptions.ClientError as error:  # unless it ended in between
                self.assertIn("in status Stopped", error.response["Error"]["Message"])
        done = wait_for_job(sm, "to-stop")
        self.assertEqual((done["TrainingJobStatus"], done["SecondaryStatus"]), ("Stopped", "Stopped"))
        self.assertIn("Stopping", [t["Status"] for t in done["SecondaryStatusTransitions"]])
        model = tar_members(self.s3.get_object(Bucket="bkt", Key="sleep/output/to-stop/output/model.tar.gz")["Body"]
                            .read())
        self.assertEqual(model["sigterm.txt"], b"got SIGTERM")  # SIGTERM reached the script, outputs kept
        with self.assertRaises(sm.exceptions.ClientError) as caught:
            sm.stop_training_job(TrainingJobName="to-stop")
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")
        self.assertEqual(caught.exception.response["Error"]["Message"],
                         "The request was rejected because the training job is in status Stopped.")

    def test_queued_jobs_are_pending_and_can_be_stopped(self):
        server, sm, logs = self.start_server(max_instances=1)
        self.create(sm, "holds-capacity", prefix="sleep")
        self.create(sm, "waits")
        waiting = sm.describe_training_job(TrainingJobName="waits")
        self.assertEqual((waiting["TrainingJobStatus"], waiting["SecondaryStatus"]), ("InProgress", "Pending"))
        self.assertIn("at most 1 instance", waiting["SecondaryStatusTransitions"][-1]["StatusMessage"])
        sm.stop_training_job(TrainingJobName="waits")
        stopped = sm.describe_training_job(TrainingJobName="waits")
        self.assertEqual((stopped["TrainingJobStatus"], stopped["SecondaryStatus"]), ("Stopped", "Stopped"))
        self.create(sm, "runs-next")
        self.assertEqual(sm.describe_training_job(TrainingJobName="runs-next")["SecondaryStatus"], "Pending")
        sm.stop_training_job(TrainingJobName="holds-capacity")
        self.assertEqual(wait_for_job(sm, "runs-next")["TrainingJobStatus"], "Completed")
        self.assertEqual(sm.describe_training_job(TrainingJobName="holds-capacity")["TrainingJobStatus"], "Stopped")
        transitions = sm.describe_training_job(TrainingJobName="runs-next")["SecondaryStatusTransitions"]
        self.assertEqual([t["Status"] for t in transitions][:2], ["Pending", "Starting"])

    # -- errors --------------------------------------------------------------------------------
    def test_errors_have_the_service_types_and_messages(self):
        server, sm, logs = self.start_server()
        self.create(sm, "taken")
        with self.assertRaises(sm.exceptions.ResourceInUse) as caught:
            sm.create_training_job(**training_request("Taken"))
        self.assertEqual(caught.exception.response["Error"]["Message"],
                         "Training job names must be unique within an AWS account and region, and a training job "
                         "with this name already exists (arn:aws:sagemaker:us-east-1:000000000000:training-job/taken)")
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)

        def error_of(call, **kw):
            with self.assertRaises(sm.exceptions.ClientError) as caught:
                call(**kw)
            return caught.exception.response["Error"]["Code"], caught.exception.response["Error"]["Message"]

        code, message = error_of(sm.create_training_job, **training_request("bad_name"))
        self.assertEqual(code, "ValidationException")
        self.assertEqual(message, "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to "
                                  "satisfy constraint: Member must satisfy regular expression pattern: "
                                  "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
        local = training_request("local-output")
        local["OutputDataConfig"]["S3OutputPath"] = "file:///tmp/out"
        code, message = error_of(sm.create_training_job, **local)
        self.assertEqual(code, "ValidationException")
        self.assertIn("outputDataConfig.s3OutputPath", message)
        code, message = error_of(sm.create_training_job, **training_request("too-large", instance_count=3))
        self.assertEqual(code, "ResourceLimitExceeded")
        self.assertIn("is 2 Instances", message)
        self.assertEqual(error_of(sm.describe_training_job, TrainingJobName="missing"),
                         ("ValidationException", "Requested resource not found."))
        self.assertEqual(error_of(sm.stop_training_job, TrainingJobName="missing"),
                         ("ValidationException", "Requested resource not found."))
        # What botocore would refuse before sending: the server checks it too.
        raw = server.client("sagemaker", parameter_validation=False)
        with self.assertRaises(raw.exceptions.ClientError) as caught:
            raw.list_training_jobs(MaxResults=0)
        self.assertEqual(caught.exception.response["Error"]["Message"],
                         "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
                         "Member must have value greater than or equal to 1")
        with self.assertRaises(raw.exceptions.ClientError) as caught:
            raw.describe_training_job(TrainingJobName="")
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")
        with self.assertRaises(raw.exceptions.ClientError) as caught:
            raw.create_training_job(TrainingJobName="no-fields")
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")
        names = [j["TrainingJobName"] for j in sm.list_training_jobs()["TrainingJobSummaries"]]
        self.assertEqual(names, ["taken"])  # no failed request created a job

    # -- listing -------------------------------------------------------------------------------
    def test_list_with_every_filter_and_paging(self):
        server, sm, logs = self.start_server(max_instances=2)
        # Three batches in three different seconds: botocore sends timestamps in whole seconds.
        boundaries = []
        for batch in ((("list-a-1", "ok"), ("list-b-2", "fail")), (("list-a-3", "ok"), ("other-4", "ok")),
                      (("list-a-5", "ok"),)):
            for name, prefix in batch:
                self.create(sm, name, prefix=prefix)
            if len(boundaries) < 2:
                boundary = int(time.time()) + 1
                time.sleep(boundary - time.time() + 0.01)
                boundaries.append(datetime.datetime.fromtimestamp(boundary, datetime.timezone.utc))
        for name in ("list-a-1", "list-b-2", "list-a-3", "other-4", "list-a-5"):
            wait_for_job(sm, name)

        def listed(**kw):
            return [j["TrainingJobName"] for j in sm.list_training_jobs(**kw)["TrainingJobSummaries"]]

        newest_first = ["list-a-5", "other-4", "list-a-3", "list-b-2", "list-a-1"]
        self.assertEqual(listed(), newest_first)
        self.assertEqual(listed(SortOrder="Ascending"), newest_first[::-1])
        self.assertEqual(listed(SortBy="Name", SortOrder="Ascending"),
                         ["list-a-1", "list-a-3", "list-a-5", "list-b-2", "other-4"])
        self.assertEqual(listed(SortBy="Status", SortOrder="Ascending"),
                         ["list-a-1", "list-a-3", "other-4", "list-a-5", "list-b-2"])
        self.assertEqual(listed(NameContains="LIST-A"), ["list-a-5", "list-a-3", "list-a-1"])
        self.assertEqual(listed(StatusEquals="Failed"), ["list-b-2"])
        self.assertEqual(listed(StatusEquals="Completed", NameContains="a-"), ["list-a-5", "list-a-3", "list-a-1"])
        first_second, second_second = boundaries
        self.assertEqual(listed(CreationTimeAfter=first_second), ["list-a-5", "other-4", "list-a-3"])
        self.assertEqual(listed(CreationTimeBefore=second_second), ["other-4", "list-a-3", "list-b-2", "list-a-1"])
        self.assertEqual(listed(CreationTimeAfter=first_second, CreationTimeBefore=second_second),
                         ["other-4", "list-a-3"])
        summaries = sm.list_training_jobs()["TrainingJobSummaries"]
        modified = sorted(j["LastModifiedTime"] for j in summaries)
        second = datetime.timedelta(seconds=1)
        self.assertEqual(listed(LastModifiedTimeAfter=modified[0] - second), newest_first)
        self.assertEqual(listed(LastModifiedTimeAfter=modified[-1] + second), [])
        self.assertEqual(listed(LastModifiedTimeBefore=modified[0] - second), [])
        self.assertEqual(listed(LastModifiedTimeBefore=modified[-1] + second, StatusEquals="Failed"), ["list-b-2"])
        self.assertEqual(listed(MaxResults=2), newest_first[:2])
        first = summaries[0]
        self.assertEqual(set(first), {"TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingEndTime",
                                      "LastModifiedTime", "TrainingJobStatus", "SecondaryStatus"})
        # Paging by hand and with boto3's paginator.
        paged, token = [], None
        while True:
            page = sm.list_training_jobs(MaxResults=2, SortBy="Name", **({"NextToken": token} if token else {}))
            paged += [j["TrainingJobName"] for j in page["TrainingJobSummaries"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(paged, listed(SortBy="Name"))
        paginator = sm.get_paginator("list_training_jobs")
        pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([j["TrainingJobName"] for p in pages for j in p["TrainingJobSummaries"]], newest_first)
        with self.assertRaises(sm.exceptions.ClientError) as caught:
            sm.list_training_jobs(NextToken="not-a-token")
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")

    # -- CloudWatch Logs ---------------------------------------------------------------------------
    def test_logs_api(self):
        server, sm, logs = self.start_server()
        self.create(sm, "logged")
        wait_for_job(sm, "logged")
        streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="logged/")["logStreams"]
        self.assertEqual(len(streams), 1)
        created = int(sm.describe_training_job(TrainingJobName="logged")["CreationTime"].timestamp())
        stream = streams[0]["logStreamName"]
        self.assertEqual(stream, "logged/algo-1-%d" % created)
        self.assertLessEqual(streams[0]["firstEventTimestamp"], streams[0]["lastEventTimestamp"])

        # Forward from the head, as the SageMaker SDK reads: until the token comes back unchanged.
        messages, token = [], None
        while True:
            page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True, limit=2,
                                       **({"nextToken": token} if token else {}))
            messages += [e["message"] for e in page["events"]]
            if page["nextForwardToken"] == token:
                break
            token = page["nextForwardToken"]
        script_lines = [m for m in messages if not m.startswith("[sagerun]")]
        self.assertEqual(script_lines, ["epoch 1 loss=0.5", "epoch 2 loss=0.25", "a warning"])
        # From the tail, then backward.
        tail = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=2)
        self.assertEqual([e["message"] for e in tail["events"]], messages[-2:])
        before = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=2,
                                     nextToken=tail["nextBackwardToken"])
        self.assertEqual([e["message"] for e in before["events"]], messages[-4:-2])
        # FilterLogEvents, paged by the paginator, and with a pattern.
        paginator = logs.get_paginator("filter_log_events")
        filtered = [e["message"] for p in paginator.paginate(logGroupName=GROUP, logStreamNamePrefix="logged/",
                                                             PaginationConfig={"PageSize": 2})
                    for e in p["events"]]
        self.assertEqual(filtered, messages)
        matched = logs.filter_log_events(logGroupName=GROUP, logStreamNames=[stream], filterPattern="epoch loss")
        self.assertEqual([e["message"] for e in matched["events"]], ["epoch 1 loss=0.5", "epoch 2 loss=0.25"])
        self.assertEqual(matched["events"][0]["logStreamName"], stream)
        with self.assertRaises(logs.exceptions.ResourceNotFoundException):
            logs.get_log_events(logGroupName=GROUP, logStreamName="logged/algo-2-%d" % created)
        with self.assertRaises(logs.exceptions.ResourceNotFoundException):
            logs.describe_log_streams(logGroupName="/aws/other")


if __name__ == "__main__":
    main()
