# The sweep library of Pipelines/reproduce/*.sh (source it, do not run it). A sweep queues
# instances and solves, runs them on GNU parallel and leaves one JSON record per solve; the
# aggregator (lib/aggregate.py) turns the records into tables, CSVs and a figure.
#
#   source "$(dirname "$0")/lib/sweep.sh"
#   declare -A SWEEP_OPT=([trials]=5)   optional: the script's own options (--trials N), defaults
#   sweep_init NAME "$@"                options below, tools on PATH, a scratch folder; starts
#                                       the sweep NAME (records in OUT/NAME.jsonl)
#   sweep_instance KEY 'PIPELINE'       queues one instance: PIPELINE (generate-ground-truth | …)
#                                       is run once and shared by every solve that names KEY
#   sweep_solve [--group G] KEY X TRIAL LABEL [-- SOLVE-FLAT ARGS…]
#                                       queues `solve-flat --quiet ARGS < KEY | evaluate --format json`
#   sweep_run                           makes the instances, then runs the solves (--jobs at a
#                                       time); writes OUT/NAME.jsonl
#   sweep_aggregate [aggregate.py options…]
#                                       OUT/NAME.csv, NAME-summary.csv, NAME-table.md, NAME.png,
#                                       and the summary table on stdout
#   sweep_begin NAME                    starts another sweep in the same script (new queues)
#
# The record of one solve (JSON Lines, one object per line): the sweep's fields
#   sweep         NAME
#   group         G, when given (a series of its own: the truth's kind, the rank r, …)
#   x             the swept value X (a number when X is one)
#   trial         TRIAL (an integer)
#   label         LABEL, the method as the sweep names it (flat, gd-small, …)
#   exit_status   solve-flat's: 0 converged (certified), 3 an answer written but not
#                 converged, 1 an error, 124 killed after SWEEP_TIMEOUT seconds
#   wall_seconds  the job's wall time (solve and evaluate; with --sshloginfile also the instance)
#   host          where it ran ($HOSTNAME there)
#   solve_args    ARGS; instance: PIPELINE — together they rerun the solve
#   error         the solver's last stderr line when it failed (exit status not 0 or 3), else null
# followed by every key `evaluate --format json` prints (absent when the solver wrote no answer).
#
# Options of every script (sweep_init):
#   --small              the CI setting (the script picks tiny sizes; seconds)
#   --out DIR            results folder (default Pipelines/results/NAME/)
#   --jobs N, -j N       parallel jobs (default: all local cores; with --sshloginfile, N on
#                        every host, by default as many as the host has cores)
#   --sshloginfile FILE  GNU parallel's: run the solves on the hosts listed in FILE, one a line:
#                        `[ncores/]user@host`, `[ncores/]ssh -p PORT -i KEY user@host` (any ssh
#                        command and options, the host last), `:` for this machine. Each job then
#                        makes its instance itself from the pipeline's seeds (the same command
#                        gives the same bytes on every host), solves it, and prints its record on
#                        stdout, which GNU parallel brings back here; the records and tables are
#                        written on this machine only. Every host needs passwordless ssh, bash,
#                        perl (GNU parallel's job wrapper), jq, coreutils and the flatmin tools,
#                        built from the same commit, in the folder --remote-bin names; give
#                        `ncores/` or install GNU parallel there, which counts the host's cores.
#                        Pipelines/tests/test_multihost_sweep.py runs a sweep on two ssh servers.
#   --remote-bin DIR     where the tools are on the hosts of --sshloginfile (default: this
#                        machine's FLATMIN_BIN, i.e. the same path: a shared filesystem or an
#                        identical checkout and build)
#   --KEY VALUE          for every KEY of the script's SWEEP_OPT
# Env: FLATMIN_BIN (prebuilt tools; otherwise Pipelines/lib/tools.sh builds .build/release),
#      SWEEP_TIMEOUT (seconds per solve, default 300), SWEEP_KEEP=1 keeps the scratch folder.

sweep_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
declare -A SWEEP_OPT

sweep_die() { echo "$SWEEP_SCRIPT.sh: $*" >&2; exit 64; }

sweep_usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

