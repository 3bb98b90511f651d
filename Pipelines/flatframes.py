"""Read and write flatmin matrix-frame streams, so a pipeline stage can be written in Python.

A stream (specified in ``Sources/Frames/FORMAT.md``) is a sequence of frames. Each frame is
two standard zstd frames back to back: a *skippable* frame holding a JSON header (name,
dtype, shape, order, ``npy_bytes``, attributes), then a regular, checksummed zstd frame whose
content is one complete ``.npy`` file.

Reading::

    import sys
    from flatframes import read_frames

    for frame in read_frames(sys.stdin.buffer):
        print(frame.name, frame.array.shape, frame.attributes.get("provenance"))

A filter that replaces ``observations`` with a noisier copy and passes every other frame on
untouched::

    import numpy as np
    from flatframes import add_provenance, run_stage

    def add_noise(consumed, arguments):
        rng = np.random.default_rng(7)
        for frame in consumed:
            noisy = frame.array + 0.01 * rng.standard_normal(frame.array.shape)
            yield frame.name, noisy, add_provenance(frame.attributes, "add_noise.py", arguments, seed=7)

    if __name__ == "__main__":
        run_stage(add_noise, consumes={"observations"})

Only numpy and zstandard (python-zstandard) are needed.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import operator
import os
import struct
import sys
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Collection, Iterable, Iterator, Sequence

import numpy as np
import zstandard

__all__ = [
    "Frame",
    "FrameError",
    "read_frames",
    "iter_raw_frames",
    "write_frame",
    "add_provenance",
    "run_stage",
]

#: The toolkit version this module implements; the default ``version`` of provenance entries.
__version__ = "0.1.0"

FORMAT_NAME = "flatmin-frame"
FORMAT_VERSION = 1

HEADER_MAGIC = 0x184D2A5C
SKIPPABLE_MAGICS = range(0x184D2A50, 0x184D2A60)
ZSTD_MAGIC = 0xFD2FB528

#: Largest JSON header a reader accepts (FORMAT.md §1).
MAX_HEADER_BYTES = 16 << 20
#: Largest rank and extent a header may declare. The Swift reader enforces the same bounds,
#: so whatever this module writes, every tool can read.
MAX_RANK = 8
MAX_EXTENT = 2**31 - 1
#: zstd never produces a block larger than this (RFC 8878 §3.1.1.2.3).
MAX_BLOCK_BYTES = 128 << 10
#: Payloads from this size on are compressed in zstd's multi-threaded mode, whose output does
#: not depend on the number of threads (FORMAT.md §2); the Swift writer follows the same rule.
MULTITHREADING_THRESHOLD = 8 << 20

#: Header ``dtype`` names and the little-endian numpy types they stand for.
DTYPES = {
    "float64": np.dtype("<f8"),
    "float32": np.dtype("<f4"),
    "int64": np.dtype("<i8"),
    "int32": np.dtype("<i4"),
    "uint8": np.dtype("u1"),
}
_DTYPE_NAMES = {dtype: name for name, dtype in DTYPES.items()}

# JSON integers outside this range would reach the Swift tools as rounded doubles.
_INT64_RANGE = range(-(2**63), 2**63)


class FrameError(Exception):
    """A stream that is not a valid frame stream.

    The message locates the problem the way the Swift tools do:
    ``checksum mismatch: payload is corrupt (frame 2 'observations', byte 4096)``.
    ``byte_offset`` is where the bad part starts in the stream (the frame's header, its
    payload, or a zstd block inside it), or the stream's length when it was cut short.
    """

    def __init__(self, reason: str, frame_index: int | None = None, frame_name: str | None = None,
                 byte_offset: int | None = None):
        self.reason = reason
        self.frame_index = frame_index
        self.frame_name = frame_name
        self.byte_offset = byte_offset
        context = []
        if frame_index is not None:
            context.append(f"frame {frame_index}" + (f" '{frame_name}'" if frame_name is not None else ""))
        if byte_offset is not None:
            context.append(f"byte {byte_offset}")
        super().__init__(f"{reason} ({', '.join(context)})" if context else reason)

    def located(self, frame_index: int, frame_name: str | None) -> FrameError:
        """The same error, naming the frame it happened in."""
        return FrameError(self.reason, frame_index, frame_name, self.byte_offset)


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame. ``array`` has the header's shape and dtype and is Fortran-ordered
    when the payload is; ``header`` is the whole header, keys this module does not know
    included."""

    name: str
    array: np.ndarray
    attributes: dict
    header: dict = field(repr=False)


