"""`generate-ground-truth` as a pipeline meets it: frames numpy can read, attributes that
describe them, the same bytes for the same seed, and one-line errors."""
import os
import pty
import subprocess

import numpy as np
import pytest

from conftest import run, tool

from flatframes import read_frames

TOOL = "generate-ground-truth"


def generate(*args, env=None):
    return run([tool(TOOL), *map(str, args)], env=env).stdout


def frames_by_name(stream):
    frames = list(read_frames(stream))
    assert [frame.name for frame in frames] == ["truth", "truth_left", "truth_right"]
    return {frame.name: frame for frame in frames}


def one_error_line(result):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{TOOL}: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("arguments, rank", [
    (["--d1", 30, "--d2", 20, "--rank", 4], 4),
    (["--d1", 25, "--rank", 3, "--kind", "orthonormal", "--spectrum", "4,2,1", "--normalize", "none"], 3),
    (["--d1", 20, "--rank", 2, "--kind", "psd", "--spikiness", "0.5"], 2),
    (["--d1", 20, "--rank", 2, "--kind", "signed", "--rank-neg", 3], 5),
])
def test_truth_is_the_product_of_its_factors_and_attributes_describe_it(arguments, rank):
    frames = frames_by_name(generate(*arguments, "--seed", 5))
    truth, left, right = (frames[name].array for name in ("truth", "truth_left", "truth_right"))
    assert truth.dtype == np.float64 and left.shape[1] == right.shape[1] == rank
    np.testing.assert_allclose(truth, left @ right.T, rtol=0, atol=1e-14 * np.abs(truth).max())

    attributes = frames["truth"].attributes
    singular_values = np.linalg.svd(truth, compute_uv=False)
    assert attributes["rank"] == rank == np.sum(singular_values > 1e-10 * singular_values[0])
    assert (attributes["d1"], attributes["d2"]) == truth.shape
    np.testing.assert_allclose(attributes["singular_values"], singular_values[:rank], rtol=1e-12)
    assert attributes["condition_number"] == pytest.approx(singular_values[0] / singular_values[rank - 1], rel=1e-12)
    u, _, vt = np.linalg.svd(truth)
    for side, basis in (("left", u[:, :rank]), ("right", vt[:rank].T)):
        mu = basis.shape[0] / rank * np.max(np.sum(basis**2, axis=1))
        assert attributes[f"incoherence_{side}"] == pytest.approx(mu, rel=1e-10)
    for key in ("kind", "normalize", "spikiness"):
        assert key in attributes
    for frame in frames.values():
        (entry,) = frame.attributes["provenance"]
        assert entry["tool"] == TOOL and entry["seed"] == 5 and entry["version"]
        assert "--seed" in entry["arguments"]


def test_provenance_arguments_remake_the_same_bytes():
    stream = generate("--d1", 12, "--rank", 3, "--kind", "orthonormal", "--condition", 4, "--spikiness", 0.3,
                      "--seed", 8, "--level", 9, "--threads", 1)
    (entry,) = frames_by_name(stream)["truth"].attributes["provenance"]
    assert entry["arguments"] == ["--d1", "12", "--d2", "12", "--rank", "3", "--kind", "orthonormal",
                                  "--condition", "4.0", "--spikiness", "0.3", "--normalize", "fro", "--seed", "8",
                                  "--truth", "dense"]
    assert generate(*entry["arguments"], "--level", 9) == stream


def test_orthonormal_spectrum_and_signed_ranks_as_asked():
    frames = frames_by_name(generate("--d1", 25, "--rank", 3, "--kind", "orthonormal", "--spectrum", "4,2,1",
                                     "--normalize", "none"))
    np.testing.assert_allclose(np.linalg.svd(frames["truth"].array, compute_uv=False)[:3], [4, 2, 1], rtol=1e-13)

    frames = frames_by_name(generate("--d1", 20, "--rank", 2, "--kind", "signed", "--rank-neg", 3))
    eigenvalues = np.linalg.eigvalsh(frames["truth"].array)
    assert np.sum(eigenvalues > 1e-10) == 2 and np.sum(eigenvalues < -1e-10) == 3
    assert frames["truth"].attributes["rank_positive"] == 2 and frames["truth"].attributes["rank_negative"] == 3


