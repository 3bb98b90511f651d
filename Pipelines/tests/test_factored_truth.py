"""Ground truth carried as factors alone (generate-ground-truth --truth factors, the default
above 2^24 entries): every tool takes such a stream, and what comes out agrees with the
pipeline that carries the dense truth. Small instances, forced with the flag."""
import json

import numpy as np
import pytest

from conftest import frames_of, pipeline, run, tool

TRUTH = ["--d1", "12", "--d2", "10", "--rank", "2", "--seed", "1"]
SQUARE = ["--d1", "10", "--rank", "2", "--kind", "psd", "--seed", "1"]

# Per family: the truth, sample-measurements, and what follows it (corruption, solve-flat options).
FAMILIES = {
    "gaussian": (TRUTH, ["--operator", "gaussian", "--m", "120", "--holdout", "20", "--seed", "2"], [], []),
    "bilinear": (TRUTH, ["--operator", "bilinear", "--m", "120", "--holdout", "20", "--seed", "2"], [], []),
    "completion": (["--d1", "20", "--d2", "16", "--rank", "2", "--seed", "1"],
                   ["--operator", "completion", "--m", "200", "--holdout", "20", "--seed", "2"], [], []),
    "quadratic": (SQUARE, ["--operator", "quadratic", "--m", "120", "--seed", "2"], [], []),
    "identity": (TRUTH, ["--operator", "identity", "--seed", "2"],
                 ["corrupt-sparse", "--fraction", "0.04", "--per-line", "2", "--seed", "3"], ["--oracle-budget"]),
}


def evaluate(data, *options):
    result = run([tool("evaluate"), "--format", "json", *options], input=data)
    return json.loads(result.stdout), result.stderr


def solved(truth, sample, corrupt, solve, form):
    stages = [["generate-ground-truth", *truth, "--truth", form], ["sample-measurements", *sample]]
    if corrupt:
        stages.append(corrupt)
    instance = pipeline(*stages)
    return instance, run([tool("solve-flat"), "--quiet", *solve], input=instance).stdout


def test_the_flag_chooses_the_frames_and_the_default_keeps_small_truths_dense():
    dense = frames_of(pipeline(["generate-ground-truth", *TRUTH, "--truth", "dense"]))
    factors_only = pipeline(["generate-ground-truth", *TRUTH, "--truth", "factors"])
    f = frames_of(factors_only)
    assert list(f) == ["truth_left", "truth_right"]
    for name in ("truth_left", "truth_right"):
        assert np.array_equal(f[name].array, dense[name].array)
    # The truth's description is on its factors, whatever the form.
    for key in ("singular_values", "condition_number", "incoherence_left", "kind", "rank", "d1", "d2"):
        assert f["truth_left"].attributes[key] == dense["truth"].attributes[key] == dense["truth_left"].attributes[key]
    assert f["truth_left"].attributes["provenance"][0]["arguments"][-2:] == ["--truth", "factors"]
    # Small: auto resolves to dense, and says so in provenance, so the bytes are those of --truth dense.
    assert pipeline(["generate-ground-truth", *TRUTH]) == pipeline(["generate-ground-truth", *TRUTH, "--truth", "dense"])
    assert "--truth" in run([tool("generate-ground-truth"), "--help"]).stdout.decode()


