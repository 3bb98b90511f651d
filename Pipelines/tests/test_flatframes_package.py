"""The flatframes package as a user meets it: pip installs it, its docstring examples run, the
stage example in its docstring is right, streams go through paths, stdin and stdout, and
evaluate's report reads into records and a DataFrame equal to what the tool printed."""

from __future__ import annotations

import doctest
import importlib
import inspect
import io
import json
import math
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import flatframes
from conftest import BIN, PYTHON_PACKAGE, REPO, pipeline, run, tool

CORPUS = REPO / "Tests" / "Corpus" / "valid"

try:
    import pandas
except ImportError:
    pandas = None


def modules():
    return [flatframes] + [importlib.import_module(f"flatframes.{info.name}")
                           for info in pkgutil.iter_modules(flatframes.__path__)]


# MARK: - Installation and documentation


def test_the_package_tested_is_this_checkouts():
    assert os.path.dirname(flatframes.__file__) == str(PYTHON_PACKAGE / "flatframes")


def test_pip_installs_the_package_with_its_type_marker(tmp_path):
    # As a user would: pip builds it in an isolated environment with the setuptools it fetches.
    # (From a copy, since setuptools leaves build files beside the sources.)
    source = tmp_path / "source"
    shutil.copytree(PYTHON_PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
                             "--target", str(tmp_path / "site"), str(source)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    probe = subprocess.run([sys.executable, "-c", "import flatframes; print(flatframes.__file__, flatframes.__version__)"],
                           capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})
    installed, version = probe.stdout.split()
    assert installed == str(tmp_path / "site" / "flatframes" / "__init__.py") and version == flatframes.__version__
    assert (tmp_path / "site" / "flatframes" / "py.typed").exists()


