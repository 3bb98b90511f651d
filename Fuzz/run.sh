#!/usr/bin/env bash
# Builds the fuzz targets, replays every committed crasher (Fuzz/Regressions/<target>), then
# fuzzes each target from its seed corpus (Fuzz/Corpus/<target>) for an equal share of the
# time, or for a number of executions. Exits non-zero on the first crash, leak, timeout or
# out-of-memory, leaving the input that caused it in .build-fuzz/artifacts/<target>/ and
# libFuzzer's full output in .build-fuzz/logs/<target>.log. New inputs that reach new code go
# to .build-fuzz/corpus/<target>, never into the committed seeds.
#
#   Fuzz/run.sh --seconds 60                 one minute over every target (what CI runs)
#   Fuzz/run.sh --runs 10000000 frame-reader ten million executions of one target
#
# AddressSanitizer runs without its quarantine and with two-frame allocation stacks by default
# (ASAN_OPTIONS=quarantine_size_mb=0:malloc_context_size=2): the readers' 1 MiB buffers make
# the quarantine's unmapping the dominant cost, and recording full stacks the next one (two
# frames is the least with which LeakSanitizer still reports a leak). Overflows are still
# caught by redzones and leaks by LeakSanitizer; a use after free only until the memory is
# reused. Set ASAN_OPTIONS= to replay an artifact with full reports.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
runs=
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(frame-reader frames-tool frames-import measurements corrupt-sparse evaluate)

build=${FUZZ_BUILD:-$PWD/.build-fuzz}
Fuzz/build.sh "${targets[@]}"
export FUZZ_BUILD=$build
# The Swift runtime's backtracer reads the crashed process's stack, which AddressSanitizer
# reports as a bad read of its own and hides the real failure.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS-quarantine_size_mb=0:malloc_context_size=2}

share=$(( seconds / ${#targets[@]} ))
[ "$share" -ge 1 ] || share=1
for target in "${targets[@]}"; do
  binary=$build/bin/$target
  artifacts=$build/artifacts/$target
  log=$build/logs/$target.log
  mkdir -p "$build/corpus/$target" "$artifacts" "$build/logs"
  regressions=()
  if [ -d "Fuzz/Regressions/$target" ]; then
    mapfile -t regressions < <(find "Fuzz/Regressions/$target" -type f | sort)
  fi
  if [ ${#regressions[@]} -gt 0 ] && ! "$binary" "${regressions[@]}" > "$log" 2>&1; then
    echo "fuzz: $target: a committed crasher fails again (see $log)" >&2
    grep -E 'ERROR|Fatal error|Running:' "$log" | tail -5 >&2
    exit 1
  fi
  limit=(-max_total_time="$share")
  [ -z "$runs" ] || limit=(-runs="$runs")
  if ! "$binary" "${limit[@]}" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$build/corpus/$target" "Fuzz/Corpus/$target" > "$log" 2>&1; then
    echo "fuzz: $target: failure, input saved in $artifacts/ (log: $log)" >&2
    grep -E 'ERROR|Fatal error|SUMMARY|Test unit written' "$log" | head -8 >&2
    exit 1
  fi
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  echo "fuzz: $target: $executed executions ($rate/s), $coverage, peak RSS $rss MB, no failure"
done
