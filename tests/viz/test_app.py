"""The browser page without a browser: its numbers, its figures and its components.

Components render with ``solara.render`` inside Solara's ``AppLayout`` (as the server
wraps a page), and are driven through their widgets: buttons clicked, selects set.
"""

import socket

import ipyvuetify as v
import ipywidgets
import mesa
import numpy as np
import pytest
import solara
from matplotlib.figure import Figure
from mesa.visualization.solara_viz import _build_model_init_kwargs

from dataspace_abm import HolarchyModel, ParameterError
from dataspace_abm.cli import main
from dataspace_abm.core import params as P
from dataspace_abm.core.equations import landauer_floor
from dataspace_abm.core.metrics import holon_free_energy
from dataspace_abm.viz import data as D
from dataspace_abm.viz import figures as F
from dataspace_abm.viz import serve as vizserve
from dataspace_abm.viz.app import Page
from dataspace_abm.viz.components import HolarchyView, LandscapeView, SummaryCard, TimeSeriesView
from dataspace_abm.viz.model import CONTROLS, Keeper, VizModel, initial_values

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


def test_mesa_reset_builds_the_model_from_the_controls():
    """Mesa's Reset adds its own ``scenario`` object; the seed arrives as text."""
    first = VizModel(**initial_values())
    values = {**initial_values(), "mode": "command", "seed": " 7 "}
    kwargs = _build_model_init_kwargs(
        first, values, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    model = type(first)(**kwargs)
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
        ({"seed": "abc"}, "'seed'"),
        ({"mode": "flat", "n_organizations": 1, "organs_per_organization": 1}, "at least 3 cells"),
        ({"scenario_name": "grid"}, "scenario_name"),
    ],
)
def test_a_refused_set_keeps_the_previous_model_and_says_why(change, needle):
    previous = VizModel(**initial_values())
    keeper = Keeper(solara.Reactive(previous), solara.Reactive(""))
    got = VizModel(keeper=keeper, **{**initial_values(), "cells_per_organ": 2, **change})
    assert got is previous
    assert needle in keeper.error.value and "kept" in keeper.error.value
    fresh = VizModel(keeper=keeper, **initial_values())
    assert fresh is not previous and keeper.error.value == ""
    with pytest.raises(ParameterError, match=needle[1:-1] if needle[0] == "'" else needle):
        VizModel(**{**initial_values(), "cells_per_organ": 2, **change})  # no keeper: raise


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
        return (getattr(w, "class_", "") or "").split() + list(getattr(w, "_dom_classes", ()))

    return [w for w in all_widgets(box) if name in classes(w)]


def row_value(box, key):
    (row,) = with_class(box, f"dataspace-{key}")
    return row.children[1].children[0]


def texts(widget):
    if isinstance(widget, str):
        return widget
    kids = getattr(widget, "children", None) or []
    return " ".join(texts(k) for k in kids)


@pytest.mark.parametrize("component", [LandscapeView, HolarchyView, TimeSeriesView, SummaryCard])
def test_each_component_renders_on_its_own(component):
    model = small("command")
    box, rc = solara.render(component(model), handle_error=False)
    classes = {"LandscapeView": "landscape", "HolarchyView": "holarchy"}
    classes |= {"TimeSeriesView": "timeseries", "SummaryCard": "summary"}
    assert with_class(box, "dataspace-" + classes[component.__name__])
    images = [w for w in all_widgets(box) if isinstance(w, ipywidgets.Image)]
    assert images or component is SummaryCard
    for image in images:
        assert bytes(image.value).startswith(PNG)


def test_landscape_selects_a_holon_and_follows_the_model():
    model = small(gain=1.0)
    box, rc = solara.render(LandscapeView(model), handle_error=False)
    (caption,) = with_class(box, "dataspace-landscape-caption")
    assert caption.children[0].startswith("organ 0, step 5:")
    levels = rc.find(v.BtnToggle).widget  # the browser sets the index of the chosen button
    levels.v_model = 1
    rc.find(v.Slider, label="index").widget.v_model = 1
    assert caption.children[0].startswith("organization 1, step 5:")
    levels.v_model = 2
    assert caption.children[0].startswith("society 0, step 5:")
    rc.find(v.Slider, label="index").assert_empty()  # one society: nothing to choose


def test_page_steps_switches_regime_and_survives_bad_input():
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    reset = rc.find(v.Btn, children=["Reset"]).widget
    image = with_class(box, "dataspace-landscape-image")[0]
    before = bytes(image.value)
    for _ in range(3):
        step.click()
    assert row_value(box, "step") == "3"
    assert bytes(with_class(box, "dataspace-landscape-image")[0].value) != before
    assert "step 3" in texts(with_class(box, "dataspace-landscape")[0])
    rc.find(v.Select, label="Control regime").widget.v_model = "command"
    reset.click()
    assert row_value(box, "mode") == "command" and row_value(box, "step") == "0"
    step.click()
    # a seed the model refuses: the message shows, the command model stays at step 1
    seed = rc.find(v.TextField, label="Seed").widget
    seed.v_model = "not a number"
    seed.fire_event("keyup.enter", {})
    reset.click()
    (error,) = with_class(box, "dataspace-error")
    assert "'seed'" in texts(error) and "kept" in texts(error)
    assert row_value(box, "mode") == "command" and row_value(box, "step") == "1"
    seed.v_model = "5"
    seed.fire_event("keyup.enter", {})
    reset.click()
    assert not with_class(box, "dataspace-error") and row_value(box, "step") == "0"
    # sliders the model refuses together: 3 cells cannot each gossip with 4 neighbours
    rc.find(v.Select, label="Control regime").widget.v_model = "flat"
    for label in ("Organizations", "Organs each"):
        rc.find(v.Slider, label=label).widget.v_model = 1
    rc.find(v.Slider, label="Cells each").widget.v_model = 3
    reset.click()
    (error,) = with_class(box, "dataspace-error")
    assert "'flat_degree'" in texts(error)
    assert row_value(box, "mode") == "command" and row_value(box, "cells") == "128"


# --- serving -------------------------------------------------------------------------
def test_viz_command_binds_to_loopback_unless_told(monkeypatch):
    calls = []
    monkeypatch.setattr(vizserve, "serve", lambda host, port: calls.append((host, port)) or 0)
    assert main(["viz"]) == 0
    assert main(["viz", "--host", "0.0.0.0", "--port", "9000"]) == 0
    assert calls == [("127.0.0.1", 8765), ("0.0.0.0", 9000)]


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
    for _ in range(5):
        model.step()
    for component in (LandscapeView, HolarchyView, TimeSeriesView, SummaryCard):
        box, rc = solara.render(component(model), handle_error=False)
        images = [w for w in all_widgets(box) if isinstance(w, ipywidgets.Image)]
        assert all(bytes(image.value).startswith(PNG) for image in images)
        assert images or component is SummaryCard
