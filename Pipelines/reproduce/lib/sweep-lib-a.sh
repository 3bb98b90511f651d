# Shared helpers of Pipelines/reproduce/{gaussian-sensing,bilinear-sensing,matrix-completion}.sh
# (sourced, not run). A script sets NAME, defines `make_instance X TRIAL XINDEX OUT` (writes one
# instance stream to OUT) and the arrays X_VALUES and METHODS, then calls, in order:
#   repro_parse_options "$@"   --small / --out DIR / --jobs N; sets SMALL, OUT, JOBS
#   repro_setup                tools on PATH (FLATMIN_BIN, else builds .build/release), scratch
#   repro_sweep                phase 1: one instance per (x, trial); phase 2: every method on
#                              each, all through GNU parallel -j JOBS; raw lines in OUT/NAME.raw
#   repro_aggregate ARGS...    lib/aggregate_a.py: CSV, summary CSV, PNG, table on stdout
#
# Method labels (the same in every script; K = min(d1, d2), the widest factorization, so that
# the solution set is as large as it gets and the implicit bias of each method shows):
#   flat        solve-flat --method flat --rank K              min str over A(LRᵀ) = b
#   min-norm    solve-flat --method min-norm --rank K          min ‖L‖² + ‖R‖² (D1 = D2 = I)
#   gd-small    solve-flat --method gd --init-scale 1e-6 --rank K --tol 1e-4
#   gd-large    solve-flat --method gd --init-scale 1 --step GD_LARGE_STEP --rank K --tol 1e-4
#   sam         solve-flat --method sam --rank K --tol 1e-4    (its default start, 1e-3)
#   least-norm  solve-flat --method least-norm                 A⁺(b), full width
# Every solver gets --seed TRIAL. Exit status 3 (written, not converged) is recorded, not
# fatal; status 1 (e.g. gd diverged) is recorded with empty metrics.

repro_usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

repro_parse_options() {
  SMALL=0; OUT=""; JOBS=$(nproc 2>/dev/null || echo 2)
  while [ $# -gt 0 ]; do
    case $1 in
      --small) SMALL=1 ;;
      --out) OUT=$2; shift ;;
      --out=*) OUT=${1#--out=} ;;
      --jobs|-j) JOBS=$2; shift ;;
      --jobs=*) JOBS=${1#--jobs=} ;;
      -h|--help) repro_usage; exit 0 ;;
      *) echo "$NAME.sh: unknown option '$1' (try --help)" >&2; exit 64 ;;
    esac
    shift
  done
  [ -n "$OUT" ] || OUT=$REPO/Pipelines/results/$NAME
}

repro_setup() {
  source "$REPO/Pipelines/lib/tools.sh"
  flatmin_tools
  [ -x "$FLATMIN_BIN/solve-flat" ] || { echo "$NAME.sh: no solve-flat in $FLATMIN_BIN" >&2; exit 1; }
  export SHELL=$(command -v bash)   # GNU parallel runs the exported functions with $SHELL
  mkdir -p "$OUT"
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/$NAME.XXXXXX")
  trap 'rm -rf "$SCRATCH"' EXIT
  export SCRATCH GD_LARGE_STEP
}

# The solver options of a method label at factor width K.
method_args() {
  local label=$1 k=$2 seed=$3
  case $label in
    flat) echo "--method flat --rank $k" ;;
    min-norm) echo "--method min-norm --rank $k" ;;
    gd-small) echo "--method gd --init-scale 1e-6 --rank $k --tol 1e-4" ;;
    gd-large) echo "--method gd --init-scale 1 --step ${GD_LARGE_STEP:-0.05} --rank $k --tol 1e-4" ;;
    sam) echo "--method sam --rank $k --tol 1e-4" ;;
    least-norm) echo "--method least-norm" ;;
    *) echo "unknown method label $label" >&2; return 1 ;;
  esac | sed "s/\$/ --seed $seed/"
}

# One solve: prints "x<TAB>trial<TAB>label<TAB>exit status<TAB>wall seconds<TAB>the solver's
# last stderr line when it failed (status 1)<TAB>evaluate's JSON".
repro_solve() {
  local x=$1 trial=$2 label=$3 xi=$4 inst=$SCRATCH/instance-$4-$2.frames k status t0 t1 json
  k=$(cat "$SCRATCH/width-$xi-$trial")
  t0=$(date +%s%N)
  set +e
  # shellcheck disable=SC2046
  solve-flat --quiet $(method_args "$label" "$k" "$trial") < "$inst" > "$SCRATCH/solved-$xi-$trial-$label.frames" 2> "$SCRATCH/err-$xi-$trial-$label"
  status=$?
  t1=$(date +%s%N)
  json=null
  if [ $status -eq 0 ] || [ $status -eq 3 ]; then
    json=$(evaluate --format json "$SCRATCH/solved-$xi-$trial-$label.frames") || json=null
  fi
  set -e
  rm -f "$SCRATCH/solved-$xi-$trial-$label.frames"
  local error=""
  if [ $status -ne 0 ] && [ $status -ne 3 ]; then
    error=$(tail -n 1 "$SCRATCH/err-$xi-$trial-$label" | tr '\t' ' ')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$x" "$trial" "$label" "$status" \
    "$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.3f", d/1e9}')" "$error" "$json"
}

repro_instance() {
  local x=$1 trial=$2 xi=$3 out=$SCRATCH/instance-$3-$2.frames
  make_instance "$x" "$trial" "$xi" "$out"
  # K = min(d1, d2) from the truth's shape
  frames ls --json "$out" | python3 -c 'import json, sys
for line in sys.stdin:
    f = json.loads(line)
    if f["name"] == "truth":
        print(min(f["shape"])); break' > "$SCRATCH/width-$xi-$trial"
}

repro_sweep() {
  export -f make_instance repro_instance repro_solve method_args
  local xi trial label
  : > "$SCRATCH/instances"; : > "$SCRATCH/solves"
  for xi in "${!X_VALUES[@]}"; do
    for trial in $(seq 1 "$TRIALS"); do
      printf '%s %s %s\n' "${X_VALUES[$xi]}" "$trial" "$xi" >> "$SCRATCH/instances"
      for label in "${METHODS[@]}"; do
        printf '%s %s %s %s\n' "${X_VALUES[$xi]}" "$trial" "$label" "$xi" >> "$SCRATCH/solves"
      done
    done
  done
  parallel -j "$JOBS" --halt now,fail=1 --colsep ' ' repro_instance {1} {2} {3} :::: "$SCRATCH/instances"
  # Slowest first (sam, gd), so the last jobs are short and both cores stay busy.
  sort -t ' ' -k3,3r "$SCRATCH/solves" > "$SCRATCH/solves.sorted"
  parallel -j "$JOBS" --colsep ' ' repro_solve {1} {2} {3} {4} :::: "$SCRATCH/solves.sorted" \
    | sort -t $'\t' -k1,1g -k3,3 -k2,2n > "$OUT/$NAME.raw"
}

repro_aggregate() {
  python3 "$REPO/Pipelines/reproduce/lib/aggregate_a.py" --name "$NAME" --out "$OUT" "$@" < "$OUT/$NAME.raw"
}