# MARK: - Reading


def read_frames(source: BinaryIO | bytes, *, max_frame_bytes: int | None = None) -> Iterator[Frame]:
    """Decodes the frames of a stream one at a time.

    ``source`` is a binary file object (``sys.stdin.buffer``, an open file, a pipe) or a
    bytes-like object. Only the current frame is held in memory, and nothing past its last
    byte is read from ``source``, so a caller may stop early and read on by other means.
    Frames whose ``.npy`` payload exceeds ``max_frame_bytes`` (default: half of physical
    memory, as in the Swift tools) are refused before anything is allocated for them.
    Raises ``FrameError`` at the first problem, after yielding the good frames before it.
    """
    for raw in _scan(source, max_frame_bytes):
        yield _decode(raw)


def iter_raw_frames(source: BinaryIO | bytes, *,
                    max_frame_bytes: int | None = None) -> Iterator[tuple[dict, bytes]]:
    """Yields ``(header, frame_bytes)`` for each frame without decompressing its payload.

    ``frame_bytes`` is the whole frame, header and payload, exactly as it is in the stream,
    so writing it out forwards the frame verbatim. The payload's end is found by walking
    zstd's block headers (FORMAT.md §3). Headers and payload framing are checked as in
    ``read_frames``; checksums and the ``.npy`` inside are not, as that takes decompression.
    """
    for raw in _scan(source, max_frame_bytes):
        yield raw.header, raw.data


@dataclass(frozen=True)
class _RawFrame:
    index: int
    header: dict
    data: bytes  # the whole frame, as it is in the stream
    stream_offset: int  # where the frame starts in the stream
    payload_start: int  # where its zstd payload frame starts, within `data`


class _Input:
    """A binary source read exactly as far as asked, counting the bytes consumed."""

    def __init__(self, source: BinaryIO | bytes):
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(source)
        elif isinstance(source, io.TextIOBase):
            raise TypeError("frames are binary: pass a binary file such as sys.stdin.buffer")
        self._file = source
        self.offset = 0

    def read(self, count: int) -> bytes:
        """``count`` bytes, or fewer only if the stream ends first."""
        parts = []
        remaining = count
        while remaining > 0:
            # Pipes and unbuffered files may return less than asked long before the end.
            chunk = self._file.read(remaining)
            if not chunk:
                break
            parts.append(chunk)
            remaining -= len(chunk)
        data = b"".join(parts)
        self.offset += len(data)
        return data

    def read_exactly(self, count: int, where: str) -> bytes:
        data = self.read(count)
        if len(data) < count:
            raise FrameError(f"stream ends inside {where}", byte_offset=self.offset)
        return data


def _scan(source: BinaryIO | bytes, max_frame_bytes: int | None) -> Iterator[_RawFrame]:
    """Reads frame after frame, checking each header and the framing of each payload."""
    stream = _Input(source)
    limit = _default_max_frame_bytes() if max_frame_bytes is None else max_frame_bytes
    for index in itertools.count():
        frame_start = stream.offset
        prefix = stream.read(8)  # magic and header length
        if not prefix:
            return  # the clean end of the stream
        name = None
        try:
            if len(prefix) < 8:
                raise FrameError("stream ends inside a frame header", byte_offset=stream.offset)
            header_json = _read_header_json(stream, prefix, frame_start)
            header = _parse_header(header_json, frame_start)
            if isinstance(header.get("name"), str) and header["name"]:
                name = header["name"]
            _check_header(header, limit, frame_start)
            parts = [prefix, header_json]
            _read_payload_frame(stream, header["npy_bytes"], parts)
        except FrameError as error:
            raise error.located(index, name) from None
        yield _RawFrame(index, header, b"".join(parts), frame_start, len(prefix) + len(header_json))


