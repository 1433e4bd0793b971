"""The landscape regime with its cell level in compiled kernels (the default engine).

Above the cells the numpy code runs unchanged: organs, organizations and society are a
thousandth of the rows. Only whole-level calls take the kernels; one-row calls (the
per-agent engine) run the numpy reference.
"""

from __future__ import annotations

import numpy as np

from . import kernels as K
from .regimes import Landscape


def _whole(level, rows: slice) -> bool:
    return rows.start == 0 and rows.stop == level.n


class CompiledLandscape(Landscape):
    """Landscape shaping; cells sense, infer, act and report in fused kernels."""

    def step(self, level: int, rows: slice) -> None:
        cells = self.s.levels[0]
        if level != 0 or not _whole(cells, rows):
            return super().step(level, rows)
        s, m, p = self.s, self.m, self.m.p
        process = m.draws.get("process", K.NONE_FLOAT)
        action, living = K.landscape_cells_step(
            cells.x, cells.mu, cells.o, s.a, cells.eta, cells.pi_eta, s.h, s.pi_h,
            m.draws["noise"][0], process, cells.alive, m.noise_sd, self.pi_o, self.k_mu,
            self.k_a, self.a_max, float(p["drift"]), float(p["process_noise"]), self.x_min,
            self.x_max,
        )  # fmt: skip
        s.add("e_action", p["c_act"] * action)
        s.add("e_inference", p["c_inf"] * living)

    def report_up(self, level: int, rows: slice, hops: int = 1) -> np.ndarray | None:
        lv = self.s.levels[level]
        if level != 0 or not _whole(lv, rows):
            return super().report_up(level, rows, hops)
        lost = self.m.draws.get("lost_up")
        sent = K.report_up(
            lv.x, lv.sent_up, lv.reported, lv.alive, K.NONE_BOOL if lost is None else lost[0],
            self.m.holarchy.parent[0], lv.load, self.s.levels[1].load, self.delta * self.delta,
        )  # fmt: skip
        self.count(sent, self.bits_state, hops, "up")
        return None

    def broadcast(self, level: int, rows: slice) -> None:
        lv, cells = self.s.levels[level], self.s.levels[0]
        if level != 1 or not _whole(lv, rows):
            return super().broadcast(level, rows)
        changed = self.changed_landscapes(level, rows)
        if not changed.any():
            return
        lost = self.m.draws.get("lost_down")
        sent = K.receive_landscape(
            cells.eta, cells.pi_eta, cells.alive, K.NONE_BOOL if lost is None else lost[0],
            self.m.holarchy.parent[0], changed, lv.theta, lv.pi_child, cells.load, lv.load,
        )  # fmt: skip
        self.count(sent, self.bits_landscape, 1, "down")

    def cell_summary(self) -> dict:
        s = self.s
        cells = s.levels[0]
        sum_x, niche, free, alive, max_load = K.cells_summary(
            cells.x, s.h, cells.o, cells.mu, cells.eta, cells.pi_eta, s.pi_h, self.pi_o,
            cells.alive, cells.load,
        )  # fmt: skip
        return {
            "sum_x": sum_x,
            "sum_niche_distance": niche,
            "sum_free_energy": free,
            "alive": alive,
            "max_load": max_load,
        }
