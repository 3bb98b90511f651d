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
import re
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Collection, Iterable, Iterator, Literal, Mapping, Optional, Sequence, Tuple, Union

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

# JSON integers are 64-bit signed (FORMAT.md §1): both readers refuse others, writers never make them.
_INT64_RANGE = range(-(2**63), 2**63)
#: Deepest nesting of arrays and objects a header may have, the header object counting as 1.
MAX_JSON_NESTING = 64
# A shape's element count, times 16, must fit a signed 64-bit integer (FORMAT.md §1).
_MAX_ELEMENTS = (2**63 - 1) // 16
_SURROGATES = re.compile("[\ud800-\udfff]")
# How python-zstandard prefixes libzstd's error names.
_ZSTD_ERROR_PREFIX = "zstd decompressor error: "
_ZSTD_CHECKSUM_ERROR = "Restored data doesn't match checksum"

Order = Literal["F", "C"]

#: The classes of error (FORMAT.md §4), as the Swift reader's ``FrameError.Kind`` names them.
ErrorKind = Literal["truncated", "malformed", "unsupportedVersion", "inconsistent", "corrupt", "tooLarge"]


class FrameError(Exception):
    """A stream that is not a valid frame stream.

    The message locates the problem the way the Swift tools do, and says the same words for
    the same fault (FORMAT.md §4): ``checksum mismatch: payload is corrupt (frame 2
    'observations', byte 4096)``. ``kind`` is the class of fault (``truncated``,
    ``malformed``, ``unsupportedVersion``, ``inconsistent``, ``corrupt``, ``tooLarge``);
    ``byte_offset`` is where the part holding the fault starts in the stream: the frame's
    header, or its payload.

    >>> try:
    ...     list(read_frames(b"not a stream"))
    ... except FrameError as error:
    ...     print(error.kind, error)
    malformed not a frame stream (bad magic) (frame 0, byte 0)
    """

    def __init__(self, reason: str, frame_index: Optional[int] = None, frame_name: Optional[str] = None,
                 byte_offset: Optional[int] = None, kind: ErrorKind = "malformed"):
        self.reason = reason
        self.kind = kind
        self.frame_index = frame_index
        self.frame_name = frame_name
        self.byte_offset = byte_offset
        context = []
        if frame_index is not None:
            context.append(f"frame {frame_index}" + (f" '{frame_name}'" if frame_name is not None else ""))
        if byte_offset is not None:
            context.append(f"byte {byte_offset}")
        super().__init__(f"{reason} ({', '.join(context)})" if context else reason)

    def located(self, frame_index: int, frame_name: Optional[str], byte_offset: int) -> "FrameError":
        """The same error, naming the frame and the start of the part it happened in."""
        return FrameError(self.reason, frame_index, frame_name, byte_offset, self.kind)


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
    Swift tools' ``--max-frame-bytes``) are refused before anything is allocated for them.
    Raises ``FrameError`` at the first problem, after yielding the good frames before it.

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
        for raw in _scan(stream, max_frame_bytes, lambda header: wanted is None or header["name"] in wanted):
            if raw.frame is not None:
                yield raw.frame


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
        for raw in _scan(stream, max_frame_bytes, lambda header: False):
            yield raw.header, raw.data


@dataclass(frozen=True)
class _RawFrame:
    index: int
    header: dict
    data: bytes  # the whole frame, as it is in the stream
    frame: Optional[Frame]  # decoded, when asked for


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


def _scan(file: BinaryIO, max_frame_bytes: Optional[int],
          decode: Callable[[dict], bool]) -> Iterator[_RawFrame]:
    """Reads frame after frame, checking each header and the framing of each payload, and
    decoding the payloads of the headers ``decode`` picks."""
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
                raise FrameError("stream ends inside a frame header", kind="truncated")
            header_json = _read_header_json(stream, prefix)
            header = _parse_header(header_json)
            if isinstance(header.get("name"), str) and header["name"]:
                name = header["name"]
            _check_header(header, limit)
        except FrameError as error:
            raise error.located(index, name, frame_start) from None
        payload_start = stream.offset
        decoder = _PayloadDecoder(header) if decode(header) else None
        parts = [prefix, header_json]
        try:
            _read_payload_frame(stream, header["npy_bytes"], parts, decoder)
        except FrameError as error:
            raise error.located(index, name, payload_start) from None
        frame = Frame(name, decoder.array(), header["attributes"], header) if decoder else None
        yield _RawFrame(index, header, b"".join(parts), frame)


