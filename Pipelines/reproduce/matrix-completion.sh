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
# r = 2; 3 trials each), with the six methods of gaussian-sensing.sh at width K = d (gd-large
# uses --step 10 here: gd's default step is ~250, 1/(2‖(1/m)A*(b)‖), too long from a large start):
#   uniform  trial t, index i: generate-ground-truth --d1 d --rank r --seed t
#              | sample-measurements --operator completion --p p --seed 1000t+i
#   uneven   the same with --p p/0.625, then the Python stage Pipelines/stages/uneven_sampling.py
#              --low 0.25 --seed 1000t+i, which keeps row i's entries with probability falling
#              linearly from 1 (first row) to 0.25 (last row): rate p on average, the top rows
#              seen 4× as often as the bottom ones
#   then       | solve-flat --quiet <method> --seed t | evaluate --format json
# Success = relative error ‖X̂ − M♮‖_F/‖M♮‖_F ≤ 1e-6, exact recovery (why this threshold:
# Pipelines/reproduce/lib/aggregate.py); gd and sam stop at --tol 1e-4, short of it.
#
# Usage: Pipelines/reproduce/matrix-completion.sh [--small] [--out DIR] [--jobs N] [--sshloginfile FILE]
#   --small   CI setting, a few seconds: d = 12, r = 1, p in 0.15 and 0.6, 1 trial
#   (the other options and env: Pipelines/reproduce/lib/sweep.sh)
# Outputs: DIR/matrix-completion{.jsonl,.csv,-summary.csv,-table.md,.png} (uniform sampling: one
#          record and CSV row per solve; per p and method the success rate, median error …;
#          median relative error, log scale, and success rate vs p), the same for uneven
#          sampling as DIR/matrix-completion-uneven*, and both summary tables on stdout
#          (DIR = Pipelines/results/matrix-completion/ by default).
# Every random choice is seeded: reruns give the same numbers up to the timing columns.
# Wall time at the default size on the 2-core build machine: 89 s in a quiet run (solver of
# d20c4a4; 69 s before the 1e-8 certification rule), 333 s in the last rerun (solver of 45f17ba)
# under a load average of ~6 from other builds; --small: ~9 s.
set -euo pipefail
source "$(dirname "$0")/lib/sweep.sh"
sweep_init matrix-completion "$@"

if [ "$SMALL" = 1 ]; then d=12; r=1; rates="0.15 0.6"; trials=1
else d=30; r=2; rates="0.15 0.25 0.35 0.45 0.6"; trials=3; fi
low=0.25   # uneven: the last row's keep probability
stage=$sweep_repo/Pipelines/stages/uneven_sampling.py

for sampling in uniform uneven; do
  if [ $sampling = uniform ]; then sweep_begin matrix-completion; what="uniform Bernoulli(p) sampling"
  else sweep_begin matrix-completion-uneven; what="uneven rows (keep prob. 1 to $low)"; fi
  i=0
  for p in $rates; do
    for t in $(seq "$trials"); do
      key=i$i-t$t seed=$((1000 * t + i))
      if [ $sampling = uniform ]; then
        sweep_instance "$key" "generate-ground-truth --quiet --d1 $d --rank $r --seed $t \
          | sample-measurements --quiet --operator completion --p $p --seed $seed"
      else
        sweep_instance "$key" "generate-ground-truth --quiet --d1 $d --rank $r --seed $t \
          | sample-measurements --quiet --operator completion \
              --p $(awk -v p="$p" -v l="$low" 'BEGIN {print p / ((1 + l) / 2)}') --seed $seed \
          | python3 $stage --low $low --seed $seed"
      fi
      sweep_solve "$key" "$p" "$t" flat -- --method flat --width "$d" --seed "$t"
      sweep_solve "$key" "$p" "$t" min-norm -- --method min-norm --width "$d" --seed "$t"
      sweep_solve "$key" "$p" "$t" gd-small -- --method gd --init-scale 1e-6 --width "$d" --tol 1e-4 --seed "$t"
      sweep_solve "$key" "$p" "$t" gd-large -- --method gd --init-scale 1 --step 10 --width "$d" --tol 1e-4 --seed "$t"
      sweep_solve "$key" "$p" "$t" sam -- --method sam --width "$d" --tol 1e-4 --seed "$t"
      sweep_solve "$key" "$p" "$t" least-norm -- --method least-norm --seed "$t"
    done
    i=$((i + 1))
  done
  sweep_run
  echo "== $SWEEP_NAME: $what"
  sweep_aggregate --x-name p --xlabel "sampling rate p (expected fraction of observed entries)" \
    --title "Matrix completion, $what: d = $d, r = $r, width K = $d, $trials trials"
  echo
done
