"""What each demo model does: scenario, versions and their behaviour, inputs, groups.

Everything here is a pure function of (seed, model index); times are offsets in seconds from the
demo registry's anchor. The timeline keeps every scenario visible for any evaluation time in
[anchor, anchor + 6 days):

- drift starts 12 h before the anchor, so the current window (1 h) is after it and the
  reference window (1 d ending 7 d before) is before it;
- the low-accuracy version is promoted exactly 1 d before the anchor, so the reference
  window (ending at most anchor - 1 d) still sees the good version;
- the slow burn (2x budget burn) starts 2 d before the anchor: 3 d and 6 h burn rates are
  above 1 (ticket) from the anchor on, and 30 d budget remaining stays above 0.25 for 6 days;
- the fast burn (20x) and the latency breach (15x) start 2 h and 6 h before the anchor (page);
- the stale model's telemetry stops 20 min before the anchor.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from govtui.demo.catalog import TEMPLATES, FeatureKind, ModelTemplate

HOUR = 3600.0
DAY = 86400.0

# Keys of the demo registry's top-level metadata.
ANCHOR_KEY = "govtui.demo.anchor"
SEED_KEY = "govtui.demo.seed"
MODELS_KEY = "govtui.demo.models"
GENERATOR_KEY = "govtui.demo.generator"
GENERATOR_VERSION = "2"  # bump when the generated registry changes shape

HEALTHY = "healthy"
FAST_BURN = "fast_burn"
SLOW_BURN = "slow_burn"
LATENCY_BREACH = "latency_breach"
DRIFT_ONE = "drift_one_feature"
DRIFT_MOST = "drift_most_features"
FAIRNESS = "fairness_violation"
SMALL_GROUP = "group_below_min_samples"
ACCURACY_DROP = "accuracy_drop"
STALE = "stale_source"

SCENARIOS = (
    HEALTHY,
    FAST_BURN,
    SLOW_BURN,
    LATENCY_BREACH,
    DRIFT_ONE,
    DRIFT_MOST,
    FAIRNESS,
    SMALL_GROUP,
    ACCURACY_DROP,
    STALE,
)


@dataclass(frozen=True)
class Expectation:
    """What `govtui check` must conclude about a scenario's model under the demo config."""

    check: str | None  # the runbook key of the violation it raises (None: no violation)
    severity: str | None  # that violation's severity
    check_status: str | None  # how severe the check is for the model (drift: the model's
    # drift status, which stays warn while fewer than half the features drift)
    status: str  # the model's health


EXPECTED: dict[str, Expectation] = {
    HEALTHY: Expectation(None, None, None, "ok"),
    FAST_BURN: Expectation("slo_page", "crit", "crit", "crit"),
    SLOW_BURN: Expectation("slo_ticket", "warn", "warn", "warn"),
    LATENCY_BREACH: Expectation("slo_page", "crit", "crit", "crit"),
    DRIFT_ONE: Expectation("drift", "crit", "warn", "warn"),  # one feature crit: model warn
    DRIFT_MOST: Expectation("drift", "crit", "crit", "crit"),
    FAIRNESS: Expectation("fairness", "crit", "crit", "crit"),
    SMALL_GROUP: Expectation(None, None, None, "ok"),  # the small group is insufficient, not unfair
    ACCURACY_DROP: Expectation("quality", "crit", "crit", "crit"),
    STALE: Expectation("source_down", "warn", "warn", "warn"),
}

# Scenario -> (check key, how severe that check is for the model), None when nothing fires.
EXPECTED_FINDINGS: dict[str, tuple[str, str] | None] = {
    scenario: (item.check, item.check_status or "") if item.check is not None else None
    for scenario, item in EXPECTED.items()
}


# Scenario onsets, seconds relative to the anchor.
FAST_BURN_PROMOTED = -2 * HOUR
SLOW_BURN_PROMOTED = -2 * DAY
LATENCY_PROMOTED = -6 * HOUR
ACCURACY_PROMOTED = -1 * DAY
DRIFT_ONSET = -12 * HOUR
STALE_STOP = -20 * 60.0
VALID_FOR = 6 * DAY  # a demo registry is re-anchored when evaluated outside [anchor, +6 d)

ATTRIBUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sex", ("female", "male")),
    ("age_band", ("18-24", "25-44", "45-64", "65+")),
)
# Offline evaluation metrics on the demo runs (what the candidate gate reads): a FAILED version is
# this much less accurate than the healthy model (beyond the 0.05 crit drop), and an unfair PENDING
# candidate selects its last age band at this fraction of the rate (parity ratio about 0.7).
FAILED_ACCURACY_DROP = 0.08
FAIRNESS_CANDIDATE_SCALE = 0.7
LABELLED_SHARE = 0.8  # share of predictions whose ground truth eventually arrives
SMALL_GROUP_PER_DAY = 40.0  # predictions per day of the small group (min_samples is 100)
LATENCY_BOUNDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LATENCY_SLO_THRESHOLD = 0.5
STATUS_CODES = ("200", "400", "500", "503")


@dataclass(frozen=True)
class Behaviour:
    """How a model version serves: error shares, latency profile, classifier rates."""

    error_ratio: float  # share of 5xx responses
    client_error_ratio: float  # share of 4xx responses (not errors for the SLO)
    slow_ratio: float  # share slower than the latency SLO threshold
    latency_sigma: float  # lognormal shape of the latency distribution
    tpr: float
    fpr: float


@dataclass(frozen=True)
class GroupSpec:
    """One group of a protected attribute: traffic share and how the model treats it."""

    name: str
    share: float
    base_rate_factor: float = 1.0  # scales the positive-label rate
    rate_scale: float = 1.0  # scales TPR and FPR (selection) for this group
    tpr_factor: float = 1.0  # small seeded imperfection of the group's TPR (a few percent)
    fpr_factor: float = 1.0  # and of its FPR


@dataclass(frozen=True)
class FeatureSpec:
    """A feature's bins and its distributions before and after the drift onset."""

    name: str
    kind: FeatureKind
    bins: tuple[str, ...]
    baseline: tuple[float, ...]
    drifted: tuple[float, ...] | None
    source_columns: tuple[str, ...]
    transformation: str
    # Daily wobble: the bin shares mix with `shifted` (the same distribution moved a little) with
    # weight wobble * (1 + sin(2 pi t / 1 d + wobble_phase)), so healthy PSI is small, not 0.
    wobble: float = 0.0
    wobble_phase: float = 0.0
    shifted: tuple[float, ...] | None = None  # of the baseline
    shifted_drifted: tuple[float, ...] | None = None  # of the drifted distribution


@dataclass(frozen=True)
class VersionSpec:
    """A registered version: when it was made and promoted, its gate, how it behaves."""

    version: str
    status: str
    created: float
    promoted: float | None
    gate: str | None
    behaviour: Behaviour
    description: str
    promoted_by: str = "ci-pipeline"
    reason: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """Everything the demo knows about one model."""

    index: int
    name: str
    scenario: str
    description: str
    team: str
    requests_per_second: float
    amplitude: float
    phase: float
    base_rate: float
    groups: dict[str, tuple[GroupSpec, ...]]
    features: tuple[FeatureSpec, ...]
    versions: tuple[VersionSpec, ...]
    tables: dict[str, tuple[str, ...]]
    drift_onset: float | None = None
    stale_stop: float | None = None
    default_behaviour: Behaviour = field(
        default=Behaviour(0.0002, 0.005, 0.002, 0.6, 0.85, 0.05), compare=False
    )


def model_name(index: int) -> str:
    """Hand-made name for the first models, `model-0042` style beyond them."""
    if index < len(TEMPLATES):
        return TEMPLATES[index].name
    return f"model-{index + 1:04d}"


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI as the design defines it (zeros replaced by 0.0001, no renormalisation)."""
    ref = np.where(reference == 0, 0.0001, reference)
    cur = np.where(current == 0, 0.0001, current)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _baseline_numeric(rng: np.random.Generator, bins: int) -> np.ndarray:
    centre = rng.uniform(1.0, max(1.5, bins - 2.5))
    width = rng.uniform(0.9, 1.6)
    index = np.arange(bins, dtype=float)
    weights = np.exp(-((index - centre) ** 2) / (2 * width**2)) + 0.02
    return np.asarray(weights / weights.sum())


def _drifted(
    baseline: np.ndarray, kind: FeatureKind, shifted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A distribution clearly away from the baseline (PSI at least 0.5), and the same drift
    applied to the baseline's shifted twin (the drifted distribution's wobble)."""
    bins = len(baseline)
    target = np.zeros(bins)
    if kind == "numeric":
        mean = float(np.dot(np.arange(bins), baseline))
        target[0 if mean > (bins - 1) / 2 else bins - 1] = 1.0
    else:
        target[int(np.argmin(baseline))] = 1.0
    mix = 0.3
    while True:
        candidate = (1 - mix) * baseline + mix * target
        if psi(baseline, candidate) >= 0.5 or mix >= 0.95:
            return np.asarray(candidate), np.asarray((1 - mix) * shifted + mix * target)
        mix += 0.05


