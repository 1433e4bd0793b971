"""The environment: society's target ``T(t)`` and the cells' niches ``h(t)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .structure import Holarchy


class Environment:
    """Target pattern and niches, drawn once from the model's generator at build time.

    A scenario subclasses it (``ai_grid.GridEnvironment``) and may add measures.
    """

    columns: tuple[str, ...] = ()  # the scenario's own per-step measures

    def __init__(self, params: Mapping[str, Any], holarchy: Holarchy, rng: np.random.Generator):
        self.p = dict(params)
        d, n_cells = self.p["d"], holarchy.n_cells
        self.base = self.p["niche_mean"] + self.p["niche_spread"] * rng.standard_normal(
            (n_cells, d)
        )
        self.phase = rng.uniform(0.0, 2.0 * np.pi, size=(n_cells, 1))
        self.series = np.asarray(self.p["target_series"], dtype=float)

    def target(self, t: int) -> np.ndarray:
        """``T(t)``, the same in every dimension: constant, steps, a daily cycle or a series."""
        p = self.p
        level, amp, period = p["target_level"], p["target_amplitude"], p["target_period"]
        match p["target"]:
            case "constant":
                value = level
            case "steps":  # a shock every `period` steps, alternating up and back
                value = level + amp * ((t // period) % 2)
            case "daily":
                value = level + amp * np.sin(2.0 * np.pi * t / period)
            case _:  # the given series; its last value holds after its end
                value = self.series[min(t, self.series.size - 1)]
        return np.full(p["d"], float(value))

    def niche(self, t: int) -> np.ndarray:
        """Each cell's niche ``h_i(t)``: static heterogeneity, or a daily profile around it."""
        if self.p["niche"] == "static":
            return self.base
        swing = self.p["niche_amplitude"] * np.sin(
            2.0 * np.pi * t / self.p["niche_period"] + self.phase
        )
        return self.base + swing

    @property
    def static_niche(self) -> bool:
        return self.p["niche"] == "static"

    def stiffness(self, rng: np.random.Generator) -> np.ndarray:
        """Each cell's niche stiffness: ``pi_h`` with a log-normal spread."""
        n = self.base.shape[0]
        return self.p["pi_h"] * np.exp(self.p["pi_h_spread"] * rng.standard_normal(n))

    def measures(self, model: Any) -> dict[str, float]:
        """The scenario's own measures for this step (none here)."""
        return {}
