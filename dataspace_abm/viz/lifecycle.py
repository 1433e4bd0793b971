"""A tab's life on the server: a Play loop in a thread of its own, and a closed tab freed.

Shared by the page (:mod:`app`) and the morphogenesis page. Measured in
docs/performance.md: Solara's ``use_task`` made inside a component kept every closed
tab's model alive, and a closed tab's Mesa model (a reference cycle) waited for the next
full collection.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Callable

import solara

COLLECT = 1.0  # s after a session closed: its widgets are gone by then


def closed_event() -> threading.Event:
    """Set when this tab's session closes; a fresh event outside a server (tests)."""
    from solara.server import kernel_context

    if kernel_context.has_current_context():
        return kernel_context.get_current_context().closed_event
    return threading.Event()


def use_player(playing: bool, loop: Callable[[threading.Event, threading.Event], None]) -> None:
    """While ``playing``, run ``loop(stop, closed)`` in a thread; set ``stop`` when playing
    ends or the component goes, ``closed`` when the tab's session does.

    A thread of our own, not ``solara.lab.use_task``: a task made inside a component
    registers a kernel-start callback in a module-level list that is never removed.
    """

    def player() -> Callable[[], None] | None:
        if not playing:
            return None
        stop = threading.Event()
        args = (stop, closed_event())
        threading.Thread(target=loop, args=args, daemon=True).start()  # inherits the tab
        return stop.set

    solara.use_effect(player, [playing])


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


def collect_when_closed() -> None:
    """Free a closed tab's model within a second of its session's end. A Mesa model is
    a cycle (its agents point back at it), which only the cyclic collector frees, and
    Solara does not run it when a session closes. Call once per page (an effect)."""
    from solara.server import kernel_context

    if kernel_context.has_current_context():
        kernel_context.get_current_context().on_close(_collect_soon)


def use_collect_when_closed() -> None:
    """The page's hook for :func:`collect_when_closed`."""
    solara.use_effect(collect_when_closed, [])
