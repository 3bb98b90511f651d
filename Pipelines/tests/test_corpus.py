"""flatframes against the stream corpus (Tests/Corpus): every stream the Swift tools write reads
back bit for bit, and Python writes it back as the Swift tools wrote it.

The truths are independent of flatframes: the manifest (headers from `frames ls --json`,
payloads decompressed by the zstd CLI and split by numpy, see Tests/Corpus/make-corpus.sh),
python-zstandard's plain decompression of the original bytes, and the Swift `frames` tool
reading what Python wrote.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import zstandard

import flatframes
from conftest import BIN, REPO

CORPUS = REPO / "Tests" / "Corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())
STREAMS = {entry["file"]: entry for entry in MANIFEST["streams"]}
VALID = [name for name, entry in STREAMS.items() if entry["valid"]]
FRAMES_CLI = BIN / "frames"

requires_swift_cli = pytest.mark.skipif(not FRAMES_CLI.exists(),
                                        reason=f"{FRAMES_CLI} is not built (swift build, or set FLATMIN_BIN)")


def same_json(a, b) -> bool:
    """Equal as JSON values *and* of the same types: 1 is not 1.0, True is not 1."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return math.copysign(1, a) == math.copysign(1, b) and (a == b or (math.isnan(a) and math.isnan(b)))
    return a == b


def storage_bytes(frame: flatframes.Frame) -> bytes:
    """The array's data in the frame's storage order, as the payload holds it."""
    return frame.array.tobytes(order="F" if frame.order == "F" else "C")


def raw_parts(data: bytes) -> list[tuple[bytes, bytes]]:
    """(header JSON, decompressed .npy payload) of each frame, split by hand as FORMAT.md says
    and decompressed by python-zstandard, not by flatframes' reader."""
    parts = []
    while data:
        length = int.from_bytes(data[4:8], "little")
        header = data[8 : 8 + length]
        decompressor = zstandard.ZstdDecompressor().decompressobj()  # stops at the frame's end
        payload = decompressor.decompress(data[8 + length :])
        parts.append((header, payload))
        data = decompressor.unused_data
    return parts


def frames_cli(*arguments) -> bytes:
    result = subprocess.run([FRAMES_CLI, *map(str, arguments)], capture_output=True)
    assert result.returncode == 0, f"frames {' '.join(map(str, arguments))}: {result.stderr.decode()}"
    return result.stdout


def listing(path: Path) -> list[dict]:
    """`frames ls --json`, without what depends on the compressor (compressed_bytes)."""
    entries = [json.loads(line) for line in frames_cli("ls", "--json", path).splitlines()]
    return [{key: value for key, value in entry.items() if key != "compressed_bytes"} for entry in entries]


def exports(tmp_path: Path, path: Path, names) -> dict[str, bytes]:
    """What `frames export NAME --npy` writes for each name (the last frame of that name)."""
    result = {}
    for name in names:
        target = tmp_path / f"{path.stem}-{name}.npy"
        frames_cli("export", name, path, "--npy", target)
        result[name] = target.read_bytes()
    return result


# MARK: - The corpus itself


def test_corpus_covers_every_dtype_order_rank_and_layout_the_tools_write():
    frames = [frame for name in VALID for frame in STREAMS[name]["frames"]]
    assert {frame["dtype"] for frame in frames} == set(flatframes.DTYPES)
    assert {len(frame["shape"]) for frame in frames} >= {0, 1, 2, 3, 8}
    layouts = {(frame["order"], flatframes.is_layout_ambiguous(frame["shape"]), len(frame["shape"]) > 1)
               for frame in frames}
    assert layouts >= {("F", False, True), ("C", False, True), ("F", True, True), ("C", True, True)}
    assert any(0 in frame["shape"] for frame in frames)
    assert any(frame["npy_bytes"] >= flatframes.frames.MULTITHREADING_THRESHOLD for frame in frames)
    names = {frame["name"] for frame in frames}
    assert names >= {"truth", "truth_left", "truth_right", "entries", "observations", "sensing", "sensing_left",
                     "sensing_right", "features", "holdout_observations", "outliers_support", "outliers_values",
                     "estimate", "estimate_left", "estimate_right"}
    assert any(not STREAMS[name]["frames"] for name in VALID)  # the empty stream
    assert any(len({f["name"] for f in STREAMS[name]["frames"]}) < len(STREAMS[name]["frames"]) for name in VALID)
    # Factors-only truth: a stream with truth_left but no truth.
    assert any({"truth_left"} <= {f["name"] for f in STREAMS[name]["frames"]}
               and "truth" not in {f["name"] for f in STREAMS[name]["frames"]} for name in VALID)
    for name in STREAMS:
        assert (CORPUS / name).exists(), name
    assert sorted(str(path.relative_to(CORPUS)) for path in (CORPUS / "valid").iterdir()) == sorted(VALID)


# MARK: - Swift wrote, Python reads


