"""The helpers of the benchmark suite (Pipelines/bench/run.sh, suite.py): medians, ratios, slopes,
verdicts, the one relative error every tool is scored by, timed runs, the numpy ALS peer and the
C gather benchmark, each on a problem small enough to check exactly and quickly."""
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO

BENCH = REPO / "Pipelines" / "bench"
sys.path[:0] = [str(BENCH), str(BENCH / "peers")]
import als_completion  # noqa: E402
import benchlib  # noqa: E402
import suite  # noqa: E402


def test_median_ignores_missing_figures():
    assert benchlib.median([3.0, 1.0, 2.0]) == 2.0
    assert benchlib.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert benchlib.median([1.0, math.nan, None, 5.0, 3.0]) == 3.0
    assert math.isnan(benchlib.median([]))
    assert math.isnan(benchlib.median([math.nan, None]))


def test_ratio_is_nan_without_both_figures():
    assert benchlib.ratio(30.0, 10.0) == 3.0
    assert math.isnan(benchlib.ratio(1.0, 0.0))
    assert math.isnan(benchlib.ratio(math.nan, 2.0))
    assert math.isnan(benchlib.ratio(None, 2.0))


def test_loglog_slope_recovers_an_exact_power_law():
    sizes = [100, 200, 400, 800, 1600]
    slope, prefactor = benchlib.loglog_slope(sizes, [3e-6 * d ** 2.5 for d in sizes])
    assert slope == pytest.approx(2.5, abs=1e-12)
    assert prefactor == pytest.approx(3e-6, rel=1e-9)
    # Points that did not finish (NaN, None, 0) are left out of the fit.
    slope, _ = benchlib.loglog_slope(sizes + [3200], [7 * d for d in sizes] + [math.nan])
    assert slope == pytest.approx(1.0, abs=1e-12)
    assert all(math.isnan(x) for x in benchlib.loglog_slope([100, 100], [1.0, 2.0]))
    assert all(math.isnan(x) for x in benchlib.loglog_slope([100], [1.0]))


def test_verdict_compares_errors_within_a_factor_two_or_below_the_floor():
    assert benchlib.verdict(1e-10, 1e-9) == "better"
    assert benchlib.verdict(1.5e-9, 1e-9) == "equal"
    assert benchlib.verdict(1e-8, 1e-9) == "WORSE"
    assert benchlib.verdict(5e-9, 1e-11, floor=1e-8) == "equal"
    assert benchlib.verdict(math.nan, 1e-9) == "n/a"


def test_relative_error_is_the_same_from_dense_matrices_and_from_factors():
    rng = np.random.default_rng(3)
    U, V = rng.standard_normal((70, 4)), rng.standard_normal((50, 4))
    L, R = U + 1e-7 * rng.standard_normal(U.shape), V.copy()
    M, X = U @ V.T, L @ R.T
    exact = np.linalg.norm(X - M) / np.linalg.norm(M)
    for estimate in (X, (L, R)):
        for truth in (M, (U, V)):
            assert benchlib.relative_error(estimate, truth, block_entries=500) == pytest.approx(exact, rel=1e-6)
    # Factored against factored resolves errors far below √ε (no squared norms subtracted).
    tiny = (U + 1e-13 * rng.standard_normal(U.shape), V)
    expected = np.linalg.norm((tiny[0] - U) @ V.T) / np.linalg.norm(M)
    assert benchlib.relative_error(tiny, (U, V)) == pytest.approx(expected, rel=1e-2)
    assert benchlib.relative_error((U, V), (U, V)) < 1e-15
    with pytest.raises(ValueError):
        benchlib.relative_error(X[:, :10], M)


def test_timed_run_reports_status_peak_memory_and_kills_at_the_limit():
    quick = benchlib.timed_run([sys.executable, "-c", "import sys; b = bytearray(150 << 20); sys.exit(3)"])
    assert quick["status"] == 3 and not quick["timed_out"]
    assert quick["peak"] >= 150 << 20
    slow = benchlib.timed_run(["sleep", "30"], timeout=0.3)
    assert slow["timed_out"] and slow["status"] < 0 and slow["wall"] < 10
    # A small command's peak is its own, not that of the (large) process that started it.
    ballast = np.ones(40_000_000)  # 320 MB resident here
    small = benchlib.timed_run(["true"])
    assert small["status"] == 0 and small["peak"] < 100 << 20, small
    del ballast


def test_summarize_takes_medians_over_runs_that_answered():
    runs = [{"wall": 1.0, "peak": 10.0, "status": 0, "seconds": 0.5, "error": 1e-10},
            {"wall": 3.0, "peak": 30.0, "status": 0, "seconds": 1.5, "error": 3e-10},
            {"wall": 9.0, "peak": 90.0, "status": -9, "timed_out": True, "error": math.nan}]
    summary = suite.summarize(runs)
    assert summary["wall"] == 2.0 and summary["seconds"] == 1.0 and summary["peak"] == 20.0
    assert summary["error"] == pytest.approx(2e-10)
    failed = suite.summarize(runs[2:])
    assert failed["wall"] == 9.0 and math.isnan(failed["error"])


def test_numpy_als_recovers_a_small_low_rank_matrix():
    rng = np.random.default_rng(0)
    d1, d2, r = 60, 45, 2
    M = rng.standard_normal((d1, r)) @ rng.standard_normal((d2, r)).T
    mask = rng.random((d1, d2)) < 0.4
    rows, columns = np.nonzero(mask)
    left, right, info = als_completion.als(rows, columns, M[rows, columns], d1, d2, r, tol=1e-10)
    assert info["stop"] == "tol", info
    assert np.linalg.norm(left @ right.T - M) / np.linalg.norm(M) < 1e-9
    assert benchlib.relative_error((left, right), M) < 1e-9


def test_gather_benchmark_compiles_and_reports_both_kernels(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler")
    binary = tmp_path / "gather_bench"
    subprocess.run([cc, "-O2", "-o", str(binary), str(BENCH / "kernels" / "gather_bench.c"), "-lpthread"], check=True)
    rng = np.random.default_rng(1)
    entries = np.column_stack([rng.integers(0, 40, 500), rng.integers(0, 30, 500)]).astype("<i8")
    entries.tofile(tmp_path / "entries.bin")
    result = subprocess.run([str(binary), str(tmp_path / "entries.bin"), "500", "40", "30", "4", "3", "2"],
                            capture_output=True, text=True, check=True)
    import json
    figures = json.loads(result.stdout)
    assert figures["m"] == 500 and figures["k"] == 4 and figures["threads"] == 2
    assert all(figures[key] > 0 for key in ("forward_1", "adjoint_1", "forward_T", "adjoint_T"))
    bad = subprocess.run([str(binary), str(tmp_path / "entries.bin"), "500", "10", "30", "4", "3"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "outside" in bad.stderr
