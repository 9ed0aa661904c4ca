"""Train a small Keras convolutional network on CIFAR-10 (SageMaker script mode).

The seed layout: the `training` channel holds the CIFAR-10 "python version" batches
(data_batch_1 … data_batch_5 and test_batch, as extracted from cifar-10-python.tar.gz) and this
script as script/train.py. See ../README.md for getting the data and running the job.

Keras 3 (`import keras`) runs on whichever backend the image has: TensorFlow in sagerun's CPU
image, PyTorch in its GPU image (KERAS_BACKEND). Hyperparameters arrive as command-line
arguments; the test accuracy is printed as a metric line, the model saved to SM_MODEL_DIR.
"""
import argparse
import json
import os
import pickle
import time

import numpy as np

import keras
from keras import layers


def load_batch(path):
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    images = batch[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # NCHW rows → NHWC
    return images.astype("float32") / 255.0, np.array(batch[b"labels"], dtype="int64")


def find_batches(channel):
    # The archive extracts into cifar-10-batches-py/; accept the batches there or at the top.
    for folder in (channel, os.path.join(channel, "cifar-10-batches-py")):
        if os.path.exists(os.path.join(folder, "test_batch")):
            return folder
    raise SystemExit("no CIFAR-10 batches (data_batch_1 … test_batch) in %s: see examples/cifar-keras/README.md"
                     % channel)


def build_model(dropout):
    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(dropout),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(dropout),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dropout(2 * dropout),
        layers.Dense(10, activation="softmax"),
    ])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAINING", "."))
    args = parser.parse_args()

    folder = find_batches(args.train)
    parts = [load_batch(os.path.join(folder, "data_batch_%d" % i)) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    print("keras %s on %s: %d training and %d test images, SM_NUM_GPUS=%s"
          % (keras.__version__, keras.backend.backend(), len(y_train), len(y_test), os.environ.get("SM_NUM_GPUS")))

    model = build_model(args.dropout)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    started = time.time()
    # verbose=2: one line per epoch, readable in CloudWatch (no progress bar).
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("training took %.1f s" % (time.time() - started))
    print("test_loss=%.4f; test_accuracy=%.4f;" % (loss, accuracy))

    os.makedirs(args.model_dir, exist_ok=True)
    model.save(os.path.join(args.model_dir, "cifar10.keras"))
    with open(os.path.join(args.model_dir, "metrics.json"), "w") as f:
        json.dump({"test_accuracy": accuracy, "test_loss": loss, "epochs": args.epochs}, f)


if __name__ == "__main__":
    main()
