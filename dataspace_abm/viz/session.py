"""One browser tab's run: the model, what its views remember, and the run kept for comparison.

Every step of the page goes through :meth:`Session.step`, which also records what the
views draw from the recent past: the last ``TRAIL`` positions of every holon below society
(the trails on the landscape) and which child-parent links carried messages in the last
``WINDOW`` steps (a link is lit by its message rate, not by one message). The landscape's
axes and contour levels are fixed per run and holon (:func:`data.frame`), so two steps of
one run, and two runs of one exercise, are drawn on the same scale.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.model import HolarchyModel
from .data import Frame, active_links, frame, plane

TRAIL = 20  # steps of trail drawn behind each child on the landscape
WINDOW = 10  # steps over which a link's message rate is taken


@dataclass
class Comparison:
    """A finished run's time series, kept to draw beside the next run's."""

    label: str
    table: pd.DataFrame


@dataclass(eq=False)
class Session:
    """A model and its views' memory; ``replace`` starts a new run."""

    model: HolarchyModel
    trails: list[np.ndarray] = field(default_factory=list)  # per level: (TRAIL, n, 2)
    links: list[np.ndarray] = field(default_factory=list)  # per level: (WINDOW, n) bool
    frames: dict[tuple[int, int], Frame] = field(default_factory=dict)
    comparison: Comparison | None = None
    filled: int = 0  # steps recorded since the run started (at most TRAIL, WINDOW kept)
    means: list[float] = field(default_factory=list)  # the living cells' mean, first dim
    # Play steps on a thread of its own while Reset or a redraw may come from the page's
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _table: tuple[tuple[int, int], pd.DataFrame] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._start()

    def _start(self) -> None:
        levels = self.model.state.levels[:-1]
        self.trails = [np.repeat(plane(lv.x)[None], TRAIL, axis=0) for lv in levels]
        self.links = [np.zeros((WINDOW, lv.n), dtype=bool) for lv in levels]
        self.frames, self.filled, self.means = {}, 0, [self._mean()]

    def _mean(self) -> float:
        cells = self.model.state.levels[0]
        return float(cells.x[cells.alive, 0].mean()) if cells.alive.any() else float("nan")

    def replace(self, model: HolarchyModel) -> None:
        """A new run (Reset): the views forget the old one, the comparison stays."""
        with self.lock:
            self.model = model
            self._start()

    def step(self, n: int = 1) -> None:
        """Advance the model ``n`` steps, recording trails and link use after each."""
        with self.lock:
            self._advance(n)

    def _advance(self, n: int) -> None:
        for _ in range(n):
            self.model.step()
            self.filled += 1
            self.means.append(self._mean())
            slot = self.model.steps % TRAIL
            for level, trail in enumerate(self.trails):
                trail[slot] = plane(self.model.state.levels[level].x)
                self.links[level][self.model.steps % WINDOW] = active_links(self.model, level)

    def trail(self, level: int, kids: np.ndarray) -> np.ndarray:
        """The last steps' positions of ``kids`` at ``level``, oldest first: (k, steps, 2)."""
        steps = min(self.filled, TRAIL - 1) + 1
        order = (self.model.steps - np.arange(steps)[::-1]) % TRAIL
        return self.trails[level][order][:, kids].transpose(1, 0, 2)

    def link_rate(self, level: int) -> np.ndarray:
        """Messages a step on each child-parent link at ``level``, over the last steps."""
        steps = max(min(self.filled, WINDOW), 1)
        return self.links[level].sum(axis=0) / steps

    def frame(self, level: int, row: int) -> Frame:
        """The landscape's fixed axes and contour levels for this run and holon."""
        key = (level, row)
        if key not in self.frames:
            self.frames[key] = frame(self.model, level, row)
        return self.frames[key]

    @property
    def table(self) -> pd.DataFrame:
        """The model's per-step table, built once a step: every view of a frame reads it."""
        key = (id(self.model), self.model.steps)
        if self._table is None or self._table[0] != key:
            self._table = (key, self.model.table)
        return self._table[1]

    def keep(self, label: str) -> None:
        """Keep this run's time series to draw beside the runs that follow."""
        self.comparison = Comparison(label, self.table.copy())

    def forget(self) -> None:
        """Drop the kept run."""
        self.comparison = None
