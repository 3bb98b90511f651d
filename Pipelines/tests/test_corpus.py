"""flatframes against the stream corpus (Tests/Corpus): every stream the Swift tools write reads
back bit for bit, and Python writes it back as the Swift tools wrote it; every hand-made valid
stream reads as the manifest says; every invalid one gets the verdict the manifest gives, the
same one Tests/FramesTests/CorpusTests.swift checks the Swift reader against.

The truths are independent of flatframes: the manifest (headers from `frames ls --json` and
the raw header bytes, payloads decompressed by the zstd CLI and split by numpy, see
Tests/Corpus/make-corpus.sh; hand-made streams and their verdicts written out by
Tests/Corpus/handmade.py), python-zstandard's plain decompression of the original bytes, and
the Swift `frames` tool reading what Python wrote.
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
TOOLS = [name for name in VALID if name.startswith("valid/")]  # written by the Swift tools
EDGE = [name for name in VALID if name.startswith("edge/")]  # written by hand
INVALID = [name for name, entry in STREAMS.items() if not entry["valid"]]
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
    frames = [frame for name in TOOLS for frame in STREAMS[name]["frames"]]
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
    assert any(not STREAMS[name]["frames"] for name in TOOLS)  # the empty stream
    assert any(len({f["name"] for f in STREAMS[name]["frames"]}) < len(STREAMS[name]["frames"]) for name in TOOLS)
    # Factors-only truth: a stream with truth_left but no truth.
    assert any({"truth_left"} <= {f["name"] for f in STREAMS[name]["frames"]}
               and "truth" not in {f["name"] for f in STREAMS[name]["frames"]} for name in TOOLS)
    for name in STREAMS:
        assert (CORPUS / name).exists(), name
    for folder in ("valid", "edge", "invalid"):
        assert sorted(str(path.relative_to(CORPUS)) for path in (CORPUS / folder).iterdir()) == \
            sorted(name for name in STREAMS if name.startswith(folder + "/"))
    # Every class of error a reader reports has streams that must get it.
    assert {STREAMS[name]["error"]["kind"] for name in INVALID} == \
        {"truncated", "malformed", "unsupportedVersion", "inconsistent", "corrupt", "tooLarge"}


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
        assert flatframes.canonical_json(frame.attributes).decode() == entry["attributes_json"], entry["name"]
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


@pytest.mark.parametrize("name", TOOLS)
def test_python_rewrites_each_stream_with_the_swift_writers_headers_and_payloads(name):
    original = (CORPUS / name).read_bytes()
    rewritten = flatframes.to_bytes(flatframes.read_frames(original))
    assert raw_parts(rewritten) == raw_parts(original)


@pytest.mark.parametrize("name", [name for name in TOOLS
                                  if len({f["name"] for f in STREAMS[name]["frames"]}) == len(STREAMS[name]["frames"])])
def test_load_then_save_gives_the_same_frames(name, tmp_path):
    target = tmp_path / "saved.frames"
    flatframes.save(target, flatframes.load(CORPUS / name))
    assert raw_parts(target.read_bytes()) == raw_parts((CORPUS / name).read_bytes())


@requires_swift_cli
@pytest.mark.parametrize("name", TOOLS)
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


# MARK: - Attributes keep every value, whoever writes them


@pytest.mark.parametrize("name", EDGE)
def test_python_read_write_read_keeps_every_attribute_value(name):
    expected = STREAMS[name]["frames"]
    rewritten = flatframes.to_bytes(flatframes.read_frames(CORPUS / name))
    for frame, entry in zip(flatframes.read_frames(rewritten), expected, strict=True):
        assert same_json(frame.attributes, entry["attributes"]), entry["name"]
        assert hashlib.sha256(storage_bytes(frame)).hexdigest() == entry["data_sha256"]
    # What Python wrote is the canonical header: the manifest's text, byte for byte.
    for (header, _), entry in zip(raw_parts(rewritten), expected):
        assert b'"attributes":' + entry["attributes_json"].encode() in header


@requires_swift_cli
@pytest.mark.parametrize("name", EDGE)
def test_swift_reads_hand_made_and_python_written_streams_to_the_same_attribute_text(name, tmp_path):
    rewritten = tmp_path / "python.frames"
    flatframes.write_frames(rewritten, flatframes.read_frames(CORPUS / name))
    for path in (CORPUS / name, rewritten):
        lines = [line.decode() for line in frames_cli("ls", "--json", path).splitlines()]  # (not at U+2028)
        assert len(lines) == len(STREAMS[name]["frames"])
        for line, entry in zip(lines, STREAMS[name]["frames"]):
            # Swift re-encodes what it read: the same canonical text means the same values.
            assert '"attributes":' + entry["attributes_json"] + "," in line, entry["name"]


@requires_swift_cli
def test_python_reads_the_attribute_values_swift_writes(tmp_path):
    (entry,) = STREAMS["edge/attributes.frames"]["frames"]
    np.save(tmp_path / "x.npy", np.zeros(2))
    arguments = [f"--attr={key}={json.dumps(value, ensure_ascii=False)}" for key, value in entry["attributes"].items()]
    written = frames_cli("import", tmp_path / "x.npy", "--name", "x", *arguments)
    (frame,) = flatframes.read_frames(written)
    provenance = frame.attributes.pop("provenance")
    assert provenance[-1]["tool"] == "frames import"
    assert same_json(frame.attributes, entry["attributes"])
    assert flatframes.canonical_json(frame.attributes).decode() == entry["attributes_json"]


# MARK: - Invalid streams: the verdict FORMAT.md §4 gives


def verdict(frames) -> tuple[list[str], "flatframes.FrameError | None"]:
    """The names a reader gives before its error, and the error (None if there is none)."""
    names = []
    try:
        for item in frames:
            names.append(item.name if isinstance(item, flatframes.Frame) else item[0]["name"])
    except flatframes.FrameError as error:
        return names, error
    return names, None


def described(error: flatframes.FrameError) -> dict:
    return {"kind": error.kind, "message": str(error), "frame_index": error.frame_index,
            "frame_name": error.frame_name, "byte_offset": error.byte_offset}


@pytest.mark.parametrize("name", INVALID)
def test_python_gives_every_invalid_stream_its_verdict(name):
    entry = STREAMS[name]
    path = CORPUS / name
    limit = {"max_frame_bytes": entry["max_frame_bytes"]} if "max_frame_bytes" in entry else {}
    names, error = verdict(flatframes.read_frames(path, **limit))
    assert error is not None and names == entry["frames_before"]
    assert described(error) == entry["error"]
    # Walking the frames without decompressing them meets the same fault, or (for faults only
    # decompressing can find) none.
    names, error = verdict(flatframes.iter_raw_frames(path, **limit))
    if entry["error_without_decoding"] is None:
        assert error is None and len(names) == entry["error"]["frame_index"] + 1
    else:
        assert described(error) == entry["error_without_decoding"] and names == entry["frames_before"]


@requires_swift_cli
def test_swift_spells_every_double_as_python_does(tmp_path):
    """Canonical numbers (FORMAT.md §1): for doubles of every exponent, subnormals and values
    around the switch to scientific notation, the Swift writer's text is Python's repr."""
    rng = np.random.default_rng(17)
    bits = rng.integers(0, 2**63, 3000, dtype=np.uint64) | (rng.integers(0, 2, 3000, dtype=np.uint64) << np.uint64(63))
    doubles = [float(x) for x in bits.view(np.float64) if np.isfinite(x)]
    doubles += [float(x) for x in rng.standard_normal(500) * 10.0 ** rng.integers(-20, 20, 500)]
    doubles += [10.0**k for k in range(-8, 20)] + [-(10.0**k) for k in range(-8, 20)] + [1e16 - 2, 1e16 + 2, 0.0001, 0.00009999999999999999]
    doubles += [5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, 2.0**53, 2.0**63, -0.0, 0.0]
    path = tmp_path / "doubles.frames"
    flatframes.save(path, {"x": np.zeros(1)}, attributes={"x": {"doubles": doubles}})
    (line,) = frames_cli("ls", "--json", path).splitlines()
    expected = flatframes.canonical_json({"doubles": doubles})
    assert b'"attributes":' + expected[:-1] in line
    assert flatframes.canonical_json({"doubles": doubles}).decode() == '{"doubles":[' + ",".join(map(repr, doubles)) + "]}"
