#!/usr/bin/env python3
"""Remakes the hand-made part of the stream corpus (Tests/Corpus/README.md):

    edge/      valid streams no writer of the toolkit makes, at the edges of FORMAT.md: JSON
               spelled every way it may be, attribute values that are easy to lose, .npy dicts
               and zstd framings other writers produce
    invalid/   streams every reader must refuse, one fault each, with the verdict FORMAT.md §4
               gives: class, message, frame, byte, and the frames read before it

Every stream is built here from its parts with the standard library's json, numpy's .npy
format and python-zstandard, never with a reader under test, and every verdict is written out
by hand from the format's rules. The manifest keeps the tools' streams (valid/, made by
make-corpus.sh) and lists these after them.

Usage: python3 Tests/Corpus/handmade.py
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import sys
from pathlib import Path

import numpy as np
import zstandard

CORPUS = Path(__file__).resolve().parent
HEADER_MAGIC = 0x184D2A5C
MAX_ELEMENTS = (2**63 - 1) // 16


def canonical(value) -> str:
    """Canonical JSON (FORMAT.md §1): what every writer of the format emits."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def npy_dict(descr: str, fortran: bool, shape) -> str:
    shape_text = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    return f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}"


def npy_header(dictionary: str, version=(1, 0)) -> bytes:
    """A .npy preamble and dict padded with spaces and a newline to a multiple of 64 bytes."""
    text = dictionary.encode("latin-1")
    length_bytes = 2 if version[0] == 1 else 4
    unpadded = 8 + length_bytes + len(text) + 1
    text += b" " * ((64 - unpadded % 64) % 64) + b"\n"
    return b"\x93NUMPY" + bytes(version) + len(text).to_bytes(length_bytes, "little") + text


DESCRIPTORS = {"float64": "<f8", "float32": "<f4", "int64": "<i8", "int32": "<i4", "uint8": "|u1"}


class Frame:
    """One frame's parts, each replaceable to build a fault."""

    def __init__(self, name, array, attributes=None, order="F"):
        array = np.asarray(array)
        ambiguous = 0 in array.shape or sum(1 for n in array.shape if n > 1) <= 1
        self.array = array
        self.fortran = order == "F" and not ambiguous
        self.npy = npy_header(npy_dict(DESCRIPTORS[array.dtype.name], self.fortran, array.shape)) + \
            array.tobytes(order="F" if self.fortran else "C")
        self.header = {"format": "flatmin-frame", "version": 1, "name": name, "dtype": array.dtype.name,
                       "shape": list(array.shape), "order": order, "npy_bytes": len(self.npy),
                       "attributes": attributes or {}}
        self.header_text = None  # JSON text to write instead of canonical(header)
        self.compressor = {"write_checksum": True, "write_content_size": True}

    def header_bytes(self) -> bytes:
        text = (self.header_text if self.header_text is not None else canonical(self.header))
        body = text.encode("utf-8") if isinstance(text, str) else text
        return struct.pack("<II", HEADER_MAGIC, len(body)) + body

    def payload(self) -> bytes:
        return zstandard.ZstdCompressor(level=3, **self.compressor).compress(self.npy)

    def bytes(self) -> bytes:
        return self.header_bytes() + self.payload()


def blocks(payload: bytes):
    """(offset, type, size, is_last) of each block of a zstd frame, by RFC 8878 §3.1.1."""
    descriptor = payload[4]
    single = bool(descriptor & 0x20)
    position = 5 + (0 if single else 1) + (0, 1, 2, 4)[descriptor & 3] + ((1 if single else 0), 2, 4, 8)[descriptor >> 6]
    found = []
    while True:
        word = int.from_bytes(payload[position:position + 3], "little")
        kind, size, last = (word >> 1) & 3, word >> 3, bool(word & 1)
        found.append((position, kind, size, last))
        position += 3 + (1 if kind == 1 else size)
        if last:
            return found


