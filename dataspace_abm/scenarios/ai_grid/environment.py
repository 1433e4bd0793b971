"""The AI-and-grid scenario: GPU servers in data centres of operators on a grid region.

Cells are GPU servers whose state is their power draw as a fraction of rated power. A
training server prefers full power (its niche is 1, its stiffness grows with the GPU's
cost); an inference server must follow its users' demand (a daily profile with an evening
peak) and is stiff. Data centres are at the edge (mostly inference, higher PUE) or
hyperscale (mostly training). Society's landscape centre is the fleet load that the
renewable surplus can carry. Units and sources: docs/ai_grid.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...core.equations import in_window
from ...core.state import State
from ...core.structure import Holarchy
from ..base import Environment
from .measures import COLUMNS, step_measures
from .series import load_grid_series


def daily_bump(hour: float | np.ndarray, peak_hour: float) -> float | np.ndarray:
    """A smooth daily profile in [0, 1]: 1 at ``peak_hour``, 0 twelve hours away."""
    return ((1.0 + np.cos(2.0 * np.pi * (hour - peak_hour) / 24.0)) / 2.0) ** 2


class GridEnvironment(Environment):
    """Weather, other load, users' demand and the servers' kinds, drawn at build time."""

    columns = COLUMNS

    def __init__(self, params: Mapping[str, Any], holarchy: Holarchy, rng: np.random.Generator):
        super().__init__(params, holarchy, rng)
        p = self.p
        n_organs, n_cells = holarchy.sizes[1], holarchy.sizes[0]
        self.edge = np.zeros(n_organs, dtype=bool)
        self.edge[rng.permutation(n_organs)[: round(p["edge_share"] * n_organs)]] = True
        organ = holarchy.parent[0]
        share = np.where(self.edge, p["edge_inference"], p["hyperscale_inference"])
        self.inference = rng.random(n_cells) < share[organ]
        self.pue = np.where(self.edge, p["pue_edge"], p["pue_hyperscale"])[organ]
        self.demand_scale = np.clip(1.0 + 0.1 * rng.standard_normal(n_cells), 0.5, 1.5)
        self.weather = np.random.default_rng(rng.integers(2**63))  # its own stream
        self.wind = [p["wind_capacity_factor"]]
        self.fleet_kw = n_cells * p["server_kw"]  # one fleet unit
        self.series = None  # the user's hourly series, in fleet units
        if p["grid_series"]:
            self.series = load_grid_series(p["grid_series"]).to_numpy() * 1000.0 / self.fleet_kw
        self.hours = p["step_minutes"] / 60.0
        self.dr_level: float | None = None  # the fleet's mean power when the event began
        names = ("training", "training_renewable", "emissions", "base", "work", "work_edge",
                 "inference", "inference_edge")  # fmt: skip
        self.totals = dict.fromkeys(names, 0.0)

    # --- the grid region ---------------------------------------------------------------
    def hour(self, t: int) -> float:
        return (t * self.hours) % 24.0

    def _given(self, t: int, column: int) -> float:
        """The user's series at step ``t`` (each hour's value held for its steps; repeats)."""
        return float(self.series[int(t * self.hours) % self.series.shape[0], column])

    def solar(self, t: int) -> float:
        """Half-sine between sunrise and sunset, scaled to the capacity factor."""
        if self.series is not None:
            return self._given(t, 0)
        p, h = self.p, self.hour(t)
        day = p["sunset"] - p["sunrise"]
        if day <= 0 or not p["sunrise"] <= h <= p["sunset"]:
            return 0.0
        peak = p["solar_capacity_factor"] * (24.0 / day) * (np.pi / 2.0)  # mean = factor
        return p["solar_capacity"] * min(1.0, peak * np.sin(np.pi * (h - p["sunrise"]) / day))

    def wind_power(self, t: int) -> float:
        """An autocorrelated (AR(1)) capacity factor around its mean, in [0, 1]."""
        p = self.p
        if self.series is not None:
            return self._given(t, 1)
        while len(self.wind) <= t:
            w = self.wind[-1]
            w += (1 - p["wind_persistence"]) * (p["wind_capacity_factor"] - w)
            w += p["wind_volatility"] * self.weather.standard_normal()
            self.wind.append(min(1.0, max(0.0, w)))
        return p["wind_capacity"] * self.wind[t]

    def other_load(self, t: int) -> float:
        """The region's other consumers: a daily profile peaking in the evening."""
        if self.series is not None:
            return self._given(t, 2)
        p = self.p
        swing = np.cos(2.0 * np.pi * (self.hour(t) - p["peak_hour"]) / 24.0)
        return p["other_load"] * (1.0 + p["other_load_swing"] * swing)

    def surplus(self, t: int) -> float:
        """Renewable power left after the region's other load, in fleet units."""
        return max(0.0, self.solar(t) + self.wind_power(t) - self.other_load(t))

    # --- the model's environment -------------------------------------------------------
    def in_event(self, t: int) -> bool:
        """Whether step ``t`` lies in the demand-response event."""
        return in_window(t, self.p["dr_at"], self.p["dr_steps"])

    def begin_step(self, t: int, state: State) -> None:
        """At the event's first step, remember the fleet's mean power: the cut is from it."""
        if self.dr_level is None and self.in_event(t):
            cells = state.levels[0]
            self.dr_level = float(cells.x[cells.alive, 0].mean())

    def target(self, t: int) -> np.ndarray:
        """The mean power fraction the surplus can carry; during an event, at most the
        fleet's load when the event began, less the cut asked for."""
        value = min(1.0, self.surplus(t) / float(np.mean(self.pue)))
        if self.in_event(t):
            value = min(value, (1.0 - self.p["dr_cut"]) * (self.dr_level or 0.0))
        return np.full(1, value)

    def niche(self, t: int) -> np.ndarray:
        """Training: full power. Inference: the users' demand now."""
        p = self.p
        demand = p["demand_base"] + (p["demand_peak"] - p["demand_base"]) * daily_bump(
            self.hour(t), p["peak_hour"]
        )
        h = np.where(self.inference, np.clip(demand * self.demand_scale, 0.0, 1.0), 1.0)
        return h[:, None]

    @property
    def static_niche(self) -> bool:
        return False

    def stiffness(self, rng: np.random.Generator) -> np.ndarray:
        """Inference is latency-bound; training's stiffness is what an idle GPU-hour costs."""
        p = self.p
        training = max(p["gpu_stiffness"] * p["gpu_cost"], 1e-6)
        return np.where(self.inference, p["pi_h_inference"], training)

    def measures(self, t: int, state: State) -> dict[str, float]:
        """Energy balance, emissions against the niches' load, training, SLAs, costs."""
        return step_measures(self, t, state)
