"""The Collector's view of its backends: one signal source, the model registry, the alerts.

Each adapter turns a backend into `async fetch(...)`; blocking work (the simulator, CSV parsing,
YAML reads) runs in a worker thread so the Collector keeps answering the console meanwhile.
Modules other steps provide (Prometheus signals, MLflow, Alertmanager) are imported lazily; when
one is missing the source is reported down with a message, never a crash.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from govtui.errors import SourceError

if TYPE_CHECKING:
    from govtui.analysis.frames import Signals
    from govtui.config import LoadedConfig
    from govtui.fleet.snapshot import AlertInfo
    from govtui.sources.registry.base import ModelRegistry


class SignalSource(Protocol):
    """Where the tidy frames come from."""

    name: str

    async def fetch(self, at: datetime, frames: frozenset[str]) -> Signals:
        """The frames asked for (a source may return more) at evaluation time `at`."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class AlertSource(Protocol):
    """Where firing alerts come from (Alertmanager with silences, else Prometheus)."""

    name: str

    async def fetch(self) -> list[AlertInfo]:
        """Alerts now."""
        ...


@dataclass
class DemoSignalSource:
    """The simulated fleet, in process; its models follow their registry champions."""

    fleet: Any
    loaded: LoadedConfig
    name: str = "demo"

    async def fetch(self, at: datetime, frames: frozenset[str]) -> Signals:
        return await asyncio.to_thread(self._fetch, at, frames)

    def _fetch(self, at: datetime, frames: frozenset[str]) -> Signals:
        signals = self.fleet.signals(at, self.loaded.config)
        if "series" in frames and signals.series is None:
            signals.series = self.fleet.series(at, self.loaded.config)
        return signals  # type: ignore[no-any-return]

    def versions(self, at: datetime) -> dict[str, str | None]:
        """The champion of each model at `at`, from the registry's alias history."""
        result: dict[str, str | None] = self.fleet.versions(at)
        return result

    async def close(self) -> None:
        return None


@dataclass
class CsvSignalSource:
    """A directory of CSV signals (`sources.signals_dir`), re-read every refresh."""

    directory: Path
    name: str = "csv"

    async def fetch(self, at: datetime, frames: frozenset[str]) -> Signals:
        from govtui.sources.files import read_signals_dir

        return await asyncio.to_thread(read_signals_dir, self.directory)

    async def close(self) -> None:
        return None


@dataclass
class PrometheusSignalAdapter:
    """Prometheus (or Thanos, Mimir, ...) through `govtui.sources.signals`."""

    source: Any
    name: str = "prometheus"

    async def fetch(self, at: datetime, frames: frozenset[str]) -> Signals:
        fetch = self.source.fetch
        parameters = inspect.signature(fetch).parameters
        result = fetch(at, kinds=frames) if "kinds" in parameters else fetch(at)
        if inspect.isawaitable(result):
            result = await result
        return result  # type: ignore[no-any-return]

    async def close(self) -> None:
        closer = getattr(self.source, "aclose", None) or getattr(self.source, "close", None)
        if closer is not None:
            result = closer()
            if inspect.isawaitable(result):
                await result


@dataclass
class UnavailableSource:
    """A source that cannot work in this build or config; every fetch says why."""

    name: str
    message: str

    async def fetch(self, at: datetime, frames: frozenset[str]) -> Signals:
        raise SourceError(self.name, self.message)

    async def close(self) -> None:
        return None


def _optional_module(name: str) -> Any | None:
    """Import a module another step provides, or None when this build lacks it."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def demo_registry(state_dir: Path, models: int, seed: int, at: datetime | None) -> ModelRegistry:
    """The demo's file registry, copied into the state dir on first use."""
    from govtui.demo.registry import ensure_demo_registry

    registry: ModelRegistry = ensure_demo_registry(state_dir, models=models, seed=seed, at=at)
    return registry


def signal_source(loaded: LoadedConfig, *, demo_fleet: Any | None = None) -> SignalSource:
    """The signal source the config asks for (the simulated fleet when one is given)."""
    if demo_fleet is not None:
        return DemoSignalSource(demo_fleet, loaded)
    sources = loaded.config.sources
    if sources.signals_dir is not None:
        return CsvSignalSource(loaded.resolve(sources.signals_dir))
    if sources.prometheus is not None:
        module = _optional_module("govtui.sources.signals")
        source_class = getattr(module, "PrometheusSignalSource", None) if module else None
        if source_class is None:
            return UnavailableSource(
                "prometheus", "Prometheus signals are not available in this build"
            )
        return PrometheusSignalAdapter(source_class(loaded))
    where = str(loaded.path) if loaded.path is not None else "the config"
    return UnavailableSource(
        "signals", f"{where} configures no signal source (sources.prometheus or signals_dir)"
    )


def configured_registry(
    loaded: LoadedConfig,
    state_dir: Path,
    at: datetime | None,
    *,
    demo_models: int = 12,
    demo_seed: int = 7,
    read_only: bool = False,
) -> ModelRegistry:
    """The registry the config names: a YAML file, MLflow (when this build has it), or the demo's.

    `read_only` (or the source's own `read_only`) makes MLflow refuse writes before any request.
    """
    settings = loaded.config.sources.registry
    if settings.kind == "file" and settings.path is not None:
        from govtui.sources.registry.file import FileRegistry

        return FileRegistry(loaded.resolve(settings.path))
    if settings.kind == "mlflow":
        module = _optional_module("govtui.sources.registry.mlflow")
        registry_class = getattr(module, "MlflowRegistry", None) if module else None
        if registry_class is None:
            raise SourceError("registry", "the MLflow registry is not available in this build")
        registry: ModelRegistry = registry_class(
            settings, base_dir=loaded.base_dir, read_only=read_only
        )
        return registry
    return demo_registry(state_dir, models=demo_models, seed=demo_seed, at=at)


@dataclass
class BackendAlerts:
    """Alerts from Alertmanager (silences shown) when configured, else Prometheus's rules."""

    loaded: LoadedConfig
    name: str = "alerts"

    async def fetch(self) -> list[AlertInfo]:
        from govtui.fleet.snapshot import AlertInfo
        from govtui.sources.alertmanager import fetch_alerts

        return [
            AlertInfo(
                name=alert.name,
                model=alert.model,
                severity=alert.severity,
                state=alert.state,
                silenced=alert.silenced,
                summary=alert.summary,
                starts_at=alert.starts_at,
                runbook=alert.runbook,
                labels=tuple(alert.labels),
            )
            for alert in await fetch_alerts(self.loaded)
        ]


def alert_source(loaded: LoadedConfig) -> AlertSource | None:
    """Alerts when Alertmanager or Prometheus is configured and this build can read them."""
    sources = loaded.config.sources
    if sources.alertmanager is None and sources.prometheus is None:
        return None
    if _optional_module("govtui.sources.alertmanager") is None:
        return None
    name = "alertmanager" if sources.alertmanager is not None else "alerts"
    return BackendAlerts(loaded, name=name)
