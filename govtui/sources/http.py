"""Shared async HTTP plumbing for backends: auth by reference, TLS, retries, redaction.

Secrets (bearer tokens, passwords) are read when a request is made, so a rotated token file is
picked up without a restart, and every message that leaves this module passes through
`redact()` so they never reach logs, errors or the screen.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import re
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Self, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from govtui.config import AuthConfig, HttpSourceConfig, TlsConfig
from govtui.errors import SourceError
from govtui.timeutil import parse_duration

# Statuses worth another attempt: the server or something in front of it is overloaded.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 5.0
# A response larger than this is refused rather than parsed (it would stall the Collector).
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
REDACTED = "<redacted>"
_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]+@")


def redact_url(url: str) -> str:
    """A URL without any `user:password@` part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Text with every secret value and any URL userinfo replaced by a marker."""
    cleaned = _USERINFO_RE.sub("", str(text))
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        cleaned = cleaned.replace(secret, REDACTED)
    return cleaned


@dataclass(frozen=True)
class Credentials:
    """Headers to send for one request and the secret values that must never be shown."""

    headers: dict[str, str]
    secrets: tuple[str, ...]


def _read_secret_file(source: str, path: Path, what: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SourceError(source, f"{what} file {path} not found") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SourceError(source, f"{what} file {path} cannot be read: {reason}") from None
    except UnicodeDecodeError:
        raise SourceError(source, f"{what} file {path} is not UTF-8 text") from None
    if not value:
        raise SourceError(source, f"{what} file {path} is empty")
    return value


def _read_secret_env(source: str, name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SourceError(source, f"{what} environment variable {name} is not set or empty")
    return value


def resolve_credentials(source: str, auth: AuthConfig, base_dir: Path) -> Credentials:
    """Authorization header from the configured env var or file, read now (never cached)."""
    if auth.bearer_token_env is not None:
        token = _read_secret_env(source, auth.bearer_token_env, "bearer token")
        return Credentials({"Authorization": f"Bearer {token}"}, (token,))
    if auth.bearer_token_file is not None:
        token = _read_secret_file(
            source, _resolve(base_dir, auth.bearer_token_file), "bearer token"
        )
        return Credentials({"Authorization": f"Bearer {token}"}, (token,))
    if auth.basic is not None:
        basic = auth.basic
        if basic.password_env is not None:
            password = _read_secret_env(source, basic.password_env, "basic auth password")
        else:
            assert basic.password_file is not None  # the config validator guarantees one
            password = _read_secret_file(
                source, _resolve(base_dir, basic.password_file), "basic auth password"
            )
        encoded = base64.b64encode(f"{basic.username}:{password}".encode()).decode("ascii")
        return Credentials({"Authorization": f"Basic {encoded}"}, (password, encoded))
    return Credentials({}, ())


def _resolve(base_dir: Path, path: Path) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else base_dir / candidate


def ssl_context(source: str, tls: TlsConfig, base_dir: Path) -> ssl.SSLContext | bool:
    """The TLS settings for httpx: verify by default, a CA bundle and client cert when given."""
    if tls.insecure_skip_verify and tls.cert_file is None:
        return False
    for what, configured in (
        ("ca_file", tls.ca_file),
        ("cert_file", tls.cert_file),
        ("key_file", tls.key_file),
    ):
        if configured is not None and not _resolve(base_dir, configured).is_file():
            raise SourceError(source, f"tls.{what} {_resolve(base_dir, configured)} not found")
    try:
        if tls.ca_file is not None:
            context = ssl.create_default_context(cafile=str(_resolve(base_dir, tls.ca_file)))
        else:
            context = ssl.create_default_context()
        if tls.insecure_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if tls.cert_file is not None:
            key = _resolve(base_dir, tls.key_file) if tls.key_file is not None else None
            context.load_cert_chain(
                str(_resolve(base_dir, tls.cert_file)), str(key) if key else None
            )
    except (ssl.SSLError, OSError) as exc:
        raise SourceError(source, f"TLS setup failed: {type(exc).__name__}: {exc}") from None
    return context


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers and the fully read body of one response."""

    status: int
    reason: str
    content_type: str
    body: bytes
    retry_after: float | None = None


