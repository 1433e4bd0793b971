"""The page's live views as SVG: the landscape, the holarchy and the time series.

Pure functions of a :class:`~dataspace_abm.viz.session.Session` (and the view's choices)
that return markup; the components only place it. Colours come from Matplotlib's maps, so
the live views and the PNG exports (``figures``) agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colors

from ..core.metrics import holon_free_energy
from ..core.structure import LEVELS
from .data import PARTS, Contours, Frame, contours, landscape, plane, tree_layout
from .figures import COLOUR_BY
from .session import Session
from .svg import Canvas, hex_colours, nice_ticks

WELL_MAP, TILT_MAP = "Blues", "RdBu_r"
SERIES = {  # panel: (columns, colours, unit)
    "errors": (
        ("tracking_error", "niche_error", "optimality_gap"),
        ("#1f77b4", "#ff7f0e", "#2ca02c"),
        "distance",
    ),
    "energy": (
        ("energy_action", "energy_inference", "energy_communication", "energy_central"),
        ("#d62728", "#9467bd", "#8c564b", "#17becf"),
        "J / step (log)",
    ),
    "bits": (
        ("bits_up", "bits_down", "bits_lateral"),
        ("#1f77b4", "#ff7f0e", "#2ca02c"),
        "bits / step (log)",
    ),
}
STAR = (  # the target's five-pointed star: its corners in px from the target
    (0, -10),
    (3, -3),
    (10, -3),
    (4.5, 2),
    (6.5, 9),
    (0, 5),
    (-6.5, 9),
    (-4.5, 2),
    (-10, -3),
    (-3, -3),
)
MAX_POINTS = 400  # points a curve keeps; longer runs are thinned evenly


def _bands_well(c: Canvas, fr: Frame, shape: Contours) -> list[str]:
    fills = hex_colours(np.arange(fr.bands) / fr.bands, colors.Normalize(0, 1.6), WELL_MAP)
    radii = shape.radii(fr)
    sx, sy = c.px(*shape.centre)
    kx, _ = c.scale()
    c.rect(*c.box, fill=fills[-1])
    for k in range(len(radii) - 1, -1, -1):  # outer bands first, inner ones on top
        fill = fills[min(k, fr.bands - 1)]
        c.circle(
            sx,
            sy,
            radii[k] * kx,
            "dataspace-contour",
            fill=fill,
            stroke="#333",
            stroke_width="0.7",
            clip_path=f"url(#{c.clip})",
        )
    return fills


def _bands_tilt(c: Canvas, fr: Frame, shape: Contours) -> list[str]:
    norm = colors.Normalize(-fr.bands, fr.bands)
    fills = hex_colours(np.arange(-fr.bands, fr.bands) + 0.5, norm, TILT_MAP)
    reach = float(np.hypot(fr.xlim[1] - fr.xlim[0], fr.ylim[1] - fr.ylim[0]))
    offsets, ks = shape.offsets(fr, reach)
    if not len(ks):
        c.rect(*c.box, fill="#f7f7f7")
        return fills
    kx, _ = c.scale()
    u = shape.price / np.hypot(*shape.price)
    angle = float(np.degrees(np.arctan2(-u[1], u[0])))  # screen y runs downward
    cx, cy = c.px(*shape.centre)
    big = reach * kx
    # the bands and their lines drawn upright, then turned to run across the price b
    c.add(f'<g clip-path="url(#{c.clip})">')
    c.add(f'<g transform="translate({cx:.1f} {cy:.1f}) rotate({angle:.2f})">')
    order = np.argsort(offsets)
    offsets, ks = offsets[order] * kx, ks[order]
    edges = np.concatenate([[-big], offsets, [big]])
    for i in range(len(edges) - 1):
        # between the lines of k[i-1] and k[i] (u . y grows, the potential falls)
        k = ks[min(i, len(ks) - 1)] + (0 if i < len(ks) else -1)
        fill = fills[int(np.clip(k + fr.bands, 0, 2 * fr.bands - 1))]
        c.rect(edges[i], -big, edges[i + 1] - edges[i] + 0.5, 2 * big, fill=fill)
    for off in offsets:
        c.line(off, -big, off, big, "dataspace-contour", stroke="#333", stroke_width="0.7")
    c.add("</g></g>")
    return fills


def landscape_canvas(fr: Frame, level: int) -> Canvas:
    """The landscape's plot: the frame's axes, room right of it for the bar and legend."""
    return Canvas(600, 430, fr.xlim, fr.ylim, margin=(60, 56, 200, 44), clip=f"clip-land-{level}")


def landscape_svg(session: Session, level: int, row: int, parts: str = PARTS[0]) -> tuple[str, str]:
    """The landscape holon ``row`` at ``level`` draws, on its run's fixed frame; and a caption."""
    model = session.model
    view = landscape(model, level, row, resolution=2)
    fr = session.frame(level, row)
    name, child = LEVELS[level], LEVELS[level - 1]
    alive = bool(model.state.levels[level].alive[row])
    c = landscape_canvas(fr, level)
    shape = contours(model, view, fr, parts)
    if shape.kind == "tilt":
        fills = _bands_tilt(c, fr, shape)
        levels = np.arange(-fr.bands, fr.bands + 1) * fr.spacing
    else:
        fills, levels = _bands_well(c, fr, shape), fr.levels
    kids = np.arange(model.holarchy.sizes[level - 1])[model.holarchy.children(level, row)]
    living = kids[model.state.levels[level - 1].alive[kids]]
    for path in session.trail(level - 1, living):
        c.polyline(path[:, 0], path[:, 1], "#e6550d", width=1.0, cls="dataspace-trail")
    if view.niches is not None and len(view.niches):  # a cross at each niche
        nx, ny = view.niches[:, 0], view.niches[:, 1]
        dx, dy = 0.03 * (fr.xlim[1] - fr.xlim[0]), 0.03 * (fr.ylim[1] - fr.ylim[0])
        c.segments(nx - dx, ny, nx + dx, ny, "#444", 1.2)
        c.segments(nx, ny - dy, nx, ny + dy, "#444", 1.2)
    c.circles(view.children[:, 0], view.children[:, 1], 5, "#fd8d3c", cls="dataspace-child")
    target = plane(model.target)[0]
    tx, ty = c.px(*target)
    star = "L".join(f"{tx + dx:.1f} {ty + dy:.1f}" for dx, dy in STAR)
    c.path(f"M{star}Z", "dataspace-target", fill="#ffd700", stroke="#000", stroke_width=1)
    mx, my = c.px(*view.mean)
    c.rect(mx - 5, my - 5, 10, 10, transform=f"rotate(45 {mx:.1f} {my:.1f})", fill="#000")
    if shape.kind == "well":  # a red cross at the centre
        sx, sy = c.px(*shape.centre)
        cross = f"M{sx - 9:.1f} {sy:.1f}H{sx + 9:.1f}M{sx:.1f} {sy - 9:.1f}V{sy + 9:.1f}"
        c.path(cross, stroke="#d00", stroke_width=3)
    elif np.hypot(*shape.price) > 0:  # a red arrow from the mean along the price b
        u = shape.price / np.hypot(*shape.price)
        tip = view.mean + 0.2 * (fr.xlim[1] - fr.xlim[0]) * u
        ex, ey = c.px(*tip)
        c.line(mx, my, ex, ey, stroke="#d00", stroke_width=3)
        c.circle(ex, ey, 4, fill="#d00")
    if not alive:
        left, top, w, h = c.box
        c.rect(left, top, w, h, "dataspace-removed", fill="#888", fill_opacity="0.55")
        c.text(
            left + w / 2,
            top + h / 2,
            f"{name} {row} was removed",
            size=20,
            anchor="middle",
            font_weight="bold",
        )
    ticks = nice_ticks(*fr.xlim), nice_ticks(*fr.ylim)
    c.axes("state, dim 1", "state, dim 2" if view.dims > 1 else "(one dimension)", *ticks)
    c.colour_bar(levels, fills, "potential", c.width - 186)
    _legend(c, shape, view.niches is not None)
    removed = "" if alive else " (removed)"
    title = f"{name} {row}{removed}: landscape for its {child}s, step {model.steps}"
    return c.markup("dataspace-landscape-svg", title), _caption(model, view, shape, alive)


