"""The digits example with PyTorch: a small MLP, on CUDA when the host has a GPU.

Same channel layout as examples/digits (train.csv / test.csv, label first). Prints the device,
SM_NUM_GPUS and the test accuracy; saves the weights to SM_MODEL_DIR.
"""
import argparse
import json
import os

import torch
from torch import nn


def load(path, device):
    with open(path) as f:
        rows = [[int(v) for v in line.split(",")] for line in f if line.strip()]
    x = torch.tensor([row[1:] for row in rows], dtype=torch.float32, device=device) / 16.0
    y = torch.tensor([row[0] for row in rows], dtype=torch.int64, device=device)
    return x, y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print("device=%s (%s) SM_NUM_GPUS=%s torch=%s" % (device, name, os.environ.get("SM_NUM_GPUS"), torch.__version__))

    channel = os.environ.get("SM_CHANNEL_TRAINING", ".")
    x_train, y_train = load(os.path.join(channel, "train.csv"), device)
    x_test, y_test = load(os.path.join(channel, "test.csv"), device)

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x_train), y_train)
        loss.backward()
        optimizer.step()
        if epoch % 50 == 0:
            print("epoch=%d loss=%.4f" % (epoch, loss.item()))
    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    print("test_accuracy=%.4f; trained_on=%s" % (accuracy, device.type))

    model_dir = os.environ.get("SM_MODEL_DIR", "model")
    os.makedirs(model_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(model_dir, "model.pt"))
    with open(os.path.join(model_dir, "metrics.json"), "w") as f:
        json.dump({"test_accuracy": accuracy, "device": device.type}, f)


if __name__ == "__main__":
    main()