Sleep = Callable[[float], Awaitable[None]]


class HttpSource:
    """One backend's async HTTP client with timeouts, bounded jittered retries and redaction."""

    def __init__(
        self,
        source: str,
        config: HttpSourceConfig,
        *,
        base_dir: Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.source = source
        self.url = config.url
        self.display_url = redact_url(config.url)
        self.retries = config.retries
        self.timeout_seconds = float(parse_duration(config.timeout))
        self.max_response_bytes = max_response_bytes
        self._config = config
        self._base_dir = base_dir or Path.cwd()
        self._sleep = sleep
        self._secrets: tuple[str, ...] = ()
        self._closed = False
        verify = ssl_context(source, config.tls, self._base_dir)
        # Credentials in the URL become a header, so httpx's request log never shows them.
        self._url_credentials = url_credentials(config.url)
        if self._url_credentials is not None:
            self._secrets = self._url_credentials.secrets
        self._client = httpx.AsyncClient(
            base_url=self.display_url,
            timeout=httpx.Timeout(self.timeout_seconds),
            verify=verify,
            transport=transport,
            headers={"Accept-Encoding": "gzip", "User-Agent": "govtui"},
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(source={self.source!r}, url={self.display_url!r})"

    def redact(self, text: str) -> str:
        """Text with this source's secrets removed."""
        return redact(text, self._secrets)

    def error(self, message: str, *, retryable: bool = False) -> SourceError:
        """A SourceError for this backend whose message carries no secret."""
        return SourceError(self.source, self.redact(message), retryable=retryable)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if not self._closed:
            self._closed = True
            await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_body: Any = None,
        what: str = "",
    ) -> HttpResponse:
        """Send a request, retrying connect errors, timeouts, 429 and 5xx with jittered backoff."""
        credentials = resolve_credentials(self.source, self._config.auth, self._base_dir)
        if not credentials.headers and self._url_credentials is not None:
            credentials = self._url_credentials
        self._secrets = tuple(dict.fromkeys((*self._secrets, *credentials.secrets)))
        headers = {**self._config.headers, **credentials.headers}
        what = what or path
        attempts = self.retries + 1
        last_error: SourceError | None = None
        retry_after: float | None = None
        for attempt in range(attempts):
            if attempt:
                await self._sleep(self._backoff(attempt, retry_after))
            retry_after = None
            try:
                response = await self._send(method, path, params, form, json_body, headers)
            except httpx.TimeoutException:
                last_error = self.error(
                    f"timed out after {self.timeout_seconds:g}s on {what} at {self.display_url} "
                    "(raise sources timeout or narrow the query)",
                    retryable=True,
                )
                continue
            except httpx.TransportError as exc:
                last_error = self.error(
                    f"cannot reach {self.display_url} ({type(exc).__name__}: {exc})",
                    retryable=True,
                )
                continue
            except httpx.DecodingError as exc:  # a garbled compressed body (tests/chaos)
                last_error = self.error(
                    f"garbled response to {what} from {self.display_url} "
                    f"({type(exc).__name__}: {exc})",
                    retryable=True,
                )
                continue
            if response.status in RETRY_STATUSES:
                last_error = self.status_error(response, what)
                retry_after = response.retry_after
                continue
            return response
        assert last_error is not None
        if attempts > 1:
            last_error = SourceError(
                self.source,
                f"{last_error.message.removeprefix(self.source + ': ')} "
                f"(after {attempts} attempts)",
                retryable=True,
            )
        raise last_error

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        form: Mapping[str, str] | None,
        json_body: Any,
        headers: dict[str, str],
    ) -> HttpResponse:
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if form is not None:
            kwargs["data"] = dict(form)
        if json_body is not None:
            kwargs["json"] = json_body
        async with self._client.stream(method, path, **kwargs) as response:
            chunks: list[bytes] = []
            size = 0
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
                raise_too_large = True
            else:
                raise_too_large = False
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise_too_large = True
                        break
                    chunks.append(chunk)
            if raise_too_large:
                limit = self.max_response_bytes // (1024 * 1024)
                raise self.error(
                    f"response to {path} is larger than {limit} MiB; narrow the model "
                    "selection (models.include / models.regex) or the query"
                )
            return HttpResponse(
                status=response.status_code,
                reason=response.reason_phrase,
                content_type=response.headers.get("content-type", ""),
                body=b"".join(chunks),
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return backoff_seconds(attempt, retry_after)

    def status_error(self, response: HttpResponse, what: str) -> SourceError:
        """A SourceError for a non-2xx status, with a hint for the usual causes."""
        hint = ""
        if response.status == 401:
            hint = " (check the auth section: token or password rejected)"
        elif response.status == 403:
            hint = " (the credentials lack permission, or the tenant header is wrong)"
        elif response.status == 404:
            hint = f" (is {self.display_url} the API's base URL?)"
        elif response.status == 429:
            hint = " (rate limited; lower the refresh rate)"
        detail = _body_excerpt(response.body)
        return self.error(
            f"HTTP {response.status} {response.reason} on {what}{hint}"
            + (f": {detail}" if detail else ""),
            retryable=response.status in RETRY_STATUSES,
        )

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_body: Any = None,
        what: str,
    ) -> Any:
        """Send a request and return its JSON body; a non-2xx status becomes a SourceError."""
        response = await self.request(
            method, path, params=params, form=form, json_body=json_body, what=what
        )
        if response.status >= 300:
            raise self.status_error(response, what)
        return self.decode_json(response, what)

    def decode_json(self, response: HttpResponse, what: str) -> Any:
        """The JSON body, or a SourceError saying how the body is broken."""
        if not response.body:
            raise self.error(f"empty response body on {what} (HTTP {response.status})")
        try:
            return json.loads(response.body)
        except UnicodeDecodeError:
            raise self.error(f"response to {what} is not UTF-8 text") from None
        except ValueError as exc:
            kind = "truncated" if "Unterminated" in str(exc) or "Expecting" in str(exc) else "bad"
            looks_like = ""
            if "json" not in response.content_type:
                looks_like = f", content type {response.content_type or 'none'}"
            raise self.error(
                f"invalid JSON in response to {what} ({kind} at char {exc.pos}"  # type: ignore[attr-defined]
                f"{looks_like}): {_body_excerpt(response.body)}"
            ) from None


