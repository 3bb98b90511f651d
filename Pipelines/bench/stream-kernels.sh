#!/usr/bin/env bash
# The streaming kernels that carry solve-flat's dense passes (Sources/CStreamKernels) against
# OpenBLAS dgemv on the same matrix, and the two memory choices behind them: software prefetch
# and 2 MB pages. Compiles Pipelines/bench/kernels/stream_bench.c with the kernels' own source
# and runs it; every figure is a median over interleaved rounds, so the machine's drift hits
# all variants alike.
#
# Usage: Pipelines/bench/stream-kernels.sh [M=1500] [D=50] [ROUNDS=100]
#        (an M × D² matrix: the operator of Gaussian sensing with m = M, d1 = d2 = D)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
m=${1:-1500}; d=${2:-50}; rounds=${3:-100}
"$here/Pipelines/ensure-dependencies.sh"
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/stream-kernels.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cc=$(command -v clang || command -v cc)
kernels=$here/Sources/CStreamKernels
# The kernels twice: as the solver has them, and without software prefetch under other names.
"$cc" -O2 -I"$kernels/include" -c "$kernels/stream_kernels.c" -o "$scratch/prefetched.o"
"$cc" -O2 -I"$kernels/include" -DSTREAM_PREFETCH_AHEAD=0 -Dstream_multiply=unprefetched_multiply \
  -Dstream_multiply_transposed=unprefetched_multiply_transposed -Dstream_kernels_level=unprefetched_level \
  -Dstream_kernels_set_level=unprefetched_set_level -c "$kernels/stream_kernels.c" -o "$scratch/unprefetched.o"
"$cc" -O2 -I"$kernels/include" $(pkg-config --cflags openblas) "$here/Pipelines/bench/kernels/stream_bench.c" \
  "$scratch/prefetched.o" "$scratch/unprefetched.o" -o "$scratch/stream_bench" $(pkg-config --libs openblas) -lpthread -lm
"$scratch/stream_bench" "$m" "$d" "$rounds"
