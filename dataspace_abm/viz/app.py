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

import ctypes
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import solara

from ..core.params import ParameterError
from .components import Screen, Views
from .controls import Controls
from .model import VizModel, initial_values
from .presets import presets
from .serve import keep_offline
from .session import Session

keep_offline()
RATES = (1, 2, 5, 10, 20, 30, 60)  # steps a second Play may run at
REDRAW = 0.2  # s between redraws while running to a step
# Solara's sidebar is at least 400 px wide: at 1280x720 the views got two columns of
# 430 px and 8-11 px text. 320 px holds every control and gives the views 480 px each.
SIDEBAR = (
    ".v-navigation-drawer.solara-content-main"
    " { min-width: 320px !important; max-width: 320px !important; }"
)
COLLECT = 1.0  # s after a session closed: its widgets are gone by then


def _closed_event() -> threading.Event:
    """Set when this tab's session closes; a fresh event outside a server (tests)."""
    from solara.server import kernel_context

    if kernel_context.has_current_context():
        return kernel_context.get_current_context().closed_event
    return threading.Event()


def _collect_when_closed() -> None:
    """Free a closed tab's model within a second of its session's end. A Mesa model is
    a cycle (its agents point back at it), which only the cyclic collector frees, and
    Solara does not run it when a session closes."""
    from solara.server import kernel_context

    if kernel_context.has_current_context():
        kernel_context.get_current_context().on_close(_collect_soon)


def _collect() -> None:
    gc.collect()
    try:  # glibc keeps freed memory in its arenas; hand it back to the system
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _collect_soon() -> None:
    timer = threading.Timer(COLLECT, _collect)
    # Solara hands a thread the session it was started in (its patch of Thread keeps it
    # in ``current_context``); this one must not, or it would keep the closed tab alive
    timer.current_context = None
    timer.start()


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

    def player() -> Callable[[], None] | None:
        # A thread of our own, not solara.lab.use_task: a task made inside a component
        # registers a kernel-start callback in a module-level list that is never removed,
        # which kept every closed tab's model alive (measured: docs/performance.md).
        if not playing.value:
            return None
        stop = threading.Event()
        args = (stop, _closed_event())
        threading.Thread(target=play, args=args, daemon=True).start()  # inherits the tab
        return stop.set

    solara.use_effect(player, [playing.value])
    solara.use_effect(_collect_when_closed, [])

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
