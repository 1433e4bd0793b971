"""The pictures of docs/concepts.md and docs/extending.md, drawn from the model itself.

    python docs/figures/make_figures.py            # writes the PNGs beside this file
    python docs/figures/make_figures.py --out DIR  # somewhere else

Every picture comes from a run of the model (or from its equations and its structure) with
a fixed seed, so running the script again draws the same pictures. It takes about ten
seconds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib import colors
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from dataspace_abm import HolarchyModel
from dataspace_abm.core import equations as eq
from dataspace_abm.core.params import MODES
from dataspace_abm.core.structure import build_holarchy
from dataspace_abm.viz.data import landscape
from dataspace_abm.viz.figures import draw_holarchy

HERE = Path(__file__).resolve().parent
DPI = 100
SEED = 1
PAGE = {"n_organizations": 4, "organs_per_organization": 4, "cells_per_organ": 8}  # the page's
COLOURS = {"landscape": "tab:blue", "command": "tab:red", "flat": "tab:green"}
COLOURS["autonomous"] = "0.45"
STEPS = 100  # the steps the holarchy figure sums


def save(fig: Figure, path: Path) -> Path:
    """Write a PNG without the matplotlib version in it, so reruns change no bytes."""
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


def precision_wells(out: Path) -> Path:
    """A cell's two pulls: its organ's landscape and its niche, for two precisions."""
    h, eta, pi_h = -0.5, 1.0, 0.5  # a niche, the centre the organ draws, the niche's stiffness
    x = np.linspace(-1.5, 2.0, 400)[:, None]
    fig = Figure(figsize=(8.0, 3.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, pi in zip(axes, (1.0, 3.0), strict=True):
        # free energy with the observation equal to the belief: landscape and niche terms
        well = eq.free_energy(x, x, np.full_like(x, eta), 10.0, pi)
        niche = 0.5 * pi_h * eq.sqnorm(x - h)
        total = eq.free_energy(x, x, np.full_like(x, eta), 10.0, pi, np.full_like(x, h), pi_h)
        settled = (pi * eta + pi_h * h) / (pi + pi_h)
        ax.plot(x[:, 0], well, c="tab:blue", label="the organ's landscape ½π(x − η)²")
        ax.plot(x[:, 0], niche, c="tab:orange", label="the cell's niche ½π_h(x − h)², π_h = 0.5")
        ax.plot(x[:, 0], total, c="k", lw=2, label="their sum: what the cell descends")
        ax.axvline(h, c="tab:orange", ls=":", lw=1)
        ax.axvline(eta, c="tab:blue", ls=":", lw=1)
        ax.plot([settled], [np.interp(settled, x[:, 0], total)], "o", c="k", ms=7)
        ax.annotate(
            f"settles at x* = {settled:.2f}",
            (settled, np.interp(settled, x[:, 0], total)),
            (settled - 0.2, 2.6),
            arrowprops={"arrowstyle": "->"},
            fontsize=9,
            ha="center",
        )
        ax.set_ylim(0, 4)
        ax.set_xlabel("state x (one dimension)")
        ax.set_title(f"landscape precision π = {pi:g}", fontsize=10)
        ax.text(h, 3.75, " niche h", c="tab:orange", fontsize=9)
        ax.text(eta, 3.75, " centre η", c="tab:blue", fontsize=9)
    axes[0].set_ylabel("free energy (nats)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=8)
    return save(fig, out / "precision_wells.png")


def _draw_landscape(ax, model: HolarchyModel, view, bounds: tuple[float, float], title: str):
    xs = np.linspace(*bounds, 80)
    gx, gy = np.meshgrid(xs, xs)
    z = 0.5 * view.precision * ((gx - view.theta[0]) ** 2 + (gy - view.theta[1]) ** 2)
    levels = np.linspace(0, float(z.max()), 15)
    ax.contourf(xs, xs, z, levels=levels, cmap="GnBu_r", alpha=0.8)
    ax.contour(xs, xs, z, levels=levels, colors="k", linewidths=0.4)
    for niche, cell in zip(view.niches, view.children, strict=True):
        ax.plot(*np.c_[niche, cell], c="0.35", lw=0.7)
    ax.scatter(*view.niches.T, marker="x", s=25, c="0.25", lw=1, label="niches h")
    ax.scatter(*view.children.T, s=40, c="tab:orange", edgecolors="k", lw=0.5, label="cells x")
    ax.plot(*view.mean, "D", c="k", ms=7, label="cells' mean")
    ax.plot(*view.theta, "+", c="red", ms=18, mew=2.5, label="centre θ the organ draws")
    ax.plot(*model.target[:2], "*", c="gold", mec="k", ms=16, label="society's target T")
    ax.set_xlim(*bounds)
    ax.set_ylim(*bounds)
    ax.set_aspect("equal")
    ax.set_xlabel("state, dimension 1")
    ax.set_title(title, fontsize=10)


def landscape_shaping(out: Path) -> Path:
    """Organ 0's landscape at the start and after 400 steps (the page's first model, with
    a well: a tilt's contour lines are the niche's own, shifted)."""
    model = HolarchyModel(rng=SEED, landscape_parts="well", **PAGE)
    start = landscape(model, 1, 0)
    start.theta = start.theta.copy()  # a view onto the model's row: keep step 0's centre
    model.run(400)
    end = landscape(model, 1, 0)
    points = np.vstack([v for view in (start, end) for v in (view.children, view.niches)])
    points = np.vstack([points, start.theta, end.theta, model.target[:2]])
    bounds = (float(points.min()) - 0.3, float(points.max()) + 0.3)
    fig = Figure(figsize=(9.5, 4.4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    _draw_landscape(
        axes[0], model, start, bounds, "step 0: cells at their niches, well around them"
    )
    _draw_landscape(axes[1], model, end, bounds, "step 400: the organ has moved its well")
    axes[0].set_ylabel("state, dimension 2")
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return save(fig, out / "landscape_shaping.png")


def _tree(ax, model: HolarchyModel, loads: list[np.ndarray], norm, cmap) -> None:
    """The page's holarchy, coloured by load on a log scale, with each level's busiest."""
    shown = [np.maximum(load, 0.8) for load in loads]  # silent shows as ~1
    draw_holarchy(ax, model, shown, norm, cmap)
    for level, load in enumerate(loads):
        ax.text(1.03, level, f"busiest: {int(load.max())}", va="center", fontsize=8)
    ax.set_xlim(-0.02, 1.25)


def holarchies(out: Path) -> Path:
    """Who talks to whom: messages each holon handled over the first STEPS steps (landscape
    converging, command ordering), the holarchy coloured by load."""
    models, totals = {}, {}
    for mode in ("landscape", "command"):
        model = HolarchyModel(rng=SEED, mode=mode, **PAGE)
        total = [np.zeros(lv.n) for lv in model.state.levels]
        for _ in range(STEPS):
            model.step()
            for level, lv in enumerate(model.state.levels):
                total[level] += lv.load
        models[mode], totals[mode] = model, total
    top = max(int(load.max()) for total in totals.values() for load in total)
    norm, cmap = colors.LogNorm(0.8, top), "magma_r"
    fig = Figure(figsize=(10.0, 3.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, (mode, model) in zip(axes, models.items(), strict=True):
        _tree(ax, model, totals[mode], norm, cmap)
        ax.set_title(f"{mode}, steps 1 to {STEPS}", fontsize=10)
    fig.colorbar(ScalarMappable(norm, cmap), ax=axes, shrink=0.85, label="messages handled")
    fig.suptitle(
        f"128 cells: messages each holon sent, relayed and received in the first {STEPS}"
        " steps; orange links carried one in the last",
        fontsize=10,
    )
    return save(fig, out / "holarchy_load.png")


def _blanket(ax, x0, y0, w, h, colour, label, size=9):
    ax.add_patch(
        FancyBboxPatch(
            (x0, y0),
            w,
            h,
            boxstyle="round,pad=0.0,rounding_size=0.25",
            fc=colour,
            ec="k",
            lw=0.8,
            alpha=0.9,
        )
    )
    ax.text(x0 + 0.1, y0 + h - 0.1, label, fontsize=size, va="top")


def _arrow(ax, start, end, colour, text=None, offset=(0.05, 0.0)):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color=colour, lw=1.2)
    )
    if text:
        mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
        ax.text(*mid, text, fontsize=8, color=colour, va="center")


def markov_blankets(out: Path) -> Path:
    """Nested blankets drawn from a small holarchy: 2 organizations x 2 organs x 3 cells."""
    hol = build_holarchy(2, 2, 3)
    fig = Figure(figsize=(10.0, 3.9), layout="constrained")
    ax = fig.add_subplot()
    width_org, gap = 8.0, 0.5
    right = 2 * width_org + 3 * gap
    _blanket(ax, 0, 0, right, 7.2, "#f4f1e8", "society: the grid region, or the body")
    for k in range(hol.sizes[2]):
        ox = gap + k * (width_org + gap)
        _blanket(ax, ox, 0.4, width_org, 5.4, "#e3ecf7", f"organization {k}")
        _arrow(ax, (ox + 3.85, 5.85), (ox + 3.85, 6.55), "tab:orange")
        _arrow(ax, (ox + 4.15, 6.55), (ox + 4.15, 5.85), "tab:blue")
        organs = hol.children(2, k)
        for j, organ in enumerate(range(organs.start, organs.stop)):
            gx = ox + 0.4 + j * 3.8
            _blanket(ax, gx, 0.8, 3.4, 3.0, "#e6f4e3", f"organ {organ}", size=8)
            _arrow(ax, (gx + 1.55, 3.85), (gx + 1.55, 4.95), "tab:orange")
            _arrow(ax, (gx + 1.85, 4.95), (gx + 1.85, 3.85), "tab:blue")
            cells = hol.children(1, organ)
            for i in range(cells.stop - cells.start):
                cx = gx + 0.6 + i * 1.1
                ax.add_patch(FancyBboxPatch((cx - 0.35, 1.05), 0.7, 0.8, fc="#fde3c8", ec="k"))
                ax.text(cx, 1.45, "cell", fontsize=7, ha="center", va="center")
                _arrow(ax, (cx - 0.15, 1.9), (cx - 0.15, 3.05), "tab:orange")
                _arrow(ax, (cx + 0.15, 3.05), (cx + 0.15, 1.9), "tab:blue")
    ax.text(
        right + 0.4,
        3.6,
        "Each box is a Markov blanket:\nwhat is inside sees the outside\n"
        "only through the messages\nthat cross its edge, one level\nat a time. "
        "A parent never sees\na cell, only its organs' reports.",
        fontsize=8.5,
        va="center",
    )
    ax.text(right + 0.4, 0.9, "reports of x go up", color="tab:orange", fontsize=8.5)
    ax.text(right + 0.4, 0.3, "landscapes (η, π) come down", color="tab:blue", fontsize=8.5)
    ax.set_xlim(-0.2, right + 5.6)
    ax.set_ylim(-0.2, 7.4)
    ax.set_aspect("equal")
    ax.axis("off")
    return save(fig, out / "markov_blankets.png")


def regimes_over_time(out: Path) -> Path:
    """The four regimes on the default configuration: tracking error and bits over time."""
    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    err, bits = fig.subplots(1, 2)
    for mode in MODES:
        table = HolarchyModel(rng=SEED, mode=mode).run(600)
        err.plot(table.step, table.tracking_error, c=COLOURS[mode], label=mode, lw=1)
        bits.plot(table.step, table.bits_cumulative, c=COLOURS[mode], label=mode)
    err.set_yscale("log")
    err.set_ylabel("tracking error |mean x − T|")
    err.set_title("how far the cells' mean is from the target", fontsize=10)
    bits.set_ylabel("bits sent so far")
    bits.set_title("what it took to get there", fontsize=10)
    for ax in (err, bits):
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    bits.legend(fontsize=8, frameon=False)
    fig.suptitle("512 cells (8 x 8 x 8), seed 1, 600 steps", fontsize=10)
    return save(fig, out / "regimes_over_time.png")


def _fleet_by_kind(gpu_cost: float, steps: int) -> dict[str, np.ndarray]:
    """Per step: the target, hyperscale training and edge inference power, edge demand."""
    model = HolarchyModel(rng=SEED, scenario="ai_grid", gpu_cost=gpu_cost, day_ahead="on")
    env, cells = model.environment, model.state.levels[0]
    edge = env.edge[model.holarchy.parent[0]]
    training, inference = ~env.inference & ~edge, env.inference & edge
    rows = []
    for _ in range(steps):
        model.step()
        x, h = cells.x[:, 0], model.state.h[:, 0]
        rows.append((model.target[0], x[training].mean(), x[inference].mean(), h[inference].mean()))
    hours = np.arange(1, steps + 1) * env.hours
    target, train, infer, demand = np.array(rows).T
    return {
        "hours": hours,
        "target": target,
        "training": train,
        "inference": infer,
        "demand": demand,
    }


def city_and_countryside(out: Path) -> Path:
    """AI on a grid: training in hyperscale data centres, inference at the edge, two days."""
    steps = 2 * 96
    cheap, today = _fleet_by_kind(0.02, steps), _fleet_by_kind(2.5, steps)
    fig = Figure(figsize=(9.0, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    hours = cheap["hours"]
    top.fill_between(
        hours,
        0,
        cheap["target"],
        color="gold",
        alpha=0.35,
        label="T(t): the day-ahead plan for the fleet (cheap GPUs)",
    )
    top.plot(
        hours, cheap["training"], c="tab:green", lw=1.8, label="training, cheap GPUs (0.02 USD/h)"
    )
    top.plot(
        hours, today["training"], c="tab:purple", lw=1.8, label="training, today's GPUs (2.5 USD/h)"
    )
    top.set_title(
        "the city: training in hyperscale data centres follows the surplus (global layer)",
        fontsize=10,
    )
    bottom.plot(hours, cheap["demand"], c="k", ls="--", lw=1.2, label="users' demand")
    bottom.plot(
        hours, cheap["inference"], c="tab:blue", lw=1.8, label="inference servers at the edge"
    )
    bottom.fill_between(hours, 0, cheap["target"], color="gold", alpha=0.35)
    bottom.set_title(
        "the countryside: inference at the edge follows its users (local layer)", fontsize=10
    )
    for ax in (top, bottom):
        ax.set_ylabel("power / rated power")
        ax.set_ylim(0, 1.05)
        ax.set_xticks(np.arange(0, 49, 6))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    bottom.set_xlabel("hour (two days of 15-minute steps; 512 servers, seed 1)")
    return save(fig, out / "city_and_countryside.png")


def architecture(out: Path) -> Path:
    """The package's folders, what each holds and what flows between them (README, extending)."""
    w = 3.9
    boxes = {
        "top": (5.05, 6.6, 1.1, "#f6e6f0", "dataspace_abm/\ncli.py: run, viz, bench; benchmark.py"),
        "viz": (0.0, 3.9, 1.8, "#f4f1e8",
                "viz/\napp: Mesa SolaraViz page\nmodel: controls, refusals\ncomponents, "
                "data, figures\nserve: offline server"),
        "batch": (10.1, 3.9, 1.8, "#f4f1e8",
                  "batch/\nspec (TOML), designs (SALib)\nrunner (pool or Dask), store\n"
                  "derived, figures, sensitivity\nreport, cli (experiment)"),
        "scenarios": (0.0, 0.0, 1.8, "#f4f1e8",
                      "scenarios/\nregistry: environment, parameters,\npresets, columns, "
                      "checks\ndefault: target pattern, niches\nai_grid/: GPU servers on a grid"),
        "core": (5.05, 0.0, 2.6, "#dbe9f6",
                 "core/\nparams, parameter: every parameter, checked\nstructure: levels, "
                 "parents, graphs\nstate: per-level arrays\nagents: Cell ... Society, views "
                 "onto rows\nmodel: HolarchyModel (mesa.Model)\nmetrics: the per-step table\n"
                 "equations: pure functions"),
        "regimes": (10.1, 0.0, 1.8, "#e6f4e3",
                    "regimes/\nbase: Gains, StepInputs, shared phases\nlandscape (+ compiled "
                    "kernels)\ncommand, flat, autonomous:\neach owns its arrays and draws"),
    }  # fmt: skip
    fig = Figure(figsize=(10.5, 5.4), layout="constrained")
    ax = fig.add_subplot()
    for x, y, height, colour, text in boxes.values():
        ax.add_patch(
            FancyBboxPatch((x, y), w, height, boxstyle="round,pad=0.05", fc=colour, ec="k")
        )
        title, _, rest = text.partition("\n")
        ax.text(x + 0.12, y + height - 0.12, title, ha="left", va="top", fontsize=9, weight="bold")
        ax.text(x + 0.12, y + height - 0.45, rest, ha="left", va="top", fontsize=7.5)

    def anchor(key, side):
        x, y, height, _, _ = boxes[key]
        return {
            "top": (x + w / 2, y + height + 0.08),
            "bottom": (x + w / 2, y - 0.08),
            "left": (x - 0.08, y + height / 2),
            "right": (x + w + 0.08, y + height / 2),
            "top left": (x + 0.5, y + height + 0.08),
            "top right": (x + w - 0.5, y + height + 0.08),
        }[side]

    def link(a, side_a, b, side_b, text, offset=(0.0, 0.0)):
        s, e = np.array(anchor(a, side_a)), np.array(anchor(b, side_b))
        ax.add_patch(FancyArrowPatch(s, e, arrowstyle="-|>", mutation_scale=12, lw=1))
        box = {"fc": "white", "ec": "none", "pad": 1.0}
        ax.text(*((s + e) / 2 + offset), text, fontsize=7, ha="center", va="center", bbox=box)

    link("top", "bottom", "core", "top", "run")
    link("top", "left", "viz", "top", "viz")
    link("top", "right", "batch", "top", "experiment,\nsensitivity")
    link("viz", "bottom", "core", "top left", "VizModel; views\nof the state")
    link("batch", "bottom", "core", "top right", "HolarchyModel(**params)\nper run")
    link("scenarios", "right", "core", "left", "T(t), h(t),\nmeasures", (0.0, 0.45))
    link("core", "right", "regimes", "left", "StepInputs:\nstep, send", (0.0, 0.45))
    ax.set_xlim(-0.2, 14.2)
    ax.set_ylim(-0.2, 7.9)
    ax.axis("off")
    return save(fig, out / "architecture.png")


FIGURES: tuple[Callable[[Path], Path], ...] = (
    precision_wells,
    landscape_shaping,
    holarchies,
    markov_blankets,
    regimes_over_time,
    city_and_countryside,
    architecture,
)


def make_figures(out: Path = HERE) -> list[Path]:
    """Draw every figure into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    return [draw(out) for draw in FIGURES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNGs")
    args = parser.parse_args(argv)
    for path in make_figures(args.out):
        print(f"{path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
