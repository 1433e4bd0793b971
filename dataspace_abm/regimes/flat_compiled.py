"""The flat regime with its cells in compiled kernels (the default engine), version 2.

The kernels (``flat_kernels``) run only for a whole cell level of two blocks or more
(``compiled.COMPILED_FROM`` cells and up; on every core from two blocks,
``landscape_kernels.blocks``) under the filter rule, when a
one-hop message may be written straight into its mailbox (``Network.direct(1)``: version
1's protocol, or the fair network with no capacity and ``hop_latency`` at most 1). Then
the delay line would deliver the gossip at ``deliver(t + 1)``, after every phase of the
step and before anything reads it, so writing it while it is sent changes nothing; and
what a cell sent is then what its neighbours hold of it, both kept in its outbox row. Every
other case runs the numpy code of ``Flat`` unchanged: small models keep numpy's pairwise
sums (the recorded golden tables compare exactly) and never start numba's threading layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.state import State
from ..core.structure import Holarchy
from . import flat_kernels as F
from . import landscape_kernels as K
from .base import StepInputs
from .compiled import NEVER, CompiledCells
from .flat import Flat


class CompiledFlat(CompiledCells, Flat):
    """Flat gossip; under version 2 the cells' step and their gossip in fused kernels."""

    age_from_landscape = False  # the age of the gossip on the in-edges (Flat's own)
    _outbox: np.ndarray | None = None
    _age: tuple | None = None  # (step, sum of living cells' mean ages, living cells)
    _living: tuple | None = None  # (living cells, in-edge weights, living out-neighbours)
    compiled_calls = 0  # how many phases took the kernels (for the tests)

    def __init__(
        self, params: Mapping[str, Any], state: State, holarchy: Holarchy, rng: np.random.Generator
    ) -> None:
        super().__init__(params, state, holarchy, rng)
        if self._fast(0, slice(0, state.levels[0].n)):
            self._keep_books_in_outbox()

    def _keep_books_in_outbox(self) -> None:
        """What each cell sent and what its neighbours hold of it are its outbox row: with
        every message straight into its mailboxes they are the same numbers, so
        ``sent_m, sent_t, sent_b`` and ``held_m, held_b`` become views of the outbox's
        columns, and a cell that sends writes one cache line, not six arrays' rows (the
        price step and the senders: 44.0 against 49.5 ms at 10^6 cells, docs/performance.md)."""
        e, box = self.arrays, self.outbox
        d = e.m.shape[1]
        box[:, :d], box[:, d : 2 * d], box[:, 2 * d : 3 * d] = e.sent_m, e.sent_t, e.sent_b
        e.sent_m, e.sent_t, e.sent_b = box[:, :d], box[:, d : 2 * d], box[:, 2 * d : 3 * d]
        e.held_m, e.held_b = e.sent_m, e.sent_b

    @property
    def still(self) -> tuple[float, float]:
        """The dead zones' limits on squared differences (m, price): ``F.still_below``."""
        return F.still_below(self.g.delta), F.still_below(self.price_delta)

    def living_links(self) -> tuple[np.ndarray, np.ndarray]:
        """Each in-edge's mixing weight, zero from a departed sender (``Flat._in_edges``'
        ``mixing * w``, the same operations), and each cell's living out-neighbours; kept
        until a cell departs (cells never return, so their count tells)."""
        alive, gr = self.state.levels[0].alive, self.graph
        living = int(np.count_nonzero(alive))
        if self._living is None or self._living[0] != living:
            w_edge = self.mixing * (gr.weight * alive[gr.src])
            receivers = np.bincount(gr.src, weights=alive[gr.dst], minlength=alive.size)
            self._living = (living, w_edge, receivers.astype(np.int64))
        return self._living[1], self._living[2]

    def _fast(self, level: int, rows: slice) -> bool:
        """Whether a phase call takes the kernels (see the module's docstring)."""
        return self.compiled(level, rows) and self.g.filter and self.network.direct(1)

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if not self._fast(level, rows):
            return super().step(level, rows, inputs)
        s, e, g, gr, draws = self.state, self.arrays, self.g, self.graph, inputs.draws
        cells = s.levels[0]
        process = draws.get("process", K.NONE_FLOAT)
        target = np.ascontiguousarray(inputs.target, dtype=np.float64)
        args = (
            gr.in_starts, gr.in_ends, self.living_links()[0], e.recv_m, e.recv_b, e.recv_t,
            e.held_m, e.held_b, e.m, e.b, e.t, e.upstream, e.gateway, target, g.delta,
            self.price_delta, *self.still, self.price_gain,
            cells.x, cells.mu, cells.var, cells.o, s.a, cells.pref, cells.eta, cells.pi_eta,
            cells.tilt, s.h, s.pi_h, draws["noise"][0], process, cells.alive,
            inputs.noise_sd, g.filter_q, g.sensing_var, g.k_a, g.a_max, g.drift,
            g.process_noise, g.x_min, g.x_max,
        )  # fmt: skip
        action, living = K.on_cores(F.price_step, F.price_block, args, self.blocks)
        self.pay_cells(action, living)
        self.compiled_calls += 1
        return None

    @property
    def outbox(self) -> np.ndarray:
        """Per cell, its last message (m, t, b) and the step it was sent, in one row of a
        multiple of 64 bytes, aligned: a receiver reads one cache line per sender."""
        if self._outbox is None:
            n, d = self.arrays.m.shape
            width = -(-(3 * d + 1) // 8) * 8
            buf = np.empty(n * width + 8)
            skip = (-buf.ctypes.data % 64) // 8
            self._outbox = buf[skip : skip + n * width].reshape(n, width)
            self._outbox[:, 3 * d] = -1.0  # nothing sent yet
        return self._outbox

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if not self._fast(level, rows):
            return super().send(level, rows, inputs)
        e, gr, net, cells = self.arrays, self.graph, self.network, self.state.levels[0]
        args = (
            e.m, e.t, e.b, self.gossiped_at, cells.alive, self.living_links()[1], cells.load,
            self.outbox, self.g.delta * self.g.delta, self.price_delta * self.price_delta,
            inputs.step, net.fair, net.refresh_every if net.fair else NEVER,
        )  # fmt: skip
        sent = K.on_cores(F.gossip_senders, F.senders_block, args, self.blocks)
        self.count(int(sent), self.bits_gossip, 1, "lateral")
        lost = self.lost(inputs, "lost_edge")
        now = float(inputs.step)
        args = (
            gr.in_starts, gr.in_ends, gr.src, self.outbox,
            K.NONE_BOOL if lost is None else lost, cells.alive, e.recv_m, e.recv_t, e.recv_b,
            e.recv_time, cells.load, now,
        )  # fmt: skip
        age, living = K.on_cores(F.gossip_receivers, F.receivers_block, args, self.blocks)
        # the measure of this step, taken on the way (deliver(t + 1) moves nothing here)
        self._age = (inputs.step, age, living)
        self.compiled_calls += 1
        return None

    def information_age(self, t: int) -> float:
        if not self._fast(0, slice(0, self.state.levels[0].n)):  # numpy's, as recorded
            return super().information_age(t)
        if self._age is not None and self._age[0] == t:  # taken by this step's send
            _, total, living = self._age
            return float(total / living) if living else np.nan
        gr = self.graph
        args = (
            gr.in_starts, gr.in_ends, self.arrays.recv_time, self.state.levels[0].alive,
            float(t),
        )  # fmt: skip
        total, living = K.on_cores(F.information_age, F.age_block, args, self.blocks)
        return float(total / living) if living else np.nan