# Peak PSI of the daily wobble between the busiest and the average hour, per feature: healthy
# features show PSI of about 0.002-0.03 and never reach the 0.1 warn threshold.
WOBBLE_PSI = (0.01, 0.04)


def _shifted(distribution: np.ndarray, kind: FeatureKind, rng: np.random.Generator) -> np.ndarray:
    """The distribution a little moved: numeric mass one bin up or down, categories reweighted."""
    if kind == "numeric":
        shifted = np.zeros_like(distribution)
        if rng.random() < 0.5:
            shifted[1:] = distribution[:-1]
            shifted[-1] += distribution[-1]
        else:
            shifted[:-1] = distribution[1:]
            shifted[0] += distribution[0]
    else:
        shifted = distribution * rng.uniform(0.4, 1.6, len(distribution))
    return np.asarray(shifted / shifted.sum())


def _wobble_weight(baseline: np.ndarray, shifted: np.ndarray, target: float) -> float:
    """Mixing weight whose PSI against the baseline is `target`: the wobble's peak offset from
    its daily mean (the weight swings between 0 and twice this), at most 0.25."""
    low, high = 0.0, 1.0
    for _ in range(40):  # bisection: PSI grows with the mixing weight
        middle = (low + high) / 2
        if psi(baseline, baseline + middle * (shifted - baseline)) < target:
            low = middle
        else:
            high = middle
    return min(low, 0.25)


def _features(
    rng: np.random.Generator,
    template: ModelTemplate,
    drifting: tuple[str, ...],
    wobble: np.random.Generator,
) -> tuple[FeatureSpec, ...]:
    features = []
    for item in template.features:
        bins = len(item.bins) + 1 if item.kind == "numeric" else len(item.bins)
        if item.kind == "numeric":
            baseline = _baseline_numeric(rng, bins)
        else:
            weights = rng.uniform(0.5, 2.0, bins)
            baseline = weights / weights.sum()
        shifted = _shifted(baseline, item.kind, wobble)
        drifted, shifted_drifted = (
            _drifted(baseline, item.kind, shifted) if item.name in drifting else (None, None)
        )
        weight = _wobble_weight(baseline, shifted, float(wobble.uniform(*WOBBLE_PSI)))
        features.append(
            FeatureSpec(
                name=item.name,
                kind=item.kind,
                bins=item.bins,
                baseline=tuple(float(x) for x in baseline),
                drifted=tuple(float(x) for x in drifted) if drifted is not None else None,
                source_columns=item.source_columns,
                transformation=item.transformation,
                wobble=weight,
                wobble_phase=float(wobble.uniform(0, 2 * np.pi)),
                shifted=tuple(float(x) for x in shifted),
                shifted_drifted=(
                    tuple(float(x) for x in shifted_drifted)
                    if shifted_drifted is not None
                    else None
                ),
            )
        )
    return tuple(features)


def _groups(
    rng: np.random.Generator, scenario: str, requests_per_second: float
) -> dict[str, tuple[GroupSpec, ...]]:
    female = rng.uniform(0.46, 0.54)
    sex = (
        GroupSpec("female", female, rng.uniform(0.98, 1.02)),
        GroupSpec("male", 1 - female, rng.uniform(0.98, 1.02)),
    )
    shares = np.array([0.15, 0.35, 0.32, 0.18]) * rng.uniform(0.9, 1.1, 4)
    if scenario == SMALL_GROUP:
        small = SMALL_GROUP_PER_DAY / (requests_per_second * DAY)
        shares[1:] = shares[1:] / shares[1:].sum() * (1 - small)
        shares[0] = small
    else:
        shares = shares / shares.sum()
    names = ATTRIBUTES[1][1]
    age = []
    for index, name in enumerate(names):
        scale = 1.0
        if scenario == FAIRNESS and name == "65+":
            scale = 0.55  # selection rate 0.55x the others: parity ratio well below 0.8
        if scenario == SMALL_GROUP and index == 0:
            scale = 0.3  # would violate parity if it were not excluded as insufficient
        age.append(GroupSpec(name, float(shares[index]), float(rng.uniform(0.98, 1.02)), scale))
    return {"sex": sex, "age_band": tuple(age)}


