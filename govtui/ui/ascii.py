"""`--ascii`: nothing above 0x7F reaches the terminal.

Two layers: CSS that asks widgets for ASCII borders, and a line filter over every rendered line
that maps what remains (box drawing, blocks, scrollbar glyphs, arrows, ellipses, anything a model
name brings) to ASCII of the same cell width, so the layout does not move.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

ASCII_CSS = """
* {
    scrollbar-size-vertical: 1;
    scrollbar-size-horizontal: 1;
}
"""

_EXACT: dict[str, str] = {
    "…": "...",
    "•": "*",
    "·": ".",
    "●": "*",
    "○": "o",
    "◆": "*",
    "▶": ">",
    "▸": ">",
    "►": ">",
    "◀": "<",
    "◂": "<",
    "▲": "^",
    "▼": "v",
    "▴": "^",
    "▾": "v",
    "→": ">",
    "←": "<",
    "↑": "^",
    "↓": "v",
    "⏎": "enter",
    "✓": "v",
    "✔": "v",
    "✗": "x",
    "✘": "x",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "–": "-",
    "—": "-",
    "−": "-",
    "±": "+-",
    "×": "x",
    "≤": "<=",
    "≥": ">=",
    "≈": "~",
    "°": "o",
    "\u00a0": " ",
}


@lru_cache(maxsize=4096)
def ascii_char(char: str) -> str:
    """An ASCII stand-in for one character, exactly as wide in cells as the character."""
    if char.isascii():
        return char
    width = max(cell_len(char), 0)
    if width == 0:
        return ""
    replacement = _EXACT.get(char) or _by_name(char)
    if cell_len(replacement) != width:
        replacement = (replacement[:1] or "?").ljust(width, replacement[:1] or "?")
    return replacement


def _by_name(char: str) -> str:
    name = unicodedata.name(char, "")
    code = ord(char)
    if 0x2500 <= code <= 0x257F:  # box drawing
        if "VERTICAL AND" in name or "DOWN AND" in name or "UP AND" in name or "ARC" in name:
            return "+"
        if "VERTICAL" in name:
            return "|"
        if "HORIZONTAL" in name:
            return "-"
        if "DIAGONAL" in name:
            return "/"
        return "+"
    if 0x2580 <= code <= 0x259F:  # block elements
        if "LIGHT SHADE" in name:
            return ":"
        if "LOWER ONE EIGHTH" in name or "UPPER ONE EIGHTH" in name:
            return " "
        if "LEFT" in name and "BLOCK" in name and "FULL" not in name:
            return "|"
        if "RIGHT" in name and "BLOCK" in name:
            return "|"
        return "#"
    if 0x2800 <= code <= 0x28FF:  # braille (plots)
        return "." if code != 0x2800 else " "
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return decomposed or "?"


def to_ascii(text: str) -> str:
    """A string with every character replaced by its same-width ASCII stand-in."""
    if text.isascii():
        return text
    return "".join(ascii_char(char) for char in text)


class AsciiFilter(LineFilter):
    """Replaces every non-ASCII character of every rendered line."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(segment.text.isascii() for segment in segments):
            return segments
        return [
            segment
            if segment.control or segment.text.isascii()
            else Segment(to_ascii(segment.text), segment.style, segment.control)
            for segment in segments
        ]