def _default_max_frame_bytes() -> int:
    """Half of physical memory: a larger frame could not be worked on anyway."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, ValueError, OSError):
        return 1 << 32


def _read_header_json(stream: _Input, prefix: bytes, frame_start: int) -> bytes:
    magic, length = struct.unpack("<II", prefix)
    if magic != HEADER_MAGIC:
        if magic in SKIPPABLE_MAGICS:
            reason = f"skippable frame with magic 0x{magic:08X} is not a frame header"
        elif magic == ZSTD_MAGIC:
            reason = "zstd frame without a frame header before it"
        else:
            reason = "not a frame stream (bad magic)"
        raise FrameError(reason, byte_offset=frame_start)
    if length > MAX_HEADER_BYTES:
        raise FrameError(f"frame header of {length} bytes exceeds the {MAX_HEADER_BYTES}-byte limit",
                         byte_offset=frame_start)
    return stream.read_exactly(length, "a frame header")


def _reject_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _parse_header(header_json: bytes, frame_start: int) -> dict:
    try:
        # NaN and Infinity are not JSON, and the Swift reader rejects them too.
        header = json.loads(header_json.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FrameError("header is not valid JSON", byte_offset=frame_start) from None
    if not isinstance(header, dict):
        raise FrameError("header is not a JSON object", byte_offset=frame_start)
    return header


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_header(header: dict, max_frame_bytes: int, frame_start: int) -> None:
    """Checks a header's fields (FORMAT.md §1), in the order the Swift reader does."""

    def malformed(reason: str) -> FrameError:
        return FrameError(reason, byte_offset=frame_start)

    if header.get("format") != FORMAT_NAME:
        raise malformed(f"header does not say format '{FORMAT_NAME}'")
    version = header.get("version")
    if not _is_int(version):
        raise malformed("header has no version")
    if version != FORMAT_VERSION:
        raise malformed(f"format version {version} is not supported (this reader knows {FORMAT_VERSION})")
    if not isinstance(header.get("name"), str) or not header["name"]:
        raise malformed("header has no name")
    dtype_name = header.get("dtype")
    if not isinstance(dtype_name, str):
        raise malformed("header has no dtype")
    if dtype_name not in DTYPES:
        raise malformed(f"unknown dtype '{dtype_name}'")
    shape = header.get("shape")
    if not isinstance(shape, list) or len(shape) > MAX_RANK:
        raise malformed(f"header shape is missing or has more than {MAX_RANK} dimensions")
    if not all(_is_int(extent) and 0 <= extent <= MAX_EXTENT for extent in shape):
        raise malformed("header shape has an invalid extent")
    if header.get("order") not in ("F", "C"):
        raise malformed("header order must be 'F' or 'C'")
    npy_bytes = header.get("npy_bytes")
    if not _is_int(npy_bytes) or npy_bytes < 0:
        raise malformed("header has no npy_bytes")
    if not isinstance(header.get("attributes", {}), dict):
        raise malformed("header attributes are not a JSON object")
    data_bytes = math.prod(shape) * DTYPES[dtype_name].itemsize
    if npy_bytes <= data_bytes:  # a .npy file is its data plus a non-empty dict
        raise malformed(f"header npy_bytes {npy_bytes} cannot hold {_describe_shape(shape)} {dtype_name}")
    if npy_bytes > max_frame_bytes:
        raise malformed(f"frame claims {npy_bytes} bytes, over the {max_frame_bytes}-byte limit")


def _describe_shape(shape: Sequence[int]) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"


