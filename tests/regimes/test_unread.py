"""A parameter a regime declares unread changes nothing in its runs, so a batch may run
the two as one (``regimes.effective_parameters``)."""

from __future__ import annotations

import pandas as pd
import pytest

from dataspace_abm.core.model import HolarchyModel
from dataspace_abm.core.params import PARAMETERS
from dataspace_abm.regimes import REGIMES, effective_parameters

# messages that move, get lost and queue: every unread parameter had its chance to matter
BASE = dict(
    n_organizations=2,
    organs_per_organization=3,
    cells_per_organ=4,
    niche="daily",
    niche_period=20,
    niche_amplitude=0.5,
    p_loss=0.05,
    refresh_every=10,
)
STEPS = 60


def other_value(name: str):
    """A valid value of ``name`` other than its default."""
    spec = PARAMETERS[name]
    if spec.choices:
        return next(c for c in spec.choices if c != spec.default)
    if spec.kind == "int":
        value = spec.default + 1
        return value if spec.high is None or value <= spec.high else spec.default - 1
    value = spec.default * 0.5 if spec.default else 0.1
    return value if spec.low is None or value > spec.low else spec.default * 2


def table(scenario: str, **kw) -> pd.DataFrame:
    # the fair network in both (ai_grid's preset is version 1's), so node_capacity is valid
    model = HolarchyModel(rng=5, **{**BASE, "scenario": scenario, "network": "fair", **kw})
    for _ in range(STEPS):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


@pytest.mark.parametrize("scenario", ["default", "ai_grid"])
@pytest.mark.parametrize("mode", list(REGIMES))
def test_unread_parameters_change_nothing(mode, scenario):
    reference = table(scenario, mode=mode)
    for name in sorted(REGIMES[mode].unread):
        changed = table(scenario, mode=mode, **{name: other_value(name)})
        pd.testing.assert_frame_equal(changed, reference, obj=f"{mode} with {name} changed")


def test_a_read_parameter_changes_the_run():
    # the check above can fail: a parameter the regime reads moves its table
    reference = table("default", mode="landscape")
    assert not table("default", mode="landscape", tilt_gain=0.05).equals(reference)


def test_effective_parameters_reset_only_the_unread():
    params = {"mode": "autonomous", "central_capacity": 7, "pi_o": 3.0}
    assert effective_parameters(params) == {
        "mode": "autonomous",
        "central_capacity": PARAMETERS["central_capacity"].default,
        "pi_o": 3.0,
    }
    assert effective_parameters({**params, "mode": "command"}) == {**params, "mode": "command"}
