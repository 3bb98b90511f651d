#!/usr/bin/env python3
"""An independent CVXPY oracle for ``solve-flat``: every model × {flat, convex, min-norm}.

For each case the oracle

1. makes the instance with the toolkit's own tools (``generate-ground-truth |
   sample-measurements [| corrupt-sparse]``; uneven completion rows by a thinning stage written
   here with ``flatframes``, since no tool option samples rows unevenly);
2. runs ``solve-flat --method M`` on it (plus the outlier fit and ``--width`` of the case) and
   records the exit status, the ``estimate`` frame and its attributes;
3. rebuilds the operator in numpy from the operator frames alone (never from solver output):
   D1² = (1/(m·d2)) Σ A_iA_iᵀ and D2² = (1/(m·d1)) Σ A_iᵀA_i, D1 and D2 their PSD square roots
   (a completion row or column never observed gets weight 0; no inverse is taken);
4. solves, with CVXPY (CLARABEL at tight tolerances, SCS at high accuracy as a fallback), the
   convex program that the method's objective corresponds to:

   ==============================  =====================================================
   method                          program (objective in the units of the ``objective``
                                   attribute, unscaled)
   ==============================  =====================================================
   flat, convex (general models)   min 2‖D1 X D2‖_*            subject to the fit
   flat, convex (quadratic)        min 2·tr(D²(P + N)), X = P − N, P, N ⪰ 0 (D = D1 = D2)
   min-norm                        the same with D1 = D2 = I: 2‖X‖_* or 2·tr(P + N);
                                   the attribute is ‖L‖² + ‖R‖², equal to it at an optimum
   ==============================  =====================================================

   and the fits: exact A(X) = b; noisy (the observations' ``noise_std`` > 0)
   ‖A(X) − b‖₂ ≤ δ = noise_std·√m; ℓ1 budget ‖A(X) − b‖₁ ≤ τ (``--l1-budget τ``, or
   τ = Σ|outliers_values| for ``--oracle-budget``); penalized: + 2cλ‖A(X) − b‖₁ with
   c = √(tr D1²/d1 · tr D2²/d2) (flat, convex) or c = 1 (min-norm), λ = 1/√max(d1, d2) or
   ``--lambda``. The optimum is certified: it is the objective (computed in numpy from X) of a
   minimizer that fits, an upper bound, and weak duality on the solver's multiplier, scaled
   in numpy until it is dual feasible, gives a lower bound; their distance is the oracle's
   reported ``accuracy`` (typically 1e-9 to 1e-14);
5. decides whether the minimizer X is unique, as the extent along a random direction G of
   the near-optimal set {fit, objective ≤ optimum·(1 + 1e-9)}: X counts as unique only if
   that set lies within 3e-7·‖X*‖_F of X*. The set is probed through tilted programs
   min objective ± ε⟨G, X⟩, whose minimizers bound its extent from above and below by
   convexity (see decide_uniqueness); a tilted program that is unbounded shows an unbounded
   set of minimizers. Otherwise X is "not unique" (or "unresolved" when the set is small but
   not small enough to compare X at 1e-6) and the answer is judged by its objective;
6. judges the answer. It is *optimal* when it satisfies the fit to 1e-6 (relative to b), the
   method's objective evaluated at X̂ (computed here from X̂) is within 1e-6 of the optimum,
   and, where X is unique, ‖X̂ − X*‖_F/‖X*‖_F ≤ 1e-6. The truth of the matter is then:
   exit 0 ⇔ optimal. Failures, worst first:

   - ``exit 0, not optimal``: a wrong answer certified (the worst failure);
   - ``exit 3, optimal``: a right answer left uncertified (a weaker failure);
   - ``lower_bound > optimum``: the reported ``lower_bound`` exceeds the true optimum by more
     than 1e-9 relative (a certificate that is not one);
   - ``objective attribute off``: the answer is optimal but its ``objective`` attribute is not
     within 1e-6 of the optimum (other units, or a wrong value);
   - ``exit N`` / ``timeout`` / ``no estimate``: the solver failed to answer;
   - ``oracle failed``: CVXPY could not solve the program (reported, never passed).

Suites: ``full`` (every model × method with 2–3 seeds each, including under-sampled instances
where flat's and min-norm's optima differ and the optimum's rank exceeds the solver's old
default width, run without ``--width`` and with an explicit small ``--width``), and ``small``
(one case of every model and every method, what ``Pipelines/tests/test_oracle.py`` runs).

Usage:
    Pipelines/oracle/cross_check.py [--suite full|small] [--bin DIR] [--json] [--filter TEXT]
                                    [--jobs N]
The tools come from --bin, else $FLATMIN_BIN. Prints the table, the worst gaps per
model × method and the failures; --json prints one JSON document instead. Exit status 0 when
every verdict passes, 1 when any fails, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import functools
import io
import json
import math
import os
import re
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

import flatframes

# MARK: - Tolerances

#: |objective − optimum|/optimum allowed for an optimal answer (and for the attribute).
OBJECTIVE_TOL = 1e-6
#: ‖X̂ − X*‖_F/‖X*‖_F allowed where the minimizer is unique.
X_TOL = 1e-6
#: Fit violation allowed, relative to ‖b‖ (ℓ2 fits) or ‖b‖₁ (ℓ1 budget).
FIT_TOL = 1e-6
#: How far lower_bound may exceed the optimum, relative. (The oracle's optimum is an upper
#: bound on the true one, so a lower_bound above it by more than this is certainly wrong.)
LOWER_BOUND_TOL = 1e-9
#: The near-optimal set {fit, objective ≤ optimum·(1 + FACE_SLACK)} (or the oracle's accuracy,
#: if larger) decides whether X is unique: X is compared only when that set, and the oracle's
#: own answers, lie within UNIQUE_SPREAD·‖X*‖_F of X* (a third of X_TOL, so the comparison
#: decides); see decide_uniqueness.
FACE_SLACK = 1e-9
UNIQUE_SPREAD = 3e-7
#: Singular values below this fraction of the largest do not count in the optimum's rank.
RANK_TOL = 1e-6
#: Longest a single solve-flat run may take.
SOLVER_TIMEOUT = 600.0

METHODS = ("flat", "convex", "min-norm")


# MARK: - What is checked


@dataclass(frozen=True)
class InstanceSpec:
    """One instance, made by the tools: the arguments of each stage."""

    model: str                      # the table's model column: gaussian, bilinear, …
    label: str                      # the table's instance column: size, sampling, seed
    truth: tuple[str, ...]          # generate-ground-truth arguments
    sample: tuple[str, ...]         # sample-measurements arguments
    corrupt: tuple[str, ...] = ()   # corrupt-sparse arguments (robust PCA), if any
    uneven_low: float | None = None  # completion: thin rows, keeping row i with probability
    uneven_seed: int = 0            # w_i falling linearly from 1 (row 0) to uneven_low


@dataclass(frozen=True)
class CaseSpec:
    """One solve-flat run on an instance, and the program it answers."""

    instance: InstanceSpec
    method: str                       # flat, convex, min-norm
    fit: str = "auto"                 # auto (exact, or ℓ2 ball when noisy), l1-budget,
                                      # oracle-budget, penalized
    l1_budget_scale: float = 1.0      # l1-budget: τ = scale · ‖S♮‖₁ (a number passed to the tool)
    lam: float | None = None          # penalized: --lambda (None: the default 1/√max(d1, d2))
    rank: int | None = None           # --width k (None: the solver's default width)

    @property
    def model(self) -> str:
        names = {"auto": "", "l1-budget": "ℓ1 budget", "oracle-budget": "oracle budget",
                 "penalized": "penalized"}
        return f"{self.instance.model} ({names[self.fit]})" if self.fit != "auto" else self.instance.model

    @property
    def variant(self) -> str:
        """The method column: method plus the options that make this case."""
        parts = [self.method]
        if self.fit == "l1-budget":
            parts.append(f"--l1-budget {self.l1_budget_scale:g}·‖S♮‖₁")
        elif self.fit == "oracle-budget":
            parts.append("--oracle-budget")
        elif self.fit == "penalized":
            parts.append("--penalized" + (f" --lambda {self.lam:g}" if self.lam is not None else ""))
        if self.rank is not None:
            parts.append(f"--width {self.rank}")
        return " ".join(parts)

    @property
    def name(self) -> str:
        return f"{self.model} | {self.instance.label} | {self.variant}"

    @property
    def ident(self) -> str:
        return ascii_ident(self.name)


def ascii_ident(name: str) -> str:
    """A case's name in ASCII, for test ids and the known-failure list."""
    text = name.replace("×", "x").replace("−", "-").replace("ℓ1", "l1").replace("‖S♮‖₁", "S1")
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")


