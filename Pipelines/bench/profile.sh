#!/usr/bin/env bash
# Where solve-flat's time goes, by perf: the research-scale instances of the benchmark suite,
# each solved once under `perf record -g`, then the hottest symbols (self time) and the share of
# each layer (OpenBLAS kernels, libc memory moves, our own code). Rerun it after a solver change
# and compare: the figures are shares of one run, so they hold on a loaded machine too.
#
#   rpca        generate-ground-truth --d1 D --rank 10 | sample-measurements --operator identity
#               | corrupt-sparse --fraction 0.05 --per-line D/10: solve-flat --oracle-budget
#   completion  generate-ground-truth --d1 D --rank 10 | sample-measurements --operator completion
#               --p P: solve-flat
#
# Usage: Pipelines/bench/profile.sh [rpca|completion|all] [--d D] [--p P] [--top N]
#        (defaults: all, rpca d=1000, completion d=10000 with p=0.01, top 12)
# Env:   FLATMIN_BIN (the tools to profile; without it this checkout is built, release),
#        BENCH_DIR (scratch, default /tmp). Needs `perf` (Debian: linux-perf).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
which=all; d=""; p=0.01; top=12
while [ $# -gt 0 ]; do
  case $1 in
    rpca|completion|all) which=$1 ;;
    --d) d=$2; shift ;;
    --p) p=$2; shift ;;
    --top) top=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "profile.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
  shift
done
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
. "$here/Pipelines/lib/tools.sh"
flatmin_tools
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/flatmin-profile.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

profile() {  # profile LABEL INSTANCE SOLVE-OPTIONS...
  local label=$1 instance=$2; shift 2
  echo "== $label: solve-flat $* =="
  perf record -q -g -o "$scratch/perf.data" -- solve-flat --quiet "$@" < "$instance" > "$scratch/out.frames" 2>/dev/null \
    || [ $? -eq 3 ]
  perf report -i "$scratch/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null \
    | python3 "$here/Pipelines/bench/profile_summary.py" --top "$top"
  echo
}

if [ "$which" != completion ]; then
  rd=${d:-1000}
  generate-ground-truth --d1 "$rd" --rank 10 --seed 1 \
    | sample-measurements --operator identity --seed 2 \
    | corrupt-sparse --fraction 0.05 --per-line $((rd / 10)) --seed 3 > "$scratch/rpca.frames"
  profile "robust PCA d=$rd r=10 5% outliers" "$scratch/rpca.frames" --oracle-budget
fi
if [ "$which" != rpca ]; then
  cd_=${d:-10000}
  generate-ground-truth --d1 "$cd_" --rank 10 --seed 1 \
    | sample-measurements --operator completion --p "$p" --seed 2 > "$scratch/completion.frames"
  profile "completion d=$cd_ r=10 p=$p" "$scratch/completion.frames"
fi
