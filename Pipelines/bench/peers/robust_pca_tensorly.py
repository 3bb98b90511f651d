#!/usr/bin/env python3
"""Peer for solve-flat on robust PCA: tensorly.decomposition.robust_pca (an inexact augmented
Lagrangian method) on the fully observed Y = M♮ + S♮ of the stream's 'observations'.

tensorly solves min Σ_i reg_J‖J_i‖_* + reg_E‖E‖₁ s.t. Y = D + E, D = J_i for every unfolding i
of the tensor. A matrix has two unfoldings (Y and Yᵀ) with the same nuclear norm, so the program
is min 2·reg_J‖D‖_* + reg_E‖E‖₁. Settings, each chosen for the peer:
- reg_E = 1/√max(d1, d2) and reg_J = 1/2: exactly principal component pursuit,
  min ‖D‖_* + λ‖E‖₁ with λ = 1/√max(d1, d2) (Candès, Li, Ma, Wright 2011), the program
  `solve-flat --method convex --penalized` solves with its default --lambda. (With tensorly's
  default reg_J = 1 the weight on E would be halved; it recovers too, in as many iterations.)
- mu_init = 1.25/‖Y‖₂ (Lin, Chen, Ma's inexact ALM start) and learning_rate 1.3 instead of
  tensorly's 1e-4 and 1.1: on d = 500, rank 10, 5% outliers these reach a 1e-9 error in 69
  iterations, where tensorly's defaults take ~190 (to 1e-10); 1.2 takes 80; 1.5, the paper's
  choice, stops at 7e-8.
- tol = 1e-9 (--tol): tensorly stops when ‖Y − D − E‖_F and max_i ‖J_i − D‖_F are both below it,
  in absolute terms; generate-ground-truth normalizes ‖M♮‖_F = 1, so it is relative to the truth
  and gives relative errors of about 1e-9, at or below the 1e-8 the comparison asks for.
- n_iter_max = 1000, never reached in practice; OpenBLAS on one thread (--threads): with two
  threads on this shared 2-core machine the SVDs were 10× slower.

Prints one JSON line {"peer": "tensorly-rpca", "seconds": <the robust_pca call alone>,
"wall_seconds": <whole script>, "iterations", "reconstruction", ...} and saves the low-rank part D
to --answer (.npy) for run.sh to score as it scores every tool. The truth is never read.

Usage: Pipelines/bench/peers/robust_pca_tensorly.py INSTANCE [--answer D.npy] [--tol 1e-9]
       [--learning-rate 1.3] [--mu-init-scale 1.25] [--reg-j 0.5] [--max-iters 1000] [--threads 1]
INSTANCE is a stream from generate-ground-truth | sample-measurements --operator identity
| corrupt-sparse. tensorly is installed with pip on first use if it is missing.
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
    parser.add_argument("--answer", help="write the low-rank part D here (.npy)")
    parser.add_argument("--tol", type=float, default=1e-9)
    parser.add_argument("--learning-rate", type=float, default=1.3)
    parser.add_argument("--mu-init-scale", type=float, default=1.25, help="mu_init = this / ‖Y‖₂")
    parser.add_argument("--reg-j", type=float, default=0.5)
    parser.add_argument("--max-iters", type=int, default=1000)
    parser.add_argument("--threads", default="1", help="OpenBLAS threads (0: its default)")
    args = parser.parse_args()

    peerlib.ensure_module("tensorly")
    from tensorly.decomposition import robust_pca

    frames = peerlib.read_frames(args.instance, ("observations",))
    observations = frames["observations"]
    if observations.attributes.get("operator") != "identity":
        raise SystemExit("robust_pca_tensorly.py: the peer needs --operator identity (robust PCA)")
    Y = np.ascontiguousarray(observations.array, dtype=np.float64)
    start = time.perf_counter()
    reg_E = 1 / np.sqrt(max(Y.shape))
    mu_init = args.mu_init_scale / np.linalg.norm(Y, 2)
    D, E, errors = robust_pca(Y, reg_E=reg_E, reg_J=args.reg_j, tol=args.tol, mu_init=mu_init,
                              learning_rate=args.learning_rate, n_iter_max=args.max_iters,
                              return_errors=True, verbose=0)
    seconds = time.perf_counter() - start  # the norm for mu_init included
    if args.answer:
        np.save(args.answer, D)
    peerlib.report({"peer": "tensorly-rpca", "seconds": seconds, "iterations": len(errors),
                    "reconstruction": float(errors[-1]), "reg_E": float(reg_E), "reg_J": args.reg_j,
                    "mu_init": float(mu_init), "learning_rate": args.learning_rate, "tol": args.tol,
                    "wall_seconds": time.perf_counter() - wall})


if __name__ == "__main__":
    main()
