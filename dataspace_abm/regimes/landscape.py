"""Landscape shaping: every parent bends its children's landscape (the subject)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import equations as eq
from .base import Regime

if TYPE_CHECKING:
    from ..model import HolarchyModel


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