@pytest.mark.parametrize("module", modules(), ids=lambda module: module.__name__)
def test_docstring_examples_run(module):
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [test for test in finder.find(module, module.__name__) if test.examples]
    if pandas is None:
        tests = [test for test in tests if not test.name.endswith(".read_report")]
    for test in tests:
        runner.run(test)
    if module.__name__ != "flatframes._io" and module.__name__ != "flatframes._version":
        assert tests, f"{module.__name__} has no examples"
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.skipif(pandas is None, reason="the README's example ends with a DataFrame; pandas is not installed")
def test_the_readmes_python_example_runs(tmp_path):
    for name in ("generate-ground-truth", "sample-measurements", "solve-flat", "evaluate"):
        tool(name)  # skips when the tools are not built
    readme = (REPO / "README.md").read_text()
    start = readme.index("### From Python")
    section = readme[start:readme.index("\n## ", start)]
    code = "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("completion Stream(truth: float64 (30, 30), truth_left: float64 (30, 2)")
    assert lines[1].startswith("estimate_left (30, ") and lines[1].endswith(" F")
    assert lines[-1].split()[-2:] == ["True", "True"]  # recovered and converged


def test_every_public_name_has_a_docstring():
    for name in flatframes.__all__:
        value = getattr(flatframes, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert value.__doc__, name


def stage_example(tmp_path):
    """The add_noise stage of the package docstring, as a script."""
    text = flatframes.__doc__
    code = textwrap.dedent(text[text.index("    #!/usr/bin/env python3"):text.index("\nused as")])
    script = tmp_path / "add_noise.py"
    script.write_text(code)
    return script


def test_the_docstrings_stage_example_tells_solve_flat_about_its_noise(tmp_path):
    script = stage_example(tmp_path)
    instance = pipeline(["generate-ground-truth", "--d1", "12", "--rank", "2", "--seed", "1"],
                        ["sample-measurements", "--operator", "gaussian", "--oversampling", "5",
                         "--holdout", "50", "--seed", "2"])
    noisy = run([sys.executable, str(script), "0.01"], input=instance).stdout
    before, after = flatframes.load(instance), flatframes.load(noisy)
    for name in ("observations", "holdout_observations"):
        noise = after[name] - before[name]
        attributes = after.attributes[name]
        assert attributes["noise_std"] == 0.01
        assert attributes["noise_norm"] == pytest.approx(np.linalg.norm(noise), rel=1e-12)
        # Noise of the stated size: ‖noise‖² / m is σ² within a few standard errors.
        assert np.mean(noise**2) == pytest.approx(0.01**2, rel=5 * math.sqrt(2 / noise.size))
        assert attributes["provenance"][-1] == {"tool": "add_noise.py", "version": flatframes.__version__,
                                                "arguments": ["0.01"], "seed": 7}
    solved = run([tool("solve-flat"), "-q"], input=noisy)  # exit 0: certified within δ = σ√m
    report = json.loads(run([tool("evaluate"), "--format", "json"], input=solved.stdout).stdout)
    assert report["data_fit"] == "l2-ball" and report["converged"] is True
    assert report["relative_error"] < 0.05

    # The same noise with noise_std left at 0 (the old example) asks for an exact fit of noise.
    unannounced = io.BytesIO()
    flatframes.write_frames(unannounced, (
        flatframes.Frame(frame.name, frame.array, before.attributes[frame.name]) if frame.name in before.attributes
        and frame.name.endswith("observations") else frame for frame in flatframes.read_frames(noisy)))
    assert run([tool("solve-flat"), "-q"], input=unannounced.getvalue(), check=False).returncode == 3


def test_the_stage_example_refuses_observations_that_are_noisy_already(tmp_path):
    noisy = pipeline(["generate-ground-truth", "--d1", "6", "--rank", "1", "--seed", "1"],
                     ["sample-measurements", "--operator", "completion", "--p", "0.5", "--noise", "0.1", "--seed", "2"])
    result = run([sys.executable, str(stage_example(tmp_path)), "0.01"], input=noisy, check=False)
    assert (result.returncode, result.stderr) == (1, "add_noise.py: observations are noisy already\n")


# MARK: - Sources and destinations


def test_load_and_save_through_stdin_and_stdout():
    source = (CORPUS / "completion.frames").read_bytes()
    script = "import flatframes; stream = flatframes.load('-'); flatframes.save('-', stream)"
    result = run([sys.executable, "-c", script], input=source)
    assert result.stdout == flatframes.to_bytes(flatframes.read_frames(source))


def test_write_frames_to_a_path_is_all_or_nothing(tmp_path):
    target = tmp_path / "out.frames"

    def frames_then_failure():
        yield "a", np.arange(3.0)
        raise RuntimeError("upstream failed")

    with pytest.raises(RuntimeError):
        flatframes.write_frames(target, frames_then_failure())
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        flatframes.save(target, {"a": np.zeros(2, np.complex128)})
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]
    flatframes.save(target, {"a": np.arange(2)})
    assert flatframes.load(target)["a"].tolist() == [0, 1]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_writing_to_a_terminal_is_refused():
    script = "import flatframes, numpy; flatframes.save('-', {'a': numpy.zeros(1)})"
    import pty
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-c", script], stdout=terminal, stderr=subprocess.PIPE)
    finally:
        os.close(controller)
        os.close(terminal)
    assert result.returncode == 1 and b"refusing to write binary frames to a terminal" in result.stderr


def test_names_skips_other_frames_without_decompressing_them():
    good = flatframes.to_bytes([("wanted", np.arange(4.0))])
    damaged = bytearray(flatframes.to_bytes([("skipped", np.arange(1000.0))]))
    damaged[-1] ^= 0xFF  # the content checksum: decoding this frame fails
    stream = bytes(damaged) + good
    with pytest.raises(flatframes.FrameError, match="checksum mismatch"):
        list(flatframes.read_frames(stream))
    (frame,) = flatframes.read_frames(stream, names={"wanted"})
    assert frame.array.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert list(flatframes.load(stream, names=["wanted"])) == ["wanted"]


def test_write_frames_keeps_a_frames_order_unless_told():
    c_frame = flatframes.Frame("m", np.arange(6.0).reshape(2, 3), {}, {"order": "C"})
    (kept,) = flatframes.write_frames(io.BytesIO(), [c_frame])
    (forced,) = flatframes.write_frames(io.BytesIO(), [c_frame], order="F")
    (plain,) = flatframes.write_frames(io.BytesIO(), [("m", np.arange(6.0).reshape(2, 3))])
    assert (kept["order"], forced["order"], plain["order"]) == ("C", "F", "F")


def test_save_refuses_attributes_for_frames_it_does_not_write():
    with pytest.raises(KeyError, match="typo"):
        flatframes.save(io.BytesIO(), {"x": np.zeros(1)}, attributes={"typo": {}})


# MARK: - evaluate's report


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """Reports of three streams: solved with outliers, solved by completion, truth alone."""
    folder = tmp_path_factory.mktemp("report")
    streams = {
        "outliers": pipeline(["generate-ground-truth", "--d1", "8", "--rank", "2", "--seed", "1"],
                             ["sample-measurements", "--operator", "gaussian", "--oversampling", "4",
                              "--holdout", "20", "--seed", "2"],
                             ["corrupt-sparse", "--fraction", "0.05", "--seed", "3"],
                             ["solve-flat", "-q", "--oracle-budget"]),
        "completion": (CORPUS / "completion.frames").read_bytes(),
        "truth": (CORPUS / "truth-dense.frames").read_bytes(),
    }
    paths = []
    for name, data in streams.items():
        paths.append(folder / f"{name}.frames")
        paths[-1].write_bytes(data)
    completion_solved = run([tool("solve-flat"), "-q"], input=streams["completion"], check=False)
    paths.append(folder / "completion-solved.frames")
    paths[-1].write_bytes(completion_solved.stdout)
    reports = {fmt: run([tool("evaluate"), "--format", fmt, "--sharpness", *map(str, paths)]).stdout
               for fmt in ("json", "csv")}
    return reports


def test_report_keys_are_the_ones_evaluate_writes(evaluated):
    first = json.loads(evaluated["json"].splitlines()[0])
    assert list(first) == list(flatframes.REPORT_KEYS)
    assert evaluated["csv"].decode().splitlines()[0] == ",".join(flatframes.REPORT_KEYS)


def test_report_records_are_the_same_from_json_and_csv_and_typed(evaluated):
    from_json = flatframes.read_report_records(evaluated["json"])
    from_csv = flatframes.read_report_records(io.StringIO(evaluated["csv"].decode()))
    assert len(from_json) == len(from_csv) == 4
    assert from_json == from_csv
    plain = [json.loads(line) for line in evaluated["json"].splitlines()]
    for record, line in zip(from_json, plain):
        for key, kind in flatframes.REPORT_KEYS.items():
            value, raw = record[key], line[key]
            if raw is None:
                assert value is None, key
            elif kind is float:
                assert type(value) is float and value == raw, key
            elif kind == list[float]:
                assert all(type(item) is float for item in value) and value == raw, key
            else:
                assert value == raw and type(value) is type(raw), key
    assert from_json[0]["outlier_recall"] == 1.0 and from_json[2]["missing"] == [
        "estimate", "estimate_left", "estimate_right", "observations"]


@pytest.mark.skipif(pandas is None, reason="pandas is not installed (Pipelines/ensure-dependencies.sh installs it)")
def test_report_as_a_dataframe(evaluated, tmp_path):
    report_path = tmp_path / "report.csv"
    report_path.write_bytes(evaluated["csv"])
    frame = flatframes.read_report(report_path)
    records = flatframes.read_report_records(evaluated["json"])
    assert list(frame.columns) == list(flatframes.REPORT_KEYS) and len(frame) == len(records)
    for key, kind in flatframes.REPORT_KEYS.items():
        column = frame[key].tolist()
        expected = [record[key] for record in records]
        if kind is float:
            assert frame[key].dtype == np.float64, key
            assert all((math.isnan(a) and b is None) or a == b for a, b in zip(column, expected)), key
        else:
            assert all((b is None and (a is None or a != a)) or a == b for a, b in zip(column, expected)), key
    assert frame["d1"].dtype == np.int64
    assert frame.loc[0, "relative_error"] == records[0]["relative_error"]


def test_a_table_report_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="--format json or --format csv"):
        flatframes.read_report_records(b"stdin\n  operator  gaussian\n")
