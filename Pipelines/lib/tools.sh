# Sourced by the pipeline scripts: makes sure the machine has what they need and puts the
# toolkit's executables on PATH. FLATMIN_BIN, a folder holding built tools, is used as it
# is; without it this checkout is built in release mode (quick when nothing changed).
flatmin_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

flatmin_tools() {
  "$flatmin_repo/Pipelines/ensure-dependencies.sh"
  if [ -z "${FLATMIN_BIN:-}" ]; then
    (cd "$flatmin_repo" && swift build -c release >&2)
    FLATMIN_BIN=$(cd "$flatmin_repo" && swift build -c release --show-bin-path)
  fi
  export FLATMIN_BIN PATH="$FLATMIN_BIN:$PATH"
}

# solve-flat, where exit status 3 (an answer written but not certified) counts as done: the
# scripts go on and evaluate reports how good the answer is.
flatmin_solve() { solve-flat "$@" || [ $? -eq 3 ]; }
