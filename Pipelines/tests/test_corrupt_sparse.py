"""corrupt-sparse as a pipeline stage: what it forwards, what it records, stacking,
reproducibility, and how it talks to people."""
import os
import pty
import subprocess

import numpy as np
import pytest

from conftest import run, tool

from flatframes import read_frames

RECORD = ["outliers_support", "outliers_values"]


def imported(tmp_path, name, array):
    """One frame made by `frames import`, numpy's layout kept (C order unless Fortran)."""
    path = tmp_path / f"{name}.npy"
    np.save(path, array)
    return run([tool("frames"), "import", str(path), "--name", name]).stdout


@pytest.fixture
def clean(tmp_path):
    """A robust-PCA instance: truth, noisy observations (15×12), an int64 frame, a holdout vector."""
    rng = np.random.default_rng(21)
    truth = rng.standard_normal((15, 2)) @ rng.standard_normal((2, 12))
    observations = truth + 0.01 * rng.standard_normal(truth.shape)
    return b"".join([
        imported(tmp_path, "truth", truth),
        imported(tmp_path, "observations", observations),
        imported(tmp_path, "entries", np.arange(6, dtype=np.int64).reshape(3, 2)),
        imported(tmp_path, "holdout_observations", rng.standard_normal(9)),
    ])


def corrupt(stream, *args):
    return run([tool("corrupt-sparse"), *args], input=stream).stdout


def frames_of(stream):
    return list(read_frames(stream))


def one(frames, name):
    matches = [frame for frame in frames if frame.name == name]
    assert len(matches) == 1, [frame.name for frame in frames]
    return matches[0]


def recorded_difference(frames, shape):
    """The record as a dense array: its values at its support (column-major), zero elsewhere."""
    support = one(frames, "outliers_support").array
    values = one(frames, "outliers_values").array
    assert support.dtype == np.int64 and values.dtype == np.float64
    assert np.all(np.diff(support) > 0), "support must be increasing"
    dense = np.zeros(int(np.prod(shape)))
    dense[support] = values
    return dense.reshape(shape, order="F")


def test_other_frames_pass_verbatim_and_in_order(clean):
    out = corrupt(clean, "--count", "10", "--seed", "3")
    names = [frame.name for frame in frames_of(out)]
    assert names == ["truth", "observations", "entries", "holdout_observations", *RECORD]
    drop = [tool("frames"), "drop", ",".join(["observations", *RECORD])]
    assert run(drop, input=out).stdout == run(drop, input=clean).stdout
    for name in ["truth", "entries", "holdout_observations"]:
        pick = [tool("frames"), "pick", name]
        assert run(pick, input=out).stdout == run(pick, input=clean).stdout


@pytest.mark.parametrize("distribution", ["gaussian", "uniform", "sign", "constant"])
@pytest.mark.parametrize("amount", [["--count", "17"], ["--fraction", "0.1"], ["--count", "24", "--per-line", "2"]])
def test_corrupted_minus_clean_is_the_record(clean, distribution, amount):
    out = frames_of(corrupt(clean, *amount, "--distribution", distribution, "--magnitude", "5", "--seed", "4"))
    before = one(frames_of(clean), "observations")
    after = one(out, "observations")
    assert after.array.shape == (15, 12) and after.array.dtype == np.float64
    assert np.array_equal(after.array - before.array, recorded_difference(out, (15, 12)))

    expected_count = 17 if "17" in amount else 24 if "24" in amount else round(0.1 * 180)
    attributes = one(out, "outliers_support").attributes
    assert attributes["count"] == expected_count == len(one(out, "outliers_values").array)
    assert attributes["target"] == "observations" and attributes["distribution"] == distribution
    assert attributes["magnitude"] == 5
    assert after.attributes["outliers"] == expected_count
    assert after.attributes["provenance"][:-1] == before.attributes["provenance"]
    stage = after.attributes["provenance"][-1]
    assert stage["tool"] == "corrupt-sparse" and stage["seed"] == 4 and "--distribution" in stage["arguments"]
    assert one(out, "outliers_values").attributes["provenance"] == [stage]
    values = one(out, "outliers_values").array
    if distribution == "constant":
        assert np.all(np.abs(values - 5) < 1e-12)
    if distribution == "sign":
        assert np.all(np.abs(np.abs(values) - 5) < 1e-12)


def test_per_line_caps_hold_exactly(tmp_path):
    stream = imported(tmp_path, "observations", np.random.default_rng(5).standard_normal((20, 20)))
    for seed in range(6):
        # Tight: 3 per line on 20×20 leaves no slack, every row and column gets exactly 3.
        out = frames_of(corrupt(stream, "--count", "60", "--per-line", "3", "--seed", str(seed)))
        rows, columns = np.unravel_index(one(out, "outliers_support").array, (20, 20), order="F")
        assert np.array_equal(np.bincount(rows, minlength=20), np.full(20, 3))
        assert np.array_equal(np.bincount(columns, minlength=20), np.full(20, 3))
        attributes = one(out, "outliers_support").attributes
        assert attributes["per_line"] == 3 and attributes["max_per_line"] == 3


