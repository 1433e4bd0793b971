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


def changed(draft: dict[str, Any], applied: dict[str, Any]) -> list[str]:
    """The labels of the controls whose draft differs from the running model's settings."""
    return [CONTROLS[k]["label"] for k in CONTROLS if str(draft.get(k)) != str(applied.get(k))]


def _control(name: str, draft: solara.Reactive[dict]) -> None:
    spec, value = CONTROLS[name], draft.value[name]

    def put(new: Any) -> None:
        draft.value = {**draft.value, name: new}

    kind = spec["type"]
    if kind in ("SliderInt", "SliderFloat"):
        whole = kind == "SliderInt"
        cast = int if whole else float
        if whole:
            slider, field = solara.SliderInt, solara.InputInt
        else:
            slider, field = solara.SliderFloat, solara.InputFloat
        with solara.Row(
            gap="6px", style={"align-items": "center"}, classes=[f"dataspace-control-{name}"]
        ):
            with solara.Column(style={"flex": "1"}, gap="0px"):
                slider(
                    spec["label"],
                    value=cast(value),
                    min=spec["min"],
                    max=spec["max"],
                    step=spec["step"],
                    on_value=put,
                )
            # keyed by its value: a preset or the slider that changes the value gets a fresh
            # field, where Solara's input could keep showing the text it held before
            field(
                "",
                value=cast(value),
                on_value=lambda v: put(cast(v)),
                style=NUMBER,
                classes=[f"dataspace-number-{name}"],
            ).key(f"number-{name}-{value}")
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
            solara.Select(
                "Exercise preset (docs/seminar.md)", values=presets, value=None, on_value=on_preset
            )
        with solara.Row(gap="6px"):
            solara.Button("Keep for comparison", on_click=on_keep, outlined=True, dense=True)
            if kept:
                solara.Button("Forget", on_click=on_forget, outlined=True, dense=True)
        if kept:
            solara.Text(f"kept: {kept} (dashed)", style={"font-size": "12px"})
    with solara.Card("Settings", classes=["dataspace-controls"]):
        pending = changed(draft.value, applied)
        if pending:
            solara.Warning(
                f"Changed: {', '.join(pending)}. Press Reset to apply.",
                classes=["dataspace-changed"],
                dense=True,
            )
        for name in CONTROLS:
            _control(name, draft)
