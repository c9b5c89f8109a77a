"""A model registry kept in one YAML file: validated on read, rewritten atomically under a lock."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from govtui.config import (
    clean_loc,
    describe_error,
    format_loc,
    key_lines,
    line_for,
    yaml_problem,
)
from govtui.errors import InputError, UsageError
from govtui.fsutil import atomic_replace, existing_mode
from govtui.sources.registry.base import (
    DEFAULT_ALIAS,
    AliasMove,
    ColumnLineage,
    Dataset,
    Lineage,
    ModelVersion,
    RegisteredModel,
    TrainingRun,
)
from govtui.timeutil import format_instant, parse_instant, utc_now

REGISTRY_FORMAT = "govtui.registry/v1"
RegistryStyle = Literal["yaml", "json"]
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]+$")
_ALIAS_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"


class UnknownEntry(InputError):
    """A model, version or alias named by the caller does not exist in the registry."""


def _version_text(value: Any) -> Any:
    """YAML reads `1.10` as the float 1.1: a version must be quoted unless it is a whole number."""
    if isinstance(value, float):
        raise ValueError(f"must be quoted (YAML reads it as the number {value!r})")
    return value


_RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _to_instant(value: Any) -> Any:
    """Accept RFC 3339 text or a YAML timestamp; store RFC 3339 UTC text."""
    if isinstance(value, str) and _RFC3339_UTC.match(value):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp needs a UTC offset or Z")
        return format_instant(value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return format_instant(parse_instant(value))
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        except (OverflowError, OSError) as exc:
            raise ValueError(f"invalid time {value!r}: {exc}") from None
    return value


# Names are shown and matched, never interpreted; control characters have no place in them.
Name = Annotated[str, Field(pattern=_NAME_RE.pattern)]
VersionId = Annotated[str, BeforeValidator(_version_text), Field(pattern=_NAME_RE.pattern)]
Instant = Annotated[str, BeforeValidator(_to_instant)]
AliasName = Annotated[str, Field(pattern=_ALIAS_RE.pattern)]
Digest = Annotated[str, Field(pattern=_DIGEST_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, coerce_numbers_to_str=True)


class AliasMoveEntry(_Strict):
    """One recorded move of an alias."""

    alias: AliasName
    from_version: VersionId | None = None
    to_version: VersionId
    time: Instant
    actor: str = ""
    reason: str = ""


class FeatureEntry(_Strict):
    """A model feature and the `dataset.column` sources it is computed from."""

    feature: Name
    source_columns: list[str] = []
    transformation: str = ""


class VersionEntry(_Strict):
    """A registered model version."""

    version: VersionId
    status: Literal["READY", "PENDING", "FAILED", "ARCHIVED"]
    created: Instant | None = None
    run_id: str | None = None
    description: str = ""
    tags: dict[str, str] = {}
    features: list[FeatureEntry] | None = None


class ModelEntry(_Strict):
    """A registered model: aliases, their history, deployment and versions."""

    description: str = ""
    tags: dict[str, str] = {}
    deployment: str | None = None
    aliases: dict[AliasName, VersionId] = {}
    alias_history: list[AliasMoveEntry] = []
    versions: list[VersionEntry] = []


class RunEntry(_Strict):
    """The training run that produced a version."""

    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    code_version: str = ""
    started: Instant | None = None
    datasets: list[Name] = []
    features: list[FeatureEntry] = []


class DatasetEntry(_Strict):
    """A dataset a run consumed, pinned by content digest."""

    digest: Digest
    source: str = ""
    columns: list[str] = Field(default=[], alias="schema")


class RegistryDocument(_Strict):
    """The whole registry file."""

    format: Literal["govtui.registry/v1"] = "govtui.registry/v1"
    metadata: dict[str, str] = {}
    models: dict[Name, ModelEntry] = {}
    runs: dict[Name, RunEntry] = {}
    datasets: dict[Name, DatasetEntry] = {}

    def to_yaml_data(self) -> dict[str, Any]:
        """Plain data for YAML, defaults left out so the file stays readable."""
        data = self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        return {"format": self.format, **data}


# ---------------------------------------------------------------------------------------------
# Parsing with line numbers


def _compose_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Map every key path of the YAML document to its 1-based line (only needed on errors)."""
    try:
        node = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return {}
    return key_lines(node)


