#!/usr/bin/env python3
"""Takes the README's pictures of the dashboard (docs/images/dashboard-jobs.png, -job.png): a server
on loopback with moto's S3 runs a few jobs — one of two hosts printing two metrics, one that fails,
one still running — and headless Chromium (tests/browser) photographs the jobs page and the job's.
    SAGERUN_BIN=build/src/sagerun SAGERUN_TRAIN=build/src/train scripts/dashboard_screenshots.py"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("SAGERUN_SOURCE_DIR", ROOT)

from peers import MotoServer, aws_env, s3_client  # noqa: E402
from server_peer import SagerunServer, training_request, wait_for, wait_for_job  # noqa: E402

TRAIN = r'''
import json, math, os, time
host = json.loads(os.environ["SM_TRAINING_ENV"])["current_host"]
shift = 0.03 if host == "algo-2" else 0.0
epochs = int(os.environ.get("SM_HP_EPOCHS", "30"))
print(f"{host}: training on {len(os.listdir(os.environ['SM_CHANNEL_TRAINING']))} files", flush=True)
for epoch in range(1, epochs + 1):
    loss = 1.6 * math.exp(-epoch / 9) + 0.05 + shift
    accuracy = 1 - loss / 2
    print(f"epoch {epoch}/{epochs} loss={loss:.4f} accuracy={accuracy:.4f}", flush=True)
    time.sleep(0.25)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("weights")
'''
FAIL = "import sys\nprint('loading data', flush=True)\nraise SystemExit('cannot find column \"label\" in train.csv')\n"
SLEEP = "import time\nfor i in range(600):\n    print(f'epoch {i} loss={1/(i+1):.3f}', flush=True)\n    time.sleep(1)\n"
METRICS = [{"Name": "train:loss", "Regex": r"loss=([0-9.]+)"}, {"Name": "train:accuracy", "Regex": r"accuracy=([0-9.]+)"}]


def drive(check, **args):
    subprocess.run(["node", os.path.join(ROOT, "tests", "browser", "dashboard.mjs"), check, json.dumps(args)], check=True,
                   stdout=subprocess.DEVNULL)


def main():
    images = os.path.join(ROOT, "docs", "images")
    os.makedirs(images, exist_ok=True)
    moto = MotoServer().start()
    s3 = s3_client(moto.endpoint)
    s3.create_bucket(Bucket="ml-bucket")
    for prefix, script in (("digits", TRAIN), ("broken", FAIL), ("long", SLEEP)):
        s3.put_object(Bucket="ml-bucket", Key=prefix + "/input/script/train.py", Body=script.encode())
        s3.put_object(Bucket="ml-bucket", Key=prefix + "/input/train.csv", Body=b"1,2\n")
    server = SagerunServer(env=aws_env(moto.endpoint), max_instances=4).start()
    try:
        sm = server.client("sagemaker")
        url = re.search(r"dashboard at (\S+)", server.log()).group(1)
        for name, prefix, count, hyper in (("digits-xgb-2026-12-02-01", "digits", 1, {"epochs": "12"}),
                                           ("prep-features-2026-12-02", "broken", 1, None),
                                           ("digits-dist-2026-12-02-02", "digits", 2, {"epochs": "30", "lr": "0.05"})):
            request = training_request(name, bucket="ml-bucket", prefix=prefix, instance_count=count,
                                       hyperparameters=hyper)
            request["AlgorithmSpecification"]["MetricDefinitions"] = METRICS
            sm.create_training_job(**request)
            wait_for_job(sm, name)
        request = training_request("resnet-sweep-lr-0-01", bucket="ml-bucket", prefix="long")
        request["AlgorithmSpecification"]["MetricDefinitions"] = METRICS[:1]
        sm.create_training_job(**request)
        wait_for(lambda: sm.describe_training_job(TrainingJobName="resnet-sweep-lr-0-01")["SecondaryStatus"] == "Training")
        drive("screenshot", url=url, base=server.endpoint, path="/", wait="#jobs tbody tr", height=360,
              file=os.path.join(images, "dashboard-jobs.png"))
        drive("screenshot", url=url, base=server.endpoint, path="/jobs/digits-dist-2026-12-02-02",
              wait="figure.chart", fullPage=True, file=os.path.join(images, "dashboard-job.png"))
        sm.stop_training_job(TrainingJobName="resnet-sweep-lr-0-01")
        wait_for_job(sm, "resnet-sweep-lr-0-01")
    finally:
        server.stop()
        moto.stop()
    print("wrote docs/images/dashboard-jobs.png and docs/images/dashboard-job.png")


if __name__ == "__main__":
    main()
