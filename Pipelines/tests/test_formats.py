"""`frames import`/`export` against numpy and scipy on the same bytes: .npy of every dtype and
byte order, .npz stored and deflated, MatrixMarket both ways and through solve-flat, CSV with
delimiters, and - for stdin and stdout."""
import io
import os
import re
import subprocess
import zipfile

import numpy as np
import pytest
import scipy.io
import scipy.sparse

from conftest import BIN, REPO, frames_of, run, run_on_terminal, tool


def one_error_line(result):
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("frames "), lines[0]
    return lines[0]


def frames(*args, input=None, check=True):
    return run([tool("frames"), *map(str, args)], input=input, check=check)


def imported(path, *options, input=None):
    """The frames `frames import PATH OPTIONS` writes, by name."""
    return frames_of(frames("import", path, *options, input=input).stdout)


# What a frame holds for each .npy type: the narrowest frame dtype with every value exact.
FRAME_DTYPE = {"b1": "uint8", "i1": "int32", "i2": "int32", "i4": "int32", "i8": "int64", "u1": "uint8",
               "u2": "int32", "u4": "int64", "u8": "int64", "f2": "float32", "f4": "float32", "f8": "float64"}


def sample_values(code, rng):
    kind, size = code[0], int(code[1:])
    if kind == "b":
        return rng.integers(0, 2, (3, 4)).astype(bool)
    if kind == "f":
        values = rng.standard_normal((3, 4)) * 1e3
        values[0, :3] = [np.inf, -0.0, np.nan]
        return values.astype(f"f{size}")
    info = np.iinfo(f"{kind}{size}")
    high = min(int(info.max), 2**63 - 1)
    values = rng.integers(int(info.min), high, (3, 4), endpoint=True, dtype=np.int64 if kind == "i" or size < 8 else np.uint64)
    values = values.astype(f"{kind}{size}")
    values[0, 0], values[0, 1] = info.min, high  # the extremes a frame must hold
    return values


@pytest.mark.parametrize("code", sorted(FRAME_DTYPE))
@pytest.mark.parametrize("byte_order", ["<", ">"])
@pytest.mark.parametrize("fortran", [False, True])
def test_npy_of_every_dtype_and_byte_order_imports_exactly(tmp_path, code, byte_order, fortran):
    original = sample_values(code, np.random.default_rng(len(code) + ord(code[0])))
    stored = original.astype(np.dtype(code).newbyteorder(byte_order))
    if fortran:
        stored = np.asfortranarray(stored)
    np.save(tmp_path / "x.npy", stored)
    frame = imported(tmp_path / "x.npy", "--name", "x")["x"]
    assert frame.array.dtype == np.dtype(FRAME_DTYPE[code])
    expected = original.astype(FRAME_DTYPE[code])
    assert np.array_equal(frame.array, expected, equal_nan=True)
    # Bit for bit, negative zero and NaN included.
    assert frame.array.tobytes(order="A") == (np.asfortranarray(expected) if fortran else expected).tobytes(order="A")
    verbatim = stored.dtype.str == np.dtype(FRAME_DTYPE[code]).str or (code == "u1")
    assert frame.attributes.get("source_dtype") == (None if verbatim else stored.dtype.str)
    # And out again: numpy reads the frame's dtype, values and storage order.
    stream = frames("import", tmp_path / "x.npy", "--name", "x").stdout
    frames("export", "x", "--npy", tmp_path / "back.npy", input=stream)
    back = np.load(tmp_path / "back.npy")
    assert np.array_equal(back, expected, equal_nan=True)
    assert back.flags.f_contiguous == fortran


def test_every_float16_converts_exactly(tmp_path):
    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    for order in "<>":
        np.save(tmp_path / "h.npy", halves.astype(halves.dtype.newbyteorder(order)))
        frame = imported(tmp_path / "h.npy", "--name", "h")["h"]
        assert frame.array.dtype == np.float32
        # numpy's own widening keeps NaN payloads; so must ours.
        assert np.array_equal(frame.array.view(np.uint32), halves.astype(np.float32).view(np.uint32))


