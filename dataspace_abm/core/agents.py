"""Mesa agents, one class per level. Each is a view onto its row of the level's arrays.

An agent holds no numbers of its own: ``cell.x`` reads row ``cell.row`` of the cells'
state array. Its ``step`` runs its regime's sense-infer-act phase on that one row and its
``advance`` sends its messages, with the same functions the vectorized engine applies to
the whole level, so the two engines give the same trajectories.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet

if TYPE_CHECKING:
    from .model import HolarchyModel


class Holon(mesa.Agent):
    """A holon at some level: a part of its parent and a whole for its children."""

    level: int = 0

    def __init__(self, model: HolarchyModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def rows(self) -> slice:
        """Its row as a slice: the one-row arrays the regime's functions take."""
        return slice(self.row, self.row + 1)

    @property
    def _arrays(self):
        return self.model.state.levels[self.level]

    @property
    def x(self) -> np.ndarray:
        """Its state (a cell's own; a parent's, the mean its children reported)."""
        return self._arrays.x[self.row]

    @property
    def mu(self) -> np.ndarray:
        """Its belief about its state."""
        return self._arrays.mu[self.row]

    @property
    def eta(self) -> np.ndarray:
        """The centre of the landscape its parent draws for it."""
        return self._arrays.eta[self.row]

    @property
    def free_energy(self) -> float:
        """Its variational free energy now (derived from its row, not stored)."""
        return float(self.model.regime.free_energy(self.level, self.rows)[0])

    @property
    def alive(self) -> bool:
        """False once removed: it has left ``model.agents`` and ``model.holons``."""
        return bool(self._arrays.alive[self.row])

    @property
    def load(self) -> int:
        """Messages it sent and received in the last step."""
        return int(self._arrays.load[self.row])

    def step(self) -> None:
        """Sense, update the belief, act: the regime's rule applied to this holon's row."""
        self.model.regime.step(self.level, self.rows, self.model.inputs)

    def advance(self) -> None:
        """Send what moved by more than delta: reports up, landscapes down, gossip sideways."""
        self.model.regime.send(self.level, self.rows, self.model.inputs)

    def remove(self) -> None:
        """Leave the model: the row stays, marked dead, so parents re-coarse-grain without it."""
        self._arrays.alive[self.row] = False
        super().remove()


class Cell(Holon):
    """Level 0: moves itself in state space, pulled by its niche and its organ's landscape."""

    level = 0

    @property
    def niche(self) -> np.ndarray:
        return self.model.state.h[self.row]


class Organ(Holon):
    """Level 1: its state is its cells' mean; it acts by bending their landscape."""

    level = 1

    @property
    def theta(self) -> np.ndarray:
        """The centre it draws for its children."""
        return self._arrays.theta[self.row]


class Organization(Organ):
    """Level 2: shapes the landscape of its organs."""

    level = 2


class Society(Organ):
    """Level 3, the root: its own landscape is the environment's target."""

    level = 3


AGENT_CLASSES: tuple[type[Holon], ...] = (Cell, Organ, Organization, Society)


def make_holons(model: mesa.Model, cls: type[Holon], n: int) -> list[Holon]:
    """Holons of ``cls`` for rows ``0 .. n - 1``, registered with ``model`` as
    ``mesa.Agent.__init__`` registers them (ids in row order, in ``model.agents`` and
    ``model.agents_by_type``), but in bulk: 0.65-1 us a holon at 10^6 cells, registering
    included, against 4-8 us one by one, which is most of building ten million
    (docs/performance.md). Where anything listens to agents being added (a signal
    subscriber, a dataset) they are made one by one, so nothing is missed."""
    listened = any(key[0] == "agents" and subs for key, subs in model.subscribers.items())
    if listened or cls._datasets or not hasattr(model, "_all_agents"):
        return [cls(model, row) for row in range(n)]
    first, new = model.agent_id_counter, object.__new__

    def holon(row: int) -> Holon:
        # attributes set one by one, as Agent.__init__ sets them: Python keeps them inline
        # with the class's shared keys, half the memory and time of a dict of its own
        made = new(cls)
        made.model, made.unique_id, made.pos, made.row = model, first + row, None, row
        return made

    enabled = gc.isenabled()
    gc.disable()  # a million new objects would trigger a collection every 700 of them
    try:
        holons = list(map(holon, range(n)))
        model._all_agents._agents.update(dict.fromkeys(holons))
        if cls in model._agents_by_type:
            model._agents_by_type[cls]._agents.update(dict.fromkeys(holons))
        elif holons:
            model._agents_by_type[cls] = _HardKeyAgentSet(holons, random=model.random)
        model.agent_id_counter = first + n
    finally:
        if enabled:
            gc.enable()
    return holons
