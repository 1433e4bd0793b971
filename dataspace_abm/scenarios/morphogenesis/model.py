"""The morphogenesis model: cells that infer their place in a form and migrate there.

State lives in arrays whose columns are cells (identity log-odds ``v``, position ``x``,
release ``s``, ``alive``); every cell is a Mesa agent, a view onto its column. Two
engines step it with the same functions of :mod:`inference`: ``vectorized`` (every living
column at once) and ``agents`` (each agent its own column, through its ``step``), and
agree to rounding. Bits and energy are counted as in the holarchy model: each living
cell's release is a message of ``m`` numbers to every other living cell, a move and a
change of release cost ``c_act`` per unit squared, a belief update ``c_inf``.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ...core.equations import message_bits
from ...core.parameter import ENERGY_SETTINGS, Parameter, ParameterError, param
from . import inference
from .form import FORMS, Form, named_form

CELL = ENERGY_SETTINGS["cell"]  # a biological cell's costs (docs/odd.md, D17)
PARAMETERS: dict[str, Parameter] = {
    "form": param("paper", "str", "form", "the target form", choices=tuple(FORMS)),
    "decay": param(
        1.0, "float", "form", "signals fall off as exp(-decay distance)", low=0.01, high=10.0
    ),
    "dt": param(0.01, "float", "time", "time a step (0.05 diverged)", low=1e-4, high=0.02),
    # SPM's demo builds the signal up over its whole run (t = bin/32): 30 here
    "build_up_time": param(
        1.0,
        "float",
        "time",
        "the signal builds up as 1 - exp(-2 t / build_up_time)",
        low=1e-3,
        high=1e4,
    ),
    "pi_sense": param(
        float(np.exp(3)), "float", "inference", "sensory precision (SPM: e^3)", low=1e-3, high=1e3
    ),
    # SPM's value. Weaker priors sharpen the form but lock the identities: a cut form no
    # longer regrows (measured in docs/experiments/morphogenesis.md)
    "pi_identity": param(
        float(np.exp(-2)),
        "float",
        "inference",
        "prior precision of identity log-odds (SPM: e^-2)",
        low=0.0,
        high=1e3,
    ),
    "k_belief": param(5.0, "float", "inference", "rate of belief updates", low=0.0, high=100.0),
    "k_act": param(1.0, "float", "inference", "rate of migration and release", low=0.0, high=10.0),
    "start_spread": param(
        0.125, "float", "start", "sd of the starting log-odds (SPM: 1/8)", low=0.0, high=10.0
    ),
    "signal_gain": param(
        1.0, "float", "perturbation", "gain of the sensed signal (1 intact)", low=0.0, high=10.0
    ),
    # The paper's Fig. 5 scales one sense at a time: signal 2 or 3 by 1/4, the position by
    # 1/2 (both coordinates) or 2 (the long axis, vertical in its plots), the release by 2
    "signal_index": param(
        0, "int", "perturbation", "signal_gain scales signal k (1-4), or all (0)", low=0, high=4
    ),
    "position_gain": param(
        1.0, "float", "perturbation", "gain of the sensed position (1 intact)", low=0.0, high=10.0
    ),
    "position_axis": param(
        0,
        "int",
        "perturbation",
        "position_gain scales coordinate k (1 long axis, 2 short), or both (0)",
        low=0,
        high=2,
    ),
    "release_gain": param(
        1.0,
        "float",
        "perturbation",
        "gain of the sensed own release, the intracellular signal (1 intact)",
        low=0.0,
        high=10.0,
    ),
    "seed": param(0, "int", "run", "random seed", low=0, high=2**63 - 1),
    "float_bits": param(32, "int", "messages", "bits per released number", low=1, high=128),
    "header_bits": param(64, "int", "messages", "bits of a message header", low=0, high=10**6),
    "c_act": param(
        CELL["c_act"], "float", "energy", "J per unit squared move or release", low=0.0, high=1e12
    ),
    "c_inf": param(CELL["c_inf"], "float", "energy", "J per belief update", low=0.0, high=1e12),
    "c_bit": param(CELL["c_bit"], "float", "energy", "J per bit per receiver", low=0.0, high=1e12),
}
ENGINES = ("vectorized", "agents")
SIDES = ("left", "right")


def resolve(overrides: dict[str, Any], table: dict[str, Parameter] = PARAMETERS) -> dict[str, Any]:
    """The parameters of ``table`` with defaults filled in, each checked; a
    ParameterError names the first one out of range (or unknown)."""
    unknown = sorted(set(overrides) - set(table))
    if unknown:
        raise ParameterError(unknown[0], overrides[unknown[0]], "one of " + ", ".join(table))
    values = {name: spec.default for name, spec in table.items()} | dict(overrides)
    for name, spec in table.items():
        value = values[name]
        if spec.choices:
            if value not in spec.choices:
                raise ParameterError(name, value, spec.allowed())
            continue
        kinds = (int, np.integer) if spec.kind == "int" else (int, float, np.number)
        if isinstance(value, bool) or not isinstance(value, kinds) or not np.isfinite(value):
            raise ParameterError(name, value, spec.allowed())
        if not spec.low <= value <= spec.high:
            raise ParameterError(name, value, spec.allowed())
    return values


def sense_gains(p: dict[str, Any], m: int) -> dict[str, float | np.ndarray]:
    """The gains of the senses (keywords of :func:`inference.sensed`) from the parameters:
    one number for a sense scaled whole, one per row when one signal or coordinate is."""
    gains: dict[str, float | np.ndarray] = {
        "gain": p["signal_gain"],
        "position_gain": p["position_gain"],
        "release_gain": p["release_gain"],
    }
    if p["signal_index"]:  # both forms have m = 4 signals, the parameter's bound
        gains["gain"] = np.ones(m)
        gains["gain"][p["signal_index"] - 1] = p["signal_gain"]
    if p["position_axis"]:
        gains["position_gain"] = np.ones(2)
        gains["position_gain"][p["position_axis"] - 1] = p["position_gain"]
    return gains


class MorphCell(mesa.Agent):
    """A cell: a view onto its column of the model's arrays."""

    def __init__(self, model: MorphogenesisModel, col: int) -> None:
        super().__init__(model)
        self.col = col

    @property
    def position(self) -> np.ndarray:
        """Where it is (2 numbers)."""
        return self.model.x[:, self.col]

    @property
    def release(self) -> np.ndarray:
        """The signals it releases (m numbers)."""
        return self.model.s[:, self.col]

    @property
    def belief(self) -> np.ndarray:
        """Its belief over identities (the form's places), summing to 1."""
        return inference.softmax(self.model.v[:, self.col : self.col + 1])[:, 0]

    @property
    def identity(self) -> int:
        """The place it most believes is its own."""
        return int(np.argmax(self.model.v[:, self.col]))

    def step(self) -> None:
        """Infer and act on its own column (written when every cell has stepped)."""
        self.model.pending.append((self.col, self.model.update(np.array([self.col]))))


