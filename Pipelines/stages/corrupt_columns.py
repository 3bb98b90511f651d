#!/usr/bin/env python3
"""corrupt_columns.py — a pipeline stage in Python: column-wise corruption of a fully observed matrix.

Replaces a few whole columns of the identity operator's observation matrix ``Y`` (robust PCA's
``Y = M♮ + S♮``) by large values, and records what it did::

    generate-ground-truth --d1 30 --rank 2 --seed 1 \\
      | sample-measurements --operator identity \\
      | python3 Pipelines/stages/corrupt_columns.py --columns 2 --seed 1 \\
      | solve-flat --method convex --penalized \\
      | evaluate

Options:
  --columns K      how many columns to corrupt (default 2), drawn without replacement
  --magnitude A    each corrupted entry becomes ±A·max|Y| with a random sign (default 10)
  --seed S         64-bit seed of numpy's default_rng (PCG64) (default 0)

Output: every frame of the input except ``observations`` is forwarded byte for byte, in order;
then come, as new frames at the end of the stream:

  ``observations``        Y with the chosen columns replaced; its attributes are the input's plus
                          ``outliers`` (the total number of corrupted entries, which is how
                          ``solve-flat`` knows it must be told how to fit: ``--l1-budget``,
                          ``--oracle-budget`` or ``--penalized``), ``corrupted_columns`` and a
                          provenance entry for this stage;
  ``corrupted_columns``   int64 vector, the corrupted column indices (0-based, sorted), with the
                          attributes ``count``, ``magnitude``, ``target`` and provenance;
  ``outliers_support``,   the toolkit's outlier record (as ``corrupt-sparse`` writes it): the
  ``outliers_values``     column-major linear indices of the changed entries and the values
                          added (new − old), merged with any record already in the stream, so
                          that ``evaluate`` reports outlier precision/recall and
                          ``solve-flat --oracle-budget`` gets ‖S♮‖₁.

Writing your own stage
----------------------
A stage is a filter from stdin to stdout built on the ``flatframes`` package (``Pipelines/python``;
``Pipelines/ensure-dependencies.sh`` installs it, or ``pip install -e Pipelines/python``).
``flatframes.run_stage(transform, consumes={...})`` does the plumbing:

1. Frames whose names are in ``consumes`` are decoded (``Frame.name``, ``.array`` — a numpy
   array, column-major for matrices — ``.attributes``) and held back; every other frame is
   written to stdout verbatim as soon as it arrives, so the stages after yours see it unchanged.
2. At the end of the input, ``transform(consumed, arguments)`` is called with the held-back
   frames (in stream order) and the command line (``sys.argv[1:]``). It returns or yields
   ``(name, array, attributes)`` triples, which are appended to the stream as new frames.
   To *modify* a frame, consume it and yield it again under the same name (as this stage does
   with ``observations``): readers take the last frame of each name. A consumed frame that you
   do not yield again is dropped.
3. Keep the provenance chain: ``flatframes.add_provenance(attributes, "my_stage.py", arguments,
   seed=...)`` returns a copy of the attributes with an entry appended, enough to rerun the stage.
4. Errors: raise an exception; ``run_stage`` prints ``tool: message`` on stderr and exits 1.
   Binary output to a terminal is refused; a closed downstream pipe ends the stage quietly.

A minimal stage that scales the observations by 2::

    from flatframes import add_provenance, run_stage

    def double(consumed, arguments):
        for frame in consumed:
            yield frame.name, 2 * frame.array, add_provenance(frame.attributes, "double.py", arguments)

    if __name__ == "__main__":
        run_stage(double, consumes={"observations"})

Put it anywhere in a pipeline: ``… | python3 double.py | solve-flat | evaluate``. Test it the
way ``Pipelines/tests/test_custom_stage.py`` tests this one: run it on a stream made by the
tools, read the output with ``flatframes.read_frames`` and compare with numpy.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from flatframes import add_provenance, run_stage

TOOL = "corrupt_columns.py"


def parse(arguments):
    parser = argparse.ArgumentParser(prog=TOOL, description="Corrupt whole columns of the observation matrix.")
    parser.add_argument("--columns", type=int, default=2, help="number of columns to corrupt (default 2)")
    parser.add_argument("--magnitude", type=float, default=10.0,
                        help="corrupted entries are ±magnitude·max|Y| (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of numpy's default_rng (default 0)")
    options = parser.parse_args(arguments)
    if options.columns < 0:
        raise ValueError("--columns must be ≥ 0")
    if not 0 <= options.seed < 2**64:
        raise ValueError("--seed must be a 64-bit unsigned integer")
    return options


def corrupt_columns(consumed, arguments):
    options = parse(arguments)
    frames = {frame.name: frame for frame in consumed}
    if "observations" not in frames:
        raise ValueError("the stream has no 'observations' frame (run sample-measurements first)")
    observations = frames["observations"]
    y = observations.array
    if observations.attributes.get("operator") != "identity" or y.ndim != 2:
        raise ValueError("column corruption needs the identity operator's d1×d2 observations "
                         f"(got operator {observations.attributes.get('operator')!r}, shape {list(y.shape)})")
    d1, d2 = y.shape
    if options.columns > d2:
        raise ValueError(f"--columns {options.columns} exceeds the {d2} columns")

    rng = np.random.default_rng(options.seed)
    columns = np.sort(rng.choice(d2, size=options.columns, replace=False)).astype(np.int64)
    scale = options.magnitude * float(np.max(np.abs(y)))
    signs = rng.choice(np.array([-1.0, 1.0]), size=(d1, columns.size))
    corrupted = np.array(y, dtype=np.float64, order="F", copy=True)
    corrupted[:, columns] = scale * signs

    # The outlier record: column-major linear indices and the values added (new − old).
    support = (columns[None, :] * d1 + np.arange(d1, dtype=np.int64)[:, None]).reshape(-1, order="F")
    added = (corrupted - y).reshape(-1, order="F")[support]
    if "outliers_support" in frames and "outliers_values" in frames:  # stacked after corrupt-sparse
        total = dict(zip(frames["outliers_support"].array.tolist(), frames["outliers_values"].array.tolist()))
        for index, value in zip(support.tolist(), added.tolist()):
            total[index] = total.get(index, 0.0) + value
        support = np.array(sorted(total), dtype=np.int64)
        added = np.array([total[index] for index in support.tolist()], dtype=np.float64)
    else:
        added = added.astype(np.float64)

    details = {"target": "observations", "count": int(columns.size), "magnitude": options.magnitude,
               "value_scale": scale, "rows": d1}
    args = [str(a) for a in arguments]
    obs_attributes = dict(observations.attributes)
    obs_attributes["outliers"] = int(support.size)
    obs_attributes["corrupted_columns"] = columns.tolist()
    yield "observations", corrupted, add_provenance(obs_attributes, TOOL, args, seed=options.seed)
    yield "corrupted_columns", columns, add_provenance({**details, "columns": columns.tolist()}, TOOL, args,
                                                       seed=options.seed)
    record = {"target": "observations", "count": int(support.size), "distribution": "columns",
              "magnitude": scale}
    for name, array in (("outliers_support", support), ("outliers_values", added)):
        previous = frames[name].attributes if name in frames else {}
        yield name, array, add_provenance({**previous, **record}, TOOL, args, seed=options.seed)


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        parse(sys.argv[1:])  # prints the usage and exits before any input is read
    run_stage(corrupt_columns, consumes={"observations", "outliers_support", "outliers_values"})