def test_default_seed_is_zero_and_normalization_is_frobenius():
    default = generate("--d1", 10, "--rank", 2)
    assert default == generate("--d1", 10, "--rank", 2, "--seed", 0)
    frames = frames_by_name(default)
    assert frames["truth"].attributes["provenance"][0]["seed"] == 0
    assert np.linalg.norm(frames["truth"].array) == pytest.approx(1, abs=1e-14)
    assert np.linalg.norm(frames_by_name(generate("--d1", 10, "--rank", 2, "--normalize", "spectral"))["truth"].array,
                          ord=2) == pytest.approx(1, abs=1e-14)


def test_same_seed_gives_the_same_bytes_whatever_the_thread_counts():
    # Large enough that OpenBLAS would split the products between threads if it were let.
    arguments = ["--d1", 300, "--d2", 250, "--rank", 40, "--seed", 9]
    reference = generate(*arguments)
    assert generate(*arguments) == reference
    assert generate(*arguments, "--threads", 1) == generate(*arguments, "--threads", 2) == reference
    for blas_threads in ("1", "2"):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=blas_threads)
        assert generate(*arguments, env=env) == reference
    assert generate(*arguments[:-1], 10) != reference


def test_output_file_holds_the_same_stream(tmp_path):
    path = tmp_path / "truth.frames"
    assert run([tool(TOOL), "--d1", "8", "--rank", "2", "-o", str(path)]).stdout == b""
    assert path.read_bytes() == generate("--d1", 8, "--rank", 2, "-o", "-")


@pytest.mark.parametrize("arguments, message", [
    (["--d1", 5, "--rank", 6], "--rank 6 exceeds min(d1, d2) = 5"),
    (["--d1", 5, "--d2", 4, "--rank", 2, "--kind", "signed", "--rank-neg", 1], "needs d1 == d2, got 5×4"),
    (["--d1", 5, "--rank", 2, "--kind", "signed"], "needs --rank-neg"),
    (["--d1", 5, "--rank", 2, "--condition", 3], "apply only to --kind orthonormal"),
    (["--d1", 5, "--rank", 2, "--kind", "orthonormal", "--condition", 3, "--spectrum", "1,2"], "not both"),
    (["--d1", 5, "--rank", 2, "--kind", "orthonormal", "--spectrum", "1,2,3"], "--spectrum has 3 values"),
    (["--d1", 5, "--rank", 2, "--spikiness", 2], "--spikiness must lie in [0, 1]"),
])
def test_impossible_requests_fail_with_one_line(arguments, message):
    result = run([tool(TOOL), *map(str, arguments)], check=False)
    assert message in one_error_line(result)
    assert result.stdout == b""


@pytest.mark.parametrize("arguments, message", [
    (["--d1", 5, "--rank", 2, "--kind", "triangular"], "'triangular' is invalid for '--kind"),
    (["--d1", 5, "--rank", 2, "--kind", "orthonormal", "--spectrum", "1,x"], "'x' in --spectrum is not a number"),
    (["--rank", 2], "Missing expected argument '--d1 <n>'"),
])
def test_malformed_arguments_are_refused_by_the_parser(arguments, message):
    result = run([tool(TOOL), *map(str, arguments)], check=False)
    assert result.returncode != 0 and result.stdout == b""
    assert message in result.stderr


def on_terminal(*arguments, stdout_is_terminal):
    """Runs the tool with stderr (and stdout if asked) on a pseudo-terminal; returns the
    exit status, what reached stdout when it was a pipe, and what the terminal showed."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run([tool(TOOL), "--d1", "10", "--rank", "2", *arguments],
                                stdout=terminal if stdout_is_terminal else subprocess.PIPE, stderr=terminal)
    finally:
        os.close(terminal)
    shown = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # Linux reports a terminal whose far end is closed as EIO
            break
        if not chunk:
            break
        shown.append(chunk)
    os.close(controller)
    return result.returncode, result.stdout, b"".join(shown).decode()


def test_terminal_gets_no_frames_but_a_summary_on_stderr():
    status, _, shown = on_terminal(stdout_is_terminal=True)
    assert status != 0 and "refusing to write binary frames to a terminal" in shown

    status, stdout, shown = on_terminal(stdout_is_terminal=False)
    assert status == 0 and stdout
    assert shown.startswith(f"{TOOL}: truth 10×10, gaussian, rank 2, condition number "), shown

    status, stdout, shown = on_terminal("--quiet", stdout_is_terminal=False)
    assert status == 0 and stdout and shown == ""


def test_version_and_help():
    assert run([tool(TOOL), "--version"]).stdout.decode().strip() == "0.1.0"
    help_text = run([tool(TOOL), "--help"]).stdout.decode()
    assert "Examples:" in help_text and "generate-ground-truth --d1 50 --rank 3 --seed 1" in help_text
