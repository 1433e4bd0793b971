"""Holons made in bulk are registered exactly as Mesa registers agents one by one."""

import mesa
import pytest
from mesa.experimental.mesa_signals.signal_types import ModelSignals

from dataspace_abm import HolarchyModel
from dataspace_abm.core.agents import AGENT_CLASSES, Cell, Organ, make_holons


class Plain(mesa.Model):
    pass


def registry(model: mesa.Model) -> list[tuple]:
    return [(type(a).__name__, a.unique_id, a.row, a.pos) for a in model.agents]


def made(bulk: bool) -> Plain:
    model = Plain(rng=1)
    for cls, n in zip(AGENT_CLASSES, (7, 3, 2, 1), strict=True):
        if bulk:
            make_holons(model, cls, n)
        else:
            [cls(model, row) for row in range(n)]
    return model


def test_bulk_holons_are_the_agents_mesa_would_make():
    bulk, one_by_one = made(True), made(False)
    assert registry(bulk) == registry(one_by_one)
    assert bulk.agent_id_counter == one_by_one.agent_id_counter == 14
    for cls in AGENT_CLASSES:
        assert [a.unique_id for a in bulk.agents_by_type[cls]] == [
            a.unique_id for a in one_by_one.agents_by_type[cls]
        ]
    cell = bulk.agents_by_type[Cell][4]
    assert cell.rows == slice(4, 5)
    # the attributes Agent.__init__ sets, in its order, and nothing else
    twin = one_by_one.agents_by_type[Cell][4]
    assert list(vars(cell)) == list(vars(twin)) == ["model", "unique_id", "pos", "row"]
    assert (cell.model, cell.unique_id, cell.pos) == (bulk, twin.unique_id, None)
    # a later agent gets the next id, and a removed one leaves every registry
    Organ(bulk, 3)
    assert max(a.unique_id for a in bulk.agents) == 14
    mesa.Agent.remove(bulk.agents_by_type[Cell][0])  # Mesa's own: this model has no state
    assert len(bulk.agents_by_type[Cell]) == 6 and len(bulk.agents) == 13


class Listener:
    def __init__(self) -> None:
        self.heard = 0

    def hear(self, signal) -> None:
        self.heard += 1


def test_a_listener_to_added_agents_hears_every_holon():
    model, listener = Plain(rng=1), Listener()
    model.observe("agents", ModelSignals.AGENT_ADDED, listener.hear)
    make_holons(model, Cell, 5)
    assert listener.heard == 5


@pytest.mark.parametrize("engine", ["vectorized", "agents"])
def test_the_model_holds_every_holon_as_a_mesa_agent(engine):
    model = HolarchyModel(rng=2, engine=engine, n_organizations=2, cells_per_organ=3)
    sizes = model.holarchy.sizes
    assert [len(model.agents_by_type[c]) for c in AGENT_CLASSES] == list(sizes)
    assert sorted(a.unique_id for a in model.agents) == list(range(1, sum(sizes) + 1))
    assert all(h.row == row for level in model.holons for row, h in enumerate(level))
