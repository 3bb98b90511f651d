"""What the benchmark scripts share: timed runs with their peak memory, and stream sizes."""
import json
import math
import os
import subprocess
import sys
import time

import flatframes


def measured_run(command, source_path, sink_path, name):
    """Runs `command` with stdin from source_path and stdout to sink_path; returns
    (wall seconds, peak resident bytes, as timed_run measures it), and stops the script if it fails."""
    run = timed_run(command, source_path, sink_path)
    if run["stderr"]:
        sys.stderr.write(run["stderr"])
    if run["status"] != 0:
        sys.exit(f"{name}: {command[0]} exited with status {run['status']}")
    return run["wall"], run["peak"]


def decoded_bytes(listing_path):
    """The array bytes of every frame listed by `frames ls --json` in listing_path."""
    total = 0
    for line in open(listing_path):
        header = json.loads(line)
        total += math.prod(header["shape"]) * flatframes.DTYPES[header["dtype"]].itemsize
    return total


# MARK: - What Pipelines/bench/run.sh (suite.py) adds: runs with a time limit, medians and
# ratios that tolerate missing figures, log-log slopes, and one relative error for every tool.


TIME = "/usr/bin/time"


def timed_run(command, stdin_path=None, stdout_path=None, timeout=None, env=None):
    """Runs `command` (stdin from stdin_path, stdout to stdout_path, /dev/null for either when
    None), killing it after `timeout` seconds. Returns a dict: wall (seconds), peak (resident
    bytes), status (the exit code; negative for a signal), timed_out, stderr (its text).

    The peak is the command's ru_maxrss as GNU time reports it (%M): started from this Python
    process, the command's own ru_maxrss would count this process' resident size too (Linux
    carries the high-water mark of the address space a child is forked or vforked from across
    exec), so a 10 MB tool run from a suite holding 200 MB would show 200 MB. time forks the
    command from its own ~2 MB image instead. Without /usr/bin/time, wait4's figure is kept, an
    upper bound. The command runs in a session of its own, killed whole at the time limit."""
    import signal
    import tempfile
    import threading

    use_time = os.access(TIME, os.X_OK)
    with open(stdin_path or os.devnull, "rb") as source, open(stdout_path or os.devnull, "wb") as sink, \
            tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile("r") as memory:
        wrapped = [TIME, "-f", "%M", "-o", memory.name, *command] if use_time else list(command)
        start = time.perf_counter()
        child = subprocess.Popen(wrapped, stdin=source, stdout=sink, stderr=errors, env=env, start_new_session=True)
        killed = threading.Event()

        def kill():
            killed.set()
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if timer:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        errors.seek(0)
        text = errors.read().decode(errors="replace")
        peak = usage.ru_maxrss * 1024  # KiB on Linux
        if use_time:
            # time writes its report to the -o file: "Command exited with non-zero status N" or
            # "Command terminated by signal N" (then it exits 128+N) before the figure.
            report = memory.read()
            figures = [line.strip() for line in report.splitlines() if line.strip().isdigit()]
            peak = int(figures[-1]) * 1024 if figures else math.nan
            signalled = [line.split()[-1] for line in report.splitlines() if line.startswith("Command terminated by signal")]
            if not killed.is_set() and signalled and signalled[-1].isdigit():
                child.returncode = -int(signalled[-1])
    return {"wall": wall, "peak": peak, "status": child.returncode, "timed_out": killed.is_set(), "stderr": text}


def finite(values):
    """The values that are numbers and finite."""
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def median(values):
    """The median of the finite values, NaN when there are none."""
    values = finite(values)
    return float(statistics_median(values)) if values else math.nan


def statistics_median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def ratio(numerator, denominator):
    """numerator / denominator, NaN when either is missing or the denominator is not positive."""
    if len(finite([numerator, denominator])) < 2 or denominator <= 0:
        return math.nan
    return float(numerator) / float(denominator)


def loglog_slope(sizes, values):
    """(slope, prefactor) of the least-squares fit values ≈ prefactor · sizes^slope, on the pairs
    where both are positive and finite; (NaN, NaN) with fewer than two distinct sizes."""
    pairs = [(float(s), float(v)) for s, v in zip(sizes, values)
             if len(finite([s, v])) == 2 and s > 0 and v > 0]
    if len({s for s, _ in pairs}) < 2:
        return math.nan, math.nan
    x = [math.log(s) for s, _ in pairs]
    y = [math.log(v) for _, v in pairs]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)
    return slope, math.exp(my - slope * mx)


def verdict(ours, peer, floor=1e-9):
    """Our error next to a peer's: better (at most half), equal (within a factor 2, or both at
    or below `floor`, the accuracy the comparison asks for), WORSE, or n/a."""
    if len(finite([ours, peer])) < 2:
        return "n/a"
    if ours <= peer / 2:
        return "better"
    if ours <= 2 * peer or ours <= floor:
        return "equal"
    return "WORSE"


def relative_error(estimate, truth, block_entries=1 << 24):
    """‖X̂ − M♮‖_F / ‖M♮‖_F, each given densely (a d1×d2 array) or as factors (a (left, right)
    pair with X = left·rightᵀ). Two factored matrices are compared without forming either:
    X̂ − M♮ = [L̂, −L][R̂, R]ᵀ, and ‖P Qᵀ‖_F = ‖R_P R_Qᵀ‖_F for the triangular factors of the QR
    decompositions of P and Q, which is accurate to rounding (no squared norms subtracted). When
    one is dense the difference is formed block of rows by block of rows (block_entries
    numbers at a time), so a factored side is never expanded whole."""
    import numpy as np

    def is_pair(value):
        return isinstance(value, (tuple, list)) and len(value) == 2

    if is_pair(estimate) and is_pair(truth):
        (el, er), (tl, tr) = [(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
                              for a, b in (estimate, truth)]
        left = np.linalg.qr(np.hstack([el, -tl]), mode="r")
        right = np.linalg.qr(np.hstack([er, tr]), mode="r")
        norm_truth = np.linalg.norm(np.linalg.qr(tl, mode="r") @ np.linalg.qr(tr, mode="r").T)
        return float(np.linalg.norm(left @ right.T) / norm_truth)

    def shape(value):
        return (value[0].shape[0], value[1].shape[0]) if is_pair(value) else value.shape

    def rows_of(value, start, stop):
        return value[0][start:stop] @ value[1].T if is_pair(value) else np.asarray(value[start:stop], dtype=np.float64)

    if shape(estimate) != shape(truth):
        raise ValueError(f"estimate {shape(estimate)} and truth {shape(truth)} differ in shape")
    d1, d2 = shape(truth)
    step = max(1, block_entries // max(d2, 1))
    difference = norm = 0.0
    for start in range(0, d1, step):
        t = rows_of(truth, start, start + step)
        difference += float(np.sum((rows_of(estimate, start, start + step) - t) ** 2))
        norm += float(np.sum(t ** 2))
    return math.sqrt(difference / norm)
