#!/usr/bin/env bash
# Time and memory of drawing a dense Gaussian sensing instance, next to zstd on as many bytes.
#
#   ours: generate-ground-truth --d1 100 --rank 5 | sample-measurements --operator gaussian --m 5000 -o FILE
#         (5000 × 100 × 100 float64 = 400 MB of operator, drawn, applied, compressed, written)
#   peer: zstd -T0 -3 -c on the same number of random bytes (from a file in the page cache)
# REPEATS runs each, alternating; prints medians, the time ratio (target ours ≤ 2× zstd) and
# the peak resident size of sample-measurements against the operator's size (target ≤ 1.5×).
#
# Usage: Pipelines/bench/sampling-throughput.sh [D=100] [M=5000] [REPEATS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
d=${1:-100}; m=${2:-5000}; repeats=${3:-3}
source "$here/Pipelines/lib/tools.sh"
flatmin_tools
bin=$FLATMIN_BIN
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/sampling-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
operator_bytes=$((m * d * d * 8))
head -c "$operator_bytes" /dev/urandom > "$scratch/random.bin"
"$bin/generate-ground-truth" --d1 "$d" --rank 5 --seed 1 > "$scratch/truth.frames"

seconds() { local t0 t1; t0=$(date +%s%N); "$@"; t1=$(date +%s%N); awk -v d=$((t1 - t0)) 'BEGIN {printf "%.4f", d/1e9}'; }
ours() { "$bin/generate-ground-truth" --d1 "$d" --rank 5 --seed 1 \
           | "$bin/sample-measurements" --operator gaussian --m "$m" --seed 2 -f -o "$scratch/instance.frames"; }
peer() { zstd -q -T0 -3 -c "$scratch/random.bin" > "$scratch/random.zst"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

ours_times=(); peer_times=()
for _ in $(seq "$repeats"); do
  ours_times+=("$(seconds ours)")
  peer_times+=("$(seconds peer)")
done
peak_kib=$(python3 - "$bin/sample-measurements" "$scratch/truth.frames" "$m" <<'PY'
import resource, subprocess, sys
tool, truth, m = sys.argv[1:]
with open(truth, "rb") as source:
    subprocess.run([tool, "--operator", "gaussian", "--m", m, "--seed", "2"], stdin=source,
                   stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
o=$(median "${ours_times[@]}"); p=$(median "${peer_times[@]}")
awk -v o="$o" -v p="$p" -v ob="$operator_bytes" -v pk="$peak_kib" -v n="$repeats" -v d="$d" -v m="$m" \
    -v size="$(stat -c %s "$scratch/instance.frames")" 'BEGIN {
  printf "gaussian sensing d1=d2=%d r=5 m=%d: operator %.0f MB, %d runs each, medians\n", d, m, ob/1e6, n
  printf "%-52s %7.2f s  (file %.0f MB)\n", "generate-ground-truth | sample-measurements -o FILE", o, size/1e6
  printf "%-52s %7.2f s\n", "zstd -T0 -3 -c on as many random bytes", p
  printf "time ours/zstd: %.2fx (target <= 2.00)\n", o/p
  printf "peak RSS of sample-measurements: %.0f MB = %.2fx the operator (target <= 1.50)\n", pk*1024/1e6, pk*1024/ob
}'