# MARK: - Making instances with the tools


def tool_path(bin_dir: str, name: str) -> str:
    path = os.path.join(bin_dir, name)
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"{path} is not built (build the tools or set FLATMIN_BIN)")
    return path


def run_tool(bin_dir: str, name: str, arguments: Sequence[str], data: bytes | None,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([tool_path(bin_dir, name), *arguments], input=data,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def _stage(bin_dir: str, name: str, arguments: Sequence[str], data: bytes | None) -> bytes:
    result = run_tool(bin_dir, name, arguments, data)
    if result.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(arguments)} failed ({result.returncode}): "
                           f"{result.stderr.decode().strip()}")
    return result.stdout


def thin_rows(stream: bytes, low: float, seed: int) -> bytes:
    """Uneven completion sampling (a Python stage; ``sample-measurements`` samples uniformly).

    Keeps each observed entry (i, j) with probability w_i, the row weights falling linearly
    from 1 (row 0) to ``low`` (the last row), so the top rows are observed 1/low times as often
    as the bottom ones; ``low = 0`` leaves the last row unobserved (a zero weight in D1). Every
    other frame is forwarded verbatim; the thinned ``entries`` and ``observations`` are
    appended with their attributes, ``uneven_low`` and a provenance entry. numpy PCG64, seeded.
    """
    kept, out = {}, io.BytesIO()
    for header, raw in flatframes.iter_raw_frames(stream):
        if header["name"] in ("entries", "observations"):
            kept[header["name"]] = next(flatframes.read_frames(raw))
        else:
            out.write(raw)
    entries, observations = kept["entries"], kept["observations"]
    d1 = int(observations.attributes["d1"])
    weights = np.linspace(1.0, low, d1) if d1 > 1 else np.ones(1)
    rows = np.asarray(entries.array)[:, 0]
    keep = np.random.default_rng(seed).random(rows.shape[0]) < weights[rows]
    for frame in (entries, observations):
        attributes = dict(frame.attributes, uneven_low=low)
        attributes = flatframes.add_provenance(attributes, "cross_check.py thin_rows",
                                               ["--low", str(low)], seed)
        flatframes.write_frame(out, frame.name, np.ascontiguousarray(np.asarray(frame.array)[keep]),
                               attributes)
    return out.getvalue()


@functools.lru_cache(maxsize=64)
def make_instance(spec: InstanceSpec, bin_dir: str) -> bytes:
    """The instance stream: truth, operator, observations (and outlier record)."""
    data = _stage(bin_dir, "generate-ground-truth", spec.truth, None)
    data = _stage(bin_dir, "sample-measurements", spec.sample, data)
    if spec.uneven_low is not None:
        data = thin_rows(data, spec.uneven_low, spec.uneven_seed)
    if spec.corrupt:
        data = _stage(bin_dir, "corrupt-sparse", spec.corrupt, data)
    return data


# MARK: - The operator, from its frames, in numpy


@dataclass
class Measured:
    """An instance as numpy sees it: A (row i = vec(A_i), column-major), b, D1², D2²."""

    family: str
    d1: int
    d2: int
    A: sp.csr_matrix
    b: np.ndarray
    D1sq: np.ndarray
    D2sq: np.ndarray
    noise_std: float
    outlier_l1: float | None  # Σ|outliers_values| when the stream has an outlier record

    @property
    def m(self) -> int:
        return self.A.shape[0]

    @property
    def quadratic(self) -> bool:
        return self.family == "quadratic"

    def apply(self, X: np.ndarray) -> np.ndarray:
        return self.A @ np.asarray(X).ravel(order="F")


#: The frames the oracle reads: the operator's, the observations and the outlier record.
OPERATOR_FRAMES = ("sensing", "sensing_left", "sensing_right", "entries", "features",
                   "observations", "outliers_values", "estimate")


def frames_by_name(stream: bytes, names: Sequence[str] = OPERATOR_FRAMES) -> dict[str, flatframes.Frame]:
    """The stream's frames with these names, decoded (the last of each name); the others
    (the truth among them) are skipped undecoded."""
    frames = {}
    for header, raw in flatframes.iter_raw_frames(stream):
        if header["name"] in names:
            frames[header["name"]] = next(flatframes.read_frames(raw))
    return frames


