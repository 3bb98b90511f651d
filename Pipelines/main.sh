#!/usr/bin/env bash
# The main job: builds the tools if needed and runs the longest complete pipeline with
# sensible defaults, printing what it made.
#
# Usage: Pipelines/main.sh            (env FLATMIN_BIN to use prebuilt tools)
set -euo pipefail
cd "$(dirname "$0")/.."
Pipelines/ensure-dependencies.sh
if [ -z "${FLATMIN_BIN:-}" ]; then
  swift build -c release >&2
  FLATMIN_BIN=$(swift build -c release --show-bin-path)
fi
export PATH="$FLATMIN_BIN:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A 200×100 matrix from numpy goes into a frame stream, through a filter, and back out.
python3 -c "import numpy as np; np.save('$work/m.npy', np.random.default_rng(1).standard_normal((200, 100)))"
frames import "$work/m.npy" --name measurements --attr source=numpy \
  | frames import --append "$work/m.npy" --name copy \
  | tee "$work/stream.frames" \
  | frames drop copy \
  | frames verify
frames ls "$work/stream.frames"
frames export measurements --npy "$work/back.npy" -i "$work/stream.frames"
cmp "$work/m.npy" "$work/back.npy" && echo "round trip: numpy → frames → numpy is bit-identical"
