"""Where streams come from and go to: paths, ``-`` for stdin/stdout, bytes, file objects."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import sys
from typing import IO, BinaryIO, Iterator, Union

#: What a reader accepts: a path (``str`` or ``os.PathLike``; ``"-"`` is standard input), the
#: stream's bytes, or a binary file object (a text one with a ``.buffer``, such as
#: ``sys.stdin``, is read through its buffer).
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes], IO[str]]

#: What a writer accepts: a path (``"-"`` is standard output) or a binary file object.
Destination = Union[str, "os.PathLike[str]", IO[bytes], IO[str]]


def _binary(file: IO, role: str) -> BinaryIO:
    if isinstance(file, io.TextIOBase):
        buffer = getattr(file, "buffer", None)
        if buffer is None:
            raise TypeError(f"streams are binary: pass a binary file as the {role}, not a text one")
        return buffer
    return file  # type: ignore[return-value]


@contextlib.contextmanager
def open_source(source: Source) -> Iterator[BinaryIO]:
    """``source`` as a binary file object, closed afterwards only if opened here."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        if os.fspath(source) == "-":
            yield sys.stdin.buffer
        else:
            with open(source, "rb") as file:
                yield file
    elif hasattr(source, "read"):
        yield _binary(source, "source")
    else:
        raise TypeError(f"cannot read a stream from {type(source).__name__}: "
                        "pass a path, bytes or a binary file object")


@contextlib.contextmanager
def open_destination(destination: Destination) -> Iterator[BinaryIO]:
    """``destination`` as a binary file object.

    A path is written atomically, as the Swift tools write files: the data goes to a temporary
    file beside it, renamed over the path only when everything is written, so a failure leaves
    no half-written stream. ``"-"`` is standard output, refused when it is a terminal.
    """
    if isinstance(destination, (str, os.PathLike)):
        path = os.fspath(destination)
        if path == "-":
            if sys.stdout.isatty():
                raise OSError("refusing to write binary frames to a terminal; redirect stdout")
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
            return
        directory, base = os.path.split(os.path.abspath(path))
        # Opened like any new file (mode from the umask), under a name no one else picks.
        temporary = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.partial")
        try:
            with open(temporary, "xb") as file:
                yield file
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
    elif hasattr(destination, "write"):
        yield _binary(destination, "destination")
    else:
        raise TypeError(f"cannot write a stream to {type(destination).__name__}: "
                        "pass a path or a binary file object")
