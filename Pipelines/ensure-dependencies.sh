#!/usr/bin/env bash
# Installs what the toolkit needs and a fresh machine lacks: OpenBLAS and zstd development
# packages (apt), the zstd CLI, gnuplot, GNU parallel and jq (the reproduction pipelines'
# figures, sweeps and JSON), GNU time (peak memory in the hostile-stream tests), and
# numpy/scipy/zstandard/pytest plus cvxpy for the oracle (pip).
# Quiet and quick when everything is already there; the main job and the test runner call it first.
set -euo pipefail

missing_apt=()
pkg-config --exists openblas 2>/dev/null || missing_apt+=(libopenblas-dev)
pkg-config --exists libzstd 2>/dev/null || missing_apt+=(libzstd-dev)
command -v pkg-config >/dev/null || missing_apt+=(pkg-config)
command -v zstd >/dev/null || missing_apt+=(zstd)
command -v gnuplot >/dev/null || missing_apt+=(gnuplot-nox)
command -v parallel >/dev/null || missing_apt+=(parallel)
command -v jq >/dev/null || missing_apt+=(jq)
[ -x /usr/bin/time ] || missing_apt+=(time)
if [ ${#missing_apt[@]} -gt 0 ]; then
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  echo "installing ${missing_apt[*]} (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi

missing_pip=()
for module in numpy scipy zstandard pytest cvxpy; do
  python3 -c "import $module" 2>/dev/null || missing_pip+=("$module")
done
if [ ${#missing_pip[@]} -gt 0 ]; then
  echo "installing ${missing_pip[*]} (pip)" >&2
  python3 -m pip install -q --disable-pip-version-check "${missing_pip[@]}"
fi
