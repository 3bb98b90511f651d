"""A whole stream at once: ``load`` it into a mapping of arrays, ``save`` a mapping as a stream."""

from __future__ import annotations

from typing import Any, Collection, Iterator, Mapping, Optional

import numpy as np

from ._io import Destination, Source
from .frames import Frame, Order, _frame_dtype, read_frames, write_frames


class Stream(dict):
    """A stream's frames as ``{name: array}``, in stream order, with their attributes.

    ``attributes[name]`` is the frame's attribute object and ``orders[name]`` its storage
    order (``"F"`` or ``"C"``), which ``save`` writes back. When a stream holds a name
    twice (as ``cat a b`` makes), the last frame of that name counts, as in ``evaluate``;
    ``read_frames`` sees every frame.

    >>> stream = Stream({"x": np.arange(3)}, attributes={"x": {"unit": "m"}})
    >>> stream
    Stream(x: int64 (3,))
    >>> stream.attributes["x"], stream.orders["x"]
    ({'unit': 'm'}, 'F')
    >>> stream.update(y=[1.5, 2.5])
    >>> stream, stream.attributes["y"]
    (Stream(x: int64 (3,), y: float64 (2,)), {})
    """

    def __init__(self, arrays: Optional[Mapping[str, Any]] = None, *,
                 attributes: Optional[Mapping[str, Mapping[str, Any]]] = None,
                 orders: Optional[Mapping[str, Order]] = None):
        super().__init__()
        self.attributes: dict[str, dict] = {}
        self.orders: dict[str, Order] = {}
        for name, array in (arrays or {}).items():
            self[name] = array
        self.attributes.update({name: dict(value) for name, value in (attributes or {}).items()})
        self.orders.update(orders or {})

    def __setitem__(self, name: str, array: Any) -> None:
        super().__setitem__(name, np.asarray(array))
        self.attributes.setdefault(name, {})
        self.orders.setdefault(name, "F")

    def update(self, *others: Any, **arrays: Any) -> None:  # type: ignore[override]
        """Adds or replaces arrays as ``stream[name] = array`` does."""
        for name, array in dict(*others, **arrays).items():
            self[name] = array

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self.attributes.pop(name, None)
        self.orders.pop(name, None)

    def frames(self) -> Iterator[Frame]:
        """The stream's frames, in order, as ``write_frames`` takes them."""
        for name, array in self.items():
            yield Frame(name, array, self.attributes.get(name, {}), {"order": self.orders.get(name, "F")})

    def __repr__(self) -> str:
        parts = [f"{name}: {array.dtype} {array.shape}" for name, array in self.items()]
        return f"Stream({', '.join(parts)})"


def load(source: Source = "-", *, names: Optional[Collection[str]] = None,
         max_frame_bytes: Optional[int] = None) -> Stream:
    """Reads a whole stream into a ``Stream``: ``{name: array}`` with ``.attributes``.

    ``source`` is a path (``"-"`` for standard input), the stream's bytes, or a binary file
    object. With ``names``, only those frames are decoded; the rest are passed over without
    decompressing them, which is how to take a few frames from a large stream.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "example.frames")
    >>> save(path, {"truth": np.eye(2), "entries": np.array([[0, 1]])},
    ...      attributes={"truth": {"rank": 2}})
    >>> stream = load(path)
    >>> stream
    Stream(truth: float64 (2, 2), entries: int64 (1, 2))
    >>> stream["truth"], stream.attributes["truth"]
    (array([[1., 0.],
           [0., 1.]]), {'rank': 2})
    >>> load(path, names={"entries"})
    Stream(entries: int64 (1, 2))
    """
    stream = Stream()
    for frame in read_frames(source, names=names, max_frame_bytes=max_frame_bytes):
        stream[frame.name] = frame.array
        stream.attributes[frame.name] = frame.attributes
        stream.orders[frame.name] = frame.order
    return stream


def save(destination: Destination, arrays: Mapping[str, Any], *,
         attributes: Optional[Mapping[str, Mapping[str, Any]]] = None, order: Optional[Order] = None,
         level: int = 3) -> None:
    """Writes ``{name: array}`` as a stream to ``destination``, a path (``"-"`` for standard
    output, written atomically otherwise) or a binary file object.

    ``attributes`` maps frame names to their attribute objects; a ``Stream``'s own
    attributes and storage orders are used where ``attributes`` and ``order`` say nothing, so
    ``save(path, load(path))`` rewrites the same frames. Other arrays are stored
    column-major, as the Swift tools store them, unless ``order`` is ``"C"``.

    >>> import io
    >>> out = io.BytesIO()
    >>> save(out, {"x": np.arange(3.0)}, attributes={"x": {"kind": "ramp"}})
    >>> load(out.getvalue()).attributes
    {'x': {'kind': 'ramp'}}
    """
    own_attributes = getattr(arrays, "attributes", {})
    own_orders = getattr(arrays, "orders", {})
    given = attributes or {}
    unknown = set(given) - set(arrays)
    if unknown:
        raise KeyError(f"attributes for frames that are not saved: {', '.join(sorted(unknown))}")
    # Every array is checked before the first frame is written: an array that cannot be a frame
    # must not leave the frames before it in a pipe as a stream that looks complete.
    for name, array in arrays.items():
        try:
            _frame_dtype(np.asarray(array))
        except (TypeError, ValueError) as error:
            raise type(error)(f"frame {name!r}: {error}") from None
    write_frames(destination, (
        Frame(name, array, dict(given.get(name, own_attributes.get(name, {}))),
              {"order": order or own_orders.get(name, "F")})
        for name, array in arrays.items()), level=level)
