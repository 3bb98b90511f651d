"""Pipelines/stages/uneven_sampling.py, the stage behind matrix-completion.sh's uneven sweep,
checked against numpy: the kept entries are a subset drawn with the row weights it documents."""
import io
import sys

import numpy as np
import pytest

from conftest import REPO, pipeline, run

import flatframes

STAGE = REPO / "Pipelines" / "stages" / "uneven_sampling.py"


def stage(data, *args, check=True):
    return run([sys.executable, str(STAGE), *args], input=data, check=check)


@pytest.fixture(scope="module")
def instance():
    return pipeline(["generate-ground-truth", "--d1", "40", "--d2", "30", "--rank", "2", "--seed", "1"],
                    ["sample-measurements", "--operator", "completion", "--p", "0.8", "--seed", "2"])


def frames(data):
    return {f.name: f for f in flatframes.read_frames(io.BytesIO(data))}


def test_thinning_follows_the_row_weights(instance):
    before = frames(instance)
    after = frames(stage(instance, "--low", "0.25", "--seed", "7").stdout)
    entries, kept = before["entries"].array, after["entries"].array
    # The same draw in numpy: one uniform per observed entry, kept below its row's weight.
    weights = np.linspace(1.0, 0.25, 40)
    keep = np.random.default_rng(7).random(entries.shape[0]) < weights[entries[:, 0]]
    assert np.array_equal(kept, entries[keep])
    assert np.array_equal(after["observations"].array, before["observations"].array[keep])
    assert np.array_equal(after["truth"].array, before["truth"].array)
    # Rows are thinned unevenly: the top quarter keeps far more than the bottom quarter.
    top, bottom = (np.mean(keep[(entries[:, 0] >= a) & (entries[:, 0] < b)]) for a, b in ((0, 10), (30, 40)))
    assert top > 0.85 and bottom < 0.45
    attributes = after["observations"].attributes
    assert attributes["uneven_low"] == 0.25
    assert attributes["provenance"][-1] == {"tool": "uneven_sampling.py", "version": flatframes.__version__,
                                            "arguments": ["--low", "0.25", "--seed", "7"], "seed": 7}


def test_bad_input_is_one_line(instance):
    result = stage(instance, "--low", "0", check=False)
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        "uneven_sampling.py: --low must be in (0, 1], not 0.0"]
    dense = pipeline(["generate-ground-truth", "--d1", "6", "--rank", "1", "--seed", "1"],
                     ["sample-measurements", "--operator", "identity"])
    result = stage(dense, check=False)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "no completion sample" in result.stderr
