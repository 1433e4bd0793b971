"""The browser page without a browser: its numbers, its figures and its components.

Components render with ``solara.render`` inside Solara's ``AppLayout`` (as the server
wraps a page), and are driven through their widgets: buttons clicked, selects set.
"""

import re
import socket
from html import escape

import ipyvuetify as v
import ipywidgets
import mesa
import numpy as np
import pytest
import solara
from matplotlib.figure import Figure

from dataspace_abm import HolarchyModel, ParameterError
from dataspace_abm.cli import main
from dataspace_abm.core import params as P
from dataspace_abm.core.equations import landauer_floor
from dataspace_abm.core.metrics import holon_free_energy
from dataspace_abm.viz import data as D
from dataspace_abm.viz import figures as F
from dataspace_abm.viz import serve as vizserve
from dataspace_abm.viz import views as V
from dataspace_abm.viz.app import Page
from dataspace_abm.viz.components import (
    GridView,
    HolarchyView,
    LandscapeView,
    Screen,
    SummaryCard,
    TimeSeriesView,
    summary_html,
)
from dataspace_abm.viz.controls import changed
from dataspace_abm.viz.model import CONTROLS, VizModel, initial_values
from dataspace_abm.viz.presets import presets
from dataspace_abm.viz.session import TRAIL, Session

SMALL = {"n_organizations": 2, "organs_per_organization": 3, "cells_per_organ": 4}
PNG = b"\x89PNG\r\n\x1a\n"


def small(mode="landscape", steps=5, **kw):
    model = HolarchyModel(rng=3, mode=mode, **{**SMALL, "flat_degree": 2, **kw})
    model.run(steps)
    return model


# --- numbers -------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_landscape_is_the_parents_potential_around_its_centre(level):
    model = small(gain=0.5, steps=8, landscape_parts="well")
    lv = model.state.levels[level]
    view = D.landscape(model, level, 0, resolution=41)
    gx, gy = np.meshgrid(view.xs, view.ys)
    expected = 0.5 * lv.pi_child[0] * ((gx - lv.theta[0, 0]) ** 2 + (gy - lv.theta[0, 1]) ** 2)
    np.testing.assert_allclose(view.z, expected)
    kids = model.holarchy.children(level, 0)
    np.testing.assert_array_equal(view.children, model.state.levels[level - 1].x[kids])
    np.testing.assert_allclose(view.mean, view.children.mean(axis=0))
    assert (view.niches is not None) == (level == 1)
    # the centre and every child lie inside the drawn square
    for pt in (view.theta, *view.children):
        assert view.xs[0] <= pt[0] <= view.xs[-1] and view.ys[0] <= pt[1] <= view.ys[-1]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_a_tilt_is_drawn_as_parallel_lines_falling_along_the_price(level):
    """Under the tilt a parent draws no well: z = -b . (y - mean), b the price it sends."""
    model = small(steps=30)
    b = model.state.levels[level].tilt_child[0]
    view = D.landscape(model, level, 0, resolution=41)
    np.testing.assert_array_equal(view.tilt, b)
    gx, gy = np.meshgrid(view.xs, view.ys)
    expected = -(b[0] * (gx - view.mean[0]) + b[1] * (gy - view.mean[1]))
    np.testing.assert_allclose(view.z, expected)
    assert np.abs(b).max() > 0  # the price has moved by step 30
    png = F.to_png(F.landscape_figure(view, "tilt"))
    assert png.startswith(PNG)


def test_landscape_leaves_out_removed_children_and_draws_the_first_two_dims():
    model = small(d=3, remove_at=2, remove_fraction=0.5)
    view = D.landscape(model, 1, 0)
    alive = model.state.levels[0].alive[model.holarchy.children(1, 0)]
    assert view.children.shape == (alive.sum(), 2)
    assert D.landscape(small(d=1), 1, 0).children.shape[1] == 2
    with pytest.raises(ValueError, match="level 0"):
        D.landscape(model, 0, 0)


