"""Action outcomes, traffic and notes as Rich Text (pure, Rich only; external text never markup)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from govtui.errors import EXIT_ACTION_FAILED, EXIT_CHECK_FAILED, EXIT_READ_ONLY
from govtui.fleet.requests import ActionReply, TrafficReply
from govtui.fleet.snapshot import NoteInfo
from govtui.ui.render.model_text import Palette

NOTE_MARKER = "\u270e"
"""Beside a model's name in the fleet when it has notes (`*` in ASCII mode)."""
ASCII_NOTE_MARKER = "*"


def outcome_word(reply: ActionReply) -> str:
    """DONE, DRY RUN, REFUSED, FAILED, UNCONFIRMED or ERROR: a failed or unconfirmed action is
    never called done."""
    if reply.ok:
        return "DRY RUN" if reply.outcome == "dry-run" else "DONE"
    if reply.exit_code in (EXIT_CHECK_FAILED, EXIT_READ_ONLY):
        return "REFUSED"
    if reply.exit_code == EXIT_ACTION_FAILED:
        return "UNCONFIRMED" if "unconfirmed" in reply.message else "FAILED"
    return "ERROR"


def outcome_style(word: str, palette: Palette) -> str:
    """The style of an outcome word."""
    return {"DONE": palette.ok, "DRY RUN": palette.accent}.get(word, palette.crit)


def action_status_text(reply: object, model: str, palette: Palette) -> Text | None:
    """The model screen's action line for a reply about `model` (None: not about it)."""
    if isinstance(reply, TrafficReply) and reply.model == model:
        style = palette.ok if reply.done else (palette.warn if reply.final else "")
        return Text(reply.message, style=style)
    if isinstance(reply, ActionReply) and reply.target == model:
        word = outcome_word(reply)
        text = Text()
        text.append(f"{reply.kind} {word}: ", style=outcome_style(word, palette))
        text.append(reply.message)
        return text
    return None


def notes_text(notes: Sequence[NoteInfo], palette: Palette) -> Text:
    """The newest note (who, when, what) and how many earlier ones there are; empty without."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if not notes:
        return text
    newest = notes[-1]
    text.append("note ", style="bold")
    text.append(f"{newest.actor} {newest.time[:16].replace('T', ' ')}: ", style=palette.muted)
    text.append(newest.text)
    if len(notes) > 1:
        text.append(f"  (+{len(notes) - 1} earlier, :audit)", style=palette.muted)
    return text
