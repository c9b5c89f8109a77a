"""The ModelRegistry protocol and its plain data types (versions, aliases, lineage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

VersionStatus = Literal["READY", "PENDING", "FAILED", "ARCHIVED"]
DEFAULT_ALIAS = "champion"
GATE_TAG = "govtui.gate"
ALIAS_HISTORY_TAG = "govtui.alias_history"


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
    legacy_stage: str | None = None  # MLflow's deprecated stage, shown but never written

    @property
    def gate(self) -> str | None:
        """The recorded candidate gate verdict (`passed` / `failed`), from the `govtui.gate` tag."""
        value = self.tags.get(GATE_TAG)
        if value is None:
            return None
        return value.split(" ", 1)[0].split(";", 1)[0].strip().rstrip(":") or None


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
    feature_source: str = ""  # where feature lineage came from (registry, tag, OpenLineage file)

    @property
    def gaps(self) -> tuple[str, ...]:
        """Every missing link, in lineage order, as a phrase an operator can act on."""
        found: list[str] = []
        if self.run is None:
            found.append("no training run")
        else:
            if not self.run.code_version:
                found.append("training run has no code version")
            if not self.datasets:
                found.append("training run records no dataset")
        for dataset in self.datasets:
            if not dataset.digest:
                found.append(f"dataset {dataset.name} has no digest")
        if not self.features:
            found.append("no feature lineage")
        for item in self.features:
            if not item.source_columns:
                found.append(f"feature {item.feature} has no source column")
        return tuple(found)

    @property
    def complete(self) -> bool:
        """A rollback target or candidate needs every link: run, code, datasets, features."""
        return not self.gaps


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

    def get_version(self, model: str, version: str) -> ModelVersion | None:
        """One version of a model, or None when it does not exist."""
        ...

    def set_version_tag(self, model: str, version: str, key: str, value: str) -> None:
        """Set a tag on a version (the candidate gate records `govtui.gate` this way)."""
        ...

    def delete_alias(self, model: str, alias: str) -> None:
        """Remove an alias (not a move: the alias history is left as it is)."""
        ...

    def lineage(self, model: str, version: str) -> Lineage:
        """Lineage of a version."""
        ...
