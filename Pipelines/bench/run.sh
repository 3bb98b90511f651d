#!/usr/bin/env bash
# The benchmark suite against the peers (issue 14, item 5): every peer on the same instances as
# solve-flat (the same bytes, made by the toolkit's generators), side by side in one invocation,
# with medians of several runs, each tool's relative error computed the same way (numpy, from
# its answer, against the truth), and each target met or missed with its figure.
#
#   sensing     dense Gaussian d=50 r=3 m=1500 (Pipelines/bench/solver-speed.sh): CVXPY + SCS
#               (target >= 100x), scipy L-BFGS-B (>= 5x), passes >= 0.7x OpenBLAS dgemv
#   rpca        generate-ground-truth | sample-measurements --operator identity | corrupt-sparse
#               (sign outliers, at most twice the mean per row and column): solve-flat
#               --oracle-budget and --method convex --penalized against tensorly's robust_pca
#               (target: >= 3x faster at error <= 1e-8, not worse than tensorly's, exit 0).
#               Default d=500 r=10 5%; --full also 1000 and 2000 (r=10 5%) and 1000 r=20 10%
#   completion  2000x2000 r=10 p=0.05 (--full also 10^4 x 10^4 r=10 p=0.01): solve-flat against
#               fancyimpute SoftImpute and numpy ALS (Pipelines/bench/peers/als_completion.py);
#               time, peak memory, error; targets at 10^4: <= 10 s end to end, peak < 1 GB; at
#               every size a pass over the observed entries >= 0.5x a C gather benchmark
#               (Pipelines/bench/kernels/gather_bench.c) run right after each of our runs
#   frames      frames against the zstd CLI: round trip, compress, decompress (>= 0.8x each)
#               (Pipelines/bench/frames-throughput.sh)
#   scaling     solve-flat's wall time and peak memory against d for each model, log-log slopes;
#               written to the results folder as scaling.md, scaling.json and scaling.png
#
# Installs what the peers need: tensorly (pip, if missing) and, for fancyimpute (which needs
# scikit-learn < 1.6), a virtual environment under $FLATMIN_BENCH_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/flatmin-bench), made once and reused.
#
# Usage: Pipelines/bench/run.sh [--full] [--only sensing,rpca,completion,frames,scaling]
#          [--repeats 3] [--repeat-budget 60] [--time-limit SECONDS] [--softimpute-limit SECONDS]
#          [--rpca D:R:FRACTION,...] [--completion D:R:P,...] [--results DIR|none]
# Env:   FLATMIN_BIN (the tools to measure; without it this checkout is built, release),
#        BENCH_DIR (scratch, default /tmp), FLATMIN_BENCH_CACHE (the peers' virtual environment)
# Writes run.md and run.json (everything printed, every run), scaling.md/.json/.png to
# Pipelines/results/bench/default (or .../full with --full; --results to choose).
# The default mode takes about 10 minutes on the 2-core build machine; --full takes hours.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
command_line="Pipelines/bench/run.sh${*:+ $*}"
for argument in "$@"; do
  case $argument in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;; esac
done
. "$here/Pipelines/lib/tools.sh"
flatmin_tools   # installs the toolkit's dependencies (cvxpy included), FLATMIN_BIN on PATH
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/flatmin-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# tensorly, for the robust PCA peer (the system Python, beside numpy/scipy/cvxpy).
no_tensorly=""
if ! python3 -c "import tensorly" 2>/dev/null; then
  echo "run.sh: installing tensorly (pip)" >&2
  python3 -m pip install -q --disable-pip-version-check tensorly >&2 || no_tensorly="pip install tensorly failed"
fi

# fancyimpute, in a virtual environment of its own: it needs scikit-learn < 1.6.
cache=${FLATMIN_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flatmin-bench}
venv=$cache/venv-fancyimpute
venv_python=""
if ! "$venv/bin/python" -c "import fancyimpute, sklearn, zstandard, scipy" 2>/dev/null; then
  echo "run.sh: making $venv (fancyimpute, scikit-learn<1.6; once)" >&2
  mkdir -p "$cache"
  rm -rf "$venv"
  { python3 -m venv "$venv" \
      && "$venv/bin/python" -m pip install -q --disable-pip-version-check "scikit-learn<1.6" fancyimpute \
           numpy scipy zstandard >&2; } || echo "run.sh: could not make the fancyimpute environment; SoftImpute is left out" >&2
fi
"$venv/bin/python" -c "import fancyimpute" 2>/dev/null && venv_python=$venv/bin/python

# The gather micro-benchmark, compiled here with the machine's C compiler.
gather=""
cc=$(command -v cc || command -v gcc || command -v clang || true)
if [ -n "$cc" ] && "$cc" -O3 -o "$scratch/gather_bench" "$here/Pipelines/bench/kernels/gather_bench.c" -lpthread 2>"$scratch/cc.err"; then
  gather=$scratch/gather_bench
else
  echo "run.sh: no gather benchmark (no C compiler, or it failed: $(cat "$scratch/cc.err" 2>/dev/null))" >&2
fi

BENCH_COMMAND="$command_line" python3 "$here/Pipelines/bench/suite.py" "$@" --scratch "$scratch" \
  --venv-python "$venv_python" --gather-bench "$gather" --no-tensorly "$no_tensorly" --load "$load"
