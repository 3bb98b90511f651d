"""The frame format (``Sources/Frames/FORMAT.md``): reading and writing frames one at a time.

A frame is two zstd frames back to back: a *skippable* frame holding a JSON header (name,
dtype, shape, order, ``npy_bytes``, attributes), then a regular, checksummed zstd frame whose
content is one complete ``.npy`` file. Everything here follows the Swift reader and writer
(``Sources/Frames``): the same checks in the same order with the same messages, the same
header bytes, and the same ``.npy`` dict, so a frame written here is byte for byte the frame
the Swift tools write for the same array, up to the zstd library's compressed bytes.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Collection, Iterable, Iterator, Literal, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import zstandard

from ._io import Destination, Source, open_destination, open_source

FORMAT_NAME = "flatmin-frame"
FORMAT_VERSION = 1

HEADER_MAGIC = 0x184D2A5C
SKIPPABLE_MAGICS = range(0x184D2A50, 0x184D2A60)
ZSTD_MAGIC = 0xFD2FB528

#: Largest JSON header a reader accepts (FORMAT.md §1).
MAX_HEADER_BYTES = 16 << 20
#: Largest rank and extent a header may declare, as in the Swift reader.
MAX_RANK = 8
MAX_EXTENT = 2**31 - 1
#: zstd never produces a block larger than this (RFC 8878 §3.1.1.2.3).
MAX_BLOCK_BYTES = 128 << 10
#: Payloads from this size on are compressed in zstd's multi-threaded mode, whose output does
#: not depend on the number of threads (FORMAT.md §2); the Swift writer follows the same rule.
MULTITHREADING_THRESHOLD = 8 << 20

#: Header ``dtype`` names and the little-endian numpy types they stand for.
DTYPES: dict[str, np.dtype] = {
    "float64": np.dtype("<f8"),
    "float32": np.dtype("<f4"),
    "int64": np.dtype("<i8"),
    "int32": np.dtype("<i4"),
    "uint8": np.dtype("u1"),
}
_DTYPE_NAMES = {dtype: name for name, dtype in DTYPES.items()}

# The Swift tools hold JSON integers as Int64; larger ones would reach them as rounded doubles.
_INT64_RANGE = range(-(2**63), 2**63)
# The Swift reader refuses shapes whose element count, times 16, overflows Int64.
_MAX_ELEMENTS = (2**63 - 1) // 16

Order = Literal["F", "C"]


class FrameError(Exception):
    """A stream that is not a valid frame stream.

    The message locates the problem the way the Swift tools do:
    ``checksum mismatch: payload is corrupt (frame 2 'observations', byte 4096)``.
    ``byte_offset`` is where the bad part starts in the stream (the frame's header, its
    payload, or a zstd block inside it), or the stream's length when it was cut short.

    >>> try:
    ...     list(read_frames(b"not a stream"))
    ... except FrameError as error:
    ...     print(error)
    not a frame stream (bad magic) (frame 0, byte 0)
    """

    def __init__(self, reason: str, frame_index: Optional[int] = None, frame_name: Optional[str] = None,
                 byte_offset: Optional[int] = None):
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

    def located(self, frame_index: int, frame_name: Optional[str]) -> "FrameError":
        """The same error, naming the frame it happened in."""
        return FrameError(self.reason, frame_index, frame_name, self.byte_offset)


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame.

    ``array`` has the header's shape and dtype, Fortran-ordered when the frame is stored
    column-major (``order == "F"``) and C-ordered when row-major; ``header`` is the whole
    header, keys this package does not know included. Writing a ``Frame`` back (see
    ``write_frames``) keeps its storage order.

    >>> frame = Frame("x", np.arange(3.0))
    >>> frame.name, frame.order, frame.attributes
    ('x', 'F', {})
    """

    name: str
    array: np.ndarray
    attributes: dict = field(default_factory=dict)
    header: dict = field(default_factory=dict, repr=False)

    @property
    def order(self) -> Order:
        """The storage order the frame was read with: ``"F"`` (the toolkit's) or ``"C"``."""
        return self.header.get("order", "F")


