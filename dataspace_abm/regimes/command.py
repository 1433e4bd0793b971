"""Central command: society computes every cell's set point (micromanagement)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import equations as eq
from .base import Regime, _index

if TYPE_CHECKING:
    pass


class Command(Regime):
    """Cells report to society through every level; society computes every set point."""

    name = "command"

    def step(self, level: int, rows: slice) -> None:
        if level == 0:
            s = self.s
            cells, order = s.levels[0], s.extra["order"][rows]
            o = self.observe(0, rows)
            cells.o[rows], cells.mu[rows] = o, order  # no inference: the order is the belief
            self.move_cells(rows, o, order)
        elif level == len(self.s.levels) - 1:
            self.plan()

    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        if level > 0:
            return super().free_energy(level, rows)
        s, order = self.s, self.s.extra["order"][rows]
        o = s.levels[0].o[rows]
        return eq.free_energy(o, order, order, self.pi_o, self.pi_prior, s.h[rows], s.pi_h[rows])

    def plan(self) -> None:
        """Society: read at most ``central_capacity`` queued reports, solve, queue orders."""
        s, m, e = self.s, self.m, self.s.extra
        cap, alive = m.p["central_capacity"], s.levels[0].alive
        read = eq.oldest_first(e["pending_in"], cap)
        e["view_x"][read], e["view_h"][read] = e["inbox_x"][read], e["inbox_h"][read]
        e["pending_in"][read] = -1
        e["setpoint"] = eq.central_setpoints(e["view_h"], s.pi_h, m.target, alive)
        changed = alive & eq.moved(e["setpoint"], e["sent_order"], self.delta)
        e["pending_out"][changed & (e["pending_out"] < 0)] = m.steps
        e["sending"] = eq.oldest_first(e["pending_out"], cap)
        n_alive = np.count_nonzero(alive)
        s.add("e_central", m.p["c_central"] * n_alive)
        s.add("cells_handled", n_alive)
        root = s.levels[-1]
        w = alive.astype(float)
        root.x[0] = np.sum(e["view_x"] * w[:, None], axis=0) / max(w.sum(), 1.0)

    def send(self, level: int, rows: slice) -> None:
        if level == 0:
            self.report_to_centre(rows)
        elif level == len(self.s.levels) - 1:
            self.send_orders()

    def _relay(self, cells: np.ndarray) -> None:
        """Organs and organizations forward each message: received plus sent, 2 each."""
        hol, s = self.m.holarchy, self.s
        organ = hol.parent[0][cells]
        np.add.at(s.levels[1].load, organ, 2)
        np.add.at(s.levels[2].load, hol.parent[1][organ], 2)

    def report_to_centre(self, rows: slice) -> None:
        s, e = self.s, self.s.extra
        cells = s.levels[0]
        hops = len(s.levels) - 1
        send = cells.alive[rows] & (
            eq.moved(cells.x[rows], cells.sent_up[rows], self.delta)
            | eq.moved(s.h[rows], e["sent_h"][rows], self.delta)
        )
        idx = _index(rows)[send]
        cells.sent_up[idx], e["sent_h"][idx] = cells.x[idx], s.h[idx]
        self.count(idx.size, self.bits_pair, hops, "up")
        np.add.at(cells.load, idx, 1)
        ok = idx[self.arrived("lost_up", 0, idx)]
        e["inbox_x"][ok], e["inbox_h"][ok] = cells.x[ok], s.h[ok]
        fresh = ok[e["pending_in"][ok] < 0]
        e["pending_in"][fresh] = self.m.steps
        self._relay(ok)
        s.levels[-1].load[0] += ok.size

    def send_orders(self) -> None:
        s, e = self.s, self.s.extra
        idx = e["sending"]
        e["sent_order"][idx] = e["setpoint"][idx]
        e["pending_out"][idx] = -1
        self.count(idx.size, self.bits_state, len(s.levels) - 1, "down")
        s.levels[-1].load[0] += idx.size
        ok = idx[self.arrived("lost_down", 0, idx)]
        e["order"][ok] = e["setpoint"][ok]
        self._relay(ok)
        np.add.at(s.levels[0].load, ok, 1)
