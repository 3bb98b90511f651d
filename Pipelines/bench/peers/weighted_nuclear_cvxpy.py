#!/usr/bin/env python3
"""Peer for solve-flat --method convex: the weighted nuclear norm program of docs/mathematics.md §4,

    minimize ‖D1 X D2‖_*   subject to   A(X) = b,

written in CVXPY and solved by SCS at tight tolerance (eps_abs = eps_rel = 1e-9). D1, D2
(docs/mathematics.md §2) are computed in numpy from the dense Gaussian operator in the stream.

Two formulations of the same program (--formulation):
- substituted (default): Y = D1 X D2, so ⟨A_i, X⟩ = ⟨D1⁻¹A_iD2⁻¹, Y⟩ and the program is
  min ‖Y‖_* s.t. ⟨B_i, Y⟩ = b_i with B_i = D1⁻¹A_iD2⁻¹ formed in numpy; X = D1⁻¹YD2⁻¹.
  What a careful user writes: at d = 50, m = 1500 it takes 10-12 s and reaches 6e-10.
- direct: cp.normNuc(D1 @ X @ D2) as the maths reads. CVXPY then carries the dense
  (d1·d2)² map X ↦ D1XD2 into SCS's KKT matrix, whose factorization alone takes 35-45 s;
  in all 50-75 s, and SCS stops at 8e-9 relative error for the same eps.
OpenBLAS runs on one thread (--threads): SCS's many small eigendecompositions gain nothing
from more, and the machine's other work makes multi-threaded OpenBLAS erratic.

Prints one JSON line:

    {"peer": "cvxpy-scs", "seconds": <the solve: forming B (substituted), building the
     problem and cvxpy's solve() call, i.e. canonicalization + SCS setup + SCS iterations>,
     "wall_seconds": <whole script>, "relative_error": ‖X−M♮‖_F/‖M♮‖_F,
     "residual": ‖A(X)−b‖/‖b‖, "scaled_trace": 2‖D1XD2‖_*, ...}

plus what SCS reports (status, iterations, its setup and iteration times, the eps asked
for), so a tolerance SCS cannot reach shows up as such rather than as a silently loose answer.

Usage: Pipelines/bench/peers/weighted_nuclear_cvxpy.py INSTANCE [--formulation substituted|direct]
       [--eps 1e-9] [--max-iters 1000000] [--time-limit SECONDS] [--threads 1]
INSTANCE is a stream from generate-ground-truth | sample-measurements --operator gaussian.
cvxpy is installed with pip on first use if it is missing (SCS comes with it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

wall = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blas_threads  # noqa: E402

blas_threads.pin_from_argv()  # before numpy loads OpenBLAS
import numpy as np  # noqa: E402
import peerlib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instance")
    parser.add_argument("--formulation", choices=("substituted", "direct"), default="substituted",
                        help="min ‖Y‖_* over Y = D1XD2 (default), or normNuc(D1 @ X @ D2) as written")
    parser.add_argument("--eps", type=float, default=1e-9, help="SCS eps_abs = eps_rel (default 1e-9)")
    parser.add_argument("--max-iters", type=int, default=1_000_000, help="SCS iteration cap (10⁶)")
    parser.add_argument("--time-limit", type=float, default=0.0,
                        help="SCS time limit in seconds (0: none, the default)")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenBLAS threads (default 1; 0: OpenBLAS's default)")
    options = parser.parse_args()

    cp = peerlib.ensure_module("cvxpy")
    instance = peerlib.read_instance(options.instance)
    m, d1, d2 = instance.m, instance.d1, instance.d2
    D1sq, D2sq = peerlib.rescaling(instance)
    D1, D2 = peerlib.symmetric_power(D1sq, 0.5), peerlib.symmetric_power(D2sq, 0.5)

    settings = dict(eps_abs=options.eps, eps_rel=options.eps, max_iters=options.max_iters)
    if options.time_limit > 0:
        settings["time_limit_secs"] = options.time_limit
    start = time.perf_counter()
    if options.formulation == "substituted":
        W1, W2 = peerlib.symmetric_power(D1sq, -0.5), peerlib.symmetric_power(D2sq, -0.5)
        S = instance.A.reshape(m, d1, d2, order="F")
        B = np.matmul(np.matmul(W1, S), W2).reshape(m, d1 * d2, order="F")  # rows vec(D1⁻¹A_iD2⁻¹)
        Y = cp.Variable((d1, d2))
        problem = cp.Problem(cp.Minimize(cp.normNuc(Y)), [B @ cp.vec(Y, order="F") == instance.b])
        solution = lambda: W1 @ np.asarray(Y.value) @ W2  # noqa: E731
    else:
        X = cp.Variable((d1, d2))
        problem = cp.Problem(cp.Minimize(cp.normNuc(D1 @ X @ D2)),
                             [instance.A @ cp.vec(X, order="F") == instance.b])
        solution = lambda: np.asarray(X.value)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "solution may be inaccurate" is reported as status below
        try:
            problem.solve(solver=cp.SCS, verbose=False, **settings)
        except cp.error.SolverError as error:
            raise SystemExit(f"weighted_nuclear_cvxpy.py: SCS failed: {error}")
    seconds = time.perf_counter() - start
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise SystemExit(f"weighted_nuclear_cvxpy.py: SCS returned no solution (status {problem.status})")

    estimate = solution()
    stats = problem.solver_stats
    peerlib.report({
        "peer": "cvxpy-scs",
        "formulation": options.formulation,
        "seconds": seconds,
        "wall_seconds": time.perf_counter() - wall,
        "relative_error": instance.relative_error(estimate),
        "residual": instance.residual(estimate),
        "scaled_trace": peerlib.scaled_trace_of(estimate, D1, D2),
        "truth_scaled_trace": peerlib.scaled_trace_of(instance.truth, D1, D2),
        "status": problem.status,
        "solver_iterations": stats.num_iters,
        "solver_seconds": stats.solve_time,
        "setup_seconds": stats.setup_time,
        "eps": options.eps,
        "cvxpy": cp.__version__,
    })


if __name__ == "__main__":
    main()
