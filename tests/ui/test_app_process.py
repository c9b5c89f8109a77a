"""The console process never imports pandas (nor numpy): checked in a fresh interpreter that runs
the app against a real Collector until the first snapshot is on screen."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from govtui.demo.config import demo_config
    from govtui.fleet.client import CollectorClient, CollectorSpec
    from govtui.ui.app import GovtuiApp
    from govtui.ui.settings import ConsoleSettings

    AT = 1768478400.0
    state_dir = sys.argv[1]
    client = CollectorClient.start(
        CollectorSpec(loaded=demo_config(), demo=True, state_dir=state_dir, at=AT)
    )
    settings = ConsoleSettings(
        loaded=demo_config(), context="test", replay_at=AT, operator="t@h", demo=True
    )

    async def main():
        app = GovtuiApp(settings, client)
        async with app.run_test(size=(100, 30)) as pilot:
            deadline = time.monotonic() + 60
            while app.snapshot is None or not app.screen.table.row_keys:
                assert time.monotonic() < deadline, "no snapshot"
                await pilot.pause(0.05)
            await pilot.press("enter")
            while not app.snapshot.details:
                assert time.monotonic() < deadline, "no detail"
                await pilot.pause(0.05)
            await pilot.pause()
            return {
                "rows": len(app.screen_stack[1].table.row_keys),
                "pandas": "pandas" in sys.modules,
                "numpy": "numpy" in sys.modules,
            }

    try:
        print(json.dumps(asyncio.run(main())))
    finally:
        client.close()
    """
)


def test_console_process_never_imports_pandas(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["rows"] == 12
    assert facts["pandas"] is False
    assert facts["numpy"] is False
