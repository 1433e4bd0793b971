"""The scoreboard: each organization's share of a step's measures, from the state arrays.

The shares add up to the model's own row: the class's optimality gap is the cell-weighted
mean of the organizations' gaps, its tracking error the length of the sum of their
tracking contributions, its bits and energy the sums of theirs (tests hold these).
"""

from __future__ import annotations

import numpy as np

from ..core import equations as eq
from ..core.model import HolarchyModel
from ..regimes.command import Command

SCORES = (
    "alive_cells",
    "optimality_gap",
    "contribution_0",
    "contribution_1",
    "tracking_contribution",
    "bits",
    "energy",
    "queue_wait",
)


def organization_of_cells(model: HolarchyModel) -> np.ndarray:
    """Each cell's organization (row of level 2)."""
    hol = model.holarchy
    return hol.parent[1][hol.parent[0]]


def _per(org: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(org, weights=weights, minlength=n).astype(float)


def queue_ages(model: HolarchyModel) -> np.ndarray:
    """Per cell: how long its message has waited in society's queue so far (command's
    reports and orders; 0 where none waits, and in the regimes without that queue)."""
    n = model.holarchy.n_cells
    if not isinstance(model.regime, Command):
        return np.zeros(n)
    arrays = model.regime.arrays
    t = model.steps
    waits = np.zeros(n)
    for pending in (arrays.pending_in, arrays.pending_out):
        waits = np.maximum(waits, np.where(pending >= 0, t - pending, 0))
    return waits


def organization_scores(model: HolarchyModel) -> dict[str, np.ndarray]:
    """This step's score of every organization (arrays over level 2's rows).

    - ``optimality_gap``: the mean distance of its living cells from the full-information
      optimum (NaN with none alive);
    - ``contribution_k`` and ``tracking_contribution``: its cells' summed deviation from
      the optimum over all living cells (the class's tracking error is the length of the
      sum), and its length;
    - ``bits``: its share of the step's bits, in proportion to the messages its holons
      (cells, organs, itself) handled;
    - ``energy``: its cells' action, its share of the bits' energy, and of inference and
      central computation in proportion to its living cells;
    - ``queue_wait``: the mean wait so far of its cells' messages in society's queue.
    """
    s, hol, p = model.state, model.holarchy, model.p
    n_org = hol.sizes[2]
    org = organization_of_cells(model)
    alive = s.levels[0].alive
    living = _per(org, alive.astype(float), n_org)
    n_alive = max(living.sum(), 1.0)
    best = model.regime.optimum(model.target)
    off = (s.levels[0].x - best) * alive[:, None]
    gap = _per(org, eq.norm(off), n_org)
    contribution = np.stack([_per(org, off[:, k], n_org) for k in range(off.shape[1])], axis=1)
    contribution /= n_alive
    handled = _per(org, s.levels[0].load, n_org)
    handled += _per(hol.parent[1], s.levels[1].load, n_org) + s.levels[2].load
    m = model.metrics
    bits = m["bits_total"] * handled / handled.sum() if handled.sum() else np.zeros(n_org)
    action = p["c_act"] * _per(org, eq.sqnorm(s.a) * alive, n_org)
    shared = (m["energy_inference"] + m["energy_central"]) * living / n_alive
    energy = action + p["c_bit"] * bits + shared
    waits = queue_ages(model) * alive
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "alive_cells": living,
            "optimality_gap": np.where(living > 0, gap / living, np.nan),
            "contribution_0": contribution[:, 0],
            "contribution_1": contribution[:, 1] if off.shape[1] > 1 else np.zeros(n_org),
            "tracking_contribution": eq.norm(contribution),
            "bits": bits,
            "energy": energy,
            "queue_wait": np.where(living > 0, _per(org, waits, n_org) / living, 0.0),
        }


def class_totals(scores: dict[str, np.ndarray]) -> dict[str, float]:
    """The class's row from the organizations' scores (the same as the model's row)."""
    living = scores["alive_cells"]
    n = max(living.sum(), 1.0)
    gap = np.nansum(scores["optimality_gap"] * living) / n
    tracking = float(np.hypot(scores["contribution_0"].sum(), scores["contribution_1"].sum()))
    return {
        "alive_cells": float(living.sum()),
        "optimality_gap": float(gap),
        "tracking_error": tracking,
        "bits": float(scores["bits"].sum()),
        "energy": float(scores["energy"].sum()),
        "queue_wait": float(np.sum(scores["queue_wait"] * living) / n),
    }
