"""The flat regime with its cells in compiled kernels (the default engine), version 2.

The kernels (``flat_kernels``) run only for a whole cell level of two blocks or more
(``landscape_kernels.blocks``: 131,072 cells and up) under the filter rule, when a
one-hop message may be written straight into its mailbox (``Network.direct(1)``: version
1's protocol, or the fair network with no capacity and ``hop_latency`` at most 1). Then
the delay line would deliver the gossip at ``deliver(t + 1)``, after every phase of the
step and before anything reads it, so writing it while it is sent changes nothing. Every
other case runs the numpy code of ``Flat`` unchanged: small models keep numpy's pairwise
sums (the recorded golden tables compare exactly) and never start numba's threading layer.
"""

from __future__ import annotations

import numpy as np

from . import flat_kernels as F
from . import landscape_kernels as K
from .base import StepInputs
from .flat import Flat

NEVER = np.iinfo(np.int64).max  # version 1's protocol never refreshes


class CompiledFlat(Flat):
    """Flat gossip; under version 2 the cells' step and their gossip in fused kernels."""

    _blocks: np.ndarray | None = None
    _out_dst: np.ndarray | None = None
    _sends: np.ndarray | None = None
    compiled_calls = 0  # how many phases took the kernels (for the tests)

    @property
    def blocks(self) -> np.ndarray:
        """The cells' blocks for the parallel kernels (whole organs each)."""
        if self._blocks is None:
            self._blocks = K.blocks(self.holarchy.n_cells, self.holarchy.starts[1])
        return self._blocks

    @property
    def out_dst(self) -> np.ndarray:
        """Per sender, in ``by_src`` order, the cell each of its edges goes to."""
        if self._out_dst is None:
            self._out_dst = self.graph.dst[self.graph.by_src]
        return self._out_dst

    def _fast(self, level: int, rows: slice) -> bool:
        """Whether a phase call takes the kernels (see the module's docstring)."""
        whole = level == 0 and rows.start == 0 and rows.stop == self.state.levels[0].n
        return whole and self.g.filter and self.network.direct(1) and self.blocks.size > 2

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if not self._fast(level, rows):
            return super().step(level, rows, inputs)
        s, e, g, gr, draws = self.state, self.arrays, self.g, self.graph, inputs.draws
        cells = s.levels[0]
        process = draws.get("process", K.NONE_FLOAT)
        target = np.ascontiguousarray(inputs.target, dtype=np.float64)
        action, living = F.price_step(
            gr.in_starts, gr.in_ends, gr.src, gr.weight, e.recv_m, e.recv_b, e.recv_t,
            e.held_m, e.held_b, e.m, e.b, e.t, e.upstream, e.gateway, target, self.mixing,
            g.delta, self.price_delta, self.price_gain,
            cells.x, cells.mu, cells.var, cells.o, s.a, cells.pref, cells.eta, cells.pi_eta,
            cells.tilt, s.h, s.pi_h, draws["noise"][0], process, cells.alive,
            inputs.noise_sd, g.filter_q, g.sensing_var, g.k_a, g.a_max, g.drift,
            g.process_noise, g.x_min, g.x_max, self.blocks,
        )  # fmt: skip
        s.add("e_action", g.c_act * action)
        s.add("e_inference", g.c_inf * living)
        self.compiled_calls += 1
        return None

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if not self._fast(level, rows):
            return super().send(level, rows, inputs)
        e, gr, net, cells = self.arrays, self.graph, self.network, self.state.levels[0]
        if self._sends is None:
            self._sends = np.zeros(cells.n, dtype=np.bool_)
        sent = F.gossip_senders(
            e.m, e.t, e.b, e.sent_m, e.sent_t, e.sent_b, e.held_m, e.held_b,
            self.gossiped_at, cells.alive, gr.out_starts, self.out_dst, cells.load,
            self._sends, self.g.delta * self.g.delta, self.price_delta * self.price_delta,
            inputs.step, net.fair, net.refresh_every if net.fair else NEVER, self.blocks,
        )  # fmt: skip
        self.count(int(sent), self.bits_gossip, 1, "lateral")
        lost = self.lost(inputs, "lost_edge")
        F.gossip_receivers(
            gr.in_starts, gr.in_ends, gr.src, self._sends,
            K.NONE_BOOL if lost is None else lost, cells.alive, e.m, e.t, e.b, e.recv_m,
            e.recv_t, e.recv_b, e.recv_time, cells.load, float(inputs.step), self.blocks,
        )  # fmt: skip
        self.compiled_calls += 1
        return None

    def information_age(self, t: int) -> float:
        if self.blocks.size <= 2:  # one block: numpy's pairwise mean, as recorded
            return super().information_age(t)
        gr = self.graph
        total, living = F.information_age(
            gr.in_starts, gr.in_ends, self.arrays.recv_time, self.state.levels[0].alive,
            float(t), self.blocks,
        )  # fmt: skip
        return float(total / living) if living else np.nan
