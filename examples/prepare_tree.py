"""Lay out a SageMaker /opt/ml tree for an example, as SageMaker would for a one-host job.

    python3 examples/prepare_tree.py TREE [--script examples/digits/script] [--hp KEY=VALUE ...]
    python3 examples/prepare_tree.py CHANNEL --channel-only   # only the channel: data + script/


The data set (scikit-learn's digits, shipped with the package) is exported into the `training`
channel as CSV files, and the script folder is placed beside it as the channel's script/ folder:
the seed convention, where the script travels with the data. Uses only the standard library
when --data-from is given a folder that already holds train.csv / test.csv.
"""
import argparse
import json
import os
import random
import shutil


def export_digits(channel):
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = [[int(label)] + [int(v) for v in pixels] for pixels, label in zip(digits.data, digits.target)]
    random.Random(0).shuffle(rows)  # the same split on every run
    split = int(len(rows) * 0.8)
    for name, part in (("train.csv", rows[:split]), ("test.csv", rows[split:])):
        with open(os.path.join(channel, name), "w") as f:
            f.write("\n".join(",".join(str(v) for v in row) for row in part) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree")
    parser.add_argument("--script", default=os.path.join(here, "digits", "script"))
    parser.add_argument("--data-from", help="a folder with train.csv and test.csv to copy instead of exporting")
    parser.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--channel-only", action="store_true",
                        help="write only the training channel's folder (for `sagerun local --input training=…`)")
    args = parser.parse_args()

    if os.path.exists(args.tree):
        shutil.rmtree(args.tree)
    config = os.path.join(args.tree, "input", "config")
    channel = args.tree if args.channel_only else os.path.join(args.tree, "input", "data", "training")
    os.makedirs(channel)
    if not args.channel_only:
        os.makedirs(config)
    if args.data_from:
        for name in ("train.csv", "test.csv"):
            shutil.copy(os.path.join(args.data_from, name), channel)
    else:
        export_digits(channel)
    shutil.copytree(args.script, os.path.join(channel, "script"))
    if args.channel_only:
        print(args.tree)
        return

    # Values JSON-encoded, as the SageMaker SDK sends them.
    hyperparameters = {}
    for item in args.hp:
        key, _, value = item.partition("=")
        try:
            hyperparameters[key] = json.dumps(json.loads(value))
        except ValueError:
            hyperparameters[key] = json.dumps(value)
    files = {
        "hyperparameters.json": hyperparameters,
        "inputdataconfig.json": {"training": {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                                              "RecordWrapperType": "None"}},
        "resourceconfig.json": {"current_host": "algo-1", "current_instance_type": "ml.m5.large",
                                "current_group_name": "homogeneousCluster", "hosts": ["algo-1"],
                                "instance_groups": [{"instance_group_name": "homogeneousCluster",
                                                     "instance_type": "ml.m5.large", "hosts": ["algo-1"]}],
                                "network_interface_name": "eth0"},
    }
    for name, value in files.items():
        with open(os.path.join(config, name), "w") as f:
            json.dump(value, f)
    print(args.tree)


if __name__ == "__main__":
    main()
