"""Version 2 at its defaults (filtered estimates, action on them, the tilt, the fair network):
the targets of the model's specification, at small sizes, with measured values.

Tolerances: the runs are seeded, so a measured value is re-derived exactly; where a test
asserts a target rather than a value, the margin is the target's own (60 steps, 10 %, 10x).
"""

import numpy as np
import pandas as pd
import pytest

from dataspace_abm import HolarchyModel
from dataspace_abm.core.metrics import time_to_target
from dataspace_abm.core.parameter import VERSION_1

V2: dict = {}  # the defaults
TILT = {"landscape_parts": "tilt"}
WELL = {"landscape_parts": "well"}


def run(steps, **kw):
    return HolarchyModel(rng=1, **kw).run(steps)


@pytest.mark.parametrize(("sizes", "cells"), [((8, 8, 8), 512), ((16, 25, 25), 10_000)])
def test_the_tilt_reaches_the_target_within_60_steps(sizes, cells):
    """Measured: 45 steps at 512 and 47 at 10^4 cells (tracking error within 0.1 for 50
    steps; tilt_gain 0.02)."""
    n_org, organs, per_organ = sizes
    table = run(120, n_organizations=n_org, organs_per_organization=organs,
                cells_per_organ=per_organ, **TILT)  # fmt: skip
    assert table["alive_cells"].iloc[0] == cells
    assert time_to_target(table["step"], table["tracking_error"]) <= 60


def test_a_calm_shaped_system_goes_quiet():
    """After convergence, bits per step at least 10x below the first 50 steps' mean, with the
    tracking error at or below 0.05 (measured at 600 steps: 64,758 against 3,521 bits, most
    of them the fair network's refreshes; tracking error 0.012)."""
    table = run(600, **TILT)
    first, late = table["bits_total"].iloc[1:51].mean(), table["bits_total"].iloc[-100:].mean()
    assert late * 10 <= first
    assert table["tracking_error"].iloc[-100:].mean() <= 0.05


@pytest.mark.parametrize(("sizes", "measured"), [((8, 8, 8), 1.030), ((16, 25, 25), 1.005)])
def test_the_tilt_comes_within_ten_percent_of_commands_optimality_gap(sizes, measured):
    """Static niches, ample capacity, hop_latency 0: version 2's target. The ratio of the
    gaps (last tenth of 600 steps) was measured at 1.030 (512 cells) and 1.005 (10^4); both
    gaps are mostly the filtered estimate's own error."""
    n_org, organs, per_organ = sizes
    shape = {"n_organizations": n_org, "organs_per_organization": organs,
             "cells_per_organ": per_organ}  # fmt: skip
    shape["hop_latency"] = 0
    landscape = run(600, **TILT, **shape)["optimality_gap"].iloc[-60:].mean()
    command = run(600, mode="command", **V2, **shape)["optimality_gap"].iloc[-60:].mean()
    assert landscape / command <= 1.10
    assert landscape / command == pytest.approx(measured, abs=0.01)  # same seed, same run


def test_version_2_cells_move_with_the_estimate_not_the_noise():
    """Action on the filtered estimate: command's action energy falls from v1's 6.7e4 J to a
    few hundred, as the cells no longer feed sensing noise into their moves."""
    v1 = run(200, mode="command", **VERSION_1)["energy_action"].sum()
    v2 = run(200, mode="command", **V2)["energy_action"].sum()
    assert v2 * 20 < v1


def test_command_cells_report_their_niche_only_under_version_2():
    """The planner reads niches only: with static niches (known to the centre from the
    start, as a parent knows its children's starting states) a v2 cell sends only its
    refreshes (every refresh_every steps), never its noisy state."""
    table = run(100, mode="command", refresh_every=40)
    sent = table.loc[table["bits_up"] > 0, "step"].tolist()
    assert sent == [40, 80]


def test_optimality_gap_is_zero_at_the_optimum_and_missing_when_empty():
    model = HolarchyModel(rng=1, mode="command", sensing_noise=0.0, **V2)
    model.run(60)
    assert model.metrics["optimality_gap"] < 1e-6
    emptied = run(6, n_organizations=1, organs_per_organization=2, cells_per_organ=3,
                  remove_at=3, remove_fraction=0.999)  # fmt: skip
    assert np.isnan(emptied["optimality_gap"].iloc[-1])


@pytest.mark.parametrize(
    ("phase", "distinct"), [("independent", 512), ("organ", 64), ("shared", 1)]
)
def test_niche_phases_are_per_cell_per_organ_or_shared(phase, distinct):
    model = HolarchyModel(rng=1, niche="daily", niche_phase=phase)
    assert np.unique(model.environment.phase).size == distinct


def test_time_to_target_needs_the_whole_hold():
    steps = pd.Series(range(10))
    errors = np.array([1, 0.05, 0.05, 1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])
    assert time_to_target(steps, errors, 0.1, hold=3) == 4
    assert np.isnan(time_to_target(steps, errors, 0.1, hold=6))


def test_a_well_settles_under_version_2_but_misses_the_optimum():
    """With the parents' own gain (k_shape) the well's cascade settles (measured tracking
    error 0.009 over the last 60 of 600 steps), but a well keeps each cell a share of its
    niche deviation: its optimality gap stays near 0.44 where the tilt's is 0.050."""
    well = run(600, **WELL)
    tilt = run(600, **TILT)
    assert well["tracking_error"].iloc[-60:].mean() < 0.05
    assert well["optimality_gap"].iloc[-60:].mean() > 5 * tilt["optimality_gap"].iloc[-60:].mean()


def test_a_parent_senses_a_mean_whose_noise_falls_with_its_children():
    """An organ of 16 cells observes its coarse-grained state with a quarter of a cell's
    noise sd (parent_noise = "mean"); with "own" (version 1), with a cell's."""
    spreads = {}
    for noise in ("mean", "own"):
        model = HolarchyModel(rng=2, landscape_parts="well", cells_per_organ=16, parent_noise=noise)
        model.step()
        organs = model.state.levels[1]
        drawn = model.inputs.draws["noise"][1] * model.inputs.noise_sd
        spreads[noise] = (organs.o - organs.x) / drawn
    np.testing.assert_allclose(spreads["mean"], 0.25)
    np.testing.assert_allclose(spreads["own"], 1.0)


def test_the_tilt_does_not_creep_over_a_long_run():
    """No growth of the error: 3,000 steps at 512 cells, the tracking error over the last
    500 steps no larger than over steps 200 to 700 plus 0.01, and at most 0.05 (measured:
    0.0127 and 0.0158, the price's send-on-delta steps; at 10^4 cells over 10^4 steps,
    0.0086 and 0.0087, docs/odd.md section 11)."""
    error = run(3000)["tracking_error"]
    early, late = error.iloc[200:700].mean(), error.iloc[-500:].mean()
    assert late <= early + 0.01 and late <= 0.05
