"""Synthetic, fixed FleetSnapshots for the model screen tests, and a tiny host app.

The host app stands in for the console app where a test must not depend on the Collector: it
keeps `.snapshot`, records `focus_model`, `open_runbook` and `open_lineage` calls, and delivers
snapshots to the active screen as the real app does (a `SnapshotArrived` message).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from govtui.analysis.results import (
    DriftResult,
    FairnessResult,
    FeatureDrift,
    FleetReport,
    GroupStats,
    ModelReport,
    QualityResult,
    SloResult,
    Violation,
)
from govtui.demo.config import demo_config
from govtui.fleet.client import CollectorClient, CollectorSpec
from govtui.fleet.snapshot import (
    AlertInfo,
    AliasMoveInfo,
    FeatureDistribution,
    FleetSnapshot,
    ModelDetail,
    Series,
    SourceState,
    VersionInfo,
)
from govtui.ui.app import GovtuiApp
from govtui.ui.messages import SnapshotArrived
from govtui.ui.screens.model import ModelScreen
from govtui.ui.settings import ConsoleSettings
from govtui.ui.theme import load_themes

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp()
MODEL = "credit-risk"


def slo_results(burn_1h: float = 15.2) -> list[SloResult]:
    """An availability SLO paging (1h and 5m above 14.4) and a latency SLO with a low budget."""
    return [
        SloResult(
            name="availability",
            kind="availability",
            objective=0.999,
            sli=0.9962,
            error_budget_remaining=-0.18,
            coverage=1.0,
            burn_rates={
                "5m": 16.0,
                "30m": 9.5,
                "1h": burn_1h,
                "2h": 7.1,
                "6h": 4.2,
                "1d": 2.0,
                "3d": 1.1,
            },
            alert="page",
            status="crit",
            period="30d",
            time_to_exhaustion_seconds=None,
            error_ratio=0.0021,
        ),
        SloResult(
            name="latency",
            kind="latency",
            objective=0.99,
            sli=0.9931,
            error_budget_remaining=0.21,
            coverage=0.5,
            burn_rates={
                "5m": 0.4,
                "30m": 0.5,
                "1h": 0.6,
                "2h": 0.7,
                "6h": 0.8,
                "1d": 0.7,
                "3d": None,
            },
            alert="none",
            status="warn",
            period="30d",
            time_to_exhaustion_seconds=0.21 * 30 * 86400 / 0.6,
            error_ratio=0.007,
        ),
    ]


def drift_result(income_psi: float = 0.41) -> DriftResult:
    """Four features: income drifted (crit), region warn, age ok, one without data."""
    return DriftResult(
        features=[
            FeatureDrift("income", "numeric", income_psi, 0.29, 0.31, "crit"),
            FeatureDrift("region", "categorical", 0.14, 0.17, None, "warn"),
            FeatureDrift("age", "numeric", 0.02, 0.05, 0.04, "ok"),
            FeatureDrift("tenure", "numeric", None, None, None, "unknown"),
        ],
        drifted_share=1 / 3,
        status="warn",
    )


def fairness_results() -> list[FairnessResult]:
    """Sex below the four-fifths line; age band fine but with a group below min_samples."""
    return [
        FairnessResult(
            attribute="sex",
            groups=[
                GroupStats("female", 1200, 0.31, 0.71, 0.09, True),
                GroupStats("male", 1350, 0.44, 0.78, 0.12, True),
            ],
            demographic_parity_difference=0.13,
            demographic_parity_ratio=0.7045,
            equal_opportunity_difference=0.07,
            equalized_odds_difference=0.07,
            status="crit",
        ),
        FairnessResult(
            attribute="age_band",
            groups=[
                GroupStats("18-30", 800, 0.40, 0.75, 0.10, True),
                GroupStats("31-60", 1500, 0.41, 0.76, 0.11, True),
                GroupStats("60+", 42, 0.20, None, 0.05, False),
            ],
            demographic_parity_difference=0.01,
            demographic_parity_ratio=0.9756,
            equal_opportunity_difference=0.01,
            equalized_odds_difference=0.01,
            status="ok",
        ),
    ]


def model_report(
    model: str = MODEL, *, burn_1h: float = 15.2, income_psi: float = 0.41
) -> ModelReport:
    """A model that is paging, drifting, unfair and less accurate than its reference."""
    return ModelReport(
        model=model,
        version="7",
        status="crit",
        reasons=["availability paging", "fairness sex parity 0.70 < 0.80"],
        slos=slo_results(burn_1h),
        drift=drift_result(income_psi),
        fairness=fairness_results(),
        quality=QualityResult(0.861, 0.915, "crit", labelled=2100, reference_labelled=9800),
        violations=[
            Violation("slo_page", "availability", 15.2, 14.4, "crit", "availability burning fast"),
            Violation("fairness", "sex", 0.7045, 0.8, "crit", "parity ratio below 0.8"),
            Violation("drift", "income", 0.41, 0.25, "warn", "income PSI 0.41"),
            Violation("quality", "accuracy", 0.861, 0.865, "crit", "accuracy 0.054 below"),
        ],
        checks={"slo": "crit", "drift": "warn", "fairness": "crit", "quality": "crit"},
    )


def hourly(values: list[float | None], anomalies: list[bool] | None = None, **kw: Any) -> Series:
    """A series of hourly values ending at AT."""
    count = len(values)
    return Series(
        signal=kw.pop("signal", "accuracy"),
        timestamps=tuple(AT - 3600 * (count - 1 - index) for index in range(count)),
        values=tuple(values),
        anomalies=tuple(anomalies or [False] * count),
        **kw,
    )


def model_detail(
    model: str = MODEL, *, current_income: tuple[float, ...] | None = None
) -> ModelDetail:
    """Series, distributions, versions and one alias move 10 h before AT."""
    accuracy = [0.915 - 0.001 * (index % 3) for index in range(38)] + [0.87, 0.86] + [0.861] * 8
    flags = [False] * 38 + [True, True] + [False] * 8
    errors = [0.0004] * 14 + [0.0022] * 10
    latency_errors = [0.006 + 0.0005 * (index % 4) for index in range(24)]
    return ModelDetail(
        model=model,
        series={
            "accuracy": hourly(accuracy, flags, reference=0.915),
            "error_ratio:availability": hourly(errors, signal="error_ratio:availability"),
            "error_ratio:latency": hourly(latency_errors, signal="error_ratio:latency"),
        },
        distributions={
            "income": FeatureDistribution(
                "income",
                "numeric",
                ("20000", "40000", "60000", "80000", "+Inf"),
                (0.10, 0.30, 0.35, 0.20, 0.05),
                current_income or (0.30, 0.35, 0.20, 0.10, 0.05),
            ),
            "region": FeatureDistribution(
                "region",
                "categorical",
                ("north", "south", "east", "west"),
                (0.25, 0.25, 0.25, 0.25),
                (0.40, 0.20, 0.20, 0.20),
            ),
            "age": FeatureDistribution(
                "age",
                "numeric",
                ("25", "40", "60", "+Inf"),
                (0.2, 0.4, 0.3, 0.1),
                (0.21, 0.39, 0.3, 0.1),
            ),
        },
        versions=(
            VersionInfo("5", "ARCHIVED", (), "2025-11-02T09:00:00Z", "pass", "run-5"),
            VersionInfo("6", "READY", ("previous",), "2025-12-10T09:00:00Z", "pass", "run-6"),
            VersionInfo("7", "READY", ("champion",), "2026-01-14T20:00:00Z", "pass", "run-7"),
        ),
        alias_moves=(
            AliasMoveInfo("champion", "6", "7", AT - 10 * 3600, "ci-bot", "scheduled promotion"),
        ),
    )


def alerts(model: str = MODEL) -> tuple[AlertInfo, ...]:
    """One firing page for the model, one silenced ticket, one for another model."""
    return (
        AlertInfo(
            "GovtuiSloFastBurn",
            model,
            "critical",
            "firing",
            summary="availability burning 15x",
            starts_at="2026-01-15T11:20:00Z",
            labels=(("check", "slo_page"), ("model", model)),
        ),
        AlertInfo(
            "GovtuiDrift",
            model,
            "warning",
            "firing",
            silenced=True,
            summary="income drifting",
            starts_at="2026-01-15T09:00:00Z",
            labels=(("check", "drift"), ("model", model)),
        ),
        AlertInfo("GovtuiSloFastBurn", "other-model", "critical", "firing"),
    )


def snapshot(
    *,
    generation: int = 1,
    report: ModelReport | None = None,
    detail: ModelDetail | None = None,
    stale: dict[str, float] | None = None,
    extra_models: int = 1,
) -> FleetSnapshot:
    """A fixed FleetSnapshot with the credit-risk model and some other models."""
    main = report or model_report()
    others = [
        dataclasses.replace(model_report(f"model-{index:02d}"), status="ok")
        for index in range(extra_models)
    ]
    return FleetSnapshot(
        generation=generation,
        taken_at=AT,
        evaluated_at=AT,
        replay=True,
        report=FleetReport("2026-01-15T12:00:00Z", "crit", [main, *others]),
        sources=(SourceState("demo", "live", 1.0),),
        alerts=alerts(),
        details={MODEL: detail or model_detail()},
        stale_checks={MODEL: stale} if stale else {},
    )


class ModelHostApp(App[None]):
    """A minimal console stand-in that pushes a ModelScreen and delivers snapshots to it."""

    def __init__(
        self,
        first: FleetSnapshot | None = None,
        *,
        theme: str = "dark",
        ascii_mode: bool = False,
        model: str = MODEL,
    ) -> None:
        super().__init__()
        self.snapshot = first
        self.ascii_mode = ascii_mode
        self.read_only = False
        self.focused_models: list[str | None] = []
        self.runbooks: list[tuple[str, str]] = []
        self.lineages: list[str] = []
        self._model = model
        self._theme_name = theme

    def on_mount(self) -> None:
        for item in load_themes().values():
            self.register_theme(item)
        self.theme = self._theme_name
        self.push_screen(ModelScreen(self._model))

    def focus_model(self, name: str | None) -> None:
        self.focused_models.append(name)

    def open_runbook(self, check_key: str, model: str) -> None:
        self.runbooks.append((check_key, model))

    def open_lineage(self, name: str) -> None:
        self.lineages.append(name)

    def deliver(self, item: FleetSnapshot) -> None:
        """Keep the snapshot and post it to the active screen, as the console app does."""
        self.snapshot = item
        self.screen.post_message(SnapshotArrived(item))


# ---------------------------------------------------------------- the real console on the demo

DEMO_MODEL = "credit-limit"
"""The demo's model whose accuracy dropped after a promotion (an alias move to mark)."""
WAIT_SECONDS = 120.0