def _legend(c: Canvas, shape: Contours, niches: bool) -> None:
    x, y = c.width - 108, c.box[1] + 8
    rows = [
        ("#fd8d3c", "children"),
        ("#e6550d", "their trails"),
        ("#000", "their mean"),
        ("#ffd700", "target"),
        ("#d00", "centre" if shape.kind == "well" else "price b"),
    ]
    if niches:
        rows.append(("#444", "niches (+)"))
    for i, (fill, words) in enumerate(rows):  # a square of colour and its words
        c.rect(x, y + 20 * i - 10, 11, 11, fill=fill)
        c.text(x + 15, y + 20 * i, words, size=16)


def _caption(model, view, shape: Contours, alive: bool) -> str:
    name = LEVELS[view.level]
    mean = f"children's mean ({view.mean[0]:.3f}, {view.mean[1]:.3f})"
    if not alive:
        return f"{name} {view.row}, step {model.steps}: removed; it draws no landscape"
    if view.tilt is not None:
        b = view.tilt
        text = f"{name} {view.row}, step {model.steps}: price b ({b[0]:.3g}, {b[1]:.3g}), {mean}"
    else:
        text = (
            f"{name} {view.row}, step {model.steps}: centre ({view.theta[0]:.3f},"
            f" {view.theta[1]:.3f}), {mean}, precision {view.precision:.3g}"
        )
    text += f"; contours {shape.label}"
    if model.p["mode"] != "landscape":
        text += f". In the {model.p['mode']} regime no parent moves its landscape."
    return text


