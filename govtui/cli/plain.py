"""Plain-text output of external strings: printed as they are, control characters escaped."""

from __future__ import annotations


def plain(text: object) -> str:
    """`text` for a terminal: every non-printable character (C0/C1 controls, escape sequences,
    bidi overrides, line separators) escaped as `\\xNN` / `\\uNNNN`, everything else verbatim."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode("ascii")
        for char in value
    )
