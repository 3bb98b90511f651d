#!/usr/bin/env bash
# Throughput of a frame stream against the stock zstd CLI on the same bytes.
#
# Pushes a float64 matrix of random normals (nearly incompressible, the hard case) through
#   ours:  frames import M.npy --name M | frames verify --quiet
#   peer:  zstd -T0 -3 -c M.npy | zstd -dc > /dev/null
# REPEATS times each, alternating, and prints median seconds, MiB/s and the ratio
# ours/peer in throughput (≥ 0.8 is the project's target).
#
# Usage: Pipelines/bench/frames-throughput.sh [MiB=512] [REPEATS=5]
# Env:   FLATMIN_BIN (prebuilt tools; default: Pipelines/lib/tools.sh builds .build/release),
#        BENCH_DIR (scratch, default /tmp)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
mib=${1:-512}
repeats=${2:-5}
source "$here/Pipelines/lib/tools.sh"
flatmin_tools
bin=$FLATMIN_BIN
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/frames-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

python3 - "$scratch/M.npy" "$mib" <<'PY'
import sys, numpy as np
path, mib = sys.argv[1], int(sys.argv[2])
rows = 4096
cols = mib * 1024 * 1024 // 8 // rows
np.save(path, np.random.default_rng(0).standard_normal((rows, cols)))
PY
bytes=$(stat -c %s "$scratch/M.npy")

seconds() { local t0 t1; t0=$(date +%s%N); "$@"; t1=$(date +%s%N); awk -v d=$((t1 - t0)) 'BEGIN {printf "%.4f", d/1e9}'; }
ours() { "$bin/frames" import "$scratch/M.npy" --name M | "$bin/frames" verify --quiet; }
peer() { zstd -q -T0 -3 -c "$scratch/M.npy" | zstd -q -dc > /dev/null; }

cat "$scratch/M.npy" > /dev/null  # warm the page cache for both
ours_times=(); peer_times=()
for _ in $(seq "$repeats"); do
  ours_times+=("$(seconds ours)")
  peer_times+=("$(seconds peer)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ours_median=$(median "${ours_times[@]}")
peer_median=$(median "${peer_times[@]}")
ours_size=$("$bin/frames" import "$scratch/M.npy" --name M | wc -c)
peer_size=$(zstd -q -T0 -3 -c "$scratch/M.npy" | wc -c)
awk -v b="$bytes" -v o="$ours_median" -v p="$peer_median" -v os="$ours_size" -v ps="$peer_size" -v n="$repeats" 'BEGIN {
  printf "input: %.0f MiB float64 random normal, %d runs each, medians\n", b/1048576, n
  printf "%-44s %8.2f s %8.0f MiB/s  size %.3f of input\n", "frames import | frames verify", o, b/1048576/o, os/b
  printf "%-44s %8.2f s %8.0f MiB/s  size %.3f of input\n", "zstd -T0 -3 -c | zstd -dc", p, b/1048576/p, ps/b
  printf "throughput ours/zstd: %.2fx (target >= 0.80)\n", p/o
}'
