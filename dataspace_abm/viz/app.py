"""The browser page: one model per tab, the seminar's controls, live SVG views.

Serve it with ``dataspace-abm viz`` (offline, on 127.0.0.1), or with
``solara run --production --no-check-version dataspace_abm/viz/app.py``.

Built on Solara as Mesa's SolaraViz is, but with controls of its own, because a seminar
needs what SolaraViz's do not give: a number beside every slider, "run to step N", the
guide's exercises as presets, a "changed: press Reset" hint, a run kept for comparison,
and views that draw a frame in milliseconds (SVG) so that Play reaches tens of steps a
second. The model is still a Mesa model, every cell a Mesa agent.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

import solara

from ..core.params import ParameterError
from .components import SIDEBAR, Screen, Views
from .controls import Controls
from .lifecycle import use_collect_when_closed, use_player
from .model import VizModel, initial_values
from .presets import presets
from .serve import keep_offline
from .session import Session

keep_offline()
RATES = (1, 2, 5, 10, 20, 30, 60)  # steps a second Play may run at
REDRAW = 0.2  # s between redraws while running to a step


def _start() -> Session:
    return Session(VizModel(**initial_values()))


@solara.component
def Page() -> None:
    """The page: controls in the sidebar, the views in a grid."""
    session = solara.use_memo(_start, [])
    screen = solara.use_memo(Screen, [])
    run = solara.use_reactive(0)  # bumped by every Reset: Solara renders the views anew
    draft = solara.use_reactive(initial_values())  # what the controls show
    applied = solara.use_reactive(initial_values())  # what the running model was built from
    error = solara.use_reactive("")
    playing = solara.use_reactive(False)
    goal = solara.use_reactive(0)  # the step the running stops at (0: Play without end)
    run_to = solara.use_reactive(400)  # the "Run to step" field
    rate = solara.use_reactive(20)
    kept = solara.use_reactive("")  # the label of the run kept for comparison
    all_presets = solara.use_memo(presets, [])

    def redraw() -> None:
        with session.lock:  # not halfway through a step or a Reset
            screen.draw()

    def play(stop: threading.Event, closed: threading.Event) -> None:
        """Step while playing, at ``rate`` steps a second; run to ``goal`` as fast as it goes."""
        last_draw, started = 0.0, time.perf_counter()
        while not (stop.is_set() or closed.is_set()) and playing.value:
            to_goal = goal.value > session.model.steps
            session.step()
            if goal.value and session.model.steps >= goal.value:
                playing.value = False
            now = time.perf_counter()
            if not to_goal or now - last_draw >= REDRAW or not playing.value:
                redraw()
                last_draw = now
            if not to_goal:  # Play's pace
                stop.wait(max(0.0, 1.0 / rate.value - (time.perf_counter() - started)))
            started = time.perf_counter()

    use_player(playing.value, play)
    use_collect_when_closed()

    def reset(values: dict[str, Any] | None = None) -> None:
        values = draft.value if values is None else values
        playing.value = False
        try:
            model = VizModel(**values)
        except ParameterError as exc:
            error.value = f"Not applied, the model kept its settings: {exc}"
            return
        error.value = ""
        session.replace(model)
        gc.collect()  # the old model is a cycle: free it now, so the card counts true
        applied.value = dict(values)
        run.value += 1
        redraw()

    def choose(name: str | None) -> None:
        if name is None:
            return
        values, steps = all_presets[name]
        draft.value = dict(values)
        run_to.value = steps
        reset(dict(values))

    def play_pause() -> None:
        goal.value = 0
        playing.value = not playing.value

    def run_to_step() -> None:
        if run_to.value > session.model.steps:
            goal.value = run_to.value
            playing.value = True

    def step_once() -> None:
        session.step()
        redraw()

    def keep() -> None:
        session.keep(f"{applied.value['mode']}, to step {session.model.steps}")
        kept.value = session.comparison.label
        redraw()

    def forget() -> None:
        session.forget()
        kept.value = ""
        redraw()

    solara.Title("dataspace_abm")
    solara.Style(SIDEBAR)
    with solara.AppBar():
        solara.AppBarTitle("dataspace_abm: a holarchy shaping landscapes")
    with solara.Sidebar():
        Controls(
            draft=draft,
            applied=applied.value,
            playing=playing,
            run_to=run_to,
            rate=rate,
            rates=RATES,
            presets=list(all_presets),
            on_reset=reset,
            on_play=play_pause,
            on_step=step_once,
            on_run_to=run_to_step,
            on_preset=choose,
            on_keep=keep,
            on_forget=forget,
            kept=kept.value,
        )
    Views(session, screen, run.value, error.value)