def test_stacked_stages_leave_one_merged_record(clean):
    once = corrupt(clean, "--fraction", "0.6", "--seed", "1")
    twice = corrupt(once, "--fraction", "0.6", "--distribution", "gaussian", "--seed", "2")
    frames = frames_of(twice)
    assert [frame.name for frame in frames][-2:] == RECORD
    clean_values = one(frames_of(clean), "observations").array
    once_values = one(frames_of(once), "observations").array
    final_values = one(frames, "observations").array

    first = set(one(frames_of(once), "outliers_support").array.tolist())
    second = set(np.flatnonzero((final_values != once_values).ravel(order="F")).tolist())
    assert one(frames, "outliers_support").array.tolist() == sorted(first | second)
    assert first & second, "the test needs entries corrupted twice"

    total = final_values - clean_values
    recorded = recorded_difference(frames, clean_values.shape)
    hit_twice = np.zeros(clean_values.size, dtype=bool)
    hit_twice[sorted(first & second)] = True
    hit_twice = hit_twice.reshape(clean_values.shape, order="F")
    assert np.array_equal(recorded[~hit_twice], total[~hit_twice])
    # Twice-hit entries hold the sum of both stages' amounts: equal up to rounding.
    np.testing.assert_allclose(recorded[hit_twice], total[hit_twice], rtol=4e-16, atol=4e-16 * np.abs(clean_values).max())

    provenance = one(frames, "outliers_values").attributes["provenance"]
    assert [entry["seed"] for entry in provenance] == [1, 2]
    assert one(frames, "outliers_values").attributes["count"] == len(first | second)


def test_records_of_other_targets_pass_through(clean):
    holdout = corrupt(clean, "--target", "holdout_observations", "--count", "2", "--seed", "1")
    both = frames_of(corrupt(holdout, "--count", "5", "--seed", "2"))
    names = [frame.name for frame in both]
    assert names == ["truth", "observations", "entries", "holdout_observations", *RECORD, *RECORD]
    assert [frame.attributes["target"] for frame in both[4:]] == ["holdout_observations"] * 2 + ["observations"] * 2
    assert both[4].attributes["count"] == 2 and both[6].attributes["count"] == 5


def test_same_seed_same_bytes_on_any_thread_count(tmp_path):
    # Over 8 MiB, so the frame is compressed in zstd's multi-threaded mode.
    big = np.random.default_rng(8).standard_normal((1100, 1000))
    stream = imported(tmp_path, "observations", big)
    args = ["--fraction", "0.01", "--per-line", "20", "--seed", "6"]
    first = corrupt(stream, *args, "--threads", "1")
    assert corrupt(stream, *args, "--threads", "2") == first
    assert corrupt(stream, *args, "--threads", "1") == first
    assert corrupt(stream, "--fraction", "0.01", "--per-line", "20", "--seed", "7") != first


def test_where_it_reads_and_writes_changes_no_byte(clean, tmp_path):
    source = tmp_path / "in.frames"
    source.write_bytes(clean)
    path = tmp_path / "out.frames"
    run([tool("corrupt-sparse"), "--count", "4", str(source), "-o", str(path), "--quiet",
         "--max-frame-bytes=100000000"])
    assert path.read_bytes() == corrupt(clean, "--count", "4")
    stage = one(frames_of(path.read_bytes()), "observations").attributes["provenance"][-1]
    assert stage["arguments"] == ["--count", "4"]


@pytest.mark.parametrize("args, message", [
    (["--count", "3", "--target", "estimate"], "no frame named 'estimate' in the stream"),
    (["--fraction", "1.5"], "the outlier fraction must lie in [0, 1], got 1.5"),
    (["--count", "181"], "frame 'observations' (float64 15×12): 181 outliers asked for, but the target has only 180 entries"),
    (["--count", "37", "--per-line", "3"],
     "frame 'observations' (float64 15×12): with at most 3 per row and per column, a 15×12 matrix holds at most 36 outliers; 37 asked for"),
    (["--count", "2", "--per-line", "1", "--target", "holdout_observations"],
     "frame 'holdout_observations' (float64 9): a per-line cap needs a matrix target, not a vector of 9 entries"),
    (["--count", "2", "--target", "entries"], "frame 'entries' (int64 3×2): outliers go into float64 or float32 data"),
    ([], "give --fraction F or --count N"),
    (["--count", "2", "--fraction", "0.1"], "give --fraction or --count, not both"),
])
def test_mistakes_are_one_line_on_stderr(clean, args, message):
    result = run([tool("corrupt-sparse"), *args], input=clean, check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [f"corrupt-sparse: {message}"]


def run_on_terminal(args, stdin, terminal_stream):
    """Runs the tool with stdout or stderr on a pseudo-terminal and the other on a pipe;
    returns the exit code, what the terminal showed, and stderr when it was the pipe."""
    controller, terminal = pty.openpty()
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, terminal_stream: terminal}
    process = subprocess.run([tool("corrupt-sparse"), *args], input=stdin, **streams)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # Linux reports the closed terminal as EIO
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return process.returncode, shown.decode(), (process.stderr or b"").decode()


def test_binary_output_is_refused_on_a_terminal(clean):
    code, shown, stderr = run_on_terminal(["--count", "3"], clean, "stdout")
    assert code == 1 and shown == ""
    assert stderr.splitlines() == [
        "corrupt-sparse: refusing to write binary frames to a terminal; redirect stdout or use -o FILE"]


def test_summary_on_a_terminal_and_quiet(clean):
    code, shown, _ = run_on_terminal(["--count", "3", "--per-line", "1", "--seed", "9"], clean, "stderr")
    assert code == 0
    assert shown.startswith("corrupt-sparse: added 3 outliers to 'observations' (15×12): sign, magnitude ")
    assert shown.strip().endswith("at most 1 per row and column, seed 9")
    code, shown, _ = run_on_terminal(["--count", "3", "--quiet"], clean, "stderr")
    assert code == 0 and shown == ""
