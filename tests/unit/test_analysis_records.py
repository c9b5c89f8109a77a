"""The fast record builders give exactly what the dataclass constructors give."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from govtui.analysis.records import feature_drift, group_stats
from govtui.analysis.results import FeatureDrift, GroupStats

BUILDERS = [
    (feature_drift, FeatureDrift, ("income", "numeric", 0.31, 0.2, None, "crit")),
    (group_stats, GroupStats, ("female", 120, 0.4, None, 0.1, True)),
]


@pytest.mark.parametrize(("builder", "cls", "values"), BUILDERS)
def test_builder_matches_the_dataclass(builder, cls, values) -> None:  # type: ignore[no-untyped-def]
    fields = [field.name for field in dataclasses.fields(cls)]
    assert list(inspect.signature(builder).parameters) == fields, (
        "fields changed: update records.py"
    )
    built, constructed = builder(*values), cls(*values)
    assert type(built) is cls
    assert built == constructed
    assert repr(built) == repr(constructed)
    assert hash(built) == hash(constructed)
    assert dataclasses.asdict(built) == dataclasses.asdict(constructed)
    assert pickle.loads(pickle.dumps(built)) == constructed
    assert dataclasses.replace(built, **{fields[0]: "other"}) == dataclasses.replace(
        constructed, **{fields[0]: "other"}
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, fields[0], "changed")  # still frozen
