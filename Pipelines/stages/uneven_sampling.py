#!/usr/bin/env python3
"""uneven_sampling.py — a pipeline stage in Python: makes matrix-completion sampling uneven by rows.

    … | sample-measurements --operator completion --p P0 --seed S \\
      | python3 Pipelines/stages/uneven_sampling.py --low 0.25 --seed S | solve-flat | …

Keeps each observed entry (i, j) with probability w_i, where the row weights fall linearly
from 1 (row 0) to --low (the last row), so the top rows are observed up to 1/low times as
often as the bottom ones; columns stay uniform. With P0 = p / mean(w) = p / ((1 + low)/2) the
expected sampling rate is p (Pipelines/reproduce/matrix-completion.sh does this).

Options:
  --low L     the last row's keep probability, 0 < L ≤ 1 (default 0.25)
  --seed S    64-bit seed of numpy's default_rng (PCG64) (default 0)

Consumes 'entries' and 'observations' and appends the thinned pair with the same attributes
plus uneven_low and a provenance entry for this stage; every other frame is forwarded byte for
byte (Pipelines/stages/corrupt_columns.py's docstring explains how stages work).
"""
import argparse
import sys

import numpy as np
from flatframes import add_provenance, run_stage

TOOL = "uneven_sampling.py"


def parse(arguments):
    parser = argparse.ArgumentParser(prog=TOOL, description="Thin completion samples unevenly by rows.")
    parser.add_argument("--low", type=float, default=0.25,
                        help="keep probability of the last row; the first row keeps all (default 0.25)")
    parser.add_argument("--seed", type=int, default=0, help="seed of numpy's default_rng (default 0)")
    options = parser.parse_args(arguments)
    if not 0 < options.low <= 1:
        raise ValueError(f"--low must be in (0, 1], not {options.low}")
    if not 0 <= options.seed < 2**64:
        raise ValueError("--seed must be a 64-bit unsigned integer")
    return options


def row_weights(d1, low):
    return np.linspace(1.0, low, d1) if d1 > 1 else np.ones(1)


def thin(consumed, arguments):
    options = parse(arguments)
    frames = {frame.name: frame for frame in consumed}
    if "entries" not in frames or "observations" not in frames:
        raise ValueError("the stream has no completion sample ('entries' and 'observations'): "
                         "run sample-measurements --operator completion first")
    entries, observations = frames["entries"], frames["observations"]
    d1 = int(observations.attributes["d1"])
    keep = np.random.default_rng(options.seed).random(entries.array.shape[0]) \
        < row_weights(d1, options.low)[entries.array[:, 0]]
    args = [str(a) for a in arguments]

    def attributes(frame):
        return add_provenance({**frame.attributes, "uneven_low": options.low}, TOOL, args, seed=options.seed)
    yield "entries", np.ascontiguousarray(entries.array[keep]), attributes(entries)
    yield "observations", np.ascontiguousarray(observations.array[keep]), attributes(observations)


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        parse(sys.argv[1:])  # prints the usage and exits before any input is read
    run_stage(thin, consumes=["entries", "observations"])
