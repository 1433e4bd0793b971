"""No coupling: cells follow their own niches (the reference)."""

from __future__ import annotations

import numpy as np

from ..core import equations as eq
from .base import Regime, StepInputs


class Autonomous(Regime):
    """No coupling: each cell follows its own niche. The reference for what coordination buys."""

    name = "autonomous"
    # no messages and no landscape: nothing about either changes a run (its loss draws do:
    # p_loss is still drawn, so it stays read)
    unread = frozenset(
        {
            "central_capacity", "node_capacity", "hop_latency", "refresh_every", "delta",
            "header_bits", "float_bits", "c_bit", "landscape_parts", "tilt_gain",
            "tilt_feedforward", "tilt_route", "gain",
            "centre_leak", "centre_margin", "coordination_scope", "pi_env", "trust_threshold",
            "flat_graph", "flat_degree", "flat_rewire", "gateways",
        }
    )  # fmt: skip

    def cell_landscape(self, rows: slice) -> tuple[np.ndarray, float, np.ndarray]:
        h = self.state.h[rows]
        return h, 0.0, np.zeros_like(h)  # no landscape: only the niche

    def information_age(self, t: int) -> float:
        return 0.0  # its landscape is its own niche, known now

    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        if level > 0 or self.g.filter:
            return super().free_energy(level, rows)
        s = self.state
        cells = s.levels[0]
        h = s.h[rows]
        return eq.free_energy(cells.o[rows], cells.mu[rows], h, self.g.pi_o, 0.0, h, s.pi_h[rows])

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level != 0:
            return
        if self.g.filter:
            return self.filter_cells(rows, inputs)
        h = self.state.h[rows]
        o = self.observe(0, rows, inputs)
        mu = self.infer_cells(rows, o, h, 0.0)  # no landscape: its precision is zero
        self.move_cells(rows, o, mu, inputs)
