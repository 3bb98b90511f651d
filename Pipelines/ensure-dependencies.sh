#!/usr/bin/env bash
# Installs what the toolkit needs and a fresh machine lacks: OpenBLAS, zstd and zlib (.npz)
# development packages (apt), the zstd CLI, gnuplot, GNU parallel and jq (the reproduction pipelines'
# figures, sweeps and JSON), GNU time (peak memory in the hostile-stream tests),
# numpy/scipy/zstandard/pytest, cvxpy for the oracle and pandas for flatframes.read_report (pip),
# and this checkout's Python package, flatframes (Pipelines/python), in editable mode, so that
# `import flatframes` in any script or stage is this checkout's.
# With --tests (the test runner and CI) also the OpenSSH client and server, for the test that
# runs a sweep on two ssh servers of its own; the server is not installed otherwise, since its
# package starts a system sshd on machines that run services.
# Quiet and quick when everything is already there; the main job and the test runner call it first.
set -euo pipefail

tests=0
case ${1:-} in
  --tests) tests=1 ;;
  "") ;;
  *) echo "ensure-dependencies.sh: unknown argument '$1' (only --tests)" >&2; exit 64 ;;
esac

missing_apt=()
pkg-config --exists openblas 2>/dev/null || missing_apt+=(libopenblas-dev)
pkg-config --exists libzstd 2>/dev/null || missing_apt+=(libzstd-dev)
pkg-config --exists zlib 2>/dev/null || missing_apt+=(zlib1g-dev)
command -v pkg-config >/dev/null || missing_apt+=(pkg-config)
command -v zstd >/dev/null || missing_apt+=(zstd)
command -v gnuplot >/dev/null || missing_apt+=(gnuplot-nox)
command -v parallel >/dev/null || missing_apt+=(parallel)
command -v jq >/dev/null || missing_apt+=(jq)
[ -x /usr/bin/time ] || missing_apt+=(time)
if [ "$tests" = 1 ]; then
  { command -v ssh && command -v ssh-keygen; } >/dev/null || missing_apt+=(openssh-client)
  [ -x /usr/sbin/sshd ] || command -v sshd >/dev/null || missing_apt+=(openssh-server)
fi
if [ ${#missing_apt[@]} -gt 0 ]; then
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  echo "installing ${missing_apt[*]} (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi

missing_pip=()
for module in numpy scipy zstandard pytest cvxpy pandas; do
  python3 -c "import $module" 2>/dev/null || missing_pip+=("$module")
done
if [ ${#missing_pip[@]} -gt 0 ]; then
  echo "installing ${missing_pip[*]} (pip)" >&2
  python3 -m pip install -q --disable-pip-version-check "${missing_pip[@]}"
fi

# Checked from / without PYTHONPATH, so that only an installed flatframes counts.
package=$(cd "$(dirname "$0")/python" && pwd -P)
if ! (cd / && env -u PYTHONPATH python3 -c '
import os, sys, flatframes
sys.exit(os.path.dirname(os.path.realpath(flatframes.__file__)) != os.path.join(sys.argv[1], "flatframes"))
' "$package") 2>/dev/null; then
  echo "installing flatframes from $package (pip, editable)" >&2
  python3 -m pip install -q --disable-pip-version-check -e "$package"
fi
