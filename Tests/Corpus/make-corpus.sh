#!/usr/bin/env bash
# Remakes Tests/Corpus: small streams written by the Swift tools, one for every shape, dtype,
# order and frame family they write, and manifest.json, what each holds (Tests/Corpus/README.md).
# The manifest is computed without this repository's readers: headers from `frames ls --json`,
# payloads decompressed by the zstd CLI and split into .npy files by numpy's .npy parser.
#
# Usage: Tests/Corpus/make-corpus.sh        env FLATMIN_BIN=DIR to use prebuilt tools
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
source Pipelines/lib/tools.sh
flatmin_tools
corpus=Tests/Corpus
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
rm -rf "$corpus/valid"; mkdir -p "$corpus/valid"
commands=()

# stream NAME COMMAND: runs the pipeline COMMAND (one shell string) in the scratch folder, where
# the files it imports are, into valid/NAME.frames.
stream() {
  (cd "$work" && bash -o pipefail -c "$2") > "$corpus/valid/$1.frames"
  commands+=("$1" "$2")
}

# What generate-ground-truth and sample-measurements write: every operator family.
stream truth-dense 'generate-ground-truth --d1 6 --d2 4 --rank 2 --seed 1'
stream truth-rank1 'generate-ground-truth --d1 5 --d2 3 --rank 1 --seed 2'  # d×1 factors
stream truth-row 'generate-ground-truth --d1 1 --d2 5 --rank 1 --seed 3'  # 1×d, 1×1 and d×1
stream truth-factors 'generate-ground-truth --d1 7 --d2 5 --rank 2 --truth factors --seed 4'
stream truth-orthonormal 'generate-ground-truth --d1 5 --rank 2 --kind orthonormal --condition 10 --normalize spectral --seed 5'
stream completion 'generate-ground-truth --d1 6 --d2 5 --rank 1 --seed 6 | sample-measurements --operator completion --p 0.5 --holdout 4 --seed 7'
stream completion-factors 'generate-ground-truth --d1 8 --d2 6 --rank 2 --truth factors --seed 8 | sample-measurements --operator completion --p 0.6 --seed 9'
stream gaussian-noisy 'generate-ground-truth --d1 4 --d2 3 --rank 1 --seed 10 | sample-measurements --operator gaussian --oversampling 3 --noise 0.01 --holdout 3 --seed 11'
stream bilinear 'generate-ground-truth --d1 4 --d2 3 --rank 1 --seed 12 | sample-measurements --operator bilinear --oversampling 3 --seed 13'
stream quadratic 'generate-ground-truth --d1 4 --rank 1 --kind signed --rank-neg 1 --seed 14 | sample-measurements --operator quadratic --oversampling 3 --seed 15'
stream robust-pca 'generate-ground-truth --d1 6 --d2 5 --rank 1 --seed 16 | sample-measurements --operator identity | corrupt-sparse --fraction 0.1 --seed 17'
stream gaussian-outliers 'generate-ground-truth --d1 4 --rank 1 --seed 18 | sample-measurements --operator gaussian --oversampling 4 --seed 19 | corrupt-sparse --fraction 0.05 --seed 20'
# The solver's answer: estimate, its factors and the solver's attributes (seconds vary by run).
stream solved 'generate-ground-truth --d1 5 --rank 1 --seed 21 | sample-measurements --operator gaussian --oversampling 5 --seed 22 | solve-flat -q'

# What `frames import` writes from .npy files: every dtype, both orders, scalars, empty
# arrays, rank 8, and float bits that are easy to lose. Attributes that exercise JSON.
python3 - "$work" <<'PY'
import sys
import numpy as np

work = sys.argv[1]
rng = np.random.default_rng(23)
nan_payloads = np.array([0x7FF8000000000001, 0xFFF8000000000000, 0x7FF0000000000001], np.uint64).view(np.float64)
specials = np.concatenate([nan_payloads, [np.inf, -np.inf, -0.0, 5e-324, 2.2250738585072014e-308, -1.5,
                                          1.7976931348623157e308, 0.1, 1e-300]])
arrays = {
    "float64_C": specials.reshape(3, 4),
    "float64_F": np.asfortranarray(specials.reshape(3, 4)),
    "float32_C": np.array([np.nan, np.inf, -0.0, 1e-45, 3.4028235e38, 0.1, -2.5, 7.0], np.float32).reshape(2, 4),
    "float32_F_3d": np.asfortranarray(rng.standard_normal((2, 3, 2)).astype(np.float32)),
    "int64_extremes": np.array([-(2**63), 2**63 - 1, 0, -1, 2**53 + 1], np.int64),
    "int32_F": np.asfortranarray(np.array([[-(2**31), 2**31 - 1, 0], [1, -1, 7]], np.int32)),
    "uint8_vector": np.array([0, 1, 127, 128, 255], np.uint8),
    "uint8_C_3d": rng.integers(0, 256, (2, 2, 3), dtype=np.uint8),
    "scalar_float64": np.array(3.25),
    "scalar_int32": np.array(-7, np.int32),
    "empty_vector": np.zeros(0),
    "empty_matrix": np.zeros((0, 3), np.int64),
    "empty_3d": np.zeros((3, 0, 2), np.float32),
    "column_C": np.arange(4.0).reshape(4, 1),
    "row_C": np.arange(4.0).reshape(1, 4),
    "one_by_one": np.array([[2.5]]),
    "rank8_F": np.asfortranarray(np.arange(16.0).reshape(2, 1, 2, 1, 1, 1, 2, 2)),
}
for name, array in arrays.items():
    np.save(f"{work}/{name}.npy", array)
