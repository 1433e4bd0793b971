"""The morphogenesis page: eight cells infer their places and assemble the form; cut it
in half and watch it regrow (docs/seminar.md, exercise 10).

Serve it with ``dataspace-abm viz --page morphogenesis``. One model per tab; Play steps
the model ``STEPS_A_FRAME`` steps a frame, so a whole assembly (3000 steps) takes about
15 seconds at the default pace.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import Any

import numpy as np
import solara

from ..core.parameter import ParameterError
from ..scenarios.morphogenesis import MorphogenesisModel, inference
from .components import CARD, SIDEBAR, Live, Screen
from .controls import LABEL
from .lifecycle import use_collect_when_closed, use_player
from .morphogenesis_views import SIGNALS, form_svg, history_svg
from .serve import keep_offline

keep_offline()
STEPS_A_FRAME = 10
FRAMES = 20  # a second, at most
DEFAULTS = {"seed": 0, "signal_gain": 1.0, "log_identity_prior": -2.0}
SLIDERS = (  # name, label, range and notch
    ("signal_gain", "Sensed signal gain (1 intact)", 0.0, 2.0, 0.1),
    ("log_identity_prior", "Identity prior, log precision (SPM -2)", -8.0, 2.0, 0.5),
)


def build(values: dict[str, Any]) -> MorphogenesisModel:
    """The model for the sidebar's values (the prior as its natural log)."""
    prior = float(np.exp(values["log_identity_prior"]))
    return MorphogenesisModel(
        seed=values["seed"], signal_gain=values["signal_gain"], pi_identity=prior
    )


def summary_html(model: MorphogenesisModel) -> str:
    """The card's rows: step, cells, permutation, certainty, form error, free energy, bits."""
    last = model.rows[-1]  # the last step's; a cut since changes the form at once
    beliefs = inference.softmax(model.v[:, model.alive])
    rows = {
        "step": f"{len(model.rows) - 1} (t = {model.elapsed:.2f})",
        "cells": f"{int(model.alive.sum())}",
        "identities a permutation": "yes" if model.is_permutation() else "no",
        "least certainty": f"{beliefs.max(axis=0).min():.3f}",
        "form error, spacings": f"{model.form_error() / model.form.spacing:.3f}",
        "free energy": f"{last['free_energy']:.4g}",
        "bits, cumulative": f"{model.totals['bits']:.4g}",
        "energy, cumulative": f"{model.totals['energy']:.4g} J",
    }
    cells = "".join(
        f'<div class="dataspace-{key.split(",")[0].replace(" ", "-")}" style="display:flex;'
        f'justify-content:space-between;font-size:15px"><span>{escape(key)}</span>'
        f'<span style="font-weight:bold">{escape(value)}</span></div>'
        for key, value in rows.items()
    )
    return f'<div class="dataspace-morph-summary">{cells}</div>'


@solara.component
def Page() -> None:
    """Controls in the sidebar; the form, the card and the history."""
    values = solara.use_reactive(dict(DEFAULTS))
    model_ref = solara.use_ref(None)
    if model_ref.current is None:
        model_ref.current = build(DEFAULTS)
    screen = solara.use_memo(Screen, [])
    lock = solara.use_memo(threading.RLock, [])
    playing = solara.use_reactive(False)
    signal = solara.use_reactive(1)
    error = solara.use_reactive("")

    def model() -> MorphogenesisModel:
        return model_ref.current

    def redraw() -> None:
        with lock:
            screen.draw()

    def advance(steps: int) -> None:
        with lock:
            model().run(steps)

    def loop(stop: threading.Event, closed: threading.Event) -> None:
        while not (stop.is_set() or closed.is_set()) and playing.value:
            started = time.perf_counter()
            advance(STEPS_A_FRAME)
            redraw()
            stop.wait(max(0.0, 1.0 / FRAMES - (time.perf_counter() - started)))

    use_player(playing.value, loop)
    use_collect_when_closed()

    def reset() -> None:
        playing.value = False
        try:
            fresh = build(values.value)
        except ParameterError as exc:
            error.value = f"Not applied, the model kept its settings: {exc}"
            return
        with lock:
            model_ref.current = fresh
        error.value = ""
        redraw()

    def cut(side: str) -> None:
        with lock:
            model().regenerate(side)
        redraw()

    def put(name: str, value: Any) -> None:
        values.value = {**values.value, name: value}

    solara.Title("dataspace_abm: morphogenesis")
    solara.Style(SIDEBAR)
    with solara.AppBarTitle():
        solara.Text("dataspace_abm: cells that know their place")
    with solara.Sidebar():
        with solara.Card("Run", classes=["dataspace-run"]):
            with solara.Row(gap="6px"):
                solara.Button("Reset", color="primary", on_click=reset)
                solara.Button(
                    "❚❚" if playing.value else "▶",
                    color="primary",
                    on_click=lambda: playing.set(not playing.value),
                )
                solara.Button(
                    "Step",
                    color="primary",
                    disabled=playing.value,
                    on_click=lambda: (advance(STEPS_A_FRAME), redraw()),
                )
            solara.Text(
                f"Step: {STEPS_A_FRAME} steps (0.1 time units).", style={"font-size": "12px"}
            )
            with solara.Column(gap="6px"):
                for side in ("left", "right"):
                    solara.Button(
                        f"Cut: {side} half divides",
                        on_click=lambda side=side: cut(side),
                        outlined=True,
                        dense=True,
                    )
        with solara.Card("Settings (press Reset)", classes=["dataspace-controls"]):
            solara.InputInt("Seed", value=values.value["seed"], on_value=lambda v: put("seed", v))
            for name, label, low, high, step in SLIDERS:
                # the label on its own line: beside the slider it squeezes it to a dot
                solara.Text(f"{label}: {values.value[name]:g}", style=LABEL)
                solara.SliderFloat(
                    "",
                    value=values.value[name],
                    min=low,
                    max=high,
                    step=step,
                    on_value=lambda v, name=name: put(name, v),
                )
    with solara.Div(
        style="display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:8px",
        classes=["dataspace-views"],
    ):
        with solara.Column(
            style={**CARD, "align-self": "start"}, gap="2px", classes=["dataspace-form"]
        ):
            solara.Select(
                "field shown",
                values=list(SIGNALS),
                value=SIGNALS[signal.value],
                on_value=lambda name: signal.set(SIGNALS.index(name)),
            )
            Live(screen, "form", lambda: form_svg(model(), signal.value), "dataspace-form-image")
        with solara.Column(style=CARD, gap="2px", classes=["dataspace-summary"]):
            if error.value:
                solara.Error(error.value, classes=["dataspace-error"])
            Live(screen, "summary", lambda: summary_html(model()), "dataspace-morph-card")
            Live(screen, "history", lambda: history_svg(model()), "dataspace-history-image")
