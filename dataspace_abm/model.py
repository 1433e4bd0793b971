"""The Mesa model: a holarchy of cells, organs, organizations and society.

Every parameter is a keyword argument (see ``params.py``), so ``mesa.batch_run`` and
SolaraViz can drive the model; ``model.table`` is the per-step table as a DataFrame.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import params as P
from .agents import AGENT_CLASSES, Holon
from .ai_grid import GridEnvironment
from .compiled import CompiledLandscape
from .environment import Environment
from .metrics import COLUMNS, step_accounts, step_metrics
from .regimes import REGIMES, Flat, Landscape
from .state import initial_state
from .structure import build_holarchy, build_lateral_graph, build_trust_graph


def _column(model: HolarchyModel, name: str) -> float:
    return model.metrics[name]


class HolarchyModel(mesa.Model):
    """Four nested levels of active-inference holons under one of four control regimes.

    Args:
        rng: seed (or generator) for every random draw of the run.
        **parameters: any parameter of ``params.PARAMETERS``; unknown or invalid ones
            raise :class:`params.ParameterError` before anything is built.
    """

    def __init__(self, rng: int | np.random.Generator | None = None, **parameters: Any) -> None:
        self.p = P.resolve(parameters)  # validate everything before any work
        if isinstance(rng, np.integer):  # a seed from np.arange or a workbench's sampler
            rng = int(rng)
        super().__init__(rng=rng)
        p = self.p
        self.holarchy = build_holarchy(
            p["n_organizations"], p["organs_per_organization"], p["cells_per_organ"]
        )
        n_cells = self.holarchy.n_cells
        environment = GridEnvironment if p["scenario"] == "ai_grid" else Environment
        self.environment = environment(p, self.holarchy, self.rng)
        self.environment.model = self
        pi_h = self.environment.stiffness(self.rng)
        self.state = initial_state(
            self.holarchy, p["d"], self.environment.niche(0), pi_h, p["pi_prior"]
        )
        self.lateral = None
        if p["mode"] == "flat":
            seed = int(self.rng.integers(2**31 - 1))
            self.lateral = build_lateral_graph(
                n_cells, p["flat_graph"], p["flat_degree"], p["flat_rewire"], seed
            )
        self._init_regime_arrays()
        self.trust = None  # the data space between organizations, where it is used
        if (p["mode"], p["coordination_scope"]) == ("landscape", "organization") and p[
            "trust_threshold"
        ] <= 1.0:
            self.trust = build_trust_graph(p["n_organizations"], p["trust_threshold"], self.rng)
            self.state.extra["shared_obs"] = np.tile(
                self.environment.target(0), (self.trust.src.size, 1)
            )
        regime = REGIMES[p["mode"]]
        if p["engine"] == "vectorized" and p["mode"] == "landscape":
            regime = CompiledLandscape  # the cell level in fused kernels
        self.regime = regime(self)
        # every holon by its row, removed ones included (their rows stay, marked dead)
        self._by_row: list[list[Holon]] = [
            [cls(self, row) for row in range(size)]
            for cls, size in zip(AGENT_CLASSES, self.holarchy.sizes, strict=True)
        ]
        self.holons: list[list[Holon]] = [list(level) for level in self._by_row]
        """The living holons of each level (cells, organs, organizations, society), in row
        order; a removed holon leaves its list as it leaves ``model.agents``."""
        self.target = self.environment.target(0)
        self.env_obs = np.tile(self.target, (self.holarchy.sizes[-1], 1))
        self.noise_sd = 0.0
        self.draws: dict[str, Any] = {}
        self.totals = {"energy": 0.0, "bits": 0.0}
        self.collect_seconds = 0.0  # time spent measuring and collecting, for the benchmark
        self.state.reset_tally()
        self.scenario_row = self.environment.measures(self)
        self.metrics = step_metrics(self, step_accounts(self))
        columns = COLUMNS + self.environment.columns
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_column, name=name) for name in columns}
        )
        self.datacollector.collect(self)

    def _init_regime_arrays(self) -> None:
        s, p = self.state, self.p
        cells = s.levels[0]
        if p["mode"] == "command":
            e = s.extra
            e["order"] = cells.x.copy()
            e["setpoint"] = cells.x.copy()
            e["sent_order"] = cells.x.copy()
            e["sent_h"] = s.h.copy()
            e["inbox_x"], e["inbox_h"] = cells.x.copy(), s.h.copy()
            e["view_x"], e["view_h"] = cells.x.copy(), s.h.copy()
            e["pending_in"] = np.full(cells.n, -1, dtype=np.int64)
            e["pending_out"] = np.full(cells.n, -1, dtype=np.int64)
            e["sending"] = np.zeros(0, dtype=np.int64)
        elif p["mode"] == "flat":
            e, g = s.extra, self.lateral
            e["m"], e["sent_m"] = cells.x.copy(), cells.x.copy()
            e["recv_m"] = cells.x[g.src].copy()
            e["t"] = cells.x.copy()
            e["sent_t"], e["recv_t"] = cells.x.copy(), cells.x[g.src].copy()
            gateway = np.zeros(cells.n, dtype=bool)
            gateway[self.rng.choice(cells.n, size=p["gateways"], replace=False)] = True
            e["gateway"] = gateway
            cells.eta[:] = cells.x  # no parent: a cell's landscape starts where it is

    # --- one step --------------------------------------------------------------------
    def step(self) -> None:
        """Perturb, draw the step's random numbers, run both phases, collect measures."""
        t, p = self.steps, self.p
        if t == p["remove_at"]:
            self.remove_fraction(p["remove_level"], p["remove_fraction"])
        self.target = self.environment.target(t)
        if not self.environment.static_niche:
            self.state.h[:] = self.environment.niche(t)
        self._draw(t)
        self.state.reset_tally()
        if p["engine"] != "agents":  # whole levels at once: "vectorized" or "numpy"
            for level, size in enumerate(self.holarchy.sizes):
                self.regime.step(level, slice(0, size))
            for level, size in enumerate(self.holarchy.sizes):
                self.regime.send(level, slice(0, size))
        else:  # every holon as a Mesa agent, in random order: the order must not matter
            self.agents.shuffle_do("step")
            self.agents.shuffle_do("advance")
        accounts = step_accounts(self)  # every step, so cumulative sums miss nothing
        self.scenario_row = self.environment.measures(self)
        if t % p["collect_every"] == 0:
            started = time.perf_counter()
            self.metrics = step_metrics(self, accounts)
            self.datacollector.collect(self)
            self.collect_seconds += time.perf_counter() - started

    def _draw(self, t: int) -> None:
        """All random numbers of a step, one per row, drawn in a fixed order."""
        p, rng, sizes, d = self.p, self.rng, self.holarchy.sizes, self.p["d"]
        burst = p["burst_at"] >= 0 and p["burst_at"] <= t < p["burst_at"] + p["burst_steps"]
        scale = p["sensing_noise"] * (p["burst_scale"] if burst else 1.0)
        self.noise_sd = scale / np.sqrt(p["pi_o"])
        draws: dict[str, Any] = {"noise": [rng.standard_normal((n, d)) for n in sizes]}
        if p["process_noise"] > 0:
            draws["process"] = rng.standard_normal((sizes[0], d))
        if p["p_loss"] > 0 and t >= p["loss_at"]:
            draws["lost_up"] = [rng.random(n) < p["p_loss"] for n in sizes]
            draws["lost_down"] = [rng.random(n) < p["p_loss"] for n in sizes]
            if isinstance(self.regime, Flat):
                draws["lost_edge"] = rng.random(self.lateral.src.size) < p["p_loss"]
            if self.trust is not None:
                draws["lost_share"] = rng.random(self.trust.src.size) < p["p_loss"]
        if isinstance(self.regime, Landscape):  # what the top shaping level sees of T(t)
            n_top = sizes[self.regime.top]
            self.env_obs = np.tile(self.target, (n_top, 1))
            if p["pi_env"] < 1e9:
                self.env_obs += rng.standard_normal((n_top, d)) / np.sqrt(p["pi_env"])
        self.draws = draws

    def remove_fraction(self, level_name: str, fraction: float) -> list[Holon]:
        """Remove a fraction of the living cells or organs (an organ takes its cells along).

        The removed holons leave Mesa (``agent.remove()``); their parents coarse-grain over
        the survivors from the next report on.
        """
        level = 0 if level_name == "cell" else 1
        alive = np.flatnonzero(self.state.levels[level].alive)
        count = int(round(fraction * alive.size))
        chosen = np.sort(self.rng.choice(alive, size=count, replace=False))
        removed = [self._by_row[level][row] for row in chosen]
        if level == 1:
            for row in chosen:
                kids = self.holarchy.children(1, int(row))
                removed += [c for c in self._by_row[0][kids] if self.state.levels[0].alive[c.row]]
        for holon in removed:
            holon.remove()
        self.holons = [
            [h for h in holons if lv.alive[h.row]]
            for holons, lv in zip(self._by_row, self.state.levels, strict=True)
        ]
        e = self.state.extra
        if "pending_in" in e:  # the centre stops waiting for the departed
            dead = ~self.state.levels[0].alive
            e["pending_in"][dead] = -1
            e["pending_out"][dead] = -1
        return removed

    # --- results ---------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """The per-step table (one row per collected step, ``step`` included)."""
        return self.datacollector.get_model_vars_dataframe()

    def run(self, steps: int) -> pd.DataFrame:
        """Run ``steps`` steps and return the per-step table."""
        for _ in range(steps):
            self.step()
        return self.table