@pytest.mark.parametrize(
    ("mode", "scope"), [*((m, "society") for m in P.MODES), *(("landscape", s) for s in P.SCOPES)]
)
def test_free_energy_per_holon_matches_the_level_means_in_the_table(mode, scope):
    model = small(mode, coordination_scope=scope)
    for level, name in enumerate(("cell", "organ", "organization", "society")):
        f = holon_free_energy(model, level)
        alive = model.state.levels[level].alive
        assert f.shape == (model.holarchy.sizes[level],) and np.all(f >= 0)
        assert np.mean(f[alive]) == pytest.approx(model.metrics[f"free_energy_{name}"])


def test_links_light_up_only_where_both_ends_exchanged_messages():
    landscape = small("landscape", steps=1)
    assert any(D.active_links(landscape, level).any() for level in range(3))
    flat = small("flat", steps=3)
    assert flat.metrics["bits_lateral"] > 0
    assert not any(D.active_links(flat, level).any() for level in range(3))
    assert not any(D.active_links(small("autonomous"), level).any() for level in range(3))


def test_summary_adds_up_the_run():
    model = small(steps=12)
    s, table = D.summary(model), model.table
    assert s["step"] == 12 and s["mode"] == "landscape"
    assert s["energy_cumulative"] == pytest.approx(table["energy_total"].sum())
    assert s["bits_cumulative"] == pytest.approx(table["bits_total"].sum())
    assert s["peak_node_load"] == table["peak_node_load"].max()
    floor = landauer_floor(table["bits_total"].sum(), model.p["temperature"])
    assert s["landauer_floor_cumulative"] == pytest.approx(floor)
    assert "24 cells" in s["settings"] and "seed 3" in s["settings"]


# --- figures -------------------------------------------------------------------------
@pytest.mark.parametrize("mode", P.MODES)
def test_figures_draw_for_every_regime(mode):
    model = small(mode)
    figures = [
        F.landscape_figure(D.landscape(model, 2, 1), "t"),
        F.holarchy_figure(model, "free energy"),
        F.holarchy_figure(model, "load"),
        F.timeseries_figure(model.table),
    ]
    for fig in figures:
        assert isinstance(fig, Figure) and F.to_png(fig).startswith(PNG)
    with pytest.raises(ValueError, match="colour_by"):
        F.holarchy_figure(model, "colour")


# --- the controls and the model behind them ------------------------------------------
def test_every_control_is_a_valid_model_parameter_within_its_range():
    for name, spec in CONTROLS.items():
        if name in ("scenario_name", "seed"):
            continue
        P.check_value(name, spec["value"])
        if "min" in spec:
            P.check_value(name, spec["min"])
            P.check_value(name, spec["max"])
        else:
            assert set(spec["values"]) <= set(P.PARAMETERS[name].choices)
    n = [CONTROLS[k]["max"] for k in P.STRUCTURE_KEYS]
    assert n[0] * n[1] * n[2] <= 1024  # sizes stay small enough to draw smoothly


def test_the_page_builds_the_model_from_the_controls():
    """The seed arrives as text; the scenario select picks the scenario."""
    values = {**initial_values(), "mode": "command", "seed": " 7 "}
    model = VizModel(**values)
    assert isinstance(model, VizModel) and isinstance(model, mesa.Model)
    assert model.p["mode"] == "command" and model._seed == 7
    assert model.holarchy.sizes[0] == 4 * 4 * 8
    again = VizModel(**{**values, "seed": 7})
    again.run(3)
    model.run(3)
    assert again.table.equals(model.table)  # the seed is the seed


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"seed": "abc"}, "seed"),
        ({"mode": "flat", "n_organizations": 1, "organs_per_organization": 1}, "at least 3 cells"),
        ({"scenario_name": "grid"}, "scenario_name"),
    ],
)
def test_a_refused_set_names_the_parameter(change, needle):
    with pytest.raises(ParameterError, match=needle):
        VizModel(**{**initial_values(), "cells_per_organ": 2, **change})


def test_changed_names_the_controls_the_running_model_does_not_have():
    applied = initial_values()
    assert changed(applied, applied) == []
    draft = {**applied, "pi_prior": 3.0, "seed": "2"}
    assert changed(draft, applied) == ["Landscape precision π", "Seed"]