# Seeded per-group multipliers on TPR and FPR: fair models are realistically, not exactly, fair.
TPR_FACTOR = (0.975, 1.025)
FPR_FACTOR = (0.85, 1.15)
MIN_HEALTHY_PARITY = 0.92  # the multipliers are shrunk until parity stays above this


def _selection_rates(
    groups: tuple[GroupSpec, ...], base_rate: float, behaviour: Behaviour
) -> np.ndarray:
    """Selection rate per group without the scenario's deliberate `rate_scale`."""
    positive = np.clip(base_rate * np.array([group.base_rate_factor for group in groups]), 0, 1)
    tpr = np.clip(behaviour.tpr * np.array([group.tpr_factor for group in groups]), 0, 1)
    fpr = np.clip(behaviour.fpr * np.array([group.fpr_factor for group in groups]), 0, 1)
    return np.asarray(positive * tpr + (1 - positive) * fpr)


def _imperfect(
    groups: dict[str, tuple[GroupSpec, ...]],
    rng: np.random.Generator,
    base_rate: float,
    behaviours: list[Behaviour],
) -> dict[str, tuple[GroupSpec, ...]]:
    """Give each group small TPR / FPR multipliers, keeping every parity ratio (without the
    scenario's own unfairness) at or above MIN_HEALTHY_PARITY for every version."""
    result = {}
    for attribute, items in groups.items():
        tpr = rng.uniform(*TPR_FACTOR, len(items))
        fpr = rng.uniform(*FPR_FACTOR, len(items))
        for _ in range(20):
            candidate = tuple(
                replace(group, tpr_factor=float(t), fpr_factor=float(f))
                for group, t, f in zip(items, tpr, fpr, strict=True)
            )
            worst = min(
                float(rates.min() / rates.max())
                for rates in (
                    _selection_rates(candidate, base_rate, behaviour) for behaviour in behaviours
                )
            )
            if worst >= MIN_HEALTHY_PARITY:
                break
            tpr, fpr = 1 + (tpr - 1) * 0.7, 1 + (fpr - 1) * 0.7
        result[attribute] = candidate
    return result


# (onset, behaviour change, description, reason) of the version a scenario promotes.
_BAD_VERSIONS: dict[str, tuple[float, dict[str, float], str, str]] = {
    FAST_BURN: (
        FAST_BURN_PROMOTED,
        {"error_ratio": 0.02},  # 20x the 0.1% budget: pages
        "new feature pipeline",
        "feature pipeline rewrite",
    ),
    SLOW_BURN: (
        SLOW_BURN_PROMOTED,
        {"error_ratio": 0.002},  # 2x the budget: tickets, never pages
        "larger embedding tables",
        "offline AUC +0.4%",
    ),
    LATENCY_BREACH: (
        LATENCY_PROMOTED,
        {"slow_ratio": 0.15},  # 15x the 1% latency budget: pages
        "gradient-boosted ensemble",
        "better accuracy offline",
    ),
    ACCURACY_DROP: (
        ACCURACY_PROMOTED,
        {"tpr": -0.25, "fpr": +0.10},  # relative to the healthy rates: about -0.12 accuracy
        "retrain with new labelling vendor",
        "offline metrics within tolerance",
    ),
}


def _version(
    version: str,
    status: str,
    created_days: float,
    promoted_days: float | None,
    gate: str | None,
    behaviour: Behaviour,
    description: str,
    promoted_by: str = "ci-pipeline",
    reason: str = "",
) -> VersionSpec:
    return VersionSpec(
        version=version,
        status=status,
        created=created_days * DAY,
        promoted=promoted_days * DAY if promoted_days is not None else None,
        gate=gate,
        behaviour=behaviour,
        description=description,
        promoted_by=promoted_by,
        reason=reason,
    )


