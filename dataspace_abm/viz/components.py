"""The page's views: landscape, holarchy, time series, the summary card and the grid card.

Each view is a :func:`Live` block of HTML (SVG made by :mod:`views`) that registers how to
draw itself in the tab's :class:`Screen`. A frame sets the new markup straight on those
widgets: one Solara render pass walks the whole page and costs 50-70 ms at the default
settings, a frame drawn this way only the views' own few milliseconds. Solara renders
again only when the page's structure changes (a choice in a view, Reset). Every block
carries a CSS class (``dataspace-...``) for the browser test. A PNG download is the SVG
the view shows, rendered on the server (:mod:`png`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import solara
from solara.widgets import HTML as HTMLWidget

from ..core.structure import LEVELS
from . import views
from .data import PARTS, grid_summary, summary
from .model import MODELS
from .png import to_png
from .serve import session_count
from .session import Session

PARENTS = {name: level for level, name in enumerate(LEVELS) if level > 0}
CARD = {"width": "100%", "padding": "4px 8px"}
# Solara's sidebar is at least 400 px wide: at 1280x720 the views got two columns of
# 430 px and 8-11 px text. 320 px holds every control and gives the views 480 px each.
SIDEBAR = (
    ".v-navigation-drawer.solara-content-main"
    " { min-width: 320px !important; max-width: 320px !important; }"
)
ROW = "display:flex;justify-content:space-between;font-size:16px;line-height:1.6"


def _div(cls: str, style: str, inner: str) -> str:
    """A ``<div>`` of class ``cls`` and CSS ``style`` round ``inner`` (markup, not escaped)."""
    return f'<div class="{cls}" style="{style}">{inner}</div>'


@dataclass(eq=False)
class Screen:
    """A tab's live views: name -> (its widget, its element, how to draw it)."""

    live: dict[str, tuple[Any, Any, Callable[[], str]]] = field(default_factory=dict)

    def draw(self) -> None:
        """Draw every live view anew, straight onto its widget.

        The element's own record is updated too: a later render pass elsewhere on the page
        sets every widget from its element again, and would put an old frame back.
        """
        for widget, element, make in list(self.live.values()):
            markup = make()
            element.kwargs["unsafe_innerHTML"] = markup
            if widget.unsafe_innerHTML != markup:
                widget.unsafe_innerHTML = markup


@solara.component
def Live(screen: Screen, name: str, make: Callable[[], str], cls: str) -> None:
    """An HTML block drawn by ``make`` now and at every frame of ``screen``."""
    attributes = {"class": cls, "style": "width:100%"}
    element = HTMLWidget.element(tag="div", unsafe_innerHTML=make(), attributes=attributes)

    def register() -> Callable[[], None]:
        widget = solara.get_widget(element)
        screen.live[name] = (widget, element, make)

        def forget() -> None:  # only its own entry: a remounted view may have registered
            if screen.live.get(name, (None,))[0] is widget:
                del screen.live[name]

        return forget

    solara.use_effect(register)  # after every render: ``make`` holds the view's choices


@solara.component
def LandscapeView(session: Session, screen: Screen, run: int = 0) -> None:
    """A chosen holon's landscape on its run's fixed frame: the contour bands of fixed
    potential values, a colour bar, the target, the children with their trails."""
    level_name, set_level_name = solara.use_state("organ")
    row, set_row = solara.use_state(0)
    parts, set_parts = solara.use_state(PARTS[0])
    model, level = session.model, PARENTS[level_name]
    n = model.holarchy.sizes[level]
    row = min(row, n - 1)

    def make() -> str:
        markup, caption = views.landscape_svg(session, level, row, parts)
        return markup + _div("dataspace-landscape-caption", "font-size:14px", escape(caption))

    def png() -> bytes:
        return to_png(views.landscape_svg(session, level, row, parts)[0])

    with solara.Column(classes=["dataspace-landscape"], style=CARD, gap="2px"):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.ToggleButtonsSingle(
                level_name, list(PARENTS), on_value=set_level_name, dense=True
            )
            if n > 1:
                solara.InputInt(
                    f"index (0-{n - 1})",
                    row,
                    on_value=lambda r: set_row(max(0, min(n - 1, r))),
                    classes=["dataspace-index"],
                    style={"max-width": "110px"},
                    continuous_update=True,
                )
            if level == 1:
                solara.Select(
                    "show",
                    list(PARTS),
                    parts,
                    on_value=set_parts,
                    dense=True,
                    style={"max-width": "190px"},
                )
        Live(screen, "landscape", make, "dataspace-landscape-image")
        solara.FileDownload(
            png, filename="landscape.png", label="Landscape (PNG)", mime_type="image/png"
        )


