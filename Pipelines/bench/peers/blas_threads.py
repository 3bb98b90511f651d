"""Sets OpenBLAS's thread count from a peer's ``--threads N`` option before numpy loads it.

Imported, and ``pin_from_argv()`` called, before numpy by each peer script. One thread is
the default because it was the fastest here for both peers: on the 2-core build machine the
L-BFGS peer ran 5-10× slower with multi-threaded OpenBLAS (its many small products wake the
thread pool every time), and multi-threaded OpenBLAS collapses when other work shares the
cores. ``--threads 0`` leaves OpenBLAS's own default (all cores).
"""

import os
import sys


def pin_from_argv(default: str = "1") -> None:
    threads = default
    for index, argument in enumerate(sys.argv):
        if argument == "--threads" and index + 1 < len(sys.argv):
            threads = sys.argv[index + 1]
        elif argument.startswith("--threads="):
            threads = argument.split("=", 1)[1]
    if "numpy" in sys.modules:
        raise RuntimeError("blas_threads.pin_from_argv() must run before numpy is imported")
    if threads != "0":
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = threads