@pytest.mark.parametrize("array, message", [
    (np.array([1, 2**63], dtype=np.uint64), "uint64 value 9223372036854775808 (element 1) is above int64's range"),
    (np.array([1 + 2j]), "is complex"),
    (np.array(["a", "b"]), "holds text"),
    (np.array([{}, 1], dtype=object), "holds Python objects"),
    (np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]), "structured (record) dtype"),
    (np.zeros(2, dtype=np.longdouble), "has no frame dtype that holds it exactly"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "dates or durations"),
])
def test_npy_a_frame_cannot_hold_is_refused_in_one_line(tmp_path, array, message):
    np.save(tmp_path / "x.npy", array, allow_pickle=True)
    result = frames("import", tmp_path / "x.npy", "--name", "x", "-o", tmp_path / "x.frames", check=False)
    assert message in one_error_line(result)
    assert not (tmp_path / "x.frames").exists()


def test_uint64_within_int64_range_imports(tmp_path):
    values = np.array([0, 5, 2**63 - 1], dtype=np.uint64)
    np.save(tmp_path / "u.npy", values)
    frame = imported(tmp_path / "u.npy", "--name", "u")["u"]
    assert frame.array.dtype == np.int64 and frame.array.tolist() == values.tolist()
    assert frame.attributes["source_dtype"] == "<u8"


# --- .npz ---

def arrays_for_npz():
    rng = np.random.default_rng(5)
    return {"truth": rng.standard_normal((6, 4)), "mask": rng.integers(0, 2, 9).astype(bool),
            "counts": np.asfortranarray(rng.integers(-5, 5, (3, 2)).astype(">i2")), "scalar": np.float32(2.5)}


class Unseekable(io.RawIOBase):
    """A pipe as zipfile meets it: it cannot seek, so entries get data descriptors."""
    def __init__(self):
        self.buffer = io.BytesIO()

    def writable(self):
        return True

    def write(self, data):
        return self.buffer.write(data)


@pytest.mark.parametrize("writer", ["savez", "savez_compressed", "unseekable", "unseekable_compressed"])
def test_npz_imports_every_array_named_by_its_key(tmp_path, writer):
    arrays = arrays_for_npz()
    if writer.startswith("unseekable"):
        sink = Unseekable()
        (np.savez_compressed if writer.endswith("compressed") else np.savez)(sink, **arrays)
        (tmp_path / "a.npz").write_bytes(sink.buffer.getvalue())
        with zipfile.ZipFile(tmp_path / "a.npz") as archive:
            assert all(info.flag_bits & 0x08 for info in archive.infolist())  # data descriptors
    else:
        getattr(np, writer)(tmp_path / "a.npz", **arrays)
    for source, stdin in [(tmp_path / "a.npz", None), ("-", (tmp_path / "a.npz").read_bytes())]:
        result = frames_of(frames("import", source, input=stdin).stdout)
        assert list(result) == list(arrays)
        for key, array in arrays.items():
            expected = np.asarray(array).astype(FRAME_DTYPE[np.asarray(array).dtype.str[1:]])
            assert np.array_equal(result[key].array, expected)


def test_npz_export_matches_numpy_stored_and_compressed(tmp_path):
    arrays = arrays_for_npz()
    np.savez(tmp_path / "a.npz", **arrays)
    stream = frames("import", tmp_path / "a.npz").stdout
    # A later frame of a name replaces an earlier one, as every tool reads a stream.
    replaced = np.arange(5.0)
    np.save(tmp_path / "t2.npy", replaced)
    stream += frames("import", tmp_path / "t2.npy", "--name", "truth").stdout
    frames("export", "--npz", tmp_path / "all.npz", input=stream)
    compressed = frames("export", "--npz", "-", "--compressed", input=stream).stdout
    (tmp_path / "c.npz").write_bytes(compressed)
    for path, method in [(tmp_path / "all.npz", zipfile.ZIP_STORED), (tmp_path / "c.npz", zipfile.ZIP_DEFLATED)]:
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None  # every CRC checks
            assert {info.compress_type for info in archive.infolist()} == {method}
            assert sorted(archive.namelist()) == sorted(f"{k}.npy" for k in arrays)
        loaded = np.load(path)
        assert np.array_equal(loaded["truth"], replaced)
        for key in ["mask", "counts", "scalar"]:
            assert np.array_equal(loaded[key], np.asarray(arrays[key]).astype(FRAME_DTYPE[np.asarray(arrays[key]).dtype.str[1:]]))
    assert len(compressed) < (tmp_path / "all.npz").stat().st_size
    # Names and patterns pick frames, as frames pick does; the archive reads back through stdin.
    picked = frames("export", "truth,c*", "--npz", "-", input=stream).stdout
    assert sorted(np.load(io.BytesIO(picked)).files) == ["counts", "truth"]
    assert list(frames_of(frames("import", "-", input=picked).stdout)) == ["counts", "truth"]
    # Same stream, same archive bytes.
    assert frames("export", "--npz", "-", "--compressed", input=stream).stdout == compressed
    assert "no frame matches 'nothing'" in one_error_line(frames("export", "truth,nothing", "--npz", "-", input=stream, check=False))


