"""What every control regime shares: its frozen gains, its inputs, sensing, action, reports.

A regime is built from the resolved parameters, the level arrays (``core.state.State``),
the holarchy and the model's generator; it builds its own arrays and graphs there, so it
can be made and tested without a ``HolarchyModel``. Each step the model hands it
:class:`StepInputs` (step, target, sensing noise, the step's random draws) and calls two
phases on rows of a level:

``step(level, rows, inputs)`` senses, infers and acts, reading the holon's own row and its
mailbox; ``send(level, rows, inputs)`` sends the messages that moved by more than
``delta`` (send-on-delta), writing into the receivers' mailboxes and counting bits, hops
and load. ``rows`` is a slice: the whole level for the vectorized engine, one row for an
agent. Both engines call these same methods; random draws are made once per step, one per
row (:meth:`Regime.draw` for the regime's own), so either engine reads the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import equations as eq
from ..core.state import State
from ..core.structure import Holarchy
from .network import Network
from .noise import normal_rows, standard_normals

Draws = dict[str, Any]  # name -> one array per level, or one array of edges


@dataclass(frozen=True)
class Gains:
    """The numbers a regime's rules read: gains, bounds, thresholds, costs, message sizes."""

    pi_o: float
    k_mu: float
    k_a: float
    r: float  # time-scale ratio between levels
    a_max: float
    delta: float
    pi_prior: float
    gain: float  # attention
    x_min: float
    x_max: float
    drift: float
    process_noise: float
    c_act: float
    c_inf: float
    c_central: float
    d: int
    bits_state: int  # a message of d numbers
    bits_pair: int  # a message of 2 d numbers
    bits_landscape: int  # a centre, and a precision under attention
    k_shape: float  # the gain of the integrators that move landscapes (parents, flat)
    filter: bool  # cell_rule = "filter": filtered estimate, preferred state, act on estimate
    filter_q: float
    sensing_var: float  # the sensing noise variance the holons assume

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> Gains:
        fb, hb, d = p["float_bits"], p["header_bits"], p["d"]
        return cls(
            pi_o=p["pi_o"], k_mu=p["k_mu"], k_a=p["k_a"], r=p["timescale_ratio"],
            a_max=p["a_max"], delta=p["delta"], pi_prior=p["pi_prior"], gain=p["gain"],
            x_min=p["x_min"], x_max=p["x_max"], drift=float(p["drift"]),
            process_noise=float(p["process_noise"]), c_act=p["c_act"], c_inf=p["c_inf"],
            c_central=p["c_central"], d=d,
            bits_state=eq.message_bits(d, fb, hb),
            bits_pair=eq.message_bits(2 * d, fb, hb),
            bits_landscape=eq.message_bits(d + (1 if p["gain"] > 0 else 0), fb, hb),
            # version 1 moves landscapes at the cells' action gain; version 2 at its own
            k_shape=p["k_shape"] if p["cell_rule"] == "filter" else p["k_a"],
            filter=p["cell_rule"] == "filter", filter_q=p["filter_q"],
            sensing_var=p["sensing_noise"] ** 2 / p["pi_o"],
        )  # fmt: skip


@dataclass
class StepInputs:
    """What a regime is told each step, besides its own arrays."""

    step: int
    target: np.ndarray  # T(t)
    noise_sd: float  # sd of this step's sensing noise
    draws: Draws = field(default_factory=dict)
    announced: np.ndarray | None = None  # the part of T's change the grid decided (an event)


def index(rows: slice) -> np.ndarray:
    """The row numbers of a slice."""
    return np.arange(rows.start, rows.stop)


def delivered(lost: np.ndarray | None, sent: np.ndarray) -> np.ndarray:
    """Of the messages ``sent`` (a mask or indices), those not lost (``lost``: per message
    slot, or None without loss); a mask stays a mask, indices stay indices."""
    if lost is None:
        return sent
    if sent.dtype == bool:
        return sent & ~lost
    return sent[~lost[sent]]


def shared_draws(
    rng: np.random.Generator, sizes: list[int], d: int, process: bool, lossy: bool, p_loss: float
) -> Draws:
    """The random numbers every regime uses, in a fixed order: sensing noise for every row,
    the cells' process noise, and one loss draw per row and direction."""
    draws: Draws = {"noise": [normal_rows(rng, n, d) for n in sizes]}
    if process:
        draws["process"] = standard_normals(rng, (sizes[0], d))
    if lossy:
        draws["lost_up"] = [rng.random(n) < p_loss for n in sizes]
        draws["lost_down"] = [rng.random(n) < p_loss for n in sizes]
    return draws


