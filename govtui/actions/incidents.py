"""Incidents: an active incident id tags every later action; its report is built from the audit log.

The active incident lives in `<state_dir>/incident.json` (replaced atomically under a lock);
start and end are audit records themselves, so the report needs nothing but the log.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from govtui.actions.audit import actor_text
from govtui.actions.guard import ensure_writable
from govtui.errors import InputError, ReadOnlyRefused, UsageError
from govtui.fsutil import atomic_replace
from govtui.timeutil import utc_now

if TYPE_CHECKING:
    from govtui.actions.audit import AuditLog

START = "incident.start"
END = "incident.end"
STATE_FILE = "incident.json"
REPORT_FORMAT = "govtui.incident/v1"
MAX_TITLE_CHARS = 200
_ID_RE = re.compile(r"^INC-(\d{8})-(\d+)$")

# Keys of the evidence dict callers capture with an action (read back by the report).
EVIDENCE_CHECKS = "checks"  # list of {check, severity, subject, message}
EVIDENCE_STATUS = "status"  # the model's health when the action was taken
EVIDENCE_ALERTS = "alerts"  # list of {name, state, severity}
EVIDENCE_VERSIONS = "versions"  # {alias, from, to}


@dataclass(frozen=True)
class Incident:
    """The active incident: id, title, when and by whom it started."""

    id: str
    title: str
    started: str
    actor: str


def incident_file(state_dir: Path) -> Path:
    """Where the active incident is kept."""
    return Path(state_dir) / STATE_FILE


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Serialise start/end across processes (flock on a sibling `.lock` file)."""
    path = incident_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(STATE_FILE + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def current_incident(state_dir: Path) -> Incident | None:
    """The active incident, or None; a damaged state file is an error naming it."""
    path = incident_file(state_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}:0: cannot read the active incident: {exc}") from None
    try:
        data = json.loads(text)
        return Incident(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            started=str(data.get("started", "")),
            actor=str(data.get("actor", "")),
        )
    except (ValueError, KeyError, TypeError):
        raise InputError(
            f"{path}:1: the active-incident file is damaged (end it: govtui incident end)"
        ) from None


def next_incident_id(records: Iterable[Mapping[str, Any]], now: datetime) -> str:
    """`INC-YYYYMMDD-N`: N one above the highest started that UTC day in the audit log."""
    day = now.strftime("%Y%m%d")
    highest = 0
    for record in records:
        if record.get("action") != START:
            continue
        match = _ID_RE.match(str(record.get("target", "")))
        if match is not None and match.group(1) == day:
            highest = max(highest, int(match.group(2)))
    return f"INC-{day}-{highest + 1}"


def start_incident(
    audit: AuditLog,
    title: str,
    state_dir: Path,
    *,
    read_only: bool = False,
    actor: Mapping[str, str] | None = None,
) -> str:
    """Open an incident (one at a time): record it, make it active, return its id."""
    from govtui.actions.audit import actor_identity

    name = " ".join(title.split())
    if not name:
        raise UsageError("incident start: the title is empty")
    if len(name) > MAX_TITLE_CHARS:
        raise UsageError(f"incident start: the title is longer than {MAX_TITLE_CHARS} characters")
    who = dict(actor) if actor is not None else actor_identity()
    try:
        ensure_writable(read_only, "incident start")
    except ReadOnlyRefused as exc:
        audit.append(
            START,
            "-",
            outcome="refused",
            params={"title": name, "error": str(exc)},
            actor=who,
        )
        raise
    with _locked(state_dir):
        active = current_incident(state_dir)
        if active is not None:
            raise UsageError(
                f"incident {active.id} ({active.title}) is already active; "
                "end it first: govtui incident end"
            )
        incident_id = next_incident_id(audit.records(), utc_now())
        record = audit.append(
            START,
            incident_id,
            outcome="recorded",
            params={"title": name},
            incident=incident_id,
            actor=who,
        )
        state = Incident(incident_id, name, str(record.get("time", "")), actor_text(who))
        with atomic_replace(incident_file(state_dir), mode=0o600) as handle:
            handle.write(json.dumps(asdict(state), ensure_ascii=False) + "\n")
    return incident_id


def end_incident(
    audit: AuditLog,
    state_dir: Path,
    *,
    read_only: bool = False,
    summary: str = "",
    actor: Mapping[str, str] | None = None,
) -> Incident:
    """Close the active incident: record the end and clear the state file."""
    from govtui.actions.audit import actor_identity

    who = dict(actor) if actor is not None else actor_identity()
    with _locked(state_dir):
        try:
            active = current_incident(state_dir)
        except InputError:
            incident_file(state_dir).unlink(missing_ok=True)
            raise
        if active is None:
            raise UsageError("incident end: no incident is active")
        params: dict[str, Any] = {"title": active.title}
        if summary.strip():
            params["summary"] = summary.strip()
        try:
            ensure_writable(read_only, "incident end")
        except ReadOnlyRefused as exc:
            audit.append(
                END,
                active.id,
                outcome="refused",
                params={**params, "error": str(exc)},
                incident=active.id,
                actor=who,
            )
            raise
        audit.append(
            END, active.id, outcome="recorded", params=params, incident=active.id, actor=who
        )
        incident_file(state_dir).unlink(missing_ok=True)
    return active


# ---------------------------------------------------------------------------------------------
# The report


def _short_time(value: Any) -> str:
    """`2026-11-28T10:03:12.123456Z` -> `2026-11-28 10:03:12Z`."""
    text = str(value or "")
    match = re.match(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)", text)
    return f"{match.group(1)} {match.group(2)}Z" if match else text


def _versions(params: Mapping[str, Any]) -> str:
    evidence = params.get("evidence")
    versions = evidence.get(EVIDENCE_VERSIONS) if isinstance(evidence, Mapping) else None
    if not isinstance(versions, Mapping):
        versions = params if "from" in params or "to" in params else None
    if not isinstance(versions, Mapping):
        return ""
    alias = versions.get("alias") or params.get("alias")
    shown = f"{versions.get('from') or '-'} -> {versions.get('to') or '-'}"
    read_back = params.get("read_back")
    if read_back is not None:
        shown += f" (read back {read_back})"
    return f"{alias}: {shown}" if alias else shown


def _failing_checks(params: Mapping[str, Any]) -> str:
    evidence = params.get("evidence")
    if not isinstance(evidence, Mapping):
        return ""
    checks = evidence.get(EVIDENCE_CHECKS)
    parts: list[str] = []
    if isinstance(checks, list):
        for item in checks:
            if isinstance(item, Mapping):
                subject = item.get("subject")
                where = f" ({subject})" if subject else ""
                parts.append(f"{item.get('check', '?')} {item.get('severity', '')}{where}".strip())
    elif isinstance(checks, str):
        parts.append(checks)
    status = evidence.get(EVIDENCE_STATUS)
    text = "; ".join(parts) if parts else ("none" if isinstance(checks, list) else "")
    if status:
        text = f"{status}: {text}" if text else str(status)
    return text


def _alert_state(params: Mapping[str, Any]) -> str:
    evidence = params.get("evidence")
    alerts = evidence.get(EVIDENCE_ALERTS) if isinstance(evidence, Mapping) else None
    if isinstance(alerts, str):
        return alerts
    if not isinstance(alerts, list):
        return ""
    if not alerts:
        return "none"
    return "; ".join(
        f"{item.get('name', '?')} {item.get('state', '')}".strip()
        for item in alerts
        if isinstance(item, Mapping)
    )


def _detail(record: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    action = record.get("action")
    parts: list[str] = []
    if action in (START, END):
        if params.get("title"):
            parts.append(str(params["title"]))
        if params.get("summary"):
            parts.append(f"summary: {params['summary']}")
    for key, label in (("reason", ""), ("text", ""), ("silence_id", "silence "), ("error", "")):
        value = params.get(key)
        if value:
            parts.append(f"{label}{value}")
    matchers = params.get("matchers")
    if isinstance(matchers, list) and matchers:
        parts.append(
            "matchers "
            + ", ".join(
                f"{m.get('name')}={m.get('value')}" for m in matchers if isinstance(m, Mapping)
            )
        )
    if params.get("duration"):
        parts.append(f"for {params['duration']}")
    return "; ".join(parts)


def _entry(record: Mapping[str, Any]) -> dict[str, Any]:
    raw = record.get("params")
    params: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    evidence = params.get("evidence")
    return {
        "seq": record.get("seq"),
        "time": record.get("time"),
        "actor": actor_text(record.get("actor")),
        "action": record.get("action"),
        "target": record.get("target"),
        "outcome": record.get("outcome"),
        "versions": _versions(params),
        "failing_checks": _failing_checks(params),
        "alert_state": _alert_state(params),
        "detail": _detail(record, params),
        "evidence": dict(evidence) if isinstance(evidence, Mapping) else None,
    }


def incident_records(
    records: Iterable[Mapping[str, Any]], incident_id: str
) -> list[Mapping[str, Any]]:
    """The records of one incident, in log order."""
    return [
        record
        for record in records
        if record.get("incident") == incident_id
        or (record.get("action") in (START, END) and record.get("target") == incident_id)
    ]


def _cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes and HTML escaped."""
    text = " ".join(str(value if value is not None else "").split())
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return text or "-"


def incident_report(
    records: Iterable[Mapping[str, Any]],
    incident_id: str,
    fmt: Literal["md", "json"] | str = "md",
) -> str:
    """The incident's timeline from the audit log, with the evidence captured at each action."""
    if fmt not in ("md", "json"):
        raise UsageError(f"incident report: unknown format {fmt!r} (md or json)")
    chosen = incident_records(records, incident_id)
    if not chosen:
        raise UsageError(f"incident report: no audit records for incident {incident_id!r}")
    start = next(
        (r for r in chosen if r.get("action") == START and r.get("outcome") == "recorded"), None
    )
    end = next(
        (r for r in chosen if r.get("action") == END and r.get("outcome") == "recorded"), None
    )
    start_params = start.get("params") if start is not None else None
    title = str(start_params.get("title", "")) if isinstance(start_params, Mapping) else ""
    entries = [_entry(record) for record in chosen]
    outcomes: dict[str, int] = {}
    for entry in entries:
        outcomes[str(entry["outcome"])] = outcomes.get(str(entry["outcome"]), 0) + 1
    if fmt == "json":
        document = {
            "format": REPORT_FORMAT,
            "id": incident_id,
            "title": title,
            "started": start.get("time") if start is not None else None,
            "started_by": actor_text(start.get("actor")) if start is not None else None,
            "ended": end.get("time") if end is not None else None,
            "ended_by": actor_text(end.get("actor")) if end is not None else None,
            "outcomes": outcomes,
            "entries": entries,
        }
        return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    lines = [f"# Incident {_cell(incident_id)}: {_cell(title)}", ""]
    if start is not None:
        lines.append(
            f"- Started: {_short_time(start.get('time'))} by {_cell(actor_text(start.get('actor')))}"
        )
    else:
        lines.append("- Started: (no start record in this audit log)")
    if end is not None:
        lines.append(
            f"- Ended: {_short_time(end.get('time'))} by {_cell(actor_text(end.get('actor')))}"
        )
    else:
        lines.append("- Ended: still active")
    seqs = [entry["seq"] for entry in entries if isinstance(entry["seq"], int)]
    span = f" (audit seq {min(seqs)}-{max(seqs)})" if seqs else ""
    summary = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
    lines.append(f"- Records: {len(entries)}{span}: {summary}")
    lines += [
        "",
        "## Timeline",
        "",
        "| Seq | Time (UTC) | Actor | Action | Target | Outcome | Versions | Failing checks "
        "| Alert state | Detail |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        cells = [
            entry["seq"],
            _short_time(entry["time"]),
            entry["actor"],
            entry["action"],
            entry["target"],
            entry["outcome"],
            entry["versions"],
            entry["failing_checks"],
            entry["alert_state"],
            entry["detail"],
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines += [
        "",
        "Built by govtui from the audit log; `govtui audit verify` checks the records are intact.",
    ]
    return "\n".join(lines) + "\n"
