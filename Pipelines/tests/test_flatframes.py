"""Tests for flatframes, each against a truth that does not come from flatframes itself:
numpy's own .npy writer and reader, the stock zstd CLI, python-zstandard's frame parser,
hand-computed bytes, and the Swift `frames` tool."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zstandard

REPO = Path(__file__).resolve().parents[2]

from flatframes import (
    FrameError,
    add_provenance,
    iter_raw_frames,
    read_frames,
    save,
    write_frame,
)

FRAMES_CLI = Path(os.environ.get("FLATMIN_BIN", REPO / ".build" / "debug")) / "frames"
ZSTD_CLI = Path("/usr/bin/zstd")

DTYPES = ["float64", "float32", "int64", "int32", "uint8"]
SHAPES_BY_RANK = {0: (), 1: (7,), 2: (4, 3), 3: (2, 3, 4)}
# Shapes where C and F order coincide or that hold nothing: the edge cases of the .npy dict.
DEGENERATE_SHAPES = [(0,), (5, 1), (1, 5), (0, 3), (3, 0, 2), (1, 1, 1)]

ATTRIBUTES = {
    "seed": 2**63 - 1,
    "lowest": -(2**63),
    "beyond_double": 2**53 + 1,
    "ratio": 0.1,
    "smallest": 5e-324,
    "nested": {"list": [1, "two", None, True, False], "empty": {}},
    "unicode": "σ² → ∞",
    "path": "runs/a/b",
}

# A frame error says `reason (frame N['name'], byte M)`, as the Swift tools do.
ERROR_FORMAT = re.compile(r"^(?P<reason>.+) \(frame (?P<index>\d+)(?: '(?P<name>[^']*)')?, byte (?P<offset>\d+)\)$")


# MARK: - Helpers


def sample_array(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values across the type's whole range, with the awkward floats mixed in."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    if dtype.startswith("float"):
        info = np.finfo(dtype)
        specials = np.array([np.nan, np.inf, -np.inf, -0.0, info.tiny / 2, info.smallest_subnormal,
                             info.max, info.min], dtype)
        values = (rng.standard_normal(size) * 1e3).astype(dtype)
        values[: min(size, specials.size)] = specials[: min(size, specials.size)]
    else:
        info = np.iinfo(dtype)
        values = rng.integers(info.min, info.max, size=size, endpoint=True, dtype=dtype)
        values[: min(size, 2)] = [info.min, info.max][: min(size, 2)]
    return values.reshape(shape)


def bits(array: np.ndarray) -> tuple[str, tuple[int, ...], bytes]:
    """What 'bit-identical' compares: dtype, shape and every byte, NaN payloads included."""
    return array.dtype.str, array.shape, array.tobytes(order="C")


def stream_of(*frames: tuple) -> bytes:
    out = io.BytesIO()
    for frame in frames:
        write_frame(out, *frame)
    return out.getvalue()


def split_frame(frame: bytes) -> tuple[bytes, bytes]:
    """(header JSON, payload zstd frame), parsed by hand from FORMAT.md §1."""
    magic, length = struct.unpack_from("<II", frame)
    assert magic == 0x184D2A5C
    return frame[8 : 8 + length], frame[8 + length :]


def with_header(frame: bytes, **changes) -> bytes:
    """The same frame with some header fields replaced (None deletes the field)."""
    header_json, payload = split_frame(frame)
    header = json.loads(header_json)
    for key, value in changes.items():
        if value is None:
            header.pop(key)
        else:
            header[key] = value
    return raw_header(json.dumps(header).encode()) + payload


def raw_header(header_json: bytes) -> bytes:
    return struct.pack("<II", 0x184D2A5C, len(header_json)) + header_json


def npy_file(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def frame_with_payload(content: bytes, header: dict, **compressor_options) -> bytes:
    """A frame assembled by hand: any header, any payload content, any zstd options."""
    payload = zstandard.ZstdCompressor(**compressor_options).compress(content)
    return raw_header(json.dumps(header).encode()) + payload


GOOD_HEADER = {"format": "flatmin-frame", "version": 1, "name": "v", "dtype": "float64", "shape": [2],
               "order": "F", "npy_bytes": 144, "attributes": {}}


def frame_error(data: bytes, *, raw: bool = False, **options) -> FrameError:
    """The FrameError that reading `data` to the end raises, after checking its format."""
    with pytest.raises(FrameError) as caught:
        list(iter_raw_frames(data, **options) if raw else read_frames(data, **options))
    error = caught.value
    match = ERROR_FORMAT.match(str(error))
    assert match, f"message not in the toolkit's format: {error}"
    assert int(match["index"]) == error.frame_index
    assert int(match["offset"]) == error.byte_offset
    return error


# MARK: - Python write → Python read


@pytest.mark.parametrize("rank", sorted(SHAPES_BY_RANK))
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_keeps_bits_shape_order_and_attributes(dtype, rank):
    array = sample_array(dtype, SHAPES_BY_RANK[rank])
    attributes = add_provenance(ATTRIBUTES, "test", ["--rank", rank], seed=7)
    data = stream_of(("first", array, attributes), ("second", array[..., ::-1] if rank else array))

    first, second = read_frames(data)

    assert (first.name, second.name) == ("first", "second")
    assert bits(first.array) == bits(array)
    assert bits(second.array) == bits(array[..., ::-1] if rank else array)
    assert first.attributes == attributes
    assert all(type(first.attributes[key]) is int for key in ("seed", "lowest", "beyond_double"))
    assert first.attributes["provenance"] == [
        {"tool": "test", "version": "0.1.0", "arguments": ["--rank", str(rank)], "seed": 7}]
    assert first.header["order"] == "F" and first.header["shape"] == list(array.shape)
    if rank >= 2:
        assert first.array.flags.f_contiguous and not first.array.flags.c_contiguous
    assert first.array.flags.writeable


@pytest.mark.parametrize("shape", DEGENERATE_SHAPES)
def test_round_trip_of_empty_and_degenerate_shapes(shape):
    array = sample_array("float64", shape)
    (frame,) = read_frames(stream_of(("x", array)))
    assert bits(frame.array) == bits(array)


def test_header_is_sorted_compact_json_with_exactly_the_format_keys():
    # npy_bytes: a 128-byte .npy preamble and dict (numpy pads to 64) plus 2 × 4 data bytes.
    expected = (b'{"attributes":{},"dtype":"int32","format":"flatmin-frame","name":"x",'
                b'"npy_bytes":136,"order":"F","shape":[2],"version":1}')
    header_json, _ = split_frame(stream_of(("x", np.array([1, 2], np.int32))))
    assert header_json == expected


def test_header_json_of_rich_attributes_is_canonical():
    header_json, _ = split_frame(stream_of(("x", np.zeros(2), {"b": 1, "a": {"d": [], "c": "é"}})))
    canonical = json.dumps(json.loads(header_json), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode()
    assert header_json == canonical


def test_payload_is_one_zstd_frame_with_content_size_and_checksum():
    array = sample_array("float32", (30, 20))
    header_json, payload = split_frame(stream_of(("x", array)))
    parameters = zstandard.get_frame_parameters(payload)
    assert parameters.content_size == json.loads(header_json)["npy_bytes"]
    assert parameters.has_checksum
    assert len(zstandard.ZstdDecompressor().decompress(payload)) == parameters.content_size


def test_non_finite_attribute_floats_are_written_as_the_swift_writer_spells_them():
    (frame,) = read_frames(stream_of(("x", np.zeros(1), {"values": [np.nan, np.inf, -np.inf, np.float32(1.5)]})))
    assert frame.attributes == {"values": ["nan", "inf", "-inf", 1.5]}


def test_big_endian_input_is_converted_to_little_endian():
    array = np.arange(6, dtype=">i4").reshape(2, 3)
    (frame,) = read_frames(stream_of(("x", array)))
    assert frame.array.dtype == np.dtype("<i4") and np.array_equal(frame.array, array)


@pytest.mark.parametrize("dtype", ["complex128", "object", "U3", "datetime64[s]"])
def test_unsupported_dtypes_are_refused(dtype):
    with pytest.raises(TypeError, match="convert it explicitly"):
        write_frame(io.BytesIO(), "x", np.zeros(3, dtype))


def test_uint64_above_int64_is_refused():
    with pytest.raises(ValueError, match="above int64's range"):
        write_frame(io.BytesIO(), "x", np.array([1, 2**63], dtype=np.uint64))


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", ">u2", "uint16", "uint32", "uint64", "float16", ">f8"])
def test_other_numeric_types_convert_as_frames_import_converts_them(dtype, tmp_path):
    """The writer's conversions against the Swift tool's on the same values: `frames import`
    of the .npy file numpy writes gives the same dtype, values and source_dtype."""
    array = (np.arange(12) % 5).reshape(3, 4).astype(dtype)
    (written,) = read_frames(stream_of(("x", array)))
    np.save(tmp_path / "x.npy", array)
    (imported,) = read_frames(frames_cli("import", tmp_path / "x.npy", "--name", "x"))
    assert written.array.dtype == imported.array.dtype
    assert np.array_equal(written.array, imported.array) and np.array_equal(written.array, array)
    assert written.attributes.get("source_dtype") == imported.attributes.get("source_dtype") == array.dtype.str


@pytest.mark.parametrize("attributes", [{"x": 2**64}, {"x": [-(2**63) - 1]}, {1: "not a string key"}, {"x": object()}])
def test_attributes_the_swift_tools_could_not_read_back_are_refused(attributes):
    with pytest.raises((TypeError, ValueError)):
        write_frame(io.BytesIO(), "x", np.zeros(1), attributes)


def test_add_provenance_appends_without_touching_its_argument():
    original = {"provenance": [{"tool": "generate-ground-truth"}], "kind": "truth"}
    updated = add_provenance(original, "stage.py", ["--seed", 3], seed=3, version="2.0")
    assert original == {"provenance": [{"tool": "generate-ground-truth"}], "kind": "truth"}
    assert updated["provenance"] == [{"tool": "generate-ground-truth"},
                                     {"tool": "stage.py", "version": "2.0", "arguments": ["--seed", "3"], "seed": 3}]
    assert "seed" not in add_provenance(None, "t", [])["provenance"][0]


# MARK: - Streaming


class TrickleReader(io.RawIOBase):
    """A pipe that hands out at most a few bytes per read, as a slow upstream stage would."""

    def __init__(self, data: bytes, most: int = 3):
        self._data, self._position, self._most = data, 0, most

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self._most, len(self._data) - self._position)
        buffer[:count] = self._data[self._position : self._position + count]
        self._position += count
        return count


def test_reads_from_a_pipe_that_returns_short_reads():
    arrays = [sample_array("float64", (40, 30)), sample_array("uint8", (5,))]
    data = stream_of(("a", arrays[0]), ("b", arrays[1]))
    frames = list(read_frames(TrickleReader(data)))
    assert [bits(frame.array) for frame in frames] == [bits(array) for array in arrays]


def test_reads_no_byte_past_the_frame_it_returns():
    first = stream_of(("a", sample_array("int64", (100, 10))))
    second = stream_of(("b", np.arange(3.0)))
    source = io.BytesIO(first + second)
    frames = read_frames(source)
    assert next(frames).name == "a"
    assert source.tell() == len(first)
    assert source.read() == second  # nothing after the payload was swallowed


def test_large_multithreaded_payload_round_trips():
    # ≥ 8 MiB: compressed in zstd's multi-threaded mode, spread over many blocks.
    array = np.round(np.random.default_rng(1).standard_normal((1100, 1000)), 3)
    data = stream_of(("big", array))
    ((header, raw),) = iter_raw_frames(data)
    assert raw == data and header["npy_bytes"] >= 8 << 20
    (frame,) = read_frames(data)
    assert bits(frame.array) == bits(array)


def test_raw_frames_reproduce_the_stream_and_its_headers():
    data = stream_of(("a", sample_array("float32", (300, 200))), ("b", np.zeros(100_000)),
                     ("c", sample_array("uint8", (3, 3, 3))))
    raw = list(iter_raw_frames(data))
    assert b"".join(frame for _, frame in raw) == data
    assert [header for header, _ in raw] == [frame.header for frame in read_frames(data)]


def test_empty_stream_has_no_frames():
    assert list(read_frames(b"")) == [] and list(iter_raw_frames(io.BytesIO())) == []


# MARK: - What the stock tools see


@pytest.mark.skipif(not ZSTD_CLI.exists(), reason=f"{ZSTD_CLI} is not installed")
def test_zstd_cli_decompresses_a_stream_to_npy_files_numpy_loads_in_order(tmp_path):
    arrays = [sample_array(dtype, SHAPES_BY_RANK[rank], seed=rank)
              for dtype in DTYPES for rank in SHAPES_BY_RANK]
    arrays.append(np.round(np.random.default_rng(2).standard_normal((1100, 1000)), 2))  # multi-threaded
    stream = tmp_path / "all.frames"
    stream.write_bytes(stream_of(*((f"a{i}", array) for i, array in enumerate(arrays))))

    with open(tmp_path / "all.npy", "wb") as out:
        subprocess.run([ZSTD_CLI, "-dcq", stream], stdout=out, check=True)

    loaded = []
    with open(tmp_path / "all.npy", "rb") as npy:
        while npy.peek(1):
            loaded.append(np.load(npy))
    assert [bits(array) for array in loaded] == [bits(array) for array in arrays]


@pytest.mark.parametrize("shape", [*SHAPES_BY_RANK.values(), *DEGENERATE_SHAPES, (2, 1, 3, 1, 2, 1, 2, 1)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_payload_is_the_npy_file_numpy_writes_for_the_fortran_ordered_array(dtype, shape):
    array = sample_array(dtype, shape)
    _, payload = split_frame(stream_of(("x", array)))
    stored = np.asfortranarray(array) if array.ndim > 1 else array
    assert zstandard.ZstdDecompressor().decompress(payload) == npy_file(stored)


# MARK: - Hostile input


def two_frame_stream() -> tuple[bytes, int]:
    """A small frame then a large one spread over several zstd blocks; and the boundary."""
    first = stream_of(("small", np.arange(6.0).reshape(2, 3)))
    second = stream_of(("large", sample_array("float64", (200, 300))))
    return first + second, len(first)


def test_truncation_at_any_point_names_the_frame_and_the_part_it_cuts():
    data, boundary = two_frame_stream()
    first_payload_start = 8 + struct.unpack_from("<I", data, 4)[0]
    payload_start = boundary + 8 + struct.unpack_from("<I", data, boundary + 4)[0]
    # FORMAT.md §4: the offset is where the cut part (frame header or payload) starts.
    part_starts = [0, first_payload_start, boundary, payload_start]
    cuts = [*range(1, payload_start + 64), *range(payload_start + 64, len(data) - 16, 997),
            *range(len(data) - 16, len(data))]
    for cut in cuts:
        if cut == boundary:
            assert [f.name for f in read_frames(data[:cut])] == ["small"]
            continue
        for raw in (False, True):
            error = frame_error(data[:cut], raw=raw)
            assert error.frame_index == (0 if cut < boundary else 1), (cut, str(error))
            part_start = max(start for start in part_starts if start <= cut)
            assert error.byte_offset == part_start and error.kind == "truncated", (cut, str(error))
            assert error.reason == ("stream ends inside a frame header" if part_start in (0, boundary)
                                    else "stream ends inside the payload"), (cut, str(error))


def test_garbage_is_not_a_stream():
    garbage = np.random.default_rng(3).bytes(4096)
    assert "bad magic" in str(frame_error(garbage))
    data, _ = two_frame_stream()
    error = frame_error(data + garbage)
    assert (error.frame_index, error.byte_offset) == (2, len(data))


@pytest.mark.parametrize("prefix, reason", [
    (zstandard.compress(b"hello"), "zstd frame without a frame header"),
    (struct.pack("<II", 0x184D2A50, 2) + b"{}", "skippable frame with magic 0x184D2A50"),
    (struct.pack("<II", 0x184D2A5C, (16 << 20) + 1), "exceeds the 16777216-byte limit"),
])
def test_frames_that_are_not_headers_are_refused(prefix, reason):
    assert reason in str(frame_error(prefix + stream_of(("x", np.zeros(2)))))


def test_flipped_data_byte_fails_the_checksum():
    # Random bytes do not compress, so zstd stores them as they are and only the checksum
    # can notice a changed byte.
    array = np.frombuffer(np.random.default_rng(4).bytes(50_000), np.uint8)
    frame = stream_of(("noise", array))
    for position in (len(frame) // 2, len(frame) - 100, *range(len(frame) - 4, len(frame))):
        corrupt = bytearray(frame)
        corrupt[position] ^= 0x10
        error = frame_error(bytes(corrupt))
        assert error.frame_name == "noise" and "checksum mismatch" in error.reason
        assert [header["name"] for header, _ in iter_raw_frames(bytes(corrupt))] == ["noise"]


def test_flipped_compressed_byte_is_caught():
    frame = stream_of(("smooth", np.linspace(0, 1, 20_000).reshape(200, 100)))
    payload_start = len(split_frame(frame)[0]) + 8
    for position in range(payload_start + 20, len(frame), 211):
        corrupt = bytearray(frame)
        corrupt[position] ^= 0x01
        with pytest.raises(FrameError, match=r"\(frame 0"):
            list(read_frames(bytes(corrupt)))


@pytest.mark.parametrize("changes, reason", [
    ({"dtype": "complex128"}, 'unknown dtype "complex128"'),
    ({"dtype": None}, "header has no dtype"),
    ({"version": 2}, "format version 2 is not supported (this reader knows 1)"),
    ({"version": "1"}, "header has no integer version"),
    ({"version": 1.0}, "header has no integer version"),
    ({"shape": [3.0, 4]}, "header shape has an extent that is not an integer from 0 to 2147483647"),
    ({"npy_bytes": 224.0}, "header has no integer npy_bytes"),
    ({"attributes": None}, "header has no attributes object"),
    ({"format": "other"}, "header does not say format 'flatmin-frame'"),
    ({"name": ""}, "header has no name"),
    ({"shape": [1] * 9}, "more than 8 dimensions"),
    ({"shape": [-1, 3]}, "header shape has an extent that is not an integer from 0 to 2147483647"),
    ({"shape": [2**31, 1]}, "header shape has an extent that is not an integer from 0 to 2147483647"),
    ({"order": "K"}, "order must be 'F' or 'C'"),
    ({"attributes": [1]}, "header has no attributes object"),
    ({"shape": [30, 40]}, "npy_bytes 224 cannot hold 30×40 float64"),
    ({"npy_bytes": 225}, "payload holds 224 bytes but the header says npy_bytes 225"),
])
def test_bad_headers_are_refused_even_without_decoding(changes, reason):
    data = with_header(stream_of(("m", np.arange(12.0).reshape(3, 4))), **changes)
    # The offset points at the part found wrong: the header, or the payload it disagrees with.
    payload_start = 8 + len(split_frame(data)[0])
    for raw in (False, True):
        error = frame_error(data, raw=raw)
        assert reason in error.reason and error.frame_index == 0
        assert error.frame_name == (None if changes.get("name") == "" else "m")
        assert error.byte_offset == (payload_start if reason.startswith("payload") else 0)


@pytest.mark.parametrize("changes", [{"shape": [4, 3]}, {"shape": [12]}, {"order": "C"}, {"dtype": "int64"}])
def test_header_that_disagrees_with_the_npy_dict_is_refused(changes):
    data = with_header(stream_of(("m", np.arange(12.0).reshape(3, 4))), **changes)
    assert len(list(iter_raw_frames(data))) == 1  # only decoding can tell
    error = frame_error(data)
    assert "payload .npy says float64 [3, 4] order F, header says" in error.reason and error.frame_name == "m"


@pytest.mark.parametrize("header_json", [b"{not json", b'{"version": NaN}', b"[1, 2]", b"\xff\xfe"])
def test_header_that_is_not_a_json_object_is_refused(header_json):
    assert "header is not" in frame_error(raw_header(header_json)).reason


@pytest.mark.parametrize("content, options, reason", [
    (npy_file(np.zeros(2)), {"write_checksum": False}, "payload has no content checksum"),
    (npy_file(np.zeros(2)), {"write_checksum": True, "write_content_size": False}, "does not record its content size"),
    (b"x" * 144, {"write_checksum": True}, "payload is not a .npy file (bad magic)"),
    (npy_file(np.zeros(2, ">f8")), {"write_checksum": True}, '.npy dtype ">f8" is not supported'),
    (npy_file(np.zeros(2)) + b"extra!!!", {"write_checksum": True}, "2 float64 does not fit a payload of 152 bytes"),
])
def test_bad_payloads_are_refused(content, options, reason):
    header = {**GOOD_HEADER, "npy_bytes": len(content)}
    assert reason in frame_error(frame_with_payload(content, header, **options)).reason


def test_random_damage_gives_a_frame_error_or_a_valid_frame_never_another_exception():
    rng = np.random.default_rng(8)
    npy = npy_file(np.arange(12.0).reshape(3, 4))
    frame = stream_of(("m", np.arange(12.0).reshape(3, 4), {"k": [1, 2]}))
    for _ in range(300):
        # Damage inside the .npy preamble and dict, behind a valid zstd frame and checksum...
        content = bytearray(npy)
        content[rng.integers(0, 128)] = rng.integers(0, 256)
        header = {**GOOD_HEADER, "shape": [3, 4], "npy_bytes": len(content)}
        damaged_npy = frame_with_payload(bytes(content), header, write_checksum=True)
        # ...and anywhere in a whole frame.
        damaged_frame = bytearray(frame)
        damaged_frame[rng.integers(0, len(frame))] ^= 1 << rng.integers(0, 8)
        for data in (damaged_npy, bytes(damaged_frame)):
            try:
                list(read_frames(data))
            except FrameError as error:
                assert ERROR_FORMAT.match(str(error)), str(error)


@pytest.mark.parametrize("flag", [b"True ", b"False"])
@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("shape", [(5, 1), (1, 5), (4,), (0, 3)])
def test_reads_either_order_and_flag_on_arrays_stored_the_same_either_way(shape, order, flag):
    # C and F order store these the same bytes: the Swift writer says order F with numpy's
    # fortran_order False (a d×1 factor), frames import says C; older writers said True.
    array = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    npy = npy_file(array).replace(b"'fortran_order': False", b"'fortran_order': " + flag)
    header = {**GOOD_HEADER, "shape": list(shape), "order": order, "npy_bytes": len(npy)}
    (frame,) = read_frames(frame_with_payload(npy, header, write_checksum=True))
    assert bits(frame.array) == bits(array) and frame.order == order


def test_uint8_payload_may_say_either_byte_order():
    # One-byte types have no byte order: numpy writes '|u1', and '<u1' (as the Swift reader
    # accepts) means the same. (Multi-byte data must be little-endian: test_bad_payloads…)
    array = np.arange(5, dtype=np.uint8)
    npy = npy_file(array).replace(b"'|u1'", b"'<u1'")
    header = {**GOOD_HEADER, "dtype": "uint8", "shape": [5], "npy_bytes": len(npy)}
    (frame,) = read_frames(frame_with_payload(npy, header, write_checksum=True))
    assert bits(frame.array) == bits(array)


def test_missing_payload_is_refused():
    header = raw_header(json.dumps(GOOD_HEADER).encode())
    assert "stream ends inside the payload" in frame_error(header).reason
    assert "not followed by a zstd payload frame" in frame_error(header + header).reason


def test_frames_over_the_size_limit_are_refused_before_decoding():
    data = stream_of(("m", np.zeros((3, 4))))
    assert "224 bytes, over the 100-byte limit" in frame_error(data, max_frame_bytes=100).reason
    assert len(list(read_frames(data, max_frame_bytes=224))) == 1


# MARK: - run_stage


STAGE = """
from flatframes import add_provenance, run_stage

