"""A single flat layer: cells gossip on a small-world or scale-free graph.

Version 1 (``cell_rule = "gradient"``): each cell shifts its own well by its consensus
estimate of the gap. Version 2 (``cell_rule = "filter"``): each cell learns a price (a
tilt, no well) by dual ascent on its consensus estimate of the gap, and the cells agree on
the price by consensus (docs/odd.md 13). The gossip of version 2 is built so that
send-on-delta cannot bias it: differences are taken against what the neighbours hold of
a cell, which keeps the sums exact, and the target travels from the gateways down a tree
of shortest paths rather than by averaging, which a dead zone of ``delta`` stalls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import equations as eq
from ..core.state import State
from ..core.structure import Holarchy, LateralGraph, build_lateral_graph
from . import flat_kernels as F
from .base import Draws, Regime, StepInputs, delivered, index
from .landscape import ROUND_TRIP
from .noise import BLOCK_ROWS


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

    # version 2 only: the price, and what the neighbours hold of each cell
    b: np.ndarray | None = None  # each cell's price (the tilt of its landscape)
    sent_b: np.ndarray | None = None
    recv_b: np.ndarray | None = None  # per edge: the sender's price as last received
    held_m: np.ndarray | None = None  # per cell: its m as its neighbours hold it
    held_b: np.ndarray | None = None
    upstream: np.ndarray | None = None  # per cell: its in-edge one hop nearer a gateway

    @classmethod
    def start(cls, x: np.ndarray, graph: LateralGraph, gateway: np.ndarray) -> FlatArrays:
        """Every estimate at the cell's own state, every mailbox at its sender's."""
        received = x[graph.src]  # a gather is a new array: one gather, one copy of it
        return cls(
            m=x.copy(), sent_m=x.copy(), recv_m=received,
            t=x.copy(), sent_t=x.copy(), recv_t=received.copy(), gateway=gateway,
            recv_time=np.zeros(graph.src.size),
        )  # fmt: skip


class Flat(Regime):
    """One layer: cells gossip estimates of the global mean and target with neighbours."""

    name = "flat"
    # no society and no landscape parts: flat's cells shift their own landscape
    unread = frozenset(
        {
            "central_capacity", "landscape_parts", "gain", "centre_leak", "centre_margin",
            "coordination_scope", "trust_threshold", "tilt_feedforward", "tilt_route",
        }
    )  # fmt: skip

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
        self.bits_gossip = self.g.bits_pair  # a message: (m, t); version 2 adds the price
        if self.g.filter:
            self._start_price(params)

    def _start_price(self, params: Mapping[str, Any]) -> None:
        """Version 2: no well, a price per cell (zero), gossiped with the estimates."""
        e, cells = self.arrays, self.state.levels[0]
        cells.pi_eta[:] = 0.0  # the cells' landscape is their niche, tilted by the price
        e.b, e.sent_b = np.zeros_like(e.m), np.zeros_like(e.m)
        e.recv_b = np.zeros_like(e.recv_m)
        e.held_m, e.held_b = e.m.copy(), e.b.copy()
        e.upstream = upstream_edges(self.graph, e.gateway, cells.alive)
        # dual ascent on the gap (landscape's tilt_gain; the gossip's loop is one hop each
        # way, so the gain is scaled down only when a hop takes more than three steps)
        hop = max(1, self.network.hop_latency) if self.network.fair else 1
        self.price_gain = params["tilt_gain"] * min(1.0, ROUND_TRIP / (2 * hop))
        # consensus on values a neighbour read tau steps late, z <- z - a z(t - tau), is
        # stable only for a < 2 sin(pi / (2 (2 tau + 1))); Metropolis weights keep the
        # Laplacian's eigenvalues below 2, so this step keeps every mode stable
        tau = max(0, self.network.hop_latency - 1) if self.network.fair else 0
        self.mixing = float(np.sin(np.pi / (2 * (2 * tau + 1))))
        # a price moves a preferred state by b / pi_h: send when that moved by delta
        self.price_delta = self.g.delta * params["pi_h"]
        self.bits_gossip = eq.message_bits(
            3 * self.g.d, params["float_bits"], params["header_bits"]
        )

    def on_removed(self) -> None:
        """Under version 2 the target's routes avoid the departed."""
        if self.g.filter:
            e = self.arrays
            e.upstream = upstream_edges(self.graph, e.gateway, self.state.levels[0].alive)

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
        if self.g.filter:
            return self._step_price(rows, inputs)
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
        before = cells.x[rows].copy()
        o = self.observe(0, rows, inputs)
        mu = self.infer_cells(rows, o, eta, cells.pi_eta[rows])
        self.move_cells(rows, o, mu, inputs)
        # dynamic average consensus: an estimate follows its own cell's moves
        e.m[rows] = mean_est + cells.x[rows] - before
        e.t[rows] = target_est

    def _in_edges(self, rows: slice) -> tuple[slice, np.ndarray, np.ndarray, np.ndarray]:
        """The edges into ``rows``: their slice, segment starts, living-sender weights and
        receivers."""
        g, cells = self.graph, self.state.levels[0]
        first, last = g.in_starts[rows.start], g.in_ends[rows.stop - 1]
        edges = slice(int(first), int(last))
        w = (g.weight[edges] * cells.alive[g.src[edges]])[:, None]
        return edges, g.in_starts[rows] - first, w, g.dst[edges]

    def _step_price(self, rows: slice, inputs: StepInputs) -> None:
        """Version 2: consensus on the mean estimate and the price, the target from the
        gateways, dual ascent on the estimated gap, then the cells' filter rule."""
        e, cells = self.arrays, self.state.levels[0]
        edges, rel, w, dst = self._in_edges(rows)
        # against what the neighbours hold of this cell, not its current value: then every
        # edge's two corrections cancel, so the sums of m and b are kept exactly (the mean
        # of m is the mean estimate) however stale send-on-delta leaves the values
        gap_m = dead_zone(e.recv_m[edges] - e.held_m[dst], self.g.delta)
        gap_b = dead_zone(e.recv_b[edges] - e.held_b[dst], self.price_delta)
        w = self.mixing * w
        mean_est = e.m[rows] + eq.segment_sum(w * gap_m, rel)
        price = e.b[rows] + eq.segment_sum(w * gap_b, rel)
        target_est = self._target(rows, inputs)
        # the mean of the prices integrates T - mean(mu): dual ascent, as the tilt's top
        price = price + self.price_gain * (target_est - mean_est)
        e.b[rows], cells.tilt[rows] = price, price
        before = cells.mu[rows].copy()
        self.filter_cells(rows, inputs)
        # dynamic average consensus: an estimate follows its own cell's estimate
        e.m[rows] = mean_est + cells.mu[rows] - before
        e.t[rows] = target_est

    def _target(self, rows: slice, inputs: StepInputs) -> np.ndarray:
        """A gateway senses ``T(t)``; another cell takes the target its neighbour one hop
        nearer a gateway last sent (flooding: exact in as many steps as hops, where an
        average of neighbours would stall in send-on-delta's dead zone)."""
        e = self.arrays
        up = e.upstream[rows]
        routed = np.where((up >= 0)[:, None], e.recv_t[np.maximum(up, 0)], e.t[rows])
        return np.where(e.gateway[rows][:, None], inputs.target, routed)

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level != 0:
            return
        s, e, g, delta = self.state, self.arrays, self.graph, self.g.delta
        cells = s.levels[0]
        net, t = self.network, inputs.step
        send = eq.moved(e.m[rows], e.sent_m[rows], delta) | eq.moved(
            e.t[rows], e.sent_t[rows], delta
        )
        if self.g.filter:
            send |= eq.moved(e.b[rows], e.sent_b[rows], self.price_delta)
        if net.fair:  # repair: an estimate not sent for refresh_every steps goes again
            send |= net.due(t, self.gossiped_at[rows])
            self.gossiped_at[rows] = np.where(send, t, self.gossiped_at[rows])
        send = cells.alive[rows] & send
        idx = index(rows)[send]
        if idx.size == 0:
            return
        e.sent_m[idx], e.sent_t[idx] = e.m[idx], e.t[idx]
        if rows.stop - rows.start == 1:
            edges = g.sent_by(rows.start)
        else:
            in_rows = (g.src >= rows.start) & (g.src < rows.stop)
            edges = np.flatnonzero(in_rows)
            edges = edges[send[g.src[edges] - rows.start]]
        edges = edges[cells.alive[g.dst[edges]]]
        self.count(edges.size, self.bits_gossip, 1, "lateral")
        np.add.at(cells.load, g.src[edges], 1)
        ok = delivered(self.lost(inputs, "lost_edge"), edges)
        if net.fair:
            writes = ((e.recv_m, e.m[g.src[ok]]), (e.recv_t, e.t[g.src[ok]]))
            writes += ((e.recv_time, np.full(ok.size, float(t))),)
            if self.g.filter:  # version 2: the price goes with the estimates
                writes += ((e.recv_b, e.b[g.src[ok]]),)
            route = self.route((0, g.src[ok]), (0, g.dst[ok])) if net.limited else None
            net.line.send(
                net.arrival(t, 1), ok, *writes, route=route, direction="lateral", sent_at=t
            )
        else:
            e.recv_m[ok], e.recv_t[ok] = e.m[g.src[ok]], e.t[g.src[ok]]
            e.recv_time[ok] = t
        np.add.at(cells.load, g.dst[ok], 1)
        if self.g.filter:
            self._send_price(idx, ok, t)

    def _send_price(self, idx: np.ndarray, ok: np.ndarray, t: int) -> None:
        """Version 2: the price goes with the estimates; each sender keeps what its
        neighbours now hold of it (its message, once it has arrived: its own books, not a
        message, so they take no capacity)."""
        e, src = self.arrays, self.graph.src
        e.sent_b[idx] = e.b[idx]
        held = ((e.held_m, e.m[idx]), (e.held_b, e.b[idx]))
        if self.network.fair:
            self.network.books.send(self.network.arrival(t, 1), idx, *held)
        else:
            e.recv_b[ok] = e.b[src[ok]]
            for mailbox, values in held:
                mailbox[idx] = values