def test_an_unknown_form_is_refused_by_the_parser():
    result = run([tool("generate-ground-truth"), *TRUTH, "--truth", "sparse"], check=False)
    assert result.returncode != 0 and result.stdout == b""
    assert "'sparse' is invalid for '--truth" in result.stderr


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_tool_takes_a_factors_only_stream(family):
    truth, sample, corrupt, solve = FAMILIES[family]
    instance, output = solved(truth, sample, corrupt, solve, "factors")
    dense_instance, dense_output = solved(truth, sample, corrupt, solve, "dense")
    f, g = frames_of(output), frames_of(dense_output)
    assert "truth" not in f and "truth" in g

    # sample-measurements: the same operator, and the observations of the product to rounding.
    for name in f:
        if name.startswith(("truth", "estimate")):
            continue
        if name.endswith("observations"):
            scale = np.abs(g[name].array).max()
            np.testing.assert_allclose(f[name].array, g[name].array, rtol=0, atol=1e-14 * scale)
        else:
            assert np.array_equal(f[name].array, g[name].array), name

    # solve-flat never reads the truth, and evaluate works from the factors.
    report, stderr = evaluate(output)
    dense_report, _ = evaluate(dense_output)
    assert stderr == "" and report["missing"] == []
    assert report["recovered"] is True and report["relative_error"] < 1e-6
    for key in ("truth_rank", "numerical_rank", "operator", "m", "d1", "d2", "outlier_precision", "outlier_recall"):
        assert report[key] == dense_report[key], key
    for key in ("flattest", "scaled_trace"):
        assert report[key] == pytest.approx(dense_report[key], rel=1e-6), key
    if corrupt:  # the residual is the outliers'
        assert report["residual"] == pytest.approx(dense_report["residual"], rel=1e-6)
    else:  # both solves fit to their tolerance; their last digits follow different rounding
        assert report["residual"] < 1e-9 and dense_report["residual"] < 1e-9

    # frames lists, verifies and exports it like any other stream.
    listing = run([tool("frames"), "ls", "--json"], input=output).stdout.decode().splitlines()
    assert [json.loads(line)["name"] for line in listing][:2] == ["truth_left", "truth_right"]
    run([tool("frames"), "verify", "--quiet"], input=output)
    exported = run([tool("frames"), "export", "truth_left", "--csv", "-"], input=output).stdout.decode()
    assert len(exported.strip().splitlines()) == f["truth_left"].array.shape[0]
    # corrupt-sparse takes it too (already used for identity above; here on any family).
    corrupted = run([tool("corrupt-sparse"), "--count", "3", "--seed", "9"], input=instance).stdout
    assert "outliers_support" in frames_of(corrupted) and "truth" not in frames_of(corrupted)


def test_evaluate_of_the_factors_matches_numpy_on_the_dense_product():
    _, output = solved(*FAMILIES["completion"], "factors")
    f = frames_of(output)
    truth = f["truth_left"].array @ f["truth_right"].array.T
    x = f["estimate_left"].array @ f["estimate_right"].array.T
    report, _ = evaluate(output)
    assert report["relative_error"] == pytest.approx(np.linalg.norm(x - truth) / np.linalg.norm(truth), rel=1e-6, abs=1e-15)
    sigma = np.linalg.svd(x, compute_uv=False)
    assert report["singular_values"] == pytest.approx(sigma[:10], rel=1e-9, abs=1e-13 * sigma[0])
    assert report["norm_minimality"] == pytest.approx((np.sum(f["estimate_left"].array ** 2) + np.sum(f["estimate_right"].array ** 2))
                                                      / (2 * sigma.sum()), rel=1e-9)


def test_a_dense_matrix_above_the_limit_is_skipped_with_one_line_each():
    _, output = solved(*FAMILIES["completion"], "dense")
    dense_only = run([tool("frames"), "drop", "truth_*,estimate_*"], input=output).stdout
    report, stderr = evaluate(dense_only, "--dense-limit", "100")
    for key in ("truth_rank", "relative_error", "recovered", "flattest", "numerical_rank", "singular_values",
                "residual", "holdout_error"):
        assert report[key] is None, key
    assert report["operator"] == "completion" and report["missing"] == ["estimate_left", "estimate_right"]
    lines = stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("evaluate: stdin: truth_rank, relative_error, recovered, flattest skipped: "
                               "'truth' is 20×16, more than --dense-limit 100 entries")
    assert "'estimate' is 20×16" in lines[1] and "'estimate_left' and 'estimate_right'" in lines[1]
    # With the factors, the same limit costs nothing.
    report, stderr = evaluate(output, "--dense-limit", "100")
    assert stderr == "" and report["relative_error"] is not None and report["flattest"] is not None
    assert run([tool("evaluate"), "--dense-limit=-1"], input=output, check=False).stderr.strip() \
        == "evaluate: --dense-limit must be ≥ 0"


def test_sample_measurements_names_a_lone_factor():
    lone = run([tool("frames"), "drop", "truth_right"], input=pipeline(["generate-ground-truth", *TRUTH, "--truth", "factors"])).stdout
    result = run([tool("sample-measurements")], input=lone, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "sample-measurements: the input has 'truth_left' but not its partner, nor a 'truth' frame"