def sensing_tensor(frames: dict, family: str, d1: int, d2: int) -> np.ndarray:
    """The m×d1×d2 array of the A_i, from the operator frames of each family."""
    if family == "gaussian":
        return np.asarray(frames["sensing"].array, dtype=np.float64)
    if family == "bilinear":
        a = np.asarray(frames["sensing_left"].array)
        c = np.asarray(frames["sensing_right"].array)
        return np.einsum("ij,ik->ijk", a, c)
    if family == "quadratic":
        x = np.asarray(frames["features"].array)
        return np.einsum("ij,ik->ijk", x, x)
    if family == "completion":
        entries = np.asarray(frames["entries"].array)
        S = np.zeros((entries.shape[0], d1, d2))
        S[np.arange(entries.shape[0]), entries[:, 0], entries[:, 1]] = 1.0
        return S
    if family == "identity":
        index = np.arange(d1 * d2)
        S = np.zeros((d1 * d2, d1, d2))
        S[index, index % d1, index // d1] = 1.0  # column-major: entry (j, k) is j + k·d1
        return S
    raise ValueError(f"unknown operator family {family!r}")


def measure(stream: bytes) -> Measured:
    frames = frames_by_name(stream)
    observations = frames["observations"]
    attributes = observations.attributes
    family, d1, d2 = attributes["operator"], int(attributes["d1"]), int(attributes["d2"])
    S = sensing_tensor(frames, family, d1, d2)
    m = S.shape[0]
    b = np.asarray(observations.array, dtype=np.float64).ravel(order="F")
    if b.shape[0] != m:
        raise ValueError(f"{m} operator rows but {b.shape[0]} observations")
    D1sq = np.tensordot(S, S, axes=([0, 2], [0, 2])) / (m * d2)
    D2sq = np.tensordot(S, S, axes=([0, 1], [0, 1])) / (m * d1)
    outliers = frames.get("outliers_values")
    return Measured(
        family=family, d1=d1, d2=d2,
        A=sp.csr_matrix(S.reshape(m, d1 * d2, order="F")), b=b,
        D1sq=(D1sq + D1sq.T) / 2, D2sq=(D2sq + D2sq.T) / 2,
        noise_std=float(attributes.get("noise_std", 0.0) or 0.0),
        outlier_l1=float(np.abs(np.asarray(outliers.array)).sum()) if outliers is not None else None)


def psd_root(S: np.ndarray) -> np.ndarray:
    """S^{1/2} of a symmetric PSD matrix (negative rounding clipped to 0)."""
    w, V = np.linalg.eigh((S + S.T) / 2)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def default_width(d1: int, d2: int, m: int) -> int:
    """solve-flat's documented default width: the largest r with r(d1 + d2 − r) ≤ m."""
    r = 0
    while r < min(d1, d2) and (r + 1) * (d1 + d2 - r - 1) <= m:
        r += 1
    return max(r, 1)


# MARK: - The programs


@dataclass(frozen=True)
class Program:
    """The convex program a case's method and fit correspond to."""

    weighted: bool       # D1, D2 of the operator (flat, convex), or I (min-norm)
    fit: str             # exact, l2-ball, l1-ball, l1-penalty
    radius: float = 0.0  # δ (l2-ball) or τ (l1-ball)
    lam: float = 0.0     # λ (l1-penalty)


def program_of(case: CaseSpec, measured: Measured) -> Program:
    weighted = case.method in ("flat", "convex")
    if case.fit == "auto":
        if measured.noise_std > 0:
            return Program(weighted, "l2-ball", measured.noise_std * math.sqrt(measured.m))
        return Program(weighted, "exact")
    if case.fit in ("l1-budget", "oracle-budget"):
        return Program(weighted, "l1-ball", l1_budget(case, measured))
    if case.fit == "penalized":
        lam = case.lam if case.lam is not None else 1 / math.sqrt(max(measured.d1, measured.d2))
        return Program(weighted, "l1-penalty", lam=lam)
    raise ValueError(f"unknown fit {case.fit!r}")


def l1_budget(case: CaseSpec, measured: Measured) -> float:
    """τ: Σ|outliers_values| for --oracle-budget, a multiple of it for --l1-budget."""
    if measured.outlier_l1 is None:
        raise ValueError(f"{case.name}: an ℓ1 budget needs an outlier record")
    if case.fit == "oracle-budget":
        return measured.outlier_l1
    # The exact float passed on the command line (repr round-trips).
    return float(repr(case.l1_budget_scale * measured.outlier_l1))


@dataclass
class Weights:
    """D1, D2 normalized to mean eigenvalue 1 of their squares, and the scale s = √(a1·a2),
    a_k = tr D_k²/d_k, so that 2‖D1XD2‖_* = s·2‖W1XW2‖_* and the penalized objective is
    s·(2‖W1XW2‖_* + 2λ‖A(X) − b‖₁). min-norm: W = I, s = 1."""

    W1: np.ndarray
    W2: np.ndarray
    scale: float


def weights(measured: Measured, weighted: bool) -> Weights:
    d1, d2 = measured.d1, measured.d2
    if not weighted:
        return Weights(np.eye(d1), np.eye(d2), 1.0)
    a1, a2 = np.trace(measured.D1sq) / d1, np.trace(measured.D2sq) / d2
    return Weights(psd_root(measured.D1sq / a1), psd_root(measured.D2sq / a2), math.sqrt(a1 * a2))


def nuclear(M: np.ndarray) -> float:
    return float(np.linalg.svd(M, compute_uv=False).sum())


def fit_violation(measured: Measured, program: Program, X: np.ndarray) -> float:
    """How far X is from satisfying the fit, relative to b (0 when it does)."""
    r = measured.apply(X) - measured.b
    if program.fit == "exact":
        violation = np.linalg.norm(r) / np.linalg.norm(measured.b)
    elif program.fit == "l2-ball":
        violation = max(0.0, np.linalg.norm(r) - program.radius) / np.linalg.norm(measured.b)
    elif program.fit == "l1-ball":
        violation = max(0.0, np.abs(r).sum() - program.radius) / np.abs(measured.b).sum()
    else:
        violation = 0.0
    if measured.quadratic:  # X = P − N is symmetric
        violation = max(violation, np.linalg.norm(X - X.T) / max(np.linalg.norm(X), 1e-300))
    return float(violation)


def objective_at(measured: Measured, program: Program, X: np.ndarray) -> float:
    """The method's objective at X, computed from X alone: 2‖D1XD2‖_* (general models),
    min over P − N = X of 2·tr(D²(P + N)) = 2‖DXD‖_* (quadratic; X symmetrized), D = I for
    min-norm; plus 2cλ‖A(X) − b‖₁ when penalized."""
    w = weights(measured, program.weighted)
    if measured.quadratic:
        core = 2 * nuclear(w.W1 @ ((X + X.T) / 2) @ w.W1)
    else:
        core = 2 * nuclear(w.W1 @ X @ w.W2)
    value = w.scale * core
    if program.fit == "l1-penalty":
        value += 2 * w.scale * program.lam * float(np.abs(measured.apply(X) - measured.b).sum())
    return value


# MARK: - Solving with CVXPY


#: The accuracy (relative primal-dual gap and residuals) a solve must report for the oracle to
#: use it; otherwise the next configuration or solver is tried.
ORACLE_ACCURACY = 1e-7
#: A feasible candidate: fit violation at most this.
ORACLE_FEASIBLE = 1e-9
#: The tilts ε tried, smallest first, to bound the near-optimal set (decide_uniqueness).
TILTS = (1e-4, 1e-3, 1e-2, 1e-1)
#: Beyond this spread the optimal set is reported as "not unique"; between UNIQUE_SPREAD and it,
#: as "unresolved" (X not determined to the accuracy a 1e-6 comparison needs).
FACE_SPREAD = 1e-3


@dataclass
class Optimum:
    """The oracle's answer for one program."""

    value: float = math.nan          # the optimum, in the objective attribute's units
    lower: float = -math.inf         # a certified lower bound on it (weak duality)
    X: np.ndarray | None = None      # a minimizer
    rank: int = 0                    # its numerical rank
    unique: bool | None = None       # X determined to UNIQUE_SPREAD; None: undecided
    spread: float = math.nan         # how far apart minimizers lie, relative to ‖X*‖_F
    unbounded_face: bool = False     # a tilted problem was unbounded: the minimizers are not
    solver: str = ""                 # which solver and configuration answered, and its status
    accuracy: float = math.nan       # (value − lower)/value: the optimum's certified uncertainty
    feasibility: float = math.nan    # fit violation of X*, measured as for the solver's answer
    seconds: float = 0.0
    error: str = ""                  # why there is no optimum


def _cvxpy():
    import cvxpy  # imported on first use: the rest of the module needs only numpy and scipy
    return cvxpy


def _eigenbasis(Dsq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U, λ) with Dsq = U·diag(λ)·Uᵀ; U = I when Dsq is already diagonal (completion, identity)."""
    if np.count_nonzero(Dsq - np.diag(np.diag(Dsq))) == 0:
        return np.eye(Dsq.shape[0]), np.clip(np.diag(Dsq), 0.0, None)
    w, U = np.linalg.eigh((Dsq + Dsq.T) / 2)
    return U, np.clip(w, 0.0, None)


class _Model:
    """A program in CVXPY, in coordinates where the weights are diagonal and the data are
    normalized: CLARABEL fails outright on 2‖D1XD2‖_* with dense D1, D2 written as
    cp.normNuc(D1 @ X @ D2), and solves this form to 1e-8–1e-11.

    With D1²/a1 = U1·diag(λ1)·U1ᵀ and D2²/a2 = U2·diag(λ2)·U2ᵀ (a_k = tr D_k²/d_k; min-norm:
    U = I, λ = 1, s = 1) the variable is X' = U1ᵀ·X·U2/β (β = RMS of b). Then
    2‖D1XD2‖_* = β·s·2‖diag(√λ1)·X'·diag(√λ2)‖_*, s = √(a1·a2), an elementwise weighting of
    X'; A(X)/β = (A·(U2 ⊗ U1))·vec(X'); and the penalty 2sλ‖A(X) − b‖₁ = β·s·2λ‖A(X)/β − b/β‖₁
    (s is the c of the penalized objective). The quadratic model (U1 = U2 = U, as D1 = D2)
    uses P' = UᵀPU/β, N' = UᵀNU/β, still PSD, and 2·tr(D²(P + N)) = β·s·2·Σ λ_i (P' + N')_ii.
    So the model's optimum times β·s is the program's, and X = β·U1·X'·U2ᵀ.
    """

    def __init__(self, measured: Measured, program: Program):
        cp = _cvxpy()
        d1, d2 = measured.d1, measured.d2
        if program.weighted:
            a1, a2 = np.trace(measured.D1sq) / d1, np.trace(measured.D2sq) / d2
            self.U1, lambda1 = _eigenbasis(measured.D1sq / a1)
            if measured.quadratic:  # one basis for both sides, so that P' stays symmetric
                self.U2, lambda2 = self.U1, lambda1
            else:
                self.U2, lambda2 = _eigenbasis(measured.D2sq / a2)
            self.scale = math.sqrt(a1 * a2)
        else:
            self.U1, lambda1, self.U2, lambda2 = np.eye(d1), np.ones(d1), np.eye(d2), np.ones(d2)
            self.scale = 1.0
        self.beta = float(np.sqrt(np.mean(measured.b ** 2))) or 1.0
        self.lambda1, self.lambda2, self.quadratic = lambda1, lambda2, measured.quadratic
        self.fit, self.lam = program.fit, program.lam
        rotated = not (np.array_equal(self.U1, np.eye(d1)) and np.array_equal(self.U2, np.eye(d2)))
        self.A = sp.csr_matrix(measured.A @ np.kron(self.U2, self.U1)) if rotated else measured.A
        self.b = measured.b / self.beta
        self.radius = program.radius / self.beta  # δ or τ in the model's units
        if measured.quadratic:
            P = cp.Variable((d1, d1), PSD=True)
            N = cp.Variable((d1, d1), PSD=True)
            self.X = P - N
            core = 2 * cp.sum(cp.multiply(lambda1, cp.diag(P + N)))
        else:
            self.X = cp.Variable((d1, d2))
            core = 2 * cp.normNuc(cp.multiply(np.outer(np.sqrt(lambda1), np.sqrt(lambda2)), self.X))
        # The fit as A(X') − b' = e with e constrained or penalized: the multiplier y of this
        # equality gives the dual bound (dual_bound).
        fitted = self.A @ cp.vec(self.X, order="F") - self.b
        self.objective = core
        if program.fit == "exact":
            self.fit_constraint = fitted == 0
            self.constraints = [self.fit_constraint]
        else:
            e = cp.Variable(measured.m)
            self.fit_constraint = fitted - e == 0
            self.constraints = [self.fit_constraint]
            if program.fit == "l2-ball":
                self.constraints.append(cp.norm(e, 2) <= self.radius)
            elif program.fit == "l1-ball":
                self.constraints.append(cp.norm(e, 1) <= self.radius)
            elif program.fit == "l1-penalty":
                self.objective = core + 2 * program.lam * cp.norm(e, 1)
            else:
                raise ValueError(f"unknown fit {program.fit!r}")

    def dual_bound(self) -> float:
        """A lower bound on the model's optimum by weak duality, from the fit's multiplier.

        With the Lagrangian f(X') + pen(e) − ⟨y, A(X') − b' − e⟩, the dual function is
        ⟨y, b'⟩ − ρ·‖y‖_* (ρ‖y‖₂ for the ℓ2 ball, ρ‖y‖_∞ for the ℓ1 ball, 0 otherwise) wherever
        y is dual feasible: ‖Λ1^{-1/2}·A*(y)·Λ2^{-1/2}‖₂ ≤ 2 (the dual of 2‖Λ1^{1/2}X'Λ2^{1/2}‖_*,
        and for the quadratic model of 2Σλ_i(P' + N')_ii: −2Λ ⪯ sym A*(y) ⪯ 2Λ), A*(y) zero
        where a weight is zero, and ‖y‖_∞ ≤ 2λ when penalized. The solver's y is scaled by the
        largest t ≤ 1 that makes it feasible, so the bound holds whatever y's accuracy; both
        signs are tried (conventions differ). −inf when no bound can be formed."""
        y = self.fit_constraint.dual_value
        if y is None:
            return -math.inf
        y = np.asarray(y, dtype=np.float64).ravel()
        d1, d2 = len(self.lambda1), len(self.lambda2)
        Z = np.asarray(self.A.T @ y).reshape(d1, d2, order="F")
        if self.quadratic:
            Z = (Z + Z.T) / 2
        rows, cols = self.lambda1 > 0, self.lambda2 > 0
        if np.any(Z[~rows, :] != 0) or np.any(Z[:, ~cols] != 0):
            return -math.inf
        scaled = Z[np.ix_(rows, cols)] / np.outer(np.sqrt(self.lambda1[rows]), np.sqrt(self.lambda2[cols]))
        norm = float(np.linalg.norm(scaled, 2)) if scaled.size else 0.0
        t = min(1.0, 2 / norm) if norm > 0 else 1.0
        if self.fit == "l1-penalty":
            largest = float(np.abs(y).max())
            if largest > 0:
                t = min(t, 2 * self.lam / largest)
        penalty = {"l2-ball": self.radius * np.linalg.norm(y),
                   "l1-ball": self.radius * np.abs(y).max()}.get(self.fit, 0.0)
        return float(max(t * (y @ self.b - penalty), t * (-(y @ self.b) - penalty)))

    def minimizer(self) -> np.ndarray:
        """X = β·U1·X'·U2ᵀ at the current solution."""
        return self.beta * self.U1 @ np.asarray(self.X.value) @ self.U2.T


