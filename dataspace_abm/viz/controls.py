"""The sidebar: run buttons, run-to-step, presets, and every model control with its number.

The controls edit a draft of the settings; Reset builds the model from it. Until then a
hint names what changed, so the sidebar and the running model never disagree unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from .model import CONTROLS

NUMBER = {"max-width": "84px", "min-width": "84px"}
LABEL = {"font-size": "15px", "color": "rgba(0,0,0,.6)", "line-height": "20px", "margin-top": "6px"}


def changed(draft: dict[str, Any], applied: dict[str, Any]) -> list[str]:
    """The labels of the controls whose draft differs from the running model's settings."""
    return [CONTROLS[k]["label"] for k in CONTROLS if str(draft.get(k)) != str(applied.get(k))]


@solara.component
def NumberField(name: str, value: float, cast: Callable[[str], Any], on_value: Callable) -> None:
    """The number beside a slider: it shows the draft's value and sets it on Enter or blur.

    A text field bound to the draft (not Solara's InputFloat, which keeps the text it
    parsed last and so went on showing 1.0 after a preset had set 3.0).
    """
    error, set_error = solara.use_state("")
    solara.use_effect(lambda: set_error(""), [value])  # a new value replaces refused text

    def take(text: str) -> None:
        try:
            number = cast(text)
        except (TypeError, ValueError):
            set_error("not a number")
            return
        set_error("")
        on_value(number)

    solara.InputText(
        "",
        value=str(value),
        on_value=take,
        error=error or False,
        style=NUMBER,
        classes=[f"dataspace-number-{name}"],
    )


def _control(name: str, draft: solara.Reactive[dict]) -> None:
    spec, value = CONTROLS[name], draft.value[name]

    def put(new: Any) -> None:
        draft.value = {**draft.value, name: new}

    kind = spec["type"]
    if kind in ("SliderInt", "SliderFloat"):
        whole = kind == "SliderInt"
        cast = int if whole else float
        slider = solara.SliderInt if whole else solara.SliderFloat
        # the label on a line of its own: beside the slider, a long one ("Sensing
        # precision π_o") squeezed the slider to a dot in the sidebar's 320 px
        with solara.Column(gap="0px", classes=[f"dataspace-control-{name}"]):
            solara.Text(spec["label"], style=LABEL)
            with solara.Row(gap="6px", style={"align-items": "center"}):
                with solara.Column(style={"flex": "1"}, gap="0px"):
                    slider(
                        "",
                        value=cast(value),
                        min=spec["min"],
                        max=spec["max"],
                        step=spec["step"],
                        on_value=put,
                    )
                NumberField(name, cast(value), cast, put)
    elif kind == "Select":
        solara.Select(spec["label"], values=spec["values"], value=value, on_value=put)
    else:
        solara.InputText(spec["label"], value=str(value), on_value=put, continuous_update=True)


@solara.component
def Controls(
    draft: solara.Reactive[dict],
    applied: dict[str, Any],
    playing: solara.Reactive[bool],
    run_to: solara.Reactive[int],
    rate: solara.Reactive[int],
    rates: tuple[int, ...],
    presets: list[str],
    kept: str,
    on_reset: Callable[[], None],
    on_play: Callable[[], None],
    on_step: Callable[[], None],
    on_run_to: Callable[[], None],
    on_preset: Callable[[str], None],
    on_keep: Callable[[], None],
    on_forget: Callable[[], None],
) -> None:
    """Run buttons, run-to-step, the seminar's presets, the model's controls."""
    with solara.Card("Run", classes=["dataspace-run"]):
        with solara.Row(gap="6px"):
            solara.Button("Reset", color="primary", on_click=lambda: on_reset())
            solara.Button("❚❚" if playing.value else "▶", color="primary", on_click=on_play)
            solara.Button("Step", color="primary", on_click=on_step, disabled=playing.value)
        solara.Text("Step: one step. ▶ plays, redrawing every step.", style={"font-size": "12px"})
        solara.Select(
            "Play speed, steps a second", values=list(rates), value=rate.value, on_value=rate.set
        )
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.InputInt(
                "Run to step",
                value=run_to,
                classes=["dataspace-run-to"],
                style={"max-width": "120px"},
            )
            solara.Button(
                "Run",
                color="primary",
                on_click=on_run_to,
                disabled=playing.value,
                classes=["dataspace-run-button"],
            )
        if presets:
            solara.Select("Exercise preset", values=presets, value=None, on_value=on_preset)
        with solara.Row(gap="6px"):
            solara.Button("Keep for comparison", on_click=on_keep, outlined=True, dense=True)
            if kept:
                solara.Button("Forget", on_click=on_forget, outlined=True, dense=True)
        if kept:
            solara.Text(f"kept: {kept} (dashed)", style={"font-size": "12px"})
    with solara.Card("Settings", classes=["dataspace-controls"]):
        pending = changed(draft.value, applied)
        # a box that is always there: the hint coming and going must not shift the
        # controls below it, which would rebuild their widgets (and lose a field's focus)
        with solara.Column(gap="0px", classes=["dataspace-hint"]):
            if pending:
                solara.Warning(
                    f"Changed: {', '.join(pending)}. Press Reset to apply.",
                    classes=["dataspace-changed"],
                    dense=True,
                )
        for name in CONTROLS:
            _control(name, draft)
