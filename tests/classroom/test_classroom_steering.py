"""The classroom's rules on the engine: unsteered it is the engine's model, a student's
landscape reaches their organization's cells only and moves them to its closed-form fixed
point, a planner's orders travel the command protocol, and the scoreboard adds up."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.classroom.scores import class_totals, organization_of_cells, organization_scores
from dataspace_abm.classroom.steering import ClassroomModel
from dataspace_abm.core import equations as eq
from dataspace_abm.core.model import HolarchyModel

SMALL = {
    "engine": "numpy",
    "n_organizations": 6,
    "organs_per_organization": 3,
    "cells_per_organ": 8,
    "collect_every": 1,
}


def cells_of(model, organization: int) -> np.ndarray:
    return np.flatnonzero(organization_of_cells(model) == organization)


def test_unsteered_it_is_the_engines_model_step_for_step():
    for mode in ("landscape", "command"):
        ours = ClassroomModel(rng=3, mode=mode, **SMALL)
        engine = HolarchyModel(rng=3, mode=mode, **SMALL)
        ours.run(120)
        engine.run(120)
        pd.testing.assert_frame_equal(ours.table, engine.table)
        assert np.array_equal(ours.state.levels[0].x, engine.state.levels[0].x)


def test_a_steered_organizations_cells_settle_at_the_landscapes_fixed_point():
    """Under centre c, precision pi and tilt b a cell prefers (pi c + b + pi_h h) /
    (pi + pi_h); its filtered state ends there up to the sensing noise it filters."""
    model = ClassroomModel(rng=5, **SMALL)
    centre, tilt = np.array([2.0, -0.5]), np.array([0.3, 0.1])
    model.steer(2, centre, 1.5, tilt)
    model.run(400)
    s, mine = model.state, cells_of(model, 2)
    expected = eq.preferred_state(centre, 1.5, tilt, s.h[mine], s.pi_h[mine])
    assert np.allclose(s.levels[0].pref[mine], expected, atol=1e-9)
    assert np.abs(s.levels[0].x[mine] - expected).mean() < 0.1
    assert np.abs(s.levels[0].x[mine].mean(axis=0) - expected.mean(axis=0)).max() < 0.05


def test_a_students_landscape_reaches_their_cells_and_no_one_elses():
    model = ClassroomModel(rng=5, **SMALL)
    model.run(30)
    model.steer(1, np.array([2.0, 2.0]), 2.0, np.zeros(2))
    model.run(20)
    cells = model.state.levels[0]
    mine = np.zeros(cells.n, dtype=bool)
    mine[cells_of(model, 1)] = True
    assert np.all(cells.pi_eta[mine] == 2.0)
    assert np.all(cells.eta[mine] == 2.0)
    assert np.all(cells.pi_eta[~mine] == 0.0)  # the others still have no well
    # the others' tilt is society's price, relayed; the student's is their own zero tilt
    assert np.all(cells.tilt[mine] == 0.0)
    assert np.abs(cells.tilt[~mine]).min() > 0


def test_released_the_organization_runs_the_models_own_rule_again():
    model = ClassroomModel(rng=5, **SMALL)
    model.steer(0, np.array([2.0, 2.0]), 2.0, np.zeros(2))
    model.run(40)
    model.release(0)
    model.run(10)
    cells = model.state.levels[0]
    assert np.all(cells.pi_eta == 0.0)
    society_price = model.state.levels[2].tilt[0]
    assert np.allclose(cells.tilt[cells_of(model, 0)], model.state.levels[1].tilt[0])
    assert np.abs(society_price).sum() > 0


def test_a_planners_order_reaches_the_cells_three_hops_later_through_the_queue():
    params = {**SMALL, "central_capacity": 40}
    model = ClassroomModel(rng=2, mode="command", planned=True, **params)
    model.run(5)
    before = model.totals["bits"]
    organs = np.flatnonzero(model.holarchy.parent[1] == 3)
    model.order(organs, np.array([1.5, 0.5]))
    mine = cells_of(model, 3)
    sent = []
    for _ in range(8):
        model.step()
        sent.append(model.metrics["bits_down"])
    order = model.regime.arrays.order
    assert np.allclose(order[mine], [1.5, 0.5])
    others = np.setdiff1d(np.arange(model.holarchy.n_cells), mine)
    assert not np.allclose(order[others], [1.5, 0.5])
    # every ordered cell's message, three hops of one number pair each
    assert sum(sent) >= mine.size * model.regime.g.bits_state * 3
    assert model.totals["bits"] > before


@settings(max_examples=15, deadline=None)
@given(
    moves=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.floats(-1.0, 3.0),
            st.floats(0.0, 3.0),
            st.floats(-1.0, 1.0),
            st.integers(1, 8),
        ),
        min_size=1,
        max_size=5,
    ),
    mode=st.sampled_from(["landscape", "command", "flat", "autonomous"]),
)
def test_the_organizations_scores_add_up_to_the_models_row(moves, mode):
    model = ClassroomModel(rng=7, mode=mode, planned=True, **{**SMALL, "central_capacity": 30})
    for organization, at, precision, tilt, steps in moves:
        if mode == "landscape":
            model.steer(organization, np.full(2, at), precision, np.full(2, tilt))
        elif mode == "command":
            organs = np.flatnonzero(model.holarchy.parent[1] == organization)
            model.order(organs, np.full(2, at))
        for _ in range(steps):
            model.step()
            totals, row = class_totals(organization_scores(model)), model.metrics
            assert np.isclose(totals["optimality_gap"], row["optimality_gap"], rtol=1e-9)
            assert np.isclose(totals["tracking_error"], row["tracking_error"], atol=1e-12)
            assert np.isclose(totals["bits"], row["bits_total"], rtol=1e-12)
            assert np.isclose(totals["energy"], row["energy_total"], rtol=1e-9)
            assert totals["alive_cells"] == row["alive_cells"]