def test_corrupt_npz_is_refused(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.arange(1000.0))
    data = bytearray((tmp_path / "a.npz").read_bytes())
    data[200] ^= 0xFF  # inside x.npy's data
    result = frames("import", "-", input=bytes(data), check=False)
    assert "fails its CRC-32 check" in one_error_line(result)
    result = frames("import", "-", "--format", "npz", input=bytes(data[:300]), check=False)
    assert "ends" in one_error_line(result)


# --- MatrixMarket ---

def completion_instance(noise="0"):
    return run([tool("generate-ground-truth"), "--d1", "30", "--d2", "20", "--rank", "2", "--seed", "3"]).stdout, noise


def test_mtx_coordinate_imports_as_a_completion_instance(tmp_path):
    rng = np.random.default_rng(8)
    rows, columns = rng.choice(30, 200), rng.choice(20, 200)
    keys = np.unique(rows * 20 + columns)
    rows, columns = keys // 20, keys % 20
    values = rng.standard_normal(keys.size)
    scipy.io.mmwrite(tmp_path / "obs.mtx", scipy.sparse.coo_matrix((values, (rows, columns)), shape=(30, 20)))
    result = imported(tmp_path / "obs.mtx")
    assert list(result) == ["entries", "observations"]
    entries, observations = result["entries"].array, result["observations"].array
    assert entries.dtype == np.int64 and entries.shape == (keys.size, 2)
    # scipy writes the entries in the order given, 1-based; the frames hold them 0-based.
    assert np.array_equal(entries[:, 0], rows) and np.array_equal(entries[:, 1], columns)
    assert np.array_equal(observations, values)  # bit for bit
    attributes = result["observations"].attributes
    assert {k: attributes[k] for k in ["operator", "d1", "d2", "operator_frames", "noise_std"]} == \
        {"operator": "completion", "d1": 30, "d2": 20, "operator_frames": ["entries"], "noise_std": 0.0}
    # Symmetric and integer files: the upper triangle follows from the lower.
    scipy.io.mmwrite(tmp_path / "sym.mtx", scipy.sparse.coo_matrix(np.array([[2, 0, 7], [0, 0, 0], [7, 0, 1]])), symmetry="symmetric")
    sym = imported(tmp_path / "sym.mtx")
    dense = np.zeros((3, 3))
    dense[sym["entries"].array[:, 0], sym["entries"].array[:, 1]] = sym["observations"].array
    assert np.array_equal(dense, [[2, 0, 7], [0, 0, 0], [7, 0, 1]])


def test_mtx_export_reads_back_in_scipy(tmp_path):
    truth, _ = completion_instance()
    instance = run([tool("sample-measurements"), "--operator", "completion", "--oversampling", "4", "--seed", "4"], input=truth).stdout
    original = frames_of(instance)
    text = frames("export", "observations", "--mtx", "-", input=instance).stdout
    (tmp_path / "obs.mtx").write_bytes(text)
    read = scipy.io.mmread(tmp_path / "obs.mtx").tocoo()
    assert read.shape == (30, 20)
    entries = original["entries"].array
    assert np.array_equal(read.row, entries[:, 0]) and np.array_equal(read.col, entries[:, 1])
    assert np.array_equal(read.data, original["observations"].array)
    # A dense frame becomes an array file; scipy's array files become dense frames.
    frames("export", "truth", "--mtx", tmp_path / "truth.mtx", input=instance)
    assert np.array_equal(scipy.io.mmread(tmp_path / "truth.mtx"), original["truth"].array)
    scipy.io.mmwrite(tmp_path / "dense.mtx", original["truth"].array)
    assert np.array_equal(imported(tmp_path / "dense.mtx", "--name", "m")["m"].array, original["truth"].array)
    scipy.io.mmwrite(tmp_path / "ints.mtx", np.array([[1, -2], [3, 4]]))
    ints = imported(tmp_path / "ints.mtx", "--name", "k")["k"].array
    assert ints.dtype == np.int64 and ints.tolist() == [[1, -2], [3, 4]]


