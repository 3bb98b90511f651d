#!/usr/bin/env bash
# The main job: builds the tools if needed and runs a complete pipeline with sensible
# defaults — a 60×60 rank-3 truth, Gaussian sensing at 5× the information-theoretic scale
# with a held-out set, 5% gross outliers, the flat solver with the paper's ℓ1 budget (the
# oracle setting) — archives the instance and the answer, lists and verifies them, checks
# from Python (numpy) that the stream is self-consistent, and ends with `evaluate`'s table
# (error against the truth, held-out error, str against the flattest value, certificate).
#
# Usage: Pipelines/main.sh [OUTPUT_DIR]   (default: a temporary folder, removed at the end)
#        env FLATMIN_BIN=DIR to use prebuilt tools
set -euo pipefail
cd "$(dirname "$0")/.."
source Pipelines/lib/tools.sh
flatmin_tools
if [ $# -ge 1 ]; then
  work=$1; mkdir -p "$work"
else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi

generate-ground-truth --d1 60 --rank 3 --seed 1 \
  | sample-measurements --operator gaussian --oversampling 5 --holdout 200 --seed 2 \
  | corrupt-sparse --fraction 0.05 --seed 3 \
  | tee "$work/instance.frames" \
  | solve-flat --oracle-budget \
  | tee "$work/solved.frames" \
  | frames verify
echo
frames ls "$work/solved.frames"
echo
python3 - "$work/solved.frames" <<'PY'
import sys
import numpy as np
import flatframes

stream = flatframes.load(sys.argv[1])               # {name: array}, with .attributes[name]
truth = stream["truth"]
sensing = stream["sensing"]                         # m × d1 × d2
clean = np.einsum("ipq,pq->i", sensing, truth)      # A(M♮) computed independently by numpy
corruption = stream["observations"] - clean
support = stream["outliers_support"]
print(f"truth {truth.shape}, rank {stream.attributes['truth']['rank']}, "
      f"‖truth − left·rightᵀ‖ = {np.linalg.norm(truth - stream['truth_left'] @ stream['truth_right'].T):.1e}")
expected = np.zeros_like(corruption)
expected[support] = stream["outliers_values"]
mismatch = np.max(np.abs(corruption - expected)) / np.max(np.abs(clean))
print(f"{sensing.shape[0]} Gaussian measurements, {support.size} outliers recorded; "
      f"observations − A(truth) equals the outlier record to {mismatch:.1e} (relative)")
PY
echo
evaluate --format table "$work/solved.frames"