def test_presets_are_the_guides_page_runs_with_every_control_set():
    found = presets()
    assert {"Exercise 1, run A", "Exercise 2, run B", "Exercise 3, run B"} <= set(found)
    values, steps = found["Exercise 2, run B"]
    assert steps == 400 and set(values) == set(CONTROLS)
    assert values["landscape_parts"] == "well" and values["pi_prior"] == 3.0
    assert {k: v for k, v in values.items() if k not in ("landscape_parts", "pi_prior")} == {
        k: v for k, v in initial_values().items() if k not in ("landscape_parts", "pi_prior")
    }


# --- the live views ------------------------------------------------------------------
def session_of(steps=5, **kw):
    session = Session(VizModel(**{**initial_values(), **kw}))
    session.step(steps)
    return session


def radii(markup):
    return [
        float(r)
        for r in re.findall(r'class="dataspace-contour" cx="[^"]+" cy="[^"]+" r="([^"]+)"', markup)
    ]


def bar_labels(markup):
    return re.findall(r">(-?[0-9.e+-]+)</text>", markup.split("potential")[0][-4000:])


def test_the_landscapes_frame_and_levels_are_fixed_for_the_run():
    session = session_of(5, landscape_parts="well", gain=0.0)
    first, markup = session.frame(1, 0), V.landscape_svg(session, 1, 0)[0]
    session.step(60)
    assert session.frame(1, 0) is first  # the same axes and spacing
    later = V.landscape_svg(session, 1, 0)[0]
    assert radii(later) == radii(markup) and len(radii(markup)) == first.bands
    # the circle of level k is where the well 1/2 pi r^2 reaches k * spacing
    pi = session.model.state.levels[1].pi_child[0]
    kx = V.landscape_canvas(first, 1).scale()[0]
    for k, r in enumerate(sorted(radii(later)), start=1):
        assert 0.5 * pi * (r / kx) ** 2 == pytest.approx(k * first.spacing, rel=1e-2)
    session.replace(VizModel(**{**initial_values(), "landscape_parts": "well"}))
    assert session.frames == {}  # a new run draws on its own frame


def test_a_steeper_well_draws_the_same_levels_closer():
    flat = session_of(1, landscape_parts="well", pi_prior=1.0)
    steep = session_of(1, landscape_parts="well", pi_prior=3.0)
    assert flat.frame(1, 0) == steep.frame(1, 0)
    ratio = np.array(radii(V.landscape_svg(flat, 1, 0)[0])) / radii(V.landscape_svg(steep, 1, 0)[0])
    np.testing.assert_allclose(ratio, np.sqrt(3), rtol=0.02)  # r_k = sqrt(2 k spacing / pi)


def test_a_tilts_lines_are_parallel_and_spaced_by_the_price():
    session = session_of(60)
    view = D.landscape(session.model, 1, 0)
    fr = session.frame(1, 0)
    shape = D.contours(session.model, view, fr, D.PARTS[0])
    assert shape.kind == "tilt"
    offsets, ks = shape.offsets(fr, 2.0)
    centre = shape.centre
    u = view.tilt / np.hypot(*view.tilt)
    for off, k in zip(offsets, ks, strict=True):  # on line k the potential -b.(y-c) = k spacing
        y = centre + off * u
        assert -view.tilt @ (y - centre) == pytest.approx(k * fr.spacing)
    assert np.all(np.diff(np.sort(offsets)) == pytest.approx(fr.spacing / np.hypot(*view.tilt)))


@pytest.mark.parametrize("parts", ["well", "tilt"])
def test_a_cells_whole_landscape_is_a_well_round_its_fixed_point(parts):
    """F = 1/2 pi |y - eta|^2 - b.y + 1/2 pi_h |y - h|^2 has its bottom at the fixed point."""
    session = session_of(30, landscape_parts=parts)
    model, view = session.model, D.landscape(session.model, 1, 2)
    shape = D.contours(model, view, session.frame(1, 2), D.PARTS[1])
    cell = int(np.flatnonzero(model.holarchy.parent[0] == 2)[0])
    h, pi_h = model.state.h[cell], model.state.pi_h[cell]
    if parts == "tilt":
        expected, precision = h + view.tilt / pi_h, pi_h
    else:
        pi, eta = view.precision, view.theta
        expected, precision = (pi * eta + pi_h * h) / (pi + pi_h), pi + pi_h
    np.testing.assert_allclose(shape.centre, expected)
    assert shape.kind == "well" and shape.precision == pytest.approx(precision)


