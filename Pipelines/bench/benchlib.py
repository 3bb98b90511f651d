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
    (wall seconds, peak resident bytes) from wait4, and stops the script if it fails."""
    with open(source_path, "rb") as source, open(sink_path, "wb") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdin=source, stdout=sink)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{name}: {command[0]} exited with status {code}")
    return wall, usage.ru_maxrss * 1024  # KiB on Linux


def decoded_bytes(listing_path):
    """The array bytes of every frame listed by `frames ls --json` in listing_path."""
    total = 0
    for line in open(listing_path):
        header = json.loads(line)
        total += math.prod(header["shape"]) * flatframes.DTYPES[header["dtype"]].itemsize
    return total
