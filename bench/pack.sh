#!/usr/bin/env bash
# Packing model.tar.gz: runner::pack_tar_gz (through tests/tools/pack_tool: blocks deflated on
# every core, each 64 KiB segment matched by libdeflate, Huffman-coded as literals or stored,
# whichever pays, written as consecutive gzip members) vs `tar -cf - | pigz -6` (zlib level 6
# on every core) on the same folders in the same run (DESIGN.md §9):
#   model: a 1 GiB model folder, float32 weights plus text. Target: >= 5x as fast as pigz -6
#          with the archive at most 1.02x pigz's size.
#   text:  the folder's 34 MiB of text alone. Target, with BEFORE=: no slower and no larger
#          than that older pack_tool.
# Both archives are read back by `tar -tzf` and Python's tarfile.
#   PACK_TOOL=build/tests/pack_tool BEFORE=/tmp/pack_tool.before LEVEL=6 bench/pack.sh
# RUNS= (model, default 3), TEXT_RUNS= x TEXT_ROUNDS= (text, default 2 x 5) to vary.
# BEFORE=/path/to/an/older/pack_tool times it beside this one, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
PACK_TOOL=$(realpath "${PACK_TOOL:-build/tests/pack_tool}")
[ -x "$PACK_TOOL" ] || { echo "no pack_tool at $PACK_TOOL (set PACK_TOOL=...)" >&2; exit 1; }
BEFORE=${BEFORE:+$(realpath "$BEFORE")}
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || { echo "no pack_tool at BEFORE=$BEFORE" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }
command -v pigz >/dev/null || { echo "pigz is required (apt-get install pigz)" >&2; exit 1; }
RUNS=${RUNS:-3}
TEXT_RUNS=${TEXT_RUNS:-2}
# The text case is short: timed in rounds whose order alternates, so that a burst of load on a
# shared machine falls on every packer alike.
TEXT_ROUNDS=${TEXT_ROUNDS:-5}
LEVEL=${LEVEL:-6}
BLOCK_SIZE=${BLOCK_SIZE:-4194304}
# Debian's python3 with numpy (python3-numpy), whatever python3 is first on PATH.
NUMPY_PYTHON=${NUMPY_PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sagerun-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "pack_tool: $PACK_TOOL (level $LEVEL, blocks of $BLOCK_SIZE bytes)${BEFORE:+; before: $BEFORE}"
echo "pigz:      $(pigz --version 2>&1) -6, $(nproc) threads"
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
mkdir -p "$TMP/text"
(cd "$TMP/model" && cp -r code metrics config.json tokenizer.json train.log vocab.txt "$TMP/text/")
echo "text folder:  $(du -sb --apparent-size "$TMP/text" | cut -f1) bytes in $(find "$TMP/text" -type f | wc -l) files"

# bench CASE RUNS ROUNDS: times every packer on $TMP/CASE, each writing $TMP/CASE-<packer>.tar.gz,
# in ROUNDS rounds of RUNS runs each, every other round in reverse order.
bench() {
  local name=$1 runs=$2 rounds=$3 folder=$TMP/$1 round
  local packers=(-n sagerun "$PACK_TOOL $folder $TMP/$name-sagerun.tar.gz --level $LEVEL --block-size $BLOCK_SIZE")
  [ -n "$BEFORE" ] && packers+=(-n before "$BEFORE $folder $TMP/$name-before.tar.gz --level $LEVEL --block-size $BLOCK_SIZE")
  packers+=(-n "pigz -6" "tar -cf - -C $folder . | pigz -6 >$TMP/$name-pigz.tar.gz")
  local reversed=()
  for ((i = ${#packers[@]} - 3; i >= 0; i -= 3)); do reversed+=("${packers[@]:i:3}"); done
  echo "timing $name: hyperfine --warmup 1 --runs $runs, $rounds round(s) (load $(cut -d' ' -f1-3 /proc/loadavg))"
  for ((round = 1; round <= rounds; ++round)); do
    if ((round % 2)); then set -- "${packers[@]}"; else set -- "${reversed[@]}"; fi
    hyperfine --runs "$runs" --warmup 1 --export-json "$TMP/$name.$round.json" "$@" >>"$TMP/$name.log"
  done
  echo "checking $name's archive with tar -tzf and Python's tarfile"
  tar -tzf "$TMP/$name-sagerun.tar.gz" | sort >"$TMP/$name.names.tar"
  (cd "$folder" && find . -mindepth 1 \( -type d -printf '%P/\n' -o -printf '%P\n' \) | sort) >"$TMP/$name.names.folder"
  cmp -s "$TMP/$name.names.tar" "$TMP/$name.names.folder" || { echo "tar -tzf lists other names than $name holds" >&2; exit 1; }
}
bench model "$RUNS" 1
bench text "$TEXT_RUNS" "$TEXT_ROUNDS"
echo "load after timing: $(cut -d' ' -f1-3 /proc/loadavg)"

"$NUMPY_PYTHON" - "$TMP" <<'PY'
import glob, hashlib, json, os, statistics, sys, tarfile
tmp = sys.argv[1]
def digest(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()
def check(name):
    checked, folder = 0, os.path.join(tmp, name)
    with tarfile.open(os.path.join(tmp, name + "-sagerun.tar.gz"), "r:gz") as archive:
        for member in archive:
            path = os.path.join(folder, member.name)
            if member.isfile():
                with open(path, "rb") as f:
                    assert digest(archive.extractfile(member)) == digest(f), member.name
                checked += 1
            else:
                assert member.isdir() == os.path.isdir(path), member.name
    folder_files = sum(len(files) for _, _, files in os.walk(folder))
    assert checked == folder_files, (checked, folder_files)
    print("%s: tarfile: %d files, contents identical to the folder; tar -tzf: same names" % (name, checked))

for name in ("model", "text"):
    check(name)
    results = {}
    for path in glob.glob(os.path.join(tmp, name + ".*.json")):
        for r in json.load(open(path))["results"]:
            results.setdefault(r["command"], []).extend(r["times"])
    results = {packer: {"median": statistics.median(results[packer]), "min": min(results[packer])}
               for packer in ("sagerun", "before", "pigz -6") if packer in results}
    folder = os.path.join(tmp, name)
    size_in = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
    sizes = {packer: os.path.getsize(os.path.join(tmp, "%s-%s.tar.gz" % (name, packer.split()[0]))) for packer in results}
    print()
    print("%-9s %10s %10s %10s %14s %8s" % ("packer", "median s", "min s", "MiB/s", "archive bytes", "of input"))
    for packer, r in results.items():
        print("%-9s %10.3f %10.3f %10.0f %14d %7.2f%%" % (packer, r["median"], r["min"], size_in / 1048576 / r["median"],
                                                      sizes[packer], 100.0 * sizes[packer] / size_in))
    ours, pigz = results["sagerun"], results["pigz -6"]
    speedup, size_ratio = pigz["median"] / ours["median"], sizes["sagerun"] / sizes["pigz -6"]
    verdict = ""
    if name == "model":
        verdict = " (target >= 5x at <= 1.02x the size: %s)" % ("met" if speedup >= 5 and size_ratio <= 1.02 else "MISSED")
    print("%s: sagerun vs pigz -6: %.2fx as fast, archive %.4fx pigz's size%s" % (name, speedup, size_ratio, verdict))
    if "before" in results:
        before = results["before"]
        speedup, size_ratio = before["median"] / ours["median"], sizes["sagerun"] / sizes["before"]
        verdict = ""
        if name == "text":
            # 3 % of slack for the noise of a shared machine.
            verdict = " (target no slower, no larger: %s)" % ("met" if speedup >= 0.97 and size_ratio <= 1.0 else "MISSED")
        print("%s: sagerun vs before: %.2fx as fast, archive %.4fx before's size%s" % (name, speedup, size_ratio, verdict))
PY