def _read_payload_frame(stream: _Input, npy_bytes: int, parts: list[bytes]) -> None:
    """Reads the zstd frame after a header, appending its bytes to ``parts``.

    Only the framing is parsed (RFC 8878 §3.1.1): the frame header, then blocks each
    announced by a 3-byte header, then the checksum. Nothing is decompressed.
    """
    start = stream.offset
    head = stream.read_exactly(5, "the payload")  # magic and frame header descriptor
    magic, descriptor = struct.unpack("<IB", head)
    if magic != ZSTD_MAGIC:
        raise FrameError("frame header is not followed by a zstd payload frame", byte_offset=start)
    if descriptor & 0x08:
        raise FrameError("payload zstd frame header has its reserved bit set", byte_offset=start)
    single_segment = bool(descriptor & 0x20)
    dictionary_id_bytes = (0, 1, 2, 4)[descriptor & 0x03]
    content_size_bytes = (1 if single_segment else 0, 2, 4, 8)[descriptor >> 6]
    rest = stream.read_exactly((0 if single_segment else 1) + dictionary_id_bytes + content_size_bytes,
                               "the payload")
    if not descriptor & 0x04:
        raise FrameError("payload has no content checksum", byte_offset=start)
    if content_size_bytes == 0:
        raise FrameError("payload zstd frame does not record its content size", byte_offset=start)
    content_size = int.from_bytes(rest[len(rest) - content_size_bytes:], "little")
    if content_size_bytes == 2:
        content_size += 256  # RFC 8878 §3.1.1.1.4: the 2-byte form is offset by 256
    if content_size != npy_bytes:
        raise FrameError(f"payload holds {content_size} bytes but the header says npy_bytes {npy_bytes}",
                         byte_offset=start)
    parts += [head, rest]
    is_last = False
    while not is_last:
        block_start = stream.offset
        block_header = stream.read_exactly(3, "the payload")
        word = int.from_bytes(block_header, "little")
        is_last, block_type, size = bool(word & 1), (word >> 1) & 0x3, word >> 3
        if block_type == 3:
            raise FrameError("payload zstd frame has a reserved block type", byte_offset=block_start)
        if size > MAX_BLOCK_BYTES:
            raise FrameError(f"payload zstd block claims {size} bytes, more than zstd allows",
                             byte_offset=block_start)
        # An RLE block (type 1) stores its one repeated byte; raw and compressed store `size`.
        parts += [block_header, stream.read_exactly(1 if block_type == 1 else size, "the payload")]
    parts.append(stream.read_exactly(4, "the payload"))  # XXH64 content checksum


def _decode(raw: _RawFrame) -> Frame:
    """Decompresses a frame's payload straight into a new array, checking it against the header."""
    header = raw.header
    try:
        array = _decode_payload(header, memoryview(raw.data)[raw.payload_start:])
    except FrameError as error:
        located = FrameError(error.reason, byte_offset=raw.stream_offset + raw.payload_start)
        raise located.located(raw.index, header["name"]) from None
    return Frame(header["name"], array, header.get("attributes", {}), header)


def _decode_payload(header: dict, payload: memoryview) -> np.ndarray:
    dtype, shape, npy_bytes = DTYPES[header["dtype"]], tuple(header["shape"]), header["npy_bytes"]
    fortran = header["order"] == "F" and len(shape) > 1
    # read_across_frames=False: the reader stops at the end of this one zstd frame.
    content = zstandard.ZstdDecompressor().stream_reader(payload, read_across_frames=False)
    try:
        npy_shape, npy_fortran, npy_dtype = _read_npy_header(content)
        # A 1-D or scalar array is stored the same either way, so its order need not agree.
        if npy_dtype != dtype or npy_shape != shape or (len(shape) > 1 and npy_fortran != fortran):
            npy_order = "F" if npy_fortran and len(npy_shape) > 1 else "C"
            raise FrameError(
                f"payload .npy says {_DTYPE_NAMES.get(npy_dtype, npy_dtype.str)} {list(npy_shape)} "
                f"order {npy_order}, header says {header['dtype']} {list(shape)} order {header['order']}")
        if content.tell() + math.prod(shape) * dtype.itemsize != npy_bytes:
            raise FrameError(f"shape {_describe_shape(shape)} {header['dtype']} "
                             f"does not fit a payload of {npy_bytes} bytes")
        flat = np.empty(math.prod(shape), dtype)
        destination = memoryview(flat).cast("B")
        filled = 0
        while filled < len(destination):
            count = content.readinto(destination[filled:])
            if count == 0:
                raise FrameError("payload is shorter than its header says")
            filled += count
        # Reading on to the end of the frame is also what makes zstd check the checksum.
        if content.read(1):
            raise FrameError("payload is longer than its header says")
    except zstandard.ZstdError as error:
        if "checksum" in str(error).lower():
            raise FrameError("checksum mismatch: payload is corrupt") from None
        raise FrameError(f"payload cannot be decoded: {error}") from None
    return flat.reshape(shape, order="F" if fortran else "C")