def test_the_landscape_shows_target_trails_and_marks_a_removed_holon():
    session = session_of(8, remove_at=3, remove_level="organ", remove_fraction=0.5)
    alive = session.model.state.levels[1].alive
    markup, caption = V.landscape_svg(session, 1, int(np.flatnonzero(alive)[0]))
    assert markup.count('class="dataspace-target"') == 1
    assert markup.count("dataspace-trail") == 8 and "dataspace-removed" not in markup
    gone, caption = V.landscape_svg(session, 1, int(np.flatnonzero(~alive)[0]))
    assert "dataspace-removed" in gone and "was removed" in gone and "removed" in caption
    trail = session.trail(0, np.arange(3))
    assert trail.shape == (3, 9, 2) and TRAIL > 9  # the start and 8 steps so far
    np.testing.assert_array_equal(trail[:, -1], session.model.state.levels[0].x[:3])


def test_links_are_lit_by_their_message_rate_and_flat_draws_its_lateral_links():
    session = session_of(15)  # the price still moving: most cells report
    rate = session.link_rate(0)
    assert rate.shape == (128,) and rate.min() >= 0 and rate.max() <= 1
    busy = V.holarchy_svg(session, "load", 0.5)
    calm = session_of(200)
    assert calm.link_rate(0).mean() < rate.mean()  # a settled run sends less
    lit = lambda m: int(re.search(r"(\d+) links above", m).group(1))  # noqa: E731
    assert lit(V.holarchy_svg(calm, "load", 0.5)) < lit(busy)
    assert lit(V.holarchy_svg(calm, "load", 1.5)) == 0  # a rate cannot exceed 1 a step
    flat = V.holarchy_svg(session_of(3, mode="flat"), "free energy")
    assert re.search(r'class="dataspace-lateral" d="M', flat)
    assert "dataspace-lateral" not in busy
    with pytest.raises(ValueError, match="colour_by"):
        V.holarchy_svg(session, "colour")


def test_the_load_scale_shows_societys_number_under_command():
    session = session_of(1, mode="command")
    markup = V.holarchy_svg(session, "load")
    assert ">128<" in markup  # society's load, written above it
    assert "messages (log)" in markup


def test_time_series_draw_every_kind_and_the_kept_run_dashed():
    session = session_of(20)
    plain = V.timeseries_svg(session)
    for column in ("tracking_error", "energy_action", "energy_inference", "bits_up"):
        assert f"dataspace-series-{column}" in plain
    session.keep("run A")
    session.replace(VizModel(**{**initial_values(), "mode": "command"}))
    session.step(5)
    both = V.timeseries_svg(session)
    assert "dashed: run A" in both and both.count('stroke-dasharray="5 3"') >= 10
    session.forget()
    assert "dashed" not in V.timeseries_svg(session)


def test_the_summary_says_when_no_cell_lives():
    session = session_of(2)
    session.model.state.levels[0].alive[:] = False  # every cell gone
    session.step()
    s = D.summary(session.model)
    assert s["cells"] == 0 and np.isnan(s["tracking_error"]) and np.isnan(s["niche_error"])
    html = summary_html(session)
    assert "No living cells" in html and ">—<" in html  # not a tracking error of 0


def test_the_settings_line_names_every_changed_setting():
    line = D.settings_line(VizModel(**{**initial_values(), "remove_at": 40, "burst_at": 9}))
    for words in ("default scenario", "tilt", "removal at step 40", "0.3 of the cells",
                  "noise burst at step 9", "scope society", "seed 1"):  # fmt: skip
        assert words in line


# --- components ----------------------------------------------------------------------
def all_widgets(root):
    """Every widget below ``root`` (reacton's finder stops at the first match)."""
    out, queue, seen = [], [root], set()
    while queue:
        w = queue.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        out.append(w)
        for name in w.keys:
            value = getattr(w, name, None)
            items = value.values() if isinstance(value, dict) else value
            items = items if isinstance(items, list | tuple) else [value]
            queue.extend(x for x in items if isinstance(x, ipywidgets.Widget))
    return out