@pytest.mark.parametrize("name", VALID)
def test_python_reads_every_frame_bit_for_bit_with_its_header_and_attributes(name):
    expected = STREAMS[name]["frames"]
    frames = list(flatframes.read_frames(CORPUS / name))
    assert [frame.name for frame in frames] == [entry["name"] for entry in expected]
    for frame, entry in zip(frames, expected):
        assert frame.array.dtype == flatframes.DTYPES[entry["dtype"]], entry["name"]
        assert list(frame.array.shape) == entry["shape"] and frame.order == entry["order"], entry["name"]
        assert frame.header["npy_bytes"] == entry["npy_bytes"]
        assert hashlib.sha256(storage_bytes(frame)).hexdigest() == entry["data_sha256"], entry["name"]
        assert same_json(frame.attributes, entry["attributes"]), entry["name"]
        if len(entry["shape"]) > 1 and not flatframes.is_layout_ambiguous(entry["shape"]):
            assert frame.array.flags["F_CONTIGUOUS" if entry["order"] == "F" else "C_CONTIGUOUS"]


@pytest.mark.parametrize("name", VALID)
def test_every_source_kind_reads_the_same_frames(name, monkeypatch):
    path = CORPUS / name
    data = path.read_bytes()
    expected = [(frame.name, storage_bytes(frame)) for frame in flatframes.read_frames(path)]
    with open(path, "rb") as file:
        from_file = [(frame.name, storage_bytes(frame)) for frame in flatframes.read_frames(file)]
    with open(path, "r") as text:  # a text stdin, read through its buffer
        monkeypatch.setattr("sys.stdin", text)
        from_stdin = [(frame.name, storage_bytes(frame)) for frame in flatframes.read_frames("-")]
    assert from_file == from_stdin == expected
    assert [(frame.name, storage_bytes(frame)) for frame in flatframes.read_frames(str(path))] == expected
    assert [(frame.name, storage_bytes(frame)) for frame in flatframes.read_frames(memoryview(data))] == expected


def test_load_keeps_the_last_frame_of_each_name_as_evaluate_does():
    entry = STREAMS["valid/concatenated.frames"]
    stream = flatframes.load(CORPUS / "valid/concatenated.frames")
    last = {frame["name"]: frame for frame in entry["frames"]}
    assert list(stream) == list(dict.fromkeys(frame["name"] for frame in entry["frames"]))
    for name, frame in last.items():
        assert list(stream[name].shape) == frame["shape"]
        assert same_json(stream.attributes[name], frame["attributes"])


# MARK: - Python writes back, Swift reads


@pytest.mark.parametrize("name", VALID)
def test_python_rewrites_each_stream_with_the_swift_writers_headers_and_payloads(name):
    original = (CORPUS / name).read_bytes()
    rewritten = flatframes.to_bytes(flatframes.read_frames(original))
    assert raw_parts(rewritten) == raw_parts(original)


@pytest.mark.parametrize("name", [name for name in VALID
                                  if len({f["name"] for f in STREAMS[name]["frames"]}) == len(STREAMS[name]["frames"])])
def test_load_then_save_gives_the_same_frames(name, tmp_path):
    target = tmp_path / "saved.frames"
    flatframes.save(target, flatframes.load(CORPUS / name))
    assert raw_parts(target.read_bytes()) == raw_parts((CORPUS / name).read_bytes())


@requires_swift_cli
@pytest.mark.parametrize("name", VALID)
def test_swift_reads_what_python_wrote_as_it_reads_the_original(name, tmp_path):
    original = CORPUS / name
    rewritten = tmp_path / "python.frames"
    flatframes.write_frames(rewritten, flatframes.read_frames(original))
    frames_cli("verify", "--quiet", rewritten)
    assert listing(rewritten) == listing(original)
    last = {frame["name"]: frame for frame in STREAMS[name]["frames"]}  # every tool takes the last of a name
    exported = exports(tmp_path, rewritten, last)
    assert exported == exports(tmp_path, original, last)
    for frame_name, frame in last.items():
        assert hashlib.sha256(exported[frame_name]).hexdigest() == frame["npy_sha256"], frame_name


@requires_swift_cli
def test_attribute_values_python_writes_are_the_values_swift_reads(tmp_path):
    attributes = {
        "int_max": 2**63 - 1, "int_min": -(2**63), "beyond_double": 2**53 + 1, "zero": 0,
        "floats": [0.1, 1e-10, 1e20, 2.5e-5, 5e-324, 1.7976931348623157e308, 0.30000000000000004,
                   1234567890123456.5, -1.5, 1e300],
        "text": "σ² → ∞ / \"quoted\" \\ tab\there\nnewline \x01 \x7f \u2028 😀",
        "nested": {"a": [1, 2.5, None, True, False, {}, []], "b": {"c": "d"}},
        "ünïcode_key": 1, "Zebra": 2, "apple": 3,
        "non_finite": [float("nan"), float("inf"), float("-inf")],
    }
    path = tmp_path / "attributes.frames"
    flatframes.save(path, {"x": np.zeros(2)}, attributes={"x": attributes})
    (entry,) = listing(path)
    expected = {**attributes, "non_finite": ["nan", "inf", "-inf"]}  # FORMAT.md §2's spelling
    assert same_json(entry["attributes"], expected)
    # Swift re-encodes what it read (frames ls) into the bytes Python wrote.
    header = raw_parts(path.read_bytes())[0][0]
    swift_json = frames_cli("ls", "--json", path).splitlines()[0]
    assert flatframes.canonical_json(json.loads(swift_json)["attributes"]) in header
