"""Central command: society computes every cell's set point (micromanagement)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import equations as eq
from ..core.state import State
from ..core.structure import Holarchy
from .base import Draws, KeptOptimum, Regime, StepInputs, delivered, index


@dataclass
class CommandArrays:
    """The centre's queues and views, and the orders in flight (one row per cell)."""

    order: np.ndarray  # the set point a cell last received (its belief)
    setpoint: np.ndarray  # the set point the centre computed
    sent_order: np.ndarray  # the set point the centre last sent
    sent_h: np.ndarray  # the niche a cell last reported
    inbox_x: np.ndarray  # reports that reached the centre, not yet read
    inbox_h: np.ndarray
    view_x: np.ndarray  # what the centre has read
    view_h: np.ndarray
    pending_in: np.ndarray  # step since which a cell's report waits to be read (-1 none)
    pending_out: np.ndarray  # step since which a cell's order waits to be sent (-1 none)
    sending: np.ndarray  # the cells whose orders leave this step
    inbox_time: np.ndarray  # when the niches in the inbox were observed
    view_time: np.ndarray  # when the niches the centre has read were observed
    order_time: np.ndarray  # per cell: when what its order was computed from was observed

    @classmethod
    def start(cls, state: State) -> CommandArrays:
        x, h, n = state.levels[0].x, state.h, state.levels[0].n
        return cls(
            order=x.copy(), setpoint=x.copy(), sent_order=x.copy(), sent_h=h.copy(),
            inbox_x=x.copy(), inbox_h=h.copy(), view_x=x.copy(), view_h=h.copy(),
            pending_in=np.full(n, -1, dtype=np.int64), pending_out=np.full(n, -1, dtype=np.int64),
            sending=np.zeros(0, dtype=np.int64), inbox_time=np.zeros(n), view_time=np.zeros(n),
            order_time=np.zeros(n),
        )  # fmt: skip