#: CLARABEL at tolerances as tight as it takes. On these degenerate SDPs it stops with
#: 'AlmostSolved' when it cannot improve, at 1e-8–1e-11, and which regularization gets
#: furthest depends on the instance; so the program is solved in each configuration and the
#: best answer kept (solve_program).
CLARABEL_CONFIGURATIONS = {
    "tight": dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10,
                  max_iter=500),
    "tight, no static regularization": dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
                                            tol_ktratio=1e-10, max_iter=500,
                                            static_regularization_enable=False),
    "tight, no dynamic regularization": dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
                                             tol_ktratio=1e-10, max_iter=500,
                                             dynamic_regularization_enable=False),
}
#: The fallback when no CLARABEL configuration is accurate enough.
SCS_SETTINGS = dict(eps_abs=1e-10, eps_rel=1e-10, max_iters=50_000)


class Unbounded(Exception):
    """CLARABEL found the problem unbounded (dual infeasible)."""


def _clarabel(problem, settings: dict) -> tuple[str, float]:
    """Solves with CLARABEL through CVXPY's chain, keeping CLARABEL's own report: returns its
    status and accuracy, max(relative primal-dual gap, primal residual, dual residual)
    (infinite when it has no answer). The accuracy, not the status, decides whether the
    answer is used."""
    cp = _cvxpy()
    data, chain, inverse = problem.get_problem_data(cp.CLARABEL, solver_opts=settings)
    raw = chain.solver.solve_via_data(data, False, False, settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "solution may be inaccurate": judged here instead
        problem.unpack_results(raw, chain, inverse)
    status = str(raw.status)
    if status in ("DualInfeasible", "AlmostDualInfeasible"):
        raise Unbounded(status)
    if status not in ("Solved", "AlmostSolved") or raw.x is None:
        return status, math.inf
    scale = max(abs(raw.obj_val), abs(raw.obj_val_dual), 1.0)
    return status, float(max(abs(raw.obj_val - raw.obj_val_dual) / scale, raw.r_prim, raw.r_dual))


def _scs(problem) -> tuple[str, float]:
    cp = _cvxpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem.solve(solver=cp.SCS, verbose=False, **SCS_SETTINGS)
    if problem.status == cp.OPTIMAL:  # SCS met eps 1e-10 on its residuals and gap
        return problem.status, SCS_SETTINGS["eps_rel"]
    if problem.status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        raise Unbounded(problem.status)
    return problem.status, math.inf


def _solve_once(problem, configuration: str = "tight") -> tuple[str, float]:
    """Solves to ORACLE_ACCURACY in one CLARABEL configuration, falling back on SCS; returns
    what answered and its accuracy; raises Unbounded, or RuntimeError if neither is accurate
    enough."""
    cp = _cvxpy()
    tried = []
    for name, solve in ((f"CLARABEL {configuration}",
                         lambda: _clarabel(problem, CLARABEL_CONFIGURATIONS[configuration])),
                        ("SCS", lambda: _scs(problem))):
        try:
            status, accuracy = solve()
        except cp.error.SolverError as error:
            tried.append(f"{name}: {' '.join(str(error).split())}")
            continue
        if accuracy <= ORACLE_ACCURACY:
            return f"{name}: {status}", accuracy
        tried.append(f"{name}: {status} (accuracy {accuracy:.1e})")
    raise RuntimeError("; ".join(tried))


@dataclass
class _Candidate:
    solver: str
    accuracy: float
    X: np.ndarray
    X_model: np.ndarray
    level: float        # the model's objective value
    value: float        # the program's objective at X, from objective_at
    violation: float    # fit_violation at X
    bound: float        # the dual bound, in the program's units


@functools.lru_cache(maxsize=256)
def solve_program(instance: InstanceSpec, bin_dir: str, program: Program) -> Optimum:
    """The optimum, a minimizer, and whether the minimizer is unique, for one program.

    The program is solved in every CLARABEL configuration (SCS if none is accurate enough);
    of the answers that fit (violation ≤ ORACLE_FEASIBLE; else the best-fitting one) the one
    of least objective is kept. The optimum is the method's objective at that minimizer,
    computed by objective_at exactly as for the solver's answer: an upper bound. The largest
    dual bound of the answers (Model.dual_bound) is a certified lower bound, and
    `accuracy` = (optimum − lower)/optimum the certified uncertainty. (Without a dual bound it
    falls back on CLARABEL's report and the answers' agreement.)
    """
    cp = _cvxpy()
    start = time.perf_counter()
    measured = measure(make_instance(instance, bin_dir))
    optimum = Optimum()
    try:
        model = _Model(measured, program)
        problem = cp.Problem(cp.Minimize(model.objective), model.constraints)
        candidates, errors = [], []
        for configuration in CLARABEL_CONFIGURATIONS:
            try:
                solver, accuracy = _solve_once(problem, configuration)
            except RuntimeError as error:
                errors.append(str(error))
                continue
            X = model.minimizer()
            candidates.append(_Candidate(
                solver, accuracy, X, np.asarray(model.X.value).copy(), float(problem.value),
                objective_at(measured, program, X), fit_violation(measured, program, X),
                model.dual_bound() * model.beta * model.scale))
            if solver.startswith("SCS"):
                break  # SCS does not depend on CLARABEL's configuration
        if not candidates:
            raise RuntimeError("; ".join(errors))
        feasible = [c for c in candidates if c.violation <= ORACLE_FEASIBLE]
        best = (min(feasible, key=lambda c: c.value) if feasible
                else min(candidates, key=lambda c: c.violation))
        kept = feasible or [best]
        optimum.solver = best.solver
        optimum.X, optimum.value, optimum.feasibility = best.X, best.value, best.violation
        # Every candidate's dual bound is a valid lower bound; the best answer's objective an
        # upper bound (to its fit violation, ≤ ORACLE_FEASIBLE).
        optimum.lower = max(c.bound for c in candidates)
        if math.isfinite(optimum.lower):
            optimum.accuracy = max(best.value - optimum.lower, 0.0) / abs(best.value)
        else:  # no dual bound: fall back on the solver's report and the answers' agreement
            optimum.accuracy = max([best.accuracy] + [abs(c.value - best.value) / abs(best.value)
                                                       for c in kept])
        sigma = np.linalg.svd(optimum.X, compute_uv=False)
        optimum.rank = int((sigma > RANK_TOL * sigma[0]).sum()) if sigma[0] > 0 else 0
        decide_uniqueness(model, best, kept, optimum)
    except Exception as error:  # noqa: BLE001  (reported as the case's verdict)
        optimum.error = " ".join(str(error).split()) or type(error).__name__
    optimum.seconds = time.perf_counter() - start
    return optimum


def decide_uniqueness(model: _Model, best: _Candidate, answers: Sequence[_Candidate],
                      optimum: Optimum) -> None:
    """Whether the minimizer is unique to the resolution a comparison of X at X_TOL needs:
    whether the near-optimal set F_η = {fit, objective ≤ optimum·(1 + η)},
    η = max(FACE_SLACK, the oracle's accuracy), extends along a random direction G (unit
    norm, seeded) by at most UNIQUE_SPREAD·‖X*‖_F.

    F_η itself is a thin set that interior-point solvers handle poorly, so it is probed
    through tilted problems min f(X) ± ε·f*·⟨G, X⟩/‖X*‖ (ε in TILTS), as well conditioned as
    the program. With X_ε the tilted minimizer, Δ = ‖X_ε − X*‖/‖X*‖ and r = (f(X_ε) − f*)/f*,
    convexity gives, for the extent E of F_η along G (relative to ‖X*‖):

    - E ≤ Δ + 2η/ε along G, since X_ε minimizes f ∓ ε·f*⟨G, ·⟩/‖X*‖, so on F_η that
      functional is at least its value at X_ε (2η: f* is the computed level, which may exceed
      the true optimum by the accuracy ≤ η). Small for a sharp minimum at ε ≈ 1e-2 and, for
      quadratic growth, at ε ≈ √η;
    - E ≥ Δ·min(1, η/r) in norm: the point of the segment X*→X_ε at fraction min(1, η/r) lies
      in F_η. A flat direction shows at once; so do answers of the oracle that lie in F_η yet
      apart from X*.

    Unique when some ε gives an upper bound ≤ UNIQUE_SPREAD (and the oracle's answers in F_η
    agree that well); not unique when a lower bound exceeds it, or a tilted problem is
    unbounded (an unbounded set of minimizers, e.g. a completion row that nothing observes or
    weighs); undecided otherwise. `spread` records the bound that decided."""
    cp = _cvxpy()
    X_model = best.X_model
    norm = max(float(np.linalg.norm(X_model)), 1e-300)
    level = abs(best.level)
    eta = max(FACE_SLACK, optimum.accuracy)
    spread_of_answers = max(float(np.linalg.norm(c.X - best.X) / np.linalg.norm(best.X))
                            for c in answers if c.value <= best.value * (1 + eta))
    G = np.random.default_rng(12345).standard_normal(X_model.shape)
    G /= np.linalg.norm(G)
    upper, lower = math.inf, spread_of_answers
    try:
        for epsilon in TILTS:
            moves = []
            for sign in (1.0, -1.0):
                tilt = sign * epsilon * level / norm
                tilted = cp.Problem(
                    cp.Minimize(model.objective + tilt * cp.sum(cp.multiply(G, model.X))),
                    model.constraints)
                _solve_once(tilted)
                moved = float(np.linalg.norm(np.asarray(model.X.value) - X_model)) / norm
                rise = (float(model.objective.value) - best.level) / level
                moves.append(moved)
                lower = max(lower, moved * min(1.0, eta / rise) if rise > 0 else moved)
            upper = min(upper, max(moves) + 2 * eta / epsilon)
            if lower > UNIQUE_SPREAD:
                optimum.unique, optimum.spread = False, lower
                return
            if max(upper, spread_of_answers) <= UNIQUE_SPREAD:
                optimum.unique, optimum.spread = True, max(upper, spread_of_answers)
                return
    except Unbounded:
        optimum.unbounded_face, optimum.unique, optimum.spread = True, False, math.inf
        return
    except RuntimeError:
        pass  # a tilted problem the solvers could not answer: undecided
    optimum.unique, optimum.spread = None, upper


# MARK: - Running solve-flat


@dataclass
class SolverRun:
    exit: int | None                # None: timed out
    X: np.ndarray | None
    attributes: dict
    stderr: str
    seconds: float


def solver_arguments(case: CaseSpec, measured: Measured) -> list[str]:
    arguments = ["--method", case.method, "--quiet"]
    if case.fit == "l1-budget":
        arguments += ["--l1-budget", repr(l1_budget(case, measured))]
    elif case.fit == "oracle-budget":
        arguments += ["--oracle-budget"]
    elif case.fit == "penalized":
        arguments += ["--penalized"] + (["--lambda", repr(case.lam)] if case.lam is not None else [])
    if case.rank is not None:
        arguments += ["--width", str(case.rank)]
    return arguments


def run_solver(bin_dir: str, stream: bytes, arguments: Sequence[str]) -> SolverRun:
    start = time.perf_counter()
    try:
        result = run_tool(bin_dir, "solve-flat", arguments, stream, timeout=SOLVER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return SolverRun(None, None, {}, "timed out", time.perf_counter() - start)
    seconds = time.perf_counter() - start
    X, attributes = None, {}
    if result.stdout:
        try:
            estimate = frames_by_name(result.stdout).get("estimate")
        except flatframes.FrameError:
            estimate = None
        if estimate is not None:
            X, attributes = np.asarray(estimate.array, dtype=np.float64), dict(estimate.attributes)
    attributes.pop("provenance", None)
    return SolverRun(result.returncode, X, attributes, result.stderr.decode().strip(), seconds)


# MARK: - Judging


@dataclass
class Result:
    """One case: what the solver said, what the oracle says, and the verdict."""

    model: str
    instance: str
    variant: str
    method: str
    exit: int | None
    objective: float | None          # the estimate's objective attribute
    optimum: float | None            # the oracle's: the objective of a minimizer that fits
    optimum_lower: float | None      # the oracle's certified lower bound on the optimum
    objective_gap: float | None      # (objective − optimum)/optimum
    x_gap: float | None              # ‖X̂ − X*‖_F/‖X*‖_F, where X* is unique
    x_objective_gap: float | None    # (method's objective at X̂ − optimum)/optimum
    fit_violation: float | None
    unique: bool | None
    spread: float | None
    lower_bound: float | None
    lower_bound_ok: bool | None      # None: no lower bound reported
    lower_bound_allowance: float | None  # relative: LOWER_BOUND_TOL + the oracle's accuracy
    optimal: bool | None             # the truth of the matter (None: the oracle failed)
    optimum_rank: int | None
    solver_width: int | None         # the estimate's rank attribute (factor width)
    default_width: int
    converged: Any
    scaled_trace: float | None
    solver_seconds: float
    oracle_seconds: float
    oracle_solver: str
    oracle_accuracy: float
    failures: list[str] = field(default_factory=list)
    stderr: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def name(self) -> str:
        return f"{self.model} | {self.instance} | {self.variant}"

    @property
    def ident(self) -> str:
        return ascii_ident(self.name)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def relative(value: float | None, reference: float) -> float | None:
    if value is None or not math.isfinite(reference):
        return None
    return (value - reference) / abs(reference) if reference != 0 else value - reference


def judge(case: CaseSpec, bin_dir: str) -> Result:
    """Runs one case and compares the solver's answer with the oracle's."""
    stream = make_instance(case.instance, bin_dir)
    measured = measure(stream)
    program = program_of(case, measured)
    run = run_solver(bin_dir, stream, solver_arguments(case, measured))
    optimum = solve_program(case.instance, bin_dir, program)
    a = run.attributes
    result = Result(
        model=case.model, instance=case.instance.label, variant=case.variant, method=case.method,
        exit=run.exit, objective=_number(a.get("objective")), optimum=None,
        optimum_lower=_number(optimum.lower), objective_gap=None,
        x_gap=None, x_objective_gap=None, fit_violation=None, unique=optimum.unique,
        spread=optimum.spread if math.isfinite(optimum.spread) else None,
        lower_bound=_number(a.get("lower_bound")), lower_bound_ok=None, lower_bound_allowance=None,
        optimal=None, oracle_accuracy=optimum.accuracy,
        optimum_rank=optimum.rank if optimum.X is not None else None,
        solver_width=int(a["rank"]) if "rank" in a else None,
        default_width=default_width(measured.d1, measured.d2, measured.m),
        converged=a.get("converged"), scaled_trace=_number(a.get("scaled_trace")),
        solver_seconds=run.seconds, oracle_seconds=optimum.seconds,
        oracle_solver=optimum.solver, stderr=run.stderr)
    if optimum.error or optimum.X is None:
        result.failures.append(f"oracle failed: {optimum.error}")
        return result
    result.optimum = optimum.value
    result.objective_gap = relative(result.objective, optimum.value)
    if run.X is not None and run.X.shape == optimum.X.shape:
        result.fit_violation = fit_violation(measured, program, run.X)
        result.x_objective_gap = relative(objective_at(measured, program, run.X), optimum.value)
        if optimum.unique:
            result.x_gap = float(np.linalg.norm(run.X - optimum.X) / np.linalg.norm(optimum.X))
        result.optimal = bool(result.fit_violation <= FIT_TOL
                              and abs(result.x_objective_gap) <= OBJECTIVE_TOL
                              and (result.x_gap is None or result.x_gap <= X_TOL))
    else:
        result.optimal = False
    if result.lower_bound is not None:
        # The oracle's optimum is the objective of a point that fits (to ORACLE_FEASIBLE), an
        # upper bound on the true optimum, so a lower_bound above it by more than
        # LOWER_BOUND_TOL is certainly wrong; if that point does not fit, the certified
        # uncertainty is allowed on top.
        result.lower_bound_allowance = LOWER_BOUND_TOL + (
            0.0 if optimum.feasibility <= ORACLE_FEASIBLE else optimum.accuracy)
        result.lower_bound_ok = bool(result.lower_bound
                                     <= optimum.value * (1 + result.lower_bound_allowance))

    # The verdict.
    if run.exit is None:
        result.failures.append("timeout")
    elif run.exit not in (0, 3):
        result.failures.append(f"exit {run.exit}")
    elif run.X is None:
        result.failures.append("no estimate")
    elif run.exit == 0 and not result.optimal:
        result.failures.append("exit 0, not optimal")
    elif run.exit == 3 and result.optimal:
        result.failures.append("exit 3, optimal")
    if result.optimal and (result.objective_gap is None or abs(result.objective_gap) > OBJECTIVE_TOL):
        result.failures.append("objective attribute off")
    if result.lower_bound_ok is False:
        result.failures.append("lower_bound > optimum")
    return result


# MARK: - Suites


def _instance(model: str, label: str, truth: Sequence[str], sample: Sequence[str],
              **extra) -> InstanceSpec:
    return InstanceSpec(model, label, tuple(truth), tuple(sample), **extra)


def gaussian(d: int, r: int, m: int, seed: int, noise: float = 0.0, model: str = "gaussian") -> InstanceSpec:
    sample = ["--operator", "gaussian", "--m", str(m), "--seed", str(100 + seed)]
    if noise:
        sample += ["--noise", repr(noise)]
    label = f"{d}×{d} r{r} m{m}" + (f" σ{noise:g}" if noise else "") + f" s{seed}"
    return _instance(model, label, ["--d1", str(d), "--rank", str(r), "--seed", str(seed)], sample)


def bilinear(d1: int, d2: int, r: int, m: int, seed: int, model: str = "bilinear") -> InstanceSpec:
    return _instance(model, f"{d1}×{d2} r{r} m{m} s{seed}",
                     ["--d1", str(d1), "--d2", str(d2), "--rank", str(r), "--seed", str(seed)],
                     ["--operator", "bilinear", "--m", str(m), "--seed", str(100 + seed)])


def completion(d: int, r: int, p: float, seed: int, low: float | None = None,
               model: str | None = None) -> InstanceSpec:
    model = model or ("completion (uniform)" if low is None else "completion (uneven rows)")
    label = f"{d}×{d} r{r} p{p:g}" + (f" low{low:g}" if low is not None else "") + f" s{seed}"
    return _instance(model, label, ["--d1", str(d), "--rank", str(r), "--seed", str(seed)],
                     ["--operator", "completion", "--p", repr(p), "--seed", str(100 + seed)],
                     uneven_low=low, uneven_seed=200 + seed)


def quadratic(d: int, r: int, m: int, seed: int, negative: int = 0, sample_seed: int | None = None,
              noise: float = 0.0, under: bool = False) -> InstanceSpec:
    truth = ["--d1", str(d), "--rank", str(r), "--seed", str(seed)]
    truth += ["--kind", "signed", "--rank-neg", str(negative)] if negative else ["--kind", "psd"]
    sample = ["--operator", "quadratic", "--m", str(m),
              "--seed", str(sample_seed if sample_seed is not None else 100 + seed)]
    if noise:
        sample += ["--noise", repr(noise)]
    model = "quadratic (" + ("signed" if negative else "psd") + (", under-sampled" if under else "") \
        + ")" + (" noisy" if noise else "")
    label = f"d{d} r{r}" + (f"−{negative}" if negative else "") + f" m{m}" + (f" σ{noise:g}" if noise else "") \
        + f" s{seed}" + (f"/{sample_seed}" if sample_seed is not None else "")
    return _instance(model, label, truth, sample)


def robust_pca(d: int, r: int, fraction: float, seed: int) -> InstanceSpec:
    return _instance("robust PCA", f"{d}×{d} r{r} {fraction:g} outliers s{seed}",
                     ["--d1", str(d), "--rank", str(r), "--seed", str(seed)],
                     ["--operator", "identity", "--seed", str(100 + seed)],
                     corrupt=("--fraction", repr(fraction), "--seed", str(300 + seed)))


def cases_for(instance: InstanceSpec, ranks: Sequence[int | None] = (None,),
              fits: Sequence[dict] = ({},), methods: Sequence[str] = METHODS) -> list[CaseSpec]:
    return [CaseSpec(instance, method, rank=rank, **fit)
            for fit in fits for method in methods for rank in ranks]


ROBUST_FITS = ({"fit": "l1-budget", "l1_budget_scale": 0.8}, {"fit": "oracle-budget"},
               {"fit": "penalized"})


def full_suite(seed_offset: int = 0) -> list[CaseSpec]:
    """Every model × method with 2–3 seeds, including under-sampled instances; a seed offset
    gives the same cases on instances the solver was not tuned on."""
    cases: list[CaseSpec] = []
    for seed in (1 + seed_offset, 2 + seed_offset, 3 + seed_offset):
        # Sampled well (m = 2.5·r(d1 + d2)): the truth is the unique minimizer.
        cases += cases_for(gaussian(10, 2, 100, seed))
        # Under-sampled (m = 30 < r(d1 + d2 − r) = 44): flat ≠ min-norm, and the optimum's rank
        # exceeds the old default width 1. Without --width, and with --width 2, where the
        # optimum cannot be reached and exit 3 is the right answer.
        cases += cases_for(gaussian(12, 2, 30, seed, model="gaussian (under-sampled)"), ranks=(None, 2))
        cases += cases_for(bilinear(12, 10, 2, 80, seed))
        cases += cases_for(completion(15, 2, 0.6, seed))
        # Rows observed from p0 = 0.7 down to 0.14; the third seed leaves the last row
        # unobserved (a zero weight in D1, and X free in that row under the weighted norm).
        cases += cases_for(completion(15, 2, 0.7, seed, low=0.2 if seed < 3 else 0.0))
        cases += cases_for(robust_pca(15, 2, 0.05, seed), fits=ROBUST_FITS)
        cases += cases_for(gaussian(10, 2, 100, seed, noise=0.01, model="noisy gaussian"))
    for seed in (1 + seed_offset, 2 + seed_offset):
        cases += cases_for(bilinear(12, 10, 2, 36, seed, model="bilinear (under-sampled)"), ranks=(None, 2))
        cases += cases_for(completion(12, 2, 0.35, seed, model="completion (uniform, under-sampled)"))
        cases += cases_for(quadratic(10, 2, 60, seed))
        cases += cases_for(quadratic(12, 2, 80, seed, negative=1))
        cases += cases_for(quadratic(10, 2, 60, seed, noise=0.01))
    # Under-sampled quadratic instances (default width 1 or 2, below the optimum's rank): the
    # default, an explicit small width, and the full width. (d10 m30 s1/101 is the instance
    # on which min-norm was seen to exit 0 at 6.5% above the optimum.)
    for seed in (1 + seed_offset, 2 + seed_offset):
        cases += cases_for(quadratic(10, 2, 30, seed, sample_seed=100 + seed, under=True),
                           ranks=(None, 1, 10))
        cases += cases_for(quadratic(12, 2, 50, seed, negative=1, under=True), ranks=(None, 1, 12))
    return cases


def small_suite(seed_offset: int = 0) -> list[CaseSpec]:
    """A representative subset: every model and every method at least once, small sizes."""
    s = 1 + seed_offset
    under = gaussian(10, 2, 24, s, model="gaussian (under-sampled)")
    robust = robust_pca(10, 2, 0.05, s)
    return [
        CaseSpec(gaussian(8, 1, 30, s), "flat"),
        CaseSpec(under, "min-norm"),
        CaseSpec(under, "flat", rank=1),
        CaseSpec(bilinear(8, 6, 1, 30, s), "convex"),
        CaseSpec(completion(10, 1, 0.6, s), "flat"),
        CaseSpec(completion(10, 1, 0.7, s, low=0.2), "min-norm"),
        CaseSpec(quadratic(8, 2, 20, s, under=True), "min-norm"),
        CaseSpec(quadratic(8, 1, 40, s, negative=1), "flat"),
        CaseSpec(robust, "flat", fit="oracle-budget"),
        CaseSpec(robust, "convex", fit="penalized"),
        CaseSpec(robust, "min-norm", fit="l1-budget", l1_budget_scale=0.8),
        CaseSpec(gaussian(8, 1, 40, s, noise=0.01, model="noisy gaussian"), "convex"),
    ]


SUITES = {"full": full_suite, "small": small_suite}

#: Cases (by ident) the solver is known to get wrong, each with why. Both suites report them
#: apart from the rest and stay strict: a known failure that passes fails the run, so a fix
#: shows and its entry goes with it.
KNOWN_FAILURES = {
    "completion-uniform-15x15-r2-p0.6-s2-flat":
        "optimal to 6e-10, but exit 3: the optimum's weighted singular values span six decades, "
        "and the rank-8 point Newton's method reaches exactly has a unique multiplier of norm "
        "2.04 > 2; a certificate to 1e-8 needs a multiplier off that point's conditions",
}


def verdict_counts(results: Sequence[Result]) -> tuple[list[Result], list[Result], list[Result]]:
    """(unexpected failures, known failures, known failures that passed)."""
    unexpected = [r for r in results if not r.passed and r.ident not in KNOWN_FAILURES]
    known = [r for r in results if not r.passed and r.ident in KNOWN_FAILURES]
    fixed = [r for r in results if r.passed and r.ident in KNOWN_FAILURES]
    return unexpected, known, fixed


# MARK: - Running and reporting


def _judge_group(cases: Sequence[CaseSpec], bin_dir: str) -> list[Result]:
    return [judge(case, bin_dir) for case in cases]


def run_cases(cases: Sequence[CaseSpec], bin_dir: str, jobs: int = 1) -> list[Result]:
    """Judges every case, in order; with jobs > 1 the instances are spread over processes
    (the cases of one instance stay together, sharing its stream and programs)."""
    groups: dict[InstanceSpec, list[CaseSpec]] = {}
    for case in cases:
        groups.setdefault(case.instance, []).append(case)
    if jobs <= 1:
        by_case = {case: result for group in groups.values()
                   for case, result in zip(group, _judge_group(group, bin_dir))}
    else:
        by_case = {}
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_judge_group, group, bin_dir): group for group in groups.values()}
            for future in concurrent.futures.as_completed(futures):
                by_case.update(zip(futures[future], future.result()))
    return [by_case[case] for case in cases]


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ok" if value else "NO"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:.{digits}g}" if value == 0 or 1e-3 <= abs(value) < 1e4 else f"{value:.{digits - 1}e}"
    return str(value)


