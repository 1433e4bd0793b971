"""The morphogenesis page's pictures, as SVG text: the form assembling over a signal's
field, and the run's free energy and form error."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps, colors

from ..scenarios.morphogenesis import MorphogenesisModel
from ..scenarios.morphogenesis.form import field
from .svg import Canvas, hex_colours, nice_ticks
from .views import MAX_POINTS

XLIM, YLIM = (-3.6, 4.1), (-2.3, 2.3)  # the paper's form with a margin
GRID = (40, 24)  # field samples across and up: about 70 kB of SVG a frame
SIGNALS = ("signal 1 (all)", "signal 2 (types 1, 2)", "signal 3 (types 1, 3)", "signal 4 (type 4)")
IDENTITY = [colors.to_hex(c) for c in colormaps["tab10"].colors[:8]]


def _star(cx: float, cy: float, r: float) -> str:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    points = [
        f"{cx + q * np.cos(a):.1f} {cy - q * np.sin(a):.1f}"
        for a, q in zip(angles, radii, strict=True)
    ]
    return "M" + "L".join(points) + "Z"


def form_svg(model: MorphogenesisModel, signal: int = 1) -> str:
    """The cells (coloured by their most likely place) over the field of ``signal`` the
    living cells release, with the form's places as stars."""
    c = Canvas(540, 350, XLIM, YLIM, margin=(48, 46, 100, 40), clip="clip-form")
    xs = np.linspace(*XLIM, GRID[0] + 1)
    ys = np.linspace(*YLIM, GRID[1] + 1)
    cx, cy = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
    at = np.stack(np.meshgrid(cx, cy, indexing="ij")).reshape(2, -1)
    living = model.alive
    values = field(model.x[:, living], model.s[:, living], at, model.form.decay)[signal]
    top = max(float(model.form.sensed[signal].max()) * 1.2, 1e-9)  # fixed per form
    norm = colors.Normalize(0.0, top)
    fills = hex_colours(np.clip(values, 0, top), norm, "Greys")
    (x0, y0), (x1, y1) = c.px(xs[0], ys[1]), c.px(xs[1], ys[0])
    w, h = float(x1 - x0) + 0.4, float(y1 - y0) + 0.4
    for k, fill in enumerate(fills):
        px, py = c.px(xs[k // GRID[1]], ys[k % GRID[1] + 1])
        c.rect(float(px), float(py), w, h, fill=fill)
    for i in range(model.form.n):
        sx, sy = c.px(*model.form.positions[:, i])
        c.path(
            _star(float(sx), float(sy), 11),
            "dataspace-place",
            fill="none",
            stroke=IDENTITY[i],
            stroke_width="2",
        )
    identity = np.argmax(model.v, axis=0)
    certainty = np.exp(model.v - model.v.max(axis=0)).sum(axis=0) ** -1.0
    for col in np.flatnonzero(living):
        sx, sy = c.px(*model.x[:, col])
        c.circle(
            float(sx),
            float(sy),
            8,
            "dataspace-cell",
            fill=IDENTITY[identity[col]],
            stroke="#000",
            stroke_width="1",
            fill_opacity=f"{0.35 + 0.65 * certainty[col]:.2f}",
        )
    c.axes("location", "location", nice_ticks(*XLIM), nice_ticks(*YLIM), "{:.3g}")
    levels = np.linspace(0, top, 9)
    c.colour_bar(levels, hex_colours(levels[:-1] + top / 16, norm, "Greys"), "signal", c.width - 88)
    title = f"step {len(model.rows) - 1}: {int(living.sum())} cells, {SIGNALS[signal]}"
    return c.markup("dataspace-form-svg", title)


def history_svg(model: MorphogenesisModel) -> str:
    """Free energy (log) and the form's error in spacings over the run."""
    # the rows themselves, thinned as the main page's curves: no table built a frame
    rows = model.rows
    kept = np.unique(np.linspace(0, len(rows) - 1, min(len(rows), MAX_POINTS)).round().astype(int))
    table = {k: np.array([rows[i][k] for i in kept]) for k in ("step", "free_energy", "form_error")}
    last = max(int(table["step"][-1]), 1)
    panels = []
    free = np.log10(np.maximum(table["free_energy"], 1e-3))
    error = table["form_error"] / model.form.spacing
    for name, y, lo, hi, unit, colour in (
        (
            "free-energy",
            free,
            -3.0,
            max(2.0, float(np.ceil(free.max()))),
            "free energy (log)",
            "#000",
        ),
        ("form-error", error, 0.0, max(5.0, float(error.max()) * 1.05), "spacings", "#d62728"),
    ):
        c = Canvas(
            560, 160, (0, last), (lo, hi), margin=(68, 28, 40, 36), clip=f"clip-morph-{name}"
        )
        c.polyline(table["step"], y, colour, 1.8, cls=f"dataspace-morph-{name}")
        if name == "form-error":
            c.polyline([0, last], [0.5, 0.5], "#888", 1.0, "5 3")  # nearer its own place
        yticks = np.arange(lo, hi + 1) if name == "free-energy" else nice_ticks(lo, hi, 4)
        fmt = (lambda t: f"1e{t:.0f}") if name == "free-energy" else "{:.2g}"
        c.axes(
            "step" if name == "form-error" else "", unit, nice_ticks(0, last), yticks, "{:.0f}", fmt
        )
        panels.append(c.markup(f"dataspace-morph-{name}", name.replace("-", " ")))
    return "".join(panels)
