#!/usr/bin/env bash
# Reproduces the paper's matrix-completion experiment (Ding, Drusvyatskiy, Fazel, Harchaoui
# 2024, §5 and its synthetic experiments / docs/mathematics.md §10): observe the entries of a rank-r
# d×d truth on a random set, fit overparameterized factors of width K = d.
#
# Claims tested: (1) flat solutions — here D1, D2 are diagonal (√row counts, √column counts),
# so flat minimizes a *weighted* trace norm — recover M♮ exactly at sampling rates beyond the
# proven (weak-recovery) regime p ≳ √(r log d / d); (2) flat and min-norm (the plain trace
# norm) are different programs, and differ when sampling is uneven; (3) gd from a small start
# lands near the low-rank answer, gd from a large start and A⁺(b) (least-norm: zeros where
# unobserved) fit without recovering; sam is run with the tool's defaults.
#
# Two sweeps over the expected sampling rate p in 0.15 0.25 0.35 0.45 0.6 (default d = 30,
# r = 2; 3 trials each), methods flat, min-norm, gd-small, gd-large, sam, least-norm (exact
# options: Pipelines/reproduce/lib/sweep-lib-a.sh; gd-large uses --step 10 here):
#   uniform  trial t, index i: generate-ground-truth --d1 d --rank r --seed t
#              | sample-measurements --operator completion --p p --seed 1000t+i
#   uneven   the same with --p p/0.625, then the Python stage lib/uneven_sampling_a.py
#              --low 0.25 --seed 1000t+i, which keeps row i's entries with probability falling
#              linearly from 1 (first row) to 0.25 (last row): rate p on average, the top rows
#              seen 4× as often as the bottom ones
#   then       | solve-flat <method> --seed t | evaluate --format json
# Success = relative error ‖X̂ − M♮‖_F/‖M♮‖_F ≤ 1e-3 (the gradient methods stop at --tol 1e-4;
# evaluate's exact `recovered`, ≤ 1e-6, is its own column).
#
# Usage: Pipelines/reproduce/matrix-completion.sh [--small] [--out DIR] [--jobs N]
#   --small   CI setting, a few seconds: d = 12, r = 1, p in 0.15 and 0.6, 1 trial
#   --out     results folder (default Pipelines/results/matrix-completion/)
#   --jobs    GNU parallel -j (default: all local cores)
#   env FLATMIN_BIN=DIR uses prebuilt tools (default: builds .build/release)
# Outputs: DIR/matrix-completion.csv, DIR/matrix-completion-summary.csv, DIR/matrix-completion.png
#          (uniform sampling: one row per (p, method, trial); per (p, method) success rate,
#          median error …; median relative error, log scale, and success rate vs p), the same
#          three for uneven sampling as DIR/matrix-completion-uneven{.csv,-summary.csv,.png},
#          the raw lines DIR/*.raw, and both tables on stdout.
# Every random choice is seeded: reruns give the same numbers up to the timing columns.
# Wall time at the default size on the 2-core build machine: 89 s measured with the current solver
# (69 s before the 1e-8 certification rule); --small: ~5–10 s.
set -euo pipefail
NAME=matrix-completion
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/Pipelines/reproduce/lib/sweep-lib-a.sh"
repro_parse_options "$@"

if [ "$SMALL" = 1 ]; then D=12; R=1; X_VALUES=(0.15 0.6); TRIALS=1
else D=30; R=2; X_VALUES=(0.15 0.25 0.35 0.45 0.6); TRIALS=3; fi
METHODS=(flat min-norm gd-small gd-large sam least-norm)
GD_LARGE_STEP=10      # gd's default step here is ~250 (1/(2‖(1/m)A*(b)‖)); a large start needs less
LOW=0.25              # uneven: the last row's keep probability
export D R LOW STAGE=$REPO/Pipelines/reproduce/lib/uneven_sampling_a.py

make_instance() {  # X TRIAL XINDEX OUT
  if [ "$SAMPLING" = uniform ]; then
    generate-ground-truth --quiet --d1 "$D" --rank "$R" --seed "$2" \
      | sample-measurements --quiet --operator completion --p "$1" --seed $((1000 * $2 + $3)) > "$4"
  else
    generate-ground-truth --quiet --d1 "$D" --rank "$R" --seed "$2" \
      | sample-measurements --quiet --operator completion \
          --p "$(awk -v p="$1" -v l="$LOW" 'BEGIN {print p / ((1 + l) / 2)}')" --seed $((1000 * $2 + $3)) \
      | python3 "$STAGE" --low "$LOW" --seed $((1000 * $2 + $3)) > "$4"
  fi
}

repro_setup
start=$(date +%s)
methods=$(IFS=,; echo "${METHODS[*]}")
for SAMPLING in uniform uneven; do
  export SAMPLING
  if [ $SAMPLING = uniform ]; then NAME=matrix-completion; what="uniform Bernoulli(p) sampling"
  else NAME=matrix-completion-uneven; what="uneven rows (keep prob. 1 to $LOW)"; fi
  repro_sweep
  echo "== $NAME: $what"
  repro_aggregate --x-name p --x-label "sampling rate p (expected fraction of observed entries)" \
    --title "Matrix completion, $what: d = $D, r = $R, width K = $D, $TRIALS trials" \
    --methods "$methods" --markdown "$OUT/.$NAME-table.md"
  echo
done
echo "wall time: $(( $(date +%s) - start )) s; results in $OUT"
