"""CI-sized runs of Pipelines/reproduce/{robust-pca,quadratic,noisy-sensing,depth}.sh (--small):
the outputs exist with the documented columns, and one robust claim of the paper holds in each."""
import csv
import os
import subprocess

import pytest

from conftest import BIN, REPO

SCRIPTS = REPO / "Pipelines" / "reproduce"
TRIAL_COLUMNS = {"trial", "label", "method", "exit_status", "converged", "success", "relative_error",
                 "residual", "scaled_trace", "flattest", "seconds", "solve_args"}
SUMMARY_COLUMNS = {"label", "trials", "successes", "success_rate", "median_relative_error",
                   "median_str_over_flattest", "not_converged", "failed", "median_seconds"}


def run_small(name, tmp_path):
    if not (BIN / "solve-flat").exists():
        pytest.skip(f"{BIN}/solve-flat is not built (set FLATMIN_BIN)")
    out = tmp_path / name
    env = dict(os.environ, FLATMIN_BIN=str(BIN))
    result = subprocess.run([str(SCRIPTS / f"{name}.sh"), "--small", "--out", str(out), "--jobs", "2"],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    for suffix in (".jsonl", ".csv", "-summary.csv", "-table.md", ".png"):
        assert (out / f"{name}{suffix}").stat().st_size > 0, suffix
    assert "med_rel_err" in result.stdout            # the summary table on stdout
    trials = list(csv.DictReader(open(out / f"{name}.csv")))
    summary = list(csv.DictReader(open(out / f"{name}-summary.csv")))
    assert TRIAL_COLUMNS <= set(trials[0]), set(trials[0])
    assert SUMMARY_COLUMNS <= set(summary[0]), set(summary[0])
    return trials, summary


def rows(summary, **match):
    return [s for s in summary if all(str(s[k]) == str(v) for k, v in match.items())]


def test_robust_pca(tmp_path):
    trials, summary = run_small("robust-pca", tmp_path)
    assert {"outliers_per_line", "outlier_precision", "outlier_recall"} <= set(trials[0])
    assert {"median_outlier_precision", "median_outlier_recall"} <= set(summary[0])
    assert {t["label"] for t in trials} == {"flat", "convex-penalized", "min-norm", "gd-small", "gd-large", "sam",
                                            "least-norm"}
    # The paper's claim at a small outlier count: flat (oracle budget) recovers and finds the support;
    # the interpolant least-norm (X̂ = Y) does not.
    flat = rows(summary, outliers_per_line=1, label="flat")[0]
    assert float(flat["success_rate"]) == 1.0
    assert float(flat["median_outlier_precision"]) == 1.0 and float(flat["median_outlier_recall"]) == 1.0
    assert float(rows(summary, outliers_per_line=1, label="least-norm")[0]["median_relative_error"]) > 0.5


def test_quadratic(tmp_path):
    trials, summary = run_small("quadratic", tmp_path)
    assert {t["model"] for t in trials} == {"psd", "signed"}
    assert {"flat", "min-norm", "gd-small", "gd-large", "sam", "least-norm"} <= {t["label"] for t in trials}
    # Covariance estimation with m = 24 < d(d+1)/2 = 36: flat recovers, the least-norm interpolant does not.
    assert float(rows(summary, model="psd", m=24, label="flat")[0]["success_rate"]) == 1.0
    assert float(rows(summary, model="psd", m=24, label="least-norm")[0]["median_relative_error"]) > 0.1
    # Exit status 3 (not converged) is recorded, never fatal.
    assert all(t["exit_status"] in ("0", "3") for t in trials if t["label"] != "gd-large")


def test_noisy_sensing(tmp_path):
    trials, summary = run_small("noisy-sensing", tmp_path)
    assert "noise_sigma" in trials[0] and "median_error_over_x" in summary[0]
    # Stable recovery: flat's error grows with σ, roughly in proportion (10× the noise: 3–30× the error),
    # and at σ = 0.01 it is far below the least-norm interpolant's.
    low = float(rows(summary, noise_sigma=0.01, label="flat")[0]["median_relative_error"])
    high = float(rows(summary, noise_sigma=0.1, label="flat")[0]["median_relative_error"])
    assert 3 < high / low < 30, (low, high)
    assert low < 0.1 * float(rows(summary, noise_sigma=0.01, label="least-norm")[0]["median_relative_error"])


def test_depth(tmp_path):
    trials, summary = run_small("depth", tmp_path)
    assert {t["label"] for t in trials} == {"flat-depth2", "flat-depth3", "flat-depth4"}
    assert {"median_scaled_trace", "median_flattest"} <= set(summary[0])
    # With ample measurements (m = 120 > r(2d − r) = 28) every depth recovers the truth.
    for n in (2, 3, 4):
        assert float(rows(summary, m=120, label=f"flat-depth{n}")[0]["success_rate"]) == 1.0
    # Depth 2's flat solution attains the flattest value 2‖D1 M♮ D2‖_*.
    assert abs(float(rows(summary, m=120, label="flat-depth2")[0]["median_str_over_flattest"]) - 1) < 1e-6