def _x_column(result: Result) -> str:
    """The X gap where the minimizer is unique; else why X is not compared."""
    if result.optimum is None:
        return "—"
    if result.unique is None:
        return "undecided"
    if not result.unique:
        if result.spread is not None and result.spread <= FACE_SPREAD:
            return f"unresolved ({_fmt(result.spread, 1)})"
        return "not unique"
    return _fmt(result.x_gap, 2)


def table_rows(results: Sequence[Result]) -> list[list[str]]:
    header = ["model", "instance", "method", "exit", "objective", "optimum", "objective gap",
              "X gap", "X-objective gap", "rank opt/width/default", "lower bound", "verdict"]
    rows = [header]
    for r in results:
        ranks = f"{_fmt(r.optimum_rank)}/{_fmt(r.solver_width)}/{r.default_width}"
        verdict = "pass" if r.passed else "FAIL: " + "; ".join(r.failures)
        rows.append([r.model, r.instance, r.variant, _fmt(r.exit), _fmt(r.objective, 7),
                     _fmt(r.optimum, 7), _fmt(r.objective_gap, 2), _x_column(r),
                     _fmt(r.x_objective_gap, 2), ranks, _fmt(r.lower_bound_ok), verdict])
    return rows


def markdown(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def summary(results: Sequence[Result]) -> list[dict]:
    """Per model × method: the worst objective gap and the worst X gap (unique minimizers)."""
    keys: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        keys.setdefault((r.model, r.method), []).append(r)
    out = []
    for (model, method), group in keys.items():
        objective_gaps = [abs(r.objective_gap) for r in group if r.objective_gap is not None]
        x_gaps = [r.x_gap for r in group if r.x_gap is not None]
        x_objective_gaps = [abs(r.x_objective_gap) for r in group if r.x_objective_gap is not None]
        certified = [abs(r.x_objective_gap) for r in group
                     if r.exit == 0 and r.x_objective_gap is not None]
        out.append({"model": model, "method": method, "cases": len(group),
                    "passed": sum(r.passed for r in group),
                    "worst_objective_gap": max(objective_gaps) if objective_gaps else None,
                    "worst_x_gap": max(x_gaps) if x_gaps else None,
                    "worst_x_objective_gap": max(x_objective_gaps) if x_objective_gaps else None,
                    "worst_x_objective_gap_exit_0": max(certified) if certified else None})
    return out


def summary_rows(entries: Sequence[dict]) -> list[list[str]]:
    rows = [["model", "method", "passed", "worst objective gap", "worst X gap",
             "worst X-objective gap", "same, exit 0 only"]]
    for e in entries:
        rows.append([e["model"], e["method"], f"{e['passed']}/{e['cases']}",
                     _fmt(e["worst_objective_gap"], 2), _fmt(e["worst_x_gap"], 2),
                     _fmt(e["worst_x_objective_gap"], 2), _fmt(e["worst_x_objective_gap_exit_0"], 2)])
    return rows


def report_text(results: Sequence[Result], seconds: float) -> str:
    parts = [markdown(table_rows(results)), "", "Worst gaps per model × method:", "",
             markdown(summary_rows(summary(results))), ""]
    failed = [r for r in results if not r.passed]
    kinds: dict[str, int] = {}
    for r in failed:
        for failure in r.failures:
            kind = failure.split(":")[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    unexpected, known, fixed = verdict_counts(results)
    parts.append(f"{len(results) - len(failed)} passed, {len(failed)} failed "
                 f"({len(known)} of them known) ({len(results)} cases, {seconds:.1f} s)")
    if kinds:
        parts.append("failures by kind: " + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())))
    for r in known:
        parts.append(f"known failure: {r.name}: {KNOWN_FAILURES[r.ident]}")
    for r in fixed:
        parts.append(f"known failure now passes (remove it from KNOWN_FAILURES): {r.name}")
    return "\n".join(parts)


