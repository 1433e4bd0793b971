"""The figures a spec asks for, drawn with seaborn, with 95 % bands across replications.

``kind = "final"``: per-run values (final or derived) against a parameter, ``n_cells`` or
``label``, one panel per measure; lines with bands for numbers, bars for categories.
``kind = "scatter"``: one dot per run (for sampling designs), ``hue`` on a colour scale.
``kind = "map"``: which alternative of ``hue`` (the regimes) has the lowest mean of each
``y`` in every cell of ``row`` x ``x``, one panel per value of ``col``, one figure per
measure: the cell's colour names the winner, its number the margin over the runner-up (in %
of the runner-up, paired seed by seed), pale and hatched where the 95 % interval of the
paired difference contains zero (the seeds do not decide).
``kind = "timeseries"``: kept measures against the step, one panel per measure (rows) and
per value of ``col`` (columns); long series are drawn as block means (at most 150 points).
Bands are the same 95 % t-interval of the mean as in ``summary.csv``; on logarithmic axes
values <= 0 are left out and a band's lower end stops at the smallest value.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib.pyplot as plt  # headless machines fall back to Agg by themselves
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import NullFormatter

from .derived import mean_interval
from .spec import ExperimentSpec, Figure

DPI = 110
PANEL = (3.4, 2.6)  # inches per panel
MAX_POINTS = 150  # steps drawn per time series (evenly thinned)
_CB = sns.color_palette("colorblind")
# one colour per regime in every figure (orange and vermillion are too close to pair)
REGIME_COLOURS = {"landscape": _CB[0], "command": _CB[1], "flat": _CB[2], "autonomous": _CB[7]}


def palette(values: list[str] | None) -> dict | None:
    """Colours for a hue's values: the regimes' own, the others from the colourblind set."""
    if values is None:
        return None
    spare = iter(c for c in _CB if c not in REGIME_COLOURS.values())
    return {v: REGIME_COLOURS[v] if v in REGIME_COLOURS else next(spare, "0.3") for v in values}


def _order(values: pd.Series) -> list:
    unique = list(dict.fromkeys(values.dropna()))
    return sorted(unique) if all(isinstance(v, int | float) for v in unique) else unique


def _hue(data: pd.DataFrame, hue: str | None) -> tuple[pd.DataFrame, list | None]:
    """A categorical hue in spec order (numbers sorted), as text so the palette is discrete."""
    if hue is None:
        return data, None
    order = [str(v) for v in _order(data[hue])]
    return data.assign(**{hue: data[hue].astype(str)}), order


def _positive(data: pd.DataFrame, column: str, log: bool) -> pd.DataFrame:
    if not log:
        return data
    return data.assign(**{column: data[column].where(data[column] > 0)})


def _label(ax, y: str, spec: Figure | None = None) -> None:
    """A panel titled by its measure (the y axis then needs no label of its own)."""
    ax.set_title(spec.words(y) if spec else y, fontsize="medium")
    ax.set_ylabel("")
    if spec and ax.get_xlabel():
        ax.set_xlabel(spec.words(ax.get_xlabel()))


def _finish(fig: plt.Figure, axes: np.ndarray, spec: Figure, path: Path) -> Path:
    handles, labels = [], []
    for ax in axes.flat:
        if not ax.has_data():  # the grid's spare panels
            ax.set_visible(False)
        legend = ax.get_legend()
        if legend is not None and not handles:
            handles, labels = ax.get_legend_handles_labels()
        if legend is not None:
            legend.remove()
    if handles:
        title = spec.words(spec.hue) if spec.hue else None
        fig.legend(handles, labels, title=title, loc="outside right center", frameon=False)
    if spec.title:
        fig.suptitle(spec.title)
    save_png(fig, path)
    return path


def save_png(fig: plt.Figure, path: Path) -> None:
    """Save a figure as a small PNG (a 256-colour palette) and close it."""
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png")
    plt.close(fig)
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)


def _grid(rows: int, cols: int, width: float = PANEL[0]) -> tuple[plt.Figure, np.ndarray]:
    size = (width * cols + 1.6, PANEL[1] * rows + 0.4)
    fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained")
    return fig, axes


def _final(spec: Figure, per_run: pd.DataFrame, path: Path) -> Path:
    data, hue_order = _hue(per_run, spec.hue)
    numeric = pd.api.types.is_numeric_dtype(data[spec.x])
    bars = 0 if numeric else data[spec.x].nunique() * len(hue_order or [None])
    if bars > 16:  # many bars: one wide panel per row
        fig, axes = _grid(len(spec.y), 1, min(12.0, 0.16 * bars + 1.5))
    else:
        cols = min(len(spec.y), 3)
        fig, axes = _grid(math.ceil(len(spec.y) / cols), cols)
    for ax, y in zip(axes.flat, spec.y, strict=False):
        frame = _positive(data, y, spec.logy)
        common = {"data": frame, "x": spec.x, "y": y, "hue": spec.hue, "ax": ax}
        if numeric:
            sns.lineplot(
                **common,
                hue_order=hue_order,
                palette=palette(hue_order),
                errorbar=_band(spec.logy),
                marker="o",
            )
        else:
            order = [str(v) for v in _order(frame[spec.x])]
            frame[spec.x] = frame[spec.x].astype(str)
            sns.barplot(
                **common,
                order=order,
                hue_order=hue_order,
                palette=palette(hue_order),
                errorbar=_band(spec.logy),
            )
            plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
            ax.set_xlabel("")
        if spec.logx and numeric:
            ax.set_xscale("log")
        ax.set_yscale("log" if spec.logy else "linear")
        if spec.logy:  # a range under a decade would label every minor tick
            ax.yaxis.set_minor_formatter(NullFormatter())
        _label(ax, y, spec)
    return _finish(fig, axes, spec, path)


def _scatter(spec: Figure, per_run: pd.DataFrame, path: Path) -> Path:
    cols = min(len(spec.y), 3)
    fig, axes = _grid(math.ceil(len(spec.y) / cols), cols)
    for ax, y in zip(axes.flat, spec.y, strict=False):
        frame = _positive(per_run, y, spec.logy)
        sns.scatterplot(data=frame, x=spec.x, y=y, hue=spec.hue, ax=ax, s=6, linewidth=0, alpha=0.6)
        ax.set_xscale("log" if spec.logx else "linear")
        ax.set_yscale("log" if spec.logy else "linear")
        _label(ax, y, spec)
    return _finish(fig, axes, spec, path)


def _blocks(runs: pd.DataFrame, spec: Figure) -> pd.DataFrame:
    """Each run's kept steps averaged over blocks, so that at most MAX_POINTS remain."""
    steps = np.sort(runs["step"].unique())
    if steps.size <= MAX_POINTS:
        return runs
    width = int(steps[math.ceil(steps.size / MAX_POINTS)] - steps[0])
    keys = ["point", "replication", *(c for c in (spec.hue, spec.col) if c)]
    block = runs.assign(step=runs["step"] // width * width)
    return block.groupby([*dict.fromkeys(keys), "step"], as_index=False)[list(spec.y)].mean()


def _band(log: bool):
    """The 95 % interval of the mean; on a log axis its lower end stops at the data."""
    if not log:
        return mean_interval

    def band(values: pd.Series) -> tuple[float, float]:
        low, high = mean_interval(values)
        return max(low, float(np.nanmin(values))), high

    return band


def _timeseries(spec: Figure, runs: pd.DataFrame, path: Path) -> Path:
    data, hue_order = _hue(_blocks(runs, spec), spec.hue)
    panels = _order(data[spec.col]) if spec.col else [None]
    wrap = len(spec.y) == 1 and len(panels) > 4
    cols = 4 if wrap else len(panels)
    rows = math.ceil(len(panels) / 4) if wrap else len(spec.y)
    fig, axes = _grid(rows, cols)
    cells = [(y, p) for y in spec.y for p in panels]
    for ax, (y, panel) in zip(axes.flat, cells, strict=False):
        frame = data if panel is None else data[data[spec.col] == panel]
        frame = _positive(frame, y, spec.logy)
        sns.lineplot(
            data=frame,
            x="step",
            y=y,
            hue=spec.hue,
            hue_order=hue_order,
            palette=palette(hue_order),
            errorbar=_band(spec.logy),
            ax=ax,
            linewidth=1.0,
        )
        ax.set_yscale("log" if spec.logy else "linear")
        _label(ax, y, spec)
        if panel is not None:
            ax.set_title(f"{spec.words(y)}: {spec.words(spec.col)} {panel}", fontsize="medium")
    return _finish(fig, axes, spec, path)


UNDECIDED = "seeds undecided\n(95 % interval of the\npaired difference\ncontains 0)"


def _map_panel(ax, part: pd.DataFrame, spec: Figure, rows: list, xs: list, colours: dict) -> None:
    """One panel of a map: a cell per (row, x), coloured by its winner, with its margin."""
    image = np.ones((len(rows), len(xs), 4))
    for _, cell in part.iterrows():
        i, j = rows.index(cell[spec.row]), xs.index(cell[spec.x])
        decided = bool(cell.get("decided", False))
        image[i, j, :3] = colours[cell["best"]]
        image[i, j, 3] = 1.0 if decided else 0.35
        margin = "" if pd.isna(cell.get("relative")) else f"{100 * cell['relative']:.0f}"
        colour = "white" if decided else "0.25"
        ax.text(j, i, margin, ha="center", va="center", fontsize=6.5, color=colour)
        if not decided:
            box = plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", linewidth=0)
            ax.add_patch(box).set_edgecolor("0.6")
    ax.imshow(image, aspect="auto", interpolation="nearest")
    labels = [str(v) for v in xs]
    ax.set_xticks(range(len(xs)), labels, rotation=60, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(rows)), [str(v) for v in rows])
    ax.tick_params(labelsize=7)
    ax.set_xlabel(spec.words(spec.x), fontsize=8)
    ax.set_ylabel(spec.words(spec.row), fontsize=8)
    ax.grid(False)