streams: list[dict] = []


def frame_entry(frame: Frame, attributes=None) -> dict:
    """What a reader must find in a valid frame."""
    dict_length = int.from_bytes(frame.npy[8:10], "little") if frame.npy[6] == 1 else int.from_bytes(frame.npy[8:12], "little")
    data = frame.npy[(10 if frame.npy[6] == 1 else 12) + dict_length:]
    attributes = frame.header["attributes"] if attributes is None else attributes
    return {"name": frame.header["name"], "dtype": frame.header["dtype"], "shape": frame.header["shape"],
            "order": frame.header["order"], "npy_bytes": frame.header["npy_bytes"],
            "npy_sha256": hashlib.sha256(frame.npy).hexdigest(), "data_sha256": hashlib.sha256(data).hexdigest(),
            "attributes": attributes, "attributes_json": canonical(attributes)}


def edge(name: str, made_by: str, frames: list[Frame], expected=None):
    data = b"".join(frame.bytes() for frame in frames)
    (CORPUS / "edge" / f"{name}.frames").write_bytes(data)
    streams.append({"file": f"edge/{name}.frames", "valid": True, "made_by": made_by,
                    "frames": expected or [frame_entry(frame) for frame in frames]})


def invalid(name: str, made_by: str, data: bytes, *, before: list[str], index: int, frame_name, offset: int,
            kind: str, reason: str, walking=True, max_frame_bytes=None):
    """An invalid stream and its verdict: the error a decoding reader gives after reading the
    frames `before`. `walking` says whether a reader that skips payloads without decompressing
    them (FORMAT.md §3) meets the same error (True), or reads every frame (False)."""
    (CORPUS / "invalid" / f"{name}.frames").write_bytes(data)
    context = f"frame {index}" + (f" '{frame_name}'" if frame_name is not None else "") + f", byte {offset}"
    error = {"kind": kind, "message": f"{reason} ({context})", "frame_index": index, "frame_name": frame_name,
             "byte_offset": offset}
    entry = {"file": f"invalid/{name}.frames", "valid": False, "made_by": made_by}
    if max_frame_bytes is not None:
        entry["max_frame_bytes"] = max_frame_bytes
    entry |= {"frames_before": before, "error": error, "error_without_decoding": error if walking else None}
    streams.append(entry)


def good(name="m", attributes=None):
    return Frame(name, np.arange(12.0).reshape(3, 4), attributes or {"seed": 1})


def header_fault(name: str, made_by: str, change, reason: str, *, kind="malformed", named=True, **options):
    """The good frame after one, its header changed by `change(frame)`."""
    first, frame = good("first"), good()
    change(frame)
    data = first.bytes() + frame.bytes()
    invalid(name, made_by, data, before=["first"], index=1, frame_name="m" if named else None,
            offset=len(first.bytes()), kind=kind, reason=reason, **options)


def payload_fault(name: str, made_by: str, data_of, reason: str, *, kind="malformed", walking=True, frame=None):
    """One frame whose payload `data_of(frame)` gives: the fault is in the payload part."""
    frame = frame or good()
    invalid(name, made_by, frame.header_bytes() + data_of(frame), before=[], index=0, frame_name=frame.header["name"],
            offset=len(frame.header_bytes()), kind=kind, reason=reason, walking=walking)


def set_field(key, value):
    def change(frame):
        if value is None:
            frame.header.pop(key)
        else:
            frame.header[key] = value
    return change


# A good header's fields but attributes, for header texts written out by hand.
HEAD = '"format":"flatmin-frame","version":1,"name":"m","dtype":"float64","shape":[3,4],"order":"F","npy_bytes":224'