class KeptOptimum:
    """``equations.central_setpoints`` over niches that change only at known moments: with
    no bound in the way its means over the niches are kept until the ``key`` given with
    them changes (the same numbers, two passes fewer a step)."""

    def __init__(self) -> None:
        self.key: Any = None
        self.parts: tuple[np.ndarray, float, np.ndarray] | None = None

    def setpoints(
        self, key: Any, h: np.ndarray, pi_h: np.ndarray, target: np.ndarray, alive: np.ndarray,
        lo: float, hi: float,
    ) -> np.ndarray:  # fmt: skip
        if not (np.isinf(lo) and np.isinf(hi)) or not alive.any():
            return eq.central_setpoints(h, pi_h, target, alive, lo, hi)
        if self.parts is None or self.key != key:
            w = alive.astype(float)
            n = max(w.sum(), 1.0)
            inv = 1.0 / pi_h
            self.parts = (np.sum(h * w[:, None], axis=0) / n, np.sum(inv * w) / n, inv[:, None])
            self.key = key
        mean_h, mean_inv, inv = self.parts
        shift = (target - mean_h) / max(mean_inv, 1e-300)
        return h + shift[None, :] * inv


class Regime:
    """What every regime shares: sensing, cells' action, upward reports and loss draws."""

    name = ""
    # Parameters this regime never reads: two runs that differ only in them are the same
    # run, so a batch runs it once (``effective_parameters``; tests/regimes hold it true).
    unread: frozenset[str] = frozenset()

    def __init__(
        self,
        params: Mapping[str, Any],
        state: State,
        holarchy: Holarchy,
        rng: np.random.Generator,
    ) -> None:
        self.g = Gains.from_params(params)
        self.state = state
        self.holarchy = holarchy
        self.p_loss = params["p_loss"]
        # command's centre keeps queues of its own (one report and one order per cell)
        self.network = Network(params, holarchy.sizes, exempt_root=self.name == "command")
        self.kept_optimum = KeptOptimum()  # the measures' optimum over the niches
        # the step each holon last sent its report up (for repair by refreshing)
        self.reported_at = [np.zeros(n, dtype=np.int64) for n in holarchy.sizes]
        self.report_delta = self._report_thresholds(holarchy)
        # a parent senses a mean: its noise falls with the square root of its children
        self.noise_scale = [np.ones(n) for n in holarchy.sizes]
        if params["parent_noise"] == "mean":
            for level in range(1, len(holarchy.sizes)):
                children = holarchy.ends[level] - holarchy.starts[level]
                self.noise_scale[level] = 1.0 / np.sqrt(np.maximum(children, 1))

    def _report_thresholds(self, holarchy: Holarchy) -> list[Any]:
        """Send-on-delta thresholds of reports, per level: ``delta`` for a cell; under the
        filter rule, ``delta / sqrt(n)`` for the mean of ``n`` cells, whose own error is that
        small, so that a stale mean does not feed an integrator above (version 1: ``delta``)."""
        delta = self.g.delta
        if not self.g.filter:
            return [delta] * len(holarchy.sizes)
        cells, thresholds = np.ones(holarchy.n_cells), [delta]
        for level in range(1, len(holarchy.sizes)):
            cells = np.bincount(
                holarchy.parent[level - 1], weights=cells, minlength=holarchy.sizes[level]
            )
            thresholds.append(delta / np.sqrt(np.maximum(cells, 1.0)))
        return thresholds

    def infers(self, level: int) -> bool:
        """Whether holons of ``level`` run inference (and so have a free energy of their own)."""
        return level == 0

    def measures(self) -> dict[str, float]:
        """Per-step measures of a scenario's own regime (its environment's columns)."""
        return {}

    # --- start, random draws, removals -------------------------------------------------
    def start(self, target: np.ndarray) -> None:
        """Before the first step, once the environment's ``T(0)`` is known."""

    def draw(self, rng: np.random.Generator, inputs: StepInputs, lossy: bool) -> Draws:
        """The regime's own random numbers for a step, drawn after the shared ones."""
        return {}

    def on_removed(self) -> None:
        """Holons were just removed (their rows marked dead)."""

    def deliver(self, t: int) -> None:
        """Before step ``t``'s phases (the model calls it at the end of step ``t - 1``):
        messages due by ``t`` reach their mailboxes."""
        self.network.deliver(t)
        self.state.add_waits(self.network.line.take_waits())

    # --- helpers -------------------------------------------------------------------
    def observe(self, level: int, rows: slice, inputs: StepInputs) -> np.ndarray:
        """``o = x + noise``, noise sd ``sensing_noise / sqrt(pi_o)`` (times a burst); a
        parent's over the square root of its children (``parent_noise = "mean"``)."""
        lv = self.state.levels[level]
        noise = inputs.noise_sd * inputs.draws["noise"][level][rows]
        if level > 0:
            noise = noise * self.noise_scale[level][rows, None]
        return lv.x[rows] + noise

    @staticmethod
    def lost(inputs: StepInputs, key: str, level: int | None = None) -> np.ndarray | None:
        """This step's loss draws ``key`` (of ``level``, for per-row draws), or None."""
        lost = inputs.draws.get(key)
        return lost if lost is None or level is None else lost[level]

    def add_per_parent(self, level: int, rows: slice, mask: np.ndarray, load: np.ndarray) -> None:
        """Add one to the load of the parent (at ``level + 1``) of each row in ``mask``."""
        parent = self.holarchy.parent[level][rows]
        first = parent[0]
        counts = np.bincount(parent - first, weights=mask, minlength=parent[-1] - first + 1)
        load[first : first + counts.size] += counts.astype(load.dtype)

    def move_cells(self, rows: slice, o: np.ndarray, mu: np.ndarray, inputs: StepInputs) -> None:
        """Cells act on the world through the observation (``cell_rule = "gradient"``)."""
        self._move(rows, eq.act(o, mu, self.g.k_a, self.g.pi_o, self.g.a_max), inputs)

    def _move(self, rows: slice, a: np.ndarray, inputs: StepInputs) -> None:
        """``x <- x + a + drift + process noise``, within the bounds; pay ``c_act |a|^2``
        for the move the bounds allowed."""
        s, g = self.state, self.g
        cells = s.levels[0]
        x = cells.x[rows] + a + g.drift
        if "process" in inputs.draws:
            x = x + g.process_noise * inputs.draws["process"][rows]
        bounded = np.clip(x, g.x_min, g.x_max)
        a = a + (bounded - x)  # the move a bound allowed: what the next prediction adds
        cells.x[rows], s.a[rows] = bounded, a
        alive = cells.alive[rows]
        s.add("e_action", g.c_act * np.sum(eq.sqnorm(a)[alive]))

    def infer_cells(self, rows: slice, o, eta, pi_eta) -> np.ndarray:
        """Cells' perception against landscape ``(eta, pi_eta)`` and their niche."""
        s, g = self.state, self.g
        cells = s.levels[0]
        h, pi_h = s.h[rows], s.pi_h[rows]
        mu = eq.perceive(cells.mu[rows], o, eta, g.pi_o, pi_eta, g.k_mu, h, pi_h)
        cells.o[rows], cells.mu[rows] = o, mu
        s.add("e_inference", g.c_inf * np.count_nonzero(cells.alive[rows]))
        return mu

    # --- the cells' rule of version 2 (cell_rule = "filter") ---------------------------
    def cell_landscape(self, rows: slice) -> tuple[np.ndarray, Any, np.ndarray]:
        """The landscape cells ``rows`` descend: well centre, well precision, tilt."""
        cells = self.state.levels[0]
        return cells.eta[rows], cells.pi_eta[rows], cells.tilt[rows]

    def cell_preference(self, rows: slice) -> np.ndarray:
        """The state the cells' free energy prefers, given their landscape and niche."""
        s = self.state
        return eq.preferred_state(*self.cell_landscape(rows), s.h[rows], s.pi_h[rows])

    def filter_cells(self, rows: slice, inputs: StepInputs) -> None:
        """Sense, update the filtered estimate, act toward the preferred state from it."""
        s, g = self.state, self.g
        cells = s.levels[0]
        o = self.observe(0, rows, inputs)
        m, var = eq.filter_update(
            cells.mu[rows], cells.var[rows], s.a[rows], o, g.filter_q, g.sensing_var
        )
        pref = self.cell_preference(rows)
        cells.o[rows], cells.mu[rows], cells.var[rows], cells.pref[rows] = o, m, var, pref
        s.add("e_inference", g.c_inf * np.count_nonzero(cells.alive[rows]))
        self._move(rows, eq.act_toward(pref, m, g.k_a, g.a_max), inputs)

    def report_up(self, level: int, rows: slice, inputs: StepInputs, hops: int = 1) -> None:
        """Send-on-delta reports to the parent: of the state, or, under the filter rule, of
        a cell's estimate (what it knows of its state)."""
        lv, net, t = self.state.levels[level], self.network, inputs.step
        x = lv.mu[rows] if self.g.filter and level == 0 else lv.x[rows]
        delta = self.report_delta[level]
        send = eq.moved(x, lv.sent_up[rows], delta[rows] if np.ndim(delta) else delta)
        if net.fair:  # repair: a report not sent for refresh_every steps goes again
            send |= net.due(t, self.reported_at[level][rows])
            self.reported_at[level][rows] = np.where(send, t, self.reported_at[level][rows])
        send &= lv.alive[rows]
        # masked copies rather than gathers: a whole level is one pass over memory
        np.copyto(lv.sent_up[rows], x, where=send[:, None])
        lost = self.lost(inputs, "lost_up", level)
        ok = delivered(None if lost is None else lost[rows], send)
        # a cell reports what it knows now; a parent, a mean of what it was told
        seen = float(t) if level == 0 else lv.info_time[rows]
        if net.fair:
            when = np.broadcast_to(seen, ok.shape)[ok]
            writes = ((lv.reported, x[ok]), (lv.report_time, when))
            to = index(rows)[ok]
            up = (level + 1, self.holarchy.parent[level][to])
            route = self.route((level, to), up) if net.limited else None
            net.line.send(net.arrival(t, 1), to, *writes, route=route, direction="up", sent_at=t)
        else:
            np.copyto(lv.reported[rows], x, where=ok[:, None])
            np.copyto(lv.report_time[rows], seen, where=ok)
        self.count(int(np.count_nonzero(send)), self.g.bits_state, hops, "up")
        lv.load[rows] += send
        self.add_per_parent(level, rows, ok, self.state.levels[level + 1].load)

    def route(self, *hops: tuple[int, np.ndarray]) -> np.ndarray:
        """The holons messages pass, one column per ``(level, rows)``, sender first."""
        return np.stack([self.network.holons(level, rows) for level, rows in hops], axis=1)

    def count(self, n: int, bits: int, hops: int, direction: str) -> None:
        self.state.add("bits_" + direction, n * bits * hops)
        self.state.add("msg_" + direction, n)
        self.state.add("messages", n)

    def information_age(self, t: int) -> float:
        """Mean age (steps) over living cells of what their landscape was computed from."""
        cells = self.state.levels[0]
        alive = cells.alive
        return float(np.mean(t - cells.landscape_time[alive])) if alive.any() else np.nan

    def free_energy(self, level: int, rows: slice) -> np.ndarray:
        """Each holon's free energy from its last observation, belief and landscape."""
        s, pi_o = self.state, self.g.pi_o
        lv = s.levels[level]
        if level > 0:
            return eq.free_energy(lv.o[rows], lv.mu[rows], lv.eta[rows], pi_o, lv.pi_eta[rows])
        if self.g.filter:
            eta, pi_eta, tilt = self.cell_landscape(rows)
            return eq.tilted_free_energy(
                lv.o[rows], lv.mu[rows], eta, pi_o, pi_eta, tilt, s.h[rows], s.pi_h[rows]
            )
        return eq.free_energy(
            lv.o[rows], lv.mu[rows], lv.eta[rows], pi_o, lv.pi_eta[rows], s.h[rows], s.pi_h[rows]
        )

    @property
    def bounds(self) -> tuple[float, float]:
        """The cells' state bounds, as the optimum respects them (none beyond 1e8)."""
        g = self.g
        return (g.x_min if g.x_min > -1e8 else -np.inf, g.x_max if g.x_max < 1e8 else np.inf)

    def optimum(self, target: np.ndarray) -> np.ndarray:
        """The full-information optimum (``equations.central_setpoints``) for ``target``,
        its means over the niches kept until they move."""
        s = self.state
        return self.kept_optimum.setpoints(
            s.niche_stamp, s.h, s.pi_h, target, s.levels[0].alive, *self.bounds
        )

    def cell_summary(self, t: int, target: np.ndarray) -> dict[str, Any]:
        """Sums over the living cells for the per-step table (one place, so kernels can fuse):
        state, distance from the niche and from the full-information optimum, free energy,
        count, largest load, and the information age."""
        s = self.state
        cells = s.levels[0]
        alive = cells.alive
        n_alive = int(np.count_nonzero(alive))
        f = self.free_energy(0, slice(0, cells.n))
        best = self.optimum(target)
        x, h = cells.x, s.h
        if n_alive < cells.n:
            x, h, f, best = x[alive], h[alive], f[alive], best[alive]
        return {
            "sum_x": x.sum(axis=0),
            "sum_niche_distance": float(np.sum(eq.norm(x - h))),
            "sum_optimality_gap": float(np.sum(eq.norm(x - best))),
            "sum_free_energy": float(np.sum(f)),
            "alive": n_alive,
            "max_load": int(cells.load.max()),
            "information_age": self.information_age(t) if n_alive else np.nan,
        }

    # --- phases ----------------------------------------------------------------------
    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        raise NotImplementedError

    def send(self, level: int, rows: slice, inputs: StepInputs) -> None:
        """Default: nothing to send."""
