"""Shared fixtures: where the built tools are, and a helper to run them."""
import io
import os
import pathlib
import pty
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("FLATMIN_BIN", REPO / ".build" / "debug"))
# The tests exercise this checkout's flatframes package, in this process and in the stages
# they run, whatever version is installed (Pipelines/ensure-dependencies.sh installs this one).
PYTHON_PACKAGE = REPO / "Pipelines" / "python"
sys.path.insert(0, str(PYTHON_PACKAGE))
os.environ["PYTHONPATH"] = os.pathsep.join([str(PYTHON_PACKAGE), *filter(None, [os.environ.get("PYTHONPATH")])])
import flatframes  # noqa: E402


def tool(name):
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{path} is not built (run `swift build` or set FLATMIN_BIN)")
    return str(path)


def run(args, input=None, check=True, **kwargs):
    """Runs a tool; returns the CompletedProcess with bytes stdout and text stderr."""
    result = subprocess.run(args, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    result.stderr = result.stderr.decode()
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}): {result.stderr}")
    return result


def pipeline(*stages):
    """Runs tools in sequence, each reading the previous one's output; returns the stream bytes."""
    data = None
    for stage in stages:
        data = run([tool(stage[0]), *stage[1:]], input=data).stdout
    return data


def frames_of(data):
    """A stream's frames by name (the last of each name)."""
    return {f.name: f for f in flatframes.read_frames(io.BytesIO(data))}


def run_on_terminal(argv):
    """Runs argv with stdout and stderr on a pseudo-terminal: its exit status and everything it
    printed there."""
    pid, terminal = pty.fork()
    if pid == 0:
        os.execv(str(argv[0]), [str(argument) for argument in argv])
    output = b""
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output
