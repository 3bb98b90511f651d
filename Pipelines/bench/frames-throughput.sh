#!/usr/bin/env bash
# Throughput of a frame stream against the stock zstd CLI on the same bytes.
#
# Pushes a float64 matrix of random normals (nearly incompressible, the hard case) through
#   ours:  frames import M.npy --name M | frames verify --quiet
#   peer:  zstd -T0 -3 -c M.npy | zstd -dc > /dev/null
# REPEATS times each, alternating, and prints median seconds, MiB/s and the ratio
# ours/peer in throughput (≥ 0.8 is the project's target). Then each half alone, on the same
# bytes and alternating in the same way:
#   compress:    frames import M.npy --name M > /dev/null   vs  zstd -T0 -3 -c M.npy > /dev/null
#   decompress:  frames export M --npy /dev/null < M.frames vs  zstd -dc M.zst > /dev/null
# (the compressed files made once beforehand and read from the page cache).
# With BENCH_SUMMARY=FILE set, the medians and ratios are also written there as one JSON object
# (Pipelines/bench/run.sh reads it).
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

# A failed run must not pass for a fast one: it stops the whole script (this runs in $(…)).
seconds() {
  local t0 t1; t0=$(date +%s%N)
  "$@" || { echo "frames-throughput.sh: $1 failed" >&2; kill -TERM $$; exit 1; }
  t1=$(date +%s%N); awk -v d=$((t1 - t0)) 'BEGIN {printf "%.4f", d/1e9}'
}
ours() { "$bin/frames" import "$scratch/M.npy" --name M | "$bin/frames" verify --quiet; }
peer() { zstd -q -T0 -3 -c "$scratch/M.npy" | zstd -q -dc > /dev/null; }
ours_compress() { "$bin/frames" import "$scratch/M.npy" --name M > /dev/null; }
peer_compress() { zstd -q -T0 -3 -c "$scratch/M.npy" > /dev/null; }
ours_decompress() { "$bin/frames" export M --npy /dev/null < "$scratch/M.frames"; }
peer_decompress() { zstd -q -dc "$scratch/M.zst" > /dev/null; }

cat "$scratch/M.npy" > /dev/null  # warm the page cache for both
"$bin/frames" import "$scratch/M.npy" --name M > "$scratch/M.frames"
zstd -q -T0 -3 -c "$scratch/M.npy" > "$scratch/M.zst"
ours_size=$(stat -c %s "$scratch/M.frames")
peer_size=$(stat -c %s "$scratch/M.zst")
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
report() {  # LABEL OURS_LABEL PEER_LABEL OURS PEER: alternating runs, medians, one line each and the ratio
  local label=$1 ours_label=$2 peer_label=$3 ours_run=$4 peer_run=$5 ours_times=() peer_times=() o p
  for _ in $(seq "$repeats"); do
    ours_times+=("$(seconds "$ours_run")")
    peer_times+=("$(seconds "$peer_run")")
  done
  o=$(median "${ours_times[@]}"); p=$(median "${peer_times[@]}")
  awk -v b="$bytes" -v o="$o" -v p="$p" -v os="$ours_size" -v ps="$peer_size" -v ol="$ours_label" -v pl="$peer_label" -v l="$label" 'BEGIN {
    printf "%-44s %8.2f s %8.0f MiB/s  size %.3f of input\n", ol, o, b/1048576/o, os/b
    printf "%-44s %8.2f s %8.0f MiB/s  size %.3f of input\n", pl, p, b/1048576/p, ps/b
    printf "%s throughput ours/zstd: %.2fx (target >= 0.80)\n", l, p/o
  }'
  summary+=("\"$label\": {\"ours_seconds\": $o, \"zstd_seconds\": $p, \"ratio\": $(awk -v o="$o" -v p="$p" 'BEGIN {printf "%.4f", p/o}')}")
}
summary=()
awk -v b="$bytes" -v n="$repeats" 'BEGIN {printf "input: %.0f MiB float64 random normal, %d runs each, medians\n", b/1048576, n}'
report "round trip" "frames import | frames verify" "zstd -T0 -3 -c | zstd -dc" ours peer
report "compress" "frames import > /dev/null" "zstd -T0 -3 -c > /dev/null" ours_compress peer_compress
report "decompress" "frames export --npy /dev/null" "zstd -dc > /dev/null" ours_decompress peer_decompress
if [ -n "${BENCH_SUMMARY:-}" ]; then
  printf '{"bytes": %s, "repeats": %s, "ours_size": %s, "zstd_size": %s, %s}\n' "$bytes" "$repeats" \
    "$ours_size" "$peer_size" "$(IFS=,; echo "${summary[*]}")" > "$BENCH_SUMMARY"
fi