def _log_norm(top: float) -> colors.Normalize:
    return colors.LogNorm(1.0, max(top, 2.0))


def holarchy_svg(session: Session, colour_by: str = "free energy", lit_above: float = 0.5) -> str:
    """The layered tree: holons coloured by free energy or load (log scale, numbers on the
    busiest), removed ones grey; a child-parent link lit where it carried more than
    ``lit_above`` messages a step over the last steps; flat's lateral links as arcs."""
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour_by must be one of {COLOUR_BY}, not {colour_by!r}")
    model = session.model
    levels, layout = model.state.levels, tree_layout(model)
    c = Canvas(
        560,
        330,
        (-0.02, 1.02),
        (-0.9, len(levels) - 0.5),
        margin=(118, 56, 96, 12),
        clip="clip-tree",
    )
    if colour_by == "load":
        values = [lv.load.astype(float) for lv in levels]
        top = max(float(max(v.max() for v in values)), 1.0)
        norm, cmap, label = _log_norm(top), "viridis", "messages (log)"
    else:
        values = [holon_free_energy(model, level) for level in range(len(levels))]
        living = np.concatenate([v[lv.alive] for v, lv in zip(values, levels, strict=True)])
        top = float(living.max()) if living.size else 1.0
        norm, cmap, label = colors.Normalize(0.0, max(top, 1e-9)), "magma_r", "free energy"
    lit = 0
    for level in range(len(levels) - 1):
        xc, xp = layout.x[level], layout.x[level + 1][model.holarchy.parent[level]]
        rate = session.link_rate(level)
        on = rate > lit_above
        lit += int(on.sum())
        yc, yp = np.full(len(xc), level), np.full(len(xc), level + 1)
        c.segments(xc[~on], yc[~on], xp[~on], yp[~on], "#ccc", 0.5)
        c.segments(xc[on], yc[on], xp[on], yp[on], "#e6550d", 1.8, cls="dataspace-lit")
    graph = getattr(model.regime, "graph", None)
    if graph is not None:  # flat: the cells' lateral links, as arcs under the cells
        x0 = layout.x[0]
        paths = []
        for s, d in zip(graph.src[: 4 * len(x0)], graph.dst[: 4 * len(x0)], strict=True):
            if s < d:
                (a, b), (e, f) = c.px(x0[s], 0), c.px(x0[d], 0)
                depth = min(abs(e - a) * 0.35, 60)
                paths.append(f"M{a:.1f} {b:.1f}Q{(a + e) / 2:.1f} {b + depth:.1f} {e:.1f} {f:.1f}")
        c.path(
            "".join(paths),
            "dataspace-lateral",
            stroke="#2ca02c",
            stroke_opacity="0.5",
            stroke_width="0.8",
            fill="none",
        )
    sizes = (3.5, 7, 11, 16)
    for level, lv in enumerate(levels):
        x, y, on = layout.x[level], np.full(lv.n, float(level)), lv.alive
        fills = hex_colours(np.clip(values[level], norm.vmin, None), norm, cmap)
        fills = [f if alive else "#ddd" for f, alive in zip(fills, on, strict=True)]
        titles = [
            f"{LEVELS[level]} {i}: {colour_by} {values[level][i]:.3g}"
            + ("" if on[i] else " (removed)")
            for i in range(lv.n)
        ]
        c.circles(x, y, sizes[level], fills, cls=f"dataspace-node-{LEVELS[level]}", titles=titles)
        busiest = int(np.argmax(np.where(on, values[level], -np.inf))) if on.any() else None
        if busiest is not None and level > 0:
            sx, sy = c.px(x[busiest], level)
            c.text(
                float(sx),
                float(sy) - sizes[level] - 3,
                f"{values[level][busiest]:.3g}",
                size=16,
                anchor="middle",
                font_weight="bold",
            )
    for level in range(len(levels)):
        _, sy = c.px(0, level)
        c.text(c.box[0] - 8, float(sy) + 4, LEVELS[level], size=17, anchor="end")
    steps = np.linspace(0, 1, 9)
    ticks = norm.inverse(steps)
    c.colour_bar(
        np.asarray(ticks),
        hex_colours(norm.inverse(steps[:-1] + 1 / 16), norm, cmap),
        label,
        c.width - 70,
    )
    lateral = int(model.state.tally.get("msg_lateral", 0))
    note = f"; {lateral} lateral messages" if lateral else ""
    title = f"step {model.steps}: {lit} links above {lit_above:g} messages a step{note}"
    return c.markup("dataspace-holarchy-svg", title)


