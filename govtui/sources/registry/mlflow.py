"""MLflow's model registry over its REST API: versions, aliases, tags, runs and their lineage.

Synchronous on purpose (the Collector calls registries in a worker thread). Reads retry with
jittered backoff on timeouts, connection errors, 429 and 5xx; writes are retried only when the
request never reached the server (connection refused, 429), so a move is never sent twice
behind the operator's back. MLflow's error JSON (`error_code`, `message`) becomes a
RegistryError; no message ever carries a token or password.

MLflow keeps no alias history, so every move govtui makes is appended to the JSON list in the
model tag `govtui.alias_history`. Legacy stages (`current_stage`) are read into
`ModelVersion.legacy_stage` and never written. Feature lineage comes from a version or run tag
(`lineage_tag`) holding an OpenLineage columnLineage facet, else from an OpenLineage file
(`lineage_file`); anything missing is a lineage gap, never an error.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import httpx

from govtui.config import RegistryConfig
from govtui.errors import InputError, ReadOnlyRefused, RegistryError, SourceError, UsageError
from govtui.sources.http import (
    RETRY_STATUSES,
    Credentials,
    backoff_seconds,
    redact,
    redact_url,
    resolve_credentials,
    retry_after_seconds,
    ssl_context,
    url_credentials,
)
from govtui.sources.registry.base import (
    ALIAS_HISTORY_TAG,
    DEFAULT_ALIAS,
    AliasMove,
    ColumnLineage,
    Dataset,
    Lineage,
    ModelVersion,
    RegisteredModel,
    TrainingRun,
    VersionStatus,
)
from govtui.sources.registry.lineage import parse_column_lineage
from govtui.timeutil import format_instant, parse_duration, parse_instant, utc_now

SOURCE = "mlflow"
API_PREFIX = "/api/2.0/mlflow/"
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
# Where a run records the commit of its training code, most specific first.
CODE_VERSION_TAGS = ("mlflow.source.git.commit", "code_version", "git_commit")
# The registered-model tag naming what serves the model (shown at the top of the lineage).
DEPLOYMENT_TAGS = ("govtui.deployment", "deployment")
# The alias history keeps the newest entries that fit both bounds (MLflow caps a registry tag
# value at 100,000 characters); the audit log remains the complete record.
ALIAS_HISTORY_LIMIT = 200
TAG_VALUE_LIMIT = 100_000
HISTORY_TEXT_LIMIT = 500
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MLFLOW_MAX_PAGE = 1000
# A server that keeps handing out new page tokens cannot keep us reading forever.
MAX_PAGES = 10_000
_STATUSES: dict[str, VersionStatus] = {
    "READY": "READY",
    "PENDING_REGISTRATION": "PENDING",
    "FAILED_REGISTRATION": "FAILED",
}
# MLflow accepts word characters and dashes in an alias; govtui keeps to ASCII.
_ALIAS_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED_ALIAS_RE = re.compile(r"^[vV]\d+$")
_SOURCE_KEYS = ("uri", "url", "path", "table_name", "location")

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class MlflowRun:
    """A training run as govtui reads it: params, metrics, code version, datasets and tags."""

    run: TrainingRun
    datasets: tuple[Dataset, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class VersionPage:
    """One page of a model's versions and the token of the next (None on the last page)."""

    versions: list[ModelVersion]
    next_page_token: str | None


class _Shape(Exception):
    """A response field is not what MLflow's API documents."""


def validate_alias(alias: str) -> None:
    """Refuse alias names MLflow would reject (or reserves), before any request is sent."""
    if not _ALIAS_RE.match(alias):
        shown = alias if alias.isprintable() else alias.encode("unicode_escape").decode("ascii")
        raise UsageError(
            f"invalid alias name {shown[:80]!r} (letters, digits, _ and -, at most 255)"
        )
    if alias.lower() == "latest" or _RESERVED_ALIAS_RE.match(alias):
        raise UsageError(f"alias name {alias!r} is reserved by MLflow (latest, v<number>)")


