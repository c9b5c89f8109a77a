"""The tamper-evident audit log: hash-chained JSON Lines, optional HMAC, locked and fsynced appends.

Each line is the record's canonical body (sorted keys, `,`/`:` separators, UTF-8, non-ASCII
kept, no `hash`/`hmac`) with `"hash"` and optional `"hmac"` appended before the closing brace.
So the hashed bytes are a literal prefix of the line: verification hashes them without
re-serialising (fast), and any reader can still recompute the hash from the parsed record as the
design defines it (the slow path and `thorough=True` do exactly that).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac as hmac_module
import ipaddress
import json
import os
import pwd
import re
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from govtui.errors import InputError

if TYPE_CHECKING:
    from govtui.config import LoadedConfig

GENESIS_HASH = "0" * 64
AUDIT_FILE = "audit.jsonl"
DEFAULT_KEY_ENV = "GOVTUI_AUDIT_KEY"
RECOVERED = "recovered"
OUTCOMES = frozenset({"intent", "done", "refused", "failed", "unconfirmed", "dry-run", "recorded"})
ACTIONS = (
    "rollback",
    "silence.create",
    "silence.expire",
    "note",
    "incident.start",
    "incident.end",
    "gate.record",
    RECOVERED,
)
BODY_FIELDS = frozenset(
    {"seq", "time", "actor", "action", "target", "params", "outcome", "incident", "prev_hash"}
)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
REDACTED = "[redacted]"
FILE_MODE = 0o600
SHARED_FILE_MODE = 0o660

_ACTION_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
_SECRET_NAME_RE = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|PRIVATE_?KEY|_KEY$|^KEY$",
    re.IGNORECASE,
)
_USERINFO_RE = re.compile(r"(?<=://)[^/\s@]+@")
_MIN_SECRET_LENGTH = 6
_TAIL_CHUNK = 65536
_LOGIN_UID_UNSET = 4294967295

# The fixed tail of a line as this module writes it: `...,"hash":"<64>"[,"hmac":"<64>"]}\n`.
_HASH_TAG = b',"hash":"'
_HMAC_TAG = b',"hmac":"'
_PREV_TAG = b',"prev_hash":"'
_RECOVERED_PREFIX = b'{"action":"recovered",'
_TAIL_PLAIN = len(_HASH_TAG) + 64 + 3  # ,"hash":"<64>"}\n
_TAIL_MAC = _TAIL_PLAIN + len(_HMAC_TAG) + 64 + 1  # ,"hash":"<64>","hmac":"<64>"}\n


@dataclass(frozen=True)
class VerifyResult:
    """What `verify` found: intact or the first bad line (number, seq, why), plus warnings."""

    ok: bool
    records: int
    head: str
    first_bad_line: int | None
    first_bad_seq: int | None
    reason: str
    warnings: tuple[str, ...]

    def summary(self, *, full_head: bool = False) -> str:
        """One line: `chain intact: N records, head abcd1234…` or `BROKEN at line L (seq S): why`."""
        if self.ok:
            noun = "record" if self.records == 1 else "records"
            head = self.head if full_head else f"{self.head[:12]}…"
            return f"chain intact: {self.records} {noun}, head {head}"
        where = ""
        if self.first_bad_line is not None:
            where = f" at line {self.first_bad_line}"
            if self.first_bad_seq is not None:
                where += f" (seq {self.first_bad_seq})"
        return f"BROKEN{where}: {self.reason}"


# ---------------------------------------------------------------------------- identity & paths


def actor_identity() -> dict[str, str]:
    """Who is acting: effective user, host, SSH client address, sudo user and login uid."""
    uid = os.geteuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    identity = {"user": user, "host": socket.gethostname()}
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    if ssh:
        with contextlib.suppress(ValueError):
            identity["origin"] = str(ipaddress.ip_address(ssh[0]))
    sudo_user = os.environ.get("SUDO_USER", "").strip()
    if sudo_user:
        identity["sudo_user"] = sudo_user[:64]
    login_uid = _login_uid()
    if login_uid is not None:
        identity["login_uid"] = login_uid
    return identity


def _login_uid() -> str | None:
    """The kernel's audit login uid (survives sudo and su), when the system sets one."""
    try:
        text = Path("/proc/self/loginuid").read_text(encoding="ascii").strip()
        value = int(text)
    except (OSError, ValueError):
        return None
    if value < 0 or value == _LOGIN_UID_UNSET:
        return None
    return str(value)


