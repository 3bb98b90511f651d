"""How every tool fails on absurd input, and that progress shows on a terminal only.

Each bad command line must end with a non-zero status (not a signal), exactly one line on
stderr naming the tool, no backtrace, within seconds and within a few GiB of address space:
sizes are checked before anything is allocated.
"""
import io
import os
import pty
import resource
import subprocess
import threading
import time

import numpy as np
import pytest

import flatframes
from conftest import run, tool

ADDRESS_SPACE = 4 << 30
SECONDS = 20
CRASH_MARKS = ("Stack dump", "Fatal error", "backtrace", "Backtracing", "Program crashed", "precondition")


@pytest.fixture(scope="module")
def streams(tmp_path_factory):
    """A 30×30 rank-2 truth, its Gaussian instance, a completion instance and a solved one."""
    directory = tmp_path_factory.mktemp("failure")
    truth = run([tool("generate-ground-truth"), "--d1", "30", "--rank", "2", "--seed", "1"]).stdout
    gaussian = run([tool("sample-measurements"), "--operator", "gaussian", "--seed", "2"], input=truth).stdout
    completion = run([tool("sample-measurements"), "--operator", "completion", "--p", "0.5", "--seed", "2"],
                     input=truth).stdout
    solved = run([tool("solve-flat"), "-q"], input=gaussian).stdout
    paths = {}
    for name, data in [("truth", truth), ("gaussian", gaussian), ("completion", completion), ("solved", solved)]:
        paths[name] = directory / f"{name}.frames"
        paths[name].write_bytes(data)
    paths["dir"] = directory
    return paths


def bounded():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def assert_fails_in_one_line(name, args, stdin=None):
    started = time.monotonic()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as source:
        result = subprocess.run([tool(name), *args], stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=bounded, timeout=SECONDS)
    elapsed = time.monotonic() - started
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode > 0, f"{name} {args}: exit {result.returncode}\n{stderr}"
    assert not any(mark in stderr for mark in CRASH_MARKS), f"{name} {args}:\n{stderr}"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"{name} {args}:\n{stderr}"
    assert lines[0].startswith(name.split()[0]), lines[0]
    assert elapsed < SECONDS / 2, f"{name} {args} took {elapsed:.1f} s"
    return lines[0]


TWO_63 = "9223372036854775808"
INT_MAX = "9223372036854775807"

GENERATE = [
    ["--d1", "-5", "--rank", "1"], ["--d1", "0", "--rank", "1"], ["--d1", "1e300", "--rank", "1"],
    ["--d1", TWO_63, "--rank", "1"], ["--d1", INT_MAX, "--rank", "3"], ["--d1", "10", "--d2", INT_MAX, "--rank", "3"],
    ["--d1", "100000", "--rank", "2", "--truth", "dense"], ["--d1", "1000000000", "--rank", "1"],
    ["--d1", "10", "--rank", "11"], ["--d1", "10", "--rank", "0"], ["--d1", "10", "--rank", "-1"],
    ["--d1", "10", "--rank", INT_MAX], ["--d1", "10", "--rank", "2", "--spikiness", "-1"],
    ["--d1", "10", "--rank", "2", "--spikiness", "1e300"],
    ["--d1", "10", "--rank", "2", "--kind", "signed", "--rank-neg", INT_MAX],
    ["--d1", "10", "--rank", INT_MAX, "--kind", "signed", "--rank-neg", "1"],
    ["--d1", "10", "--rank", "2", "--kind", "signed", "--rank-neg", "-1"],
    ["--d1", "10", "--rank", "2", "--kind", "orthonormal", "--condition", "-1"],
    ["--d1", "10", "--rank", "2", "--kind", "orthonormal", "--spectrum", "1,-2"],
    ["--d1", "10", "--rank", "2", "--max-frame-bytes", "-1"], ["--d1", "10", "--rank", "2", "--max-frame-bytes", "10"],
    ["--d1", "10", "--rank", "2", "--threads", "0"], ["--d1", "10", "--rank", "2", "--threads", "1000000"],
    ["--d1", "10", "--rank", "2", "--level", "-100"], ["--d1", "10", "--rank", "2", "--seed", "-1"],
]

