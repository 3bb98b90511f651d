#!/usr/bin/env bash
# Speed and accuracy of solve-flat on dense Gaussian sensing next to two Python peers, and the
# bandwidth of its passes over the operator next to OpenBLAS dgemv on the same matrix.
#
#   instance: generate-ground-truth --d1 D --rank R --seed 1
#             | sample-measurements --operator gaussian --m M --seed 2      (made once; the
#             operator is M × D × D float64, 30 MB at the defaults)
#   ours:  solve-flat --quiet < instance > out   (the default method, flat, then --method convex),
#          REPEATS runs each, wall time end to end (reading the stream and writing the answer)
#   peers: Pipelines/bench/peers/weighted_nuclear_cvxpy.py  CVXPY + SCS, eps 1e-9, on the convex
#            program min ‖D1XD2‖_* s.t. A(X) = b
#          Pipelines/bench/peers/flat_penalty_lbfgs.py  scipy L-BFGS-B on f + λ·str with λ → 0,
#            stopping at relative error 1e-9 (checked against the truth: an oracle in its favour)
#          each run once, or REPEATS times when one run takes under 30 s; their time is their
#          solve alone (stream reading, Python start-up and D1, D2 left out, which favours them)
# Prints medians: a table of wall and solve seconds, relative error ‖X̂−M♮‖_F/‖M♮‖_F (computed
# here with numpy from each answer), residual ‖A(X̂)−b‖/‖b‖ and scaled trace 2‖D1X̂D2‖_*; the
# time ratios cvxpy-scs / ours (target ≥ 100) and scipy-lbfgs / ours (target ≥ 5) for ours flat
# (the default; its answer is the relaxation's, Theorem 3.2) and --method convex, each as the
# peer's solve time over ours' `seconds` attribute (solve to solve: neither reads its input
# inside the timing; ours includes computing D1, D2, the peers' do not) and over our end-to-end
# wall time; whether our accuracy is equal or better; and ours' bandwidth per pass over A — bytes of A (M·D·D·8) × passes /
# operator_seconds, from the estimate's attributes — next to numpy's A @ x and Aᵀ @ y on the
# same matrix (OpenBLAS dgemv, 1 thread and all threads, median of 200 back-to-back calls; the
# better of the two is the reference), measured right after each round of ours, since this
# machine's memory bandwidth drifts by 2x over minutes; the ratio is the median over rounds of
# ours over its round's reference (target ≥ 0.70).
#
# Usage: Pipelines/bench/solver-speed.sh [D=50] [R=3] [M=1500] [REPEATS=3]
# Env:   FLATMIN_BIN (prebuilt tools; default: Pipelines/lib/tools.sh builds .build/release),
#        BENCH_DIR (scratch, default /tmp), PEER_TIME_LIMIT (seconds per peer run, default 600),
#        CVXPY_ARGS, LBFGS_ARGS (extra peer options, e.g. LBFGS_ARGS='--factor 1000'),
#        BENCH_SUMMARY (a file to write the medians and ratios to as JSON, for run.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
d=${1:-50}; r=${2:-3}; m=${3:-1500}; repeats=${4:-3}
peers=$here/Pipelines/bench/peers
limit=${PEER_TIME_LIMIT:-600}
source "$here/Pipelines/lib/tools.sh"
flatmin_tools
bin=$FLATMIN_BIN
[ -x "$bin/solve-flat" ] || { echo "solver-speed.sh: no solve-flat in $bin (build it or set FLATMIN_BIN)" >&2; exit 1; }
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/solver-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
"$bin/generate-ground-truth" --d1 "$d" --rank "$r" --seed 1 \
  | "$bin/sample-measurements" --operator gaussian --m "$m" --seed 2 > "$scratch/instance.frames"

seconds() { local t0 t1; t0=$(date +%s%N); "$@"; t1=$(date +%s%N); awk -v d=$((t1 - t0)) 'BEGIN {printf "%.4f", d/1e9}'; }
solve() { "$bin/solve-flat" --quiet --timings --method "$1" < "$scratch/instance.frames" > "$scratch/out.frames"; }