def _read_npy_header(content: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from a ``.npy`` preamble and dict, parsed by numpy."""
    try:
        version = np.lib.format.read_magic(content)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(content)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(content)
    except zstandard.ZstdError:
        raise  # damage to the zstd frame itself, which the caller reports as such
    except Exception as error:  # numpy's literal parser raises ValueError, TokenError, ...
        raise FrameError(f"payload is not a valid .npy file: {' '.join(str(error).split())}") from None
    raise FrameError(f"unsupported .npy version {version[0]}.{version[1]}")


# MARK: - Writing


def write_frame(out: BinaryIO, name: str, array: Any, attributes: dict | None = None,
                level: int = 3) -> dict:
    """Writes ``array`` as one frame named ``name`` to the binary file ``out``; returns its header.

    The array must be float64, float32, int64, int32 or uint8; big-endian data of those types
    is converted to little-endian, anything else is refused (convert it explicitly, e.g.
    ``array.astype(np.float64)``). Arrays of rank 2 and more are stored Fortran-ordered, as
    the Swift tools store them. The payload is the ``.npy`` file ``np.save`` would write for
    that array, compressed as one zstd frame with its content size and checksum.

    ``attributes`` must be JSON-ready (numpy scalars and arrays are converted). As in the Swift
    writer, NaN and infinities become the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
    Integers must fit in 64 bits, because the Swift tools would round larger ones.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a frame needs a non-empty name")
    array = _storable(array)
    npy_header = _npy_header(array)
    npy_bytes = len(npy_header) + array.nbytes
    fortran = array.ndim > 1 and not array.flags.c_contiguous
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": name,
        "dtype": _DTYPE_NAMES[array.dtype],
        "shape": list(array.shape),
        # Arrays of rank 2+ that are C- and F-contiguous at once, such as 5×1, are stored
        # with numpy's fortran_order False, so the header says C to agree with the dict.
        "order": "C" if array.ndim > 1 and not fortran else "F",
        "npy_bytes": npy_bytes,
        "attributes": _json_ready(attributes or {}, "attributes"),
    }
    # Sorted keys and no whitespace, as the Swift writer does, so equal headers are equal bytes.
    header_json = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                             allow_nan=False).encode("utf-8")
    if len(header_json) > MAX_HEADER_BYTES:
        raise ValueError(f"header of {len(header_json)} bytes exceeds the {MAX_HEADER_BYTES}-byte limit")
    out.write(struct.pack("<II", HEADER_MAGIC, len(header_json)))
    out.write(header_json)
    compressor = zstandard.ZstdCompressor(
        level=level, write_checksum=True, write_content_size=True,
        threads=-1 if npy_bytes >= MULTITHREADING_THRESHOLD else 0)
    # closefd=False: closing the zstd writer ends the frame but must leave `out` open.
    with compressor.stream_writer(out, size=npy_bytes, closefd=False) as payload:
        payload.write(npy_header)
        # Memory order is storage order here, so the data goes out without a copy.
        payload.write(memoryview(array.reshape(-1, order="A")).cast("B"))
    return header