ConfigT = TypeVar("ConfigT", bound=HttpSourceConfig)


class HttpClient(Generic[ConfigT]):
    """Base of a backend's API client: owns one HttpSource and closes it on exit.

    Subclasses name their backend in `SOURCE` and may pick an HttpSource subclass in
    `HTTP_CLASS` (to read a backend's own error envelope, say).
    """

    SOURCE: str
    HTTP_CLASS: type[HttpSource] = HttpSource

    def __init__(
        self,
        config: ConfigT,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        base_dir: Path | None = None,
        sleep: Sleep = asyncio.sleep,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.config = config
        self._http = self.HTTP_CLASS(
            self.SOURCE,
            config,
            base_dir=base_dir,
            transport=transport,
            sleep=sleep,
            max_response_bytes=max_response_bytes,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self._http.display_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Jittered exponential backoff (half to full of the step), honouring a short Retry-After."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, BACKOFF_CAP_SECONDS))
    return delay


def url_credentials(url: str) -> Credentials | None:
    """`user:password@` in a URL as a Basic header and its secrets (never part of a shown URL)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return None
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    secrets = tuple(s for s in (password, encoded, parts.password or "") if s)
    return Credentials({"Authorization": f"Basic {encoded}"}, secrets)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is ignored: a fixed backoff is fine then)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _body_excerpt(body: bytes, limit: int = 120) -> str:
    text = body[: limit * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")
