#!/usr/bin/env python3
"""Peer for solve-flat on matrix completion: fancyimpute's SoftImpute (Mazumder, Hastie,
Tibshirani 2010) on the observed entries of the stream, as a d1×d2 array with NaN elsewhere.

fancyimpute needs scikit-learn < 1.6 (it calls check_array(force_all_finite=...)), so
Pipelines/bench/run.sh runs this script in a virtual environment of its own.

Settings, each chosen for the peer:
- max_rank = the true rank (--rank; run.sh passes the generator's r): an oracle solve-flat does
  not get, and what makes each iteration a randomized rank-r SVD instead of a full one (with the
  default max_rank=None a 2000×2000 run of 100 iterations did not finish in 10 minutes).
- shrinkage_value = 1e-9 × σ1 of the rescaled observations P_Ω(M)/p (σ1 by ARPACK): with a
  rank cap the soft threshold only biases the answer, by about shrinkage/σ_r; the default
  (σ1 of the zero-filled matrix / 50) stops at a few % error. This makes SoftImpute the
  hard-impute (SVD-impute) iteration, the most accurate it can be.
- convergence_threshold = 1e-10 (default 1e-3): fancyimpute stops when the imputed entries
  change by less than that, relatively, from one iteration to the next.
- max_iters = 100000 and --time-limit seconds: when time runs out the current iterate is
  returned as the answer (checked once per iteration, through the convergence test), so a slow
  run reports the error it reached instead of nothing.
- OpenBLAS on one thread (--threads), as the other peers.

Prints one JSON line {"peer": "softimpute", "seconds": <fit_transform alone>, "wall_seconds",
"iterations", "stop", ...} and writes the completed matrix to --answer (.npy) for run.sh to score
as it scores every tool. The truth is never read.

Usage: softimpute_fancyimpute.py INSTANCE --rank K [--answer X.npy] [--time-limit SECONDS]
       [--convergence-threshold 1e-10] [--shrinkage-scale 1e-9] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

wall = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blas_threads  # noqa: E402

blas_threads.pin_from_argv()  # before numpy loads OpenBLAS
import numpy as np  # noqa: E402
import peerlib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instance")
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--answer", help="write the completed matrix here (.npy)")
    parser.add_argument("--time-limit", type=float, default=0.0, help="seconds (0: none)")
    parser.add_argument("--convergence-threshold", type=float, default=1e-10)
    parser.add_argument("--shrinkage-scale", type=float, default=1e-9)
    parser.add_argument("--max-iters", type=int, default=100000)
    parser.add_argument("--threads", default="1", help="OpenBLAS threads (0: its default)")
    args = parser.parse_args()

    import scipy.sparse as sparse
    import scipy.sparse.linalg
    from fancyimpute import SoftImpute

    class TimedSoftImpute(SoftImpute):
        """SoftImpute that also stops at a deadline, counting its iterations."""
        iterations, stop, deadline = 0, "max-iters", None

        def _converged(self, X_old, X_new, missing_mask):
            self.iterations += 1
            if super()._converged(X_old, X_new, missing_mask):
                self.stop = "converged"
                return True
            if self.deadline is not None and time.perf_counter() > self.deadline:
                self.stop = "time-limit"
                return True
            return False

    frames = peerlib.read_frames(args.instance, ("entries", "observations"))
    entries, b = frames["entries"].array, np.asarray(frames["observations"].array, dtype=np.float64)
    d1, d2 = int(frames["observations"].attributes["d1"]), int(frames["observations"].attributes["d2"])
    start = time.perf_counter()
    X = np.full((d1, d2), np.nan)
    X[entries[:, 0], entries[:, 1]] = b
    p = len(b) / (d1 * d2)
    sigma1 = scipy.sparse.linalg.svds(sparse.csr_matrix((b / p, (entries[:, 0], entries[:, 1])), shape=(d1, d2)),
                                      k=1, return_singular_vectors=False)[0]
    solver = TimedSoftImpute(shrinkage_value=args.shrinkage_scale * sigma1, max_rank=args.rank,
                             convergence_threshold=args.convergence_threshold, max_iters=args.max_iters,
                             verbose=False)
    if args.time_limit > 0:
        solver.deadline = start + args.time_limit
    completed = solver.fit_transform(X)
    seconds = time.perf_counter() - start  # forming the NaN array included: it is the input SoftImpute takes
    if args.answer:
        np.save(args.answer, completed)
    peerlib.report({"peer": "softimpute", "rank": args.rank, "seconds": seconds, "iterations": solver.iterations,
                    "stop": solver.stop, "shrinkage_value": float(args.shrinkage_scale * sigma1),
                    "wall_seconds": time.perf_counter() - wall})


if __name__ == "__main__":
    main()