sweep_init() {  # NAME "$@"
  SWEEP_SCRIPT=$1; shift
  SMALL=0; OUT=""; JOBS=""; SWEEP_HOSTS=""; SWEEP_REMOTE_BIN=""
  local key value
  while [ $# -gt 0 ]; do
    case $1 in
      --small) SMALL=1; shift; continue ;;
      -h|--help) sweep_usage; exit 0 ;;
      --*=*) key=${1%%=*}; value=${1#*=}; shift ;;
      --*|-j) key=$1; [ "$key" = -j ] && key=--jobs; [ $# -ge 2 ] || sweep_die "$1 needs a value"; value=$2; shift 2 ;;
      *) sweep_die "unexpected argument '$1' (try --help)" ;;
    esac
    case $key in
      --out) OUT=$value ;;
      --jobs) [[ $value =~ ^[1-9][0-9]*$ ]] || sweep_die "--jobs needs a positive integer, not '$value'"
              JOBS=$value ;;
      --sshloginfile) SWEEP_HOSTS=$value ;;
      --remote-bin) SWEEP_REMOTE_BIN=$value ;;
      *) [ -n "${SWEEP_OPT[${key#--}]+set}" ] || sweep_die "unknown option '$key' (try --help)"
         SWEEP_OPT[${key#--}]=$value ;;
    esac
  done
  if [ -n "$SWEEP_HOSTS" ]; then
    [ -r "$SWEEP_HOSTS" ] || sweep_die "cannot read --sshloginfile '$SWEEP_HOSTS'"
    command -v ssh >/dev/null || sweep_die "--sshloginfile needs ssh (openssh-client)"
    JOBS=${JOBS:-100%}   # GNU parallel: as many jobs on each host as it has cores
  else
    [ -z "$SWEEP_REMOTE_BIN" ] || sweep_die "--remote-bin goes with --sshloginfile"
    JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
  fi
  OUT=${OUT:-$sweep_repo/Pipelines/results/$SWEEP_SCRIPT}
  mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)

  source "$sweep_repo/Pipelines/lib/tools.sh"
  flatmin_tools
  [ -x "$FLATMIN_BIN/solve-flat" ] || sweep_die "no solve-flat in $FLATMIN_BIN"
  export SHELL=$(command -v bash)   # GNU parallel runs the exported functions with $SHELL
  SWEEP_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/sweep-$SWEEP_SCRIPT.XXXXXX")
  if [ "${SWEEP_KEEP:-0}" = 1 ]; then echo "scratch: $SWEEP_SCRATCH" >&2
  else trap 'rm -rf "$SWEEP_SCRATCH"' EXIT; fi
  # With remote hosts every job makes its own instance: the scratch folder is only here.
  SWEEP_INLINE=0; [ -z "$SWEEP_HOSTS" ] || SWEEP_INLINE=1
  export SWEEP_SCRATCH SWEEP_INLINE SWEEP_REMOTE_BIN SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-300}
  sweep_begin "$SWEEP_SCRIPT"
}

sweep_begin() {  # NAME
  SWEEP_NAME=$1
  declare -gA SWEEP_PIPELINE=()
  : > "$SWEEP_SCRATCH/$SWEEP_NAME.instances"; : > "$SWEEP_SCRATCH/$SWEEP_NAME.solves"
}

