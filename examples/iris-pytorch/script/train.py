"""Train a small PyTorch classifier on the Iris data set that travels with this script.

The seed layout: the `training` channel holds iris.csv (a header line, four measurements and the
species per row) and this script as script/train.py. Runs on CUDA when the host has a GPU, on the
CPU otherwise; prints the test accuracy as a metric line and saves the model to SM_MODEL_DIR.
Needs only PyTorch (1.13 or newer) and the standard library.
"""
import argparse
import csv
import json
import os
import random
import time

import torch
from torch import nn


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    species = sorted({row["species"] for row in rows})
    features = [[float(row[k]) for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")] for row in rows]
    labels = [species.index(row["species"]) for row in rows]
    return features, labels, species


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAINING", os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    features, labels, species = load(os.path.join(args.train, "iris.csv"))
    order = list(range(len(labels)))
    random.Random(args.seed).shuffle(order)  # the same split on every run
    split = int(len(order) * 0.8)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print("device=%s SM_NUM_GPUS=%s torch=%s" % (device, os.environ.get("SM_NUM_GPUS", "?"), torch.__version__))

    x = torch.tensor(features, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.long)
    train, test = torch.tensor(order[:split]), torch.tensor(order[split:])
    mean, std = x[train].mean(0), x[train].std(0)
    x = ((x - mean) / std).to(device)
    y = y.to(device)

    model = nn.Sequential(nn.Linear(4, args.hidden), nn.ReLU(), nn.Linear(args.hidden, len(species))).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(x[train]), y[train])
        loss.backward()
        optimizer.step()
        if epoch % 50 == 0 or epoch == args.epochs:
            print("epoch=%d train_loss=%.4f;" % (epoch, loss.item()))
    model.eval()
    with torch.no_grad():
        accuracy = (model(x[test]).argmax(1) == y[test]).float().mean().item()
    print("fit took %.2f s" % (time.time() - started))
    print("test_accuracy=%.4f; trained_on=%s" % (accuracy, device.type))

    os.makedirs(args.model_dir, exist_ok=True)
    torch.save({"state_dict": model.cpu().state_dict(), "mean": mean, "std": std, "species": species,
                "hidden": args.hidden}, os.path.join(args.model_dir, "model.pt"))
    with open(os.path.join(args.model_dir, "metrics.json"), "w") as f:
        json.dump({"test_accuracy": accuracy, "epochs": args.epochs, "device": device.type}, f)


if __name__ == "__main__":
    main()
