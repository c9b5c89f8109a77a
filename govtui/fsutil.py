"""Atomic file replacement shared by every writer (reports, registry, backfill, snapshot cache)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def existing_mode(path: Path, default: int) -> int:
    """The permission bits of `path`, or `default` when it does not exist yet."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return default


@contextlib.contextmanager
def atomic_replace(
    path: Path, *, binary: bool = False, mode: int | None = None
) -> Iterator[IO[Any]]:
    """Yield a temp file beside `path`; on a clean exit fsync it, rename it over `path`, fsync the dir.

    Readers see the old file or the whole new one, never a part; on any error the temp file is
    removed and `path` is untouched. Without `mode` the file is private to its owner (0600).
    """
    directory = path.parent if str(path.parent) else Path(".")
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        handle: IO[Any]
        if binary:
            handle = os.fdopen(descriptor, "wb")
        else:
            handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    with contextlib.suppress(OSError):
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)
