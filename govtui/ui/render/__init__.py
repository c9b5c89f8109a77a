"""Snapshot -> Rich text (pure functions, no Textual): fleet rows, status line, model text."""
