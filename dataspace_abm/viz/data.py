"""What the browser page draws, computed from a model: plain numpy, no drawing, no Solara.

Read-only views of ``model.state`` and ``model.holarchy``: a holon's landscape on a grid,
each holon's free energy, the holarchy as a layered tree, which links carried messages in
the last step, and the summary of the run so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

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


def _plane(v: np.ndarray) -> np.ndarray:
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
    children = _plane(below.x[kids][alive]) if alive.any() else np.zeros((0, 2))
    theta = _plane(lv.theta[row])[0]
    niches = _plane(model.state.h[kids][alive]) if level == 1 and alive.any() else None
    mean = children.mean(axis=0) if len(children) else theta.copy()
    pts = np.vstack([children, theta[None, :], *(() if niches is None else (niches,))])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 0.25) * 1.3
    xs = np.linspace(centre[0] - half, centre[0] + half, resolution)
    ys = np.linspace(centre[1] - half, centre[1] + half, resolution)
    gx, gy = np.meshgrid(xs, ys)
    dims = lv.theta.shape[1]
    if getattr(model.regime, "tilted", False):  # a price: parallel contour lines, no centre
        b = _plane(lv.tilt_child[row])[0]
        z = -(b[0] * (gx - mean[0]) + b[1] * (gy - mean[1]))
        return LandscapeView(level, row, xs, ys, z, mean, 0.0, children, mean, niches, dims, b)
    precision = float(lv.pi_child[row])
    z = 0.5 * precision * ((gx - theta[0]) ** 2 + (gy - theta[1]) ** 2)
    return LandscapeView(level, row, xs, ys, z, theta, precision, children, mean, niches, dims)


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


def summary(model: HolarchyModel) -> dict[str, Any]:
    """The run so far: step, errors now, cumulative energy and bits, peak load, Landauer floor."""
    m, table = model.metrics, model.table
    bits = float(m["bits_cumulative"])
    return {
        "step": int(model.steps),
        "mode": model.p["mode"],
        "cells": int(m["alive_cells"]),
        "tracking_error": float(m["tracking_error"]),
        "niche_error": float(m["niche_error"]),
        "energy_cumulative": float(m["energy_cumulative"]),
        "bits_cumulative": bits,
        "peak_node_load": int(table["peak_node_load"].max()),
        "landauer_floor_cumulative": float(eq.landauer_floor(bits, model.p["temperature"])),
        "settings": settings_line(model),
    }


def settings_line(model: HolarchyModel) -> str:
    """The model's main settings in one line (the page's sliders show no numbers at rest)."""
    p, sizes = model.p, model.holarchy.sizes
    return (
        f"{sizes[0]} cells, {sizes[1]} organs, {sizes[2]} organizations; "
        f"π_o {p['pi_o']:g}, π {p['pi_prior']:g}, π_h {p['pi_h']:g}; noise {p['sensing_noise']:g}; "
        f"gain {p['gain']:g}; δ {p['delta']:g}; target {p['target']}; "
        f"loss {p['p_loss']:g}; seed {getattr(model, '_seed', '?')}"
    )
