"""What the solver peers share: reading a dense Gaussian sensing instance, the rescaling
D1, D2 of docs/mathematics.md §2, the default rank, and the one-line JSON report.

Conventions are the stream's (README, *Frame names*): ``sensing`` is m×d1×d2 column-major,
so ``A = sensing.reshape(m, d1*d2, order="F")`` is a view whose row i is vec(A_i), and
``A(X) = A @ X.ravel(order="F")``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

import flatframes


@dataclass
class Instance:
    A: np.ndarray       # m × (d1·d2), row i = vec(A_i) (column-major vec)
    b: np.ndarray       # m
    truth: np.ndarray   # d1 × d2
    d1: int
    d2: int

    @property
    def m(self) -> int:
        return self.A.shape[0]

    def apply(self, X: np.ndarray) -> np.ndarray:
        return self.A @ X.ravel(order="F")

    def relative_error(self, X: np.ndarray) -> float:
        return float(np.linalg.norm(X - self.truth) / np.linalg.norm(self.truth))

    def residual(self, X: np.ndarray) -> float:
        return float(np.linalg.norm(self.apply(X) - self.b) / np.linalg.norm(self.b))


def read_frames(path: str, names=None) -> dict:
    """The frames of the stream at ``path`` by name (the last of each name), only ``names`` when
    given (the others are skipped without decoding their payload)."""
    wanted = None if names is None else set(names)
    frames = {}
    with open(path, "rb") as source:
        if wanted is None:
            for frame in flatframes.read_frames(source):
                frames[frame.name] = frame
        else:
            for header, data in flatframes.iter_raw_frames(source):
                if header.get("name") in wanted:
                    frame = next(flatframes.read_frames(data))
                    frames[frame.name] = frame
    missing = sorted(set(names or ()) - set(frames))
    if missing:
        raise SystemExit(f"{os.path.basename(sys.argv[0])}: {path} has no {', '.join(missing)} frame")
    return frames


def read_instance(path: str) -> Instance:
    """The Gaussian sensing instance in the stream at ``path`` (truth, sensing, observations)."""
    frames = {}
    with open(path, "rb") as source:
        for frame in flatframes.read_frames(source):
            frames[frame.name] = frame
    for name in ("truth", "sensing", "observations"):
        if name not in frames:
            raise SystemExit(f"{os.path.basename(sys.argv[0])}: {path} has no '{name}' frame "
                             "(the peers need a dense Gaussian sensing instance)")
    observations = frames["observations"]
    family = observations.attributes.get("operator")
    if family != "gaussian":
        raise SystemExit(f"{os.path.basename(sys.argv[0])}: operator '{family}' is not supported "
                         "(the peers solve dense Gaussian sensing)")
    sensing = frames["sensing"].array
    m, d1, d2 = sensing.shape
    A = sensing.reshape(m, d1 * d2, order="F")  # a view: the frame is column-major
    return Instance(A=A, b=np.asarray(observations.array, dtype=np.float64),
                    truth=frames["truth"].array, d1=d1, d2=d2)


def rescaling(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """(D1², D2²) of docs/mathematics.md §2: (1/(m·d2)) Σ A_i A_iᵀ and (1/(m·d1)) Σ A_iᵀ A_i."""
    m, d1, d2 = instance.m, instance.d1, instance.d2
    S = instance.A.reshape(m, d1, d2, order="F")
    D1sq = np.tensordot(S, S, axes=([0, 2], [0, 2])) / (m * d2)
    D2sq = np.tensordot(S, S, axes=([0, 1], [0, 1])) / (m * d1)
    return (D1sq + D1sq.T) / 2, (D2sq + D2sq.T) / 2


def symmetric_power(S: np.ndarray, power: float) -> np.ndarray:
    """S^power for a symmetric positive definite S, by its eigendecomposition."""
    w, V = np.linalg.eigh(S)
    if w[0] <= 0:
        raise SystemExit(f"{os.path.basename(sys.argv[0])}: the rescaling is singular "
                         f"(smallest eigenvalue {w[0]:.3g})")
    return (V * w**power) @ V.T


def default_rank(d1: int, d2: int, m: int) -> int:
    """solve-flat's default k: the largest r with r(d1+d2−r) ≤ m, capped at min(d1, d2)."""
    k = 0
    while k < min(d1, d2) and (k + 1) * (d1 + d2 - k - 1) <= m:
        k += 1
    return max(k, 1)


def scaled_trace_of(X: np.ndarray, D1: np.ndarray, D2: np.ndarray) -> float:
    """2‖D1 X D2‖_*: the flattest scaled trace over factorizations of X (Theorem 3.2)."""
    return float(2 * np.linalg.svd(D1 @ X @ D2, compute_uv=False).sum())


def report(record: dict) -> None:
    """Prints the peer's result as one JSON line on stdout."""
    print(json.dumps(record, allow_nan=True), flush=True)


def ensure_module(module: str, package: str | None = None):
    """Imports ``module``, installing ``package`` with pip first (a message on stderr) if missing."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = package or module
        print(f"{os.path.basename(sys.argv[0])}: installing {package} (pip), needed once",
              file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        package], check=True, stdout=sys.stderr)
        importlib.invalidate_caches()
        return importlib.import_module(module)