@pytest.mark.parametrize("noise", ["0", "0.01"])
def test_mtx_round_trip_solves_to_the_same_estimate(tmp_path, noise):
    """A completion instance exported to .mtx and imported back solves to the same bytes."""
    truth, _ = completion_instance()
    instance = run([tool("sample-measurements"), "--operator", "completion", "--oversampling", "4",
                    "--noise", noise, "--seed", "4"], input=truth).stdout
    frames("export", "observations", "--mtx", tmp_path / "obs.mtx", input=instance)
    back = frames("import", tmp_path / "obs.mtx").stdout
    original = frames_of(instance)
    restored = frames_of(back)
    assert restored["observations"].attributes["noise_std"] == original["observations"].attributes["noise_std"]
    solve = tool("solve-flat")
    first = run([solve], input=instance).stdout
    second = run([solve], input=back).stdout
    assert frames_of(first)["estimate"].array.tobytes() == frames_of(second)["estimate"].array.tobytes()
    # evaluate reports what it can without the truth.
    report = run([tool("evaluate"), "--format", "json"], input=second, check=False)
    assert report.returncode == 0, report.stderr
    assert b'"missing":["truth"]' in report.stdout


@pytest.mark.parametrize("text, message", [
    (b"%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1\n", "pattern matrix"),
    (b"%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1 0\n", "complex"),
    (b"%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n1 1 2\n", "line 4 repeats entry (1, 1) of line 3"),
    (b"%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n3 1 2\n", "line 4: entry (3, 1) is outside the 2\u00d72 matrix"),
    (b"%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 1 2\n", "ends after 2 of its 3 entries"),
    (b"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 x\n", "line 3: 'x' is not a number"),
    (b"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n", "line 4: more entries than its size line declares"),
])
def test_bad_mtx_is_refused_in_one_line(text, message):
    assert message in one_error_line(frames("import", "-", input=text, check=False))


# --- CSV ---

@pytest.mark.parametrize("delimiter, separator", [(";", ";"), ("tab", "\t"), ("whitespace", "  "), (",", ", ")])
def test_csv_delimiters_both_ways(tmp_path, delimiter, separator):
    values = np.array([[1.5, -2.0, 3e-7], [4.0, np.pi, -6.25]])
    text = "a{0}b{0}c\n".format(separator) + "".join(separator.join(repr(float(v)) for v in row) + "\n" for row in values)
    (tmp_path / "t.csv").write_text(text)
    frame = imported(tmp_path / "t.csv", "--name", "t", "--delimiter", delimiter)["t"]
    assert np.array_equal(frame.array, values) and frame.attributes["columns"] == ["a", "b", "c"]
    stream = frames("import", tmp_path / "t.csv", "--name", "t", "--delimiter", delimiter).stdout
    out = frames("export", "t", "--csv", "-", "--delimiter", delimiter, input=stream).stdout.decode()
    loaded = np.loadtxt(io.StringIO(out), delimiter=None if delimiter == "whitespace" else separator.strip() or "\t",
                        skiprows=1)
    assert np.array_equal(loaded, values)


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("\n  \n", "is empty"),
    ("1;2;3\n", "no rows of numbers; is the delimiter ';'?"),
    ("1;2\n3;4\n", "line 2 field 1: '3;4' is not a number; is the delimiter ';'?"),
    ("1,2\n3\n", "line 2 has 1 fields, expected 2"),
    ("a,b\n1,2\n3,x\n", "line 3 field 2: 'x' is not a number"),
])
def test_bad_csv_is_refused_with_its_line(tmp_path, text, message):
    (tmp_path / "t.csv").write_text(text)
    result = frames("import", tmp_path / "t.csv", "--name", "t", check=False)
    assert message in one_error_line(result)
    result = frames("import", "-", "--name", "t", input=text.encode(), check=False)
    assert message in one_error_line(result)


