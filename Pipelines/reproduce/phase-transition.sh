#!/usr/bin/env bash
# Phase transition of exact recovery by the flattest factorization on Gaussian matrix sensing:
# the success rate of `solve-flat` over a grid of (m, r) × trials, run with GNU parallel.
#
# Each job is one pipeline (square d×d truth, rank r, m Gaussian measurements):
#   generate-ground-truth --d1 D --rank r --seed S1 \
#     | sample-measurements --operator gaussian --m m --seed S2 \
#     | solve-flat --method METHOD --rank K \
#     | evaluate --format json                 → one JSON line (plus m, r, trial, seeds, wall time)
# with S1 = 1000·trial + r, S2 = 1000000·trial + 1000·r + m (distinct for every job), and
# K = D, the widest factorization (docs/mathematics.md §1: k may be as large as min(d1, d2)), so that the
# zero-loss set is as large as it gets and only flatness selects the answer. (With solve-flat's
# own default width, the largest k with k(d1+d2−k) ≤ m, the factored problem is nearly
# rank-constrained and the transition sits at the degrees of freedom m = r(d1+d2−r) instead:
# pass `--width auto` to see that.) "Recovered" is evaluate's: ‖X̂ − M♮‖_F/‖M♮‖_F ≤ 1e-6.
# A solver exit status 3 (answer written, not converged/certified) is recorded, not fatal.
#
# Theory line: the paper proves exact recovery w.h.p. for m ≳ r(d1+d2). The figure overlays
# m = C·r·(d1+d2) with C FITTED to the data: for each r, m50(r) is where the success rate
# crosses 1/2 (linear interpolation between grid points), and C is the least-squares slope of
# m50 against r(d1+d2) through the origin. The degrees of freedom m = r(d1+d2−r) (below which
# no method can recover) are drawn dashed. C is printed and written to DIR/phase-transition-fit.txt.
#
# Usage: Pipelines/reproduce/phase-transition.sh [--small] [--out DIR] [--trials N] [--jobs N]
#            [--sshloginfile FILE] [--d D] [--method METHOD] [--width K|auto]
#   --small              CI size: d = 8, r ∈ {1,2}, m ∈ {16,32,48,64}, 1 trial (a few seconds)
#   --out DIR            results folder (default Pipelines/results/phase-transition/)
#   --trials N           trials per (m, r) (default 5)
#   --jobs N             parallel jobs per host (default: all local cores, `nproc`)
#   --sshloginfile FILE  passed to GNU parallel: run jobs on the hosts listed in FILE (one
#                        `[ncores/]user@host` a line; `:` is this machine). The job is a bash
#                        function shipped by `parallel --env`, so nothing needs copying, but
#                        the flatmin tools must be on each remote host's PATH, or FLATMIN_BIN
#                        (exported to the remote jobs) must name a folder that holds them
#                        there too (e.g. a shared file system). Remote hosts need bash and
#                        passwordless ssh. Only the local path is tested.
#   --d D                matrix size d1 = d2 = D (default 20)
#   --method METHOD      solve-flat method (default flat)
#   --width K|auto       factor width (default D; auto = solve-flat's default)
#   env FLATMIN_BIN=DIR  prebuilt tools (default: builds .build/release like Pipelines/main.sh)
#
# Default grid: d = 20, r ∈ {1,…,8}, m ∈ {20, 40, …, 400} (20 values), 5 trials = 800 jobs.
#
# Outputs in DIR:
#   phase-transition.jsonl      the raw JSON lines, one per job
#   phase-transition.csv        m, r, trial, d1, d2, relative_error, recovered, converged,
#                               seconds (solver), wall_seconds (whole job), iterations, passes,
#                               rank (factor width), method, seeds
#   phase-transition-grid.csv   m, r, m_over_d1d2 (= m/(d1+d2)), m_over_rd (= m/(r(d1+d2))),
#                               trials, successes, success_rate
#   phase-transition-fit.txt    the fitted C and m50(r)
#   phase-transition.png        heatmap (x = m, y = r, colour = success rate) with both lines
#   phase-transition.gp, phase-transition-image.dat   the gnuplot script and its data
#   joblog.tsv                  GNU parallel's job log (per-job runtime, exit status, host)
# and a summary (the grid, C, wall time) on stdout.
#
# Wall time at the default size on this 2-core machine: 6 min 6 s measured with the current solver
# (366 s for 800 jobs, --jobs 2; 2 min 23 s before the 1e-8 certification rule); a job takes
# 0.1–2 s (median 0.4 s, up to 17 s), longest near the transition and for large r.
# --small takes about 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD

