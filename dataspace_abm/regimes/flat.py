"""A single flat layer: cells gossip on a small-world or scale-free graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import equations as eq
from .base import Regime, _index

if TYPE_CHECKING:
    pass


class Flat(Regime):
    """One layer: cells gossip estimates of the global mean and target with neighbours."""

    name = "flat"

    def step(self, level: int, rows: slice) -> None:
        if level != 0:
            return
        s, e, g, m = self.s, self.s.extra, self.m.lateral, self.m
        cells = s.levels[0]
        first, last = g.in_starts[rows.start], g.in_ends[rows.stop - 1]
        edges = slice(int(first), int(last))
        rel = g.in_starts[rows] - first
        w = (g.weight[edges] * cells.alive[g.src[edges]])[:, None]
        dst = g.dst[edges]
        mean_est = e["m"][rows] + eq.segment_sum(w * (e["recv_m"][edges] - e["m"][dst]), rel)
        target_est = e["t"][rows] + eq.segment_sum(w * (e["recv_t"][edges] - e["t"][dst]), rel)
        target_est = np.where(e["gateway"][rows][:, None], m.target, target_est)
        # each cell shifts its own landscape by the estimated gap, at an organ's pace
        eta = cells.eta[rows] + self.k_a * self.pi_o / self.r * (target_est - mean_est)
        cells.eta[rows] = eta
        o = self.observe(0, rows)
        mu = self.infer_cells(rows, o, eta, cells.pi_eta[rows])
        before = cells.x[rows].copy()
        self.move_cells(rows, o, mu)
        # dynamic average consensus: an estimate follows its own cell's moves
        e["m"][rows] = mean_est + cells.x[rows] - before
        e["t"][rows] = target_est

    def send(self, level: int, rows: slice) -> None:
        if level != 0:
            return
        s, e, g = self.s, self.s.extra, self.m.lateral
        cells = s.levels[0]
        send = cells.alive[rows] & (
            eq.moved(e["m"][rows], e["sent_m"][rows], self.delta)
            | eq.moved(e["t"][rows], e["sent_t"][rows], self.delta)
        )
        idx = _index(rows)[send]
        if idx.size == 0:
            return
        e["sent_m"][idx], e["sent_t"][idx] = e["m"][idx], e["t"][idx]
        if rows.stop - rows.start == 1:
            edges = g.out_edges[rows.start]
        else:
            in_rows = (g.src >= rows.start) & (g.src < rows.stop)
            edges = np.flatnonzero(in_rows)
            edges = edges[send[g.src[edges] - rows.start]]
        edges = edges[cells.alive[g.dst[edges]]]
        self.count(edges.size, self.bits_pair, 1, "lateral")
        np.add.at(cells.load, g.src[edges], 1)
        ok = edges[self.arrived("lost_edge", 0, edges)]
        e["recv_m"][ok], e["recv_t"][ok] = e["m"][g.src[ok]], e["t"][g.src[ok]]
        np.add.at(cells.load, g.dst[ok], 1)
