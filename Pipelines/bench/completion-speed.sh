#!/usr/bin/env bash
# Time, accuracy and memory of solve-flat on a large matrix-completion instance.
#
#   instance: generate-ground-truth --d1 D --rank R --seed 1
#             | sample-measurements --operator completion --p P --seed 2     (made once; at the
#             defaults 2000 × 2000, rank 5, about 160 000 observed entries)
#   ours:     solve-flat --quiet --tol 1e-7 < instance > out, REPEATS runs, wall time end to end
#             (reading the stream, solving, writing the 2000 × 2000 estimate)
# Prints medians: seconds and the relative error ‖X̂−M♮‖_F/‖M♮‖_F computed here with numpy from
# the estimate (targets: ≤ 1e-6 in ≤ 20 s at d = 2000; ≤ 1e-8 in ≤ 10 s and < 1 GB at 10⁴; ≤ 1e-8
# in ≤ 10 min and < 8 GB at 10⁵), the residual on the observed entries, what solve-flat
# reports, and its peak resident size (ru_maxrss of each run, from wait4) against the stream's
# decoded size (the frames' array bytes, from `frames ls --json`) plus the factors,
# (d1+d2)·k·8 bytes with k the estimate's rank.
#
# Usage: Pipelines/bench/completion-speed.sh [D=2000] [R=5] [P=0.04] [REPEATS=3]
# Env:   FLATMIN_BIN (prebuilt tools; default: Pipelines/lib/tools.sh builds .build/release),
#        BENCH_DIR (scratch, default /tmp)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
d=${1:-2000}; r=${2:-5}; p=${3:-0.04}; repeats=${4:-3}
source "$here/Pipelines/lib/tools.sh"
flatmin_tools
bin=$FLATMIN_BIN
[ -x "$bin/solve-flat" ] || { echo "completion-speed.sh: no solve-flat in $bin (build it or set FLATMIN_BIN)" >&2; exit 1; }
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/completion-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
"$bin/generate-ground-truth" --d1 "$d" --rank "$r" --seed 1 \
  | "$bin/sample-measurements" --operator completion --p "$p" --seed 2 > "$scratch/instance.frames"
"$bin/frames" ls --json "$scratch/instance.frames" > "$scratch/instance.json"

PYTHONPATH="$here/Pipelines/bench" python3 - "$bin/solve-flat" "$scratch" "$repeats" "$d" "$r" "$p" <<'PY'
import os, sys
import numpy as np
import benchlib, flatframes

tool, scratch, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
d, r, p = sys.argv[4:]
instance_path, output_path = os.path.join(scratch, "instance.frames"), os.path.join(scratch, "out.frames")

runs = [benchlib.measured_run([tool, "--quiet", "--timings", "--tol", "1e-7"], instance_path, output_path, "completion-speed.sh")
        for _ in range(repeats)]
walls, peaks = [wall for wall, _ in runs], [peak for _, peak in runs]

# Above 2^24 entries the truth and the estimate are written as factors alone: the error and
# the residual are computed from them (benchlib.relative_error never expands a factored side).
truth_names, estimate_names = ("truth", "truth_left", "truth_right"), ("estimate", "estimate_left", "estimate_right")
with open(instance_path, "rb") as stream:
    frames = {frame.name: frame.array for frame in flatframes.read_frames(stream, names={*truth_names, "entries", "observations"})}
with open(output_path, "rb") as stream:
    solved = {frame.name: frame for frame in flatframes.read_frames(stream, names={*estimate_names, "timings"})}
entries, b = frames["entries"], frames["observations"]
truth = frames["truth"] if "truth" in frames else (frames["truth_left"], frames["truth_right"])
first = solved["estimate"] if "estimate" in solved else solved["estimate_left"]
attributes = {**first.attributes, **solved["timings"].attributes}
if "estimate" in solved:
    X = solved["estimate"].array
    fitted = X[entries[:, 0], entries[:, 1]]
    estimate = X
else:
    left, right = solved["estimate_left"].array, solved["estimate_right"].array
    fitted = np.einsum("ij,ij->i", left[entries[:, 0]], right[entries[:, 1]])
    estimate = (left, right)
error = float(benchlib.relative_error(estimate, truth))
residual = float(np.linalg.norm(fitted - b) / np.linalg.norm(b))

decoded = benchlib.decoded_bytes(os.path.join(scratch, "instance.json"))
d1, d2 = int(d), int(d)
k = int(attributes.get("rank", 0))
factors = (d1 + d2) * k * 8
seconds, peak = float(np.median(walls)), float(np.median(peaks))

print(f"matrix completion d1=d2={d} r={r} p={p}: m={len(b)} observed entries, {repeats} runs, medians")
print(f"solve-flat --quiet --tol 1e-7 end to end: {seconds:.2f} s "
      f"(runs {', '.join(f'{w:.2f}' for w in sorted(walls))})")
print(f"relative error ‖X̂−M♮‖_F/‖M♮‖_F: {error:.2e}; residual on the observed entries {residual:.1e}")
# The targets set for each size: error, seconds end to end, peak memory in bytes.
targets = {2000: (1e-6, 20, None), 10000: (1e-8, 10, 1e9), 100000: (1e-8, 600, 8e9)}
if int(d) in targets:
    most_error, most_seconds, most_bytes = targets[int(d)]
    met = error <= most_error and seconds <= most_seconds and (most_bytes is None or peak < most_bytes)
    memory = f", peak < {most_bytes / 1e9:.0f} GB" if most_bytes else ""
    print(f"target: relative error <= {most_error:.0e} in <= {most_seconds} s{memory}: {'met' if met else 'NOT met'}")
else:
    print(f"target: none set at d = {d} (targets at {', '.join(map(str, targets))})")
print(f"solve-flat reports: k={attributes.get('rank')} iterations={attributes.get('iterations')} "
      f"passes={attributes.get('passes')} seconds={attributes.get('seconds')} "
      f"residual={attributes.get('residual')} converged={attributes.get('converged')}")
print(f"peak RSS of solve-flat: {peak / 1e6:.0f} MB = {peak / (decoded + factors):.2f}x the decoded stream "
      f"({decoded / 1e6:.1f} MB) plus the factors ((d1+d2)·k·8 = {factors / 1e6:.2f} MB)")
PY
