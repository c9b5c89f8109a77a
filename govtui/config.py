"""The govtui config: pydantic models, YAML loading with line-numbered errors, discovery, env overrides."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from govtui.errors import ConfigError
from govtui.timeutil import parse_duration, parse_instant

APP_NAME = "govtui"
CHECK_KEYS = (
    "slo_page",
    "slo_ticket",
    "slo_budget",
    "drift",
    "fairness",
    "quality",
    "source_down",
)
BURN_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _valid_duration(value: str) -> str:
    parse_duration(value)  # raises ValueError naming the bad value and the expected form
    return value


Duration = Annotated[str, AfterValidator(_valid_duration)]


class TlsConfig(_Strict):
    """TLS settings; verification stays on unless `insecure_skip_verify` is asked for."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure_skip_verify: bool = False


class BasicAuth(_Strict):
    """Basic auth; the password comes from an env var or a file, never from the config itself."""

    username: str
    password_env: str | None = None
    password_file: Path | None = None

    @model_validator(mode="after")
    def _one_password_source(self) -> BasicAuth:
        if (self.password_env is None) == (self.password_file is None):
            raise ValueError("give exactly one of password_env or password_file")
        return self


class AuthConfig(_Strict):
    """Credentials by reference (env var or file), so the config can be shared without secrets."""

    bearer_token_env: str | None = None
    bearer_token_file: Path | None = None
    basic: BasicAuth | None = None

    @model_validator(mode="after")
    def _one_scheme(self) -> AuthConfig:
        bearer = self.bearer_token_env is not None or self.bearer_token_file is not None
        if self.bearer_token_env is not None and self.bearer_token_file is not None:
            raise ValueError("give only one of bearer_token_env or bearer_token_file")
        if bearer and self.basic is not None:
            raise ValueError("bearer token and basic auth are exclusive")
        return self


class HttpSourceConfig(_Strict):
    """An HTTP backend: where it is, how to authenticate, how patient to be."""

    url: str
    timeout: Duration = "10s"
    retries: int = Field(default=2, ge=0, le=10)
    auth: AuthConfig = AuthConfig()
    headers: dict[str, str] = {}
    tls: TlsConfig = TlsConfig()

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