def with_class(box, name):
    """Widgets carrying the CSS class ``name``."""

    def classes(w):
        attributes = getattr(w, "attributes", None) or {}
        names = (getattr(w, "class_", "") or "") + " " + attributes.get("class", "")
        return names.split() + list(getattr(w, "_dom_classes", ()))

    return [w for w in all_widgets(box) if name in classes(w)]


def row_value(box, key):
    """A row of the live summary card."""
    (card,) = with_class(box, "dataspace-summary-rows")
    return re.search(
        rf'class="dataspace-{key}".*?<span>.*?</span><span[^>]*>(.*?)</span>', card.unsafe_innerHTML
    ).group(1)


def texts(widget):
    if isinstance(widget, str):
        return widget
    kids = getattr(widget, "children", None) or []
    return " ".join(texts(k) for k in kids)


@pytest.mark.parametrize(
    "component", [LandscapeView, HolarchyView, TimeSeriesView, SummaryCard, GridView]
)
def test_each_component_renders_on_its_own_and_draws_live(component):
    session, screen = session_of(5, scenario_name="ai_grid"), Screen()
    box, rc = solara.render(component(session, screen), handle_error=False)
    classes = {"LandscapeView": "landscape", "HolarchyView": "holarchy", "GridView": "grid"}
    classes |= {"TimeSeriesView": "timeseries", "SummaryCard": "summary"}
    assert with_class(box, "dataspace-" + classes[component.__name__])
    ((widget, _, make),) = screen.live.values()
    before = widget.unsafe_innerHTML
    assert before.startswith("<svg") or "dataspace-step" in before
    session.step(3)
    screen.draw()  # a frame: the markup changes on the widget, no render pass
    assert widget.unsafe_innerHTML != before and widget.unsafe_innerHTML == make()


def test_the_landscape_selects_a_holon_and_what_it_shows():
    session, screen = session_of(5, gain=1.0), Screen()
    box, rc = solara.render(LandscapeView(session, screen), handle_error=False)
    caption = lambda: texts(with_class(box, "dataspace-landscape-image")[0].unsafe_innerHTML)  # noqa: E731
    assert "organ 0, step 5:" in caption()
    levels = rc.find(v.BtnToggle).widget  # the browser sets the index of the chosen button
    levels.v_model = 1
    rc.find(v.TextField, label="index (0-3)").widget.v_model = "1"
    assert "organization 1, step 5:" in caption()
    levels.v_model = 0
    rc.find(v.Select, label="show").widget.v_model = D.PARTS[1]
    assert "½ π_h |y − h|² − b · y" in caption()
    levels.v_model = 2
    assert "society 0, step 5:" in caption()
    rc.find(v.TextField, label="index (0-0)").assert_empty()  # one society: nothing to choose


def test_page_steps_presets_switches_regime_and_survives_bad_input():
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    reset = rc.find(v.Btn, children=["Reset"]).widget
    image = with_class(box, "dataspace-landscape-image")[0]
    before = image.unsafe_innerHTML
    for _ in range(3):
        step.click()
    assert row_value(box, "step") == "3"
    assert image.unsafe_innerHTML != before and "step 3" in image.unsafe_innerHTML
    rc.find(v.Select, label="Control regime").widget.v_model = "command"
    assert with_class(box, "dataspace-changed")  # the hint: press Reset
    reset.click()
    assert not with_class(box, "dataspace-changed")
    assert row_value(box, "mode") == "command" and row_value(box, "step") == "0"
    step.click()
    # a seed the model refuses: the message shows, the command model stays at step 1
    rc.find(v.TextField, label="Seed").widget.v_model = "not a number"
    reset.click()
    (error,) = with_class(box, "dataspace-error")
    assert "'seed'" in texts(error) and "kept" in texts(error)
    assert row_value(box, "mode") == "command" and row_value(box, "step") == "1"
    rc.find(v.TextField, label="Seed").widget.v_model = "5"
    reset.click()
    assert not with_class(box, "dataspace-error") and row_value(box, "step") == "0"
    # a preset sets every control and the step to run to, and starts the run
    rc.find(v.Select, label="Exercise preset").widget.v_model = "Exercise 2, run B"
    assert row_value(box, "mode") == "landscape" and row_value(box, "step") == "0"
    (number,) = with_class(box, "dataspace-number-pi_prior")
    assert float(number.v_model) == 3.0
    assert rc.find(v.TextField, label="Run to step").widget.v_model == "400"
    assert "well" in summary_text(box) and "π 3" in summary_text(box)
    assert not with_class(box, "dataspace-changed")
    # the number beside a slider: Enter sets the draft (and its slider), junk is refused
    number.v_model = "2.5"
    number.fire_event("keyup.enter", None)
    (row,) = with_class(box, "dataspace-control-pi_prior")
    (slider,) = [w for w in all_widgets(row) if isinstance(w, v.Slider)]
    assert slider.v_model == 2.5 and with_class(box, "dataspace-changed")
    number.v_model = "steep"
    number.fire_event("focusout", None)
    (number,) = with_class(box, "dataspace-number-pi_prior")
    assert number.error and slider.v_model == 2.5
    # a value set elsewhere shows in the field, whatever text it held
    slider.v_model = 1.5
    (number,) = with_class(box, "dataspace-number-pi_prior")
    assert number.v_model == "1.5" and not number.error


