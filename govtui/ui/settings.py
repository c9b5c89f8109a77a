"""How the console was started: config, demo or not, replay time, theme, read-only, ASCII, operator."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from govtui.config import LoadedConfig


def operator_name(environ: Mapping[str, str] | None = None) -> str:
    """`user@host` of the person at the keyboard, from the environment (as the audit log records)."""
    env = os.environ if environ is None else environ
    user = env.get("USER") or env.get("LOGNAME")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
    host = env.get("HOSTNAME") or socket.gethostname().split(".", 1)[0] or "localhost"
    return f"{user}@{host}"


@dataclass(frozen=True)
class ConsoleSettings:
    """Everything the console decided before it started."""

    loaded: LoadedConfig
    context: str
    theme: str = "dark"
    replay_at: float | None = None
    read_only: bool = False
    ascii_mode: bool = False
    operator: str = field(default_factory=operator_name)
    keymap: Mapping[str, str] = field(default_factory=dict)
    demo: bool = False
    snapshot_cache: Path | None = None
