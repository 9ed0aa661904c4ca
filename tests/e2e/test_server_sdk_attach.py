"""What the SageMaker SDK's `Estimator.attach` reads, asked of `sagerun server` with boto3: for a
completed, a failed and a running job, every member that attach (and the frameworks' versions of it,
and the wait that follows) reads by index from DescribeTrainingJob, and the ListTags call it makes
with the job's ARN. A member missing is a KeyError here as it would be in the SDK.

The paths are those of the SDK v2's sources (sagemaker/estimator.py: EstimatorBase._attach and
_prepare_init_params_from_job_description, Framework's; pytorch/sklearn estimators; session.py:
wait_for_job, _train_done, _check_job_status, logs_for_job; utils.py: the secondary status messages).
"""
import io
import json
import tarfile
import unittest

from harness import main
from peers import MotoServer, aws_env, s3_client
from server_peer import SagerunServer, training_request, wait_for, wait_for_job

# Read by index, for any job: (path, what reads it).
ATTACH_READS = [
    (("TrainingJobName",), "attach: base_job_name"),
    (("TrainingJobArn",), "attach: list_tags(ResourceArn=…)"),
    (("RoleArn",), "attach: role"),
    (("ResourceConfig", "InstanceCount"), "attach: instance_count; logs: the number of streams"),
    (("ResourceConfig", "InstanceType"), "attach: instance_type"),
    (("ResourceConfig", "VolumeSizeInGB"), "attach: volume_size"),
    (("StoppingCondition", "MaxRuntimeInSeconds"), "attach: max_run"),
    (("AlgorithmSpecification", "TrainingInputMode"), "attach: input_mode"),
    (("AlgorithmSpecification", "TrainingImage"), "attach: image_uri (PyTorch/SKLearn pop it)"),
    (("OutputDataConfig", "S3OutputPath"), "attach: output_path"),
    (("OutputDataConfig", "KmsKeyId"), "attach: output_kms_key"),
    (("HyperParameters",), "attach: hyperparameters (Framework: entry_point, source_dir, log level)"),
    (("TrainingJobStatus",), "wait_for_job, _check_job_status, logs_for_job"),
    (("LastModifiedTime",), "secondary_training_status_message"),
    (("SecondaryStatusTransitions", -1, "StatusMessage"), "secondary_training_status_changed"),
    (("SecondaryStatusTransitions", -1, "Status"), "secondary_training_status_message"),
]
# Read by index when the job has them ("X" in job_details, then job_details["X"]).
ATTACH_READS_IF_PRESENT = ["EnableNetworkIsolation", "EnableInterContainerTrafficEncryption"]
# Read with .get (no KeyError), yet what SageMaker answers for every job: checked present too.
SERVICE_FILLS = [("EnableManagedSpotTraining",), ("EnableNetworkIsolation",),
                 ("EnableInterContainerTrafficEncryption",), ("AlgorithmSpecification", "EnableSageMakerMetricsTimeSeries"),
                 ("OutputDataConfig", "CompressionType"), ("CreationTime",), ("SecondaryStatus",)]
# Estimator.model_data, once the job is Completed.
MODEL_DATA_READS = [("ModelArtifacts", "S3ModelArtifacts")]
# Framework._prepare_init_params_from_job_description: json.loads of each (None fails).
FRAMEWORK_HYPERPARAMETERS = ["sagemaker_program", "sagemaker_submit_directory", "sagemaker_container_log_level"]

TRAIN_SCRIPT = r'''
import os, sys, time
print("training", sys.argv[1:], flush=True)
if os.environ.get("SLEEP"):
    time.sleep(600)
if os.environ.get("FAIL"):
    print("the disk is full", file=sys.stderr, flush=True)
    sys.exit(3)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("weights")
'''

TAGS = [{"Key": "team", "Value": "ml"}, {"Key": "project", "Value": "attach"}]


def read(described, path):
    """described[path[0]][path[1]]…, as the SDK indexes it."""
    value = described
    for key in path:
        value = value[key]
    return value