def summary_text(box):
    return with_class(box, "dataspace-summary-rows")[0].unsafe_innerHTML


# --- serving -------------------------------------------------------------------------
def test_viz_command_binds_to_loopback_unless_told(monkeypatch):
    calls = []
    monkeypatch.setattr(vizserve, "serve", lambda *args: calls.append(args) or 0)
    assert main(["viz"]) == 0
    assert main(["viz", "--host", "0.0.0.0", "--port", "9000", "--page", "morphogenesis"]) == 0
    assert calls == [("127.0.0.1", 8765, "holarchy"), ("0.0.0.0", 9000, "morphogenesis")]


def test_an_unknown_page_is_refused_in_one_line(capsys):
    assert vizserve.serve("127.0.0.1", 8765, "garden") == 2
    err = capsys.readouterr().err
    assert "--page 'garden'" in err and "morphogenesis" in err and err.count("\n") == 1


def test_page_files_come_from_this_machine(monkeypatch, capsys):
    assert solara.settings.assets.proxy  # the server hands out the front-end files itself
    assert solara.settings.assets.cdn == vizserve.NO_CDN  # a missing one is not fetched
    monkeypatch.setattr(vizserve.importlib.util, "find_spec", lambda name: None)
    with socket.socket() as probe:  # a port that is free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert vizserve.serve("127.0.0.1", port) == 2
    assert "solara-assets" in capsys.readouterr().err


def test_ai_grid_scenario_keeps_its_presets_and_renders():
    """The scenario select: untouched sliders leave the scenario's own values; moved ones win."""
    values = {**initial_values(), "scenario_name": "ai_grid"}
    model = VizModel(**values)
    assert model.p["scenario"] == "ai_grid" and model.p["d"] == 1
    assert model.p["sensing_noise"] == 0.1  # the preset, not the page's starting 1.0
    moved = VizModel(**{**values, "gain": 0.5, "gpu_cost": 0.3})
    assert moved.p["gain"] == 0.5 and moved.p["gpu_cost"] == 0.3
    session = Session(model)
    session.step(8)
    markup = V.grid_svg(session)
    assert "share of rated power" in markup and "hour of the day" in markup
    assert "renewable supply" in markup and ">02:00<" in markup  # 8 steps of 15 minutes
    energy = markup.split('class="dataspace-grid-energy"')[1]
    assert energy.count(":00<") == markup.split('class="dataspace-grid-energy"')[0].count(":00<")
    rows = D.grid_summary(model)
    measures = ("renewable share of the fleet's energy", "emission cut against the baseline")
    measures += ("GPU utilisation", "inference SLA violations", "cost, energy + GPU capital")
    for label in measures:
        assert label in rows and escape(label) in summary_html(session)
    t = model.table
    share = t["fleet_renewable"].sum() / t["fleet_energy"].sum()
    assert rows["renewable share of the fleet's energy"][0] == f"{share:.1%}"