#: What ``write_frames`` takes: ``Frame`` objects, or ``(name, array)`` and
#: ``(name, array, attributes)`` tuples.
FrameLike = Union[Frame, Tuple[str, Any], Tuple[str, Any, Optional[Mapping[str, Any]]]]


def is_layout_ambiguous(shape: Sequence[int]) -> bool:
    """Whether C and Fortran order store the same bytes for ``shape``: at most one extent
    above 1, or no element at all. NumPy (and the Swift writer) then say
    ``fortran_order: False`` whatever the header's order, and readers accept either.

    >>> is_layout_ambiguous((5, 1)), is_layout_ambiguous((0, 3)), is_layout_ambiguous((2, 3))
    (True, True, False)
    """
    return 0 in shape or sum(1 for extent in shape if extent > 1) <= 1


# MARK: - Reading


def read_frames(source: Source = "-", *, names: Optional[Collection[str]] = None,
                max_frame_bytes: Optional[int] = None) -> Iterator[Frame]:
    """Decodes the frames of a stream one at a time: a generator for streams of any size.

    ``source`` is a path (``"-"`` for standard input), the stream's bytes, or a binary file
    object such as ``sys.stdin.buffer``. Only the current frame is held in memory, and nothing
    past its last byte is read from a file object, so a caller may stop early and read on by
    other means. With ``names``, only frames of those names are decoded and yielded; the
    others are passed over on their zstd framing without being decompressed. Frames whose
    ``.npy`` payload exceeds ``max_frame_bytes`` (default: half of physical memory, as in the
    Swift tools) are refused before anything is allocated for them. Raises ``FrameError`` at
    the first problem, after yielding the good frames before it.

    >>> data = to_bytes([("a", np.arange(3)), ("b", np.eye(2), {"kind": "identity"})])
    >>> for frame in read_frames(data):
    ...     print(frame.name, frame.array.dtype, frame.array.shape, frame.attributes)
    a int64 (3,) {}
    b float64 (2, 2) {'kind': 'identity'}
    >>> [frame.name for frame in read_frames(data, names={"b"})]
    ['b']
    """
    wanted = None if names is None else frozenset(names)
    with open_source(source) as stream:
        for raw in _scan(stream, max_frame_bytes):
            if wanted is None or raw.header["name"] in wanted:
                yield _decode(raw)


def iter_raw_frames(source: Source = "-", *,
                    max_frame_bytes: Optional[int] = None) -> Iterator[tuple[dict, bytes]]:
    """Yields ``(header, frame_bytes)`` for each frame without decompressing its payload.

    ``frame_bytes`` is the whole frame, header and payload, exactly as it is in the stream,
    so writing it out forwards the frame verbatim, and ``read_frames(frame_bytes)`` decodes
    it. The payload's end is found by walking zstd's block headers (FORMAT.md §3). Headers
    and payload framing are checked as in ``read_frames``; checksums and the ``.npy`` inside
    are not, as that takes decompression.

    >>> data = to_bytes([("a", np.arange(3)), ("b", np.zeros((100, 100)))])
    >>> [(header["name"], header["shape"], header["npy_bytes"]) for header, raw in iter_raw_frames(data)]
    [('a', [3], 152), ('b', [100, 100], 80128)]
    >>> b"".join(raw for _, raw in iter_raw_frames(data)) == data
    True
    """
    with open_source(source) as stream:
        for raw in _scan(stream, max_frame_bytes):
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

    def __init__(self, file: BinaryIO):
        self._file = file
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


def _scan(file: BinaryIO, max_frame_bytes: Optional[int]) -> Iterator[_RawFrame]:
    """Reads frame after frame, checking each header and the framing of each payload."""
    stream = _Input(file)
    limit = default_max_frame_bytes() if max_frame_bytes is None else max_frame_bytes
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


def default_max_frame_bytes() -> int:
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


