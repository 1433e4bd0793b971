"""Organs of self-assembling cells inside an organism that places the organs.

Each organ is an ensemble of cells forming the form (as in :mod:`model`); the organism
never tells a cell where to go. It shapes the landscape of its organs: for organ ``k``
it sets a centre ``eta[k]`` (and a spread), and the organ's cells carry the form drawn
there as their generative model. Each organ reports its cells' mean position up; the
organism moves the centres until the organs' means sit at its own targets. Cells sense
only their own organ's signals (one channel per organ), so organs do not confuse one
another's places.

The comparison is a central planner: it receives every cell's position each step,
assigns the cells of each organ to its places (the Hungarian method) and commands each
cell's move and release, at the same rates the cells' own descent uses.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
from scipy.optimize import linear_sum_assignment

from ...core.equations import message_bits
from ...core.parameter import Parameter, ParameterError, param
from ...core.params import ENERGY_SETTINGS
from . import inference
from .form import Form, named_form
from .model import ENGINES, PARAMETERS, Ensemble, MorphCell, resolve, sense_gains

NESTED: dict[str, Parameter] = {
    "organs": param(3, "int", "nesting", "organs in the organism", low=1, high=64),
    "organ_gap": param(
        8.0, "float", "nesting", "distance between the organs' targets", low=0.0, high=1e3
    ),
    "spread": param(
        1.0, "float", "nesting", "scale of the form an organ draws", low=0.1, high=10.0
    ),
    "k_organism": param(
        1.0, "float", "nesting", "rate at which the organism moves a centre", low=0.0, high=100.0
    ),
    "pi_organ": param(
        1.0, "float", "nesting", "precision of an organ's report", low=1e-9, high=1e9
    ),
    "delta": param(
        1e-3, "float", "nesting", "a centre moved by more is sent down", low=0.0, high=1e3
    ),
    "c_central": param(
        ENERGY_SETTINGS["cell"]["c_central"],
        "float",
        "energy",
        "J per cell a planner handles",
        low=0.0,
        high=1e12,
    ),
}
REGIMES = ("landscape", "planner")


class Organ(mesa.Agent):
    """An organ: a view onto its centre and its cells' columns."""

    def __init__(self, model: OrganismModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def cols(self) -> np.ndarray:
        """Its cells' columns."""
        n = self.model.form.n
        return np.arange(self.index * n, (self.index + 1) * n)

    @property
    def centre(self) -> np.ndarray:
        """Where the organism draws its form."""
        return self.model.eta[:, self.index]

    @property
    def mean(self) -> np.ndarray:
        """Its living cells' mean position (what it reports)."""
        cols = self.cols[self.model.alive[self.cols]]
        return self.model.x[:, cols].mean(axis=1)

    def form(self) -> Form:
        """The form it carries, drawn at its centre."""
        return self.model.organ_form(self.index)

    def form_error(self) -> float:
        """Its cells' largest distance from its places, matched one to one."""
        return self.model.form_error(self.index)

    def identities(self) -> np.ndarray:
        """Each of its cells' most likely place."""
        return np.argmax(self.model.v[:, self.cols], axis=0)


class OrganismModel(Ensemble):
    """An organism of ``organs`` organs, each of ``form.n`` self-assembling cells."""

    def __init__(self, engine: str = "vectorized", regime: str = "landscape", **overrides: Any):
        if engine not in ENGINES:
            raise ParameterError("engine", engine, "one of " + ", ".join(map(repr, ENGINES)))
        if regime not in REGIMES:
            raise ParameterError("regime", regime, "one of " + ", ".join(map(repr, REGIMES)))
        self.p = resolve(overrides, {**PARAMETERS, **NESTED})
        super().__init__(rng=self.p["seed"])
        self.engine, self.regime = engine, regime
        self.form = named_form(self.p["form"], self.p["decay"])
        n, k = self.form.n, self.p["organs"]
        gap = self.p["organ_gap"]
        self.targets = np.stack([(np.arange(k) - (k - 1) / 2) * gap, np.zeros(k)])
        self.eta = self.targets.copy()  # the landscapes start where the organs should be
        self.v = self.rng.standard_normal((n, n * k)) * self.p["start_spread"]
        q = inference.softmax(self.v)
        self.x = np.repeat(self.eta, n, axis=1) + self.p["spread"] * (self.form.positions @ q)
        self.s = self.form.signals @ q
        self.alive = np.ones(n * k, dtype=bool)
        self.sent = self.eta.copy()  # the centres the organs last heard
        self.elapsed = 0.0
        self.pending: list = []
        self.organs = [Organ(self, i) for i in range(k)]
        self.cells = [MorphCell(self, col) for col in range(n * k)]
        self.totals = {"bits": 0.0, "energy": 0.0}
        self.rows: list[dict[str, float]] = [self.measure(np.zeros(n * k), 0.0, 0.0, 0.0, 0.0)]

    def organ_form(self, index: int) -> Form:
        """The form organ ``index`` carries: the form scaled by the spread, at its centre."""
        places = self.eta[:, index : index + 1] + self.p["spread"] * self.form.positions
        return Form(places, self.form.signals, self.form.decay)

    def organ_of(self, cols: np.ndarray) -> np.ndarray:
        return np.asarray(cols) // self.form.n

    # --- the cells ---------------------------------------------------------------------
    def update(self, cols: np.ndarray) -> dict[str, np.ndarray]:
        """New log-odds, position and release of cells ``cols`` (all in one organ or
        several), from the arrays as they are; their free energy."""
        p, b, n = self.p, inference.ramp(self.elapsed, self.p["build_up_time"]), self.form.n
        gains = sense_gains(p, self.form.m)
        parts = []
        for organ in np.unique(self.organ_of(cols)):
            own = np.arange(organ * n, (organ + 1) * n)  # the organ's channel
            mine = np.asarray(cols)[self.organ_of(cols) == organ] - organ * n
            form = self.organ_form(int(organ))
            x, s, alive, v = (
                self.x[:, own],
                self.s[:, own],
                self.alive[own],
                self.v[:, own][:, mine],
            )
            parts.append(inference.descend(form, x, s, alive, mine, v, p, b, gains))
        return {
            key: np.concatenate([u[key] for u in parts], axis=-1) for key in ("v", "x", "s", "F")
        }

    def planned(self, cols: np.ndarray) -> dict[str, np.ndarray]:
        """The planner's commands: each cell moved toward the place it was assigned, its
        release toward that place's, at the rates of the cells' own descent."""
        p, n = self.p, self.form.n
        x, s, v = self.x[:, cols].copy(), self.s[:, cols].copy(), self.v[:, cols].copy()
        rate = p["dt"] * p["k_act"] * p["pi_sense"]
        for organ in np.unique(self.organ_of(cols)):
            mine = np.flatnonzero(self.organ_of(cols) == organ)
            places = self.organ_form(int(organ)).positions
            cost = np.sqrt(((x[:, mine][:, :, None] - places[:, None, :]) ** 2).sum(axis=0))
            rows, chosen = linear_sum_assignment(cost)
            x[:, mine[rows]] += rate * (places[:, chosen] - x[:, mine[rows]])
            s[:, mine[rows]] += rate * (self.form.signals[:, chosen] - s[:, mine[rows]])
            v[:, mine[rows]] = np.eye(n)[:, chosen] * 10.0  # it is told its identity
        return {"v": v, "x": x, "s": s, "F": np.zeros(len(cols))}

    # --- a step ------------------------------------------------------------------------
    def step(self) -> None:
        """Cells infer and act (or obey the planner); organs report; the organism moves
        the centres of the organs whose means are off its targets."""
        p = self.p
        living = np.flatnonzero(self.alive)
        new = self.planned(living) if self.regime == "planner" else self.cells_step(living)
        free, moved = self.commit(living, new)
        means = np.stack([organ.mean for organ in self.organs], axis=1)
        self.eta += p["dt"] * p["k_organism"] * (self.targets - means)  # integral control
        changed = np.sqrt(((self.eta - self.sent) ** 2).sum(axis=0)) > p["delta"]
        self.sent[:, changed] = self.eta[:, changed]
        self.elapsed += p["dt"]
        self.rows.append(self.measure(free, moved, 1.0, float(changed.sum()), 1.0))

    def move_target(self, organ: int, by: tuple[float, float]) -> None:
        """The organism wants organ ``organ`` elsewhere (a change of its own target)."""
        self.targets[:, organ] += np.asarray(by, dtype=float)

    # --- measures ----------------------------------------------------------------------
    def form_error(self, organ: int) -> float:
        """Organ ``organ``'s cells' largest distance from its places, matched one to one."""
        cols = self.organs[organ].cols
        cols = cols[self.alive[cols]]
        places = self.organ_form(organ).positions
        cost = np.sqrt(((self.x[:, cols][:, :, None] - places[:, None, :]) ** 2).sum(axis=0))
        rows, chosen = linear_sum_assignment(cost)
        return float(cost[rows, chosen].max())

    def measure(self, free, moved: float, updates: float, landscapes: float, reports: float):
        """This step's row: free energy per level, errors, bits and energy."""
        p, n, k = self.p, self.form.n, self.p["organs"]
        m = self.form.m
        report, landscape = (
            message_bits(2, p["float_bits"], p["header_bits"]),
            message_bits(3, p["float_bits"], p["header_bits"]),
        )
        living = int(self.alive.sum())
        if self.regime == "planner":
            command = message_bits(2 + m, p["float_bits"], p["header_bits"])
            cell_bits = living * (report + command) * updates
            central = p["c_central"] * living * updates
        else:
            per_organ = [int(self.alive[o.cols].sum()) for o in self.organs]
            signal = message_bits(m, p["float_bits"], p["header_bits"])
            cell_bits = sum(c * max(c - 1, 0) for c in per_organ) * signal * updates
            central = 0.0
        up = k * report * reports
        down = landscapes * (landscape + n * landscape)  # to the organ and on to its cells
        bits = cell_bits + up + down
        energy = {
            "energy_action": p["c_act"] * moved,
            "energy_inference": p["c_inf"] * living * updates * (self.regime == "landscape"),
            "energy_communication": p["c_bit"] * bits,
            "energy_central": central,
        }
        self.totals["bits"] += bits
        self.totals["energy"] += sum(energy.values())
        means = np.stack([o.mean for o in self.organs], axis=1)
        return {
            "step": float(len(getattr(self, "rows", []))),
            "time": self.elapsed,
            "free_energy_cells": float(np.sum(free)),
            "free_energy_organs": float(0.5 * p["pi_organ"] * ((means - self.eta) ** 2).sum()),
            "free_energy_organism": float(
                0.5 * p["pi_organ"] * ((means - self.targets) ** 2).sum()
            ),
            "form_error": max(self.form_error(i) for i in range(k)),
            "placement_error": float(np.sqrt(((means - self.targets) ** 2).sum(axis=0)).max()),
            "bits": float(bits),
            "bits_cells": float(cell_bits),
            "bits_up": float(up),
            "bits_down": float(down),
            **energy,
        }


__all__ = ["NESTED", "PARAMETERS", "Organ", "OrganismModel"]
