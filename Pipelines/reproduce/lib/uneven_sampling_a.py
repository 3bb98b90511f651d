"""A Python stage (Pipelines/flatframes.py) that makes matrix-completion sampling uneven.

    … | sample-measurements --operator completion --p P0 | uneven_sampling_a.py --low 0.25 --seed S | …

Keeps each observed entry (i, j) with probability w_i, where the row weights fall linearly
from 1 (row 0) to --low (the last row), so the top rows are observed up to 1/low times as
often as the bottom ones; columns stay uniform. With P0 = p / mean(w) the expected rate is p.
Consumes 'entries' and 'observations' and appends the thinned pair with the same attributes
(plus uneven_low and a provenance entry). Seeded by --seed (numpy PCG64).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import flatframes  # noqa: E402


def row_weights(d1, low):
    return np.linspace(1.0, low, d1) if d1 > 1 else np.ones(1)


def thin(consumed, arguments):
    parser = argparse.ArgumentParser(prog="uneven_sampling_a.py")
    parser.add_argument("--low", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(arguments)
    frames = {f.name: f for f in consumed}
    entries, observations = frames["entries"], frames["observations"]
    d1 = int(observations.attributes["d1"])
    rng = np.random.default_rng(args.seed)
    w = row_weights(d1, args.low)
    keep = rng.random(entries.array.shape[0]) < w[entries.array[:, 0]]
    def attributes(frame):
        a = dict(frame.attributes)
        a["uneven_low"] = args.low
        return flatframes.add_provenance(a, "uneven_sampling_a.py", arguments, args.seed)
    return [("entries", np.ascontiguousarray(entries.array[keep]), attributes(entries)),
            ("observations", np.ascontiguousarray(observations.array[keep]), attributes(observations))]


if __name__ == "__main__":
    flatframes.run_stage(thin, consumes=["entries", "observations"])
