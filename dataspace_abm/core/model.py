"""The Mesa model: a holarchy of cells, organs, organizations and society.

Every parameter is a keyword argument (see ``params.py``), so ``mesa.batch_run`` and
SolaraViz can drive the model; ``model.table`` is the per-step table as a DataFrame. The
scenario (``scenarios``) supplies the environment, the regime (``regimes``) the rules;
the model holds the state, draws the shared random numbers, steps and measures.
"""

from __future__ import annotations

import importlib
import time
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from ..regimes import StepInputs, regime_class
from ..regimes.base import shared_draws
from ..scenarios import SCENARIOS
from . import params as P
from .agents import AGENT_CLASSES, Holon, make_holons
from .equations import in_window
from .metrics import COLUMNS, step_accounts, step_metrics
from .state import initial_state
from .structure import build_holarchy


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
        self.environment = SCENARIOS[p["scenario"]].environment(p, self.holarchy, self.rng)
        pi_h = self.environment.stiffness(self.rng)
        self.state = initial_state(
            self.holarchy, p["d"], self.environment.niche(0), pi_h, p["pi_prior"]
        )
        self.environment.begin_step(0, self.state)
        self.regime = self.regime_type()(p, self.state, self.holarchy, self.rng)
        self.regime.start(self.environment.target(0))
        # every holon by its row, removed ones included (their rows stay, marked dead)
        self._by_row: list[list[Holon]] = [
            make_holons(self, cls, size)
            for cls, size in zip(AGENT_CLASSES, self.holarchy.sizes, strict=True)
        ]
        self.holons: list[list[Holon]] = [list(level) for level in self._by_row]
        """The living holons of each level (cells, organs, organizations, society), in row
        order; a removed holon leaves its list as it leaves ``model.agents``."""
        self.inputs = StepInputs(0, self.environment.target(0), 0.0)
        self.totals = {"energy": 0.0, "bits": 0.0}
        self.collect_seconds = 0.0  # time spent measuring and collecting, for the benchmark
        self.state.reset_tally()
        self.scenario_measures = self._measures(0)
        self.metrics = step_metrics(self, step_accounts(self))
        columns = COLUMNS + self.environment.columns
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_column, name=name) for name in columns}
        )
        self.datacollector.collect(self)

    def regime_type(self) -> type:
        """The regime class this model runs: the scenario's own for the mode if it has
        one, else the engine's (a subclass may extend the rules)."""
        own = SCENARIOS[self.p["scenario"]].regimes.get(self.p["mode"])
        if own is not None:
            module, name = own.split(":")
            return getattr(importlib.import_module(module), name)
        return regime_class(self.p["mode"], self.p["engine"])

    @property
    def target(self) -> np.ndarray:
        """``T(t)`` of the current step."""
        return self.inputs.target

    # --- one step --------------------------------------------------------------------
    def step(self) -> None:
        """Perturb, draw the step's random numbers, run both phases, collect measures."""
        t, p = self.steps, self.p
        if t == p["remove_at"]:
            self.remove_fraction(p["remove_level"], p["remove_fraction"])
        self.environment.begin_step(t, self.state)
        target = self.environment.target(t)
        if not self.environment.static_niche:
            self.state.h[:] = self.environment.niche(t)
            self.state.niche_stamp += 1
        self.inputs = self._inputs(t, target)
        self.state.reset_tally()
        regime, inputs = self.regime, self.inputs
        if p["engine"] != "agents":  # whole levels at once: "vectorized" or "numpy"
            for level, size in enumerate(self.holarchy.sizes):
                regime.step(level, slice(0, size), inputs)
            for level, size in enumerate(self.holarchy.sizes):
                regime.send(level, slice(0, size), inputs)
        else:  # every holon as a Mesa agent, in random order: the order must not matter
            self.agents.shuffle_do("step")
            self.agents.shuffle_do("advance")
        # messages due by the next step reach their mailboxes now, so that this step's
        # measures see what a message written straight into its mailbox would show
        regime.deliver(t + 1)
        accounts = step_accounts(self)  # every step, so cumulative sums miss nothing
        self.scenario_measures = self._measures(t)
        if t % p["collect_every"] == 0:
            started = time.perf_counter()
            self.metrics = step_metrics(self, accounts)
            self.datacollector.collect(self)
            self.collect_seconds += time.perf_counter() - started

    def _measures(self, t: int) -> dict[str, float]:
        """The scenario's own columns: the environment's, and a scenario regime's."""
        return {**self.environment.measures(t, self.state), **self.regime.measures()}

    def _inputs(self, t: int, target: np.ndarray) -> StepInputs:
        """All random numbers of a step, one per row, drawn in a fixed order: the shared
        ones (sensing and process noise, loss up and down), then the regime's own."""
        p, rng, sizes = self.p, self.rng, self.holarchy.sizes
        burst = in_window(t, p["burst_at"], p["burst_steps"])
        scale = p["sensing_noise"] * (p["burst_scale"] if burst else 1.0)
        inputs = StepInputs(t, target, scale / np.sqrt(p["pi_o"]))
        inputs.announced = self.environment.announced(t)
        lossy = p["p_loss"] > 0 and t >= p["loss_at"]
        inputs.draws = shared_draws(rng, sizes, p["d"], p["process_noise"] > 0, lossy, p["p_loss"])
        inputs.draws.update(self.regime.draw(rng, inputs, lossy))
        return inputs

    def remove_fraction(self, level_name: str, fraction: float) -> list[Holon]:
        """Remove a fraction of the living cells or organs (an organ takes its cells along).

        The removed holons leave Mesa (``agent.remove()``) and ``model.holons``; their rows
        stay, marked dead (``holon.alive`` is False), and their parents coarse-grain over
        the survivors from the next report on.
        """
        level = 0 if level_name == "cell" else 1
        alive = np.flatnonzero(self.state.levels[level].alive)
        count = int(round(fraction * alive.size))
        chosen = np.sort(self.rng.choice(alive, size=count, replace=False))
        return self.remove_rows(level, chosen)

    def remove_rows(self, level: int, chosen: np.ndarray) -> list[Holon]:
        """Remove the living holons of rows ``chosen`` of level 0 or 1 (as
        :meth:`remove_fraction`, with the rows given: several models can lose the same)."""
        chosen = np.sort(np.asarray(chosen, dtype=np.int64))
        chosen = chosen[self.state.levels[level].alive[chosen]]
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
        self.state.niche_stamp += 1  # the living cells' niches are another set now
        self.regime.on_removed()
        return removed

    def revive_rows(self, level: int, rows: np.ndarray) -> list[Holon]:
        """Bring the dead holons of ``rows`` back as new Mesa agents (a cell divided into
        a dead cell's row, say); what their state is, the caller writes."""
        rows = np.sort(np.asarray(rows, dtype=np.int64))
        alive = self.state.levels[level].alive
        if alive[rows].any():
            raise ValueError("only dead rows can be revived")
        born = [AGENT_CLASSES[level](self, int(row)) for row in rows]
        for holon in born:
            self._by_row[level][holon.row] = holon
        alive[rows] = True
        self.holons[level] = [h for h in self._by_row[level] if alive[h.row]]
        self.state.niche_stamp += 1
        return born

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