def _integer(value: Any) -> Optional[int]:
    """``value`` as an integer the way the Swift reader sees JSON numbers: integers, and
    floats with an integral value in Int64's range (``1.0``, ``1e3``), are integers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in _INT64_RANGE else None
    if isinstance(value, float) and value.is_integer() and -(2.0**63) <= value < 2.0**63:
        return int(value)
    return None


def _check_header(header: dict, max_frame_bytes: int, frame_start: int) -> None:
    """Checks a header's fields (FORMAT.md §1) in the Swift reader's order, and normalizes
    the integral ones (``version``, ``shape``, ``npy_bytes``) to Python integers."""

    def malformed(reason: str) -> FrameError:
        return FrameError(reason, byte_offset=frame_start)

    if header.get("format") != FORMAT_NAME:
        raise malformed(f"header does not say format '{FORMAT_NAME}'")
    version = _integer(header.get("version"))
    if version is None:
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
    extents = header.get("shape")
    if not isinstance(extents, list) or len(extents) > MAX_RANK:
        raise malformed(f"header shape is missing or has more than {MAX_RANK} dimensions")
    shape: list[int] = []
    for extent in extents:
        value = _integer(extent)
        if value is None or not 0 <= value <= MAX_EXTENT:
            raise malformed("header shape has an invalid extent")
        shape.append(value)
    if 0 not in shape and math.prod(shape) > _MAX_ELEMENTS:
        raise malformed(f"header shape {shape} holds more elements than can be addressed")
    if header.get("order") not in ("F", "C"):
        raise malformed("header order must be 'F' or 'C'")
    npy_bytes = _integer(header.get("npy_bytes"))
    if npy_bytes is None or npy_bytes < 0:
        raise malformed("header has no integer npy_bytes")
    if not isinstance(header.get("attributes", {}), dict):
        raise malformed("header attributes must be a JSON object")
    data_bytes = math.prod(shape) * DTYPES[dtype_name].itemsize
    if npy_bytes <= data_bytes:  # a .npy file is its data plus a non-empty dict
        raise malformed(f"header npy_bytes {npy_bytes} cannot hold {_describe_shape(shape)} {dtype_name}")
    if npy_bytes > max_frame_bytes:
        raise malformed(f"frame claims {npy_bytes} bytes, over the {max_frame_bytes}-byte limit")
    header.update(version=version, shape=shape, npy_bytes=npy_bytes)


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
    single_segment = bool(descriptor & 0x20)
    dictionary_id_bytes = (0, 1, 2, 4)[descriptor & 0x03]
    content_size_bytes = (1 if single_segment else 0, 2, 4, 8)[descriptor >> 6]
    rest = stream.read_exactly((0 if single_segment else 1) + dictionary_id_bytes + content_size_bytes,
                               "the payload")
    if descriptor & 0x08:
        raise FrameError("payload zstd frame header has its reserved bit set", byte_offset=start)
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
        # An RLE block (type 1) stores its one repeated byte; raw and compressed store `size`.
        if block_type != 1 and size > MAX_BLOCK_BYTES:
            raise FrameError(f"payload zstd block claims {size} bytes, more than zstd allows",
                             byte_offset=block_start)
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
    ambiguous = is_layout_ambiguous(shape)
    fortran = header["order"] == "F" and not ambiguous
    # read_across_frames=False: the reader stops at the end of this one zstd frame.
    content = zstandard.ZstdDecompressor().stream_reader(payload, read_across_frames=False)
    try:
        npy_shape, npy_fortran, npy_dtype = _read_npy_header(content)
        if content.tell() + math.prod(shape) * dtype.itemsize != npy_bytes:
            raise FrameError(f"shape {_describe_shape(shape)} {header['dtype']} "
                             f"does not fit a payload of {npy_bytes} bytes")
        if npy_dtype not in _DTYPE_NAMES:
            raise FrameError(f".npy dtype '{npy_dtype.str}' is not supported "
                             f"({', '.join(DTYPES)}, little-endian)")
        npy_fortran = npy_fortran and len(npy_shape) > 1
        if npy_dtype != dtype or npy_shape != shape or (not ambiguous and npy_fortran != fortran):
            raise FrameError(
                f"payload .npy says {_DTYPE_NAMES[npy_dtype]} {list(npy_shape)} "
                f"order {'F' if npy_fortran else 'C'}, header says {header['dtype']} {list(shape)} "
                f"order {header['order']}")
        flat = np.empty(math.prod(shape), dtype)
        destination = flat.data.cast("B")
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


def write_frame(out: BinaryIO, name: str, array: Any, attributes: Optional[Mapping[str, Any]] = None, *,
                order: Order = "F", level: int = 3) -> dict:
    """Writes ``array`` as one frame named ``name`` to the binary file ``out``; returns its header.

    The array must be float64, float32, int64, int32 or uint8; big-endian data of those types is converted to little-endian, anything else is refused
    (convert it explicitly, e.g. ``array.astype(np.float64)``). ``order`` is the storage
    order of arrays of rank 2 and more: ``"F"`` (column-major, what the Swift tools write
    and compute in) or ``"C"`` (row-major, NumPy's default, which the tools read too). The
    payload is the ``.npy`` file the Swift writer makes for the same array.

    ``attributes`` must be JSON-ready (numpy scalars and arrays are converted). As in the Swift
    writer, NaN and infinities become the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
    Integers must fit in 64 bits, because the Swift tools would round larger ones.

    >>> out = io.BytesIO()
    >>> header = write_frame(out, "m", np.arange(6.0).reshape(2, 3), {"seed": 7})
    >>> header["shape"], header["order"], header["npy_bytes"], header["attributes"]
    ([2, 3], 'F', 176, {'seed': 7})
    >>> next(read_frames(out.getvalue())).array
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a frame needs a non-empty name")
    if order not in ("F", "C"):
        raise ValueError(f"order must be 'F' or 'C', not {order!r}")
    array = _storable(array, order)
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": name,
        "dtype": _DTYPE_NAMES[array.dtype],
        "shape": list(array.shape),
        "order": order,
        "npy_bytes": 0,
        "attributes": _json_ready(dict(attributes or {}), "attributes"),
    }
    npy_header = npy_header_bytes(header["dtype"], array.shape, order)
    header["npy_bytes"] = npy_bytes = len(npy_header) + array.nbytes
    header_json = canonical_json(header)
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