class MlflowRegistry:
    """ModelRegistry over an MLflow tracking server's REST API (`/api/2.0/mlflow/...`)."""

    def __init__(
        self,
        settings: RegistryConfig,
        *,
        base_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        read_only: bool = False,
        sleep: Sleep = time.sleep,
    ) -> None:
        if settings.url is None:
            raise RegistryError(SOURCE, "sources.registry.url is not set")
        self.settings = settings
        self.read_only = read_only or settings.read_only
        self.retries = settings.retries
        self.timeout_seconds = float(parse_duration(settings.timeout))
        self.display_url = redact_url(settings.url)
        self._base_dir = base_dir or Path.cwd()
        self._sleep = sleep
        self._secrets: tuple[str, ...] = ()
        self._url_credentials = self._credentials_in_url(settings.url)
        self._lineage_file_cache: tuple[tuple[Path, int, int], Any] | None = None
        try:
            verify = ssl_context(SOURCE, settings.tls, self._base_dir)
        except SourceError as exc:
            raise self._error(exc.message.removeprefix(f"{SOURCE}: ")) from None
        self._client = httpx.Client(
            base_url=self.display_url,
            timeout=httpx.Timeout(self.timeout_seconds),
            verify=verify,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "govtui"},
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"MlflowRegistry(url={self.display_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -----------------------------------------------------------------------------------------
    # HTTP

    def _credentials_in_url(self, url: str) -> Credentials | None:
        """`user:password@` in the URL becomes a Basic header (never part of a shown URL)."""
        credentials = url_credentials(url)
        if credentials is not None:
            self._secrets = credentials.secrets
        return credentials

    def _error(
        self, message: str, *, error_code: str = "", retryable: bool = False
    ) -> RegistryError:
        """A RegistryError on one line with every known secret removed."""
        text = " ".join(redact(message, self._secrets).split())
        return RegistryError(SOURCE, text, error_code=error_code, retryable=retryable)

    def _headers(self) -> dict[str, str]:
        try:
            credentials = resolve_credentials(SOURCE, self.settings.auth, self._base_dir)
        except SourceError as exc:
            raise self._error(exc.message.removeprefix(f"{SOURCE}: ")) from None
        if not credentials.headers and self._url_credentials is not None:
            credentials = self._url_credentials
        self._secrets = tuple(dict.fromkeys((*self._secrets, *credentials.secrets)))
        return {**self.settings.headers, **credentials.headers}

    def _call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one API request and return its JSON object, retrying what is safe to retry."""
        what = f"{method} {endpoint}"
        idempotent = method == "GET"
        headers = self._headers()
        attempts = self.retries + 1
        last_error: RegistryError | None = None
        retry_after: float | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self._backoff(attempt, retry_after))
            retry_after = None
            try:
                status, reason, content_type, data, retry_after = self._send(
                    method, API_PREFIX + endpoint, params, body, headers
                )
            except httpx.TimeoutException as exc:
                last_error = self._error(
                    f"timed out after {self.timeout_seconds:g}s on {what} at {self.display_url}",
                    retryable=True,
                )
                if not idempotent and not isinstance(exc, httpx.ConnectTimeout):
                    raise self._error(
                        f"{last_error.message.removeprefix(SOURCE + ': ')}; the change may or "
                        "may not have been applied (read it back before trying again)",
                        retryable=True,
                    ) from None
                continue
            except httpx.TransportError as exc:
                last_error = self._error(
                    f"cannot reach {self.display_url} on {what} ({type(exc).__name__}: {exc})",
                    retryable=True,
                )
                if not idempotent and not isinstance(exc, httpx.ConnectError):
                    raise last_error from None
                continue
            except httpx.HTTPError as exc:
                raise self._error(
                    f"unreadable response to {what} ({type(exc).__name__}: {exc})"
                ) from None
            if status in RETRY_STATUSES and (idempotent or status == 429):
                last_error = self._status_error(status, reason, data, what)
                continue
            if status >= 300:
                raise self._status_error(status, reason, data, what)
            return self._decode(data, content_type, what)
        assert last_error is not None
        if attempts > 1:
            raise self._error(
                f"{last_error.message.removeprefix(SOURCE + ': ')} (after {attempts} attempts)",
                error_code=last_error.error_code,
                retryable=True,
            )
        raise last_error

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        headers: dict[str, str],
    ) -> tuple[int, str, str, bytes, float | None]:
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if body is not None:
            kwargs["json"] = dict(body)
        with self._client.stream(method, path, **kwargs) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise self._error(
                        f"response to {method} {path.removeprefix(API_PREFIX)} is larger than "
                        f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB"
                    )
                chunks.append(chunk)
            return (
                response.status_code,
                response.reason_phrase,
                response.headers.get("content-type", ""),
                b"".join(chunks),
                retry_after_seconds(response.headers.get("retry-after")),
            )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return backoff_seconds(attempt, retry_after)

    def _status_error(self, status: int, reason: str, body: bytes, what: str) -> RegistryError:
        """MLflow's `error_code` and `message` when the body has them, else the HTTP status."""
        retryable = status in RETRY_STATUSES
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("error_code"), str):
            code = data["error_code"]
            message = data.get("message")
            text = message if isinstance(message, str) and message.strip() else f"HTTP {status}"
            return self._error(
                f"{_excerpt(text, 300)} ({code}) on {what}", error_code=code, retryable=retryable
            )
        hint = ""
        if status == 401:
            hint = " (check sources.registry.auth: token or password rejected)"
        elif status == 403:
            hint = " (the credentials lack permission on this model)"
        elif status == 404:
            hint = f" (is {self.display_url} an MLflow tracking server?)"
        elif status == 429:
            hint = " (rate limited)"
        detail = _excerpt(body.decode("utf-8", errors="replace"), 120)
        return self._error(
            f"HTTP {status} {reason} on {what}{hint}" + (f": {detail}" if detail else ""),
            retryable=retryable,
        )

    def _decode(self, body: bytes, content_type: str, what: str) -> dict[str, Any]:
        """The JSON object of a successful response, or a RegistryError naming the endpoint."""
        if not body.strip():
            raise self._error(f"empty response body on {what}")
        try:
            data = json.loads(body)
        except UnicodeDecodeError:
            raise self._error(f"response to {what} is not UTF-8 text") from None
        except ValueError:
            kind = f", content type {content_type}" if "json" not in content_type else ""
            raise self._error(
                f"invalid JSON in response to {what}{kind}: "
                f"{_excerpt(body.decode('utf-8', errors='replace'), 80)}"
            ) from None
        if not isinstance(data, dict):
            raise self._error(f"response to {what} is not a JSON object")
        return data

    def _get(self, endpoint: str, **params: str) -> dict[str, Any]:
        return self._call("GET", endpoint, params=params)

    def _ensure_writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyRefused(f"read-only mode: {what} refused")

    def _parsed(self, what: str) -> _Parsing:
        return _Parsing(self, what)

    # -----------------------------------------------------------------------------------------
    # Reads

    def list_models(self) -> list[RegisteredModel]:
        """Every registered model with its aliases, tags and description."""
        models: list[RegisteredModel] = []
        token: str | None = None
        for _page in range(MAX_PAGES):
            params = {"max_results": str(min(self.settings.page_size, MLFLOW_MAX_PAGE))}
            if token:
                params["page_token"] = token
            data = self._get("registered-models/search", **params)
            with self._parsed("GET registered-models/search"):
                models.extend(
                    _registered_model(item) for item in _list(data.get("registered_models"))
                )
                token = _next_token(data, token)
            if token is None:
                return models
        raise self._error(f"registered-models/search did not end after {MAX_PAGES} pages")

    def get_model(self, model: str) -> RegisteredModel | None:
        """One registered model with its aliases, or None when it does not exist."""
        data = self._registered_model_data(model)
        if data is None:
            return None
        with self._parsed("GET registered-models/get"):
            return _registered_model(data)

    def _registered_model_data(self, model: str) -> dict[str, Any] | None:
        try:
            data = self._get("registered-models/get", name=model)
        except RegistryError as exc:
            if exc.error_code == NOT_FOUND:
                return None
            raise
        with self._parsed("GET registered-models/get"):
            return _dict(data.get("registered_model"))

    def _require_model(self, model: str) -> RegisteredModel:
        found = self.get_model(model)
        if found is None:
            raise self._error(f"unknown model {model!r}", error_code=NOT_FOUND)
        return found

    def list_versions(self, model: str) -> list[ModelVersion]:
        """All versions of a model, oldest first, each with its aliases."""
        aliases = self._require_model(model).aliases
        versions: list[ModelVersion] = []
        token: str | None = None
        for _page in range(MAX_PAGES):
            page = self.list_versions_page(model, token, aliases=aliases)
            versions.extend(page.versions)
            token = page.next_page_token
            if token is None:
                return sorted(versions, key=lambda item: _version_key(item.version))
        raise self._error(f"model-versions/search did not end after {MAX_PAGES} pages")

    def list_versions_page(
        self,
        model: str,
        page_token: str | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
    ) -> VersionPage:
        """One page (`page_size` long) of a model's versions, in version order.

        MLflow's version search does not return aliases; they come from the model's alias map
        (`aliases`, fetched here when not given).
        """
        if aliases is None:
            aliases = self._require_model(model).aliases
        params = {
            "filter": _name_filter(model),
            "max_results": str(min(self.settings.page_size, MLFLOW_MAX_PAGE)),
            "order_by": "version_number ASC",
        }
        if page_token:
            params["page_token"] = page_token
        data = self._get("model-versions/search", **params)
        with self._parsed("GET model-versions/search"):
            by_version: dict[str, list[str]] = {}
            for alias, target in aliases.items():
                by_version.setdefault(target, []).append(alias)
            versions = []
            for item in _list(data.get("model_versions")):
                entry = _dict(item)
                version = _text(entry.get("version"))
                versions.append(_model_version(entry, tuple(sorted(by_version.get(version, ())))))
            return VersionPage(versions, _next_token(data, page_token))

    def get_version(self, model: str, version: str) -> ModelVersion | None:
        """One version with its aliases, or None when the model or version does not exist."""
        try:
            data = self._get("model-versions/get", name=model, version=version)
        except RegistryError as exc:
            if exc.error_code == NOT_FOUND:
                return None
            raise
        with self._parsed("GET model-versions/get"):
            return _model_version(_dict(data.get("model_version")))

    def get_alias(self, model: str, alias: str = DEFAULT_ALIAS) -> ModelVersion | None:
        """The version an alias points at, or None when the model or the alias does not exist."""
        try:
            data = self._get("registered-models/alias", name=model, alias=alias)
        except RegistryError as exc:
            if exc.error_code == NOT_FOUND:
                return None
            # MLflow answers an unset alias with INVALID_PARAMETER_VALUE: confirm it is unset.
            if exc.error_code == "INVALID_PARAMETER_VALUE":
                found = self.get_model(model)
                if found is None or alias not in found.aliases:
                    return None
            raise
        with self._parsed("GET registered-models/alias"):
            return _model_version(_dict(data.get("model_version")))

    def alias_history(self, model: str) -> list[AliasMove]:
        """Every alias move govtui recorded for a model (the model tag), oldest first."""
        return self._history(self._require_model(model))

    def _history(self, model: RegisteredModel) -> list[AliasMove]:
        text = model.tags.get(ALIAS_HISTORY_TAG)
        if text is None or not text.strip():
            return []
        try:
            return parse_alias_history(text)
        except ValueError as exc:
            raise self._error(
                f"model {model.name!r} tag {ALIAS_HISTORY_TAG} is unreadable ({exc}); fix or "
                "delete the tag in MLflow",
                error_code="INVALID_ALIAS_HISTORY",
            ) from None

    def get_run(self, run_id: str) -> MlflowRun | None:
        """A run's params, metrics, code version, dataset inputs and tags, or None when unknown."""
        try:
            data = self._get("runs/get", run_id=run_id)
        except RegistryError as exc:
            if exc.error_code == NOT_FOUND:
                return None
            raise
        with self._parsed("GET runs/get"):
            return _run(_dict(data.get("run")), run_id)

    def lineage(self, model: str, version: str) -> Lineage:
        """Deployment -> version -> run (params, code) -> datasets -> features -> source columns."""
        found = self.get_version(model, version)
        if found is None:
            raise self._error(f"model {model!r} has no version {version!r}", error_code=NOT_FOUND)
        registered = self.get_model(model)
        deployment = None
        if registered is not None:
            deployment = next(
                (registered.tags[tag] for tag in DEPLOYMENT_TAGS if registered.tags.get(tag)),
                None,
            )
        run = self.get_run(found.run_id) if found.run_id else None
        features, feature_source = self._features(found, run)
        return Lineage(
            model=model,
            version=version,
            deployment=deployment,
            run=run.run if run is not None else None,
            datasets=run.datasets if run is not None else (),
            features=features,
            feature_source=feature_source,
        )

    def _features(
        self, version: ModelVersion, run: MlflowRun | None
    ) -> tuple[tuple[ColumnLineage, ...], str]:
        """Feature lineage from the version tag, else the run tag, else the OpenLineage file.

        A tag or file that exists but cannot be read gives no features (a gap) and says why in
        the feature source, so a broken facet shows instead of failing the whole lineage.
        """
        tag = self.settings.lineage_tag
        for where, tags in (("version", version.tags), ("run", run.tags if run else {})):
            text = tags.get(tag)
            if text is None:
                continue
            source = f"tag {tag}"
            label = f"mlflow {where} tag {tag} of {version.model}:{version.version}"
            try:
                return parse_column_lineage(text, label=label), source
            except InputError as exc:
                return (), f"{source} (unreadable: {_excerpt(exc.message, 200)})"
        if self.settings.lineage_file is None:
            return (), ""
        path = Path(self.settings.lineage_file).expanduser()
        if not path.is_absolute():
            path = self._base_dir / path
        return self._file_features(path, version)

    def _file_features(
        self, path: Path, version: ModelVersion
    ) -> tuple[tuple[ColumnLineage, ...], str]:
        source = f"file {path}"
        try:
            data = self._lineage_file(path)
            selected = _outputs_for(data, version.model, version.version)
            return parse_column_lineage(selected, label=str(path)), source
        except FileNotFoundError:
            return (), f"{source} (not found)"
        except (OSError, UnicodeDecodeError) as exc:
            return (), f"{source} (unreadable: {type(exc).__name__})"
        except InputError as exc:
            return (), f"{source} (unreadable: {_excerpt(exc.message, 200)})"

    def _lineage_file(self, path: Path) -> Any:
        """The parsed OpenLineage file (JSON or JSON Lines), re-read only when it changes."""
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        if self._lineage_file_cache is not None and self._lineage_file_cache[0] == key:
            return self._lineage_file_cache[1]
        text = path.read_text(encoding="utf-8")
        try:
            data: Any = json.loads(text)
        except ValueError:
            try:
                data = [json.loads(line) for line in text.splitlines() if line.strip()]
            except ValueError:
                parse_column_lineage(text, label=str(path))  # raises InputError naming the line
                raise InputError(f"{path}: neither JSON nor JSON Lines") from None
        self._lineage_file_cache = (key, data)
        return data

    # -----------------------------------------------------------------------------------------
    # Writes (each refused before any request in read-only mode)

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
        """Point an alias at a version, then append the move to the model's alias history tag.

        MLflow has no compare-and-set: the history is re-read just before it is written, and a
        move that landed while the history could not be written raises, saying so.
        """
        self._ensure_writable(f"moving alias {alias} of {model}")
        validate_alias(alias)
        try:
            moment = format_instant(parse_instant(at)) if at is not None else None
        except (ValueError, OverflowError, OSError) as exc:
            raise UsageError(f"invalid alias move time: {exc}") from None
        before = self._require_model(model)
        self._history(before)  # an unreadable history refuses the move before anything changes
        from_version = before.aliases.get(alias)
        self._call(
            "POST",
            "registered-models/alias",
            body={"name": model, "alias": alias, "version": version},
        )
        move = AliasMove(
            alias=alias,
            from_version=from_version,
            to_version=version,
            time=moment or format_instant(utc_now()),
            actor=actor,
            reason=reason,
        )
        try:
            history = self._history(self._require_model(model))
            self.set_model_tag(model, ALIAS_HISTORY_TAG, dump_alias_history([*history, move]))
        except RegistryError as exc:
            raise self._error(
                f"alias {alias} of {model} now points at version {version}, but the move could "
                f"not be added to tag {ALIAS_HISTORY_TAG}: "
                f"{exc.message.removeprefix(SOURCE + ': ')}",
                error_code=exc.error_code,
                retryable=exc.retryable,
            ) from None

    def delete_alias(self, model: str, alias: str) -> None:
        """Remove an alias (the alias history is left as it is)."""
        self._ensure_writable(f"deleting alias {alias} of {model}")
        self._call("DELETE", "registered-models/alias", body={"name": model, "alias": alias})

    def set_version_tag(self, model: str, version: str, key: str, value: str) -> None:
        """Set a tag on a version (the candidate gate records `govtui.gate` this way)."""
        self._ensure_writable(f"setting tag {key} on {model}:{version}")
        self._call(
            "POST",
            "model-versions/set-tag",
            body={"name": model, "version": version, "key": key, "value": value},
        )

    def set_model_tag(self, model: str, key: str, value: str) -> None:
        """Set a tag on a registered model."""
        self._ensure_writable(f"setting tag {key} on {model}")
        self._call(
            "POST", "registered-models/set-tag", body={"name": model, "key": key, "value": value}
        )


