"""The same command gives the same bytes: on every run, at any --threads and OpenBLAS thread
count, and whatever compression level the input was written at (the frames a tool writes
itself do not change; those it forwards are the input's own bytes). Run times live only in
solve-flat's opt-in 'timings' frame."""
import io
import os

import pytest

import flatframes
from conftest import run, tool

GENERATE = ["generate-ground-truth", "--d1", "9", "--d2", "7", "--rank", "2", "--seed", "5"]


def raw_frames(stream):
    return [data for _, data in flatframes.iter_raw_frames(io.BytesIO(stream))]


def recompressed(stream, level):
    """The same frames, every one re-encoded at `level`."""
    out = io.BytesIO()
    for frame in flatframes.read_frames(io.BytesIO(stream)):
        flatframes.write_frame(out, frame.name, frame.array, frame.attributes, level=level)
    return out.getvalue()


def instance(operator, *extra):
    truth = run([tool(GENERATE[0]), *GENERATE[1:]]).stdout
    return run([tool("sample-measurements"), "--operator", operator, "--seed", "6", *extra], input=truth).stdout


def invoke(command, stream, threads, blas_threads):
    environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads))
    arguments = [tool(command[0]), *command[1:]]
    if command[0] != "evaluate":
        arguments += ["--threads", str(threads)]
    result = run(arguments, input=stream, check=False, env=environment)
    assert result.returncode in (0, 3), f"{command}: {result.stderr}"
    return result.stdout


def written(stream, output):
    """The frames of `output` the tool wrote itself (not forwarded byte for byte from `stream`)."""
    forwarded = set(raw_frames(stream)) if stream else set()
    return [frame for frame in raw_frames(output) if frame not in forwarded]


def robust_pca():
    observed = instance("identity")
    return run([tool("corrupt-sparse"), "--fraction", "0.1", "--seed", "7"], input=observed).stdout


CASES = {
    "generate-ground-truth": (lambda: None, GENERATE),
    "generate orthonormal": (lambda: None, [*GENERATE, "--kind", "orthonormal", "--condition", "10"]),
    "sample gaussian": (lambda: run([tool(GENERATE[0]), *GENERATE[1:]]).stdout,
                        ["sample-measurements", "--operator", "gaussian", "--m", "40", "--noise", "0.1", "--holdout", "5"]),
    "sample bilinear": (lambda: run([tool(GENERATE[0]), *GENERATE[1:]]).stdout,
                        ["sample-measurements", "--operator", "bilinear", "--m", "40"]),
    "sample completion": (lambda: run([tool(GENERATE[0]), *GENERATE[1:]]).stdout,
                          ["sample-measurements", "--operator", "completion", "--p", "0.6"]),
    "corrupt-sparse": (lambda: instance("identity"), ["corrupt-sparse", "--fraction", "0.1", "--seed", "7"]),
    "solve flat": (lambda: instance("gaussian", "--m", "50"), ["solve-flat", "-q"]),
    "solve min-norm": (lambda: instance("bilinear", "--m", "50"), ["solve-flat", "-q", "--method", "min-norm"]),
    "solve convex": (lambda: instance("completion", "--p", "0.7"), ["solve-flat", "-q", "--method", "convex"]),
    "solve flat robust PCA": (robust_pca, ["solve-flat", "-q", "--oracle-budget"]),
    "solve gd": (lambda: instance("gaussian", "--m", "50"), ["solve-flat", "-q", "--method", "gd", "--max-iters", "300"]),
    "solve sam": (lambda: instance("gaussian", "--m", "50"), ["solve-flat", "-q", "--method", "sam", "--max-iters", "300"]),
    "solve label-noise": (lambda: instance("gaussian", "--m", "50"),
                          ["solve-flat", "-q", "--method", "label-noise", "--max-iters", "300"]),
    "solve least-norm": (lambda: instance("gaussian", "--m", "50"), ["solve-flat", "-q", "--method", "least-norm"]),
    "solve depth 3": (lambda: instance("gaussian", "--m", "50"), ["solve-flat", "-q", "--depth", "3", "--max-iters", "300"]),
    "frames pick": (lambda: instance("gaussian", "--m", "20"), ["frames", "pick", "truth,observations"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_command_gives_the_same_bytes(case):
    make_input, command = CASES[case]
    stream = make_input()
    first = invoke(command, stream, threads=2, blas_threads=2)
    assert invoke(command, stream, threads=1, blas_threads=1) == first, "the thread counts changed the bytes"
    assert invoke(command, stream, threads=2, blas_threads=2) == first, "a second run changed the bytes"
    if stream is not None:
        for level in (1, 19):
            other = recompressed(stream, level)
            assert written(other, invoke(command, other, threads=1, blas_threads=2)) == written(stream, first), \
                f"input compressed at level {level} changed the frames the tool wrote"


def test_evaluate_reports_the_same_text_on_every_run():
    solved = run([tool("solve-flat"), "-q"], input=instance("gaussian", "--m", "50")).stdout
    reports = {invoke(["evaluate", "--format", "json", "--sharpness"], stream, 1, blas)
               for stream in (solved, recompressed(solved, 19)) for blas in (1, 2)}
    assert len(reports) == 1


def test_run_times_are_only_in_the_timings_frame():
    stream = instance("gaussian", "--m", "50")
    plain = flatframes.read_frames(io.BytesIO(run([tool("solve-flat"), "-q"], input=stream).stdout))
    for frame in plain:
        assert frame.name != "timings" and not {"seconds", "operator_seconds"} & set(frame.attributes), frame.name
    timed = {f.name: f for f in flatframes.read_frames(io.BytesIO(run([tool("solve-flat"), "-q", "--timings"], input=stream).stdout))}
    seconds, operator_seconds = timed["timings"].array
    assert seconds > 0 and 0 < operator_seconds <= seconds
    assert timed["timings"].attributes["seconds"] == seconds
    assert timed["timings"].attributes["passes"] == timed["estimate"].attributes["passes"]
    report = run([tool("evaluate"), "--format", "json"], input=run([tool("solve-flat"), "-q", "--timings"], input=stream).stdout)
    assert '"seconds":' in report.stdout.decode() and '"seconds":null' not in report.stdout.decode()


def test_a_solved_stream_solved_again_has_one_estimate():
    once = run([tool("solve-flat"), "-q", "--timings"], input=instance("gaussian", "--m", "50")).stdout
    result = run([tool("solve-flat"), "--method", "convex", "--timings"], input=once)
    names = [f.name for f in flatframes.read_frames(io.BytesIO(result.stdout))]
    for name in ("estimate", "estimate_left", "estimate_right", "timings"):
        assert names.count(name) == 1, names
    assert "replaced" in result.stderr
    frames = {f.name: f for f in flatframes.read_frames(io.BytesIO(result.stdout))}
    assert frames["estimate"].attributes["method"] == "convex"


def test_frames_import_gives_the_same_bytes(tmp_path):
    import numpy as np
    np.save(tmp_path / "a.npy", np.arange(5000, dtype=np.float64).reshape(100, 50))
    outputs = {run([tool("frames"), "import", str(tmp_path / "a.npy"), "--name", "a", "--threads", str(t)]).stdout
               for t in (1, 2, 2)}
    assert len(outputs) == 1