def source_tarball():
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        body = TRAIN_SCRIPT.encode()
        member = tarfile.TarInfo("train.py")
        member.size = len(body)
        archive.addfile(member, io.BytesIO(body))
    return data.getvalue()


def sdk_request(name, environment):
    """CreateTrainingJob as the SDK's Framework estimators send it: script mode, JSON-encoded values."""
    request = training_request(name, prefix="sdk", environment=environment, hyperparameters={
        "epochs": "2",
        "sagemaker_program": json.dumps("train.py"),
        "sagemaker_submit_directory": json.dumps("s3://bkt/sdk/source/sourcedir.tar.gz"),
        "sagemaker_container_log_level": "20",
        "sagemaker_region": json.dumps("us-east-1"),
    })
    request["Tags"] = TAGS
    return request


class ServerSdkAttach(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = MotoServer().start()
        s3 = s3_client(cls.moto.endpoint)
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key="sdk/source/sourcedir.tar.gz", Body=source_tarball())
        s3.put_object(Bucket="bkt", Key="sdk/input/train.csv", Body=b"1,2\n")
        # A key of the API's own, so that the jobs get the server's (moto's) to fetch their code.
        cls.server = SagerunServer(env=aws_env(cls.moto.endpoint), max_instances=3, access_key="api-key",
                                   secret_key="api-secret").start()
        cls.sm = cls.server.client("sagemaker")
        cls.sm.create_training_job(**sdk_request("attach-completed", None))
        cls.sm.create_training_job(**sdk_request("attach-failed", {"FAIL": "1"}))
        cls.sm.create_training_job(**sdk_request("attach-running", {"SLEEP": "1"}))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.moto.stop()

    def check_attach_reads(self, described):
        for path, reader in ATTACH_READS:
            with self.subTest(member=path):
                try:
                    read(described, path)
                except (KeyError, IndexError, TypeError) as error:
                    self.fail("%s: DescribeTrainingJob has no %s (%r)" % (reader, "/".join(map(str, path)), error))
        for member in ATTACH_READS_IF_PRESENT + [p[0] for p in SERVICE_FILLS if len(p) == 1]:
            self.assertIn(member, described)
        for path in SERVICE_FILLS:
            read(described, path)
        self.assertIs(type(described["EnableNetworkIsolation"]), bool)
        self.assertEqual(described["OutputDataConfig"]["KmsKeyId"], "")
        self.assertEqual(described["EnableManagedSpotTraining"], False)
        for key in FRAMEWORK_HYPERPARAMETERS:  # json.loads each, as Framework does
            json.loads(described["HyperParameters"].get(key))
        self.assertEqual(json.loads(described["HyperParameters"]["sagemaker_program"]), "train.py")
        self.assertNotIn("VpcConfig", described)  # only when given
        self.assertEqual(described["TrainingJobArn"],
                         "arn:aws:sagemaker:us-east-1:000000000000:training-job/" + described["TrainingJobName"])
        # attach's second call, with the ARN it just read.
        tags = self.sm.list_tags(ResourceArn=described["TrainingJobArn"])["Tags"]
        self.assertEqual(tags, TAGS)

    def test_a_completed_job(self):
        described = wait_for_job(self.sm, "attach-completed")
        self.assertEqual(described["TrainingJobStatus"], "Completed", described.get("FailureReason"))
        self.check_attach_reads(described)
        for path in MODEL_DATA_READS:
            self.assertEqual(read(described, path), "s3://bkt/sdk/output/attach-completed/output/model.tar.gz")

    def test_a_failed_job(self):
        described = wait_for_job(self.sm, "attach-failed")
        self.assertEqual(described["TrainingJobStatus"], "Failed")
        self.check_attach_reads(described)
        self.assertIn("exit code 3", described["FailureReason"])  # what _check_job_status raises with

    def test_a_running_job(self):
        described = wait_for(lambda: (lambda d: d if d["SecondaryStatus"] == "Training" else None)(
            self.sm.describe_training_job(TrainingJobName="attach-running")), what="attach-running to train")
        self.assertEqual(described["TrainingJobStatus"], "InProgress")
        self.check_attach_reads(described)


if __name__ == "__main__":
    main()
