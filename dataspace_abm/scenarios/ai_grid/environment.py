"""The AI-and-grid scenario: GPU servers in data centres of operators on grid regions.

Cells are GPU servers whose state is their power setting as a fraction of rated power.
An inference server follows its users' demand (a daily profile with an evening peak, in
its region's local time) and is stiff. A training server belongs to a flexibility tier
and serves its data centre's queue of jobs (``jobs.py``): its niche is the power at which
its pool would just do the work waiting for it, its stiffness its tier's. The fleet is
provisioned for its work from GPU and energy prices (``plan.provisioned_headroom``).
Society's landscape centre is the fleet load the renewable surplus can carry, or with a
day-ahead plan the load that puts the day's work where the forecast surplus is. Units and
sources: docs/ai_grid.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...core.equations import in_window
from ...core.state import State
from ...core.structure import Holarchy
from ..base import Environment
from .grid import Grid, daily_bump
from .jobs import TOLERANCES, JobBook
from .measures import COLUMNS, Fleet, step_measures
from .plan import plan_load, provisioned_headroom
from .power import throughput

TIERS = len(TOLERANCES)


class GridEnvironment(Environment):
    """The fleet, its jobs, the grid regions and the plans, drawn at build time."""

    columns = COLUMNS

    def __init__(self, params: Mapping[str, Any], holarchy: Holarchy, rng: np.random.Generator):
        super().__init__(params, holarchy, rng)
        p = self.p
        n_organs, n_cells = holarchy.sizes[1], holarchy.sizes[0]
        self.edge = np.zeros(n_organs, dtype=bool)
        self.edge[rng.permutation(n_organs)[: round(p["edge_share"] * n_organs)]] = True
        organ = holarchy.parent[0]
        share = np.where(self.edge, p["edge_inference"], p["hyperscale_inference"])
        self.inference = rng.random(n_cells) < share[organ]
        self.pue = np.where(self.edge, p["pue_edge"], p["pue_hyperscale"])[organ]
        self.demand_scale = np.clip(1.0 + 0.1 * rng.standard_normal(n_cells), 0.5, 1.5)
        # an operator's data centres spread over the regions: its k-th in region k % regions
        org = holarchy.parent[1]
        self.organ_region = (np.arange(n_organs) - holarchy.starts[2][org]) % p["regions"]
        self.region = self.organ_region[organ]
        shares = np.array([p[f"flex{round(100 * s)}_share"] for s in TOLERANCES])
        tier = rng.choice(TIERS, size=n_cells, p=shares / shares.sum())
        self.tier = np.where(self.inference, -1, tier)
        self.pool = np.where(self.inference, -1, organ * TIERS + tier)
        self.n_pools = n_organs * TIERS
        self.tier_of_pool = np.tile(np.arange(TIERS), n_organs)
        self.fleet_kw = n_cells * p["server_kw"]  # one fleet unit
        self.hours = p["step_minutes"] / 60.0
        self.day = max(1, round(24.0 / self.hours))  # steps per day
        self.grid = Grid(p, self.fleet_kw, rng)
        self.jobs_rng = np.random.default_rng(rng.integers(2**63))  # same for every regime
        self.forecast_rng = np.random.default_rng(rng.integers(2**63))
        self.alive = np.ones(n_cells, dtype=bool)
        self.rank: np.ndarray | None = None  # servers' places in their pools
        self.rank_alive = self.alive
        fixed = p["provisioning"] == "fixed"
        self.headroom = p["headroom"] if fixed else self.provision()
        self.books = {"run": JobBook(self.n_pools), "baseline": JobBook(self.n_pools)}
        self.arrived_until = -1  # jobs are drawn once per step, for both books
        self.need = np.zeros(self.n_pools)
        self.plan: np.ndarray | None = None  # the day's planned load and its forecast
        self.flexible_plan: np.ndarray | None = None
        self.plan_steps = np.zeros(self.day)
        self.forecast: np.ndarray | None = None
        self.plan_bits = 0.0
        self.moved = (0.0, 0)  # work and jobs moved between sites this step
        self.dr_level: float | None = None  # the fleet's mean draw before the event
        self.event_cut = 0.0  # the event's change of T, announced at its start
        self.fleet = Fleet(self)
        # moving work between sites is the operators' coordination: not without any, nor
        # when each data centre shapes alone
        alone = p["mode"] == "autonomous" or (
            p["mode"] == "landscape" and p["coordination_scope"] == "organ"
        )
        self.moves_work = p["regions"] > 1 and p["migrate_work"] == "on" and not alone

    # --- the fleet's economics -----------------------------------------------------------
    def demand(self, t: int) -> np.ndarray:
        """Each inference server's users' demand now, in its region's local time."""
        p = self.p
        hour = self.grid.hour(t)[self.region]
        bump = daily_bump(hour, p["peak_hour"])
        demand = p["demand_base"] + (p["demand_peak"] - p["demand_base"]) * bump
        return np.clip(demand * self.demand_scale, 0.0, 1.0)

    def inference_load(self, t: int) -> float:
        """Inference's mean power over the fleet (IT fleet units) at its users' demand."""
        return float(np.sum(self.demand(t)[self.inference & self.alive])) / self.alive.size

    def provision(self) -> float:
        """The headroom the operator buys for a day of expected weather (plan.py)."""
        surplus, price = self.grid.expected(self.day)
        room = surplus.sum(axis=1) / float(np.mean(self.pue))
        room -= np.array([self.inference_load(t) for t in range(self.day)])
        training = ~self.inference
        share = float(np.mean(training))
        pue = float(np.mean(self.pue[training])) if training.any() else 1.0
        return provisioned_headroom(self.p, room, price.mean(axis=1), share, pue)

    def pool_servers(self) -> np.ndarray:
        """Living servers per pool."""
        rows = self.alive & (self.pool >= 0)
        return np.bincount(self.pool[rows], minlength=self.n_pools)

    # --- jobs --------------------------------------------------------------------------
    def arrive(self, t: int) -> None:
        """Step ``t``'s jobs, the same for the run and the baseline: per pool, Poisson with
        mean ``servers / headroom x step hours / job_hours``; work log-normal around
        ``job_hours``; deadline ``work (1 + tolerance) + job_wait_hours`` after arrival.
        Before the first step, the jobs a fleet in steady state has in progress."""
        if t <= self.arrived_until:
            return
        first = self.arrived_until < 0
        self.arrived_until = t
        p = self.p
        servers = np.bincount(self.pool[self.pool >= 0], minlength=self.n_pools)
        if first:  # the fleet was running before: the jobs in progress, as in steady state
            self.add_jobs(t, servers / self.headroom, in_progress=True)
        self.add_jobs(t, servers / self.headroom * self.hours / p["job_hours"])

    def add_jobs(self, t: int, mean: np.ndarray, in_progress: bool = False) -> None:
        """Poisson(``mean``) jobs per pool, to both books; jobs in progress have done a
        uniform share of their work and keep the rest of their slack."""
        p = self.p
        pool = np.repeat(np.arange(self.n_pools), self.jobs_rng.poisson(mean))
        work = p["job_hours"] * np.exp(0.5 * self.jobs_rng.standard_normal(pool.size) - 0.125)
        if in_progress:
            work = work * self.jobs_rng.random(pool.size)
        slack = np.asarray(TOLERANCES)[self.tier_of_pool[pool]]
        deadline = t + np.ceil((work * (1.0 + slack) + p["job_wait_hours"]) / self.hours)
        for book in self.books.values():
            book.add(pool, work, t, deadline.astype(np.int64))

    def migrate(self, t: int, room: np.ndarray) -> None:
        """An operator moves flexible jobs from its sites in regions with less surplus to
        spare to its site in the region with the most (by at least ``migration_margin``),
        while that site's pool has servers to spare; a job moves at most once a day, and is
        ready there ``migration_steps`` later (its checkpoint and data travel,
        ``checkpoint_gb`` each)."""
        book, p = self.books["run"], self.p
        self.moved = (0.0, 0)
        rows = book.movable(t, self.day)
        rows = rows[self.tier_of_pool[book.cols["pool"][rows]] > 0]
        best = int(np.argmax(room))
        organ = book.cols["pool"][rows] // TIERS
        org = self.holarchy.parent[1][organ]
        first = self.holarchy.starts[2][org]
        # an operator's k-th site is in region k % regions: its first in the best region
        ok = best < self.holarchy.ends[2][org] - first
        ok &= room[self.organ_region[organ]] + p["migration_margin"] < room[best]
        rows, dest = rows[ok], (first + best)[ok]
        if rows.size == 0:
            return
        spare = self.pool_servers() * self.hours - book.need(t, self.hours)
        to_pool = dest * TIERS + self.tier_of_pool[book.cols["pool"][rows]]
        order = np.lexsort((book.cols["deadline"][rows], to_pool))  # the most urgent first
        rows, to_pool = rows[order], to_pool[order]
        take = np.minimum(book.cols["remaining"][rows], self.hours)
        before = np.cumsum(take) - take
        start = np.searchsorted(to_pool, to_pool)  # each destination's first row
        fits = before - before[start] + take <= spare[to_pool]
        rows, to_pool = rows[fits], to_pool[fits]
        book.move(rows, to_pool, t, t + p["migration_steps"])
        self.moved = (float(book.cols["remaining"][rows].sum()), int(rows.size))

    def fleet_niche(self, t: int, need: np.ndarray) -> np.ndarray:
        """Per server: inference at its users' demand, training by its pool's ``need``."""
        return np.where(self.inference, self.demand(t), self.training_niche(need))

    def fleet_mean(self, power: np.ndarray) -> float:
        """The mean over the fleet of the living servers' ``power`` (dead ones count 0)."""
        return float(np.sum(power[self.alive])) / self.alive.size

    def training_niche(self, need: np.ndarray) -> np.ndarray:
        """Per server: full power for as many of its pool's living servers as ``need`` (per
        pool) keeps busy, a job to a server, the next one part of the time, the rest idle:
        the way a fleet runs without power caps (a server's rank in its pool decides)."""
        busy = need / self.hours  # servers' worth of work
        rank = self.pool_rank()
        return np.clip(busy[np.maximum(self.pool, 0)] - rank, 0.0, 1.0) * (self.pool >= 0)

    def pool_rank(self) -> np.ndarray:
        """Each living training server's place among its pool's living servers (0, 1, ...)."""
        if self.rank is None or not np.array_equal(self.rank_alive, self.alive):
            rows = np.flatnonzero((self.pool >= 0) & self.alive)
            order = rows[np.argsort(self.pool[rows], kind="stable")]
            pool = self.pool[order]
            first = np.searchsorted(pool, pool)
            self.rank = np.full(self.pool.size, np.inf)
            self.rank[order] = np.arange(order.size) - first
            self.rank_alive = self.alive.copy()
        return self.rank

    # --- plans -------------------------------------------------------------------------
    def make_plan(self, t: int) -> None:
        """The day-ahead plan at the start of a day (``plan.plan_load``): the forecast
        surplus (the true one with relative error ``forecast_error``) less the firm load
        (inference at its users' demand, training that tolerates no slowdown at its mean
        work), and the day's flexible work (what its pools would do at their own pace
        today) placed where the surplus is. Each operator sends its plan to the grid and
        gets the grid's landscape back: two messages of a day's numbers each."""
        p, g, n = self.p, self.grid, self.alive.size
        steps = range(t, t + self.day)
        error = 1.0 + p["forecast_error"] * self.forecast_rng.standard_normal((self.day, g.n))
        surplus = np.array([g.surplus(k) for k in steps]) * np.maximum(error, 0.0)
        self.forecast = surplus.sum(axis=1) / float(np.mean(self.pue))
        servers = self.pool_servers()
        flexible = self.tier_of_pool > 0
        firm_training = servers[~flexible].sum() / n
        firm = np.array([self.inference_load(k) for k in steps]) + firm_training / self.headroom
        capacity = servers[flexible].sum() / n
        # the day's flexible work: what the pools would do at their own pace, a server a
        # job, for a day (not the whole backlog: long jobs in progress go on tomorrow)
        work = float(self.need[flexible].sum()) * self.day / self.hours / n

        def work_of(load: np.ndarray) -> np.ndarray:  # servers share a step's load evenly
            x = load / max(capacity, 1e-300)
            return capacity * throughput(x, p["perf_exponent"], p["power_floor"])

        previous = None if self.flexible_plan is None else self.flexible_plan[-1]
        self.flexible_plan = plan_load(self.forecast - firm, capacity, work, work_of)
        self.plan = firm + self.flexible_plan
        # the change of the flexible part from step to step is announced: the firm part
        # moves the niches themselves
        start = self.flexible_plan[0] if previous is None else previous
        self.plan_steps = np.diff(self.flexible_plan, prepend=start)
        message = p["header_bits"] + self.day * p["float_bits"]
        self.plan_bits = 2.0 * self.holarchy.sizes[2] * message

    # --- the model's environment -------------------------------------------------------
    def in_event(self, t: int) -> bool:
        """Whether step ``t`` lies in the demand-response event."""
        return in_window(t, self.p["dr_at"], self.p["dr_steps"])

    def begin_step(self, t: int, state: State) -> None:
        """Before step ``t``: jobs arrive, jobs of emptied pools are dropped, flexible
        jobs move toward surplus, the day's plan is made; the event's level is kept."""
        cells = state.levels[0]
        self.alive = cells.alive.copy()
        if self.dr_level is None and self.in_event(t):  # the power the grid saw last step
            self.dr_level = self.fleet.draw
        self.arrive(t)
        empty = np.flatnonzero(self.pool_servers() == 0)
        for book in self.books.values():
            book.drop(empty)
        if self.moves_work:
            self.migrate(t, self.fleet.room)
        self.need = self.books["run"].need(t, self.hours)
        self.plan_bits = 0.0
        if self.p["day_ahead"] == "on" and (self.plan is None or t % self.day == 0):
            self.make_plan(t)

    def slowest(self, t: int) -> float:
        """The least mean power the fleet declares it can run at now: inference at its users'
        demand, and each training pool at the power that does its ready work slowed by its
        tier's tolerance (none for tier 0)."""
        slow = 1.0 + np.asarray(TOLERANCES)[self.tier_of_pool]
        return self.fleet_mean(self.fleet_niche(t, self.need / slow))

    def fastest(self, t: int) -> float:
        """The most mean power the fleet declares it can use now: inference at its users'
        demand, and each training pool's ready work resized over as many servers as it
        can take (``job_scaling`` a job), at full power."""
        wide = self.books["run"].need(t, self.hours * self.p["job_scaling"])
        return self.fleet_mean(self.fleet_niche(t, wide))

    def target(self, t: int) -> np.ndarray:
        """The mean power the surplus can carry, or the day-ahead plan corrected by how far
        the surplus now is off its forecast; within the range the fleet declares it can run
        at now (its tiers' tolerance below, its ready work above); during an event, at most
        the fleet's power before it, less the cut asked for."""
        surplus = float(self.grid.surplus(t).sum()) / float(np.mean(self.pue))
        if self.plan is not None:
            k = t % self.day
            value = self.plan[k] + surplus - self.forecast[k]
        else:
            value = surplus
        # within the range the fleet declares it can run at now
        value = min(self.fastest(t), max(self.slowest(t), value))
        if self.in_event(t):
            value = min(value, (1.0 - self.p["dr_cut"]) * (self.dr_level or 0.0))
        return np.full(1, value)

    def announced(self, t: int) -> np.ndarray | None:
        """The part of ``T``'s change that the grid decided, not measured: the day-ahead
        plan's change of flexible load, and an event's cut of the fleet's power at its first
        step (given back at the step after its last)."""
        p = self.p
        change = self.plan_steps[t % self.day] if self.plan is not None else 0.0
        if t == p["dr_at"]:  # the grid asks for a cut of the power it saw
            self.event_cut = -p["dr_cut"] * (self.dr_level or 0.0)
            change += self.event_cut
        elif p["dr_at"] >= 0 and t == p["dr_at"] + p["dr_steps"]:
            change -= self.event_cut
        return np.full(1, change) if change else None

    def niche(self, t: int) -> np.ndarray:
        """Inference: its users' demand now. Training: full power while its pool has a ready
        job for it (``training_niche``)."""
        self.arrive(t)
        self.need = self.books["run"].need(t, self.hours)
        return self.fleet_niche(t, self.need)[:, None]

    @property
    def static_niche(self) -> bool:
        return False

    def stiffness(self, rng: np.random.Generator) -> np.ndarray:
        """Inference and tier-0 training are latency-bound; a tier that tolerates a
        slowdown ``s`` is ``flex_stiffness x 0.1 / s`` stiff (10 %: ``flex_stiffness``)."""
        p = self.p
        tolerance = np.asarray(TOLERANCES)[np.maximum(self.tier, 0)]
        flex = p["flex_stiffness"] * 0.1 / np.maximum(tolerance, 1e-12)
        stiff = self.inference | (self.tier == 0)
        return np.where(stiff, p["pi_h_inference"], flex)

    def measures(self, t: int, state: State) -> dict[str, float]:
        """Jobs served, energy balance per region, emissions at equal work, costs."""
        return step_measures(self, t, state)