def actor_text(actor: Any) -> str:
    """`user@host`, with the sudo user and SSH origin when present (for tables)."""
    if not isinstance(actor, Mapping):
        return str(actor or "")
    text = f"{actor.get('user', '?')}@{actor.get('host', '?')}"
    if actor.get("sudo_user"):
        text += f" (sudo {actor['sudo_user']})"
    if actor.get("origin"):
        text += f" from {actor['origin']}"
    return text


def audit_path(loaded: LoadedConfig | None, state_dir: Path | None = None) -> Path:
    """The config's `audit.path` (relative to the config file), else `<state dir>/audit.jsonl`."""
    if loaded is not None and loaded.config.audit.path is not None:
        return loaded.resolve(loaded.config.audit.path)
    if state_dir is None:
        from govtui.config import state_dir as default_state_dir

        state_dir = default_state_dir()
    return Path(state_dir) / AUDIT_FILE


def hmac_key_from_env(name: str = DEFAULT_KEY_ENV) -> bytes | None:
    """The HMAC key from the named env var; unset or empty means no key."""
    value = os.environ.get(name, "")
    return value.encode("utf-8") if value else None


# ---------------------------------------------------------------------------- canonical form


def canonical_bytes(body: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed: sorted keys, `,`/`:` separators, UTF-8 with non-ASCII kept."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def record_hmac(key: bytes, body: bytes) -> str:
    """HMAC-SHA256 hex of the canonical body bytes."""
    return hmac_module.new(key, body, hashlib.sha256).hexdigest()


def plain(value: Any) -> Any:
    """A JSON value without floats: floats (NaN and infinities too) become their repr."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _utf8_safe(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {_utf8_safe(str(key)): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(item) for item in value), key=str)
    if isinstance(value, datetime):
        return value.isoformat()
    return _utf8_safe(str(value))


def _utf8_safe(text: str) -> str:
    """Text that encodes as UTF-8 (lone surrogates from undecodable bytes are escaped)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def secret_values(hmac_key: bytes | None = None) -> tuple[str, ...]:
    """Values that must never be written: the HMAC key and env vars named like secrets."""
    values = {
        value
        for name, value in os.environ.items()
        if _SECRET_NAME_RE.search(name) and len(value) >= _MIN_SECRET_LENGTH
    }
    if hmac_key:
        values.add(hmac_key.decode("utf-8", "replace"))
    return tuple(sorted(values, key=len, reverse=True))


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """A plain JSON value with every secret and any URL `user:password@` replaced."""
    if isinstance(value, str):
        cleaned = _USERINFO_RE.sub("", value) if "://" in value else value
        for secret in secrets:
            if secret in cleaned:
                cleaned = cleaned.replace(secret, REDACTED)
        return cleaned
    if isinstance(value, dict):
        return {redact(key, secrets): redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    return value


def _line(body: dict[str, Any], key: bytes | None) -> tuple[bytes, dict[str, Any]]:
    """The line to append for a body, and the full record (body + hash [+ hmac])."""
    data = canonical_bytes(body)
    digest = hashlib.sha256(data).hexdigest()
    record = dict(body)
    record["hash"] = digest
    tail = _HASH_TAG + digest.encode("ascii") + b'"'
    if key is not None:
        mac = record_hmac(key, data)
        record["hmac"] = mac
        tail += _HMAC_TAG + mac.encode("ascii") + b'"'
    return data[:-1] + tail + b"}\n", record


def _now() -> str:
    return datetime.now(tz=UTC).strftime(TIME_FORMAT)


# ---------------------------------------------------------------------------- the log


@dataclass(frozen=True)
class _TailLine:
    offset: int
    data: bytes  # without its newline
    terminated: bool


@dataclass(frozen=True)
class _Tail:
    """The end of the file: the newest record (None when none) and a torn line after it."""

    last: dict[str, Any] | None
    torn: _TailLine | None


class AuditLog:
    """Appends hash-chained records under an exclusive lock; reads the newest ones cheaply."""

    def __init__(self, path: Path, *, hmac_key: bytes | None = None, shared: bool = False) -> None:
        self.path = Path(path)
        self._key = hmac_key or None
        self.shared = shared

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r}, hmac={'on' if self._key else 'off'})"

    @property
    def signed(self) -> bool:
        """Whether records get an HMAC."""
        return self._key is not None

    @classmethod
    def from_config(cls, loaded: LoadedConfig | None, state_dir: Path | None = None) -> AuditLog:
        """The configured log; the key comes from the env var `audit.hmac_key_env` names."""
        if loaded is None:
            return cls(audit_path(None, state_dir), hmac_key=hmac_key_from_env())
        settings = loaded.config.audit
        return cls(
            audit_path(loaded, state_dir),
            hmac_key=hmac_key_from_env(settings.hmac_key_env),
            shared=settings.shared,
        )

    # ------------------------------------------------------------------ append

    def append(
        self,
        action: str,
        target: str,
        *,
        outcome: str,
        params: Mapping[str, Any] | None = None,
        incident: str | None = None,
        actor: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Write one record (after a `recovered` record when the last line is torn); return it."""
        if not isinstance(action, str) or not _ACTION_RE.match(action) or action == RECOVERED:
            raise ValueError(f"invalid audit action {action!r}")
        if outcome not in OUTCOMES:
            raise ValueError(f"invalid audit outcome {outcome!r} (one of {sorted(OUTCOMES)})")
        secrets = secret_values(self._key)
        fields: dict[str, Any] = {
            "action": action,
            "actor": redact(plain(dict(actor) if actor is not None else actor_identity()), secrets),
            "incident": None if incident is None else redact(plain(str(incident)), secrets),
            "outcome": outcome,
            "params": redact(plain(dict(params or {})), secrets),
            "target": redact(plain(str(target)), secrets),
        }
        try:
            return self._append_locked(fields)
        except OSError as exc:
            raise InputError(
                f"{self.path}: cannot append to the audit log: {exc.strerror or exc}"
            ) from None

    def _append_locked(self, fields: dict[str, Any]) -> dict[str, Any]:
        fd, created = self._open_locked()
        try:
            size = os.fstat(fd).st_size
            tail = _read_tail(fd, size, self.path)
            seq = int(tail.last["seq"]) + 1 if tail.last is not None else 1
            prev = str(tail.last["hash"]) if tail.last is not None else GENESIS_HASH
            payload = bytearray()
            if tail.torn is not None:
                if not tail.torn.terminated:
                    payload += b"\n"
                recovered = {
                    "action": RECOVERED,
                    "actor": plain(actor_identity()),
                    "incident": None,
                    "outcome": "recorded",
                    "params": {
                        "offset": tail.torn.offset,
                        "length": len(tail.torn.data),
                        "sha256": hashlib.sha256(tail.torn.data).hexdigest(),
                    },
                    "prev_hash": prev,
                    "seq": seq,
                    "target": self.path.name,
                    "time": _now(),
                }
                line, written = _line(recovered, self._key)
                payload += line
                seq, prev = seq + 1, written["hash"]
            body = dict(fields, prev_hash=prev, seq=seq, time=_now())
            line, record = _line(body, self._key)
            payload += line
            _write_all(fd, bytes(payload))
            os.fsync(fd)
            if created:
                _fsync_directory(self.path.parent)
            return record
        finally:
            os.close(fd)

    def _open_locked(self) -> tuple[int, bool]:
        """Open (creating 0600, or 0660 when shared) and lock the file the path names now."""
        mode = SHARED_FILE_MODE if self.shared else FILE_MODE
        parent = self.path.parent
        if not parent.is_dir():
            parent.mkdir(parents=True, exist_ok=True, mode=0o770 if self.shared else 0o700)
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC
        for _ in range(20):
            created = False
            try:
                fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, mode)
                created = True
            except FileExistsError:
                try:
                    fd = os.open(self.path, flags)
                except FileNotFoundError:
                    continue
            try:
                if created:
                    os.fchmod(fd, mode)  # exact mode whatever the umask: never wider, never less
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _same_file(fd, self.path):
                    return fd, created
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # rotated or replaced while we waited for the lock: use the new file
        raise OSError(errno.EAGAIN, "the audit log keeps being replaced")

    # ------------------------------------------------------------------ read

    def records(self) -> list[dict[str, Any]]:
        """Every parsed record, oldest first (torn or unparsable lines skipped)."""
        try:
            with self.path.open("rb") as handle:
                return [record for _, _, record in _iter_records(handle)]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the audit log: {exc.strerror}") from None

    def tail(self, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` records, oldest first, reading only the end of the file."""
        if limit <= 0:
            return []
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the audit log: {exc.strerror}") from None
        try:
            size = os.fstat(fd).st_size
            found: list[dict[str, Any]] = []
            for tail_line in _lines_backwards(fd, size):
                record = (
                    _record_shaped(tail_line.data, need_hash=False)
                    if tail_line.terminated
                    else None
                )
                if record is not None:
                    found.append(record)
                    if len(found) >= limit:
                        break
            found.reverse()
            return found
        finally:
            os.close(fd)

    def head(self) -> str:
        """The newest record's hash (GENESIS_HASH when there is none), for anchoring elsewhere."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return GENESIS_HASH
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the audit log: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            tail = _read_tail(fd, os.fstat(fd).st_size, self.path)
        finally:
            os.close(fd)
        return str(tail.last["hash"]) if tail.last is not None else GENESIS_HASH


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(directory if str(directory) else ".", os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _lines_backwards(fd: int, size: int) -> Iterator[_TailLine]:
    """Lines from the end of the file towards its start, read in chunks (never the whole file).

    The first one yielded is the unterminated fragment after the last newline, when there is one.
    """
    position = size
    carry = b""  # bytes from `position` on that are not yet yielded: one (partial) line
    fragment_done = False
    while position > 0:
        start = max(0, position - _TAIL_CHUNK)
        chunk = os.pread(fd, position - start, start)
        if len(chunk) != position - start:
            return  # truncated under us (only possible without the lock): stop quietly
        position = start
        buffer = chunk + carry
        if not fragment_done:
            newline = buffer.rfind(b"\n")
            if newline < 0:
                carry = buffer
                continue
            fragment_done = True
            if newline + 1 < len(buffer):
                yield _TailLine(position + newline + 1, buffer[newline + 1 :], False)
            buffer = buffer[: newline + 1]
        pieces = buffer[:-1].split(b"\n")
        offset = position + len(buffer)
        complete = pieces if position == 0 else pieces[1:]
        for piece in reversed(complete):
            offset -= len(piece) + 1
            yield _TailLine(offset, piece, True)
        carry = pieces[0] + b"\n" if position > 0 else b""
    if not fragment_done and carry:
        yield _TailLine(0, carry, False)


def _record_shaped(data: bytes, *, need_hash: bool = True) -> dict[str, Any] | None:
    """The parsed record when a line is a JSON object with an int `seq` (and a str `hash`)."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if (
        isinstance(value, dict)
        and isinstance(value.get("seq"), int)
        and not isinstance(value.get("seq"), bool)
        and (not need_hash or isinstance(value.get("hash"), str))
    ):
        return value
    return None