SAMPLE = [
    ["--m", "-5"], ["--m", "0"], ["--m", "1e12"], ["--m", "1000000000000"], ["--m", INT_MAX], ["--m", TWO_63],
    ["--oversampling", "-1"], ["--oversampling", "0"], ["--oversampling", "1e300"],
    ["--operator", "completion", "--p", "0"], ["--operator", "completion", "--p", "-0.5"],
    ["--operator", "completion", "--p", "1e300"], ["--operator", "completion", "--m", "901"],
    ["--operator", "bilinear", "--m", "100000000"], ["--operator", "quadratic", "--m", INT_MAX],
    ["--holdout", "-1"], ["--holdout", "1000000000000000"], ["--noise", "-1"], ["--noise", "1e400"],
    ["--threads", "-2"], ["--max-frame-bytes", "0"],
]

CORRUPT = [
    ["--count", "-1"], ["--count", "1e12"], ["--count", INT_MAX], ["--count", "901"], ["--fraction", "-0.5"],
    ["--fraction", "1e300"], ["--fraction", "2"], ["--count", "5", "--per-line", "-2"],
    ["--count", "5", "--magnitude", "-1"], ["--count", "5", "--magnitude", "1e400"], ["--count", "5", "--seed", "-1"],
]

SOLVE = [
    ["--width", "-3"], ["--width", "0"], ["--width", "31"], ["--width", INT_MAX], ["--width", TWO_63],
    ["--method", "min-norm", "--width", "31"], ["--method", "convex", "--width", "31"],
    ["--method", "gd", "--width", "31"], ["--depth", "0"], ["--depth", "-1"],
    ["--method", "gd", "--step", "0.1", "--depth", "1000000000"], ["--tol", "-1"], ["--tol", "1e300"],
    ["--max-iters", "-1"], ["--max-iters", "0"], ["--noise-level", "-1"], ["--l1-budget", "-1"],
    ["--threads", "0"], ["--max-frame-bytes", "-1"],
]

EVALUATE = [
    ["--tol", "-1"], ["--rank-tol", "0"], ["--rank-tol", "1e300"], ["--dense-limit", "-1"],
    ["--outlier-threshold", "-1"], ["--max-frame-bytes", "-1"], ["--max-frame-bytes", "10"],
    ["--dense-limit", TWO_63],
]

FRAMES = [
    ["ls", "--max-frame-bytes", "-1"], ["verify", "--max-frame-bytes", "0"], ["verify", "--max-frame-bytes", "10"],
    ["pick", "truth", "--threads", "-1"], ["drop", "truth", "--level", "-100"],
    ["export", "truth", "--csv", "-", "--max-frame-bytes", "100"],
]


@pytest.mark.parametrize("args", GENERATE, ids=" ".join)
def test_generate_ground_truth(args):
    assert_fails_in_one_line("generate-ground-truth", args)


@pytest.mark.parametrize("args", SAMPLE, ids=" ".join)
def test_sample_measurements(streams, args):
    assert_fails_in_one_line("sample-measurements", args, stdin=streams["truth"])


@pytest.mark.parametrize("args", CORRUPT, ids=" ".join)
def test_corrupt_sparse(streams, args):
    assert_fails_in_one_line("corrupt-sparse", args, stdin=streams["gaussian"])


@pytest.mark.parametrize("args", SOLVE, ids=" ".join)
def test_solve_flat(streams, args):
    assert_fails_in_one_line("solve-flat", args, stdin=streams["gaussian"])


@pytest.mark.parametrize("args", EVALUATE, ids=" ".join)
def test_evaluate(streams, args):
    assert_fails_in_one_line("evaluate", args, stdin=streams["solved"])


@pytest.mark.parametrize("args", FRAMES, ids=" ".join)
def test_frames(streams, args):
    assert_fails_in_one_line("frames", args, stdin=streams["truth"])


