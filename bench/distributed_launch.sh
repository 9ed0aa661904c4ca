#!/usr/bin/env bash
# The launch overhead of a distributed job: a 2-host × 2-process torchrun no-op job (each rank
# joins the gloo group and leaves) through `sagerun local`, against the same script run by
# torchrun directly on this machine (two torchrun processes, node ranks 0 and 1, on loopback).
# Both use the same interpreter and the same torchrun (PyTorch's torch.distributed.run, with the
# mend train applies for PyTorch < 2 on Python >= 3.11, so Debian 12's python3-torch runs).
#   SAGERUN_PYTHON=/usr/bin/python3 bench/distributed_launch.sh     (needs torch for that Python)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SAGERUN=$(realpath "${SAGERUN:-$ROOT/build/src/sagerun}")
RUNS=${RUNS:-10}
"$PY" -c 'import torch.distributed' 2>/dev/null || { echo "torch is not installed for $PY (SAGERUN_PYTHON=...)" >&2; exit 1; }

cat >"$TMP/train.py" <<'PYTHON'
import torch.distributed as dist
dist.init_process_group("gloo")
dist.barrier()
dist.destroy_process_group()
PYTHON
cat >"$TMP/torchrun.py" <<'PYTHON'
import runpy, sys
from torch.distributed.elastic.multiprocessing import api
if api.Std.from_str("0") is None:
    api.Std.from_str = classmethod(lambda cls, text: cls(int(text)))
sys.argv[0] = "torchrun"
runpy.run_module("torch.distributed.run", run_name="__main__")
PYTHON
mkdir -p "$TMP/data" && echo 1 >"$TMP/data/x"
cat >"$TMP/direct.sh" <<SHELL
#!/bin/sh
for rank in 0 1; do
  "$PY" "$TMP/torchrun.py" --nnodes 2 --nproc_per_node 2 --node_rank \$rank --master_addr 127.0.0.1 \
    --master_port 29611 "$TMP/train.py" >/dev/null 2>&1 &
done
wait
SHELL
chmod +x "$TMP/direct.sh"
export SAGERUN_HOME=$TMP/home

median_ms() { "$PY" -c 'import json,sys; print("%.0f" % (json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"]*1e3))' "$@"; }
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/dist.json" \
  -n "torchrun directly" "$TMP/direct.sh" \
  -n "sagerun local" "$SAGERUN local --script $TMP/train.py --input training=$TMP/data --output file://$TMP/out \
--instance-count 2 --hyperparameter sagemaker_torch_distributed_enabled=true \
--hyperparameter sagemaker_mpi_num_of_processes_per_host=2 --base-job-name dist" >"$TMP/dist.log" 2>&1 ||
  { cat "$TMP/dist.log" >&2; exit 1; }
direct=$(median_ms "$TMP/dist.json" 0)
ours=$(median_ms "$TMP/dist.json" 1)
completed=$("$SAGERUN" list --status Completed --output json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["TrainingJobSummaries"]))')
echo "2x2 torchrun no-op: sagerun local ${ours} ms median, torchrun directly ${direct} ms: +$(
  "$PY" -c "print('%.0f ms (x%.2f)' % ($ours - $direct, $ours / $direct))")   [$completed jobs Completed]"
