"""Notes on a model: kept in the audit log (action `note`), so they are attributed and tamper-evident."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govtui.actions.audit import actor_text
from govtui.actions.guard import ensure_writable
from govtui.errors import ReadOnlyRefused, UsageError

if TYPE_CHECKING:
    from govtui.actions.audit import AuditLog

ACTION = "note"
MAX_NOTE_CHARS = 4000


@dataclass(frozen=True)
class Note:
    """A note as shown on a model's screen: when, who (`user@host`), what."""

    time: str
    actor: str
    text: str
    incident: str | None = None


def add_note(
    audit: AuditLog,
    model: str,
    text: str,
    *,
    incident: str | None = None,
    read_only: bool,
    actor: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Record a note on a model; returns the audit record written."""
    from govtui.actions.audit import actor_identity

    body = text.strip()
    if not model:
        raise UsageError("note: a model name is required")
    if not body:
        raise UsageError("note: the note text is empty")
    if len(body) > MAX_NOTE_CHARS:
        raise UsageError(f"note: the text is {len(body)} characters (at most {MAX_NOTE_CHARS})")
    who = dict(actor) if actor is not None else actor_identity()
    try:
        ensure_writable(read_only, f"note on {model}")
    except ReadOnlyRefused as exc:
        audit.append(
            ACTION,
            model,
            outcome="refused",
            params={"text": body, "error": str(exc)},
            incident=incident,
            actor=who,
        )
        raise
    return audit.append(
        ACTION, model, outcome="recorded", params={"text": body}, incident=incident, actor=who
    )


def notes_by_model(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Note]]:
    """Recorded notes grouped by model, oldest first (refused notes left out)."""
    grouped: dict[str, list[Note]] = {}
    for record in records:
        if record.get("action") != ACTION or record.get("outcome") != "recorded":
            continue
        params = record.get("params")
        text = params.get("text") if isinstance(params, Mapping) else None
        if not isinstance(text, str):
            continue
        model = str(record.get("target", ""))
        grouped.setdefault(model, []).append(
            Note(
                time=str(record.get("time", "")),
                actor=actor_text(record.get("actor")),
                text=text,
                incident=record.get("incident") or None,
            )
        )
    return grouped
