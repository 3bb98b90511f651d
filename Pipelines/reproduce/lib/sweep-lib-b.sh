# Shared by Pipelines/reproduce/{robust-pca,quadratic,noisy-sensing,depth}.sh (source it, do not
# run it). A sweep is two GNU parallel passes over a scratch folder:
#
#   1. instances: repro_instance KEY 'generate-ground-truth … | sample-measurements … [| corrupt-sparse …]'
#      queues one instance (made once, shared by every method);
#   2. solves:    repro_solve_job MODEL X TRIAL LABEL KEY -- SOLVE-FLAT-ARGS…
#      queues `solve-flat ARGS < KEY.frames | evaluate --format json`, whose JSON line is
#      extended with model, sweep (X), trial, label and exit_status (solve-flat's status:
#      0 converged, 3 written but not converged, 1 error, 124 killed by REPRO_TIMEOUT).
#   repro_run runs both passes on --jobs cores and leaves every trial's line in $REPRO_JSONL;
#   aggregate_b.py turns that into DIR/NAME.csv, DIR/NAME-summary.csv, DIR/NAME.png and a table.
#
# Options every script accepts (repro_parse_args):
#   --small      CI setting (the script picks tiny sizes; runs in seconds)
#   --out DIR    output folder (default Pipelines/results/NAME/)
#   --jobs N     GNU parallel -j (default: all local cores)
# Env: FLATMIN_BIN (default: the repo's .build/release, built when missing),
#      REPRO_TIMEOUT (seconds per solve, default 300), REPRO_KEEP=1 keeps the scratch folder.

repro_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

repro_usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

repro_parse_args() {  # NAME "$@"
  REPRO_NAME=$1; shift
  SMALL=0; OUT=""; JOBS=$(nproc 2>/dev/null || echo 2)
  while [ $# -gt 0 ]; do
    case $1 in
      --small) SMALL=1 ;;
      --out) OUT=${2:?--out needs a folder}; shift ;;
      --out=*) OUT=${1#--out=} ;;
      --jobs|-j) JOBS=${2:?--jobs needs a number}; shift ;;
      --jobs=*) JOBS=${1#--jobs=} ;;
      -h|--help) repro_usage; exit 0 ;;
      *) echo "$REPRO_NAME.sh: unknown option '$1' (try --help)" >&2; exit 64 ;;
    esac
    shift
  done
  OUT=${OUT:-$repro_root/Pipelines/results/$REPRO_NAME}
  mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
}

repro_setup() {
  source "$repro_root/Pipelines/lib/tools.sh"
  flatmin_tools
  [ -x "$FLATMIN_BIN/solve-flat" ] || { echo "$REPRO_NAME.sh: no solve-flat in $FLATMIN_BIN" >&2; exit 1; }
  REPRO_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/repro-$REPRO_NAME.XXXXXX")
  if [ "${REPRO_KEEP:-0}" = 1 ]; then echo "scratch: $REPRO_SCRATCH" >&2
  else trap 'rm -rf "$REPRO_SCRATCH"' EXIT; fi
  export REPRO_SCRATCH REPRO_TIMEOUT=${REPRO_TIMEOUT:-300}
  REPRO_JSONL=$OUT/$REPRO_NAME.jsonl
  : > "$REPRO_SCRATCH/instances.jobs"; : > "$REPRO_SCRATCH/solves.jobs"
  REPRO_T0=$(date +%s%N)
}

repro_instance() {  # KEY PIPELINE
  printf '%s\t%s\n' "$1" "$2" >> "$REPRO_SCRATCH/instances.jobs"
}

repro_solve_job() {  # MODEL X TRIAL LABEL KEY -- ARGS…
  local model=$1 x=$2 trial=$3 label=$4 key=$5; shift 5; [ "${1:-}" = "--" ] && shift
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$model" "$x" "$trial" "$label" "$key" "$*" >> "$REPRO_SCRATCH/solves.jobs"
}

# One instance: runs PIPELINE into KEY.frames (all-or-nothing).
repro_make_instance() {
  local key=$1 cmd=$2
  bash -o pipefail -c "$cmd" > "$REPRO_SCRATCH/$key.frames.part" \
    && mv "$REPRO_SCRATCH/$key.frames.part" "$REPRO_SCRATCH/$key.frames" \
    || { echo "instance $key failed: $cmd" >&2; rm -f "$REPRO_SCRATCH/$key.frames.part"; }
}

# One trial: prints one JSON line (evaluate's report plus the sweep's fields).
repro_run_solve() {
  local model=$1 x=$2 trial=$3 label=$4 key=$5 args=$6 report rc
  local extra
  report=$( set +o pipefail
            # shellcheck disable=SC2086
            timeout "$REPRO_TIMEOUT" solve-flat --quiet $args < "$REPRO_SCRATCH/$key.frames" 2> "$REPRO_SCRATCH/$key-$label.err" \
              | evaluate --format json 2>/dev/null
            echo "rc=${PIPESTATUS[0]}" )
  rc=${report##*rc=}; report=${report%rc=*}; report=$(printf '%s' "$report" | head -n 1)
  [ -f "$REPRO_SCRATCH/$key.frames" ] || rc=-1
  [ -n "$report" ] || report='{}'
  extra=$(jq -cn --arg model "$model" --arg x "$x" --argjson trial "$trial" --arg lbl "$label" \
               --argjson rc "$rc" --arg args "$args" \
               '{"model": $model, "sweep": ($x | tonumber? // $x), "trial": $trial, "label": $lbl, "exit_status": $rc, "solve_args": $args}')
  printf '%s\n' "$report" | jq -c --argjson extra "$extra" '$extra + .'
}
export -f repro_make_instance repro_run_solve

repro_run() {
  local n_inst n_solve
  n_inst=$(wc -l < "$REPRO_SCRATCH/instances.jobs"); n_solve=$(wc -l < "$REPRO_SCRATCH/solves.jobs")
  echo "$REPRO_NAME: $n_inst instances, $n_solve solves on $JOBS jobs" >&2
  parallel -j "$JOBS" --colsep '\t' repro_make_instance {1} {2} < "$REPRO_SCRATCH/instances.jobs"
  # Longest-looking jobs (gradient methods) first keeps both cores busy to the end.
  { grep -P '\t(gd|sam|label)' "$REPRO_SCRATCH/solves.jobs" || true
    grep -vP '\t(gd|sam|label)' "$REPRO_SCRATCH/solves.jobs" || true; } \
    | parallel -j "$JOBS" --colsep '\t' --keep-order repro_run_solve {1} {2} {3} {4} {5} {6} > "$REPRO_JSONL"
}

repro_finish() {  # aggregate_b.py options…
  local t1 wall
  t1=$(date +%s%N); wall=$(awk -v d=$((t1 - REPRO_T0)) 'BEGIN {printf "%.1f", d/1e9}')
  python3 "$repro_root/Pipelines/reproduce/lib/aggregate_b.py" --name "$REPRO_NAME" --out "$OUT" \
    --jsonl "$REPRO_JSONL" --wall "$wall" \
    --labels "$(cut -f4 "$REPRO_SCRATCH/solves.jobs" | awk '!seen[$0]++' | paste -sd,)" "$@"
  echo "$REPRO_NAME: wall time ${wall} s on $JOBS jobs; results in $OUT" >&2
}
