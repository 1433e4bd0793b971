"""What every run reports per step (docs/odd.md, observation), computed from the state arrays."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import equations as eq
from .kernels import LARGE, living_sums
from .structure import LEVELS

if TYPE_CHECKING:
    from .model import HolarchyModel

COLUMNS = (
    "step",
    "target",
    "tracking_error",
    "niche_error",
    "optimality_gap",
    "information_age",
    *(f"free_energy_{name}" for name in LEVELS),
    "energy_action",
    "energy_inference",
    "energy_communication",
    "energy_central",
    "energy_total",
    "energy_cumulative",
    "landauer_floor",
    "bits_up",
    "bits_down",
    "bits_lateral",
    "bits_total",
    "bits_cumulative",
    "messages",
    "peak_node_load",
    "society_load",
    "queue_wait_mean",
    "queue_wait_max",
    "alive_cells",
)


def observed_means(model: HolarchyModel) -> list[np.ndarray]:
    """Each level's true coarse-grained state over living cells, as an observer sees it.

    A holon with no living cell below it has no state to observe: its row is NaN.
    """
    hol, levels = model.holarchy, model.state.levels
    means = [levels[0].x]
    large = levels[0].n >= LARGE  # the organs' sums in one compiled pass, no temporaries
    if large:
        sums, weights = living_sums(levels[0].x, levels[0].alive, hol.starts[1])
    else:
        weights = levels[0].alive.astype(float)
        sums = levels[0].x * weights[:, None]
    for level in range(1, len(levels)):
        if level > 1 or not large:
            sums = np.add.reduceat(sums, hol.starts[level], axis=0)
            weights = np.add.reduceat(weights, hol.starts[level])
        with np.errstate(invalid="ignore", divide="ignore"):
            means.append(np.where(weights[:, None] > 0, sums / weights[:, None], np.nan))
    return means


def holon_free_energy(
    model: HolarchyModel, level: int, means: list[np.ndarray] | None = None
) -> np.ndarray:
    """Each holon's free energy at ``level`` (the one rule for the table and the page).

    Where a level does not infer (above the cells in command, flat and autonomous; above
    the coordination scope in landscape), a holon is scored by the prediction error its
    true state would have against its parent's state (society's: the target) at the
    landscape precision: the free energy it would carry had it a belief equal to its state.
    Holons with no living cell below are NaN there. ``means``: ``observed_means(model)``,
    if already computed.
    """
    levels, regime = model.state.levels, model.regime
    if regime.infers(level):
        return np.asarray(regime.free_energy(level, slice(0, levels[level].n)), dtype=float)
    means = observed_means(model) if means is None else means
    top = len(levels) - 1
    above = means[level + 1][model.holarchy.parent[level]] if level < top else model.target
    return 0.5 * model.p["pi_prior"] * eq.sqnorm(means[level] - above)


def free_energies(model: HolarchyModel) -> list[float]:
    """Mean free energy of the living holons of each level above the cells (NaN if none)."""
    levels, regime = model.state.levels, model.regime
    passive = any(not regime.infers(level) for level in range(1, len(levels)))
    means = observed_means(model) if passive else None
    out = []
    for level, lv in enumerate(levels[1:], start=1):
        f = holon_free_energy(model, level, means)[lv.alive]
        f = f[np.isfinite(f)]
        out.append(float(np.mean(f)) if f.size else math.nan)
    return out


def queue_waits(tally: dict[str, float]) -> dict[str, float]:
    """Mean and longest wait (steps) of the messages that left a capacity queue this step
    (command's centre, both directions); 0 where nothing queued."""
    n = tally["queue_waits"]
    return {
        "queue_wait_mean": tally["queue_wait_sum"] / n if n else 0.0,
        "queue_wait_max": tally["queue_wait_max"],
    }


def time_to_target(
    steps: np.ndarray, errors: np.ndarray, tolerance: float = 0.1, hold: int = 50
) -> float:
    """The first step from which ``errors`` stay within ``tolerance`` for ``hold`` more
    collected rows (NaN if never): a run's ``time_to_target`` from its tracking error."""
    bad = ~(np.asarray(errors, dtype=float) <= tolerance)
    rows = np.arange(bad.size)
    next_bad = np.minimum.accumulate(np.where(bad, rows, bad.size)[::-1])[::-1]
    ok = np.flatnonzero(~bad & (next_bad - rows > hold))
    return float(np.asarray(steps)[ok[0]]) if ok.size else math.nan


def step_accounts(model: HolarchyModel) -> dict[str, float]:
    """This step's energy by kind and bits, from the tally; adds them to the run's totals."""
    tally, p = model.state.tally, model.p
    bits_total = tally["bits_up"] + tally["bits_down"] + tally["bits_lateral"]
    energy = {
        "energy_action": tally["e_action"],
        "energy_inference": tally["e_inference"],
        "energy_communication": p["c_bit"] * bits_total,
        "energy_central": tally["e_central"],
    }
    energy["energy_total"] = sum(energy.values())
    model.totals["energy"] += energy["energy_total"]
    model.totals["bits"] += bits_total
    return {
        **energy,
        "energy_cumulative": model.totals["energy"],
        "landauer_floor": eq.landauer_floor(bits_total, p["temperature"]),
        "bits_up": tally["bits_up"],
        "bits_down": tally["bits_down"],
        "bits_lateral": tally["bits_lateral"],
        "bits_total": bits_total,
        "bits_cumulative": model.totals["bits"],
        "messages": tally["messages"],
    }


def step_metrics(model: HolarchyModel, accounts: dict[str, float]) -> dict[str, float]:
    """The model-level row of the per-step table: errors, free energies, loads, accounts."""
    s = model.state
    cells = model.regime.cell_summary(model.steps, model.target)
    n_alive = cells["alive"]
    if n_alive:
        tracking = float(eq.norm(cells["sum_x"] / n_alive - model.target))
        niche = cells["sum_niche_distance"] / n_alive
        free_cell = cells["sum_free_energy"] / n_alive
        gap = cells["sum_optimality_gap"] / n_alive
    else:  # no cell left: the errors of an empty system are missing, not zero
        tracking = niche = free_cell = gap = math.nan
    free = [free_cell, *free_energies(model)]
    return {
        "step": model.steps,
        "target": float(model.target[0]),
        "tracking_error": tracking,
        "niche_error": niche,
        "optimality_gap": gap,
        "information_age": cells["information_age"],
        **{f"free_energy_{n}": f for n, f in zip(LEVELS, free, strict=True)},
        **accounts,
        "peak_node_load": max(cells["max_load"], *(int(lv.load.max()) for lv in s.levels[1:])),
        "society_load": int(s.levels[-1].load[0]),
        **queue_waits(s.tally),
        "alive_cells": n_alive,
        **model.scenario_measures,
    }
