"""Morphogenesis on the holarchy's engine (scenario "morphogenesis"): the engine's levels,
agents, table and batch runner with the scenario's two regimes; what the scenario's own
model shows, shown again here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataspace_abm.core.agents import Cell
from dataspace_abm.core.model import HolarchyModel
from dataspace_abm.core.parameter import ParameterError
from dataspace_abm.core.params import resolve
from dataspace_abm.regimes.morphogenesis import AssignedPlaces, SelfAssembly
from dataspace_abm.scenarios.morphogenesis.nested import OrganismModel
from dataspace_abm.scenarios.morphogenesis.scenario import regenerate


def model(seed: int = 0, **kw) -> HolarchyModel:
    return HolarchyModel(rng=seed, scenario="morphogenesis", engine="numpy", **kw)


def test_the_scenario_brings_its_own_regimes_and_every_cell_is_a_mesa_agent():
    m = model()
    assert isinstance(m.regime, SelfAssembly)
    assert isinstance(model(mode="command").regime, AssignedPlaces)
    assert len(m.agents_by_type[Cell]) == 24 == len(m.holons[0])
    assert [len(level) for level in m.holons] == [24, 3, 1, 1]


@pytest.mark.parametrize(
    "override, name",
    [
        ({"mode": "flat"}, "mode"),
        ({"cells_per_organ": 9}, "cells_per_organ"),
        ({"d": 3}, "d"),
        ({"p_loss": 0.1}, "p_loss"),
        ({"morph_dt": 0.05}, "morph_dt"),
    ],
)
def test_settings_the_scenario_cannot_run_are_refused_by_name(override, name):
    with pytest.raises(ParameterError) as error:
        resolve({"scenario": "morphogenesis", **override})
    assert error.value.name == name


def test_its_parameters_belong_to_it():
    with pytest.raises(ParameterError, match="unless scenario = 'morphogenesis'"):
        resolve({"morph_spread": 2.0})


@pytest.mark.parametrize("mode", ["landscape", "command"])
def test_the_engines_agree(mode):
    tables = {}
    for engine in ("numpy", "vectorized", "agents"):
        m = HolarchyModel(rng=3, scenario="morphogenesis", mode=mode, engine=engine)
        m.run(150)
        tables[engine] = m.table
    for engine in ("vectorized", "agents"):
        pd.testing.assert_frame_equal(tables[engine], tables["numpy"], rtol=1e-9, atol=1e-9)


def test_identities_form_a_permutation_in_every_seed_and_the_form_as_the_scenarios_model():
    """As ``OrganismModel`` (the same rules, read without the engine's message delays):
    10 of 10 seeds a permutation; form error 0.475 spacings in both."""
    ends = []
    for seed in range(10):
        m = model(seed)
        m.run(2000)
        ends.append(m.table.iloc[-1])
    ends = pd.DataFrame(ends)
    assert (ends.permutation == 1.0).all()
    assert (ends.form_error < 0.5).all()  # every cell nearer its place than any other
    nested = OrganismModel(seed=0)
    nested.run(2000)
    assert ends.form_error.iloc[0] == pytest.approx(nested.table.form_error.iloc[-1], abs=0.01)
    assert (ends.placement_error < 2e-3).all()  # send-on-delta at 1e-3 both ways


def test_free_energy_falls_after_the_signals_built_up_but_for_the_moves_of_the_landscape():
    """Under a still landscape the cells' free energy never rises after step 723 (as in
    the scenario's own model). While the organism moves a centre, the cells hear it in
    jumps of at least delta (send-on-delta), and each jump can raise it a little: at most
    1e-4 with delta = 1e-3, 1e-7 with delta = 1e-6."""
    still = model(morph_k_organism=0.0).run(3000).free_energy_cell.to_numpy()
    assert still[-1] < still[1:500].max()
    assert np.all(np.diff(still[750:]) <= 0.0)
    for delta, bound in ((1e-3, 2e-4), (1e-6, 2e-7)):
        moving = model(delta=delta).run(3000).free_energy_cell.to_numpy()
        rises = np.diff(moving[1000:])
        assert 0 < rises.max() < bound


def test_a_cut_organ_regrows_and_the_organism_keeps_the_others():
    m = model(1)
    m.run(800)
    daughters = regenerate(m, 1, "left")
    assert len(daughters) == 4 and len(m.holons[0]) == 24
    assert all(m._by_row[0][row].alive for row in daughters)
    m.run(2500)
    end = m.table.iloc[-1]
    assert end.permutation == 1.0 and end.form_error < 0.5


def test_the_organism_moves_an_organ_and_the_organ_keeps_its_form():
    m = model(2)
    m.run(1500)
    m.regime.targets[0] += (4.0, 0.0)  # the organism wants the first organ elsewhere
    m.run(2500)
    end = m.table.iloc[-1]
    assert end.placement_error < 5e-3 and end.form_error < 0.5 and end.permutation == 1.0
    organ_mean = m.state.levels[1].x[0]
    assert organ_mean == pytest.approx(m.regime.targets[0], abs=5e-3)


def test_bits_and_energy_add_up_per_step():
    m = model()
    m.run(200)
    t = m.table
    assert np.allclose(t.bits_total, t.bits_up + t.bits_down + t.bits_lateral)
    # every cell's release reaches the 7 other cells of its organ, each step
    assert np.allclose(t.bits_lateral.iloc[1:], 24 * 7 * m.regime.bits_signal)
    assert np.allclose(t.energy_communication, m.p["c_bit"] * t.bits_total)
    parts = t.energy_action + t.energy_inference + t.energy_communication + t.energy_central
    assert np.allclose(t.energy_total, parts)


def test_the_planner_places_every_cell_at_fewer_bits_a_step():
    ours, planner = model(), model(mode="command")
    ours.run(2000)
    planner.run(2000)
    a, b = ours.table.iloc[-1], planner.table.iloc[-1]
    assert b.form_error < 1e-6 and b.optimality_gap < 1e-6 < a.optimality_gap
    assert b.bits_total < a.bits_total  # 18,432 against 32,256 bits a step


def test_a_disturbed_sense_malforms_every_organ_on_the_engine_as_in_the_cell_model():
    """The paper's Fig. 5 change of signal 2 (x 1/4), in every organ: no permutation, and
    the form error of the scenario's nested model (3.09 spacings at seed 0)."""
    t = model(morph_signal_index=2, morph_signal_gain=0.25).run(2000)
    nested = OrganismModel(seed=0, signal_index=2, signal_gain=0.25)
    nested.run(2000)
    assert t.permutation.iloc[-1] == 0.0
    assert t.form_error.iloc[-1] == pytest.approx(nested.table.form_error.iloc[-1], abs=0.01)
    assert t.form_error.iloc[-1] > 2.0