# OpenBLAS dgemv on the same matrix, through numpy: 1 thread, then OpenBLAS's default (all cores).
cat > "$scratch/dgemv.py" <<'PY'
import json, sys, time
import numpy as np
import peerlib
A = peerlib.read_instance(sys.argv[1]).A          # m × (d1·d2), column-major: the solver's layout
rng = np.random.default_rng(0)
x, y = rng.standard_normal(A.shape[1]), rng.standard_normal(A.shape[0])
def median_seconds(call, count=200):
    for _ in range(10):
        call()
    times = []
    for _ in range(count):
        start = time.perf_counter(); call(); times.append(time.perf_counter() - start)
    return float(np.median(times))
print(json.dumps({"forward": median_seconds(lambda: A @ x), "adjoint": median_seconds(lambda: A.T @ y),
                  "bytes": A.nbytes}))
PY
dgemv() {  # ROUND: both references right after our runs of ROUND, so each ratio pairs runs made together
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PYTHONPATH="$peers" \
    python3 "$scratch/dgemv.py" "$scratch/instance.frames" > "$scratch/dgemv-1-$1.json"
  env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS PYTHONPATH="$peers" \
    python3 "$scratch/dgemv.py" "$scratch/instance.frames" > "$scratch/dgemv-all-$1.json"
}

# Ours: REPEATS rounds, each running both methods and then the dgemv references; keep each run's
# estimate frames (small), not the forwarded operator.
for i in $(seq "$repeats"); do
  for method in flat convex; do
    seconds solve "$method" >> "$scratch/times-$method"; echo >> "$scratch/times-$method"
    "$bin/frames" pick estimate,estimate_left,estimate_right,timings < "$scratch/out.frames" > "$scratch/ours-$method-$i.frames"
    rm -f "$scratch/out.frames"
  done
  dgemv "$i"
done

# Peers: once, or REPEATS times when a run takes under 30 s. A failed run is recorded, not fatal.
run_peer() {  # NAME SCRIPT EXTRA: one run, its JSON line appended to NAME.jsonl
  python3 "$peers/$2" "$scratch/instance.frames" --time-limit "$limit" $3 \
    >> "$scratch/$1.jsonl" 2>> "$scratch/$1.err" || echo "{\"peer\": \"$1\", \"failed\": true}" >> "$scratch/$1.jsonl"
}
peer() {
  local i t
  for i in $(seq "$repeats"); do
    t=$(seconds run_peer "$@")
    awk -v t="$t" 'BEGIN {exit !(t >= 30)}' && break
  done
  if [ -s "$scratch/$1.err" ]; then sed "s/^/$1: /" "$scratch/$1.err" >&2; fi
}
peer cvxpy-scs weighted_nuclear_cvxpy.py "${CVXPY_ARGS:-}"
peer scipy-lbfgs flat_penalty_lbfgs.py "${LBFGS_ARGS:-}"

PYTHONPATH="$peers" python3 - "$scratch" "$d" "$r" "$m" "$repeats" <<'PY'
import json, math, os, sys
import numpy as np
import flatframes, peerlib

scratch, d, r, m, repeats = sys.argv[1], *map(int, sys.argv[2:])
instance = peerlib.read_instance(os.path.join(scratch, "instance.frames"))
D1sq, D2sq = peerlib.rescaling(instance)
D1, D2 = peerlib.symmetric_power(D1sq, 0.5), peerlib.symmetric_power(D2sq, 0.5)
operator_bytes = instance.A.nbytes
median = lambda values: float(np.median(values)) if values else math.nan