def default_max_frame_bytes() -> int:
    """Half of physical memory: a larger frame could not be worked on anyway."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, ValueError, OSError):
        return 1 << 32


def _read_header_json(stream: _Input, prefix: bytes) -> bytes:
    magic, length = struct.unpack("<II", prefix)
    if magic != HEADER_MAGIC:
        if magic in SKIPPABLE_MAGICS:
            reason = f"skippable frame with magic 0x{magic:08X} is not a frame header"
        elif magic == ZSTD_MAGIC:
            reason = "zstd frame without a frame header before it"
        else:
            reason = "not a frame stream (bad magic)"
        raise FrameError(reason)
    if length > MAX_HEADER_BYTES:
        raise FrameError(f"frame header of {length} bytes exceeds the {MAX_HEADER_BYTES}-byte limit", kind="tooLarge")
    header_json = stream.read(length)
    if len(header_json) < length:
        raise FrameError("stream ends inside a frame header", kind="truncated")
    return header_json


def parse_json(text: bytes) -> Any:
    """A JSON text read by the format's rules (FORMAT.md §1, "Reading JSON"), as the Swift
    reader reads it: UTF-8 without a byte-order mark, at most ``MAX_JSON_NESTING`` levels,
    no escaped lone surrogate, integers (numbers without fraction or exponent) within 64 bits,
    other numbers within a double's range, and no key twice in one object. Raises
    ``ValueError`` naming the first fault: any that makes the text not JSON, or else the first
    a parser meets as it finishes values (a number when it ends, an object when it closes).

    >>> parse_json(b'{"a":[1,-0.0,1e-310]}')
    {'a': [1, -0.0, 1e-310]}
    >>> parse_json(b'{"a":1,"a":2}')
    Traceback (most recent call last):
    ...
    ValueError: header has the key "a" twice in one object
    """
    problems: list[str] = []

    def note(problem: str) -> None:
        if not problems:
            problems.append(problem)

    def pairs(members: list[tuple[str, Any]]) -> dict:
        seen: set[str] = set()
        for key, _ in members:  # str equality is code point equality, never normalization
            if key in seen:
                note(f"duplicate:{key}")
                break
            seen.add(key)
        return dict(members)

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) <= 19 and int(literal) in _INT64_RANGE:
            return int(literal)
        note("header has an integer outside the 64-bit range")
        return 0

    def double(literal: str) -> float:
        value = float(literal)
        if math.isinf(value):
            note("header has a number beyond the range of a double")
            return 0.0
        return value

    def reject_constant(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        value = json.loads(text.decode("utf-8"), object_pairs_hook=pairs, parse_int=integer,
                           parse_float=double, parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("header is not valid JSON") from None
    if not _within_json_rules(value):
        raise ValueError("header is not valid JSON")
    if problems:
        problem = problems[0]
        if problem.startswith("duplicate:"):
            key = problem[len("duplicate:"):]
            problem = f"header has the key {canonical_json(key).decode()} twice in one object"
        raise ValueError(problem)
    return value


def _within_json_rules(value: Any) -> bool:
    """No nesting deeper than ``MAX_JSON_NESTING`` and no lone surrogate, which Python's json
    module lets through and the format does not."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _SURROGATES.search(item):
                return False
        elif isinstance(item, (list, dict)):
            if depth > MAX_JSON_NESTING:
                return False
            if isinstance(item, dict):
                pending += [(key, depth) for key in item]
                pending += [(member, depth + 1) for member in item.values()]
            else:
                pending += [(member, depth + 1) for member in item]
    return True