class PrometheusConfig(HttpSourceConfig):
    """Prometheus or a compatible engine (Thanos, Mimir, Cortex, VictoriaMetrics)."""

    metric_prefix: str = Field(default="ml_", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$")
    queries: dict[str, str] = {}
    post_threshold: int = Field(default=2000, ge=0)
    partial_response: bool | None = None


class AlertmanagerConfig(HttpSourceConfig):
    """Alertmanager API v2, so silenced alerts show as silenced (and silences can be made)."""

    read_only: bool = False


class RegistryConfig(_Strict):
    """Where model versions, aliases and lineage come from."""

    kind: Literal["file", "mlflow", "demo"] = "demo"
    path: Path | None = None
    url: str | None = None
    auth: AuthConfig = AuthConfig()
    tls: TlsConfig = TlsConfig()
    headers: dict[str, str] = {}
    timeout: Duration = "10s"
    retries: int = Field(default=2, ge=0, le=10)
    alias: str = "champion"
    read_only: bool = False
    lineage_tag: str = "govtui.column_lineage"
    lineage_file: Path | None = None
    page_size: int = Field(default=100, ge=1, le=1000)

    @model_validator(mode="after")
    def _kind_fields(self) -> RegistryConfig:
        if self.kind == "file" and self.path is None:
            raise ValueError("a file registry needs `path`")
        if self.kind == "mlflow" and self.url is None:
            raise ValueError("an mlflow registry needs `url`")
        if self.url is not None and not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError("url must be an http:// or https:// URL")
        return self


class SourcesConfig(_Strict):
    """The backends govtui reads; `signals_dir` reads CSV signals instead of Prometheus."""

    prometheus: PrometheusConfig | None = None
    alertmanager: AlertmanagerConfig | None = None
    registry: RegistryConfig = RegistryConfig()
    signals_dir: Path | None = None


class SloConfig(_Strict):
    """One service level objective applied to every selected model unless overridden."""

    name: str = Field(pattern=r"^[a-zA-Z0-9_.-]+$")
    kind: Literal["availability", "latency"]
    objective: float = Field(gt=0, lt=1)
    threshold_seconds: float | None = Field(default=None, gt=0)
    period: Duration = "30d"

    @model_validator(mode="after")
    def _latency_threshold(self) -> SloConfig:
        if self.kind == "latency" and self.threshold_seconds is None:
            raise ValueError("a latency SLO needs threshold_seconds")
        if self.kind == "availability" and self.threshold_seconds is not None:
            raise ValueError("threshold_seconds only applies to latency SLOs")
        return self


class WindowConfig(_Strict):
    """A window either ending `offset` before the evaluation time, or fixed by start/end."""

    duration: Duration = "1d"
    offset: Duration = "0s"
    start: str | None = None
    end: str | None = None

    @model_validator(mode="after")
    def _absolute(self) -> WindowConfig:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start is not None and self.end is not None:
            start, end = parse_instant(self.start), parse_instant(self.end)
            if end <= start:
                raise ValueError("end must be after start")
        return self


class DriftConfig(_Strict):
    """Drift windows and thresholds (PSI per feature, share of drifted features per model)."""

    current: WindowConfig = WindowConfig(duration="1h")
    reference: WindowConfig = WindowConfig(duration="1d", offset="7d")
    warn_psi: float = Field(default=0.1, gt=0)
    crit_psi: float = Field(default=0.25, gt=0)
    crit_share: float = Field(default=0.5, gt=0, le=1)
    features: list[str] = []

    @model_validator(mode="after")
    def _ordered(self) -> DriftConfig:
        if self.warn_psi > self.crit_psi:
            raise ValueError("warn_psi must not exceed crit_psi")
        return self


class FairnessConfig(_Strict):
    """Group fairness over the current outcomes window; the 0.8 default is the four-fifths convention."""

    attributes: list[str] = []
    window: Duration = "1d"
    min_samples: int = Field(default=100, ge=1)
    warn_ratio: float = Field(default=0.9, gt=0, le=1)
    crit_ratio: float = Field(default=0.8, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> FairnessConfig:
        if self.crit_ratio > self.warn_ratio:
            raise ValueError("crit_ratio must not exceed warn_ratio")
        return self


class QualityConfig(_Strict):
    """Accuracy against the reference window, with hourly anomaly flags."""

    attribute: str | None = None
    label_delay: Duration = "0s"
    warn_drop: float = Field(default=0.02, ge=0)
    crit_drop: float = Field(default=0.05, ge=0)
    anomaly_z: float = Field(default=3.5, gt=0)
    anomaly_lookback: Duration = "7d"

    @model_validator(mode="after")
    def _ordered(self) -> QualityConfig:
        if self.warn_drop > self.crit_drop:
            raise ValueError("warn_drop must not exceed crit_drop")
        return self


class ModelOverride(_Strict):
    """Per-model replacements for the fleet-wide sections."""

    slos: list[SloConfig] | None = None
    drift: DriftConfig | None = None
    fairness: FairnessConfig | None = None
    quality: QualityConfig | None = None
    runbooks: dict[str, str] | None = None

    @field_validator("runbooks")
    @classmethod
    def _runbook_keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _validate_runbook_keys(value)


class ModelsConfig(_Strict):
    """Which models to watch (names and/or a regex), per-model overrides, protected models."""

    include: list[str] = []
    regex: str | None = None
    exclude: list[str] = []
    overrides: dict[str, ModelOverride] = {}
    protected: list[str] = []

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regex: {exc}") from exc
        return value

    def selects(self, name: str) -> bool:
        """Whether a model name is watched: listed or matching the regex, and not excluded."""
        if name in self.exclude:
            return False
        if not self.include and self.regex is None:
            return True
        if name in self.include:
            return True
        return self.regex is not None and re.fullmatch(self.regex, name) is not None


class PolicyConfig(_Strict):
    """Fleet-wide status rules not tied to one check."""

    budget_warn_remaining: float = Field(default=0.25, ge=0, le=1)
    stale_after_factor: float = Field(default=10, gt=0)
    fail_on: Literal["crit", "warn", "unknown"] = "crit"
    source_down_after: Duration = "15m"


def _validate_runbook_keys(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None:
        unknown = sorted(set(value) - set(CHECK_KEYS))
        if unknown:
            raise ValueError(f"unknown check key {unknown[0]!r} (one of {', '.join(CHECK_KEYS)})")
    return value


class RunbooksConfig(_Strict):
    """Markdown runbook per check key; relative paths are relative to the config file."""

    paths: dict[str, str] = {}
    overrides: dict[str, dict[str, str]] = {}

    @field_validator("paths")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        return _validate_runbook_keys(value) or {}

    @field_validator("overrides")
    @classmethod
    def _override_keys(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for mapping in value.values():
            _validate_runbook_keys(mapping)
        return value


class AuditConfig(_Strict):
    """The tamper-evident action log; the HMAC key is read from an env var."""

    path: Path | None = None
    hmac_key_env: str = "GOVTUI_AUDIT_KEY"
    shared: bool = False


class GateConfig(_Strict):
    """The candidate gate (`govtui check --candidate`): what a version needs before promotion."""

    required_tags: list[str] = []
    accuracy_metric: str = "accuracy"
    min_accuracy: float | None = Field(default=None, ge=0, le=1)
    parity_ratio_metric: str = "demographic_parity_ratio"
    selection_rate_prefix: str = "selection_rate."
    min_metrics: dict[str, float] = {}
    max_metrics: dict[str, float] = {}


class RollbackConfig(_Strict):
    """How a rollback is checked after the alias moves."""

    require_gate: bool = True
    require_complete_lineage: bool = True
    watch_for: Duration = "10m"
    traffic_share: float = Field(default=0.95, gt=0, le=1)


class ActionsConfig(_Strict):
    """Guarded actions: rollback guardrails and default silence length."""

    rollback: RollbackConfig = RollbackConfig()
    silence_default: Duration = "2h"
    silence_max: Duration = "7d"


class RefreshConfig(_Strict):
    """How often each signal kind is refreshed by the Collector."""

    slo: Duration = "15s"
    drift: Duration = "60s"
    fairness: Duration = "60s"
    quality: Duration = "60s"
    alerts: Duration = "15s"
    registry: Duration = "30s"


class UiConfig(_Strict):
    """Console look and behaviour."""

    theme: str = "dark"
    refresh: RefreshConfig = RefreshConfig()
    read_only: bool = False
    ascii: bool = False
    keymap: dict[str, str] = {}


class Config(_Strict):
    """The whole govtui configuration."""

    sources: SourcesConfig = SourcesConfig()
    models: ModelsConfig = ModelsConfig()
    slos: list[SloConfig] = [
        SloConfig(name="availability", kind="availability", objective=0.999),
        SloConfig(name="latency", kind="latency", objective=0.99, threshold_seconds=0.5),
    ]
    drift: DriftConfig = DriftConfig()
    fairness: FairnessConfig = FairnessConfig()
    quality: QualityConfig = QualityConfig()
    policy: PolicyConfig = PolicyConfig()
    runbooks: RunbooksConfig = RunbooksConfig()
    audit: AuditConfig = AuditConfig()
    gate: GateConfig = GateConfig()
    actions: ActionsConfig = ActionsConfig()
    ui: UiConfig = UiConfig()

    @field_validator("slos")
    @classmethod
    def _unique_slo_names(cls, value: list[SloConfig]) -> list[SloConfig]:
        names = [slo.name for slo in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate SLO name {duplicates[0]!r}")
        return value

    def slos_for(self, model: str) -> list[SloConfig]:
        """The SLOs that apply to one model (its override, else the fleet's)."""
        override = self.models.overrides.get(model)
        return override.slos if override and override.slos is not None else self.slos

    def drift_for(self, model: str) -> DriftConfig:
        """Drift settings for one model."""
        override = self.models.overrides.get(model)
        return override.drift if override and override.drift is not None else self.drift

    def fairness_for(self, model: str) -> FairnessConfig:
        """Fairness settings for one model."""
        override = self.models.overrides.get(model)
        return override.fairness if override and override.fairness is not None else self.fairness

    def quality_for(self, model: str) -> QualityConfig:
        """Quality settings for one model."""
        override = self.models.overrides.get(model)
        return override.quality if override and override.quality is not None else self.quality

    def runbook_for(self, model: str, check: str) -> str | None:
        """Runbook path for a check on a model: per-model override, then the fleet map."""
        override = self.models.overrides.get(model)
        if override and override.runbooks and check in override.runbooks:
            return override.runbooks[check]
        per_model = self.runbooks.overrides.get(model, {})
        return per_model.get(check, self.runbooks.paths.get(check))


class LoadedConfig(BaseModel):
    """A validated config with the file it came from (None for built-in defaults)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    config: Config
    path: Path | None = None

    @property
    def base_dir(self) -> Path:
        """Directory that relative paths in the config are resolved against."""
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, relative: str | Path) -> Path:
        """A path from the config, made absolute against the config's directory."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping key and sequence item."""


def yaml_problem(exc: yaml.YAMLError) -> tuple[int, str]:
    """The 1-based line of a YAML syntax error and what is wrong there, on one line."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return line, problem


def key_lines(node: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """Map each key path of a composed YAML document (mapping keys, sequence indexes) to its
    1-based line; iterative, so a deeply nested document cannot exhaust the stack."""
    lines: dict[tuple[Any, ...], int] = {}
    if node is None:
        return lines
    # Entries are (node, its path, the line of the key or item that names it); popped in
    # document order, so a repeated key leaves the lines of its last occurrence (as the data).
    stack: list[tuple[yaml.Node, tuple[Any, ...], int | None]] = [(node, (), None)]
    while stack:
        current, path, named_at = stack.pop()
        if named_at is not None:
            lines[path] = named_at
        lines.setdefault(path, current.start_mark.line + 1)
        children: list[tuple[yaml.Node, tuple[Any, ...], int | None]] = []
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                children.append((value_node, (*path, key_node.value), key_node.start_mark.line + 1))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                children.append((item, (*path, index), item.start_mark.line + 1))
        stack.extend(reversed(children))
    return lines


def _compose_lines(text: str, file_label: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML safely and map each key path to its 1-based line."""
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        raise ConfigError(f"{file_label}:{line}: invalid YAML: {problem}") from None
    if node is None:
        return {}, {}
    lines = key_lines(node)
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:  # e.g. an unknown tag: composes, but does not construct
        line, problem = yaml_problem(exc)
        raise ConfigError(f"{file_label}:{line}: invalid YAML: {problem}") from None
    return data, lines


def line_for(lines: Mapping[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    """The line of the longest prefix of `loc` that `lines` knows, else of the document."""
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def format_loc(loc: tuple[Any, ...]) -> str:
    """A key path as `a.b[0].c`, or `(top level)` when empty."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union/function tags so the path matches the YAML keys."""
    return tuple(
        part
        for part in loc
        if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
    )


def describe_error(error: Mapping[str, Any]) -> str:
    """A pydantic error as a short problem: unknown key, missing key, or pydantic's message."""
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def parse_config(text: str, file_label: str = "<config>") -> Config:
    """Validate YAML text into a Config, raising ConfigError `FILE:LINE: key.path: problem`."""
    data, lines = _compose_lines(text, file_label)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file_label}:1: (top level): expected a mapping of sections")
    data = _apply_env_overrides(data)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = clean_loc(tuple(first.get("loc", ())))
        line = line_for(lines, loc)
        raise ConfigError(
            f"{file_label}:{line}: {format_loc(loc)}: {describe_error(dict(first))}"
        ) from None


def load_config(path: Path) -> LoadedConfig:
    """Read and validate one config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}:0: (file): not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}:0: (file): cannot read: {exc.__class__.__name__}") from None
    return LoadedConfig(config=parse_config(text, str(path)), path=path)


def _apply_env_overrides(data: dict[str, Any]) -> dict[str, Any]:
    """`GOVTUI_UI__THEME=light` style overrides (double underscore nests), applied before validation."""
    result = dict(data)
    for name, value in os.environ.items():
        if not name.startswith("GOVTUI_") or "__" not in name:
            continue
        path = name.removeprefix("GOVTUI_").lower().split("__")
        cursor: dict[str, Any] = result
        for key in path[:-1]:
            child = cursor.get(key)
            child = dict(child) if isinstance(child, dict) else {}
            cursor[key] = child
            cursor = child
        cursor[path[-1]] = yaml.safe_load(value) if value else value
    return result


def config_dir() -> Path:
    """XDG config directory for govtui."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def state_dir() -> Path:
    """Where state lives (audit log, demo registry): `$GOVTUI_STATE_DIR` or the XDG state dir."""
    override = os.environ.get("GOVTUI_STATE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME))


def discover_config(explicit: Path | None = None) -> Path | None:
    """`--config`, then `$GOVTUI_CONFIG`, then `./govtui.yaml`, then the XDG config dir."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get("GOVTUI_CONFIG")
    if from_env:
        return Path(from_env)
    for candidate in (Path.cwd() / "govtui.yaml", config_dir() / "govtui.yaml"):
        if candidate.is_file():
            return candidate
    return None


def load_discovered(explicit: Path | None = None) -> LoadedConfig | None:
    """Load the discovered config, or None when there is none (the console then runs the demo)."""
    path = discover_config(explicit)
    return load_config(path) if path is not None else None


def durations_seconds(*values: str) -> list[int]:
    """Several duration strings to seconds."""
    return [parse_duration(value) for value in values]