MakeApp = Callable[[str], GovtuiApp]


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeApp]:
    """The console on the demo fleet replayed at AT (`--at 2026-01-15T12:00:00Z`), state in tmp."""
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path))
    clients: list[CollectorClient] = []

    def make(theme: str) -> GovtuiApp:
        loaded = demo_config()
        settings = ConsoleSettings(
            loaded=loaded,
            context="demo fleet",
            theme=theme,
            replay_at=AT,
            operator="oncall@bastion",
        )
        spec = CollectorSpec(loaded=loaded, demo=True, state_dir=str(tmp_path), at=AT)
        client = CollectorClient.start(spec)
        clients.append(client)
        return GovtuiApp(settings, client)

    yield make
    for client in clients:
        client.close()


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition` holds (Collector messages arrive meanwhile)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def open_demo_model(pilot: Pilot[Any]) -> None:
    """Wait for the first snapshot, drill into DEMO_MODEL, wait until its detail is shown."""
    app = pilot.app
    assert isinstance(app, GovtuiApp)
    await wait_for(pilot, lambda: app.snapshot is not None, "the first snapshot")
    app.open_model(DEMO_MODEL)

    def detail_shown() -> bool:
        screen = app.screen
        return (
            isinstance(screen, ModelScreen)
            and screen.view is not None
            and screen.view.detail is not None
            and screen.view.report is not None
        )

    await wait_for(pilot, detail_shown, f"{DEMO_MODEL}'s detail")
    await pilot.pause()


def test_fixture_snapshot_is_consistent() -> None:
    """The synthetic data matches the policy it claims to show (so tests rest on real cases)."""
    from govtui.analysis.policy import alert_for

    report = model_report()
    assert [alert_for(slo.burn_rates) for slo in report.slos] == ["page", "none"]
    item = snapshot()
    assert item.report.models[0].model == MODEL
    assert set(model_detail().distributions) <= {
        feature.feature for feature in drift_result().features
    }