rows, ours = [], {}
for method in ("flat", "convex"):
    walls = [float(t) for t in open(os.path.join(scratch, f"times-{method}")).read().split()]
    runs = []
    for round_number in range(1, repeats + 1):
        with open(os.path.join(scratch, f"ours-{method}-{round_number}.frames"), "rb") as source:
            frames = {frame.name: frame for frame in flatframes.read_frames(source)}
        X, attributes = frames["estimate"].array, {**frames["estimate"].attributes, **frames["timings"].attributes}
        number = lambda key: float(attributes[key]) if isinstance(attributes.get(key), (int, float)) else math.nan
        runs.append({"error": instance.relative_error(X), "residual": instance.residual(X),
                     "trace": peerlib.scaled_trace_of(X, D1, D2), "seconds": number("seconds"),
                     "passes": number("passes"), "operator_seconds": number("operator_seconds"),
                     "attributes": attributes})
    summary = {key: median([run[key] for run in runs]) for key in ("error", "residual", "trace", "seconds")}
    summary["wall"] = median(walls)
    summary["bandwidths"] = [operator_bytes * run["passes"] / run["operator_seconds"] if run["operator_seconds"] > 0
                             else math.nan for run in runs]
    summary["bandwidth"] = median([b for b in summary["bandwidths"] if not math.isnan(b)])
    summary["passes"] = median([run["passes"] for run in runs])
    summary["attributes"] = runs[-1]["attributes"]
    ours[method] = summary
    label = "solve-flat" if method == "flat" else "solve-flat --method convex"
    rows.append((label, summary["wall"], summary["seconds"], summary["error"], summary["residual"],
                 summary["trace"], len(walls)))

peer_results = {}
for name in ("cvxpy-scs", "scipy-lbfgs"):
    records = [json.loads(line) for line in open(os.path.join(scratch, f"{name}.jsonl")) if line.strip()]
    good = [record for record in records if not record.get("failed")]
    if not good:
        rows.append((name + " (failed)", math.nan, math.nan, math.nan, math.nan, math.nan, len(records)))
        continue
    summary = {key: median([record[key] for record in good])
               for key in ("wall_seconds", "seconds", "relative_error", "residual", "scaled_trace")}
    summary["last"] = good[-1]
    peer_results[name] = summary
    rows.append((name, summary["wall_seconds"], summary["seconds"], summary["relative_error"],
                 summary["residual"], summary["scaled_trace"], len(good)))
rows.append(("truth M♮", math.nan, math.nan, 0.0, instance.residual(instance.truth),
             peerlib.scaled_trace_of(instance.truth, D1, D2), "-"))

def g(value, width, spec):
    return f"{'-':>{width}}" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:>{width}{spec}}"

print(f"gaussian sensing d1=d2={d} r={r} m={m}: operator {operator_bytes / 1e6:.0f} MB, medians over runs")
print(f"{'tool':<28} {'runs':>4} {'wall s':>8} {'solve s':>8} {'rel. error':>10} {'residual':>9} {'2‖D1XD2‖_*':>14}")
for label, wall, solve, error, residual, trace, runs in rows:
    print(f"{label:<28} {runs:>4} {g(wall, 8, '.3f')} {g(solve, 8, '.3f')} {g(error, 10, '.2e')} "
          f"{g(residual, 9, '.1e')} {g(trace, 14, '.10f')}")
print("(wall: ours end to end, a peer its whole script; solve: ours' `seconds` attribute, a peer's "
      "solve alone)")
for method in ("flat", "convex"):
    a = ours[method]["attributes"]
    print(f"solve-flat --method {method} reports: k={a.get('rank')} iterations={a.get('iterations')} "
          f"passes={a.get('passes')} scaled_trace={a.get('scaled_trace')} lower_bound={a.get('lower_bound')} "
          f"converged={a.get('converged')}")

def verdict(ours_error, peer_error):
    if math.isnan(ours_error) or math.isnan(peer_error):
        return "n/a"
    if ours_error <= peer_error / 2:
        return "better"
    if ours_error <= 2 * peer_error or ours_error <= 1e-9:
        return "equal"  # within a factor 2, or both at the 1e-9 target
    return "WORSE"

