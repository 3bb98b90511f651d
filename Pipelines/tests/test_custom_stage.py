"""Pipelines/stages/corrupt_columns.py, the README's example of a Python stage, checked against numpy."""
import io
import json
import sys

import numpy as np
import pytest

from conftest import REPO, frames_of, pipeline, run, tool

import flatframes

STAGE = REPO / "Pipelines" / "stages" / "corrupt_columns.py"


def stage(data, *args, check=True):
    return run([sys.executable, str(STAGE), *args], input=data, check=check)


@pytest.fixture(scope="module")
def instance():
    return pipeline(["generate-ground-truth", "--d1", "16", "--d2", "12", "--rank", "2", "--seed", "1"],
                    ["sample-measurements", "--operator", "identity"])


def test_stage_corrupts_the_recorded_columns(instance):
    before = list(flatframes.read_frames(io.BytesIO(instance)))
    out = stage(instance, "--columns", "3", "--magnitude", "5", "--seed", "7").stdout
    after = list(flatframes.read_frames(io.BytesIO(out)))

    # Every frame but observations is forwarded unchanged (bytes too), in order, first.
    raw_in = [data for header, data in flatframes.iter_raw_frames(io.BytesIO(instance))
              if header["name"] != "observations"]
    raw_out = [data for _, data in flatframes.iter_raw_frames(io.BytesIO(out))]
    assert raw_out[:len(raw_in)] == raw_in
    assert [f.name for f in after] == [f.name for f in before if f.name != "observations"] + [
        "observations", "corrupted_columns", "outliers_support", "outliers_values"]

    f = {frame.name: frame for frame in after}
    clean = {frame.name: frame for frame in before}["observations"].array
    y = f["observations"].array
    columns = f["corrupted_columns"].array
    assert columns.dtype == np.int64 and columns.shape == (3,)
    assert np.all(np.diff(columns) > 0) and columns.min() >= 0 and columns.max() < 12
    # numpy's default_rng with the same seed picks the same columns and signs.
    rng = np.random.default_rng(7)
    assert np.array_equal(columns, np.sort(rng.choice(12, size=3, replace=False)))
    scale = 5 * np.max(np.abs(clean))
    expected = clean.copy()
    expected[:, columns] = scale * rng.choice(np.array([-1.0, 1.0]), size=(16, 3))
    assert np.array_equal(y, expected)
    others = np.setdiff1d(np.arange(12), columns)
    assert np.array_equal(y[:, others], clean[:, others])
    assert np.allclose(clean, f["truth"].array, rtol=0, atol=1e-15)

    # The outlier record is the difference, column-major, as corrupt-sparse writes it.
    support, values = f["outliers_support"].array, f["outliers_values"].array
    assert support.size == 48 and np.array_equal(support, np.sort(support))
    difference = (y - clean).reshape(-1, order="F")
    assert np.array_equal(values, difference[support])
    assert np.count_nonzero(np.delete(difference, support)) == 0

    # Provenance: the stage's entry ends the chain of the observations and is on its own frame.
    for name in ("observations", "corrupted_columns"):
        entry = f[name].attributes["provenance"][-1]
        assert entry["tool"] == "corrupt_columns.py" and entry["seed"] == 7
        assert entry["arguments"] == ["--columns", "3", "--magnitude", "5", "--seed", "7"]
    assert f["observations"].attributes["provenance"][0]["tool"] == "sample-measurements"
    assert f["observations"].attributes["outliers"] == 48
    assert f["corrupted_columns"].attributes["columns"] == columns.tolist()


def test_stage_is_deterministic(instance):
    assert stage(instance, "--seed", "3").stdout == stage(instance, "--seed", "3").stdout
    assert stage(instance, "--seed", "3").stdout != stage(instance, "--seed", "4").stdout


def test_stage_merges_an_existing_outlier_record(instance):
    sparse = run([tool("corrupt-sparse"), "--count", "10", "--seed", "2"], input=instance).stdout
    f0 = frames_of(sparse)
    f = frames_of(stage(sparse, "--columns", "1", "--seed", "1").stdout)
    difference = (f["observations"].array - f0["truth"].array).reshape(-1, order="F")
    support = f["outliers_support"].array
    assert np.allclose(f["outliers_values"].array, difference[support], rtol=0, atol=1e-14)
    assert np.count_nonzero(np.abs(np.delete(difference, support)) > 1e-14) == 0


def test_stage_refuses_other_operators():
    gaussian = pipeline(["generate-ground-truth", "--d1", "6", "--rank", "1"],
                        ["sample-measurements", "--operator", "gaussian", "--m", "30"])
    result = stage(gaussian, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("corrupt_columns.py: ") and "identity" in result.stderr


def test_full_pipeline_runs():
    """generate | sample --operator identity | corrupt_columns.py | solve-flat | evaluate, as in the README."""
    instance = pipeline(["generate-ground-truth", "--d1", "20", "--rank", "2", "--seed", "1"],
                        ["sample-measurements", "--operator", "identity"])
    corrupted = stage(instance, "--columns", "2", "--seed", "1").stdout
    # Without a fit for outliers, solve-flat refuses (the stage set `outliers`).
    refused = run([tool("solve-flat")], input=corrupted, check=False)
    assert refused.returncode == 1 and "outliers" in refused.stderr
    solved = run([tool("solve-flat"), "--method", "convex", "--penalized"], input=corrupted, check=False)
    assert solved.returncode in (0, 3), solved.stderr
    report = run([tool("evaluate"), "--format", "json"], input=solved.stdout).stdout
    report = json.loads(report)
    assert report["method"] == "convex" and report["missing"] == []
    assert report["outlier_precision"] is not None and report["relative_error"] is not None
    # What is true (see Pipelines/results/custom-stage/README-snippet.md): whole corrupted columns
    # are not removed by the ℓ1 penalty, but the clean columns are recovered.
    f = frames_of(solved.stdout)
    good = np.setdiff1d(np.arange(20), f["corrupted_columns"].array)
    truth, estimate = f["truth"].array, f["estimate"].array
    assert np.linalg.norm(estimate[:, good] - truth[:, good]) / np.linalg.norm(truth[:, good]) < 1e-6
