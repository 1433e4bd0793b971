"""No coupling: cells follow their own niches (the reference)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import equations as eq
from .base import Regime

if TYPE_CHECKING:
    pass


class Autonomous(Regime):
    """No coupling: each cell follows its own niche. The reference for what coordination buys."""

    name = "autonomous"

    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        if level > 0:
            return super().free_energy(level, rows)
        s = self.s
        cells = s.levels[0]
        h = s.h[rows]
        return eq.free_energy(cells.o[rows], cells.mu[rows], h, self.pi_o, 0.0, h, s.pi_h[rows])

    def step(self, level: int, rows: slice) -> None:
        if level != 0:
            return
        h = self.s.h[rows]
        o = self.observe(0, rows)
        mu = self.infer_cells(rows, o, h, 0.0)  # no landscape: its precision is zero
        self.move_cells(rows, o, mu)
