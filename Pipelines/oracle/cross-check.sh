#!/usr/bin/env bash
# The full CVXPY cross-check of solve-flat (Pipelines/oracle/README.md): every model ×
# {flat, convex, min-norm}, 2–3 seeds each, under-sampled instances included, each answer
# compared with an independent CVXPY solve of the same convex program. Prints the table, the
# worst gaps per model × method and the failures; exit status 1 when any verdict fails.
#
# Usage: Pipelines/oracle/cross-check.sh [--json] [--filter TEXT] [--jobs N] [--suite small|full]
#   (options go to cross_check.py; default --jobs 2)
#   env FLATMIN_BIN=DIR  prebuilt tools (default: builds .build/release like Pipelines/main.sh)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/tools.sh"
flatmin_tools
exec python3 "$here/cross_check.py" --bin "$FLATMIN_BIN" --jobs 2 "$@"