def _one_line(text: str) -> str:
    """External text shown in an error stays on one line (control characters escaped)."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


_PATTERN_PROBLEMS = {
    _NAME_RE.pattern: "must be non-empty text without control characters",
    _ALIAS_RE.pattern: "an alias uses letters, digits, _ . - only",
    _DIGEST_PATTERN: "must be sha256: followed by 64 lowercase hex digits",
}


def _describe(error: Mapping[str, Any]) -> str:
    """The config's wording of a pydantic error, plus the registry's kinds of text value."""
    kind = error.get("type", "")
    if kind == "string_type":
        return "must be text (quote it)"
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        problem = _PATTERN_PROBLEMS.get(pattern, f"must match {pattern}")
        return f"invalid value {_one_line(repr(error.get('input')))}: {problem}"
    return _one_line(describe_error(error).replace("Input should be", "must be"))


def _fail(label: str, text: str, loc: tuple[Any, ...], problem: str) -> InputError:
    # Keys the YAML holds as text may reach pydantic as other scalars (`1.5:`): match them as text.
    path = tuple(part if isinstance(part, int) else str(part) for part in loc)
    line = line_for(_compose_lines(text), path)
    shown = tuple(part if isinstance(part, int) else _one_line(part) for part in path)
    return InputError(f"{label}:{line}: {format_loc(shown)}: {problem}")


def registry_style(text: str) -> RegistryStyle:
    """`json` when the file is a JSON document (a subset of YAML, 50x faster to load)."""
    return "json" if text.lstrip().startswith("{") else "yaml"


def parse_registry(text: str, label: str = "<registry>") -> RegistryDocument:
    """Validate registry YAML text, raising InputError `FILE:LINE: field.path: problem`."""
    if registry_style(text) == "json":
        try:
            return validate_registry_data(json.loads(text), label, text)
        except ValueError:
            pass  # not strict JSON after all: the YAML parser explains what is wrong
    try:
        data = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        raise InputError(f"{label}:{line}: (file): invalid YAML: {problem}") from None
    return validate_registry_data(data, label, text)


def validate_registry_data(
    data: Any, label: str = "<registry>", text: str | None = None
) -> RegistryDocument:
    """Validate already-loaded registry data; `text` (the YAML it came from) gives line numbers."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{label}:1: (top level): expected a mapping with `models`")
    try:
        document = RegistryDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = clean_loc(tuple(first.get("loc", ())))
        raise _fail(label, _source_text(data, text), loc, _describe(dict(first))) from None
    problem = _cross_reference_problem(document)
    if problem is not None:
        raise _fail(label, _source_text(data, text), problem[0], problem[1])
    return document


def _source_text(data: Any, text: str | None) -> str:
    """The YAML behind an error: the file's text, or a dump of in-memory data."""
    if text is not None:
        return text
    return str(yaml.dump(data, Dumper=_SafeDumper, sort_keys=False))


def split_source_column(reference: str, datasets: Mapping[str, Any]) -> tuple[str, str] | None:
    """`dataset.column` -> (dataset, column), matching the longest known dataset name."""
    position = len(reference)
    while True:
        position = reference.rfind(".", 0, position)
        if position <= 0:
            return None
        if position < len(reference) - 1 and reference[:position] in datasets:
            return reference[:position], reference[position + 1 :]


def _feature_problems(
    features: list[FeatureEntry], datasets: Mapping[str, DatasetEntry], base: tuple[Any, ...]
) -> tuple[tuple[Any, ...], str] | None:
    for index, feature in enumerate(features):
        for column_index, reference in enumerate(feature.source_columns):
            loc = (*base, index, "source_columns", column_index)
            split = split_source_column(reference, datasets)
            if split is None:
                return loc, f"{reference!r} names no known dataset (expected dataset.column)"
            dataset, column = split
            known = datasets[dataset].columns
            if known and column not in known:
                return loc, f"column {column!r} is not in the schema of dataset {dataset!r}"
    return None


