"""Hostile streams, and what every stream-reading tool does with them.

Each case is a few bytes to a few megabytes built by hand: decompression bombs, zstd frames
and headers that lie about sizes, shapes that overflow, oversized and deeply nested header
JSON, truncations, and ``.npy`` files that `frames import` is handed. Every tool that reads
the case must exit 1 with one line on stderr naming what is wrong, within bounded memory.

``python3 Pipelines/tests/hostile_streams.py BIN_DIR`` runs every case through every tool
and prints the table in the README's "Failure behaviour" section (exit status, stderr, and
peak resident memory from wait4). ``test_hostile_streams.py`` asserts the same table.
"""
from __future__ import annotations

import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import numpy as np
import zstandard

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import flatframes  # noqa: E402

HEADER_MAGIC = 0x184D2A5C
ZSTD_MAGIC = 0xFD2FB528
BLOCK = 128 * 1024
GIB = 1 << 30


def header_frame(fields: dict) -> bytes:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return struct.pack("<II", HEADER_MAGIC, len(body)) + body


def header_fields(name: str, shape: list, npy_bytes: int, dtype: str = "float64", **extra) -> dict:
    fields = {"format": "flatmin-frame", "version": 1, "name": name, "dtype": dtype,
              "shape": shape, "order": "F", "npy_bytes": npy_bytes, "attributes": {}}
    fields.update(extra)
    return fields