def _parse_header(header_json: bytes) -> dict:
    try:
        header = parse_json(header_json)
    except ValueError as error:
        raise FrameError(str(error)) from None
    if not isinstance(header, dict):
        raise FrameError("header is not a JSON object")
    return header


def _is_integer(value: Any) -> bool:
    """A JSON integer: ``1``, never ``1.0``, ``1e0`` or ``true`` (FORMAT.md §1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_header(header: dict, max_frame_bytes: int) -> None:
    """Checks a header's fields (FORMAT.md §1, reader checks) in the Swift reader's order."""
    if header.get("format") != FORMAT_NAME:
        raise FrameError(f"header does not say format '{FORMAT_NAME}'")
    version = header.get("version")
    if not _is_integer(version):
        raise FrameError("header has no integer version")
    if version != FORMAT_VERSION:
        raise FrameError(f"format version {version} is not supported (this reader knows {FORMAT_VERSION})",
                         kind="unsupportedVersion")
    if not isinstance(header.get("name"), str) or not header["name"]:
        raise FrameError("header has no name")
    dtype_name = header.get("dtype")
    if not isinstance(dtype_name, str):
        raise FrameError("header has no dtype")
    if dtype_name not in DTYPES:
        raise FrameError(f"unknown dtype {canonical_json(dtype_name).decode()}")
    shape = header.get("shape")
    if not isinstance(shape, list) or len(shape) > MAX_RANK:
        raise FrameError(f"header shape is missing or has more than {MAX_RANK} dimensions")
    for extent in shape:
        if not _is_integer(extent) or not 0 <= extent <= MAX_EXTENT:
            raise FrameError(f"header shape has an extent that is not an integer from 0 to {MAX_EXTENT}")
    if 0 not in shape and math.prod(shape) > _MAX_ELEMENTS:
        raise FrameError(f"header shape {shape} holds more elements than can be addressed", kind="tooLarge")
    if header.get("order") not in ("F", "C"):
        raise FrameError("header order must be 'F' or 'C'")
    npy_bytes = header.get("npy_bytes")
    if not _is_integer(npy_bytes) or npy_bytes < 0:
        raise FrameError("header has no integer npy_bytes")
    if not isinstance(header.get("attributes"), dict):
        raise FrameError("header has no attributes object")
    if npy_bytes <= math.prod(shape) * DTYPES[dtype_name].itemsize:  # a .npy file is its data and a dict
        raise FrameError(f"header npy_bytes {npy_bytes} cannot hold {_describe_shape(shape)} {dtype_name}",
                         kind="inconsistent")
    if npy_bytes > max_frame_bytes:
        raise FrameError(f"frame claims {npy_bytes} bytes, over the {max_frame_bytes}-byte limit (--max-frame-bytes)",
                         kind="tooLarge")


def _describe_shape(shape: Sequence[int]) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"


def _read_payload_frame(stream: _Input, npy_bytes: int, parts: list[bytes],
                        decoder: Optional["_PayloadDecoder"]) -> None:
    """Reads the zstd frame after a header, appending its bytes to ``parts``, and hands each
    piece to ``decoder`` as it is read, so that a decoding read meets every fault in stream
    order, as the Swift reader does.

    Only the framing is parsed here (RFC 8878 §3.1.1): the frame header, then blocks each
    announced by a 3-byte header, then the checksum.
    """

    def read(count: int) -> bytes:
        data = stream.read(count)
        parts.append(data)
        if decoder is not None and data:
            decoder.feed(data)
        if len(data) < count:
            raise FrameError("stream ends inside the payload", kind="truncated")
        return data

    head = stream.read(5)  # magic and frame header descriptor
    if len(head) < 5:
        raise FrameError("stream ends inside the payload", kind="truncated")
    magic, descriptor = struct.unpack("<IB", head)
    if magic != ZSTD_MAGIC:
        raise FrameError("frame header is not followed by a zstd payload frame")
    single_segment = bool(descriptor & 0x20)
    dictionary_id_bytes = (0, 1, 2, 4)[descriptor & 0x03]
    content_size_bytes = (1 if single_segment else 0, 2, 4, 8)[descriptor >> 6]
    rest = stream.read((0 if single_segment else 1) + dictionary_id_bytes + content_size_bytes)
    if len(rest) < (0 if single_segment else 1) + dictionary_id_bytes + content_size_bytes:
        raise FrameError("stream ends inside the payload", kind="truncated")
    if descriptor & 0x08:
        raise FrameError("payload zstd frame header has its reserved bit set")
    if dictionary_id_bytes:
        raise FrameError("payload zstd frame names a dictionary")
    if not descriptor & 0x04:
        raise FrameError("payload has no content checksum")
    if content_size_bytes == 0:
        raise FrameError("payload zstd frame does not record its content size")
    content_size = int.from_bytes(rest[len(rest) - content_size_bytes:], "little")
    if content_size_bytes == 2:
        content_size += 256  # RFC 8878 §3.1.1.1.4: the 2-byte form is offset by 256
    if content_size != npy_bytes:
        raise FrameError(f"payload holds {content_size} bytes but the header says npy_bytes {npy_bytes}",
                         kind="inconsistent")
    parts += [head, rest]
    if decoder is not None:
        decoder.feed(head + rest)
    is_last = False
    while not is_last:
        block_header = stream.read(3)
        parts.append(block_header)
        if len(block_header) < 3:
            raise FrameError("stream ends inside the payload", kind="truncated")
        word = int.from_bytes(block_header, "little")
        is_last, block_type, size = bool(word & 1), (word >> 1) & 0x3, word >> 3
        if block_type == 3:
            raise FrameError("payload zstd frame has a reserved block type")
        # An RLE block (type 1) stores its one repeated byte; raw and compressed store `size`.
        if block_type != 1 and size > MAX_BLOCK_BYTES:
            raise FrameError(f"payload zstd block claims {size} bytes, more than zstd allows")
        if decoder is not None:
            decoder.feed(block_header)
        read(1 if block_type == 1 else size)
    read(4)  # XXH64 content checksum
    if decoder is not None:
        decoder.finish()


class _PayloadDecoder:
    """Decompresses a payload as its bytes arrive and checks what comes out against the
    header, in the order the Swift reader checks: the ``.npy`` preamble, the sizes, the dict,
    then the data and the frame's end."""

    def __init__(self, header: dict):
        self._header = header
        self._dtype = DTYPES[header["dtype"]]
        self._shape = tuple(header["shape"])
        self._npy_bytes = header["npy_bytes"]
        self._decompressor = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""  # output not yet placed: the .npy header, until it is complete
        self._npy_header_bytes: Optional[int] = None  # preamble and dict, once known
        self._flat: Optional[np.ndarray] = None
        self._destination: Optional[memoryview] = None
        self._filled = 0

    def feed(self, data: bytes) -> None:
        try:
            output = self._decompressor.decompress(data)
        except zstandard.ZstdError as error:
            name = str(error).removeprefix(_ZSTD_ERROR_PREFIX)
            if name == _ZSTD_CHECKSUM_ERROR:
                raise FrameError("checksum mismatch: payload is corrupt", kind="corrupt") from None
            raise FrameError(f"payload cannot be decoded: {name}", kind="corrupt") from None
        if output:
            self._take(output)

    def finish(self) -> None:
        if not self._decompressor.eof:
            raise FrameError("payload cannot be decoded: the zstd frame does not end with its checksum", kind="corrupt")
        if self._destination is None or self._filled < len(self._destination):
            raise FrameError("payload is shorter than its header says", kind="inconsistent")

    def array(self) -> np.ndarray:
        assert self._flat is not None
        fortran = self._header["order"] == "F" and not is_layout_ambiguous(self._shape)
        return self._flat.reshape(self._shape, order="F" if fortran else "C")

    def _take(self, output: bytes) -> None:
        if self._destination is None:
            self._pending += output
            if not self._check_npy_header():
                return
            output, self._pending = self._pending[self._npy_header_bytes:], b""
        room = len(self._destination) - self._filled
        if len(output) > room:
            raise FrameError("payload is longer than its header says", kind="inconsistent")
        self._destination[self._filled:self._filled + len(output)] = output
        self._filled += len(output)

    def _check_npy_header(self) -> bool:
        """Checks as much of the ``.npy`` header as has arrived; true once all of it has, and
        the array to decode into exists."""
        pending = self._pending
        if len(pending) < NPY_PREAMBLE_BYTES:
            return False
        length_bytes = npy_length_field_bytes(pending[:NPY_PREAMBLE_BYTES])
        if len(pending) < NPY_PREAMBLE_BYTES + length_bytes:
            return False
        dict_bytes = int.from_bytes(pending[NPY_PREAMBLE_BYTES:NPY_PREAMBLE_BYTES + length_bytes], "little")
        header_bytes = NPY_PREAMBLE_BYTES + length_bytes + dict_bytes
        data_bytes = math.prod(self._shape) * self._dtype.itemsize
        if header_bytes + data_bytes != self._npy_bytes:
            raise FrameError(f"shape {_describe_shape(self._shape)} {self._header['dtype']} "
                             f"does not fit a payload of {self._npy_bytes} bytes", kind="inconsistent")
        if len(pending) < header_bytes:
            return False
        npy_dtype, npy_fortran, npy_shape = parse_npy_dict(pending[header_bytes - dict_bytes:header_bytes])
        header = self._header
        ambiguous = is_layout_ambiguous(self._shape)
        fortran = header["order"] == "F"
        if npy_dtype != header["dtype"] or npy_shape != list(self._shape) or (not ambiguous and npy_fortran != fortran):
            raise FrameError(
                f"payload .npy says {npy_dtype} {npy_shape} order {'F' if npy_fortran else 'C'}, "
                f"header says {header['dtype']} {list(self._shape)} order {header['order']}", kind="inconsistent")
        self._npy_header_bytes = header_bytes
        self._flat = np.empty(math.prod(self._shape), self._dtype)
        self._destination = self._flat.data.cast("B")
        return True


