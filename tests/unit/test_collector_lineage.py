"""The Collector's lineage replies: the champion, an alias, a version, a comparison, and errors."""

from __future__ import annotations

import asyncio
import pickle
import time
from pathlib import Path

from govtui.fleet.collector import Collector
from govtui.fleet.requests import LineageReply, LineageRequest
from govtui.sources.registry.lineage import diff_lineage
from tests.unit.test_collector import demo_spec

MODEL = "price-optimizer"
"""The demo model with both a champion and a challenger alias."""


async def answers(tmp_path: Path, *requests: LineageRequest) -> list[LineageReply]:
    """The replies to `requests`, in order, from a refreshed demo Collector."""
    sent: list[object] = []
    collector = Collector(demo_spec(tmp_path), sent.append)
    await collector.open()
    await collector.refresh(collector.due_kinds(time.monotonic()))
    replies: list[LineageReply] = []
    for request in requests:
        sent.clear()
        collector.handle(request)
        while collector._tasks:
            await asyncio.gather(*list(collector._tasks))
        (reply,) = [item for item in sent if isinstance(item, LineageReply)]
        replies.append(reply)
    return replies


async def test_alias_version_and_comparison(tmp_path: Path) -> None:
    champion, challenger, pinned, compared = await answers(
        tmp_path,
        LineageRequest(MODEL),
        LineageRequest(MODEL, alias="challenger"),
        LineageRequest(MODEL, version="2"),
        LineageRequest(MODEL, version="2", compare="3"),
    )
    assert champion.lineage is not None and champion.error is None
    assert challenger.lineage is not None and challenger.version == "4"
    assert challenger.version != champion.version
    assert pinned.version == "2" and pinned.lineage is not None and pinned.compare is None
    assert pinned.compare_lineage is None
    assert compared.lineage == pinned.lineage and compared.compare == "3"
    assert compared.compare_lineage is not None and compared.compare_lineage.version == "3"
    assert not diff_lineage(compared.lineage, compared.compare_lineage).empty  # type: ignore[arg-type]
    assert pickle.loads(pickle.dumps(compared)) == compared  # it crosses the process pipe


async def test_errors_name_what_is_missing(tmp_path: Path) -> None:
    no_alias, no_version, no_compare = await answers(
        tmp_path,
        LineageRequest(MODEL, alias="nope"),
        LineageRequest(MODEL, version="99"),
        LineageRequest(MODEL, version="2", compare="99"),
    )
    assert no_alias.lineage is None and no_alias.error and "'nope'" in no_alias.error
    assert no_version.lineage is None and no_version.error and "99" in no_version.error
    # The base lineage still arrives; the comparison says which version failed.
    assert no_compare.lineage is not None and no_compare.compare == "99"
    assert no_compare.compare_lineage is None
    assert no_compare.error is not None and no_compare.error.startswith("version 99: ")
