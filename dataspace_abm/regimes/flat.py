"""A single flat layer: cells gossip on a small-world or scale-free graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import equations as eq
from ..core.state import State
from ..core.structure import Holarchy, LateralGraph, build_lateral_graph
from .base import Draws, Regime, StepInputs, delivered, index


@dataclass
class FlatArrays:
    """Each cell's estimates of the global mean and of the target, and the edge mailboxes."""

    m: np.ndarray  # estimate of the mean state
    sent_m: np.ndarray
    recv_m: np.ndarray  # per edge: the sender's estimate as last received
    t: np.ndarray  # estimate of the target
    sent_t: np.ndarray
    recv_t: np.ndarray
    gateway: np.ndarray  # cells that sense the target themselves
    recv_time: np.ndarray  # per edge: when the sender's estimates as last received were sent

    @classmethod
    def start(cls, x: np.ndarray, graph: LateralGraph, gateway: np.ndarray) -> FlatArrays:
        return cls(
            m=x.copy(), sent_m=x.copy(), recv_m=x[graph.src].copy(),
            t=x.copy(), sent_t=x.copy(), recv_t=x[graph.src].copy(), gateway=gateway,
            recv_time=np.zeros(graph.src.size),
        )  # fmt: skip


class Flat(Regime):
    """One layer: cells gossip estimates of the global mean and target with neighbours."""

    name = "flat"

    def __init__(
        self, params: Mapping[str, Any], state: State, holarchy: Holarchy, rng: np.random.Generator
    ) -> None:
        super().__init__(params, state, holarchy, rng)
        cells = state.levels[0]
        seed = int(rng.integers(2**31 - 1))
        self.graph = build_lateral_graph(
            cells.n, params["flat_graph"], params["flat_degree"], params["flat_rewire"], seed
        )
        gateway = np.zeros(cells.n, dtype=bool)
        gateway[rng.choice(cells.n, size=params["gateways"], replace=False)] = True
        self.arrays = FlatArrays.start(cells.x, self.graph, gateway)
        self.gossiped_at = np.zeros(cells.n, dtype=np.int64)
        cells.eta[:] = cells.x  # no parent: a cell's landscape starts where it is

    def information_age(self, t: int) -> float:
        """Mean over living cells of the age of the gossip on their in-edges."""
        g, alive = self.graph, self.state.levels[0].alive
        ages = np.bincount(g.dst, weights=t - self.arrays.recv_time, minlength=alive.size)
        per_cell = ages / np.maximum(np.bincount(g.dst, minlength=alive.size), 1)
        return float(np.mean(per_cell[alive])) if alive.any() else np.nan

    def draw(self, rng: np.random.Generator, inputs: StepInputs, lossy: bool) -> Draws:
        """Loss on every directed edge of the graph."""
        return {"lost_edge": rng.random(self.graph.src.size) < self.p_loss} if lossy else {}

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level != 0:
            return
        s, e, g = self.state, self.arrays, self.graph
        cells = s.levels[0]
        first, last = g.in_starts[rows.start], g.in_ends[rows.stop - 1]
        edges = slice(int(first), int(last))
        rel = g.in_starts[rows] - first
        w = (g.weight[edges] * cells.alive[g.src[edges]])[:, None]
        dst = g.dst[edges]
        mean_est = e.m[rows] + eq.segment_sum(w * (e.recv_m[edges] - e.m[dst]), rel)
        target_est = e.t[rows] + eq.segment_sum(w * (e.recv_t[edges] - e.t[dst]), rel)
        target_est = np.where(e.gateway[rows][:, None], inputs.target, target_est)
        # each cell shifts its own landscape by the estimated gap, at an organ's pace
        eta = cells.eta[rows] + self.g.k_shape * self.g.pi_o / self.g.r * (target_est - mean_est)
        cells.eta[rows] = eta
        known = cells.mu if self.g.filter else cells.x  # what a cell knows of its state
        before = known[rows].copy()
        if self.g.filter:
            self.filter_cells(rows, inputs)
        else:
            o = self.observe(0, rows, inputs)
            mu = self.infer_cells(rows, o, eta, cells.pi_eta[rows])
            self.move_cells(rows, o, mu, inputs)
        # dynamic average consensus: an estimate follows its own cell's moves
        e.m[rows] = mean_est + known[rows] - before
        e.t[rows] = target_est

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level != 0:
            return
        s, e, g, delta = self.state, self.arrays, self.graph, self.g.delta
        cells = s.levels[0]
        net, t = self.network, inputs.step
        send = eq.moved(e.m[rows], e.sent_m[rows], delta) | eq.moved(
            e.t[rows], e.sent_t[rows], delta
        )
        if net.fair:  # repair: an estimate not sent for refresh_every steps goes again
            send |= net.due(t, self.gossiped_at[rows])
            self.gossiped_at[rows] = np.where(send, t, self.gossiped_at[rows])
        send = cells.alive[rows] & send
        idx = index(rows)[send]
        if idx.size == 0:
            return
        e.sent_m[idx], e.sent_t[idx] = e.m[idx], e.t[idx]
        if rows.stop - rows.start == 1:
            edges = g.out_edges[rows.start]
        else:
            in_rows = (g.src >= rows.start) & (g.src < rows.stop)
            edges = np.flatnonzero(in_rows)
            edges = edges[send[g.src[edges] - rows.start]]
        edges = edges[cells.alive[g.dst[edges]]]
        self.count(edges.size, self.g.bits_pair, 1, "lateral")
        np.add.at(cells.load, g.src[edges], 1)
        ok = delivered(self.lost(inputs, "lost_edge"), edges)
        if net.fair:
            writes = ((e.recv_m, e.m[g.src[ok]]), (e.recv_t, e.t[g.src[ok]]))
            writes += ((e.recv_time, np.full(ok.size, float(t))),)
            route = self.route((0, g.src[ok]), (0, g.dst[ok])) if net.limited else None
            net.line.send(
                net.arrival(t, 1), ok, *writes, route=route, direction="lateral", sent_at=t
            )
        else:
            e.recv_m[ok], e.recv_t[ok] = e.m[g.src[ok]], e.t[g.src[ok]]
            e.recv_time[ok] = t
        np.add.at(cells.load, g.dst[ok], 1)
