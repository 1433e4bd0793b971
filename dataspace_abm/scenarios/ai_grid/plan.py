"""Where training work goes in time: the cheapest-slots fill behind provisioning and the
day-ahead plan.

Both answer one question: given how much renewable surplus each step is expected to leave
after inference, and a capacity per step, where should a day's training work go? Fill the
steps with the most surplus first (water-filling), never above the capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


def _bisect(work_at: Callable[[float], float], lo: float, hi: float, work: float) -> float:
    """The ``level`` in [lo, hi] at which the increasing ``work_at(level)`` equals ``work``."""
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if work_at(mid) < work:
            lo = mid
        else:
            hi = mid
    return hi


def plan_load(
    room: np.ndarray, capacity: float, work: float,
    work_of: Callable[[np.ndarray], np.ndarray] = lambda load: load,
) -> np.ndarray:  # fmt: skip
    """Flexible training load per step (the unit of ``room``, the surplus expected after
    the firm load) that does ``work`` with the least power beyond the surplus.

    ``work_of`` is the work a load does in a step, increasing and concave (the servers'
    power-performance curve). Every step first takes the surplus it offers, up to the
    capacity; what that cannot do is topped up from the grid to one common level ``L``,
    because a concave curve gives most work per extra unit of power where the load is
    lowest: ``load = max(min(room, capacity), L)``. If the surplus alone does more than the
    work, the load is capped at a common level instead: ``load = min(room, capacity, M)``.
    If full capacity every step cannot do it, every step is at capacity."""
    free = np.clip(room, 0.0, capacity)
    if work <= 0 or capacity <= 0:
        return np.zeros_like(room)
    full = np.full_like(room, capacity)
    if work_of(full).sum() <= work:
        return full
    if work_of(free).sum() >= work:
        cap = _bisect(lambda m: work_of(np.minimum(free, m)).sum(), 0.0, capacity, work)
        return np.minimum(free, cap)
    level = _bisect(lambda m: work_of(np.maximum(free, m)).sum(), 0.0, capacity, work)
    return np.maximum(free, level)


def energy_cost_per_work(
    room: np.ndarray, fossil_price: np.ndarray, capacity: float, work: np.ndarray,
    surplus_price: float,
) -> np.ndarray:  # fmt: skip
    """Mean energy price (USD/kWh) of the cheapest schedule of ``work`` (one value per
    entry) when each step offers ``min(capacity, room)`` at the surplus price and the rest
    of the capacity at that step's fossil price."""
    renewable = np.minimum(capacity, np.maximum(room, 0.0))
    price = np.concatenate([np.full(room.size, surplus_price), fossil_price])
    size = np.concatenate([renewable, capacity - renewable])
    order = np.argsort(price, kind="stable")
    price, size = price[order], size[order]
    filled = np.concatenate([[0.0], np.cumsum(size)])
    cost = np.concatenate([[0.0], np.cumsum(size * price)])
    work = np.minimum(work, filled[-1])
    return np.interp(work, filled, cost) / np.maximum(work, 1e-300)


def provisioned_headroom(
    p: Mapping[str, Any], room: np.ndarray, fossil_price: np.ndarray, training_share: float,
    pue: float,
) -> float:  # fmt: skip
    """The fleet's headroom ``H`` (training capacity over mean training work) that minimizes
    the cost of a server-hour of work, capital plus energy (docs/ai_grid.md):

    ``H* = argmin_{H_min <= H <= H_max}  8 gpu_cost H + server_kw pue e(H)``

    where ``e(H)`` is the mean energy price of the cheapest schedule of the work
    ``training_share / H`` per step within the capacity ``training_share`` per step, and
    ``H_min = 1 / load_factor_max``. ``room`` is the expected surplus left after inference
    per step, in fleet IT units."""
    grid = np.linspace(1.0 / p["load_factor_max"], p["headroom_max"], 561)
    work = training_share / grid * room.size
    e = energy_cost_per_work(room, fossil_price, training_share, work, p["price_surplus"])
    cost = 8.0 * p["gpu_cost"] * grid + p["server_kw"] * pue * e
    return float(grid[np.argmin(cost)])