def _read_tail(fd: int, size: int, path: Path) -> _Tail:
    """The newest record and a torn line after it (unterminated, or not a record)."""
    torn: _TailLine | None = None
    for tail_line in _lines_backwards(fd, size):
        record = _record_shaped(tail_line.data) if tail_line.terminated else None
        if record is not None:
            return _Tail(record, torn)
        if torn is None:
            torn = tail_line
            continue
        raise InputError(
            f"{path}: byte {tail_line.offset}: the line before the torn last line is not an "
            "audit record either; run `govtui audit verify`"
        )
    return _Tail(None, torn)


def _iter_records(handle: IO[bytes]) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(line number, byte offset, record) for every record-shaped terminated line."""
    offset = 0
    for number, raw in enumerate(handle, start=1):
        start = offset
        offset += len(raw)
        if not raw.endswith(b"\n"):
            break
        record = _record_shaped(raw, need_hash=False)
        if record is not None:
            yield number, start, record


# ---------------------------------------------------------------------------- verification


class _Broken(Exception):
    def __init__(self, line: int | None, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.seq = seq
        self.reason = reason


class _FloatFound(ValueError):
    pass


def _reject_float(text: str) -> Any:
    raise _FloatFound(text)


def verify(
    path: Path,
    *,
    hmac_key: bytes | None = None,
    expect_head: str | None = None,
    thorough: bool = False,
) -> VerifyResult:
    """Check the whole chain: parse, seq, prev_hash, hash, hmac, recovered records, anchor.

    Reads the bytes that existed when it started (appends made meanwhile are not judged). A
    torn final line is a warning; anything else wrong is the first bad line and why. Raises
    InputError when the file is missing or unreadable. `thorough` also re-serialises every
    record and checks it is in canonical form (slower; the fast path hashes the line's bytes).
    """
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no audit log here (no action has been recorded)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the audit log: {exc.strerror}") from None
    with handle:
        try:
            return _Verifier(hmac_key or None, expect_head, thorough).run(handle)
        except OSError as exc:
            raise InputError(f"{path}: cannot read the audit log: {exc.strerror}") from None


_IPAD = bytes(value ^ 0x36 for value in range(256))
_OPAD = bytes(value ^ 0x5C for value in range(256))


class _MacPads:
    """HMAC-SHA256 with the key's pads hashed once (RFC 2104), for the verify loop."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(64, b"\0")
        self.inner = hashlib.sha256(padded.translate(_IPAD))
        self.outer = hashlib.sha256(padded.translate(_OPAD))

    def hexdigest(self, body_without_brace: bytes) -> bytes:
        """The hex HMAC of `body_without_brace + b"}"`, as ASCII bytes."""
        inner = self.inner.copy()
        inner.update(body_without_brace)
        inner.update(b"}")
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest().encode("ascii")


class _Verifier:
    """One pass over the file; the fast path accepts, the slow path accepts or explains."""

    def __init__(self, key: bytes | None, expect_head: str | None, thorough: bool) -> None:
        self.key = key
        self.expect_head = expect_head
        self.thorough = thorough
        self.count = 0
        self.seq = 1
        self.prev = GENESIS_HASH
        self.unsigned_seen = False
        self.signed_seen = False
        self.warnings: list[str] = []
        self.pending: tuple[int, int, bytes, str] | None = None  # line, offset, bytes, why
        self.anchor_found = expect_head is None or expect_head == GENESIS_HASH

    def run(self, handle: IO[bytes]) -> VerifyResult:
        try:
            self._scan(handle)
        except _Broken as broken:
            return self._result(False, broken.line, broken.seq, broken.reason)
        if self.pending is not None:
            line, offset, data, why = self.pending
            self.warnings.append(
                f"line {line} (byte {offset}): torn final line of {len(data)} bytes ({why}); "
                "the next append records it"
            )
        if self.key is None and self.signed_seen:
            self.warnings.append("records carry an hmac but no key was given: hmacs not checked")
        if not self.anchor_found:
            return self._result(
                False,
                None,
                None,
                f"expected head {self.expect_head} is not in the log: records were truncated "
                "or the log was rewritten",
            )
        return self._result(True, None, None, "")

    def _result(self, ok: bool, line: int | None, seq: int | None, reason: str) -> VerifyResult:
        return VerifyResult(
            ok=ok,
            records=self.count,
            head=self.prev,
            first_bad_line=line,
            first_bad_seq=seq,
            reason=reason,
            warnings=tuple(self.warnings),
        )

    def _scan(self, handle: IO[bytes]) -> None:
        """The hot loop: state in locals, lines in our own layout checked on their bytes."""
        size = os.fstat(handle.fileno()).st_size
        mac = _MacPads(self.key) if self.key is not None else None
        fast = not self.thorough
        sha256 = hashlib.sha256
        compare = hmac_module.compare_digest
        expect = self.expect_head.encode("ascii", "replace") if self.expect_head else None
        seq, prev, count = self.seq, self.prev.encode("ascii"), self.count
        signed_seen = anchor_found = False
        number = 0
        offset = 0
        for raw in handle:
            start = offset
            offset += len(raw)
            if start >= size:
                break
            number += 1
            if fast and raw.endswith(b'"}\n'):
                # `...,"hash":"<64>"}\n` or `...,"hash":"<64>","hmac":"<64>"}\n`; the body is
                # the bytes before `,"hash"` plus `}`.
                length = len(raw)
                if raw.startswith(_HMAC_TAG, length - _TAIL_PLAIN):
                    cut = length - _TAIL_MAC
                    claimed_mac: bytes | None = raw[-67:-3]
                else:
                    cut = length - _TAIL_PLAIN
                    claimed_mac = None
                if cut > 0 and raw.startswith(_HASH_TAG, cut):
                    part = raw[:cut]
                    digest = sha256(part)
                    digest.update(b"}")
                    claimed = raw[cut + 9 : cut + 73]
                    at = raw.rfind(_PREV_TAG, 0, cut)
                    if (
                        digest.hexdigest().encode("ascii") == claimed
                        and at > 0
                        and raw.startswith(
                            b'%b%b","seq":%d,"target":"' % (_PREV_TAG, prev, seq), at
                        )
                        and not raw.startswith(_RECOVERED_PREFIX)
                        and (
                            mac is None
                            or (
                                claimed_mac is not None
                                and compare(mac.hexdigest(part), claimed_mac)
                            )
                        )
                    ):
                        if claimed_mac is not None:
                            signed_seen = True
                        if expect is not None and claimed == expect:
                            anchor_found = True
                        count += 1
                        seq += 1
                        prev = claimed
                        continue
            # Anything else: the design's definition, record by record, with the reason.
            self.seq, self.prev, self.count = seq, prev.decode("ascii"), count
            self.signed_seen = self.signed_seen or signed_seen
            self.anchor_found = self.anchor_found or anchor_found
            if raw[-1:] != b"\n":
                self._torn_final(number, start, raw)
                return
            self._slow(number, start, raw)
            seq, prev, count = self.seq, self.prev.encode("ascii"), self.count
            # A line the fast path cannot judge alone (waiting for its recovered record).
            fast = not self.thorough and self.pending is None
        self.seq, self.prev, self.count = seq, prev.decode("ascii"), count
        self.signed_seen = self.signed_seen or signed_seen
        self.anchor_found = self.anchor_found or anchor_found

    def _torn_final(self, number: int, start: int, raw: bytes) -> None:
        if self.pending is not None:
            line, _, _, why = self.pending
            raise _Broken(line, None, f"not an audit record ({why}) and not recovered")
        self.warnings.append(
            f"line {number} (byte {start}): torn final line of {len(raw)} bytes (no newline: "
            "a crash mid-write); the next append records it"
        )

    def _slow(self, number: int, start: int, raw: bytes) -> None:
        """The design's definition, record by record: parse, recompute, compare; or explain."""
        data = raw[:-1]
        try:
            record, why = _parse_record(data)
        except _Broken as broken:
            raise _Broken(number, broken.seq, broken.reason) from None
        if record is None:
            if self.pending is not None:
                line, _, _, pending_why = self.pending
                raise _Broken(line, None, f"not an audit record ({pending_why}) and not recovered")
            self.pending = (number, start, data, why)
            return
        seq_value = record["seq"]
        if self.pending is not None and record.get("action") != RECOVERED:
            line, _, _, pending_why = self.pending
            raise _Broken(line, None, f"not an audit record ({pending_why}) and not recovered")
        problem = self._record_problem(record, data)
        if problem is not None:
            raise _Broken(number, seq_value, problem)
        if record["action"] == RECOVERED:
            self._check_recovered(number, record)
        if "hmac" in record:
            self.signed_seen = True
        self.count += 1
        self.seq += 1
        self.prev = record["hash"]
        if self.expect_head is not None and record["hash"] == self.expect_head:
            self.anchor_found = True

    def _record_problem(self, record: dict[str, Any], data: bytes) -> str | None:
        """Why a record-shaped line is not the next valid record, or None."""
        missing = sorted(BODY_FIELDS - record.keys())
        if missing:
            return f"missing field {missing[0]}"
        unknown = sorted(record.keys() - BODY_FIELDS - {"hash", "hmac"})
        if unknown:
            return f"unknown field {unknown[0]!r}"
        type_problem = _type_problem(record)
        if type_problem is not None:
            return type_problem
        body = {name: record[name] for name in BODY_FIELDS}
        canonical = canonical_bytes(body)
        if hashlib.sha256(canonical).hexdigest() != record["hash"]:
            return "hash mismatch: the record was changed after it was written"
        if self.thorough and not _is_canonical_line(data, canonical):
            return "not in canonical form (the hashed bytes are not the record as written)"
        if self.key is not None:
            mac = record.get("hmac")
            if mac is None:
                return "no hmac: written without the key, or forged"
            if not isinstance(mac, str) or not hmac_module.compare_digest(
                record_hmac(self.key, canonical), mac
            ):
                return "hmac mismatch: forged, or verified with the wrong key"
        if record["seq"] != self.seq:
            return (
                f"seq {record['seq']} where {self.seq} was expected: a record was deleted, "
                "inserted or reordered"
            )
        if record["prev_hash"] != self.prev:
            return (
                "prev_hash does not match the previous record's hash: a record was deleted, "
                "inserted, reordered or rewritten"
            )
        return None

    def _check_recovered(self, number: int, record: dict[str, Any]) -> None:
        seq = record["seq"]
        if self.pending is None:
            raise _Broken(number, seq, "a recovered record, but no torn line precedes it")
        line, offset, data, _ = self.pending
        params = record["params"]
        expected = {
            "offset": offset,
            "length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        for name, value in expected.items():
            if params.get(name) != value:
                raise _Broken(
                    number,
                    seq,
                    f"recovered record's {name} is {params.get(name)!r}, but the torn line "
                    f"{line} has {value!r}",
                )
        self.warnings.append(
            f"line {line} (byte {offset}): a torn line of {len(data)} bytes, recovered by seq {seq}"
        )
        self.pending = None


def _parse_record(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """A record-shaped object, or None and why the line is not one."""
    try:
        value = json.loads(data, parse_float=_reject_float, parse_constant=_reject_float)
    except _FloatFound:
        value = _record_shaped(data)
        if value is None:
            return None, "not JSON"
        raise _Broken(
            None, value["seq"], "a float in the record (records carry no floats)"
        ) from None
    except (ValueError, RecursionError):
        return None, "not JSON" if data else "an empty line"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    seq = value.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        return None, "no integer seq"
    if not isinstance(value.get("hash"), str):
        return None, "no hash"
    return value, ""


def _type_problem(record: dict[str, Any]) -> str | None:
    if not isinstance(record["time"], str) or not _TIME_RE.match(record["time"]):
        return "time is not UTC YYYY-MM-DDTHH:MM:SS.ffffffZ"
    for name in ("action", "target", "outcome"):
        if not isinstance(record[name], str):
            return f"{name} is not a string"
    if not isinstance(record["actor"], dict) or not all(
        isinstance(value, str) for value in record["actor"].values()
    ):
        return "actor is not an object of strings"
    if not isinstance(record["params"], dict):
        return "params is not an object"
    if record["incident"] is not None and not isinstance(record["incident"], str):
        return "incident is neither null nor a string"
    if not isinstance(record["prev_hash"], str) or not _HEX64_RE.match(record["prev_hash"]):
        return "prev_hash is not 64 hex digits"
    return None


def _is_canonical_line(data: bytes, canonical: bytes) -> bool:
    """Whether a line (without newline) is the canonical body followed by hash [and hmac]."""
    return data.startswith(canonical[:-1] + _HASH_TAG) and len(data) in (
        len(canonical) + _TAIL_PLAIN - 2,
        len(canonical) + _TAIL_MAC - 2,
    )
