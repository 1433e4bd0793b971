"""What the browser page draws, computed from a model: plain numpy, no drawing, no Solara.

Read-only views of ``model.state`` and ``model.holarchy``: a holon's landscape on a grid,
each holon's free energy, the holarchy as a layered tree, which links carried messages in
the last step, and the summary of the run so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core import equations as eq

if TYPE_CHECKING:
    from ..core.model import HolarchyModel


@dataclass
class LandscapeView:
    """The potential a parent draws for its children, on a grid over the first two dims.

    ``z[i, j] = 1/2 pi_child |(xs[j], ys[i]) - theta|^2`` (the other dims held at theta);
    under a tilt ``z = -b . (y - mean)``, parallel lines falling toward where the price pushes.
    """

    level: int
    row: int
    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray
    theta: np.ndarray  # the centre, first two dims
    precision: float
    children: np.ndarray  # living children's states, (k, 2)
    mean: np.ndarray  # the living children's mean, (2,)
    niches: np.ndarray | None  # the cells' niches when the children are cells, (k, 2)
    dims: int = 2  # the model's state dimension (1: the second axis is a placeholder)
    tilt: np.ndarray | None = None  # the price drawn (a tilt: z = -b . y), first two dims


def plane(v: np.ndarray) -> np.ndarray:
    """The first two dims of row vectors; a one-dimensional state gets a zero second axis."""
    v = np.atleast_2d(v)
    return v[:, :2] if v.shape[1] >= 2 else np.hstack([v, np.zeros((v.shape[0], 1))])


def landscape(model: HolarchyModel, level: int, row: int, resolution: int = 60) -> LandscapeView:
    """The landscape holon ``row`` at ``level`` (1 organ, 2 organization, 3 society) draws."""
    if not 1 <= level < len(model.state.levels):
        raise ValueError(f"level {level} draws no landscape: choose 1, 2 or 3")
    lv, below = model.state.levels[level], model.state.levels[level - 1]
    kids = model.holarchy.children(level, row)
    alive = below.alive[kids]
    children = plane(below.x[kids][alive]) if alive.any() else np.zeros((0, 2))
    theta = plane(lv.theta[row])[0]
    niches = plane(model.state.h[kids][alive]) if level == 1 and alive.any() else None
    mean = children.mean(axis=0) if len(children) else theta.copy()
    pts = np.vstack([children, theta[None, :], *(() if niches is None else (niches,))])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 0.25) * 1.3
    xs = np.linspace(centre[0] - half, centre[0] + half, resolution)
    ys = np.linspace(centre[1] - half, centre[1] + half, resolution)
    gx, gy = np.meshgrid(xs, ys)
    dims = lv.theta.shape[1]
    if getattr(model.regime, "tilted", False):  # a price: parallel contour lines, no centre
        b = plane(lv.tilt_child[row])[0]
        z = -(b[0] * (gx - mean[0]) + b[1] * (gy - mean[1]))
        return LandscapeView(level, row, xs, ys, z, mean, 0.0, children, mean, niches, dims, b)
    precision = float(lv.pi_child[row])
    z = 0.5 * precision * ((gx - theta[0]) ** 2 + (gy - theta[1]) ** 2)
    return LandscapeView(level, row, xs, ys, z, theta, precision, children, mean, niches, dims)


PARTS = ("drawn by the parent", "with a cell's niche")  # what the landscape view shows


@dataclass(frozen=True)
class Frame:
    """A landscape view's axes and contour spacing, fixed for a run and a holon.

    The axes cover where the children start, their niches, the centre, the target and the
    best allocation (each niche shifted so that the mean meets the target), with a margin.
    The contour levels are fixed potential values ``k * spacing``. For a well the spacing
    depends on the axes alone, not on the precision: a steeper well puts the same levels
    closer. For a tilt it is a tenth of the potential the optimal price (the closed form
    ``b* = (T - mean h) / mean(1/pi_h)``) spans across the axes, so a price on its way
    there shows fewer lines, one beyond it more.
    """

    xlim: tuple[float, float]
    ylim: tuple[float, float]
    spacing: float  # the potential between two contour lines
    bands: int = 12  # levels coloured; higher ones take the last colour

    @property
    def levels(self) -> np.ndarray:
        return self.spacing * np.arange(self.bands + 1)


def frame(model: HolarchyModel, level: int, row: int) -> Frame:
    """The fixed frame for holon ``row`` at ``level``, taken from the model as it is now."""
    view = landscape(model, level, row, resolution=2)
    target = plane(model.target)[0]
    pts = [view.children, view.theta[None], target[None]]
    if view.niches is not None and len(view.niches):
        pts += [view.niches, view.niches + (target - view.niches.mean(axis=0))]
    pts = np.vstack(pts)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 0.5) * 1.25
    xlim = (float(centre[0] - half), float(centre[0] + half))
    ylim = (float(centre[1] - half), float(centre[1] + half))
    spacing = 0.5 * (half / 4) ** 2
    if view.tilt is not None:
        cells = model.state
        optimum = (target - plane(cells.h).mean(axis=0)) / np.mean(1 / cells.pi_h)
        spacing = max(float(np.hypot(*optimum)), 1e-3) * 2 * half / 10
    return Frame(xlim, ylim, spacing)


@dataclass
class Contours:
    """Where the fixed potential levels lie: circles round a centre, or parallel lines.

    A well ``1/2 pi |y - c|^2`` (plus a constant) has its level ``k * spacing`` on the circle
    of radius ``sqrt(2 k spacing / pi)``; a tilt ``-b . (y - c)`` on the line
    ``u . (y - c) = -k spacing / |b|`` across the direction ``u = b / |b|``.
    """

    kind: str  # "well" or "tilt"
    centre: np.ndarray  # (2,): the well's bottom; the tilt's reference point
    precision: float = 0.0  # the well's
    price: np.ndarray | None = None  # the tilt's b, first two dims
    label: str = ""

    def radii(self, fr: Frame) -> np.ndarray:
        return np.sqrt(2 * fr.levels[1:] / self.precision) if self.precision > 0 else np.zeros(0)

    def offsets(self, fr: Frame, reach: float) -> tuple[np.ndarray, np.ndarray]:
        """Signed distances along ``u`` of the levels within ``reach``, and their k."""
        size = float(np.hypot(*self.price)) if self.price is not None else 0.0
        if size == 0:
            return np.zeros(0), np.zeros(0, dtype=int)
        gap = fr.spacing / size
        k = np.arange(-int(reach / gap), int(reach / gap) + 1)
        if len(k) > 81:  # a steep price: every m-th line, so the view stays readable
            k = k[k % (len(k) // 40) == 0]
        return -k * gap, k


def contours(model: HolarchyModel, view: LandscapeView, fr: Frame, parts: str) -> Contours:
    """The potential the landscape view draws: the parent's part, or a cell's whole landscape.

    With a cell's niche (organs only) the view draws the first living child's free energy
    ``1/2 pi |y - eta|^2 - b . y + 1/2 pi_h |y - h|^2``: a well round its preferred state.
    """
    if parts not in PARTS:
        raise ValueError(f"parts must be one of {PARTS}, not {parts!r}")
    if parts == PARTS[0] or view.niches is None or not len(view.niches):
        if view.tilt is not None:
            centre = np.array([np.mean(fr.xlim), np.mean(fr.ylim)])
            return Contours("tilt", centre, price=view.tilt, label="−b · y")
        return Contours("well", view.theta, view.precision, label="½ π |y − θ|²")
    kids = np.arange(model.holarchy.sizes[0])[model.holarchy.children(view.level, view.row)]
    first = int(kids[model.state.levels[0].alive[kids]][0])
    h, pi_h = plane(model.state.h[first])[0], float(model.state.pi_h[first])
    if view.tilt is not None:  # niche plus tilt: a well of stiffness pi_h at h + b / pi_h
        label = f"cell {first}: ½ π_h |y − h|² − b · y"
        return Contours("well", h + view.tilt / pi_h, pi_h, label=label)
    pi = view.precision
    centre = (pi * view.theta + pi_h * h) / (pi + pi_h)
    label = f"cell {first}: ½ π |y − θ|² + ½ π_h |y − h|²"
    return Contours("well", centre, pi + pi_h, label=label)


@dataclass
class TreeLayout:
    """Positions of every holon in a layered tree: cells at the bottom, society on top."""

    x: list[np.ndarray]  # per level, horizontal positions in [0, 1]
    y: list[float]  # per level, its height (the level number)


def tree_layout(model: HolarchyModel) -> TreeLayout:
    """Cells evenly spaced; every parent above the middle of its children."""
    hol = model.holarchy
    n = hol.sizes[0]
    xs = [(np.arange(n) + 0.5) / n]
    for level in range(1, len(hol.sizes)):
        starts, ends = hol.starts[level], hol.ends[level]
        xs.append((xs[-1][starts] + xs[-1][ends - 1]) / 2)
    return TreeLayout(xs, [float(level) for level in range(len(hol.sizes))])


def active_links(model: HolarchyModel, level: int) -> np.ndarray:
    """Which children at ``level`` exchanged a message with their parent in the last step.

    A link counts as used where both ends sent or received something (load > 0): a report
    up, a landscape down or an order relayed. Cells' lateral gossip (flat) leaves their
    parents idle, so it lights no link here.
    """
    levels, parent = model.state.levels, model.holarchy.parent[level]
    child, above = levels[level], levels[level + 1]
    return (child.load > 0) & (above.load[parent] > 0) & child.alive


def summary(model: HolarchyModel, table: pd.DataFrame | None = None) -> dict[str, Any]:
    """The run so far: step, errors now (NaN with no living cell), cumulative energy and
    bits, peak load, Landauer floor and the settings line."""
    m, table = model.metrics, model.table if table is None else table
    bits = float(m["bits_cumulative"])
    cells = int(m["alive_cells"])
    error = (lambda key: float(m[key])) if cells else (lambda key: float("nan"))
    return {
        "step": int(model.steps),
        "mode": model.p["mode"],
        "cells": cells,
        "tracking_error": error("tracking_error"),
        "niche_error": error("niche_error"),
        "optimality_gap": error("optimality_gap"),
        "energy_cumulative": float(m["energy_cumulative"]),
        "bits_cumulative": bits,
        "peak_node_load": int(table["peak_node_load"].max()),
        "landauer_floor_cumulative": float(eq.landauer_floor(bits, model.p["temperature"])),
        "settings": settings_line(model),
    }


def settings_line(model: HolarchyModel) -> str:
    """Every setting the page's controls can change, in one line, as the model runs them."""
    p, sizes = model.p, model.holarchy.sizes
    never = lambda step: "never" if step < 0 else f"at step {step}"  # noqa: E731
    line = (
        f"{p['scenario']} scenario, {p['mode']}; {sizes[0]} cells, {sizes[1]} organs, "
        f"{sizes[2]} organizations; {p['landscape_parts']}; "
        f"π_o {p['pi_o']:g}, π {p['pi_prior']:g}, π_h {p['pi_h']:g}; noise {p['sensing_noise']:g}; "
        f"gain {p['gain']:g}; δ {p['delta']:g}; target {p['target']}; loss {p['p_loss']:g}; "
        f"scope {p['coordination_scope']}; removal {never(p['remove_at'])}"
    )
    if p["remove_at"] >= 0:
        line += f" ({p['remove_fraction']:g} of the {p['remove_level']}s)"
    line += f"; noise burst {never(p['burst_at'])}"
    if p["scenario"] == "ai_grid":
        line += f"; GPU cost {p['gpu_cost']:g} USD/GPU-hour"
    return line + f"; seed {getattr(model, '_seed', '?')}"


def grid_summary(
    model: HolarchyModel, table: pd.DataFrame | None = None
) -> dict[str, tuple[str, str]]:
    """ai_grid's measures for the card: label -> (value as text, CSS key)."""
    t = model.table if table is None else table
    if not len(t):
        return {}
    last = t.iloc[-1]
    fleet = float(t["fleet_energy"].sum())
    share = float(t["fleet_renewable"].sum()) / fleet if fleet > 0 else float("nan")
    return {
        "renewable share of the fleet's energy": (f"{share:.1%}", "grid-renewable"),
        "emission cut against the baseline": (f"{float(last['emission_cut']):.1%}", "grid-cut"),
        "GPU utilisation": (f"{float(last['gpu_utilisation']):.1%}", "grid-utilisation"),
        "inference SLA violations": (
            f"{float(t['inference_sla_violations'].sum()):.0f}",
            "grid-sla",
        ),
        "cost, energy + GPU capital": (
            f"{float(t['energy_cost'].sum() + t['gpu_capital_cost'].sum()):.4g} USD",
            "grid-cost",
        ),
        "training work done, server-hours": (f"{float(last['work_done']):.4g}", "grid-work"),
    }