print()
# Ratios of solve times: a peer's solve alone over ours' `seconds` (reading the stream left out of
# both; ours still includes computing D1 and D2, the peers' does not). Then the same peer time over
# our whole run, reading the stream and writing the answer included.
for name, target in (("cvxpy-scs", 100), ("scipy-lbfgs", 5)):
    if name not in peer_results:
        print(f"time {name} / ours: n/a ({name} failed)")
        continue
    p = peer_results[name]
    for method in ("flat", "convex"):
        solve_ratio = p["seconds"] / ours[method]["seconds"]
        wall_ratio = p["seconds"] / ours[method]["wall"]
        verdict_text = f" (target >= {target}: {'met' if solve_ratio >= target else 'NOT met'})" if method == "flat" else ""
        print(f"time {name} / ours --method {method}: {solve_ratio:.1f}x solve to solve{verdict_text}; "
              f"{wall_ratio:.1f}x against our end-to-end wall time")
        print(f"  accuracy: ours --method {method} {ours[method]['error']:.2e} vs {name} "
              f"{p['relative_error']:.2e}: {verdict(ours[method]['error'], p['relative_error'])}")
    extra = p["last"]
    if name == "cvxpy-scs":
        print(f"  SCS: status {extra.get('status')}, {extra.get('solver_iterations')} iterations at eps "
              f"{extra.get('eps')}, setup {extra.get('setup_seconds', math.nan):.2f} s + iterations "
              f"{extra.get('solver_seconds', math.nan):.2f} s ({extra.get('formulation')} formulation)")
    else:
        print(f"  L-BFGS-B: k={extra.get('rank')}, {extra.get('stages')} stages, {extra.get('passes')} passes "
              f"over A, stopped: {extra.get('stop')}")

print()
# The references of each round, as GB/s per pass (the mean of A @ x and Aᵀ @ y).
def reference_bandwidth(label, round_number):
    run = json.load(open(os.path.join(scratch, f"dgemv-{label}-{round_number}.json")))
    return run["bytes"] / ((run["forward"] + run["adjoint"]) / 2) / 1e9, run
rounds = [{label: reference_bandwidth(label, i) for label in ("1", "all")} for i in range(1, repeats + 1)]
for label in ("1", "all"):
    forward = median([run["bytes"] / run["forward"] / 1e9 for run in (r[label][1] for r in rounds)])
    adjoint = median([run["bytes"] / run["adjoint"] / 1e9 for run in (r[label][1] for r in rounds)])
    per_pass = [r[label][0] for r in rounds]
    print(f"OpenBLAS dgemv via numpy, {'1 thread' if label == '1' else 'all threads'}: A @ x {forward:.1f} GB/s, "
          f"Aᵀ @ y {adjoint:.1f} GB/s, per pass {median(per_pass):.1f} GB/s "
          f"(medians of {len(rounds)} rounds; per pass {min(per_pass):.1f}–{max(per_pass):.1f})")
# Each round's ratio: our run's bandwidth over the better reference measured right after it.
best = [max(r["1"][0], r["all"][0]) for r in rounds]
bandwidth_ratio = {}
for method in ("flat", "convex"):
    bandwidths = [b / 1e9 for b in ours[method]["bandwidths"]]
    ratios = [b / reference for b, reference in zip(bandwidths, best) if not math.isnan(b)]
    if not ratios:
        print(f"ours --method {method}: no passes/operator_seconds attributes, bandwidth n/a")
        continue
    ratio = median(ratios)
    bandwidth_ratio[method] = ratio
    print(f"ours --method {method}: {ours[method]['passes']:.0f} passes, {median(bandwidths):.1f} GB/s per pass; "
          f"over the better dgemv of its round {ratio:.2f}x (rounds: {', '.join(f'{q:.2f}' for q in ratios)}; "
          f"target >= 0.70: {'met' if ratio >= 0.70 else 'NOT met'}), "
          f"{median([b / r['1'][0] for b, r in zip(bandwidths, rounds)]):.2f}x the 1-thread figure")

# For Pipelines/bench/run.sh: the medians and ratios above as one JSON object.
if os.environ.get("BENCH_SUMMARY"):
    with open(os.environ["BENCH_SUMMARY"], "w") as out:
        json.dump({"d": d, "r": r, "m": m, "repeats": repeats,
                   "ours": {method: {key: ours[method][key] for key in ("wall", "seconds", "error", "residual", "passes", "bandwidth")}
                            for method in ours},
                   "peers": {name: {"seconds": p["seconds"], "wall_seconds": p["wall_seconds"],
                                    "relative_error": p["relative_error"]} for name, p in peer_results.items()},
                   "reference_bandwidth": median(best) * 1e9,
                   "bandwidth_ratio": bandwidth_ratio}, out, allow_nan=True)
PY
