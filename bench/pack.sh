#!/usr/bin/env bash
# Packing model.tar.gz: runner::pack_tar_gz (through tests/tools/pack_tool: libdeflate, blocks
# deflated on every core, written as consecutive gzip members) vs `tar -czf` (GNU tar piping into
# gzip -6) on the same 1 GiB model folder in the same run (DESIGN.md §9). Target: ≥ 1.8× faster
# on 2 cores at a similar size, and the archive read back by `tar -tzf` and Python's tarfile.
#   PACK_TOOL=build/tests/pack_tool LEVEL=6 BLOCK_SIZE=4194304 bench/pack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PACK_TOOL=$(realpath "${PACK_TOOL:-build/tests/pack_tool}")
[ -x "$PACK_TOOL" ] || { echo "no pack_tool at $PACK_TOOL (set PACK_TOOL=...)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }
RUNS=${RUNS:-3}
LEVEL=${LEVEL:-6}
BLOCK_SIZE=${BLOCK_SIZE:-4194304}
# Debian's python3 with numpy (python3-numpy), whatever python3 is first on PATH.
NUMPY_PYTHON=${NUMPY_PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sagerun-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "pack_tool: $PACK_TOOL (level $LEVEL, blocks of $BLOCK_SIZE bytes)"
echo "host:      $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "preparing a 1 GiB model folder"
# What a training job leaves in /opt/ml/model, deterministic (seed 0), 1014 MiB in 110 files:
# four 200 MiB weight shards of float32 N(0, 0.02) as .npy, a 180 MiB optimizer state of float32
# N(0, 1e-3) in a .pt-named file, and 34 MiB of text: a BPE tokenizer JSON (8 MiB), a vocabulary
# (5 MiB), a training log (15 MiB), 100 per-step metric JSON files (6 MiB), config and code.
# gzip -6 leaves float noise at ~92 % of its size, the text at 16-56 % (the whole: ~90 %).
"$NUMPY_PYTHON" - "$TMP/model" <<'PY'
import json, os, sys
import numpy as np
root = sys.argv[1]
rng = np.random.default_rng(0)
MiB = 1 << 20
os.makedirs(os.path.join(root, "code"))
os.makedirs(os.path.join(root, "metrics"))
for i in range(1, 5):
    w = (rng.standard_normal(200 * MiB // 4, dtype=np.float32) * np.float32(0.02))
    np.save(os.path.join(root, "model-%05d-of-00004.npy" % i), w.reshape(-1, 1024), allow_pickle=False)
(rng.standard_normal(180 * MiB // 4, dtype=np.float32) * np.float32(1e-3)).tofile(os.path.join(root, "optimizer.pt"))
letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
words = ["".join(map(chr, rng.choice(letters, size=int(n)))) for n in rng.integers(2, 12, size=50000)]
with open(os.path.join(root, "tokenizer.json"), "w") as f:
    json.dump({"version": "1.0", "model": {"type": "BPE", "vocab": {w + str(i): i for i, w in enumerate(words)},
               "merges": ["%s %s" % (words[a], words[b]) for a, b in rng.integers(0, 50000, size=(400000, 2))]}}, f)
with open(os.path.join(root, "vocab.txt"), "w") as f:
    f.write("\n".join(words[i % 50000] + str(i) for i in range(400000)) + "\n")
with open(os.path.join(root, "train.log"), "w") as f:
    losses = 3.0 * np.exp(-np.arange(250000) / 80000.0) + rng.random(250000) * 0.1
    for step, loss in enumerate(losses):
        f.write("step=%d epoch=%d loss=%.6f lr=%.3e grad_norm=%.4f\n" % (step, step // 25000, loss, 1e-4, rng.random() * 2))
for step in range(100):
    with open(os.path.join(root, "metrics", "step-%06d.json" % (step * 1000)), "w") as f:
        json.dump({"step": step * 1000, "eval": {w: float(v) for w, v in zip(words[:2000], rng.random(2000))}}, f)
with open(os.path.join(root, "config.json"), "w") as f:
    json.dump({"architectures": ["BenchModel"], "hidden_size": 1024, "num_layers": 24, "vocab_size": 50000}, f, indent=2)
with open(os.path.join(root, "code", "inference.py"), "w") as f:
    f.write("import torch\n\ndef model_fn(model_dir):\n    return torch.load(model_dir + '/model.pth')\n")
PY
echo "model folder: $(du -sb --apparent-size "$TMP/model" | cut -f1) bytes in $(find "$TMP/model" -type f | wc -l) files"

hyperfine --runs "$RUNS" --warmup 1 --export-json "$TMP/pack.json" \
  -n sagerun "$PACK_TOOL $TMP/model $TMP/sagerun.tar.gz --level $LEVEL --block-size $BLOCK_SIZE" \
  -n "tar -czf" "tar -czf $TMP/tar.tar.gz -C $TMP/model ." >"$TMP/hyperfine.log"

echo "checking the archive with tar -tzf and Python's tarfile"
tar -tzf "$TMP/sagerun.tar.gz" | sort >"$TMP/names.tar"
(cd "$TMP/model" && find . -mindepth 1 \( -type d -printf '%P/\n' -o -printf '%P\n' \) | sort) >"$TMP/names.folder"
cmp -s "$TMP/names.tar" "$TMP/names.folder" || { echo "tar -tzf lists other names than the folder holds" >&2; exit 1; }
"$NUMPY_PYTHON" - "$TMP" <<'PY'
import hashlib, json, os, sys, tarfile
tmp = sys.argv[1]
def digest(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()
checked = 0
with tarfile.open(os.path.join(tmp, "sagerun.tar.gz"), "r:gz") as archive:
    for member in archive:
        path = os.path.join(tmp, "model", member.name)
        if member.isfile():
            with open(path, "rb") as f:
                assert digest(archive.extractfile(member)) == digest(f), member.name
            checked += 1
        else:
            assert member.isdir() == os.path.isdir(path), member.name
folder_files = sum(len(files) for _, _, files in os.walk(os.path.join(tmp, "model")))
assert checked == folder_files, (checked, folder_files)
print("tarfile: %d files, contents identical to the folder; tar -tzf: same names" % checked)

results = {r["command"]: r for r in json.load(open(os.path.join(tmp, "pack.json")))["results"]}
ours, tar = results["sagerun"], results["tar -czf"]
size_in = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(tmp, "model")) for f in fs)
size_ours = os.path.getsize(os.path.join(tmp, "sagerun.tar.gz"))
size_tar = os.path.getsize(os.path.join(tmp, "tar.tar.gz"))
print()
print("%-9s %10s %10s %10s %14s %8s" % ("packer", "median s", "min s", "MiB/s", "archive bytes", "of input"))
for name, r, size in (("sagerun", ours, size_ours), ("tar -czf", tar, size_tar)):
    print("%-9s %10.2f %10.2f %10.0f %14d %7.1f%%" % (name, r["median"], r["min"], size_in / 1048576 / r["median"], size, 100.0 * size / size_in))
speedup = tar["median"] / ours["median"]
print()
print("sagerun vs tar -czf: %.2fx as fast (target >= 1.8x on 2 cores: %s), archive %.3fx the size of tar's"
      % (speedup, "met" if speedup >= 1.8 else "MISSED", size_ours / size_tar))
PY
