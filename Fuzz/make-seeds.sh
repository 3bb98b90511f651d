#!/usr/bin/env bash
# Rebuilds the seed corpora in Fuzz/Corpus/<target> from small streams the tools write (every
# operator family, noise, holdout, outliers, solved streams), frames numpy writes (row-major,
# every dtype), the .npy and CSV files `frames export` writes, and the conformance corpus's
# valid streams (Tests/Corpus/valid) when there is one. Each seed is a few
# kilobytes at most, so libFuzzer's default input length covers it.
#
#   Fuzz/make-seeds.sh [bin-dir]     (default: .build-rel/release, as `swift build -c release --build-path .build-rel`)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(cd "${1:-.build-rel/release}" && pwd)
corpus=Fuzz/Corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

g() { "$bin/generate-ground-truth" "$@"; }
s() { "$bin/sample-measurements" "$@"; }

# Streams: a ground truth of each kind, measurements of each family, outliers, answers.
g --d1 4 --d2 3 --rank 1 --seed 1 > "$work/truth-gaussian.frames"
g --d1 3 --rank 1 --kind psd --seed 2 > "$work/truth-psd.frames"
g --d1 3 --rank 1 --rank-neg 1 --kind signed --seed 3 > "$work/truth-signed.frames"
g --d1 4 --d2 3 --rank 1 --truth factors --seed 4 > "$work/truth-factors.frames"
s --operator gaussian --oversampling 2 --holdout 3 --seed 5 < "$work/truth-gaussian.frames" > "$work/gaussian.frames"
s --operator bilinear --oversampling 2 --noise 0.01 --seed 6 < "$work/truth-factors.frames" > "$work/bilinear.frames"
s --operator completion --p 0.6 --seed 7 < "$work/truth-gaussian.frames" > "$work/completion.frames"
s --operator quadratic --oversampling 2 --seed 8 < "$work/truth-signed.frames" > "$work/quadratic.frames"
s --operator identity --seed 9 < "$work/truth-gaussian.frames" > "$work/identity.frames"
"$bin/corrupt-sparse" --count 2 --seed 10 < "$work/identity.frames" > "$work/identity-outliers.frames"
"$bin/corrupt-sparse" --count 1 --seed 11 < "$work/identity-outliers.frames" > "$work/identity-outliers-twice.frames"
"$bin/corrupt-sparse" --count 2 --per-line 1 --distribution gaussian --seed 12 < "$work/identity.frames" > "$work/identity-per-line.frames"
"$bin/solve-flat" --quiet < "$work/gaussian.frames" > "$work/gaussian-solved.frames"
"$bin/solve-flat" --quiet < "$work/completion.frames" > "$work/completion-solved.frames"
"$bin/solve-flat" --quiet --oracle-budget < "$work/identity-outliers.frames" > "$work/identity-solved.frames" || true
"$bin/solve-flat" --quiet --method least-norm < "$work/quadratic.frames" > "$work/quadratic-solved.frames" || true
"$bin/solve-flat" --quiet --estimate dense < "$work/bilinear.frames" > "$work/bilinear-solved.frames" || true

# Frames numpy writes: C order, every dtype, a scalar, an empty array, a 3-D array.
python3 - "$work/numpy.frames" <<'PY'
import sys
import numpy as np
sys.path.insert(0, "Pipelines")
import flatframes
with open(sys.argv[1], "wb") as out:
    flatframes.write_frame(out, "rowmajor", np.arange(6, dtype=np.float64).reshape(2, 3), {"note": [1, 2.5, None, True]})
    flatframes.write_frame(out, "float32", np.array([[1.5, np.nan], [-np.inf, 0.0]], dtype=np.float32))
    flatframes.write_frame(out, "int32", np.array([-1, 2, 3], dtype=np.int32))
    flatframes.write_frame(out, "int64", np.array([[7], [8]], dtype=np.int64))
    flatframes.write_frame(out, "uint8", np.array([0, 255], dtype=np.uint8))
    flatframes.write_frame(out, "scalar", np.float64(2.0))
    flatframes.write_frame(out, "empty", np.zeros((0, 3)))
    flatframes.write_frame(out, "cube", np.arange(8, dtype=np.float64).reshape(2, 2, 2), {"columns": ["a", "b"]})
PY

rm -rf "$corpus"
mkdir -p "$corpus"/{frame-reader,frames-tool,frames-import,measurements,corrupt-sparse,evaluate}
for stream in "$work"/*.frames; do
  base=$(basename "$stream" .frames)
  cp "$stream" "$corpus/frame-reader/$base"
  cp "$stream" "$corpus/frames-tool/$base"
  case $base in truth-*|numpy) ;; *)
    cp "$stream" "$corpus/measurements/$base"
    cp "$stream" "$corpus/evaluate/$base"
    # corrupt-sparse reads its options from the first byte (see Fuzz/Targets/corrupt-sparse.swift).
    { printf '\x21'; cat "$stream"; } > "$corpus/corrupt-sparse/$base-count2"
    { printf '\x46'; cat "$stream"; } > "$corpus/corrupt-sparse/$base-fraction-per-line" ;;
  esac
done
cp "$work/truth-gaussian.frames" "$corpus/evaluate/truth-gaussian"
# The conformance corpus's valid streams, when the checkout has it, seed the stream readers too.
if [ -d Tests/Corpus/valid ]; then
  for stream in Tests/Corpus/valid/*; do
    [ -f "$stream" ] && [ "$(wc -c < "$stream")" -le 16384 ] || continue
    cp "$stream" "$corpus/frame-reader/conformance-$(basename "$stream")"
    cp "$stream" "$corpus/frames-tool/conformance-$(basename "$stream")"
  done
fi

# frames-import: a first byte choosing the format (even: .npy; odd: CSV of dtype
# DType.allCases[byte / 2 % 5]), then the file.
for name in rowmajor float32 int32 int64 uint8 scalar empty cube; do
  "$bin/frames" export "$name" --npy "$work/$name.npy" < "$work/numpy.frames"
  { printf '\x00'; cat "$work/$name.npy"; } > "$corpus/frames-import/npy-$name"
done
"$bin/frames" export truth --npy "$work/truth.npy" < "$work/truth-gaussian.frames"
{ printf '\x00'; cat "$work/truth.npy"; } > "$corpus/frames-import/npy-truth"
"$bin/frames" export truth --csv "$work/truth.csv" < "$work/truth-gaussian.frames"
{ printf '\x01'; cat "$work/truth.csv"; } > "$corpus/frames-import/csv-float64"
{ printf '\x05'; printf 'a,b\n1,2\n-3,4\n'; } > "$corpus/frames-import/csv-int64-named"
{ printf '\x03'; printf '1, NaN\r\n-Inf,"2.5"\n\n'; } > "$corpus/frames-import/csv-float32"
{ printf '\x09'; printf '255\n0\n'; } > "$corpus/frames-import/csv-uint8"
du -sh "$corpus"; for d in "$corpus"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds, largest $(wc -c "$d"/* | sort -n | tail -2 | head -1 | awk '{print $1}') bytes"; done
