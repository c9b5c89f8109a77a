"""End to end in a real terminal: the installed `govtui demo` inside tmux (its own -L socket).

fleet -> model -> drift feature -> runbook -> back -> back -> quit, driven with send-keys and
read with capture-pane at every step; no traceback anywhere. With --ascii, every captured byte
(text and escape sequences) is below 0x80, while the same run without it does draw box lines.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")


@pytest.fixture(autouse=True)
def _tmux_is_installed() -> None:
    # The test command installs tmux; a missing tmux is a broken setup, not a pass.
    assert TMUX is not None, "tmux is not installed (scripts/test.sh installs it with apt-get)"


AT = "2026-01-15T12:00:00Z"
WIDTH, HEIGHT = 100, 40


def govtui_command() -> list[str]:
    """The installed console script when there is one, else the module of this checkout."""
    installed = shutil.which("govtui")
    return [installed] if installed else [sys.executable, "-m", "govtui"]


class Terminal:
    """One tmux server (own socket) with one window running a command."""

    def __init__(self, socket: str, workdir: Path) -> None:
        self.socket = socket
        self.workdir = workdir
        self.screens: list[str] = []

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-u", "-L", self.socket, *args], capture_output=True, check=check, timeout=30
        )

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        # COLUMNS/LINES inherited from the test runner would override the pane's real size.
        script = (
            f"unset COLUMNS LINES; {exports} {shlex.join(command)}; echo GOVTUI-EXIT=$?; sleep 120"
        )
        self.tmux(
            "new-session",
            "-d",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "-c",
            str(self.workdir),
            "sh",
            "-c",
            script,
        )

    def capture(self) -> bytes:
        """The visible pane, with escape sequences (-e), as raw bytes."""
        return self.tmux("capture-pane", "-p", "-e", "-J").stdout

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-J").stdout.decode("utf-8", "replace")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def literal(self, text: str) -> None:
        self.tmux("send-keys", "-l", text)

    def wait(self, pattern: str, *, absent: str | None = None, timeout: float = 60.0) -> str:
        """Poll the pane until `pattern` shows (and `absent` does not); returns the screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.text()
            assert "Traceback" not in screen, screen
            if re.search(pattern, screen) and (absent is None or absent not in screen):
                self.screens.append(screen)
                return screen
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout}s for {pattern!r}; the screen shows:\n{screen}")

    def close(self) -> None:
        self.tmux("kill-server", check=False)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(f"govtui-e2e-{os.getpid()}-{tmp_path.name}", tmp_path)
    try:
        yield term
    finally:
        term.close()


def walk_through(terminal: Terminal, tmp_path: Path, *, term: str, ascii_mode: bool) -> list[bytes]:
    """Drive the console through every step; returns the raw capture of each screen."""
    command = [*govtui_command(), "demo", "--at", AT]
    if ascii_mode:
        command.append("--ascii")
    env = {
        "TERM": term,
        "GOVTUI_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "LANG": "C.UTF-8",
    }
    terminal.start(command, env)
    raw: list[bytes] = []

    terminal.wait(r"12 models .*CRIT")
    terminal.wait(r"REPLAY @ 2026-01-15T12:00:00Z")
    raw.append(terminal.capture())

    terminal.literal("/demand")
    terminal.keys("Enter")
    terminal.wait(r"filter /demand \(1 shown\)")
    terminal.keys("Enter")
    terminal.wait(r"fleet > model demand-forecast")
    terminal.wait(r"drift CRIT")
    raw.append(terminal.capture())

    terminal.keys("Tab")  # from the SLO table to the drift features: the footer then offers
    terminal.wait(r"Compare distributions")  # the feature table's own key
    terminal.keys("Down", "Enter")  # the second worst feature at the replay time
    terminal.wait(r"rain_mm: reference vs current")
    raw.append(terminal.capture())

    terminal.keys("b")
    terminal.wait(r"fleet > model demand-forecast > runbook drift")
    raw.append(terminal.capture())

    terminal.keys("Escape")
    terminal.wait(r"fleet > model demand-forecast", absent="runbook")
    terminal.keys("Escape")
    terminal.wait(r"12 models", absent="model demand-forecast")
    raw.append(terminal.capture())

    terminal.literal(":q")
    terminal.keys("Enter")
    terminal.wait(r"GOVTUI-EXIT=0")
    return raw


@pytest.mark.parametrize("term", ["xterm", "screen", "tmux-256color"])
def test_walk_through_the_console(terminal: Terminal, tmp_path: Path, term: str) -> None:
    raw = walk_through(terminal, tmp_path, term=term, ascii_mode=False)
    assert any(byte >= 0x80 for screen in raw for byte in screen), "box drawing reaches the pane"


def test_walk_through_in_ascii_mode(terminal: Terminal, tmp_path: Path) -> None:
    raw = walk_through(terminal, tmp_path, term="xterm", ascii_mode=True)
    for index, screen in enumerate(raw):
        high = sorted({byte for byte in screen if byte >= 0x80})
        assert not high, (
            f"screen {index} has bytes {high[:8]}:\n{screen.decode('utf-8', 'replace')}"
        )
