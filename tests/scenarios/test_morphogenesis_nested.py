"""Organs of self-assembling cells in an organism that places them, and a central planner."""

from __future__ import annotations

import numpy as np
import pytest

from dataspace_abm.core.equations import message_bits
from dataspace_abm.core.parameter import ParameterError
from dataspace_abm.scenarios.morphogenesis.nested import OrganismModel

STEPS = 3000
TOLERANCE = 0.5  # of the spacing, as for one ensemble (tests/scenarios/test_morphogenesis.py)


@pytest.fixture(scope="module")
def moved():
    model = OrganismModel(seed=0)
    model.run(STEPS)
    before = [organ.identities().copy() for organ in model.organs]
    errors = [organ.form_error() for organ in model.organs]
    model.move_target(1, (0.0, 4.0))
    model.run(STEPS)
    return model, before, errors


def test_every_organ_forms_and_sits_where_the_organism_wants_it(moved):
    model, before, errors = moved
    assert all(len(set(ids)) == model.form.n for ids in before)  # a permutation per organ
    assert max(errors) < TOLERANCE * model.form.spacing


def test_the_organism_moves_an_organ_and_the_organ_keeps_its_form(moved):
    """The organism only moves the centre of the form organ 1 draws for its cells; the
    cells follow with the same identities and the form intact."""
    model, before, _ = moved
    assert np.allclose(model.organs[1].mean, model.targets[:, 1], atol=1e-3)
    assert np.allclose(model.targets[:, 1], [0.0, 4.0])
    for organ, ids in zip(model.organs, before, strict=True):
        assert (organ.identities() == ids).all()
        assert organ.form_error() < TOLERANCE * model.form.spacing
    table = model.table
    assert table["placement_error"].iloc[STEPS + 1] > 3.9  # the new target, far
    assert table["placement_error"].iloc[-1] < 1e-3
    organism = table["free_energy_organism"].to_numpy()
    assert organism[STEPS + 1] > 7.0 and organism[-1] < 1e-3  # 1/2 * 4^2 at the move
    assert table["bits_down"].iloc[STEPS + 1] > 0 and table["bits_down"].iloc[-1] == 0


def test_the_bits_add_up_per_level(moved):
    model, _, _ = moved
    table = model.table
    parts = table[["bits_cells", "bits_up", "bits_down"]].sum(axis=1)
    assert np.array_equal(parts.to_numpy(), table["bits"].to_numpy())
    n, k = model.form.n, model.p["organs"]
    assert table["bits_cells"].iloc[5] == k * n * (n - 1) * message_bits(model.form.m, 32, 64)
    assert table["bits_up"].iloc[5] == k * message_bits(2, 32, 64)
    assert model.totals["bits"] == table["bits"].sum()


def test_the_planner_places_every_cell_exactly_with_fewer_bits_counted_per_receiver(moved):
    """Commanding every cell costs each a report and a command a step; self-assembly
    has every cell hear every other of its organ, n - 1 messages each: at eight cells
    an organ the planner sends fewer bits (a finding, docs/experiments/morphogenesis)."""
    model, _, _ = moved
    planner = OrganismModel(seed=0, regime="planner")
    planner.run(STEPS)
    assert max(o.form_error() for o in planner.organs) < 1e-6
    n, k, m = planner.form.n, planner.p["organs"], planner.form.m
    per_cell = message_bits(2, 32, 64) + message_bits(2 + m, 32, 64)
    assert planner.table["bits_cells"].iloc[5] == k * n * per_cell
    shaped = model.table["bits"].iloc[:STEPS].sum()
    assert planner.table["bits"].sum() < shaped / 3  # 3.4x fewer at 3 organs of 8


def test_the_engines_agree_in_the_nested_model():
    a = OrganismModel(seed=2, engine="agents")
    b = OrganismModel(seed=2)
    a.run(200)
    b.run(200)
    assert np.abs(a.x - b.x).max() < 1e-9 and np.abs(a.v - b.v).max() < 1e-9
    assert len(a.agents) == a.form.n * a.p["organs"] + a.p["organs"]  # cells and organs


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [({"organs": 0}, "'organs'"), ({"regime": "boss"}, "'regime'"), ({"spread": 50.0}, "'spread'")],
)
def test_bad_nested_parameters_are_refused(overrides, needle):
    with pytest.raises(ParameterError, match=needle):
        OrganismModel(**overrides)