#: Magic, version and the first two bytes of the dict's length (NumPy's NEP 1).
NPY_PREAMBLE_BYTES = 8
_NPY_MAGIC = b"\x93NUMPY"
_NPY_DESCRIPTORS = {"<f8": "float64", "<f4": "float32", "<i8": "int64", "<i4": "int32", "|u1": "uint8",
                    "<u1": "uint8"}


def npy_length_field_bytes(preamble: bytes) -> int:
    """How many bytes hold the ``.npy`` dict's length: 2 for version 1.0, 4 for 2.0; any other
    version is refused (FORMAT.md §2)."""
    if preamble[:6] != _NPY_MAGIC:
        raise FrameError("payload is not a .npy file (bad magic)")
    version = (preamble[6], preamble[7])
    if version == (1, 0):
        return 2
    if version == (2, 0):
        return 4
    raise FrameError(f"unsupported .npy version {version[0]}.{version[1]}", kind="unsupportedVersion")


def parse_npy_dict(text: bytes) -> tuple[str, bool, list[int]]:
    """``(dtype, fortran_order, shape)`` from a ``.npy`` dict such as
    ``{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }``, read with the grammar
    and messages of the Swift reader (FORMAT.md §2): ASCII; keys ``descr``, ``fortran_order``
    and ``shape`` once each and no other; strings in single or double quotes without escapes;
    ``True`` or ``False``; a tuple of decimal integers; then only whitespace. ``fortran_order``
    is False for shapes of rank below 2, where it says nothing.

    >>> parse_npy_dict(b"{'descr': '|u1', 'fortran_order': True, 'shape': (5,), }      \\n")
    ('uint8', False, [5])
    """
    if any(byte >= 0x80 for byte in text):
        raise FrameError(".npy header dict is not ASCII")
    parser = _LiteralParser(text.decode("ascii"))
    values: dict[str, Any] = {}
    parser.expect("{")
    while not parser.consume_if("}"):
        key = parser.string()
        if key in values:
            raise FrameError(f".npy header has the key {canonical_json(key).decode()} twice")
        parser.expect(":")
        if key == "descr":
            values[key] = parser.string()
        elif key == "fortran_order":
            values[key] = parser.boolean()
        elif key == "shape":
            values[key] = parser.integer_tuple()
        else:
            raise FrameError(f".npy header has unknown key {canonical_json(key).decode()}")
        if not parser.consume_if(","):
            parser.expect("}")
            break
    parser.skip_space()
    if parser.position != len(parser.text):
        raise FrameError(".npy header dict has bytes after its closing brace")
    if len(values) < 3:
        raise FrameError(".npy header lacks descr, fortran_order or shape")
    descr, fortran, shape = values["descr"], values["fortran_order"], values["shape"]
    if descr not in _NPY_DESCRIPTORS:
        raise FrameError(f".npy dtype {canonical_json(descr).decode()} is not supported (float64, float32, int64, int32, uint8, little-endian)")
    if 0 not in shape and math.prod(shape) > _MAX_ELEMENTS:
        raise FrameError(f".npy shape {shape} holds more elements than can be addressed", kind="tooLarge")
    return _NPY_DESCRIPTORS[descr], fortran and len(shape) > 1, shape


