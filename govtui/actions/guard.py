"""The one read-only gate every mutating action passes before it touches anything."""

from __future__ import annotations

from govtui.errors import ReadOnlyRefused


def ensure_writable(read_only: bool, what: str) -> None:
    """Raise ReadOnlyRefused (exit 3) when read-only mode is on, before any request is sent."""
    if read_only:
        raise ReadOnlyRefused(f"read-only mode: {what} refused")