def _maps(spec: Figure, per_run: pd.DataFrame, folder: Path) -> list[Path]:
    from matplotlib.patches import Patch

    from .compare import best_alternative

    per_run = per_run.assign(**{spec.hue: per_run[spec.hue].astype(str)})
    if spec.among:
        per_run = per_run[per_run[spec.hue].isin(spec.among)]
    alternatives = [str(v) for v in _order(per_run[spec.hue])]
    colours = palette(alternatives)
    rows, xs = _order(per_run[spec.row]), _order(per_run[spec.x])
    panels = _order(per_run[spec.col]) if spec.col else [None]
    cells = [spec.row, spec.x] + ([spec.col] if spec.col else [])
    paths = []
    for y in spec.y:
        table = best_alternative(per_run, y, cells, spec.hue)
        size = (max(0.42 * len(xs) + 2.2, 5.5), (0.3 * len(rows) + 0.9) * len(panels) + 0.9)
        fig, axes = plt.subplots(len(panels), 1, figsize=size, squeeze=False, layout="constrained")
        for ax, panel in zip(axes.flat, panels, strict=True):
            part = table if panel is None else table[table[spec.col] == panel]
            _map_panel(ax, part, spec, rows, xs, colours)
            if panel is not None:
                ax.set_title(f"{spec.words(spec.col)} {panel}", fontsize=8)
        handles = [Patch(color=colours[a], label=spec.words(a)) for a in alternatives]
        handles.append(Patch(facecolor="white", edgecolor="0.6", hatch="///", label=UNDECIDED))
        legend = {"loc": "outside right center", "frameon": False, "fontsize": 7}
        fig.legend(handles=handles, title=f"lowest {spec.words(y)}", title_fontsize=7, **legend)
        title = (
            spec.title or spec.words(y)
        ) + "\nnumber: margin over the runner-up, % of its value"
        fig.suptitle(title, fontsize=9)
        name = f"{spec.name}_{y}" if len(spec.y) > 1 else spec.name
        path = folder / f"{name}.png"
        save_png(fig, path)
        paths.append(path)
    return paths


def draw_figures(
    spec: ExperimentSpec, runs: pd.DataFrame, per_run: pd.DataFrame, folder: Path
) -> list[Path]:
    """Draw every figure of the spec into ``folder`` as PNG; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):  # figures of an earlier spec in the same folder
        old.unlink()
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.0)
    paths = []
    for figure in spec.figures:
        path = folder / f"{figure.name}.png"
        if figure.kind == "timeseries":
            paths.append(_timeseries(figure, runs, path))
        elif figure.kind == "scatter":
            paths.append(_scatter(figure, per_run, path))
        elif figure.kind == "map":
            paths += _maps(figure, per_run, folder)
        else:
            paths.append(_final(figure, per_run, path))
    return paths