class _LiteralParser:
    """Enough of Python's literal syntax for the three values NumPy writes, as the Swift
    reader's parser reads it."""

    def __init__(self, text: str):
        self.text = text
        self.position = 0

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position] in " \n\t\r":
            self.position += 1

    def consume_if(self, token: str) -> bool:
        self.skip_space()
        if self.text.startswith(token, self.position):
            self.position += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.consume_if(token):
            raise FrameError(f".npy header dict is malformed near byte {self.position}")

    def string(self) -> str:
        self.skip_space()
        if self.position >= len(self.text) or self.text[self.position] not in "'\"":
            raise FrameError(f".npy header dict is malformed near byte {self.position}")
        end = self.text.find(self.text[self.position], self.position + 1)
        if end < 0:
            raise FrameError(".npy header has an unterminated string")
        value = self.text[self.position + 1:end]
        self.position = end + 1
        return value

    def boolean(self) -> bool:
        if self.consume_if("True"):
            return True
        if self.consume_if("False"):
            return False
        raise FrameError(".npy fortran_order is not True or False")

    def integer_tuple(self) -> list[int]:
        self.expect("(")
        values: list[int] = []
        while not self.consume_if(")"):
            self.skip_space()
            start = self.position
            while self.position < len(self.text) and self.text[self.position] in "0123456789":
                self.position += 1
            if not 0 < self.position - start < 12:
                raise FrameError(".npy shape is malformed")
            values.append(int(self.text[start:self.position]))
            if len(values) > MAX_RANK:
                raise FrameError(".npy shape has too many dimensions")
            if not self.consume_if(","):
                self.expect(")")
                break
        return values