def npy_preamble(shape: tuple, descr: str = "<f8") -> bytes:
    """What numpy writes before the data of a C-ordered array of ``shape``."""
    dict_text = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    unpadded = 10 + len(dict_text) + 1
    dict_text += " " * ((64 - unpadded % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(dict_text)) + dict_text.encode()


def zstd_frame(prefix: bytes, zero_bytes: int, content_size: int | None, checksum: bool = True) -> bytes:
    """A zstd frame holding ``prefix`` (a raw block) then ``zero_bytes`` zeros as RLE blocks:
    4 bytes per 128 KiB, so 64 GiB of content takes 2 MiB. The checksum field is there but
    wrong (computing XXH64 over gigabytes would take minutes); every reader of these frames
    must have stopped before it gets to it."""
    descriptor = 0x04 if checksum else 0x00
    size_field = b""
    if content_size is not None:
        descriptor |= 0xC0
        size_field = struct.pack("<Q", content_size)
    window = bytes([(17 - 10) << 3])  # 128 KiB window
    blocks = bytearray()
    pieces = []
    if prefix:
        pieces.append(("raw", prefix))
    remaining = zero_bytes
    while remaining > 0:
        size = min(BLOCK, remaining)
        pieces.append(("rle", size))
        remaining -= size
    for index, (kind, value) in enumerate(pieces):
        last = 1 if index == len(pieces) - 1 else 0
        if kind == "raw":
            blocks += struct.pack("<I", (len(value) << 3) | last)[:3] + value
        else:
            blocks += struct.pack("<I", (value << 3) | (1 << 1) | last)[:3] + b"\0"
    if not pieces:
        blocks += struct.pack("<I", 1)[:3]
    return (struct.pack("<I", ZSTD_MAGIC) + bytes([descriptor]) + window + size_field + bytes(blocks)
            + (b"\0\0\0\0" if checksum else b""))


def valid_frame(name: str, array, attributes: dict | None = None) -> bytes:
    import io
    buffer = io.BytesIO()
    flatframes.write_frame(buffer, name, array, attributes)
    return buffer.getvalue()


def zstd_compressed(content: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_checksum=True, write_content_size=True).compress(content)


@dataclass
class Case:
    name: str
    description: str
    build: callable  # frame name -> stream bytes
    message: str  # a phrase every tool's stderr line contains
    payload_level: bool = False  # found only by decoding: `frames ls` walks past it


def bomb_declared(name: str) -> bytes:
    """A header that honestly declares 64 GiB, and the 2 MiB of RLE blocks that expand to it."""
    shape = (1 << 17, 1 << 16)
    preamble = npy_preamble(shape)
    total = len(preamble) + 64 * GIB
    return header_frame(header_fields(name, list(shape), total, order="C")) + zstd_frame(preamble, 64 * GIB, total)


def bomb_behind_small_header(name: str) -> bytes:
    """A 3-element frame whose zstd frame declares its true size, then holds 64 GiB."""
    preamble = npy_preamble((3,))
    total = len(preamble) + 24
    return header_frame(header_fields(name, [3], total)) + zstd_frame(preamble, 64 * GIB, total)


def content_shorter_than_declared(name: str) -> bytes:
    preamble = npy_preamble((1000,))
    total = len(preamble) + 8000
    return header_frame(header_fields(name, [1000], total)) + zstd_frame(preamble, 800, total)


def content_size_disagrees(name: str) -> bytes:
    preamble = npy_preamble((1000,))
    total = len(preamble) + 8000
    return header_frame(header_fields(name, [1000], total)) + zstd_frame(preamble, 8000, total + 1)


def no_content_size(name: str) -> bytes:
    """A 3-element frame whose zstd frame does not say how long it is, and holds 64 GiB."""
    preamble = npy_preamble((3,))
    total = len(preamble) + 24
    return header_frame(header_fields(name, [3], total)) + zstd_frame(preamble, 64 * GIB, None)


def npy_dict_bomb(name: str) -> bytes:
    """A 1-element frame whose payload's .npy dict claims 1 GiB (a version 2 length field),
    with npy_bytes and the zstd content size agreeing, under the default frame limit."""
    dict_bytes = GIB
    total = 12 + dict_bytes + 8
    prefix = b"\x93NUMPY\x02\x00" + struct.pack("<I", dict_bytes)
    return header_frame(header_fields(name, [1], total)) + zstd_frame(prefix, dict_bytes + 8, total)


def shape_product_overflows(name: str) -> bytes:
    return header_frame(header_fields(name, [2**31 - 1] * 4, 1 << 40)) + zstd_frame(b"", 0, 0)


def extent_over_int32(name: str) -> bytes:
    return header_frame(header_fields(name, [2**31, 2], 1 << 40)) + zstd_frame(b"", 0, 0)


def negative_extent(name: str) -> bytes:
    return header_frame(header_fields(name, [-3, 4], 200)) + zstd_frame(b"", 0, 0)


def npy_shape_overflows(name: str) -> bytes:
    """Header and payload sizes agree, but the payload's .npy dict names a shape whose
    product overflows Int64 (and a different one from the header)."""
    dict_text = "{'descr': '<f8', 'fortran_order': False, 'shape': (9999999999, 9999999999, 9999999999), }"
    dict_text += " " * ((64 - (10 + len(dict_text) + 1) % 64) % 64) + "\n"
    preamble = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(dict_text)) + dict_text.encode()
    data = np.zeros(2).tobytes()
    content = preamble + data
    return header_frame(header_fields(name, [2], len(content))) + zstd_compressed(content)


def oversized_header_length(name: str) -> bytes:
    return struct.pack("<II", HEADER_MAGIC, 0xFFFFFFFF) + b"{"


def huge_attribute(name: str) -> bytes:
    """15 MiB of attribute JSON (under the 16 MiB header limit), then a truncated payload."""
    fields = header_fields(name, [2], 144, attributes={"note": "x" * (15 << 20)})
    return header_frame(fields) + b"\x28\xb5"


def deep_nesting(name: str) -> bytes:
    depth = 100_000
    body = ('{"format":"flatmin-frame","attributes":' + "[" * depth + "]" * depth + "}").encode()
    return struct.pack("<II", HEADER_MAGIC, len(body)) + body


def truncated_in_payload(name: str) -> bytes:
    stream = valid_frame(name, np.arange(4096, dtype=np.float64))
    return stream[: len(stream) - 100]


def truncated_in_header(name: str) -> bytes:
    stream = valid_frame(name, np.arange(4, dtype=np.float64))
    return stream[:20]