class _Parsing:
    """Turns a response that does not have the documented shape into a RegistryError."""

    def __init__(self, registry: MlflowRegistry, what: str) -> None:
        self.registry = registry
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if exc is None or not isinstance(
            exc, _Shape | TypeError | ValueError | KeyError | AttributeError
        ):
            return
        detail = str(exc) if isinstance(exc, _Shape) else type(exc).__name__
        raise self.registry._error(
            f"unexpected response to {self.what}: {_excerpt(detail, 120)}"
        ) from None


# ---------------------------------------------------------------------------------------------
# Alias history (the model tag)


def parse_alias_history(text: str) -> list[AliasMove]:
    """The alias moves in a `govtui.alias_history` tag value; ValueError says what is wrong."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of moves")
    moves = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"entry {index} is not an object")
        for key in ("alias", "to_version", "time"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise ValueError(f"entry {index} has no {key}")
        from_version = item.get("from_version")
        if from_version is not None and not isinstance(from_version, str):
            raise ValueError(f"entry {index} has a non-text from_version")
        moves.append(
            AliasMove(
                alias=item["alias"],
                from_version=from_version,
                to_version=item["to_version"],
                time=item["time"],
                actor=str(item.get("actor") or ""),
                reason=str(item.get("reason") or ""),
            )
        )
    return moves


def dump_alias_history(moves: list[AliasMove]) -> str:
    """The newest moves as tag JSON: at most ALIAS_HISTORY_LIMIT, within MLflow's tag size."""
    entries = [
        {
            "alias": move.alias,
            "from_version": move.from_version,
            "to_version": move.to_version,
            "time": move.time,
            "actor": _bounded(move.actor),
            "reason": _bounded(move.reason),
        }
        for move in moves[-ALIAS_HISTORY_LIMIT:]
    ]
    text = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    while len(text) > TAG_VALUE_LIMIT and len(entries) > 1:
        entries = entries[max(1, len(entries) // 10) :]
        text = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    return text


def _bounded(text: str) -> str:
    return text if len(text) <= HISTORY_TEXT_LIMIT else text[: HISTORY_TEXT_LIMIT - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Response parsing


def _next_token(data: Mapping[str, Any], previous: str | None) -> str | None:
    token = data.get("next_page_token")
    if token is None or token == "":
        return None
    if not isinstance(token, str):
        raise _Shape("next_page_token is not text")
    if token == previous:
        raise _Shape("next_page_token repeats the previous page")
    return token


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Shape(f"expected a list, got {type(value).__name__}")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Shape(f"expected an object, got {type(value).__name__}")
    return value


def _text(value: Any, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Shape(f"expected text, got {type(value).__name__}")
    text = str(value)
    if required and not text:
        raise _Shape("empty name or version")
    return text


def _tags(value: Any) -> dict[str, str]:
    """MLflow's `[{"key": k, "value": v}]` as a dict."""
    tags: dict[str, str] = {}
    for item in _list(value):
        entry = _dict(item)
        tags[_text(entry.get("key"))] = _text(entry.get("value"), required=False)
    return tags


def _instant(millis: Any) -> str | None:
    """MLflow's epoch milliseconds as RFC 3339 UTC (None when absent or absurd)."""
    if millis is None or millis == "":
        return None
    try:
        seconds = int(millis) / 1000
        return format_instant(datetime.fromtimestamp(seconds, tz=UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _registered_model(value: Any) -> RegisteredModel:
    data = _dict(value)
    aliases: dict[str, str] = {}
    for item in _list(data.get("aliases")):
        entry = _dict(item)
        aliases[_text(entry.get("alias"))] = _text(entry.get("version"))
    return RegisteredModel(
        name=_text(data.get("name")),
        aliases=aliases,
        description=_text(data.get("description"), required=False),
        tags=_tags(data.get("tags")),
    )


def _model_version(data: Mapping[str, Any], aliases: tuple[str, ...] | None = None) -> ModelVersion:
    stage = data.get("current_stage")
    legacy = None if stage in (None, "", "None") else _text(stage)
    status: VersionStatus = _STATUSES.get(_text(data.get("status"), required=False), "PENDING")
    if status == "READY" and legacy is not None and legacy.lower() == "archived":
        status = "ARCHIVED"
    if aliases is None:
        aliases = tuple(sorted(_text(alias) for alias in _list(data.get("aliases"))))
    return ModelVersion(
        model=_text(data.get("name")),
        version=_text(data.get("version")),
        status=status,
        aliases=aliases,
        tags=_tags(data.get("tags")),
        run_id=_text(data.get("run_id"), required=False) or None,
        created=_instant(data.get("creation_timestamp")),
        description=_text(data.get("description"), required=False),
        legacy_stage=legacy,
    )


def _version_key(version: str) -> tuple[int, int, str]:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def _run(data: Mapping[str, Any], run_id: str) -> MlflowRun:
    info = _dict(data.get("info", {}))
    body = _dict(data.get("data", {}))
    params = _tags(body.get("params"))
    tags = _tags(body.get("tags"))
    metrics: dict[str, float] = {}
    for item in _list(body.get("metrics")):
        entry = _dict(item)
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _Shape("metric value is not a number")
        metrics[_text(entry.get("key"))] = float(value)  # "NaN"/"Infinity" arrive as text
    code_version = next((tags[tag] for tag in CODE_VERSION_TAGS if tags.get(tag)), "")
    inputs = _dict(data.get("inputs") or {})
    datasets: list[Dataset] = []
    for item in _list(inputs.get("dataset_inputs")):
        dataset = _dataset(_dict(_dict(item).get("dataset")))
        if dataset not in datasets:
            datasets.append(dataset)
    return MlflowRun(
        run=TrainingRun(
            run_id=_text(info.get("run_id") or info.get("run_uuid") or run_id),
            params=params,
            metrics=metrics,
            code_version=code_version,
            started=_instant(info.get("start_time")),
        ),
        datasets=tuple(datasets),
        tags=tags,
    )


def _dataset(data: Mapping[str, Any]) -> Dataset:
    return Dataset(
        name=_text(data.get("name"), required=False),
        digest=_text(data.get("digest"), required=False),
        source=dataset_source(_text(data.get("source"), required=False)),
        schema=schema_columns(_text(data.get("schema"), required=False)),
    )


def dataset_source(text: str) -> str:
    """MLflow keeps a dataset's source as JSON text (`{"uri": ...}`): show the URI when present."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        for key in _SOURCE_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
    return text


def schema_columns(text: str) -> tuple[str, ...]:
    """Column names of an MLflow dataset schema (JSON text; tensor specs have none)."""
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    columns: Any = data.get("mlflow_colspec") if isinstance(data, dict) else data
    if isinstance(columns, str):  # some flavours nest the spec as JSON text
        try:
            columns = json.loads(columns)
        except ValueError:
            return ()
    if not isinstance(columns, list):
        return ()
    names = []
    for column in columns:
        if isinstance(column, dict) and isinstance(column.get("name"), str) and column["name"]:
            names.append(column["name"])
    return tuple(names)


def _name_filter(model: str) -> str:
    """`name='MODEL'` for MLflow's search filter (it has no escape for a quote inside quotes)."""
    if "'" not in model:
        return f"name='{model}'"
    if '"' not in model:
        return f'name="{model}"'
    raise RegistryError(
        SOURCE,
        f"model name {model!r} holds both quote characters, which MLflow's search cannot match",
        error_code="INVALID_PARAMETER_VALUE",
    )


def _outputs_for(data: Any, model: str, version: str) -> Any:
    """The part of an OpenLineage document describing this model version.

    Outputs of run events are matched by dataset name: `MODEL:VERSION`, `MODEL/VERSION` or
    `models:/MODEL/VERSION` first, else `MODEL` or `models:/MODEL`; a document with no outputs
    (a bare columnLineage facet) applies to every model.
    """
    events = data if isinstance(data, list) else [data]
    outputs = [
        output
        for event in events
        if isinstance(event, dict) and isinstance(event.get("outputs"), list)
        for output in event["outputs"]
        if isinstance(output, dict)
    ]
    if not outputs:
        return data
    exact = {f"{model}:{version}", f"{model}/{version}", f"models:/{model}/{version}"}
    wide = {model, f"models:/{model}"}
    matching = [item for item in outputs if item.get("name") in exact]
    if not matching:
        matching = [item for item in outputs if item.get("name") in wide]
    return matching


def _excerpt(text: str, limit: int) -> str:
    """External text on one line, bounded."""
    cleaned = " ".join(str(text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."