# MARK: - Writing


def write_frame(out: BinaryIO, name: str, array: Any, attributes: Optional[Mapping[str, Any]] = None, *,
                order: Order = "F", level: int = 3) -> dict:
    """Writes ``array`` as one frame named ``name`` to the binary file ``out``; returns its header.

    A frame holds float64, float32, int64, int32 or uint8. Other numeric types are converted
    to one that holds their values exactly, as ``frames import`` converts a ``.npy`` file (bool
    → uint8; int8, int16, uint16 → int32; uint32, and uint64 up to 2⁶³ − 1 → int64; float16 →
    float32; big-endian → little-endian), and the original type is kept in the
    ``source_dtype`` attribute; complex, strings and objects are refused (convert them
    explicitly). ``order`` is the storage
    order of arrays of rank 2 and more: ``"F"`` (column-major, what the Swift tools write
    and compute in) or ``"C"`` (row-major, NumPy's default, which the tools read too). The
    payload is the ``.npy`` file the Swift writer makes for the same array.

    ``attributes`` must be JSON-ready (numpy scalars and arrays are converted). As in the Swift
    writer, NaN and infinities become the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
    Integers must fit in 64 bits, strings must be valid Unicode (no lone surrogate) and nesting
    is limited to 64 levels, because readers refuse anything else (FORMAT.md §1).

    >>> out = io.BytesIO()
    >>> header = write_frame(out, "m", np.arange(6.0).reshape(2, 3), {"seed": 7})
    >>> header["shape"], header["order"], header["npy_bytes"], header["attributes"]
    ([2, 3], 'F', 176, {'seed': 7})
    >>> next(read_frames(out.getvalue())).array
    array([[0., 1., 2.],
           [3., 4., 5.]])
    >>> header = write_frame(io.BytesIO(), "mask", np.array([True, False]))
    >>> header["dtype"], header["attributes"]
    ('uint8', {'source_dtype': '|b1'})
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a frame needs a non-empty name")
    if order not in ("F", "C"):
        raise ValueError(f"order must be 'F' or 'C', not {order!r}")
    array, source_dtype = _storable(array, order)
    attributes = dict(attributes or {})
    if source_dtype is not None:
        attributes.setdefault("source_dtype", source_dtype)
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": name,
        "dtype": _DTYPE_NAMES[array.dtype],
        "shape": list(array.shape),
        "order": order,
        "npy_bytes": 0,
        "attributes": _json_ready(attributes, "attributes"),
    }
    npy_header = npy_header_bytes(header["dtype"], array.shape, order)
    header["npy_bytes"] = npy_bytes = len(npy_header) + array.nbytes
    if not _within_json_rules(header):
        raise ValueError(f"attributes nest deeper than the format's {MAX_JSON_NESTING} levels (the header counting as one)")
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


# Types a frame does not hold, and the frame type that holds each of their values exactly: the
# conversions `frames import` makes of a .npy file (uint64 only while its values fit int64).
_WIDENED = {"b1": "u1", "i1": "<i4", "i2": "<i4", "u2": "<i4", "u4": "<i8", "u8": "<i8", "f2": "<f4"}


def _storable(value: Any, order: Order) -> tuple[np.ndarray, str | None]:
    """``value`` as a little-endian array of a frame dtype, laid out in storage order, and the
    original type's ``.npy`` descriptor when it had to be converted (None otherwise)."""
    array = np.asarray(value)
    target, source = _frame_dtype(array)
    # (np.ascontiguousarray would turn a scalar into a 1-element vector; asarray keeps rank 0.)
    return np.asarray(array, dtype=target, order=order if array.ndim > 1 else "C"), source


