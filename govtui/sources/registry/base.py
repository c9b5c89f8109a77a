"""The ModelRegistry protocol and its plain data types (versions, aliases, lineage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

VersionStatus = Literal["READY", "PENDING", "FAILED", "ARCHIVED"]
DEFAULT_ALIAS = "champion"


@dataclass(frozen=True)
class AliasMove:
    """One recorded move of an alias (govtui keeps this history; MLflow does not)."""

    alias: str
    from_version: str | None
    to_version: str
    time: str  # RFC 3339 UTC
    actor: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ModelVersion:
    """A registered version of a model."""

    model: str
    version: str
    status: VersionStatus
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    created: str | None = None  # RFC 3339 UTC
    description: str = ""


@dataclass(frozen=True)
class RegisteredModel:
    """A model in the registry with its current aliases (alias -> version)."""

    name: str
    aliases: dict[str, str] = field(default_factory=dict)
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnLineage:
    """A model feature and the source columns it is derived from (OpenLineage columnLineage)."""

    feature: str
    source_columns: tuple[str, ...]  # "dataset.column"
    transformation: str = ""


@dataclass(frozen=True)
class Dataset:
    """A dataset a training run consumed."""

    name: str
    digest: str
    source: str = ""
    schema: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainingRun:
    """The run that produced a version."""

    run_id: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    code_version: str = ""
    started: str | None = None


@dataclass(frozen=True)
class Lineage:
    """Deployment -> version -> run -> datasets -> features -> source columns."""

    model: str
    version: str
    deployment: str | None
    run: TrainingRun | None
    datasets: tuple[Dataset, ...]
    features: tuple[ColumnLineage, ...]

    @property
    def complete(self) -> bool:
        """A rollback target needs a run, at least one dataset and lineage for every feature."""
        return (
            self.run is not None
            and bool(self.datasets)
            and bool(self.features)
            and all(item.source_columns for item in self.features)
        )


@runtime_checkable
class ModelRegistry(Protocol):
    """What govtui needs from a model registry."""

    def list_models(self) -> list[RegisteredModel]:
        """Every registered model with its aliases."""
        ...

    def list_versions(self, model: str) -> list[ModelVersion]:
        """All versions of a model, oldest first."""
        ...

    def get_alias(self, model: str, alias: str = DEFAULT_ALIAS) -> ModelVersion | None:
        """The version an alias points at, or None."""
        ...

    def set_alias(
        self,
        model: str,
        alias: str,
        version: str,
        *,
        actor: str = "",
        reason: str = "",
        at: str | None = None,
    ) -> None:
        """Point an alias at a version and append the move to the alias history."""
        ...

    def alias_history(self, model: str) -> list[AliasMove]:
        """Every recorded alias move of a model, oldest first."""
        ...

    def lineage(self, model: str, version: str) -> Lineage:
        """Lineage of a version."""
        ...
