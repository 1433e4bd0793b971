"""The landscape regime with its cell level in compiled kernels (the default engine).

Above the cells the numpy code runs unchanged: organs, organizations and society are a
thousandth of the rows. Only whole-level calls take the kernels; one-row calls (the
per-agent engine) run the numpy reference. A cell's report and its organ's landscape are
written straight into the receiver's mailbox whenever that is when the delay line would
deliver them (one hop, ``hop_latency`` at most 1, no capacity queue): the receiver reads
them in the next step's phases either way. A cell level of two blocks or more
(``landscape_kernels.blocks``) runs block by block on every core.
"""

from __future__ import annotations

import numpy as np

from . import landscape_kernels as K
from .base import StepInputs
from .compiled import NEVER, CompiledCells
from .landscape import Landscape


def _whole(level, rows: slice) -> bool:
    return rows.start == 0 and rows.stop == level.n


class CompiledLandscape(CompiledCells, Landscape):
    """Landscape shaping; cells sense, infer, act and report in fused kernels."""

    always = True  # at every size: the recorded runs were made with these kernels

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        cells = self.state.levels[0]
        if level != 0 or not _whole(cells, rows):
            return super().step(level, rows, inputs)
        s, g, draws = self.state, self.g, inputs.draws
        process = draws.get("process", K.NONE_FLOAT)
        if g.filter:
            args = (
                cells.x, cells.mu, cells.var, cells.o, s.a, cells.pref, cells.eta, cells.pi_eta,
                cells.tilt, s.h, s.pi_h, draws["noise"][0], process, cells.alive,
                inputs.noise_sd, g.filter_q, g.sensing_var, g.k_a, g.a_max, g.drift,
                g.process_noise, g.x_min, g.x_max, K.LANDSCAPE,
            )  # fmt: skip
            has_process = (process.shape[0] == cells.n,)
            action, living = K.on_cores(
                K.filter_cells_step, K.filter_block, args, self.blocks, has_process
            )
            self.pay_cells(action, living)
            return None
        action, living = K.landscape_cells_step(
            cells.x, cells.mu, cells.o, s.a, cells.eta, cells.pi_eta, s.h, s.pi_h,
            draws["noise"][0], process, cells.alive, inputs.noise_sd, g.pi_o, g.k_mu,
            g.k_a, g.a_max, g.drift, g.process_noise, g.x_min, g.x_max,
        )  # fmt: skip
        self.pay_cells(action, living)

    def coarse_grain(self, level: int, rows: slice, kids: slice, rel: np.ndarray) -> None:
        lv, cells = self.state.levels[level], self.state.levels[0]
        # one block: numpy's pairwise sums, whose rounding the recorded runs keep
        if level != 1 or not _whole(lv, rows) or self.blocks.size <= 2:
            return super().coarse_grain(level, rows, kids, rel)
        hol = self.holarchy
        K.coarse_grain_cells(
            cells.reported, cells.report_time, cells.alive, hol.starts[1], hol.ends[1], lv.x,
            lv.info_time,
        )  # fmt: skip
        return None

    def report_up(self, level: int, rows: slice, inputs: StepInputs, hops: int = 1) -> None:
        lv = self.state.levels[level]
        if level != 0 or not _whole(lv, rows) or not self.network.direct(1):
            return super().report_up(level, rows, inputs, hops)
        lost = self.lost(inputs, "lost_up", 0)
        known = lv.mu if self.g.filter else lv.x  # version 2's cells report their estimate
        args = (
            known, lv.sent_up, lv.reported, lv.report_time, float(inputs.step), lv.alive,
            K.NONE_BOOL if lost is None else lost,
            self.holarchy.parent[0], lv.load, self.state.levels[1].load,
            self.g.delta * self.g.delta, self.reported_at[0],
            self.network.refresh_every if self.network.fair else NEVER,
        )  # fmt: skip
        sent = K.on_cores(K.report_up, K.report_block, args, self.blocks)
        self.count(sent, self.g.bits_state, hops, "up")

    def broadcast(self, level: int, rows: slice, inputs: StepInputs) -> None:
        lv, cells = self.state.levels[level], self.state.levels[0]
        if level != 1 or not _whole(lv, rows) or not self.network.direct(1):
            return super().broadcast(level, rows, inputs)
        changed = self.changed_landscapes(level, rows, inputs.step)
        if not changed.any():
            return
        lost = self.lost(inputs, "lost_down", 0)
        # a tilt goes where a centre would; the cells' well precision stays zero
        centre, into = (lv.tilt_child, cells.tilt) if self.tilted else (lv.theta, cells.eta)
        precision = self.no_well if self.tilted else lv.pi_child
        args = (
            into, cells.pi_eta, cells.landscape_time, cells.alive,
            K.NONE_BOOL if lost is None else lost, self.holarchy.parent[0], changed, centre,
            precision, lv.passed_time, cells.load, lv.load,
        )  # fmt: skip
        sent = K.on_cores(K.receive_landscape, K.receive_block, args, self.blocks)
        self.count(sent, self.g.bits_landscape, 1, "down")

    @property
    def no_well(self):
        return np.zeros(self.holarchy.sizes[1])