def double(consumed, arguments):
    if "--fail" in arguments:
        raise ValueError("cannot double\\nthis")
    for frame in consumed:
        yield frame.name + "_doubled", frame.array * 2, add_provenance(frame.attributes, "double.py", arguments)

run_stage(double, consumes={"x"})
"""


@pytest.fixture
def stage(tmp_path):
    script = tmp_path / "double.py"
    script.write_text(STAGE)
    return [sys.executable, str(script)]


def test_stage_forwards_verbatim_and_appends(stage):
    kept = stream_of(("a", sample_array("int32", (3, 3)), {"k": 1})) + stream_of(("b", np.ones(4)))
    data = stream_of(("x", np.arange(4.0), {"kind": "input"}))
    result = subprocess.run([*stage, "--factor", "2"], input=kept + data,
                            capture_output=True, check=True)
    assert result.stderr == b""
    frames = list(read_frames(result.stdout))
    assert [frame.name for frame in frames] == ["a", "b", "x_doubled"]
    assert result.stdout.startswith(stream_of(("a", sample_array("int32", (3, 3)), {"k": 1})))
    assert b"".join(raw for _, raw in list(iter_raw_frames(result.stdout))[:2]) == kept
    assert np.array_equal(frames[2].array, np.arange(4.0) * 2)
    assert frames[2].attributes == {"kind": "input", "provenance": [
        {"tool": "double.py", "version": "0.1.0", "arguments": ["--factor", "2"]}]}


@pytest.mark.parametrize("arguments, data, message", [
    ([], b"garbage!", "double.py: not a frame stream (bad magic) (frame 0, byte 0)"),
    (["--fail"], b"", "double.py: cannot double this"),
])
def test_stage_errors_are_one_line_and_status_1(stage, arguments, data, message):
    result = subprocess.run([*stage, *arguments], input=data, capture_output=True)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (1, b"", message + "\n")


def test_stage_ends_quietly_when_the_reader_goes_away(stage, tmp_path):
    big = tmp_path / "big.frames"
    big.write_bytes(b"".join(stream_of((f"f{i}", sample_array("uint8", (1 << 20,), seed=i)))
                             for i in range(16)))
    with open(big, "rb") as source:
        process = subprocess.Popen(stage, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.read(10)
        process.stdout.close()
        stderr = process.stderr.read()
        assert (process.wait(timeout=60), stderr) == (0, b"")


def test_stage_refuses_to_write_to_a_terminal(stage):
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(stage, input=b"", stdout=terminal, stderr=subprocess.PIPE)
    finally:
        os.close(controller)
        os.close(terminal)
    assert result.returncode == 1
    assert result.stderr.decode() == "double.py: refusing to write binary frames to a terminal; redirect stdout\n"


# MARK: - Swift interop, bit for bit


requires_swift_cli = pytest.mark.skipif(
    not FRAMES_CLI.exists(),
    reason=f"Swift CLI not built: {FRAMES_CLI} does not exist (run `swift build`, or set FLATMIN_BIN)")


def frames_cli(*arguments, stdin=None) -> bytes:
    """Runs the Swift `frames` tool; its stdout, or a test failure with its stderr."""
    result = subprocess.run([FRAMES_CLI, *map(str, arguments)], stdin=stdin, capture_output=True,
                            env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})
    assert result.returncode == 0, f"frames {' '.join(map(str, arguments))}: {result.stderr.decode()}"
    return result.stdout


def swift_import(tmp_path, name: str, array: np.ndarray, *attributes: str) -> bytes:
    source = tmp_path / f"{name}.npy"
    np.save(source, array)
    options = [option for attribute in attributes for option in ("--attr", attribute)]
    return frames_cli("import", source, "--name", name, *options)


def swift_export(tmp_path, stream: bytes, name: str) -> np.ndarray:
    (tmp_path / "stream.frames").write_bytes(stream)
    with open(tmp_path / "stream.frames", "rb") as stdin:
        frames_cli("export", name, "--npy", tmp_path / "export.npy", "--force", stdin=stdin)
    return np.load(tmp_path / "export.npy")


def interop_arrays() -> dict[str, np.ndarray]:
    """Arrays whose bits are easy to lose: NaN payloads, signed zeros, subnormals, extremes."""
    nan_payloads = np.array([0x7FF8000000000001, 0xFFF8000000000000, 0x7FF0000000000001], np.uint64).view(np.float64)
    arrays = {f"{dtype}_{rank}d": sample_array(dtype, SHAPES_BY_RANK[rank], seed=rank)
              for dtype in DTYPES for rank in (0, 1, 2, 3)}
    arrays["float64_specials"] = np.concatenate([nan_payloads, sample_array("float64", (9,))]).reshape(3, 4)
    arrays["float32_specials_F"] = np.asfortranarray(sample_array("float32", (4, 2)))
    arrays["int64_F_3d"] = np.asfortranarray(sample_array("int64", (2, 3, 4)))
    arrays["column"] = sample_array("float64", (5, 1))
    arrays["empty"] = np.zeros((0, 3))
    return arrays


@requires_swift_cli
@pytest.mark.parametrize("name", list(interop_arrays()))
def test_swift_import_reads_back_identical_bits(tmp_path, name):
    array = interop_arrays()[name]
    (frame,) = read_frames(swift_import(tmp_path, name, array))
    assert bits(frame.array) == bits(array)
    if array.ndim > 1 and not array.flags.c_contiguous:
        assert frame.header["order"] == "F" and frame.array.flags.f_contiguous


@requires_swift_cli
def test_python_stream_verifies_and_exports_identical_bits(tmp_path):
    arrays = interop_arrays()
    arrays["big"] = np.round(np.random.default_rng(5).standard_normal((1100, 1000)), 3)
    stream = stream_of(*((name, array, {"name": name, "n": 2**62}) for name, array in arrays.items()))
    (tmp_path / "python.frames").write_bytes(stream)
    frames_cli("verify", tmp_path / "python.frames")
    for name, array in arrays.items():
        assert bits(swift_export(tmp_path, stream, name)) == bits(array), name


@requires_swift_cli
def test_swift_ls_agrees_with_python_headers_and_framing(tmp_path):
    stream = stream_of(*((name, array, {"name": name}) for name, array in interop_arrays().items()))
    (tmp_path / "python.frames").write_bytes(stream)
    listing = [json.loads(line) for line in frames_cli("ls", tmp_path / "python.frames", "--json").splitlines()]
    raw = list(iter_raw_frames(stream))
    assert len(listing) == len(raw)
    for entry, (header, frame) in zip(listing, raw):
        for key in ("name", "dtype", "shape", "order", "npy_bytes", "attributes"):
            assert entry[key] == header[key], key
        assert entry["compressed_bytes"] == len(split_frame(frame)[1])


@requires_swift_cli
def test_python_forwards_a_swift_stream_byte_identically(tmp_path):
    rng = np.random.default_rng(6)
    parts = [
        swift_import(tmp_path, "random", rng.standard_normal((300, 200))),  # mostly raw blocks
        swift_import(tmp_path, "zeros", np.zeros((400, 400))),  # runs of one byte
        swift_import(tmp_path, "big", np.round(rng.standard_normal((1100, 1000)), 2)),  # multi-threaded
        swift_import(tmp_path, "tiny", np.int32(7), "kind=scalar"),
    ]
    stream = b"".join(parts)
    (tmp_path / "swift.frames").write_bytes(stream)
    with open(tmp_path / "swift.frames", "rb") as stdin:
        picked = frames_cli("pick", "big,tiny", stdin=stdin)

    raw = list(iter_raw_frames(stream))
    assert b"".join(frame for _, frame in raw) == stream
    assert [frame for _, frame in raw] == parts
    assert b"".join(frame for header, frame in raw if header["name"] in ("big", "tiny")) == picked


@requires_swift_cli
def test_swift_to_python_to_swift_keeps_bits_and_attributes(tmp_path):
    arrays = interop_arrays()
    attributes = ["kind=measured", "seed=9007199254740993", "ratio=0.1", 'nested={"a":[1,2.5,null,true]}',
                  "unicode=σ²", "path=a/b"]
    swift_stream = b"".join(swift_import(tmp_path, name, array, *attributes) for name, array in arrays.items())

    out = io.BytesIO()
    for frame in read_frames(swift_stream):
        write_frame(out, frame.name, frame.array, frame.attributes)
    python_stream = out.getvalue()

    for name, array in arrays.items():
        assert bits(swift_export(tmp_path, python_stream, name)) == bits(array), name
    listings = []
    for stream in (swift_stream, python_stream):
        (tmp_path / "listed.frames").write_bytes(stream)
        listings.append([json.loads(line)["attributes"] for line in
                         frames_cli("ls", tmp_path / "listed.frames", "--json").splitlines()])
    assert listings[0] == listings[1]
    assert listings[0][0]["seed"] == 9007199254740993 and listings[0][0]["nested"] == {"a": [1, 2.5, None, True]}


def test_save_refuses_a_bad_array_before_writing_any_frame():
    """A dict with an array no frame can hold writes nothing: in a pipe, the frames before it
    would otherwise look like a complete stream."""
    out = io.BytesIO()
    with pytest.raises(TypeError, match="frame 'labels'"):
        save(out, {"x": np.arange(3.0), "labels": np.array(["a", "b"])})
    assert out.getvalue() == b""