def write_frames(destination: Destination, frames: Iterable[FrameLike], *, order: Optional[Order] = None,
                 level: int = 3) -> list[dict]:
    """Writes frames to ``destination``, a path (``"-"`` for standard output) or a binary
    file object; returns their headers.

    ``frames`` holds ``Frame`` objects (as ``read_frames`` yields them) or ``(name, array)``
    and ``(name, array, attributes)`` tuples, and may be a generator: each frame is written
    as it comes. A ``Frame`` keeps the storage order it was read with and the rest are
    stored column-major, unless ``order`` says otherwise for all. A path is written
    atomically: it appears only once every frame is in it.

    >>> out = io.BytesIO()
    >>> headers = write_frames(out, [("x", np.arange(4, dtype=np.int32)), ("y", 2.5, {"unit": "m"})])
    >>> [(header["name"], header["dtype"], header["shape"]) for header in headers]
    [('x', 'int32', [4]), ('y', 'float64', [])]

    Reading and writing a stream frame by frame reproduces it:

    >>> copy = io.BytesIO()
    >>> _ = write_frames(copy, read_frames(out.getvalue()))
    >>> [frame.attributes for frame in read_frames(copy.getvalue())]
    [{}, {'unit': 'm'}]
    """
    headers = []
    with open_destination(destination) as out:
        for item in frames:
            attributes: Optional[Mapping[str, Any]]
            if isinstance(item, Frame):
                name, array, attributes, own_order = item.name, item.array, item.attributes, item.order
            else:
                if not isinstance(item, tuple) or len(item) not in (2, 3):
                    raise TypeError("frames are Frame objects or (name, array[, attributes]) tuples, "
                                    f"not {type(item).__name__}")
                name, array, attributes, own_order = item[0], item[1], item[2] if len(item) == 3 else None, "F"
            headers.append(write_frame(out, name, array, attributes, order=order or own_order, level=level))
    return headers


