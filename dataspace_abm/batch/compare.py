"""Paired comparisons of alternatives (regimes) point by point, from the per-run table.

Every point of a batch runs every alternative on the same seeds (common random numbers),
so two alternatives are compared seed by seed: the difference of their values in each
replication, its mean and the 95 % t-interval of that mean. An interval that contains zero
means the seeds do not decide between them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .derived import mean_interval


def _wide(per_run: pd.DataFrame, measure: str, cells: Sequence[str], hue: str) -> pd.DataFrame:
    """One row per cell and replication, one column per alternative."""
    return per_run.pivot_table(
        index=[*cells, "replication"], columns=hue, values=measure, aggfunc="first", sort=False
    )


def paired_difference(
    per_run: pd.DataFrame, measure: str, cells: Sequence[str], a: str, b: str, hue: str = "mode"
) -> pd.DataFrame:
    """Per cell: ``a - b`` of ``measure`` seed by seed; its mean, interval and how many
    seeds have ``a`` below ``b`` (``a_lower``) out of ``n``."""
    wide = _wide(per_run, measure, cells, hue)
    rows = []
    for cell, group in wide.groupby(level=list(range(len(cells))), sort=False):
        d = (group[a] - group[b]).to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        low, high = mean_interval(d)
        cell = cell if isinstance(cell, tuple) else (cell,)
        rows.append(
            {
                **dict(zip(cells, cell, strict=True)),
                "difference": float(d.mean()) if d.size else np.nan,
                "low": low,
                "high": high,
                "a_lower": int((d < 0).sum()),
                "n": int(d.size),
            }
        )
    return pd.DataFrame(rows)


def best_alternative(
    per_run: pd.DataFrame, measure: str, cells: Sequence[str], hue: str = "mode"
) -> pd.DataFrame:
    """Per cell: the alternative with the lowest mean of ``measure`` (``best``), the next
    one (``runner_up``), their paired difference ``runner_up - best`` with its 95 %
    interval, the margin relative to the runner-up, and ``decided`` (interval above 0)."""
    wide = _wide(per_run, measure, cells, hue)
    rows = []
    for cell, group in wide.groupby(level=list(range(len(cells))), sort=False):
        means = group.mean(axis=0, skipna=True).dropna().sort_values()
        cell = cell if isinstance(cell, tuple) else (cell,)
        row = dict(zip(cells, cell, strict=True))
        if means.size < 2:
            rows.append({**row, "best": means.index[0] if means.size else None})
            continue
        best, runner = means.index[0], means.index[1]
        d = (group[runner] - group[best]).to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        low, high = mean_interval(d)
        rows.append(
            {
                **row,
                "best": best,
                "runner_up": runner,
                "best_mean": float(means.iloc[0]),
                "runner_up_mean": float(means.iloc[1]),
                "difference": float(d.mean()),
                "low": low,
                "high": high,
                "relative": float(d.mean() / means.iloc[1]) if means.iloc[1] else np.nan,
                "decided": bool(low > 0),
                "n": int(d.size),
            }
        )
    return pd.DataFrame(rows)


def pareto_front(points: pd.DataFrame, cost: str, error: str) -> pd.DataFrame:
    """The rows of ``points`` that no other row beats on both ``cost`` and ``error`` (lower
    is better; ties kept), sorted by cost: the best error each budget can buy."""
    data = points.dropna(subset=[cost, error]).sort_values([cost, error], kind="stable")
    best, keep = np.inf, []
    for index, value in zip(data.index, data[error], strict=True):
        if value <= best:
            keep.append(index)
            best = min(best, value)
    return data.loc[keep]


ENERGY_KINDS = ("action", "inference", "communication", "central")


def energy_at(
    per_run: pd.DataFrame, coefficients: dict[str, float], suffix: str = "_end"
) -> pd.Series:
    """Each run's energy re-weighted to other coefficients (``c_act``, ``c_inf``, ``c_bit``,
    ``c_central``; the rest as run) from its energy by kind ``energy_<kind><suffix>``:
    energy is accounting only (it never feeds back into the dynamics), so each kind scales
    with its coefficient."""
    from ..core.params import PARAMETERS

    names = dict(zip(ENERGY_KINDS, ("c_act", "c_inf", "c_bit", "c_central"), strict=True))
    total = pd.Series(0.0, index=per_run.index)
    for kind, name in names.items():
        energy = per_run[f"energy_{kind}{suffix}"]
        if name in coefficients:
            ran = per_run[name] if name in per_run else PARAMETERS[name].default
            energy = energy * (coefficients[name] / ran)
        total = total + energy
    return total