sweep_instance() {  # KEY PIPELINE
  [ $# -eq 2 ] || sweep_die "sweep_instance KEY PIPELINE"
  [[ $1 =~ ^[A-Za-z0-9._=-]+$ ]] || sweep_die "instance key '$1': letters, digits and ._=- only"
  [ -z "${SWEEP_PIPELINE[$1]+set}" ] || sweep_die "instance key '$1' queued twice"
  SWEEP_PIPELINE[$1]=$(printf '%s' "$2" | tr -s ' \n\t' ' ')
  printf '%s\t%s\n' "$1" "${SWEEP_PIPELINE[$1]}" >> "$SWEEP_SCRATCH/$SWEEP_NAME.instances"
}

sweep_solve() {  # [--group G] KEY X TRIAL LABEL [-- ARGS…]
  local group=""
  if [ "${1:-}" = --group ]; then group=$2; shift 2; fi
  [ $# -ge 4 ] || sweep_die "sweep_solve [--group G] KEY X TRIAL LABEL [-- ARGS…]"
  local key=$1 x=$2 trial=$3 label=$4; shift 4; [ "${1:-}" = -- ] && shift
  [ -n "${SWEEP_PIPELINE[$key]+set}" ] || sweep_die "sweep_solve: no instance '$key' queued"
  [[ $trial =~ ^[0-9]+$ ]] || sweep_die "sweep_solve: trial '$trial' is not an integer"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SWEEP_NAME" "$group" "$x" "$trial" "$label" "$key" \
    "${SWEEP_PIPELINE[$key]}" "$*" >> "$SWEEP_SCRATCH/$SWEEP_NAME.solves"
}

# One instance into the scratch folder, all or nothing.
sweep_make_instance() {  # KEY PIPELINE
  PATH="${FLATMIN_BIN:+$FLATMIN_BIN:}$PATH"
  bash -o pipefail -c "$2" > "$SWEEP_SCRATCH/$1.frames.part" && mv "$SWEEP_SCRATCH/$1.frames.part" "$SWEEP_SCRATCH/$1.frames" \
    || { echo "sweep: instance $1 failed: $2" >&2; return 1; }
}

# One solve: prints its record. Runs on whichever host parallel picks, so it needs only bash,
# jq, coreutils and the flatmin tools (on a remote host, PARALLEL_SSHLOGIN is its sshlogin).
sweep_job() {  # NAME GROUP X TRIAL LABEL KEY PIPELINE ARGS
  local name=$1 group=$2 x=$3 trial=$4 label=$5 key=$6 pipeline=$7 args=$8
  local input=$SWEEP_SCRATCH/$key.frames err report status t0 t1 error="" bin=$FLATMIN_BIN
  [ "${PARALLEL_SSHLOGIN:-:}" = : ] || bin=${SWEEP_REMOTE_BIN:-$FLATMIN_BIN}
  [ -x "$bin/solve-flat" ] || { echo "sweep: no solve-flat in $bin on $HOSTNAME (--remote-bin names the tools' folder there)" >&2; return 1; }
  command -v jq >/dev/null || { echo "sweep: no jq on $HOSTNAME" >&2; return 1; }
  PATH="$bin:$PATH"
  err=$(mktemp "${TMPDIR:-/tmp}/sweep-err.XXXXXX")
  t0=$(date +%s%N)
  if [ "$SWEEP_INLINE" = 1 ]; then
    input=$err.frames
    bash -o pipefail -c "$pipeline" > "$input" || { echo "sweep: instance $key failed: $pipeline" >&2; rm -f "$err" "$input"; return 1; }
  fi
  report=$( set +o pipefail
            # shellcheck disable=SC2086
            timeout "$SWEEP_TIMEOUT" solve-flat --quiet --timings $args < "$input" 2> "$err" \
              | evaluate --format json 2>/dev/null | head -n 1
            echo "status=${PIPESTATUS[0]}" )
  t1=$(date +%s%N)
  [ "$SWEEP_INLINE" = 0 ] || rm -f "$input"
  status=${report##*status=}; report=${report%status=*}
  [ "$status" = 0 ] || [ "$status" = 3 ] || error=$(tail -n 1 "$err")
  rm -f "$err"
  [ -n "${report//[[:space:]]/}" ] || report='{}'
  printf '%s\n' "$report" | jq -c --arg sweep "$name" --arg group "$group" --arg x "$x" \
    --argjson trial "$trial" --arg lbl "$label" --argjson status "$status" \
    --argjson wall "$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.3f", d / 1e9}')" --arg host "$HOSTNAME" \
    --arg args "$args" --arg instance "$pipeline" --arg error "$error" \
    '{"sweep": $sweep}
     + (if $group == "" then {} else {"group": ($group | tonumber? // $group)} end)
     + {"x": ($x | tonumber? // $x), "trial": $trial, "label": $lbl, "exit_status": $status,
        "wall_seconds": $wall, "host": $host, "solve_args": $args, "instance": $instance,
        "error": (if $error == "" then null else $error end)}
     + .'
}
export -f sweep_make_instance sweep_job

sweep_run() {
  local instances=$SWEEP_SCRATCH/$SWEEP_NAME.instances solves=$SWEEP_SCRATCH/$SWEEP_NAME.solves
  local hosts=()
  [ -s "$solves" ] || sweep_die "sweep $SWEEP_NAME: no solves queued"
  command -v parallel >/dev/null || sweep_die "GNU parallel is not installed"
  echo "$SWEEP_NAME: $(wc -l < "$instances") instances, $(wc -l < "$solves") solves, --jobs $JOBS${SWEEP_HOSTS:+, hosts from $SWEEP_HOSTS}" >&2
  SWEEP_T0=$(date +%s%N)
  if [ "$SWEEP_INLINE" = 0 ]; then
    parallel -j "$JOBS" --halt now,fail=1 --colsep '\t' sweep_make_instance {1} {2} < "$instances"
  else
    hosts=(--sshloginfile "$SWEEP_HOSTS" --env sweep_job --env FLATMIN_BIN --env SWEEP_REMOTE_BIN
           --env SWEEP_INLINE --env SWEEP_TIMEOUT)
  fi
  # Gradient methods (thousands of steps) first, so that the short solves fill the end and
  # every core stays busy until the last one.
  awk -F '\t' '{ print ($8 ~ /--method (gd|sam|label-noise)/ ? 0 : 1) "\t" NR "\t" $0 }' "$solves" \
    | sort -t $'\t' -k1,1n -k2,2n | cut -f 3- \
    | parallel -j "$JOBS" "${hosts[@]}" --halt now,fail=1 --keep-order --colsep '\t' \
        sweep_job {1} {2} {3} {4} {5} {6} {7} {8} > "$OUT/$SWEEP_NAME.jsonl"
  SWEEP_WALL=$(awk -v d=$(( $(date +%s%N) - SWEEP_T0 )) 'BEGIN {printf "%.1f", d / 1e9}')
}

sweep_aggregate() {  # aggregate.py options…
  local labels
  labels=$(cut -f 5 "$SWEEP_SCRATCH/$SWEEP_NAME.solves" | awk '!seen[$0]++' | paste -sd, -)
  python3 "$sweep_repo/Pipelines/reproduce/lib/aggregate.py" "$OUT/$SWEEP_NAME.jsonl" --out "$OUT" \
    --labels "$labels" "$@"
  echo "$SWEEP_NAME: wall time $SWEEP_WALL s on --jobs $JOBS; results in $OUT"
}