def _thin(table: pd.DataFrame) -> pd.DataFrame:
    if len(table) <= MAX_POINTS:
        return table
    return table.iloc[np.linspace(0, len(table) - 1, MAX_POINTS).round().astype(int)]


def timeseries_svg(session: Session) -> str:
    """Errors, energy by kind and bits by direction over the run (energy and bits on a log
    scale, so every kind shows); the kept run's curves dashed beside them."""
    table = _thin(session.table)
    kept = _thin(session.comparison.table) if session.comparison is not None else None
    last = max(
        int(table["step"].max()) if len(table) else 1,
        int(kept["step"].max()) if kept is not None else 1,
        1,
    )
    panels, height = [], 150
    for name, (columns, palette, unit) in SERIES.items():
        log = "log" in unit
        frames = [t for t in (table, kept) if t is not None and len(t)]
        data = (
            np.concatenate([t[list(columns)].to_numpy().ravel() for t in frames])
            if frames
            else np.zeros(1)
        )
        data = data[np.isfinite(data)]
        if log:
            data = data[data > 0]
            lo, hi = (np.log10(data.min()), np.log10(data.max())) if data.size else (0.0, 1.0)
            lo, hi = np.floor(lo), max(np.ceil(hi), np.floor(lo) + 1)
        else:
            lo, hi = 0.0, max(float(data.max()) if data.size else 1.0, 1e-9) * 1.05
        c = Canvas(
            560, height, (0, last), (lo, hi), margin=(68, 28, 160, 36), clip=f"clip-ts-{name}"
        )
        for t, dash in ((kept, "5 3"), (table, "")):
            if t is None or not len(t):
                continue
            for column, colour in zip(columns, palette, strict=True):
                y = t[column].to_numpy(dtype=float)
                y = np.log10(np.where(y > 0, y, np.nan)) if log else y
                c.polyline(
                    t["step"],
                    y,
                    colour,
                    1.6 if not dash else 1.2,
                    dash,
                    cls=f"dataspace-series-{column}",
                )
        yticks = np.arange(lo, hi + 1) if log else nice_ticks(lo, hi, 3)
        ylabels = (lambda t: f"1e{t:.0f}") if log else "{:.2g}"
        c.axes(
            "step" if name == "bits" else "", unit, nice_ticks(0, last), yticks, "{:.0f}", ylabels
        )
        words = [
            column.replace("_", " ") if name == "errors" else column.split("_", 1)[1]
            for column in columns
        ]
        c.legend(zip(palette, words, strict=True), c.width - 152, 28)
        panels.append(
            c.markup(
                f"dataspace-series-{name}",
                name if kept is None else f"{name} (dashed: {session.comparison.label})",
            )
        )
    return "".join(panels)


