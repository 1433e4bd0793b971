"""The default engine's `command` and `autonomous`: their cells, their measures and
command's centre in compiled kernels from ``COMPILED_FROM`` cells on; and the per-step
summary every compiled regime shares (``CompiledCells``).

Below ``COMPILED_FROM`` cells these regimes run their numpy code unchanged: numpy's
pairwise sums round differently from a kernel's sequential ones, and the recorded runs of
small models (tests/golden, the seminar's) keep numpy's rounding. From it on the kernels
run on one core for one block and block by block on every core from two blocks
(``landscape_kernels.blocks``, 100,000 cells) on, with the same numbers for any number of
threads; a model of one block never starts numba's threading layer. The numpy engine
stays the reference, and the tests hold the two together to 1e-9.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import equations as eq
from . import cell_kernels as C
from . import landscape_kernels as K
from .autonomous import Autonomous
from .base import Regime, StepInputs
from .command import Command

NEVER = np.iinfo(np.int64).max  # version 1's protocol never refreshes
COMPILED_FROM = 4096  # cells from which command, flat and autonomous take their kernels


class CompiledCells(Regime):
    """What a compiled regime shares: its cells' blocks and the per-step summary."""

    _blocks: np.ndarray | None = None
    _moments: tuple | None = None  # (niche stamp, mean niche, mean 1 / pi_h) of the living
    always = False  # kernels below COMPILED_FROM cells too (landscape: its runs were recorded so)
    age_from_landscape = True  # the information age: of what the cells' landscape rests on

    @property
    def blocks(self) -> np.ndarray:
        """The cells' blocks for the parallel kernels, whole organs each."""
        if self._blocks is None:
            self._blocks = K.blocks(self.holarchy.n_cells, self.holarchy.starts[1])
        return self._blocks

    def compiled(self, level: int, rows: slice) -> bool:
        """Whether a call for ``rows`` of ``level`` takes the kernels: the whole cell
        level, of ``COMPILED_FROM`` cells or more (or always, for landscape)."""
        n = self.state.levels[0].n
        whole = level == 0 and rows.start == 0 and rows.stop == n
        return whole and (self.always or n >= COMPILED_FROM)

    def pay_cells(self, action: float, living: int) -> None:
        """The cells' energy of a kernel's step: ``c_act`` per unit of squared action,
        ``c_inf`` per living cell's inference."""
        self.state.add("e_action", self.g.c_act * action)
        self.state.add("e_inference", self.g.c_inf * living)

    def summary_landscape(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The cells' (well centre, well precision, tilt, time it rests on) as their free
        energy and information age read them."""
        cells = self.state.levels[0]
        return cells.eta, cells.pi_eta, cells.tilt, cells.landscape_time

    def cell_summary(self, t: int, target: np.ndarray) -> dict[str, Any]:
        if not self.compiled(0, slice(0, self.state.levels[0].n)):
            return super().cell_summary(t, target)
        s = self.state
        cells = s.levels[0]
        if self._moments is None or self._moments[0] != s.niche_stamp:  # niches moved
            sum_h, sum_inv = K.niche_moments(s.h, s.pi_h, cells.alive)
            n = max(int(np.count_nonzero(cells.alive)), 1)
            self._moments = (s.niche_stamp, sum_h / n, sum_inv / n)
        _, mean_h, mean_inv = self._moments
        shift = (target - mean_h) / max(mean_inv, 1e-300)
        lo, hi = self.bounds
        if np.isfinite(lo) or np.isfinite(hi):  # the optimum may sit at a bound
            shift = eq.bounded_shift(s.h, s.pi_h, target, cells.alive, lo, hi)
        eta, pi_eta, tilt, seen_at = self.summary_landscape()
        args = (
            cells.x, s.h, cells.o, cells.mu, eta, pi_eta, tilt, s.pi_h, self.g.pi_o,
            cells.alive, cells.load, shift, seen_at, max(lo, -1e300), min(hi, 1e300),
        )  # fmt: skip
        summary = K.on_cores(K.cells_summary, K.summary_block, args, self.blocks)
        sum_x, niche, gap, free, seen, alive, max_load = summary
        return {
            "sum_x": sum_x,
            "sum_niche_distance": niche,
            "sum_optimality_gap": gap,
            "sum_free_energy": free,
            "alive": alive,
            "max_load": max_load,
            "information_age": (
                (t - seen / alive if self.age_from_landscape else self.information_age(t))
                if alive
                else np.nan
            ),
        }

    def filter_toward(self, rows: slice, inputs: StepInputs, source: np.ndarray | None) -> None:
        """The cells' filter rule (``base.filter_cells``) in the landscape kernel, toward
        ``source`` or (None) their own niche."""
        s, g, draws = self.state, self.g, inputs.draws
        cells = s.levels[0]
        process = draws.get("process", K.NONE_FLOAT)
        args = (
            cells.x, cells.mu, cells.var, cells.o, s.a, cells.pref,
            cells.eta if source is None else source, cells.pi_eta, cells.tilt, s.h, s.pi_h,
            draws["noise"][0], process, cells.alive, inputs.noise_sd, g.filter_q,
            g.sensing_var, g.k_a, g.a_max, g.drift, g.process_noise, g.x_min, g.x_max,
            K.NICHE if source is None else K.GIVEN,
        )  # fmt: skip
        has_process = (process.shape[0] == cells.n,)
        action, living = K.on_cores(
            K.filter_cells_step, K.filter_block, args, self.blocks, has_process
        )
        self.pay_cells(action, living)


class CompiledAutonomous(CompiledCells, Autonomous):
    """Autonomous cells in the kernels: no landscape, only the niche."""

    age_from_landscape = False  # zero: its landscape is its own niche, known now
    _flat: tuple[np.ndarray, np.ndarray] | None = None

    def summary_landscape(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._flat is None:  # no well and no tilt (allocated once, for large models)
            n, d = self.state.h.shape
            self._flat = (np.zeros(n), np.zeros((n, d)))
        cells, (no_well, no_tilt) = self.state.levels[0], self._flat
        return self.state.h, no_well, no_tilt, cells.landscape_time

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if not (self.g.filter and self.compiled(level, rows)):
            return super().step(level, rows, inputs)
        self.filter_toward(rows, inputs, None)


class CompiledCommand(CompiledCells, Command):
    """Command with its cells and its centre's plan in the kernels."""

    _prior: np.ndarray | None = None

    def summary_landscape(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # F = 1/2 pi_o |o - m|^2 + 1/2 pi_prior |m - order|^2 + 1/2 pi_h |m - h|^2
        if self._prior is None:
            n, d = self.state.h.shape
            self._prior = (np.full(n, self.g.pi_prior), np.zeros((n, d)))
        prior, no_tilt = self._prior
        return self.arrays.order, prior, no_tilt, self.arrays.order_time

    def step(self, level: int, rows: slice, inputs: StepInputs) -> None:
        if self.g.filter and self.compiled(level, rows):
            return self.filter_toward(rows, inputs, self.arrays.order)
        return super().step(level, rows, inputs)

    def plan(self, inputs: StepInputs) -> None:
        s, e = self.state, self.arrays
        alive = s.levels[0].alive
        if not (self.g.filter and self.compiled(0, slice(0, alive.size)) and alive.any()):
            return super().plan(inputs)
        self.read_reports(inputs)
        lo, hi = self.bounds
        if np.isfinite(lo) or np.isfinite(hi):  # the optimum may sit at a bound
            shift = eq.bounded_shift(e.view_h, s.pi_h, inputs.target, alive, lo, hi)
        else:
            moments = (e.view_h, s.pi_h, alive)
            sum_h, sum_inv = K.on_cores(C.view_moments, C.view_moments_block, moments, self.blocks)
            n = max(float(np.count_nonzero(alive)), 1.0)
            shift = (inputs.target - sum_h / n) / max(sum_inv / n, 1e-300)
        refresh = self.network.refresh_every if self.network.fair else NEVER
        args = (
            e.view_h, s.pi_h, shift, max(lo, -1e300), min(hi, 1e300), e.setpoint,
            e.sent_order, self.ordered_at, e.pending_out, alive, inputs.step,
            self.g.delta * self.g.delta, refresh,
        )  # fmt: skip
        total, living = K.on_cores(C.plan_orders, C.plan_block, args, self.blocks)
        self.queue_orders(inputs, living)
        s.levels[-1].x[0] = total / max(living, 1)

    def reporting(self, rows: slice, inputs: StepInputs) -> np.ndarray:
        if not (self.g.filter and self.compiled(0, rows)):
            return super().reporting(rows, inputs)
        s, e, net = self.state, self.arrays, self.network
        cells = s.levels[0]
        send = np.zeros(cells.n, dtype=bool)
        args = (
            s.h, e.sent_h, cells.x, cells.sent_up, self.reported_at[0], cells.alive,
            cells.load, send, inputs.step, self.g.delta * self.g.delta,
            net.refresh_every if net.fair else NEVER, net.fair,
        )  # fmt: skip
        K.on_cores(C.niche_reports, C.reports_block, args, self.blocks)
        return np.flatnonzero(send)

    def view_seen(self, alive: np.ndarray) -> float:
        if not self.compiled(0, slice(0, alive.size)):
            return super().view_seen(alive)
        args = (self.arrays.view_time, alive)
        total, living = K.on_cores(C.living_sum, C.living_sum_block, args, self.blocks)
        return total / living if living else 0.0
