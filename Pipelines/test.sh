#!/usr/bin/env bash
# The project's tests: the Swift unit suites, then the Python suites that drive the built
# tools (interoperability with numpy and the zstd CLI, command-line behaviour, pipelines).
set -euo pipefail
cd "$(dirname "$0")/.."
Pipelines/ensure-dependencies.sh --tests

swift build
swift test
FLATMIN_BIN="$(swift build --show-bin-path)" python3 -m pytest -q Pipelines/tests
