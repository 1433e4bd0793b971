"""The generic holarchy: a target pattern ``T(t)`` and heterogeneous, maybe daily, niches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.structure import Holarchy
from .base import Environment, Scenario


class PatternEnvironment(Environment):
    """Target pattern and niches, drawn once from the model's generator at build time."""

    def __init__(self, params: Mapping[str, Any], holarchy: Holarchy, rng: np.random.Generator):
        super().__init__(params, holarchy, rng)
        p = self.p
        d, n_cells = p["d"], holarchy.n_cells
        self.base = p["niche_mean"] + p["niche_spread"] * rng.standard_normal((n_cells, d))
        phase = rng.uniform(0.0, 2.0 * np.pi, size=(n_cells, 1))
        match p["niche_phase"]:  # the same draws, shared by an organ's cells or by all
            case "organ":
                phase = phase[holarchy.starts[1]][holarchy.parent[0]]
            case "shared":
                phase = np.broadcast_to(phase[:1], phase.shape).copy()
        self.phase = phase
        self.series = np.asarray(p["target_series"], dtype=float)

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


DEFAULT = Scenario(
    name="default",
    doc="the generic holarchy: a target pattern and the cells' own niches",
    environment=PatternEnvironment,
)