def _json_ready(value: Any) -> Any:
    """Non-finite floats as null, numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def result_json(result: Result) -> dict:
    data = dataclasses.asdict(result)
    data["passed"] = result.passed
    return _json_ready(data)


def describe(result: Result) -> str:
    """One case's row, spelled out: what a failing test prints."""
    lines = [f"{result.model} | {result.instance} | {result.variant}",
             f"  verdict: {'pass' if result.passed else 'FAIL: ' + '; '.join(result.failures)}"]
    for key in ("exit", "objective", "optimum", "optimum_lower", "objective_gap", "x_gap",
                "x_objective_gap", "fit_violation", "unique", "spread", "lower_bound",
                "lower_bound_ok", "optimal", "optimum_rank", "solver_width", "default_width",
                "converged", "oracle_solver", "oracle_accuracy"):
        lines.append(f"  {key}: {getattr(result, key)}")
    if result.stderr:
        lines.append(f"  solve-flat stderr: {result.stderr}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=sorted(SUITES), default="full",
                        help="which cases (default: full)")
    parser.add_argument("--bin", default=os.environ.get("FLATMIN_BIN"),
                        help="folder of the built tools (default: $FLATMIN_BIN)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--filter", default="",
                        help="only cases whose 'model | instance | method' contains this text")
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--seed-offset", type=int, default=0,
                        help="add this to every instance seed: the same cases on unseen instances")
    options = parser.parse_args(argv)
    if not options.bin:
        parser.error("no tools: pass --bin DIR or set FLATMIN_BIN")
    bin_dir = os.path.abspath(options.bin)
    cases = [case for case in SUITES[options.suite](options.seed_offset) if options.filter in case.name]
    start = time.perf_counter()
    results = run_cases(cases, bin_dir, options.jobs)
    seconds = time.perf_counter() - start
    if options.json:
        json.dump(_json_ready({"bin": bin_dir, "suite": options.suite, "seconds": seconds,
                   "tolerances": {"objective": OBJECTIVE_TOL, "x": X_TOL, "fit": FIT_TOL,
                                  "lower_bound": LOWER_BOUND_TOL, "unique_spread": UNIQUE_SPREAD},
                   "results": [result_json(r) for r in results], "summary": summary(results)}),
                  sys.stdout, indent=1, allow_nan=False)
        print()
    else:
        print(report_text(results, seconds))
    unexpected, _, fixed = verdict_counts(results)
    return 0 if not unexpected and not fixed else 1


if __name__ == "__main__":
    sys.exit(main())
