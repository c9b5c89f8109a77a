"""The packaged demo config (govtui/data/demo.yaml), loaded like any other config file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from govtui.config import LoadedConfig, parse_config

DEMO_CONFIG_RESOURCE = "demo.yaml"


def demo_config() -> LoadedConfig:
    """The demo config; its path is the packaged file when it lives on disk (runbooks resolve
    relative to it), else None."""
    resource = resources.files("govtui") / "data" / DEMO_CONFIG_RESOURCE
    text = resource.read_text(encoding="utf-8")
    path = Path(str(resource)) if isinstance(resource, Path) else None
    label = str(path) if path is not None else f"govtui/data/{DEMO_CONFIG_RESOURCE}"
    return LoadedConfig(config=parse_config(text, label), path=path)
