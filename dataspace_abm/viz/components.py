"""The page's components: landscape, holarchy, time series and a summary card.

Each takes the model, redraws after every step (Mesa's ``update_counter``) and carries a
CSS class (``dataspace-...``) so that a browser test can find it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import solara
from mesa.visualization.utils import update_counter

from ..core.structure import LEVELS
from .data import landscape, summary
from .figures import COLOUR_BY, holarchy_figure, landscape_figure, timeseries_figure, to_png

if TYPE_CHECKING:
    from ..core.model import HolarchyModel

BOX = {"max-height": "390px", "overflow-y": "auto", "width": "100%", "padding-left": "4px"}
IMAGE_WIDTH = "min(100%, 544px)"  # the figures' own size (vizfigures.SIZE) at most
PARENTS = {name: level for level, name in enumerate(LEVELS) if level > 0}


def _landscape_png(model: HolarchyModel, level: int, row: int) -> tuple[bytes, str]:
    view = landscape(model, level, row)
    name = LEVELS[level]
    title = f"the {name} {row}'s landscape for its {LEVELS[level - 1]}s, step {model.steps}"
    mean = f"children's mean ({view.mean[0]:.3f}, {view.mean[1]:.3f})"
    if view.tilt is not None:
        b = view.tilt
        caption = f"{name} {row}, step {model.steps}: price b ({b[0]:.3g}, {b[1]:.3g}), {mean}"
    else:
        caption = (
            f"{name} {row}, step {model.steps}: centre ({view.theta[0]:.3f},"
            f" {view.theta[1]:.3f}), {mean}, precision {view.precision:.3g}"
        )
    if model.p["mode"] != "landscape":
        caption += f". In the {model.p['mode']} regime no parent moves its landscape."
    return to_png(landscape_figure(view, title)), caption


@solara.component
def LandscapeView(model: HolarchyModel) -> None:
    """Contour map of a chosen holon's landscape, with its children as dots."""
    update_counter.get()
    level_name, set_level_name = solara.use_state("organ")
    row, set_row = solara.use_state(0)
    level = PARENTS[level_name]
    n = model.holarchy.sizes[level]
    row = min(row, n - 1)
    png, caption = solara.use_memo(
        lambda: _landscape_png(model, level, row), [model, model.steps, level, row]
    )
    with solara.Column(classes=["dataspace-landscape"], style=BOX, gap="4px"):
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.ToggleButtonsSingle(
                value=level_name, values=list(PARENTS), on_value=set_level_name, dense=True
            )
            if n > 1:
                solara.SliderInt("index", value=row, min=0, max=n - 1, on_value=set_row)
        solara.Image(png, width=IMAGE_WIDTH, classes=["dataspace-landscape-image"])
        solara.Text(caption, classes=["dataspace-landscape-caption"], style={"font-size": "85%"})


@solara.component
def HolarchyView(model: HolarchyModel) -> None:
    """The nested structure as a tree coloured by free energy or load; used links lit."""
    update_counter.get()
    colour_by, set_colour_by = solara.use_state(COLOUR_BY[0])
    png = solara.use_memo(
        lambda: to_png(holarchy_figure(model, colour_by)), [model, model.steps, colour_by]
    )
    with solara.Column(classes=["dataspace-holarchy"], style=BOX, gap="4px"):
        solara.ToggleButtonsSingle(
            value=colour_by, values=list(COLOUR_BY), on_value=set_colour_by, dense=True
        )
        solara.Image(png, width=IMAGE_WIDTH)


@solara.component
def TimeSeriesView(model: HolarchyModel) -> None:
    """Tracking and niche error, energy by kind and bits per layer over the run."""
    update_counter.get()
    png = solara.use_memo(lambda: to_png(timeseries_figure(model.table)), [model, model.steps])
    with solara.Column(classes=["dataspace-timeseries"], style=BOX):
        solara.Image(png, width=IMAGE_WIDTH)


def _row(label: str, value: str, key: str) -> None:
    with solara.Row(justify="space-between", classes=[f"dataspace-{key}"]):
        solara.Text(label)
        solara.Text(value, style={"font-weight": "bold"})


@solara.component
def SummaryCard(model: HolarchyModel, error: solara.Reactive | None = None) -> None:
    """Cumulative energy, bits, peak node load and the Landauer floor; a refusal's message."""
    update_counter.get()
    s: dict[str, Any] = summary(model)
    with solara.Column(classes=["dataspace-summary"], style=BOX, gap="2px"):
        if error is not None and error.value:
            solara.Error(error.value, classes=["dataspace-error"])
        _row("regime", s["mode"], "mode")
        _row("step", str(s["step"]), "step")
        _row("living cells", str(s["cells"]), "cells")
        _row("tracking error", f"{s['tracking_error']:.4g}", "tracking")
        _row("niche error", f"{s['niche_error']:.4g}", "niche")
        _row("energy, cumulative", f"{s['energy_cumulative']:.4g} J", "energy")
        _row("bits, cumulative", f"{s['bits_cumulative']:.4g}", "bits")
        _row("peak node load", str(s["peak_node_load"]), "load")
        _row("Landauer floor, cumulative", f"{s['landauer_floor_cumulative']:.3g} J", "landauer")
        solara.Text(s["settings"], classes=["dataspace-settings"], style={"font-size": "85%"})


def page_components(error: solara.Reactive | None = None) -> list[tuple[Any, int]]:
    """The components for SolaraViz, all on its first page."""
    return [
        (LandscapeView, 0),
        (partial(SummaryCard, error=error), 0),
        (HolarchyView, 0),
        (TimeSeriesView, 0),
    ]