def _frame_dtype(array: np.ndarray) -> tuple[np.dtype, str | None]:
    """The frame dtype ``array`` is stored as and the descriptor of its own type when that
    differs; the error a write would meet, raised without converting anything."""
    little_endian = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    target = little_endian if little_endian in _DTYPE_NAMES else None
    if target is None and array.dtype.kind in "biuf":
        target = np.dtype(_WIDENED.get(f"{array.dtype.kind}{array.dtype.itemsize}", "V"))
    if target is None or target not in _DTYPE_NAMES:
        raise TypeError(f"dtype {array.dtype} cannot be a frame; convert it explicitly to one of "
                        f"{', '.join(DTYPES)} (e.g. array.astype(np.float64))")
    if array.dtype.kind == "u" and array.dtype.itemsize == 8 and array.size and array.max() > 2**63 - 1:
        raise ValueError(f"uint64 value {array.max()} is above int64's range, the widest integer a frame holds")
    if array.ndim > MAX_RANK or any(extent > MAX_EXTENT for extent in array.shape):
        raise ValueError(f"shape {array.shape} is beyond the format's {MAX_RANK} dimensions "
                         f"of at most {MAX_EXTENT} each")
    return target, None if array.dtype == target else array.dtype.str


def _json_ready(value: Any, where: str) -> Any:
    """``value`` as plain JSON types, in the forms the Swift tools read back unchanged."""
    if isinstance(value, str):
        if _SURROGATES.search(value):
            raise ValueError(f"{where}: string {value!r} holds a lone surrogate, which UTF-8 cannot carry")
        return value
    if value is None or isinstance(value, bool):
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
        return {_json_ready(key, f"{where} key"): _json_ready(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        return [_json_ready(item, f"{where}[{i}]") for i, item in enumerate(items)]
    raise TypeError(f"{where}: {type(value).__name__} {value!r} is not JSON")
