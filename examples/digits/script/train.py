"""Train a digit classifier on the files in the `training` channel (SageMaker script mode).

Reads train.csv and test.csv (label first, then 64 pixel values) from SM_CHANNEL_TRAINING,
fits a scikit-learn model, prints the test accuracy as a metric line, and saves the model to
SM_MODEL_DIR. Hyperparameters arrive as ordinary command-line arguments.
"""
import argparse
import json
import os
import pickle
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(path):
    data = np.loadtxt(path, delimiter=",")
    return data[:, 1:], data[:, 0].astype(int)


def main():
    parser = argparse.ArgumentParser()
    # One-letter hyperparameters arrive as "-C 0.5", as the official toolkit passes them.
    parser.add_argument("-C", "--C", dest="C", type=float, default=1.0)
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAINING", "."))
    args = parser.parse_args()

    x_train, y_train = load(os.path.join(args.train, "train.csv"))
    x_test, y_test = load(os.path.join(args.train, "test.csv"))
    print("training on %d samples, testing on %d (host %s, %s CPUs)"
          % (len(y_train), len(y_test), os.environ.get("SM_CURRENT_HOST"), os.environ.get("SM_NUM_CPUS")))

    started = time.time()
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=args.max_iter))
    model.fit(x_train, y_train)
    accuracy = accuracy_score(y_test, model.predict(x_test))
    print("fit took %.2f s" % (time.time() - started))
    print("test_accuracy=%.4f;" % accuracy)

    os.makedirs(args.model_dir, exist_ok=True)
    with open(os.path.join(args.model_dir, "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    with open(os.path.join(args.model_dir, "metrics.json"), "w") as f:
        json.dump({"test_accuracy": accuracy, "C": args.C}, f)


if __name__ == "__main__":
    main()