def upstream_edges(graph: LateralGraph, gateway: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Per cell, the first in-edge from a living neighbour one hop nearer a living gateway
    (breadth first over the living cells); -1 for gateways and cells no gateway reaches.

    From two blocks of cells (``2 * BLOCK_ROWS``) a compiled search does it
    (``flat_kernels.upstream_edges``: the same routes, since the depths of a breadth first
    search do not depend on its order); a smaller model never loads the compiled code."""
    if alive.size < 2 * BLOCK_ROWS:
        return _upstream_by_levels(graph, gateway, alive)
    # every link runs both ways, so a cell's out-neighbours, in order, are its senders
    # (``src`` by receiver): no gather of the receivers by sender (50-100 ms at 10^6 cells)
    g = graph
    return F.upstream_edges(g.in_starts, g.in_ends, g.src, g.out_starts, g.src, gateway, alive)


def _upstream_by_levels(graph: LateralGraph, gateway: np.ndarray, alive: np.ndarray):
    """:func:`upstream_edges` in numpy, level by level."""
    n, src, dst = alive.size, graph.src, graph.dst
    depth = np.where(gateway & alive, 0, -1)
    frontier, hops = depth == 0, 0
    while frontier.any():
        hops += 1
        reached = np.zeros(n, dtype=bool)
        reached[dst[frontier[src]]] = True
        frontier = reached & alive & (depth < 0)
        depth[frontier] = hops
    near = (depth[dst] > 0) & (depth[src] == depth[dst] - 1) & alive[src]
    edge = np.where(near, np.arange(src.size), src.size)
    first = np.minimum.reduceat(edge, graph.in_starts)
    return np.where(first < src.size, first, -1)


def dead_zone(diff: np.ndarray, width: float) -> np.ndarray:
    """``diff`` shortened by ``width`` (zero within it), along its own direction.

    Odd in ``diff``, so the two corrections of an edge still cancel; it lets quantized
    consensus come to rest once neighbours agree to within the send-on-delta threshold
    (the whole difference would keep every cell drifting, and sending, for ever).
    """
    size = np.sqrt(eq.sqnorm(diff))
    shrink = np.maximum(size - width, 0.0) / np.where(size > 0, size, 1.0)
    return diff * shrink[:, None]
