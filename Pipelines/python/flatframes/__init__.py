"""Read and write flatmin matrix-frame streams, and write pipeline stages, in Python.

A stream (specified in ``Sources/Frames/FORMAT.md``) is a sequence of named arrays, each
a JSON header (name, dtype, shape, order, attributes) in a zstd skippable frame followed by a
checksummed zstd frame holding one ``.npy`` file. The Swift tools read and write them on
pipes; this package reads and writes the same bytes. Only numpy and zstandard are needed
(pandas for ``read_report``).

A whole stream at once, from a path, bytes, a file object or ``"-"`` (stdin/stdout):

>>> import io
>>> import numpy as np
>>> import flatframes
>>> out = io.BytesIO()
>>> flatframes.save(out, {"truth": np.diag([2.0, 1.0]), "entries": np.array([[0, 0], [1, 1]])},
...                 attributes={"truth": {"rank": 2}})
>>> stream = flatframes.load(out.getvalue())
>>> stream
Stream(truth: float64 (2, 2), entries: int64 (2, 2))
>>> stream.attributes["truth"]["rank"], float(stream["truth"][0, 0])
(2, 2.0)

Frame by frame, for streams larger than memory (``names`` decodes only the frames asked
for and passes over the others without decompressing them):

>>> for frame in flatframes.read_frames(out.getvalue(), names={"entries"}):
...     print(frame.name, frame.array.tolist())
entries [[0, 0], [1, 1]]

A stage is a filter from stdin to stdout. ``run_stage`` forwards every frame it does not
consume byte for byte and appends the frames the transform returns. This one adds Gaussian
noise to the observations, and says so in their attributes: ``solve-flat`` fits
``‖A(X) − b‖ ≤ noise_std·√m``, so observations whose ``noise_std`` still says 0 would be
fitted exactly, noise and all (it could not certify the answer, and exits 3)::

    #!/usr/bin/env python3
    # add_noise.py SIGMA: adds N(0, SIGMA²) noise to noiseless observations.
    import numpy as np
    from flatframes import add_provenance, run_stage

    def add_noise(consumed, arguments):
        sigma = float(arguments[0])
        rng = np.random.default_rng(7)
        for frame in consumed:  # observations, and holdout_observations when there are some
            if frame.attributes.get("noise_std", 0) != 0:
                raise ValueError(f"{frame.name} are noisy already")
            noise = sigma * rng.standard_normal(frame.array.shape)
            attributes = {**frame.attributes, "noise_std": sigma, "noise_norm": float(np.linalg.norm(noise))}
            yield frame.name, frame.array + noise, add_provenance(attributes, "add_noise.py", arguments, seed=7)

    if __name__ == "__main__":
        run_stage(add_noise, consumes={"observations", "holdout_observations"})

used as ``sample-measurements … | python3 add_noise.py 0.01 | solve-flat | evaluate``.

``read_report`` turns ``evaluate --format json`` (or ``csv``) output into a pandas DataFrame.
"""

from ._io import Destination, Source
from ._version import __version__
from .frames import (
    DTYPES,
    FORMAT_NAME,
    FORMAT_VERSION,
    Frame,
    FrameError,
    FrameLike,
    canonical_json,
    is_layout_ambiguous,
    iter_raw_frames,
    npy_header_bytes,
    read_frames,
    to_bytes,
    write_frame,
    write_frames,
)
from .report import REPORT_KEYS, read_report, read_report_records
from .stage import add_provenance, run_stage
from .stream import Stream, load, save

__all__ = [
    "DTYPES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "REPORT_KEYS",
    "Destination",
    "Frame",
    "FrameError",
    "FrameLike",
    "Source",
    "Stream",
    "__version__",
    "add_provenance",
    "canonical_json",
    "is_layout_ambiguous",
    "iter_raw_frames",
    "load",
    "npy_header_bytes",
    "read_frames",
    "read_report",
    "read_report_records",
    "run_stage",
    "save",
    "to_bytes",
    "write_frame",
    "write_frames",
]
