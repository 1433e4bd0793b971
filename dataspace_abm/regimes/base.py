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

from .. import equations as eq

if TYPE_CHECKING:
    from ..model import HolarchyModel


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