class Command(Regime):
    """Cells report to society through every level; society computes every set point."""

    name = "command"
    # the centre sends set points: no landscape, and no lateral graph
    unread = frozenset(
        {
            "landscape_parts", "tilt_gain", "tilt_feedforward", "tilt_route", "gain",
            "centre_leak", "centre_margin",
            "flat_graph", "flat_degree", "flat_rewire", "gateways",
        }
    )  # fmt: skip

    def __init__(
        self, params: Mapping[str, Any], state: State, holarchy: Holarchy, rng: np.random.Generator
    ) -> None:
        super().__init__(params, state, holarchy, rng)
        # society's capacity: version 1's central_capacity, or every holon's if smaller
        node = params["node_capacity"]
        self.capacity = (
            min(params["central_capacity"], node) if node else params["central_capacity"]
        )
        self.arrays = CommandArrays.start(state)
        self.hops = len(holarchy.sizes) - 1  # cell to society: through every level
        self.ordered_at = np.zeros(holarchy.n_cells, dtype=np.int64)  # last order sent
        self.kept_view, self.views_read = KeptOptimum(), 0  # the plan over what it read

    def draw(self, rng: np.random.Generator, inputs: StepInputs, lossy: bool) -> Draws:
        """Under the fair network, a loss draw for every hop of every message."""
        if not (lossy and self.network.fair):
            return {}
        shape = (self.holarchy.n_cells, self.hops)
        return {
            "lost_up_hop": rng.random(shape) < self.p_loss,
            "lost_down_hop": rng.random(shape) < self.p_loss,
        }

    def _survivors(self, inputs: StepInputs, direction: str, idx: np.ndarray) -> np.ndarray:
        """Of the messages of cells ``idx``, those that reach the other end."""
        if not self.network.fair:
            return delivered(self.lost(inputs, f"lost_{direction}", 0), idx)
        lost = inputs.draws.get(f"lost_{direction}_hop")
        return idx if lost is None else idx[~lost[idx].any(axis=1)]

    def information_age(self, t: int) -> float:
        alive = self.state.levels[0].alive
        return float(np.mean(t - self.arrays.order_time[alive])) if alive.any() else np.nan

    def on_removed(self) -> None:
        """The centre stops waiting for the departed."""
        dead = ~self.state.levels[0].alive
        self.arrays.pending_in[dead] = -1
        self.arrays.pending_out[dead] = -1

    def cell_preference(self, rows: slice) -> np.ndarray:
        return self.arrays.order[rows]  # a cell under command wants what it is ordered

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level == 0 and self.g.filter:
            self.filter_cells(rows, inputs)
        elif level == 0:
            cells, order = self.state.levels[0], self.arrays.order[rows]
            o = self.observe(0, rows, inputs)
            cells.o[rows], cells.mu[rows] = o, order  # no inference: the order is the belief
            self.move_cells(rows, o, order, inputs)
        elif level == len(self.state.levels) - 1:
            self.plan(inputs)

    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        if level > 0:
            return super().free_energy(level, rows)
        s, order = self.state, self.arrays.order[rows]
        o, g = s.levels[0].o[rows], self.g
        belief = s.levels[0].mu[rows] if g.filter else order  # v1: the order is the belief
        return eq.free_energy(o, belief, order, g.pi_o, g.pi_prior, s.h[rows], s.pi_h[rows])

    def read_reports(self, inputs: StepInputs) -> None:
        """Society reads at most ``central_capacity`` queued reports, oldest first (their
        waits counted), into what it knows of the cells."""
        s, e = self.state, self.arrays
        read = eq.oldest_first(e.pending_in, self.capacity)
        s.add_waits(inputs.step - e.pending_in[read])
        e.view_x[read], e.view_h[read] = e.inbox_x[read], e.inbox_h[read]
        e.view_time[read] = e.inbox_time[read]
        e.pending_in[read] = -1
        self.views_read += bool(read.size)  # the niches the centre knows changed

    def queue_orders(self, inputs: StepInputs, living: int) -> None:
        """The orders that leave this step (at most ``central_capacity``, oldest first,
        their waits counted), and the centre's cost of handling ``living`` cells."""
        s, e = self.state, self.arrays
        e.sending = eq.oldest_first(e.pending_out, self.capacity)
        s.add_waits(inputs.step - e.pending_out[e.sending])
        s.add("e_central", self.g.c_central * living)
        s.add("cells_handled", living)

    def plan(self, inputs: StepInputs) -> None:
        """Society: read at most ``central_capacity`` queued reports, solve, queue orders."""
        s, e = self.state, self.arrays
        alive = s.levels[0].alive
        self.read_reports(inputs)
        e.setpoint = self.setpoints(inputs, alive)
        changed = eq.moved(e.setpoint, e.sent_order, self.g.delta)
        if self.network.fair:  # repair: an order not sent for refresh_every steps goes again
            changed |= self.network.due(inputs.step, self.ordered_at)
        changed &= alive
        e.pending_out[changed & (e.pending_out < 0)] = inputs.step
        self.queue_orders(inputs, np.count_nonzero(alive))
        root = s.levels[-1]
        w = alive.astype(float)
        seen = e.setpoint if self.g.filter else e.view_x  # v2 cells report no state
        root.x[0] = np.sum(seen * w[:, None], axis=0) / max(w.sum(), 1.0)

    def setpoints(self, inputs: StepInputs, alive: np.ndarray) -> np.ndarray:
        """Every cell's set point: the optimum over the niches the centre has read."""
        key = (self.state.niche_stamp, self.views_read)
        e = self.arrays
        return self.kept_view.setpoints(
            key, e.view_h, self.state.pi_h, inputs.target, alive, *self.bounds
        )

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level == 0:
            self.report_to_centre(rows, inputs)
        elif level == len(self.state.levels) - 1:
            self.send_orders(inputs)

    def path_up(self, cells: np.ndarray) -> np.ndarray:
        """The holons from each of ``cells`` to society: the cell, its organ, its
        organization, society (whose own queues apply, not the network's)."""
        hol = self.holarchy
        organ = hol.parent[0][cells]
        organization = hol.parent[1][organ]
        return self.route((0, cells), (1, organ), (2, organization), (3, np.zeros_like(cells)))

    def _relay(self, cells: np.ndarray) -> None:
        """Organs and organizations forward each message: received plus sent, 2 each."""
        hol, s = self.holarchy, self.state
        organ = hol.parent[0][cells]
        np.add.at(s.levels[1].load, organ, 2)
        np.add.at(s.levels[2].load, hol.parent[1][organ], 2)

    def reporting(self, rows: slice, inputs: StepInputs) -> np.ndarray:
        """The cells of ``rows`` that report this step (send-on-delta of their niche, and
        the refresh), their last report and load updated."""
        s, e, delta = self.state, self.arrays, self.g.delta
        cells = s.levels[0]
        net, t = self.network, inputs.step
        send = eq.moved(s.h[rows], e.sent_h[rows], delta)  # the planner reads niches
        if not self.g.filter:  # version 1's cells also reported their state
            send = eq.moved(cells.x[rows], cells.sent_up[rows], delta) | send
        if net.fair:  # repair: a report not sent for refresh_every steps goes again
            send |= net.due(t, self.reported_at[0][rows])
            self.reported_at[0][rows] = np.where(send, t, self.reported_at[0][rows])
        send = cells.alive[rows] & send
        idx = index(rows)[send]
        cells.sent_up[idx], e.sent_h[idx] = cells.x[idx], s.h[idx]
        np.add.at(cells.load, idx, 1)
        return idx

    def report_to_centre(self, rows: slice, inputs: StepInputs) -> None:
        s, e = self.state, self.arrays
        cells = s.levels[0]
        hops = len(s.levels) - 1
        net, t = self.network, inputs.step
        idx = self.reporting(rows, inputs)
        bits = self.g.bits_state if self.g.filter else self.g.bits_pair
        self.count(idx.size, bits, hops, "up")
        ok = self._survivors(inputs, "up", idx)
        if net.fair:  # in flight: queued at the centre when it arrives
            writes = ((e.inbox_x, cells.x[ok]), (e.inbox_h, s.h[ok]))
            writes += ((e.inbox_time, np.full(ok.size, float(t))),)
            route = self.path_up(ok) if net.limited else None
            net.line.send(
                net.arrival(t, hops), ok, *writes, stamp=e.pending_in, route=route, sent_at=t
            )
        else:
            e.inbox_x[ok], e.inbox_h[ok] = cells.x[ok], s.h[ok]
            e.inbox_time[ok] = t
            fresh = ok[e.pending_in[ok] < 0]
            e.pending_in[fresh] = inputs.step
        self._relay(ok)
        s.levels[-1].load[0] += ok.size

    def view_seen(self, alive: np.ndarray) -> float:
        """When, on average over the living cells, what the centre read was observed."""
        return float(np.mean(self.arrays.view_time[alive])) if alive.any() else 0.0

    def send_orders(self, inputs: StepInputs) -> None:
        s, e = self.state, self.arrays
        idx, net = e.sending, self.network
        e.sent_order[idx] = e.setpoint[idx]
        e.pending_out[idx] = -1
        self.ordered_at[idx] = inputs.step
        self.count(idx.size, self.g.bits_state, len(s.levels) - 1, "down")
        s.levels[-1].load[0] += idx.size
        ok = self._survivors(inputs, "down", idx)
        alive = s.levels[0].alive
        # every set point rests on every living cell's niche as the centre last read it
        seen = np.full(ok.size, self.view_seen(alive))
        if net.fair:
            writes = ((e.order, e.setpoint[ok]), (e.order_time, seen))
            route = self.path_up(ok)[:, ::-1] if net.limited else None
            net.line.send(
                net.arrival(inputs.step, self.hops), ok, *writes,
                route=route, direction="down", sent_at=inputs.step,
            )  # fmt: skip
        else:
            e.order[ok], e.order_time[ok] = e.setpoint[ok], seen
        self._relay(ok)
        np.add.at(s.levels[0].load, ok, 1)
