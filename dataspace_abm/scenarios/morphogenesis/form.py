"""The target form: where each cell of the ensemble belongs and which signals it releases.

The form of Friston, Levin, Sengupta & Pezzulo (2015), "Knowing one's place: a
free-energy approach to pattern regulation", J. R. Soc. Interface 12: 20141383, as in
SPM's ``DEM_morphogenesis.m``: eight places on a grid (a head, a body and a tail), four
signals, each place with its own mix. Every cell carries this form as its generative
model; none knows which place is its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

# The paper's form as a grid (SPM's ``T`` for L = 2): 0 is empty, a number the cell type.
PAPER_GRID = (
    (0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
    (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    (2, 0, 0, 0, 0, 0, 4, 0, 4, 0, 3),
    (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    (0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
)
# SPM's ``T`` for L = 4: a larger form of 16 places.
LARGE_GRID = (
    (0,) * 22,
    (0,) * 22,
    (0, 0, 0, 0, 0, 2) + (0,) * 16,
    (0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3) + (0,) * 10,
    (0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4) + (0,) * 8,
    (0,) * 15 + (4, 0, 4, 0, 1, 0, 0),
    (0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4) + (0,) * 7 + (1,),
    (0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3) + (0,) * 10,
    (0, 0, 0, 0, 0, 2) + (0,) * 16,
    (0,) * 22,
    (0,) * 22,
)


def field(positions: np.ndarray, signals: np.ndarray, at: np.ndarray, decay: float) -> np.ndarray:
    """Signal concentration at the points ``at`` (2 x k): every source's signals (m x n)
    falling off as exp(-decay * distance) from its position (2 x n). Returns m x k."""
    distance = np.sqrt(((at[:, :, None] - positions[:, None, :]) ** 2).sum(axis=0))
    return signals @ np.exp(-decay * distance).T


@dataclass(frozen=True)
class Form:
    """Places (2 x n), the signals released at each (m x n), the signals' decay in space."""

    positions: np.ndarray
    signals: np.ndarray
    decay: float = 1.0

    @property
    def n(self) -> int:
        """How many places (and cells)."""
        return self.positions.shape[1]

    @property
    def m(self) -> int:
        """How many signals."""
        return self.signals.shape[0]

    @cached_property
    def sensed(self) -> np.ndarray:
        """The signals a cell senses at each place of the finished form (m x n)."""
        return field(self.positions, self.signals, self.positions, self.decay)

    @cached_property
    def spacing(self) -> float:
        """The least distance between two places: the scale of a misplaced cell."""
        d = np.sqrt(((self.positions[:, :, None] - self.positions[:, None, :]) ** 2).sum(0))
        return float(d[~np.eye(self.n, dtype=bool)].min())


def from_grid(grid: tuple[tuple[int, ...], ...], decay: float = 1.0) -> Form:
    """A form from a grid of cell types, as SPM builds it: places in column-major order,
    centred, half a grid step apart; signal 1 everywhere, 2 at types 1 and 2, 3 at types
    1 and 3, 4 at type 4."""
    t = np.asarray(grid)
    cols, rows = np.nonzero(t.T)  # column-major, as MATLAB's find
    kinds = t[rows, cols]
    positions = np.stack([cols, rows]).astype(float)
    positions = (positions - positions.mean(axis=1, keepdims=True)) / 2
    signals = np.stack([kinds > 0, (kinds == 2) | (kinds == 1), (kinds == 3) | (kinds == 1)])
    signals = np.vstack([signals, kinds == 4]).astype(float)
    return Form(positions, signals, decay)


FORMS = {"paper": PAPER_GRID, "large": LARGE_GRID}


def named_form(name: str, decay: float = 1.0) -> Form:
    """One of ``FORMS`` by name."""
    return from_grid(FORMS[name], decay)