def _versions(
    rng: np.random.Generator, scenario: str, healthy: Behaviour, extra: str
) -> tuple[VersionSpec, ...]:
    jitter = float(rng.integers(-6, 7)) / 24
    retrain = "scheduled retrain passed the gate"
    first = "first production model"
    versions = [
        _version("1", "ARCHIVED", -200, -180 + jitter, "passed", healthy, first, "alice", "launch"),
        _version(
            "2", "READY", -62, -60 + jitter, "passed", healthy, "quarterly retrain", reason=retrain
        ),
        _version("3", "READY", -21, -20 + jitter, "passed", healthy, "fresh data", reason=retrain),
    ]
    if scenario in _BAD_VERSIONS:
        promoted, change, description, reason = _BAD_VERSIONS[scenario]
        if scenario == ACCURACY_DROP:
            change = {
                "tpr": healthy.tpr + change["tpr"],
                "fpr": min(0.5, healthy.fpr + change["fpr"]),
            }
        behaviour = _with(healthy, **change)
        days = promoted / DAY
        versions.append(
            _version(
                "4", "READY", days - 0.25, days, "passed", behaviour, description, reason=reason
            )
        )
    elif extra == "pending":
        versions.append(_version("4", "PENDING", -2, None, None, healthy, "candidate retrain"))
    elif extra == "failed":
        versions.append(_version("4", "FAILED", -3, None, "failed", healthy, "rejected retrain"))
    return tuple(versions)


def _with(behaviour: Behaviour, **changes: float) -> Behaviour:
    values = {**behaviour.__dict__, **changes}
    return Behaviour(**values)


def build_spec(index: int, seed: int) -> ModelSpec:
    """The spec of the model at `index` (independent of how many models the fleet has)."""
    rng = np.random.default_rng([seed, index])
    # A stream of its own for the realistic imperfections, so the rest stays as it was.
    imperfection = np.random.default_rng([seed, index, 2])
    if index < len(TEMPLATES):
        template = TEMPLATES[index]
        scenario = template.scenario
        rate = template.requests_per_second * float(rng.uniform(0.9, 1.1))
        drifting = template.drifting
    else:
        template = TEMPLATES[index % len(TEMPLATES)]
        choose = np.random.default_rng([seed, index, 1])
        if choose.random() < 0.15:
            scenario = str(choose.choice([s for s in SCENARIOS if s != HEALTHY]))
        else:
            scenario = HEALTHY
        rate = float(np.exp(rng.uniform(np.log(5), np.log(300))))
        names = tuple(item.name for item in template.features)
        drifting = names[:1] if scenario == DRIFT_ONE else names[:-1]
    if scenario not in (DRIFT_ONE, DRIFT_MOST):
        drifting = ()
    healthy = Behaviour(
        error_ratio=float(rng.uniform(0.0001, 0.0003)),
        client_error_ratio=float(rng.uniform(0.002, 0.01)),
        slow_ratio=float(rng.uniform(0.001, 0.003)),
        latency_sigma=float(rng.uniform(0.5, 0.8)),
        tpr=float(rng.uniform(0.8, 0.9)),
        fpr=float(rng.uniform(0.03, 0.08)),
    )
    extra = ("none", "pending", "failed")[int(rng.integers(0, 3))]
    amplitude = float(rng.uniform(0.25, 0.5))
    phase = float(rng.uniform(0, 2 * np.pi))
    base_rate = float(rng.uniform(0.15, 0.4))
    groups = _groups(rng, scenario, rate)
    features = _features(rng, template, drifting, imperfection)
    versions = _versions(rng, scenario, healthy, extra)
    groups = _imperfect(
        groups, imperfection, base_rate, [version.behaviour for version in versions]
    )
    return ModelSpec(
        index=index,
        name=model_name(index),
        scenario=scenario,
        description=template.description,
        team=template.team,
        requests_per_second=rate,
        amplitude=amplitude,
        phase=phase,
        base_rate=base_rate,
        groups=groups,
        features=features,
        versions=versions,
        tables=template.tables,
        drift_onset=DRIFT_ONSET if drifting else None,
        stale_stop=STALE_STOP if scenario == STALE else None,
        default_behaviour=healthy,
    )


def build_specs(models: int, seed: int) -> list[ModelSpec]:
    """Specs of the first `models` models of the fleet for a seed."""
    if models < 1:
        raise ValueError("the demo fleet needs at least one model")
    return [build_spec(index, seed) for index in range(models)]
