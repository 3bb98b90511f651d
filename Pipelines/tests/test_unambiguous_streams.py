"""Every tool sees the same frame for a name (the last), never waits on a terminal for binary
input, and never takes a file for a frame name."""
import io
import os
import pty
import subprocess

import numpy as np
import pytest

import flatframes
from conftest import run, tool

TOOLS_READING_STDIN = [["frames", "ls"], ["frames", "pick", "truth"], ["frames", "verify"], ["frames", "import", "--append", "x.npy", "--name", "x"],
                       ["frames", "export", "truth", "--csv", "-"], ["sample-measurements"], ["corrupt-sparse", "--count", "1"],
                       ["solve-flat"], ["evaluate"]]


@pytest.mark.parametrize("command", TOOLS_READING_STDIN, ids=" ".join)
def test_a_terminal_on_stdin_is_refused(command):
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run([tool(command[0]), *command[1:]], stdin=terminal, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=20)
    finally:
        os.close(controller)
        os.close(terminal)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "terminal" in result.stderr


def two_answers(stream_of):
    """A stream holding two frames named 'estimate' (as `cat a b` makes): different values."""
    first = io.BytesIO()
    flatframes.write_frame(first, "estimate", np.arange(6.0).reshape(2, 3))
    flatframes.write_frame(first, "estimate", -np.arange(6.0).reshape(2, 3))
    return first.getvalue()


def test_export_takes_the_last_frame_of_a_name(tmp_path):
    stream = two_answers(None)
    csv = run([tool("frames"), "export", "estimate", "--csv", "-"], input=stream).stdout.decode()
    assert np.array_equal(np.loadtxt(io.StringIO(csv), delimiter=",", ndmin=2), -np.arange(6.0).reshape(2, 3))
    run([tool("frames"), "export", "estimate", "--npy", str(tmp_path / "e.npy")], input=stream)
    assert np.array_equal(np.load(tmp_path / "e.npy"), -np.arange(6.0).reshape(2, 3))
    assert [p.name for p in tmp_path.iterdir()] == ["e.npy"], "no temporary file of the first frame is left"


def test_pick_and_drop_read_files_and_never_take_one_for_a_name(tmp_path):
    path = tmp_path / "run1.frames"
    path.write_bytes(run([tool("generate-ground-truth"), "--d1", "5", "--rank", "1"]).stdout)
    picked = run([tool("frames"), "pick", "truth", str(path)]).stdout
    assert [f.name for f in flatframes.read_frames(io.BytesIO(picked))] == ["truth"]
    dropped = run([tool("frames"), "drop", "truth,truth_left", str(path), str(path)]).stdout
    assert [f.name for f in flatframes.read_frames(io.BytesIO(dropped))] == ["truth_right", "truth_right"]
    result = run([tool("frames"), "pick", str(path)], check=False, timeout=10)
    assert result.returncode == 1 and "is a file" in result.stderr and result.stderr.count("\n") == 1


def gaussian_stream():
    truth = run([tool("generate-ground-truth"), "--d1", "6", "--rank", "1", "--seed", "1"]).stdout
    return run([tool("sample-measurements"), "--m", "30", "--seed", "2"], input=truth).stdout


INAPPLICABLE = [
    (["sample-measurements", "--operator", "identity", "--m", "50"], "truth", "do not apply"),
    (["sample-measurements", "--operator", "identity", "--oversampling", "3"], "truth", "do not apply"),
    (["sample-measurements", "--operator", "gaussian", "--p", "0.5"], "truth", "completion only"),
    (["sample-measurements", "--noise-absolute"], "truth", "only applies with --noise"),
    (["generate-ground-truth", "--d1", "5", "--rank", "1", "--rank-neg", "1"], None, "only to --kind signed"),
    (["generate-ground-truth", "--d1", "5", "--rank", "1", "--condition", "3"], None, "only to --kind orthonormal"),
    (["solve-flat", "--width-pos", "1"], "gaussian", "--width-pos and --width-neg apply"),
    (["solve-flat", "--rho", "0.1"], "gaussian", "only applies with --method sam"),
    (["solve-flat", "--sigma", "0.1", "--method", "gd"], "gaussian", "only applies with --method label-noise"),
    (["solve-flat", "--step", "0.1"], "gaussian", "only apply with --method gd"),
    (["solve-flat", "--lambda", "0.1"], "gaussian", "only applies with --penalized"),
    (["solve-flat", "--method", "gd", "--noise-level", "0.1"], "gaussian", "interpolates b"),
    (["corrupt-sparse", "--count", "2", "--per-line", "1"], "gaussian", "needs a matrix target"),
]


@pytest.mark.parametrize("command,stdin,message", INAPPLICABLE, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_an_option_that_does_not_apply_is_an_error(command, stdin, message):
    streams = {None: None, "truth": lambda: run([tool("generate-ground-truth"), "--d1", "6", "--rank", "1"]).stdout,
               "gaussian": gaussian_stream}
    data = streams[stdin]() if stdin else None
    result = run([tool(command[0]), *command[1:]], input=data, check=False)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
