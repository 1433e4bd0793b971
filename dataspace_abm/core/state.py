"""The model's state: per-level numpy arrays, one row per holon, and a per-step tally.

Mesa agents are views onto their row (see ``agents.py``). Arrays a holon writes in its
``step`` belong to its own row; arrays written by others (its "mailbox": reports that
reached a parent, the landscape a child received) are written only while messages are
sent (``advance``), so every holon reads the previous step's messages, in any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .structure import Holarchy

TALLY_KEYS = (
    "e_action",
    "e_inference",
    "e_central",
    "bits_up",
    "bits_down",
    "bits_lateral",
    "messages",
    "msg_up",
    "msg_down",
    "msg_lateral",
    "cells_handled",
    "queue_waits",  # messages that left a capacity queue this step
    "queue_wait_sum",  # their waiting times, in steps
    "queue_wait_max",
)


@dataclass
class Level:
    """The arrays of one level. Shapes: ``(n, d)`` for vectors, ``(n,)`` for scalars."""

    x: np.ndarray  # state: a cell's own, a parent's coarse-grained from its children's reports
    mu: np.ndarray  # belief
    o: np.ndarray  # last observation
    eta: np.ndarray  # landscape centre received from the parent (mailbox)
    pi_eta: np.ndarray  # landscape precision received from the parent (mailbox)
    alive: np.ndarray
    load: np.ndarray  # messages sent plus received this step
    sent_up: np.ndarray  # the value this holon last reported upward
    reported: np.ndarray  # the value the parent holds for this holon (mailbox)
    var: np.ndarray | None = None  # the filter's posterior variance of mu (cell_rule filter)
    pref: np.ndarray | None = None  # the state its free energy prefers (cell_rule filter)
    tilt: np.ndarray | None = None  # landscape tilt (price) received from the parent (mailbox)
    report_time: np.ndarray | None = None  # when what the parent holds for it was observed
    landscape_time: np.ndarray | None = None  # when what its landscape rests on was observed
    info_time: np.ndarray | None = None  # parents: mean observation time of their reports
    passed_time: np.ndarray | None = None  # parents: that time for what they send down
    theta: np.ndarray | None = None  # the centre this holon draws for its children
    pi_child: np.ndarray | None = None  # the precision it gives them
    bias: np.ndarray | None = None  # the centre's learned offset from its own landscape's
    sent_theta: np.ndarray | None = None
    sent_pi: np.ndarray | None = None
    tilt_child: np.ndarray | None = None  # the tilt it draws for its children
    sent_tilt: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.x.shape[0]


@dataclass
class State:
    """All levels plus the arrays of the cells' niche and action, and the step's tally.

    A regime's own arrays (queues, estimates, edge mailboxes) belong to the regime."""

    levels: list[Level]
    h: np.ndarray  # cells' current niche
    pi_h: np.ndarray  # cells' niche stiffness
    a: np.ndarray  # cells' last action
    tally: dict[str, float] = field(default_factory=dict)
    niche_stamp: int = 0  # counts rewrites of h (and removals), so sums over it can be kept

    def reset_tally(self) -> None:
        self.tally = dict.fromkeys(TALLY_KEYS, 0.0)
        for level in self.levels:
            level.load[:] = 0

    def add(self, key: str, value: Any) -> None:
        self.tally[key] += float(value)

    def add_waits(self, waits: np.ndarray) -> None:
        """Count the waiting times (steps) of messages that just left a queue."""
        if waits.size:
            self.tally["queue_waits"] += waits.size
            self.tally["queue_wait_sum"] += float(waits.sum())
            self.tally["queue_wait_max"] = max(self.tally["queue_wait_max"], float(waits.max()))


def initial_state(
    holarchy: Holarchy, d: int, h: np.ndarray, pi_h: np.ndarray, pi_prior: float
) -> State:
    """Cells start at their niches; every parent at the mean of its children, shaping nothing.

    Each parent's landscape centre starts at its own state, so the first landscapes only
    confirm where the children already are; coordination then has to be earned.
    """
    levels: list[Level] = []
    x = h.copy()
    for level, n in enumerate(holarchy.sizes):
        if level > 0:
            starts = holarchy.starts[level]
            counts = (holarchy.ends[level] - starts).astype(float)
            x = np.add.reduceat(levels[-1].x, starts, axis=0) / counts[:, None]
        lv = Level(
            x=x.copy(),
            mu=x.copy(),
            o=x.copy(),
            eta=x.copy(),
            pi_eta=np.full(n, pi_prior),
            alive=np.ones(n, dtype=bool),
            load=np.zeros(n, dtype=np.int64),
            sent_up=x.copy(),
            reported=x.copy(),
            var=np.zeros(n),
            pref=x.copy(),
            tilt=np.zeros_like(x),
            report_time=np.zeros(n),
            landscape_time=np.zeros(n),
            info_time=np.zeros(n),
            passed_time=np.zeros(n),
        )
        if level > 0:
            lv.theta, lv.sent_theta = x.copy(), x.copy()
            lv.pi_child, lv.sent_pi = np.full(n, pi_prior), np.full(n, pi_prior)
            lv.tilt_child, lv.sent_tilt = np.zeros_like(x), np.zeros_like(x)
        levels.append(lv)
    for level in range(3):  # each child's landscape is its parent's initial centre
        levels[level].eta[:] = levels[level + 1].theta[holarchy.parent[level]]
    for level in levels[1:]:
        level.bias = level.theta - level.eta
    return State(levels=levels, h=h.copy(), pi_h=pi_h, a=np.zeros_like(h))
