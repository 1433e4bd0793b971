"""The page's pictures as matplotlib figures: landscape, holarchy and time series.

Built on ``matplotlib.figure.Figure`` (no pyplot, so no global state and no GUI backend),
and turned into PNG bytes by :func:`to_png` for the page.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib import colors
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..core.metrics import holon_free_energy
from ..core.structure import LEVELS
from .data import LandscapeView, active_links, tree_layout

if TYPE_CHECKING:
    from ..core.model import HolarchyModel

DPI = 80
SIZE = (6.8, 4.25)  # inches: 544 x 340 pixels at DPI, one of Mesa's grid cells
COLOUR_BY = ("free energy", "load")
ENERGY_KINDS = ("energy_action", "energy_inference", "energy_communication", "energy_central")
BIT_KINDS = ("bits_up", "bits_down", "bits_lateral")


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _landscape_line(ax, view: LandscapeView) -> None:
    """A one-dimensional landscape: the potential as a curve, the children on it."""
    if view.tilt is not None:
        return _tilt_line(ax, view)
    well = 0.5 * view.precision * (view.xs - view.theta[0]) ** 2
    ax.plot(view.xs, well, c="tab:blue", lw=1.5, label="potential ½ π (y − θ)²")
    if view.niches is not None:
        ax.scatter(view.niches[:, 0], np.zeros(len(view.niches)), marker="x", s=18, c="0.35",
                   lw=0.8, label="niches")  # fmt: skip
    on_curve = 0.5 * view.precision * (view.children[:, 0] - view.theta[0]) ** 2
    ax.scatter(view.children[:, 0], on_curve, s=30, c="tab:orange", edgecolors="k", lw=0.5,
               label="children", zorder=3)  # fmt: skip
    ax.axvline(view.mean[0], c="k", ls="--", lw=1, label="children's mean")
    ax.axvline(view.theta[0], c="red", lw=2, label="centre θ")
    ax.set_xlim(view.xs[0], view.xs[-1])
    ax.set_xlabel("state")
    ax.set_ylabel("potential")


def _tilt_line(ax, view: LandscapeView) -> None:
    """A one-dimensional tilt: a straight line whose slope is the price."""
    b = view.tilt[0]
    ax.plot(view.xs, -b * (view.xs - view.mean[0]), c="tab:blue", lw=1.5,
            label=f"potential −b y, price b = {b:.3g}")  # fmt: skip
    if view.niches is not None:
        ax.scatter(view.niches[:, 0], np.zeros(len(view.niches)), marker="x", s=18, c="0.35",
                   lw=0.8, label="niches")  # fmt: skip
    ax.scatter(view.children[:, 0], -b * (view.children[:, 0] - view.mean[0]), s=30,
               c="tab:orange", edgecolors="k", lw=0.5, label="children", zorder=3)  # fmt: skip
    ax.axvline(view.mean[0], c="k", ls="--", lw=1, label="children's mean")
    ax.set_xlim(view.xs[0], view.xs[-1])
    ax.set_xlabel("state")
    ax.set_ylabel("potential")


def landscape_figure(view: LandscapeView, title: str) -> Figure:
    """Contours of the parent's potential, its centre, its children and their mean."""
    fig = Figure(figsize=(SIZE[0], SIZE[1] - 0.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    if view.dims == 1:
        _landscape_line(ax, view)
        ax.set_title(title, fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
        return fig
    filled = ax.contourf(view.xs, view.ys, view.z, levels=14, cmap="GnBu_r", alpha=0.85)
    lines = ax.contour(view.xs, view.ys, view.z, levels=filled.levels, colors="k", linewidths=0.4)
    ax.clabel(lines, lines.levels[1::3], fontsize=7, fmt="%.2g")
    if view.niches is not None:
        ax.scatter(*view.niches.T, marker="x", s=18, c="0.35", lw=0.8, label="niches")
    ax.scatter(*view.children.T, s=30, c="tab:orange", edgecolors="k", lw=0.5, label="children")
    ax.plot(*view.mean, "D", c="k", ms=7, label="children's mean")
    if view.tilt is None:
        ax.plot(*view.theta, "+", c="red", ms=16, mew=2.5, label="centre θ")
    ax.set_aspect("equal")
    ax.set_xlim(view.xs[0], view.xs[-1])
    ax.set_ylim(view.ys[0], view.ys[-1])
    ax.set_xlabel("state, dim 1")
    ax.set_ylabel("state, dim 2")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    if view.tilt is None:
        ax.text(1.04, 0.02, "contours: ½ π |y − θ|²", transform=ax.transAxes, fontsize=8)
        return fig
    b, span = view.tilt, view.xs[-1] - view.xs[0]
    scale = 0.3 * span / max(float(np.hypot(*b)), 1e-12)  # the price's direction, drawn long
    ax.annotate("", xy=view.mean + scale * b, xytext=view.mean,
                arrowprops={"arrowstyle": "->", "color": "red", "lw": 2})  # fmt: skip
    ax.plot([], [], c="red", lw=2, label="price b (downhill)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    text = f"contours: −b · y\nb = ({b[0]:.3g}, {b[1]:.3g})"
    ax.text(1.04, 0.02, text, transform=ax.transAxes, fontsize=8)
    return fig


def _links(model: HolarchyModel, xs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Child-parent segments, split into idle ones and those that carried messages."""
    idle, used = [], []
    for level in range(len(xs) - 1):
        xc, xp = xs[level], xs[level + 1][model.holarchy.parent[level]]
        start = np.column_stack([xc, np.full_like(xc, level)])
        end = np.column_stack([xp, np.full_like(xp, level + 1)])
        seg = np.stack([start, end], axis=1)
        on = active_links(model, level)
        idle.append(seg[~on])
        used.append(seg[on])
    return np.concatenate(idle), np.concatenate(used)


def draw_holarchy(ax, model: HolarchyModel, values: list[np.ndarray], norm, cmap) -> int:
    """The layered tree on ``ax``: living holons coloured by ``values`` (one array per
    level), removed ones grey, links that carried messages orange. Returns that count."""
    levels, layout = model.state.levels, tree_layout(model)
    idle, busy = _links(model, layout.x)
    ax.add_collection(LineCollection(idle, colors="0.8", linewidths=0.5))
    ax.add_collection(LineCollection(busy, colors="tab:orange", linewidths=1.6))
    sizes = (10, 45, 120, 280)
    for level, lv in enumerate(levels):
        x, y, on = layout.x[level], np.full(lv.n, layout.y[level]), lv.alive
        ax.scatter(x[~on], y[~on], s=sizes[level], c="0.85", edgecolors="0.6", zorder=3)
        ax.scatter(
            x[on],
            y[on],
            s=sizes[level],
            c=values[level][on],
            cmap=cmap,
            norm=norm,
            edgecolors="k",
            linewidths=0.4,
            zorder=3,
        )
    ax.set_yticks(range(len(levels)), LEVELS)
    ax.set_xticks([])
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.4, len(levels) - 0.6)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return len(busy)


def holarchy_figure(model: HolarchyModel, colour_by: str = "free energy") -> Figure:
    """The layered tree, holons coloured by free energy or load; used links in orange."""
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour_by must be one of {COLOUR_BY}, not {colour_by!r}")
    levels = model.state.levels
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    if colour_by == "load":
        values = [lv.load.astype(float) for lv in levels]
    else:
        values = [holon_free_energy(model, level) for level in range(len(levels))]
    living = np.concatenate([v[lv.alive] for v, lv in zip(values, levels, strict=True)])
    top = float(np.percentile(living, 99)) if living.size else 1.0
    norm, cmap = colors.Normalize(0.0, max(top, 1e-9)), "magma_r"
    busy = draw_holarchy(ax, model, values, norm, cmap)
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.8, label=colour_by)
    lateral = int(model.state.tally.get("msg_lateral", 0))
    note = f"; {lateral} lateral messages among cells" if lateral else ""
    ax.set_title(f"step {model.steps}: {busy} links carried messages{note}", fontsize=10)
    return fig


def timeseries_figure(table: pd.DataFrame) -> Figure:
    """Tracking and niche error; energy by kind (stacked); bits per layer (stacked)."""
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    err, energy, bits = fig.subplots(3, 1, sharex=True)
    step = table["step"].to_numpy()
    err.plot(step, table["tracking_error"], label="tracking error")
    err.plot(step, table["niche_error"], label="niche error")
    err.set_ylabel("distance")
    energy.stackplot(
        step,
        *(table[k] for k in ENERGY_KINDS),
        labels=[k.removeprefix("energy_") for k in ENERGY_KINDS],
    )
    energy.set_ylabel("J / step")
    bits.stackplot(
        step, *(table[k] for k in BIT_KINDS), labels=[k.removeprefix("bits_") for k in BIT_KINDS]
    )
    bits.set_ylabel("bits / step")
    bits.set_xlabel("step")
    for ax in (err, energy, bits):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    return fig