def test_messages_name_the_flag_the_size_and_the_limit(streams):
    line = assert_fails_in_one_line("generate-ground-truth", ["--d1", "100000", "--rank", "2", "--truth", "dense"])
    assert "--d1 100000 × --d2 100000 needs 74.5 GiB for the dense truth (--truth dense), over the limit of" in line
    assert "(half of physical memory; --max-frame-bytes)" in line
    line = assert_fails_in_one_line("sample-measurements", ["--m", "1000000000000", "--max-frame-bytes", "1000000"],
                                    stdin=streams["truth"])
    assert line == ("sample-measurements: --m 1000000000000 needs 7.28 TiB for frame 'observations', "
                    "over the limit of 977 KiB (--max-frame-bytes)")
    line = assert_fails_in_one_line("solve-flat", ["--width", "31"], stdin=streams["gaussian"])
    assert line == "solve-flat: --width 31 exceeds min(d1, d2) = 30"
    line = assert_fails_in_one_line("generate-ground-truth", ["--d1", "-5", "--rank", "1"])
    assert line == "generate-ground-truth: dimensions must be at least 1, got --d1 -5 --d2 -5"


def rewritten(path, change):
    """The stream at `path` with `change(name, array, attributes)` applied to every frame."""
    out = io.BytesIO()
    with open(path, "rb") as source:
        for frame in flatframes.read_frames(source):
            name, array, attributes = change(frame.name, frame.array, dict(frame.attributes))
            flatframes.write_frame(out, name, array, attributes)
    return out.getvalue()


@pytest.mark.parametrize("shape", [(1 << 40, 30), (30, 1 << 40), (1 << 31, 1 << 31)])
def test_a_header_claiming_a_huge_truth_is_refused(streams, shape):
    def claim(name, array, attributes):
        if name == "observations":
            attributes["d1"], attributes["d2"] = shape
        return name, array, attributes
    path = streams["dir"] / f"claims-{shape[0]}-{shape[1]}.frames"
    path.write_bytes(rewritten(streams["completion"], claim))
    for name in ["solve-flat", "evaluate"]:
        line = assert_fails_in_one_line(name, [], stdin=path)
        assert "observations" in line


def test_an_identity_stream_whose_shape_disagrees_is_refused(streams):
    identity = run([tool("sample-measurements"), "--operator", "identity"], input=streams["truth"].read_bytes()).stdout
    source = streams["dir"] / "identity.frames"
    source.write_bytes(identity)

    def claim(name, array, attributes):
        if name == "observations":
            attributes["d1"] = 40
        return name, array, attributes
    path = streams["dir"] / "identity-bad.frames"
    path.write_bytes(rewritten(source, claim))
    line = assert_fails_in_one_line("solve-flat", [], stdin=path)
    assert "identity operator" in line


def test_an_npy_header_claiming_terabytes_is_refused_before_import(tmp_path):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 10000000), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    path = tmp_path / "huge.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 64)
    line = assert_fails_in_one_line("frames", ["import", str(path), "--name", "x"])
    assert "needs 7.28 TiB for frame 'x'" in line


# Progress: on a terminal only, never with -q, never in a pipe.

PROGRESS_DELAY = 1.0


def run_with_stderr_on_a_terminal(args, stdin):
    """Runs a tool with stderr on a pseudo-terminal, stdin from a file and stdout to
    /dev/null; returns the bytes the terminal received and the run's duration."""
    controller, terminal = pty.openpty()
    received = bytearray()

    def drain():
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                return
            if not chunk:
                return
            received.extend(chunk)
    reader = threading.Thread(target=drain)
    reader.start()
    started = time.monotonic()
    with open(stdin, "rb") as source, open(os.devnull, "wb") as sink:
        result = subprocess.run(args, stdin=source, stdout=sink, stderr=terminal, timeout=120)
    elapsed = time.monotonic() - started
    os.close(terminal)
    reader.join(timeout=5)
    os.close(controller)
    assert result.returncode == 0
    return bytes(received), elapsed


@pytest.fixture(scope="module")
def wide_truth(tmp_path_factory):
    path = tmp_path_factory.mktemp("progress") / "truth.frames"
    path.write_bytes(run([tool("generate-ground-truth"), "--d1", "100", "--rank", "10"]).stdout)
    return path


# A Gaussian operator of 2·10⁸ numbers: seconds of drawing and compressing, no disk.
LONG_RUN = ["--operator", "gaussian", "--m", "20000", "--seed", "3"]


def test_progress_shows_on_a_terminal_and_is_erased(wide_truth):
    received, elapsed = run_with_stderr_on_a_terminal([tool("sample-measurements"), *LONG_RUN], wide_truth)
    text = received.decode(errors="replace")
    if elapsed > PROGRESS_DELAY + 0.5:
        assert "\rsample-measurements: drawing and writing 'sensing' " in text and "%, read " in text, text
        # The line is erased before the summary, which then starts at the left margin.
        assert "\r\x1b[Ksample-measurements: gaussian, 20000 measurements" in text, text
    else:
        pytest.skip(f"the run took {elapsed:.1f} s, too short for the progress line to appear")
    assert text.rstrip().endswith("rank-10 truth")