small=0; out=""; trials=5; jobs=$(nproc 2>/dev/null || echo 2); sshloginfile=""
d=20; method=flat; width=""
while [ $# -gt 0 ]; do
  case $1 in
    --small) small=1 ;;
    --out) out=$2; shift ;;
    --trials) trials=$2; shift ;;
    --jobs|-j) jobs=$2; shift ;;
    --sshloginfile) sshloginfile=$2; shift ;;
    --d) d=$2; shift ;;
    --method) method=$2; shift ;;
    --width) width=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "phase-transition.sh: unknown option '$1' (try --help)" >&2; exit 64 ;;
  esac
  shift
done

if [ "$small" = 1 ]; then
  d=8; ranks=(1 2); ms=(16 32 48 64); trials=1
else
  ranks=(1 2 3 4 5 6 7 8); ms=(); for ((m = d; m <= 20 * d; m += d)); do ms+=("$m"); done
fi
[ -n "$width" ] || width=$d
[ -n "$out" ] || out=$REPO/Pipelines/results/phase-transition
mkdir -p "$out"
out=$(cd "$out" && pwd)

source Pipelines/lib/tools.sh
flatmin_tools
command -v parallel >/dev/null || { echo "phase-transition.sh: GNU parallel is not installed" >&2; exit 1; }

# One job: prints one JSON line. Runs on whichever host parallel picks, so it relies only on
# bash, date and the flatmin tools (FLATMIN_BIN or PATH).
phase_job() {
  local d=$1 r=$2 m=$3 trial=$4 method=$5 width=$6
  export PATH="${FLATMIN_BIN:+$FLATMIN_BIN:}$PATH"
  local s1=$((1000 * trial + r)) s2=$((1000000 * trial + 1000 * r + m))
  local rank_opt=(); [ "$width" = auto ] || rank_opt=(--rank "$width")
  local t0 t1 json
  t0=$(date +%s.%N)
  json=$(generate-ground-truth --d1 "$d" --rank "$r" --seed "$s1" \
    | sample-measurements --operator gaussian --m "$m" --seed "$s2" \
    | { solve-flat --method "$method" "${rank_opt[@]}" 2>/dev/null; status=$?; [ $status -eq 3 ] && status=0; exit $status; } \
    | evaluate --format json) || json=""
  t1=$(date +%s.%N)
  [ -n "$json" ] || json='{"error":true}'
  printf '{"m":%d,"r":%d,"trial":%d,"truth_seed":%d,"sensing_seed":%d,"wall_seconds":%s,"host":"%s","report":%s}\n' \
    "$m" "$r" "$trial" "$s1" "$s2" "$(echo "$t1 - $t0" | awk '{print $1 - $3}')" "$(hostname)" "$json"
}
export -f phase_job

trial_list=(); for ((t = 1; t <= trials; t++)); do trial_list+=("$t"); done
host_opts=(); [ -z "$sshloginfile" ] || host_opts=(--sshloginfile "$sshloginfile")
njobs=$(( ${#ranks[@]} * ${#ms[@]} * trials ))
echo "phase-transition: d=$d, r ∈ {${ranks[*]}}, ${#ms[@]} values of m (${ms[0]}…${ms[-1]}), $trials trial(s): $njobs jobs, --jobs $jobs${sshloginfile:+, hosts from $sshloginfile}" >&2

start=$(date +%s.%N)
parallel --jobs "$jobs" "${host_opts[@]}" --env phase_job --env FLATMIN_BIN \
  --joblog "$out/joblog.tsv" --halt soon,fail=10% \
  phase_job "$d" {1} {2} {3} "$method" "$width" \
  ::: "${ranks[@]}" ::: "${ms[@]}" ::: "${trial_list[@]}" > "$out/phase-transition.jsonl"
wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')

python3 Pipelines/reproduce/lib/phase-transition-c.py "$out" --wall-seconds "$wall"
(cd "$out" && gnuplot phase-transition.gp)
echo "figure: $out/phase-transition.png"
echo "wall time: ${wall} s for $njobs jobs on --jobs $jobs"
