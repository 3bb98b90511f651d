#!/usr/bin/env python3
"""Peer for solve-flat on matrix completion: plain alternating least squares in numpy/scipy.

    minimize ‖P_Ω(L·Rᵀ) − b‖²  over L (d1×k), R (d2×k)

Each half-sweep solves every row of L (then of R) exactly: for row i with observed columns
Ω_i, (R_Ωiᵀ R_Ωi + εI) l_i = R_Ωiᵀ b_Ωi. The d per-row k×k Gram matrices are built at once as
a sparse indicator (d×m, CSR) times the m×k² outer products r_j r_jᵀ (in chunks of entries, so
memory stays O(chunk·k² + d·k²)), and solved by one batched Cholesky/solve. ε is a tiny ridge,
1e-12 × the mean diagonal of each Gram matrix, only so that a row with fewer than k observations
stays solvable; its bias is far below the 1e-8 errors compared here.

Choices, made in the peer's favour and documented as such:
- k is the true rank (--rank, which run.sh sets to the generator's r): an oracle that solve-flat
  does not get (it starts wider and certifies the rank it ends with).
- Start: the spectral initialization of the matrix-completion literature (Keshavan et al.,
  Jain et al.): the top-k SVD of P_Ω(M)/p by scipy.sparse.linalg.svds (ARPACK), balanced
  L = U√Σ, R = V√Σ.
- Stop: the relative residual on the observed entries ‖P_Ω(LRᵀ) − b‖/‖b‖ ≤ --tol (1e-10 by
  default, solve-flat's default --tol), or when it no longer decreases by 1% over 20 sweeps,
  --max-iters sweeps, or --time-limit seconds. The truth is never read.
- OpenBLAS on one thread by default (--threads), as the other peers: the batched k×k solves
  and sparse products gain nothing from a thread pool on this 2-core machine.

Prints one JSON line {"peer": "numpy-als", "seconds": <the solve: start + sweeps>,
"wall_seconds": <whole script>, "iterations", "residual", "stop", "rank"} and writes the answer's
factors to --answer (an .npz with `left` and `right`), for run.sh to score with numpy as it
scores every tool.

Usage: Pipelines/bench/peers/als_completion.py INSTANCE --rank K [--answer out.npz] [--tol 1e-10]
       [--max-iters 500] [--time-limit SECONDS] [--threads 1] [--seed 0]
INSTANCE is a stream from generate-ground-truth | sample-measurements --operator completion.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

wall = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blas_threads  # noqa: E402

if __name__ == "__main__":
    blas_threads.pin_from_argv()  # before numpy loads OpenBLAS
import numpy as np  # noqa: E402
import scipy.sparse as sparse  # noqa: E402
import scipy.sparse.linalg  # noqa: E402

CHUNK_ENTRIES = 1 << 17  # entries per block of outer products: 131072 · k² · 8 bytes (100 MB at k = 10)


class RowSolver:
    """The per-row least-squares solves of one side: rows `targets[i]` of the unknown factor,
    each from the rows `sources[i]` of the fixed one and the values b[i]."""

    def __init__(self, targets: np.ndarray, sources: np.ndarray, count: int):
        order = np.argsort(targets, kind="stable")
        self.targets, self.sources = targets[order], sources[order]
        self.order = order
        self.count = count
        m = len(targets)
        # The indicator (count × m), CSR: row t sums the entries whose target is t.
        self.indicator = sparse.csr_matrix((np.ones(m), (self.targets, np.arange(m))), shape=(count, m))

    def solve(self, fixed: np.ndarray, b: np.ndarray) -> np.ndarray:
        k = fixed.shape[1]
        values = b[self.order]
        gram = np.zeros((self.count, k * k))
        for start in range(0, len(values), CHUNK_ENTRIES):
            rows = fixed[self.sources[start:start + CHUNK_ENTRIES]]
            outer = (rows[:, :, None] * rows[:, None, :]).reshape(len(rows), k * k)
            gram += self.indicator[:, start:start + CHUNK_ENTRIES] @ outer
        gram = gram.reshape(self.count, k, k)
        right = self.indicator @ (fixed[self.sources] * values[:, None])
        ridge = 1e-12 * np.maximum(np.trace(gram, axis1=1, axis2=2) / k, np.finfo(float).tiny)
        gram[:, np.arange(k), np.arange(k)] += ridge[:, None]
        return np.linalg.solve(gram, right[:, :, None])[:, :, 0]


def observed_values(left: np.ndarray, right: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """(L·Rᵀ)[rows_i, columns_i] for every entry, in chunks."""
    out = np.empty(len(rows))
    for start in range(0, len(rows), CHUNK_ENTRIES):
        stop = start + CHUNK_ENTRIES
        out[start:stop] = np.einsum("ij,ij->i", left[rows[start:stop]], right[columns[start:stop]])
    return out


def spectral_start(rows, columns, b, d1, d2, k, seed=0):
    """L = U√Σ, R = V√Σ from the top-k SVD of P_Ω(M)/p."""
    p = len(b) / (d1 * d2)
    Y = sparse.csr_matrix((b / p, (rows, columns)), shape=(d1, d2))
    v0 = np.random.default_rng(seed).standard_normal(min(d1, d2))
    U, s, Vt = scipy.sparse.linalg.svds(Y, k=k, v0=v0)
    root = np.sqrt(s)
    return U * root, Vt.T * root


def als(rows, columns, b, d1, d2, k, tol=1e-10, max_iters=500, time_limit=0.0, seed=0):
    """Alternating least squares from the spectral start; returns (L, R, info)."""
    start = time.perf_counter()
    left, right = spectral_start(rows, columns, b, d1, d2, k, seed)
    by_row, by_column = RowSolver(rows, columns, d1), RowSolver(columns, rows, d2)
    norm_b = np.linalg.norm(b)
    history, stop, iterations = [], "max-iters", 0
    residual = np.linalg.norm(observed_values(left, right, rows, columns) - b) / norm_b
    for iterations in range(1, max_iters + 1):
        left = by_row.solve(right, b)
        right = by_column.solve(left, b)
        residual = np.linalg.norm(observed_values(left, right, rows, columns) - b) / norm_b
        history.append(residual)
        if residual <= tol:
            stop = "tol"
            break
        if len(history) > 20 and residual > 0.99 * history[-21]:
            stop = "stalled"
            break
        if time_limit and time.perf_counter() - start > time_limit:
            stop = "time-limit"
            break
    return left, right, {"iterations": iterations, "residual": float(residual), "stop": stop,
                         "seconds": time.perf_counter() - start}


def main() -> None:
    import peerlib

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instance")
    parser.add_argument("--rank", type=int, required=True, help="factor width k (run.sh: the true rank)")
    parser.add_argument("--answer", help="write the factors here (.npz with left, right)")
    parser.add_argument("--tol", type=float, default=1e-10, help="relative residual on Ω to stop at")
    parser.add_argument("--max-iters", type=int, default=500)
    parser.add_argument("--time-limit", type=float, default=0.0, help="seconds (0: none)")
    parser.add_argument("--threads", default="1", help="OpenBLAS threads (0: its default)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the ARPACK start vector")
    args = parser.parse_args()

    frames = peerlib.read_frames(args.instance, ("entries", "observations"))
    entries, b = frames["entries"].array, np.asarray(frames["observations"].array, dtype=np.float64)
    d1, d2 = int(frames["observations"].attributes["d1"]), int(frames["observations"].attributes["d2"])
    rows, columns = np.ascontiguousarray(entries[:, 0]), np.ascontiguousarray(entries[:, 1])
    left, right, info = als(rows, columns, b, d1, d2, args.rank, args.tol, args.max_iters,
                            args.time_limit, args.seed)
    if args.answer:
        np.savez(args.answer, left=left, right=right)
    peerlib.report({"peer": "numpy-als", "rank": args.rank, **info,
                    "wall_seconds": time.perf_counter() - wall})


if __name__ == "__main__":
    main()
