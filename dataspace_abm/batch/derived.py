"""Per-run values from the kept steps: final values and the spec's derived measures.

Derived statistics (``[derived.NAME]`` in a spec) over a run's kept steps:

- ``final``, ``mean``, ``sum``, ``max``, ``min`` of a measure over steps ``from``..``to``;
  ``per_cell = true`` divides by the number of cells.
- ``increase``: the measure at the last kept step up to ``to`` minus its value at step
  ``from`` (for a cumulative measure: what accrued after ``from``, exact at any keep).
- ``recovery_time``: steps after the perturbation step ``at`` until the measure is at or
  below a threshold and stays there for ``hold`` steps. The threshold is ``threshold``, or
  ``margin`` above the baseline (the mean over the ``baseline`` steps before ``at``,
  default 50). Never recovered: NaN (counted as missing in the summary).
- ``excess``: the area between the measure and its baseline after ``at`` (where above it),
  in measure x steps: the loss a perturbation causes.

Sums and areas add the kept steps (times the keep period), so keep every step for totals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .spec import Derived, ExperimentSpec


def mean_interval(values: Sequence[float]) -> tuple[float, float]:
    """95 % t-interval of the mean (NaN-free values); one value gives a zero-width band."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    if x.size == 1:
        return (float(x[0]), float(x[0]))
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return (float(x.mean() - half), float(x.mean() + half))


def _baseline(steps: np.ndarray, y: np.ndarray, at: int, window: int) -> float:
    before = (steps >= at - window) & (steps < at)
    return float(y[before].mean()) if before.any() else math.nan


def recovery_time(steps: np.ndarray, y: np.ndarray, at: int, threshold: float, hold: int) -> float:
    """First step s >= at from which ``y <= threshold`` for ``hold`` steps, minus ``at``."""
    bad = ~(y <= threshold)
    # step of the next bad value at or after each index (inf if none)
    nxt = np.where(bad, steps.astype(float), np.inf)
    next_bad = np.minimum.accumulate(nxt[::-1])[::-1]
    ok = (steps >= at) & (next_bad > steps + hold) & (steps + hold <= steps[-1])
    hit = np.flatnonzero(ok)
    return float(steps[hit[0]] - at) if hit.size else math.nan


def derive(d: Derived, steps: np.ndarray, y: np.ndarray, n_cells: int, every: int) -> float:
    """The value of one derived measure for one run."""
    o = d.options
    if d.stat in ("recovery_time", "excess"):
        base = _baseline(steps, y, o["at"], o.get("baseline", 50))
        if d.stat == "recovery_time":
            threshold = o["threshold"] if "threshold" in o else base + o["margin"]
            return recovery_time(steps, y, o["at"], threshold, o.get("hold", 0))
        after = steps >= o["at"]
        value = float(np.clip(y[after] - base, 0.0, None).sum() * every)
    else:
        inside = (steps >= o.get("from", 0)) & (steps <= o.get("to", steps[-1]))
        part = y[inside]
        if d.stat != "final":  # missing values (an empty system's errors) are left out
            part = part[~np.isnan(part)]
        if part.size == 0:
            return math.nan
        value = {
            "final": lambda: part[-1],
            "increase": lambda: part[-1] - part[0],
            "mean": part.mean,
            "sum": lambda: part.sum() * every,
            "max": part.max,
            "min": part.min,
        }[d.stat]()
    return float(value) / n_cells if o.get("per_cell", False) else float(value)


def identity_columns(spec: ExperimentSpec) -> list[str]:
    """Columns that name a run: key, point, label, varied parameters, size, seed."""
    label = ["label", *spec.groups] if spec.labelled else []
    return ["run_key", "point", *label, *spec.varied, "n_cells", "replication", "seed"]


def run_values(spec: ExperimentSpec, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its identity, the final value of every kept measure, the derived."""
    ids = identity_columns(spec)
    rows = []
    for _, g in runs.groupby(["point", "replication"], sort=True):
        g = g.sort_values("step")
        row = {c: g[c].iloc[0] for c in ids}
        row["final_step"] = int(g["step"].iloc[-1])
        row.update({m: g[m].iloc[-1] for m in spec.measures})
        steps = g["step"].to_numpy()
        for d in spec.derived:
            y = g[d.measure].to_numpy(dtype=float)
            row[d.name] = derive(d, steps, y, int(row["n_cells"]), spec.keep_every)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*ids, "final_step", *spec.per_run_measures])