def to_bytes(frames: Iterable[FrameLike], **options: Any) -> bytes:
    """The stream of ``frames`` as bytes (``write_frames`` to memory).

    >>> [frame.name for frame in read_frames(to_bytes([("x", np.zeros(3)), ("y", np.ones(2))]))]
    ['x', 'y']
    """
    out = io.BytesIO()
    write_frames(out, frames, **options)
    return out.getvalue()


def canonical_json(value: Any) -> bytes:
    """JSON as the Swift writer emits it: keys sorted, no whitespace, UTF-8 unescaped, so
    equal headers are equal bytes (FORMAT.md §1).

    >>> canonical_json({"b": [1, 2.5, None], "a": "σ/x"}).decode()
    '{"a":"σ/x","b":[1,2.5,null]}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def npy_header_bytes(dtype: str, shape: Sequence[int], order: Order) -> bytes:
    """The ``.npy`` preamble and dict a frame's payload starts with, as the Swift writer
    makes it (``Sources/Frames/NPY.swift``): version 1.0, the dict NumPy would write, padded
    with spaces and a newline to a multiple of 64 bytes. (NumPy itself pads further, leaving
    room to grow the shape in place; both read the same.)

    >>> header = npy_header_bytes("float64", (50, 40), "F")
    >>> header[:10], header[10:].decode().strip(), len(header)
    (b'\\x93NUMPY\\x01\\x00v\\x00', "{'descr': '<f8', 'fortran_order': True, 'shape': (50, 40), }", 128)
    """
    fortran = order == "F" and not is_layout_ambiguous(shape)
    shape_text = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    dictionary = (f"{{'descr': '{DTYPES[dtype].str}', 'fortran_order': {fortran}, "
                  f"'shape': {shape_text}, }}").encode("ascii")
    length_bytes = 2 if len(dictionary) + 1 + 10 < 65536 else 4
    unpadded = 8 + length_bytes + len(dictionary) + 1
    dictionary += b" " * ((64 - unpadded % 64) % 64) + b"\n"
    version = b"\x01\x00" if length_bytes == 2 else b"\x02\x00"
    return b"\x93NUMPY" + version + len(dictionary).to_bytes(length_bytes, "little") + dictionary


def _storable(value: Any, order: Order) -> np.ndarray:
    """``value`` as a little-endian array of a frame dtype, laid out in storage order."""
    array = np.asarray(value)
    little_endian = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    if little_endian not in _DTYPE_NAMES:
        raise TypeError(f"dtype {array.dtype} cannot be a frame; convert it explicitly to one of "
                        f"{', '.join(DTYPES)} (e.g. array.astype(np.float64))")
    if array.ndim > MAX_RANK or any(extent > MAX_EXTENT for extent in array.shape):
        raise ValueError(f"shape {array.shape} is beyond the format's {MAX_RANK} dimensions "
                         f"of at most {MAX_EXTENT} each")
    # (np.ascontiguousarray would turn a scalar into a 1-element vector; asarray keeps rank 0.)
    return np.asarray(array, dtype=little_endian, order=order if array.ndim > 1 else "C")


def _json_ready(value: Any, where: str) -> Any:
    """``value`` as plain JSON types, in the forms the Swift tools read back unchanged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        return _json_ready(value.item(), where)
    if isinstance(value, int):
        if value not in _INT64_RANGE:
            raise ValueError(f"{where}: integer {value} does not fit in 64 bits")
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return float(value)
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"{where}: JSON object keys must be strings")
        return {key: _json_ready(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        return [_json_ready(item, f"{where}[{i}]") for i, item in enumerate(items)]
    raise TypeError(f"{where}: {type(value).__name__} {value!r} is not JSON")
