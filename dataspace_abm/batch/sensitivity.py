"""Sensitivity indices with SALib for specs with a ``sobol`` or ``morris`` design.

Each point's output is the mean over its replications (the same seeds at every point:
common random numbers), or its log10 with ``[sensitivity] log = true`` (for outputs that
span orders of magnitude, where a few extreme runs would otherwise decide the indices).
Sobol: first-order ``S1`` and total ``ST`` indices (and ``S2`` with second-order
sampling), each with its 95 % confidence half-width. Morris: ``mu_star`` (mean absolute
elementary effect, with its 95 % half-width) and ``sigma``. With ``[[combinations]]`` the
indices are computed per combination.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .designs import salib_problem
from .figures import PANEL, save_png
from .spec import ExperimentSpec

COLUMNS = ["label", "output", "parameter", "index", "value", "conf"]


def _rows(spec: ExperimentSpec, x: np.ndarray, y: np.ndarray) -> list[dict]:
    from SALib.analyze import morris, sobol

    problem, design = salib_problem(spec.sweeps), spec.design
    names = problem["names"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if design.kind == "sobol":
            res = sobol.analyze(problem, y, calc_second_order=design.second_order, seed=design.seed)
            rows = [
                {"parameter": n, "index": i, "value": res[i][k], "conf": res[f"{i}_conf"][k]}
                for i in ("S1", "ST")
                for k, n in enumerate(names)
            ]
            if design.second_order:
                rows += [
                    {
                        "parameter": f"{a}:{b}",
                        "index": "S2",
                        "value": res["S2"][i, j],
                        "conf": res["S2_conf"][i, j],
                    }
                    for i, a in enumerate(names)
                    for j, b in enumerate(names)
                    if j > i
                ]
            return rows
        res = morris.analyze(problem, x, y, num_levels=design.levels, seed=design.seed)
    return [
        {"parameter": n, "index": i, "value": res[i][k], "conf": c}
        for k, n in enumerate(names)
        for i, c in (("mu_star", res["mu_star_conf"][k]), ("sigma", math.nan))
    ]


def analyze(spec: ExperimentSpec, per_run: pd.DataFrame) -> pd.DataFrame:
    """Indices per combination and output; NaN where a point is missing or Y is constant."""
    means = per_run.groupby("point")[list(spec.outputs)].mean()
    groups: dict[int | None, list] = {}
    for point in spec.points:
        groups.setdefault(point.combination, []).append(point)
    rows = []
    for points in groups.values():
        x = np.array([p.sample for p in points])
        index = [p.index for p in points]
        for output in spec.outputs:
            y = means[output].reindex(index).to_numpy(dtype=float)
            head = {"label": points[0].label or "", "output": output}
            missing = not np.isfinite(y).all()
            if spec.log_outputs and not missing:
                missing = bool((y <= 0).any())
                y = np.log10(np.where(y > 0, y, 1.0))
            if missing or np.ptp(y) == 0:
                why = "missing or non-positive values" if missing else "constant output"
                rows += [{**head, "parameter": s.name, "index": why} for s in spec.sweeps]
                continue
            rows += [{**head, **r} for r in _rows(spec, x, y)]
    return pd.DataFrame(rows, columns=COLUMNS)


def plot_indices(spec: ExperimentSpec, table: pd.DataFrame, folder: Path) -> Path:
    """Bar charts of the indices with their 95 % half-widths, per output and combination."""
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    kinds = ["S1", "ST"] if spec.design.kind == "sobol" else ["mu_star"]
    labels = list(dict.fromkeys(table["label"])) or [""]
    outputs = list(spec.outputs)
    size = (1.25 * PANEL[0] * len(outputs) + 1.0, 1.2 * PANEL[1] * len(labels) + 0.4)
    fig, axes = plt.subplots(
        len(labels), len(outputs), figsize=size, squeeze=False, layout="constrained"
    )
    names = [s.name for s in spec.sweeps]
    width = 0.8 / len(kinds)
    for r, label in enumerate(labels):
        for c, output in enumerate(outputs):
            ax = axes[r, c]
            part = table[(table["label"] == label) & (table["output"] == output)]
            for k, kind in enumerate(kinds):
                sel = part[part["index"] == kind].set_index("parameter").reindex(names)
                pos = np.arange(len(names)) + (k - (len(kinds) - 1) / 2) * width
                ax.bar(pos, sel["value"], width, yerr=sel["conf"], capsize=2, label=kind)
            words = [spec.words(n) for n in names]
            ax.set_xticks(np.arange(len(names)), words, rotation=40, ha="right")
            title = ("log10 " if spec.log_outputs else "") + spec.words(output)
            title += f" ({label})" if label else ""
            ax.set_title(title, fontsize="small")
            ax.axhline(0.0, color="0.3", linewidth=0.6)
    axes[0, -1].legend(frameon=False, fontsize="small")
    path = folder / "sensitivity_indices.png"
    save_png(fig, path)
    return path
