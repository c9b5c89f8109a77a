"""Encoding of messages between the Collector and the console.

Pickle, with two rules. Numpy and pandas scalars become plain Python values on the way out, so
unpickling a snapshot in the console never imports numpy or pandas. And a large fleet snapshot
travels as a head plus parts of MODELS_PER_PART models: unpickling holds the GIL, so the
console's reader thread decodes one part at a time and lets the event loop run in between
(1000 models in one piece would freeze the console for over 100 ms).
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from typing import Any

from govtui.analysis.results import ModelReport
from govtui.fleet.snapshot import FleetSnapshot

MODELS_PER_PART = 100

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


@dataclasses.dataclass(frozen=True)
class SnapshotHead:
    """A snapshot without its model reports; `parts` frames of reports follow it."""

    snapshot: FleetSnapshot
    parts: int

    def assemble(self, models: list[ModelReport]) -> FleetSnapshot:
        """The whole snapshot again."""
        report = dataclasses.replace(self.snapshot.report, models=models)
        return dataclasses.replace(self.snapshot, report=report)


def encode(message: object) -> list[bytes]:
    """The frames to send for one message (a large snapshot becomes a head and its parts)."""
    if not isinstance(message, FleetSnapshot) or len(message.report.models) <= MODELS_PER_PART:
        return [dumps(message)]
    models = message.report.models
    parts = [
        models[start : start + MODELS_PER_PART] for start in range(0, len(models), MODELS_PER_PART)
    ]
    head = SnapshotHead(
        dataclasses.replace(message, report=dataclasses.replace(message.report, models=[])),
        len(parts),
    )
    return [dumps(head), *(dumps(part) for part in parts)]