def grid_svg(session: Session) -> str:
    """ai_grid over the hours: the fleet's mean power and its target as shares of rated
    power; the renewable supply, what the fleet absorbed of it and the fleet's energy."""
    model = session.model
    table = session.table
    hours_per_step = model.p["step_minutes"] / 60.0
    hours = np.arange(len(session.means)) * hours_per_step
    span = max(float(hours[-1]) if len(hours) else 1.0, 1.0)
    ticks = np.arange(0, span + 1e-9, 6 if span > 12 else 1)

    def clock(hour: float) -> str:
        return f"{int(hour) % 24:02d}:00"

    c = Canvas(560, 170, (0, span), (0, 1.05), margin=(68, 28, 160, 36), clip="clip-grid-power")
    c.polyline(hours, session.means, "#1f77b4", 1.8, cls="dataspace-grid-power")
    c.polyline(table["step"] * hours_per_step, table["target"], "#000", 1.2, "5 3")
    c.axes("", "% of rated", ticks, nice_ticks(0, 1, 4), clock, "{:.0%}")
    c.legend([("#1f77b4", "mean power"), ("#000", "target")], c.width - 152, 28)
    columns = (
        ("renewable_supply", "#2ca02c", "renewables"),
        ("renewable_absorbed", "#98df8a", "absorbed"),
        ("fleet_energy", "#d62728", "fleet's use"),
    )
    top = max(
        float(table[[k for k, _, _ in columns]].to_numpy().max()) if len(table) else 1.0, 1e-9
    )
    e = Canvas(
        560, 170, (0, span), (0, top * 1.05), margin=(68, 28, 160, 36), clip="clip-grid-energy"
    )
    for i, (column, colour, words) in enumerate(columns):
        e.polyline(table["step"] * hours_per_step, table[column], colour, 1.6)
        e.legend([(colour, words)], e.width - 152, 28 + 19 * i)  # each row after its curve
    e.axes("hour of the day", "kWh a step", ticks, nice_ticks(0, top, 4), clock, "{:.3g}")
    return c.markup(
        "dataspace-grid-power", "the fleet's power as a share of rated power"
    ) + e.markup("dataspace-grid-energy", "renewable supply and the fleet's energy use")
