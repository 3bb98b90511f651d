#!/usr/bin/env python3
"""Is the truth the flattest fit of a completion instance near the recovery threshold?

Makes the instance with the toolkit (400×400, rank 5, --p 0.09, seeds 7 and 8 by default),
runs solve-flat on it, and solves the weighted nuclear-norm program

    minimize 2‖D1·X·D2‖_*  subject to  X[i, j] = b for every observed (i, j)

with CVXPY and SCS (in Y = D1·X·D2, data normalized), apart from the toolkit. SCS's answer
is then made to fit every observation exactly (its observed entries are set to b), and the
weighted nuclear norm of that exact fit is compared with the truth's: below it means the truth
is not the flattest fit, so an uncertified exit of solve-flat is the right one.

    python3 Pipelines/oracle/threshold_completion.py --bin .build-rel/release [--p 0.10]

SCS needs about 2 min at --p 0.10 and stops at --time-limit (900 s) at 0.09.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import flatframes  # noqa: E402


def weighted_nuclear_norm(x, d1, d2):
    return 2 * np.linalg.svd(d1[:, None] * x * d2[None, :], compute_uv=False).sum()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="directory holding the toolkit's executables")
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--rank", type=int, default=5)
    parser.add_argument("--p", type=float, default=0.09)
    parser.add_argument("--truth-seed", type=int, default=7)
    parser.add_argument("--sample-seed", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=900)
    args = parser.parse_args()
    import cvxpy as cp

    tool = lambda name: os.path.join(args.bin, name)  # noqa: E731
    with tempfile.TemporaryDirectory() as scratch:
        instance, solved = os.path.join(scratch, "instance.frames"), os.path.join(scratch, "solved.frames")
        truth = subprocess.run([tool("generate-ground-truth"), "--d1", str(args.size), "--rank", str(args.rank),
                                "--seed", str(args.truth_seed)], check=True, capture_output=True).stdout
        with open(instance, "wb") as out:
            subprocess.run([tool("sample-measurements"), "--operator", "completion", "--p", str(args.p),
                            "--seed", str(args.sample_seed)], input=truth, stdout=out, check=True)
        run = subprocess.run([tool("solve-flat"), instance, "-o", solved], capture_output=True, text=True)
        print(f"solve-flat: exit {run.returncode}; {run.stderr.strip().splitlines()[0] if run.stderr.strip() else ''}")
        for line in run.stderr.strip().splitlines()[1:]:
            print(f"  {line}")
        stream = flatframes.load(instance)
    entries, b, x0 = stream["entries"], stream["observations"], stream["truth"]
    rows, columns = x0.shape
    m = len(b)
    i, j = entries[:, 0], entries[:, 1]
    d1 = np.sqrt(np.bincount(i, minlength=rows) / (m * columns))
    d2 = np.sqrt(np.bincount(j, minlength=columns) / (m * rows))
    truth_value = weighted_nuclear_norm(x0, d1, d2)
    print(f"truth: 2‖D1·X0·D2‖_* = {truth_value:.12e} (m = {m})")

    scaled = d1[i] * d2[j] * b
    beta = float(np.sqrt(np.mean(scaled ** 2)))
    y = cp.Variable((rows, columns))
    sampling = sp.csr_matrix((np.ones(m), (np.arange(m), i + rows * j)), shape=(m, rows * columns))
    problem = cp.Problem(cp.Minimize(2 * cp.normNuc(y)), [sampling @ cp.vec(y, order="F") == scaled / beta])
    start = time.time()
    problem.solve(solver="SCS", eps_abs=1e-9, eps_rel=1e-9, max_iters=200000, time_limit_secs=args.time_limit)
    print(f"SCS: {problem.status} after {time.time() - start:.0f} s, value {problem.value * beta:.12e}")

    x = beta * y.value / d1[:, None] / d2[None, :]
    x[i, j] = b  # an exact fit, whatever SCS's residual
    value = weighted_nuclear_norm(x, d1, d2)
    values = np.linalg.svd(x, compute_uv=False)
    print(f"SCS's answer made exact: value {value:.12e}, relative to the truth {(value - truth_value) / truth_value:+.3e}")
    print(f"  rank {(values > 1e-6 * values[0]).sum()} (singular values above 1e-6 of the largest), "
          f"distance from the truth {np.linalg.norm(x - x0) / np.linalg.norm(x0):.2e}")
    print("the truth is " + ("NOT the flattest fit" if value < truth_value * (1 - 1e-7)
                             else "not beaten by SCS's answer (a certificate decides)"))


if __name__ == "__main__":
    main()