def test_quiet_on_a_terminal_prints_nothing(wide_truth):
    received, _ = run_with_stderr_on_a_terminal([tool("sample-measurements"), *LONG_RUN, "-q"], wide_truth)
    assert received == b""


def test_nothing_extra_on_stderr_in_a_pipe(streams, wide_truth):
    result = run([tool("sample-measurements"), *LONG_RUN], input=wide_truth.read_bytes())
    assert result.stderr == ""
    truth = run([tool("generate-ground-truth"), "--d1", "2000", "--rank", "10"]).stdout
    data = run([tool("sample-measurements"), "--operator", "completion", "--p", "0.2"], input=truth).stdout
    for step in [["corrupt-sparse", "--fraction", "0.01"], ["frames", "drop", "truth"], ["frames", "verify", "-q"],
                 ["frames", "ls"]]:
        result = run([tool(step[0]), *step[1:]], input=data)
        assert result.stderr == "", step
        data = result.stdout if step[1] not in ("ls", "verify") else data
    result = run([tool("evaluate"), "--sharpness"], input=streams["solved"].read_bytes())
    assert result.stderr == ""


@pytest.mark.parametrize("name,args,message", [
    ("generate-ground-truth", ["--rnak", "3"], "unknown option '--rnak'; did you mean '--rank'?"),
    ("evaluate", ["--tga", "x=1"], "unknown option '--tga'; did you mean '--tag'?"),
    ("frames export", ["truth", "--npz", "-", "--compresed"], "unknown option '--compresed'; did you mean '--compressed'?"),
    ("solve-flat", ["--widht", "3"], "unknown option '--widht'; did you mean '--width'?"),
    # The truth's rank is not the solver's width: a flag from a sibling tool gets its own message.
    ("solve-flat", ["--rank", "3"], "unknown option '--rank'; the factor width is '--width'"),
    ("solve-flat", ["--rnak", "3"], "unknown option '--rnak'; the factor width is '--width'"),
    ("solve-flat", ["--rank-pos", "1"], "unknown option '--rank-pos'; the quadratic model's factor widths are '--width-pos' and '--width-neg'"),
])
def test_a_misspelled_or_foreign_option_is_named_with_what_to_use(streams, name, args, message):
    line = assert_fails_in_one_line(name.split()[0], name.split()[1:] + args, stdin=streams["truth"])
    assert line.startswith(f"{name}: {message}"), line


@pytest.mark.parametrize("frame,position,value,place", [
    ("observations", (3,), np.nan, "element 3"), ("observations", (0,), np.inf, "element 0"),
    ("sensing", (7, 5), np.nan, "row 7, column 5"),
])
@pytest.mark.parametrize("name", ["solve-flat", "evaluate"])
def test_a_non_finite_measurement_is_refused_where_it_is_read(streams, frame, position, value, place, name, tmp_path):
    """A NaN in the data used to surface as a LAPACK argument error; it is named with its frame
    and position instead (numpy's row and column are the tools' too)."""
    stream = flatframes.load(streams["gaussian"])
    array = stream[frame].copy()
    array[position] = value
    stream[frame] = array
    path = tmp_path / "bad.frames"
    flatframes.save(path, stream)
    line = assert_fails_in_one_line(name, [str(path)])
    assert f"frame '{frame}' holds {'nan' if np.isnan(value) else 'inf'} at {place}" in line, line


def test_a_pick_that_matches_nothing_is_an_error_and_writes_no_file(streams, tmp_path):
    target = tmp_path / "picked.frames"
    line = assert_fails_in_one_line("frames", ["pick", "truht", str(streams["truth"]), "-o", str(target)])
    assert line == "frames pick: no frame matches 'truht' in the stream" and not target.exists()
    # One match among the names is enough: a list may name frames only some streams hold.
    kept = run([tool("frames"), "pick", "truth,estimate", str(streams["truth"])]).stdout
    assert [frame.name for frame in flatframes.read_frames(kept)] == ["truth"]
