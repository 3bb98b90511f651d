"""Pipeline stages in Python: filters from stdin to stdout with the Swift tools' conventions."""

from __future__ import annotations

import operator
import os
import sys
from typing import Any, Callable, Collection, Iterable, Mapping, Optional, Sequence, Tuple

from ._version import __version__
from .frames import Frame, _scan, write_frame

#: What a stage's transform returns: new frames as ``(name, array, attributes)``.
NewFrames = Iterable[Tuple[str, Any, Optional[Mapping[str, Any]]]]


def add_provenance(attributes: Optional[Mapping[str, Any]], tool: str, arguments: Sequence[str],
                   seed: Optional[int] = None, version: str = __version__) -> dict:
    """A copy of ``attributes`` whose ``provenance`` list ends with an entry for this stage.

    The entry is ``{"tool", "version", "arguments"[, "seed"]}`` (FORMAT.md §1): enough to
    rerun the stage, and nothing (clock, host) that would make equal runs differ. The
    argument is left unchanged, so one frame's attributes can seed several new frames.

    >>> before = {"kind": "gaussian", "provenance": [{"tool": "generate-ground-truth"}]}
    >>> after = add_provenance(before, "my_stage.py", ["--scale", 2], seed=5)
    >>> after["provenance"][-1]
    {'tool': 'my_stage.py', 'version': '0.1.0', 'arguments': ['--scale', '2'], 'seed': 5}
    >>> len(before["provenance"]), after["kind"]
    (1, 'gaussian')
    """
    entry: dict[str, Any] = {"tool": tool, "version": version,
                             "arguments": [str(argument) for argument in arguments]}
    if seed is not None:
        entry["seed"] = operator.index(seed)  # an integer, not something that rounds to one
    updated = dict(attributes or {})
    history = updated.get("provenance", [])
    if not isinstance(history, list):
        raise ValueError("attributes['provenance'] is not a list")
    updated["provenance"] = [*history, entry]
    return updated


def run_stage(transform: Callable[[list[Frame], list[str]], NewFrames],
              argv: Optional[Sequence[str]] = None, *, consumes: Collection[str] = ()) -> None:
    """Runs a filter from standard input to standard output, with the toolkit's conventions.

    Frames named in ``consumes`` are decoded and kept; every other frame is written to stdout
    verbatim as it arrives. At the end of the input, ``transform(consumed, arguments)`` is
    called with the consumed frames in stream order and ``argv[1:]``; the
    ``(name, array, attributes)`` triples it returns are appended to the output as new frames,
    stored column-major as the Swift tools compute in that layout.

    ``argv`` defaults to ``sys.argv``; its first item names the tool in messages. Binary
    output to a terminal is refused. Any error ends the process with one line
    ``tool: message`` on stderr and status 1; a reader that closes the pipe early (``head``)
    ends it quietly with status 0.
    """
    argv = list(sys.argv if argv is None else argv)
    tool = os.path.basename(argv[0]) if argv else "stage"
    try:
        if sys.stdout.isatty():
            raise RuntimeError("refusing to write binary frames to a terminal; redirect stdout")
        output = sys.stdout.buffer
        consumed = []
        for raw in _scan(sys.stdin.buffer, None, lambda header: header["name"] in consumes):
            if raw.frame is not None:
                consumed.append(raw.frame)
            else:
                output.write(raw.data)
        for name, array, attributes in transform(consumed, argv[1:]):
            write_frame(output, name, array, attributes)
        output.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as error:  # one line for people, whatever went wrong
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{tool}: {message}", file=sys.stderr)
        sys.exit(1)