def make():
    for folder in ("edge", "invalid"):
        (CORPUS / folder).mkdir(exist_ok=True)
        for old in (CORPUS / folder).iterdir():
            old.unlink()

    # MARK: Valid streams at the edges

    nfc, nfd = "\u00e9t\u00e9", "e\u0301te\u0301"  # "été" composed and decomposed
    deep = "leaf"
    for _ in range(62):  # the header (1) and attributes (2) bring it to 64 levels, the limit
        deep = [deep]
    attributes = {
        "int_max": 2**63 - 1, "int_min": -(2**63), "beyond_double": 2**53 + 1, "zero_int": 0,
        "neg_zero": -0.0, "zero_double": 0.0, "whole_double": 3.0, "subnormal": 1e-310, "min_subnormal": 5e-324,
        "max_double": 1.7976931348623157e308, "e16": 1e16, "e15": 1e15, "tenth": 0.1, "e_minus_5": 1e-05,
        "doubles_beyond_2_53": [9007199254740993.0, 1.2345678901234568e+17, 9.223372036854776e+18],
        nfc: "composed", nfd: "decomposed", "\u00c5": "A with ring", "\u212b": "angstrom sign",
        "text": "q\"b\\s/\b\f\n\r\t\x00\x01\x1f\x7f\u2028\u00e9\U0001F600", "nested": {"a": [1, 2.5, None, True, False, {}, []]},
        "deep": deep,
    }
    frame = Frame("attributes", np.array(2.5), attributes)
    edge("attributes", "handmade.py: attribute values that are easy to lose, keys equal only up to Unicode normalization, "
         "64 levels of nesting", [frame])

    # The same values spelled other ways: whitespace, escapes, exponents, key order, an unknown key.
    spelled = Frame("spelled", np.array([1, 2, 3], np.int32))
    spelled.header_text = (
        ' {\n "attributes" : { "z" : 1E2 , "y": -0 , "x" : 0.5e-309, "w": "\\u00e9\\u00E9\\/\\ud83d\\ude00",'
        ' "v": [ ], "e\\u0301": 2, "\u00e9": 1, "u": -0.0e0, "t": 1.0 },\t"version":1, "name": "spelled",'
        ' "dtype": "int32", "shape": [ 3 ], "order": "F", "npy_bytes": %d, "format": "flatmin-frame",'
        ' "comment": "readers ignore keys they do not know" }\r\n' % spelled.header["npy_bytes"])
    spelled_attributes = {"z": 100.0, "y": 0, "x": 5e-310, "w": "\u00e9\u00e9/\U0001F600", "v": [],
                          "e\u0301": 2, "\u00e9": 1, "u": -0.0, "t": 1.0}
    edge("spelled", "handmade.py: a header in non-canonical JSON: whitespace, escapes, exponents, -0, key order, "
         "an unknown key", [spelled], [frame_entry(spelled, spelled_attributes)])

    # .npy dicts other writers make: '<u1', version 2.0, fortran_order True where either order
    # stores the same bytes, keys in another order with double quotes and no trailing comma.
    u1 = Frame("u1", np.arange(5, dtype=np.uint8))
    u1.npy = npy_header(npy_dict("<u1", False, (5,))) + u1.array.tobytes()
    v2 = Frame("version2", np.arange(6.0).reshape(2, 3))
    v2.npy = npy_header(npy_dict("<f8", True, (2, 3)), version=(2, 0)) + v2.array.tobytes(order="F")
    column = Frame("column", np.arange(4.0).reshape(4, 1), order="C")
    column.npy = npy_header(npy_dict("<f8", True, (4, 1))) + column.array.tobytes()
    reordered = Frame("reordered", np.arange(6, dtype=np.int64).reshape(3, 2))
    reordered.npy = npy_header('{"shape":(3,2),"fortran_order":True,"descr":"<i8"}') + reordered.array.tobytes(order="F")
    for frame in (u1, v2, column, reordered):
        frame.header["npy_bytes"] = len(frame.npy)
    edge("npy-dicts", "handmade.py: .npy dicts other writers make ('<u1', version 2.0, fortran_order True on a "
         "d×1 array, other key order and quotes)", [u1, v2, column, reordered])

    # zstd framings: 1-, 2- and 4-byte content sizes, RLE, raw and compressed blocks, several blocks.
    rng = np.random.default_rng(15)
    tiny = Frame("tiny", np.arange(3, dtype=np.uint8))
    small = Frame("small", np.linspace(0, 1, 100))
    zeros = Frame("zeros", np.zeros(40_000))
    noise = Frame("noise", rng.integers(0, 256, 5000, dtype=np.uint8))
    assert [kind for _, kind, _, _ in blocks(zeros.payload())] == [2, 1, 1]  # compressed, then RLE
    assert [kind for _, kind, _, _ in blocks(noise.payload())] == [0]  # raw
    assert [frame.payload()[4] >> 6 for frame in (tiny, small, zeros)] == [0, 1, 2]
    edge("zstd-framings", "handmade.py: content sizes in 1, 2 and 4 bytes; raw, RLE and compressed blocks; "
         "several blocks", [tiny, small, zeros, noise])

    # MARK: Invalid: the stream's framing

    first = good("first")
    invalid("garbage", "handmade.py: bytes that are not a stream", b"hello, this is not a frame stream", before=[],
            index=0, frame_name=None, offset=0, kind="malformed", reason="not a frame stream (bad magic)")
    invalid("garbage-after-a-frame", "handmade.py: a frame, then bytes that are not one", first.bytes() + b"\x00" * 12,
            before=["first"], index=1, frame_name=None, offset=len(first.bytes()), kind="malformed",
            reason="not a frame stream (bad magic)")
    other = struct.pack("<II", 0x184D2A50, 2) + b"{}" + first.bytes()
    invalid("other-skippable-frame", "handmade.py: a skippable frame with another magic", other, before=[], index=0,
            frame_name=None, offset=0, kind="malformed", reason="skippable frame with magic 0x184D2A50 is not a frame header")
    invalid("payload-without-header", "handmade.py: a zstd frame with no header before it", first.payload(), before=[],
            index=0, frame_name=None, offset=0, kind="malformed", reason="zstd frame without a frame header before it")
    invalid("header-too-long", "handmade.py: a header length over 16 MiB", struct.pack("<II", HEADER_MAGIC, (16 << 20) + 1),
            before=[], index=0, frame_name=None, offset=0, kind="tooLarge",
            reason="frame header of 16777217 bytes exceeds the 16777216-byte limit")
    for cut, label in ((5, "in-the-header-length"), (40, "in-the-header-json")):
        invalid(f"truncated-{label}", f"handmade.py: a frame cut after {cut} bytes, after a good one",
                first.bytes() + good().bytes()[:cut], before=["first"], index=1, frame_name=None,
                offset=len(first.bytes()), kind="truncated", reason="stream ends inside a frame header")

    # MARK: Invalid: header JSON

    json_faults = [
        ("bom", b"\xef\xbb\xbf{" + HEAD.encode() + b',"attributes":{}}', "header is not valid JSON"),
        ("not-json", b"{not json", "header is not valid JSON"),
        ("empty-header", b"", "header is not valid JSON"),
        ("trailing-comma", ("{" + HEAD + ',"attributes":{},}').encode(), "header is not valid JSON"),
        ("nan", ("{" + HEAD + ',"attributes":{"x":NaN}}').encode(), "header is not valid JSON"),
        ("infinity", ("{" + HEAD + ',"attributes":{"x":-Infinity}}').encode(), "header is not valid JSON"),
        ("single-quotes", ("{" + HEAD + ",'attributes':{}}").encode(), "header is not valid JSON"),
        ("leading-zero", ("{" + HEAD + ',"attributes":{"x":01}}').encode(), "header is not valid JSON"),
        ("lone-surrogate", ("{" + HEAD + ',"attributes":{"x":"\\ud800"}}').encode(), "header is not valid JSON"),
        ("lone-low-surrogate", ("{" + HEAD + ',"attributes":{"\\udc00":1}}').encode(), "header is not valid JSON"),
        ("invalid-utf8", ("{" + HEAD + ',"attributes":{"x":"').encode() + b"\xc3\x28" + b'"}}', "header is not valid JSON"),
        ("overlong-utf8", ("{" + HEAD + ',"attributes":{"x":"').encode() + b"\xc0\xaf" + b'"}}', "header is not valid JSON"),
        ("raw-control-character", ("{" + HEAD + ',"attributes":{"x":"a\tb"}}').encode(), "header is not valid JSON"),
        ("too-deep", ("{" + HEAD + ',"attributes":{"x":' + "[" * 63 + "]" * 63 + "}}").encode(), "header is not valid JSON"),
        ("two-values", ("{" + HEAD + ',"attributes":{}} {}').encode(), "header is not valid JSON"),
        ("not-an-object", b"[1,2]", "header is not a JSON object"),
        ("duplicate-key", ("{" + HEAD + ',"attributes":{},"name":"other"}').encode(),
         'header has the key "name" twice in one object'),
        ("duplicate-attribute", ("{" + HEAD + ',"attributes":{"k":1,"j":2,"k":1}}').encode(),
         'header has the key "k" twice in one object'),
        ("duplicate-inner-key-first", ("{" + HEAD + ',"attributes":{"k":{"\u00e9":1,"\u00e9":2},"k":3}}').encode(),
         'header has the key "\u00e9" twice in one object'),
        ("integer-beyond-64-bits", ("{" + HEAD + ',"attributes":{"seed":9223372036854775808}}').encode(),
         "header has an integer outside the 64-bit range"),
        ("negative-integer-beyond-64-bits", ("{" + HEAD + ',"attributes":{"seed":-9223372036854775809}}').encode(),
         "header has an integer outside the 64-bit range"),
        ("number-beyond-double", ("{" + HEAD + ',"attributes":{"x":1e400}}').encode(),
         "header has a number beyond the range of a double"),
        ("number-before-duplicate", ("{" + HEAD + ',"attributes":{"k":1,"k":-2e308}}').encode(),
         "header has a number beyond the range of a double"),
    ]
    for name, body, reason in json_faults:
        frame = good()
        data = first.bytes() + struct.pack("<II", HEADER_MAGIC, len(body)) + body + frame.payload()
        invalid(f"json-{name}", "handmade.py: header JSON that breaks FORMAT.md §1 (Reading JSON)", data,
                before=["first"], index=1, frame_name=None, offset=len(first.bytes()), kind="malformed", reason=reason)

    # MARK: Invalid: header fields (FORMAT.md §1, reader checks, in order)

    field_faults = [
        ("format-missing", set_field("format", None), "header does not say format 'flatmin-frame'", "malformed"),
        ("format-other", set_field("format", "other"), "header does not say format 'flatmin-frame'", "malformed"),
        ("version-2", set_field("version", 2), "format version 2 is not supported (this reader knows 1)", "unsupportedVersion"),
        ("version-1.0", set_field("version", 1.0), "header has no integer version", "malformed"),
        ("version-string", set_field("version", "1"), "header has no integer version", "malformed"),
        ("version-true", set_field("version", True), "header has no integer version", "malformed"),
        ("dtype-missing", set_field("dtype", None), "header has no dtype", "malformed"),
        ("dtype-unknown", set_field("dtype", "complex128"), 'unknown dtype "complex128"', "malformed"),
        ("shape-missing", set_field("shape", None), "header shape is missing or has more than 8 dimensions", "malformed"),
        ("shape-rank-9", set_field("shape", [1] * 9), "header shape is missing or has more than 8 dimensions", "malformed"),
        ("shape-float", set_field("shape", [3.0, 4]), "header shape has an extent that is not an integer from 0 to 2147483647", "malformed"),
        ("shape-negative", set_field("shape", [-1, 4]), "header shape has an extent that is not an integer from 0 to 2147483647", "malformed"),
        ("shape-2^31", set_field("shape", [2**31, 1]), "header shape has an extent that is not an integer from 0 to 2147483647", "malformed"),
        ("shape-unaddressable", set_field("shape", [2**31 - 1] * 3),
         f"header shape {[2**31 - 1] * 3} holds more elements than can be addressed", "tooLarge"),
        ("order-missing", set_field("order", None), "header order must be 'F' or 'C'", "malformed"),
        ("order-K", set_field("order", "K"), "header order must be 'F' or 'C'", "malformed"),
        ("npy-bytes-float", set_field("npy_bytes", 224.0), "header has no integer npy_bytes", "malformed"),
        ("npy-bytes-negative", set_field("npy_bytes", -1), "header has no integer npy_bytes", "malformed"),
        ("attributes-missing", set_field("attributes", None), "header has no attributes object", "malformed"),
        ("attributes-array", set_field("attributes", [1]), "header has no attributes object", "malformed"),
        ("npy-bytes-too-small", set_field("npy_bytes", 96), "header npy_bytes 96 cannot hold 3×4 float64", "inconsistent"),
    ]
    for name, change, reason, kind in field_faults:
        header_fault(f"header-{name}", "handmade.py: a header field that breaks FORMAT.md §1", change, reason, kind=kind)
    for name, value in (("name-missing", None), ("name-empty", ""), ("name-number", 5)):
        header_fault(f"header-{name}", "handmade.py: a header without a usable name", set_field("name", value),
                     "header has no name", named=False)
    big = Frame("m", np.zeros((3, 5)))
    invalid("over-the-limit", "handmade.py: a frame of exactly the reader's limit, then one over it",
            first.bytes() + big.bytes(), before=["first"], index=1, frame_name="m", offset=len(first.bytes()),
            kind="tooLarge", reason="frame claims 248 bytes, over the 224-byte limit (--max-frame-bytes)",
            max_frame_bytes=224)

    # MARK: Invalid: the payload's zstd framing

    def patched(position, mask=None, value=None, insert=None):
        def data_of(frame):
            payload = bytearray(frame.payload())
            if insert is not None:
                payload[position:position] = insert
            elif mask is not None:
                payload[position] |= mask
            else:
                payload[position:position + len(value)] = value
            return bytes(payload)
        return data_of

    payload_fault("payload-missing", "handmade.py: a header and nothing after it", lambda frame: b"",
                  "stream ends inside the payload", kind="truncated")
    payload_fault("payload-is-a-header", "handmade.py: a header where the payload should be",
                  lambda frame: frame.header_bytes() + frame.payload(), "frame header is not followed by a zstd payload frame")
    no_checksum = good()
    no_checksum.compressor = {"write_checksum": False, "write_content_size": True}
    payload_fault("payload-without-checksum", "handmade.py: a payload without zstd's content checksum",
                  lambda frame: frame.payload(), "payload has no content checksum", frame=no_checksum)
    no_size = good()
    no_size.compressor = {"write_checksum": True, "write_content_size": False}
    payload_fault("payload-without-content-size", "handmade.py: a payload that does not record its size",
                  lambda frame: frame.payload(), "payload zstd frame does not record its content size", frame=no_size)
    payload_fault("payload-reserved-bit", "handmade.py: the frame header descriptor's reserved bit set",
                  patched(4, mask=0x08), "payload zstd frame header has its reserved bit set")

    def with_dictionary_id(frame):
        payload = bytearray(frame.payload())
        assert payload[4] & 0x23 == 0x20  # single segment, no dictionary ID yet
        payload[4] |= 0x01
        payload[5:5] = b"\x07"  # a one-byte dictionary ID before the content size
        return bytes(payload)

    payload_fault("payload-dictionary", "handmade.py: a payload that names a zstd dictionary", with_dictionary_id,
                  "payload zstd frame names a dictionary")
    larger = good()
    larger.header["npy_bytes"] += 8
    payload_fault("payload-size-disagrees", "handmade.py: npy_bytes 8 more than the payload holds",
                  lambda frame: frame.payload(), "payload holds 224 bytes but the header says npy_bytes 232",
                  kind="inconsistent", frame=larger)
    block = blocks(good().payload())[0][0]
    payload_fault("payload-reserved-block-type", "handmade.py: the first block's type set to 3 (reserved)",
                  patched(block, mask=0x06), "payload zstd frame has a reserved block type")
    payload_fault("payload-block-too-large", "handmade.py: a compressed block claiming 2^20 bytes",
                  patched(block, value=((1 << 20) << 3 | 2 << 1 | 1).to_bytes(3, "little")),
                  "payload zstd block claims 1048576 bytes, more than zstd allows")
    for cut, label in ((3, "frame-header"), (12, "first-block"), (-2, "checksum")):
        payload_fault(f"truncated-in-the-{label}", f"handmade.py: a payload cut in its {label.replace('-', ' ')}",
                      lambda frame, cut=cut: frame.payload()[:cut], "stream ends inside the payload", kind="truncated")

    # MARK: Invalid: what only decompressing can tell

    def flipped(position):
        def data_of(frame):
            payload = bytearray(frame.payload())
            payload[position] ^= 0x01
            return bytes(payload)
        return data_of

    payload_fault("checksum-flipped", "handmade.py: one bit of the content checksum flipped", flipped(-1),
                  "checksum mismatch: payload is corrupt", kind="corrupt", walking=False)
    noise = Frame("noise", np.random.default_rng(16).integers(0, 256, 1000, dtype=np.uint8))
    # Random bytes are stored as they are, so a flipped one leaves every block decodable.
    damaged = bytearray(noise.payload())
    damaged[-100] ^= 0x01
    try:
        zstandard.ZstdDecompressor().decompress(bytes(damaged))
        raise AssertionError("the flip went unnoticed")
    except zstandard.ZstdError as error:
        assert "checksum" in str(error), error
    payload_fault("data-flipped", "handmade.py: one bit of raw block data flipped", flipped(-100),
                  "checksum mismatch: payload is corrupt", kind="corrupt", walking=False, frame=noise)

    def npy_fault(name, npy, reason, kind="malformed", shape=(3, 4), dtype="float64"):
        frame = Frame("m", np.zeros(shape, dtype))
        frame.npy = npy
        frame.header["npy_bytes"] = len(npy)
        payload_fault(f"npy-{name}", "handmade.py: a payload whose .npy file breaks FORMAT.md §2",
                      lambda frame: frame.payload(), reason, kind=kind, walking=False, frame=frame)

    data = np.zeros((3, 4)).tobytes()
    good_dict = npy_dict("<f8", True, (3, 4))
    npy_fault("bad-magic", b"x" * 10 + npy_header(good_dict)[10:] + data, "payload is not a .npy file (bad magic)")
    npy_fault("version-3.0", npy_header(good_dict, (3, 0)) + data, "unsupported .npy version 3.0", "unsupportedVersion")
    npy_fault("version-1.1", npy_header(good_dict)[:7] + b"\x01" + npy_header(good_dict)[8:] + data,
              "unsupported .npy version 1.1", "unsupportedVersion")
    npy_fault("extra-bytes", npy_header(good_dict) + data + b"12345678",
              "shape 3×4 float64 does not fit a payload of 232 bytes", "inconsistent")
    npy_fault("unknown-key", npy_header("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 4), 'x': 1, }") + data,
              '.npy header has unknown key "x"')
    npy_fault("duplicate-key", npy_header("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 4), 'descr': '<f8', }") + data,
              '.npy header has the key "descr" twice')
    npy_fault("missing-key", npy_header("{'descr': '<f8', 'shape': (3, 4), }") + data,
              ".npy header lacks descr, fortran_order or shape")
    npy_fault("not-ascii", npy_header(good_dict.replace("}", "'\u00e9': 1}")) + data, ".npy header dict is not ASCII")
    npy_fault("after-the-brace", npy_header(good_dict + "x") + data, ".npy header dict has bytes after its closing brace")
    npy_fault("unterminated-string", npy_header("{'descr: <f8, }") + data, ".npy header has an unterminated string")
    npy_fault("no-colon", npy_header("{'descr' '<f8'}") + data, ".npy header dict is malformed near byte 9")
    npy_fault("fortran-order-1", npy_header(good_dict.replace("True", "1")) + data, ".npy fortran_order is not True or False")
    npy_fault("shape-not-digits", npy_header(good_dict.replace("(3, 4)", "(3, -4)")) + data, ".npy shape is malformed")
    npy_fault("big-endian", npy_header(good_dict.replace("<f8", ">f8")) + data,
              '.npy dtype ">f8" is not supported (float64, float32, int64, int32, uint8, little-endian)')
    npy_fault("other-shape", npy_header(npy_dict("<f8", True, (4, 3))) + data,
              "payload .npy says float64 [4, 3] order F, header says float64 [3, 4] order F", "inconsistent")
    npy_fault("other-dtype", npy_header(npy_dict("<i8", True, (3, 4))) + data,
              "payload .npy says int64 [3, 4] order F, header says float64 [3, 4] order F", "inconsistent")
    npy_fault("other-order", npy_header(npy_dict("<f8", False, (3, 4))) + data,
              "payload .npy says float64 [3, 4] order C, header says float64 [3, 4] order F", "inconsistent")
    npy_fault("unaddressable", npy_header(npy_dict("<f8", True, (99999, 99999, 99999, 99999, 99999))) + data,
              ".npy shape [99999, 99999, 99999, 99999, 99999] holds more elements than can be addressed", "tooLarge")
    short = npy_header(good_dict) + data
    npy_fault("shorter-than-a-preamble", short[:5], "payload is shorter than its header says", "inconsistent",
              shape=(), dtype="uint8")

    # A fault in the second frame: the first is read, and only the first.
    second = good("second")
    second.header["npy_bytes"] += 8
    data = first.bytes() + second.header_bytes() + second.payload()
    invalid("second-frame-bad", "handmade.py: a good frame, then one whose npy_bytes disagrees with its payload",
            data, before=["first"], index=1, frame_name="second", offset=len(first.bytes()) + len(second.header_bytes()),
            kind="inconsistent", reason="payload holds 224 bytes but the header says npy_bytes 232")


def write_manifest(streams_in_order: list[dict]) -> None:
    """One line per frame or verdict: readable, and a change shows up as the lines it touches."""
    lines = ['{"corpus": "flatmin-frame streams", "format_version": 1, "streams": [']
    for number, stream in enumerate(streams_in_order):
        comma = "," if number < len(streams_in_order) - 1 else ""
        if stream["valid"]:
            head = {key: stream[key] for key in ("file", "valid", "made_by")}
            lines.append(" " + json.dumps(head, ensure_ascii=False)[:-1] + ', "frames": [')
            lines += [f"  {json.dumps(frame, ensure_ascii=False)}{',' if i < len(stream['frames']) - 1 else ''}"
                      for i, frame in enumerate(stream["frames"])]
            lines.append(" ]}" + comma)
        else:
            lines.append(" " + json.dumps(stream, ensure_ascii=False) + comma)
    lines.append("]}")
    (CORPUS / "manifest.json").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    make()
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    tools = [stream for stream in manifest["streams"] if stream["file"].startswith("valid/")]
    write_manifest(tools + streams)
    print(f"wrote {len(streams)} hand-made streams to {CORPUS}/edge and {CORPUS}/invalid", file=sys.stderr)