# --- stdin and stdout ---

def test_stdin_formats_are_sniffed_or_given(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(6.0).reshape(2, 3))
    data = (tmp_path / "x.npy").read_bytes()
    assert np.array_equal(imported("-", "--name", "x", input=data)["x"].array, np.arange(6.0).reshape(2, 3))
    assert np.array_equal(imported("-", "--name", "x", "--format", "npy", input=data)["x"].array, np.arange(6.0).reshape(2, 3))
    assert imported("-", "--name", "c", "--format", "csv", input=b"1,2\n")["c"].array.tolist() == [[1, 2]]
    stream = frames("import", "-", "--name", "x", input=data).stdout
    assert "is a frame stream already" in one_error_line(frames("import", "-", "--name", "y", input=stream, check=False))
    # .npy to stdout, the last frame of the name.
    stream += frames("import", "-", "--name", "x", input=b"7\n").stdout
    out = frames("export", "x", "--npy", "-", input=stream).stdout
    assert np.load(io.BytesIO(out)).tolist() == [[7.0]]
    result = frames("import", "--append", "-", "--name", "z", input=stream, check=False)
    assert result.returncode == 64 and "with --append the stream comes on stdin" in result.stderr


@pytest.mark.parametrize("option", ["--npy", "--npz"])
def test_binary_export_to_a_terminal_is_refused(tmp_path, option):
    np.save(tmp_path / "x.npy", np.arange(3.0))
    (tmp_path / "s.frames").write_bytes(frames("import", tmp_path / "x.npy", "--name", "x").stdout)
    status, output = run_on_terminal([tool("frames"), "export", "x", tmp_path / "s.frames", option, "-"])
    assert status == 1
    assert b"refusing to write a binary file to a terminal" in output
    assert b"NUMPY" not in output


def test_the_readmes_format_examples_run(tmp_path):
    for name in ("generate-ground-truth", "sample-measurements", "solve-flat", "frames"):
        tool(name)  # skips when the tools are not built
    readme = (REPO / "README.md").read_text()
    start = readme.index("**`frames`** lists")
    script = re.search(r"```sh\n(.*?)```", readme[start:], re.S).group(1)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert np.array_equal(np.load(tmp_path / "run.npz")["estimate"], frames_of((tmp_path / "solved.frames").read_bytes())["estimate"].array)
    listing = result.stdout.splitlines()
    assert any(line.split()[1:4] == ["counts", "int32", "4"] for line in listing if len(line.split()) > 3), result.stdout


def test_export_and_append_take_the_stream_as_a_file_argument(tmp_path):
    """The conventions' positional stream: `frames export NAMES [FILE]` and
    `frames import --append FILE [STREAM]` read the same bytes from a file as from stdin."""
    np.save(tmp_path / "x.npy", np.arange(6.0).reshape(2, 3))
    np.save(tmp_path / "m.npy", np.eye(2))
    stream_path = tmp_path / "s.frames"
    stream_path.write_bytes(frames("import", tmp_path / "x.npy", "--name", "x").stdout)
    from_file = frames("export", "x", stream_path, "--npy", "-").stdout
    assert from_file == frames("export", "x", "--npy", "-", input=stream_path.read_bytes()).stdout
    assert np.load(io.BytesIO(from_file)).tolist() == np.arange(6.0).reshape(2, 3).tolist()
    archive = frames("export", "*", stream_path, "--npz", "-").stdout
    assert np.load(io.BytesIO(archive)).files == ["x"]
    appended = frames("import", "--append", tmp_path / "m.npy", stream_path, "--name", "m").stdout
    piped = frames_of(frames("import", "--append", tmp_path / "m.npy", "--name", "m",
                             input=stream_path.read_bytes()).stdout)
    assert list(frames_of(appended)) == list(piped) == ["x", "m"]
    for name, frame in frames_of(appended).items():  # the provenance differs: it records the arguments
        assert np.array_equal(frame.array, piped[name].array)
    result = frames("import", tmp_path / "m.npy", stream_path, "--name", "m", check=False)
    assert result.returncode == 64
    assert result.stderr.startswith("frames import: a second file is the stream to append to")