class Ensemble(mesa.Model):
    """What the morphogenesis models share: cells stepped by either engine and written
    at once, ``run`` and the per-step table. A subclass sets ``engine``, ``v``, ``x``,
    ``s``, ``alive``, ``rows`` and ``update(cols)``."""

    def cells_step(self, living: np.ndarray) -> dict[str, np.ndarray]:
        """The living cells' updates: at once, or each agent its own column."""
        if self.engine == "vectorized":
            return self.update(living)
        self.pending = []
        self.agents_by_type[MorphCell].shuffle_do("step")  # order free: all read the start
        self.pending.sort(key=lambda item: item[0])
        new = {k: np.hstack([u[k] for _, u in self.pending]) for k in ("v", "x", "s")}
        new["F"] = np.concatenate([u["F"] for _, u in self.pending])
        return new

    def commit(self, living: np.ndarray, new: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
        """Write the updates; each column's free energy and the squared move and change
        of release, summed."""
        moved = ((new["x"] - self.x[:, living]) ** 2).sum()
        moved += ((new["s"] - self.s[:, living]) ** 2).sum()
        self.v[:, living], self.x[:, living], self.s[:, living] = new["v"], new["x"], new["s"]
        free = np.zeros(self.alive.size)
        free[living] = new["F"]
        return free, float(moved)

    def run(self, steps: int) -> pd.DataFrame:
        """``steps`` steps; the per-step table."""
        if not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ParameterError("steps", steps, "an integer in [0, inf)")
        for _ in range(int(steps)):
            self.step()
        return self.table

    @property
    def table(self) -> pd.DataFrame:
        """One row a step (step 0 the start)."""
        return pd.DataFrame(self.rows)


class MorphogenesisModel(Ensemble):
    """Cells sharing a generative model of a form, each inferring its place in it."""

    def __init__(self, engine: str = "vectorized", **overrides: Any) -> None:
        if engine not in ENGINES:
            raise ParameterError("engine", engine, "one of " + ", ".join(map(repr, ENGINES)))
        self.p = resolve(overrides)
        super().__init__(rng=self.p["seed"])
        self.engine = engine
        self.form: Form = named_form(self.p["form"], self.p["decay"])
        self.gains = sense_gains(self.p, self.form.m)
        n = self.form.n
        self.v = self.rng.standard_normal((n, n)) * self.p["start_spread"]
        q = inference.softmax(self.v)
        self.x, self.s = self.form.positions @ q, self.form.signals @ q  # all start alike
        self.alive = np.ones(n, dtype=bool)
        self.elapsed = 0.0  # in the paper's time units (Mesa's own `time` counts steps)
        self.pending: list = []
        self.cells = [MorphCell(self, col) for col in range(n)]
        self.rows: list[dict[str, float]] = []
        self.totals = {"bits": 0.0, "energy": 0.0}
        self.rows.append(self.measure(np.zeros(n), 0.0, 0.0))

    # --- the step ----------------------------------------------------------------------
    def update(self, cols: np.ndarray) -> dict[str, np.ndarray]:
        """New log-odds, position and release of cells ``cols`` and their free energy,
        from the arrays as they are (nothing is written)."""
        b = inference.ramp(self.elapsed, self.p["build_up_time"])
        v = self.v[:, cols]
        return inference.descend(
            self.form, self.x, self.s, self.alive, cols, v, self.p, b, self.gains
        )

    def step(self) -> None:
        """Every living cell infers and acts on what it sensed at the step's start."""
        living = np.flatnonzero(self.alive)
        free, moved = self.commit(living, self.cells_step(living))
        self.elapsed += self.p["dt"]
        self.rows.append(self.measure(free, moved, 1.0))

    # --- perturbations -----------------------------------------------------------------
    def regenerate(self, keep: str = "left", noise: float = 1 / 512) -> np.ndarray:
        """Cut the ensemble in half across the form's long axis and let the ``keep`` half
        divide: the other half's cells leave and each kept cell's daughter takes a freed
        column with its mother's belief, position and release (plus ``noise``), as in
        SPM's split. Returns the columns of the daughters."""
        if keep not in SIDES:
            raise ParameterError("keep", keep, "one of " + ", ".join(map(repr, SIDES)))
        living = np.flatnonzero(self.alive)
        order = living[np.argsort(self.x[0, living], kind="stable")]
        half = len(order) // 2
        kept, gone = (
            (order[:half], order[half:]) if keep == "left" else (order[half:], order[:half])
        )
        self.remove(gone)
        daughters = gone[: len(kept)]
        self.v[:, daughters] = self.v[:, kept]
        self.x[:, daughters] = self.x[:, kept] + noise * self.rng.standard_normal((2, len(kept)))
        self.s[:, daughters] = self.s[:, kept] + noise * self.rng.standard_normal(
            (self.form.m, len(kept))
        )
        self.alive[daughters] = True
        self.cells += [MorphCell(self, int(col)) for col in daughters]
        return daughters

    def remove(self, cols: np.ndarray) -> None:
        """Cells ``cols`` leave: their columns are marked dead and their agents removed."""
        cols = set(int(c) for c in np.atleast_1d(cols))
        for cell in [c for c in self.cells if c.col in cols]:
            cell.remove()
            self.cells.remove(cell)
        self.alive[list(cols)] = False

    # --- measures ----------------------------------------------------------------------
    def measure(self, free: np.ndarray, moved: float, updates: float) -> dict[str, float]:
        """This step's row: free energy, how certain and distinct the identities are, the
        form's error, bits and energy (and their running totals)."""
        living = np.flatnonzero(self.alive)
        k, p = len(living), self.p
        bits = k * max(k - 1, 0) * message_bits(self.form.m, p["float_bits"], p["header_bits"])
        energy = {
            "energy_action": p["c_act"] * moved,
            "energy_inference": p["c_inf"] * k * updates,
            "energy_communication": p["c_bit"] * bits,
        }
        self.totals["bits"] += bits * updates
        self.totals["energy"] += sum(energy.values())
        q = inference.softmax(self.v[:, living])
        return {
            "step": float(len(self.rows)),
            "time": self.elapsed,
            "cells": float(k),
            "free_energy": float(free[living].sum()),
            "certainty": float(q.max(axis=0).min()) if k else np.nan,
            "distinct_identities": float(len(set(q.argmax(axis=0)))),
            "form_error": self.form_error(),
            "bits": float(bits * updates),
            **energy,
        }

    def form_error(self) -> float:
        """The largest distance between a living cell and its place, cells matched to
        places one to one (the Hungarian method) so that the total distance is least."""
        living = np.flatnonzero(self.alive)
        here, places = self.x[:, living], self.form.positions
        cost = np.sqrt(((here[:, :, None] - places[:, None, :]) ** 2).sum(axis=0))
        rows, cols = linear_sum_assignment(cost)
        return float(cost[rows, cols].max()) if len(rows) else np.nan

    def is_permutation(self, certainty: float = 0.5) -> bool:
        """True when the living cells believe in distinct places, each more than ``certainty``."""
        q = inference.softmax(self.v[:, self.alive])
        return len(set(q.argmax(axis=0))) == q.shape[1] and bool(q.max(axis=0).min() > certainty)