@solara.component
def HolarchyView(session: Session, screen: Screen, run: int = 0) -> None:
    """The nested structure coloured by free energy or load; links lit by message rate."""
    colour_by, set_colour_by = solara.use_state(views.COLOUR_BY[0])
    lit_above, set_lit_above = solara.use_state(0.5)
    with solara.Column(classes=["dataspace-holarchy"], style=CARD, gap="2px"):
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.ToggleButtonsSingle(
                colour_by, list(views.COLOUR_BY), on_value=set_colour_by, dense=True
            )
            solara.InputFloat(
                "links lit above (messages a step)",
                lit_above,
                on_value=lambda v: set_lit_above(max(0.0, float(v))),
                style={"max-width": "230px"},
            )
        Live(
            screen,
            "holarchy",
            lambda: views.holarchy_svg(session, colour_by, lit_above),
            "dataspace-holarchy-image",
        )
        solara.FileDownload(
            lambda: to_png(views.holarchy_svg(session, colour_by, lit_above)),
            filename="holarchy.png",
            label="Holarchy (PNG)",
            mime_type="image/png",
        )


@solara.component
def TimeSeriesView(session: Session, screen: Screen, run: int = 0) -> None:
    """Errors, energy by kind and bits by direction; the kept run dashed beside them."""
    with solara.Column(classes=["dataspace-timeseries"], style=CARD, gap="2px"):
        Live(
            screen,
            "timeseries",
            lambda: views.timeseries_svg(session),
            "dataspace-timeseries-image",
        )
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            solara.FileDownload(
                lambda: session.table.to_csv(index=False),
                filename="run.csv",
                label="Time series (CSV)",
                mime_type="text/csv",
            )
            solara.FileDownload(
                lambda: to_png(views.timeseries_svg(session)),
                filename="timeseries.png",
                label="Time series (PNG)",
                mime_type="image/png",
            )


def _number(value: float, unit: str = "", digits: int = 4) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}g}{unit}"


def summary_html(session: Session) -> str:
    """The summary card's rows: label and value in two spans of a ``dataspace-KEY`` row."""
    s: dict[str, Any] = summary(session.model, session.table)
    rows = [
        ("regime", s["mode"], "mode"),
        ("step", str(s["step"]), "step"),
        ("living cells", str(s["cells"]), "cells"),
        ("tracking error", _number(s["tracking_error"]), "tracking"),
        ("niche error", _number(s["niche_error"]), "niche"),
        ("optimality gap", _number(s["optimality_gap"]), "gap"),
        ("energy, cumulative", _number(s["energy_cumulative"], " J"), "energy"),
        ("bits, cumulative", _number(s["bits_cumulative"]), "bits"),
        ("peak node load", str(s["peak_node_load"]), "load"),
        (
            "Landauer floor, cumulative",
            _number(s["landauer_floor_cumulative"], " J", 3),
            "landauer",
        ),
    ]
    if session.model.p["scenario"] == "ai_grid":
        rows += [
            (label, value, key)
            for label, (value, key) in grid_summary(session.model, session.table).items()
        ]
    html = "".join(
        _div(
            f"dataspace-{key}",
            ROW,
            f'<span>{escape(label)}</span><span style="font-weight:bold">{escape(value)}</span>',
        )
        for label, value, key in rows
    )
    if s["cells"] == 0:
        no_cells = "No living cells: the errors are not defined."
        html += _div("dataspace-no-cells", "color:#b00", no_cells)
    html += _div("dataspace-settings", "font-size:13px;margin-top:6px", escape(s["settings"]))
    sessions = f"sessions on this server: {session_count()}; models in memory: {len(MODELS)}"
    return html + _div("dataspace-sessions", "font-size:12px;color:#555", sessions)


@solara.component
def SummaryCard(session: Session, screen: Screen, error: str = "", run: int = 0) -> None:
    """The run so far: errors, cumulative energy and bits, peak load, the Landauer floor;
    ai_grid's measures; the settings line; a refusal's message."""
    with solara.Column(classes=["dataspace-summary"], style=CARD, gap="2px"):
        Live(screen, "summary", lambda: summary_html(session), "dataspace-summary-rows")
        with solara.Div():  # below the rows, so that they keep their widget
            if error:
                solara.Error(error, classes=["dataspace-error"])


@solara.component
def GridView(session: Session, screen: Screen, run: int = 0) -> None:
    """ai_grid in its own units: power as a share of rated power over the hours of the day,
    the renewable supply and what the fleet absorbed of it."""
    with solara.Column(classes=["dataspace-grid"], style=CARD, gap="2px"):
        Live(screen, "grid", lambda: views.grid_svg(session), "dataspace-grid-image")
        solara.FileDownload(
            lambda: to_png(views.grid_svg(session)),
            filename="grid.png",
            label="Grid (PNG)",
            mime_type="image/png",
        )


@solara.component
def Views(session: Session, screen: Screen, run: int, error: str = "") -> None:
    """Every view; rendered by Solara when ``run`` (a new model) or ``error`` changes."""
    grid = "display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:8px"
    with solara.Div(style=grid, classes=["dataspace-views"]):
        LandscapeView(session, screen, run)  # the two pictures first: row one on a laptop
        HolarchyView(session, screen, run)
        SummaryCard(session, screen, error, run)
        TimeSeriesView(session, screen, run)
        if session.model.p["scenario"] == "ai_grid":
            GridView(session, screen, run)
