"""The rules a classroom adds to the engine: an organization a student steers, a planner
a student is, and a target the teacher can shock.

A steered organization draws its organs' landscape from the student's three parts (a
well's centre and precision and a tilt) instead of relaying society's price; its organs
pass the whole landscape on to their cells, in one landscape message as always. An
organization nobody steers runs the model's own rule: it relays the price and draws no
well. Under the planner round a student's orders take the place of command's computed set
points; every order still travels the command protocol (three hops, society's queue).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import equations as eq
from ..core.model import HolarchyModel
from ..regimes.command import Command
from ..regimes.landscape import Landscape

ORGAN, ORGANIZATION = 1, 2


class Wheel:
    """The landscape each organization's student draws: centre, precision and tilt."""

    def __init__(self, n: int, d: int) -> None:
        self.steered = np.zeros(n, dtype=bool)
        self.centre = np.zeros((n, d))
        self.precision = np.zeros(n)
        self.tilt = np.zeros((n, d))


class SteeredLandscape(Landscape):
    """Landscape shaping in which students may draw an organization's landscape."""

    def __init__(self, params, state, holarchy, rng) -> None:
        super().__init__(params, state, holarchy, rng)
        if not self.tilted or self.direct_tilt or self.top != 3:
            raise ValueError("a classroom steers the relayed tilt of society's landscape")
        self.wheel = Wheel(holarchy.sizes[ORGANIZATION], self.g.d)
        for level in (ORGAN, ORGANIZATION):  # no well until a student draws one
            lv = state.levels[level]
            lv.pi_child[:] = 0.0
            lv.sent_pi[:] = 0.0
        state.levels[ORGAN].pi_eta[:] = 0.0

    def tilt_parent(self, level: int, rows: slice, inputs) -> None:
        super().tilt_parent(level, rows, inputs)
        lv = self.state.levels[level]
        if level == ORGAN:  # an organ passes on the well it received with the tilt
            lv.theta[rows], lv.pi_child[rows] = lv.eta[rows], lv.pi_eta[rows]
        elif level == ORGANIZATION:
            w = self.wheel
            on = w.steered[rows]
            lv.tilt_child[rows] = np.where(on[:, None], w.tilt[rows], lv.tilt_child[rows])
            lv.theta[rows] = np.where(on[:, None], w.centre[rows], lv.theta[rows])
            lv.pi_child[rows] = np.where(on, w.precision[rows], 0.0)

    def carried(self, lv, below):
        return ((below.tilt, lv.tilt_child), (below.eta, lv.theta), (below.pi_eta, lv.pi_child))

    def changed_landscapes(self, level: int, rows: slice, t: int) -> np.ndarray:
        """As the tilt's rule, and a landscape whose well moved by delta goes too."""
        lv, g = self.state.levels[level], self.g
        well = eq.moved(lv.theta[rows], lv.sent_theta[rows], g.delta) & (lv.pi_child[rows] > 0)
        well |= np.abs(lv.pi_child[rows] - lv.sent_pi[rows]) > g.delta * g.pi_prior
        # the tilt's rule marks what it sends; a well's change is sent with the tilt
        changed = super().changed_landscapes(level, rows, t)
        extra = well & ~changed & lv.alive[rows]
        if extra.any():
            np.copyto(lv.sent_tilt[rows], lv.tilt_child[rows], where=extra[:, None])
            if self.network.fair:
                self.broadcast_at[level][rows] = np.where(extra, t, self.broadcast_at[level][rows])
        changed |= extra
        np.copyto(lv.sent_theta[rows], lv.theta[rows], where=changed[:, None])
        np.copyto(lv.sent_pi[rows], lv.pi_child[rows], where=changed)
        return changed


class PlannedCommand(Command):
    """Central command whose set points a student gives, one per organ."""

    def __init__(self, params, state, holarchy, rng) -> None:
        super().__init__(params, state, holarchy, rng)
        self.orders = np.full((holarchy.sizes[ORGAN], self.g.d), np.nan)  # none given yet

    def setpoints(self, inputs, alive: np.ndarray) -> np.ndarray:
        """A cell's set point is its organ's order; a cell of an organ not ordered yet
        keeps the last order it was sent (at first its starting state)."""
        organ = self.holarchy.parent[0]
        given = self.orders[organ]
        return np.where(np.isnan(given), self.arrays.sent_order, given)


class Shocked:
    """The scenario's environment with the teacher's shock added to its target."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.offset = 0.0

    def target(self, t: int) -> np.ndarray:
        return self.inner.target(t) + self.offset

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class ClassroomModel(HolarchyModel):
    """The holarchy with the classroom's rules (see the module's docstring).

    Args:
        rng: the seed.
        planned: under ``mode = "command"``, a student gives the set points.
        **parameters: as for :class:`HolarchyModel`.
    """

    def __init__(self, rng: int | None = None, planned: bool = False, **parameters: Any) -> None:
        self.planned = planned
        super().__init__(rng=rng, **parameters)
        self.environment = Shocked(self.environment)

    def regime_type(self) -> type:
        mode = self.p["mode"]
        if mode == "landscape":
            return SteeredLandscape
        if mode == "command" and self.planned:
            return PlannedCommand
        return super().regime_type()

    # --- what the classroom does to a model ------------------------------------------
    def steer(
        self, organization: int, centre: np.ndarray, precision: float, tilt: np.ndarray
    ) -> None:
        """A student's landscape for ``organization``'s organs, from the next step on."""
        w = self.regime.wheel
        w.steered[organization] = True
        w.centre[organization] = centre
        w.precision[organization] = precision
        w.tilt[organization] = tilt

    def release(self, organization: int) -> None:
        """``organization`` runs the model's own rule again."""
        if isinstance(self.regime, SteeredLandscape):
            self.regime.wheel.steered[organization] = False

    def order(self, organs: np.ndarray, setpoint: np.ndarray) -> None:
        """The planner's set point for ``organs`` (rows of the organ level)."""
        self.regime.orders[organs] = setpoint

    def shock(self, size: float) -> None:
        """Move the target by ``size`` in every dimension, from the next step on."""
        self.environment.offset += size