np.save(f"{work}/zeros_big.npy", np.zeros((1100, 1000), order="F"))  # 8.8 MB: multi-threaded
with open(f"{work}/table.csv", "w") as table:
    table.write("row,value,count\n0,1.5,3\n1,-2.25,0\n2,1e-300,-4\n")
PY
imports=
for npy in "$work"/*.npy; do
  name=$(basename "$npy" .npy)
  [ "$name" = zeros_big ] || imports+="frames import $name.npy --name $name; "
done
stream imported "$imports"
stream attributes "frames import scalar_float64.npy --name tricky \
  --attr 'int_max=9223372036854775807' --attr 'int_min=-9223372036854775808' --attr 'beyond_double=9007199254740993' \
  --attr 'floats=[0.1,1e-10,1e+20,2.5e-05,5e-324,1.7976931348623157e+308,0.30000000000000004,1234567890123456.5,-1.5]' \
  --attr 'text=\"σ² → ∞ / \\\"quoted\\\" \\\\ tab\\there\\nnewline \\u0001 \\u007f \\u2028 😀\"' \
  --attr 'nested={\"a\":[1,2.5,null,true,false,{},[]],\"b\":{\"c\":\"d\"}}' --attr 'not_json=plain words' \
  --attr 'ünïcode_key=1' --attr 'Zebra=2' --attr 'apple=3'"
stream csv "frames import table.csv --name table --dtype float32"
stream multithreaded "frames import zeros_big.npy --name zeros_big"
stream empty 'true'
# `cat a b` is a stream too: names that come twice are read in order, the last one counting.
(cd "$corpus" && cat valid/truth-rank1.frames valid/truth-dense.frames > valid/concatenated.frames)
commands+=(concatenated "cat valid/truth-rank1.frames valid/truth-dense.frames")

# The manifest, from the tools' listing, the header bytes read by Python's json module and the
# zstd CLI's decompression; then the hand-made streams (edge/, invalid/) after these.
python3 - "$corpus" "${commands[@]}" <<'PY'
import hashlib
import io
import json
import math
import os
import subprocess
import sys

import numpy as np
import zstandard

sys.path.insert(0, sys.argv[1])
import handmade

corpus, pairs = sys.argv[1], sys.argv[2:]
commands = dict(zip(pairs[::2], pairs[1::2]))


def npy_files(data):
    """The .npy files `zstd -dc` wrote back to back, split with numpy's own header parser,
    each as (whole file, data alone)."""
    source = io.BytesIO(data)
    while source.tell() < len(data):
        start = source.tell()
        version = np.lib.format.read_magic(source)
        shape, _, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)(source)
        data_start = source.tell()
        end = data_start + math.prod(shape) * dtype.itemsize
        yield data[start:end], data[data_start:end]
        source.seek(end)


def header_texts(data):
    """Each frame's header JSON, split by hand as FORMAT.md §1 says; payloads are skipped by
    python-zstandard's decompression, which stops at the end of a zstd frame."""
    while data:
        length = int.from_bytes(data[4:8], "little")
        yield data[8 : 8 + length]
        decompressor = zstandard.ZstdDecompressor().decompressobj()
        decompressor.decompress(data[8 + length :])
        data = decompressor.unused_data


streams = []
for name in commands:
    path = os.path.join(corpus, "valid", f"{name}.frames")
    listing = [json.loads(line) for line in
               subprocess.run(["frames", "ls", "--json", path], capture_output=True, check=True).stdout.splitlines()]
    # (zstd refuses an empty file, which is the empty stream.)
    content = subprocess.run(["zstd", "-dcq", path], capture_output=True, check=True).stdout if os.path.getsize(path) else b""
    payloads = list(npy_files(content))
    with open(path, "rb") as stream:
        headers = [json.loads(text) for text in header_texts(stream.read())]
    assert len(payloads) == len(listing) == len(headers), path
    frames = []
    for entry, header, (npy, array_data) in zip(listing, headers, payloads):
        assert len(npy) == entry["npy_bytes"] == header["npy_bytes"], (path, entry["name"])
        frames.append({key: entry[key] for key in ("name", "dtype", "shape", "order", "npy_bytes")}
                      | {"npy_sha256": hashlib.sha256(npy).hexdigest(),
                         "data_sha256": hashlib.sha256(array_data).hexdigest(), "attributes": header["attributes"],
                         "attributes_json": handmade.canonical(header["attributes"])})
    streams.append({"file": f"valid/{name}.frames", "valid": True, "made_by": commands[name], "frames": frames})
handmade.make()
handmade.write_manifest(streams + handmade.streams)
PY
echo "wrote $(ls "$corpus/valid" | wc -l) streams ($(du -sh "$corpus/valid" | cut -f1)) and $corpus/manifest.json"
