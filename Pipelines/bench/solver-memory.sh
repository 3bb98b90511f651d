#!/usr/bin/env bash
# Peak memory and time of solve-flat on dense Gaussian sensing, against the stream it reads.
#
#   instance: generate-ground-truth --d1 D --rank R --seed 1
#             | sample-measurements --operator gaussian --m M --seed 2      (made once; at the
#             defaults d = 100, rank 5, m = 5000: a 400 MB operator)
#   ours:     solve-flat --quiet < instance > out, REPEATS runs
# Prints medians: wall seconds, the relative error ‖X̂−M♮‖_F/‖M♮‖_F computed here with numpy,
# what solve-flat reports, and its peak resident size (ru_maxrss of each run, from wait4) over
# the stream's decoded size (the frames' array bytes, from `frames ls --json`) plus the factors,
# (d1+d2)·k·8 bytes with k the estimate's rank (target ≤ 1.3).
#
# Usage: Pipelines/bench/solver-memory.sh [D=100] [R=5] [M=5000] [REPEATS=3]
# Env:   FLATMIN_BIN (prebuilt tools; default: Pipelines/lib/tools.sh builds .build/release),
#        BENCH_DIR (scratch, default /tmp)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
d=${1:-100}; r=${2:-5}; m=${3:-5000}; repeats=${4:-3}
source "$here/Pipelines/lib/tools.sh"
flatmin_tools
bin=$FLATMIN_BIN
[ -x "$bin/solve-flat" ] || { echo "solver-memory.sh: no solve-flat in $bin (build it or set FLATMIN_BIN)" >&2; exit 1; }
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/solver-memory.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
"$bin/generate-ground-truth" --d1 "$d" --rank "$r" --seed 1 \
  | "$bin/sample-measurements" --operator gaussian --m "$m" --seed 2 > "$scratch/instance.frames"
"$bin/frames" ls --json "$scratch/instance.frames" > "$scratch/instance.json"

PYTHONPATH="$here/Pipelines/bench" python3 - "$bin/solve-flat" "$scratch" "$repeats" "$d" "$r" "$m" <<'PY'
import os, sys
import numpy as np
import benchlib, flatframes

tool, scratch, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
d, r, m = sys.argv[4:]
instance_path, output_path = os.path.join(scratch, "instance.frames"), os.path.join(scratch, "out.frames")
runs = [benchlib.measured_run([tool, "--quiet", "--timings"], instance_path, output_path, "solver-memory.sh") for _ in range(repeats)]
walls, peaks = [wall for wall, _ in runs], [peak for _, peak in runs]

with open(instance_path, "rb") as stream:
    truth = next(frame.array for frame in flatframes.read_frames(stream) if frame.name == "truth")
with open(output_path, "rb") as stream:
    solved = {frame.name: frame for frame in flatframes.read_frames(stream) if frame.name in ("estimate", "timings")}
estimate, attributes = solved["estimate"], {**solved["estimate"].attributes, **solved["timings"].attributes}
error = float(np.linalg.norm(estimate.array - truth) / np.linalg.norm(truth))
decoded = benchlib.decoded_bytes(os.path.join(scratch, "instance.json"))
d1, d2 = truth.shape
factors = (d1 + d2) * int(attributes.get("rank", 0)) * 8
peak, seconds = float(np.median(peaks)), float(np.median(walls))
ratio = peak / (decoded + factors)

print(f"gaussian sensing d1=d2={d} r={r} m={m}: {repeats} runs, medians")
print(f"solve-flat --quiet end to end: {seconds:.2f} s; relative error {error:.2e}")
print(f"solve-flat reports: k={attributes.get('rank')} iterations={attributes.get('iterations')} "
      f"passes={attributes.get('passes')} seconds={attributes.get('seconds')} converged={attributes.get('converged')}")
print(f"peak RSS {peak / 1e6:.0f} MB = {ratio:.2f}x the decoded stream ({decoded / 1e6:.1f} MB) plus the factors "
      f"({factors / 1e6:.2f} MB) (target <= 1.3: {'met' if ratio <= 1.3 else 'NOT met'})")
PY