def _storable(value: Any) -> np.ndarray:
    """``value`` as a little-endian array of a frame dtype, in the layout it is stored in."""
    array = np.asarray(value)
    little_endian = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    if little_endian not in _DTYPE_NAMES:
        raise TypeError(f"dtype {array.dtype} cannot be a frame; convert it explicitly to one of "
                        f"{', '.join(DTYPES)} (e.g. array.astype(np.float64))")
    if array.ndim > MAX_RANK or any(extent > MAX_EXTENT for extent in array.shape):
        raise ValueError(f"shape {array.shape} is beyond the format's {MAX_RANK} dimensions "
                         f"of at most {MAX_EXTENT} each")
    # (np.ascontiguousarray would turn a scalar into a 1-element vector; asarray keeps rank 0.)
    return np.asarray(array, dtype=little_endian, order="F" if array.ndim > 1 else "C")


def _npy_header(array: np.ndarray) -> bytes:
    """The bytes ``np.lib.format.write_array`` writes before the data of ``array``.

    Version 1.0 always: a dict for at most 8 extents of at most 10 digits is far below the
    65 535 bytes at which numpy would switch to 2.0.
    """
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, np.lib.format.header_data_from_array_1_0(array))
    return buffer.getvalue()


def _json_ready(value: Any, where: str) -> Any:
    """``value`` as plain JSON types, in the forms the Swift tools read back unchanged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        return _json_ready(value.item(), where)
    if isinstance(value, int):
        if value not in _INT64_RANGE:
            raise ValueError(f"{where}: integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"{where}: JSON object keys must be strings")
        return {key: _json_ready(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        return [_json_ready(item, f"{where}[{i}]") for i, item in enumerate(items)]
    raise TypeError(f"{where}: {type(value).__name__} {value!r} is not JSON")


def add_provenance(attributes: dict | None, tool: str, arguments: Sequence[str],
                   seed: int | None = None, version: str = __version__) -> dict:
    """A copy of ``attributes`` whose ``provenance`` list ends with an entry for this stage.

    The entry is ``{"tool", "version", "arguments"[, "seed"]}`` (FORMAT.md §1): enough to
    rerun the stage, and nothing (clock, host) that would make equal runs differ. The
    argument is left unchanged, so one frame's attributes can seed several new frames.
    """
    entry = {"tool": tool, "version": version, "arguments": [str(argument) for argument in arguments]}
    if seed is not None:
        entry["seed"] = operator.index(seed)  # an integer, not something that rounds to one
    updated = dict(attributes or {})
    history = updated.get("provenance", [])
    if not isinstance(history, list):
        raise ValueError("attributes['provenance'] is not a list")
    updated["provenance"] = [*history, entry]
    return updated


# MARK: - Stages


#: What a stage's transform returns: new frames as (name, array, attributes).
NewFrames = Iterable[tuple[str, Any, dict | None]]


def run_stage(transform: Callable[[list[Frame], list[str]], NewFrames],
              argv: Sequence[str] | None = None, *, consumes: Collection[str] = ()) -> None:
    """Runs a filter from standard input to standard output, with the toolkit's conventions.

    Frames named in ``consumes`` are decoded and kept; every other frame is written to stdout
    verbatim as it arrives. At the end of the input, ``transform(consumed, arguments)`` is
    called with the consumed frames in stream order and ``argv[1:]``; the
    ``(name, array, attributes)`` triples it returns are appended to the output as new frames.

    ``argv`` defaults to ``sys.argv``; its first item names the tool in messages. Binary
    output to a terminal is refused. Any error ends the process with one line
    ``tool: message`` on stderr and status 1; a reader that closes the pipe early (``head``)
    ends it quietly with status 0.
    """
    argv = list(sys.argv if argv is None else argv)
    tool = os.path.basename(argv[0]) if argv else "stage"
    try:
        if sys.stdout.isatty():
            raise RuntimeError("refusing to write binary frames to a terminal; redirect stdout")
        output = sys.stdout.buffer
        consumed = []
        for raw in _scan(sys.stdin.buffer, None):
            if raw.header["name"] in consumes:
                consumed.append(_decode(raw))
            else:
                output.write(raw.data)
        for name, array, attributes in transform(consumed, argv[1:]):
            write_frame(output, name, array, attributes)
        output.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as error:  # one line for people, whatever went wrong
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{tool}: {message}", file=sys.stderr)
        sys.exit(1)
