"""The four control regimes, each as two phases a holon runs on its own rows.

``step(level, rows)`` senses, infers and acts, reading the holon's own row and its
mailbox; ``send(level, rows)`` sends the messages that moved by more than ``delta``
(send-on-delta), writing into the receivers' mailboxes and counting bits, hops and load.
``rows`` is a slice: the whole level for the vectorized engine, one row for an agent.
Both engines call these same methods; random draws are made once per step by the model,
one per row, so either engine reads the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import equations as eq

if TYPE_CHECKING:
    from .model import HolarchyModel


def _index(rows: slice) -> np.ndarray:
    return np.arange(rows.start, rows.stop)


class Regime:
    """What every regime shares: sensing, cells' action, upward reports and loss draws."""

    name = ""
    parents_infer = False  # do holons above the cells run inference in this regime?

    def infers(self, level: int) -> bool:
        """Whether holons of ``level`` run inference (and so have a free energy of their own)."""
        return level == 0

    def __init__(self, model: HolarchyModel) -> None:
        self.m = model
        p = model.p
        self.pi_o, self.k_mu, self.k_a = p["pi_o"], p["k_mu"], p["k_a"]
        self.r, self.a_max, self.delta = p["timescale_ratio"], p["a_max"], p["delta"]
        self.pi_prior, self.gain = p["pi_prior"], p["gain"]
        self.x_min, self.x_max = p["x_min"], p["x_max"]
        fb, hb, d = p["float_bits"], p["header_bits"], p["d"]
        self.bits_state = eq.message_bits(d, fb, hb)
        self.bits_pair = eq.message_bits(2 * d, fb, hb)
        self.bits_landscape = eq.message_bits(d + (1 if self.gain > 0 else 0), fb, hb)

    # --- helpers -------------------------------------------------------------------
    @property
    def s(self):
        return self.m.state

    def observe(self, level: int, rows: slice) -> np.ndarray:
        """``o = x + noise``, noise sd ``sensing_noise / sqrt(pi_o)`` (times a burst)."""
        lv = self.s.levels[level]
        return lv.x[rows] + self.m.noise_sd * self.m.draws["noise"][level][rows]

    def kept(self, key: str, level: int, rows: slice, sent: np.ndarray) -> np.ndarray:
        """Mask over ``rows``: the messages in ``sent`` that were not lost."""
        lost = self.m.draws.get(key)
        return sent if lost is None else sent & ~lost[level][rows]

    def add_per_parent(self, level: int, rows: slice, mask: np.ndarray, load: np.ndarray) -> None:
        """Add one to the load of the parent (at ``level + 1``) of each row in ``mask``."""
        parent = self.m.holarchy.parent[level][rows]
        first = parent[0]
        counts = np.bincount(parent - first, weights=mask, minlength=parent[-1] - first + 1)
        load[first : first + counts.size] += counts.astype(load.dtype)

    def arrived(self, key: str, level: int, idx: np.ndarray) -> np.ndarray:
        """Which of the messages sent from (or to) rows ``idx`` were not lost."""
        lost = self.m.draws.get(key)
        if lost is None:
            return np.ones(idx.size, dtype=bool)
        return ~lost[level][idx] if isinstance(lost, list) else ~lost[idx]

    def move_cells(self, rows: slice, o: np.ndarray, mu: np.ndarray) -> None:
        """Cells act on the world: ``x <- x + a + drift + process noise``; pay ``c_act |a|^2``."""
        s, p = self.s, self.m.p
        cells = s.levels[0]
        a = eq.act(o, mu, self.k_a, self.pi_o, self.a_max)
        x = cells.x[rows] + a + p["drift"]
        if "process" in self.m.draws:
            x = x + p["process_noise"] * self.m.draws["process"][rows]
        cells.x[rows], s.a[rows] = np.clip(x, self.x_min, self.x_max), a
        alive = cells.alive[rows]
        s.add("e_action", p["c_act"] * np.sum(eq.sqnorm(a)[alive]))

    def infer_cells(self, rows: slice, o, eta, pi_eta) -> np.ndarray:
        """Cells' perception against landscape ``(eta, pi_eta)`` and their niche."""
        s = self.s
        cells = s.levels[0]
        h, pi_h = s.h[rows], s.pi_h[rows]
        mu = eq.perceive(cells.mu[rows], o, eta, self.pi_o, pi_eta, self.k_mu, h, pi_h)
        cells.o[rows], cells.mu[rows] = o, mu
        s.add("e_inference", self.m.p["c_inf"] * np.count_nonzero(cells.alive[rows]))
        return mu

    def report_up(self, level: int, rows: slice, hops: int = 1) -> np.ndarray:
        """Send-on-delta reports of ``x`` to the parent; returns the mask of rows that sent."""
        lv = self.s.levels[level]
        x = lv.x[rows]
        send = lv.alive[rows] & eq.moved(x, lv.sent_up[rows], self.delta)
        # masked copies rather than gathers: a whole level is one pass over memory
        np.copyto(lv.sent_up[rows], x, where=send[:, None])
        ok = self.kept("lost_up", level, rows, send)
        np.copyto(lv.reported[rows], x, where=ok[:, None])
        self.count(int(np.count_nonzero(send)), self.bits_state, hops, "up")
        lv.load[rows] += send
        self.add_per_parent(level, rows, ok, self.s.levels[level + 1].load)
        return send

    def count(self, n: int, bits: int, hops: int, direction: str) -> None:
        self.s.add("bits_" + direction, n * bits * hops)
        self.s.add("msg_" + direction, n)
        self.s.add("messages", n)

    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        """Each holon's free energy from its last observation, belief and landscape."""
        s = self.s
        lv = s.levels[level]
        if level > 0:
            return eq.free_energy(lv.o[rows], lv.mu[rows], lv.eta[rows], self.pi_o, lv.pi_eta[rows])
        return eq.free_energy(
            lv.o[rows],
            lv.mu[rows],
            lv.eta[rows],
            self.pi_o,
            lv.pi_eta[rows],
            s.h[rows],
            s.pi_h[rows],
        )

    def cell_summary(self) -> dict[str, Any]:
        """Sums over the living cells for the per-step table (one place, so kernels can fuse)."""
        s = self.s
        cells = s.levels[0]
        alive = cells.alive
        n_alive = int(np.count_nonzero(alive))
        f = self.free_energy(0, slice(0, cells.n))
        x, h = cells.x, s.h
        if n_alive < cells.n:
            x, h, f = x[alive], h[alive], f[alive]
        return {
            "sum_x": x.sum(axis=0),
            "sum_niche_distance": float(np.sum(eq.norm(x - h))),
            "sum_free_energy": float(np.sum(f)),
            "alive": n_alive,
            "max_load": int(cells.load.max()),
        }

    # --- phases ----------------------------------------------------------------------
    def step(self, level: int, rows: slice) -> None:
        raise NotImplementedError

    def send(self, level: int, rows: slice) -> None:
        """Default: nothing to send."""


