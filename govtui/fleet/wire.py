"""Encoding of messages between the Collector and the console.

Pickle, with one rule: numpy and pandas scalars become plain Python values on the way out, so
unpickling a snapshot in the console never imports numpy or pandas.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

_NUMPY_MODULES = ("numpy", "pandas")


class _PlainPickler(pickle.Pickler):
    """A Pickler that writes numpy/pandas scalars as Python floats, ints, bools or None."""

    def reducer_override(self, obj: Any) -> Any:
        module = type(obj).__module__.split(".", 1)[0]
        if module not in _NUMPY_MODULES:
            return NotImplemented
        return _plain_scalar(obj)


def _none() -> None:
    return None


def _plain_scalar(obj: Any) -> Any:
    """The reduce tuple that rebuilds a numpy/pandas scalar as a plain value."""
    kind = type(obj).__name__
    if kind in {"NAType", "NaTType"}:
        return (_none, ())
    if kind == "Timestamp":
        return (float, (obj.timestamp(),))
    if kind in {"bool", "bool_"}:
        return (bool, (bool(obj),))
    if hasattr(obj, "dtype") and getattr(obj, "ndim", 1) == 0:
        value = obj.item()
        return (type(value), (value,))
    raise TypeError(f"cannot send {type(obj).__module__}.{kind} to the console; convert it first")


def dumps(message: object) -> bytes:
    """Serialise a message (snapshot, reply, request) for the pipe."""
    buffer = io.BytesIO()
    _PlainPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(message)
    return buffer.getvalue()


def loads(data: bytes) -> object:
    """Deserialise a message read from the pipe."""
    return pickle.loads(data)