CASES = [
    Case("bomb-64GiB", "a 2 MiB stream whose header declares 64 GiB (RLE blocks expanding to it)",
         bomb_declared, "over the"),
    Case("bomb-lying-size", "a 3-element frame whose zstd frame holds 64 GiB",
         bomb_behind_small_header, "longer than its header says", payload_level=True),
    Case("content-short", "content shorter than the zstd content size and npy_bytes",
         content_shorter_than_declared, "payload cannot be decoded", payload_level=True),
    Case("content-size-mismatch", "zstd content size one byte over npy_bytes",
         content_size_disagrees, "but the header says npy_bytes"),
    Case("no-content-size", "a 3-element frame, 64 GiB in a zstd frame without a content size",
         no_content_size, "does not record its content size"),
    Case("npy-dict-bomb", "a 1-element frame whose .npy dict claims 1 GiB",
         npy_dict_bomb, ".npy header length", payload_level=True),
    Case("shape-overflow", "header shape (2^31-1)^4: the product overflows Int64",
         shape_product_overflows, "more elements than can be addressed"),
    Case("extent-over-int32", "header extent 2^31",
         extent_over_int32, "an extent that is not an integer from 0 to 2147483647"),
    Case("negative-extent", "header extent -3",
         negative_extent, "an extent that is not an integer from 0 to 2147483647"),
    Case("npy-shape-overflow", "payload .npy shape whose product overflows Int64",
         npy_shape_overflows, "more elements than can be addressed", payload_level=True),
    Case("header-length-4GiB", "header length field 2^32-1",
         oversized_header_length, "exceeds the"),
    Case("attribute-15MiB", "15 MiB of attribute JSON, then a cut payload",
         huge_attribute, "stream ends inside the payload"),
    Case("nesting-100000", "header JSON nested 100 000 arrays deep",
         deep_nesting, "not valid JSON"),
    Case("truncated-payload", "a valid frame cut 100 bytes before its end",
         truncated_in_payload, "stream ends inside the payload"),
    Case("truncated-header", "a valid frame cut inside its header",
         truncated_in_header, "stream ends inside a frame header"),
]


def gaussian_tall(name: str) -> bytes:
    """One Gaussian measurement of a 10⁵×1 matrix, with the truth's factors: every frame is
    small (zeros compress), but the operator's rescaling D1² is a dense 10⁵×10⁵ matrix."""
    d1 = 100_000
    return (valid_frame("observations", np.zeros(1),
                        {"operator": "gaussian", "d1": d1, "d2": 1, "operator_frames": ["sensing"]})
            + valid_frame("sensing", np.zeros((1, d1))) + valid_frame("truth_left", np.zeros((d1, 1)))
            + valid_frame("truth_right", np.zeros((1, 1))))


def completion_huge(name: str) -> bytes:
    """One observed entry of a completion instance whose attributes claim 10⁹×10⁹: the entry
    index and the rescaling hold d1 + d2 numbers, 32 GB, sized by the attributes alone."""
    return (valid_frame("observations", np.zeros(1),
                        {"operator": "completion", "d1": 10**9, "d2": 10**9, "operator_frames": ["entries"]})
            + valid_frame("entries", np.zeros((1, 2), dtype=np.int64)))


# Streams whose frames are all valid and small but describe an instance needing more memory
# than the machine has: each tool that builds the instance must refuse it before allocating.
# (`evaluate` builds it only with a truth or an estimate to score, which the completion stream
# cannot carry: its factors alone would be 8 GB.)
INSTANCE_CASES = [
    (Case("gaussian-tall", "one Gaussian measurement of a 10^5×1 matrix (dense D1² of 80 GB)",
          gaussian_tall, "needs 74.5 GiB for the rescaling D1²"), ["solve-flat", "evaluate"]),
    (Case("completion-1e9", "one observed entry of a completion instance claiming 10^9×10^9",
          completion_huge, "for the completion operator's row and column index"), ["solve-flat"]),
]


def tool_runs(bin_dir: pathlib.Path, work: pathlib.Path):
    """(label, argv, frame name the tool decodes) for every tool that reads a stream."""
    return [
        ("frames ls", [bin_dir / "frames", "ls"], "observations"),
        ("frames verify", [bin_dir / "frames", "verify"], "observations"),
        ("frames export", [bin_dir / "frames", "export", "observations", "--npy", work / "out.npy"], "observations"),
        ("evaluate", [bin_dir / "evaluate"], "observations"),
        ("solve-flat", [bin_dir / "solve-flat", "--quiet"], "observations"),
        ("corrupt-sparse", [bin_dir / "corrupt-sparse", "--count", "1"], "observations"),
        ("sample-measurements", [bin_dir / "sample-measurements", "--operator", "identity"], "truth"),
    ]