def _cross_reference_problem(document: RegistryDocument) -> tuple[tuple[Any, ...], str] | None:
    """References between sections must resolve (aliases, runs, datasets, source columns)."""
    for model_name, model in document.models.items():
        seen: set[str] = set()
        for index, version in enumerate(model.versions):
            base = ("models", model_name, "versions", index)
            if version.version in seen:
                return (*base, "version"), f"duplicate version {version.version!r}"
            seen.add(version.version)
            if version.run_id is not None and version.run_id not in document.runs:
                return (*base, "run_id"), f"unknown run {version.run_id!r} (not under runs)"
            if version.features is not None:
                found = _feature_problems(version.features, document.datasets, (*base, "features"))
                if found is not None:
                    return found
        for alias, target in model.aliases.items():
            if target not in seen:
                loc = ("models", model_name, "aliases", alias)
                return loc, f"points at unknown version {target!r}"
    for run_id, run in document.runs.items():
        for index, dataset in enumerate(run.datasets):
            if dataset not in document.datasets:
                return ("runs", run_id, "datasets", index), (
                    f"unknown dataset {dataset!r} (not under datasets)"
                )
        found = _feature_problems(run.features, document.datasets, ("runs", run_id, "features"))
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------------------------------------
# Locking and atomic writes


def lock_path_for(path: Path) -> Path:
    """The sibling file whose flock serialises writers of `path`."""
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def registry_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on the registry's sibling `.lock` file."""
    lock_file = lock_path_for(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def dump_registry(document: RegistryDocument, style: RegistryStyle = "yaml") -> str:
    """The registry as YAML text (keys in schema order), or as JSON (which YAML also reads)."""
    if style == "json":
        return json.dumps(document.to_yaml_data(), ensure_ascii=False) + "\n"
    header = "# govtui file registry (schema: docs/registry-schema.md); written by govtui\n"
    body = yaml.dump(
        document.to_yaml_data(),
        Dumper=_SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return header + body


def write_registry_atomic(
    path: Path, document: RegistryDocument, *, style: RegistryStyle = "yaml"
) -> None:
    """Replace the file in one step: temp file in the same directory, fsync, rename, fsync dir.

    The caller holds `registry_lock(path)` when other writers may exist.
    """
    text = dump_registry(document, style)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_replace(path, mode=existing_mode(path, 0o644)) as handle:
        handle.write(text)


# ---------------------------------------------------------------------------------------------
# The registry


class FileRegistry:
    """ModelRegistry over one YAML file; re-read when the file changes, rewritten atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._cache: tuple[tuple[int, int, int], RegistryDocument] | None = None
        self._histories: tuple[RegistryDocument, dict[str, list[AliasMove]]] | None = None

    def __repr__(self) -> str:
        return f"FileRegistry({str(self.path)!r})"

    @classmethod
    def create(
        cls,
        path: Path,
        document: RegistryDocument | Mapping[str, Any],
        *,
        style: RegistryStyle = "yaml",
    ) -> FileRegistry:
        """Validate a document and write it as a new (or replacement) registry file."""
        registry = cls(path)
        validated = registry._validated(document)
        with registry_lock(registry.path):
            write_registry_atomic(registry.path, validated, style=style)
        return registry

    def _validated(self, document: RegistryDocument | Mapping[str, Any]) -> RegistryDocument:
        """Check a document exactly as a file would be checked."""
        if isinstance(document, RegistryDocument):
            document = document.to_yaml_data()
        return validate_registry_data(dict(document), str(self.path))

    def _read(self) -> tuple[RegistryDocument, RegistryStyle]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{self.path}:0: (file): registry file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            problem = exc.__class__.__name__
            raise InputError(f"{self.path}:0: (file): cannot read: {problem}") from None
        return parse_registry(text, str(self.path)), registry_style(text)

    def document(self) -> RegistryDocument:
        """The validated registry, cached until the file's identity, size or mtime changes."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise InputError(f"{self.path}:0: (file): registry file not found") from None
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        document, _ = self._read()
        self._cache = (key, document)
        return document

    def adopt(self, document: RegistryDocument) -> None:
        """Cache `document` as the file's content; only for a caller holding `registry_lock`
        that has just written or validated exactly this document (saves re-reading it)."""
        info = self.path.stat()
        self._cache = ((info.st_ino, info.st_size, info.st_mtime_ns), document)

    def validate(self) -> None:
        """Raise InputError `FILE:LINE: field: problem` when the file is not a valid registry."""
        self.document()

    @property
    def metadata(self) -> dict[str, str]:
        """Free-form top-level metadata (the demo keeps its anchor time and seed here)."""
        return dict(self.document().metadata)

    def _model(self, document: RegistryDocument, model: str) -> ModelEntry:
        entry = document.models.get(model)
        if entry is None:
            raise UnknownEntry(f"{self.path}: unknown model {model!r}")
        return entry

    def list_models(self) -> list[RegisteredModel]:
        """Every registered model with its aliases, in file order."""
        return [
            RegisteredModel(
                name=name,
                aliases=dict(entry.aliases),
                description=entry.description,
                tags=dict(entry.tags),
            )
            for name, entry in self.document().models.items()
        ]

    def list_versions(self, model: str) -> list[ModelVersion]:
        """All versions of a model in file order (the schema lists them oldest first)."""
        entry = self._model(self.document(), model)
        return [_version(model, entry, version) for version in entry.versions]

    def get_version(self, model: str, version: str) -> ModelVersion | None:
        """One version of a model, or None."""
        entry = self._model(self.document(), model)
        for item in entry.versions:
            if item.version == version:
                return _version(model, entry, item)
        return None

    def get_alias(self, model: str, alias: str = DEFAULT_ALIAS) -> ModelVersion | None:
        """The version an alias points at, or None when the alias is not set."""
        entry = self._model(self.document(), model)
        target = entry.aliases.get(alias)
        if target is None:
            return None
        for item in entry.versions:
            if item.version == target:
                return _version(model, entry, item)
        return None

    def alias_history(self, model: str) -> list[AliasMove]:
        """Every recorded alias move of a model, in the order recorded."""
        entry = self._model(self.document(), model)
        return [_move(item) for item in entry.alias_history]

    def alias_histories(self) -> dict[str, list[AliasMove]]:
        """Alias history of every model at once (one read for a whole fleet; do not mutate)."""
        document = self.document()
        if self._histories is None or self._histories[0] is not document:
            histories = {
                name: [_move(item) for item in entry.alias_history]
                for name, entry in document.models.items()
            }
            self._histories = (document, histories)
        return self._histories[1]

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
        """Point an alias at an existing version and record the move, as one locked update."""
        if not _ALIAS_RE.match(alias):
            raise UsageError(f"invalid alias name {alias!r} (letters, digits, _ . -)")
        try:
            moment = format_instant(parse_instant(at)) if at is not None else None
        except (ValueError, OverflowError, OSError) as exc:
            raise UsageError(f"invalid alias move time: {exc}") from None
        with registry_lock(self.path):
            document, style = self._read()
            entry = self._model(document, model)
            if not any(item.version == version for item in entry.versions):
                raise UnknownEntry(f"{self.path}: model {model!r} has no version {version!r}")
            move = AliasMoveEntry(
                alias=alias,
                from_version=entry.aliases.get(alias),
                to_version=version,
                time=moment or format_instant(utc_now()),
                actor=actor,
                reason=reason,
            )
            new_entry = entry.model_copy(
                update={
                    "aliases": {**entry.aliases, alias: version},
                    "alias_history": [*entry.alias_history, move],
                }
            )
            updated = document.model_copy(update={"models": {**document.models, model: new_entry}})
            write_registry_atomic(self.path, updated, style=style)
            self._cache = None

    def set_version_tag(self, model: str, version: str, key: str, value: str) -> None:
        """Set one tag on an existing version, as one locked read-modify-write."""
        if not isinstance(key, str) or not _NAME_RE.match(key):
            raise UsageError(
                f"invalid tag key {_one_line(str(key))!r} (non-empty, no control chars)"
            )
        if not isinstance(value, str):
            raise UsageError(f"tag {_one_line(key)!r}: value must be text")
        with registry_lock(self.path):
            document, style = self._read()
            entry = self._model(document, model)
            index = next(
                (i for i, item in enumerate(entry.versions) if item.version == version), None
            )
            if index is None:
                raise UnknownEntry(f"{self.path}: model {model!r} has no version {version!r}")
            item = entry.versions[index]
            versions = list(entry.versions)
            versions[index] = item.model_copy(update={"tags": {**item.tags, key: value}})
            new_entry = entry.model_copy(update={"versions": versions})
            updated = document.model_copy(update={"models": {**document.models, model: new_entry}})
            write_registry_atomic(self.path, updated, style=style)
            self._cache = None

    def delete_alias(self, model: str, alias: str) -> None:
        """Remove an alias (the history is kept); an alias that is not set is left alone."""
        with registry_lock(self.path):
            document, style = self._read()
            entry = self._model(document, model)
            if alias not in entry.aliases:
                return
            aliases = {name: target for name, target in entry.aliases.items() if name != alias}
            new_entry = entry.model_copy(update={"aliases": aliases})
            updated = document.model_copy(update={"models": {**document.models, model: new_entry}})
            write_registry_atomic(self.path, updated, style=style)
            self._cache = None

    def lineage(self, model: str, version: str) -> Lineage:
        """Deployment -> version -> run -> datasets -> features -> source columns."""
        document = self.document()
        entry = self._model(document, model)
        found = next((item for item in entry.versions if item.version == version), None)
        if found is None:
            raise UnknownEntry(f"{self.path}: model {model!r} has no version {version!r}")
        run_entry = document.runs.get(found.run_id) if found.run_id is not None else None
        run = None
        datasets: tuple[Dataset, ...] = ()
        features: list[FeatureEntry] = list(found.features or [])
        if run_entry is not None and found.run_id is not None:
            run = TrainingRun(
                run_id=found.run_id,
                params=dict(run_entry.params),
                metrics=dict(run_entry.metrics),
                code_version=run_entry.code_version,
                started=run_entry.started,
            )
            datasets = tuple(
                Dataset(
                    name=name,
                    digest=document.datasets[name].digest,
                    source=document.datasets[name].source,
                    schema=tuple(document.datasets[name].columns),
                )
                for name in run_entry.datasets
            )
            if found.features is None:
                features = list(run_entry.features)
        source = ""
        if features:
            source = (
                "file registry: version" if found.features is not None else "file registry: run"
            )
        return Lineage(
            model=model,
            version=version,
            deployment=entry.deployment,
            run=run,
            datasets=datasets,
            features=tuple(
                ColumnLineage(
                    feature=item.feature,
                    source_columns=tuple(item.source_columns),
                    transformation=item.transformation,
                )
                for item in features
            ),
            feature_source=source,
        )


def _version(model: str, entry: ModelEntry, item: VersionEntry) -> ModelVersion:
    return ModelVersion(
        model=model,
        version=item.version,
        status=item.status,
        aliases=tuple(
            sorted(alias for alias, target in entry.aliases.items() if target == item.version)
        ),
        tags=dict(item.tags),
        run_id=item.run_id,
        created=item.created,
        description=item.description,
    )


def _move(item: AliasMoveEntry) -> AliasMove:
    return AliasMove(
        alias=item.alias,
        from_version=item.from_version,
        to_version=item.to_version,
        time=item.time,
        actor=item.actor,
        reason=item.reason,
    )
