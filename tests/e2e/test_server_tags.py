"""AddTags, ListTags and DeleteTags against `sagerun server` with boto3: the tags CreateTrainingJob was
given, values that round-trip (any script), a replaced value, a deleted key and an absent one, the
service's validation messages, an ARN that names no job, the jobs `sagerun local` ran in the same
store, and tags kept across a restart."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import SAGERUN, main
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for_job

PATTERN = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"


def arn(name, region="us-east-1"):
    return "arn:aws:sagemaker:%s:000000000000:training-job/%s" % (region, name.lower())


class ServerTags(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = MotoServer().start()
        s3 = s3_client(cls.moto.endpoint)
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key="ml/input/script/train.py", Body=b"print('hello')\n")
        cls.server = SagerunServer(env=aws_env(cls.moto.endpoint)).start()
        cls.sm = cls.server.client("sagemaker")
        cls.raw = cls.server.client("sagemaker", parameter_validation=False)  # what botocore would refuse

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.moto.stop()

    def create(self, name, tags=None):
        request = training_request(name)
        if tags is not None:
            request["Tags"] = tags
        self.assertEqual(self.sm.create_training_job(**request)["TrainingJobArn"], arn(name))
        return arn(name)

    def error_of(self, call, **kw):
        with self.assertRaises(self.sm.exceptions.ClientError) as caught:
            call(**kw)
        error = caught.exception.response["Error"]
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        return error["Code"], error["Message"]

    def test_add_list_replace_and_delete(self):
        job = self.create("Tagged-Job", [{"Key": "team", "Value": "ml"}, {"Key": "stage", "Value": "dev"}])
        self.assertEqual(self.sm.list_tags(ResourceArn=job)["Tags"],
                         [{"Key": "team", "Value": "ml"}, {"Key": "stage", "Value": "dev"}])
        added = self.sm.add_tags(ResourceArn=job, Tags=[{"Key": "stage", "Value": "prod"},
                                                        {"Key": "Équipe", "Value": "données 日本語 ٣"},
                                                        {"Key": "empty", "Value": ""},
                                                        {"Key": "a_b.c:d/e=f+g-h@i", "Value": "x y"}])
        everything = [{"Key": "team", "Value": "ml"}, {"Key": "stage", "Value": "prod"},
                      {"Key": "Équipe", "Value": "données 日本語 ٣"}, {"Key": "empty", "Value": ""},
                      {"Key": "a_b.c:d/e=f+g-h@i", "Value": "x y"}]
        self.assertEqual(added["Tags"], everything)  # every tag of the job after the call
        self.assertEqual(self.sm.list_tags(ResourceArn=job, MaxResults=50)["Tags"], everything)
        self.assertNotIn("NextToken", self.sm.list_tags(ResourceArn=job))
        self.sm.delete_tags(ResourceArn=job, TagKeys=["team", "never-there"])  # an absent key is fine
        self.assertEqual([t["Key"] for t in self.sm.list_tags(ResourceArn=job)["Tags"]],
                         ["stage", "Équipe", "empty", "a_b.c:d/e=f+g-h@i"])
        # The paginator the SDK and the CLI use.
        pages = list(self.sm.get_paginator("list_tags").paginate(ResourceArn=job))
        self.assertEqual(len(pages), 1)
        # DescribeTrainingJob does not return tags (the service's answer has no Tags).
        self.assertNotIn("Tags", self.sm.describe_training_job(TrainingJobName="tagged-job"))

    def test_a_job_without_tags_and_the_most_a_job_may_have(self):
        job = self.create("untagged")
        self.assertEqual(self.sm.list_tags(ResourceArn=job)["Tags"], [])
        fifty = [{"Key": "k%d" % i, "Value": "v"} for i in range(50)]
        self.sm.add_tags(ResourceArn=job, Tags=fifty)
        code, message = self.error_of(self.sm.add_tags, ResourceArn=job, Tags=[{"Key": "one-more", "Value": "v"}])
        self.assertEqual(code, "ValidationException")
        self.assertIn("would have 51 tags; a resource may have at most 50 (tags): remove some with DeleteTags first",
                      message)
        self.assertEqual(len(self.sm.list_tags(ResourceArn=job)["Tags"]), 50)
        self.sm.add_tags(ResourceArn=job, Tags=[{"Key": "k0", "Value": "replaced"}])  # replacing adds none
        self.assertEqual(self.sm.list_tags(ResourceArn=job)["Tags"][0], {"Key": "k0", "Value": "replaced"})

    def test_validation_errors_read_like_the_service(self):
        job = self.create("validated")
        cases = [
            (self.raw.add_tags, {"ResourceArn": job, "Tags": [{"Key": "bad!key", "Value": "v"}]},
             "1 validation error detected: Value 'bad!key' at 'tags.1.member.key' failed to satisfy constraint: "
             "Member must satisfy regular expression pattern: " + PATTERN),
            (self.raw.add_tags, {"ResourceArn": job, "Tags": [{"Key": "k", "Value": "v" * 257}]},
             "1 validation error detected: Value '%s' at 'tags.1.member.value' failed to satisfy constraint: "
             "Member must have length less than or equal to 256" % ("v" * 257)),
            (self.raw.add_tags, {"ResourceArn": job, "Tags": [{"Key": "", "Value": "v"}]},
             "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: "
             "Member must have length greater than or equal to 1"),
            (self.raw.add_tags, {"ResourceArn": job, "Tags": [{"Key": "aws:reserved", "Value": "v"}]},
             "1 validation error detected: Value 'aws:reserved' at 'tags.1.member.key' failed to satisfy "
             "constraint: Member must not begin with 'aws:': that prefix is reserved for AWS's own tags"),
            (self.raw.add_tags, {"ResourceArn": job, "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]},
             "1 validation error detected: Value 'k' at 'tags.2.member.key' failed to satisfy constraint: "
             "Member must be unique: a tag key may be given once (its value replaces any earlier one)"),
            (self.raw.list_tags, {"ResourceArn": "arn:aws:iam::123456789012:role/r"},
             "1 validation error detected: Value 'arn:aws:iam::123456789012:role/r' at 'resourceArn' failed to "
             "satisfy constraint: Member must satisfy regular expression pattern: "
             "arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+"),
            (self.raw.list_tags, {"ResourceArn": job, "MaxResults": 10},
             "1 validation error detected: Value '10' at 'maxResults' failed to satisfy constraint: "
             "Member must have value greater than or equal to 50"),
            (self.raw.delete_tags, {"ResourceArn": job, "TagKeys": []},
             "1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: "
             "Member must have length greater than or equal to 1"),
        ]
        for call, kw, message in cases:
            with self.subTest(call=call.__name__, kw=kw):
                self.assertEqual(self.error_of(call, **kw), ("ValidationException", message))
        code, message = self.error_of(self.raw.add_tags, ResourceArn=job,
                                      Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])
        self.assertEqual(code, "ValidationException")
        self.assertTrue(message.endswith("at 'tags' failed to satisfy constraint: Member must have length less than "
                                         "or equal to 50"), message)
        code, message = self.error_of(self.sm.list_tags, ResourceArn=job, NextToken="not-ours")
        self.assertEqual(code, "ValidationException")
        self.assertIn("Invalid pagination token", message)
        self.assertEqual(self.sm.list_tags(ResourceArn=job)["Tags"], [])  # no refused call changed anything
        # CreateTrainingJob checks its Tags the same way.
        request = training_request("bad-tags")
        request["Tags"] = [{"Key": "bad!key", "Value": "v"}]
        code, message = self.error_of(self.sm.create_training_job, **request)
        self.assertEqual((code, message), ("ValidationException", cases[0][2]))

    def test_an_arn_that_names_no_job(self):
        self.create("known")
        for unknown in (arn("unknown"), arn("known", region="eu-west-1"),
                        "arn:aws:sagemaker:us-east-1:000000000000:endpoint/known"):
            for call, kw in ((self.sm.list_tags, {}), (self.sm.add_tags, {"Tags": [{"Key": "k", "Value": "v"}]}),
                             (self.sm.delete_tags, {"TagKeys": ["k"]})):
                with self.subTest(arn=unknown, call=call.__name__):
                    self.assertEqual(self.error_of(call, ResourceArn=unknown, **kw),
                                     ("ValidationException",
                                      "No training job has the ARN '%s' (resourceArn): give the TrainingJobArn that "
                                      "CreateTrainingJob or DescribeTrainingJob returned" % unknown))

    def test_jobs_of_sagerun_local_and_a_restart(self):
        # A job `sagerun local` runs in the server's store, with tags in its request file.
        folder = tempfile.mkdtemp(prefix="sagerun-tags-")
        self.addCleanup(shutil.rmtree, folder, True)
        os.makedirs(os.path.join(folder, "data", "script"))
        with open(os.path.join(folder, "data", "script", "train.py"), "w") as f:
            f.write("print('local')\n")
        request = {"TrainingJobName": "local-tagged", "Tags": [{"Key": "ran-by", "Value": "sagerun local"}]}
        with open(os.path.join(folder, "job.json"), "w") as f:
            json.dump(request, f)
        env = aws_env(self.moto.endpoint, region="eu-west-1")
        env.update({"SAGERUN_HOME": self.server.state_dir, "SAGERUN_PYTHON": "/usr/bin/python3"})
        result = subprocess.run([SAGERUN, "local", os.path.join(folder, "job.json"), "--input",
                                 "training=" + os.path.join(folder, "data"), "--output-path",
                                 os.path.join(folder, "out")], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        described = wait_for_job(self.sm, "local-tagged")
        self.assertEqual(described["TrainingJobArn"], arn("local-tagged", region="eu-west-1"))  # its own region
        local = described["TrainingJobArn"]
        self.assertEqual(self.sm.list_tags(ResourceArn=local)["Tags"], [{"Key": "ran-by", "Value": "sagerun local"}])
        self.sm.add_tags(ResourceArn=local, Tags=[{"Key": "seen-by", "Value": "server"}])
        server_job = self.create("kept", [{"Key": "team", "Value": "ml"}])
        self.sm.delete_tags(ResourceArn=server_job, TagKeys=["team"])
        self.sm.add_tags(ResourceArn=server_job, Tags=[{"Key": "after", "Value": "restart"}])
        self.server.kill()
        self.server.start()
        self.sm = self.server.client("sagemaker")
        self.assertEqual(self.sm.list_tags(ResourceArn=local)["Tags"],
                         [{"Key": "ran-by", "Value": "sagerun local"}, {"Key": "seen-by", "Value": "server"}])
        self.assertEqual(self.sm.list_tags(ResourceArn=server_job)["Tags"], [{"Key": "after", "Value": "restart"}])


if __name__ == "__main__":
    main()
