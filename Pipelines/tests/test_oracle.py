"""The CVXPY oracle's small suite: solve-flat against an independent convex solve.

Each test is one case of ``cross_check.small_suite()`` (Pipelines/oracle/cross_check.py):
every model (Gaussian, under-sampled Gaussian, bilinear, completion with uniform and uneven
rows, quadratic PSD and signed, robust PCA with an ℓ1 budget, the oracle budget and the
penalty, noisy Gaussian) and every method (flat, convex, min-norm) at least once, at sizes
that keep the whole file well under a minute. A case passes when solve-flat's exit status
tells the truth (0 exactly when its answer is optimal to 1e-6 in objective, fit and, where
the minimizer is unique, X), its objective attribute matches the optimum when the answer is
optimal, and its lower_bound does not exceed the optimum. The full suite (2–3 seeds of every
model × method) is Pipelines/oracle/cross-check.sh.
"""
import sys

import pytest

from conftest import BIN, REPO, tool

sys.path.insert(0, str(REPO / "Pipelines" / "oracle"))
import cross_check  # noqa: E402

CASES = cross_check.small_suite()

KNOWN_FAILURES = cross_check.KNOWN_FAILURES


def test_known_failures_are_cases_of_a_suite():
    idents = {case.ident for suite in cross_check.SUITES.values() for case in suite()}
    assert set(KNOWN_FAILURES) <= idents


def test_small_suite_covers_every_model_and_method():
    models = {case.model for case in CASES}
    for model in ("gaussian", "gaussian (under-sampled)", "bilinear", "completion (uniform)",
                  "completion (uneven rows)", "quadratic (psd, under-sampled)", "quadratic (signed)",
                  "robust PCA (ℓ1 budget)", "robust PCA (oracle budget)", "robust PCA (penalized)",
                  "noisy gaussian"):
        assert model in models, model
    assert {case.method for case in CASES} == set(cross_check.METHODS)


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[case.ident]))
    if case.ident in KNOWN_FAILURES else case
    for case in CASES], ids=[case.ident for case in CASES])
def test_solve_flat_agrees_with_oracle(case):
    tool("solve-flat")  # skips when the tools are not built
    result = cross_check.judge(case, str(BIN))
    assert result.passed, cross_check.describe(result)
