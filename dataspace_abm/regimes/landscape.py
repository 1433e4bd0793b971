"""Landscape shaping: every parent bends its children's landscape (the subject)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core import equations as eq
from ..core.state import State
from ..core.structure import Holarchy, build_trust_graph
from .base import Draws, Regime, StepInputs, delivered, index

SCOPES = ("organ", "organization", "society")
ROUND_TRIP = 6  # steps of the loop tilt_gain is given for: society, one step per hop


class Landscape(Regime):
    """Every parent bends its children's landscape; nobody gives orders (docs/odd.md)."""

    name = "landscape"
    unread = frozenset({"flat_graph", "flat_degree", "flat_rewire", "gateways"})

    def __init__(
        self, params: Mapping[str, Any], state: State, holarchy: Holarchy, rng: np.random.Generator
    ) -> None:
        super().__init__(params, state, holarchy, rng)
        g = self.g
        self.top = 1 + SCOPES.index(params["coordination_scope"])
        self.feedforward = params["shaping"] == "feedforward"
        self.keep = 1.0 - params["centre_leak"]  # a leaky offset cannot wind up without limit
        # a steep pull toward a bound needs a centre beyond it, but not without limit
        margin = params["centre_margin"] * (g.x_max - g.x_min)
        self.theta_min, self.theta_max = g.x_min - margin, g.x_max + margin
        self.pi_env = params["pi_env"]
        # the data space: organizations that shape share their observations of T(t)
        self.trust = None
        if self.top == 2 and params["trust_threshold"] <= 1.0:
            self.trust = build_trust_graph(
                params["n_organizations"], params["trust_threshold"], rng
            )
        self.shared_obs: np.ndarray | None = None  # per trust edge: the partner's last share
        self.tilted = params["landscape_parts"] == "tilt"
        # the price's loop: reports up and the tilt down, through every level to the top;
        # an integrator on a longer loop must be slower to stay stable (tuned at six steps)
        hop = max(1, self.network.hop_latency) if self.network.fair else 1
        self.round_trip = 2 * self.top * hop
        self.tilt_gain = params["tilt_gain"] * min(1.0, ROUND_TRIP / self.round_trip)
        # a tilt moves a preferred state by b / pi_h: send when that moved by delta
        self.tilt_delta = g.delta * params["pi_h"]
        if self.tilted:  # no well: the cells' landscape is their niche, tilted by a price
            state.levels[0].pi_eta[:] = 0.0
        self.broadcast_at = [np.zeros(n, dtype=np.int64) for n in holarchy.sizes]
        # the price's feed-forward: a change of T the grid announces (an event) moves the
        # tilt at once, through the price response the cells below declared (mean 1 / pi_h:
        # the dual's closed form); only announced changes, since a measured change of T
        # may come with a change of the niches that the top cannot see
        self.feedforward_tilt = self.tilted and params["tilt_feedforward"] == "on"
        # a published price goes straight to the cells (routed over every hop) rather than
        # relayed a level a step: the levels between have nothing to add to it
        self.direct_tilt = self.tilted and params["tilt_route"] == "direct"
        self.ancestors = [holarchy.parent[0]]  # each cell's holon at levels 1 .. top
        for level in range(1, self.top):
            self.ancestors.append(holarchy.parent[level][self.ancestors[-1]])

    def price_response(self) -> np.ndarray:
        """Per holon of the top shaping level: how much its cells' mean preferred state moves
        per unit of tilt, the mean ``1 / pi_h`` over its living cells that are off their
        lower bound (a cell at the bound does not go lower). The cells declare it with the
        announcement they answer (a demand-response call names the servers that can move)."""
        s, hol = self.state, self.holarchy
        top = self.ancestors[-1]
        alive = s.levels[0].alive
        n = hol.sizes[self.top]
        movable = alive & (s.h[:, 0] > self.g.x_min)
        count = np.bincount(top[alive], minlength=n)
        inverse = np.bincount(top[movable], weights=1.0 / s.pi_h[movable].ravel(), minlength=n)
        return np.where(inverse > 0, inverse / np.maximum(count, 1), np.inf)

    def start(self, target: np.ndarray) -> None:
        """Before the first step: every partner's share reads ``T(0)``."""
        if self.trust is not None:
            self.shared_obs = np.tile(target, (self.trust.src.size, 1))

    def infers(self, level: int) -> bool:
        if self.tilted:  # the top learns the price; the levels between relay it
            return level in (0, self.top)
        return level <= self.top  # above the coordination scope nobody shapes

    def draw(self, rng: np.random.Generator, inputs: StepInputs, lossy: bool) -> Draws:
        """Loss on the data space's links; what the top shaping level sees of ``T(t)``."""
        draws: Draws = {}
        if lossy and self.trust is not None:
            draws["lost_share"] = rng.random(self.trust.src.size) < self.p_loss
        n_top = self.holarchy.sizes[self.top]
        env_obs = np.tile(inputs.target, (n_top, 1))
        if self.pi_env < 1e9:
            env_obs += rng.standard_normal((n_top, self.g.d)) / np.sqrt(self.pi_env)
        draws["env_obs"] = env_obs
        return draws

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level > self.top:
            return
        if level == 0 and self.g.filter:
            self.filter_cells(rows, inputs)
        elif level == 0:
            cells = self.state.levels[0]
            o = self.observe(0, rows, inputs)
            mu = self.infer_cells(rows, o, cells.eta[rows], cells.pi_eta[rows])
            self.move_cells(rows, o, mu, inputs)
        else:
            self.step_parent(level, rows, inputs)

    def step_parent(self, level: int, rows: slice, inputs: StepInputs) -> None:
        """Coarse-grain the children's reports, infer, and move the centre drawn for them."""
        s, hol, g = self.state, self.holarchy, self.g
        lv = s.levels[level]
        first, last = hol.starts[level][rows.start], hol.ends[level][rows.stop - 1]
        kids = slice(int(first), int(last))
        rel = hol.starts[level][rows] - first
        self.coarse_grain(level, rows, kids, rel)
        # read in the step phase, so that the send phase does not read its own mailbox
        relay = self.tilted and level < self.top  # passes on its own landscape's time
        lv.passed_time[rows] = (lv.landscape_time if relay else lv.info_time)[rows]
        if self.tilted:
            return self.tilt_parent(level, rows, inputs)
        if level == self.top:  # the top shaping level's landscape is the environment's target
            lv.eta[rows], lv.pi_eta[rows] = self.observe_target(rows, inputs), g.pi_prior
        slow = g.r ** (-level)  # time-scale separation: each level r times slower
        o = self.observe(level, rows, inputs)
        mu = eq.perceive(lv.mu[rows], o, lv.eta[rows], g.pi_o, lv.pi_eta[rows], g.k_mu * slow)
        a = eq.act(o, mu, g.k_shape * slow, g.pi_o)
        if self.feedforward:  # around its own landscape's centre, plus what it has learned
            theta = lv.eta[rows] + self.keep * lv.bias[rows] + a
        else:  # the centre itself integrates the action
            theta = lv.theta[rows] + a
        lv.theta[rows] = np.clip(theta, self.theta_min, self.theta_max)
        lv.bias[rows] = lv.theta[rows] - lv.eta[rows]  # what clipping took off is not kept
        lv.pi_child[rows] = eq.attention(g.pi_prior, g.gain, o, mu)
        lv.o[rows], lv.mu[rows] = o, mu
        s.add("e_inference", g.c_inf * np.count_nonzero(lv.alive[rows]))

    def coarse_grain(self, level: int, rows: slice, kids: slice, rel: np.ndarray) -> None:
        """A parent's state and information time: the means of its living children's
        reports and of when they were observed (a parent with none keeps its own)."""
        lv, below = self.state.levels[level], self.state.levels[level - 1]
        lv.x[rows] = eq.coarse_grain(below.reported[kids], below.alive[kids], rel, lv.x[rows])
        seen = eq.coarse_grain(
            below.report_time[kids][:, None], below.alive[kids], rel, lv.info_time[rows][:, None]
        )
        lv.info_time[rows] = seen[:, 0]

    def tilt_parent(self, level: int, rows: slice, inputs: StepInputs) -> None:
        """The top shaping level learns the price by dual ascent on its coarse-grained
        error, ``b <- b + tilt_gain (T - mean)``; the levels between pass it on."""
        lv = self.state.levels[level]
        lv.o[rows], lv.mu[rows] = lv.x[rows], lv.x[rows]  # the mean of filtered reports
        if level < self.top:
            lv.tilt_child[rows] = lv.tilt[rows]
            return
        target = self.observe_target(rows, inputs)
        lv.eta[rows], lv.pi_eta[rows] = target, self.g.pi_prior
        move = self.tilt_gain * (target - lv.x[rows])
        if self.feedforward_tilt and inputs.announced is not None:  # a price spike
            move += inputs.announced / self.price_response()[rows][:, None]
        lv.tilt_child[rows] = lv.tilt_child[rows] + move
        self.state.add("e_inference", self.g.c_inf * np.count_nonzero(lv.alive[rows]))

    def observe_target(self, rows: slice, inputs: StepInputs) -> np.ndarray:
        """``T(t)`` as the top shaping level sees it: exactly, or noisy and pooled with the
        observations that trusted partners shared (the data space)."""
        share = self.trust
        own = inputs.draws["env_obs"][rows]
        if share is None:
            return own
        first, last = share.in_starts[rows.start], share.in_ends[rows.stop - 1]
        edges = slice(int(first), int(last))
        received = self.shared_obs[edges]
        dst = share.dst[edges] - rows.start
        n = rows.stop - rows.start
        pooled = np.stack(
            [np.bincount(dst, weights=received[:, k], minlength=n) for k in range(own.shape[1])],
            axis=1,
        )
        count = np.bincount(dst, minlength=n)
        return (own + pooled) / (1.0 + count)[:, None]

    def share(self, rows: slice, inputs: StepInputs) -> None:
        """Connectors send this step's observation of T to every partner the policy allows."""
        share, s = self.trust, self.state
        edges = np.concatenate([share.sent_by(i) for i in range(rows.start, rows.stop)])
        edges = edges[s.levels[self.top].alive[share.dst[edges]]]
        self.count(edges.size, self.g.bits_state, 1, "lateral")
        top = s.levels[self.top]
        np.add.at(top.load, share.src[edges], 1)
        ok = delivered(self.lost(inputs, "lost_share"), edges)
        if self.network.fair:
            net, level = self.network, self.top
            route = None
            if net.limited:
                route = self.route((level, share.src[ok]), (level, share.dst[ok]))
            values = inputs.draws["env_obs"][share.src[ok]]
            net.line.send(
                net.arrival(inputs.step, 1), ok, (self.shared_obs, values),
                route=route, direction="lateral", sent_at=inputs.step,
            )  # fmt: skip
        else:
            self.shared_obs[ok] = inputs.draws["env_obs"][share.src[ok]]
        np.add.at(top.load, share.dst[ok], 1)

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if level < self.top:
            self.report_up(level, rows, inputs)
        if self.direct_tilt:
            if level == self.top:
                self.publish(rows, inputs)
        elif 0 < level <= self.top:
            self.broadcast(level, rows, inputs)
        if level == self.top and self.trust is not None:
            self.share(rows, inputs)

    def changed_landscapes(self, level: int, rows: slice, t: int) -> np.ndarray:
        """Living parents whose landscape moved by more than delta (or is due to be sent
        again, under the fair network); marks them as sent."""
        lv, g, net = self.state.levels[level], self.g, self.network
        if self.tilted:
            changed = eq.moved(lv.tilt_child[rows], lv.sent_tilt[rows], self.tilt_delta)
        else:
            changed = eq.moved(lv.theta[rows], lv.sent_theta[rows], g.delta)
            if g.gain > 0:
                changed |= np.abs(lv.pi_child[rows] - lv.sent_pi[rows]) > g.delta * g.pi_prior
        if net.fair:  # repair: a landscape not sent for refresh_every steps goes again
            changed |= net.due(t, self.broadcast_at[level][rows])
            self.broadcast_at[level][rows] = np.where(changed, t, self.broadcast_at[level][rows])
        changed &= lv.alive[rows]
        if self.tilted:
            np.copyto(lv.sent_tilt[rows], lv.tilt_child[rows], where=changed[:, None])
        else:
            np.copyto(lv.sent_theta[rows], lv.theta[rows], where=changed[:, None])
            np.copyto(lv.sent_pi[rows], lv.pi_child[rows], where=changed)
        return changed

    def broadcast(self, level: int, rows: slice, inputs: StepInputs) -> None:
        """Send the landscape (centre, and precision under attention) to each living child."""
        s, hol = self.state, self.holarchy
        lv, below = s.levels[level], s.levels[level - 1]
        changed = self.changed_landscapes(level, rows, inputs.step)
        if not changed.any():
            return
        kids = slice(int(hol.starts[level][rows.start]), int(hol.ends[level][rows.stop - 1]))
        parent = hol.parent[level - 1][kids] - rows.start  # within rows
        receive = changed[parent] & below.alive[kids]
        self.count(int(np.count_nonzero(receive)), self.g.bits_landscape, 1, "down")
        self.add_per_parent(level - 1, kids, receive, lv.load)
        lost = self.lost(inputs, "lost_down", level - 1)
        ok = delivered(None if lost is None else lost[kids], receive)
        net = self.network
        stamp = lv.passed_time[rows][parent]  # when what the landscape rests on was seen
        carried = self.carried(lv, below)
        if net.fair:  # in flight for hop_latency steps
            to, source = index(kids)[ok], parent[ok]
            writes = tuple((into, drawn[rows][source]) for into, drawn in carried)
            writes += ((below.landscape_time, stamp[ok]),)
            route = None
            if net.limited:
                route = self.route((level, index(rows)[source]), (level - 1, to))
            arrival = net.arrival(inputs.step, 1)
            net.line.send(arrival, to, *writes, route=route, direction="down", sent_at=inputs.step)
            below.load[kids] += ok
            return
        np.copyto(below.landscape_time[kids], stamp, where=ok)
        for into, drawn in carried:
            np.copyto(into[kids], drawn[rows][parent], where=ok if into.ndim == 1 else ok[:, None])
        below.load[kids] += ok

    def carried(self, lv, below) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """What a landscape message carries: (the child's mailbox, the parent's drawn
        value) for the tilt, or for the well's centre and precision."""
        if self.tilted:
            return ((below.tilt, lv.tilt_child),)
        return ((below.eta, lv.theta), (below.pi_eta, lv.pi_child))

    def publish(self, rows: slice, inputs: StepInputs) -> None:
        """The top's tilt, when it moved, straight to each living cell below: one message
        over ``top`` hops (bits and latency per hop, lost on any), as command's orders go;
        the holons between forward it (received plus sent)."""
        s, lv, cells = self.state, self.state.levels[self.top], self.state.levels[0]
        changed = self.changed_landscapes(self.top, rows, inputs.step)
        if not changed.any():
            return
        top = self.ancestors[-1]
        under = (top >= rows.start) & (top < rows.stop)
        idx = np.flatnonzero(under & cells.alive & changed[np.clip(top - rows.start, 0, None)])
        self.count(idx.size, self.g.bits_landscape, self.top, "down")
        np.add.at(lv.load, top[idx], 1)
        for level in range(1, self.top):
            np.add.at(s.levels[level].load, self.ancestors[level - 1][idx], 2)
        lost = self.lost(inputs, "lost_down")
        if lost is not None:  # a hop into each holon on the way can lose it
            gone = lost[0][idx].copy()
            for level in range(1, self.top):
                gone |= lost[level][self.ancestors[level - 1][idx]]
            idx = idx[~gone]
        source = top[idx]
        stamp = lv.passed_time[source]
        net = self.network
        if net.fair:
            writes = ((cells.tilt, lv.tilt_child[source]), (cells.landscape_time, stamp))
            route = None
            if net.limited:
                path = [(self.top, source)]
                path += [
                    (level, self.ancestors[level - 1][idx]) for level in range(self.top - 1, 0, -1)
                ]
                route = self.route(*path, (0, idx))
            arrival = net.arrival(inputs.step, self.top)
            net.line.send(arrival, idx, *writes, route=route, direction="down", sent_at=inputs.step)
        else:
            cells.tilt[idx] = lv.tilt_child[source]
            cells.landscape_time[idx] = stamp
        cells.load[idx] += 1
