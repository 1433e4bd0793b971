"""Training as jobs: work that arrives, waits in a backlog, is served and is never lost.

A job needs ``work`` server-hours at full speed on one server and belongs to a flexibility
tier that tolerates a slowdown ``s`` (Emerald AI, 2025: 0, 10, 25 or 50 %): its deadline is
its arrival plus ``work (1 + s)`` plus the waiting allowance every job has (GAIA's waiting
limit). Each data centre has one pool per tier; a pool's servers serve its ready jobs
earliest deadline first. A job wants one server at full speed (that sets the pool's
niche), but may be resized over up to ``job_scaling`` servers when they have power to
spare (Emerald AI's resizing lever; data-parallel training can change its width). Work
paused now stays in the backlog; a job past its deadline is counted once, and still done.
A job whose pool has no living server left is dropped, and counted. So, per job and in
total,
``work arrived = work done + backlog + work dropped``.
"""

from __future__ import annotations

import numpy as np

TOLERANCES = (0.0, 0.10, 0.25, 0.50)  # the tiers' slowdown tolerance
FIELDS = ("pool", "work", "remaining", "arrival", "deadline", "ready", "moved")


class JobBook:
    """Every job of a run, as columns (one row per job), and the counts of what became of them."""

    def __init__(self, n_pools: int) -> None:
        self.n_pools = n_pools
        self.size = 0
        self.cols = {
            "pool": np.zeros(0, np.int64), "work": np.zeros(0), "remaining": np.zeros(0),
            "arrival": np.zeros(0, np.int64), "deadline": np.zeros(0, np.int64),
            "ready": np.zeros(0, np.int64), "moved": np.zeros(0, np.int64),
        }  # fmt: skip
        self.missed = np.zeros(0, bool)
        self.dropped = np.zeros(0, bool)
        self.arrived = self.done = self.lost = 0.0  # server-hours
        self.misses = np.zeros(len(TOLERANCES), np.int64)  # per tier, so far

    def add(self, pool: np.ndarray, work: np.ndarray, t: int, deadline: np.ndarray) -> None:
        """Jobs arriving at step ``t``: ready at once."""
        new = {"pool": pool, "work": work, "remaining": work.copy(),
               "arrival": np.full(pool.size, t), "deadline": deadline,
               "ready": np.full(pool.size, t), "moved": np.full(pool.size, -(2**40))}  # fmt: skip
        for name in FIELDS:
            self.cols[name] = np.concatenate([self.cols[name], new[name]])
        self.missed = np.concatenate([self.missed, np.zeros(pool.size, bool)])
        self.dropped = np.concatenate([self.dropped, np.zeros(pool.size, bool)])
        self.size += pool.size
        self.arrived += float(work.sum())

    def open(self) -> np.ndarray:
        """Rows of jobs with work left (not dropped)."""
        return np.flatnonzero((self.cols["remaining"] > 1e-12) & ~self.dropped)

    def ready(self, t: int) -> np.ndarray:
        rows = self.open()
        return rows[self.cols["ready"][rows] <= t]

    def need(self, t: int, hours: float) -> np.ndarray:
        """Per pool: the work its ready jobs could take this step at full speed."""
        rows = self.ready(t)
        take = np.minimum(self.cols["remaining"][rows], hours)
        return np.bincount(self.cols["pool"][rows], weights=take, minlength=self.n_pools)

    def serve(self, t: int, capacity: np.ndarray, hours: float) -> np.ndarray:
        """Give each pool's ``capacity`` (server-hours this step) to its ready jobs, earliest
        deadline first, each at most ``hours`` (the caller passes a job's widest share:
        a job resized over several servers); returns the work done per pool."""
        rows = self.ready(t)
        if rows.size == 0:
            return np.zeros(self.n_pools)
        c = self.cols
        pool = c["pool"][rows]
        order = np.lexsort((rows, c["deadline"][rows], pool))
        rows, pool = rows[order], pool[order]
        take = np.minimum(c["remaining"][rows], hours)
        before = np.cumsum(take) - take  # work of the pool's earlier jobs, and of other pools
        first = np.searchsorted(pool, np.arange(self.n_pools))  # each pool's first row
        before -= before[first[pool]]
        give = np.clip(capacity[pool] - before, 0.0, take)
        c["remaining"][rows] -= give
        done = np.bincount(pool, weights=give, minlength=self.n_pools)
        self.done += float(give.sum())
        return done

    def check_deadlines(self, t: int, tier_of_pool: np.ndarray) -> np.ndarray:
        """Open jobs whose deadline has passed are counted once, by tier; returns the new
        misses per tier."""
        rows = self.open()
        late = rows[(self.cols["deadline"][rows] <= t) & ~self.missed[rows]]
        self.missed[late] = True
        new = np.bincount(tier_of_pool[self.cols["pool"][late]], minlength=len(TOLERANCES))
        self.misses += new
        return new

    def drop(self, pools: np.ndarray) -> float:
        """Open jobs of pools with no server left are dropped; returns their work."""
        rows = self.open()
        rows = rows[np.isin(self.cols["pool"][rows], pools)]
        work = float(self.cols["remaining"][rows].sum())
        self.dropped[rows] = True
        self.lost += work
        return work

    def movable(self, t: int, since: int) -> np.ndarray:
        """Rows of ready jobs that have not moved in the last ``since`` steps."""
        rows = self.ready(t)
        return rows[self.cols["moved"][rows] <= t - since]

    def move(self, rows: np.ndarray, to_pool: np.ndarray, t: int, ready: int) -> None:
        """Jobs moved at step ``t`` to another pool (another site), ready there from step
        ``ready`` (a started job moves with its checkpoint)."""
        self.cols["pool"][rows] = to_pool
        self.cols["ready"][rows] = ready
        self.cols["moved"][rows] = t

    @property
    def backlog(self) -> float:
        """Server-hours of work waiting or in progress."""
        rows = self.open()
        return float(self.cols["remaining"][rows].sum())

    def backlog_of(self, pools: np.ndarray) -> float:
        """The backlog of the pools marked True."""
        rows = self.open()
        rows = rows[pools[self.cols["pool"][rows]]]
        return float(self.cols["remaining"][rows].sum())