class Landscape(Regime):
    """Every parent bends its children's landscape; nobody gives orders (MODEL.md 3)."""

    name = "landscape"
    parents_infer = True

    def __init__(self, model: HolarchyModel) -> None:
        super().__init__(model)
        p = model.p
        self.top = 1 + ("organ", "organization", "society").index(p["coordination_scope"])
        self.feedforward = p["shaping"] == "feedforward"
        self.keep = 1.0 - p["centre_leak"]  # a leaky offset cannot wind up without limit
        # a steep pull toward a bound needs a centre beyond it, but not without limit
        margin = p["centre_margin"] * (self.x_max - self.x_min)
        self.theta_min, self.theta_max = self.x_min - margin, self.x_max + margin
        self.bits_share = eq.message_bits(
            model.p["d"], model.p["float_bits"], model.p["header_bits"]
        )

    def infers(self, level: int) -> bool:
        return level <= self.top  # above the coordination scope nobody shapes

    def step(self, level: int, rows: slice) -> None:
        if level > self.top:
            return
        if level == 0:
            cells = self.s.levels[0]
            o = self.observe(0, rows)
            mu = self.infer_cells(rows, o, cells.eta[rows], cells.pi_eta[rows])
            self.move_cells(rows, o, mu)
        else:
            self.step_parent(level, rows)

    def step_parent(self, level: int, rows: slice) -> None:
        """Coarse-grain the children's reports, infer, and move the centre drawn for them."""
        s, hol, m = self.s, self.m.holarchy, self.m
        lv, below = s.levels[level], s.levels[level - 1]
        first, last = hol.starts[level][rows.start], hol.ends[level][rows.stop - 1]
        kids = slice(int(first), int(last))
        rel = hol.starts[level][rows] - first
        lv.x[rows] = eq.coarse_grain(below.reported[kids], below.alive[kids], rel, lv.x[rows])
        if level == self.top:  # the top shaping level's landscape is the environment's target
            lv.eta[rows], lv.pi_eta[rows] = self.observe_target(rows), self.pi_prior
        slow = self.r ** (-level)  # time-scale separation: each level r times slower
        o = self.observe(level, rows)
        mu = eq.perceive(lv.mu[rows], o, lv.eta[rows], self.pi_o, lv.pi_eta[rows], self.k_mu * slow)
        a = eq.act(o, mu, self.k_a * slow, self.pi_o)
        if self.feedforward:  # around its own landscape's centre, plus what it has learned
            theta = lv.eta[rows] + self.keep * lv.bias[rows] + a
        else:  # MODEL.md: the centre itself integrates the action
            theta = lv.theta[rows] + a
        lv.theta[rows] = np.clip(theta, self.theta_min, self.theta_max)
        lv.bias[rows] = lv.theta[rows] - lv.eta[rows]  # what clipping took off is not kept
        lv.pi_child[rows] = eq.attention(self.pi_prior, self.gain, o, mu)
        lv.o[rows], lv.mu[rows] = o, mu
        s.add("e_inference", m.p["c_inf"] * np.count_nonzero(lv.alive[rows]))

    def observe_target(self, rows: slice) -> np.ndarray:
        """``T(t)`` as the top shaping level sees it: exactly, or noisy and pooled with the
        observations that trusted partners shared (the data space)."""
        m, share = self.m, self.m.trust
        own = m.env_obs[rows]
        if share is None:
            return own
        first, last = share.in_starts[rows.start], share.in_ends[rows.stop - 1]
        edges = slice(int(first), int(last))
        received = self.s.extra["shared_obs"][edges]
        dst = share.dst[edges] - rows.start
        n = rows.stop - rows.start
        pooled = np.stack(
            [np.bincount(dst, weights=received[:, k], minlength=n) for k in range(own.shape[1])],
            axis=1,
        )
        count = np.bincount(dst, minlength=n)
        return (own + pooled) / (1.0 + count)[:, None]

    def share(self, rows: slice) -> None:
        """Connectors send this step's observation of T to every partner the policy allows."""
        share, s = self.m.trust, self.s
        edges = np.concatenate([share.out_edges[i] for i in range(rows.start, rows.stop)])
        edges = edges[s.levels[self.top].alive[share.dst[edges]]]
        self.count(edges.size, self.bits_share, 1, "lateral")
        top = s.levels[self.top]
        np.add.at(top.load, share.src[edges], 1)
        lost = self.m.draws.get("lost_share")
        ok = edges if lost is None else edges[~lost[edges]]
        s.extra["shared_obs"][ok] = self.m.env_obs[share.src[ok]]
        np.add.at(top.load, share.dst[ok], 1)

    def send(self, level: int, rows: slice) -> None:
        if level < self.top:
            self.report_up(level, rows)
        if 0 < level <= self.top:
            self.broadcast(level, rows)
        if level == self.top and self.m.trust is not None:
            self.share(rows)

    def changed_landscapes(self, level: int, rows: slice) -> np.ndarray:
        """Living parents whose landscape moved by more than delta; marks them as sent."""
        lv = self.s.levels[level]
        changed = eq.moved(lv.theta[rows], lv.sent_theta[rows], self.delta)
        if self.gain > 0:
            changed |= np.abs(lv.pi_child[rows] - lv.sent_pi[rows]) > self.delta * self.pi_prior
        changed &= lv.alive[rows]
        np.copyto(lv.sent_theta[rows], lv.theta[rows], where=changed[:, None])
        np.copyto(lv.sent_pi[rows], lv.pi_child[rows], where=changed)
        return changed

    def broadcast(self, level: int, rows: slice) -> None:
        """Send the landscape (centre, and precision under attention) to each living child."""
        s, hol = self.s, self.m.holarchy
        lv, below = s.levels[level], s.levels[level - 1]
        changed = self.changed_landscapes(level, rows)
        if not changed.any():
            return
        kids = slice(int(hol.starts[level][rows.start]), int(hol.ends[level][rows.stop - 1]))
        parent = hol.parent[level - 1][kids] - rows.start  # within rows
        receive = changed[parent] & below.alive[kids]
        self.count(int(np.count_nonzero(receive)), self.bits_landscape, 1, "down")
        self.add_per_parent(level - 1, kids, receive, lv.load)
        ok = self.kept("lost_down", level - 1, kids, receive)
        np.copyto(below.eta[kids], lv.theta[rows][parent], where=ok[:, None])
        np.copyto(below.pi_eta[kids], lv.pi_child[rows][parent], where=ok)
        below.load[kids] += ok


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


class Autonomous(Regime):
    """No coupling: each cell follows its own niche. The reference for what coordination buys."""

    name = "autonomous"

    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        if level > 0:
            return super().free_energy(level, rows)
        s = self.s
        cells = s.levels[0]
        h = s.h[rows]
        return eq.free_energy(cells.o[rows], cells.mu[rows], h, self.pi_o, 0.0, h, s.pi_h[rows])

    def step(self, level: int, rows: slice) -> None:
        if level != 0:
            return
        h = self.s.h[rows]
        o = self.observe(0, rows)
        mu = self.infer_cells(rows, o, h, 0.0)  # no landscape: its precision is zero
        self.move_cells(rows, o, mu)


REGIMES: dict[str, type[Regime]] = {r.name: r for r in (Landscape, Command, Flat, Autonomous)}