@dataclass
class Outcome:
    status: int
    stderr: str
    peak_rss_bytes: int


def run_measured(argv, stdin_path) -> Outcome:
    """Runs argv on a file as stdin; its exit status, stderr and peak RSS.

    The peak comes from GNU time (its wait4 of the tool). Measuring from Python directly
    would not do: a child's peak resident size counts the parent's pages at fork, and this
    interpreter with numpy loaded holds some 70 MiB."""
    with open(stdin_path, "rb") as stdin, tempfile.NamedTemporaryFile("r") as report, \
            tempfile.TemporaryFile() as stderr:
        status = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *map(str, argv)],
                                stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr).returncode
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")
        # GNU time appends "Command exited with non-zero status N" before the figure.
        peak_kib = int(report.read().split()[-1])
    return Outcome(status, text, peak_kib * 1024)


def import_cases():
    """`.npy` files for `frames import`: shapes that overflow, negative extents, a huge dict."""
    def npy(dict_text: str, data: bytes = b"", version: int = 1) -> bytes:
        length = struct.pack("<H", len(dict_text)) if version == 1 else struct.pack("<I", len(dict_text))
        return b"\x93NUMPY" + bytes([version, 0]) + length + dict_text.encode() + data
    return [
        ("npy-shape-overflow", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (9999999999, 9999999999, 9999999999), }\n"),
         "more elements than can be addressed"),
        ("npy-negative-extent", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-3, 4), }\n"),
         "shape is malformed"),
        ("npy-dict-4GiB", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFFF), "implausible .npy header length"),
        ("npy-data-short", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000,), }\n", b"\0" * 80),
         "before its .npy data does"),
    ]


def main() -> int:
    bin_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".build-rel/release").resolve()
    with tempfile.TemporaryDirectory() as directory:
        work = pathlib.Path(directory)
        print("| case | stream | every tool's one stderr line says | exit | `frames ls` | peak RSS, largest over the tools |")
        print("|---|---|---|---|---|---|")
        for case in CASES:
            statuses, peak, listing = set(), 0, None
            for label, argv, frame_name in tool_runs(bin_dir, work):
                path = work / f"{case.name}-{frame_name}.frames"
                if not path.exists():
                    path.write_bytes(case.build(frame_name))
                outcome = run_measured(argv, path)
                peak = max(peak, outcome.peak_rss_bytes)
                if label == "frames ls":
                    listing = outcome.status
                else:
                    statuses.add(outcome.status)
            size = (work / f"{case.name}-observations.frames").stat().st_size
            print(f"| {case.name} | {case.description}, {size:,} bytes | “{case.message}” | "
                  f"{', '.join(map(str, sorted(statuses)))} | {listing}{' (reads no payload)' if listing == 0 else ''} | "
                  f"{peak / 2**20:.0f} MiB |")
        for case, labels in INSTANCE_CASES:
            path = work / f"{case.name}.frames"
            path.write_bytes(case.build("observations"))
            outcomes = [run_measured([bin_dir / label], path) for label in labels]
            print(f"| {case.name} | {case.description}, {path.stat().st_size:,} bytes, "
                  f"{' and '.join(f'`{label}`' for label in labels)} | “{case.message}” | "
                  f"{', '.join(sorted({str(o.status) for o in outcomes}))} | | "
                  f"{max(o.peak_rss_bytes for o in outcomes) / 2**20:.0f} MiB |")
        for name, data, message in import_cases():
            path = work / f"{name}.npy"
            path.write_bytes(data)
            outcome = run_measured([bin_dir / "frames", "import", path, "--name", "x"], os.devnull)
            print(f"| {name} | `frames import` of a {len(data)}-byte .npy | “{message}” | {outcome.status} | | "
                  f"{outcome.peak_rss_bytes / 2**20:.0f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
