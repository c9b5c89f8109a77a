"""How the registry commands (lineage, versions, check --candidate) reach the model registry."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govtui.config import LoadedConfig
    from govtui.sources.registry.base import ModelRegistry


@contextlib.contextmanager
def open_registry(loaded: LoadedConfig, at: datetime | None) -> Iterator[ModelRegistry]:
    """The configured registry (file, MLflow, or the demo's in the state dir), closed after use."""
    from govtui.config import state_dir
    from govtui.fleet.sources import configured_registry

    registry = configured_registry(loaded, state_dir(), at)
    try:
        yield registry
    finally:
        close = getattr(registry, "close", None)
        if callable(close):
            close()


def read_only_from(args: argparse.Namespace, loaded: LoadedConfig) -> bool:
    """Read-only when asked on the command line, in the config's ui, or for the registry."""
    config = loaded.config
    return bool(
        getattr(args, "read_only", False)
        or config.ui.read_only
        or config.sources.registry.read_only
    )
