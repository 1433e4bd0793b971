"""The morphogenesis page, driven through its widgets (no browser), and its pictures."""

from __future__ import annotations

import re
import time

import ipyvuetify as v
import numpy as np
import solara

from dataspace_abm.scenarios.morphogenesis import MorphogenesisModel
from dataspace_abm.viz import morphogenesis_views as MV
from dataspace_abm.viz.morphogenesis_page import STEPS_A_FRAME, Page, build


def html_of(box, cls):
    from test_app import with_class

    return with_class(box, cls)[0].unsafe_innerHTML


def row(box, name):
    card = html_of(box, "dataspace-morph-card")
    found = re.search(rf'class="dataspace-{name}"[^>]*><span>[^<]*</span><span[^>]*>([^<]*)<', card)
    return found[1]


def test_the_form_view_colours_cells_by_identity_over_the_signal_field():
    model = MorphogenesisModel(seed=0)
    model.run(3000)
    markup = MV.form_svg(model, 1)
    assert markup.count('class="dataspace-cell"') == 8
    assert markup.count('class="dataspace-place"') == 8
    fills = re.findall(r'class="dataspace-cell"[^>]*fill="(#[0-9a-f]{6})"', markup)
    assert sorted(fills) == sorted(MV.IDENTITY)  # a permutation: eight colours, once each
    assert markup.count("<rect") >= MV.GRID[0] * MV.GRID[1]  # the field
    assert "signal 2" in markup
    model.regenerate("left")
    markup = MV.form_svg(model, 1)
    fills = re.findall(r'class="dataspace-cell"[^>]*fill="(#[0-9a-f]{6})"', markup)
    assert len(fills) == 8 and len(set(fills)) == 4  # daughters share their mothers' colour


def test_the_history_shows_free_energy_and_the_form_error():
    model = MorphogenesisModel(seed=0)
    model.run(200)
    markup = MV.history_svg(model)
    assert "dataspace-morph-free-energy" in markup and "dataspace-morph-form-error" in markup


def test_the_page_steps_cuts_and_regrows_through_its_buttons():
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()
    assert row(box, "step").startswith(f"{STEPS_A_FRAME} ")
    play = rc.find(v.Btn, children=["▶"]).widget
    play.click()  # plays in its own thread
    deadline = time.monotonic() + 120
    while int(row(box, "step").split()[0]) < 800 and time.monotonic() < deadline:
        time.sleep(0.2)
    rc.find(v.Btn, children=["❚❚"]).widget.click()
    assert int(row(box, "step").split()[0]) >= 800
    rc.find(v.Btn, children=["Cut: left half divides"]).widget.click()
    assert float(row(box, "form-error")) > 2.0  # half the places empty
    for _ in range(300):
        step.click()
    assert row(box, "identities-a-permutation") == "yes"
    assert float(row(box, "form-error")) < 0.5  # regrown


def test_reset_builds_the_model_from_the_settings():
    model = build({"seed": 3, "signal_gain": 0.5, "log_identity_prior": -6.0})
    assert model.p["signal_gain"] == 0.5 and np.isclose(model.p["pi_identity"], np.exp(-6))
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert row(box, "step").startswith("0 ")
